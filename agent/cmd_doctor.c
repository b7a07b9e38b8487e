/* cmd_doctor: `ferry-agent doctor`: checks the device against its agent.json
 * before an update needs it: slots, bootloader environment, state_dir,
 * trust store, modules and hooks, the media mount directory. One line per
 * check ("ok" or "FAIL" and the reason), --json, exit 1 when any fails.
 * Changes nothing. A virtual device (bootloader "file") may keep its state on
 * tmpfs and its files owned by the user running it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "agent/boot.h"
#include "agent/cmd.h"

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif
#ifndef RAMFS_MAGIC
#define RAMFS_MAGIC 0x858458f6
#endif

struct doctor {
	const struct agent_config *c;
	bool virtual_device, json;
	json_t *list;
	size_t failed;
};

static void report(struct doctor *d, const char *check, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void report(struct doctor *d, const char *check, bool ok, const char *fmt, ...)
{
	char detail[PATH_MAX + 256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	d->failed += !ok;
	if (d->json)
		json_array_append_new(d->list, json_pack("{s:s, s:b, s:s}", "check", check, "ok", ok,
							 "detail", detail));
	else
		printf("%-4s %-14s %s\n", ok ? "ok" : "FAIL", check, detail);
}

/* Owned by root, or on a virtual device by whoever runs it. */
static bool owner_ok(const struct doctor *d, const struct stat *st)
{
	return st->st_uid == 0 || (d->virtual_device && st->st_uid == geteuid());
}

/* A block device that is the source of a mount, per /proc/self/mountinfo. */
static bool block_mounted(dev_t rdev)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[4096];
	bool found = false;
	unsigned maj, min;
	while (f && !found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%*u %*u %u:%u", &maj, &min) == 2 && makedev(maj, min) == rdev)
			found = true;
	if (f)
		fclose(f);
	return found;
}

static bool slot_usable(struct doctor *d, const char *name, const char *path, struct stat *st)
{
	if (stat(path, st) != 0) {
		report(d, "slots", false, "%s: %s: %s", name, path, strerror(errno));
		return false;
	}
	if (!S_ISBLK(st->st_mode) && !S_ISREG(st->st_mode)) {
		report(d, "slots", false, "%s: %s: neither a block device nor a file", name, path);
		return false;
	}
	if (S_ISBLK(st->st_mode) && block_mounted(st->st_rdev)) {
		report(d, "slots", false, "%s: %s: mounted: an update would overwrite a mounted filesystem",
		       name, path);
		return false;
	}
	return true;
}

static uint64_t slot_size(const char *path, const struct stat *st)
{
	uint64_t size = (uint64_t)st->st_size;
	if (S_ISBLK(st->st_mode)) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		off_t end = fd >= 0 ? lseek(fd, 0, SEEK_END) : -1;
		size = end > 0 ? (uint64_t)end : 0;
		if (fd >= 0)
			close(fd);
	}
	return size;
}

static bool same_node(const struct stat *x, const struct stat *y)
{
	if (S_ISBLK(x->st_mode) && S_ISBLK(y->st_mode))
		return x->st_rdev == y->st_rdev;
	return x->st_dev == y->st_dev && x->st_ino == y->st_ino;
}

static void check_slots(struct doctor *d)
{
	size_t n = d->c->n_slots, bad = d->failed;
	struct stat *st = calloc(2 * n + 1, sizeof(*st));
	for (size_t i = 0; st && i < n; i++) {
		const struct agent_slot_pair *p = &d->c->slots[i];
		if (!slot_usable(d, p->name, p->a, &st[2 * i]) || !slot_usable(d, p->name, p->b, &st[2 * i + 1]))
			continue;
		uint64_t a = slot_size(p->a, &st[2 * i]), b = slot_size(p->b, &st[2 * i + 1]);
		if (a == 0 || a != b)
			report(d, "slots", false, "%s: a is %llu bytes, b %llu: both must hold the same image",
			       p->name, (unsigned long long)a, (unsigned long long)b);
	}
	for (size_t i = 0; st && d->failed == bad && i < 2 * n; i++)
		for (size_t j = i + 1; j < 2 * n; j++)
			if (same_node(&st[i], &st[j]))
				report(d, "slots", false, "%s %c and %s %c are the same device or file",
				       d->c->slots[i / 2].name, "ab"[i % 2], d->c->slots[j / 2].name, "ab"[j % 2]);
	if (st && d->failed == bad)
		report(d, "slots", true, "%zu pair(s): present, same size in each pair, distinct, not mounted", n);
	free(st);
}

static void check_bootloader(struct doctor *d)
{
	struct boot *b = NULL;
	struct boot_status s;
	struct ferry_error *e = NULL;
	if (!boot_open(d->c, &b, &e) || !boot_get_status(b, &s, &e))
		report(d, "bootloader", false, "%s: %s", agent_boot_type_name(d->c->bootloader.type),
		       ferry_error_message(e));
	else
		report(d, "bootloader", true, "%s: BOOT_ORDER %c %c, tries left A %d B %d", boot_name(b),
		       s.order[0] ? s.order[0] - 'a' + 'A' : '?', s.order[1] ? s.order[1] - 'a' + 'A' : '?',
		       s.left[0], s.left[1]);
	ferry_error_free(e);
	boot_close(b);
}

static void check_state_dir(struct doctor *d)
{
	struct statfs fs;
	const char *dir = d->c->state_dir;
	if (statfs(dir, &fs) != 0)
		report(d, "state_dir", false, "%s: %s", dir, strerror(errno));
	else if ((fs.f_type == TMPFS_MAGIC || fs.f_type == RAMFS_MAGIC) && !d->virtual_device)
		report(d, "state_dir", false, "%s: on tmpfs: the update state would not survive a reboot", dir);
	else
		report(d, "state_dir", true, "%s: %s", dir,
		       fs.f_type == TMPFS_MAGIC || fs.f_type == RAMFS_MAGIC ? "tmpfs (virtual device)" : "persistent");
}

static void check_trust(struct doctor *d)
{
	struct stat st;
	const char *dir = d->c->trust_homedir;
	if (lstat(dir, &st) != 0)
		report(d, "trust", false, "%s: %s", dir, strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		report(d, "trust", false, "%s: not a directory", dir);
	else if (!owner_ok(d, &st) || (st.st_mode & 077))
		report(d, "trust", false, "%s: owner uid %u, mode %03o: must be root's and 0700", dir,
		       (unsigned)st.st_uid, (unsigned)(st.st_mode & 0777));
	else
		report(d, "trust", true, "%s: mode 0700, owner uid %u", dir, (unsigned)st.st_uid);
}

/* Every regular file below dir (to depth levels) executable; missing dir: none. */
static void check_executables(struct doctor *d, const char *check, const char *dir, int depth,
			      size_t *count, bool *ok)
{
	DIR *dh = opendir(dir);
	struct dirent *de;
	while (dh && (de = readdir(dh))) {
		char path[PATH_MAX];
		struct stat st;
		if (de->d_name[0] == '.' ||
		    snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path) || stat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode) && depth > 0) {
			check_executables(d, check, path, depth - 1, count, ok);
		} else if (S_ISREG(st.st_mode)) {
			(*count)++;
			if (!(st.st_mode & S_IXUSR)) {
				report(d, check, false, "%s: not executable (chmod 0755 it)", path);
				*ok = false;
			}
		}
	}
	if (dh)
		closedir(dh);
}

static void check_programs(struct doctor *d, const char *check, const char *dir, int depth)
{
	size_t count = 0;
	bool ok = true;
	if (!dir) {
		report(d, check, true, "none configured");
		return;
	}
	check_executables(d, check, dir, depth, &count, &ok);
	if (ok)
		report(d, check, true, "%s: %zu file(s), all executable", dir, count);
}

static void check_media_dir(struct doctor *d)
{
	struct stat st;
	const char *dir = d->c->media.mount_dir;
	if (lstat(dir, &st) != 0)
		report(d, "media", true, "%s: made (0700) when the first stick is mounted", dir);
	else if (!S_ISDIR(st.st_mode))
		report(d, "media", false, "%s: not a directory (a symlink?): sticks would mount elsewhere", dir);
	else if (!owner_ok(d, &st) || (st.st_mode & 022))
		report(d, "media", false, "%s: owner uid %u, mode %03o: others could place files where sticks mount",
		       dir, (unsigned)st.st_uid, (unsigned)(st.st_mode & 0777));
	else
		report(d, "media", true, "%s: owner uid %u, not writable by others", dir, (unsigned)st.st_uid);
}

int cmd_doctor(struct agent_ctx *ctx, int argc, char **argv, struct ferry_error **err)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--json") == 0)
			ctx->json = true;
		else
			return ferry_error_setc(err, FERRY_E_USAGE, "doctor: '%s': usage: doctor [--json]", argv[i]),
			       CLI_EXIT_USAGE;
	struct doctor d = { .c = ctx->config, .json = ctx->json,
			    .virtual_device = ctx->config->bootloader.type == AGENT_BOOT_FILE };
	if (d.json)
		d.list = json_array();
	check_slots(&d);
	check_bootloader(&d);
	check_state_dir(&d);
	check_trust(&d);
	check_programs(&d, "modules", d.c->modules_dir, 0);
	check_programs(&d, "hooks", d.c->hooks_dir, 1);
	check_media_dir(&d);
	if (d.json)
		cmd_print_json(json_pack("{s:o, s:b}", "checks", d.list, "ok", d.failed == 0));
	else if (d.failed)
		printf("%zu check(s) failed\n", d.failed);
	return d.failed ? CLI_EXIT_FAILED : CLI_EXIT_OK;
}
