/* stick: see stick.h. The names of layout 1 and opening its folders. */
#include "stick.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "auditlog.h"
#include "media.h"
#include "safefile.h"

/* The folders of each place below ferry/; DEVICE stands for the device id. */
static const char DEVICE[] = "<device>";
static const char *const places[][4] = {
	[STICK_TOP] = { NULL },
	[STICK_BUNDLES] = { STICK_BUNDLES_DIR, NULL },
	[STICK_POLICY] = { STICK_POLICY_DIR, NULL },
	[STICK_AUDIT] = { STICK_AUDIT_DIR, NULL },
	[STICK_DEVICE_AUDIT] = { STICK_AUDIT_DIR, DEVICE, NULL },
	[STICK_ACK] = { STICK_ACK_DIR, NULL },
	[STICK_ORDERS] = { STICK_ORDERS_DIR, NULL },
	[STICK_DEVICE_LOGS] = { STICK_AUDIT_DIR, DEVICE, STICK_LOGS_DIR, NULL },
};

char *stick_top(const char *mount)
{
	char *out = NULL;
	return asprintf(&out, "%s/%s", mount, STICK_DIR) < 0 ? NULL : out;
}

/* The layout MEDIA.json's bytes name; 1 when they name none. */
static bool layout_of(const char *data, size_t len, const char *path, struct ferry_error **err)
{
	json_t *root = json_loadb(data, len, 0, NULL);
	json_t *v = json_is_object(root) ? json_object_get(root, "layout") : NULL;
	json_int_t layout = v ? (json_is_integer(v) ? json_integer_value(v) : 0) : 1;
	json_decref(root);
	if (layout < 1)
		return ferry_error_setc(err, FERRY_E_FORMAT, "%s: layout must be a positive integer", path);
	if (layout > STICK_LAYOUT)
		return ferry_error_setc(err, FERRY_E_FORMAT, "%s: stick layout %lld is newer than this "
					"program knows (%d): upgrade ferry to use this stick", path,
					(long long)layout, STICK_LAYOUT);
	return true;
}

bool stick_present(const char *root, struct ferry_error **err)
{
	char *top = NULL;
	struct stat st;
	if (asprintf(&top, "%s/%s", root, STICK_DIR) < 0)
		return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
	bool ok = false;
	if (lstat(top, &st) != 0)
		ferry_error_setc(err, FERRY_E_USAGE, "%s: not a ferry stick: it has no %s/ folder "
				 "(docs/media.md); nothing was read or written", root, STICK_DIR);
	else if (!S_ISDIR(st.st_mode))   /* a link into the device is hostile, not "no stick" */
		ferry_error_setc(err, FERRY_E_UNSAFE, "%s: a symbolic link or not a folder: refused; "
				 "nothing was read or written", top);
	else
		ok = true;
	free(top);
	return ok;
}

static bool layout_check_at(int topfd, const char *top, struct ferry_error **err);

bool stick_layout_check(const char *top, struct ferry_error **err)
{
	return layout_check_at(AT_FDCWD, top, err);
}

/* stick_layout_check with MEDIA.json read in topfd (ferry/, open), or by
 * path below top with AT_FDCWD. */
static bool layout_check_at(int topfd, const char *top, struct ferry_error **err)
{
	char *path = NULL, *data = NULL;
	size_t len = 0;
	struct stat st;
	bool ok = false;
	if (!path_join(top, STICK_INDEX, &path, err))
		return false;
	const char *name = topfd == AT_FDCWD ? path : STICK_INDEX;
	if (fstatat(topfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT)
		ok = true;   /* no index: a stick of layout 1 */
	else
		ok = read_file_at(topfd, name, path, STICK_INDEX_MAX, &data, &len, err) &&
		     layout_of(data, len, path, err);
	free(data);
	free(path);
	return ok;
}

#ifdef SYS_openat2
/* openat2 beneath dirfd, no link followed anywhere on the way; -1 with
 * errno ENOSYS where the kernel lacks it (before 5.6). */
static int openat2_beneath(int dirfd, const char *rel, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)flags,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	return (int)syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));
}
#else
static int openat2_beneath(int dirfd, const char *rel, int flags)
{
	(void)dirfd, (void)rel, (void)flags;
	errno = ENOSYS;
	return -1;
}
#endif

int stick_openat(int dirfd, const char *name, int flags)
{
	if (strchr(name, '/') || strcmp(name, "..") == 0) {
		errno = EXDEV;   /* one component beneath dirfd, as openat2 says for an escape */
		return -1;
	}
	int fd = openat2_beneath(dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOSYS)   /* one component: O_NOFOLLOW is the same promise */
		fd = openat(dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC);
	return fd;
}

/* Opens (or with create makes and opens) the folder name below dirfd:
 * an fd, -1 when it is absent (and not to be made), -2 on an error. */
static int open_below(int dirfd, const char *name, const char *path, bool create,
		      struct ferry_error **err)
{
	const int flags = O_RDONLY | O_DIRECTORY;
	int fd = stick_openat(dirfd, name, flags);
	if (fd < 0 && errno == ENOENT && create &&
	    (mkdirat(dirfd, name, 0755) == 0 || errno == EEXIST))
		fd = stick_openat(dirfd, name, flags);
	if (fd >= 0)
		return fd;
	if (errno == ENOENT && !create)
		return -1;
	if (errno == ELOOP || errno == ENOTDIR || errno == EXDEV)
		ferry_error_setc(err, FERRY_E_UNSAFE, "%s: a symbolic link or not a folder: refused",
				 path);
	else
		ferry_error_errno(err, errno, "%s", path);
	return -2;
}

/* Walks the components of place from the open top folder; -1: absent. */
static bool walk(struct stick_dir *d, enum stick_place place, const char *device, bool create,
		 struct ferry_error **err)
{
	for (size_t i = 0; places[place][i]; i++) {
		const char *name = places[place][i] == DEVICE ? device : places[place][i];
		char *next = NULL;
		if (!path_join(d->path, name, &next, err))
			return false;
		free(d->path);
		d->path = next;
		if (d->fd < 0)
			continue;   /* absent already: only the path grows */
		int fd = open_below(d->fd, name, d->path, create, err);
		close(d->fd);
		d->fd = fd;
		if (fd == -2) {
			d->fd = -1;
			return false;
		}
	}
	return true;
}

/* Opens top (ferry/) in its mount folder, never through a symbolic link;
 * with create the mount folder is made when missing (tests, local folders). */
static bool open_top(struct stick_dir *d, bool create, struct ferry_error **err)
{
	char *mount = strdup(d->path), *slash = mount ? strrchr(mount, '/') : NULL;
	bool ok = false;
	if (!mount)
		return ferry_error_set(err, "out of memory");
	if (slash)
		*slash = '\0';
	if (create && slash && mount[0] && !mkdir_p(mount, 0755, err))
		goto out;
	int mfd = open(slash ? (mount[0] ? mount : "/") : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mfd < 0) {
		ok = errno == ENOENT && !create ? true : ferry_error_errno(err, errno, "%s", mount);
		goto out;
	}
	d->fd = open_below(mfd, slash ? slash + 1 : d->path, d->path, create, err);
	close(mfd);
	ok = d->fd != -2;
	if (!ok)
		d->fd = -1;
out:
	free(mount);
	return ok;
}

bool stick_dir_open(const char *top, enum stick_place place, const char *device, bool create,
		    struct stick_dir *out, struct ferry_error **err)
{
	out->fd = -1;
	out->path = NULL;
	if ((place == STICK_DEVICE_AUDIT || place == STICK_DEVICE_LOGS) &&
	    !auditlog_device_id_valid(device))
		return ferry_error_setc(err, FERRY_E_FORMAT, "'%s': not a valid device id",
					device ? device : "");
	if (!(out->path = strdup(top)))
		return ferry_error_set(err, "out of memory");
	/* ferry/ first: a link there is refused before anything below is read */
	if (!open_top(out, create, err) || (out->fd >= 0 && !layout_check_at(out->fd, top, err))) {
		stick_dir_close(out);
		return false;
	}
	if (!walk(out, place, device, create, err)) {
		stick_dir_close(out);
		return false;
	}
	return true;
}

void stick_dir_close(struct stick_dir *d)
{
	if (d->fd >= 0)
		close(d->fd);
	free(d->path);
	d->fd = -1;
	d->path = NULL;
}

bool stick_dir_file(const struct stick_dir *d, const char *name, char **path,
		    struct ferry_error **err)
{
	if (!media_name_check(name, err)) {
		ferry_error_classify(err, FERRY_E_UNSAFE);
		return false;
	}
	return path_join(d->path, name, path, err);
}

/* The checked name's path in d for messages; false when name breaks the
 * rules or d is absent (then ENOENT, as an open would say). */
static bool file_in(const struct stick_dir *d, const char *name, char **path,
		    struct ferry_error **err)
{
	if (!stick_dir_file(d, name, path, err))
		return false;
	if (d->fd >= 0)
		return true;
	ferry_error_errno(err, ENOENT, "%s", *path);
	free(*path);
	*path = NULL;
	return false;
}

bool stick_file_read(const struct stick_dir *d, const char *name, size_t max, char **data,
		     size_t *len, struct ferry_error **err)
{
	char *path = NULL;
	bool ok = file_in(d, name, &path, err) && read_file_at(d->fd, name, path, max, data, len, err);
	free(path);
	return ok;
}

int stick_file_open(const struct stick_dir *d, const char *name, uint64_t max, struct stat *st,
		    struct ferry_error **err)
{
	char *path = NULL;
	int fd = file_in(d, name, &path, err) ? open_regular_at(d->fd, name, path, false, max, st, err)
					       : -1;
	free(path);
	return fd;
}

bool stick_file_write(const struct stick_dir *d, const char *name, const void *data, size_t len,
		      struct ferry_error **err)
{
	char *path = NULL;
	bool ok = file_in(d, name, &path, err) &&
		  safe_write_atomic_at(d->fd, name, path, data, len, 0644, err);
	free(path);
	return ok;
}

DIR *stick_dir_list(const struct stick_dir *d)
{
	int fd = d->fd >= 0 ? fcntl(d->fd, F_DUPFD_CLOEXEC, 0) : -1;
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	if (fd >= 0 && !dir)
		close(fd);
	else if (dir)
		rewinddir(dir);   /* the dup shares its offset with d->fd */
	return dir;
}

bool stick_log_name(uint64_t seq, char out[32], struct ferry_error **err)
{
	if (seq < 1)
		return ferry_error_setc(err, FERRY_E_FORMAT, "failure log: seq must be at least 1");
	snprintf(out, 32, "%08" PRIu64 ".zst", seq);
	return true;
}

bool stick_log_name_parse(const char *name, uint64_t *seq)
{
	char canon[32];
	uint64_t v = 0;
	size_t i = 0;
	for (; name[i] >= '0' && name[i] <= '9' && i < 20; i++)
		v = v * 10 + (uint64_t)(name[i] - '0');
	/* one spelling per seq: what stick_log_name writes, nothing else */
	if (i < 8 || i >= 20 || !stick_log_name(v, canon, NULL) || strcmp(canon, name) != 0)
		return false;
	*seq = v;
	return true;
}

bool stick_ack_name(const char *device, char out[64], struct ferry_error **err)
{
	if (!auditlog_device_id_valid(device))
		return ferry_error_setc(err, FERRY_E_FORMAT, "'%s': not a valid device id",
					device ? device : "");
	snprintf(out, 64, "%s.json", device);
	return true;
}
