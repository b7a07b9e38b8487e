/* keys_cmd_technician_*: `ferry-keys technician add|revoke|list`: the people
 * who may carry work orders, named in the draft policy (docs/roles.md). A
 * revoked technician stays listed with the time access ended, so the signed
 * policy history (`policy log`) is the log of granted and revoked access. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/rfc3339.h"
#include "keys/cmds.h"

/* Parses the common options plus --name/--fingerprint/--at into the given
 * pointers (NULL: not accepted). Returns CLI_EXIT_OK, or a usage/help code. */
static int technician_options(struct keys_ctx *k, int argc, char **argv, const char *verb,
			      const char **name, const char **fpr, int64_t *at,
			      struct ferry_error **err)
{
	static const struct option longopts[] = { KEYS_COMMON_LONGOPTS,
						  { "name", required_argument, NULL, 'n' },
						  { "fingerprint", required_argument, NULL, 'f' },
						  { "at", required_argument, NULL, 'a' },
						  { NULL, 0, NULL, 0 } };
	char cmd[64];
	int c;
	snprintf(cmd, sizeof(cmd), "technician %s", verb);
	while ((c = getopt_long(argc, argv, KEYS_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (keys_common_option(k, c, optarg))
			continue;
		if (c == 'h')
			return keys_command_help("technician", verb), -1;
		if (c == 'n' && name)
			*name = optarg;
		else if (c == 'f' && fpr)
			*fpr = optarg;
		else if (c == 'a' && at) {
			if (!keys_parse_date("--at", optarg, at, err))
				return CLI_EXIT_USAGE;
		} else
			return keys_bad_option(err, cmd, c, argv);
	}
	return CLI_EXIT_OK;
}

static bool add_technician(struct policy *draft, const char *id, const char *name,
			   const char *fpr, struct ferry_error **err)
{
	struct policy_technician *grown = realloc(draft->technicians,
						  (draft->n_technicians + 1) * sizeof(*grown));
	if (!grown)
		return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
	draft->technicians = grown;
	struct policy_technician *t = &draft->technicians[draft->n_technicians++];
	memset(t, 0, sizeof(*t));
	t->id = strdup(id);
	t->name = strdup(name);
	if (fpr)
		memcpy(t->fpr, fpr, PGP_FPR_LEN + 1);
	if (!t->id || !t->name)
		return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
	return policy_validate(draft, "draft policy", err);
}

KEYS_CMD(keys_cmd_technician_add)
{
	const char *name = NULL, *fpr_text = NULL;
	char fpr[PGP_FPR_LEN + 1];
	struct policy *draft = NULL;
	int rc = technician_options(k, argc, argv, "add", &name, &fpr_text, NULL, err);
	if (rc)
		return rc < 0 ? CLI_EXIT_OK : rc;
	if (!keys_positional(argc, argv, 1, "technician add", "ID", err))
		return CLI_EXIT_USAGE;
	if (!name || !*name)
		return keys_usage(err, "technician add", "--name NAME is required");
	if (!policy_id_valid(argv[optind]))
		return keys_usage(err, "technician add", "ID must be 1-64 letters, digits, '-', '_', '.'");
	if (fpr_text && !keys_parse_fpr(fpr_text, fpr, err))
		return CLI_EXIT_USAGE;
	rc = CLI_EXIT_FAILED;
	if (!keys_require_init(k, err) || !keys_load_draft(k, &draft, err))
		goto out;
	if (policy_find_technician(draft, argv[optind])) {
		ferry_error_setc(err, FERRY_E_STATE, "technician '%s' is already in the draft policy",
				 argv[optind]);
		goto out;
	}
	if (!add_technician(draft, argv[optind], name, fpr_text ? fpr : NULL, err) ||
	    !keys_save_draft(k, draft, err))
		goto out;
	if (!k->quiet && !k->json)
		printf("technician %s (%s) added to the draft; run `ferry-keys policy sign` to "
		       "publish\n", argv[optind], name);
	rc = CLI_EXIT_OK;
out:
	policy_free(draft);
	return rc;
}

KEYS_CMD(keys_cmd_technician_revoke)
{
	int64_t at = (int64_t)time(NULL);
	char when[RFC3339_UTC_LEN + 1];
	struct policy *draft = NULL;
	int rc = technician_options(k, argc, argv, "revoke", NULL, NULL, &at, err);
	if (rc)
		return rc < 0 ? CLI_EXIT_OK : rc;
	if (!keys_positional(argc, argv, 1, "technician revoke", "ID", err))
		return CLI_EXIT_USAGE;
	rc = CLI_EXIT_FAILED;
	if (!keys_require_init(k, err) || !keys_load_draft(k, &draft, err))
		goto out;
	struct policy_technician *t = (struct policy_technician *)policy_find_technician(
		draft, argv[optind]);
	if (!t || t->revoked) {
		ferry_error_setc(err, FERRY_E_STATE, "technician '%s' is %s", argv[optind],
				 t ? "already revoked" : "not in the draft policy");
		goto out;
	}
	t->revoked = at;
	if (!keys_save_draft(k, draft, err))
		goto out;
	rfc3339_format_utc(at, when);
	if (!k->quiet && !k->json)
		printf("technician %s (%s) revoked at %s in the draft; run `ferry-keys policy sign` "
		       "to publish\n", t->id, t->name, when);
	rc = CLI_EXIT_OK;
out:
	policy_free(draft);
	return rc;
}

KEYS_CMD(keys_cmd_technician_list)
{
	struct policy *p = NULL;
	char when[RFC3339_UTC_LEN + 1];
	int rc = technician_options(k, argc, argv, "list", NULL, NULL, NULL, err);
	if (rc)
		return rc < 0 ? CLI_EXIT_OK : rc;
	if (!keys_positional(argc, argv, 0, "technician list", "", err))
		return CLI_EXIT_USAGE;
	if (!keys_require_init(k, err) || !keys_load_draft(k, &p, err))
		return CLI_EXIT_FAILED;
	for (size_t i = 0; i < p->n_technicians; i++) {
		const struct policy_technician *t = &p->technicians[i];
		if (t->revoked)
			rfc3339_format_utc(t->revoked, when);
		printf("%s\t%s\t%s\t%s%s\n", t->id, t->name, t->fpr[0] ? t->fpr : "-",
		       t->revoked ? "revoked " : "active", t->revoked ? when : "");
	}
	policy_free(p);
	return CLI_EXIT_OK;
}
