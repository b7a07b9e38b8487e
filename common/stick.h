/* stick: every path on a ferry stick, in one place (layout 1, docs/media.md §1).
 * Owns the names below the stick's ferry/ folder and the layout version that
 * MEDIA.json carries. Promises: nothing below a stick of a newer layout is
 * read or written (the refusal names MEDIA.json and both versions); every
 * folder is opened beneath ferry/ one component at a time without following
 * a symbolic link, so a later pass can do every open relative to its fd.
 *
 *   ferry/MEDIA.json                    index, "layout": 1 (common/media.c)
 *   ferry/bundles/<name>-<version>.ferry
 *   ferry/policy/policy.json(.sig), keys.asc
 *   ferry/audit/<device>/<exports>, inventory.json(.sig)   written by devices
 *   ferry/audit/<device>/logs/<seq>.zst(.sig)               failure logs, by devices
 *   ferry/ack/<device>.json(.sig)                           written by HQ
 *   ferry/orders/<id>.json(.sig)     work orders (common/order.h), by ferry-keys */
#ifndef FERRY_STICK_H
#define FERRY_STICK_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct stat;

/* The layout this code reads and writes. A stick whose MEDIA.json names no
 * layout (written before the field existed), or has no MEDIA.json, is 1. */
#define STICK_LAYOUT     1
#define STICK_DIR        "ferry"
#define STICK_INDEX      "MEDIA.json"     /* the one upper-case name: fixed by the design */
#define STICK_INDEX_MAX  (1024 * 1024)
#define STICK_INVENTORY  "inventory.json"
/* Folder names below ferry/ (use stick_dir_open; these are for messages). */
#define STICK_BUNDLES_DIR "bundles"
#define STICK_POLICY_DIR  "policy"
#define STICK_AUDIT_DIR   "audit"
#define STICK_ACK_DIR     "ack"
#define STICK_ORDERS_DIR  "orders"
#define STICK_LOGS_DIR    "logs"

/* The folders of layout 1, below ferry/. */
enum stick_place {
	STICK_TOP,           /* ferry/ itself */
	STICK_BUNDLES,       /* ferry/bundles/ */
	STICK_POLICY,        /* ferry/policy/ */
	STICK_AUDIT,         /* ferry/audit/: one folder per device */
	STICK_DEVICE_AUDIT,  /* ferry/audit/<device>/ */
	STICK_ACK,           /* ferry/ack/ */
	STICK_ORDERS,        /* ferry/orders/: <id>.json and <id>.json.sig */
	STICK_DEVICE_LOGS,   /* ferry/audit/<device>/logs/: failure log excerpts */
};

/* The layout of the stick whose ferry/ folder is top: MEDIA.json's "layout"
 * (1 when there is no MEDIA.json, it names none, or it is not JSON at all:
 * the index is unsigned and a damaged one is media.c's to report). A layout
 * that is not a positive integer, or newer than STICK_LAYOUT, is refused
 * (FERRY_E_FORMAT). */
bool stick_layout_check(const char *top, struct ferry_error **err);

/* Is root (a mounted stick, or a directory named as one) a ferry stick, i.e.
 * does it hold a ferry/ folder? If not, false with a FERRY_E_USAGE error
 * naming root; a ferry/ that is a symbolic link or not a folder is
 * FERRY_E_UNSAFE. Either way nothing is read from it or written onto it (no
 * audit export, no record marked exported). */
bool stick_present(const char *root, struct ferry_error **err);

/* An open folder of a stick. */
struct stick_dir {
	int fd;          /* O_DIRECTORY, opened beneath top without following links; -1: absent */
	char *path;      /* the same folder as a path (for the path-based readers of today) */
};
/* Opens place below top (device: the device id for STICK_DEVICE_AUDIT, else
 * NULL) after stick_layout_check. With create, missing folders are made
 * (0755); without, a missing folder is not an error: out->fd is -1 and
 * out->path still names it. A symbolic link or non-folder on the way is
 * refused (FERRY_E_UNSAFE). Close with stick_dir_close. */
bool stick_dir_open(const char *top, enum stick_place place, const char *device, bool create,
		    struct stick_dir *out, struct ferry_error **err);
void stick_dir_close(struct stick_dir *d);
/* d's path joined with name, a single FAT-safe component; caller frees. */
bool stick_dir_file(const struct stick_dir *d, const char *name, char **path,
		    struct ferry_error **err);

/* The files of an open folder, by name (a single FAT-safe component,
 * media_name_check): opened, read and written through d->fd, never through
 * a path looked up again, without following a link, non-blocking until
 * fstat shows a regular file of at most max bytes. Refusals carry
 * FERRY_E_UNSAFE (a link, FIFO, device, a name outside the rules, too large)
 * and name the path; a folder that is absent (d->fd < 0) reads as ENOENT. */
bool stick_file_read(const struct stick_dir *d, const char *name, size_t max, char **data,
		     size_t *len, struct ferry_error **err);
/* The open fd (blocking reads), or -1 with *err. */
int stick_file_open(const struct stick_dir *d, const char *name, uint64_t max, struct stat *st,
		    struct ferry_error **err);
/* Writes name atomically in d (safe_write_atomic_at, mode 0644). */
bool stick_file_write(const struct stick_dir *d, const char *name, const void *data, size_t len,
		      struct ferry_error **err);

/* A listing of the open folder d (readdir; closedir it), through its fd;
 * NULL when d is absent or on an error. */
DIR *stick_dir_list(const struct stick_dir *d);

/* Opens name, one component, beneath the open folder dirfd without
 * following a symbolic link (openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS,
 * O_NOFOLLOW where the kernel lacks openat2); flags as for openat, O_NOFOLLOW
 * and O_CLOEXEC are added. An fd, or -1 with errno (ELOOP: a link; EXDEV: a
 * name that would leave dirfd). */
int stick_openat(int dirfd, const char *name, int flags);
/* "<seq>.zst" (seq zero-padded to 8 digits): the failure log excerpt that
 * the device's record seq names, in STICK_DEVICE_LOGS (out holds 32 bytes).
 * stick_log_name_parse is its inverse: false for any other name. */
bool stick_log_name(uint64_t seq, char out[32], struct ferry_error **err);
bool stick_log_name_parse(const char *name, uint64_t *seq);

/* "<device>.json": the ack file of device in STICK_ACK (out holds 64 bytes). */
bool stick_ack_name(const char *device, char out[64], struct ferry_error **err);

/* top for a mounted stick: "<mount>/ferry"; caller frees (NULL: out of memory). */
char *stick_top(const char *mount);

#endif
