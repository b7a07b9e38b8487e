/* Tests for common/order.c and the technicians and order rules of the policy
 * (common/policy_people.c): strict parsing and a stable serialization, and
 * every refusal of order_check (signer, technician, window, scope, operation,
 * bundle list) by its code. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/order.h"
#include "common/policy.h"

#define FD "DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD"   /* dispatcher for gw-* */
#define FE "EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE"   /* release only */
#define FX "1111111111111111111111111111111111111111"   /* dispatcher, expired */
#define FV "2222222222222222222222222222222222222222"   /* dispatcher, revoked */
#define FR "0000000000000000000000000000000000000001"

/* 2026-11-24T10:00:00Z */
#define T0 1795514400
#define NOW (T0 + 86400)

static const char policy_text[] =
	"{\"format\":1,\"serial\":3,\"issued\":\"2026-11-24T10:00:00Z\","
	"\"roots\":{\"keys\":[\"" FR "\"],\"threshold\":1},"
	"\"signers\":["
	"{\"fingerprint\":\"" FD "\",\"name\":\"Dispatch\",\"roles\":[\"dispatcher\"],"
	"\"device_types\":[\"gw-*\"]},"
	"{\"fingerprint\":\"" FE "\",\"name\":\"Release CI\",\"roles\":[\"release\"],"
	"\"device_types\":[\"*\"]},"
	"{\"fingerprint\":\"" FX "\",\"name\":\"Old dispatch\",\"roles\":[\"dispatcher\"],"
	"\"device_types\":[\"*\"],\"expires\":\"2026-11-24T12:00:00Z\"},"
	"{\"fingerprint\":\"" FV "\",\"name\":\"Lost laptop\",\"roles\":[\"dispatcher\"],"
	"\"device_types\":[\"*\"]}],"
	"\"revoked\":[{\"fingerprint\":\"" FV "\",\"at\":\"2026-11-24T11:00:00Z\","
	"\"reason\":\"laptop lost\"}],"
	"\"rules\":[],"
	"\"technicians\":[{\"id\":\"t.alice\",\"name\":\"Alice\"},"
	"{\"id\":\"t.bob\",\"name\":\"Bob\",\"fingerprint\":\"" FE "\","
	"\"revoked\":\"2026-11-24T12:00:00Z\"}],"
	"\"order_rules\":[{\"device_types\":[\"gw-*\"],\"operations\":[\"install\",\"read\"]}]}";

static const char order_text[] =
	"{\"format\":1,\"id\":\"wo-17\",\"technician\":\"t.alice\","
	"\"operations\":[\"install\",\"read\"],"
	"\"scope\":{\"device_ids\":[\"gw-0001\",\"gw-0002\"],\"device_types\":[\"gw-x\"],"
	"\"groups\":[\"north\"]},"
	"\"issued\":\"2026-11-24T10:00:00Z\",\"not_before\":\"2026-11-24T10:00:00Z\","
	"\"not_after\":\"2026-11-26T10:00:00Z\","
	"\"bundles\":[{\"name\":\"gw-os\",\"version\":\"2.1.0\"}]}";

static char *groups_north[] = { "south", "north", NULL };
static const struct order_facts here = { "gw-0001", "gw-x", groups_north };

static struct policy *load_policy(void)
{
	struct policy *p = NULL;
	struct ferry_error *err = NULL;
	assert_ok(policy_parse(policy_text, strlen(policy_text), "policy.json", &p, &err), err);
	return p;
}

static struct order *load_order(const char *text)
{
	struct order *o = NULL;
	struct ferry_error *err = NULL;
	assert_ok(order_parse(text, strlen(text), "wo-17.json", &o, &err), err);
	return o;
}

/* order_check with one valid signature by fpr (or status st); returns the
 * error's code (FERRY_E_NONE: allowed). */
static enum ferry_code check(const struct order *o, const char *fpr, enum pgp_sig_status st,
			     const struct order_facts *f, enum order_op op,
			     const struct order_bundle_ref *b, time_t now)
{
	struct policy *p = load_policy();
	struct pgp_signature s = { .status = st, .created = T0 };
	struct pgp_verify_result vr = { &s, 1 };
	struct ferry_error *err = NULL;
	snprintf(s.fpr, sizeof(s.fpr), "%s", fpr);
	bool ok = order_check(o, &vr, p, f, op, b, now, &err);
	enum ferry_code c = ok ? FERRY_E_NONE : ferry_error_code(err);
	assert_true(ok == (err == NULL));
	if (err)
		assert_non_null(strstr(ferry_error_message(err), "wo-17"));
	ferry_error_free(err);
	policy_free(p);
	return c;
}

static void test_order_roundtrip(void **state)
{
	(void)state;
	struct order *o = load_order(order_text);
	char *a = order_serialize(o);
	assert_non_null(a);
	struct order *o2 = load_order(a);
	char *b = order_serialize(o2);
	assert_string_equal(a, b);
	assert_int_equal(o2->ops, ORDER_READ | ORDER_INSTALL);
	assert_int_equal(o2->n_bundles, 1);
	free(a);
	free(b);
	order_free(o);
	order_free(o2);
}

static void refuse_parse(const char *text)
{
	struct order *o = NULL;
	struct ferry_error *err = NULL;
	assert_false(order_parse(text, strlen(text), "bad.json", &o, &err));
	assert_null(o);
	assert_error_code(err, FERRY_E_FORMAT);
	ferry_error_free(err);
}

static void test_order_parse_strict(void **state)
{
	(void)state;
	static const char head[] = "{\"format\":1,\"id\":\"wo-1\",\"technician\":\"t.alice\","
				   "\"issued\":\"2026-11-24T10:00:00Z\",";
	static const char *const bad[] = {
		/* unknown operation */
		"\"operations\":[\"root\"],\"scope\":{\"groups\":[\"n\"]},"
		"\"not_before\":\"2026-11-24T10:00:00Z\",\"not_after\":\"2026-11-25T10:00:00Z\"}",
		/* no scope at all */
		"\"operations\":[\"read\"],\"scope\":{},"
		"\"not_before\":\"2026-11-24T10:00:00Z\",\"not_after\":\"2026-11-25T10:00:00Z\"}",
		/* window ends before it begins */
		"\"operations\":[\"read\"],\"scope\":{\"groups\":[\"n\"]},"
		"\"not_before\":\"2026-11-25T10:00:00Z\",\"not_after\":\"2026-11-24T10:00:00Z\"}",
		/* unknown key */
		"\"operations\":[\"read\"],\"scope\":{\"groups\":[\"n\"]},\"extra\":1,"
		"\"not_before\":\"2026-11-24T10:00:00Z\",\"not_after\":\"2026-11-25T10:00:00Z\"}",
		/* a bundle with both version and sha256 */
		"\"operations\":[\"install\"],\"scope\":{\"groups\":[\"n\"]},"
		"\"bundles\":[{\"name\":\"x\",\"version\":\"1\",\"sha256\":\"ab\"}],"
		"\"not_before\":\"2026-11-24T10:00:00Z\",\"not_after\":\"2026-11-25T10:00:00Z\"}",
		/* an operation twice */
		"\"operations\":[\"read\",\"read\"],\"scope\":{\"groups\":[\"n\"]},"
		"\"not_before\":\"2026-11-24T10:00:00Z\",\"not_after\":\"2026-11-25T10:00:00Z\"}",
	};
	char buf[1024];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf), "%s%s", head, bad[i]);
		refuse_parse(buf);
	}
	refuse_parse("{\"format\":2}");
	/* an id that is no stick name (FAT folds case) */
	snprintf(buf, sizeof(buf), "%s", order_text);
	memcpy(strstr(buf, "wo-17"), "WO", 2);
	refuse_parse(buf);
}

static void test_policy_people_roundtrip(void **state)
{
	(void)state;
	struct policy *p = load_policy();
	struct ferry_error *err = NULL;
	assert_int_equal(p->n_technicians, 2);
	assert_string_equal(policy_find_technician(p, "t.bob")->fpr, FE);
	assert_null(policy_find_technician(p, "t.carol"));
	assert_true(policy_order_required(p, "gw-x", "install"));
	assert_true(policy_order_required(p, "gw-x", "read"));
	assert_false(policy_order_required(p, "gw-x", "policy"));
	assert_false(policy_order_required(p, "sensor-a", "install"));
	char *a = policy_serialize(p);
	struct policy *p2 = NULL;
	assert_ok(policy_parse(a, strlen(a), "again.json", &p2, &err), err);
	char *b = policy_serialize(p2);
	assert_string_equal(a, b);
	/* a policy without people serializes without the keys (old agents read it) */
	p2->n_technicians = 0;
	p2->n_order_rules = 0;
	char *c = policy_serialize(p2);
	assert_null(strstr(c, "technicians"));
	assert_null(strstr(c, "order_rules"));
	p2->n_technicians = 2;
	p2->n_order_rules = 1;
	free(a);
	free(b);
	free(c);
	policy_free(p);
	policy_free(p2);
}

static void test_policy_people_refused(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"\"technicians\":[{\"id\":\"a b\",\"name\":\"A\"}]",
		"\"technicians\":[{\"id\":\"a\",\"name\":\"A\"},{\"id\":\"a\",\"name\":\"B\"}]",
		"\"technicians\":[{\"id\":\"a\",\"name\":\"A\",\"fingerprint\":\"abc\"}]",
		"\"order_rules\":[{\"device_types\":[\"*\"],\"operations\":[\"format\"]}]",
		"\"order_rules\":[{\"device_types\":[\"*\"]}]",
	};
	char buf[1024];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct policy *p = NULL;
		struct ferry_error *err = NULL;
		snprintf(buf, sizeof(buf), "{\"format\":1,\"serial\":1,\"issued\":"
			 "\"2026-11-24T10:00:00Z\",\"roots\":{\"keys\":[\"" FR "\"],\"threshold\":1},"
			 "%s}", bad[i]);
		assert_false(policy_parse(buf, strlen(buf), "p.json", &p, &err));
		assert_non_null(err);
		ferry_error_free(err);
	}
}

static void test_order_allows(void **state)
{
	(void)state;
	struct order *o = load_order(order_text);
	struct order_bundle_ref b = { "gw-os", "2.1.0", NULL };
	assert_int_equal(check(o, FD, PGP_SIG_VALID, &here, ORDER_INSTALL, &b, NOW), FERRY_E_NONE);
	assert_int_equal(check(o, FD, PGP_SIG_VALID, &here, ORDER_READ, NULL, NOW), FERRY_E_NONE);
	order_free(o);
}

static void test_order_window(void **state)
{
	(void)state;
	struct order *o = load_order(order_text);
	assert_int_equal(check(o, FD, PGP_SIG_VALID, &here, ORDER_READ, NULL, T0 + 3 * 86400),
			 FERRY_E_POLICY);   /* expired */
	assert_int_equal(check(o, FD, PGP_SIG_VALID, &here, ORDER_READ, NULL, T0 - 1),
			 FERRY_E_POLICY);   /* not yet valid */
	order_free(o);
}

static void test_order_scope(void **state)
{
	(void)state;
	struct order *o = load_order(order_text);
	static char *south[] = { "south", NULL };
	struct order_facts other_id = { "gw-0009", "gw-x", groups_north };
	struct order_facts other_type = { "gw-0001", "gw-y", groups_north };
	struct order_facts other_group = { "gw-0001", "gw-x", south };
	struct order_facts no_group = { "gw-0001", "gw-x", NULL };
	assert_int_equal(check(o, FD, PGP_SIG_VALID, &other_id, ORDER_READ, NULL, NOW), FERRY_E_POLICY);
	assert_int_equal(check(o, FD, PGP_SIG_VALID, &other_type, ORDER_READ, NULL, NOW),
			 FERRY_E_POLICY);
	assert_int_equal(check(o, FD, PGP_SIG_VALID, &other_group, ORDER_READ, NULL, NOW),
			 FERRY_E_POLICY);
	assert_int_equal(check(o, FD, PGP_SIG_VALID, &no_group, ORDER_READ, NULL, NOW), FERRY_E_POLICY);
	order_free(o);
}

/* An order for gw-* devices, signed by the gw dispatcher, replayed on a
 * sensor: the dispatcher's scope refuses it even though the order names no
 * device type. */
static void test_order_replayed_on_other_type(void **state)
{
	(void)state;
	static const char text[] =
		"{\"format\":1,\"id\":\"wo-17\",\"technician\":\"t.alice\",\"operations\":[\"read\"],"
		"\"scope\":{\"groups\":[\"north\"]},\"issued\":\"2026-11-24T10:00:00Z\","
		"\"not_before\":\"2026-11-24T10:00:00Z\",\"not_after\":\"2026-11-26T10:00:00Z\"}";
	struct order *o = load_order(text);
	struct order_facts sensor = { "s-1", "sensor-a", groups_north };
	assert_int_equal(check(o, FD, PGP_SIG_VALID, &here, ORDER_READ, NULL, NOW), FERRY_E_NONE);
	assert_int_equal(check(o, FD, PGP_SIG_VALID, &sensor, ORDER_READ, NULL, NOW), FERRY_E_POLICY);
	order_free(o);
}

static void test_order_signer(void **state)
{
	(void)state;
	struct order *o = load_order(order_text);
	/* a release signer is no dispatcher */
	assert_int_equal(check(o, FE, PGP_SIG_VALID, &here, ORDER_READ, NULL, NOW), FERRY_E_POLICY);
	/* an expired and a revoked dispatcher */
	assert_int_equal(check(o, FX, PGP_SIG_VALID, &here, ORDER_READ, NULL, NOW), FERRY_E_POLICY);
	assert_int_equal(check(o, FV, PGP_SIG_VALID, &here, ORDER_READ, NULL, NOW), FERRY_E_POLICY);
	/* tampered bytes: the signature no longer matches */
	assert_int_equal(check(o, FD, PGP_SIG_BAD, &here, ORDER_READ, NULL, NOW), FERRY_E_POLICY);
	order_free(o);
}

static void test_order_technician(void **state)
{
	(void)state;
	static const char bob[] =
		"{\"format\":1,\"id\":\"wo-17\",\"technician\":\"t.bob\",\"operations\":[\"read\"],"
		"\"scope\":{\"device_types\":[\"gw-*\"]},\"issued\":\"2026-11-24T10:00:00Z\","
		"\"not_before\":\"2026-11-24T10:00:00Z\",\"not_after\":\"2026-11-26T10:00:00Z\"}";
	static const char carol[] =
		"{\"format\":1,\"id\":\"wo-17\",\"technician\":\"t.carol\",\"operations\":[\"read\"],"
		"\"scope\":{\"device_types\":[\"gw-*\"]},\"issued\":\"2026-11-24T10:00:00Z\","
		"\"not_before\":\"2026-11-24T10:00:00Z\",\"not_after\":\"2026-11-26T10:00:00Z\"}";
	struct order *o = load_order(bob);
	/* Bob is revoked from 12:00 on: valid at 11:00, refused after */
	assert_int_equal(check(o, FD, PGP_SIG_VALID, &here, ORDER_READ, NULL, T0 + 3600),
			 FERRY_E_NONE);
	assert_int_equal(check(o, FD, PGP_SIG_VALID, &here, ORDER_READ, NULL, NOW), FERRY_E_POLICY);
	order_free(o);
	o = load_order(carol);
	assert_int_equal(check(o, FD, PGP_SIG_VALID, &here, ORDER_READ, NULL, NOW), FERRY_E_POLICY);
	order_free(o);
}

static void test_order_operations_and_bundles(void **state)
{
	(void)state;
	static const char read_only[] =
		"{\"format\":1,\"id\":\"wo-17\",\"technician\":\"t.alice\",\"operations\":[\"read\"],"
		"\"scope\":{\"device_ids\":[\"gw-0001\"]},\"issued\":\"2026-11-24T10:00:00Z\","
		"\"not_before\":\"2026-11-24T10:00:00Z\",\"not_after\":\"2026-11-26T10:00:00Z\"}";
	struct order *o = load_order(read_only);
	assert_int_equal(check(o, FD, PGP_SIG_VALID, &here, ORDER_READ, NULL, NOW), FERRY_E_NONE);
	assert_int_equal(check(o, FD, PGP_SIG_VALID, &here, ORDER_INSTALL, NULL, NOW), FERRY_E_POLICY);
	assert_int_equal(check(o, FD, PGP_SIG_VALID, &here, ORDER_POLICY, NULL, NOW), FERRY_E_POLICY);
	order_free(o);
	o = load_order(order_text);
	struct order_bundle_ref other_version = { "gw-os", "2.2.0", NULL };
	struct order_bundle_ref other_name = { "gw-app", "2.1.0", NULL };
	assert_int_equal(check(o, FD, PGP_SIG_VALID, &here, ORDER_INSTALL, &other_version, NOW),
			 FERRY_E_POLICY);
	assert_int_equal(check(o, FD, PGP_SIG_VALID, &here, ORDER_INSTALL, &other_name, NOW),
			 FERRY_E_POLICY);
	order_free(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_roundtrip),
		cmocka_unit_test(test_order_parse_strict),
		cmocka_unit_test(test_policy_people_roundtrip),
		cmocka_unit_test(test_policy_people_refused),
		cmocka_unit_test(test_order_allows),
		cmocka_unit_test(test_order_window),
		cmocka_unit_test(test_order_scope),
		cmocka_unit_test(test_order_replayed_on_other_type),
		cmocka_unit_test(test_order_signer),
		cmocka_unit_test(test_order_technician),
		cmocka_unit_test(test_order_operations_and_bundles),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
