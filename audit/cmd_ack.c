/* cmd_ack: `ferry-audit ack MEDIA_DIR --key FPR` (contract C4): for every
 * device with imported records, its ack (common/ack_format, where common/stick
 * says) and a detached signature by the HQ key, written atomically.
 * seq is the highest record imported, and the chain in the database has no
 * gap below it, so a device may prune everything up to it. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/cli.h"
#include "common/ack_format.h"
#include "common/auditlog.h"
#include "common/pgp.h"
#include "common/stick.h"

struct ack_run {
	struct audit_cli *cli;
	struct pgp *pgp;
	const char *fpr;
	struct stick_dir ack_dir;
	char now[32];
	size_t written;
};

static bool write_ack(const struct audit_device *d, void *ctx, struct ferry_error **err)
{
	struct ack_run *run = ctx;
	char *path = NULL, *text = NULL, name[64];
	struct ack_doc a = { .seq = (uint64_t)d->last_seq };
	bool ok = false;
	if (d->last_seq <= 0)
		return true;   /* nothing imported: nothing to acknowledge */
	snprintf(a.device, sizeof(a.device), "%s", d->id);
	snprintf(a.issued, sizeof(a.issued), "%s", run->now);
	if (!ack_format_serialize(&a, &text, err) || !stick_ack_name(d->id, name, err) ||
	    !stick_dir_file(&run->ack_dir, name, &path, err) ||
	    !auditlog_write_signed_at(run->ack_dir.fd, name, path, text, strlen(text), run->pgp,
				      run->fpr, err))
		goto out;
	run->written++;
	if (!run->cli->quiet && !run->cli->json)
		printf("%s: acknowledged up to seq %lld\n", d->id, (long long)d->last_seq);
	ok = true;
out:
	free(text);
	free(path);
	return ok;
}

int cmd_ack(struct audit_cli *cli, int argc, char **argv, struct ferry_error **err)
{
	enum { OPT_KEY = OPT_COMMON_END };
	static const struct option opts[] = {
		{ "key", required_argument, NULL, OPT_KEY },
		CLI_COMMON_LONG_OPTS, { 0 }
	};
	struct ack_run run = { .cli = cli, .ack_dir = { .fd = -1 } };
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
	if (!cli_stick_root(argv[optind], &root, err) ||
	    !stick_dir_open(root, STICK_ACK, NULL, true, &run.ack_dir, err) ||
	    !audit_db_device_list(db, write_ack, &run, err))
		goto out;
	if (cli->json) {
		json_t *o = json_pack("{s:I}", "written", (json_int_t)run.written);
		json_dumpf(o, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(o);
	}
	else if (!cli->quiet && run.written == 0)
		printf("nothing to acknowledge: no records imported yet\n");
	rc = 0;
out:
	free(root);
	stick_dir_close(&run.ack_dir);
	pgp_close(run.pgp);
	audit_db_close(db);
	return rc;
}
