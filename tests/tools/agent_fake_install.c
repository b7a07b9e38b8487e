/* agent_fake_install: stands in for `ferry-agent install` in tests of the
 * trial-boot lifecycle: drives a virtual device through verifying ->
 * installing -> installed exactly as the orchestrator does (each step with its
 * record), writes a marker into the inactive slot and arms a trial boot.
 * usage: agent_fake_install AGENT_JSON BUNDLE VERSION SECURITY_VERSION */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/lifecycle.h"
#include "common/safefile.h"

static bool step(struct state *s, enum agent_state to, const struct state_txn *txn,
		 const char *event, const char *result, struct ferry_error **err)
{
	struct state_change c = { .set_state = true, .state = to, .begin_txn = txn };
	struct auditlog_fields ev = { .event = event, .bundle = txn ? txn->bundle : NULL,
				  .version = txn ? txn->version : NULL, .result = result };
	return state_apply(s, &c, &ev, NULL, err);
}

int main(int argc, char **argv)
{
	struct agent_config *c = NULL;
	struct state *s = NULL;
	struct boot *b = NULL;
	struct boot_status bs;
	struct ferry_error *err = NULL;
	int rc = 1;
	if (argc != 5) {
		fprintf(stderr, "usage: agent_fake_install AGENT_JSON BUNDLE VERSION SECURITY_VERSION\n");
		return 2;
	}
	if (!agent_config_load(argv[1], &c, &err) || !lifecycle_open(c, &s, &b, &err) ||
	    !boot_get_status(b, &bs, &err))
		goto out;
	const struct agent_slot_pair *pair = agent_config_slot(c, "rootfs");
	if (!pair || !bs.booted) {
		ferry_error_set(&err, "needs slots.rootfs and a known running slot");
		goto out;
	}
	char target[2] = { boot_other_slot(bs.booted), '\0' }, previous[2] = { bs.booted, '\0' };
	struct state_txn txn = { .bundle = argv[2], .version = argv[3],
				 .security_version = strtoll(argv[4], NULL, 10),
				 .target_slot = target, .previous_slot = previous };
	char image[256];
	int n = snprintf(image, sizeof(image), "%s %s\n", argv[2], argv[3]);
	if (!step(s, AGENT_STATE_VERIFYING, &txn, "install.started", "info", &err) ||
	    !step(s, AGENT_STATE_INSTALLING, NULL, "install.writing", "info", &err) ||
	    !safe_write_atomic(target[0] == 'a' ? pair->a : pair->b, image, (size_t)n, 0644, &err) ||
	    !boot_try_once(b, target[0], &err) ||
	    !step(s, AGENT_STATE_INSTALLED, NULL, "install.finished", "success", &err))
		goto out;
	printf("%s\n", target);
	rc = 0;
out:
	if (err)
		fprintf(stderr, "agent_fake_install: %s\n", ferry_error_message(err));
	ferry_error_free(err);
	boot_close(b);
	state_close(s);
	agent_config_free(c);
	return rc;
}
