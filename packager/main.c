/* ferry-pack: the program. Its command table and options are in
 * packager/commands.c; the shared command-line layer (common/cli.h) parses,
 * helps, runs the command and maps the result to the exit code (design §7). */
#include "common/cli.h"
#include "packager/pack.h"

int main(int argc, char **argv)
{
	struct pack_opts o = { 0 };
	return cli_main(&pack_program, &o, argc, argv);
}
