/* handler_module: drives an update-module executable <modules_dir>/<name>
 * through ferry's version of Mender's update-module protocol v3
 * (docs/update-modules.md): `MODULE STATE WORK_DIR` for Download,
 * ArtifactInstall, ArtifactCommit, ArtifactRollback, ArtifactFailure,
 * Cleanup and the queries NeedsArtifactReboot and SupportsRollback.
 * Promises: the module sees the payload file only after the whole payload was
 * read and authenticated; every state runs with a timeout; a module name is
 * one path component, never a way out of modules_dir. */
#include "agent/handler.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/safefile.h"

#define MODULE_BUF (256 * 1024)
#define MODULE_INSTALL_MARK ".ferry-install-started"   /* ArtifactInstall may have run */

bool handler_module_name_valid(const char *name)
{
	if (!name || !*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	for (const char *c = name; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
		      *c == '.' || *c == '_' || *c == '-'))
			return false;
	return true;
}

/* The module's executable; refuses bad names, missing or non-executable files. */
static bool module_path(const struct handler_context *ctx, const struct payload *p, char **path,
			struct ferry_error **err)
{
	const char *name = p->target;
	if (!handler_module_name_valid(name))
		return ferry_error_set(err, "module name '%s' is not one plain path component "
				       "([A-Za-z0-9._-])", name ? name : "");
	if (!ctx->modules_dir || !*ctx->modules_dir)
		return ferry_error_set(err, "no modules directory configured");
	if (!path_join(ctx->modules_dir, name, path, err))
		return false;
	struct stat st;
	if (stat(*path, &st) < 0 || !S_ISREG(st.st_mode) || access(*path, X_OK) < 0) {
		ferry_error_set(err, "module %s is not installed on this device (no executable %s)",
				name, *path);
		free(*path);
		*path = NULL;
		return false;
	}
	return true;
}

/* Runs one state; out (optional) receives stdout for a query. */
static bool module_state(const struct handler_context *ctx, const struct payload *p,
			 const char *module, const char *state, struct handler_result *res,
			 char **out, struct ferry_error **err)
{
	char *what = NULL;
	if (asprintf(&what, "module %s %s", p->target, state) < 0)
		return ferry_error_set(err, "out of memory");
	const char *argv[] = { module, state, ctx->work_dir, NULL };
	bool ok = handler_run(ctx, p, argv, NULL, what, res ? &res->log : NULL, out, err);
	free(what);
	return ok;
}

/* Asks a query; *yes for "Yes" (or "Automatic" for NeedsArtifactReboot). */
static bool module_query(const struct handler_context *ctx, const struct payload *p,
			 const char *module, const char *query, bool *yes, struct ferry_error **err)
{
	char *out = NULL;
	if (!module_state(ctx, p, module, query, NULL, &out, err))
		return false;
	size_t n = strlen(out);
	while (n && (out[n - 1] == '\n' || out[n - 1] == '\r' || out[n - 1] == ' '))
		out[--n] = '\0';
	bool ok = true;
	if (strcmp(out, "Yes") == 0 || strcmp(out, "Automatic") == 0)
		*yes = true;
	else if (strcmp(out, "No") == 0 || n == 0)
		*yes = false;
	else
		ok = ferry_error_set(err, "module %s %s: answered '%.40s'; expected Yes or No",
				     p->target, query, out);
	free(out);
	return ok;
}

static bool write_text(const char *dir, const char *name, const char *text, struct ferry_error **err)
{
	char *path = NULL;
	bool ok = path_join(dir, name, &path, err) &&
		  safe_write_atomic(path, text, strlen(text), 0600, err);
	free(path);
	return ok;
}

/* Compact JSON text of o, keys in the order given (caller frees); takes o. */
static char *json_text(json_t *o)
{
	char *text = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	return text;
}

/* Mender v3's work dir: version, current_*, header/…, tmp/, files/. */
static bool module_prepare_work_dir(const struct handler_context *ctx, const struct payload *p,
				    struct ferry_error **err)
{
	bool ok = false;
	char *header = NULL, *files = NULL, *artifact = NULL, *type_info = NULL, *header_info = NULL;
	const char *dtype = ctx->device_type ? ctx->device_type : "";
	if (asprintf(&header, "%s/header", ctx->work_dir) < 0 ||
	    asprintf(&files, "%s/files", ctx->work_dir) < 0 ||
	    asprintf(&artifact, "%s-%s", ctx->bundle ? ctx->bundle : "", ctx->version ? ctx->version : "") < 0 ||
	    !(type_info = json_text(json_pack("{s:s}", "type", p->target))) ||
	    !(header_info = json_text(json_pack("{s:[{s:s}],s:{s:s},s:{s:[s]}}",
						"payloads", "type", p->target,
						"artifact_provides", "artifact_name", artifact,
						"artifact_depends", "device_type", dtype)))) {
		ferry_error_set(err, "out of memory");
		goto out;
	}
	/* A retried install starts from nothing. */
	ok = remove_tree(ctx->work_dir, err) && mkdir_p(header, 0700, err) && mkdir_p(files, 0700, err) &&
	     write_text(ctx->work_dir, "version", "3\n", err) &&
	     write_text(ctx->work_dir, "current_device_type", dtype, err) &&
	     write_text(header, "artifact_name", artifact, err) &&
	     write_text(header, "artifact_group", ctx->bundle ? ctx->bundle : "", err) &&
	     write_text(header, "payload_type", p->target, err) &&
	     write_text(header, "type-info", type_info, err) &&
	     write_text(header, "meta-data", "{}", err) &&
	     write_text(header, "header-info", header_info, err);
out:
	free(header);
	free(files);
	free(artifact);
	free(type_info);
	free(header_info);
	return ok;
}

/* Streams the payload into files/<payload name>; the name appears only when
 * the source reached its end without error. */
static bool module_store_payload(const struct handler_context *ctx, const struct payload *p,
				 struct byte_source *src, uint64_t *bytes, struct ferry_error **err)
{
	bool ok = false, open_ = false;
	char *path = NULL, *files = NULL, *buf = malloc(MODULE_BUF);
	struct safe_tmp t;
	if (!buf || asprintf(&files, "%s/files", ctx->work_dir) < 0) {
		files = NULL;
		ferry_error_set(err, "out of memory");
		goto out;
	}
	if (!path_join(files, p->name, &path, err) || !(open_ = safe_tmp_open(&t, path, 0600, err)))
		goto out;
	*bytes = 0;
	while (true) {
		size_t got = 0;
		if (!byte_source_read(src, buf, MODULE_BUF, &got, err))
			goto out;
		if (got == 0)
			break;
		if (!write_all(t.fd, buf, got, t.tmp_path, err))
			goto out;
		*bytes += got;
	}
	open_ = false;
	ok = safe_tmp_commit(&t, err);
out:
	if (open_)
		safe_tmp_abort(&t);
	free(path);
	free(files);
	free(buf);
	return ok;
}

static bool module_install(const struct handler_context *ctx, const struct payload *p,
			   struct byte_source *src, struct handler_result *res, struct ferry_error **err)
{
	bool ok = false;
	char *module = NULL, *mark = NULL;
	double t0 = handler_clock();
	if (!ctx->work_dir || !*ctx->work_dir) {
		ferry_error_set(err, "payload %s: no work directory given", p->name);
		goto out;
	}
	if (!module_path(ctx, p, &module, err) || !module_prepare_work_dir(ctx, p, err) ||
	    !module_store_payload(ctx, p, src, &res->bytes, err) ||
	    !module_state(ctx, p, module, "Download", res, NULL, err))
		goto out;
	if (asprintf(&mark, "%s/%s", ctx->work_dir, MODULE_INSTALL_MARK) < 0) {
		mark = NULL;
		ferry_error_set(err, "out of memory");
		goto out;
	}
	if (!safe_write_atomic(mark, "", 0, 0600, err) ||
	    !module_state(ctx, p, module, "ArtifactInstall", res, NULL, err) ||
	    !module_query(ctx, p, module, "NeedsArtifactReboot", &res->needs_reboot, err) ||
	    !module_query(ctx, p, module, "SupportsRollback", &res->supports_rollback, err))
		goto out;
	res->seconds = handler_clock() - t0;
	ok = true;
out:
	if (!ok)
		ferry_error_prefix(err, "payload %s", p->name);
	free(module);
	free(mark);
	return ok;
}

static bool work_dir_present(const struct handler_context *ctx)
{
	struct stat st;
	return ctx->work_dir && stat(ctx->work_dir, &st) == 0;
}

static bool module_activate(const struct handler_context *ctx, const struct payload *p,
			    struct handler_result *res, struct ferry_error **err)
{
	(void)ctx, (void)p, (void)res, (void)err;
	return true;   /* ArtifactInstall did it; a reboot, if needed, is the orchestrator's */
}

/* Cleanup, then the work dir goes: what marks a finished transaction. */
static bool module_finish(const struct handler_context *ctx, const struct payload *p,
			  const char *module, struct handler_result *res, bool ok,
			  struct ferry_error **err)
{
	struct ferry_error *e2 = NULL;
	if (!module_state(ctx, p, module, "Cleanup", res, NULL, &e2))
		log_warn("%s", ferry_error_message(e2));
	ferry_error_free(e2);
	return remove_tree(ctx->work_dir, ok ? err : NULL) && ok;
}

static bool module_commit(const struct handler_context *ctx, const struct payload *p,
			  struct handler_result *res, struct ferry_error **err)
{
	char *module = NULL;
	if (!work_dir_present(ctx))
		return true;   /* committed before (repeated after a crash) */
	bool ok = module_path(ctx, p, &module, err) &&
		  module_state(ctx, p, module, "ArtifactCommit", res, NULL, err);
	if (module)
		ok = module_finish(ctx, p, module, res, ok, err);
	if (!ok)
		ferry_error_prefix(err, "payload %s", p->name);
	free(module);
	return ok;
}

/* Rollback (after activation) and abort (a failed install) share Mender's
 * error path: ArtifactRollback when the module supports it and
 * ArtifactInstall may have run, then ArtifactFailure, then Cleanup. */
static bool module_undo(const struct handler_context *ctx, const struct payload *p,
			struct handler_result *res, bool must_roll_back, struct ferry_error **err)
{
	char *module = NULL, *mark = NULL;
	bool ok = true, supports = false;
	if (!work_dir_present(ctx))
		return true;   /* nothing started, or finished before */
	if (!module_path(ctx, p, &module, err)) {
		ferry_error_prefix(err, "payload %s", p->name);
		return false;
	}
	if (asprintf(&mark, "%s/%s", ctx->work_dir, MODULE_INSTALL_MARK) < 0)
		mark = NULL;
	bool installed = mark && access(mark, F_OK) == 0;
	if (installed) {
		ok = module_query(ctx, p, module, "SupportsRollback", &supports, err);
		if (ok && supports)
			ok = module_state(ctx, p, module, "ArtifactRollback", res, NULL, err);
		else if (ok && must_roll_back)
			ok = ferry_error_set(err, "module %s does not support rollback; its changes stay",
					     p->target);
		struct ferry_error *e2 = NULL;
		bool failed = module_state(ctx, p, module, "ArtifactFailure", res, NULL, ok ? err : &e2);
		ferry_error_free(e2);
		ok = ok && failed;
	}
	ok = module_finish(ctx, p, module, res, ok, err);
	if (!ok)
		ferry_error_prefix(err, "payload %s", p->name);
	free(module);
	free(mark);
	return ok;
}

static bool module_rollback(const struct handler_context *ctx, const struct payload *p,
			    struct handler_result *res, struct ferry_error **err)
{
	return module_undo(ctx, p, res, true, err);
}

static bool module_abort(const struct handler_context *ctx, const struct payload *p,
			 struct handler_result *res, struct ferry_error **err)
{
	return module_undo(ctx, p, res, false, err);
}

const struct handler_ops handler_module = {
	.name = "module",
	.install = module_install,
	.activate = module_activate,
	.commit = module_commit,
	.rollback = module_rollback,
	.abort = module_abort,
};
