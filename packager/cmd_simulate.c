/* ferry-pack simulate BUNDLE --fleet FLEET.json --policy DIR [--json]: for
 * every device of a fleet file, the decision a device would take, through the
 * same admission the agent runs (common/admit: signatures, policy, parse,
 * decide): "install variant X", or refused with every reason. A bundle whose
 * signatures fail, or that the policy allows for no device, is refused before
 * its manifest is parsed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/admit.h"
#include "common/bundle_read.h"
#include "common/decide.h"
#include "common/fleet.h"
#include "common/json.h"
#include "packager/pack.h"
#include "packager/verify.h"

#define SIMULATE_USAGE "simulate BUNDLE --fleet FLEET.json --policy DIR [--keyring FILE] [--json]"

/* The policy's reasons for refusing the device's type, each as "policy". */
static const char *const *policy_reasons(const struct admit_device *ad)
{
	static const char *const fallback[] = { "the policy does not allow these signers", NULL };
	if (ad->code != FERRY_E_POLICY)
		return NULL;   /* allowed, or out of scope: the rules were not looked at */
	return ad->policy.reasons && ad->policy.reasons[0] ? (const char *const *)ad->policy.reasons : fallback;
}

static void print_text(const struct fleet_device *dev, const struct admit_device *ad)
{
	const struct decision *dec = &ad->decision;
	struct device_facts facts, *f = &facts;
	fleet_device_facts(dev, dec->manifest->name, &facts);
	const char *const *pr = policy_reasons(ad);
	char hw[32] = "hw ?";
	if (f->hw_revision >= 0)
		snprintf(hw, sizeof(hw), "hw %lld", (long long)f->hw_revision);
	printf("%-10s %-10s %-6s %-12s -> ", dev->id, dev->type, hw,
	       f->installed_version ? f->installed_version : "(none)");
	if (ad->code == FERRY_E_NONE) {
		printf("would install %s %s (variant %s)\n", dec->manifest->name,
		       dec->manifest->version, dec->variant->id);
		return;
	}
	/* the device's own words (docs/field-guide.md, the outcome table) */
	printf("%s\n", ad->code == FERRY_E_COMPAT && decide_is_out_of_scope(dec) ? "nothing: not for this device"
			: ad->code == FERRY_E_COMPAT && decide_is_nothing_new(dec) ? "nothing new" : "refused");
	for (size_t i = 0; pr && pr[i]; i++)
		printf("      %-18s %s\n", "policy", pr[i]);
	for (size_t i = 0; i < dec->n_reasons; i++)
		printf("      %-18s %s\n", decide_code_name(dec->reasons[i].code), dec->reasons[i].message);
}

static json_t *device_json(const struct admit_device *ad)
{
	const char *const *pr = policy_reasons(ad);
	json_t *j = decision_json(&ad->decision);
	if (!j)
		return NULL;
	json_object_set_new(j, "device", json_string(ad->facts->id));
	if (!pr)
		return j;
	json_t *reasons = json_array();
	for (size_t i = 0; pr[i]; i++)
		json_array_append_new(reasons, json_pack("{s:s, s:s}", "code", "policy", "message", pr[i]));
	json_array_extend(reasons, json_object_get(j, "reasons"));
	json_object_set_new(j, "reasons", reasons);
	json_object_set_new(j, "result", json_string("refused"));
	json_object_del(j, "variant");
	return j;
}

/* admit_installed_fn over the fleet file's "installed". */
static bool fleet_installed(void *ctx, size_t i, const char *name, char **version,
			    struct ferry_error **err)
{
	struct device_facts f;
	fleet_device_facts(&((const struct fleet *)ctx)->devices[i], name, &f);
	*version = f.installed_version ? strdup(f.installed_version) : NULL;
	if (f.installed_version && !*version)
		return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
	return true;
}

int cmd_simulate(struct pack_opts *o, int argc, char **argv, struct ferry_error **err)
{
	static const struct option longopts[] = {
		PACK_COMMON_LONG,
		{ "fleet", required_argument, NULL, 'f' },
		{ "policy", required_argument, NULL, 'p' },
		{ "keyring", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	const char *fleet_path = NULL, *policy_dir = NULL, *keyring = NULL;
	int c, rc = CLI_EXIT_FAILED;
	while ((c = getopt_long(argc, argv, PACK_COMMON_SHORT, longopts, NULL)) != -1) {
		if (c == 'f')
			fleet_path = optarg;
		else if (c == 'p')
			policy_dir = optarg;
		else if (c == 'k')
			keyring = optarg;
		else if (c == 'h') {
			printf("usage: ferry-pack %s\n", SIMULATE_USAGE);
			return CLI_EXIT_OK;
		} else if (!pack_common_option(o, c, optarg))
			return pack_usage(SIMULATE_USAGE, err);
	}
	if (optind + 1 != argc || !fleet_path || !policy_dir)
		return pack_usage(SIMULATE_USAGE, err);
	struct fleet *fl = NULL;
	struct device_facts *facts = NULL;
	struct admission adm = { 0 };
	struct verify_trust vt = { 0 };
	size_t takes = 0;
	if (!fleet_load(fleet_path, &fl, err)) {
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	int trc = verify_trust_open(&vt, keyring, policy_dir, err);
	if (trc != CLI_EXIT_OK) {
		rc = trc;
		goto out;
	}
	facts = calloc(fl->n_devices ? fl->n_devices : 1, sizeof(*facts));
	if (!facts) {
		ferry_error_set(err, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < fl->n_devices; i++)
		fleet_device_facts(&fl->devices[i], "", &facts[i]);   /* installed: asked per bundle */
	struct admit_request rq = {
		.path = argv[optind], .pgp = vt.pgp, .policy = vt.policy, .devices = facts,
		.n_devices = fl->n_devices, .installed = fleet_installed, .installed_ctx = fl,
	};
	/* Devices refused after the parse are the table; anything refused
	 * before it (signatures, a policy that allows no device) is the answer. */
	if (!bundle_admit(&rq, &adm, err) && (!adm.refused || !adm.manifest))
		goto out;
	ferry_error_clear(err);
	json_t *all = json_array();
	for (size_t i = 0; i < adm.n_devices; i++) {
		takes += adm.devices[i].code == FERRY_E_NONE;
		if (o->json)
			json_array_append_new(all, device_json(&adm.devices[i]));
		else
			print_text(&fl->devices[i], &adm.devices[i]);
	}
	if (o->json)
		pack_print_json(json_pack("{s:s, s:s, s:s, s:o}", "bundle", argv[optind], "name",
					  adm.manifest->name, "version", adm.manifest->version, "devices", all));
	else {
		json_decref(all);
		if (!o->quiet)
			printf("%zu of %zu devices would install %s %s\n", takes, fl->n_devices,
			       adm.manifest->name, adm.manifest->version);
	}
	rc = CLI_EXIT_OK;
out:
	admission_clear(&adm);
	verify_trust_close(&vt);
	if (rc == CLI_EXIT_FAILED)
		ferry_error_prefix(err, "%s", argv[optind]);
	free(facts);
	fleet_free(fl);
	return rc;
}
