/* Tests for agent/ack.c: an acknowledgement prunes agent.db only when a
 * signer with policy role "hq" signed its exact bytes for this device, and
 * never beyond what the device exported. Real GnuPG, real agent.db. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/ack.h"
#include "agent/state.h"
#include "common/auditlog.h"
#include "common/pgp.h"
#include "common/policy.h"
#include "common/safefile.h"

#define NOW 1795600000   /* 2026-11-25 */

struct fixture {
	char *dir, *home, *ferry;
	struct pgp *pgp;
	char hq[PGP_FPR_LEN + 1], release[PGP_FPR_LEN + 1];
	struct policy *policy;
	struct state *st;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct ferry_error *err = NULL;
	char *text = NULL, *sdir = NULL;
	f->dir = test_tmpdir();
	if (asprintf(&f->home, "%s/gnupg", f->dir) < 0 || asprintf(&f->ferry, "%s/ferry", f->dir) < 0 ||
	    asprintf(&sdir, "%s/state", f->dir) < 0)
		return -1;
	assert_ok(pgp_open(f->home, &f->pgp, &err), err);
	assert_ok(pgp_create_key(f->pgp, "hq", 0, f->hq, &err), err);
	assert_ok(pgp_create_key(f->pgp, "release", 0, f->release, &err), err);
	if (asprintf(&text, "{\"format\":1,\"serial\":3,\"issued\":\"2026-11-24T10:00:00Z\","
		     "\"roots\":{\"keys\":[\"%s\"],\"threshold\":1},\"signers\":["
		     "{\"fingerprint\":\"%s\",\"name\":\"HQ\",\"roles\":[\"hq\"],\"device_types\":[\"*\"]},"
		     "{\"fingerprint\":\"%s\",\"name\":\"CI\",\"roles\":[\"release\"],\"device_types\":[\"*\"]}],"
		     "\"revoked\":[],\"rules\":[]}", f->release, f->hq, f->release) < 0)
		return -1;
	assert_ok(policy_parse(text, strlen(text), "policy.json", &f->policy, &err), err);
	assert_ok(state_open(sdir, "gw-0001", NULL, 0, &f->st, &err), err);
	struct auditlog_fields ev = { .event = "install.started", .result = "info" };
	for (int i = 0; i < 6; i++)
		assert_ok(state_record(f->st, &ev, NULL, &err), err);
	assert_ok(state_mark_exported(f->st, 5, &err), err);
	free(text);
	free(sdir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	state_close(f->st);
	policy_free(f->policy);
	pgp_close(f->pgp);
	pgp_kill_daemons(f->home);
	test_tmpdir_remove(f->dir);
	free(f->home);
	free(f->ferry);
	free(f);
	return 0;
}

static char *write_ack(struct fixture *f, const char *device, int seq, const char *by)
{
	struct ferry_error *err = NULL;
	char *path = NULL, text[256];
	snprintf(text, sizeof(text), "{\"device\":\"%s\",\"format\":1,\"issued\":\"2026-11-25T09:00:00Z\",\"seq\":%d}",
		 device, seq);
	if (asprintf(&path, "%s/ack/gw-0001.json", f->ferry) < 0)
		fail();
	char *dir = strdup(path);
	*strrchr(dir, '/') = '\0';
	assert_ok(mkdir_p(dir, 0755, &err), err);
	assert_ok(auditlog_write_signed(path, text, strlen(text), f->pgp, by, &err), err);
	free(dir);
	return path;
}

static uint64_t first_seq(struct fixture *f)
{
	struct ferry_error *err = NULL;
	struct state_info info;
	assert_ok(state_get(f->st, &info, &err), err);
	uint64_t first = info.first_seq;
	state_info_clear(&info);
	return first;
}

static void test_ack_prunes_up_to_acknowledged_seq(void **state)
{
	struct fixture *f = *state;
	struct ferry_error *err = NULL;
	struct ack_result r;
	free(write_ack(f, "gw-0001", 4, f->hq));
	assert_ok(ack_apply(f->st, f->pgp, f->policy, "gw-x", f->ferry, NOW, &r, &err), err);
	assert_true(r.found);
	assert_int_equal(r.seq, 4);
	assert_int_equal(r.pruned, 4);
	assert_int_equal(first_seq(f), 5);
}

static void test_ack_absent_is_nothing_to_do(void **state)
{
	struct fixture *f = *state;
	struct ferry_error *err = NULL;
	struct ack_result r;
	assert_ok(ack_apply(f->st, f->pgp, f->policy, "gw-x", f->ferry, NOW, &r, &err), err);
	assert_false(r.found);
	assert_int_equal(first_seq(f), 1);
}

static void refused(struct fixture *f, const char *needle)
{
	struct ferry_error *err = NULL;
	struct ack_result r;
	assert_false(ack_apply(f->st, f->pgp, f->policy, "gw-x", f->ferry, NOW, &r, &err));
	assert_error_contains(err, needle);
	ferry_error_free(err);
	assert_int_equal(first_seq(f), 1);
}

static void test_ack_refuses_signer_without_hq_role(void **state)
{
	struct fixture *f = *state;
	free(write_ack(f, "gw-0001", 4, f->release));
	refused(f, "role 'hq'");
}

static void test_ack_refuses_altered_bytes(void **state)
{
	struct fixture *f = *state;
	struct ferry_error *err = NULL;
	char *path = write_ack(f, "gw-0001", 4, f->hq);
	const char *forged = "{\"device\":\"gw-0001\",\"format\":1,\"issued\":\"2026-11-25T09:00:00Z\",\"seq\":5}";
	assert_ok(safe_write_atomic(path, forged, strlen(forged), 0644, &err), err);
	refused(f, "role 'hq'");
	free(path);
}

static void test_ack_refuses_ack_of_another_device(void **state)
{
	struct fixture *f = *state;
	free(write_ack(f, "gw-0002", 4, f->hq));
	refused(f, "acknowledges device 'gw-0002'");
}

static void test_ack_refuses_seq_beyond_export(void **state)
{
	struct fixture *f = *state;
	free(write_ack(f, "gw-0001", 6, f->hq));
	refused(f, "exported only up to 5");
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_ack_prunes_up_to_acknowledged_seq),
		T(test_ack_absent_is_nothing_to_do),
		T(test_ack_refuses_signer_without_hq_role),
		T(test_ack_refuses_altered_bytes),
		T(test_ack_refuses_ack_of_another_device),
		T(test_ack_refuses_seq_beyond_export),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
