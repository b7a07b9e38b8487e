/* handler: the ops of each handler kind (common/handler_kind) behind
 * handler.h, and what the handlers share. */
#include "agent/handler.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/proc.h"
#include "common/safefile.h"

/* The ops of each kind of common/handler_kind, by its id. */
static const struct handler_ops *const handlers[HANDLER_COUNT_] = {
	[HANDLER_ROOTFS_AB] = &handler_rootfs_ab,
	[HANDLER_FILES] = &handler_files,
	[HANDLER_SCRIPT] = &handler_script,
	[HANDLER_MODULE] = &handler_module,
};

const struct handler_ops *handler_get(enum handler_id id)
{
	return (unsigned)id < HANDLER_COUNT_ ? handlers[id] : NULL;
}

const struct handler_ops *handler_find(const char *name)
{
	const struct handler_kind *k = handler_kind_find(name);
	return k ? handler_get(k->id) : NULL;
}

void handler_result_free(struct handler_result *res)
{
	if (!res)
		return;
	free(res->log);
	res->log = NULL;
}

double handler_clock(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

bool handler_run(const struct handler_context *ctx, const struct payload *p,
		 const char *const *argv, const char *const *extra, const char *what,
		 char **log, char **out, struct ferry_error **err)
{
	bool ok = false;
	struct proc_env env = { 0 };
	struct proc_log plog = { 0 };
	char *tmp = NULL;
	if (!ctx->work_dir || !*ctx->work_dir) {
		ferry_error_set(err, "%s: no work directory given", what);
		goto out;
	}
	if (asprintf(&tmp, "%s/tmp", ctx->work_dir) < 0) {
		tmp = NULL;
		ferry_error_set(err, "out of memory");
		goto out;
	}
	if (!mkdir_p(tmp, 0700, err) || !proc_env_init(&env, tmp, err) ||
	    !proc_env_add(&env, "FERRY_BUNDLE", ctx->bundle, err) ||
	    !proc_env_add(&env, "FERRY_VERSION", ctx->version, err) ||
	    !proc_env_add(&env, "FERRY_VARIANT", ctx->variant, err) ||
	    !proc_env_add(&env, "FERRY_DEVICE_ID", ctx->device_id, err) ||
	    !proc_env_add(&env, "FERRY_DEVICE_TYPE", ctx->device_type, err) ||
	    !proc_env_add(&env, "FERRY_STATE", ctx->agent_state, err) ||
	    !proc_env_add(&env, "FERRY_WORK_DIR", ctx->work_dir, err) ||
	    !proc_env_add(&env, "FERRY_METRICS_FILE", ctx->metrics_file, err) ||
	    (p && (!proc_env_add(&env, "FERRY_PAYLOAD", p->name, err) ||
		   !proc_env_add(&env, "FERRY_HANDLER", p->handler, err) ||
		   !proc_env_add(&env, "FERRY_TARGET", p->target, err))))
		goto out;
	for (size_t i = 0; extra && extra[i]; i++) {
		const char *eq = strchr(extra[i], '=');
		char *key = eq ? strndup(extra[i], (size_t)(eq - extra[i])) : NULL;
		bool added = key && proc_env_add(&env, key, eq + 1, err);
		free(key);
		if (!added) {
			ferry_error_set(err, "%s: bad environment entry '%s'", what, extra[i]);
			goto out;
		}
	}
	struct proc_spec spec = {
		.argv = argv,
		.env = (const char *const *)env.vars,
		.cwd = ctx->work_dir,
		.timeout_sec = ctx->timeout_sec > 0 ? ctx->timeout_sec : HANDLER_DEFAULT_TIMEOUT,
		.what = what,
	};
	ok = proc_run(&spec, &plog, out, err);
	if (log) {
		free(*log);
		*log = proc_log_text(&plog);
	}
out:
	proc_log_free(&plog);
	proc_env_free(&env);
	free(tmp);
	return ok;
}

bool handler_read_all(struct byte_source *src, size_t max, char **data, size_t *len,
		      struct ferry_error **err)
{
	size_t cap = 64 * 1024, n = 0;
	char *buf = malloc(cap + 1);
	if (!buf)
		return ferry_error_set(err, "out of memory");
	while (true) {
		if (n == cap) {
			if (cap > max) {
				free(buf);
				return ferry_error_set(err, "%s: larger than the limit of %zu bytes",
						       src->name, max);
			}
			char *b = realloc(buf, cap * 2 + 1);
			if (!b) {
				free(buf);
				return ferry_error_set(err, "out of memory");
			}
			buf = b;
			cap *= 2;
		}
		size_t got = 0;
		if (!byte_source_read(src, buf + n, cap - n, &got, err)) {
			free(buf);
			return false;
		}
		if (got == 0)
			break;
		n += got;
	}
	if (n > max) {
		free(buf);
		return ferry_error_set(err, "%s: larger than the limit of %zu bytes", src->name, max);
	}
	buf[n] = '\0';
	*data = buf;
	*len = n;
	return true;
}
