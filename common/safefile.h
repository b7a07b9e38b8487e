/* safefile: the only way ferry writes state or stick files, and joins paths.
 * Writes go to a temporary name, are fsynced, renamed and the directory
 * fsynced: a power cut or a pulled stick leaves the old file or the new one,
 * never a torn one. Path joins refuse '..', absolute parts and NUL. */
#ifndef FERRY_SAFEFILE_H
#define FERRY_SAFEFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

/* Atomically replaces path with len bytes of data (mode for a new file). */
bool safe_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
		       struct ferry_error **err);

/* Streaming variant: safe_tmp_open creates "<path>.tmp" exclusively (an old
 * stale one is removed first); the caller writes into the fd with write_all;
 * safe_tmp_commit fsyncs, closes, renames and fsyncs the directory;
 * safe_tmp_abort closes and unlinks. Exactly one of commit/abort per open. */
struct safe_tmp {
	int fd;
	char *path;       /* final path */
	char *tmp_path;   /* path + ".tmp" */
};
bool safe_tmp_open(struct safe_tmp *t, const char *path, mode_t mode, struct ferry_error **err);
bool safe_tmp_commit(struct safe_tmp *t, struct ferry_error **err);
void safe_tmp_abort(struct safe_tmp *t);

/* write(2) until all is written, retrying short writes and EINTR. */
bool write_all(int fd, const void *data, size_t len, const char *what, struct ferry_error **err);
/* read(2) until len bytes or end of file; *got says how many. */
bool read_full(int fd, void *buf, size_t len, size_t *got, const char *what, struct ferry_error **err);

/* fsync the directory that holds path (or path itself if it is a directory). */
bool fsync_parent_dir(const char *path, struct ferry_error **err);
bool fsync_dir(const char *dir, struct ferry_error **err);

/* Reads a whole regular file of at most max bytes into a NUL-terminated
 * malloc'd buffer (caller frees); a larger file is an error naming the limit.
 * Files that say size 0 (procfs, sysfs) are read up to max bytes. */
bool read_file_limited(const char *path, size_t max, char **data, size_t *len,
		       struct ferry_error **err);

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
