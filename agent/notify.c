/* notify: see notify.h. */
#include "agent/notify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/proc.h"

const char *notify_result_name(enum notify_result r)
{
	switch (r) {
	case NOTIFY_SUCCESS: return "success";
	case NOTIFY_FAILURE: return "failure";
	case NOTIFY_REFUSED: return "refused";
	case NOTIFY_NOTHING: return "nothing";
	case NOTIFY_BUSY: return "busy";
	}
	return "failure";
}

/* " [SanDisk Ultra, serial 4C53…, label FIELD]" from what is known, or "". */
static void describe(const struct media_identity *id, char *out, size_t size)
{
	char name[300];
	const char *parts[3][2] = { { "", name }, { "serial ", id->serial }, { "label ", id->label } };
	size_t used = 0;
	snprintf(name, sizeof(name), "%s%s%s", id->manufacturer, id->manufacturer[0] && id->model[0] ? " " : "",
		 id->model);
	out[0] = '\0';
	for (size_t i = 0; i < 3; i++) {
		if (!parts[i][1][0])
			continue;
		int n = snprintf(out + used, size - used, "%s%s%s", used ? ", " : " [", parts[i][0], parts[i][1]);
		if (n < 0 || (size_t)n >= size - used)
			break;
		used += (size_t)n;
	}
	if (used && used + 1 < size)
		strcat(out, "]");
}

char *notify_line(const struct notify_event *ev)
{
	char who[512] = "";
	char *out = NULL;
	if (ev->id)
		describe(ev->id, who, sizeof(who));
	if (asprintf(&out, "ferry: %s%s: %s: %s%s", ev->id && ev->id->devnode[0] ? ev->id->devnode : "stick", who,
		     notify_result_name(ev->result), ev->message ? ev->message : "",
		     ev->may_pull ? "; you may pull the stick now" : "; do NOT pull the stick yet") < 0)
		return NULL;
	return out;
}

static bool hook_env(struct proc_env *env, const struct notify_event *ev, struct ferry_error **err)
{
	static const struct media_identity none;
	const struct media_identity *id = ev->id ? ev->id : &none;
	return proc_env_init(env, NULL, err) &&
	       proc_env_add(env, "FERRY_RESULT", notify_result_name(ev->result), err) &&
	       proc_env_add(env, "FERRY_MESSAGE", ev->message ? ev->message : "", err) &&
	       proc_env_add(env, "FERRY_DEVICE", id->devnode, err) && proc_env_add(env, "FERRY_LABEL", id->label, err) &&
	       proc_env_add(env, "FERRY_SERIAL", id->serial, err) && proc_env_add(env, "FERRY_VENDOR", id->vendor, err) &&
	       proc_env_add(env, "FERRY_PRODUCT", id->product, err) &&
	       proc_env_add(env, "FERRY_MAY_PULL", ev->may_pull ? "1" : "0", err);
}

bool notify_send(const char *hook, const struct notify_event *ev, int timeout_s, struct ferry_error **err)
{
	struct proc_env env = { 0 };
	char *line = notify_line(ev), *what = NULL;
	bool ok = false;
	if (line) {
		printf("%s\n", line);
		fflush(stdout);
		free(line);
	}
	if (!hook || !*hook)
		return true;
	if (asprintf(&what, "notify hook %s", hook) < 0) {
		ferry_error_set(err, "out of memory");
		goto out;
	}
	const char *argv[] = { hook, notify_result_name(ev->result), NULL };
	struct proc_spec spec = { .argv = argv, .timeout_sec = timeout_s, .what = what };
	if (!hook_env(&env, ev, err))
		goto out;
	spec.env = (const char *const *)env.vars;
	ok = proc_run(&spec, NULL, NULL, err);
out:
	proc_env_free(&env);
	free(what);
	return ok;
}
