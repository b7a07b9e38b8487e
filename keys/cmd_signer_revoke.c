/* keys_cmd_signer_revoke: `ferry-keys signer revoke FPR --reason TEXT [--at TIME]`:
 * adds the signer to the draft's revoked list (from --at, default now). The
 * signer stays listed so that history and audits can still name it. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/rfc3339.h"
#include "keys/cmds.h"

KEYS_CMD(keys_cmd_signer_revoke)
{
	static const struct option longopts[] = { KEYS_COMMON_LONGOPTS,
						  { "reason", required_argument, NULL, 'r' },
						  { "at", required_argument, NULL, 'a' },
						  { NULL, 0, NULL, 0 } };
	struct policy *draft = NULL;
	const char *why = NULL;
	int64_t at = (int64_t)time(NULL);
	char fpr[PGP_FPR_LEN + 1], when[RFC3339_UTC_LEN + 1];
	int c, rc = CLI_EXIT_USAGE;

	while ((c = getopt_long(argc, argv, KEYS_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (keys_common_option(k, c, optarg))
			continue;
		if (c == 'h')
			return keys_command_help("signer", "revoke");
		if (c == 'r')
			why = optarg;
		else if (c == 'a') {
			if (!keys_parse_date("--at", optarg, &at, err))
				return CLI_EXIT_USAGE;
		} else
			return keys_bad_option(err, "signer revoke", c, argv);
	}
	if (!keys_positional(argc, argv, 1, "signer revoke", "FPR", err))
		return CLI_EXIT_USAGE;
	if (!why || !*why)
		return keys_usage(err, "signer revoke", "--reason TEXT is required");
	if (!keys_parse_fpr(argv[optind], fpr, err))
		return CLI_EXIT_USAGE;
	if (!keys_require_init(k, err) || !keys_load_draft(k, &draft, err))
		goto out;
	rc = CLI_EXIT_FAILED;
	const struct policy_signer *s = policy_find_signer(draft, fpr);
	const struct policy_revocation *old = policy_find_revocation(draft, fpr);
	if (!s) {
		ferry_error_set(err, "%s is not a signer of the draft policy", fpr);
		goto out;
	}
	if (old) {
		ferry_error_set(err, "%s (%s) is already revoked since %s", fpr, s->name,
				rfc3339_format_utc(old->at, when) ? when : "?");
		goto out;
	}
	struct policy_revocation *grown = realloc(draft->revoked,
						   (draft->n_revoked + 1) * sizeof(*grown));
	if (!grown) {
		ferry_error_set(err, "out of memory");
		goto out;
	}
	draft->revoked = grown;
	struct policy_revocation *r = &draft->revoked[draft->n_revoked++];
	memcpy(r->fpr, fpr, sizeof(fpr));
	r->at = at;
	r->reason = strdup(why);
	if (!keys_save_draft(k, draft, err))
		goto out;
	rfc3339_format_utc(at, when);
	if (k->json)
		keys_print_json(json_pack("{s:s, s:s, s:s, s:s}", "fingerprint", fpr, "name", s->name,
					  "at", when, "reason", why));
	else if (!k->quiet)
		printf("%s (%s) revoked at %s in the draft; run `ferry-keys policy sign` to publish\n",
		       fpr, s->name, when);
	rc = CLI_EXIT_OK;
out:
	policy_free(draft);
	return rc;
}
