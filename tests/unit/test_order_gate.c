/* Tests for agent/order_gate.c with real GnuPG signatures and stick folders:
 * a valid order allows its operation, a bad file beside it (tampered, wrong
 * name, unsigned) is listed and never fatal, a missing folder is "no order",
 * a refusal's record is bounded, an operation no rule names needs nothing,
 * and records written under an order name it and its technician. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/order_gate.h"
#include "agent/state.h"
#include "common/json.h"
#include "pgp_fixture.h"

/* 2026-11-24T10:00:00Z */
#define T0 1795514400
#define NOW (T0 + 86400)

struct fx {
	struct pgp_homes *homes;
	struct pgp_home *ws;
	char disp[PGP_FPR_LEN + 1], rel[PGP_FPR_LEN + 1];
	struct policy *p;
	char *stick;
};

static char *groups[] = { "north", NULL };
static const struct order_facts here = { "gw-0001", "gw-x", groups };

static void fx_setup(struct fx *f, void **state)
{
	char text[2048];
	struct ferry_error *err = NULL;
	f->homes = *state;
	f->ws = &f->homes->h[0];
	pgp_home_key(f->ws, "Dispatch", f->disp);
	pgp_home_key(f->ws, "Release", f->rel);
	snprintf(text, sizeof(text),
		 "{\"format\":1,\"serial\":2,\"issued\":\"2026-11-24T10:00:00Z\","
		 "\"roots\":{\"keys\":[\"%s\"],\"threshold\":1},\"signers\":["
		 "{\"fingerprint\":\"%s\",\"name\":\"Dispatch\",\"roles\":[\"dispatcher\"],"
		 "\"device_types\":[\"gw-*\"]},"
		 "{\"fingerprint\":\"%s\",\"name\":\"Release\",\"roles\":[\"release\"],"
		 "\"device_types\":[\"*\"]}],\"revoked\":[],\"rules\":[],"
		 "\"technicians\":[{\"id\":\"t.alice\",\"name\":\"Alice\"}],"
		 "\"order_rules\":[{\"device_types\":[\"gw-*\"],\"operations\":[\"install\",\"read\"]}]}",
		 f->rel, f->disp, f->rel);
	assert_ok(policy_parse(text, strlen(text), "policy.json", &f->p, &err), err);
	f->stick = test_tmpdir();
}

static void fx_teardown(struct fx *f)
{
	policy_free(f->p);
	test_tmpdir_remove(f->stick);
}

/* Writes ferry/orders/<file> (an order for gw-0001 granting ops) and its
 * signature by fpr over the bytes as written, then applies tamper. */
static void put_order(struct fx *f, const char *file, const char *id, const char *ops,
		      const char *fpr, bool tamper)
{
	char text[1024], name[128];
	void *sig = NULL;
	size_t sig_len = 0;
	struct ferry_error *err = NULL;
	snprintf(text, sizeof(text),
		 "{\"format\":1,\"id\":\"%s\",\"technician\":\"t.alice\",\"operations\":[%s],"
		 "\"scope\":{\"device_ids\":[\"gw-0001\"]},\"issued\":\"2026-11-24T10:00:00Z\","
		 "\"not_before\":\"2026-11-24T10:00:00Z\",\"not_after\":\"2026-11-26T10:00:00Z\"}\n",
		 id, ops);
	assert_ok(pgp_sign_detached(f->ws->pgp, fpr, text, strlen(text), &sig, &sig_len, &err), err);
	if (tamper)
		memcpy(strstr(text, "gw-0001"), "gw-0009", 7);
	snprintf(name, sizeof(name), "ferry/orders/%s", file);
	free(test_write_file(f->stick, name, text, strlen(text)));
	snprintf(name, sizeof(name), "ferry/orders/%s.sig", file);
	free(test_write_file(f->stick, name, sig, sig_len));
	free(sig);
}

static void decide(struct fx *f, struct order_gate *g, enum order_op op,
		   struct order_gate_verdict *v)
{
	struct ferry_error *err = NULL;
	assert_ok(order_gate_load(g, f->ws->pgp, f->stick, &err), err);
	assert_ok(order_gate_decide(g, f->p, &here, op, NULL, NOW, v, &err), err);
}

static void test_order_gate_no_folder_is_no_order(void **state)
{
	struct fx f;
	struct order_gate g;
	struct order_gate_verdict v;
	fx_setup(&f, state);
	decide(&f, &g, ORDER_INSTALL, &v);
	assert_int_equal(g.n, 0);
	assert_true(v.required);
	assert_false(v.allowed);
	assert_null(v.order);
	assert_non_null(strstr(v.reason, "no valid work order for install"));
	assert_string_equal(json_string_value(json_object_get(v.detail, "operation")), "install");
	order_gate_verdict_clear(&v);
	/* no rule names "policy" for gw-*: allowed without any order, as before */
	assert_ok(order_gate_decide(&g, f.p, &here, ORDER_POLICY, NULL, NOW, &v, NULL), NULL);
	assert_false(v.required);
	assert_true(v.allowed);
	order_gate_verdict_clear(&v);
	order_gate_clear(&g);
	fx_teardown(&f);
}

static void test_order_gate_bad_files_beside_a_good_one(void **state)
{
	struct fx f;
	struct order_gate g;
	struct order_gate_verdict v;
	fx_setup(&f, state);
	put_order(&f, "a-tampered.json", "a-tampered", "\"install\"", f.disp, true);
	put_order(&f, "b-renamed.json", "b-other", "\"install\"", f.disp, false);
	put_order(&f, "c-release.json", "c-release", "\"install\"", f.rel, false);
	put_order(&f, "d-good.json", "d-good", "\"read\",\"install\"", f.disp, false);
	free(test_write_file(f.stick, "ferry/orders/notes.txt", "x", 1));
	decide(&f, &g, ORDER_INSTALL, &v);
	assert_int_equal(g.n, 4);
	assert_int_equal(g.e[0].code, FERRY_E_SIGNATURE);   /* never parsed */
	assert_null(g.e[0].order);
	assert_int_equal(g.e[1].code, FERRY_E_FORMAT);
	assert_non_null(g.e[2].order);                       /* good signature, wrong role: judged later */
	assert_true(v.allowed);
	assert_non_null(v.order);
	assert_string_equal(v.order->id, "d-good");
	order_gate_verdict_clear(&v);
	/* for an operation no order grants, every file is listed with its reason */
	assert_ok(order_gate_decide(&g, f.p, &here, ORDER_READ, NULL, NOW + 30 * 86400, &v, NULL), NULL);
	assert_false(v.allowed);
	json_t *orders = json_object_get(v.detail, "orders");
	assert_int_equal(json_array_size(orders), 4);
	assert_string_equal(json_string_value(json_object_get(json_array_get(orders, 2), "code")),
			    "policy");
	assert_non_null(strstr(json_string_value(json_object_get(json_array_get(orders, 2), "reason")),
			       "not signed by a valid dispatcher"));
	order_gate_verdict_clear(&v);
	order_gate_clear(&g);
	fx_teardown(&f);
}

static void test_order_gate_refusal_is_bounded(void **state)
{
	struct fx f;
	struct order_gate g;
	struct order_gate_verdict v;
	char name[64];
	fx_setup(&f, state);
	for (int i = 0; i < ORDER_GATE_KEPT + 4; i++) {
		snprintf(name, sizeof(name), "ferry/orders/junk-%02d.json", i);
		free(test_write_file(f.stick, name, "{}", 2));   /* no signature */
	}
	decide(&f, &g, ORDER_INSTALL, &v);
	assert_false(v.allowed);
	assert_int_equal(json_array_size(json_object_get(v.detail, "orders")), ORDER_GATE_KEPT);
	assert_int_equal(json_integer_value(json_object_get(v.detail, "orders_cut")), 4);
	order_gate_verdict_clear(&v);
	order_gate_clear(&g);
	fx_teardown(&f);
}

static void test_order_gate_records_name_the_order(void **state)
{
	struct fx f;
	struct order_gate g;
	struct order_gate_verdict v;
	struct state *st = NULL;
	struct ferry_error *err = NULL;
	fx_setup(&f, state);
	put_order(&f, "wo-1.json", "wo-1", "\"install\"", f.disp, false);
	decide(&f, &g, ORDER_INSTALL, &v);
	char *dir = test_tmpdir();
	assert_ok(state_open(dir, "gw-0001", NULL, 0, &st, &err), err);
	assert_ok(order_gate_use(st, &v, &err), err);
	struct auditlog_fields ev = { .event = "install.started", .result = "info" };
	assert_ok(state_record(st, &ev, NULL, &err), err);
	char *line = test_last_record(st);
	assert_non_null(strstr(line, "\"order\":\"wo-1\""));
	assert_non_null(strstr(line, "\"technician\":\"t.alice\""));
	free(line);
	char *text = order_gate_describe(v.order);
	assert_string_equal(text, "work order wo-1 (technician t.alice): install until "
				  "2026-11-26T10:00:00Z");
	free(text);
	/* a refusal's record carries no order */
	order_gate_verdict_clear(&v);
	assert_ok(order_gate_decide(&g, f.p, &here, ORDER_READ, NULL, NOW, &v, &err), err);
	assert_ok(order_gate_record(st, "export.refused", &v, NULL, &err), err);
	line = test_last_record(st);
	assert_null(strstr(line, "\"order\""));
	assert_non_null(strstr(line, "\"code\":\"policy\""));
	free(line);
	state_close(st);
	test_tmpdir_remove(dir);
	order_gate_verdict_clear(&v);
	order_gate_clear(&g);
	fx_teardown(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		pgp_unit_test(test_order_gate_no_folder_is_no_order),
		pgp_unit_test(test_order_gate_bad_files_beside_a_good_one),
		pgp_unit_test(test_order_gate_refusal_is_bounded),
		pgp_unit_test(test_order_gate_records_name_the_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
