/* boot_file: the virtual bootloader of virtual devices, a JSON object of
 * string variables (BOOT_ORDER, BOOT_A_LEFT, BOOT_B_LEFT, and BOOTED/BOOT_ID
 * that the virtual power-on writes) replaced atomically on every change. */
#include "agent/boot.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/json.h"
#include "common/safefile.h"

/* A virtual device that has never been rebooted runs the factory slot A. */
static const char *const initial_env[][2] = {
	{ "BOOT_ORDER", "A B" }, { "BOOT_A_LEFT", "3" }, { "BOOT_B_LEFT", "3" },
	{ "BOOTED", "A" },       { "BOOT_ID", "1" },
};

static bool file_load(struct boot *b, struct boot_env *env, struct ferry_error **err)
{
	json_t *root = NULL, *v;
	const char *name;
	if (access(b->path, F_OK) < 0 && errno == ENOENT) {
		for (size_t i = 0; i < sizeof(initial_env) / sizeof(initial_env[0]); i++)
			if (!boot_env_set(env, initial_env[i][0], initial_env[i][1], err))
				return false;
		return true;
	}
	if (!json_load_file_strict(b->path, 65536, &root, err))
		return false;
	bool ok = true;
	json_object_foreach(root, name, v) {
		if (!json_is_string(v)) {
			ok = ferry_error_set(err, "%s: %s: must be a string", b->path, name);
			break;
		}
		if (!(ok = boot_env_set(env, name, json_string_value(v), err)))
			break;
	}
	json_decref(root);
	return ok;
}

static bool file_store(struct boot *b, const struct boot_env *env, struct ferry_error **err)
{
	bool ok = false;
	char *text = NULL;
	json_t *root = json_object();
	if (!root)
		return ferry_error_set(err, "out of memory");
	for (size_t i = 0; i < env->n; i++)
		if (json_object_set_new(root, env->names[i], json_string(env->values[i])))
			goto oom;
	text = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (!text)
		goto oom;
	size_t len = strlen(text);
	text[len] = '\n';   /* json_dumps leaves room: replace the NUL, write len + 1 */
	ok = safe_write_atomic(b->path, text, len + 1, 0644, err);
	goto out;
oom:
	ferry_error_set(err, "out of memory");
out:
	free(text);
	json_decref(root);
	return ok;
}

const struct boot_backend boot_backend_file = {
	.name = "file",
	.load = file_load,
	.store = file_store,
};
