/* cmd_rule: `ferry-keys rule add --device-type GLOB --require-role R...` and
 * `rule remove N`: co-signing rules of the draft policy. Each required role
 * must be met by a distinct signer (see docs/roles.md). */
#include <stdlib.h>
#include <string.h>

#include "keys/cmds.h"

KEYS_CMD(keys_cmd_rule_add)
{
	static const struct option longopts[] = { KEYS_COMMON_LONGOPTS,
						  { "device-type", required_argument, NULL, 't' },
						  { "require-role", required_argument, NULL, 'r' },
						  { NULL, 0, NULL, 0 } };
	struct policy *draft = NULL;
	struct policy_rule r = { 0 };
	int c, rc = CLI_EXIT_USAGE;

	while ((c = getopt_long(argc, argv, KEYS_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (keys_common_option(k, c, optarg))
			continue;
		if (c == 'h') {
			rc = keys_command_help("rule", "add");
			goto out;
		}
		if (c != 't' && c != 'r') {
			rc = keys_bad_option(err, "rule add", c, argv);
			goto out;
		}
		if (!keys_strv_add(c == 't' ? &r.device_types : &r.require_roles, optarg, err))
			goto out;
	}
	if (!keys_positional(argc, argv, 0, "rule add", "", err))
		goto out;
	if (!r.device_types || !r.require_roles) {
		rc = keys_usage(err, "rule add", "at least one --device-type and one --require-role "
				"are needed");
		goto out;
	}
	if (!keys_require_init(k, err) || !keys_load_draft(k, &draft, err))
		goto out;
	struct policy_rule *grown = realloc(draft->rules, (draft->n_rules + 1) * sizeof(*grown));
	if (!grown) {
		ferry_error_set(err, "out of memory");
		goto out;
	}
	draft->rules = grown;
	draft->rules[draft->n_rules++] = r;
	memset(&r, 0, sizeof(r));
	if (!policy_validate(draft, "rule", err) || !keys_save_draft(k, draft, err))
		goto out;
	if (k->json)
		keys_print_json(json_pack("{s:I}", "rule", (json_int_t)draft->n_rules));
	else if (!k->quiet)
		printf("rule %zu added to the draft; run `ferry-keys policy sign` to publish\n",
		       draft->n_rules);
	rc = CLI_EXIT_OK;
out:
	strv_free(r.device_types);
	strv_free(r.require_roles);
	policy_free(draft);
	return rc;
}

KEYS_CMD(keys_cmd_rule_remove)
{
	static const struct option longopts[] = { KEYS_COMMON_LONGOPTS, { NULL, 0, NULL, 0 } };
	struct policy *draft = NULL;
	int c, rc = CLI_EXIT_USAGE;
	char *end = NULL;

	while ((c = getopt_long(argc, argv, KEYS_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (keys_common_option(k, c, optarg))
			continue;
		if (c == 'h')
			return keys_command_help("rule", "remove");
		return keys_bad_option(err, "rule remove", c, argv);
	}
	if (!keys_positional(argc, argv, 1, "rule remove", "N", err))
		return CLI_EXIT_USAGE;
	unsigned long n = strtoul(argv[optind], &end, 10);
	if (!keys_require_init(k, err) || !keys_load_draft(k, &draft, err))
		goto out;
	if (*end || n < 1 || n > draft->n_rules) {
		rc = keys_usage(err, "rule remove", "'%s' is not a rule number (1..%zu)", argv[optind],
				draft->n_rules);
		goto out;
	}
	struct policy_rule *r = &draft->rules[n - 1];
	strv_free(r->device_types);
	strv_free(r->require_roles);
	memmove(r, r + 1, (draft->n_rules - n) * sizeof(*r));
	draft->n_rules--;
	rc = CLI_EXIT_FAILED;
	if (!keys_save_draft(k, draft, err))
		goto out;
	if (!k->quiet && !k->json)
		printf("rule %lu removed from the draft\n", n);
	rc = CLI_EXIT_OK;
out:
	policy_free(draft);
	return rc;
}
