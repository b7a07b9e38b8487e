/* safefile: the only way ferry writes state or stick files, and joins paths.
 * Writes go to a temporary name, are fsynced, renamed and the directory
 * fsynced: a power cut or a pulled stick leaves the old file or the new one,
 * never a torn one. Path joins refuse '..', absolute parts and NUL. */
#ifndef FERRY_SAFEFILE_H
#define FERRY_SAFEFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "error.h"

/* Atomically replaces path with len bytes of data (mode for a new file). */
bool safe_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
		       struct ferry_error **err);

/* safe_write_atomic of name in the open folder dirfd (see safe_tmp_open_at). */
bool safe_write_atomic_at(int dirfd, const char *name, const char *path, const void *data,
			  size_t len, mode_t mode, struct ferry_error **err);

/* Streaming variant: safe_tmp_open creates "<path>.tmp" exclusively (an old
 * stale one is removed first); the caller writes into the fd with write_all;
 * safe_tmp_commit fsyncs, closes, renames and fsyncs the directory;
 * safe_tmp_abort closes and unlinks. Exactly one of commit/abort per open. */
struct safe_tmp {
	int fd;
	char *path;       /* final path */
	char *tmp_path;   /* path + ".tmp" */
	int dirfd;        /* the folder name and tmp_name are in (AT_FDCWD: path) */
	const char *name; /* the tail of path opened in dirfd */
	char *tmp_name;   /* name + ".tmp" */
};
bool safe_tmp_open(struct safe_tmp *t, const char *path, mode_t mode, struct ferry_error **err);
/* safe_tmp_open of name in the open folder dirfd (create, rename and fsync
 * go through dirfd, never through a path resolved again); path names the
 * same file in messages and must end with name. */
bool safe_tmp_open_at(struct safe_tmp *t, int dirfd, const char *name, const char *path,
		      mode_t mode, struct ferry_error **err);
bool safe_tmp_commit(struct safe_tmp *t, struct ferry_error **err);
void safe_tmp_abort(struct safe_tmp *t);

/* write(2) until all is written, retrying short writes and EINTR. */
bool write_all(int fd, const void *data, size_t len, const char *what, struct ferry_error **err);
/* read(2) until len bytes or end of file; *got says how many. */
bool read_full(int fd, void *buf, size_t len, size_t *got, const char *what, struct ferry_error **err);

/* fsync the directory that holds path (or path itself if it is a directory). */
bool fsync_parent_dir(const char *path, struct ferry_error **err);
bool fsync_dir(const char *dir, struct ferry_error **err);

/* Opens path for reading without blocking (a FIFO never hangs the caller),
 * fstat()s it and keeps it only when it is a regular file of at most max
 * bytes; with follow false a symbolic link as the last component is refused.
 * Refusals name the path and carry FERRY_E_UNSAFE. Returns the fd (blocking
 * reads again) or -1 with *st and *err filled. */
int open_regular(const char *path, bool follow, uint64_t max, struct stat *st,
		 struct ferry_error **err);
/* open_regular of name in the open folder dirfd (AT_FDCWD: name is a
 * path); path names the same file in messages. */
int open_regular_at(int dirfd, const char *name, const char *path, bool follow, uint64_t max,
		    struct stat *st, struct ferry_error **err);
/* Reads a whole regular file of at most max bytes into a NUL-terminated
 * malloc'd buffer (caller frees), through open_regular: a larger file, a
 * FIFO, device or folder is refused (FERRY_E_UNSAFE) naming the path.
 * Files that say size 0 (procfs, sysfs) are read up to max bytes. */
bool read_file_limited(const char *path, size_t max, char **data, size_t *len,
		       struct ferry_error **err);
/* read_file_limited that also refuses a symbolic link as the last component:
 * for files on a stick, which never follow links (common/stick.h). */
bool read_file_nofollow(const char *path, size_t max, char **data, size_t *len,
			struct ferry_error **err);
/* read_file_nofollow of name in the open folder dirfd: the folder is not
 * looked up again, so it cannot have been swapped for a link since it was
 * opened; path names the same file in messages. */
bool read_file_at(int dirfd, const char *name, const char *path, size_t max, char **data,
		  size_t *len, struct ferry_error **err);

/* Joins base and a relative path: refuses an absolute rel, any '..' component,
 * empty components are folded; NUL cannot occur in a C string but a length
 * with an embedded NUL is refused by path_check_relative. Caller frees *out. */
bool path_join(const char *base, const char *rel, char **out, struct ferry_error **err);
/* Checks that rel (of rel_len bytes) is a safe relative path. */
bool path_check_relative(const char *rel, size_t rel_len, struct ferry_error **err);

/* mkdir -p with mode for created directories. */
bool mkdir_p(const char *dir, mode_t mode, struct ferry_error **err);
/* rm -rf of a directory tree; does not follow symlinks. Missing is fine. */
bool remove_tree(const char *path, struct ferry_error **err);

#endif
