/* ferry-audit: the program. Its command table and options are in
 * audit/commands.c; the shared command-line layer (common/cli.h) parses,
 * helps, runs the command and maps the result to the exit code (design §7). */
#include <stdlib.h>

#include "audit/cli.h"
#include "common/cli.h"

int main(int argc, char **argv)
{
	struct audit_cli cli = { .db_path = "ferry-audit.db" };
	int rc = cli_main(&audit_program, &cli, argc, argv);
	free(cli.homedir_owned);
	return rc;
}
