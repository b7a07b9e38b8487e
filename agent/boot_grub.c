/* boot_grub: a GRUB environment block (grubenv): exactly 1024 bytes, the
 * header "# GRUB Environment Block\n", name=value lines ('\\' and newline in
 * values escaped by a backslash, as grub-editenv does), '#' padding. Other
 * variables in the block are kept; the block is replaced atomically. */
#include "agent/boot.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/safefile.h"

#define GRUBENV_SIZE 1024
#define GRUBENV_HEADER "# GRUB Environment Block\n"

/* Parses one "name=value" line of n bytes, unescaping the value. */
static bool parse_line(const char *path, const char *line, size_t n, struct boot_env *env,
		       struct ferry_error **err)
{
	const char *eq = memchr(line, '=', n);
	/* A NUL would cut the name or value short: what we write back would differ. */
	if (memchr(line, '\0', n))
		return ferry_error_set(err, "%s: a name=value line holds a NUL byte", path);
	if (!eq || eq == line)
		return ferry_error_set(err, "%s: line '%.*s' is not name=value", path, (int)n, line);
	char *name = strndup(line, (size_t)(eq - line));
	char *value = malloc(n);
	bool ok = false;
	if (!name || !value) {
		ferry_error_set(err, "out of memory");
		goto out;
	}
	size_t o = 0;
	for (const char *p = eq + 1; p < line + n; p++) {
		if (*p == '\\' && p + 1 < line + n)
			p++;
		value[o++] = *p;
	}
	value[o] = '\0';
	ok = boot_env_set(env, name, value, err);
out:
	free(name);
	free(value);
	return ok;
}

static bool grub_load(struct boot *b, struct boot_env *env, struct ferry_error **err)
{
	char *data = NULL;
	size_t len = 0;
	bool ok = false;
	if (access(b->path, F_OK) < 0 && errno == ENOENT)
		return true;   /* grub-editenv creates it on the first set; so do we */
	if (!read_file_limited(b->path, GRUBENV_SIZE, &data, &len, err))
		return false;
	if (len != GRUBENV_SIZE || strncmp(data, GRUBENV_HEADER, strlen(GRUBENV_HEADER)) != 0) {
		ferry_error_set(err, "%s: not a GRUB environment block (%d bytes starting with '%s')",
				b->path, GRUBENV_SIZE, "# GRUB Environment Block");
		goto out;
	}
	size_t pos = strlen(GRUBENV_HEADER);
	while (pos < len) {
		const char *line = data + pos;
		const char *nl = memchr(line, '\n', len - pos);
		/* A value may hold an escaped newline: "\\\n" continues the line. */
		while (nl && nl > line && nl[-1] == '\\')
			nl = memchr(nl + 1, '\n', len - (size_t)(nl + 1 - data));
		size_t n = nl ? (size_t)(nl - line) : len - pos;
		if (n > 0 && line[0] != '#' && !parse_line(b->path, line, n, env, err))
			goto out;
		pos += n + 1;
	}
	ok = true;
out:
	free(data);
	return ok;
}

/* GRUB reads the boot partition without fsck or journal replay, and on ext2
 * fsync leaves the block and inode bitmaps to writeback: a power cut then left
 * a partition whose next write fails (tests/vm, scenario d). syncfs writes
 * the whole filesystem's metadata before the env counts as stored. */
static bool sync_env_fs(const char *path, struct ferry_error **err)
{
	char *copy = strdup(path);
	if (!copy)
		return ferry_error_set(err, "out of memory");
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	bool ok = fd >= 0 && syncfs(fd) == 0;
	if (!ok)
		ferry_error_errno(err, errno, "%s: syncfs", path);
	if (fd >= 0)
		close(fd);
	free(copy);
	return ok;
}

static bool grub_store(struct boot *b, const struct boot_env *env, struct ferry_error **err)
{
	char block[GRUBENV_SIZE];
	size_t o = strlen(GRUBENV_HEADER);
	memcpy(block, GRUBENV_HEADER, o);
	for (size_t i = 0; i < env->n; i++) {
		const char *name = env->names[i];
		if (strchr(name, '=') || strchr(name, '\n'))
			return ferry_error_set(err, "%s: variable name '%s' cannot be stored", b->path, name);
		size_t need = strlen(name) + 2;
		for (const char *p = env->values[i]; *p; p++)
			need += (*p == '\\' || *p == '\n') ? 2 : 1;
		if (o + need > GRUBENV_SIZE)
			return ferry_error_set(err, "%s: environment block full (%d bytes)", b->path,
					       GRUBENV_SIZE);
		memcpy(block + o, name, strlen(name));
		o += strlen(name);
		block[o++] = '=';
		for (const char *p = env->values[i]; *p; p++) {
			if (*p == '\\' || *p == '\n')
				block[o++] = '\\';
			block[o++] = *p;
		}
		block[o++] = '\n';
	}
	memset(block + o, '#', GRUBENV_SIZE - o);
	return safe_write_atomic(b->path, block, GRUBENV_SIZE, 0644, err) && sync_env_fs(b->path, err);
}

const struct boot_backend boot_backend_grub = {
	.name = "grub",
	.load = grub_load,
	.store = grub_store,
};
