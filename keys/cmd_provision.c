/* keys_cmd_provision: `ferry-keys provision OUTDIR --device-id ID --device-type T
 * [--hw-revision R] [--group G]... [--installed NAME=VERSION]...`: a device
 * trust bundle (contract C2) that is also a ready virtual device. Built in
 * "<OUTDIR>.partial" and renamed: a failure leaves no half-provisioned OUTDIR. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/agent_config.h"
#include "common/auditlog.h"
#include "common/safefile.h"
#include "keys/cmds.h"

struct device {
	const char *id, *type;
	long hw_revision;   /* -1: not given */
	char **groups;
	json_t *installed;
};

/* FAT-safe device type names (the device id follows the one rule of
 * common/auditlog.h: it names audit/<id>/ and the log files on sticks). */
static bool name_valid(const char *s)
{
	if (!s || !*s || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || strchr("._-", *s)))
			return false;
	return true;
}

/* agent.json of the virtual device, through the module the agent reads it
 * with: paths relative to OUTDIR, a file bootloader, one slot pair, one target. */
static bool agent_config_text(const struct device *d, char **text, size_t *len,
			      struct ferry_error **err)
{
	size_t n = json_object_size(d->installed), i = 0;
	struct agent_kv *installed = calloc(n + 1, sizeof(*installed));
	struct agent_slot_pair rootfs = { .name = "rootfs", .a = "slots/rootfs-a.img",
					 .b = "slots/rootfs-b.img" };
	struct agent_kv app = { "app", "targets/app" };
	char *no_groups[] = { NULL };
	const char *name;
	json_t *v;
	if (!installed)
		return ferry_error_set(err, "out of memory");
	json_object_foreach(d->installed, name, v) {
		installed[i].key = (char *)name;
		installed[i++].value = (char *)json_string_value(v);
	}
	struct agent_config c = {
		.device = { .id = (char *)d->id, .type = (char *)d->type,
			    .hw_revision = d->hw_revision < 0 ? 0 : d->hw_revision,
			    .groups = d->groups ? d->groups : no_groups,
			    .installed = installed, .n_installed = n },
		.trust_homedir = "gnupg", .trust_policy = "policy", .state_dir = "state",
		.slots = &rootfs, .n_slots = 1, .targets = &app, .n_targets = 1,
		.modules_dir = "modules", .hooks_dir = "hooks.d",
		.bootloader = { .type = AGENT_BOOT_FILE, .path = "state/bootenv.json" },
		.confirm = AGENT_CONFIRM_AUTO, .reboot = AGENT_REBOOT_NEVER, .script_timeout = 300,
	};
	bool ok = agent_config_serialize(&c, text, len, err);
	free(installed);
	return ok;
}

/* A virtual slot is a sparse file the size of a small rootfs partition: a
 * payload larger than its slot is refused, as on a real device. */
#define VIRTUAL_SLOT_SIZE (256ull * 1024 * 1024)

/* The files of a virtual device: directories and sparse slot images. */
static bool layout(const char *out, struct ferry_error **err)
{
	static const char *const dirs[] = { "state", "slots", "targets/app", "modules", "hooks.d" };
	static const char *const slots[] = { "slots/rootfs-a.img", "slots/rootfs-b.img" };
	char *p = NULL;
	bool ok = true;
	for (size_t i = 0; ok && i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		ok = path_join(out, dirs[i], &p, err) && mkdir_p(p, 0755, err);
		free(p);
		p = NULL;
	}
	for (size_t i = 0; ok && i < sizeof(slots) / sizeof(slots[0]); i++) {
		ok = path_join(out, slots[i], &p, err) && safe_write_atomic(p, "", 0, 0644, err);
		if (ok && truncate(p, (off_t)VIRTUAL_SLOT_SIZE) < 0)
			ok = ferry_error_errno(err, errno, "%s: truncate", p);
		free(p);
		p = NULL;
	}
	return ok;
}

static bool write_text(const char *dir, const char *name, const char *text, size_t len,
		       mode_t mode, struct ferry_error **err)
{
	char *p = NULL;
	bool ok = path_join(dir, name, &p, err) && safe_write_atomic(p, text, len, mode, err);
	free(p);
	return ok;
}

/* Everything below tmp: device home, policy, public key, agent.json, layout. */
static bool build(struct keys_ctx *k, const struct device *d, const char *tmp,
		  char fpr[PGP_FPR_LEN + 1], struct ferry_error **err)
{
	struct policy_file f = { 0 };
	struct pgp *dev = NULL;
	struct policy *check = NULL;
	char *keys = NULL, *pub = NULL, *home = NULL, *pol = NULL, *src = NULL, *uid = NULL,
	     *cfg = NULL, *asc = NULL;
	size_t keys_len = 0, pub_len = 0, cfg_len = 0;
	bool ok = false;

	if (!(src = keys_path(k, "policy")) || !policy_read_dir(src, &f, err) ||
	    !keys_load_signed(k, &check, err) || !keys_export_all(k, check, &keys, &keys_len, err))
		goto out;
	if (!path_join(tmp, "gnupg", &home, err) || !path_join(tmp, "policy", &pol, err) ||
	    !pgp_open(home, &dev, err))
		goto out;
	char none[1][PGP_FPR_LEN + 1];
	if (asprintf(&uid, "ferry device %s (%s)", d->id, d->type) < 0 ||
	    asprintf(&asc, "%s.asc", d->id) < 0) {
		ferry_error_set(err, "out of memory");
		goto out;
	}
	if (!pgp_import(dev, keys, keys_len, none, 0, NULL, err) ||
	    !pgp_create_key(dev, uid, 0, fpr, err) ||
	    !pgp_export_public(dev, fpr, true, &pub, &pub_len, err) ||
	    !policy_write_dir(pol, &f, keys, keys_len, err))
		goto out;
	/* the device must be able to load its policy exactly as the agent will */
	policy_free(check);
	check = NULL;
	if (!policy_load_dir(dev, pol, &check, err)) {
		ferry_error_prefix(err, "the provisioned device would not accept its policy");
		goto out;
	}
	ok = agent_config_text(d, &cfg, &cfg_len, err) && write_text(tmp, asc, pub, pub_len, 0644, err) &&
	     write_text(tmp, "agent.json", cfg, cfg_len, 0644, err) && layout(tmp, err);
out:
	pgp_close(dev);
	if (home)
		pgp_kill_daemons(home);
	policy_free(check);
	policy_file_clear(&f);
	free(keys);
	free(pub);
	free(home);
	free(pol);
	free(src);
	free(uid);
	free(cfg);
	free(asc);
	return ok;
}

/* OUTDIR must not exist, or be an empty directory (removed, then replaced). */
static bool outdir_free(const char *out, struct ferry_error **err)
{
	if (access(out, F_OK) != 0)
		return true;
	if (rmdir(out) == 0)
		return true;
	return ferry_error_errno(err, errno, "%s: refusing to provision into an existing, "
				 "non-empty path", out);
}

static int parse_device(struct keys_ctx *k, int argc, char **argv, struct device *d,
			struct ferry_error **err)
{
	static const struct option longopts[] = { KEYS_COMMON_LONGOPTS,
						  { "device-id", required_argument, NULL, 'i' },
						  { "device-type", required_argument, NULL, 't' },
						  { "hw-revision", required_argument, NULL, 'r' },
						  { "group", required_argument, NULL, 'g' },
						  { "installed", required_argument, NULL, 'I' },
						  { NULL, 0, NULL, 0 } };
	const char *cmd = "provision";
	char *end = NULL, *eq;
	int c;
	while ((c = getopt_long(argc, argv, KEYS_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (keys_common_option(k, c, optarg))
			continue;
		switch (c) {
		case 'h':
			return keys_command_help("provision", NULL);
		case 'i':
			d->id = optarg;
			break;
		case 't':
			d->type = optarg;
			break;
		case 'r':
			d->hw_revision = strtol(optarg, &end, 10);
			if (*end || d->hw_revision < 0 || d->hw_revision > 1000000)
				return keys_usage(err, cmd, "--hw-revision: '%s' is not a revision number",
						  optarg);
			break;
		case 'g':
			if (!name_valid(optarg))
				return keys_usage(err, cmd, "--group: '%s' is not a name ([a-z0-9._-])", optarg);
			if (!keys_strv_add(&d->groups, optarg, err))
				return CLI_EXIT_FAILED;
			break;
		case 'I':
			eq = strchr(optarg, '=');
			if (!eq || eq == optarg || !eq[1])
				return keys_usage(err, cmd, "--installed: '%s' is not NAME=VERSION", optarg);
			*eq = '\0';
			json_object_set_new(d->installed, optarg, json_string(eq + 1));
			*eq = '=';
			break;
		default:
			return keys_bad_option(err, cmd, c, argv);
		}
	}
	if (!keys_positional(argc, argv, 1, cmd, "OUTDIR", err))
		return CLI_EXIT_USAGE;
	if (!d->id || !d->type)
		return keys_usage(err, cmd, "--device-id ID and --device-type T are required");
	if (!auditlog_device_id_valid(d->id))
		return keys_usage(err, cmd, "--device-id '%s' is not valid: " AUDITLOG_DEVICE_ID_RULE, d->id);
	if (!name_valid(d->type))
		return keys_usage(err, cmd, "--device-type '%s' is not valid: lowercase [a-z0-9._-], at "
				  "most 64 characters", d->type);
	return -1;
}

KEYS_CMD(keys_cmd_provision)
{
	struct device d = { .hw_revision = -1, .installed = json_object() };
	char fpr[PGP_FPR_LEN + 1], *tmp = NULL;
	struct ferry_error *cleanup = NULL;
	int rc = parse_device(k, argc, argv, &d, err);
	if (rc >= 0)
		goto out;
	const char *out = argv[optind];
	rc = CLI_EXIT_FAILED;
	if (!keys_require_init(k, err)) {
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if (!outdir_free(out, err) || asprintf(&tmp, "%s.partial", out) < 0 ||
	    !remove_tree(tmp, err) || !mkdir_p(tmp, 0755, err))
		goto out;
	if (!build(k, &d, tmp, fpr, err) || !fsync_dir(tmp, err))
		goto out;
	if (rename(tmp, out) != 0) {
		ferry_error_errno(err, errno, "rename %s to %s", tmp, out);
		goto out;
	}
	if (!fsync_parent_dir(out, err))
		goto out;
	if (k->json)
		keys_print_json(json_pack("{s:s, s:s, s:s, s:s, s:s+}", "device_id", d.id, "device_type",
					  d.type, "fingerprint", fpr, "outdir", out, "public_key", d.id,
					  ".asc"));
	else if (!k->quiet)
		printf("provisioned %s (%s) in %s: device key %s\nregister at HQ with: ferry-audit "
		       "register %s/%s.asc --device-id %s\n", d.id, d.type, out, fpr, out, d.id, d.id);
	rc = CLI_EXIT_OK;
out:
	if (tmp && rc != CLI_EXIT_OK && access(tmp, F_OK) == 0 && !remove_tree(tmp, &cleanup))
		ferry_error_free(cleanup);
	free(tmp);
	strv_free(d.groups);
	json_decref(d.installed);
	return rc;
}
