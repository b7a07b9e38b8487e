/* gen-audit: makes a stick full of audit exports the way devices would, for
 * the HQ tests and bench: device keys (ed25519) in one GnuPG home, chained
 * records built with common/auditlog, export files and inventories signed by
 * each device's own key.
 *   gen-audit OUTDIR --devices N --records R [--per-file K] [--hours H]
 *       OUTDIR/gnupg/          device secret keys (one home for all)
 *       OUTDIR/keys/<id>.asc   public keys for `ferry-audit register`
 *       OUTDIR/keys/<id>.fpr   fingerprints (for re-signing)
 *       OUTDIR/stick/ferry/audit/<id>/...   exports + inventory, MEDIA.json
 *   gen-audit sign --homedir DIR --key FPR FILE   (re)writes FILE.sig
 * Device ids: gw-0001… (type gw-x), every 5th sn-0001… (sensor-y); every
 * 10th device is in ring "canary". Records are an hour apart from 2026-11-01;
 * with --hours H they are H hours apart and end before now, the canary ring
 * a few steps ahead of the others (a rollout over weeks, for the report). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/auditlog.h"
#include "common/json.h"
#include "common/pgp.h"
#include "common/rfc3339.h"
#include "common/safefile.h"

struct gen {
	const char *out;
	long devices, records, per_file;
	long hours;              /* 0: an hour apart from 2026-11-01 */
	int64_t base;            /* the time of seq 0 */
	struct pgp *pgp;
	char *home;
};

static void device_id(long i, char out[32])
{
	if (i % 5 == 4)
		snprintf(out, 32, "sn-%04ld", i / 5 + 1);
	else
		snprintf(out, 32, "gw-%04ld", i - i / 5 + 1);
}

/* A plausible life: install started, finished (some fail), boot committed
 * or rolled back, now and then a refusal or a policy adoption. */
static int64_t record_time(const struct gen *g, uint64_t seq, long i)
{
	if (!g->hours)
		return 1793491200 + (int64_t)seq * 3600 + i * 7;   /* from 2026-11-01 */
	return g->base + ((int64_t)seq + (i % 10 ? 3 : 0)) * g->hours * 3600 + i * 7;
}

static char *make_line(const struct gen *g, const char *dev, uint64_t seq, const char *prev, long i,
		       struct ferry_error **err)
{
	static const char *const versions[] = { "2.3.0", "2.4.0", "2.4.1", "2.5.0" };
	uint64_t cycle = (seq - 1) / 4, step = (seq - 1) % 4;
	char when[21];
	const char *version = versions[cycle % 4];
	bool fails = (cycle + (uint64_t)i) % 7 == 3;
	json_t *detail = json_object();
	struct auditlog_fields f = {
		.seq = seq, .prev = prev, .boot = (int64_t)(cycle + 1), .device = dev,
		.bundle = dev[0] == 's' ? "sensor-fw" : "gateway-os", .version = version,
		.usb_serial = "4C530001230517110223", .media_label = "FERRY-2026-11", .detail = detail,
	};
	rfc3339_format_utc(record_time(g, seq, i), when);
	f.time = when;
	switch (step) {
	case 0: f.event = "install.started"; f.result = "info"; break;
	case 1:
		f.event = "install.finished";
		f.result = fails ? "failure" : "success";
		if (fails) {
			f.code = ferry_code_name(FERRY_E_HANDLER);
			json_object_set_new(detail, "reason", json_string("health check failed (exit 3)"));
		}
		break;
	case 2:
		f.event = fails ? "boot.rolled_back" : "boot.committed";
		f.result = fails ? "failure" : "success";
		if (fails) {
			f.code = ferry_code_name(FERRY_E_HANDLER);
			json_object_set_new(detail, "reason", json_string("trial boot not committed"));
		}
		break;
	default:
		if (cycle % 5 == 2) {
			f.event = "install.refused";
			f.result = "refused";
			f.code = ferry_code_name(FERRY_E_COMPAT);
			json_object_set_new(detail, "reason", json_string("security_version below installed"));
		} else {
			f.event = "policy.adopted";
			f.result = "info";
			f.bundle = f.version = NULL;
			json_object_set_new(detail, "serial", json_integer((json_int_t)(cycle / 3 + 1)));
		}
	}
	char *line = NULL;
	if (json_object_size(detail) == 0)
		f.detail = NULL;
	if (!auditlog_line_build(&f, &line, err))
		line = NULL;
	json_decref(detail);
	return line;
}

static bool write_inventory(struct gen *g, const char *dir, const char *dev, const char *fpr, long i,
			    struct ferry_error **err)
{
	char *path = NULL, *text = NULL, when[21];
	bool ok = false;
	rfc3339_format_utc(record_time(g, (uint64_t)(g->records / g->devices), 0) + 600, when);
	json_t *inv = json_pack("{s:i, s:s, s:s, s:i, s:s, s:{s:s}, s:i, s:i, s:[s]}", "format", 1,
				"device", dev, "type", dev[0] == 's' ? "sensor-y" : "gw-x",
				"hw_revision", (int)(1 + i % 2), "time", when, "installed",
				dev[0] == 's' ? "sensor-fw" : "gateway-os", i % 3 ? "2.4.1" : "2.3.0",
				"security_version", 7, "policy_serial", (int)(11 + i % 2), "groups",
				i % 10 == 0 ? "canary" : "stable");
	if (!inv || !(text = json_dump_canonical(inv)))
		ferry_error_set(err, "out of memory");
	else if (path_join(dir, "inventory.json", &path, err))
		ok = auditlog_write_signed(path, text, strlen(text), g->pgp, fpr, err);
	json_decref(inv);
	free(text);
	free(path);
	return ok;
}

static bool write_key(struct gen *g, const char *dev, const char *fpr, struct ferry_error **err)
{
	char name[64], *path = NULL, *pub = NULL;
	size_t len = 0;
	bool ok = false;
	snprintf(name, sizeof(name), "keys/%s.asc", dev);
	if (!pgp_export_public(g->pgp, fpr, true, &pub, &len, err) || !path_join(g->out, name, &path, err) ||
	    !safe_write_atomic(path, pub, len, 0644, err))
		goto out;
	free(path);
	path = NULL;
	snprintf(name, sizeof(name), "keys/%s.fpr", dev);
	ok = path_join(g->out, name, &path, err) && safe_write_atomic(path, fpr, strlen(fpr), 0644, err);
out:
	free(pub);
	free(path);
	return ok;
}

static bool gen_device(struct gen *g, long i, long n_records, struct ferry_error **err)
{
	char dev[32], fpr[PGP_FPR_LEN + 1], prev[SHA256_HEX_LEN + 1] = AUDITLOG_GENESIS_PREV;
	char *dir = NULL, sub[64];
	char **lines = calloc((size_t)g->per_file, sizeof(*lines));
	size_t n = 0;
	bool ok = false;
	device_id(i, dev);
	snprintf(sub, sizeof(sub), "stick/ferry/audit/%s", dev);
	if (!lines || !pgp_create_key(g->pgp, dev, 0, fpr, err) || !write_key(g, dev, fpr, err) ||
	    !path_join(g->out, sub, &dir, err) || !mkdir_p(dir, 0755, err))
		goto out;
	for (uint64_t seq = 1; seq <= (uint64_t)n_records; seq++) {
		if (!(lines[n] = make_line(g, dev, seq, prev, i, err)))
			goto out;
		auditlog_line_hash(lines[n], strlen(lines[n]), prev);
		if (++n == (size_t)g->per_file || seq == (uint64_t)n_records) {
			if (!auditlog_export_write(dir, dev, lines, n, g->pgp, fpr, NULL, err))
				goto out;
			while (n)
				free(lines[--n]);
		}
	}
	ok = write_inventory(g, dir, dev, fpr, i, err);
out:
	while (n)
		free(lines[--n]);
	free(lines);
	free(dir);
	return ok;
}

static bool generate(struct gen *g, struct ferry_error **err)
{
	char *path = NULL;
	bool ok = false;
	const char media[] = "{\"format\":1,\"label\":\"FERRY-2026-11\",\"bundles\":[]}\n";
	if (!path_join(g->out, "gnupg", &g->home, err) || !pgp_open(g->home, &g->pgp, err) ||
	    !path_join(g->out, "keys", &path, err) || !mkdir_p(path, 0755, err))
		goto out;
	free(path);
	path = NULL;
	if (!path_join(g->out, "stick/ferry", &path, err) || !mkdir_p(path, 0755, err))
		goto out;
	free(path);
	path = NULL;
	if (!path_join(g->out, "stick/ferry/MEDIA.json", &path, err) ||
	    !safe_write_atomic(path, media, strlen(media), 0644, err))
		goto out;
	for (long i = 0; i < g->devices; i++) {
		long n = g->records / g->devices + (i < g->records % g->devices);
		if (n > 0 && !gen_device(g, i, n, err))
			goto out;
	}
	ok = true;
out:
	free(path);
	return ok;
}

static int sign_file(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "homedir", required_argument, NULL, 'H' }, { "key", required_argument, NULL, 'k' }, { 0 }
	};
	const char *home = NULL, *fpr = NULL;
	struct ferry_error *err = NULL;
	struct pgp *pgp = NULL;
	char *data = NULL;
	size_t len = 0;
	int opt;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'H')
			home = optarg;
		else if (opt == 'k')
			fpr = optarg;
		else
			return 2;
	}
	if (!home || !fpr || optind + 1 != argc) {
		fprintf(stderr, "usage: gen-audit sign --homedir DIR --key FPR FILE\n");
		return 2;
	}
	bool ok = pgp_open(home, &pgp, &err) &&
		  read_file_limited(argv[optind], AUDITLOG_EXPORT_MAX, &data, &len, &err) &&
		  auditlog_write_signed(argv[optind], data, len, pgp, fpr, &err);
	if (!ok)
		fprintf(stderr, "gen-audit: %s\n", ferry_error_message(err));
	ferry_error_free(err);
	free(data);
	pgp_close(pgp);
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "devices", required_argument, NULL, 'd' }, { "records", required_argument, NULL, 'r' },
		{ "per-file", required_argument, NULL, 'p' }, { "hours", required_argument, NULL, 'h' }, { 0 }
	};
	struct gen g = { .devices = 3, .records = 30, .per_file = 10 };
	struct ferry_error *err = NULL;
	int opt;
	if (argc > 1 && strcmp(argv[1], "sign") == 0)
		return sign_file(argc - 1, argv + 1);
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		long v = optarg ? atol(optarg) : 0;
		if (v <= 0) {
			fprintf(stderr, "gen-audit: --%s wants a positive number\n", opts[0].name);
			return 2;
		}
		if (opt == 'd')
			g.devices = v;
		else if (opt == 'r')
			g.records = v;
		else if (opt == 'p')
			g.per_file = v;
		else if (opt == 'h')
			g.hours = v;
		else
			return 2;
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: gen-audit OUTDIR [--devices N] [--records R] [--per-file K] [--hours H]\n"
			"       gen-audit sign --homedir DIR --key FPR FILE\n");
		return 2;
	}
	g.out = argv[optind];
	/* the last record (canary-shifted) an hour before now */
	g.base = (int64_t)time(NULL) - (g.records / g.devices + 4) * g.hours * 3600 - 3600;
	bool ok = generate(&g, &err);
	if (!ok)
		fprintf(stderr, "gen-audit: %s\n", ferry_error_message(err));
	pgp_close(g.pgp);
	if (g.home)
		pgp_kill_daemons(g.home);
	free(g.home);
	ferry_error_free(err);
	return ok ? 0 : 1;
}
