/* boot_uboot: the U-Boot environment through libubootenv, the library of
 * fw_printenv/fw_setenv, configured by a fw_env.config (device or file,
 * offset, size, and the redundant copy when there is one: libubootenv then
 * flips between the copies, so a power cut keeps the old or the new env). */
#include "agent/boot.h"

#include <libuboot.h>
#include <stdlib.h>
#include <string.h>

/* Opens a libubootenv context on the configured environment. A blank or
 * corrupt environment (bad CRC) is an error: U-Boot would boot its built-in
 * default, and writing over it blindly could lose the board's settings. */
static bool uboot_ctx_open(struct boot *b, struct uboot_ctx **out, struct ferry_error **err)
{
	struct uboot_ctx *ctx = NULL;
	int rc;
	if ((rc = libuboot_initialize(&ctx, NULL)) < 0)
		return ferry_error_errno(err, -rc, "libubootenv: initialise");
	if ((rc = libuboot_read_config(ctx, b->config)) < 0) {
		libuboot_exit(ctx);
		return ferry_error_set(err, "%s: not a usable fw_env.config (libubootenv error %d)",
				       b->config, rc);
	}
	if ((rc = libuboot_open(ctx)) < 0) {
		libuboot_exit(ctx);
		return ferry_error_set(err, "%s: no valid U-Boot environment where it points (libubootenv error %d)",
				       b->config, rc);
	}
	*out = ctx;
	return true;
}

static void uboot_ctx_close(struct uboot_ctx *ctx)
{
	libuboot_close(ctx);
	libuboot_exit(ctx);
}

static bool uboot_load(struct boot *b, struct boot_env *env, struct ferry_error **err)
{
	struct uboot_ctx *ctx = NULL;
	if (!uboot_ctx_open(b, &ctx, err))
		return false;
	bool ok = true;
	for (void *e = libuboot_iterator(ctx, NULL); e && ok; e = libuboot_iterator(ctx, e))
		ok = boot_env_set(env, libuboot_getname(e), libuboot_getvalue(e), err);
	uboot_ctx_close(ctx);
	return ok;
}

static bool uboot_store(struct boot *b, const struct boot_env *env, struct ferry_error **err)
{
	struct uboot_ctx *ctx = NULL;
	int rc;
	bool ok = false;
	if (!uboot_ctx_open(b, &ctx, err))
		return false;
	for (size_t i = 0; i < env->n; i++) {
		const char *old = libuboot_get_env(ctx, env->names[i]);
		bool same = old && strcmp(old, env->values[i]) == 0;
		free((void *)old);
		if (!same && (rc = libuboot_set_env(ctx, env->names[i], env->values[i])) < 0) {
			ferry_error_set(err, "%s: set %s (libubootenv error %d)", b->config, env->names[i], rc);
			goto out;
		}
	}
	if ((rc = libuboot_env_store(ctx)) < 0) {
		ferry_error_set(err, "%s: store the U-Boot environment (libubootenv error %d)", b->config, rc);
		goto out;
	}
	ok = true;
out:
	uboot_ctx_close(ctx);
	return ok;
}

const struct boot_backend boot_backend_uboot = {
	.name = "uboot",
	.load = uboot_load,
	.store = uboot_store,
};
