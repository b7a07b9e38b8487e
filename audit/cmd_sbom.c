/* cmd_device_sbom: `ferry-audit sbom --device ID [--json]`: what runs on a device
 * as its newest inventory says: per installed bundle its version, support
 * date and SBOM components (docs/hq.md). Device strings are shown visibly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "audit/cli.h"
#include "audit/shown.h"

enum { C_BUNDLE, C_VERSION, C_SUPPORT, C_NAME, C_CVERSION, C_LICENCE };

static json_t *sbom_json(const char *device, const struct audit_table *t)
{
	json_t *software = json_array(), *entry = NULL, *components = NULL;
	for (size_t r = 0; software && r < t->n_rows; r++) {
		const char *bundle = audit_table_cell(t, r, C_BUNDLE);
		if (!r || strcmp(bundle, audit_table_cell(t, r - 1, C_BUNDLE)) != 0) {
			const char *support = audit_table_cell(t, r, C_SUPPORT);
			components = json_array();
			entry = json_pack("{s:s, s:s, s:o, s:o}", "bundle", bundle, "version",
					  audit_table_cell(t, r, C_VERSION), "support_until",
					  support ? json_string(support) : json_null(), "components", components);
			json_array_append_new(software, entry);
		}
		if (!audit_table_cell(t, r, C_NAME))
			continue;
		const char *licence = audit_table_cell(t, r, C_LICENCE);
		json_array_append_new(components, json_pack("{s:s, s:s, s:o}", "name", audit_table_cell(t, r, C_NAME),
							     "version", audit_table_cell(t, r, C_CVERSION),
							     "licence", licence ? json_string(licence) : json_null()));
	}
	return json_pack("{s:s, s:o}", "device", device, "software", software);
}

static void sbom_text(const char *device, const struct audit_table *t)
{
	if (!t->n_rows)
		printf("%s: no software reported (its inventory names no SBOM or support date)\n", device);
	for (size_t r = 0; r < t->n_rows; r++) {
		const char *bundle = audit_table_cell(t, r, C_BUNDLE), *support = audit_table_cell(t, r, C_SUPPORT);
		if (!r || strcmp(bundle, audit_table_cell(t, r - 1, C_BUNDLE)) != 0)
			printf("%s: %s %s, supported until %s\n", device, bundle, audit_table_cell(t, r, C_VERSION),
			       support ? support : "(not said)");
		if (audit_table_cell(t, r, C_NAME)) {
			const char *licence = audit_table_cell(t, r, C_LICENCE);
			printf("  %s %s%s%s\n", audit_table_cell(t, r, C_NAME), audit_table_cell(t, r, C_CVERSION),
			       licence ? "  " : "", licence ? licence : "");
		}
	}
}

static bool show_sbom(struct audit_db *db, const char *device, bool json, struct ferry_error **err)
{
	struct audit_device dev = { 0 };
	struct audit_table t = { 0 };
	struct audit_query_params p = { .device = device };
	bool found = false, ok = false;
	char *shown_id = NULL;
	if (!audit_db_device_get(db, device, &dev, &found, err))
		return false;
	if (!found) {
		ferry_error_setc(err, FERRY_E_STATE, "device '%s' is not registered", device);
		goto out;
	}
	if (!audit_db_query(db, AUDIT_Q_DEVICE_SBOM, &p, &t, err) || !shown_table(&t, err) ||
	    !(shown_id = shown_visible(device)))
		goto out;
	if (json)
		cli_print_json(sbom_json(shown_id, &t));
	else
		sbom_text(shown_id, &t);
	ok = true;
out:
	free(shown_id);
	audit_table_clear(&t);
	audit_device_clear(&dev);
	return ok;
}

int cmd_device_sbom(struct audit_cli *cli, int argc, char **argv, struct ferry_error **err)
{
	enum { OPT_DEVICE = OPT_COMMON_END };
	static const struct option opts[] = {
		{ "device", required_argument, NULL, OPT_DEVICE }, CLI_COMMON_LONG_OPTS, { 0 }
	};
	const char *device = NULL;
	int opt, rc = EXIT_REFUSED;
	struct audit_db *db = NULL;
	while ((opt = cli_getopt(argc, argv, "vq", opts)) != -1) {
		if (cli_common_option(cli, opt, optarg))
			continue;
		if (opt != OPT_DEVICE)
			return cli_usage_error("sbom", "unknown option");
		device = optarg;
	}
	if (optind != argc || !device)
		return cli_usage_error("sbom", "needs --device ID, nothing else");
	if (!cli_open_db(cli, &db, err))
		return EXIT_USAGE;
	if (show_sbom(db, device, cli->json, err))
		rc = 0;
	audit_db_close(db);
	return rc;
}
