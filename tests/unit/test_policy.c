/* Tests for common/policy.c and policy_eval.c: strict parsing, the release
 * decision (scope, revocation, expiry, two-person rules with distinct
 * signers), and adoption over real GnuPG (threshold of current roots, no
 * replay, root rotation, keys.asc). */
#include "testutil.h"
#include "pgp_fixture.h"
#include "policy_fixture.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/policy.h"
#include "common/safefile.h"

#define FA "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define FB "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
#define FC "CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC"
#define FR "0000000000000000000000000000000000000001"

/* 2026-11-24T10:00:00Z */
#define T_ISSUED 1795514400
#define NOW (T_ISSUED + 3600)

static const char sample[] =
	"{\"format\":1,\"serial\":12,\"issued\":\"2026-11-24T10:00:00Z\","
	"\"roots\":{\"keys\":[\"" FR "\"],\"threshold\":1},"
	"\"signers\":["
	"{\"fingerprint\":\"" FA "\",\"name\":\"Release CI\",\"roles\":[\"release\",\"qa\"],"
	"\"device_types\":[\"gw-x\",\"sensor-*\"],\"expires\":\"2027-12-31T00:00:00Z\"},"
	"{\"fingerprint\":\"" FB "\",\"name\":\"QA Lead\",\"roles\":[\"qa\"],\"device_types\":[\"*\"]},"
	"{\"fingerprint\":\"" FC "\",\"name\":\"Sensor team\",\"roles\":[\"release\",\"hq\"],"
	"\"device_types\":[\"sensor-*\"]}],"
	"\"revoked\":[],"
	"\"rules\":[{\"device_types\":[\"gw-*\"],\"require_roles\":[\"release\",\"qa\"]}]}";

/* Fault injection for policy_write_dir (tests/unit/test_policy.ldflags):
 * with fail_swaps set, the exchange fails and so does moving "<dir>.new"
 * into place — a failure after every file was written. */
static bool fail_swaps;
int __real_renameat2(int, const char *, int, const char *, unsigned);
int __real_rename(const char *, const char *);
int __wrap_renameat2(int ofd, const char *from, int nfd, const char *to, unsigned flags)
{
	if (fail_swaps) {
		errno = EINVAL;
		return -1;
	}
	return __real_renameat2(ofd, from, nfd, to, flags);
}
int __wrap_rename(const char *from, const char *to)
{
	size_t n = strlen(from);
	if (fail_swaps && n > 4 && strcmp(from + n - 4, ".new") == 0) {
		errno = EIO;
		return -1;
	}
	return __real_rename(from, to);
}

static struct policy *parse(const char *text)
{
	struct policy *p = NULL;
	struct ferry_error *err = NULL;
	assert_ok(policy_parse(text, strlen(text), "policy.json", &p, &err), err);
	return p;
}

/* A verification result as pgp_verify_detached would give it. */
static struct pgp_verify_result sigs(size_t n, const char *fprs[], enum pgp_sig_status st[],
				     time_t created)
{
	struct pgp_verify_result r = { calloc(n, sizeof(struct pgp_signature)), n };
	for (size_t i = 0; i < n; i++) {
		r.sigs[i].status = st ? st[i] : PGP_SIG_VALID;
		snprintf(r.sigs[i].fpr, sizeof(r.sigs[i].fpr), "%s", fprs[i]);
		r.sigs[i].created = created;
	}
	return r;
}

/* Evaluates a release and returns whether it is allowed; reasons joined into why. */
static bool release(const struct policy *p, size_t n, const char *fprs[], const char *type,
		    time_t now, char *why, size_t size)
{
	struct pgp_verify_result r = sigs(n, fprs, NULL, now - 60);
	struct policy_verdict v;
	assert_true(policy_allows_release(p, &r, type, now, &v));
	why[0] = '\0';
	for (size_t i = 0; v.reasons && v.reasons[i]; i++)
		snprintf(why + strlen(why), size - strlen(why), "%s\n", v.reasons[i]);
	bool allowed = v.allowed;
	if (allowed)
		assert_int_equal(strv_len(v.counted), n);
	policy_verdict_clear(&v);
	pgp_verify_result_clear(&r);
	return allowed;
}

static void test_policy_parse_serialize_roundtrip(void **state)
{
	(void)state;
	struct policy *p = parse(sample);
	assert_int_equal(p->serial, 12);
	assert_int_equal(p->n_signers, 3);
	assert_string_equal(p->signers[0].name, "Release CI");
	assert_int_equal(p->signers[1].expires, 0);
	assert_int_equal(p->n_rules, 1);
	char *a = policy_serialize(p);
	assert_non_null(a);
	struct policy *q = parse(a);
	char *b = policy_serialize(q);
	assert_string_equal(a, b);
	assert_non_null(strstr(a, "\"expires\": \"2027-12-31T00:00:00Z\""));
	free(a);
	free(b);
	policy_free(p);
	policy_free(q);
}

static int json_files(const struct dirent *e)
{
	size_t n = strlen(e->d_name);
	return n > 5 && strcmp(e->d_name + n - 5, ".json") == 0;
}

/* Calls fn on every JSON file of tests/data/<sub> (path without ".json"). */
static size_t each_corpus_file(const char *sub, void (*fn)(const char *base, size_t *wrong))
{
	char *dir = test_data_path(sub);
	struct dirent **names = NULL;
	int n = scandir(dir, &names, json_files, alphasort);
	size_t wrong = 0;
	if (n <= 0)
		fail_msg("no corpus files in %s", dir);
	for (int i = 0; i < n; i++) {
		char base[1024];
		snprintf(base, sizeof(base), "%s/%.*s", dir, (int)strlen(names[i]->d_name) - 5,
			 names[i]->d_name);
		fn(base, &wrong);
		free(names[i]);
	}
	free(names);
	free(dir);
	assert_int_equal(wrong, 0);
	return (size_t)n;
}

static char *corpus_read(const char *base, const char *ext, size_t *len)
{
	char *path = NULL, *data = NULL;
	struct ferry_error *err = NULL;
	assert_true(asprintf(&path, "%s%s", base, ext) > 0);
	assert_ok(read_file_limited(path, 1 << 20, &data, len, &err), err);
	free(path);
	return data;
}

/* bad/NAME.json is refused with one line naming policy.json and holding bad/NAME.err. */
static void check_bad(const char *base, size_t *wrong)
{
	size_t len = 0, want_len = 0;
	char *doc = corpus_read(base, ".json", &len), *want = corpus_read(base, ".err", &want_len);
	while (want_len && want[want_len - 1] == '\n')
		want[--want_len] = '\0';
	struct policy *p = NULL;
	struct ferry_error *err = NULL;
	bool accepted = policy_parse(doc, len, "policy.json", &p, &err);
	const char *msg = ferry_error_message(err);
	if (accepted || strncmp(msg, "policy.json: ", 13) != 0 || !strstr(msg, want) ||
	    strchr(msg, '\n')) {
		print_error("%s.json: expected one line with '%s', got '%s'\n", base, want,
			    accepted ? "(accepted)" : msg);
		(*wrong)++;
	}
	policy_free(p);
	ferry_error_free(err);
	free(doc);
	free(want);
}

/* good/NAME.json is accepted and its serialization parses to the same text. */
static void check_good(const char *base, size_t *wrong)
{
	size_t len = 0;
	char *doc = corpus_read(base, ".json", &len), *a = NULL, *b = NULL;
	struct policy *p = NULL, *q = NULL;
	struct ferry_error *err = NULL;
	if (!policy_parse(doc, len, "policy.json", &p, &err) || !(a = policy_serialize(p)) ||
	    !policy_parse(a, strlen(a), "again", &q, &err) || !(b = policy_serialize(q)) ||
	    strcmp(a, b) != 0) {
		print_error("%s.json: %s\n", base, err ? ferry_error_message(err) : "round trip differs");
		(*wrong)++;
	}
	policy_free(p);
	policy_free(q);
	ferry_error_free(err);
	free(doc);
	free(a);
	free(b);
}

static void test_policy_rejects_every_bad_corpus_file(void **state)
{
	(void)state;
	assert_true(each_corpus_file("policies/bad", check_bad) >= 18);
}

static void test_policy_accepts_every_good_corpus_file(void **state)
{
	(void)state;
	assert_true(each_corpus_file("policies/good", check_good) >= 2);
}

static void test_policy_counts_only_valid_listed_signatures(void **state)
{
	(void)state;
	struct policy *p = parse(sample);
	const char *f[] = { FC, "1234567890ABCDEF", "DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD" };
	enum pgp_sig_status st[] = { PGP_SIG_BAD, PGP_SIG_UNKNOWN_KEY, PGP_SIG_VALID };
	struct pgp_verify_result r = sigs(3, f, st, NOW - 60);
	struct policy_verdict v;
	assert_true(policy_allows_release(p, &r, "sensor-y", NOW, &v));
	assert_false(v.allowed);
	assert_int_equal(strv_len(v.counted), 0);
	assert_int_equal(strv_len(v.reasons), 4);
	assert_string_equal(v.reasons[0], "signature by key " FC ": bad");
	assert_string_equal(v.reasons[1], "signature by key id 1234567890ABCDEF: unknown key");
	assert_non_null(strstr(v.reasons[2], "not a signer in policy serial 12"));
	assert_non_null(strstr(v.reasons[3], "role 'release'"));
	policy_verdict_clear(&v);
	pgp_verify_result_clear(&r);
	policy_free(p);
}

static void test_policy_signer_outside_device_type_scope(void **state)
{
	(void)state;
	struct policy *p = parse(sample);
	char why[2048];
	const char *c[] = { FC };
	assert_true(release(p, 1, c, "sensor-y", NOW, why, sizeof(why)));
	assert_false(release(p, 1, c, "gw-x", NOW, why, sizeof(why)));
	assert_non_null(strstr(why, FC " (Sensor team): may not sign for device type gw-x (allowed: sensor-*)"));
	assert_false(release(p, 1, c, "sensorx", NOW, why, sizeof(why)));
	policy_free(p);
}

static void test_policy_two_person_rule_needs_distinct_signers(void **state)
{
	(void)state;
	struct policy *p = parse(sample);
	char why[2048];
	/* A holds release AND qa: alone it may not satisfy release+qa */
	const char *a[] = { FA };
	assert_false(release(p, 1, a, "gw-x", NOW, why, sizeof(why)));
	assert_non_null(strstr(why, "rule 1 (device types gw-*) needs roles release, qa from distinct signers"));
	/* the same signature twice is still one signer */
	const char *aa[] = { FA, FA };
	assert_false(release(p, 2, aa, "gw-x", NOW, why, sizeof(why)));
	/* A (release) + B (qa): two people */
	const char *ab[] = { FA, FB };
	assert_true(release(p, 2, ab, "gw-x", NOW, why, sizeof(why)));
	/* B alone: no release role at all */
	const char *b[] = { FB };
	assert_false(release(p, 1, b, "gw-x", NOW, why, sizeof(why)));
	assert_non_null(strstr(why, "role 'release'"));
	/* A (release, qa) + C (release): met by C releasing and A approving,
	 * whatever the order of the signatures (a matching, not first-come) */
	strv_free(p->signers[2].device_types);
	p->signers[2].device_types = calloc(2, sizeof(char *));
	p->signers[2].device_types[0] = strdup("*");
	const char *ac[] = { FA, FC }, *ca[] = { FC, FA };
	assert_true(release(p, 2, ac, "gw-x", NOW, why, sizeof(why)));
	assert_true(release(p, 2, ca, "gw-x", NOW, why, sizeof(why)));
	/* no rule for sensor-*: A alone releases */
	assert_true(release(p, 1, a, "sensor-y", NOW, why, sizeof(why)));
	policy_free(p);
}

static void test_policy_revoked_signer_refused(void **state)
{
	(void)state;
	char *doc = NULL;
	const char *at = strstr(sample, "\"revoked\":[]");
	assert_true(asprintf(&doc, "%.*s\"revoked\":[{\"fingerprint\":\"" FC "\",\"at\":"
			     "\"2026-11-24T10:30:00Z\",\"reason\":\"laptop lost\"}]%s",
			     (int)(at - sample), sample, at + strlen("\"revoked\":[]")) > 0);
	struct policy *p = parse(doc);
	const char *c[] = { FC };
	char why[2048];
	/* before the revocation time a signature made before it still counts */
	assert_true(release(p, 1, c, "sensor-y", T_ISSUED + 600, why, sizeof(why)));
	/* after it, the signer is refused outright, even for older signatures */
	struct pgp_verify_result r = sigs(1, c, NULL, T_ISSUED);
	struct policy_verdict v;
	assert_true(policy_allows_release(p, &r, "sensor-y", NOW, &v));
	assert_false(v.allowed);
	assert_non_null(strstr(v.reasons[0], FC " (Sensor team): revoked at 2026-11-24T10:30:00Z (laptop lost)"));
	policy_verdict_clear(&v);
	/* and a signature made at or after the revocation never counts */
	r.sigs[0].created = T_ISSUED + 1800;
	assert_true(policy_allows_release(p, &r, "sensor-y", T_ISSUED + 600, &v));
	assert_false(v.allowed);
	policy_verdict_clear(&v);
	pgp_verify_result_clear(&r);
	policy_free(p);
	free(doc);
}

static void test_policy_expired_signer_refused(void **state)
{
	(void)state;
	struct policy *p = parse(sample);
	const char *ab[] = { FA, FB };
	char why[2048];
	/* A expires 2027-12-31T00:00:00Z = 1830211200 */
	assert_true(release(p, 2, ab, "gw-x", 1830211200 - 10, why, sizeof(why)));
	assert_false(release(p, 2, ab, "gw-x", 1830211200, why, sizeof(why)));
	assert_non_null(strstr(why, FA " (Release CI): signer expired at 2027-12-31T00:00:00Z"));
	policy_free(p);
}

static void test_policy_role_for_acknowledgements(void **state)
{
	(void)state;
	struct policy *p = parse(sample);
	const char *c[] = { FC }, *b[] = { FB };
	struct pgp_verify_result r = sigs(1, c, NULL, NOW - 5);
	struct policy_verdict v;
	assert_true(policy_allows_role(p, &r, "hq", NULL, NOW, &v));
	assert_true(v.allowed);
	policy_verdict_clear(&v);
	pgp_verify_result_clear(&r);
	r = sigs(1, b, NULL, NOW - 5);
	assert_true(policy_allows_role(p, &r, "hq", NULL, NOW, &v));
	assert_false(v.allowed);
	assert_non_null(strstr(v.reasons[0], "role 'hq'"));
	policy_verdict_clear(&v);
	pgp_verify_result_clear(&r);
	policy_free(p);
}

static void test_policy_lockout_guard(void **state)
{
	(void)state;
	struct policy *p = parse(sample);
	struct policy_verdict v;
	assert_true(policy_check_lockout(p, NULL, NOW, &v));
	assert_true(v.allowed);
	policy_verdict_clear(&v);
	/* after A expires only B (qa) and C (release, sensor scope) are left:
	 * C + B meet release+qa by roles, but nobody left may release for
	 * gw-*, the rule's device type (scopes count since issue 14) */
	assert_true(policy_check_lockout(p, NULL, 1830211200, &v));
	assert_false(v.allowed);
	assert_non_null(strstr(v.reasons[0], "device type gw-*"));
	policy_verdict_clear(&v);
	/* without B, the gw-* rule can no longer be met by distinct signers */
	p->n_signers = 1;   /* only A: release+qa in one person */
	assert_true(policy_check_lockout(p, NULL, NOW, &v));
	assert_false(v.allowed);
	assert_non_null(strstr(v.reasons[0], "rule 1 (device types gw-*) needs roles release, qa"));
	policy_verdict_clear(&v);
	p->n_signers = 3;
	policy_free(p);
}

/* The guard also looks at device-type scopes (issue 14 item 4): a rule's
 * device type, or one the previous policy let someone release for, must keep
 * live signers covering it who can release and meet its rules. */
static void test_policy_lockout_guard_checks_scopes(void **state)
{
	(void)state;
	struct policy *prev = parse(sample), *p = parse(sample);
	struct policy_verdict v;
	assert_true(policy_check_lockout(p, prev, NOW, &v));
	assert_true(v.allowed);
	policy_verdict_clear(&v);
	/* C (release, sensor-*) and A narrowed to gw-x: sensor-* was
	 * releasable, now only B (qa) covers it */
	strv_free(p->signers[0].device_types);
	p->signers[0].device_types = calloc(2, sizeof(char *));
	p->signers[0].device_types[0] = strdup("gw-x");
	p->n_signers = 2;
	assert_true(policy_check_lockout(p, prev, NOW, &v));
	assert_false(v.allowed);
	assert_non_null(strstr(v.reasons[0], "device type sensor-*"));
	policy_verdict_clear(&v);
	/* without the previous policy, nothing names sensor-*: allowed */
	assert_true(policy_check_lockout(p, NULL, NOW, &v));
	assert_true(v.allowed);
	policy_verdict_clear(&v);
	/* a rule for cw-* that no signer covers: refused though roles exist */
	p->n_signers = 3;
	p->rules[0].device_types[0][0] = 'c';   /* "cw-*": no signer's scope */
	assert_true(policy_check_lockout(p, NULL, NOW, &v));
	assert_false(v.allowed);
	assert_non_null(strstr(v.reasons[0], "device type cw-*"));
	policy_verdict_clear(&v);
	policy_free(p);
	policy_free(prev);
}

static int test_count_entries(const char *dir)
{
	int n = 0;
	DIR *d = opendir(dir);
	struct dirent *e;
	assert_non_null(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static char *read_text(const char *dir, const char *name)
{
	char *path = NULL, *text = NULL;
	size_t len = 0;
	struct ferry_error *err = NULL;
	assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
	assert_ok(read_file_limited(path, 4096, &text, &len, &err), err);
	free(path);
	return text;
}

/* policy_write_dir: "DIR/" is DIR (nothing lands inside it); a failure
 * after writing leaves DIR as it was and nothing that blocks the retry
 * (issue 14 item 4). */
static void test_policy_write_dir_slash_and_failure(void **state)
{
	(void)state;
	struct ferry_error *err = NULL;
	char *top = test_tmpdir(), *dir = NULL, *slash = NULL, *text = NULL;
	struct policy_file one = { .bytes = "one", .len = 3, .sig = "s1", .sig_len = 2 };
	struct policy_file two = { .bytes = "two", .len = 3, .sig = "s2", .sig_len = 2 };
	assert_true(asprintf(&dir, "%s/out", top) > 0);
	assert_true(asprintf(&slash, "%s/out//", top) > 0);
	assert_ok(policy_write_dir(slash, &one, NULL, 0, &err), err);
	assert_ok(policy_write_dir(slash, &one, NULL, 0, &err), err);   /* replaces it */
	assert_int_equal(test_count_entries(dir), 2);
	fail_swaps = true;
	assert_false(policy_write_dir(slash, &two, NULL, 0, &err));
	fail_swaps = false;
	ferry_error_free(err);
	err = NULL;
	text = read_text(dir, POLICY_FILE);
	assert_string_equal(text, "one");
	free(text);
	assert_int_equal(test_count_entries(dir), 2);
	assert_int_equal(test_count_entries(top), 1);   /* no out.new, no out.old */
	assert_ok(policy_write_dir(slash, &two, NULL, 0, &err), err);
	text = read_text(dir, POLICY_FILE);
	assert_string_equal(text, "two");
	free(text);
	free(dir);
	free(slash);
	test_tmpdir_remove(top);
}

/* ---- adoption over real GnuPG ------------------------------------------- */

struct adopt_env {
	struct pgp_home ws, dev;
	char roots[3][PGP_FPR_LEN + 1];
	char *dir;
};

static void adopt_env(void **state, struct adopt_env *e)
{
	struct pgp_homes *hs = *state;
	e->ws = hs->h[0];
	e->dev = hs->h[1];
	pgp_home_key(&e->ws, "Root 1 <r1@ferry.test>", e->roots[0]);
	pgp_home_key(&e->ws, "Root 2 <r2@ferry.test>", e->roots[1]);
	pgp_home_key(&e->ws, "Root 3 <r3@ferry.test>", e->roots[2]);
	pgp_home_copy_public(&e->ws, &e->dev, e->roots[0]);
	pgp_home_copy_public(&e->ws, &e->dev, e->roots[1]);
	assert_true(asprintf(&e->dir, "%s/stick-policy", hs->h[2].dir) > 0);
}

static bool adopt(struct adopt_env *e, const struct policy *cur, int64_t *serial,
		  struct ferry_error **err)
{
	struct policy *next = NULL;
	struct policy_file f;
	int fd = open(e->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	bool ok = policy_adopt_dirfd(e->dev.pgp, cur, fd, e->dir, &next, &f, err);
	if (fd >= 0)
		close(fd);
	if (ok)
		*serial = next->serial;
	/* the caller imports the named public keys when it adopts (agent/trust.c) */
	if (ok && f.keys)
		assert_ok(pgp_import(e->dev.pgp, f.keys, f.keys_len, NULL, 0, NULL, err), *err);
	policy_free(next);
	policy_file_clear(&f);
	return ok;
}

static void test_policy_adopt_needs_threshold_of_current_roots(void **state)
{
	struct adopt_env e;
	adopt_env(state, &e);
	struct policy *cur = policy_fixture_make(3, e.roots, 2, 2);
	struct policy *next = policy_fixture_make(4, e.roots, 2, 2);
	struct ferry_error *err = NULL;
	int64_t serial = 0;
	policy_fixture_publish(&e.ws, next, e.roots, 1, NULL, 0, e.dir);
	assert_false(adopt(&e, cur, &serial, &err));
	assert_error_code(err, FERRY_E_POLICY);
	ferry_error_clear(&err);
	/* a signature by a key that is not a root does not help */
	char other[2][PGP_FPR_LEN + 1];
	memcpy(other[0], e.roots[0], sizeof(other[0]));
	memcpy(other[1], e.roots[2], sizeof(other[1]));
	policy_fixture_publish(&e.ws, next, other, 2, NULL, 0, e.dir);
	assert_false(adopt(&e, cur, &serial, &err));
	assert_error_code(err, FERRY_E_POLICY);
	assert_error_contains(err, ": unknown key");   /* root 3: not on the device */
	ferry_error_clear(&err);
	policy_fixture_publish(&e.ws, next, e.roots, 2, NULL, 0, e.dir);
	assert_ok(adopt(&e, cur, &serial, &err), err);
	assert_int_equal(serial, 4);
	policy_free(cur);
	policy_free(next);
	free(e.dir);
}

static void test_policy_adopt_refuses_replayed_older_policy(void **state)
{
	struct adopt_env e;
	adopt_env(state, &e);
	struct policy *cur = policy_fixture_make(7, e.roots, 1, 1);
	struct ferry_error *err = NULL;
	int64_t serial = 0;
	for (int64_t s = 6; s <= 7; s++) {
		struct policy *old = policy_fixture_make(s, e.roots, 1, 1);
		policy_fixture_publish(&e.ws, old, e.roots, 1, NULL, 0, e.dir);
		assert_false(adopt(&e, cur, &serial, &err));
		assert_error_code(err, FERRY_E_POLICY);
		ferry_error_clear(&err);
		policy_free(old);
	}
	policy_free(cur);
	free(e.dir);
}

static void test_policy_root_rotation_accepted(void **state)
{
	struct adopt_env e;
	adopt_env(state, &e);
	struct policy *cur = policy_fixture_make(1, e.roots, 1, 1);   /* root 1 */
	/* serial 2 names root 3 only, whose key the device gets from keys.asc */
	struct policy *rot = policy_fixture_make(2, (const char (*)[PGP_FPR_LEN + 1])&e.roots[2], 1, 1);
	struct ferry_error *err = NULL;
	int64_t serial = 0;
	/* signed by the old root only: it would not load again afterwards */
	policy_fixture_publish(&e.ws, rot, e.roots, 1, (const char (*)[PGP_FPR_LEN + 1])&e.roots[2], 1, e.dir);
	assert_false(adopt(&e, cur, &serial, &err));
	assert_error_code(err, FERRY_E_POLICY);
	ferry_error_clear(&err);
	/* signed by the new root only: the current root did not agree */
	policy_fixture_publish(&e.ws, rot, (const char (*)[PGP_FPR_LEN + 1])&e.roots[2], 1,
		(const char (*)[PGP_FPR_LEN + 1])&e.roots[2], 1, e.dir);
	assert_false(adopt(&e, cur, &serial, &err));
	assert_error_code(err, FERRY_E_POLICY);
	ferry_error_clear(&err);
	/* old and new root: rotation accepted, and it loads as the current policy */
	char both[2][PGP_FPR_LEN + 1];
	memcpy(both[0], e.roots[0], sizeof(both[0]));
	memcpy(both[1], e.roots[2], sizeof(both[1]));
	policy_fixture_publish(&e.ws, rot, both, 2, (const char (*)[PGP_FPR_LEN + 1])&e.roots[2], 1, e.dir);
	assert_ok(adopt(&e, cur, &serial, &err), err);
	assert_int_equal(serial, 2);
	struct policy *loaded = NULL;
	assert_ok(policy_load_dir(e.dev.pgp, e.dir, &loaded, &err), err);
	assert_true(policy_is_root(loaded, e.roots[2]));
	/* afterwards the old root alone can no longer move the policy */
	struct policy *next = policy_fixture_make(3, e.roots, 1, 1);
	policy_fixture_publish(&e.ws, next, e.roots, 1, NULL, 0, e.dir);
	assert_false(adopt(&e, loaded, &serial, &err));
	assert_error_code(err, FERRY_E_POLICY);
	ferry_error_free(err);
	policy_free(next);
	policy_free(loaded);
	policy_free(rot);
	policy_free(cur);
	free(e.dir);
}

static void test_policy_load_dir_refuses_tampered_bytes(void **state)
{
	struct adopt_env e;
	adopt_env(state, &e);
	struct policy *p = policy_fixture_make(5, e.roots, 1, 1);
	struct ferry_error *err = NULL;
	policy_fixture_publish(&e.ws, p, e.roots, 1, NULL, 0, e.dir);
	struct policy *loaded = NULL;
	assert_ok(policy_load_dir(e.dev.pgp, e.dir, &loaded, &err), err);
	assert_int_equal(loaded->serial, 5);
	policy_free(loaded);
	char *text = policy_serialize(p), *path = NULL;
	*strstr(text, "\"serial\": 5") = ' ';
	assert_true(asprintf(&path, "%s/policy.json", e.dir) > 0);
	assert_ok(safe_write_atomic(path, text, strlen(text), 0644, &err), err);
	assert_false(policy_load_dir(e.dev.pgp, e.dir, &loaded, &err));
	assert_error_code(err, FERRY_E_SIGNATURE);
	assert_error_contains(err, ": bad");
	ferry_error_free(err);
	free(path);
	free(text);
	policy_free(p);
	free(e.dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_parse_serialize_roundtrip),
		cmocka_unit_test(test_policy_rejects_every_bad_corpus_file),
		cmocka_unit_test(test_policy_accepts_every_good_corpus_file),
		cmocka_unit_test(test_policy_counts_only_valid_listed_signatures),
		cmocka_unit_test(test_policy_signer_outside_device_type_scope),
		cmocka_unit_test(test_policy_two_person_rule_needs_distinct_signers),
		cmocka_unit_test(test_policy_revoked_signer_refused),
		cmocka_unit_test(test_policy_expired_signer_refused),
		cmocka_unit_test(test_policy_role_for_acknowledgements),
		cmocka_unit_test(test_policy_lockout_guard),
		cmocka_unit_test(test_policy_lockout_guard_checks_scopes),
		cmocka_unit_test(test_policy_write_dir_slash_and_failure),
		pgp_unit_test(test_policy_adopt_needs_threshold_of_current_roots),
		pgp_unit_test(test_policy_adopt_refuses_replayed_older_policy),
		pgp_unit_test(test_policy_root_rotation_accepted),
		pgp_unit_test(test_policy_load_dir_refuses_tampered_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
