/* cmd: what every ferry-agent subcommand gets from main(), and their entry
 * points (one line each; main.c's table lists them). A command returns the
 * exit code (0 ok or nothing to do, 1 refused/failed, 2 usage) and, when it
 * fails, fills *err which main() prints once. */
#ifndef FERRY_AGENT_CMD_H
#define FERRY_AGENT_CMD_H

#include <jansson.h>
#include <stdbool.h>

#include "agent/config.h"
#include "common/cli.h"
#include "common/error.h"

struct agent_ctx {
	const char *config_path;
	struct agent_config *config;   /* loaded by main() before the command runs */
	bool json;                     /* --json: machine-readable output on stdout */
	int verbosity;                 /* -1 quiet, 0 normal, 1+ verbose */
};

/* argv[0] is the command name; argv holds what follows it. */
typedef int (*agent_cmd_fn)(struct agent_ctx *ctx, int argc, char **argv, struct ferry_error **err);

/* Prints o (--json) as one compact line with sorted keys; takes o (NULL: "{}"). */
void cmd_print_json(json_t *o);

int cmd_install(struct agent_ctx *ctx, int argc, char **argv, struct ferry_error **err);
int cmd_dry_run(struct agent_ctx *ctx, int argc, char **argv, struct ferry_error **err);
int cmd_status(struct agent_ctx *ctx, int argc, char **argv, struct ferry_error **err);
int cmd_commit(struct agent_ctx *ctx, int argc, char **argv, struct ferry_error **err);
int cmd_rollback(struct agent_ctx *ctx, int argc, char **argv, struct ferry_error **err);
int cmd_export(struct agent_ctx *ctx, int argc, char **argv, struct ferry_error **err);
int cmd_reboot(struct agent_ctx *ctx, int argc, char **argv, struct ferry_error **err);
int cmd_boot(struct agent_ctx *ctx, int argc, char **argv, struct ferry_error **err);
int cmd_doctor(struct agent_ctx *ctx, int argc, char **argv, struct ferry_error **err);
int cmd_watch(struct agent_ctx *ctx, int argc, char **argv, struct ferry_error **err);

/* The command table for common/cli.h's cli_main (agent/commands.c). */
extern const struct cli_program agent_program;

#endif
