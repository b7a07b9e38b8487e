/* Tests for agent/trust.c: the device's current policy (provisioned, then
 * adopted) and adopting a policy from a stick's policy directory over real
 * GnuPG homes: a newer serial signed by the current roots is adopted in one
 * transaction with its record; an older, tampered or unreadable one is
 * refused and changes nothing; a dry run changes nothing. */
#include "testutil.h"
#include "pgp_fixture.h"
#include "policy_fixture.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/trust.h"
#include "common/safefile.h"

struct device {
	struct pgp_home *ws;                 /* HQ's workstation: the root key */
	char root[1][PGP_FPR_LEN + 1];
	char *stick;                         /* the stick's ferry/policy */
	struct agent_config *c;
	struct state *s;
	struct agent_trust t;
};

/* A device provisioned with a policy of serial `serial` whose one root
 * lives on the workstation; its GnuPG home holds the root's public key. */
static void device_open(void **state, struct device *d, int64_t serial)
{
	struct pgp_homes *hs = *state;
	struct ferry_error *err = NULL;
	memset(d, 0, sizeof(*d));
	d->ws = &hs->h[0];
	pgp_home_key(d->ws, "Root <root@ferry.test>", d->root[0]);
	pgp_home_copy_public(d->ws, &hs->h[1], d->root[0]);
	/* The device's GnuPG home is h[1]; its files go beside it in h[2]. */
	const char *dir = hs->h[2].dir;
	char *policy = NULL, *json = NULL;
	assert_true(asprintf(&policy, "%s/provisioned", dir) > 0);
	assert_true(asprintf(&d->stick, "%s/stick/ferry/policy", dir) > 0);
	struct policy *p = policy_fixture_make(serial, (const char (*)[PGP_FPR_LEN + 1])d->root, 1, 1);
	policy_fixture_publish(d->ws, p, (const char (*)[PGP_FPR_LEN + 1])d->root, 1, NULL, 0, policy);
	policy_free(p);
	assert_true(asprintf(&json, "{\"format\":1,\"device\":{\"id\":\"gw-0001\",\"type\":\"gw-x\"},"
				    "\"trust\":{\"homedir\":\"%s\",\"policy\":\"%s\"},\"state_dir\":\"state\",\"bootloader\":{\"type\":\"file\",\"path\":\"bootenv.json\"}}",
			     hs->h[1].dir, policy) > 0);
	char *path = test_write_file(dir, "agent.json", json, strlen(json));
	assert_ok(agent_config_load(path, &d->c, &err), err);
	assert_ok(state_open_config(d->c, &d->s, &err), err);
	assert_ok(agent_trust_open(d->c, d->s, &d->t, &err), err);
	free(path);
	free(json);
	free(policy);
}

static void device_close(struct device *d)
{
	agent_trust_close(&d->t);
	state_close(d->s);
	agent_config_free(d->c);
	free(d->stick);
}

/* Puts a policy of serial onto the stick, signed by the root. */
static void stick_policy(struct device *d, int64_t serial)
{
	struct policy *p = policy_fixture_make(serial, (const char (*)[PGP_FPR_LEN + 1])d->root, 1, 1);
	policy_fixture_publish(d->ws, p, (const char (*)[PGP_FPR_LEN + 1])d->root, 1, NULL, 0, d->stick);
	policy_free(p);
}

static enum trust_adopt_outcome adopt(struct device *d, bool dry_run, char **reason)
{
	struct ferry_error *err = NULL;
	enum trust_adopt_outcome o;
	struct auditlog_fields media = { .usb_serial = "USB1" };
	int fd = open(d->stick, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_ok(agent_trust_adopt(d->c, d->s, &d->t, fd, d->stick, dry_run, &media, NULL, &o, reason, &err),
		  err);
	if (fd >= 0)
		close(fd);
	return o;
}

static struct state_info info_of(struct device *d)
{
	struct state_info info;
	struct ferry_error *err = NULL;
	assert_ok(state_get(d->s, &info, &err), err);
	return info;
}

static void test_trust_open_records_the_provisioned_serial(void **state)
{
	struct device d;
	device_open(state, &d, 3);
	assert_int_equal(d.t.policy->serial, 3);
	struct state_info info = info_of(&d);
	assert_int_equal(info.policy_serial, 3);
	assert_int_equal(info.last_seq, 1);
	state_info_clear(&info);
	char *line = test_last_record(d.s);
	assert_non_null(strstr(line, "\"event\":\"policy.in_force\""));
	free(line);
	device_close(&d);
}

/* The newer policy is stored, then made current by the one transaction
 * that also writes its record; a restart loads it. */
static void test_trust_newer_serial_adopted_in_one_transaction(void **state)
{
	struct device d;
	struct ferry_error *err = NULL;
	char *reason = NULL;
	device_open(state, &d, 3);
	stick_policy(&d, 4);
	assert_int_equal(adopt(&d, false, &reason), TRUST_ADOPT_ADOPTED);
	assert_null(reason);
	assert_int_equal(d.t.policy->serial, 4);
	struct state_info info = info_of(&d);
	assert_int_equal(info.policy_serial, 4);
	assert_int_equal(info.last_seq, 2);    /* policy.in_force, then one record */
	state_info_clear(&info);
	char *line = test_last_record(d.s);
	assert_non_null(strstr(line, "\"event\":\"policy.adopted\""));
	assert_non_null(strstr(line, "\"usb_serial\":\"USB1\""));
	free(line);
	char *kept = NULL;
	assert_true(asprintf(&kept, "%s/policies/00000004/policy.json", d.c->state_dir) > 0);
	assert_int_equal(access(kept, F_OK), 0);
	free(kept);
	/* A restart finds the adopted policy in force. */
	struct agent_trust again;
	assert_ok(agent_trust_open(d.c, d.s, &again, &err), err);
	assert_int_equal(again.policy->serial, 4);
	agent_trust_close(&again);
	/* The same policy on the next stick: nothing to do, nothing recorded. */
	assert_int_equal(adopt(&d, false, &reason), TRUST_ADOPT_SAME);
	info = info_of(&d);
	assert_int_equal(info.last_seq, 2);
	state_info_clear(&info);
	device_close(&d);
}

static void test_trust_dry_run_changes_nothing(void **state)
{
	struct device d;
	char *reason = NULL;
	device_open(state, &d, 3);
	stick_policy(&d, 4);
	assert_int_equal(adopt(&d, true, &reason), TRUST_ADOPT_ADOPTED);
	assert_int_equal(d.t.policy->serial, 3);
	struct state_info info = info_of(&d);
	assert_int_equal(info.policy_serial, 3);
	assert_int_equal(info.last_seq, 1);
	state_info_clear(&info);
	char *kept = NULL;
	assert_true(asprintf(&kept, "%s/policies", d.c->state_dir) > 0);
	assert_int_not_equal(access(kept, F_OK), 0);
	free(kept);
	device_close(&d);
}

static void expect_refused(struct device *d, const char *why)
{
	char *reason = NULL;
	assert_int_equal(adopt(d, false, &reason), TRUST_ADOPT_REFUSED);
	assert_non_null(reason);
	if (!strstr(reason, why))
		fail_msg("reason '%s' does not say '%s'", reason, why);
	free(reason);
	assert_int_equal(d->t.policy->serial, 3);
	struct state_info info = info_of(d);
	assert_int_equal(info.policy_serial, 3);
	state_info_clear(&info);
	char *line = test_last_record(d->s);
	assert_non_null(strstr(line, "\"event\":\"policy.refused\""));
	free(line);
}

/* A replayed older policy, even correctly signed, is refused. */
static void test_trust_older_serial_refused(void **state)
{
	struct device d;
	device_open(state, &d, 3);
	stick_policy(&d, 2);
	expect_refused(&d, "is not higher than the current serial 3");
	device_close(&d);
}

static void test_trust_tampered_policy_refused(void **state)
{
	struct device d;
	struct ferry_error *err = NULL;
	device_open(state, &d, 3);
	stick_policy(&d, 4);
	/* One byte changed after signing: the serial 4 becomes 5. */
	char *path = NULL, *text = NULL;
	size_t len = 0;
	assert_true(asprintf(&path, "%s/policy.json", d.stick) > 0);
	assert_ok(read_file_limited(path, 65536, &text, &len, &err), err);
	char *serial = strstr(text, "\"serial\": 4");
	assert_non_null(serial);
	serial[10] = '5';
	assert_ok(safe_write_atomic(path, text, len, 0644, &err), err);
	expect_refused(&d, "not signed by 1 of the current roots");
	free(text);
	free(path);
	device_close(&d);
}

/* A half-written or missing policy on the stick is a refusal, not an error. */
static void test_trust_unreadable_policy_refused(void **state)
{
	struct device d;
	device_open(state, &d, 3);
	expect_refused(&d, "policy.json");
	device_close(&d);
}

/* ---- key material on the stick (issue 11 item 1) ----------------------- */

/* What the device's home holds: its key listing, its secret key files and
 * the exact bytes of its keyring (a caller frees). */
static char *home_snapshot(struct pgp_home *dev)
{
	struct ferry_error *err = NULL;
	char *snap = NULL, *text = NULL, *ring = NULL, *path = NULL;
	size_t len = 0, ring_len = 0;
	assert_true(asprintf(&path, "%s.snapshot", dev->dir) > 0);
	assert_int_equal(pgp_home_gpg(dev, "--list-keys --with-colons --with-fingerprint > %s 2>&1; "
				      "ls -A %s/private-keys-v1.d >> %s 2>&1; true", path, dev->dir, path), 0);
	assert_ok(read_file_limited(path, 1 << 20, &text, &len, &err), err);
	remove(path);   /* beside the home, not in it: nothing else removes it */
	free(path);
	assert_true(asprintf(&path, "%s/pubring.kbx", dev->dir) > 0);
	if (read_file_limited(path, 1 << 20, &ring, &ring_len, NULL))
		assert_true(asprintf(&snap, "%s\n--\n%zu bytes\n", text, ring_len) > 0);
	else
		assert_non_null(snap = strdup(text));
	if (ring) {   /* the keyring's bytes themselves, hex: byte for byte */
		char *hex = malloc(2 * ring_len + strlen(snap) + 1);
		strcpy(hex, snap);
		for (size_t i = 0; i < ring_len; i++)
			sprintf(hex + strlen(snap) + 2 * i, "%02x", (unsigned char)ring[i]);
		free(snap);
		snap = hex;
	}
	free(ring);
	free(path);
	free(text);
	return snap;
}

/* Appends an extra key's public and secret parts to the stick's keys.asc. */
static void stick_extra_keys(void **state, struct device *d, char extra[PGP_FPR_LEN + 1])
{
	pgp_home_key(d->ws, "Extra <extra@ferry.test>", extra);
	assert_int_equal(pgp_home_gpg(d->ws, "--armor --export %s >> %s/keys.asc", extra, d->stick), 0);
	assert_int_equal(pgp_home_gpg(d->ws, "--armor --export-secret-keys %s >> %s/keys.asc", extra,
				      d->stick), 0);
	(void)state;
}

/* Puts a policy of serial with keys.asc (the root's public key) onto the stick. */
static void stick_policy_with_keys(struct device *d, int64_t serial)
{
	struct policy *p = policy_fixture_make(serial, (const char (*)[PGP_FPR_LEN + 1])d->root, 1, 1);
	policy_fixture_publish(d->ws, p, (const char (*)[PGP_FPR_LEN + 1])d->root, 1,
			       (const char (*)[PGP_FPR_LEN + 1])d->root, 1, d->stick);
	policy_free(p);
}

/* A replayed older policy, validly signed by the current root, carrying an
 * extra public key and a secret key: the device's home stays byte for byte. */
static void test_trust_replayed_policy_keys_never_reach_the_home(void **state)
{
	struct pgp_homes *hs = *state;
	struct device d;
	char extra[PGP_FPR_LEN + 1];
	device_open(state, &d, 3);
	stick_policy_with_keys(&d, 2);
	stick_extra_keys(state, &d, extra);
	char *before = home_snapshot(&hs->h[1]);
	expect_refused(&d, "is not higher than the current serial 3");
	char *reason = NULL;   /* a dry run (check) neither */
	assert_int_equal(adopt(&d, true, &reason), TRUST_ADOPT_REFUSED);
	free(reason);
	char *after = home_snapshot(&hs->h[1]);
	assert_string_equal(before, after);
	free(before);
	free(after);
	device_close(&d);
}

/* A newer policy's keys.asc with an unnamed key and a secret key: check
 * changes nothing; adoption brings the named public keys only. */
static void test_trust_adoption_imports_only_named_public_keys(void **state)
{
	struct pgp_homes *hs = *state;
	struct device d;
	struct ferry_error *err = NULL;
	char extra[PGP_FPR_LEN + 1], *reason = NULL;
	device_open(state, &d, 3);
	stick_policy_with_keys(&d, 4);
	stick_extra_keys(state, &d, extra);
	char *before = home_snapshot(&hs->h[1]);
	assert_int_equal(adopt(&d, true, &reason), TRUST_ADOPT_ADOPTED);
	char *after = home_snapshot(&hs->h[1]);
	assert_string_equal(before, after);
	free(after);
	assert_int_equal(adopt(&d, false, &reason), TRUST_ADOPT_ADOPTED);
	assert_null(reason);
	after = home_snapshot(&hs->h[1]);
	assert_null(strstr(after, extra));                  /* not named: not imported */
	assert_non_null(strstr(after, d.root[0]));
	assert_false(pgp_has_secret_key(d.t.pgp, extra));   /* never secret material */
	char *kept = NULL, *keys = NULL;
	size_t len = 0;
	assert_true(asprintf(&kept, "%s/policies/00000004/keys.asc", d.c->state_dir) > 0);
	assert_ok(read_file_limited(kept, 1 << 20, &keys, &len, &err), err);
	assert_null(memmem(keys, len, "PRIVATE KEY", 11));
	free(keys);
	free(kept);
	free(before);
	free(after);
	device_close(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		pgp_unit_test(test_trust_open_records_the_provisioned_serial),
		pgp_unit_test(test_trust_newer_serial_adopted_in_one_transaction),
		pgp_unit_test(test_trust_dry_run_changes_nothing),
		pgp_unit_test(test_trust_older_serial_refused),
		pgp_unit_test(test_trust_tampered_policy_refused),
		pgp_unit_test(test_trust_unreadable_policy_refused),
		pgp_unit_test(test_trust_replayed_policy_keys_never_reach_the_home),
		pgp_unit_test(test_trust_adoption_imports_only_named_public_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
