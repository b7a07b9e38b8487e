/* cmd_export: `ferry-agent export MEDIA_DIR`: the pending audit records and
 * the inventory, signed by the device key, onto a stick; then HQ's
 * acknowledgement on it, if any, lets the device prune what HQ holds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/cmd.h"
#include "agent/export.h"
#include "agent/install.h"
#include "agent/lifecycle.h"

int cmd_export(struct agent_ctx *ctx, int argc, char **argv, struct ferry_error **err)
{
	struct state *s = NULL;
	struct boot *b = NULL;
	struct agent_export_result r = { 0 };
	int rc = CLI_EXIT_FAILED;
	if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0))
		return printf("usage: ferry-agent export MEDIA_DIR\n"), CLI_EXIT_OK;
	/* an option is never a folder to create on the device */
	if (argc != 2 || argv[1][0] == '-')
		return ferry_error_set(err, "usage: export MEDIA_DIR"), CLI_EXIT_USAGE;
	if (!lifecycle_open(ctx->config, &s, &b, err))
		goto out;
	install_apply_ack(ctx->config, s, argv[1]);
	if (!agent_export(ctx->config, s, b, argv[1], &r, err))
		goto out;
	if (ctx->json) {
		cmd_print_json(json_pack("{s:s, s:I, s:I, s:I, s:b, s:I}", "dir", r.dir, "records", (json_int_t)r.n,
					 "first_seq", (json_int_t)r.first_seq, "last_seq", (json_int_t)r.last_seq,
					 "more", r.more, "failure_logs", (json_int_t)r.n_logs));
	} else if (ctx->verbosity >= 0 && r.n) {
		printf("exported records %llu-%llu%s and the inventory to %s\n",
		       (unsigned long long)r.first_seq, (unsigned long long)r.last_seq,
		       r.n_logs ? " with their failure logs" : "", r.dir);
		if (r.more)
			printf("newer records did not fit; they go on the next stick\n");
	} else if (ctx->verbosity >= 0)
		printf("no unacknowledged records; inventory written to %s\n", r.dir);
	rc = CLI_EXIT_OK;
out:
	free(r.dir);
	boot_close(b);
	state_close(s);
	return rc;
}
