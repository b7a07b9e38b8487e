/* cmd_root: `ferry-keys root add NAME [--key FILE.asc] [--threshold N]` and
 * `root remove FPR [--threshold N]`: the root set of the draft policy. A
 * rotation adds the new root, signs (old and new roots sign, so devices adopt
 * it), then removes the old root and signs again (docs/chain-of-trust.md). */
#include <stdlib.h>
#include <string.h>

#include "keys/cmds.h"

/* Parses the common --threshold option. */
static bool parse_threshold(const char *text, int64_t *out, struct ferry_error **err)
{
	char *end = NULL;
	long v = strtol(text, &end, 10);
	if (*end || v < 1 || v > 1000)
		return ferry_error_set(err, "--threshold: '%s' is not a positive number", text);
	*out = v;
	return true;
}

/* Options of both subcommands; returns -1 to go on, else an exit code. */
static int root_options(struct keys_ctx *k, int argc, char **argv, const char *cmd,
			const char **key_file, int64_t *threshold, struct ferry_error **err)
{
	static const struct option longopts[] = { KEYS_COMMON_LONGOPTS,
						  { "key", required_argument, NULL, 'k' },
						  { "threshold", required_argument, NULL, 'T' },
						  { NULL, 0, NULL, 0 } };
	int c;
	while ((c = getopt_long(argc, argv, KEYS_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (keys_common_option(k, c, optarg))
			continue;
		if (c == 'h')
			return keys_command_help("root", strchr(cmd, ' ') + 1);
		if (c == 'k' && key_file)
			*key_file = optarg;
		else if (c == 'T') {
			if (!parse_threshold(optarg, threshold, err))
				return CLI_EXIT_USAGE;
		} else
			return keys_bad_option(err, cmd, c, argv);
	}
	if (!keys_positional(argc, argv, 1, cmd, key_file ? "NAME" : "FPR", err))
		return CLI_EXIT_USAGE;
	return -1;
}

static int save(struct keys_ctx *k, struct policy *draft, int64_t threshold, const char *what,
		struct ferry_error **err)
{
	if (threshold)
		draft->threshold = threshold;
	if (!policy_validate(draft, "roots", err))
		return CLI_EXIT_USAGE;
	if (!keys_save_draft(k, draft, err))
		return CLI_EXIT_FAILED;
	if (!k->quiet && !k->json)
		printf("%s; roots: %zu, threshold %lld; run `ferry-keys policy sign` to publish\n", what,
		       draft->n_roots, (long long)draft->threshold);
	return CLI_EXIT_OK;
}

KEYS_CMD(keys_cmd_root_add)
{
	const char *key_file = NULL;
	int64_t threshold = 0;
	struct policy *draft = NULL;
	char fpr[PGP_FPR_LEN + 1], msg[128];
	int rc = root_options(k, argc, argv, "root add", &key_file, &threshold, err);
	if (rc >= 0)
		return rc;
	rc = CLI_EXIT_FAILED;
	if (!keys_require_init(k, err) || !keys_load_draft(k, &draft, err) ||
	    !keys_new_key(k, argv[optind], key_file, fpr, err))
		goto out;
	if (policy_is_root(draft, fpr) || policy_find_signer(draft, fpr)) {
		ferry_error_set(err, "%s is already a root or signer of the draft", fpr);
		goto out;
	}
	char (*grown)[PGP_FPR_LEN + 1] = realloc(draft->roots, (draft->n_roots + 1) * sizeof(*grown));
	if (!grown) {
		ferry_error_set(err, "out of memory");
		goto out;
	}
	draft->roots = grown;
	memcpy(draft->roots[draft->n_roots++], fpr, sizeof(fpr));
	snprintf(msg, sizeof(msg), "root %s added", fpr);
	if (k->json)
		keys_print_json(json_pack("{s:s}", "root", fpr));
	rc = save(k, draft, threshold, msg, err);
out:
	policy_free(draft);
	return rc;
}

KEYS_CMD(keys_cmd_root_remove)
{
	int64_t threshold = 0;
	struct policy *draft = NULL;
	char fpr[PGP_FPR_LEN + 1], msg[128];
	int rc = root_options(k, argc, argv, "root remove", NULL, &threshold, err);
	if (rc >= 0)
		return rc;
	if (!keys_parse_fpr(argv[optind], fpr, err))
		return CLI_EXIT_USAGE;
	rc = CLI_EXIT_FAILED;
	if (!keys_require_init(k, err) || !keys_load_draft(k, &draft, err))
		goto out;
	size_t i = 0;
	while (i < draft->n_roots && strcmp(draft->roots[i], fpr) != 0)
		i++;
	if (i == draft->n_roots) {
		ferry_error_set(err, "%s is not a root of the draft policy", fpr);
		goto out;
	}
	if (draft->n_roots == 1) {
		ferry_error_set(err, "%s is the only root: add its successor first (ferry-keys root add)",
				fpr);
		goto out;
	}
	memmove(draft->roots[i], draft->roots[i + 1], (draft->n_roots - i - 1) * sizeof(*draft->roots));
	draft->n_roots--;
	if (!threshold && draft->threshold > (int64_t)draft->n_roots)
		threshold = (int64_t)draft->n_roots;
	snprintf(msg, sizeof(msg), "root %s removed", fpr);
	rc = save(k, draft, threshold, msg, err);
out:
	policy_free(draft);
	return rc;
}
