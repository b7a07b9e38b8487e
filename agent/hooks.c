/* hooks: see hooks.h. Device-local hooks follow run-parts: regular
 * executable files only; names starting with '.' or ending in '~' are skipped. */
#include "agent/hooks.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/safefile.h"

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted names in dir that are regular executables (missing dir: none). */
static bool list_local_hooks(const char *dir, char ***names, size_t *n, struct ferry_error **err)
{
	*names = NULL;
	*n = 0;
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? true : ferry_error_errno(err, errno, "%s", dir);
	bool ok = true;
	size_t cap = 0;
	struct dirent *de;
	while (ok && (de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		if (de->d_name[0] == '.' || de->d_name[len - 1] == '~')
			continue;
		struct stat st;
		if (fstatat(dirfd(d), de->d_name, &st, 0) < 0 || !S_ISREG(st.st_mode) ||
		    !(st.st_mode & S_IXUSR)) {
			log_warn("%s/%s: not an executable file; skipped", dir, de->d_name);
			continue;
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			char **v = realloc(*names, cap * sizeof *v);
			if (!v) {
				ok = ferry_error_set(err, "out of memory");
				break;
			}
			*names = v;
		}
		if (!((*names)[*n] = strdup(de->d_name)))
			ok = ferry_error_set(err, "out of memory");
		else
			(*n)++;
	}
	closedir(d);
	if (ok && *n)
		qsort(*names, *n, sizeof **names, compare_names);
	return ok;
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static bool run_local_hooks(const struct handler_context *ctx, const char *hooks_dir,
			    const char *kind, const char *const *extra, char **log, int *ran,
			    struct ferry_error **err)
{
	char *dir = NULL, **names = NULL;
	size_t n = 0;
	bool ok = false;
	if (asprintf(&dir, "%s/%s.d", hooks_dir, kind) < 0) {
		dir = NULL;
		ferry_error_set(err, "out of memory");
		goto out;
	}
	if (!list_local_hooks(dir, &names, &n, err))
		goto out;
	ok = true;
	for (size_t i = 0; ok && i < n; i++) {
		char *path = NULL, *what = NULL;
		if (asprintf(&path, "%s/%s", dir, names[i]) < 0 ||
		    asprintf(&what, "%s hook %s", kind, path) < 0) {
			ok = ferry_error_set(err, "out of memory");
		} else {
			const char *argv[] = { path, NULL };
			ok = handler_run(ctx, NULL, argv, extra, what, log, NULL, err);
			(*ran)++;
		}
		free(path);
		free(what);
	}
out:
	free(dir);
	free_names(names, n);
	return ok;
}

bool hooks_run(const struct handler_context *ctx, const char *hooks_dir, enum hook_kind kind,
	       const char *bundle_hook, size_t bundle_hook_len, char **log, int *ran,
	       struct ferry_error **err)
{
	if ((int)kind < 0 || kind >= HOOK_COUNT)
		return ferry_error_set(err, "unknown hook kind %d", (int)kind);
	const char *name = hook_kind_name(kind);
	char *env = NULL, *file = NULL, *what = NULL, *out = NULL;
	int count = 0;
	bool ok = false;
	if (asprintf(&env, "FERRY_HOOK=%s", name) < 0 || asprintf(&file, "hook-%s", name) < 0 ||
	    asprintf(&what, "bundle %s hook", name) < 0) {
		ferry_error_set(err, "out of memory");
		goto out;
	}
	const char *extra[] = { env, NULL };
	/* Each run's output is kept in out; the failing (or last) one is reported. */
	if (bundle_hook) {
		count++;
		if (!handler_run_script(ctx, file, bundle_hook, bundle_hook_len, extra, what, &out, err))
			goto out;
	}
	if (hooks_dir && *hooks_dir && !run_local_hooks(ctx, hooks_dir, name, extra, &out, &count, err))
		goto out;
	ok = true;
out:
	if (log) {
		free(*log);
		*log = out;
		out = NULL;
	}
	if (ran)
		*ran = count;
	free(out);
	free(env);
	free(file);
	free(what);
	return ok;
}

bool hooks_run_diagnostics(const struct handler_context *ctx, const char *hooks_dir, char **log,
			   struct ferry_error **err)
{
	static const char *const extra[] = { "FERRY_HOOK=diagnostics", NULL };
	int ran = 0;
	return run_local_hooks(ctx, hooks_dir, "diagnostics", extra, log, &ran, err);
}
