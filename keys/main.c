/* ferry-keys: the program. Its command table and options are in
 * keys/commands.c; the shared command-line layer (common/cli.h) parses,
 * helps, runs the command and maps the result to the exit code (design §7). */
#include <stdlib.h>

#include "common/cli.h"
#include "keys/keys.h"

int main(int argc, char **argv)
{
	struct keys_ctx k = { 0 };
	int rc = cli_main(&keys_program, &k, argc, argv);
	if (k.pgp) {
		pgp_close(k.pgp);
		pgp_kill_daemons(k.gnupg);
	}
	free(k.gnupg);
	free(k.dir);
	return rc;
}
