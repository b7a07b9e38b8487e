/* sbom_image: see sbom_image.h. Reading, per image kind; the Debian texts
 * are sbom_dpkg.c's. */
#include "packager/sbom_image.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/safefile.h"

#define STATUS_PATH "var/lib/dpkg/status"
#define DOC_PREFIX "usr/share/doc/"

/* ---- tar ------------------------------------------------------------------ */

/* "./usr/share/doc/P/copyright" or "usr/…" → P, when P is a package name. */
static const char *entry_path(const char *path)
{
	if (path[0] == '.' && path[1] == '/')
		path += 2;
	return path[0] == '/' ? path + 1 : path;
}

static bool read_entry(struct archive *a, size_t max, char **data, size_t *len)
{
	char *buf = malloc(max + 1);
	la_ssize_t n;
	*len = 0;
	if (!buf)
		return false;
	while (*len < max && (n = archive_read_data(a, buf + *len, max - *len)) > 0)
		*len += (size_t)n;
	buf[*len] = '\0';
	*data = buf;
	return true;
}

struct copyrights {
	char **pkg, **licence;
	size_t n;
};

static void copyrights_clear(struct copyrights *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->pkg[i]);
		free(c->licence[i]);
	}
	free(c->pkg);
	free(c->licence);
}

static void copyright_add(struct copyrights *c, const char *pkg, char *licence)
{
	char **p = realloc(c->pkg, (c->n + 1) * sizeof(*p)), **l;
	if (p)
		c->pkg = p;
	l = p ? realloc(c->licence, (c->n + 1) * sizeof(*l)) : NULL;
	if (l)
		c->licence = l;
	if (!p || !l || !(c->pkg[c->n] = strdup(pkg))) {
		free(licence);
		return;   /* a licence less: "not known" */
	}
	c->licence[c->n++] = licence;
}

/* One tar entry: the status file, or a copyright file, else skipped. */
static bool tar_entry(struct archive *a, struct archive_entry *e, char **status, size_t *status_len,
		      struct copyrights *c)
{
	const char *path = entry_path(archive_entry_pathname(e));
	if (archive_entry_filetype(e) != AE_IFREG)
		return true;
	if (strcmp(path, STATUS_PATH) == 0) {
		free(*status);
		return read_entry(a, SBOM_IMAGE_STATUS_MAX, status, status_len);
	}
	size_t plen = strlen(DOC_PREFIX);
	const char *slash = strchr(path + (strncmp(path, DOC_PREFIX, plen) == 0 ? plen : 0), '/');
	if (strncmp(path, DOC_PREFIX, plen) != 0 || !slash || strcmp(slash, "/copyright") != 0 ||
	    c->n >= SBOM_MAX_COMPONENTS)
		return true;
	char *text = NULL, *pkg = strndup(path + plen, (size_t)(slash - path - (ptrdiff_t)plen));
	size_t len = 0;
	bool ok = pkg && read_entry(a, SBOM_IMAGE_COPYRIGHT_MAX, &text, &len);
	char *licence = ok ? sbom_copyright_licence(text, len) : NULL;
	if (licence)
		copyright_add(c, pkg, licence);
	free(text);
	free(pkg);
	return ok;
}

static void attach_licences(struct sbom *s, const struct copyrights *c)
{
	for (size_t i = 0; i < s->n; i++)
		for (size_t j = 0; j < c->n && !s->c[i].licence; j++)
			if (strcmp(s->c[i].name, c->pkg[j]) == 0)
				s->c[i].licence = strdup(c->licence[j]);
}

static bool read_tar(const char *image, struct sbom *out, struct ferry_error **err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	struct copyrights c = { 0 };
	char *status = NULL;
	size_t status_len = 0;
	bool ok = false;
	int rc;
	if (!a)
		return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	if (archive_read_open_filename(a, image, 64 * 1024) != ARCHIVE_OK) {
		ferry_error_setc(err, FERRY_E_FORMAT, "%s: neither an ext2/3/4 image nor a tar archive (%s)",
				 image, archive_error_string(a));
		goto out;
	}
	while ((rc = archive_read_next_header(a, &e)) == ARCHIVE_OK)
		if (!tar_entry(a, e, &status, &status_len, &c)) {
			ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
			goto out;
		}
	if (rc != ARCHIVE_EOF) {
		ferry_error_setc(err, FERRY_E_FORMAT, "%s: %s", image, archive_error_string(a));
		goto out;
	}
	if (!status) {
		ferry_error_setc(err, FERRY_E_FORMAT, "%s: no " STATUS_PATH " (not a Debian root file system?)",
				 image);
		goto out;
	}
	if (!(ok = sbom_dpkg_status_parse(status, status_len, out, err)))
		ferry_error_prefix(err, "%s", image);
	else
		attach_licences(out, &c);
out:
	free(status);
	copyrights_clear(&c);
	archive_read_free(a);
	return ok;
}

/* ---- ext2/3/4 through debugfs --------------------------------------------- */

static bool is_ext(const char *image)
{
	unsigned char magic[2] = { 0 };
	int fd = open(image, O_RDONLY | O_CLOEXEC);
	bool ext = fd >= 0 && pread(fd, magic, 2, 1080) == 2 && magic[0] == 0x53 && magic[1] == 0xEF;
	if (fd >= 0)
		close(fd);
	return ext;
}

/* debugfs -f CMDS IMAGE, read-only (its default), its output discarded. */
static bool run_debugfs(const char *cmds, const char *image, struct ferry_error **err)
{
	static const char *const paths[] = { "debugfs", "/usr/sbin/debugfs", "/sbin/debugfs" };
	pid_t pid = fork();
	if (pid < 0)
		return ferry_error_errno(err, errno, "fork");
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
		}
		for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
			execvp(paths[i], (char *const[]){ "debugfs", "-f", (char *)cmds, (char *)image, NULL });
		_exit(127);
	}
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return ferry_error_setc(err, FERRY_E_CONFIG, "debugfs not found (install e2fsprogs)");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return ferry_error_setc(err, FERRY_E_FORMAT, "%s: debugfs could not read it", image);
	return true;
}

static bool write_cmds(const char *path, const struct sbom *s, const char *dir, struct ferry_error **err)
{
	FILE *f = fopen(path, "wx");
	if (!f)
		return ferry_error_errno(err, errno, "%s", path);
	if (!s)
		fprintf(f, "dump /" STATUS_PATH " %s/status\n", dir);
	/* names were checked against Debian's package name characters */
	for (size_t i = 0; s && i < s->n; i++)
		fprintf(f, "dump /" DOC_PREFIX "%s/copyright %s/c-%s\n", s->c[i].name, dir, s->c[i].name);
	if (fclose(f) != 0)
		return ferry_error_errno(err, errno, "%s", path);
	return true;
}

/* The first max bytes of the file debugfs dumped (as read_entry does for a
 * tar entry, so both image kinds give the same licences). */
static bool read_prefix(const char *path, size_t max, char **data, size_t *len)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	char *buf = fd >= 0 ? malloc(max + 1) : NULL;
	ssize_t n = 1;
	*len = 0;
	while (buf && *len < max && (n = read(fd, buf + *len, max - *len)) > 0)
		*len += (size_t)n;
	if (fd >= 0)
		close(fd);
	if (!buf || n < 0) {
		free(buf);
		return false;
	}
	buf[*len] = '\0';
	*data = buf;
	return true;
}

static void ext_licences(struct sbom *s, const char *dir)
{
	for (size_t i = 0; i < s->n; i++) {
		char *path = NULL, *text = NULL;
		size_t len = 0;
		if (asprintf(&path, "%s/c-%s", dir, s->c[i].name) < 0)
			continue;
		if (read_prefix(path, SBOM_IMAGE_COPYRIGHT_MAX, &text, &len))
			s->c[i].licence = sbom_copyright_licence(text, len);
		unlink(path);
		free(text);
		free(path);
	}
}

static bool read_ext(const char *image, const char *dir, struct sbom *out, struct ferry_error **err)
{
	char cmds[4096], status[4096];
	char *text = NULL;
	size_t len = 0;
	bool ok = false;
	snprintf(cmds, sizeof(cmds), "%s/cmds", dir);
	snprintf(status, sizeof(status), "%s/status", dir);
	if (!write_cmds(cmds, NULL, dir, err) || !run_debugfs(cmds, image, err))
		goto out;
	unlink(cmds);
	if (access(status, F_OK) != 0) {
		ferry_error_setc(err, FERRY_E_FORMAT, "%s: no /" STATUS_PATH " (not a Debian root file system?)",
				 image);
		goto out;
	}
	if (!read_file_limited(status, SBOM_IMAGE_STATUS_MAX, &text, &len, err) ||
	    !sbom_dpkg_status_parse(text, len, out, err)) {
		ferry_error_prefix(err, "%s", image);
		goto out;
	}
	if (!write_cmds(cmds, out, dir, err) || !run_debugfs(cmds, image, err))
		goto out;
	ext_licences(out, dir);
	ok = true;
out:
	unlink(cmds);
	unlink(status);
	free(text);
	if (!ok)
		sbom_clear(out);
	return ok;
}

bool sbom_image_read(const char *image, struct sbom *out, struct ferry_error **err)
{
	memset(out, 0, sizeof(*out));
	if (access(image, R_OK) != 0)
		return ferry_error_errno(err, errno, "%s", image);
	if (!is_ext(image))
		return read_tar(image, out, err);
	const char *tmp = getenv("TMPDIR");
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/ferry-sbom.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (strpbrk(dir, " \t\n\"'\\"))
		return ferry_error_setc(err, FERRY_E_CONFIG, "TMPDIR '%s': debugfs needs a path without spaces or quotes",
					tmp);
	if (!mkdtemp(dir))
		return ferry_error_errno(err, errno, "%s", dir);
	bool ok = read_ext(image, dir, out, err);
	rmdir(dir);
	return ok;
}
