/* boot_script: a site-specific executable does the bootloader's part. It is
 * called as `SCRIPT VERB [SLOT]` with SLOT "a" or "b" and must exit 0 on
 * success (anything else is a failure). It runs through the process runner
 * of hooks (agent/proc.h): a clean environment (PATH, LANG), stdin from
 * /dev/null, and after agent.json's script_timeout (default 300 s) it is
 * killed with its process group — a hung script fails the step instead of
 * blocking the agent. What it prints is logged when it fails. Verbs:
 *   status           print "booted=a|b", "primary=a|b", "a_left=N", "b_left=N"
 *                    and optionally "boot_id=…" (else the kernel's is used)
 *   try-once SLOT    boot SLOT first at the next power-on, once; then fall back
 *   mark-good SLOT   SLOT is the primary with full tries
 *   rollback SLOT    SLOT is the primary with full tries, the other gets none */
#include "agent/boot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/proc.h"
#include "common/log.h"

/* Runs the script with verb and slot (may be 0) through the process runner
 * of hooks: a clean environment (PATH, LANG), its own process group, killed
 * after b->timeout_sec. *out (may be NULL) gets its stdout; caller frees.
 * What it printed is logged when it fails (debug when it succeeds). */
static bool run_script(struct boot *b, const char *verb, char slot, char **out,
		       struct ferry_error **err)
{
	char slot_arg[2] = { slot, '\0' }, *what = NULL, *text = NULL;
	const char *argv[] = { b->script, verb, slot ? slot_arg : NULL, NULL };
	struct proc_env env = { 0 };
	struct proc_log plog = { 0 };
	bool ok = false;
	if (asprintf(&what, "boot script %s %s%s%s", b->script, verb, slot ? " " : "", slot_arg) < 0) {
		what = NULL;
		ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
		goto out;
	}
	if (!proc_env_init(&env, NULL, err))
		goto out;
	struct proc_spec spec = { .argv = argv, .env = (const char *const *)env.vars,
				  .timeout_sec = b->timeout_sec, .what = what };
	ok = proc_run(&spec, &plog, out, err);
	ferry_error_classify(err, FERRY_E_HANDLER);
	if ((text = proc_log_text(&plog)) && !ok)
		log_warn("%s printed: %s", what, text);
	else if (text)
		log_debug("%s printed: %s", what, text);
out:
	free(text);
	proc_log_free(&plog);
	proc_env_free(&env);
	free(what);
	return ok;
}

static bool parse_slot_value(const char *v, char *slot)
{
	if (strcmp(v, "a") != 0 && strcmp(v, "b") != 0)
		return false;
	*slot = v[0];
	return true;
}

/* Reads the lines of `status` (out is modified). */
static bool parse_status(struct boot *b, char *out, struct boot_status *s, struct ferry_error **err)
{
	bool have_left[2] = { false, false };
	char *save = NULL;
	for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq = '\0';
		const char *k = line, *v = eq + 1;
		bool ok = true;
		if (strcmp(k, "booted") == 0)
			ok = parse_slot_value(v, &s->booted);
		else if (strcmp(k, "primary") == 0)
			ok = parse_slot_value(v, &s->order[0]);
		else if (strcmp(k, "a_left") == 0 || strcmp(k, "b_left") == 0) {
			char *end = NULL;
			long n = strtol(v, &end, 10);
			ok = *v && !*end && n >= 0 && n <= 1000;
			s->left[k[0] - 'a'] = (int)n;
			have_left[k[0] - 'a'] = true;
		} else if (strcmp(k, "boot_id") == 0)
			snprintf(s->boot_id, sizeof(s->boot_id), "%s", v);
		if (!ok)
			return ferry_error_set(err, "boot script %s status: bad value '%s' for %s",
					       b->script, v, k);
	}
	if (!s->order[0] || !have_left[0] || !have_left[1])
		return ferry_error_set(err, "boot script %s status: must print primary, a_left and b_left",
				       b->script);
	s->order[1] = boot_other_slot(s->order[0]);
	if (!s->boot_id[0])
		return boot_read_boot_id(b->boot_id_path, s->boot_id, sizeof(s->boot_id), err);
	return true;
}

static bool script_status(struct boot *b, struct boot_status *s, struct ferry_error **err)
{
	char *out = NULL;
	memset(s, 0, sizeof(*s));
	bool ok = run_script(b, "status", 0, &out, err) && parse_status(b, out, s, err);
	free(out);
	return ok;
}

static bool script_try_once(struct boot *b, char slot, struct ferry_error **err)
{
	return run_script(b, "try-once", slot, NULL, err);
}

static bool script_mark_good(struct boot *b, char slot, struct ferry_error **err)
{
	return run_script(b, "mark-good", slot, NULL, err);
}

static bool script_rollback(struct boot *b, char slot, struct ferry_error **err)
{
	return run_script(b, "rollback", slot, NULL, err);
}

const struct boot_backend boot_backend_script = {
	.name = "script",
	.status = script_status,
	.try_once = script_try_once,
	.mark_good = script_mark_good,
	.rollback = script_rollback,
};
