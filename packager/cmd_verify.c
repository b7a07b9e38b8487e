/* placeholder until the policy module lands */
#include "packager/pack.h"
int cmd_verify(struct pack_opts *o, int argc, char **argv, struct ferry_error **err)
{ (void)o; (void)argc; (void)argv; ferry_error_set(err, "not yet"); return PACK_FAILED; }
