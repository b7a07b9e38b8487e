/* cmd_order: `ferry-audit order import --policy DIR FILE.json...`: HQ learns
 * the work orders dispatchers issued, so the report can say which were used,
 * which expired unused and which are not used yet (docs/hq.md). Each order is
 * checked as a device would check its signer: the exact bytes against their
 * .sig, every signature good, one by a signer the named signed policy gives
 * role "dispatcher" (not revoked, not expired, judged at the order's issue
 * time; the device-type scope is the devices' to check). The policy directory
 * is one ferry-keys wrote (`policy sign -o DIR`, or a stick's ferry/policy):
 * HQ trusts it as a device trusts its provisioned one. A refused file is
 * named with its reason and stores nothing; the others are stored. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "audit/cli.h"
#include "audit/db.h"
#include "common/json.h"
#include "common/order.h"
#include "common/policy.h"
#include "common/rfc3339.h"
#include "common/safefile.h"
#include "common/signedfile.h"

struct order_import {
	struct audit_db *db;
	struct pgp *pgp;
	struct policy *policy;
	size_t stored, known, refused;
};

/* Trusts the policy in dir: its public keys into HQ's home, then loaded. */
static bool load_policy(struct order_import *oi, const char *dir, struct ferry_error **err)
{
	char *keys = NULL, *path = NULL;
	size_t len = 0;
	bool ok = asprintf(&path, "%s/keys.asc", dir) >= 0 &&
		  read_file_nofollow(path, 4u << 20, &keys, &len, err) &&
		  pgp_import(oi->pgp, keys, len, NULL, 0, NULL, err) &&
		  policy_load_dir(oi->pgp, dir, &oi->policy, err);
	if (!ok)
		ferry_error_prefix(err, "--policy %s", dir);
	free(keys);
	free(path);
	return ok;
}

/* The dispatcher's fingerprint that counted, into fpr. */
static bool check_signer(const struct order_import *oi, const struct order *o,
			 const struct pgp_verify_result *vr, const char *file,
			 char fpr[PGP_FPR_LEN + 1], struct ferry_error **err)
{
	struct policy_verdict v = { 0 };
	char why[512] = "";
	if (!policy_allows_role(oi->policy, vr, POLICY_DISPATCHER_ROLE, NULL, (time_t)o->issued, &v))
		return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
	bool ok = v.allowed && v.counted && v.counted[0];
	if (ok)
		snprintf(fpr, PGP_FPR_LEN + 1, "%s", v.counted[0]);
	else
		strv_join(v.reasons, "; ", why, sizeof(why));
	policy_verdict_clear(&v);
	if (!ok)
		return ferry_error_setc(err, FERRY_E_POLICY, "%s: not signed by a %s of policy %lld "
					"when issued: %s", file, POLICY_DISPATCHER_ROLE,
					(long long)oi->policy->serial, why);
	return true;
}

struct known_order {
	const char *id, *body;
	bool found, same;
};

static bool find_order(const struct audit_row *r, void *ctx, struct ferry_error **err)
{
	struct known_order *k = ctx;
	const char *id = NULL, *body = NULL;
	(void)err;
	for (size_t i = 0; i < r->n; i++) {
		if (strcmp(r->cols[i], "id") == 0)
			id = r->cells[i].v;
		else if (strcmp(r->cols[i], "body") == 0)
			body = r->cells[i].v;
	}
	if (id && strcmp(id, k->id) == 0) {
		k->found = true;
		k->same = body && strcmp(body, k->body) == 0;
	}
	return true;
}

/* Stores o (its exact text body) unless HQ holds it; the same id with other
 * bytes is refused. */
static bool store(struct order_import *oi, const struct order *o, const char *body,
		  const char *fpr, const char *file, struct ferry_error **err)
{
	static const char *const cols[] = { "id", "technician", "operations", "scope",
					    "not_before", "not_after", "signer", "imported_at", "body" };
	struct known_order k = { .id = o->id, .body = body };
	char nb[RFC3339_UTC_LEN + 1], na[RFC3339_UTC_LEN + 1], now[32], ops[32] = "";
	char *scope = NULL;
	json_t *doc = NULL;
	if (!audit_db_table_rows(oi->db, "orders", find_order, &k, err))
		return false;
	if (k.found) {
		oi->known++;
		return k.same ? true : ferry_error_setc(err, FERRY_E_INTEGRITY, "%s: HQ holds another "
							"order with id %s", file, o->id);
	}
	for (unsigned bit = ORDER_READ; bit <= ORDER_POLICY; bit <<= 1)
		if (o->ops & bit)
			snprintf(ops + strlen(ops), sizeof(ops) - strlen(ops), "%s%s", *ops ? "," : "",
				 order_op_name(bit));
	if ((doc = json_loads(body, 0, NULL)))
		scope = json_dumps(json_object_get(doc, "scope"), JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(doc);
	rfc3339_format_utc(o->not_before, nb);
	rfc3339_format_utc(o->not_after, na);
	cli_now(now);
	const char *v[] = { o->id, o->technician, ops, scope ? scope : "{}", nb, na, fpr, now, body };
	struct audit_cell cells[9];
	for (size_t i = 0; i < 9; i++)
		cells[i] = (struct audit_cell){ .v = v[i], .len = strlen(v[i]) };
	struct audit_row row = { .n = 9, .cols = cols, .cells = cells };
	bool ok = audit_db_table_insert(oi->db, "orders", &row, err);
	free(scope);
	if (ok)
		oi->stored++;
	return ok;
}

/* Only bytes whose signatures are all good are parsed; then the signer. */
static bool import_one(struct order_import *oi, const char *file, struct ferry_error **err)
{
	char *data = NULL, fpr[PGP_FPR_LEN + 1];
	size_t len = 0;
	struct pgp_verify_result vr = { 0 };
	struct order *o = NULL;
	bool ok = signedfile_read(oi->pgp, file, ORDER_MAX_BYTES, &data, &len, &vr, err);
	if (ok && !vr.n_sigs)
		ok = ferry_error_setc(err, FERRY_E_SIGNATURE, "%s.sig: no signature", file);
	for (size_t i = 0; ok && i < vr.n_sigs; i++)
		if (vr.sigs[i].status != PGP_SIG_VALID)
			ok = ferry_error_setc(err, FERRY_E_SIGNATURE, "%s.sig: signature %s", file,
					      pgp_sig_status_name(vr.sigs[i].status));
	ok = ok && order_parse(data, len, file, &o, err) &&
	     check_signer(oi, o, &vr, file, fpr, err) && store(oi, o, data, fpr, file, err);
	order_free(o);
	pgp_verify_result_clear(&vr);
	free(data);
	return ok;
}

int cmd_order(struct audit_cli *cli, int argc, char **argv, struct ferry_error **err)
{
	enum { OPT_POLICY = OPT_COMMON_END };
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, OPT_POLICY }, CLI_COMMON_LONG_OPTS, { 0 }
	};
	struct order_import oi = { 0 };
	const char *policy_dir = NULL;
	int opt, rc = EXIT_REFUSED;
	while ((opt = cli_getopt(argc, argv, "vq", opts)) != -1) {
		if (cli_common_option(cli, opt, optarg))
			continue;
		if (opt != OPT_POLICY)
			return cli_usage_error("order import", "unknown option");
		policy_dir = optarg;
	}
	if (!policy_dir || optind >= argc)
		return cli_usage_error("order import", "needs --policy DIR and one or more FILE.json");
	if (!cli_open_db(cli, &oi.db, err) || !pgp_open(cli_homedir(cli), &oi.pgp, err) ||
	    !load_policy(&oi, policy_dir, err))
		goto out;
	for (int i = optind; i < argc; i++) {
		struct ferry_error *e = NULL;
		if (!import_one(&oi, argv[i], &e)) {
			fprintf(stderr, "ferry-audit: order import: %s\n", ferry_error_message(e));
			oi.refused++;
		}
		ferry_error_free(e);
	}
	if (cli->json)
		cli_print_json(json_pack("{s:I,s:I,s:I}", "stored", (json_int_t)oi.stored, "known",
					 (json_int_t)oi.known, "refused", (json_int_t)oi.refused));
	else if (!cli->quiet)
		printf("%zu order(s) stored, %zu known, %zu refused\n", oi.stored, oi.known, oi.refused);
	if (oi.refused)
		ferry_error_setc(err, FERRY_E_POLICY, "%zu of %d order file(s) refused", oi.refused,
				 argc - optind);
	else
		rc = 0;
out:
	policy_free(oi.policy);
	pgp_close(oi.pgp);
	audit_db_close(oi.db);
	return rc;
}
