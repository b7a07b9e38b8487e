/* Tests for common/auditlog.c: record lines, chain verification edge cases
 * (gap, fork, swap, alteration, wrong device, truncation) and export names. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/auditlog.h"
#include "common/json.h"
#include "common/safefile.h"
#include "pgp_fixture.h"

#define N_CHAIN 5

/* Builds N_CHAIN chained lines for device, starting at seq first with prev. */
static void build_chain(const char *device, uint64_t first, const char *prev0, char *lines[N_CHAIN])
{
	char prev[SHA256_HEX_LEN + 1];
	struct ferry_error *err = NULL;
	snprintf(prev, sizeof(prev), "%s", prev0);
	for (int i = 0; i < N_CHAIN; i++) {
		json_t *detail = json_pack("{s:i}", "n", i);
		struct auditlog_fields f = {
			.seq = first + (uint64_t)i, .prev = prev, .time = "2026-11-27T09:42:08Z",
			.boot = 3, .device = device, .event = "install.finished", .bundle = "os",
			.version = "1.0.0", .result = "success", .detail = detail,
		};
		assert_ok(auditlog_line_build(&f, &lines[i], &err), err);
		auditlog_line_hash(lines[i], strlen(lines[i]), prev);
		json_decref(detail);
	}
}

/* Joins lines in the given order (indices; -1 ends) with "\n" after each. */
static char *join(char *lines[], const int *order)
{
	size_t len = 0;
	for (const int *o = order; *o >= 0; o++)
		len += strlen(lines[*o]) + 1;
	char *buf = calloc(1, len + 1);
	for (const int *o = order; *o >= 0; o++) {
		strcat(buf, lines[*o]);
		strcat(buf, "\n");
	}
	return buf;
}

static void free_lines(char *lines[N_CHAIN])
{
	for (int i = 0; i < N_CHAIN; i++)
		free(lines[i]);
}

/* Verification of order must fail as a broken chain, naming where (needle). */
static void expect_chain_error(char *lines[], const int *order, const char *device,
			       const char *expected_prev, const char *needle)
{
	struct ferry_error *err = NULL;
	char *buf = join(lines, order);
	assert_false(auditlog_chain_verify(buf, strlen(buf), "x.jsonl", device, expected_prev, NULL, &err));
	assert_error_code(err, FERRY_E_INTEGRITY);
	assert_error_contains(err, needle);
	ferry_error_free(err);
	free(buf);
}

static void test_auditlog_line_is_canonical_and_omits_absent_values(void **state)
{
	(void)state;
	char *line = NULL;
	struct ferry_error *err = NULL;
	struct auditlog_fields f = {
		.seq = 1, .prev = AUDITLOG_GENESIS_PREV, .time = "2026-11-27T09:42:08Z", .boot = 1,
		.device = "gw-0001", .event = "boot.committed", .result = "info",
		.usb_serial = "AA01",
	};
	assert_ok(auditlog_line_build(&f, &line, &err), err);
	assert_string_equal(line, "{\"boot\":1,\"device\":\"gw-0001\",\"event\":\"boot.committed\","
			    "\"format\":1,\"media\":{\"usb_serial\":\"AA01\"},\"prev\":\"" AUDITLOG_GENESIS_PREV "\","
			    "\"result\":\"info\",\"seq\":1,\"time\":\"2026-11-27T09:42:08Z\"}");
	struct auditlog_record r;
	assert_ok(auditlog_line_parse(line, strlen(line), &r, &err), err);
	assert_int_equal(r.f.seq, 1);
	assert_int_equal(r.format, AUDITLOG_FORMAT);
	assert_string_equal(r.f.event, "boot.committed");
	assert_string_equal(r.f.usb_serial, "AA01");
	assert_null(r.f.bundle);
	assert_null(r.f.code);
	auditlog_record_clear(&r);
	free(line);
}

static void test_auditlog_build_rejects_bad_fields(void **state)
{
	(void)state;
	char *line = NULL;
	struct ferry_error *err = NULL;
	struct auditlog_fields f = {
		.seq = 1, .prev = AUDITLOG_GENESIS_PREV, .time = "2026-11-27 09:42:08", .boot = 1,
		.device = "gw-0001", .event = "x", .result = "info",
	};
	assert_false(auditlog_line_build(&f, &line, &err));
	assert_error_contains(err, "time");
	ferry_error_clear(&err);
	f.time = "2026-11-27T09:42:08Z";
	f.device = "GW/1";
	assert_false(auditlog_line_build(&f, &line, &err));
	assert_error_contains(err, "device");
	ferry_error_clear(&err);
	f.device = "gw-1";
	f.result = "ok";
	assert_false(auditlog_line_build(&f, &line, &err));
	assert_error_contains(err, "result");
	ferry_error_free(err);
	assert_null(line);
}

static void test_auditlog_parse_rejects_non_canonical(void **state)
{
	(void)state;
	struct auditlog_record r;
	struct ferry_error *err = NULL;
	const char *spaced = "{\"boot\": 1,\"device\":\"d\",\"event\":\"e\",\"prev\":\"" AUDITLOG_GENESIS_PREV
			     "\",\"result\":\"info\",\"seq\":1,\"time\":\"2026-11-27T09:42:08Z\"}";
	assert_false(auditlog_line_parse(spaced, strlen(spaced), &r, &err));
	assert_int_equal(ferry_error_code(err), FERRY_E_INTEGRITY);
	ferry_error_free(err);
}

/* A record of the same major version with a field this reader does not know
 * (a device upgraded before HQ) is data: parsed, counted, kept in the line. */
static void test_auditlog_parse_accepts_unknown_fields_of_same_major(void **state)
{
	(void)state;
	struct auditlog_record r;
	struct ferry_error *err = NULL;
	const char *extra = "{\"boot\":1,\"device\":\"d\",\"event\":\"e\",\"format\":1,"
			    "\"media\":{\"port\":\"1-2\",\"usb_serial\":\"S\"},\"newer\":{\"x\":[1]},\"prev\":\""
			    AUDITLOG_GENESIS_PREV "\",\"result\":\"info\",\"seq\":1,\"time\":\"2026-11-27T09:42:08Z\"}";
	assert_ok(auditlog_line_parse(extra, strlen(extra), &r, &err), err);
	assert_int_equal(r.n_unknown, 1);
	assert_string_equal(r.f.usb_serial, "S");
	assert_non_null(json_object_get(r.json, "newer"));
	auditlog_record_clear(&r);
	/* Without "format": written before the field existed, format 1. */
	const char *old = "{\"boot\":1,\"device\":\"d\",\"event\":\"e\",\"prev\":\"" AUDITLOG_GENESIS_PREV
			  "\",\"result\":\"info\",\"seq\":1,\"time\":\"2026-11-27T09:42:08Z\"}";
	assert_ok(auditlog_line_parse(old, strlen(old), &r, &err), err);
	assert_int_equal(r.format, 1);
	assert_int_equal(r.n_unknown, 0);
	auditlog_record_clear(&r);
}

static void test_auditlog_parse_refuses_unknown_major_and_bad_known_fields(void **state)
{
	(void)state;
	struct auditlog_record r;
	struct ferry_error *err = NULL;
	const char *major = "{\"boot\":1,\"device\":\"d\",\"event\":\"e\",\"format\":2,\"prev\":\""
			    AUDITLOG_GENESIS_PREV "\",\"result\":\"info\",\"seq\":1,\"time\":\"2026-11-27T09:42:08Z\"}";
	assert_false(auditlog_line_parse(major, strlen(major), &r, &err));
	assert_int_equal(ferry_error_code(err), FERRY_E_FORMAT);
	assert_error_contains(err, "format 2");
	ferry_error_clear(&err);
	/* Known fields stay strict: a code of the wrong type or spelling. */
	const char *code = "{\"boot\":1,\"code\":7,\"device\":\"d\",\"event\":\"e\",\"prev\":\""
			   AUDITLOG_GENESIS_PREV "\",\"result\":\"failure\",\"seq\":1,\"time\":\"2026-11-27T09:42:08Z\"}";
	assert_false(auditlog_line_parse(code, strlen(code), &r, &err));
	assert_int_equal(ferry_error_code(err), FERRY_E_FORMAT);
	ferry_error_clear(&err);
	const char *spelled = "{\"boot\":1,\"code\":\"Bad Code\",\"device\":\"d\",\"event\":\"e\",\"prev\":\""
			      AUDITLOG_GENESIS_PREV "\",\"result\":\"failure\",\"seq\":1,\"time\":\"2026-11-27T09:42:08Z\"}";
	assert_false(auditlog_line_parse(spelled, strlen(spelled), &r, &err));
	assert_int_equal(ferry_error_code(err), FERRY_E_FORMAT);
	ferry_error_free(err);
}

static void test_auditlog_code_round_trips(void **state)
{
	(void)state;
	char *line = NULL;
	struct auditlog_record r;
	struct ferry_error *err = NULL;
	struct auditlog_fields f = {
		.seq = 1, .prev = AUDITLOG_GENESIS_PREV, .time = "2026-11-27T09:42:08Z", .boot = 1,
		.device = "gw-0001", .event = "install.refused", .result = "refused",
		.code = ferry_code_name(FERRY_E_SIGNATURE),
	};
	assert_ok(auditlog_line_build(&f, &line, &err), err);
	assert_ok(auditlog_line_parse(line, strlen(line), &r, &err), err);
	assert_string_equal(r.f.code, "signature");
	auditlog_record_clear(&r);
	free(line);
	f.code = "No Such";
	assert_false(auditlog_line_build(&f, &line, &err));
	assert_error_contains(err, "code");
	ferry_error_free(err);
}

/* The stick's USB ids in the media fields (format 1, a minor addition):
 * written, parsed back, canonical; a reader before them keeps them as data
 * (test_auditlog_parse_accepts_unknown_fields_of_same_major). */
static void test_auditlog_media_usb_ids_round_trip(void **state)
{
	(void)state;
	char *line = NULL;
	struct auditlog_record r;
	struct ferry_error *err = NULL;
	struct auditlog_fields f = {
		.seq = 1, .prev = AUDITLOG_GENESIS_PREV, .time = "2026-11-27T09:42:08Z", .boot = 1,
		.device = "gw-0001", .event = "install.finished", .result = "success",
		.usb_serial = "4C53", .media_label = "FIELD", .usb_vendor = "0781", .usb_product = "5581",
	};
	assert_ok(auditlog_line_build(&f, &line, &err), err);
	assert_non_null(strstr(line, "\"media\":{\"label\":\"FIELD\",\"usb_product\":\"5581\","
				     "\"usb_serial\":\"4C53\",\"usb_vendor\":\"0781\"}"));
	assert_ok(auditlog_line_parse(line, strlen(line), &r, &err), err);
	assert_string_equal(r.f.usb_vendor, "0781");
	assert_string_equal(r.f.usb_product, "5581");
	auditlog_record_clear(&r);
	free(line);
}

/* Builds f into a line and parses it back into r (caller clears r). */
static void round_trip(const struct auditlog_fields *f, struct auditlog_record *r)
{
	char *line = NULL;
	struct ferry_error *err = NULL;
	assert_ok(auditlog_line_build(f, &line, &err), err);
	assert_ok(auditlog_line_parse(line, strlen(line), r, &err), err);
	free(line);
}

/* A line with one bad field (between "event" and "prev"): refused as format. */
static void refuse_line_with(const char *field)
{
	char *bad = NULL;
	struct auditlog_record r;
	struct ferry_error *err = NULL;
	assert_true(asprintf(&bad, "{\"boot\":1,\"device\":\"d\",\"event\":\"e\",%s,\"prev\":\""
			     AUDITLOG_GENESIS_PREV "\",\"result\":\"failure\",\"seq\":1,"
			     "\"time\":\"2026-11-27T09:42:08Z\"}", field) > 0);
	assert_false(auditlog_line_parse(bad, strlen(bad), &r, &err));
	assert_int_equal(ferry_error_code(err), FERRY_E_FORMAT);
	ferry_error_clear(&err);
	free(bad);
}

/* "log" names a failure log excerpt by its SHA-256; nothing else is one. */
static void test_auditlog_log_round_trips_and_is_strict(void **state)
{
	(void)state;
	char *line = NULL;
	struct auditlog_record r;
	struct ferry_error *err = NULL;
	const char *sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
	struct auditlog_fields f = {
		.seq = 1, .prev = AUDITLOG_GENESIS_PREV, .time = "2026-11-27T09:42:08Z", .boot = 1,
		.device = "gw-0001", .event = "boot.rolled_back", .result = "failure", .log = sha,
	};
	round_trip(&f, &r);
	assert_string_equal(r.f.log, sha);
	auditlog_record_clear(&r);
	refuse_line_with("\"log\":\"../../etc/passwd\"");
	f.log = "not-a-hash";
	assert_false(auditlog_line_build(&f, &line, &err));
	assert_error_contains(err, "log");
	ferry_error_free(err);
}

/* "order" and "technician" (work orders, a minor addition) round-trip and
 * must be ids. */
static void test_auditlog_order_fields_round_trip_and_are_ids(void **state)
{
	(void)state;
	char *line = NULL;
	struct auditlog_record r;
	struct ferry_error *err = NULL;
	struct auditlog_fields f = {
		.seq = 1, .prev = AUDITLOG_GENESIS_PREV, .time = "2026-11-27T09:42:08Z", .boot = 1,
		.device = "gw-0001", .event = "install.finished", .result = "success",
		.order = "wo-17", .technician = "t.alice",
	};
	round_trip(&f, &r);
	assert_string_equal(r.f.order, "wo-17");
	assert_string_equal(r.f.technician, "t.alice");
	assert_int_equal(r.n_unknown, 0);
	auditlog_record_clear(&r);
	refuse_line_with("\"order\":\"a b\"");
	f.technician = "t alice";
	assert_false(auditlog_line_build(&f, &line, &err));
	assert_error_contains(err, "technician");
	ferry_error_free(err);
}

static void test_auditlog_chain_accepts_intact_chain(void **state)
{
	(void)state;
	char *lines[N_CHAIN];
	struct auditlog_chain c;
	struct ferry_error *err = NULL;
	build_chain("gw-0001", 1, AUDITLOG_GENESIS_PREV, lines);
	const int all[] = { 0, 1, 2, 3, 4, -1 };
	char *buf = join(lines, all);
	assert_ok(auditlog_chain_verify(buf, strlen(buf), "x", "gw-0001", AUDITLOG_GENESIS_PREV, &c, &err), err);
	assert_int_equal(c.n, 5);
	assert_int_equal(c.first_seq, 1);
	assert_int_equal(c.last_seq, 5);
	char h[SHA256_HEX_LEN + 1];
	auditlog_line_hash(lines[4], strlen(lines[4]), h);
	assert_string_equal(c.last_hash, h);
	/* A later export continues from the hash of the last record held. */
	const int tail[] = { 3, 4, -1 };
	free(buf);
	buf = join(lines, tail);
	char h2[SHA256_HEX_LEN + 1];
	auditlog_line_hash(lines[2], strlen(lines[2]), h2);
	assert_ok(auditlog_chain_verify(buf, strlen(buf), "x", "gw-0001", h2, &c, &err), err);
	assert_int_equal(c.first_seq, 4);
	free(buf);
	free_lines(lines);
}

static void test_auditlog_chain_detects_gap(void **state)
{
	(void)state;
	char *lines[N_CHAIN];
	build_chain("gw-0001", 1, AUDITLOG_GENESIS_PREV, lines);
	const int gap[] = { 0, 1, 3, 4, -1 };
	expect_chain_error(lines, gap, "gw-0001", NULL, "line 3: seq 4 where 3 was expected");
	free_lines(lines);
}

static void test_auditlog_chain_detects_swap_and_duplicate(void **state)
{
	(void)state;
	char *lines[N_CHAIN];
	build_chain("gw-0001", 1, AUDITLOG_GENESIS_PREV, lines);
	const int swap[] = { 0, 2, 1, 3, 4, -1 };
	expect_chain_error(lines, swap, "gw-0001", NULL, "reordered");
	const int dup[] = { 0, 1, 1, 2, -1 };
	expect_chain_error(lines, dup, "gw-0001", NULL, "line 3: seq 2 where 3 was expected");
	free_lines(lines);
}

static void test_auditlog_chain_detects_alteration(void **state)
{
	(void)state;
	char *lines[N_CHAIN];
	build_chain("gw-0001", 1, AUDITLOG_GENESIS_PREV, lines);
	/* Same shape, other content: the next record's prev no longer matches. */
	char *p = strstr(lines[1], "\"success\"");
	memcpy(p, "\"failure\"", 9);
	const int all[] = { 0, 1, 2, 3, 4, -1 };
	expect_chain_error(lines, all, "gw-0001", NULL, "line 3 (seq 3): prev does not match");
	free_lines(lines);
}

static void test_auditlog_chain_detects_fork(void **state)
{
	(void)state;
	char *a[N_CHAIN], *b[N_CHAIN];
	build_chain("gw-0001", 1, AUDITLOG_GENESIS_PREV, a);
	/* A second history with the same seqs but other prevs (seq 1 is the
	 * genesis of both; from seq 2 on they differ as their content does). */
	char other[SHA256_HEX_LEN + 1];
	sha256_buffer_hex("other", 5, other);
	build_chain("gw-0001", 3, other, b);
	char *mixed[N_CHAIN] = { a[0], a[1], b[0], b[1], b[2] };
	const int all[] = { 0, 1, 2, 3, 4, -1 };
	expect_chain_error(mixed, all, "gw-0001", NULL, "line 3 (seq 3): prev does not match");
	/* The fork alone verifies, but not as the continuation of what HQ holds. */
	char held[SHA256_HEX_LEN + 1];
	auditlog_line_hash(a[1], strlen(a[1]), held);
	expect_chain_error(b, all, "gw-0001", held, "line 1 (seq 3): prev does not match");
	free_lines(a);
	free_lines(b);
}

static void test_auditlog_chain_detects_wrong_device_and_genesis(void **state)
{
	(void)state;
	char *lines[N_CHAIN];
	build_chain("gw-0002", 1, AUDITLOG_GENESIS_PREV, lines);
	const int all[] = { 0, 1, 2, 3, 4, -1 };
	expect_chain_error(lines, all, "gw-0001", NULL, "record of device 'gw-0002', expected 'gw-0001'");
	free_lines(lines);
	char bad[SHA256_HEX_LEN + 1];
	sha256_buffer_hex("x", 1, bad);
	build_chain("gw-0001", 1, bad, lines);
	expect_chain_error(lines, all, "gw-0001", NULL, "genesis");
	free_lines(lines);
}

static void test_auditlog_chain_rejects_truncated_and_empty(void **state)
{
	(void)state;
	char *lines[N_CHAIN];
	struct ferry_error *err = NULL;
	build_chain("gw-0001", 1, AUDITLOG_GENESIS_PREV, lines);
	const int all[] = { 0, 1, -1 };
	char *buf = join(lines, all);
	assert_false(auditlog_chain_verify(buf, strlen(buf) - 5, "x", "gw-0001", NULL, NULL, &err));
	assert_error_contains(err, "newline");
	ferry_error_clear(&err);
	assert_false(auditlog_chain_verify(buf, 0, "x", "gw-0001", NULL, NULL, &err));
	assert_error_contains(err, "no records");
	ferry_error_free(err);
	free(buf);
	free_lines(lines);
}

static void test_auditlog_export_name_round_trips(void **state)
{
	(void)state;
	char name[128], dev[AUDITLOG_DEVICE_ID_MAX + 1];
	uint64_t first = 0, last = 0;
	struct ferry_error *err = NULL;
	assert_ok(auditlog_export_name("gw-0.1", 7, 42, name, sizeof(name), &err), err);
	assert_string_equal(name, "gw-0.1.00000007-00000042.jsonl");
	assert_ok(auditlog_export_name_parse(name, dev, &first, &last, &err), err);
	assert_string_equal(dev, "gw-0.1");
	assert_int_equal(first, 7);
	assert_int_equal(last, 42);
	const char *bad[] = { "gw.00000001-00000002.jsonl.sig", "gw.1-2.jsonl", "gw.00000003-00000002.jsonl",
			      "GW.00000001-00000002.jsonl", ".00000001-00000002.jsonl", "inventory.json" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(auditlog_export_name_parse(bad[i], dev, &first, &last, &err));
		assert_non_null(err);
		ferry_error_clear(&err);
	}
}

/* Device home h[0] signs exports; HQ home h[1] holds the device's public key. */
static char *write_export(struct pgp_homes *hs, char fpr[PGP_FPR_LEN + 1], char *lines[N_CHAIN])
{
	struct ferry_error *err = NULL;
	char *path = NULL, *dir = NULL;
	pgp_home_key(&hs->h[0], "gw-0001 <device@ferry.test>", fpr);
	pgp_home_copy_public(&hs->h[0], &hs->h[1], fpr);
	build_chain("gw-0001", 1, AUDITLOG_GENESIS_PREV, lines);
	assert_true(asprintf(&dir, "%s/stick/ferry/audit/gw-0001", hs->h[2].dir) > 0);
	assert_ok(auditlog_export_write(dir, "gw-0001", lines, N_CHAIN, hs->h[0].pgp, fpr, &path, &err), err);
	free(dir);
	return path;
}

static void test_auditlog_export_written_signed_and_verified(void **state)
{
	struct pgp_homes *hs = *state;
	char fpr[PGP_FPR_LEN + 1], *lines[N_CHAIN];
	char *path = write_export(hs, fpr, lines);
	struct ferry_error *err = NULL;
	assert_non_null(strstr(path, "/gw-0001.00000001-00000005.jsonl"));
	char *data = NULL;
	size_t len = 0;
	struct auditlog_chain c;
	assert_ok(auditlog_export_read(path, hs->h[1].pgp, fpr, AUDITLOG_GENESIS_PREV, &data, &len, &c, &err), err);
	assert_int_equal(c.n, N_CHAIN);
	assert_int_equal(c.last_seq, 5);
	assert_memory_equal(data, lines[0], strlen(lines[0]));
	free(data);
	/* Signed by another key than the registered one: refused. */
	char other[PGP_FPR_LEN + 1];
	pgp_home_key(&hs->h[1], "someone <x@ferry.test>", other);
	assert_false(auditlog_export_read(path, hs->h[1].pgp, other, NULL, &data, &len, &c, &err));
	assert_error_contains(err, "not signed by the device key");
	ferry_error_free(err);
	free(path);
	free_lines(lines);
}

static void test_auditlog_export_refuses_tampering_and_missing_signature(void **state)
{
	struct pgp_homes *hs = *state;
	char fpr[PGP_FPR_LEN + 1], *lines[N_CHAIN];
	char *path = write_export(hs, fpr, lines);
	struct ferry_error *err = NULL;
	char *data = NULL, *orig = NULL;
	size_t len = 0, orig_len = 0;
	struct auditlog_chain c;
	assert_ok(read_file_limited(path, 1 << 20, &orig, &orig_len, &err), err);
	/* One byte changed in the last record (no later prev covers it). */
	char *bad = strdup(orig);
	char *p = strrchr(bad, 's');
	*p = 'S';
	assert_ok(safe_write_atomic(path, bad, orig_len, 0644, &err), err);
	assert_false(auditlog_export_read(path, hs->h[1].pgp, fpr, NULL, &data, &len, &c, &err));
	assert_error_contains(err, "signature bad");
	ferry_error_clear(&err);
	/* Renamed to claim other seqs: refused even with a good signature. */
	assert_ok(safe_write_atomic(path, orig, orig_len, 0644, &err), err);
	char *renamed = NULL, *sig = NULL, *rsig = NULL;
	assert_true(asprintf(&renamed, "%.*s00000002-00000006.jsonl", (int)(strrchr(path, '.') - path - 17), path) > 0);
	assert_true(asprintf(&sig, "%s.sig", path) > 0);
	assert_true(asprintf(&rsig, "%s.sig", renamed) > 0);
	assert_int_equal(rename(path, renamed), 0);
	assert_int_equal(rename(sig, rsig), 0);
	assert_false(auditlog_export_read(renamed, hs->h[1].pgp, fpr, NULL, &data, &len, &c, &err));
	assert_error_contains(err, "its name says 2-6");
	ferry_error_clear(&err);
	/* Without its signature the file is not accepted. */
	assert_int_equal(unlink(rsig), 0);
	assert_false(auditlog_export_read(renamed, hs->h[1].pgp, fpr, NULL, &data, &len, &c, &err));
	assert_error_contains(err, ".sig");
	ferry_error_free(err);
	free(renamed);
	free(sig);
	free(rsig);
	free(bad);
	free(orig);
	free(path);
	free_lines(lines);
}

/* What a hostile stick or bundle carries (1,500 signature reasons, a 1 MiB
 * signer list, deep nesting) makes a small record, marked truncated, and a
 * short one is kept as it is. */
static void test_auditlog_detail_bound_caps_hostile_detail(void **state)
{
	(void)state;
	char *big = malloc(1 << 20);
	assert_non_null(big);
	memset(big, 'A', (1 << 20) - 1);
	big[(1 << 20) - 1] = '\0';
	big[AUDITLOG_STRING_MAX - 1] = '\xc3';   /* a two-byte character across the cut */
	big[AUDITLOG_STRING_MAX] = '\xa9';
	json_t *reasons = json_array();
	for (int i = 0; i < 1500; i++)
		json_array_append_new(reasons, json_pack("{s:s,s:s}", "code", "signature", "message",
							 "signature by an unknown key 0123456789ABCDEF"));
	json_t *deep = json_pack("{s:{s:{s:{s:{s:{s:s}}}}}}", "a", "b", "c", "d", "e", "f", "g");
	json_t *detail = json_pack("{s:s,s:o,s:s,s:o}", "reason", "refused", "reasons", reasons,
				   "signers", big, "deep", deep);
	json_t *b = auditlog_detail_bound(detail);
	assert_non_null(b);
	char *text = json_dump_canonical(b);
	assert_true(strlen(text) <= AUDITLOG_DETAIL_MAX);
	assert_true(json_is_true(json_object_get(b, "truncated")));
	assert_string_equal(json_string_value(json_object_get(b, "reason")), "refused");
	assert_int_equal(json_array_size(json_object_get(b, "reasons")), AUDITLOG_DETAIL_ITEMS_MAX + 1);
	const char *sig = json_string_value(json_object_get(b, "signers"));
	assert_non_null(sig);
	assert_true(strlen(sig) < AUDITLOG_STRING_MAX + 40);
	assert_non_null(strstr(sig, "bytes cut]"));
	free(text);
	json_decref(b);
	json_t *small = json_pack("{s:s,s:[i]}", "reason", "no", "n", 1);
	b = auditlog_detail_bound(small);
	assert_true(json_equal(b, small));
	json_decref(b);
	json_decref(small);
	json_decref(detail);
	free(big);
}

/* A failing hook's output is kept by its end, where the reason is, and
 * shown visibly (invalid UTF-8 and control bytes as escapes). */
static void test_auditlog_tail_bound_keeps_the_end_visibly(void **state)
{
	(void)state;
	size_t n = 64 * 1024;
	char *out = malloc(n + 64);
	assert_non_null(out);
	memset(out, 'x', n);
	strcpy(out + n, "\xff\x1b[1m final: disk full\n");
	char *t = auditlog_tail_bound(out, AUDITLOG_LOG_TAIL_MAX);
	assert_non_null(t);
	assert_true(strlen(t) <= AUDITLOG_STRING_MAX);
	assert_non_null(strstr(t, "bytes cut] "));
	assert_non_null(strstr(t, "\\xff\\x1b[1m final: disk full\\x0a"));
	json_t *j = json_string(t);   /* valid UTF-8 */
	assert_non_null(j);
	json_decref(j);
	free(t);
	t = auditlog_tail_bound("short", AUDITLOG_LOG_TAIL_MAX);
	assert_string_equal(t, "short");
	free(t);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_auditlog_line_is_canonical_and_omits_absent_values),
		cmocka_unit_test(test_auditlog_detail_bound_caps_hostile_detail),
		cmocka_unit_test(test_auditlog_tail_bound_keeps_the_end_visibly),
		cmocka_unit_test(test_auditlog_build_rejects_bad_fields),
		cmocka_unit_test(test_auditlog_parse_rejects_non_canonical),
		cmocka_unit_test(test_auditlog_parse_accepts_unknown_fields_of_same_major),
		cmocka_unit_test(test_auditlog_parse_refuses_unknown_major_and_bad_known_fields),
		cmocka_unit_test(test_auditlog_code_round_trips),
		cmocka_unit_test(test_auditlog_media_usb_ids_round_trip),
		cmocka_unit_test(test_auditlog_log_round_trips_and_is_strict),
		cmocka_unit_test(test_auditlog_order_fields_round_trip_and_are_ids),
		cmocka_unit_test(test_auditlog_chain_accepts_intact_chain),
		cmocka_unit_test(test_auditlog_chain_detects_gap),
		cmocka_unit_test(test_auditlog_chain_detects_swap_and_duplicate),
		cmocka_unit_test(test_auditlog_chain_detects_alteration),
		cmocka_unit_test(test_auditlog_chain_detects_fork),
		cmocka_unit_test(test_auditlog_chain_detects_wrong_device_and_genesis),
		cmocka_unit_test(test_auditlog_chain_rejects_truncated_and_empty),
		cmocka_unit_test(test_auditlog_export_name_round_trips),
		pgp_unit_test(test_auditlog_export_written_signed_and_verified),
		pgp_unit_test(test_auditlog_export_refuses_tampering_and_missing_signature),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
