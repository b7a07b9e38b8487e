/* cmd_devices: `ferry-audit devices`: the registry with what each device
 * last reported (type, versions, rings, newest record, last contact). */
#include <stdio.h>
#include <stdlib.h>

#include "audit/cli.h"
#include "audit/shown.h"
#include "common/json.h"

static json_t *str_or_null(const char *s) { return s ? json_string(s) : json_null(); }
static json_t *int_or_null(int64_t v) { return v >= 0 ? json_integer(v) : json_null(); }

static bool print_device(const struct audit_device *d, void *ctx, struct ferry_error **err)
{
	(void)err;
	json_t *list = ctx;
	if (list) {
		json_t *o = json_object();
		json_object_set_new(o, "id", json_string(d->id));
		json_object_set_new(o, "type", str_or_null(d->type));
		json_object_set_new(o, "hw_revision", int_or_null(d->hw_revision));
		json_object_set_new(o, "fingerprint", json_string(d->fingerprint));
		json_object_set_new(o, "registered_at", json_string(d->registered_at));
		json_object_set_new(o, "last_seen", str_or_null(d->last_seen));
		json_object_set_new(o, "last_seq", json_integer(d->last_seq));
		json_object_set_new(o, "policy_serial", int_or_null(d->policy_serial));
		json_object_set_new(o, "security_version", int_or_null(d->security_version));
		json_object_set_new(o, "installed", str_or_null(d->installed));
		json_object_set_new(o, "groups", str_or_null(d->groups));
		json_array_append_new(list, o);
		return true;
	}
	char hw[24] = "-";
	if (d->hw_revision >= 0)
		snprintf(hw, sizeof(hw), "%lld", (long long)d->hw_revision);
	/* Every string came from a device: shown only visibly (audit/shown.h). */
	char *v[5] = { shown_visible(d->id), shown_visible(d->type), shown_visible(d->last_seen),
		       shown_visible(d->installed), shown_visible(d->groups) };
	printf("%-16s %-12s %-3s %8lld  %-20s  %s%s%s%s\n", v[0] ? v[0] : "-", v[1] ? v[1] : "-", hw,
	       (long long)d->last_seq, v[2] ? v[2] : "never", v[3] ? v[3] : "-", v[4] ? " [" : "",
	       v[4] ? v[4] : "", v[4] ? "]" : "");
	for (size_t i = 0; i < 5; i++)
		free(v[i]);
	return true;
}

int cmd_devices(struct audit_cli *cli, int argc, char **argv, struct ferry_error **err)
{
	static const struct option opts[] = { CLI_COMMON_LONG_OPTS, { 0 } };
	struct audit_db *db = NULL;
	json_t *list = NULL;
	int opt, rc = EXIT_REFUSED;
	while ((opt = cli_getopt(argc, argv, "vq", opts)) != -1)
		if (!cli_common_option(cli, opt, optarg))
			return cli_usage_error("devices", "unknown option");
	if (optind != argc)
		return cli_usage_error("devices", "takes no arguments");
	if (!cli_open_db(cli, &db, err))
		return EXIT_USAGE;
	if (cli->json)
		list = json_array();
	else if (!cli->quiet)
		printf("%-16s %-12s %-3s %8s  %-20s  %s\n", "DEVICE", "TYPE", "HW", "LAST_SEQ",
		       "LAST_SEEN", "INSTALLED [RINGS]");
	if (!audit_db_device_list(db, print_device, list, err))
		goto out;
	if (list) {
		json_dumpf(list, stdout, JSON_INDENT(2));
		putchar('\n');
	}
	rc = 0;
out:
	json_decref(list);
	audit_db_close(db);
	return rc;
}
