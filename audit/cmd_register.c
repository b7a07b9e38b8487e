/* cmd_register: `ferry-audit register DEVICE_KEY.asc --device-id ID [--replace]`.
 * The key is first read in a throw-away GnuPG home, so a refused key never
 * reaches the HQ keyring. Same key again: a no-op. Another key for a known
 * id: refused unless --replace. One key belongs to one device only. On a
 * second import station sharing the database, registering the same key again
 * only adds it to that station's keyring. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "audit/cli.h"
#include "common/cli.h"
#include "common/auditlog.h"
#include "common/pgp.h"
#include "common/safefile.h"

#define KEY_FILE_MAX (1024 * 1024)

/* The one primary key in data, learnt without touching the HQ keyring. */
static bool key_fingerprint(const char *path, const char *data, size_t len,
			    char fpr[PGP_FPR_LEN + 1], struct ferry_error **err)
{
	char tmpl[] = "/tmp/fa-key.XXXXXX";
	char fprs[2][PGP_FPR_LEN + 1];
	size_t n = 0;
	struct pgp *tmp = NULL;
	bool ok = false;
	if (!mkdtemp(tmpl))
		return ferry_error_errno(err, errno, "creating a temporary GnuPG home");
	if (!pgp_open(tmpl, &tmp, err) || !pgp_import(tmp, data, len, fprs, 2, &n, err)) {
		ferry_error_prefix(err, "%s", path);
		goto out;
	}
	if (n != 1) {
		ferry_error_set(err, "%s: holds %zu keys, expected the one public key of a device", path, n);
		goto out;
	}
	if (pgp_has_secret_key(tmp, fprs[0])) {
		/* a device's secret key never leaves it: do not let HQ hold one */
		ferry_error_set(err, "%s: holds a secret key; give the device's public key only", path);
		goto out;
	}
	memcpy(fpr, fprs[0], PGP_FPR_LEN + 1);
	ok = true;
out:
	pgp_close(tmp);
	pgp_kill_daemons(tmpl);
	remove_tree(tmpl, NULL);
	return ok;
}

struct fpr_owner {
	const char *fpr, *except;
	char *owner;
};

static bool find_owner(const struct audit_device *d, void *ctx, struct ferry_error **err)
{
	(void)err;
	struct fpr_owner *o = ctx;
	if (!o->owner && strcmp(d->fingerprint, o->fpr) == 0 && strcmp(d->id, o->except) != 0)
		o->owner = strdup(d->id);
	return true;
}

/* The outcome, as a line or (--json) an object. */
static void say(const struct audit_cli *cli, const char *id, const char *fpr, const char *outcome,
		const char *text)
{
	if (cli->json) {
		cli_print_json(json_pack("{s:s, s:s, s:s}", "device", id, "fingerprint", fpr, "outcome", outcome));
	} else if (!cli->quiet) {
		printf("%s: %s %s\n", id, text, fpr);
	}
}

static int do_register(struct audit_cli *cli, const char *key_path, const char *id, bool replace,
		       struct ferry_error **err)
{
	struct audit_db *db = NULL;
	struct pgp *hq = NULL;
	struct audit_device dev = { 0 };
	struct fpr_owner owner = { 0 };
	char *data = NULL, *armored = NULL, now[32];
	char fpr[PGP_FPR_LEN + 1], imported[1][PGP_FPR_LEN + 1];
	size_t len = 0, armored_len = 0, n = 0;
	bool found = false;
	int rc = EXIT_REFUSED;
	if (!read_file_limited(key_path, KEY_FILE_MAX, &data, &len, err) ||
	    !key_fingerprint(key_path, data, len, fpr, err))
		goto out;
	if (!cli_open_db(cli, &db, err)) {
		rc = EXIT_USAGE;
		goto out;
	}
	if (!audit_db_device_get(db, id, &dev, &found, err))
		goto out;
	if (found && strcmp(dev.fingerprint, fpr) == 0) {
		/* another import station sharing the database: the key still
		 * has to reach this station's keyring (importing it twice is no change) */
		if (!pgp_open(cli_homedir(cli), &hq, err) || !pgp_import(hq, data, len, imported, 1, &n, err))
			goto out;
		say(cli, id, fpr, "unchanged", "nothing to do, already registered with key");
		rc = 0;
		goto out;
	}
	if (found && !replace) {
		ferry_error_set(err, "%s: already registered with another key %s (this one is %s); "
				"use --replace to change it", id, dev.fingerprint, fpr);
		goto out;
	}
	owner.fpr = fpr;
	owner.except = id;
	if (!audit_db_device_list(db, find_owner, &owner, err))
		goto out;
	if (owner.owner) {
		ferry_error_set(err, "%s: key %s is already registered for device '%s'", key_path, fpr,
				owner.owner);
		goto out;
	}
	if (!pgp_open(cli_homedir(cli), &hq, err) ||
	    !pgp_import(hq, data, len, imported, 1, &n, err) ||
	    !pgp_export_public(hq, fpr, true, &armored, &armored_len, err))
		goto out;
	cli_now(now);
	if (!audit_db_device_put_key(db, id, fpr, armored, now, err))
		goto out;
	say(cli, id, fpr, found ? "replaced" : "registered", found ? "replaced, now key" : "registered key");
	rc = 0;
out:
	free(owner.owner);
	free(armored);
	free(data);
	audit_device_clear(&dev);
	pgp_close(hq);
	audit_db_close(db);
	return rc;
}

int cmd_register(struct audit_cli *cli, int argc, char **argv, struct ferry_error **err)
{
	enum { OPT_ID = OPT_COMMON_END, OPT_REPLACE };
	static const struct option opts[] = {
		{ "device-id", required_argument, NULL, OPT_ID },
		{ "replace", no_argument, NULL, OPT_REPLACE },
		CLI_COMMON_LONG_OPTS, { 0 }
	};
	const char *id = NULL;
	bool replace = false;
	int opt;
	while ((opt = cli_getopt(argc, argv, "vq", opts)) != -1) {
		if (cli_common_option(cli, opt, optarg))
			continue;
		switch (opt) {
		case OPT_ID: id = optarg; break;
		case OPT_REPLACE: replace = true; break;
		default: return cli_usage_error("register", "unknown option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error("register", "expected one DEVICE_KEY.asc");
	if (!id)
		return cli_usage_error("register", "--device-id ID is required");
	if (!auditlog_device_id_valid(id))
		return cli_usage_error("register", "'%s': not a valid device id (" AUDITLOG_DEVICE_ID_RULE ")",
				       id);
	return do_register(cli, argv[optind], id, replace, err);
}
