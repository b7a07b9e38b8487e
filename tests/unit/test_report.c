/* Tests for audit/report*.c: gathering a report from a real database (SQLite,
 * then PostgreSQL: db_target.h) and rendering it as text, CSV, JSON and
 * self-contained HTML. */
#include "db_target.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/report.h"
#include "common/json.h"

struct fixture {
	char *dir, *target;
	struct audit_db *db;
	struct report report;
};

/* A record as the report needs it: hash and prev only have to be unique. */
static void add_coded(struct audit_db *db, const char *dev, int64_t seq, const char *event,
		      const char *bundle, const char *result, const char *reason, const char *code)
{
	struct ferry_error *err = NULL;
	char hash[65];
	snprintf(hash, sizeof(hash), "%032llx%032llx", (long long)seq, (long long)strlen(dev) * 7 + dev[3]);
	struct audit_record r = {
		.device = dev, .seq = seq, .hash = hash, .prev = hash, .line = "{}",
		.time = "2026-11-20T10:00:00Z", .event = event, .bundle = bundle, .version = "2.4.1",
		.result = result, .reason = reason, .code = code, .boot = -1,
	};
	assert_ok(audit_db_record_insert(db, &r, &err), err);
}

/* A boot record of bundle gateway-os carrying line (with its metrics). */
static void add_boot(struct audit_db *db, const char *dev, int64_t seq, const char *version,
		     const char *line)
{
	struct ferry_error *err = NULL;
	char hash[65];
	snprintf(hash, sizeof(hash), "%032llx%032llx", (long long)seq, (long long)strlen(dev) * 7 + dev[3]);
	struct audit_record r = {
		.device = dev, .seq = seq, .hash = hash, .prev = hash, .line = line,
		.time = "2026-11-21T10:00:00Z", .event = "boot.committed", .bundle = "gateway-os",
		.version = version, .result = "success", .boot = -1,
	};
	assert_ok(audit_db_record_insert(db, &r, &err), err);
}

static void add(struct audit_db *db, const char *dev, int64_t seq, const char *event,
		const char *bundle, const char *result, const char *reason)
{
	add_coded(db, dev, seq, event, bundle, result, reason, NULL);
}

static void add_device(struct audit_db *db, const char *id, const char *type, const char *ring,
		       const char *time)
{
	struct ferry_error *err = NULL;
	bool applied;
	const char *names[] = { "gateway-os" }, *versions[] = { "2.4.1" };
	const char *groups[] = { ring, NULL };
	assert_ok(audit_db_device_put_key(db, id, id, "KEY", "2026-10-01T00:00:00Z", &err), err);
	struct audit_inventory inv = {
		.device = id, .type = type, .time = time, .raw = "{}", .hw_revision = 2,
		.security_version = 7, .policy_serial = 12, .n_installed = 1, .names = names,
		.versions = versions, .groups = ring ? groups : NULL,
	};
	assert_ok(audit_db_inventory_put(db, &inv, "2026-11-27T00:00:00Z", &applied, &err), err);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct ferry_error *err = NULL;
	f->dir = test_tmpdir();
	f->target = test_db_target_new(f->dir);
	if (!audit_db_open(f->target, &f->db, &err))
		fail_msg("%s", ferry_error_message(err));
	add_device(f->db, "gw-0001", "gw-x", "canary", "2026-11-20T10:00:00Z");
	add_device(f->db, "gw-0002", "gw-x", NULL, "2026-11-20T10:00:00Z");
	add_device(f->db, "sn-0001", "sensor-y", "canary", "2026-08-01T10:00:00Z");
	add(f->db, "gw-0001", 1, "install.finished", "gateway-os", "success", NULL);
	add(f->db, "gw-0002", 1, "install.finished", "gateway-os", "failure", "health check, \"exit 3\"");
	add(f->db, "gw-0002", 2, "boot.rolled_back", "gateway-os", "failure", "health check, \"exit 3\"");
	add(f->db, "gw-0002", 3, "boot.fell_back", NULL, "failure", "primary slot did not boot");
	add(f->db, "sn-0001", 1, "install.refused", "<b>&amp", "refused", "incompatible");
	add(f->db, "sn-0001", 2, "install.refused", "sensor-fw", "refused",
	    "security_version 3 is below the installed 7: a downgrade to a vulnerable release is refused");
	time_t now = 1795766400;   /* 2026-11-27T08:00:00Z */
	if (!report_build(f->db, now, 30, &f->report, &err))
		fail_msg("%s", ferry_error_message(err));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	report_free(&f->report);
	audit_db_close(f->db);
	test_tmpdir_remove(f->dir);
	test_db_target_drop(f->target);
	free(f);
	return 0;
}

static char *render(const struct report *r, const char *format)
{
	struct ferry_error *err = NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	assert_non_null(mem);
	assert_ok(report_render(r, format, mem, &err), err);
	fclose(mem);
	return buf;
}

static const struct report_section *section(const struct report *r, const char *id)
{
	for (size_t i = 0; i < r->n_sections; i++)
		if (strcmp(r->sections[i].id, id) == 0)
			return &r->sections[i];
	fail_msg("no section %s", id);
	return NULL;
}

static void test_report_gathers_fleet_rings_and_stale_devices(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(report_summary_value(&f->report, "devices"), 3);
	assert_int_equal(report_summary_value(&f->report, "records"), 6);
	const struct report_section *s = section(&f->report, "stale_devices");
	assert_int_equal(s->table.n_rows, 1);
	assert_string_equal(audit_table_cell(&s->table, 0, 0), "sn-0001");
	s = section(&f->report, "rollbacks");   /* a rollback and a fall-back */
	assert_int_equal(s->table.n_rows, 2);
	assert_string_equal(audit_table_cell(&s->table, 0, 0), "gw-0002");
	assert_string_equal(audit_table_cell(&s->table, 1, 1), "boot.rolled_back");
	s = section(&f->report, "rings");
	assert_int_equal(s->table.n_rows, 2);   /* (none), canary */
	assert_string_equal(audit_table_cell(&s->table, 1, 0), "canary");
	assert_string_equal(audit_table_cell(&s->table, 1, 1), "2");
	s = section(&f->report, "fleet_by_type");
	assert_int_equal(s->table.n_rows, 2);
}

static void test_report_text_names_every_section(void **state)
{
	struct fixture *f = *state;
	char *text = render(&f->report, "text");
	assert_non_null(strstr(text, "3 devices, 6 audit records"));
	/* long cells are cut for the terminal, and kept whole elsewhere */
	assert_non_null(strstr(text, "security_version 3 is below the installed 7: a downgrade ..."));
	assert_null(strstr(text, "vulnerable"));
	assert_non_null(strstr(text, "Rollbacks"));
	assert_non_null(strstr(text, "sn-0001"));
	assert_non_null(strstr(text, "(30 days, before 2026-10-28T08:00:00Z)"));
	free(text);
}

/* A fleet without work orders: both order sections are there and say so. */
static void test_report_order_sections_without_orders(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(section(&f->report, "changes_by_order")->table.n_rows, 0);
	assert_int_equal(section(&f->report, "orders")->table.n_rows, 0);
	char *text = render(&f->report, "text");
	assert_non_null(strstr(text, "Changes by technician and work order"));
	assert_non_null(strstr(text, "no record names a work order"));
	assert_non_null(strstr(text, "no work orders imported or used"));
	free(text);
}

static void test_report_csv_quotes_commas_and_quotes(void **state)
{
	struct fixture *f = *state;
	char *csv = render(&f->report, "csv");
	assert_non_null(strstr(csv, "section,devices,records,imports,refused_imports\r\n"));
	assert_non_null(strstr(csv, "\"health check, \"\"exit 3\"\"\""));
	assert_non_null(strstr(csv, "a downgrade to a vulnerable release is refused"));
	free(csv);
}

static void test_report_json_is_strict_json_with_typed_cells(void **state)
{
	struct fixture *f = *state;
	struct ferry_error *err = NULL;
	json_t *root = NULL;
	char *text = render(&f->report, "json");
	assert_ok(json_parse_strict(text, strlen(text), "report.json", &root, &err), err);
	json_t *devices = json_object_get(json_object_get(root, "summary"), "devices");
	assert_true(json_is_integer(devices));
	assert_int_equal(json_integer_value(devices), 3);
	json_t *rows = json_object_get(json_object_get(json_object_get(root, "sections"), "rollbacks"), "rows");
	assert_int_equal(json_array_size(rows), 2);
	json_decref(root);
	free(text);
}

static void test_report_html_is_self_contained_and_escaped(void **state)
{
	struct fixture *f = *state;
	char *html = render(&f->report, "html");
	assert_non_null(strstr(html, "<!DOCTYPE html>"));
	assert_non_null(strstr(html, "<svg"));
	assert_non_null(strstr(html, "<style>"));
	assert_non_null(strstr(html, "&lt;b&gt;&amp;amp"));
	assert_null(strstr(html, "<b>&amp"));
	assert_null(strstr(html, "<script"));
	/* the only URLs are XML namespace names, which nothing fetches */
	for (const char *u = strstr(html, "http"); u; u = strstr(u + 1, "http"))
		assert_true(strncmp(u, "http://www.w3.org/", 18) == 0);
	assert_null(strstr(html, "src="));
	assert_null(strstr(html, "<link"));
	free(html);
}

/* Failures with a code group by it whatever their text says, one text kept
 * as the example; failures without one (older agents) group by their text. */
static void test_report_failures_group_by_code_with_an_example(void **state)
{
	struct fixture *f = *state;
	struct ferry_error *err = NULL;
	struct report r;
	add_coded(f->db, "gw-0001", 2, "install.refused", "sensor-fw", "refused",
		  "device type gw-x not listed", "compatibility");
	add_coded(f->db, "gw-0001", 3, "install.refused", "sensor-fw", "refused",
		  "hw_revision 2 not listed", "compatibility");
	assert_ok(report_build(f->db, 1795766400, 30, &r, &err), err);
	const struct report_section *s = section(&r, "failures_by_reason");
	size_t coded = 0, uncoded = 0;
	for (size_t i = 0; i < s->table.n_rows; i++) {
		if (strcmp(audit_table_cell(&s->table, i, 0), "compatibility") == 0) {
			coded++;
			assert_string_equal(audit_table_cell(&s->table, i, 5), "2");
			assert_non_null(strstr(audit_table_cell(&s->table, i, 6), "not listed"));
		} else {
			assert_string_equal(audit_table_cell(&s->table, i, 0), "-");
			uncoded++;
		}
	}
	assert_int_equal(coded, 1);
	assert_int_equal(uncoded, 5);   /* the fixture's five failures, none alike */
	report_free(&r);
}

static void test_report_refuses_unknown_format(void **state)
{
	struct fixture *f = *state;
	struct ferry_error *err = NULL;
	assert_false(report_format_known("pdf"));
	assert_false(report_render(&f->report, "pdf", stdout, &err));
	assert_error_contains(err, "unknown report format 'pdf'");
	ferry_error_free(err);
}

/* No control byte of a device reaches any text output: ESC, BEL, CR, LF
 * and others show as visible escapes, outside the renderers' own line ends;
 * a cell a spreadsheet would run as a formula is guarded in CSV. */
static bool only_visible(const char *text, bool crlf)
{
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if (*p == '\n' || (crlf && *p == '\r' && p[1] == '\n'))
			continue;
		if (*p < 0x20 || *p == 0x7f)
			return false;
	}
	return true;
}

static void test_report_shows_device_strings_only_visibly(void **state)
{
	struct fixture *f = *state;
	struct ferry_error *err = NULL;
	struct report r;
	add(f->db, "sn-0001", 3, "install.refused", "=1+2", "refused", "\x1b[2J\abell\r\nforged line\x01");
	add(f->db, "sn-0001", 4, "install.refused", "@SUM(A1)", "refused", "-2+3");
	assert_ok(report_build(f->db, 1795766400, 30, &r, &err), err);
	static const char *const formats[] = { "text", "csv", "html", "json" };
	for (size_t i = 0; i < 4; i++) {
		char *out = render(&r, formats[i]);
		assert_true(only_visible(out, i == 1));
		if (i < 3)
			assert_non_null(strstr(out, "\\x1b[2J\\x07bell\\x0d\\x0aforged line\\x01"));
		if (i == 1) {
			assert_non_null(strstr(out, ",\"'=1+2\","));
			assert_non_null(strstr(out, ",\"'@SUM(A1)\","));
			assert_null(strstr(out, ",=1+2"));
		}
		free(out);
	}
	report_free(&r);
}

static void add_at(struct audit_db *db, const char *dev, int64_t seq, const char *event, const char *version,
		   const char *time)
{
	struct ferry_error *err = NULL;
	char hash[65];
	snprintf(hash, sizeof(hash), "%032llx%032llx", (long long)seq + 100, (long long)strlen(dev) * 7 + dev[3]);
	struct audit_record r = {
		.device = dev, .seq = seq, .hash = hash, .prev = hash, .line = "{}", .time = time,
		.event = event, .bundle = "gateway-os", .version = version,
		.result = strcmp(event, "boot.rolled_back") ? "success" : "failure", .boot = -1,
	};
	assert_ok(audit_db_record_insert(db, &r, &err), err);
}

/* The row of t whose first columns are a, b (b NULL: any), or -1. */
static long find_row(const struct audit_table *t, const char *a, const char *b, size_t bcol)
{
	for (size_t r = 0; r < t->n_rows; r++)
		if (strcmp(audit_table_cell(t, r, 0), a) == 0 && (!b || strcmp(audit_table_cell(t, r, bcol), b) == 0))
			return (long)r;
	return -1;
}

static const char *cell_of(const struct report_section *s, const char *week, const char *key, size_t kcol,
			   size_t col)
{
	long r = find_row(&s->table, week, key, kcol);
	assert_true(r >= 0);
	return audit_table_cell(&s->table, (size_t)r, col);
}

/* Weeks start on Monday, newest first; a device runs a version from its
 * successful install on, and again the one before after a rollback of it;
 * a ring's share counts devices on the newest version (by SemVer). */
static void test_report_weeks_follow_installs_and_rollbacks(void **state)
{
	struct fixture *f = *state;
	struct ferry_error *err = NULL;
	struct report r;
	add_device(f->db, "gw-0003", "gw-x", "canary", "2026-11-24T10:00:00Z");
	add_at(f->db, "gw-0003", 1, "install.finished", "2.4.0", "2026-11-10T10:00:00Z");
	add_at(f->db, "gw-0003", 2, "install.finished", "2.5.0", "2026-11-18T10:00:00Z");
	add_at(f->db, "gw-0003", 3, "boot.rolled_back", "2.5.0", "2026-11-24T10:00:00Z");
	add_at(f->db, "gw-0003", 4, "install.finished", "2.6.0", "2099-01-01T00:00:00Z");   /* a wrong clock */
	add_at(f->db, "gw-0003", 5, "install.finished", "2.7.0", "not a time");
	assert_ok(report_build(f->db, 1795766400, 30, &r, &err), err);
	const struct report_section *s = section(&r, "installs_by_week");
	assert_int_equal(s->table.n_rows, 3);   /* 11-09 .. 11-23 */
	assert_string_equal(audit_table_cell(&s->table, 0, 0), "2026-11-23");
	assert_string_equal(cell_of(s, "2026-11-16", NULL, 0, 1), "2");   /* gw-0001, gw-0003 */
	assert_string_equal(cell_of(s, "2026-11-16", NULL, 0, 2), "1");
	assert_string_equal(cell_of(s, "2026-11-16", NULL, 0, 3), "2");
	assert_string_equal(cell_of(s, "2026-11-09", NULL, 0, 1), "1");
	s = section(&r, "versions_by_week");
	assert_string_equal(cell_of(s, "2026-11-09", "2.4.0", 2, 3), "1");
	assert_string_equal(cell_of(s, "2026-11-16", "2.5.0", 2, 3), "1");
	assert_string_equal(cell_of(s, "2026-11-16", "2.4.1", 2, 3), "1");
	assert_string_equal(cell_of(s, "2026-11-23", "2.4.0", 2, 3), "1");   /* rolled back */
	assert_true(find_row(&s->table, "2026-11-23", "2.5.0", 2) < 0);
	assert_true(find_row(&s->table, "2026-11-23", "2.7.0", 2) < 0);
	s = section(&r, "rings_by_week");
	assert_non_null(strstr(s->note, "gateway-os 2.7.0"));   /* the newest seen, dated or not */
	assert_string_equal(cell_of(s, "2026-11-16", "canary", 1, 2), "3");
	assert_string_equal(cell_of(s, "2026-11-16", "canary", 1, 3), "0");
	report_free(&r);
}

/* Text and HTML show REPORT_ROWS_SHOWN rows of a long table and say how many
 * more; JSON keeps every row. */
static void test_report_long_tables_are_capped_with_a_count(void **state)
{
	struct fixture *f = *state;
	struct ferry_error *err = NULL;
	struct report r;
	for (int i = 0; i < REPORT_ROWS_SHOWN + 5; i++) {
		char id[16];
		snprintf(id, sizeof(id), "old-%04d", i);
		add_device(f->db, id, "gw-x", NULL, "2026-01-01T00:00:00Z");
	}
	assert_ok(report_build(f->db, 1795766400, 30, &r, &err), err);
	char *text = render(&r, "text"), *html = render(&r, "html"), *json = render(&r, "json");
	assert_non_null(strstr(text, "... and 6 more rows"));   /* 25 + sn-0001 stale */
	assert_non_null(strstr(html, "and 6 more rows"));
	assert_null(strstr(html, "old-0024"));
	assert_non_null(strstr(json, "old-0024"));
	free(text);
	free(html);
	free(json);
	report_free(&r);
}

/* The failure chart has a bar per code and wraps long labels whole. */
static void test_report_html_failure_chart_by_code_keeps_whole_labels(void **state)
{
	struct fixture *f = *state;
	char *html = render(&f->report, "html");
	const char *sec = strstr(html, "<section id=\"failures_by_reason\">");
	assert_non_null(sec);
	assert_non_null(strstr(sec, ">(no code)</tspan>"));
	assert_null(strstr(html, "\xe2\x80\xa6"));   /* nothing cut with an ellipsis */
	free(html);
}

/* --device: one device's registry fields and its records newest first, in
 * every format; an unknown or malformed id is a usage error. */
static void test_report_device_shows_one_device(void **state)
{
	struct fixture *f = *state;
	struct ferry_error *err = NULL;
	struct report r;
	assert_ok(report_build_device(f->db, 1795766400, "gw-0002", &r, &err), err);
	const struct report_section *s = section(&r, "device");
	assert_string_equal(cell_of(s, "type", NULL, 0, 1), "gw-x");
	s = section(&r, "history");
	assert_int_equal(s->table.n_rows, 3);
	assert_string_equal(audit_table_cell(&s->table, 0, 1), "3");   /* newest first */
	assert_string_equal(audit_table_cell(&s->table, 0, 2), "boot.fell_back");
	char *html = render(&r, "html"), *text = render(&r, "text");
	assert_non_null(strstr(html, "ferry device report gw-0002"));
	assert_null(strstr(html, "gw-0001"));
	assert_non_null(strstr(text, "ferry device report gw-0002"));
	free(html);
	free(text);
	report_free(&r);
	assert_false(report_build_device(f->db, 1795766400, "gw-9999", &r, &err));
	assert_int_equal(ferry_error_code(err), FERRY_E_USAGE);
	ferry_error_free(err);
	err = NULL;
	assert_false(report_build_device(f->db, 1795766400, "a b", &r, &err));
	assert_int_equal(ferry_error_code(err), FERRY_E_USAGE);
	ferry_error_free(err);
}

/* The metrics row of version/metric, or NULL. */
static const char *metric_cell(const struct report *r, const char *version, const char *metric,
			       const char *col)
{
	const struct report_section *s = section(r, "metrics");
	size_t c = 0;
	while (c < s->table.n_cols && strcmp(s->table.cols[c], col) != 0)
		c++;
	assert_true(c < s->table.n_cols);
	for (size_t i = 0; i < s->table.n_rows; i++)
		if (strcmp(audit_table_cell(&s->table, i, 2), version) == 0 &&
		    strcmp(audit_table_cell(&s->table, i, 3), metric) == 0)
			return audit_table_cell(&s->table, i, c);
	fail_msg("no metrics row %s %s", version, metric);
	return NULL;
}

static void add_metric_history(struct audit_db *db)
{
	add_boot(db, "gw-0001", 10, "2.4.1",
		 "{\"detail\":{\"metrics\":{\"boot_time_ms\":1000,\"mem_free_kb\":500}}}");
	add_boot(db, "gw-0002", 10, "2.4.1",
		 "{\"detail\":{\"metrics\":{\"boot_time_ms\":1200,\"mem_free_kb\":500}}}");
	add_boot(db, "gw-0001", 11, "2.10.0",
		 "{\"detail\":{\"metrics\":{\"boot_time_ms\":1500,\"mem_free_kb\":400}}}");
	add_boot(db, "gw-0002", 11, "2.10.0",
		 "{\"detail\":{\"metrics\":{\"boot_time_ms\":1300,\"mem_free_kb\":400.5}}}");
	add_boot(db, "gw-0001", 12, "2.5.0", "{\"detail\":{\"metrics\":{\"boot_time_ms\":1000}}}");
}

/* Median and p90 by nearest rank per version in SemVer order; the median's
 * change against the previous version flagged when worse than the threshold,
 * worse meaning higher, except for metrics of free resources. */
static void test_report_metrics_median_p90_and_regression(void **state)
{
	struct fixture *f = *state;
	struct ferry_error *err = NULL;
	struct report r;
	add_metric_history(f->db);
	assert_ok(report_build(f->db, 1795766400, 30, &r, &err), err);
	assert_string_equal(metric_cell(&r, "2.4.1", "boot_time_ms", "samples"), "2");
	assert_string_equal(metric_cell(&r, "2.4.1", "boot_time_ms", "median"), "1000");
	assert_string_equal(metric_cell(&r, "2.4.1", "boot_time_ms", "p90"), "1200");
	assert_null(metric_cell(&r, "2.4.1", "boot_time_ms", "previous"));
	/* 2.5.0 sorts before 2.10.0: unchanged there, then +30 % and worse */
	assert_string_equal(metric_cell(&r, "2.5.0", "boot_time_ms", "change_pct"), "+0.0");
	assert_null(metric_cell(&r, "2.5.0", "boot_time_ms", "regression"));
	assert_string_equal(metric_cell(&r, "2.10.0", "boot_time_ms", "previous"), "2.5.0");
	assert_string_equal(metric_cell(&r, "2.10.0", "boot_time_ms", "change_pct"), "+30.0");
	assert_string_equal(metric_cell(&r, "2.10.0", "boot_time_ms", "regression"), "worse");
	/* less free memory is worse: -20 % */
	assert_string_equal(metric_cell(&r, "2.10.0", "mem_free_kb", "median"), "400");
	assert_string_equal(metric_cell(&r, "2.10.0", "mem_free_kb", "p90"), "400.5");
	assert_string_equal(metric_cell(&r, "2.10.0", "mem_free_kb", "change_pct"), "-20.0");
	assert_string_equal(metric_cell(&r, "2.10.0", "mem_free_kb", "regression"), "worse");
	assert_int_equal(r.metrics_ignored, 0);
	char *html = render(&r, "html"), *json = render(&r, "json");
	assert_non_null(strstr(html, "<section id=\"metrics\">"));
	assert_non_null(strstr(html, "<td class=\"k bad\">worse</td>"));
	assert_non_null(strstr(json, "\"p90\": \"400.5\""));   /* a column of decimals stays text */
	free(html);
	free(json);
	report_free(&r);
	struct report_options o = { .stale_days = 30, .regression_pct = 50 };
	assert_ok(report_build_opts(f->db, 1795766400, &o, &r, &err), err);
	assert_null(metric_cell(&r, "2.10.0", "boot_time_ms", "regression"));
	assert_non_null(strstr(r.metrics_title, "50%"));
	report_free(&r);
}

/* A device-signed record may still carry anything: samples that are not
 * finite numbers in range, or badly named, are left out with their reason;
 * the report is built and the good samples count. */
static void test_report_metrics_ignores_bogus_samples_with_reasons(void **state)
{
	struct fixture *f = *state;
	struct ferry_error *err = NULL;
	struct report r;
	add_boot(f->db, "sn-0001", 10, "1.0.0",
		 "{\"detail\":{\"metrics\":{\"ok_ms\":5,\"x_ms\":\"fast\",\"BAD NAME\\u001b\":1,"
		 "\"huge_ms\":1e300,\"neg_ms\":-1e16,\"n_ms\":null}}}");
	add_boot(f->db, "sn-0001", 11, "1.0.0", "{\"detail\":{\"metrics\":[1,2]}}");
	add_boot(f->db, "sn-0001", 12, "1.0.0", "{\"detail\":{\"metrics\": not json");
	add_boot(f->db, "sn-0001", 13, "1.0.0", "{\"detail\":{\"metrics\":{\"a\":1,\"a\":2}}}");
	assert_ok(report_build(f->db, 1795766400, 30, &r, &err), err);
	assert_string_equal(metric_cell(&r, "1.0.0", "ok_ms", "samples"), "1");
	assert_int_equal(section(&r, "metrics")->table.n_rows, 1);
	assert_int_equal(r.metrics_ignored, 8);   /* five samples, three records (one a duplicate key) */
	const struct report_section *ig = section(&r, "metrics_ignored");
	assert_int_equal(ig->table.n_rows, 8);
	char *text = render(&r, "text");
	assert_non_null(strstr(text, "metric x_ms is not a number"));
	assert_non_null(strstr(text, "metric huge_ms is out of range"));
	assert_non_null(strstr(text, "metric neg_ms is out of range"));
	assert_non_null(strstr(text, "metric n_ms is not a number"));
	assert_non_null(strstr(text, "a metric name is not [a-z0-9_.]{1,64}"));
	assert_non_null(strstr(text, "detail.metrics is not an object"));
	assert_non_null(strstr(text, "record is not JSON"));
	assert_true(only_visible(text, false));
	free(text);
	report_free(&r);
}

/* An inventory of dev with one bundle's software, newer than the fixture's. */
static void add_software(struct audit_db *db, const char *dev, const char *support, const char *time)
{
	struct ferry_error *err = NULL;
	bool applied = false;
	const char *names[] = { "gateway-os" }, *versions[] = { "2.4.1" };
	const char *cn[] = { "zlib", "openssl" }, *cv[] = { "1.2.13", "3.0.11" }, *cl[] = { "Zlib", NULL };
	struct inventory_software sw = { .bundle = "gateway-os", .version = "2.4.1", .support_until = support,
					 .n_components = 2, .names = cn, .versions = cv, .licences = cl };
	struct audit_inventory inv = {
		.device = dev, .type = "gw-x", .time = time, .raw = time, .hw_revision = 2,
		.security_version = 7, .policy_serial = 12, .n_installed = 1, .names = names,
		.versions = versions, .software = &sw, .n_software = 1,
	};
	assert_ok(audit_db_inventory_put(db, &inv, "2026-11-27T00:00:00Z", &applied, &err), err);
	assert_true(applied);
}

/* Support dates from the devices' inventories against the report's day and
 * each device's warranty; a newer inventory replaces a device's software. */
static void test_report_lists_support_past_and_before_warranty(void **state)
{
	struct fixture *f = *state;
	struct ferry_error *err = NULL;
	struct report r;
	bool found = false;
	add_software(f->db, "gw-0001", "2026-11-26", "2026-11-21T10:00:00Z");   /* ended yesterday */
	add_software(f->db, "gw-0002", "2030-06-30", "2026-11-21T10:00:00Z");
	assert_ok(audit_db_warranty_put(f->db, "gw-0002", "2031-12-31", &found, &err), err);
	assert_true(found);
	assert_ok(audit_db_warranty_put(f->db, "nope", "2031-12-31", &found, &err), err);
	assert_false(found);
	assert_ok(report_build(f->db, 1795766400, 30, &r, &err), err);
	const struct report_section *s = section(&r, "past_support");
	assert_int_equal(s->table.n_rows, 1);
	assert_string_equal(audit_table_cell(&s->table, 0, 0), "gw-0001");
	assert_string_equal(audit_table_cell(&s->table, 0, 4), "2026-11-26");
	s = section(&r, "support_before_warranty");
	assert_int_equal(s->table.n_rows, 1);
	assert_string_equal(audit_table_cell(&s->table, 0, 0), "gw-0002");
	assert_string_equal(audit_table_cell(&s->table, 0, 5), "2031-12-31");
	report_free(&r);
	/* one device's SBOM, in the order the device listed it */
	struct audit_table t = { 0 };
	struct audit_query_params p = { .device = "gw-0002" };
	assert_ok(audit_db_query(f->db, AUDIT_Q_DEVICE_SBOM, &p, &t, &err), err);
	assert_int_equal(t.n_rows, 2);
	assert_string_equal(audit_table_cell(&t, 0, 3), "zlib");
	assert_string_equal(audit_table_cell(&t, 0, 5), "Zlib");
	assert_null(audit_table_cell(&t, 1, 5));
	audit_table_clear(&t);
	/* a newer inventory that names no software: nothing runs past its date */
	add_device(f->db, "gw-0001", "gw-x", NULL, "2026-11-22T10:00:00Z");
	assert_ok(report_build(f->db, 1795766400, 30, &r, &err), err);
	assert_int_equal(section(&r, "past_support")->table.n_rows, 0);
	report_free(&r);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_report_gathers_fleet_rings_and_stale_devices),
		T(test_report_text_names_every_section),
		T(test_report_failures_group_by_code_with_an_example),
		T(test_report_order_sections_without_orders),
		T(test_report_csv_quotes_commas_and_quotes),
		T(test_report_json_is_strict_json_with_typed_cells),
		T(test_report_html_is_self_contained_and_escaped),
		T(test_report_refuses_unknown_format),
		T(test_report_shows_device_strings_only_visibly),
		T(test_report_weeks_follow_installs_and_rollbacks),
		T(test_report_long_tables_are_capped_with_a_count),
		T(test_report_html_failure_chart_by_code_keeps_whole_labels),
		T(test_report_device_shows_one_device),
		T(test_report_metrics_median_p90_and_regression),
		T(test_report_metrics_ignores_bogus_samples_with_reasons),
		T(test_report_lists_support_past_and_before_warranty),
	};
	return test_db_run(tests, sizeof(tests) / sizeof(tests[0]));
}
