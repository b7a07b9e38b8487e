/* proc: see proc.h. One child at a time, polled; the child leads its own
 * process group so a timeout kills everything it started in that group. */
#include "agent/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PROC_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define PROC_KILL_GRACE_MS 2000   /* SIGTERM first, SIGKILL after this */
#define PROC_DRAIN_MS 1000        /* after exit, how long to wait for pipes held by leftovers */

void proc_log_append(struct proc_log *log, const void *data, size_t len)
{
	if (!log || len == 0)
		return;
	if (!log->ring && !(log->ring = malloc(PROC_LOG_MAX)))
		return;
	const char *p = data;
	if (len > PROC_LOG_MAX) {   /* only the tail can survive */
		log->dropped += len - PROC_LOG_MAX + log->len;
		p += len - PROC_LOG_MAX;
		len = PROC_LOG_MAX;
		log->start = 0;
		log->len = 0;
	}
	size_t overflow = log->len + len > PROC_LOG_MAX ? log->len + len - PROC_LOG_MAX : 0;
	log->start = (log->start + overflow) % PROC_LOG_MAX;
	log->len -= overflow;
	log->dropped += overflow;
	for (size_t done = 0; done < len;) {
		size_t at = (log->start + log->len) % PROC_LOG_MAX;
		size_t n = PROC_LOG_MAX - at < len - done ? PROC_LOG_MAX - at : len - done;
		memcpy(log->ring + at, p + done, n);
		log->len += n;
		done += n;
	}
}

char *proc_log_text(const struct proc_log *log)
{
	if (!log || log->len == 0)
		return NULL;
	char head[64] = "";
	if (log->dropped)
		snprintf(head, sizeof head, "[... %zu bytes dropped]\n", log->dropped);
	size_t hl = strlen(head);
	char *s = malloc(hl + log->len + 1);
	if (!s)
		return NULL;
	memcpy(s, head, hl);
	size_t first = PROC_LOG_MAX - log->start < log->len ? PROC_LOG_MAX - log->start : log->len;
	memcpy(s + hl, log->ring + log->start, first);
	memcpy(s + hl + first, log->ring, log->len - first);
	s[hl + log->len] = '\0';
	return s;
}

void proc_log_free(struct proc_log *log)
{
	if (!log)
		return;
	free(log->ring);
	memset(log, 0, sizeof *log);
}

static bool env_push(struct proc_env *e, char *var, struct ferry_error **err)
{
	if (!var)
		return ferry_error_set(err, "out of memory");
	if (e->n + 2 > e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 16;
		char **v = realloc(e->vars, cap * sizeof *v);
		if (!v) {
			free(var);
			return ferry_error_set(err, "out of memory");
		}
		e->vars = v;
		e->cap = cap;
	}
	e->vars[e->n++] = var;
	e->vars[e->n] = NULL;
	return true;
}

bool proc_env_init(struct proc_env *e, const char *tmpdir, struct ferry_error **err)
{
	memset(e, 0, sizeof *e);
	return env_push(e, strdup(PROC_PATH), err) && env_push(e, strdup("LANG=C"), err) &&
	       proc_env_add(e, "TMPDIR", tmpdir, err);
}

bool proc_env_add(struct proc_env *e, const char *key, const char *value, struct ferry_error **err)
{
	if (!value)
		return true;
	char *var = NULL;
	if (asprintf(&var, "%s=%s", key, value) < 0)
		var = NULL;
	return env_push(e, var, err);
}

void proc_env_free(struct proc_env *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->vars[i]);
	free(e->vars);
	memset(e, 0, sizeof *e);
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* In the child: never returns. Reports an exec failure's errno on errfd. */
static void child_exec(const struct proc_spec *spec, int out_w, int err_w, int errfd)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	setpgid(0, 0);
	int devnull = open("/dev/null", O_RDONLY);
	int e = 0;
	if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(out_w, 1) < 0 || dup2(err_w, 2) < 0)
		e = errno;
	else if (spec->cwd && chdir(spec->cwd) < 0)
		e = errno;
	if (!e) {
		/* Nothing of the agent's open files reaches the program: all are
		 * closed at exec (errfd too, which tells the parent exec worked). */
		if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
			for (int fd = 3; fd < 1024; fd++)
				if (fd != errfd)
					close(fd);
		execve(spec->argv[0], (char *const *)spec->argv, (char *const *)spec->env);
		e = errno;
	}
	ssize_t w = write(errfd, &e, sizeof e);
	(void)w;
	_exit(127);
}

struct proc_io {
	struct proc_log *log;
	char *out;
	size_t out_len;
};

/* Reads what is available on fd; false at end of file. */
static bool drain_fd(int fd, bool is_stdout, struct proc_io *io)
{
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof buf);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0)
		return false;
	proc_log_append(io->log, buf, (size_t)n);
	if (is_stdout && io->out && io->out_len < PROC_STDOUT_MAX) {
		size_t k = (size_t)n < PROC_STDOUT_MAX - io->out_len ? (size_t)n : PROC_STDOUT_MAX - io->out_len;
		memcpy(io->out + io->out_len, buf, k);
		io->out_len += k;
	}
	return true;
}

/* Waits up to timeout_ms for output and reads one chunk of each pipe that
 * has some, closing a pipe at its end; returns poll's count. */
static int pump(int fds[2], struct proc_io *io, int timeout_ms)
{
	struct pollfd pfd[2] = { { fds[0], POLLIN, 0 }, { fds[1], POLLIN, 0 } };
	int n = poll(pfd, 2, timeout_ms);
	for (int i = 0; n > 0 && i < 2; i++)
		if (fds[i] >= 0 && (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    !drain_fd(fds[i], i == 0, io)) {
			close(fds[i]);
			fds[i] = -1;
		}
	return n;
}

/* What is already in the pipes when the drain time is over is read too (a
 * loaded machine may not have run us in that time), up to PROC_DRAIN_MAX
 * bytes, so a leftover writing without end cannot hold us. */
#define PROC_DRAIN_MAX (256 * 1024)
static void drain_ready(int fds[2], struct proc_io *io)
{
	for (size_t rounds = 0; rounds < PROC_DRAIN_MAX / 4096; rounds++)
		if (pump(fds, io, 0) <= 0)
			return;
}

/* Polls the child's pipes until it exited (and the pipes closed or the drain
 * time passed), killing the process group at the deadline. */
static bool supervise(const struct proc_spec *spec, pid_t pid, int fds[2], struct proc_io *io,
		      int *status, bool *timed_out)
{
	long long deadline = now_ms() + (long long)spec->timeout_sec * 1000;
	long long kill_at = 0, drain_until = 0;
	bool exited = false;
	while (true) {
		if (!exited) {
			pid_t r = waitpid(pid, status, WNOHANG);
			if (r == pid) {
				exited = true;
				drain_until = now_ms() + PROC_DRAIN_MS;
			} else if (r < 0 && errno != EINTR) {
				return false;
			}
		}
		long long t = now_ms();
		if (exited && ((fds[0] < 0 && fds[1] < 0) || t >= drain_until)) {
			drain_ready(fds, io);
			return true;
		}
		if (!exited && t >= deadline && !*timed_out) {
			*timed_out = true;
			kill(-pid, SIGTERM);
			kill_at = t + PROC_KILL_GRACE_MS;
		}
		if (!exited && kill_at && t >= kill_at) {
			kill(-pid, SIGKILL);
			kill_at = 0;
		}
		pump(fds, io, 50);
	}
}

static void describe_status(const struct proc_spec *spec, int status, bool timed_out,
			    struct ferry_error **err)
{
	if (timed_out)
		ferry_error_set(err, "%s: timed out after %d s (process group killed)", spec->what,
				spec->timeout_sec);
	else if (WIFEXITED(status))
		ferry_error_set(err, "%s: exited with status %d", spec->what, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		ferry_error_set(err, "%s: killed by signal %d (%s)", spec->what, WTERMSIG(status),
				strsignal(WTERMSIG(status)));
	else
		ferry_error_set(err, "%s: ended with wait status 0x%x", spec->what, status);
	ferry_error_classify(err, FERRY_E_HANDLER);   /* the hook, script or module failed */
}

bool proc_run(const struct proc_spec *spec, struct proc_log *log, char **out,
	      struct ferry_error **err)
{
	bool ok = false;
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 }, execp[2] = { -1, -1 };
	int fds[2] = { -1, -1 };
	pid_t pid = -1;
	struct proc_io io = { log, NULL, 0 };
	if (out) {
		*out = NULL;
		if (!(io.out = malloc(PROC_STDOUT_MAX + 1))) {
			ferry_error_set(err, "out of memory");
			goto out;
		}
	}
	if (spec->timeout_sec <= 0) {
		ferry_error_set(err, "%s: a timeout is required", spec->what);
		goto out;
	}
	if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 || pipe2(execp, O_CLOEXEC) < 0) {
		ferry_error_errno(err, errno, "%s: pipe", spec->what);
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		ferry_error_errno(err, errno, "%s: fork", spec->what);
		goto out;
	}
	/* Without a caller reading stdout, stderr shares its pipe: the log then
	 * has both in the order the program wrote them (two pipes read in turns
	 * could put its last stderr line before the end of its stdout). */
	if (pid == 0)
		child_exec(spec, outp[1], out ? errp[1] : outp[1], execp[1]);
	setpgid(pid, pid);   /* also in the parent: no race with an early kill */
	close(outp[1]);
	close(errp[1]);
	close(execp[1]);
	outp[1] = errp[1] = execp[1] = -1;
	fds[0] = outp[0];
	fds[1] = out ? errp[0] : -1;
	outp[0] = -1;
	if (out)
		errp[0] = -1;

	int status = 0;
	bool timed_out = false;
	if (!supervise(spec, pid, fds, &io, &status, &timed_out)) {
		ferry_error_errno(err, errno, "%s: waitpid", spec->what);
		kill(-pid, SIGKILL);
		waitpid(pid, NULL, 0);
		goto out;
	}
	int exec_errno = 0;
	if (read(execp[0], &exec_errno, sizeof exec_errno) == (ssize_t)sizeof exec_errno) {
		ferry_error_errno(err, exec_errno, "%s: cannot execute %s", spec->what, spec->argv[0]);
		goto out;
	}
	if (timed_out || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		describe_status(spec, status, timed_out, err);
		goto out;
	}
	ok = true;
out:
	for (int i = 0; i < 2; i++) {
		if (outp[i] >= 0) close(outp[i]);
		if (errp[i] >= 0) close(errp[i]);
		if (execp[i] >= 0) close(execp[i]);
		if (fds[i] >= 0) close(fds[i]);
	}
	if (io.out) {
		io.out[io.out_len] = '\0';
		if (out)
			*out = io.out;
		else
			free(io.out);
	}
	return ok;
}
