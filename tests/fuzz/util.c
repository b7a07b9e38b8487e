/* util: the helpers of fuzz.h. */
#include "tests/fuzz/fuzz.h"

#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/boot.h"

char *fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (s) {
		if (size)
			memcpy(s, data, size);
		s[size] = '\0';
	}
	return s;
}

/* /dev/shm when there is one: bootloader targets fsync at every input. */
static char dir[64];
static bool have_dir;

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void remove_dir(void)
{
	nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

const char *fuzz_dir(void)
{
	if (!have_dir) {
		snprintf(dir, sizeof(dir), "%s/ferry-fuzz.XXXXXX",
			 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
		if (!mkdtemp(dir)) {
			perror("fuzz: mkdtemp");
			abort();
		}
		have_dir = true;
		atexit(remove_dir);
	}
	return dir;
}

const char *fuzz_file(const char *name, const void *data, size_t size)
{
	static char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", fuzz_dir(), name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return NULL;
	const char *p = data;
	while (size > 0) {
		ssize_t n = write(fd, p, size);
		if (n <= 0) {
			close(fd);
			return NULL;
		}
		p += n;
		size -= (size_t)n;
	}
	return close(fd) == 0 ? path : NULL;
}

void fuzz_boot_env(enum agent_boot_type type, const char *name, const uint8_t *data, size_t size)
{
	char env[PATH_MAX], cmdline[PATH_MAX], boot_id[PATH_MAX];
	struct boot *b = NULL;
	struct boot_status s;
	struct ferry_error *err = NULL;
	snprintf(cmdline, sizeof(cmdline), "%s", fuzz_file("cmdline", "ferry.slot=a\n", 13));
	snprintf(boot_id, sizeof(boot_id), "%s", fuzz_file("boot_id", "1\n", 2));
	snprintf(env, sizeof(env), "%s", fuzz_file(name, data, size));
	struct boot_params p = { .type = type, .path = env, .cmdline = cmdline, .boot_id_path = boot_id };
	if (boot_open_params(&p, &b, &err) && boot_get_status(b, &s, &err) &&
	    boot_try_once(b, 'b', &err) && !boot_get_status(b, &s, &err))
		abort();   /* what we wrote we must read back */
	boot_close(b);
	ferry_error_free(err);
}
