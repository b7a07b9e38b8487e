/* handler_script: runs a signed shell script payload once, at install. The
 * script is read whole (at most HANDLER_SCRIPT_MAX_BYTES) and authenticated
 * before it is written to the private work dir (0700) and run as
 * `/bin/sh FILE` (work dirs may be mounted noexec), with the update's
 * environment and a timeout. A script's effects are its own: it cannot be
 * rolled back, and a repeated install (after a crash) runs it again. */
#include "agent/handler.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/safefile.h"

#define SCRIPT_SHELL "/bin/sh"

/* Writes data as <work_dir>/<file> (0700) and runs it with /bin/sh; the file
 * is removed afterwards. Shared with hooks.c through handler_run_script. */
static bool run_script_bytes(const struct handler_context *ctx, const struct payload *p,
			     const char *file, const char *data, size_t len,
			     const char *const *extra, const char *what, char **log,
			     struct ferry_error **err)
{
	char *path = NULL;
	bool ok = false;
	if (!ctx->work_dir || !*ctx->work_dir) {
		ferry_error_set(err, "%s: no work directory given", what);
		return false;
	}
	if (!mkdir_p(ctx->work_dir, 0700, err) || !path_join(ctx->work_dir, file, &path, err) ||
	    !safe_write_atomic(path, data, len, 0700, err))
		goto out;
	const char *argv[] = { SCRIPT_SHELL, path, NULL };
	ok = handler_run(ctx, p, argv, extra, what, log, NULL, err);
	if (unlink(path) < 0 && errno != ENOENT && ok)
		ok = ferry_error_errno(err, errno, "%s: remove", path);
out:
	free(path);
	return ok;
}

bool handler_run_script(const struct handler_context *ctx, const char *file, const char *data,
			size_t len, const char *const *extra, const char *what, char **log,
			struct ferry_error **err)
{
	return run_script_bytes(ctx, NULL, file, data, len, extra, what, log, err);
}

static bool script_install(const struct handler_context *ctx, const struct payload *p,
			   struct byte_source *src, struct handler_result *res, struct ferry_error **err)
{
	bool ok = false;
	char *data = NULL, *file = NULL;
	size_t len = 0;
	double t0 = handler_clock();
	if (p->size > HANDLER_SCRIPT_MAX_BYTES) {
		ferry_error_set(err, "payload %s: a script of %llu bytes exceeds the limit of %d bytes",
				p->name, (unsigned long long)p->size, HANDLER_SCRIPT_MAX_BYTES);
		goto out;
	}
	/* Nothing runs before the whole script is read and authenticated. */
	if (!handler_read_all(src, HANDLER_SCRIPT_MAX_BYTES, &data, &len, err))
		goto out;
	if (asprintf(&file, "script-%s", p->name) < 0) {
		file = NULL;
		ferry_error_set(err, "out of memory");
		goto out;
	}
	res->bytes = len;
	res->supports_rollback = false;
	if (!run_script_bytes(ctx, p, file, data, len, NULL, "script", &res->log, err))
		goto out;
	res->seconds = handler_clock() - t0;
	ok = true;
out:
	if (!ok)
		ferry_error_prefix(err, "payload %s", p->name);
	free(data);
	free(file);
	return ok;
}

static bool script_activate(const struct handler_context *ctx, const struct payload *p,
			    struct handler_result *res, struct ferry_error **err)
{
	(void)ctx, (void)p, (void)err;
	res->supports_rollback = false;
	return true;
}

/* Commit and abort: the script ran (or never will); its work dir goes. */
static bool script_done(const struct handler_context *ctx, const struct payload *p,
			struct handler_result *res, struct ferry_error **err)
{
	(void)p;
	res->supports_rollback = false;
	return !ctx->work_dir || remove_tree(ctx->work_dir, err);
}

/* A script's effects stay: rollback is a no-op that says so (install
 * reported supports_rollback = false for the orchestrator to plan with). */
static bool script_rollback(const struct handler_context *ctx, const struct payload *p,
			    struct handler_result *res, struct ferry_error **err)
{
	(void)ctx, (void)err;
	log_warn("payload %s: a script cannot be rolled back; its effects stay", p->name);
	res->supports_rollback = false;
	return true;
}

const struct handler_ops handler_script = {
	.name = "script",
	.install = script_install,
	.activate = script_activate,
	.commit = script_done,
	.rollback = script_rollback,
	.abort = script_done,
};
