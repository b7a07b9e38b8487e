/* cmd_register: `ferry-audit register DEVICE_KEY.asc --device-id ID [--replace]`
 * or `ferry-audit register PROVISION_DIR... [--replace]`, each with an
 * optional `--warranty-until DATE|none`; `register --device-id ID
 * --warranty-until DATE|none` alone sets the warranty of a registered device.
 * The key is first read in a throw-away GnuPG home, so a refused key never
 * reaches the HQ keyring. Same key again: a no-op. Another key for a known
 * id: refused unless --replace. One key belongs to one device only. On a
 * second import station sharing the database, registering the same key again
 * only adds it to that station's keyring. Many devices at once: their
 * provisioning directories, in one transaction and one throw-away home. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "audit/cli.h"
#include "common/cli.h"
#include <sys/stat.h>

#include "common/agent_config.h"
#include "common/auditlog.h"
#include "common/pgp.h"
#include "common/rfc3339.h"
#include "common/safefile.h"

#define KEY_FILE_MAX (1024 * 1024)

/* What registering needs, opened once for any number of devices: the
 * database, the HQ keyring, and one throw-away GnuPG home in which each key
 * is read first, so a refused key never reaches the HQ keyring. */
struct reg_session {
	struct audit_cli *cli;
	struct audit_db *db;
	struct pgp *hq, *tmp;
	char tmpl[32];
	const char *warranty;      /* --warranty-until: a date, "none", or NULL (unchanged) */
};

/* The device's warranty end as --warranty-until says ("none": cleared). */
static bool put_warranty(struct audit_db *db, const char *id, const char *warranty, struct ferry_error **err)
{
	bool found = false;
	if (!warranty)
		return true;
	if (!audit_db_warranty_put(db, id, strcmp(warranty, "none") == 0 ? NULL : warranty, &found, err))
		return false;
	return found || ferry_error_setc(err, FERRY_E_STATE, "device '%s' is not registered: register its key "
					 "first", id);
}

/* 0, or the exit code: a database that cannot be opened is a usage error. */
static int session_open(struct reg_session *s, struct audit_cli *cli, struct ferry_error **err)
{
	memset(s, 0, sizeof(*s));
	s->cli = cli;
	snprintf(s->tmpl, sizeof(s->tmpl), "/tmp/fa-key.XXXXXX");
	if (!mkdtemp(s->tmpl)) {
		s->tmpl[0] = 0;
		return ferry_error_errno(err, errno, "creating a temporary GnuPG home"), EXIT_REFUSED;
	}
	if (!cli_create_db(cli, &s->db, err))
		return EXIT_USAGE;
	if (!pgp_open(s->tmpl, &s->tmp, err) || !pgp_open(cli_homedir(cli), &s->hq, err))
		return EXIT_REFUSED;
	return 0;
}

static void session_close(struct reg_session *s)
{
	pgp_close(s->tmp);
	pgp_close(s->hq);
	audit_db_close(s->db);
	if (s->tmpl[0]) {
		pgp_kill_daemons(s->tmpl);
		remove_tree(s->tmpl, NULL);
	}
}

/* The one primary key in data, learnt in the throw-away home. */
static bool key_fingerprint(struct reg_session *s, const char *path, const char *data, size_t len,
			    char fpr[PGP_FPR_LEN + 1], struct ferry_error **err)
{
	char fprs[2][PGP_FPR_LEN + 1];
	size_t n = 0;
	if (!pgp_import(s->tmp, data, len, fprs, 2, &n, err))
		return ferry_error_prefix(err, "%s", path), false;
	if (n != 1)
		return ferry_error_set(err, "%s: holds %zu keys, expected the one public key of a device", path, n);
	/* a device's secret key never leaves it: do not let HQ hold one */
	if (pgp_has_secret_key(s->tmp, fprs[0]))
		return ferry_error_set(err, "%s: holds a secret key; give the device's public key only", path);
	memcpy(fpr, fprs[0], PGP_FPR_LEN + 1);
	return true;
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

static bool register_one(struct reg_session *s, const char *key_path, const char *id, bool replace,
			 struct ferry_error **err)
{
	struct audit_device dev = { 0 };
	struct fpr_owner owner = { 0 };
	char *data = NULL, *armored = NULL, now[32];
	char fpr[PGP_FPR_LEN + 1], imported[1][PGP_FPR_LEN + 1];
	size_t len = 0, armored_len = 0, n = 0;
	bool found = false, ok = false;
	if (!read_file_limited(key_path, KEY_FILE_MAX, &data, &len, err) ||
	    !key_fingerprint(s, key_path, data, len, fpr, err) ||
	    !audit_db_device_get(s->db, id, &dev, &found, err))
		goto out;
	if (found && strcmp(dev.fingerprint, fpr) == 0) {
		/* another import station sharing the database: the key still
		 * has to reach this station's keyring (importing it twice is no change) */
		if (!pgp_import(s->hq, data, len, imported, 1, &n, err))
			goto out;
		say(s->cli, id, fpr, "unchanged", "nothing to do, already registered with key");
		ok = put_warranty(s->db, id, s->warranty, err);
		goto out;
	}
	if (found && !replace) {
		ferry_error_set(err, "%s: already registered with another key %s (this one is %s); "
				"use --replace to change it", id, dev.fingerprint, fpr);
		goto out;
	}
	owner.fpr = fpr;
	owner.except = id;
	if (!audit_db_device_list(s->db, find_owner, &owner, err))
		goto out;
	if (owner.owner) {
		ferry_error_set(err, "%s: key %s is already registered for device '%s'", key_path, fpr,
				owner.owner);
		goto out;
	}
	if (!pgp_import(s->hq, data, len, imported, 1, &n, err) ||
	    !pgp_export_public(s->hq, fpr, true, &armored, &armored_len, err))
		goto out;
	cli_now(now);
	if (!audit_db_device_put_key(s->db, id, fpr, armored, now, err))
		goto out;
	say(s->cli, id, fpr, found ? "replaced" : "registered", found ? "replaced, now key" : "registered key");
	ok = put_warranty(s->db, id, s->warranty, err);
out:
	free(owner.owner);
	free(armored);
	free(data);
	audit_device_clear(&dev);
	return ok;
}

/* The device id of a `ferry-keys provision` output: its agent.json's device.id. */
static bool provisioned_id(const char *dir, char **id, struct ferry_error **err)
{
	char *path = NULL;
	struct agent_config *c = NULL;
	bool ok = path_join(dir, "agent.json", &path, err) && agent_config_load(path, &c, err);
	if (ok && !(*id = strdup(c->device.id)))
		ok = ferry_error_set(err, "out of memory");
	agent_config_free(c);
	free(path);
	return ok;
}

/* Each DIR is a provisioning output (agent.json, <id>.asc): all of them in one
 * transaction, so either every device is registered or none is. */
static bool register_dirs(struct reg_session *s, char **dirs, int n, bool replace, struct ferry_error **err)
{
	if (!audit_db_begin(s->db, err))
		return false;
	for (int i = 0; i < n; i++) {
		char *id = NULL, *key = NULL;
		bool ok = provisioned_id(dirs[i], &id, err) && asprintf(&key, "%s/%s.asc", dirs[i], id) >= 0 &&
			  register_one(s, key, id, replace, err);
		free(id);
		free(key);
		if (!ok) {
			audit_db_rollback(s->db);
			return ferry_error_prefix(err, "nothing registered"), false;
		}
	}
	return audit_db_commit(s->db, err);
}

/* register --device-id ID --warranty-until DATE|none, no key: one change. */
static int warranty_only(struct audit_cli *cli, const char *id, const char *warranty, struct ferry_error **err)
{
	struct audit_db *db = NULL;
	if (!cli_open_db(cli, &db, err))
		return EXIT_USAGE;
	bool ok = put_warranty(db, id, warranty, err);
	if (ok && !cli->quiet)
		printf("%s: warranty until %s\n", id, warranty);
	audit_db_close(db);
	return ok ? 0 : EXIT_REFUSED;
}

int cmd_register(struct audit_cli *cli, int argc, char **argv, struct ferry_error **err)
{
	enum { OPT_ID = OPT_COMMON_END, OPT_REPLACE, OPT_WARRANTY };
	static const struct option opts[] = {
		{ "device-id", required_argument, NULL, OPT_ID },
		{ "replace", no_argument, NULL, OPT_REPLACE },
		{ "warranty-until", required_argument, NULL, OPT_WARRANTY },
		CLI_COMMON_LONG_OPTS, { 0 }
	};
	const char *id = NULL, *warranty = NULL;
	bool replace = false;
	int opt;
	while ((opt = cli_getopt(argc, argv, "vq", opts)) != -1) {
		if (cli_common_option(cli, opt, optarg))
			continue;
		switch (opt) {
		case OPT_ID: id = optarg; break;
		case OPT_REPLACE: replace = true; break;
		case OPT_WARRANTY:
			warranty = optarg;
			if (strcmp(optarg, "none") != 0 && !rfc3339_date_valid(optarg))
				return cli_usage_error("register", "--warranty-until %s: expected YYYY-MM-DD or none",
						       optarg);
			break;
		default: return cli_usage_error("register", "unknown option");
		}
	}
	if (optind == argc && id && warranty) {
		if (!auditlog_device_id_valid(id))
			return cli_usage_error("register", "'%s': not a valid device id", id);
		return warranty_only(cli, id, warranty, err);
	}
	if (optind == argc)
		return cli_usage_error("register", "expected DEVICE_KEY.asc --device-id ID, or PROVISION_DIR...");
	struct stat st;
	bool dirs = stat(argv[optind], &st) == 0 && S_ISDIR(st.st_mode);
	if (!dirs && optind + 1 != argc)
		return cli_usage_error("register", "expected one DEVICE_KEY.asc (or provisioning directories)");
	if (!dirs && !id)
		return cli_usage_error("register", "--device-id ID is required");
	if (dirs && id)
		return cli_usage_error("register", "--device-id is for a key file: a provisioning directory names its device");
	if (id && !auditlog_device_id_valid(id))
		return cli_usage_error("register", "'%s': not a valid device id (" AUDITLOG_DEVICE_ID_RULE ")",
				       id);
	struct reg_session s;
	int rc = session_open(&s, cli, err);
	s.warranty = warranty;
	if (rc == 0)
		rc = (dirs ? register_dirs(&s, argv + optind, argc - optind, replace, err)
			   : register_one(&s, argv[optind], id, replace, err)) ? 0 : EXIT_REFUSED;
	session_close(&s);
	return rc;
}
