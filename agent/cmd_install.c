/* cmd_install: `ferry-agent install MEDIA_DIR|BUNDLE` and `check` (the same
 * path as a dry run): print what happened to each bundle and why, then, for
 * a stick directory, export the audit log onto it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agent/autoreboot.h"
#include "agent/cmd.h"
#include "agent/install.h"
#include "common/progress.h"

static void print_report(const struct agent_ctx *ctx, const struct install_report *r)
{
	if (ctx->json) {
		char *text = json_dumps(r->json, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (text)
			printf("%s\n", text);
		free(text);
		return;
	}
	if (ctx->verbosity < 0)
		return;
	for (char **l = r->lines; l && *l; l++)
		printf("%s\n", *l);
	printf("%s: %s\n", notify_result_name(r->result), r->summary ? r->summary : "");
}

static int exit_code(enum notify_result r)
{
	return r == NOTIFY_SUCCESS || r == NOTIFY_NOTHING ? CLI_EXIT_OK : CLI_EXIT_FAILED;
}

static int run(struct agent_ctx *ctx, int argc, char **argv, bool dry_run, struct ferry_error **err)
{
	struct install_report report = { 0 };
	struct stat sb;
	bool confirmed = false;
	if (!dry_run && argc == 3 && strcmp(argv[1], "--confirm") == 0) {
		confirmed = true;   /* a person at the device said yes (confirm: local) */
		argv++;
		argc--;
	}
	if (argc != 2)
		return ferry_error_set(err, "%s takes one MEDIA_DIR or BUNDLE%s", argv[0],
				       dry_run ? "" : " (and optionally --confirm before it)"),
		       CLI_EXIT_USAGE;
	struct install_request rq = { .path = argv[1], .dry_run = dry_run, .confirmed = confirmed,
				      .progress = !dry_run && !ctx->json && ctx->verbosity >= 0 &&
						  progress_wanted() };
	if (!install_run(ctx->config, &rq, &report, err)) {
		install_report_clear(&report);   /* a failed run has a report begun */
		return *err ? ferry_exit_code(*err) : CLI_EXIT_FAILED;   /* 2: not a stick */
	}
	print_report(ctx, &report);
	int rc = exit_code(report.result);
	install_report_clear(&report);
	if (!dry_run && stat(argv[1], &sb) == 0 && S_ISDIR(sb.st_mode) && !install_export(ctx->config, argv[1], NULL, err))
		rc = CLI_EXIT_FAILED;
	if (!dry_run && rc == CLI_EXIT_OK && !autoreboot_if_pending(ctx->config, err))
		rc = CLI_EXIT_FAILED;
	return rc;
}

int cmd_install(struct agent_ctx *ctx, int argc, char **argv, struct ferry_error **err)
{
	return run(ctx, argc, argv, false, err);
}

int cmd_dry_run(struct agent_ctx *ctx, int argc, char **argv, struct ferry_error **err)
{
	return run(ctx, argc, argv, true, err);
}
