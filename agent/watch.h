/* watch: the `ferry-agent watch` daemon loop. Listens on libudev's monitor
 * (poll: no CPU while idle), handles the block devices already present, and
 * for each one that matches the rules and the allow-list: mount, process
 * (the shared install path, a callback), export the audit log, sync, unmount,
 * notify. One stick at a time; a pulled stick is reported and detached, and
 * the loop goes on. What happens inside the stick is the callbacks' business. */
#ifndef FERRY_AGENT_WATCH_H
#define FERRY_AGENT_WATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "agent/notify.h"
#include "common/error.h"
#include "common/media.h"

/* A rule: the udev property key must exist and match the fnmatch(3) glob
 * pattern ("usb", "/dev/loop*", "FERRY*", "*" for "present"); '|' separates
 * alternatives ("vfat|exfat|ext4"). DEVNAME is the
 * device node ("/dev/sdb1"); ID_FS_TYPE and ID_FS_LABEL are probed with
 * libblkid when udev did not provide them. A device also needs a filesystem. */
struct watch_rule {
	const char *key, *pattern;
};
/* An allow-list entry: globs (with '|') over the stick's USB identity (NULL: "*");
 * vendor and product compare case-insensitively. */
struct watch_allow {
	const char *vendor, *product, *serial;
};

/* The shared install path: process the stick mounted at mount_dir. Returns the
 * result; *summary (malloc'd, may stay NULL) says what was done, *err why it
 * failed or was refused. */
typedef enum notify_result (*watch_process_fn)(const char *mount_dir, const struct media_identity *id,
					       void *ctx, char **summary, struct ferry_error **err);
/* Writes the audit log (and inventory) onto the stick mounted at mount_dir. */
typedef bool (*watch_export_fn)(const char *mount_dir, const struct media_identity *id, void *ctx,
				struct ferry_error **err);
/* Audits a stick refused by the allow-list ("media.refused"). */
typedef void (*watch_refused_fn)(const struct media_identity *id, const char *reason, void *ctx);

struct watch_config {
	const struct watch_rule *match;    /* all must match */
	size_t n_match;
	const struct watch_allow *allow;   /* empty: any stick */
	size_t n_allow;
	const char *mount_dir;             /* base of the private mount directories */
	const char *notify;                /* hook program or NULL */
	const char *source;                /* "udev", "kernel", or NULL: udev when udevd runs */
	int stop_fd;                       /* readable: stop after the current stick (-1: none) */
	int max_sticks;                    /* > 0: stop after this many handled sticks (tests) */
	watch_process_fn process;
	watch_export_fn export_audit;      /* NULL: no export */
	watch_refused_fn refused;          /* NULL: not audited */
	void (*after_stick)(void *ctx);    /* after the last notify of a stick (NULL: none) */
	void *ctx;
};

typedef const char *(*watch_prop_fn)(void *ctx, const char *key);
/* True when every rule matches the properties get() returns. */
bool watch_rules_match(const struct watch_rule *rules, size_t n, watch_prop_fn get, void *ctx);
/* True when the allow-list is empty or an entry matches id. */
bool watch_allowed(const struct watch_allow *allow, size_t n, const struct media_identity *id);

/* Handles one stick whose identity is known: allow-list, mount, process,
 * export, sync, unmount, notify. Returns the result it notified. */
enum notify_result watch_handle_stick(const struct watch_config *cfg, const struct media_identity *id);

/* The daemon loop; returns true after a clean stop, false (with err) when the
 * monitor cannot be set up or fails. */
bool watch_run(const struct watch_config *cfg, struct ferry_error **err);

#endif
