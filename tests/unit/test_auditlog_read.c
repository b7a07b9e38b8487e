/* Tests for common/auditlog_read.c: auditlog_line_read, the import's one-pass
 * reader, against auditlog_line_parse (the jansson reader) on the fuzz
 * corpus, on records as devices write them and on thousands of mutations of
 * them: the same verdict, code, message and fields every time, and the one
 * pass really taken for plain records. */
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/auditlog.h"
#include "common/json.h"
#include "common/safefile.h"

static void same_string(const char *a, const char *b, const char *what)
{
	if ((a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0))
		fail_msg("%s: '%s' vs '%s'", what, a ? a : "(null)", b ? b : "(null)");
}

/* Both readers on one line; returns whether the one pass took it. */
static bool compare_readers(const char *line, size_t len)
{
	struct auditlog_record fast, slow;
	struct ferry_error *ef = NULL, *es = NULL;
	bool okf = auditlog_line_read(line, len, &fast, &ef);
	bool oks = auditlog_line_parse(line, len, &slow, &es);
	bool one_pass = okf && fast.text != NULL;
	if (okf != oks)
		fail_msg("verdicts differ (read %d, parse %d) on: %.*s", okf, oks, (int)len, line);
	if (!oks) {
		assert_int_equal(ferry_error_code(ef), ferry_error_code(es));
		assert_string_equal(ferry_error_message(ef), ferry_error_message(es));
	} else {
		const struct auditlog_fields *a = &fast.f, *b = &slow.f;
		assert_int_equal(a->seq, b->seq);
		assert_int_equal(a->boot, b->boot);
		assert_int_equal(fast.format, slow.format);
		assert_int_equal(fast.n_unknown, slow.n_unknown);
		same_string(a->prev, b->prev, "prev");
		same_string(a->time, b->time, "time");
		same_string(a->device, b->device, "device");
		same_string(a->event, b->event, "event");
		same_string(a->bundle, b->bundle, "bundle");
		same_string(a->version, b->version, "version");
		same_string(a->result, b->result, "result");
		same_string(a->code, b->code, "code");
		same_string(a->usb_serial, b->usb_serial, "media.usb_serial");
		same_string(a->media_label, b->media_label, "media.label");
		same_string(a->usb_vendor, b->usb_vendor, "media.usb_vendor");
		same_string(a->usb_product, b->usb_product, "media.usb_product");
		same_string(a->log, b->log, "log");
		same_string(a->order, b->order, "order");
		same_string(a->technician, b->technician, "technician");
		assert_true((a->detail == NULL) == (b->detail == NULL));
		assert_true(!a->detail || json_equal((json_t *)a->detail, (json_t *)b->detail));
	}
	auditlog_record_clear(&fast);
	auditlog_record_clear(&slow);
	ferry_error_free(ef);
	ferry_error_free(es);
	return one_pass;
}

/* Records as the agent writes them, one per kind of content. */
static char *device_line(int kind)
{
	struct ferry_error *err = NULL;
	char *line = NULL;
	json_t *details[] = {
		NULL,
		json_pack("{s:s}", "reason", "health check failed (exit 3)"),
		json_pack("{s:[{s:s,s:s}], s:i}", "reasons", "code", "policy", "message",
			  "below the floor", "serial", 7),
		json_pack("{s:s, s:b, s:n, s:[i,i]}", "reason", "caf\xc3\xa9 \"q\"", "t", 1, "z", "w",
			  -1, 12),
	};
	json_t *detail = details[kind % 4];
	struct auditlog_fields f = {
		.seq = 1 + (uint64_t)kind * 997, .prev = AUDITLOG_GENESIS_PREV,
		.time = "2026-11-27T09:42:08Z", .boot = kind, .device = "gw-0001",
		.event = "install.finished", .bundle = kind % 2 ? "os" : NULL, .version = "1.0.0",
		.result = kind % 3 ? "failure" : "success", .code = kind % 3 ? "hook" : NULL,
		.usb_serial = kind % 2 ? "4C53" : NULL, .media_label = "FERRY",
		.usb_vendor = kind % 5 == 1 ? "0781" : NULL, .usb_product = kind % 5 == 1 ? "5581" : NULL,
		.log = kind % 4 == 2 ? "ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12" : NULL,
		.order = kind % 3 == 2 ? "wo-17" : NULL, .technician = kind % 3 == 2 ? "t.x" : NULL,
		.detail = detail,
	};
	assert_ok(auditlog_line_build(&f, &line, &err), err);
	for (size_t i = 0; i < 4; i++)
		json_decref(details[i]);
	return line;
}

static void test_auditlog_read_takes_device_records_in_one_pass(void **state)
{
	(void)state;
	for (int kind = 0; kind < 12; kind++) {
		char *line = device_line(kind);
		bool one_pass = compare_readers(line, strlen(line));
		/* a detail string with an escape or UTF-8 leaves the one pass unsure */
		assert_int_equal(one_pass, kind % 4 != 3);
		free(line);
	}
}

/* Hand-made lines around each rule: types, ranges, versions, spelling. */
static void test_auditlog_read_agrees_on_edge_cases(void **state)
{
	(void)state;
	static const char *const lines[] = {
		"{}", "[]", "", "{", "{\"seq\":1}", "null",
		"{\"boot\":0,\"device\":\"d\",\"event\":\"\",\"prev\":\"" AUDITLOG_GENESIS_PREV "\",\"result\":\"info\",\"seq\":1,\"time\":\"2026-11-27T09:42:08Z\"}",
		"{\"boot\":0,\"device\":\"d\",\"event\":\"e\",\"format\":1,\"prev\":\"" AUDITLOG_GENESIS_PREV "\",\"result\":\"info\",\"seq\":1,\"time\":\"2026-11-27T09:42:08Z\",\"zz\":[1,{\"a\":null}]}",
		"{\"boot\":0,\"device\":\"d\",\"event\":\"e\",\"format\":2,\"prev\":\"" AUDITLOG_GENESIS_PREV "\",\"result\":\"info\",\"seq\":1,\"time\":\"2026-11-27T09:42:08Z\"}",
		"{\"boot\":0,\"device\":\"d\",\"event\":\"e\",\"format\":0,\"prev\":\"" AUDITLOG_GENESIS_PREV "\",\"result\":\"info\",\"seq\":1,\"time\":\"2026-11-27T09:42:08Z\"}",
		"{\"boot\":-1,\"device\":\"d\",\"event\":\"e\",\"prev\":\"" AUDITLOG_GENESIS_PREV "\",\"result\":\"info\",\"seq\":1,\"time\":\"2026-11-27T09:42:08Z\"}",
		"{\"boot\":0,\"device\":\"d\",\"event\":\"e\",\"prev\":\"" AUDITLOG_GENESIS_PREV "\",\"result\":\"info\",\"seq\":0,\"time\":\"2026-11-27T09:42:08Z\"}",
		"{\"boot\":0,\"device\":\"d\",\"event\":\"e\",\"prev\":\"" AUDITLOG_GENESIS_PREV "\",\"result\":\"info\",\"seq\":9223372036854775807,\"time\":\"2026-11-27T09:42:08Z\"}",
		"{\"boot\":0,\"device\":\"d\",\"event\":\"e\",\"prev\":\"" AUDITLOG_GENESIS_PREV "\",\"result\":\"info\",\"seq\":9223372036854775808,\"time\":\"2026-11-27T09:42:08Z\"}",
		"{\"boot\":0,\"device\":\"d\",\"event\":\"e\",\"prev\":\"" AUDITLOG_GENESIS_PREV "\",\"result\":\"info\",\"seq\":1,\"time\":\"2026-11-27T09:42:08Z\",\"x\":123456789012345678901234567890}",
		"{\"boot\":0,\"device\":\"d\",\"event\":\"e\",\"prev\":\"" AUDITLOG_GENESIS_PREV "\",\"result\":\"info\",\"seq\":1.0,\"time\":\"2026-11-27T09:42:08Z\"}",
		"{\"boot\":0,\"device\":\"d\",\"event\":\"e\",\"prev\":\"" AUDITLOG_GENESIS_PREV "\",\"result\":\"info\",\"seq\":\"1\",\"time\":\"2026-11-27T09:42:08Z\"}",
		"{\"boot\":0,\"device\":\"d\",\"event\":\"e\",\"prev\":\"" AUDITLOG_GENESIS_PREV "\",\"result\":\"maybe\",\"seq\":1,\"time\":\"2026-11-27T09:42:08Z\"}",
		"{\"boot\":0,\"bundle\":null,\"device\":\"d\",\"event\":\"e\",\"prev\":\"" AUDITLOG_GENESIS_PREV "\",\"result\":\"info\",\"seq\":1,\"time\":\"2026-11-27T09:42:08Z\"}",
		"{\"boot\":0,\"detail\":[],\"device\":\"d\",\"event\":\"e\",\"prev\":\"" AUDITLOG_GENESIS_PREV "\",\"result\":\"info\",\"seq\":1,\"time\":\"2026-11-27T09:42:08Z\"}",
		"{\"boot\":0,\"device\":\"d\",\"event\":\"e\",\"media\":{\"label\":1},\"prev\":\"" AUDITLOG_GENESIS_PREV "\",\"result\":\"info\",\"seq\":1,\"time\":\"2026-11-27T09:42:08Z\"}",
		"{\"boot\":0,\"device\":\"d\",\"event\":\"e\",\"media\":{\"extra\":[true],\"label\":\"L\"},\"prev\":\"" AUDITLOG_GENESIS_PREV "\",\"result\":\"info\",\"seq\":1,\"time\":\"2026-11-27T09:42:08Z\"}",
		"{\"boot\":0,\"device\":\"d\",\"event\":\"e\",\"media\":\"L\",\"prev\":\"" AUDITLOG_GENESIS_PREV "\",\"result\":\"info\",\"seq\":1,\"time\":\"2026-11-27T09:42:08Z\"}",
		"{\"boot\":0,\"device\":\"d\",\"event\":\"e\",\"prev\":\"" AUDITLOG_GENESIS_PREV "\",\"result\":\"info\",\"seq\":1,\"seq\":2,\"time\":\"2026-11-27T09:42:08Z\"}",
		"{\"boot\":0,\"device\":\"d\",\"event\":\"e\",\"prev\":\"" AUDITLOG_GENESIS_PREV "\",\"result\":\"info\",\"seq\":1,\"time\":\"2026-11-27T09:42:08Z\"} ",
		"{\"boot\":0, \"device\":\"d\",\"event\":\"e\",\"prev\":\"" AUDITLOG_GENESIS_PREV "\",\"result\":\"info\",\"seq\":1,\"time\":\"2026-11-27T09:42:08Z\"}",
		"{\"boot\":0,\"detail\":{\"a\":[[[[[[[[[[1]]]]]]]]]]},\"device\":\"d\",\"event\":\"e\",\"prev\":\"" AUDITLOG_GENESIS_PREV "\",\"result\":\"info\",\"seq\":1,\"time\":\"2026-11-27T09:42:08Z\"}",
		"{\"boot\":0,\"device\":\"d\",\"event\":\"e\",\"prev\":\"" AUDITLOG_GENESIS_PREV "\",\"result\":\"info\",\"seq\":01,\"time\":\"2026-11-27T09:42:08Z\"}",
		"{\"boot\":0,\"device\":\"D\",\"event\":\"e\",\"prev\":\"" AUDITLOG_GENESIS_PREV "\",\"result\":\"info\",\"seq\":1,\"time\":\"2026-11-27T09:42:08Z\"}",
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		compare_readers(lines[i], strlen(lines[i]));
	/* a NUL inside, and a line longer than any record may be */
	static const char nul[] = "{\"boot\":0,\"device\":\"d\0\"}";
	compare_readers(nul, sizeof(nul) - 1);
	char *line = device_line(0), *long_line = malloc(AUDITLOG_LINE_MAX + 2);
	size_t n = strlen(line);
	for (size_t len = AUDITLOG_LINE_MAX; len <= AUDITLOG_LINE_MAX + 1; len++) {
		memset(long_line, 'a', len);
		memcpy(long_line, line, n - 1);   /* an unknown field "zz" fills it up */
		memcpy(long_line + n - 1, ",\"zz\":\"", 7);
		long_line[len - 2] = '"';
		long_line[len - 1] = '}';
		assert_int_equal(compare_readers(long_line, len), len == AUDITLOG_LINE_MAX);
	}
	free(long_line);
	free(line);
}

/* Deterministic mutations: a byte replaced, deleted or doubled, anywhere. */
static void test_auditlog_read_agrees_on_mutated_records(void **state)
{
	(void)state;
	static const char alphabet[] = "{}[]\":,0123456789-.eEtrufalsn \\abz\x7f\x01\xc3";
	uint32_t rnd = 12345;
	size_t taken = 0;
	for (int kind = 0; kind < 8; kind++) {
		char *line = device_line(kind);
		size_t n = strlen(line);
		char *m = malloc(n + 2);
		for (int i = 0; i < 2500; i++) {
			rnd = rnd * 1103515245u + 12345u;
			size_t at = (rnd >> 8) % n, len = n;
			char c = alphabet[(rnd >> 20) % (sizeof(alphabet) - 1)];
			memcpy(m, line, n);
			switch (rnd % 3) {
			case 0: m[at] = c; break;
			case 1: memmove(m + at, m + at + 1, n - at - 1); len--; break;
			default: memmove(m + at + 1, m + at, n - at); len++; break;
			}
			taken += compare_readers(m, len);
		}
		free(m);
		free(line);
	}
	assert_true(taken > 0);
}

/* Every committed input of the line and chain fuzz targets, line by line. */
static void test_auditlog_read_agrees_on_the_fuzz_corpus(void **state)
{
	(void)state;
	static const char *const names[] = { "audit_line", "audit_chain" };
	const char *root = getenv("FERRY_ROOT");
	size_t files = 0;
	for (size_t d = 0; d < 2; d++) {
		char dirs[2][4096];
		snprintf(dirs[d], sizeof(dirs[d]), "%s/tests/fuzz/corpus/%s", root ? root : "..",
			 names[d]);
		DIR *dir = opendir(dirs[d]);
		assert_non_null(dir);
		for (struct dirent *e; (e = readdir(dir));) {
			char *path = NULL, *data = NULL;
			size_t len = 0;
			if (e->d_name[0] == '.' || asprintf(&path, "%s/%s", dirs[d], e->d_name) < 0)
				continue;
			if (read_file_limited(path, 1 << 20, &data, &len, NULL)) {
				for (char *p = data, *nl; p < data + len; p = nl + 1) {
					nl = memchr(p, '\n', (size_t)(data + len - p));
					if (!nl)
						nl = data + len;
					compare_readers(p, (size_t)(nl - p));
				}
				files++;
			}
			free(data);
			free(path);
		}
		closedir(dir);
	}
	assert_true(files >= 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_auditlog_read_takes_device_records_in_one_pass),
		cmocka_unit_test(test_auditlog_read_agrees_on_edge_cases),
		cmocka_unit_test(test_auditlog_read_agrees_on_mutated_records),
		cmocka_unit_test(test_auditlog_read_agrees_on_the_fuzz_corpus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
