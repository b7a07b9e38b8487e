/* cmd_ack: `ferry-audit ack MEDIA_DIR --key FPR` (contract C4): for every
 * device with imported records, ferry/ack/<id>.json {"format":1,"device",
 * "seq","issued"} and a detached signature by the HQ key, written atomically.
 * seq is the highest record imported, and the chain in the database has no
 * gap below it, so a device may prune everything up to it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/cli.h"
#include "common/auditlog.h"
#include "common/json.h"
#include "common/pgp.h"
#include "common/safefile.h"

struct ack_run {
	struct audit_cli *cli;
	struct pgp *pgp;
	const char *fpr;
	char *ack_dir;
	char now[32];
	size_t written;
};

static bool write_ack(const struct audit_device *d, void *ctx, struct ferry_error **err)
{
	struct ack_run *run = ctx;
	char *path = NULL, *text = NULL, name[AUDITLOG_DEVICE_ID_MAX + 8];
	bool ok = false;
	if (d->last_seq <= 0)
		return true;   /* nothing imported: nothing to acknowledge */
	json_t *ack = json_pack("{s:i, s:s, s:I, s:s}", "format", 1, "device", d->id, "seq",
				(json_int_t)d->last_seq, "issued", run->now);
	snprintf(name, sizeof(name), "%s.json", d->id);
	if (!ack || !(text = json_dump_canonical(ack))) {
		ferry_error_set(err, "out of memory");
		goto out;
	}
	if (!path_join(run->ack_dir, name, &path, err) ||
	    !auditlog_write_signed(path, text, strlen(text), run->pgp, run->fpr, err))
		goto out;
	run->written++;
	if (!run->cli->quiet && !run->cli->json)
		printf("%s: acknowledged up to seq %lld\n", d->id, (long long)d->last_seq);
	ok = true;
out:
	free(text);
	free(path);
	json_decref(ack);
	return ok;
}

int cmd_ack(struct audit_cli *cli, int argc, char **argv, struct ferry_error **err)
{
	enum { OPT_KEY = OPT_COMMON_END };
	static const struct option opts[] = {
		{ "key", required_argument, NULL, OPT_KEY },
		CLI_COMMON_LONG_OPTS, { 0 }
	};
	struct ack_run run = { .cli = cli };
	struct audit_db *db = NULL;
	char *root = NULL;
	int opt, rc = EXIT_USAGE;
	while ((opt = cli_getopt(argc, argv, "vq", opts)) != -1) {
		if (cli_common_option(cli, opt, optarg))
			continue;
		if (opt != OPT_KEY)
			return cli_usage_error("ack", "unknown option");
		run.fpr = optarg;
	}
	if (optind + 1 != argc)
		return cli_usage_error("ack", "expected one MEDIA_DIR");
	if (!run.fpr)
		return cli_usage_error("ack", "--key FPR (the HQ signing key) is required");
	cli_now(run.now);
	if (!cli_open_db(cli, &db, err) || !pgp_open(cli_homedir(cli), &run.pgp, err))
		goto out;
	if (!pgp_has_secret_key(run.pgp, run.fpr)) {
		ferry_error_set(err, "%s: no secret key for %s (ferry-audit keygen creates one)",
				cli_homedir(cli), run.fpr);
		goto out;
	}
	rc = EXIT_REFUSED;
	if (!cli_stick_root(argv[optind], &root, err) || !path_join(root, "ack", &run.ack_dir, err) ||
	    !mkdir_p(run.ack_dir, 0755, err) || !audit_db_device_list(db, write_ack, &run, err))
		goto out;
	if (cli->json)
		printf("{\"written\": %zu}\n", run.written);
	else if (!cli->quiet && run.written == 0)
		printf("nothing to acknowledge: no records imported yet\n");
	rc = 0;
out:
	free(root);
	free(run.ack_dir);
	pgp_close(run.pgp);
	audit_db_close(db);
	return rc;
}
