/* boot_script: a site-specific executable does the bootloader's part. It is
 * called as `SCRIPT VERB [SLOT]` with SLOT "a" or "b" and must exit 0 on
 * success (anything else is a failure; its stderr goes to the agent's):
 *   status           print "booted=a|b", "primary=a|b", "a_left=N", "b_left=N"
 *                    and optionally "boot_id=…" (else the kernel's is used)
 *   try-once SLOT    boot SLOT first at the next power-on, once; then fall back
 *   mark-good SLOT   SLOT is the primary with full tries
 *   rollback SLOT    SLOT is the primary with full tries, the other gets none */
#include "agent/boot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/safefile.h"

#define SCRIPT_OUTPUT_MAX 4096

/* Runs the script with verb and slot (may be 0); its stdout into out. */
static bool run_script(struct boot *b, const char *verb, char slot, char *out, size_t out_size,
		       struct ferry_error **err)
{
	int pipefd[2];
	char slot_arg[2] = { slot, '\0' };
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return ferry_error_errno(err, errno, "boot script: pipe");
	pid_t pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return ferry_error_errno(err, errno, "boot script: fork");
	}
	if (pid == 0) {
		dup2(pipefd[1], STDOUT_FILENO);
		execl(b->script, b->script, verb, slot ? slot_arg : (char *)NULL, (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	size_t got = 0;
	struct ferry_error *read_err = NULL;
	read_full(pipefd[0], out, out_size - 1, &got, b->script, &read_err);
	out[got] = '\0';
	/* Drain what does not fit so the script never blocks on a full pipe. */
	char sink[512];
	while (read(pipefd[0], sink, sizeof(sink)) > 0)
		;
	close(pipefd[0]);
	ferry_error_free(read_err);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return true;
	if (WIFEXITED(status))
		return ferry_error_set(err, "boot script %s %s%s%s: exited with %d", b->script, verb,
				       slot ? " " : "", slot_arg, WEXITSTATUS(status));
	return ferry_error_set(err, "boot script %s %s: killed by signal %d", b->script, verb,
			       WTERMSIG(status));
}

static bool parse_slot_value(const char *v, char *slot)
{
	if (strcmp(v, "a") != 0 && strcmp(v, "b") != 0)
		return false;
	*slot = v[0];
	return true;
}

static bool script_status(struct boot *b, struct boot_status *s, struct ferry_error **err)
{
	char out[SCRIPT_OUTPUT_MAX];
	bool have_left[2] = { false, false };
	memset(s, 0, sizeof(*s));
	if (!run_script(b, "status", 0, out, sizeof(out), err))
		return false;
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

static bool script_try_once(struct boot *b, char slot, struct ferry_error **err)
{
	char out[SCRIPT_OUTPUT_MAX];
	return run_script(b, "try-once", slot, out, sizeof(out), err);
}

static bool script_mark_good(struct boot *b, char slot, struct ferry_error **err)
{
	char out[SCRIPT_OUTPUT_MAX];
	return run_script(b, "mark-good", slot, out, sizeof(out), err);
}

static bool script_rollback(struct boot *b, char slot, struct ferry_error **err)
{
	char out[SCRIPT_OUTPUT_MAX];
	return run_script(b, "rollback", slot, out, sizeof(out), err);
}

const struct boot_backend boot_backend_script = {
	.name = "script",
	.status = script_status,
	.try_once = script_try_once,
	.mark_good = script_mark_good,
	.rollback = script_rollback,
};
