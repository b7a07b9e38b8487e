/* fuzz_agent_config: agent.json bytes into agent_config_parse (what
 * ferry-agent reads at every start). */
#include <stdio.h>

#include "agent/config.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct agent_config *c = NULL;
	struct ferry_error *err = NULL;
	/* A directory of its own: an id_file named in the input resolves there. */
	char path[4096];
	snprintf(path, sizeof(path), "%s/agent.json", fuzz_dir());
	agent_config_parse((const char *)data, size, path, &c, &err);
	agent_config_free(c);
	ferry_error_free(err);
	return 0;
}
