/* keys_cmd_order_create: `ferry-keys order create ID …`: writes a signed
 * work order (common/order.h) onto a stick as ferry/orders/<ID>.json and
 * <ID>.json.sig. Orders are signed here, not in ferry-audit, because an
 * order is a trust object like the policy: the dispatcher's key lives in
 * ferry-keys' home, and the order is checked against the signed policy
 * (technician listed and active, signer holds role "dispatcher") before it
 * is signed, with the same order_check the agent runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/order.h"
#include "common/safefile.h"
#include "common/stick.h"
#include "keys/cmds.h"

struct order_args {
	struct order *o;
	const char *signer, *out;
};

/* NAME=VERSION or NAME@SHA256 */
static bool add_bundle(struct order *o, const char *arg, struct ferry_error **err)
{
	const char *sep = strpbrk(arg, "=@");
	struct order_bundle *grown = realloc(o->bundles, (o->n_bundles + 1) * sizeof(*grown));
	if (!grown)
		return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
	o->bundles = grown;
	struct order_bundle *b = &o->bundles[o->n_bundles++];
	memset(b, 0, sizeof(*b));
	if (!sep || sep == arg || !sep[1])
		return ferry_error_setc(err, FERRY_E_USAGE, "--bundle %s: NAME=VERSION or "
					"NAME@SHA256 expected", arg);
	b->name = strndup(arg, (size_t)(sep - arg));
	*(*sep == '=' ? &b->version : &b->sha256) = strdup(sep + 1);
	return true;
}

static int parse_args(struct keys_ctx *k, int argc, char **argv, struct order_args *a,
		      struct ferry_error **err)
{
	static const struct option longopts[] = {
		KEYS_COMMON_LONGOPTS,
		{ "technician", required_argument, NULL, 't' }, { "op", required_argument, NULL, 'O' },
		{ "device-id", required_argument, NULL, 'i' }, { "device-type", required_argument, NULL, 'T' },
		{ "group", required_argument, NULL, 'g' }, { "not-before", required_argument, NULL, 'b' },
		{ "not-after", required_argument, NULL, 'e' }, { "bundle", required_argument, NULL, 'B' },
		{ "signer", required_argument, NULL, 's' }, { "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 } };
	struct order *o = a->o;
	int c;
	while ((c = getopt_long(argc, argv, KEYS_COMMON_SHORTOPTS "o:", longopts, NULL)) != -1) {
		bool ok = true;
		if (keys_common_option(k, c, optarg))
			continue;
		switch (c) {
		case 'h': keys_command_help("order", "create"); return -1;
		case 't': o->technician = strdup(optarg); break;
		case 'O':
			if (!order_op_from_name(optarg))
				return keys_usage(err, "order create", "--op %s: read, install or policy",
						  optarg);
			o->ops |= order_op_from_name(optarg);
			break;
		case 'i': ok = keys_strv_add(&o->device_ids, optarg, err); break;
		case 'T': ok = keys_strv_add(&o->device_types, optarg, err); break;
		case 'g': ok = keys_strv_add(&o->groups, optarg, err); break;
		case 'b': ok = keys_parse_date("--not-before", optarg, &o->not_before, err); break;
		case 'e': ok = keys_parse_date("--not-after", optarg, &o->not_after, err); break;
		case 'B': ok = add_bundle(o, optarg, err); break;
		case 's': a->signer = optarg; break;
		case 'o': a->out = optarg; break;
		default: return keys_bad_option(err, "order create", c, argv);
		}
		if (!ok)
			return CLI_EXIT_USAGE;
	}
	if (!keys_positional(argc, argv, 1, "order create", "ID", err))
		return CLI_EXIT_USAGE;
	if (!a->signer || !a->out || !o->not_after)
		return keys_usage(err, "order create", "--signer FPR, --not-after TIME and -o STICK "
				  "are required");
	return (o->id = strdup(argv[optind])) ? CLI_EXIT_OK : CLI_EXIT_FAILED;
}

/* Signs text with the dispatcher key and verifies it as a device would. */
static bool sign_order(struct keys_ctx *k, const struct order_args *a, const char *text,
		       void **sig, size_t *sig_len, struct pgp_verify_result *vr,
		       struct ferry_error **err)
{
	struct pgp *pgp = keys_pgp(k, err);
	return pgp && pgp_sign_detached(pgp, a->signer, text, strlen(text), sig, sig_len, err) &&
	       pgp_verify_detached(pgp, text, strlen(text), *sig, *sig_len, vr, err);
}

/* Writes <id>.json.sig, then <id>.json, below the stick's ferry/orders/. */
static bool store_order(const struct order_args *a, const char *text, const void *sig,
			size_t sig_len, struct ferry_error **err)
{
	struct stick_dir d = { -1, NULL };
	char name[96], sig_name[100], *top = stick_top(a->out);
	snprintf(name, sizeof(name), "%s.json", a->o->id);
	snprintf(sig_name, sizeof(sig_name), "%s.sig", name);
	/* through the folder's fd: orders/ cannot be swapped for a link meanwhile */
	bool ok = top && stick_dir_open(top, STICK_ORDERS, NULL, true, &d, err) &&
		  stick_file_write(&d, sig_name, sig, sig_len, err) &&
		  stick_file_write(&d, name, text, strlen(text), err);
	if (!top)
		ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
	stick_dir_close(&d);
	free(top);
	return ok;
}

/* The order must be usable under the signed policy now or later: the
 * agent's own checks without device scope or clock, for each device type
 * the order names (none named: the device's type is checked on the device). */
static bool precheck(const struct order *o, const struct pgp_verify_result *vr,
		     const struct policy *p, struct ferry_error **err)
{
	struct order tmp = *o;
	tmp.device_ids = tmp.device_types = tmp.groups = NULL;
	enum order_op op = (enum order_op)(o->ops & (~o->ops + 1));   /* one granted op */
	time_t when = o->not_before > time(NULL) ? o->not_before : time(NULL);
	if (when > o->not_after)
		return ferry_error_setc(err, FERRY_E_POLICY, "order %s: not_after is already past",
					o->id);
	for (size_t i = 0; i == 0 || (o->device_types && o->device_types[i]); i++) {
		struct order_facts f = { "any", o->device_types ? o->device_types[i] : NULL, NULL };
		if (!order_check(&tmp, vr, p, &f, op, NULL, when, err))
			return false;
	}
	return true;
}

KEYS_CMD(keys_cmd_order_create)
{
	struct order_args a = { calloc(1, sizeof(struct order)), NULL, NULL };
	struct policy *p = NULL;
	struct pgp_verify_result vr = { 0 };
	char *text = NULL;
	void *sig = NULL;
	size_t sig_len = 0;
	if (!a.o)
		return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory"), CLI_EXIT_FAILED;
	a.o->not_before = a.o->issued = (int64_t)time(NULL);
	int rc = parse_args(k, argc, argv, &a, err);
	if (rc) {
		rc = rc < 0 ? CLI_EXIT_OK : rc;
		goto out;
	}
	rc = CLI_EXIT_FAILED;
	if (!order_validate(a.o, a.o->id, err) || !(text = order_serialize(a.o)) ||
	    !keys_require_init(k, err) || !keys_load_signed(k, &p, err) ||
	    !sign_order(k, &a, text, &sig, &sig_len, &vr, err) || !precheck(a.o, &vr, p, err) ||
	    !store_order(&a, text, sig, sig_len, err))
		goto out;
	if (!k->quiet)
		printf("order %s for %s written to %s/%s/%s/%s.json\n", a.o->id, a.o->technician,
		       a.out, STICK_DIR, STICK_ORDERS_DIR, a.o->id);
	rc = CLI_EXIT_OK;
out:
	pgp_verify_result_clear(&vr);
	free(text);
	policy_free(p);
	free(sig);
	order_free(a.o);
	return rc;
}
