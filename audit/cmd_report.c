/* cmd_report: `ferry-audit report [--format F] [--stale-days N]
 * [--regression PCT] [--device ID] [-o FILE]`.
 * Renders into memory first, so -o FILE is replaced atomically and a failed
 * report leaves no half-written file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/cli.h"
#include "audit/report.h"
#include "common/safefile.h"

int cmd_report(struct audit_cli *cli, int argc, char **argv, struct ferry_error **err)
{
	enum { OPT_FORMAT = OPT_COMMON_END, OPT_STALE, OPT_REGRESSION, OPT_DEVICE };
	static const struct option opts[] = {
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "stale-days", required_argument, NULL, OPT_STALE },
		{ "regression", required_argument, NULL, OPT_REGRESSION },
		{ "device", required_argument, NULL, OPT_DEVICE },
		{ "output", required_argument, NULL, 'o' },
		CLI_COMMON_LONG_OPTS, { 0 }
	};
	const char *format = NULL, *output = NULL, *device = NULL;
	struct report_options o = { .stale_days = 30, .regression_pct = REPORT_REGRESSION_DEFAULT };
	struct audit_db *db = NULL;
	struct report r = { 0 };
	char *buf = NULL, *end = NULL;
	size_t len = 0;
	FILE *mem = NULL;
	int opt, rc = EXIT_REFUSED;
	while ((opt = cli_getopt(argc, argv, "o:vq", opts)) != -1) {
		if (cli_common_option(cli, opt, optarg))
			continue;
		switch (opt) {
		case OPT_FORMAT: format = optarg; break;
		case 'o': output = optarg; break;
		case OPT_DEVICE: device = optarg; break;
		case OPT_STALE:
			o.stale_days = strtol(optarg, &end, 10);
			if (!*optarg || *end || o.stale_days < 0 || o.stale_days > 36500)
				return cli_usage_error("report", "--stale-days %s: expected 0..36500", optarg);
			break;
		case OPT_REGRESSION:
			o.regression_pct = strtod(optarg, &end);
			if (!*optarg || (*end && strcmp(end, "%") != 0) || !(o.regression_pct >= 0) ||
			    o.regression_pct > 1000)
				return cli_usage_error("report", "--regression %s: expected a percentage 0..1000",
						       optarg);
			break;
		default: return cli_usage_error("report", "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage_error("report", "takes no arguments");
	if (!format)
		format = cli->json ? "json" : "text";
	if (!report_format_known(format))
		return cli_usage_error("report", "--format %s: expected text, csv, json or html", format);
	if (!cli_open_db(cli, &db, err))
		return EXIT_USAGE;
	if (device ? !report_build_device(db, time(NULL), device, &r, err)
		   : !report_build_opts(db, time(NULL), &o, &r, err)) {
		rc = ferry_exit_code(*err);
		goto out;
	}
	if (!(mem = open_memstream(&buf, &len))) {
		ferry_error_set(err, "out of memory");
		goto out;
	}
	bool rendered = report_render(&r, format, mem, err);
	if (fclose(mem) != 0 && rendered)
		rendered = ferry_error_set(err, "out of memory");
	if (!rendered)
		goto out;
	if (output) {
		if (!safe_write_atomic(output, buf, len, 0644, err))
			goto out;
		if (!cli->quiet)
			fprintf(stderr, "report written to %s\n", output);
	} else if (fwrite(buf, 1, len, stdout) != len || fflush(stdout) != 0) {
		ferry_error_set(err, "writing the report to stdout failed");
		goto out;
	}
	rc = 0;
out:
	free(buf);
	report_free(&r);
	audit_db_close(db);
	return rc;
}
