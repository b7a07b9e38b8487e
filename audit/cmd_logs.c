/* cmd_logs: `ferry-audit logs --device ID --seq N`: the failure log excerpt
 * that record N of device ID names (docs/hq.md), decoded and checked again
 * against the record's hash before it is shown. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "audit/cli.h"
#include "audit/faillog_text.h"

static bool show_log(struct audit_db *db, const char *device, int64_t seq, bool json,
		     struct ferry_error **err)
{
	char sha[SHA256_HEX_LEN + 1], *text = NULL;
	if (!faillog_text_get(db, device, seq, &text, sha, err))
		return false;
	if (json) {
		json_t *o = json_pack("{s:s, s:I, s:s, s:s}", "device", device, "seq", (json_int_t)seq,
				      "sha256", sha, "text", text);
		json_dumpf(o, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(o);
	} else {
		fputs(text, stdout);
	}
	free(text);
	return true;
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
