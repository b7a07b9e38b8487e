/* keys_cmd_policy_show: `ferry-keys policy show [--draft]`: the current signed
 * policy (verified), or the draft; says when the draft holds unsigned changes. */
#include <stdlib.h>
#include <string.h>

#include "common/rfc3339.h"
#include "keys/cmds.h"

/* True when a and b differ other than in serial and issued time. */
static bool differs(const struct policy *a, const struct policy *b)
{
	struct policy ca = *a, cb = *b;
	ca.serial = cb.serial = 1;
	ca.issued = cb.issued = 1;
	char *ta = policy_serialize(&ca), *tb = policy_serialize(&cb);
	bool d = !ta || !tb || strcmp(ta, tb) != 0;
	free(ta);
	free(tb);
	return d;
}

static void show_text(const struct policy *p, bool draft, time_t now)
{
	char when[RFC3339_UTC_LEN + 1], line[1024];
	rfc3339_format_utc(p->issued, when);
	if (draft)
		printf("draft policy (unsigned; next serial %lld)\n", (long long)p->serial + 1);
	else
		printf("policy serial %lld, issued %s, signature verified\n", (long long)p->serial,
		       when);
	printf("roots (threshold %lld of %zu):\n", (long long)p->threshold, p->n_roots);
	for (size_t i = 0; i < p->n_roots; i++)
		printf("  %s\n", p->roots[i]);
	printf("signers:%s\n", p->n_signers ? "" : " none");
	for (size_t i = 0; i < p->n_signers; i++) {
		const struct policy_signer *s = &p->signers[i];
		const struct policy_revocation *r = policy_find_revocation(p, s->fpr);
		keys_signer_text(s, line, sizeof(line));
		printf("  %s %s\n", s->fpr, line);
		if (r) {
			rfc3339_format_utc(r->at, when);
			printf("    REVOKED %s %s: %s\n", (int64_t)now >= r->at ? "since" : "from", when,
			       r->reason);
		} else if (s->expires && (int64_t)now >= s->expires) {
			printf("    EXPIRED\n");
		}
	}
	printf("rules:%s\n", p->n_rules ? "" : " none");
	for (size_t i = 0; i < p->n_rules; i++) {
		keys_rule_text(&p->rules[i], line, sizeof(line));
		printf("  %zu. %s\n", i + 1, line);
	}
}

KEYS_CMD(keys_cmd_policy_show)
{
	static const struct option longopts[] = { KEYS_COMMON_LONGOPTS,
						  { "draft", no_argument, NULL, 'd' },
						  { NULL, 0, NULL, 0 } };
	struct policy *draft = NULL, *current = NULL;
	bool want_draft = false;
	int c, rc = CLI_EXIT_USAGE;

	while ((c = getopt_long(argc, argv, KEYS_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (keys_common_option(k, c, optarg))
			continue;
		if (c == 'h')
			return keys_command_help("policy", "show");
		if (c != 'd')
			return keys_bad_option(err, "policy show", c, argv);
		want_draft = true;
	}
	if (!keys_positional(argc, argv, 0, "policy show", "", err))
		return CLI_EXIT_USAGE;
	if (!keys_require_init(k, err) || !keys_load_draft(k, &draft, err))
		goto out;
	rc = CLI_EXIT_FAILED;
	if (!keys_load_signed(k, &current, err))
		goto out;
	const struct policy *p = want_draft ? draft : current;
	bool pending = differs(draft, current);
	if (k->json) {
		json_t *o = json_pack("{s:o, s:b, s:b}", "policy", keys_policy_json(p), "draft",
				      want_draft, "unsigned_changes", pending);
		keys_print_json(o);
	} else {
		show_text(p, want_draft, time(NULL));
		if (pending && !k->quiet)
			printf("the draft has unsigned changes: run `ferry-keys policy sign`%s\n",
			       want_draft ? "" : " (see them with policy show --draft)");
	}
	rc = CLI_EXIT_OK;
out:
	policy_free(draft);
	policy_free(current);
	return rc;
}
