/* hooks: runs the hooks of one kind (pre_install, post_install,
 * health_check): first the bundle's hook (bytes already authenticated by the
 * bundle reader), then the device's own executables in
 * <hooks_dir>/<kind>.d/ in sorted order, with the same runner, environment
 * and timeout as scripts. The first failure stops the run and is the result:
 * a failing pre_install aborts before anything is written; a failing
 * health_check means roll back. */
#ifndef FERRY_HOOKS_H
#define FERRY_HOOKS_H

#include <stdbool.h>
#include <stddef.h>

#include "agent/handler.h"
#include "common/error.h"
#include "common/manifest.h"

/* ctx->work_dir: a private directory for the bundle's hooks; hooks_dir may
 * be NULL or missing (no device-local hooks); bundle_hook NULL: none.
 * FERRY_HOOK=<kind> is added to the environment. The output excerpt of the
 * hooks run replaces *log (when log is not NULL; caller frees). *ran counts
 * the hooks run (may be NULL). */
bool hooks_run(const struct handler_context *ctx, const char *hooks_dir, enum hook_kind kind,
	       const char *bundle_hook, size_t bundle_hook_len, char **log, int *ran,
	       struct ferry_error **err);

/* Runs the device's <hooks_dir>/diagnostics.d/ executables (FERRY_HOOK=
 * diagnostics) after a failure; their output replaces *log (caller frees).
 * False when one failed (its output is still in *log). */
bool hooks_run_diagnostics(const struct handler_context *ctx, const char *hooks_dir, char **log,
			   struct ferry_error **err);

#endif
