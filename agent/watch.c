/* watch: see watch.h. */
#include "agent/watch.h"

#include <blkid.h>
#include <errno.h>
#include <fnmatch.h>
#include <libudev.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent/mount.h"
#include "common/log.h"
#include "common/usbinfo.h"

#define MONITOR_BUFFER (16 * 1024 * 1024)   /* events queue up while a stick is processed */
#define MAX_TRACKED 256

/* pattern is one or more globs separated by '|'; NULL matches anything. */
static bool glob_ok(const char *pattern, const char *value, int flags)
{
	if (!pattern)
		return true;
	if (!value)
		return false;
	char *copy = strdup(pattern), *save = NULL;
	bool ok = false;
	for (char *alt = copy ? strtok_r(copy, "|", &save) : NULL; alt && !ok; alt = strtok_r(NULL, "|", &save))
		ok = fnmatch(alt, value, flags) == 0;
	free(copy);
	return ok;
}

bool watch_rules_match(const struct watch_rule *rules, size_t n, watch_prop_fn get, void *ctx)
{
	for (size_t i = 0; i < n; i++)
		if (!glob_ok(rules[i].pattern, get(ctx, rules[i].key), 0))
			return false;
	const char *fs = get(ctx, "ID_FS_TYPE");
	return fs && *fs;
}

bool watch_allowed(const struct watch_allow *allow, size_t n, const struct media_identity *id)
{
	if (n == 0)
		return true;
	for (size_t i = 0; i < n; i++)
		if (glob_ok(allow[i].vendor, id->vendor, FNM_CASEFOLD) &&
		    glob_ok(allow[i].product, id->product, FNM_CASEFOLD) && glob_ok(allow[i].serial, id->serial, 0))
			return true;
	return false;
}

/* --- one stick ----------------------------------------------------------- */

/* Adds "<prefix><text>" to the message, "; "-separated. */
static void append(char **msg, const char *prefix, const char *text)
{
	char *joined = NULL;
	if (asprintf(&joined, "%s%s%s%s", *msg ? *msg : "", *msg ? "; " : "", prefix, text) >= 0) {
		free(*msg);
		*msg = joined;
	}
}

static enum notify_result notify(const struct watch_config *cfg, const struct media_identity *id,
				 enum notify_result result, const char *message, bool may_pull)
{
	struct ferry_error *err = NULL;
	struct notify_event ev = { .result = result, .message = message, .id = id, .may_pull = may_pull };
	if (!notify_send(cfg->notify, &ev, NOTIFY_TIMEOUT_S, &err))
		log_warn("%s", ferry_error_message(err));
	ferry_error_free(err);
	return result;
}

enum notify_result watch_handle_stick(const struct watch_config *cfg, const struct media_identity *id)
{
	struct ferry_error *err = NULL;
	struct mount_point mp;
	char *summary = NULL, *msg = NULL;
	enum notify_result result;
	bool lazy = false, was_lazy = false;

	if (!watch_allowed(cfg->allow, cfg->n_allow, id)) {
		char reason[400];
		snprintf(reason, sizeof(reason), "stick not on the allow-list (vendor %s, product %s, serial %s)",
			 id->vendor[0] ? id->vendor : "?", id->product[0] ? id->product : "?",
			 id->serial[0] ? id->serial : "?");
		if (cfg->refused)
			cfg->refused(id, reason, cfg->ctx);
		return notify(cfg, id, NOTIFY_REFUSED, reason, true);
	}
	notify(cfg, id, NOTIFY_BUSY, "working with the stick", false);
	if (!mount_stick(id->devnode, id->fs_type, cfg->mount_dir, &mp, &err)) {
		result = notify(cfg, id, NOTIFY_FAILURE, ferry_error_message(err), true);
		ferry_error_free(err);
		return result;
	}
	log_info("%s: mounted %s (%s%s)", id->devnode, mp.dir, mp.fs_type, mp.read_only ? ", read-only" : "");
	result = cfg->process(mp.dir, id, cfg->ctx, &summary, &err);
	if (summary)
		append(&msg, "", summary);
	if (err)
		append(&msg, "", ferry_error_message(err));
	ferry_error_clear(&err);
	if (!mount_alive(&mp)) {
		/* The install path abandons safely on I/O errors; say why it failed. */
		result = NOTIFY_FAILURE;
		append(&msg, "", "the stick was pulled or stopped answering: nothing more was done");
		lazy = true;
	} else if (mp.read_only) {
		append(&msg, "audit log not exported: the stick is mounted read-only through ", mp.fs_type);
	} else if (cfg->export_audit && !cfg->export_audit(mp.dir, id, cfg->ctx, &err)) {
		append(&msg, "audit export failed: ", ferry_error_message(err));
		ferry_error_clear(&err);
		/* An install that happened stays a success (the records wait on
		 * the device for the next stick); with nothing installed, the
		 * export was all the stick was for. */
		if (result == NOTIFY_NOTHING)
			result = NOTIFY_FAILURE;
	}
	if (!lazy && !media_sync(mp.dir, &err)) {
		append(&msg, "", ferry_error_message(err));
		ferry_error_clear(&err);
		result = NOTIFY_FAILURE;
		lazy = true;
	}
	if (!mount_release(&mp, lazy, &was_lazy, &err)) {
		append(&msg, "", ferry_error_message(err));
		ferry_error_clear(&err);
	}
	if (was_lazy && !lazy)
		append(&msg, "", "the stick was busy and was detached lazily");
	result = notify(cfg, id, result, msg ? msg : notify_result_name(result), true);
	free(summary);
	free(msg);
	if (cfg->after_stick)
		cfg->after_stick(cfg->ctx);
	return result;
}

/* --- devices ------------------------------------------------------------- */

struct device_view {
	struct udev_device *dev;
	bool probed;
	char fs_type[32], label[128];
};

/* ID_FS_* through libblkid when no udevd ran blkid for us. */
static void probe_fs(struct device_view *v)
{
	const char *devnode = udev_device_get_devnode(v->dev), *size = udev_device_get_sysattr_value(v->dev, "size");
	const char *type = NULL, *label = NULL;
	if (v->probed)
		return;
	v->probed = true;
	if (!devnode || !size || strcmp(size, "0") == 0)
		return;
	blkid_probe pr = blkid_new_probe_from_filename(devnode);
	if (!pr)
		return;
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_LABEL);
	if (blkid_do_safeprobe(pr) == 0) {
		if (blkid_probe_lookup_value(pr, "TYPE", &type, NULL) == 0)
			snprintf(v->fs_type, sizeof(v->fs_type), "%s", type);
		if (blkid_probe_lookup_value(pr, "LABEL", &label, NULL) == 0)
			snprintf(v->label, sizeof(v->label), "%s", label);
	}
	blkid_free_probe(pr);
}

static const char *view_prop(void *ctx, const char *key)
{
	struct device_view *v = ctx;
	if (strcmp(key, "DEVNAME") == 0)
		return udev_device_get_devnode(v->dev);
	if (strcmp(key, "SUBSYSTEM") == 0)
		return udev_device_get_subsystem(v->dev);
	const char *val = udev_device_get_property_value(v->dev, key);
	if (val)
		return val;
	bool fs_type = strcmp(key, "ID_FS_TYPE") == 0, label = strcmp(key, "ID_FS_LABEL") == 0;
	if (!fs_type && !label)
		return NULL;
	/* Probed only when a rule gets this far: other devices are not read. */
	probe_fs(v);
	if (fs_type)
		return v->fs_type[0] ? v->fs_type : NULL;
	return v->label[0] ? v->label : NULL;
}

/* Devices whose current medium was handled: a "change" for them (udev sends
 * one when we close a device we wrote) is not a new stick. Forgotten on
 * remove, or when the device stops matching (medium gone). */
struct tracker {
	dev_t devs[MAX_TRACKED];
	size_t n;
};

static bool tracked(struct tracker *t, dev_t d)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->devs[i] == d)
			return true;
	return false;
}

static void forget(struct tracker *t, dev_t d)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->devs[i] == d) {
			memmove(t->devs + i, t->devs + i + 1, (t->n - i - 1) * sizeof(t->devs[0]));
			t->n--;
			return;
		}
}

static void track(struct tracker *t, dev_t d)
{
	if (t->n == MAX_TRACKED) {   /* forgetting the oldest may re-handle a stick: never harmful */
		memmove(t->devs, t->devs + 1, (MAX_TRACKED - 1) * sizeof(t->devs[0]));
		t->n--;
	}
	t->devs[t->n++] = d;
}

/* Returns true when a stick was handled. */
static bool consider(const struct watch_config *cfg, struct tracker *t, struct udev_device *dev,
		     const char *action)
{
	struct device_view v = { .dev = dev };
	dev_t devnum = udev_device_get_devnum(dev);
	const char *devnode = udev_device_get_devnode(dev);
	if (!devnode || major(devnum) == 0)
		return false;
	if (strcmp(action, "remove") == 0) {
		forget(t, devnum);
		return false;
	}
	if (!watch_rules_match(cfg->match, cfg->n_match, view_prop, &v)) {
		forget(t, devnum);
		return false;
	}
	if (tracked(t, devnum))
		return false;
	track(t, devnum);
	struct media_identity id;
	usbinfo_identity(dev, &id);
	if (!id.fs_type[0])
		snprintf(id.fs_type, sizeof(id.fs_type), "%s", v.fs_type);
	if (!id.label[0])
		snprintf(id.label, sizeof(id.label), "%s", v.label);
	log_info("%s: stick found (%s, %s)", devnode, action, id.fs_type);
	watch_handle_stick(cfg, &id);
	return true;
}

static bool stop_requested(const struct watch_config *cfg, int handled)
{
	if (cfg->max_sticks > 0 && handled >= cfg->max_sticks)
		return true;
	struct pollfd p = { .fd = cfg->stop_fd, .events = POLLIN };
	return cfg->stop_fd >= 0 && poll(&p, 1, 0) > 0;
}

static bool enumerate_present(const struct watch_config *cfg, struct udev *udev, struct tracker *t,
			      int *handled, struct ferry_error **err)
{
	struct udev_enumerate *e = udev_enumerate_new(udev);
	struct udev_list_entry *entry;
	if (!e || udev_enumerate_add_match_subsystem(e, "block") < 0 || udev_enumerate_scan_devices(e) < 0) {
		if (e)
			udev_enumerate_unref(e);
		return ferry_error_set(err, "udev: cannot enumerate block devices");
	}
	udev_list_entry_foreach(entry, udev_enumerate_get_list_entry(e)) {
		if (stop_requested(cfg, *handled))
			break;
		struct udev_device *d = udev_device_new_from_syspath(udev, udev_list_entry_get_name(entry));
		if (!d)
			continue;
		*handled += consider(cfg, t, d, "present");
		udev_device_unref(d);
	}
	udev_enumerate_unref(e);
	return true;
}

/* udevd answers on its control socket; a socket file left by a stopped
 * udevd refuses the connection. */
static bool udevd_running(void)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX, .sun_path = "/run/udev/control" };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

static const char *pick_source(const struct watch_config *cfg)
{
	if (cfg->source)
		return cfg->source;
	/* Without udevd nothing arrives on the "udev" source: listen to the kernel. */
	return udevd_running() ? "udev" : "kernel";
}

bool watch_run(const struct watch_config *cfg, struct ferry_error **err)
{
	bool ok = false;
	struct udev *udev = udev_new();
	struct udev_monitor *mon = NULL;
	struct tracker *t = calloc(1, sizeof(*t));
	const char *source = pick_source(cfg);
	int handled = 0;

	if (!udev || !t) {
		ferry_error_set(err, "udev: cannot open the udev context");
		goto out;
	}
	/* The monitor first, then the enumeration: a stick arriving in between
	 * is seen by both and handled once (tracker). */
	mon = udev_monitor_new_from_netlink(udev, source);
	if (!mon || udev_monitor_filter_add_match_subsystem_devtype(mon, "block", NULL) < 0 ||
	    udev_monitor_enable_receiving(mon) < 0) {
		ferry_error_set(err, "udev: cannot listen for block devices on the %s monitor", source);
		goto out;
	}
	udev_monitor_set_receive_buffer_size(mon, MONITOR_BUFFER);
	log_info("watching for sticks (%s events, mounts under %s)", source, cfg->mount_dir);
	if (!enumerate_present(cfg, udev, t, &handled, err))
		goto out;
	while (!stop_requested(cfg, handled)) {
		struct pollfd p[2] = { { .fd = udev_monitor_get_fd(mon), .events = POLLIN },
				       { .fd = cfg->stop_fd, .events = POLLIN } };
		int n = poll(p, cfg->stop_fd >= 0 ? 2 : 1, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ferry_error_errno(err, errno, "poll");
			goto out;
		}
		if (!(p[0].revents & POLLIN))
			continue;
		struct udev_device *d = udev_monitor_receive_device(mon);
		if (!d)
			continue;
		const char *action = udev_device_get_action(d);
		handled += consider(cfg, t, d, action ? action : "change");
		udev_device_unref(d);
	}
	log_info("stopped after %d stick(s)", handled);
	ok = true;
out:
	free(t);
	if (mon)
		udev_monitor_unref(mon);
	if (udev)
		udev_unref(udev);
	return ok;
}
