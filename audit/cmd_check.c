/* cmd_check: `ferry-audit check [--device ID]`: re-verifies what the database
 * holds, so a tampered or damaged database (or a restored backup) is noticed:
 * per device, its stored lines in seq order must form the chain the device
 * signed (common/auditlog, from the genesis record), and every stored hash
 * must be the hash of its line. Exit 1 when any device's chain is broken. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/cli.h"
#include "common/auditlog.h"

struct chain_buf {
	FILE *f;
	char *data;
	size_t len;
	int64_t bad_hash_seq;   /* first record whose stored hash is not its line's, 0: none */
};

static bool collect(const struct audit_record *r, void *ctx, struct ferry_error **err)
{
	(void)err;
	struct chain_buf *b = ctx;
	char hash[SHA256_HEX_LEN + 1];
	auditlog_line_hash(r->line, strlen(r->line), hash);
	if (!b->bad_hash_seq && strcmp(hash, r->hash) != 0)
		b->bad_hash_seq = r->seq;
	fprintf(b->f, "%s\n", r->line);
	return true;
}

struct check_run {
	struct audit_cli *cli;
	struct audit_db *db;
	const char *only;
	size_t checked, broken;
};

static bool check_device(const struct audit_device *d, void *ctx, struct ferry_error **err)
{
	struct check_run *run = ctx;
	struct chain_buf b = { 0 };
	struct audit_event_filter f = { .device = d->id, .by_seq = true };
	struct auditlog_chain chain;
	struct ferry_error *why = NULL;
	if (run->only && strcmp(run->only, d->id) != 0)
		return true;
	run->checked++;
	if (d->last_seq == 0) {
		if (!run->cli->quiet)
			printf("%s: no records\n", d->id);
		return true;
	}
	if (!(b.f = open_memstream(&b.data, &b.len)))
		return ferry_error_set(err, "out of memory");
	bool ok = audit_db_events(run->db, &f, collect, &b, err);
	fclose(b.f);
	if (ok) {
		if (b.bad_hash_seq)
			ferry_error_set(&why, "record %lld: stored hash is not the hash of its line",
					(long long)b.bad_hash_seq);
		else
			auditlog_chain_verify(b.data, b.len, "records", d->id, NULL, &chain, &why);
		if (why) {
			run->broken++;
			printf("%s: BROKEN: %s\n", d->id, ferry_error_message(why));
		} else if (!run->cli->quiet) {
			printf("%s: %zu records, chain intact (seq %llu-%llu)\n", d->id, chain.n,
			       (unsigned long long)chain.first_seq, (unsigned long long)chain.last_seq);
		}
	}
	ferry_error_free(why);
	free(b.data);
	return ok;
}

int cmd_check(struct audit_cli *cli, int argc, char **argv, struct ferry_error **err)
{
	enum { OPT_DEVICE = OPT_COMMON_END };
	static const struct option opts[] = {
		{ "device", required_argument, NULL, OPT_DEVICE },
		CLI_COMMON_LONG_OPTS, { 0 }
	};
	struct check_run run = { .cli = cli };
	int opt, rc = EXIT_REFUSED;
	while ((opt = cli_getopt(argc, argv, "vq", opts)) != -1) {
		if (cli_common_option(cli, opt, optarg))
			continue;
		if (opt != OPT_DEVICE)
			return cli_usage_error("check", "unknown option");
		run.only = optarg;
	}
	if (optind != argc)
		return cli_usage_error("check", "takes no arguments");
	if (!cli_open_db(cli, &run.db, err))
		return EXIT_USAGE;
	if (!audit_db_device_list(run.db, check_device, &run, err))
		goto out;
	if (run.only && run.checked == 0) {
		ferry_error_set(err, "%s: no such device", run.only);
		goto out;
	}
	if (!cli->quiet)
		printf("%zu devices checked, %zu broken\n", run.checked, run.broken);
	rc = run.broken ? EXIT_REFUSED : 0;
out:
	audit_db_close(run.db);
	return rc;
}
