/* cmd_status: `ferry-agent status [--json] [--last N]`: what a technician on
 * site needs: identity, state and transaction, slots, versions, journal and
 * the last records. Text for people, --json (one object) for tools. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/cmd.h"
#include "agent/export.h"
#include "agent/lifecycle.h"
#include "common/auditlog.h"
#include "common/log.h"

static json_t *build_txn(const struct state_info *info)
{
	const struct state_txn *t = &info->txn;
	json_t *o = json_object();
	if (!info->has_txn || !o)
		return o;
	if (t->bundle) json_object_set_new(o, "bundle", json_string(t->bundle));
	if (t->version) json_object_set_new(o, "version", json_string(t->version));
	if (t->variant) json_object_set_new(o, "variant", json_string(t->variant));
	if (t->target_slot) json_object_set_new(o, "target_slot", json_string(t->target_slot));
	if (t->started) json_object_set_new(o, "started", json_string(t->started));
	return o;
}

/* The slots as the bootloader reports them; a broken bootloader environment
 * is shown, not fatal: the technician needs the rest of the status most then. */
static json_t *build_slots(struct boot *b)
{
	struct boot_status bs;
	struct ferry_error *err = NULL;
	json_t *o;
	if (boot_get_status(b, &bs, &err))
		return agent_slots_json(b, &bs);
	o = json_pack("{s:s, s:s}", "bootloader", boot_name(b), "error", ferry_error_message(err));
	ferry_error_free(err);
	return o;
}

/* {"<target>": highest security_version installed there} (antirollback.h) */
static json_t *build_security_targets(struct state *s, struct ferry_error **err)
{
	struct security_floor *f = NULL;
	size_t n = 0;
	json_t *o = json_object();
	if (!o || !state_security_floors(s, &f, &n, err)) {
		json_decref(o);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		json_object_set_new(o, f[i].target, json_integer(f[i].value));
	security_floors_free(f, n);
	return o;
}

static json_t *build_status(const struct agent_config *c, struct state *s, struct boot *b,
			    size_t last, struct ferry_error **err)
{
	struct state_info info;
	struct state_records r = { 0 };
	struct agent_kv *kv = NULL;
	size_t n = 0;
	json_t *o = NULL, *installed = NULL, *records = NULL, *targets = NULL;
	if (!state_get(s, &info, err))
		return NULL;
	if (!state_installed(s, &kv, &n, err) ||
	    !state_records_last(s, last, &r, err) || !(targets = build_security_targets(s, err)))
		goto out;
	installed = json_object();
	records = json_array();
	for (size_t i = 0; i < n; i++)
		json_object_set_new(installed, kv[i].key, json_string(kv[i].value));
	for (size_t i = 0; i < r.n; i++)
		json_array_append_new(records, json_loads(r.lines[i], 0, NULL));
	o = json_pack("{s:s, s:s, s:I, s:s, s:o, s:o, s:I, s:O,"
		      " s:I, s:O, s:I, s:{s:I, s:I, s:I}, s:O}",
		      "device", c->device.id, "type", c->device.type,
		      "hw_revision", (json_int_t)c->device.hw_revision,
		      "state", state_name(info.state), "transaction", build_txn(&info),
		      "slots", build_slots(b),
		      "boot_count", (json_int_t)info.boot_count, "installed", installed,
		      "security_version", (json_int_t)info.security_version,
		      "security_targets", targets, "policy_serial", (json_int_t)info.policy_serial,
		      "journal", "first_seq", (json_int_t)info.first_seq,
		      "last_seq", (json_int_t)info.last_seq,
		      "exported_seq", (json_int_t)info.exported_seq, "last_records", records);
	if (!o)
		ferry_error_set(err, "out of memory");
out:
	json_decref(installed);
	json_decref(records);
	json_decref(targets);
	state_kv_free(kv, n);
	state_records_clear(&r);
	state_info_clear(&info);
	return o;
}

static const char *str(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v ? v : "-";
}

static void print_text(json_t *st)
{
	json_t *t = json_object_get(st, "transaction"), *sl = json_object_get(st, "slots");
	json_t *j = json_object_get(st, "journal"), *v;
	const char *k;
	printf("device:   %s (type %s, hw revision %lld)\n", str(st, "device"), str(st, "type"),
	       json_integer_value(json_object_get(st, "hw_revision")));
	printf("state:    %s", str(st, "state"));
	if (json_object_size(t))
		printf(" (%s %s, slot %s, since %s)", str(t, "bundle"), str(t, "version"),
		       str(t, "target_slot"), str(t, "started"));
	if (json_object_get(sl, "error"))
		printf("\nslots:    unknown: %s\n", str(sl, "error"));
	else
		printf("\nslots:    running %s, primary %s, next boot %s; tries left a=%lld b=%lld (%s bootloader)\n",
		       str(sl, "booted"), str(sl, "primary"), str(sl, "next"),
		       json_integer_value(json_object_get(sl, "a_left")),
		       json_integer_value(json_object_get(sl, "b_left")), str(sl, "bootloader"));
	printf("boots:    %lld\n", json_integer_value(json_object_get(st, "boot_count")));
	printf("security: version %lld, policy serial %lld\n",
	       json_integer_value(json_object_get(st, "security_version")),
	       json_integer_value(json_object_get(st, "policy_serial")));
	json_object_foreach(json_object_get(st, "security_targets"), k, v)
		printf("security: %lld on %s\n", (long long)json_integer_value(v),
		       strcmp(k, ANTIROLLBACK_EVERY) == 0 ? "every target (kept from before agent.db schema 2)" : k);
	json_object_foreach(json_object_get(st, "installed"), k, v)
		printf("installed: %s %s\n", k, json_string_value(v));
	printf("journal:  records %lld-%lld, exported up to %lld\n",
	       json_integer_value(json_object_get(j, "first_seq")),
	       json_integer_value(json_object_get(j, "last_seq")),
	       json_integer_value(json_object_get(j, "exported_seq")));
	size_t i;
	json_array_foreach(json_object_get(st, "last_records"), i, v) {
		printf("  %lld %s %-18s %-8s %s %s\n", json_integer_value(json_object_get(v, "seq")),
		       str(v, "time"), str(v, "event"), str(v, "result"), str(v, "bundle"),
		       str(v, "version"));
	}
}

int cmd_status(struct agent_ctx *ctx, int argc, char **argv, struct ferry_error **err)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' }, { "last", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct state *s = NULL;
	struct boot *b = NULL;
	json_t *st = NULL;
	long last = 5;
	int opt, rc = CLI_EXIT_FAILED;
	optind = 0;   /* glibc: re-initialise for the command's own argv */
	while ((opt = getopt_long(argc, argv, "n:", options, NULL)) != -1) {
		char *end = NULL;
		if (opt == 'j')
			ctx->json = true;
		else if (opt == 'n' && (last = strtol(optarg, &end, 10)) >= 0 && !*end && last <= 1000)
			continue;
		else
			return ferry_error_set(err, "usage: status [--json] [--last N] (N from 0 to 1000)"),
			       CLI_EXIT_USAGE;
	}
	if (optind != argc)
		return ferry_error_set(err, "status: unexpected argument '%s'", argv[optind]), CLI_EXIT_USAGE;
	if (!state_open_config(ctx->config, &s, err) || !boot_open(ctx->config, &b, err))
		goto out;
	struct ferry_error *boot_err = NULL;
	if (!lifecycle_startup(ctx->config, s, b, NULL, &boot_err))
		log_warn("start-up logic: %s", ferry_error_message(boot_err));
	ferry_error_free(boot_err);
	if (!(st = build_status(ctx->config, s, b, (size_t)last, err)))
		goto out;
	if (ctx->json) {
		char *text = json_dumps(st, JSON_INDENT(2) | JSON_SORT_KEYS);
		printf("%s\n", text ? text : "{}");
		free(text);
	} else {
		print_text(st);
	}
	rc = CLI_EXIT_OK;
out:
	json_decref(st);
	boot_close(b);
	state_close(s);
	return rc;
}
