/* autoreboot: `reboot: auto` on a real device (see autoreboot.h). */
#include "agent/autoreboot.h"

#include <errno.h>
#include <jansson.h>
#include <sys/reboot.h>
#include <unistd.h>

#include "agent/proc.h"
#include "agent/state.h"
#include "common/log.h"

bool autoreboot_pending(const struct agent_config *c, bool *pending, struct ferry_error **err)
{
	struct state *st = NULL;
	struct state_info info = { 0 };
	bool ok = false;
	*pending = false;
	if (!state_open_config(c, &st, err) || !state_get(st, &info, err))
		goto out;
	if (info.state == AGENT_STATE_INSTALLED && info.has_txn && info.txn.detail) {
		json_t *d = json_loads(info.txn.detail, 0, NULL);
		*pending = json_is_true(json_object_get(d, "needs_reboot"));
		json_decref(d);
	}
	ok = true;
out:
	state_info_clear(&info);
	state_close(st);
	return ok;
}

/* systemd stops the services in order (the agent's own included); without
 * it, reboot(2) after sync, as busybox's `reboot -f` does. */
static bool reboot_device(struct ferry_error **err)
{
	sync();
	if (access("/run/systemd/system", F_OK) == 0) {
		static const char *const argv[] = { "/bin/systemctl", "reboot", NULL };
		static const char *const env[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
		struct proc_spec spec = { .argv = argv, .env = env, .timeout_sec = 60, .what = "systemctl reboot" };
		return proc_run(&spec, NULL, NULL, err);
	}
	reboot(RB_AUTOBOOT);
	return ferry_error_errno(err, errno, "reboot");
}

bool autoreboot_if_pending(const struct agent_config *c, struct ferry_error **err)
{
	bool pending = false;
	if (c->reboot != AGENT_REBOOT_AUTO)
		return true;
	if (!autoreboot_pending(c, &pending, err))
		return false;
	if (!pending)
		return true;
	if (c->bootloader.type == AGENT_BOOT_FILE) {
		log_info("reboot: auto: a virtual device is power-cycled by `ferry-agent reboot`");
		return true;
	}
	log_info("reboot: auto: rebooting into the installed update");
	return reboot_device(err);
}
