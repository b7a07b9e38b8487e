/* cmd_check: `ferry-audit check [--device ID]`: re-verifies what the database
 * holds, so a tampered or damaged database (or a restored backup) is noticed.
 * Per device: its stored lines in seq order must form the chain the device
 * wrote (common/auditlog, from the genesis record), every stored hash must be
 * its line's hash, and every record must lie in an export whose stored device
 * signature verifies over the exact bytes rebuilt from the stored lines.
 * Exit 1 when any device fails. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audit/cli.h"
#include "common/auditlog.h"
#include "common/json.h"
#include "common/pgp.h"

/* A device's stored lines as one buffer of export bytes, with where each starts. */
struct chain_buf {
	FILE *f;
	char *data;
	size_t len;
	size_t *off;            /* off[i]: start of the line of seq first + i */
	size_t n, cap;
	int64_t bad_hash_seq;   /* first record whose stored hash is not its line's, 0: none */
};

static bool collect(const struct audit_record *r, void *ctx, struct ferry_error **err)
{
	struct chain_buf *b = ctx;
	char hash[SHA256_HEX_LEN + 1];
	auditlog_line_hash(r->line, strlen(r->line), hash);
	if (!b->bad_hash_seq && strcmp(hash, r->hash) != 0)
		b->bad_hash_seq = r->seq;
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 256;
		size_t *off = realloc(b->off, cap * sizeof(*off));
		if (!off)
			return ferry_error_set(err, "out of memory");
		b->off = off;
		b->cap = cap;
	}
	b->off[b->n++] = (size_t)ftell(b->f);
	fprintf(b->f, "%s\n", r->line);
	return true;
}

struct sig_check {
	struct pgp *pgp;
	const struct chain_buf *b;
	const struct auditlog_chain *chain;
	int64_t covered;        /* records 1..covered lie in a verified export */
	struct ferry_error *why;
};

static bool check_sig(const struct audit_export_sig *e, void *ctx, struct ferry_error **err)
{
	struct sig_check *c = ctx;
	struct pgp_verify_result vr = { 0 };
	int64_t first = (int64_t)c->chain->first_seq, last = (int64_t)c->chain->last_seq;
	bool by = false;
	if (c->why)
		return true;
	if (e->first_seq < first || e->last_seq > last || e->first_seq > e->last_seq) {
		ferry_error_set(&c->why, "signature of records %lld-%lld, but the database holds %lld-%lld",
				(long long)e->first_seq, (long long)e->last_seq, (long long)first, (long long)last);
		return true;
	}
	size_t from = c->b->off[e->first_seq - first];
	size_t to = e->last_seq == last ? c->b->len : c->b->off[e->last_seq - first + 1];
	if (!pgp_verify_detached(c->pgp, c->b->data + from, to - from, e->sig, e->sig_len, &vr, err))
		return false;
	for (size_t i = 0; i < vr.n_sigs; i++)
		by |= vr.sigs[i].status == PGP_SIG_VALID && strcasecmp(vr.sigs[i].fpr, e->fingerprint) == 0;
	pgp_verify_result_clear(&vr);
	if (!by) {
		ferry_error_set(&c->why, "records %lld-%lld: the device signature %s does not verify over "
				"the stored lines", (long long)e->first_seq, (long long)e->last_seq, e->fingerprint);
		return true;
	}
	if (e->first_seq > c->covered + 1) {
		ferry_error_set(&c->why, "records %lld-%lld lie in no signed export",
				(long long)c->covered + 1, (long long)e->first_seq - 1);
		return true;
	}
	if (e->last_seq > c->covered)
		c->covered = e->last_seq;
	return true;
}

struct check_run {
	struct audit_cli *cli;
	struct audit_db *db;
	struct pgp *pgp;
	const char *only;
	size_t checked, broken;
	void *json;             /* --json: json_t array, one object per device */
};

/* Fills *why when the device's stored chain does not hold up. */
static bool verify_device(struct check_run *run, const struct audit_device *d, struct chain_buf *b,
			  struct auditlog_chain *chain, struct ferry_error **why, struct ferry_error **err)
{
	struct audit_event_filter f = { .device = d->id, .by_seq = true };
	struct sig_check sc = { .pgp = run->pgp, .b = b, .chain = chain };
	if (!(b->f = open_memstream(&b->data, &b->len)))
		return ferry_error_set(err, "out of memory");
	bool ok = audit_db_events(run->db, &f, collect, b, err);
	fclose(b->f);
	if (!ok)
		return false;
	if (b->bad_hash_seq) {
		ferry_error_set(why, "record %lld: stored hash is not the hash of its line",
				(long long)b->bad_hash_seq);
		return true;
	}
	if (!auditlog_chain_verify(b->data, b->len, "records", d->id, NULL, chain, why))
		return true;
	if (!audit_db_export_sigs(run->db, d->id, check_sig, &sc, err))
		return false;
	if (sc.why) {
		*why = sc.why;
	} else if (sc.covered < (int64_t)chain->last_seq) {
		ferry_error_set(why, "records %lld-%llu lie in no signed export", (long long)sc.covered + 1,
				(unsigned long long)chain->last_seq);
	}
	return true;
}

static bool check_device(const struct audit_device *d, void *ctx, struct ferry_error **err)
{
	struct check_run *run = ctx;
	struct chain_buf b = { 0 };
	struct auditlog_chain chain = { 0 };
	struct ferry_error *why = NULL;
	if (run->only && strcmp(run->only, d->id) != 0)
		return true;
	run->checked++;
	if (d->last_seq == 0) {
		if (!run->cli->quiet && !run->json)
			printf("%s: no records\n", d->id);
		return true;
	}
	bool ok = verify_device(run, d, &b, &chain, &why, err);
	if (ok && why)
		run->broken++;
	if (ok && run->json) {
		json_t *o = json_pack("{s:s, s:b, s:I}", "device", d->id, "intact", !why, "records",
				      (json_int_t)chain.n);
		if (o && why)
			json_object_set_new(o, "reason", json_string(ferry_error_message(why)));
		json_array_append_new(run->json, o);
	} else if (ok && why) {
		printf("%s: BROKEN: %s\n", d->id, ferry_error_message(why));
	} else if (ok && !run->cli->quiet) {
		printf("%s: %zu records, chain intact and signed by the device (seq %llu-%llu)\n", d->id,
		       chain.n, (unsigned long long)chain.first_seq, (unsigned long long)chain.last_seq);
	}
	ferry_error_free(why);
	free(b.data);
	free(b.off);
	return ok;
}

bool check_database(struct audit_cli *cli, struct audit_db *db, struct pgp *pgp, const char *only,
		    void *json, size_t *checked, size_t *broken, struct ferry_error **err)
{
	struct check_run run = { .cli = cli, .db = db, .pgp = pgp, .only = only, .json = json };
	bool ok = audit_db_device_list(db, check_device, &run, err);
	if (ok && only && run.checked == 0)
		ok = ferry_error_set(err, "%s: no such device", only);
	*checked = run.checked;
	*broken = run.broken;
	return ok;
}

int cmd_check_chains(struct audit_cli *cli, int argc, char **argv, struct ferry_error **err)
{
	enum { OPT_DEVICE = OPT_COMMON_END };
	static const struct option opts[] = {
		{ "device", required_argument, NULL, OPT_DEVICE },
		CLI_COMMON_LONG_OPTS, { 0 }
	};
	struct audit_db *db = NULL;
	struct pgp *pgp = NULL;
	const char *only = NULL;
	json_t *json = NULL;
	size_t checked = 0, broken = 0;
	int opt, rc = EXIT_REFUSED;
	while ((opt = cli_getopt(argc, argv, "vq", opts)) != -1) {
		if (cli_common_option(cli, opt, optarg))
			continue;
		if (opt != OPT_DEVICE)
			return cli_usage_error("check", "unknown option");
		only = optarg;
	}
	if (optind != argc)
		return cli_usage_error("check", "takes no arguments");
	if (cli->json)
		json = json_array();
	if (!cli_open_db(cli, &db, err) || !pgp_open(cli_homedir(cli), &pgp, err)) {
		rc = EXIT_USAGE;
		goto out;
	}
	if (!check_database(cli, db, pgp, only, json, &checked, &broken, err))
		goto out;
	if (json) {
		json_t *o = json_pack("{s:I, s:I, s:O}", "checked", (json_int_t)checked, "broken",
				      (json_int_t)broken, "devices", json);
		json_dumpf(o, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(o);
	} else if (!cli->quiet) {
		printf("%zu devices checked, %zu broken\n", checked, broken);
	}
	rc = broken ? EXIT_REFUSED : 0;
out:
	json_decref(json);
	pgp_close(pgp);
	audit_db_close(db);
	return rc;
}
