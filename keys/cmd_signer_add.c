/* keys_cmd_signer_add: `ferry-keys signer add NAME --role R --device-type T
 * [--expires DATE] [--key FILE.asc]`: a new signer in the draft policy, its
 * key created in DIR/gnupg (no passphrase) or imported (public only). */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/safefile.h"
#include "keys/cmds.h"

/* Imports exactly one key from path into the workstation home. */
static bool import_one(struct keys_ctx *k, const char *path, char fpr[PGP_FPR_LEN + 1],
		       struct ferry_error **err)
{
	char fprs[2][PGP_FPR_LEN + 1];
	size_t n = 0;
	if (!pgp_import_file(k->pgp, path, fprs, 2, &n, err))
		return false;
	if (n != 1)
		return ferry_error_set(err, "%s: holds %zu keys; give a file with exactly one", path, n);
	memcpy(fpr, fprs[0], PGP_FPR_LEN + 1);
	return true;
}

/* A new key (or the one in key_file) for NAME; shared with `root add`. */
bool keys_new_key(struct keys_ctx *k, const char *name, const char *key_file,
		  char fpr[PGP_FPR_LEN + 1], struct ferry_error **err)
{
	if (!keys_pgp(k, err))
		return false;
	if (key_file)
		return import_one(k, key_file, fpr, err);
	return pgp_create_key(k->pgp, name, 0, fpr, err);
}

static void print_signer(const struct keys_ctx *k, const struct policy_signer *s, bool created)
{
	if (k->json) {
		json_t *o = json_pack("{s:s, s:s, s:b}", "fingerprint", s->fpr, "name", s->name,
				      "created_key", created);
		json_t *roles = json_array(), *types = json_array();
		for (size_t i = 0; s->roles[i]; i++)
			json_array_append_new(roles, json_string(s->roles[i]));
		for (size_t i = 0; s->device_types[i]; i++)
			json_array_append_new(types, json_string(s->device_types[i]));
		json_object_set_new(o, "roles", roles);
		json_object_set_new(o, "device_types", types);
		keys_print_json(o);
		return;
	}
	if (k->quiet)
		return;
	printf("%s\n", s->fpr);
	if (k->verbose || isatty(STDOUT_FILENO))
		printf("signer '%s' added to the draft; run `ferry-keys policy sign` to publish\n",
		       s->name);
}

KEYS_CMD(keys_cmd_signer_add)
{
	static const struct option longopts[] = { KEYS_COMMON_LONGOPTS,
						  { "role", required_argument, NULL, 'r' },
						  { "device-type", required_argument, NULL, 't' },
						  { "expires", required_argument, NULL, 'e' },
						  { "key", required_argument, NULL, 'k' },
						  { NULL, 0, NULL, 0 } };
	struct policy *draft = NULL;
	struct policy_signer s = { .fpr = "0000000000000000000000000000000000000000" };
	const char *key_file = NULL;
	int c, rc = CLI_EXIT_USAGE;

	while ((c = getopt_long(argc, argv, KEYS_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (keys_common_option(k, c, optarg))
			continue;
		switch (c) {
		case 'h':
			rc = keys_command_help("signer", "add");
			goto out;
		case 'r':
		case 't':
			if (!keys_strv_add(c == 'r' ? &s.roles : &s.device_types, optarg, err))
				goto out;
			break;
		case 'e':
			if (!keys_parse_date("--expires", optarg, &s.expires, err))
				goto out;
			if (s.expires <= (int64_t)time(NULL)) {
				rc = keys_usage(err, "signer add", "--expires %s lies in the past", optarg);
				goto out;
			}
			break;
		case 'k':
			key_file = optarg;
			break;
		default:
			rc = keys_bad_option(err, "signer add", c, argv);
			goto out;
		}
	}
	if (!keys_positional(argc, argv, 1, "signer add", "NAME", err))
		goto out;
	if (!s.roles || !s.device_types) {
		rc = keys_usage(err, "signer add", "at least one --role and one --device-type are needed");
		goto out;
	}
	s.name = argv[optind];
	if (!keys_require_init(k, err) || !keys_load_draft(k, &draft, err))
		goto out;
	rc = CLI_EXIT_FAILED;
	/* validate the entry before a key is made for it */
	struct policy_signer *grown = realloc(draft->signers, (draft->n_signers + 1) * sizeof(s));
	if (!grown) {
		ferry_error_set(err, "out of memory");
		goto out;
	}
	draft->signers = grown;
	struct policy_signer *slot = &draft->signers[draft->n_signers++];
	*slot = s;
	memset(&s, 0, sizeof(s));   /* the draft owns the vectors now */
	if (!(slot->name = strdup(slot->name)))
		goto out;
	if (!policy_validate(draft, "signer", err)) {
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if (!keys_new_key(k, slot->name, key_file, slot->fpr, err))
		goto out;
	for (size_t i = 0; i + 1 < draft->n_signers; i++)
		if (strcmp(draft->signers[i].fpr, slot->fpr) == 0) {
			ferry_error_set(err, "%s is already signer '%s'", slot->fpr, draft->signers[i].name);
			goto out;
		}
	if (policy_is_root(draft, slot->fpr)) {
		ferry_error_set(err, "%s is a root key: give signers their own keys", slot->fpr);
		goto out;
	}
	if (!keys_save_draft(k, draft, err))
		goto out;
	print_signer(k, slot, key_file == NULL);
	rc = CLI_EXIT_OK;
out:
	strv_free(s.roles);
	strv_free(s.device_types);
	policy_free(draft);
	return rc;
}
