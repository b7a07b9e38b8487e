/* notify: tells the technician at the device what happened to the stick.
 * A console line always (stdout: the journal under systemd); then the
 * configured hook (LED, buzzer, display) with the result in its environment.
 * A failing or hanging hook is logged and killed, never fatal. */
#ifndef FERRY_AGENT_NOTIFY_H
#define FERRY_AGENT_NOTIFY_H

#include <stdbool.h>

#include "common/error.h"
#include "common/media.h"

#define NOTIFY_TIMEOUT_S 30

/* The outcome of one stick, as the hook sees it in FERRY_RESULT; BUSY is
 * not an outcome: it is sent when an allowed stick is taken, before it is
 * mounted, so the device can show that it works (do not pull). */
enum notify_result { NOTIFY_SUCCESS, NOTIFY_FAILURE, NOTIFY_REFUSED, NOTIFY_NOTHING, NOTIFY_BUSY };
/* "success", "failure", "refused", "nothing", "busy" */
const char *notify_result_name(enum notify_result r);

struct notify_event {
	enum notify_result result;
	const char *message;     /* one line: what happened */
	const struct media_identity *id;
	bool may_pull;           /* the stick is unmounted and synced (or was never mounted) */
};

/* The console line, e.g. "ferry: /dev/sdb1 [SanDisk Ultra 4C53…, FIELD]: success: …;
 * you may pull the stick". Caller frees. */
char *notify_line(const struct notify_event *ev);
/* Prints the line and runs hook (NULL: none) with FERRY_RESULT, FERRY_MESSAGE,
 * FERRY_DEVICE, FERRY_LABEL, FERRY_SERIAL, FERRY_VENDOR, FERRY_PRODUCT,
 * FERRY_MAY_PULL=1|0 set, waiting at most timeout_s seconds. false (with err)
 * when the hook could not run, failed or timed out. */
bool notify_send(const char *hook, const struct notify_event *ev, int timeout_s, struct ferry_error **err);

#endif
