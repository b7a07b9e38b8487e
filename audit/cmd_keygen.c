/* cmd_keygen: `ferry-audit keygen [--name NAME] [-o FILE.asc]`: creates the
 * HQ signing key (ed25519) in the HQ GnuPG home and writes its public key,
 * for `ferry-keys signer add ... --role hq` so devices accept HQ's acks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "audit/cli.h"
#include "common/cli.h"
#include "common/pgp.h"
#include "common/safefile.h"

int cmd_keygen(struct audit_cli *cli, int argc, char **argv, struct ferry_error **err)
{
	enum { OPT_NAME = OPT_COMMON_END };
	static const struct option opts[] = {
		{ "name", required_argument, NULL, OPT_NAME },
		{ "output", required_argument, NULL, 'o' },
		CLI_COMMON_LONG_OPTS, { 0 }
	};
	const char *name = "ferry HQ", *output = NULL;
	struct pgp *pgp = NULL;
	char fpr[PGP_FPR_LEN + 1], *pub = NULL;
	size_t len = 0;
	int opt, rc = EXIT_REFUSED;
	while ((opt = cli_getopt(argc, argv, "o:vq", opts)) != -1) {
		if (cli_common_option(cli, opt, optarg))
			continue;
		switch (opt) {
		case OPT_NAME: name = optarg; break;
		case 'o': output = optarg; break;
		default: return cli_usage_error("keygen", "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage_error("keygen", "takes no arguments");
	if (!pgp_open(cli_homedir(cli), &pgp, err) || !pgp_create_key(pgp, name, 0, fpr, err) ||
	    !pgp_export_public(pgp, fpr, true, &pub, &len, err))
		goto out;
	if (output && !safe_write_atomic(output, pub, len, 0644, err))
		goto out;
	if (cli->json)
		cli_print_json(json_pack("{s:s}", "fingerprint", fpr));
	else
		printf("%s\n", fpr);
	if (!output && !cli->quiet)
		fwrite(pub, 1, len, stdout);
	rc = 0;
out:
	free(pub);
	pgp_close(pgp);
	return rc;
}
