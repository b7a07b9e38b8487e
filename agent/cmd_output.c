/* cmd_output: how ferry-agent commands print --json: one compact object per
 * line, keys sorted, built with jansson (never by hand). */
#include <stdio.h>
#include <stdlib.h>

#include "agent/cmd.h"

void cmd_print_json(json_t *o)
{
	char *text = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	printf("%s\n", text ? text : "{}");
	free(text);
	json_decref(o);
}
