/* config: the agent's configuration, agent.json. The format and its one
 * parser and writer live in common/agent_config (ferry-keys provision writes
 * agent.json with it); this header is the agent's name for it. */
#ifndef FERRY_AGENT_CONFIG_H
#define FERRY_AGENT_CONFIG_H

#include "common/agent_config.h"

#endif
