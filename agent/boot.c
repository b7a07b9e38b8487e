/* boot: see boot.h. The RAUC-style scheme over a name=value environment,
 * once for the file, uboot and grub backends; the script backend supplies
 * whole operations instead. */
#include "boot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/safefile.h"

int boot_slot_index(char slot)
{
	return slot == 'a' ? 0 : slot == 'b' ? 1 : -1;
}

char boot_other_slot(char slot)
{
	return slot == 'a' ? 'b' : 'a';
}

char boot_status_next(const struct boot_status *s)
{
	for (int i = 0; i < 2; i++)
		if (s->left[boot_slot_index(s->order[i])] > 0)
			return s->order[i];
	return s->order[0];
}

bool boot_status_fell_back(const struct boot_status *s)
{
	return s->booted && s->booted != s->order[0];
}

const char *boot_env_get(const struct boot_env *e, const char *name)
{
	for (size_t i = 0; i < e->n; i++)
		if (strcmp(e->names[i], name) == 0)
			return e->values[i];
	return NULL;
}

bool boot_env_set(struct boot_env *e, const char *name, const char *value, struct ferry_error **err)
{
	char *v = strdup(value);
	if (!v)
		return ferry_error_set(err, "out of memory");
	for (size_t i = 0; i < e->n; i++) {
		if (strcmp(e->names[i], name) == 0) {
			free(e->values[i]);
			e->values[i] = v;
			return true;
		}
	}
	char **names = realloc(e->names, (e->n + 1) * sizeof(char *));
	if (names)
		e->names = names;
	char **values = names ? realloc(e->values, (e->n + 1) * sizeof(char *)) : NULL;
	if (values)
		e->values = values;
	char *n = values ? strdup(name) : NULL;
	if (!n) {
		free(v);
		return ferry_error_set(err, "out of memory");
	}
	e->names[e->n] = n;
	e->values[e->n] = v;
	e->n++;
	return true;
}

void boot_env_clear(struct boot_env *e)
{
	for (size_t i = 0; i < e->n; i++) {
		free(e->names[i]);
		free(e->values[i]);
	}
	free(e->names);
	free(e->values);
	memset(e, 0, sizeof(*e));
}

bool boot_read_cmdline_slot(const char *path, char *slot, struct ferry_error **err)
{
	char *data = NULL;
	size_t len = 0;
	*slot = 0;
	if (!read_file_limited(path, 65536, &data, &len, err))
		return false;
	char *save = NULL;
	for (char *tok = strtok_r(data, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save)) {
		const char *v = NULL;
		if (strncmp(tok, "ferry.slot=", 11) == 0)
			v = tok + 11;
		else if (strncmp(tok, "rauc.slot=", 10) == 0)
			v = tok + 10;
		if (v && strlen(v) == 1 && (v[0] == 'a' || v[0] == 'A'))
			*slot = 'a';
		else if (v && strlen(v) == 1 && (v[0] == 'b' || v[0] == 'B'))
			*slot = 'b';
	}
	free(data);
	return true;
}

bool boot_read_boot_id(const char *path, char *out, size_t size, struct ferry_error **err)
{
	char *data = NULL;
	size_t len = 0;
	if (!read_file_limited(path, 4096, &data, &len, err))
		return false;
	data[strcspn(data, "\r\n")] = '\0';
	snprintf(out, size, "%s", data);
	free(data);
	return true;
}

/* --- the scheme over an environment ------------------------------------- */

static const char *left_name(char slot)
{
	return slot == 'a' ? "BOOT_A_LEFT" : "BOOT_B_LEFT";
}

static bool parse_env_status(struct boot *b, const struct boot_env *env, struct boot_status *s,
			     struct ferry_error **err)
{
	const char *order = boot_env_get(env, "BOOT_ORDER");
	memset(s, 0, sizeof(*s));
	if (!order || strcmp(order, "A B") == 0) {
		s->order[0] = 'a';
		s->order[1] = 'b';
	} else if (strcmp(order, "B A") == 0) {
		s->order[0] = 'b';
		s->order[1] = 'a';
	} else {
		return ferry_error_set(err, "%s bootloader: BOOT_ORDER '%s' is not \"A B\" or \"B A\"",
				       b->backend->name, order);
	}
	for (char slot = 'a'; slot <= 'b'; slot++) {
		const char *v = boot_env_get(env, left_name(slot));
		char *end = NULL;
		long n = v ? strtol(v, &end, 10) : BOOT_DEFAULT_TRIES;
		if (v && (!*v || *end || n < 0 || n > 1000))
			return ferry_error_set(err, "%s bootloader: %s '%s' is not a count",
					       b->backend->name, left_name(slot), v);
		s->left[boot_slot_index(slot)] = (int)n;
	}
	return true;
}

/* Where the running slot and the boot id come from: the env itself for the
 * virtual (file) bootloader, the kernel otherwise. */
static bool read_booted(struct boot *b, const struct boot_env *env, struct boot_status *s,
			struct ferry_error **err)
{
	if (b->backend == &boot_backend_file) {
		const char *booted = boot_env_get(env, "BOOTED");
		const char *id = boot_env_get(env, "BOOT_ID");
		s->booted = booted && strcmp(booted, "A") == 0 ? 'a' : booted && strcmp(booted, "B") == 0 ? 'b' : 0;
		snprintf(s->boot_id, sizeof(s->boot_id), "%s", id ? id : "");
		return true;
	}
	return boot_read_cmdline_slot(b->cmdline, &s->booted, err) &&
	       boot_read_boot_id(b->boot_id_path, s->boot_id, sizeof(s->boot_id), err);
}

static bool set_int(struct boot_env *env, const char *name, int v, struct ferry_error **err)
{
	char buf[16];
	snprintf(buf, sizeof(buf), "%d", v);
	return boot_env_set(env, name, buf, err);
}

/* Writes order (primary first) and both counters into env. */
static bool set_scheme(struct boot_env *env, char primary, int primary_left, int other_left,
		       struct ferry_error **err)
{
	char other = boot_other_slot(primary);
	return boot_env_set(env, "BOOT_ORDER", primary == 'a' ? "A B" : "B A", err) &&
	       set_int(env, left_name(primary), primary_left, err) &&
	       (other_left < 0 || set_int(env, left_name(other), other_left, err));
}

/* Loads, sets the order and counters, stores: one write per operation. */
static bool env_update(struct boot *b, char slot, int primary_left, int other_left,
		       struct ferry_error **err)
{
	struct boot_env env = { 0 };
	struct boot_status s;
	bool ok = b->backend->load(b, &env, err) && parse_env_status(b, &env, &s, err) &&
		  set_scheme(&env, slot, primary_left, other_left, err) &&
		  b->backend->store(b, &env, err);
	boot_env_clear(&env);
	return ok;
}

static bool check_slot(struct boot *b, char slot, struct ferry_error **err)
{
	if (boot_slot_index(slot) < 0)
		return ferry_error_set(err, "%s bootloader: no slot '%c' (a or b)", b->backend->name,
				       slot ? slot : '?');
	return true;
}

/* --- public operations ---------------------------------------------------- */

bool boot_get_status(struct boot *b, struct boot_status *out, struct ferry_error **err)
{
	if (b->backend->status)
		return b->backend->status(b, out, err);
	struct boot_env env = { 0 };
	bool ok = b->backend->load(b, &env, err) && parse_env_status(b, &env, out, err) &&
		  read_booted(b, &env, out, err);
	boot_env_clear(&env);
	return ok;
}

bool boot_try_once(struct boot *b, char slot, struct ferry_error **err)
{
	if (!check_slot(b, slot, err))
		return false;
	if (b->backend->try_once)
		return b->backend->try_once(b, slot, err);
	return env_update(b, slot, 1, BOOT_DEFAULT_TRIES, err);
}

bool boot_mark_good(struct boot *b, char slot, struct ferry_error **err)
{
	if (!check_slot(b, slot, err))
		return false;
	if (b->backend->mark_good)
		return b->backend->mark_good(b, slot, err);
	return env_update(b, slot, BOOT_DEFAULT_TRIES, -1, err);
}

bool boot_rollback(struct boot *b, char to_slot, struct ferry_error **err)
{
	if (!check_slot(b, to_slot, err))
		return false;
	if (b->backend->rollback)
		return b->backend->rollback(b, to_slot, err);
	return env_update(b, to_slot, BOOT_DEFAULT_TRIES, 0, err);
}

bool boot_virtual_power_on(struct boot *b, char *booted, struct ferry_error **err)
{
	bool ok = false;
	struct boot_env env = { 0 };
	struct boot_status s;
	char id[32];
	if (b->backend != &boot_backend_file)
		return ferry_error_set(err, "a virtual reboot needs the file bootloader, not %s",
				       b->backend->name);
	if (!b->backend->load(b, &env, err) || !parse_env_status(b, &env, &s, err))
		goto out;
	char pick = 0;
	for (int i = 0; i < 2 && !pick; i++)
		if (s.left[boot_slot_index(s.order[i])] > 0)
			pick = s.order[i];
	if (!pick) {
		/* Nothing bootable left: like RAUC's grub script, start over. */
		pick = s.order[0];
		s.left[0] = s.left[1] = BOOT_DEFAULT_TRIES;
		if (!set_int(&env, left_name(boot_other_slot(pick)), BOOT_DEFAULT_TRIES, err))
			goto out;
	}
	const char *old_id = boot_env_get(&env, "BOOT_ID");
	snprintf(id, sizeof(id), "%ld", old_id ? strtol(old_id, NULL, 10) + 1 : 1);
	if (!set_int(&env, left_name(pick), s.left[pick == 'b'] - 1, err) ||
	    !boot_env_set(&env, "BOOTED", pick == 'a' ? "A" : "B", err) ||
	    !boot_env_set(&env, "BOOT_ID", id, err) || !b->backend->store(b, &env, err))
		goto out;
	*booted = pick;
	ok = true;
out:
	boot_env_clear(&env);
	return ok;
}

/* --- opening ---------------------------------------------------------------- */

static bool dup_or_null(const char *s, char **out)
{
	*out = s ? strdup(s) : NULL;
	return !s || *out;
}

bool boot_open_params(const struct boot_params *p, struct boot **out, struct ferry_error **err)
{
	static const struct boot_backend *const backends[] = {
		[AGENT_BOOT_FILE] = &boot_backend_file, [AGENT_BOOT_UBOOT] = &boot_backend_uboot,
		[AGENT_BOOT_GRUB] = &boot_backend_grub, [AGENT_BOOT_SCRIPT] = &boot_backend_script,
	};
	if ((size_t)p->type >= sizeof(backends) / sizeof(backends[0]))
		return ferry_error_set(err, "unknown bootloader type");
	struct boot *b = calloc(1, sizeof(*b));
	if (!b)
		return ferry_error_set(err, "out of memory");
	b->backend = backends[p->type];
	b->timeout_sec = p->timeout_sec > 0 ? p->timeout_sec : BOOT_SCRIPT_TIMEOUT;
	if (!dup_or_null(p->path, &b->path) || !dup_or_null(p->config, &b->config) ||
	    !dup_or_null(p->script, &b->script) ||
	    !dup_or_null(p->cmdline ? p->cmdline : "/proc/cmdline", &b->cmdline) ||
	    !dup_or_null(p->boot_id_path ? p->boot_id_path : "/proc/sys/kernel/random/boot_id",
			 &b->boot_id_path)) {
		boot_close(b);
		return ferry_error_set(err, "out of memory");
	}
	if (b->backend->open && !b->backend->open(b, err)) {
		boot_close(b);
		return false;
	}
	*out = b;
	return true;
}

bool boot_open(const struct agent_config *c, struct boot **out, struct ferry_error **err)
{
	struct boot_params p = {
		.type = c->bootloader.type, .path = c->bootloader.path,
		.config = c->bootloader.config, .script = c->bootloader.script,
		.timeout_sec = (int)c->script_timeout,
	};
	return boot_open_params(&p, out, err);
}

void boot_close(struct boot *b)
{
	if (!b)
		return;
	if (b->backend && b->backend->close)
		b->backend->close(b);
	free(b->path);
	free(b->config);
	free(b->script);
	free(b->cmdline);
	free(b->boot_id_path);
	free(b);
}

const char *boot_name(const struct boot *b)
{
	return b->backend->name;
}
