/* cmd_events: `ferry-audit events [--device ID] [--since DATE]`: imported
 * audit records in time order; with --json the verified lines themselves
 * (JSON Lines, exactly as the device signed them). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/cli.h"
#include "audit/shown.h"
#include "common/rfc3339.h"

static bool print_event(const struct audit_record *r, void *ctx, struct ferry_error **err)
{
	(void)err;
	const struct audit_cli *cli = ctx;
	if (cli->json) {
		printf("%s\n", r->line);
		return true;
	}
	/* Every string came from a device: shown only visibly (audit/shown.h). */
	char *v[8] = { shown_visible(r->time), shown_visible(r->device), shown_visible(r->event),
		       shown_visible(r->bundle), shown_visible(r->version), shown_visible(r->result),
		       shown_visible(r->code), shown_visible(r->reason) };
	/* REASON: "[code] text" when the record names its reason's code */
	printf("%-20s %-14s %6lld %-18s %-14s %-10s %-8s %s%s%s%s\n", v[0] ? v[0] : "-", v[1] ? v[1] : "-",
	       (long long)r->seq, v[2] ? v[2] : "-", v[3] ? v[3] : "-", v[4] ? v[4] : "-",
	       v[5] ? v[5] : "-", v[6] ? "[" : "", v[6] ? v[6] : "", v[6] ? "] " : "", v[7] ? v[7] : "");
	for (size_t i = 0; i < 8; i++)
		free(v[i]);
	return true;
}

/* YYYY-MM-DD or a full RFC 3339 UTC time: both compare as text with stored times. */
static bool since_valid(const char *s)
{
	char full[32];
	if (strlen(s) == 10) {
		snprintf(full, sizeof(full), "%sT00:00:00Z", s);
		s = full;
	}
	return rfc3339_valid_utc(s);
}

int cmd_events(struct audit_cli *cli, int argc, char **argv, struct ferry_error **err)
{
	enum { OPT_DEVICE = OPT_COMMON_END, OPT_SINCE, OPT_LIMIT };
	static const struct option opts[] = {
		{ "device", required_argument, NULL, OPT_DEVICE },
		{ "since", required_argument, NULL, OPT_SINCE },
		{ "limit", required_argument, NULL, OPT_LIMIT },
		CLI_COMMON_LONG_OPTS, { 0 }
	};
	struct audit_event_filter f = { 0 };
	struct audit_db *db = NULL;
	char *end = NULL;
	int opt, rc = EXIT_REFUSED;
	while ((opt = cli_getopt(argc, argv, "vq", opts)) != -1) {
		if (cli_common_option(cli, opt, optarg))
			continue;
		switch (opt) {
		case OPT_DEVICE: f.device = optarg; break;
		case OPT_SINCE:
			if (!since_valid(optarg))
				return cli_usage_error("events", "--since %s: expected YYYY-MM-DD or "
						       "YYYY-MM-DDTHH:MM:SSZ", optarg);
			f.since = optarg;
			break;
		case OPT_LIMIT:
			f.limit = strtoll(optarg, &end, 10);
			if (!*optarg || *end || f.limit <= 0)
				return cli_usage_error("events", "--limit %s: expected a positive number", optarg);
			break;
		default: return cli_usage_error("events", "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage_error("events", "takes no arguments");
	if (!cli_open_db(cli, &db, err))
		return EXIT_USAGE;
	if (!cli->json && !cli->quiet)
		printf("%-20s %-14s %6s %-18s %-14s %-10s %-8s %s\n", "TIME", "DEVICE", "SEQ", "EVENT",
		       "BUNDLE", "VERSION", "RESULT", "REASON");
	if (audit_db_events(db, &f, print_event, cli, err))
		rc = 0;
	audit_db_close(db);
	return rc;
}
