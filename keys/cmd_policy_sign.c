/* keys_cmd_policy_sign: `ferry-keys policy sign [-o DIR]`: the draft becomes the
 * next serial, signed by the roots held here. Refuses a policy that would
 * lock everyone out, and one that devices on the current policy would not
 * adopt (keys_publish checks that with the agent's own function). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keys/cmds.h"

KEYS_CMD(keys_cmd_policy_sign)
{
	static const struct option longopts[] = { KEYS_COMMON_LONGOPTS,
						  { "output", required_argument, NULL, 'o' },
						  { NULL, 0, NULL, 0 } };
	struct policy *draft = NULL, *current = NULL;
	struct policy_verdict v = { 0 };
	const char *outdir = NULL;
	int c, rc = CLI_EXIT_USAGE;

	while ((c = getopt_long(argc, argv, KEYS_COMMON_SHORTOPTS "o:", longopts, NULL)) != -1) {
		if (keys_common_option(k, c, optarg))
			continue;
		if (c == 'h')
			return keys_command_help("policy", "sign");
		if (c != 'o')
			return keys_bad_option(err, "policy sign", c, argv);
		outdir = optarg;
	}
	if (!keys_positional(argc, argv, 0, "policy sign", "", err))
		return CLI_EXIT_USAGE;
	if (!keys_require_init(k, err) || !keys_load_draft(k, &draft, err))
		goto out;
	rc = CLI_EXIT_FAILED;
	if (!keys_load_signed(k, &current, err)) {
		ferry_error_prefix(err, "the current signed policy");
		goto out;
	}
	time_t now = time(NULL);
	if (!policy_check_lockout(draft, current, now, &v)) {
		ferry_error_set(err, "out of memory");
		goto out;
	}
	if (!v.allowed) {
		char why[2048];
		size_t off = 0;
		for (size_t i = 0; v.reasons[i] && off < sizeof(why); i++)
			off += (size_t)snprintf(why + off, sizeof(why) - off, "%s%s", i ? "; " : "",
						v.reasons[i]);
		ferry_error_set(err, "refusing to sign: the policy would lock out some or all releases: %s", why);
		goto out;
	}
	draft->serial = current->serial + 1;
	draft->issued = now > current->issued ? now : current->issued + 1;
	if (!keys_publish(k, current, draft, outdir, err))
		goto out;
	if (k->json)
		keys_print_json(json_pack("{s:I, s:s, s:s?}", "serial", (json_int_t)draft->serial,
					  "homedir", k->dir, "output", outdir));
	else if (!k->quiet)
		printf("policy serial %lld signed: %s/policy%s%s\n", (long long)draft->serial, k->dir,
		       outdir ? " and " : "", outdir ? outdir : "");
	rc = CLI_EXIT_OK;
out:
	policy_verdict_clear(&v);
	policy_free(draft);
	policy_free(current);
	return rc;
}
