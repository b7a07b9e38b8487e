/* cmd_logs: `ferry-audit logs --device ID --seq N`: the failure log excerpt
 * that record N of device ID names (docs/hq.md), decoded and checked again
 * against the record's hash before it is shown. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/cli.h"
#include "common/auditlog.h"
#include "common/faillog.h"

/* The record's "log" hash, or an error saying the record names none. */
static bool named_log(struct audit_db *db, const char *device, int64_t seq,
		      char sha[SHA256_HEX_LEN + 1], struct ferry_error **err)
{
	char *line = NULL;
	bool found = false, ok = false;
	struct auditlog_record r = { 0 };
	if (!audit_db_record_line(db, device, seq, &line, &found, err))
		return false;
	if (!found)
		ferry_error_setc(err, FERRY_E_STATE, "no record %lld of device '%s' imported",
				 (long long)seq, device);
	else if (auditlog_line_parse(line, strlen(line), &r, err) && !r.f.log)
		ferry_error_setc(err, FERRY_E_STATE, "record %lld of '%s' (%s) names no failure log",
				 (long long)seq, device, r.f.event);
	else if (r.f.log) {
		memcpy(sha, r.f.log, SHA256_HEX_LEN + 1);
		ok = true;
	}
	auditlog_record_clear(&r);
	free(line);
	return ok;
}

static bool show_log(struct audit_db *db, const char *device, int64_t seq, bool json,
		     struct ferry_error **err)
{
	char sha[SHA256_HEX_LEN + 1], *text = NULL;
	struct audit_failure_log l = { 0 };
	bool found = false, ok = false;
	if (!named_log(db, device, seq, sha, err) ||
	    !audit_db_failure_log_get(db, device, seq, &l, &found, err))
		goto out;
	if (!found) {
		ferry_error_setc(err, FERRY_E_STATE, "record %lld of '%s' names failure log %.12s, "
				 "not imported (yet: it travels beside the record's export; the device "
				 "may have dropped it under its cap)", (long long)seq, device, sha);
		goto out;
	}
	if (!faillog_decode(l.data, l.len, sha, &text, err))
		goto out;
	if (json) {
		json_t *o = json_pack("{s:s, s:I, s:s, s:s}", "device", device, "seq", (json_int_t)seq,
				      "sha256", sha, "text", text);
		json_dumpf(o, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(o);
	} else {
		fputs(text, stdout);
	}
	ok = true;
out:
	free(text);
	free(l.data);
	return ok;
}

int cmd_logs(struct audit_cli *cli, int argc, char **argv, struct ferry_error **err)
{
	enum { OPT_DEVICE = OPT_COMMON_END, OPT_SEQ };
	static const struct option opts[] = {
		{ "device", required_argument, NULL, OPT_DEVICE },
		{ "seq", required_argument, NULL, OPT_SEQ },
		CLI_COMMON_LONG_OPTS, { 0 }
	};
	const char *device = NULL;
	long long seq = 0;
	char *end = NULL;
	int opt, rc = EXIT_REFUSED;
	struct audit_db *db = NULL;
	while ((opt = cli_getopt(argc, argv, "vq", opts)) != -1) {
		if (cli_common_option(cli, opt, optarg))
			continue;
		switch (opt) {
		case OPT_DEVICE: device = optarg; break;
		case OPT_SEQ:
			seq = strtoll(optarg, &end, 10);
			if (!*optarg || *end || seq <= 0)
				return cli_usage_error("logs", "--seq %s: expected a positive number", optarg);
			break;
		default: return cli_usage_error("logs", "unknown option");
		}
	}
	if (optind != argc || !device || !seq)
		return cli_usage_error("logs", "needs --device ID and --seq N, nothing else");
	if (!cli_open_db(cli, &db, err))
		return EXIT_USAGE;
	if (show_log(db, device, seq, cli->json, err))
		rc = 0;
	audit_db_close(db);
	return rc;
}
