/* mount: see mount.h. */
#include "agent/mount.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <libmount.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "common/log.h"
#include "common/safefile.h"

/* When the kernel has no driver for a type: the FUSE helper libmount runs
 * (/sbin/mount.<type>) and whether it is safe to write through it. */
static const struct {
	const char *fs_type, *helper_type;
	bool read_only;
} fuse_fallbacks[] = {
	{ "exfat", "exfat-fuse", false },
	{ "vfat", "fuse.fusefat", true },    /* fusefat's read-write mode corrupts FAT */
	{ "msdos", "fuse.fusefat", true },
};

static bool try_mount(const char *src, const char *target, const char *type, bool read_only,
		      int *syscall_errno, struct ferry_error **err)
{
	bool ok = false;
	char msg[256] = "";
	struct libmnt_context *cxt = mnt_new_context();
	if (!cxt)
		return ferry_error_set(err, "libmount: out of memory");
	*syscall_errno = 0;
	if (mnt_context_set_source(cxt, src) || mnt_context_set_target(cxt, target) ||
	    mnt_context_set_fstype(cxt, type) ||
	    mnt_context_set_options(cxt, read_only ? MOUNT_OPTIONS ",ro" : MOUNT_OPTIONS)) {
		ferry_error_set(err, "libmount: cannot set up the mount of %s", src);
		goto out;
	}
	int rc = mnt_context_mount(cxt);
	if (rc == 0 && mnt_context_get_status(cxt) == 1) {
		ok = true;
		goto out;
	}
	*syscall_errno = mnt_context_syscall_called(cxt) ? mnt_context_get_syscall_errno(cxt) : 0;
	mnt_context_get_excode(cxt, rc, msg, sizeof(msg));
	ferry_error_set(err, "mount %s (%s) on %s: %s", src, type, target, msg[0] ? msg : "failed");
out:
	mnt_free_context(cxt);
	return ok;
}

static bool make_dir(const char *base_dir, const char *devnode, char **dir, struct ferry_error **err)
{
	char *copy = strdup(devnode);
	bool ok = copy && asprintf(dir, "%s/%s", base_dir, basename(copy)) > 0;
	free(copy);
	if (!ok) {
		*dir = NULL;
		return ferry_error_set(err, "out of memory");
	}
	struct stat st;
	if (!mkdir_p(base_dir, 0700, err))
		return false;
	/* Others must not be able to swap the mount point for a symlink. */
	if (lstat(base_dir, &st) < 0)
		return ferry_error_errno(err, errno, "%s", base_dir);
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022))
		return ferry_error_set(err, "%s: the mount directory must be a directory of ours that others "
				       "cannot write", base_dir);
	/* A directory left by a crash: empty it is harmless, mounted it is busy. */
	if (rmdir(*dir) < 0 && errno != ENOENT)
		return ferry_error_errno(err, errno, "%s: left over from an earlier run and not empty", *dir);
	if (mkdir(*dir, 0700) < 0)
		return ferry_error_errno(err, errno, "%s: create", *dir);
	return true;
}

/* Some FUSE helpers drop options (mount.exfat-fuse forgets noexec): make the
 * mount point's own flags say nosuid,nodev,noexec with a bind remount, and
 * check that they do. */
static bool enforce_flags(const struct mount_point *m, struct ferry_error **err)
{
	const unsigned long want = ST_NOSUID | ST_NODEV | ST_NOEXEC;
	struct statvfs vfs;
	if (statvfs(m->dir, &vfs) < 0)
		return ferry_error_errno(err, errno, "%s: statvfs", m->dir);
	if ((vfs.f_flag & want) == want)
		return true;
	unsigned long flags = MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV | MS_NOEXEC |
			      ((vfs.f_flag & ST_RDONLY) ? MS_RDONLY : 0);
	if (mount(NULL, m->dir, NULL, flags, NULL) < 0)
		return ferry_error_errno(err, errno, "%s: remount nosuid,nodev,noexec", m->dir);
	if (statvfs(m->dir, &vfs) < 0 || (vfs.f_flag & want) != want)
		return ferry_error_set(err, "%s: the mount stays without nosuid,nodev,noexec", m->dir);
	return true;
}

/* After a successful mount: the flags enforced, or nothing left mounted. */
static bool mounted(struct mount_point *out, struct ferry_error **err)
{
	bool was_lazy;
	if (enforce_flags(out, err))
		return true;
	mount_release(out, false, &was_lazy, NULL);
	return false;
}

bool mount_stick(const char *devnode, const char *fs_type, const char *base_dir, struct mount_point *out,
		 struct ferry_error **err)
{
	struct ferry_error *kernel_err = NULL;
	int sys_errno = 0;
	memset(out, 0, sizeof(*out));
	if (!fs_type || !*fs_type)
		return ferry_error_set(err, "%s: no filesystem found on it", devnode);
	if (!make_dir(base_dir, devnode, &out->dir, err) || !(out->devnode = strdup(devnode)))
		goto fail;
	snprintf(out->fs_type, sizeof(out->fs_type), "%s", fs_type);
	/* read-only while ferry only reads: a stick pulled then is left clean
	 * (no FAT dirty bit); mount_writable before the export */
	if (try_mount(devnode, out->dir, fs_type, true, &sys_errno, &kernel_err)) {
		out->reading = true;
		return mounted(out, err);
	}
	for (size_t i = 0; i < sizeof(fuse_fallbacks) / sizeof(fuse_fallbacks[0]); i++) {
		if (strcmp(fuse_fallbacks[i].fs_type, fs_type) != 0 || (sys_errno && sys_errno != ENODEV))
			continue;
		log_info("%s: %s; trying FUSE (%s%s)", devnode, ferry_error_message(kernel_err),
			 fuse_fallbacks[i].helper_type, fuse_fallbacks[i].read_only ? ", read-only" : "");
		snprintf(out->fs_type, sizeof(out->fs_type), "%s", fuse_fallbacks[i].helper_type);
		out->read_only = fuse_fallbacks[i].read_only;
		out->fuse = true;
		if (try_mount(devnode, out->dir, out->fs_type, out->read_only, &sys_errno, err)) {
			ferry_error_free(kernel_err);
			return mounted(out, err);
		}
		goto fail;
	}
	ferry_error_set(err, "%s", ferry_error_message(kernel_err));
fail:
	ferry_error_free(kernel_err);
	if (out->dir)
		rmdir(out->dir);
	free(out->dir);
	free(out->devnode);
	memset(out, 0, sizeof(*out));
	return false;
}

bool mount_writable(struct mount_point *m, struct ferry_error **err)
{
	if (!m->reading)
		return true;   /* FUSE: mounted as it will stay */
	const unsigned long flags = MS_REMOUNT | MS_NOSUID | MS_NODEV | MS_NOEXEC;
	struct statvfs vfs;
	if (mount(NULL, m->dir, NULL, flags, NULL) < 0)
		return ferry_error_errno(err, errno, "%s: remount read-write for the export", m->dir);
	/* enforce_flags' bind remount may have made the mount point itself ro */
	if (statvfs(m->dir, &vfs) == 0 && (vfs.f_flag & ST_RDONLY) &&
	    mount(NULL, m->dir, NULL, flags | MS_BIND, NULL) < 0)
		return ferry_error_errno(err, errno, "%s: remount read-write for the export", m->dir);
	m->reading = false;
	return true;
}

static bool device_present(const char *devnode)
{
	uint64_t size = 0;
	int fd = open(devnode, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return false;
	bool ok = ioctl(fd, BLKGETSIZE64, &size) == 0 && size > 0;
	close(fd);
	return ok;
}

bool mount_alive(const struct mount_point *m)
{
	struct statfs sfs;
	return m->dir && statfs(m->dir, &sfs) == 0 && device_present(m->devnode);
}

bool mount_release(struct mount_point *m, bool lazy, bool *was_lazy, struct ferry_error **err)
{
	bool ok = true;
	*was_lazy = false;
	if (!m->dir)
		return true;
	if (!lazy) {
		struct libmnt_context *cxt = mnt_new_context();
		lazy = !cxt || mnt_context_set_target(cxt, m->dir) || mnt_context_umount(cxt) != 0 ||
		       mnt_context_get_status(cxt) != 1;
		mnt_free_context(cxt);
		if (lazy)
			log_warn("%s: unmount failed; detaching it lazily", m->dir);
	}
	if (lazy) {
		*was_lazy = true;
		if (umount2(m->dir, MNT_DETACH) < 0 && errno != EINVAL)   /* EINVAL: not mounted any more */
			ok = ferry_error_errno(err, errno, "%s: lazy unmount", m->dir);
	}
	if (ok && rmdir(m->dir) < 0)
		log_warn("%s: cannot remove the mount directory: %s", m->dir, strerror(errno));
	free(m->dir);
	free(m->devnode);
	memset(m, 0, sizeof(*m));
	return ok;
}
