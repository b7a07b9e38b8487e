/* install_internal: what install.c (choosing) and install_apply.c (doing)
 * share. Not for other modules: they use install.h. */
#ifndef FERRY_AGENT_INSTALL_INTERNAL_H
#define FERRY_AGENT_INSTALL_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>

#include "agent/boot.h"
#include "agent/config.h"
#include "agent/install.h"
#include "agent/state.h"
#include "common/bundle_read.h"
#include "common/manifest.h"

/* The run: the stick, for its audit records, and whether to draw progress. */
struct install_media {
	const char *usb_serial, *label;
	bool progress;             /* a progress bar on the terminal while payloads stream */
};

/* Installs variant v of m from the bundle at path (already verified and
 * decided). Appends lines to *lines and sets *result. false only when the
 * agent could not keep its records (database); a failed install is a result. */
bool install_apply(const struct agent_config *c, struct state *st, struct boot *boot, const char *path,
		   const struct manifest *m, const struct variant *v, json_t *signers,
		   const struct install_media *media, enum notify_result *result,
		   char ***lines, struct ferry_error **err);

/* Takes <state_dir>/agent.lock, which serialises the agents working on one
 * device, without waiting: *busy (and *fd -1) when another holds it (another
 * open of the lock in this process counts as another). Close *fd to release. */
bool install_lock_try(const struct agent_config *c, int *fd, bool *busy, struct ferry_error **err);

/* Appends a printf-formatted line to a NULL-terminated string vector. */
void lines_add(char ***lines, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
