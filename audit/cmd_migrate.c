/* cmd_migrate: `ferry-audit migrate --from TARGET --to TARGET`: copies an HQ
 * database to another backend (typically sqlite:FILE to postgresql://…):
 * every table, row for row in one transaction, into a database that holds
 * nothing yet; then re-verifies every chain and device signature in the copy
 * as `ferry-audit check` does. Exit 1 when the copy was refused or does not
 * verify; the source is only read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/cli.h"
#include "common/log.h"
#include "common/pgp.h"

struct copy {
	struct audit_db *to;
	const char *table;
	int64_t rows;
};

static bool copy_row(const struct audit_row *r, void *ctx, struct ferry_error **err)
{
	struct copy *c = ctx;
	c->rows++;
	return audit_db_table_insert(c->to, c->table, r, err);
}

/* The destination must be empty: a copy never merges into another history. */
static bool destination_empty(struct audit_db *to, const char *name, struct ferry_error **err)
{
	struct audit_table t;
	bool ok = audit_db_query(to, AUDIT_Q_SUMMARY, NULL, &t, err);
	for (size_t i = 0; ok && i < t.n_cols; i++) {
		const char *v = audit_table_cell(&t, 0, i);
		if (v && strcmp(v, "0") != 0)
			ok = ferry_error_setc(err, FERRY_E_STATE, "%s: holds %s %s already: migrate "
					      "copies into an empty database only", name, v, t.cols[i]);
	}
	if (t.n_cols)
		audit_table_clear(&t);
	return ok;
}

static bool copy_tables(struct audit_cli *cli, struct audit_db *from, struct audit_db *to,
			struct ferry_error **err)
{
	if (!audit_db_begin(to, err))
		return false;
	for (size_t i = 0; audit_db_tables[i]; i++) {
		struct copy c = { .to = to, .table = audit_db_tables[i] };
		if (!audit_db_table_rows(from, c.table, copy_row, &c, err)) {
			ferry_error_prefix(err, "copying %s", c.table);
			audit_db_rollback(to);
			return false;
		}
		if (!cli->quiet && !cli->json)
			printf("copied %lld %s\n", (long long)c.rows, c.table);
	}
	if (!audit_db_commit(to, err)) {
		audit_db_rollback(to);
		return false;
	}
	return true;
}

int cmd_migrate(struct audit_cli *cli, int argc, char **argv, struct ferry_error **err)
{
	enum { OPT_FROM = OPT_COMMON_END, OPT_TO };
	static const struct option opts[] = {
		{ "from", required_argument, NULL, OPT_FROM },
		{ "to", required_argument, NULL, OPT_TO },
		CLI_COMMON_LONG_OPTS, { 0 }
	};
	const char *from_target = NULL, *to_target = NULL;
	struct audit_db *from = NULL, *to = NULL;
	struct pgp *pgp = NULL;
	size_t checked = 0, broken = 0;
	int opt, rc = EXIT_REFUSED;
	while ((opt = cli_getopt(argc, argv, "vq", opts)) != -1) {
		if (opt == OPT_FROM)
			from_target = optarg;
		else if (opt == OPT_TO)
			to_target = optarg;
		else if (!cli_common_option(cli, opt, optarg))
			return cli_usage_error("migrate", "unknown option");
	}
	if (optind != argc || !from_target || !to_target)
		return cli_usage_error("migrate", "needs --from TARGET and --to TARGET");
	cli->db_path = from_target;   /* the HQ GnuPG home: beside the source file */
	if (!audit_db_open(from_target, &from, err) || !audit_db_open(to_target, &to, err) ||
	    !pgp_open(cli_homedir(cli), &pgp, err)) {
		rc = EXIT_USAGE;
		goto out;
	}
	if (!destination_empty(to, to_target, err) || !copy_tables(cli, from, to, err))
		goto out;
	if (!check_database(cli, to, pgp, NULL, NULL, &checked, &broken, err))
		goto out;
	if (broken) {
		ferry_error_setc(err, FERRY_E_INTEGRITY, "%s: %zu of %zu devices do not verify after "
				 "the copy", to_target, broken, checked);
		goto out;
	}
	if (!cli->quiet)
		printf("%s: copied and verified: %zu devices, every chain intact and signed\n",
		       to_target, checked);
	rc = 0;
out:
	pgp_close(pgp);
	audit_db_close(to);
	audit_db_close(from);
	return rc;
}
