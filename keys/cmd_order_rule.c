/* keys_cmd_order_rule_*: `ferry-keys order-rule set|remove|list`: which
 * operations (read, install, policy) need a signed work order on devices of
 * matching types, kept in the draft policy's order_rules and published by
 * `policy sign` like technicians are (docs/roles.md). One rule per device-type
 * glob: set replaces the glob's rule, remove drops it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/order.h"
#include "keys/cmds.h"

static bool has(char *const *v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

/* "read,install" (commas or repeated --require) into a NULL-terminated list. */
static bool add_ops(char ***ops, const char *arg, struct ferry_error **err)
{
	char *copy = strdup(arg), *save = NULL;
	bool ok = copy != NULL;
	for (char *w = copy ? strtok_r(copy, ",", &save) : NULL; ok && w;
	     w = strtok_r(NULL, ",", &save)) {
		if (!order_op_from_name(w))
			ok = keys_usage(err, "order-rule set", "--require %s: read, install or policy",
					w) == 0;
		else if (!has(*ops, w))
			ok = keys_strv_add(ops, w, err);
	}
	free(copy);
	return ok && *ops;
}

static int rule_options(struct keys_ctx *k, int argc, char **argv, const char *verb,
			char ***ops, struct ferry_error **err)
{
	static const struct option longopts[] = { KEYS_COMMON_LONGOPTS,
						  { "require", required_argument, NULL, 'r' },
						  { NULL, 0, NULL, 0 } };
	char cmd[64];
	int c;
	snprintf(cmd, sizeof(cmd), "order-rule %s", verb);
	while ((c = getopt_long(argc, argv, KEYS_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (keys_common_option(k, c, optarg))
			continue;
		if (c == 'h')
			return keys_command_help("order-rule", verb), -1;
		if (c != 'r' || !ops)
			return keys_bad_option(err, cmd, c, argv);
		if (!add_ops(ops, optarg, err))
			return CLI_EXIT_USAGE;
	}
	if (!keys_positional(argc, argv, ops || strcmp(verb, "remove") == 0 ? 1 : 0, cmd,
			     "TYPE_GLOB", err))
		return CLI_EXIT_USAGE;
	if (ops && !*ops)
		return keys_usage(err, cmd, "--require OP[,OP…] is required (read, install, policy)");
	return CLI_EXIT_OK;
}

/* The index of glob's rule (a rule naming exactly that one glob), or n. */
static size_t find_rule(const struct policy *p, const char *glob)
{
	for (size_t i = 0; i < p->n_order_rules; i++) {
		char **t = p->order_rules[i].device_types;
		if (t && t[0] && !t[1] && strcmp(t[0], glob) == 0)
			return i;
	}
	return p->n_order_rules;
}

static void drop_rule(struct policy *p, size_t i)
{
	strv_free(p->order_rules[i].device_types);
	strv_free(p->order_rules[i].operations);
	memmove(&p->order_rules[i], &p->order_rules[i + 1],
		(p->n_order_rules - i - 1) * sizeof(*p->order_rules));
	p->n_order_rules--;
}

/* Takes ops (the draft owns them, or they are freed). */
static bool set_rule(struct policy *p, const char *glob, char **ops, struct ferry_error **err)
{
	size_t i = find_rule(p, glob);
	if (i == p->n_order_rules) {
		struct policy_order_rule *grown = realloc(p->order_rules, (i + 1) * sizeof(*grown));
		if (grown) {
			p->order_rules = grown;
			memset(&grown[i], 0, sizeof(*grown));
			p->n_order_rules++;
		}
		if (!grown || !keys_strv_add(&grown[i].device_types, glob, err)) {
			strv_free(ops);
			return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
		}
	}
	strv_free(p->order_rules[i].operations);
	p->order_rules[i].operations = ops;
	return policy_validate(p, "draft policy", err);
}

KEYS_CMD(keys_cmd_order_rule_set)
{
	char **ops = NULL;
	struct policy *draft = NULL;
	int rc = rule_options(k, argc, argv, "set", &ops, err);
	if (rc) {
		strv_free(ops);
		return rc < 0 ? CLI_EXIT_OK : rc;
	}
	rc = CLI_EXIT_FAILED;
	if (!keys_require_init(k, err) || !keys_load_draft(k, &draft, err))
		goto out;
	bool set = set_rule(draft, argv[optind], ops, err);
	ops = NULL;   /* set_rule took them */
	if (!set || !keys_save_draft(k, draft, err))
		goto out;
	if (!k->quiet && !k->json)
		printf("order rule for device type %s set in the draft; run `ferry-keys policy sign` "
		       "to publish\n", argv[optind]);
	rc = CLI_EXIT_OK;
out:
	strv_free(ops);
	policy_free(draft);
	return rc;
}

KEYS_CMD(keys_cmd_order_rule_remove)
{
	struct policy *draft = NULL;
	int rc = rule_options(k, argc, argv, "remove", NULL, err);
	if (rc)
		return rc < 0 ? CLI_EXIT_OK : rc;
	rc = CLI_EXIT_FAILED;
	if (!keys_require_init(k, err) || !keys_load_draft(k, &draft, err))
		goto out;
	size_t i = find_rule(draft, argv[optind]);
	if (i == draft->n_order_rules) {
		ferry_error_setc(err, FERRY_E_STATE, "no order rule for device type %s in the draft "
				 "policy", argv[optind]);
		goto out;
	}
	drop_rule(draft, i);
	if (!keys_save_draft(k, draft, err))
		goto out;
	if (!k->quiet && !k->json)
		printf("order rule for device type %s removed from the draft; run `ferry-keys "
		       "policy sign` to publish\n", argv[optind]);
	rc = CLI_EXIT_OK;
out:
	policy_free(draft);
	return rc;
}

KEYS_CMD(keys_cmd_order_rule_list)
{
	struct policy *p = NULL;
	char types[512], ops[64];
	int rc = rule_options(k, argc, argv, "list", NULL, err);
	if (rc)
		return rc < 0 ? CLI_EXIT_OK : rc;
	if (!keys_require_init(k, err) || !keys_load_draft(k, &p, err))
		return CLI_EXIT_FAILED;
	for (size_t i = 0; i < p->n_order_rules; i++)
		printf("%s\t%s\n", strv_join(p->order_rules[i].device_types, ",", types, sizeof(types)),
		       strv_join(p->order_rules[i].operations, ",", ops, sizeof(ops)));
	policy_free(p);
	return CLI_EXIT_OK;
}
