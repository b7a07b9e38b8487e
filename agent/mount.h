/* mount: puts a stick's filesystem into a private directory with libmount and
 * takes it away again. Always nosuid,nodev,noexec; the kernel's driver when
 * it has one (read-only until mount_writable), else a FUSE helper (exFAT:
 * exfat-fuse, read-write; FAT: fusefat, read-only because its write mode
 * corrupts). Unmounting falls back to a lazy
 * unmount when the stick vanished or its FUSE daemon died. */
#ifndef FERRY_AGENT_MOUNT_H
#define FERRY_AGENT_MOUNT_H

#include <stdbool.h>

#include "common/error.h"

#define MOUNT_OPTIONS "nosuid,nodev,noexec"

struct mount_point {
	char *dir;               /* <base>/<device name>, mode 0700 */
	char *devnode;
	char fs_type[32];        /* what was asked of libmount: "ext4", "exfat-fuse", "fuse.fusefat" */
	bool read_only;          /* stays read-only (fusefat): nothing is written */
	bool reading;            /* read-only for now: mount_writable before writing */
	bool fuse;
};

/* Mounts devnode (filesystem fs_type, as probed) at base_dir/<basename of
 * devnode>. base_dir is created 0700. On failure nothing stays mounted and the
 * directory is removed. */
bool mount_stick(const char *devnode, const char *fs_type, const char *base_dir, struct mount_point *out,
		 struct ferry_error **err);
/* A stick mounted by the kernel's driver is mounted read-only while ferry
 * reads it (m->reading); this remounts it read-write for the export and the
 * acknowledgement, the only writes. No-op for FUSE mounts. */
bool mount_writable(struct mount_point *m, struct ferry_error **err);
/* True while the mounted filesystem still answers (a pulled stick under FUSE
 * answers ENOTCONN, a vanished kernel device EIO). */
bool mount_alive(const struct mount_point *m);
/* Unmounts (lazily when lazy is true or the normal unmount fails), removes the
 * directory and frees the fields. *was_lazy tells whether it had to detach. */
bool mount_release(struct mount_point *m, bool lazy, bool *was_lazy, struct ferry_error **err);

#endif
