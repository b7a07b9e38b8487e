/* cmds: the subcommands of ferry-keys, one file each (keys/cmd_*.c), all
 * with the signature of struct keys_command's run. */
#ifndef FERRY_KEYS_CMDS_H
#define FERRY_KEYS_CMDS_H

#include "keys/keys.h"

#define KEYS_CMD(name) int name(struct keys_ctx *k, int argc, char **argv, struct ferry_error **err)
KEYS_CMD(keys_cmd_init);
KEYS_CMD(keys_cmd_signer_add);
KEYS_CMD(keys_cmd_signer_revoke);
KEYS_CMD(keys_cmd_rule_add);
KEYS_CMD(keys_cmd_rule_remove);
KEYS_CMD(keys_cmd_root_add);
KEYS_CMD(keys_cmd_root_remove);
KEYS_CMD(keys_cmd_policy_sign);
KEYS_CMD(keys_cmd_policy_show);
KEYS_CMD(keys_cmd_policy_log);
KEYS_CMD(keys_cmd_provision);
KEYS_CMD(keys_cmd_technician_add);
KEYS_CMD(keys_cmd_technician_revoke);
KEYS_CMD(keys_cmd_technician_list);
KEYS_CMD(keys_cmd_order_create);
KEYS_CMD(keys_cmd_order_rule_set);
KEYS_CMD(keys_cmd_order_rule_remove);
KEYS_CMD(keys_cmd_order_rule_list);

#endif
