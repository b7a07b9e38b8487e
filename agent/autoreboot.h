/* autoreboot: agent.json's `reboot: auto` — after an install that left an
 * update waiting for its reboot, the device reboots by itself (watch: once the
 * stick is unmounted and may be pulled; install: after its export).
 * Promises: nothing happens unless reboot is auto and agent.db says an update
 * is installed and waits for a reboot; never reboots a virtual device (file
 * bootloader: that is `ferry-agent reboot`), so a test host is never rebooted. */
#ifndef FERRY_AGENT_AUTOREBOOT_H
#define FERRY_AGENT_AUTOREBOOT_H

#include <stdbool.h>

#include "agent/config.h"
#include "common/error.h"

/* *pending: an installed update waits for a reboot (state installed, its
 * transaction's detail says needs_reboot). */
bool autoreboot_pending(const struct agent_config *c, bool *pending, struct ferry_error **err);

/* When c asks for it and an update waits: syncs, then `systemctl reboot`
 * under systemd, else reboot(2). Returns true when nothing was to be done or
 * the reboot is under way (systemd); false with err when it could not. */
bool autoreboot_if_pending(const struct agent_config *c, struct ferry_error **err);

#endif
