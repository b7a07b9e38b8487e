/* cmd_reboot: `ferry-agent reboot` (virtual devices) power-cycles the virtual
 * machine: the file bootloader picks a slot as a real one would, then the
 * agent's start-up logic runs as after a real boot. `ferry-agent boot` runs
 * that start-up logic alone: the service calls it after every real boot. */
#include <stdio.h>

#include "agent/cmd.h"
#include "agent/lifecycle.h"

static const char *outcome_text(enum lifecycle_startup_outcome o)
{
	switch (o) {
	case LIFECYCLE_STARTUP_SAME_BOOT: return "this boot was already accounted for";
	case LIFECYCLE_STARTUP_NORMAL: return "normal boot";
	case LIFECYCLE_STARTUP_TRIAL: return "trial boot of the new slot: commit to keep it";
	case LIFECYCLE_STARTUP_ROLLED_BACK: return "the update did not survive its trial boot: rolled back";
	case LIFECYCLE_STARTUP_FELL_BACK: return "the bootloader fell back from the primary slot";
	case LIFECYCLE_STARTUP_UNKNOWN_SLOT: return "running slot unknown";
	}
	return "?";
}

static void report(const struct agent_ctx *ctx, char booted, enum lifecycle_startup_outcome o)
{
	if (ctx->json)
		cmd_print_json(json_pack("{s:s%,s:s}", "booted", booted ? &booted : "?", (size_t)1,
					 "outcome", lifecycle_startup_outcome_name(o)));
	else if (ctx->verbosity >= 0)
		printf("booted slot %c: %s\n", booted ? booted : '?', outcome_text(o));
}

int cmd_reboot(struct agent_ctx *ctx, int argc, char **argv, struct ferry_error **err)
{
	struct state *s = NULL;
	struct boot *b = NULL;
	enum lifecycle_startup_outcome o = LIFECYCLE_STARTUP_SAME_BOOT;
	char booted = 0;
	int rc = CLI_EXIT_FAILED;
	(void)argv;
	if (argc != 1)
		return ferry_error_set(err, "reboot takes no arguments"), CLI_EXIT_USAGE;
	if (ctx->config->bootloader.type != AGENT_BOOT_FILE)
		return ferry_error_set(err, "reboot is virtual: it needs bootloader type file, not %s",
				       agent_boot_type_name(ctx->config->bootloader.type)),
		       CLI_EXIT_USAGE;
	if (!lifecycle_open(ctx->config, &s, &b, err) ||
	    !lifecycle_virtual_reboot(ctx->config, s, b, &booted, &o, err))
		goto out;
	report(ctx, booted, o);
	rc = CLI_EXIT_OK;   /* the outcome is reported, not an error */
out:
	boot_close(b);
	state_close(s);
	return rc;
}

int cmd_boot(struct agent_ctx *ctx, int argc, char **argv, struct ferry_error **err)
{
	struct state *s = NULL;
	struct boot *b = NULL;
	struct boot_status bs;
	enum lifecycle_startup_outcome o = LIFECYCLE_STARTUP_SAME_BOOT;
	int rc = CLI_EXIT_FAILED;
	(void)argv;
	if (argc != 1)
		return ferry_error_set(err, "boot takes no arguments"), CLI_EXIT_USAGE;
	if (!state_open_config(ctx->config, &s, err) || !boot_open(ctx->config, &b, err) ||
	    !lifecycle_startup(ctx->config, s, b, &o, err) || !boot_get_status(b, &bs, err))
		goto out;
	report(ctx, bs.booted, o);
	rc = CLI_EXIT_OK;   /* the outcome is reported, not an error */
out:
	boot_close(b);
	state_close(s);
	return rc;
}
