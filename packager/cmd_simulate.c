/* ferry-pack simulate BUNDLE --fleet FLEET.json --policy DIR [--json]: for
 * every device of a fleet file, the decision a device would take, from the
 * same code the agent runs (common/decide, common/policy): "install variant
 * X", or refused with every reason. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bundle_read.h"
#include "common/bundle_write.h"
#include "common/decide.h"
#include "common/fleet.h"
#include "common/json.h"
#include "common/manifest.h"
#include "packager/pack.h"

#define SIMULATE_USAGE "simulate BUNDLE --fleet FLEET.json --policy DIR [--json]"

static void print_text(const struct fleet_device *dev, const struct device_facts *f,
		       const struct decision *dec)
{
	char hw[32] = "hw ?";
	if (f->hw_revision >= 0)
		snprintf(hw, sizeof(hw), "hw %lld", (long long)f->hw_revision);
	printf("%-10s %-10s %-6s %-12s -> ", dev->id, dev->type, hw,
	       f->installed_version ? f->installed_version : "(none)");
	if (dec->variant) {
		printf("would install %s %s (variant %s)\n", dec->manifest->name,
		       dec->manifest->version, dec->variant->id);
		return;
	}
	printf("refused\n");
	for (size_t i = 0; i < dec->n_reasons; i++)
		printf("      %-18s %s\n", decide_code_name(dec->reasons[i].code), dec->reasons[i].message);
}

int cmd_simulate(struct pack_opts *o, int argc, char **argv, struct ferry_error **err)
{
	static const struct option longopts[] = {
		PACK_COMMON_LONG,
		{ "fleet", required_argument, NULL, 'f' },
		{ "policy", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	const char *fleet_path = NULL, *policy_dir = NULL;
	int c, rc = PACK_FAILED;
	while ((c = getopt_long(argc, argv, PACK_COMMON_SHORT, longopts, NULL)) != -1) {
		if (c == 'f')
			fleet_path = optarg;
		else if (c == 'p')
			policy_dir = optarg;
		else if (c == 'h') {
			printf("usage: ferry-pack %s\n", SIMULATE_USAGE);
			return PACK_OK;
		} else if (!pack_common_option(o, c, optarg))
			return pack_usage(SIMULATE_USAGE, err);
	}
	if (optind + 1 != argc || !fleet_path || !policy_dir)
		return pack_usage(SIMULATE_USAGE, err);
	struct bundle_reader *r = NULL;
	struct manifest *m = NULL;
	struct fleet *fl = NULL;
	json_t *all = json_array();
	const char *bytes;
	const void *sig;
	size_t len, sig_len, takes = 0;
	if (!bundle_reader_open(argv[optind], &r, err) ||
	    !bundle_reader_manifest(r, &bytes, &len, &sig, &sig_len, err) ||
	    !manifest_parse(bytes, len, BUNDLE_MANIFEST_MEMBER, &m, err))
		goto out;
	if (!fleet_load(fleet_path, &fl, err)) {
		rc = PACK_USAGE;
		goto out;
	}
	for (size_t i = 0; i < fl->n_devices; i++) {
		struct device_facts facts;
		struct decision dec;
		fleet_device_facts(&fl->devices[i], m->name, &facts);
		if (!decide(m, &facts, &dec, err)) {
			ferry_error_prefix(err, "%s: device %s", fleet_path, facts.id);
			goto out;
		}
		takes += dec.variant != NULL;
		if (o->json) {
			json_t *j = decision_json(&dec);
			json_object_set_new(j, "device", json_string(facts.id));
			json_array_append_new(all, j);
		} else
			print_text(&fl->devices[i], &facts, &dec);
		decision_free(&dec);
	}
	if (o->json) {
		pack_print_json(json_pack("{s:s, s:s, s:s, s:O}", "bundle", argv[optind], "name", m->name,
					  "version", m->version, "devices", all));
	} else if (!o->quiet)
		printf("%zu of %zu devices would install %s %s\n", takes, fl->n_devices, m->name,
		       m->version);
	rc = PACK_OK;
out:
	if (rc == PACK_FAILED)
		ferry_error_prefix(err, "%s", argv[optind]);
	json_decref(all);
	fleet_free(fl);
	manifest_free(m);
	bundle_reader_close(r);
	return rc;
}
