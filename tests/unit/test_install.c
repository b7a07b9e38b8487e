/* Tests for agent/install.c, the orchestrator that chooses: real signed
 * bundles on a stick directory, a real policy and GnuPG homes, a virtual
 * device with a files target. It keeps the highest accepted version of a
 * bundle, says "nothing" when nothing is new, refuses what the policy or the
 * device does not allow, and a dry run (`check`) changes nothing. */
#include "testutil.h"
#include "pgp_fixture.h"
#include "policy_fixture.h"
#include "source_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/install.h"
#include "common/bundle_write.h"
#include "common/safefile.h"

struct env {
	struct pgp_home *ws;                  /* the release workstation */
	char root[1][PGP_FPR_LEN + 1], release[PGP_FPR_LEN + 1], stranger[PGP_FPR_LEN + 1];
	char sensor[PGP_FPR_LEN + 1];         /* may release for sensor-* only */
	char *dir, *stick;
	struct agent_config *c;
};

static char **strv1(const char *s)
{
	char **v = calloc(2, sizeof(*v));
	v[0] = strdup(s);
	return v;
}

/* The provisioned policy: one root, one release signer for gw-x, one for
 * sensor-*. */
static void provision_policy(struct env *e, const char *dir)
{
	struct policy *p = policy_fixture_make(1, (const char (*)[PGP_FPR_LEN + 1])e->root, 1, 1);
	p->signers = calloc(2, sizeof(*p->signers));
	memcpy(p->signers[0].fpr, e->release, sizeof(e->release));
	p->signers[0].name = strdup("Release CI");
	p->signers[0].roles = strv1("release");
	p->signers[0].device_types = strv1("gw-x");
	memcpy(p->signers[1].fpr, e->sensor, sizeof(e->sensor));
	p->signers[1].name = strdup("Sensor CI");
	p->signers[1].roles = strv1("release");
	p->signers[1].device_types = strv1("sensor-*");
	p->n_signers = 2;
	policy_fixture_publish(e->ws, p, (const char (*)[PGP_FPR_LEN + 1])e->root, 1, NULL, 0, dir);
	policy_free(p);
}

static void setup_env(void **state, struct env *e)
{
	struct pgp_homes *hs = *state;
	struct ferry_error *err = NULL;
	memset(e, 0, sizeof(*e));
	e->ws = &hs->h[0];
	pgp_home_key(e->ws, "Root <root@ferry.test>", e->root[0]);
	pgp_home_key(e->ws, "Release CI <ci@ferry.test>", e->release);
	pgp_home_key(e->ws, "Stranger <x@ferry.test>", e->stranger);
	pgp_home_key(e->ws, "Sensor CI <sensor@ferry.test>", e->sensor);
	pgp_home_copy_public(e->ws, &hs->h[1], e->sensor);
	pgp_home_copy_public(e->ws, &hs->h[1], e->root[0]);
	pgp_home_copy_public(e->ws, &hs->h[1], e->release);
	pgp_home_copy_public(e->ws, &hs->h[1], e->stranger);
	e->dir = hs->h[2].dir;
	char *policy = NULL, *json = NULL;
	assert_true(asprintf(&policy, "%s/policy", e->dir) > 0);
	assert_true(asprintf(&e->stick, "%s/stick", e->dir) > 0);
	provision_policy(e, policy);
	assert_true(asprintf(&json, "{\"format\":1,\"device\":{\"id\":\"gw-0001\",\"type\":\"gw-x\"},"
				    "\"trust\":{\"homedir\":\"%s\",\"policy\":\"%s\"},\"state_dir\":\"state\","
				    "\"targets\":{\"app\":\"app\"},\"slots\":{\"rootfs\":{\"a\":\"a.img\",\"b\":\"b.img\"}},"
				    "\"bootloader\":{\"type\":\"file\",\"path\":\"bootenv.json\"}}",
			     hs->h[1].dir, policy) > 0);
	char *path = test_write_file(e->dir, "agent.json", json, strlen(json));
	free(test_write_file(e->dir, "app/version", "1.0.0\n", 6));
	assert_ok(agent_config_load(path, &e->c, &err), err);
	free(path);
	free(json);
	free(policy);
}

static void teardown_env(struct env *e)
{
	agent_config_free(e->c);
	free(e->stick);
}

/* Puts bundle "app" version v for device_type on the stick, signed by fpr
 * (NULL: unsigned). */
static void stick_bundle(struct env *e, const char *v, const char *device_type, const char *fpr)
{
	struct ferry_error *err = NULL;
	char *spec = NULL, *rel = NULL, *out = NULL;
	const struct tar_member tree[] = { { 'f', "version", 0, v, NULL }, { 0, NULL, 0, NULL, NULL } };
	unsigned char *tar = NULL;
	size_t tar_len = 0;
	test_tar_build(tree, &tar, &tar_len);
	assert_true(asprintf(&rel, "spec-%s-%s/app.tar", v, device_type) > 0);
	free(test_write_file(e->dir, rel, tar, tar_len));
	free(rel);
	free(tar);
	assert_true(asprintf(&spec, "{\"format\":1,\"name\":\"app\",\"version\":\"%s\",\"security_version\":1,"
				    "\"created\":\"2026-11-24T10:00:00Z\",\"variants\":[{\"id\":\"v\","
				    "\"compatible\":{\"device_type\":[\"%s\"]},\"payloads\":[{\"name\":\"app\","
				    "\"handler\":\"files\",\"target\":\"app\",\"file\":\"app.tar\"}]}]}",
			     v, device_type) > 0);
	assert_true(asprintf(&rel, "spec-%s-%s/spec.json", v, device_type) > 0);
	char *spec_path = test_write_file(e->dir, rel, spec, strlen(spec));
	assert_true(asprintf(&out, "%s/ferry/bundles/app-%s-%s.ferry", e->stick, v, device_type) > 0);
	char *bundles = NULL;
	assert_true(asprintf(&bundles, "%s/ferry/bundles", e->stick) > 0);
	assert_ok(mkdir_p(bundles, 0755, &err), err);
	struct bundle_create_opts o = { .level = 1, .threads = 1 };
	assert_ok(bundle_create(spec_path, out, &o, NULL, &err), err);
	if (fpr)
		assert_ok(bundle_add_signature(out, e->ws->pgp, fpr, &err), err);
	free(bundles);
	free(out);
	free(spec_path);
	free(rel);
	free(spec);
}

static enum notify_result run(struct env *e, bool dry_run, struct install_report *r)
{
	struct ferry_error *err = NULL;
	struct install_request rq = { .path = e->stick, .dry_run = dry_run };
	assert_ok(install_run(e->c, &rq, r, &err), err);
	for (char **l = r->lines; l && *l; l++)
		print_message("%s\n", *l);   /* what a technician would read, for a failing test */
	return r->result;
}

static char *app_version(struct env *e)
{
	char *path = NULL, *text = NULL;
	size_t len = 0;
	struct ferry_error *err = NULL;
	assert_true(asprintf(&path, "%s/app/version", e->dir) > 0);
	assert_ok(read_file_limited(path, 4096, &text, &len, &err), err);
	free(path);
	return text;
}

/* The result of bundle file in the report's JSON. */
static const char *result_of(const struct install_report *r, const char *file)
{
	size_t i;
	json_t *b;
	json_array_foreach(json_object_get(r->json, "bundles"), i, b)
		if (strcmp(json_string_value(json_object_get(b, "file")), file) == 0)
			return json_string_value(json_object_get(b, "result"));
	return NULL;
}

static void test_install_keeps_the_highest_version(void **state)
{
	struct env e;
	struct install_report r;
	setup_env(state, &e);
	stick_bundle(&e, "1.1.0", "gw-x", e.release);
	stick_bundle(&e, "1.2.0", "gw-x", e.release);
	assert_int_equal(run(&e, false, &r), NOTIFY_SUCCESS);
	assert_string_equal(r.summary, "1 installed, 0 failed, 0 refused");
	assert_string_equal(result_of(&r, "app-1.2.0-gw-x.ferry"), "success");
	assert_string_equal(r.lines[0], "app 1.1.0: nothing new: superseded by app 1.2.0");
	assert_string_equal(r.lines[1], "app 1.2.0: installed and committed");
	install_report_clear(&r);
	char *v = app_version(&e);
	assert_string_equal(v, "1.2.0");
	free(v);
	/* The same stick again: nothing new (1.1.0 is older than what is
	 * installed, 1.2.0 is installed). */
	assert_int_equal(run(&e, false, &r), NOTIFY_NOTHING);
	assert_string_equal(r.lines[0], "app 1.1.0: nothing new: downgrade: app 1.2.0 is installed, this bundle is 1.1.0");
	install_report_clear(&r);
	/* Again with the installed version only: nothing new. */
	char *old = NULL;
	assert_true(asprintf(&old, "%s/ferry/bundles/app-1.1.0-gw-x.ferry", e.stick) > 0);
	assert_int_equal(unlink(old), 0);
	free(old);
	assert_int_equal(run(&e, false, &r), NOTIFY_NOTHING);
	assert_string_equal(r.lines[0], "app 1.2.0: nothing new: app 1.2.0 is already installed");
	install_report_clear(&r);
	teardown_env(&e);
}

/* check: decides and explains, changes nothing. */
static void test_install_dry_run_changes_nothing(void **state)
{
	struct env e;
	struct install_report r;
	setup_env(state, &e);
	stick_bundle(&e, "1.1.0", "gw-x", e.release);
	assert_int_equal(run(&e, true, &r), NOTIFY_SUCCESS);
	assert_string_equal(r.summary, "1 would install, 0 failed, 0 refused");
	install_report_clear(&r);
	char *v = app_version(&e);
	assert_string_equal(v, "1.0.0\n");
	free(v);
	teardown_env(&e);
}

/* A bundle for this device that fails a check: unsigned, signed by a key
 * the policy does not list, or by a signer whose rules cover other device
 * types only: refused, nothing written. */
static void test_install_refuses_what_is_not_allowed(void **state)
{
	struct env e;
	struct install_report r;
	setup_env(state, &e);
	stick_bundle(&e, "1.1.0", "gw-x", NULL);
	stick_bundle(&e, "1.2.0", "gw-x", e.stranger);
	stick_bundle(&e, "1.3.0", "gw-x", e.sensor);
	assert_int_equal(run(&e, false, &r), NOTIFY_REFUSED);
	assert_string_equal(r.summary, "0 installed, 0 failed, 3 refused");
	assert_string_equal(result_of(&r, "app-1.1.0-gw-x.ferry"), "refused");
	assert_string_equal(result_of(&r, "app-1.2.0-gw-x.ferry"), "refused");
	assert_string_equal(result_of(&r, "app-1.3.0-gw-x.ferry"), "refused");
	install_report_clear(&r);
	char *v = app_version(&e);
	assert_string_equal(v, "1.0.0\n");
	free(v);
	teardown_env(&e);
}

/* Bundles only for other device types, one of them signed by a signer whose
 * rules cover only those (issue 14 item 1b, 1c): nothing, not refused; the
 * records say skipped. */
static void test_install_other_device_types_is_nothing(void **state)
{
	struct env e;
	struct install_report r;
	setup_env(state, &e);
	stick_bundle(&e, "1.3.0", "sensor-y", e.sensor);
	stick_bundle(&e, "1.4.0", "sensor-z", e.release);
	assert_int_equal(run(&e, false, &r), NOTIFY_NOTHING);
	assert_string_equal(r.summary, "0 installed, 0 failed, 0 refused, 2 for other devices");
	assert_string_equal(r.lines[0], "app 1.3.0: not for this device: device type gw-x is not listed "
					"(the bundle is for sensor-y)");
	install_report_clear(&r);
	teardown_env(&e);
}

static void test_install_empty_stick_is_nothing(void **state)
{
	struct env e;
	struct install_report r;
	struct ferry_error *err = NULL;
	char *bundles = NULL;
	setup_env(state, &e);
	assert_true(asprintf(&bundles, "%s/ferry/bundles", e.stick) > 0);
	assert_ok(mkdir_p(bundles, 0755, &err), err);
	free(bundles);
	assert_int_equal(run(&e, false, &r), NOTIFY_NOTHING);
	install_report_clear(&r);
	teardown_env(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		pgp_unit_test(test_install_keeps_the_highest_version),
		pgp_unit_test(test_install_dry_run_changes_nothing),
		pgp_unit_test(test_install_refuses_what_is_not_allowed),
		pgp_unit_test(test_install_other_device_types_is_nothing),
		pgp_unit_test(test_install_empty_stick_is_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
