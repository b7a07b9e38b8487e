/* safefile: see safefile.h. */
#include "safefile.h"

#include <errno.h>
#include <fts.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool write_all(int fd, const void *data, size_t len, const char *what, struct ferry_error **err)
{
	const char *p = data;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return ferry_error_errno(err, errno, "%s: write", what);
		if (n == 0)
			return ferry_error_set(err, "%s: write made no progress", what);
		p += n;
		len -= (size_t)n;
	}
	return true;
}

bool read_full(int fd, void *buf, size_t len, size_t *got, const char *what, struct ferry_error **err)
{
	size_t done = 0;
	char *p = buf;
	while (done < len) {
		ssize_t n = read(fd, p + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return ferry_error_errno(err, errno, "%s: read", what);
		if (n == 0)
			break;
		done += (size_t)n;
	}
	*got = done;
	return true;
}

bool fsync_dir(const char *dir, struct ferry_error **err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return ferry_error_errno(err, errno, "%s: open directory", dir);
	/* Some FUSE filesystems do not implement fsync on directories; the data
	 * files themselves were fsynced, so EINVAL/ENOSYS is not a failure. */
	if (fsync(fd) < 0 && errno != EINVAL && errno != ENOSYS && errno != ENOTSUP) {
		int e = errno;
		close(fd);
		return ferry_error_errno(err, e, "%s: fsync directory", dir);
	}
	close(fd);
	return true;
}

bool fsync_parent_dir(const char *path, struct ferry_error **err)
{
	char *copy = strdup(path);
	if (!copy)
		return ferry_error_set(err, "out of memory");
	bool ok = fsync_dir(dirname(copy), err);
	free(copy);
	return ok;
}

bool safe_tmp_open(struct safe_tmp *t, const char *path, mode_t mode, struct ferry_error **err)
{
	return safe_tmp_open_at(t, AT_FDCWD, path, path, mode, err);
}

static void safe_tmp_release(struct safe_tmp *t)
{
	free(t->path);
	free(t->tmp_path);
	free(t->tmp_name);
	t->path = t->tmp_path = t->tmp_name = NULL;
	t->name = NULL;
	t->fd = -1;
}

bool safe_tmp_open_at(struct safe_tmp *t, int dirfd, const char *name, const char *path,
		      mode_t mode, struct ferry_error **err)
{
	memset(t, 0, sizeof(*t));
	t->fd = -1;
	t->dirfd = dirfd;
	t->path = strdup(path);
	if (!t->path || asprintf(&t->tmp_path, "%s.tmp", path) < 0 ||
	    asprintf(&t->tmp_name, "%s.tmp", name) < 0) {
		t->tmp_name = NULL;
		safe_tmp_release(t);
		return ferry_error_set(err, "out of memory");
	}
	t->name = t->path + (strlen(path) - strlen(name));   /* name is path's tail */
	/* A .tmp left by a power cut is garbage by definition. */
	if (unlinkat(dirfd, t->tmp_name, 0) < 0 && errno != ENOENT) {
		ferry_error_errno(err, errno, "%s: remove stale temporary file", t->tmp_path);
		goto fail;
	}
	/* O_EXCL: never through a link someone put at the temporary name;
	 * O_RDWR: a writer may read back what it wrote (bundle create does) */
	t->fd = openat(dirfd, t->tmp_name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (t->fd < 0) {
		ferry_error_errno(err, errno, "%s: create", t->tmp_path);
		goto fail;
	}
	return true;
fail:
	safe_tmp_release(t);
	return false;
}

bool safe_tmp_commit(struct safe_tmp *t, struct ferry_error **err)
{
	bool ok = false;
	if (fsync(t->fd) < 0) {
		ferry_error_errno(err, errno, "%s: fsync", t->tmp_path);
		goto out;
	}
	int fd = t->fd;
	t->fd = -1;
	if (close(fd) < 0) {
		ferry_error_errno(err, errno, "%s: close", t->tmp_path);
		goto out;
	}
	/* renameat replaces a link at name itself, never what it points to */
	if (renameat(t->dirfd, t->tmp_name, t->dirfd, t->name) < 0) {
		ferry_error_errno(err, errno, "%s: rename into place", t->path);
		goto out;
	}
	if (t->dirfd == AT_FDCWD)
		ok = fsync_parent_dir(t->path, err);
	else if (!(ok = fsync(t->dirfd) == 0))
		ferry_error_errno(err, errno, "%s: fsync its folder", t->path);
out:
	if (!ok) {
		if (t->fd >= 0)
			close(t->fd);
		unlinkat(t->dirfd, t->tmp_name, 0);
	}
	safe_tmp_release(t);
	return ok;
}

void safe_tmp_abort(struct safe_tmp *t)
{
	if (!t->tmp_path)
		return;
	if (t->fd >= 0)
		close(t->fd);
	unlinkat(t->dirfd, t->tmp_name, 0);
	safe_tmp_release(t);
}

bool safe_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
		       struct ferry_error **err)
{
	return safe_write_atomic_at(AT_FDCWD, path, path, data, len, mode, err);
}

bool safe_write_atomic_at(int dirfd, const char *name, const char *path, const void *data,
			  size_t len, mode_t mode, struct ferry_error **err)
{
	struct safe_tmp t;
	if (!safe_tmp_open_at(&t, dirfd, name, path, mode, err))
		return false;
	if (!write_all(t.fd, data, len, t.tmp_path, err)) {
		safe_tmp_abort(&t);
		return false;
	}
	return safe_tmp_commit(&t, err);
}

/* A file whose size fstat does not know (/proc/cmdline): up to max bytes. */
static bool read_pseudo_file(int fd, const char *path, size_t max, char **data, size_t *len,
			     struct ferry_error **err)
{
	size_t got = 0;
	char *buf = malloc(max + 2);
	if (!buf)
		return ferry_error_set(err, "%s: out of memory", path);
	if (!read_full(fd, buf, max + 1, &got, path, err)) {
		free(buf);
		return false;
	}
	if (got > max) {
		free(buf);
		return ferry_error_set(err, "%s: larger than the limit of %zu bytes", path, max);
	}
	buf[got] = '\0';
	*data = buf;
	*len = got;
	return true;
}

/* What a non-regular file is, for the refusal. */
static const char *file_kind(mode_t m)
{
	return S_ISFIFO(m) ? "a FIFO" : S_ISDIR(m) ? "a folder" : S_ISLNK(m) ? "a symbolic link" :
	       S_ISCHR(m) ? "a character device" : S_ISBLK(m) ? "a block device" :
	       S_ISSOCK(m) ? "a socket" : "not a regular file";
}

int open_regular(const char *path, bool follow, uint64_t max, struct stat *st,
		 struct ferry_error **err)
{
	return open_regular_at(AT_FDCWD, path, path, follow, max, st, err);
}

int open_regular_at(int dirfd, const char *name, const char *path, bool follow, uint64_t max,
		    struct stat *st, struct ferry_error **err)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NONBLOCK | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
	if (fd < 0 && errno == ELOOP && !follow) {
		ferry_error_setc(err, FERRY_E_UNSAFE, "%s: a symbolic link, refused", path);
		return -1;
	}
	if (fd < 0) {
		ferry_error_errno(err, errno, "%s", path);
		return -1;
	}
	if (fstat(fd, st) < 0)
		ferry_error_errno(err, errno, "%s: stat", path);
	else if (!S_ISREG(st->st_mode))
		ferry_error_setc(err, FERRY_E_UNSAFE, "%s: %s, not a regular file: refused", path,
				 file_kind(st->st_mode));
	else if ((uint64_t)st->st_size > max)
		ferry_error_setc(err, FERRY_E_UNSAFE, "%s: larger than the limit of %llu bytes", path,
				 (unsigned long long)max);
	else if (fcntl(fd, F_SETFL, O_RDONLY) < 0)   /* reads block again (a regular file) */
		ferry_error_errno(err, errno, "%s: fcntl", path);
	else
		return fd;
	close(fd);
	return -1;
}

static bool read_regular(int dirfd, const char *name, const char *path, bool follow, size_t max,
			 char **data, size_t *len, struct ferry_error **err)
{
	bool ok = false;
	char *buf = NULL;
	struct stat st;
	int fd = open_regular_at(dirfd, name, path, follow, max, &st, err);
	if (fd < 0)
		goto out;
	/* procfs and sysfs files say size 0 and hold text: read up to the limit. */
	if (st.st_size == 0) {
		ok = read_pseudo_file(fd, path, max, data, len, err);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		ferry_error_set(err, "%s: out of memory", path);
		goto out;
	}
	size_t got = 0;
	if (!read_full(fd, buf, (size_t)st.st_size, &got, path, err))
		goto out;
	/* Read one more byte: a file that grew since fstat must not slip past max. */
	char extra;
	size_t more = 0;
	if (!read_full(fd, &extra, 1, &more, path, err))
		goto out;
	if (more) {
		ferry_error_set(err, "%s: changed while being read", path);
		goto out;
	}
	buf[got] = '\0';
	*data = buf;
	*len = got;
	buf = NULL;
	ok = true;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return ok;
}

bool read_file_limited(const char *path, size_t max, char **data, size_t *len,
		       struct ferry_error **err)
{
	return read_regular(AT_FDCWD, path, path, true, max, data, len, err);
}

bool read_file_nofollow(const char *path, size_t max, char **data, size_t *len,
			struct ferry_error **err)
{
	return read_regular(AT_FDCWD, path, path, false, max, data, len, err);
}

bool read_file_at(int dirfd, const char *name, const char *path, size_t max, char **data,
		  size_t *len, struct ferry_error **err)
{
	return read_regular(dirfd, name, path, false, max, data, len, err);
}

bool path_check_relative(const char *rel, size_t rel_len, struct ferry_error **err)
{
	if (rel_len == 0)
		return ferry_error_setc(err, FERRY_E_UNSAFE, "empty path");
	if (memchr(rel, '\0', rel_len))
		return ferry_error_setc(err, FERRY_E_UNSAFE, "path contains a NUL byte");
	if (rel[0] == '/')
		return ferry_error_setc(err, FERRY_E_UNSAFE, "'%.*s': absolute path not allowed",
					(int)rel_len, rel);
	size_t i = 0;
	while (i < rel_len) {
		size_t j = i;
		while (j < rel_len && rel[j] != '/')
			j++;
		if (j - i == 2 && rel[i] == '.' && rel[i + 1] == '.')
			return ferry_error_setc(err, FERRY_E_UNSAFE, "'%.*s': '..' not allowed", (int)rel_len, rel);
		i = j + 1;
	}
	return true;
}

bool path_join(const char *base, const char *rel, char **out, struct ferry_error **err)
{
	if (!path_check_relative(rel, strlen(rel), err))
		return false;
	size_t blen = strlen(base);
	while (blen > 1 && base[blen - 1] == '/')
		blen--;
	char *s = malloc(blen + strlen(rel) + 2);
	if (!s)
		return ferry_error_set(err, "out of memory");
	memcpy(s, base, blen);
	size_t o = blen;
	/* Fold empty and "." components so the result is canonical. */
	const char *p = rel;
	while (*p) {
		const char *q = strchr(p, '/');
		size_t n = q ? (size_t)(q - p) : strlen(p);
		if (n > 0 && !(n == 1 && p[0] == '.')) {
			if (o == 0 || s[o - 1] != '/')
				s[o++] = '/';
			memcpy(s + o, p, n);
			o += n;
		}
		p += n;
		if (*p == '/')
			p++;
	}
	s[o] = '\0';
	*out = s;
	return true;
}

bool mkdir_p(const char *dir, mode_t mode, struct ferry_error **err)
{
	char *copy = strdup(dir);
	if (!copy)
		return ferry_error_set(err, "out of memory");
	for (char *p = copy + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char saved = *p;
			*p = '\0';
			if (mkdir(copy, mode) < 0 && errno != EEXIST) {
				int e = errno;
				ferry_error_errno(err, e, "%s: create directory", copy);
				free(copy);
				return false;
			}
			*p = saved;
			if (saved == '\0')
				break;
		}
	}
	free(copy);
	struct stat st;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return ferry_error_set(err, "%s: not a directory", dir);
	return true;
}


/* fts without FTS_NOCHDIR walks by changing directory, so a tree deeper than
 * PATH_MAX (a leftover that nothing else could remove) is removed as well. */
bool remove_tree(const char *path, struct ferry_error **err)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? true : ferry_error_errno(err, errno, "%s", path);
	char *const roots[] = { (char *)path, NULL };
	FTS *fts = fts_open(roots, FTS_PHYSICAL, NULL);
	FTSENT *e;
	int failed = 0;
	if (!fts)
		return ferry_error_errno(err, errno, "%s: remove", path);
	while (!failed) {
		errno = 0;
		if (!(e = fts_read(fts))) {
			failed = errno;   /* 0: the walk is done */
			break;
		}
		if (e->fts_info == FTS_DNR || e->fts_info == FTS_ERR || e->fts_info == FTS_NS)
			failed = e->fts_errno ? e->fts_errno : EIO;
		else if (e->fts_info != FTS_D &&
			 (e->fts_info == FTS_DP ? rmdir(e->fts_accpath) : unlink(e->fts_accpath)) < 0 &&
			 errno != ENOENT)
			failed = errno;
	}
	fts_close(fts);
	return failed ? ferry_error_errno(err, failed, "%s: remove", path) : true;
}
