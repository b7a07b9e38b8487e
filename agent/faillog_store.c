/* faillog_store: see faillog_store.h. An excerpt is plain text in sections; when its
 * compressed form is too large the text's head is cut (the end of a log
 * explains a failure best) and it is compressed again. */
#include "agent/faillog_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "common/safefile.h"

#define FAILLOG_LEVEL 9

static void add_section(char **buf, size_t *len, const char *title, const char *body)
{
	if (!*buf || !body || !*body)
		return;
	size_t bl = strlen(body), tl = strlen(title);
	char *n = realloc(*buf, *len + tl + bl + 16);
	if (!n) {
		free(*buf);
		*buf = NULL;
		return;
	}
	*len += (size_t)sprintf(n + *len, "== %s ==\n", title);
	memcpy(n + *len, body, bl);
	*len += bl;
	if (bl && body[bl - 1] != '\n')
		n[(*len)++] = '\n';
	*buf = n;
}

static char *compose(const struct faillog_parts *p, size_t *len)
{
	char *buf = malloc(1);
	*len = 0;
	add_section(&buf, len, "failure", p->what);
	add_section(&buf, len, "step output", p->step_output);
	add_section(&buf, len, "agent log", p->agent_tail);
	add_section(&buf, len, "diagnostics", p->diagnostics);
	return buf;
}

/* Compresses the text's tail that fits FAILLOG_MAX: cuts a quarter of what
 * is left from the head each time it does not. */
static bool compress_bounded(const char *text, size_t len, void **out, size_t *out_len,
			     struct ferry_error **err)
{
	static const char cut[] = "[... earlier text cut to fit the size cap]\n";
	size_t cap = ZSTD_compressBound(len + sizeof cut);
	char *in = malloc(len + sizeof cut), *z = malloc(cap);
	size_t skip = 0;
	while (in && z) {
		size_t n = 0;
		if (skip) {
			memcpy(in, cut, sizeof cut - 1);
			n = sizeof cut - 1;
		}
		memcpy(in + n, text + skip, len - skip);
		n += len - skip;
		size_t r = ZSTD_compress(z, cap, in, n, FAILLOG_LEVEL);
		if (ZSTD_isError(r)) {
			free(in);
			free(z);
			return ferry_error_setc(err, FERRY_E_INTERNAL, "failure log: zstd: %s",
						ZSTD_getErrorName(r));
		}
		if (r <= FAILLOG_MAX) {
			free(in);
			*out = z;
			*out_len = r;
			return true;
		}
		skip += (len - skip) / 4 + 1;
	}
	free(in);
	free(z);
	return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
}

struct kept {
	char name[FAILLOG_NAME_LEN + 1];
	time_t mtime;
	off_t size;
};

static int oldest_first(const void *a, const void *b)
{
	const struct kept *x = a, *y = b;
	if (x->mtime != y->mtime)
		return x->mtime < y->mtime ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* The excerpts in dir (files named <sha256>.zst), oldest first. */
static bool list_kept(const char *dir, struct kept **out, size_t *n, struct ferry_error **err)
{
	*out = NULL;
	*n = 0;
	DIR *d = opendir(dir);
	if (!d)
		return ferry_error_errno(err, errno, "%s", dir);
	size_t cap = 0;
	bool ok = true;
	struct dirent *de;
	while (ok && (de = readdir(d))) {
		size_t l = strlen(de->d_name);
		struct stat st;
		if (!faillog_name_parse(de->d_name, NULL) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			struct kept *v = realloc(*out, cap * sizeof *v);
			if (!v) {
				ok = ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
				break;
			}
			*out = v;
		}
		memcpy((*out)[*n].name, de->d_name, l + 1);
		(*out)[*n].mtime = st.st_mtime;
		(*out)[(*n)++].size = st.st_size;
	}
	closedir(d);
	if (ok && *n)
		qsort(*out, *n, sizeof **out, oldest_first);
	return ok;
}

/* Drops the oldest excerpts (never keep_name) until the total fits. */
static bool enforce_cap(const char *dir, size_t total_max, const char *keep_name,
			struct ferry_error **err)
{
	struct kept *k = NULL;
	size_t n = 0, total = 0;
	if (!list_kept(dir, &k, &n, err))
		return false;
	for (size_t i = 0; i < n; i++)
		total += (size_t)k[i].size;
	bool ok = true;
	for (size_t i = 0; ok && i < n && total > total_max; i++) {
		if (strcmp(k[i].name, keep_name) == 0)
			continue;
		char *path = NULL;
		if (!path_join(dir, k[i].name, &path, err))
			ok = false;
		else if (unlink(path) < 0 && errno != ENOENT)
			ok = ferry_error_errno(err, errno, "%s", path);
		else
			total -= (size_t)k[i].size;
		free(path);
	}
	free(k);
	return ok && fsync_dir(dir, err);
}

bool faillog_keep(const char *dir, const struct faillog_parts *parts, size_t total_max,
		  char sha_out[SHA256_HEX_LEN + 1], struct ferry_error **err)
{
	size_t len = 0, zlen = 0;
	void *z = NULL;
	char *path = NULL, name[FAILLOG_NAME_LEN + 1];
	char *text = compose(parts, &len);
	bool ok = false;
	if (!text) {
		ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
		goto out;
	}
	if (!compress_bounded(text, len, &z, &zlen, err) || !mkdir_p(dir, 0700, err))
		goto out;
	sha256_buffer_hex(z, zlen, sha_out);
	snprintf(name, sizeof name, "%s%s", sha_out, FAILLOG_SUFFIX);
	if (!path_join(dir, name, &path, err) || !safe_write_atomic(path, z, zlen, 0600, err))
		goto out;
	ok = enforce_cap(dir, total_max ? total_max : FAILLOG_TOTAL_MAX, name, err);
out:
	if (!ok)
		ferry_error_prefix(err, "failure log in %s", dir);
	free(text);
	free(z);
	free(path);
	return ok;
}
