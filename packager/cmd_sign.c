/* ferry-pack sign BUNDLE --key FPR: appends a co-signature over the exact
 * manifest bytes; the bundle is rewritten to a temporary file and renamed. */
#include <stdio.h>
#include <stdlib.h>

#include "common/bundle_write.h"
#include "common/json.h"
#include "common/pgp.h"
#include "packager/pack.h"

#define SIGN_USAGE "sign BUNDLE --key FPR"

int cmd_sign(struct pack_opts *o, int argc, char **argv, struct ferry_error **err)
{
	static const struct option longopts[] = {
		PACK_COMMON_LONG, { "key", required_argument, NULL, 'k' }, { NULL, 0, NULL, 0 },
	};
	const char *key = NULL;
	int c, rc = CLI_EXIT_FAILED;
	while ((c = getopt_long(argc, argv, PACK_COMMON_SHORT "k:", longopts, NULL)) != -1) {
		if (c == 'k')
			key = optarg;
		else if (c == 'h') {
			printf("usage: ferry-pack %s\n", SIGN_USAGE);
			return CLI_EXIT_OK;
		} else if (!pack_common_option(o, c, optarg))
			return pack_usage(SIGN_USAGE, err);
	}
	if (optind + 1 != argc || !key)
		return pack_usage(SIGN_USAGE, err);
	if (!pgp_fpr_valid(key)) {
		ferry_error_set(err, "--key %s: not a full fingerprint (40 hex digits)", key);
		return CLI_EXIT_USAGE;
	}
	char *home = NULL;
	struct pgp *pgp = NULL;
	const char *const keys[] = { key };
	if (!pack_open_signers(o, keys, 1, "--key", &home, &pgp, NULL, err)) {
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if (!bundle_add_signature(argv[optind], pgp, key, err)) {
		ferry_error_prefix(err, "%s", argv[optind]);
		goto out;
	}
	if (o->json)
		pack_print_json(json_pack("{s:s, s:s}", "bundle", argv[optind], "signed_by", key));
	else if (!o->quiet)
		printf("%s: signature by %s added\n", argv[optind], key);
	rc = CLI_EXIT_OK;
out:
	pgp_close(pgp);
	free(home);
	return rc;
}
