/* ack-apply: what the agent does with HQ's acknowledgement on a stick, as a
 * tool for tests until the agent's stick flow calls it: load the device's
 * config, state and current trust policy, then ack_apply.
 *   ack-apply AGENT_JSON MEDIA_DIR   prints "found SEQ pruned N" or "no ack" */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "agent/ack.h"
#include "agent/config.h"
#include "agent/state.h"
#include "agent/trust.h"

int main(int argc, char **argv)
{
	struct ferry_error *err = NULL;
	struct agent_config *c = NULL;
	struct state *st = NULL;
	struct agent_trust t = { 0 };
	struct ack_result r;
	char *ferry = NULL;
	bool ok = false;
	if (argc != 3) {
		fprintf(stderr, "usage: ack-apply AGENT_JSON MEDIA_DIR\n");
		return 2;
	}
	if (asprintf(&ferry, "%s/ferry", argv[2]) < 0)
		return 1;
	if (agent_config_load(argv[1], &c, &err) && state_open_config(c, &st, &err) &&
	    agent_trust_open(c, st, &t, &err) &&
	    ack_apply(st, t.pgp, t.policy, c->device.type, ferry, time(NULL), &r, &err)) {
		if (r.found)
			printf("found %llu pruned %llu\n", (unsigned long long)r.seq, (unsigned long long)r.pruned);
		else
			printf("no ack\n");
		ok = true;
	} else {
		fprintf(stderr, "ack-apply: %s\n", ferry_error_message(err));
	}
	agent_trust_close(&t);
	state_close(st);
	agent_config_free(c);
	ferry_error_free(err);
	free(ferry);
	return ok ? 0 : 1;
}
