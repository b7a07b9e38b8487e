/* replay: runs a fuzz target once over each file given (or each file of a
 * directory given), without libFuzzer: what make check uses to replay the
 * committed corpus and regression inputs. A crash or sanitizer report ends
 * the process; otherwise it prints how many inputs it ran. */
#include "tests/fuzz/fuzz.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/error.h"
#include "common/safefile.h"

/* Inputs are small; a larger file is a mistake in the corpus. */
#define REPLAY_MAX (64u * 1024 * 1024)

static bool run_file(const char *path, size_t *n)
{
	struct ferry_error *err = NULL;
	char *data = NULL;
	size_t len = 0;
	if (!read_file_limited(path, REPLAY_MAX, &data, &len, &err)) {
		fprintf(stderr, "replay: %s\n", err->message);
		ferry_error_free(err);
		return false;
	}
	LLVMFuzzerTestOneInput((const uint8_t *)data, len);
	free(data);
	(*n)++;
	return true;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static bool run_dir(const char *dir, size_t *n)
{
	struct dirent **names = NULL;
	int count = scandir(dir, &names, NULL, by_name);
	bool ok = count >= 0;
	if (!ok)
		perror(dir);
	for (int i = 0; i < count; i++) {
		char path[PATH_MAX];
		if (names[i]->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
			ok = run_file(path, n) && ok;
		}
		free(names[i]);
	}
	free(names);
	return ok;
}

int main(int argc, char **argv)
{
	size_t n = 0;
	bool ok = true;
	for (int i = 1; i < argc; i++) {
		struct stat sb;
		if (stat(argv[i], &sb) != 0) {
			perror(argv[i]);
			ok = false;
		} else {
			ok = (S_ISDIR(sb.st_mode) ? run_dir(argv[i], &n) : run_file(argv[i], &n)) && ok;
		}
	}
	printf("replay: %zu inputs\n", n);
	return ok ? 0 : 1;
}
