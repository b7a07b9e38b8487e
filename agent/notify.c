/* notify: see notify.h. */
#include "agent/notify.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *notify_result_name(enum notify_result r)
{
	switch (r) {
	case NOTIFY_SUCCESS: return "success";
	case NOTIFY_FAILURE: return "failure";
	case NOTIFY_REFUSED: return "refused";
	case NOTIFY_NOTHING: return "nothing";
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

static void child_exec(const char *hook, const struct notify_event *ev)
{
	const struct media_identity *id = ev->id;
	static const struct media_identity none;
	if (!id)
		id = &none;
	if (setenv("FERRY_RESULT", notify_result_name(ev->result), 1) ||
	    setenv("FERRY_MESSAGE", ev->message ? ev->message : "", 1) ||
	    setenv("FERRY_DEVICE", id->devnode, 1) || setenv("FERRY_LABEL", id->label, 1) ||
	    setenv("FERRY_SERIAL", id->serial, 1) || setenv("FERRY_VENDOR", id->vendor, 1) ||
	    setenv("FERRY_PRODUCT", id->product, 1) || setenv("FERRY_MAY_PULL", ev->may_pull ? "1" : "0", 1))
		_exit(127);
	execl(hook, hook, notify_result_name(ev->result), (char *)NULL);
	_exit(127);
}

bool notify_send(const char *hook, const struct notify_event *ev, int timeout_s, struct ferry_error **err)
{
	char *line = notify_line(ev);
	int status = 0;
	pid_t pid, got = 0;
	if (line) {
		printf("%s\n", line);
		fflush(stdout);
		free(line);
	}
	if (!hook || !*hook)
		return true;
	if ((pid = fork()) < 0)
		return ferry_error_errno(err, errno, "notify hook %s: fork", hook);
	if (pid == 0)
		child_exec(hook, ev);
	/* Poll rather than block: a hook that hangs must not stop the daemon. */
	for (int waited_ms = 0; waited_ms < timeout_s * 1000; waited_ms += 20) {
		got = waitpid(pid, &status, WNOHANG);
		if (got != 0)
			break;
		nanosleep(&(struct timespec){ .tv_nsec = 20 * 1000 * 1000 }, NULL);
	}
	if (got == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return ferry_error_set(err, "notify hook %s: killed after %d s", hook, timeout_s);
	}
	if (got < 0)
		return ferry_error_errno(err, errno, "notify hook %s: wait", hook);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return true;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return ferry_error_set(err, "notify hook %s: cannot be run", hook);
	if (WIFEXITED(status))
		return ferry_error_set(err, "notify hook %s: exit status %d", hook, WEXITSTATUS(status));
	return ferry_error_set(err, "notify hook %s: killed by signal %d", hook, WTERMSIG(status));
}
