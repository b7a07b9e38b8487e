/* keys_cmd_init: `ferry-keys init --root-name NAME`: the root key and the first
 * signed policy (serial 1, no signers yet). Refuses an initialised DIR. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/safefile.h"
#include "keys/cmds.h"

KEYS_CMD(keys_cmd_init)
{
	static const struct option longopts[] = { KEYS_COMMON_LONGOPTS,
						  { "root-name", required_argument, NULL, 'n' },
						  { NULL, 0, NULL, 0 } };
	const char *name = NULL;
	struct policy *p = NULL;
	char fpr[PGP_FPR_LEN + 1];
	int c, rc = CLI_EXIT_FAILED;

	while ((c = getopt_long(argc, argv, KEYS_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (keys_common_option(k, c, optarg))
			continue;
		if (c == 'h')
			return keys_command_help("init", NULL);
		if (c != 'n')
			return keys_bad_option(err, "init", c, argv);
		name = optarg;
	}
	if (!keys_positional(argc, argv, 0, "init", "", err))
		return CLI_EXIT_USAGE;
	if (!name || !*name)
		return keys_usage(err, "init", "--root-name NAME is required");
	if (keys_initialised(k)) {
		ferry_error_set(err, "%s: already initialised (draft.json exists); refusing to create "
				"a second root", k->dir);
		return CLI_EXIT_FAILED;
	}
	if (!mkdir_p(k->dir, 0700, err) || !keys_pgp(k, err))
		return CLI_EXIT_USAGE;
	if (!pgp_create_key(k->pgp, name, 0, fpr, err))
		goto out;
	if (!(p = calloc(1, sizeof(*p))) || !(p->roots = calloc(1, sizeof(*p->roots)))) {
		ferry_error_set(err, "out of memory");
		goto out;
	}
	memcpy(p->roots[0], fpr, sizeof(fpr));
	p->n_roots = 1;
	p->threshold = 1;
	p->serial = 1;
	p->issued = time(NULL);
	if (!keys_publish(k, NULL, p, NULL, err))
		goto out;
	if (k->json)
		keys_print_json(json_pack("{s:s, s:I, s:s}", "root", fpr, "serial", (json_int_t)1,
					  "homedir", k->dir));
	else if (!k->quiet)
		printf("root key %s (%s)\npolicy serial 1 signed in %s/policy\n", fpr, name, k->dir);
	rc = CLI_EXIT_OK;
out:
	policy_free(p);
	return rc;
}
