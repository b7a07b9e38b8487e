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
#include "packager/verify.h"

#define SIMULATE_USAGE "simulate BUNDLE --fleet FLEET.json --policy DIR [--keyring FILE] [--json]"

/* What the trust policy says for one device, as reasons (code, message). */
struct trust_reasons {
	char *codes[16];
	char *messages[16];
	size_t n;
};

static void trust_reasons_add(struct trust_reasons *t, const char *code, const char *msg)
{
	if (t->n < 16) {
		t->codes[t->n] = strdup(code);
		t->messages[t->n++] = strdup(msg);
	}
}

static void trust_reasons_clear(struct trust_reasons *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->codes[i]);
		free(t->messages[i]);
	}
	t->n = 0;
}

/* A device refuses a bundle whose signatures the policy does not accept for
 * its type: the same check as the agent's, on the same verified signatures. */
static bool trust_check(struct verify_trust *vt, const char *sig_error, const char *type,
			struct trust_reasons *out, struct ferry_error **err)
{
	struct policy_verdict v;
	if (sig_error) {
		trust_reasons_add(out, "signature", sig_error);
		return true;
	}
	if (!verify_trust_device(vt, type, &v, err))
		return false;
	for (size_t i = 0; !v.allowed && v.reasons && v.reasons[i]; i++)
		trust_reasons_add(out, "policy", v.reasons[i]);
	if (!v.allowed && (!v.reasons || !v.reasons[0]))
		trust_reasons_add(out, "policy", "the policy does not allow these signers");
	policy_verdict_clear(&v);
	return true;
}

static void print_text(const struct fleet_device *dev, const struct device_facts *f,
		       const struct decision *dec, const struct trust_reasons *tr)
{
	char hw[32] = "hw ?";
	if (f->hw_revision >= 0)
		snprintf(hw, sizeof(hw), "hw %lld", (long long)f->hw_revision);
	printf("%-10s %-10s %-6s %-12s -> ", dev->id, dev->type, hw,
	       f->installed_version ? f->installed_version : "(none)");
	if (dec->variant && tr->n == 0) {
		printf("would install %s %s (variant %s)\n", dec->manifest->name,
		       dec->manifest->version, dec->variant->id);
		return;
	}
	printf("refused\n");
	for (size_t i = 0; i < tr->n; i++)
		printf("      %-18s %s\n", tr->codes[i], tr->messages[i]);
	for (size_t i = 0; i < dec->n_reasons; i++)
		printf("      %-18s %s\n", decide_code_name(dec->reasons[i].code), dec->reasons[i].message);
}

static json_t *device_json(const struct decision *dec, const char *id, const struct trust_reasons *tr)
{
	json_t *j = decision_json(dec);
	if (!j)
		return NULL;
	json_object_set_new(j, "device", json_string(id));
	if (tr->n == 0)
		return j;
	json_t *reasons = json_array();
	for (size_t i = 0; i < tr->n; i++)
		json_array_append_new(reasons, json_pack("{s:s, s:s}", "code", tr->codes[i], "message",
							 tr->messages[i]));
	json_array_extend(reasons, json_object_get(j, "reasons"));
	json_object_set_new(j, "reasons", reasons);
	json_object_set_new(j, "result", json_string("refused"));
	json_object_del(j, "variant");
	return j;
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
	int c, rc = PACK_FAILED;
	while ((c = getopt_long(argc, argv, PACK_COMMON_SHORT, longopts, NULL)) != -1) {
		if (c == 'f')
			fleet_path = optarg;
		else if (c == 'p')
			policy_dir = optarg;
		else if (c == 'k')
			keyring = optarg;
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
	struct verify_trust vt = { 0 };
	struct trust_reasons tr = { 0 };
	struct ferry_error *sig_err = NULL;
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
	int trc = verify_trust_open(&vt, keyring, policy_dir, err);
	if (trc != PACK_OK) {
		rc = trc;
		goto out;
	}
	verify_trust_signatures(&vt, bytes, len, sig, sig_len, &sig_err);
	for (size_t i = 0; i < fl->n_devices; i++) {
		struct device_facts facts;
		struct decision dec;
		fleet_device_facts(&fl->devices[i], m->name, &facts);
		if (!decide(m, &facts, &dec, err)) {
			ferry_error_prefix(err, "%s: device %s", fleet_path, facts.id);
			goto out;
		}
		if (!trust_check(&vt, sig_err ? ferry_error_message(sig_err) : NULL, facts.device_type,
				 &tr, err)) {
			decision_free(&dec);
			goto out;
		}
		takes += dec.variant != NULL && tr.n == 0;
		if (o->json)
			json_array_append_new(all, device_json(&dec, facts.id, &tr));
		else
			print_text(&fl->devices[i], &facts, &dec, &tr);
		trust_reasons_clear(&tr);
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
	trust_reasons_clear(&tr);
	ferry_error_free(sig_err);
	verify_trust_close(&vt);
	if (rc == PACK_FAILED)
		ferry_error_prefix(err, "%s", argv[optind]);
	json_decref(all);
	fleet_free(fl);
	manifest_free(m);
	bundle_reader_close(r);
	return rc;
}
