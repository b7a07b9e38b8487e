/* proc: runs one program for scripts, update modules and hooks — in its own
 * process group, with a clean environment, a working directory and a timeout
 * after which the whole group is killed; stdout and stderr are captured into
 * a bounded log that keeps the last PROC_LOG_MAX bytes. */
#ifndef FERRY_PROC_H
#define FERRY_PROC_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

#define PROC_LOG_MAX (64 * 1024)
#define PROC_STDOUT_MAX 4096      /* what proc_run keeps of stdout for queries */

/* The last PROC_LOG_MAX bytes of everything a run printed (both streams). */
struct proc_log {
	char *ring;          /* PROC_LOG_MAX bytes, allocated on first use */
	size_t start, len;   /* ring contents */
	size_t dropped;      /* bytes that fell out of the window */
};
/* A NUL-terminated copy of the kept bytes ("[… N bytes dropped]\n" first
 * when some were dropped); NULL when empty or out of memory. Caller frees. */
char *proc_log_text(const struct proc_log *log);
void proc_log_append(struct proc_log *log, const void *data, size_t len);
void proc_log_free(struct proc_log *log);

struct proc_spec {
	const char *const *argv;  /* argv[0] is the program path (no PATH search) */
	const char *const *env;   /* the whole environment, NULL-terminated "K=V" */
	const char *cwd;          /* NULL: inherit */
	int timeout_sec;          /* > 0 */
	const char *what;         /* for messages: "script install.sh", "module file-copy ArtifactInstall" */
};

/* Runs spec to completion. False with *err naming spec->what and the exit
 * status, signal, or timeout when it could not start or did not exit 0.
 * Output goes to log (may be NULL); when out is not NULL it receives the
 * first PROC_STDOUT_MAX bytes of stdout alone, NUL-terminated (caller frees). */
bool proc_run(const struct proc_spec *spec, struct proc_log *log, char **out,
	      struct ferry_error **err);

/* A clean NULL-terminated environment for a child: proc_env_init puts in a
 * fixed PATH, LANG=C and TMPDIR (when given); proc_env_add adds KEY=value
 * (a NULL value is skipped). vars is usable as proc_spec.env. Free with
 * proc_env_free. */
struct proc_env {
	char **vars;
	size_t n, cap;
};
bool proc_env_init(struct proc_env *e, const char *tmpdir, struct ferry_error **err);
bool proc_env_add(struct proc_env *e, const char *key, const char *value, struct ferry_error **err);
void proc_env_free(struct proc_env *e);

#endif
