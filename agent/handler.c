/* handler: the table of handlers behind handler.h, and what they share. */
#include "agent/handler.h"

#include <stdlib.h>
#include <string.h>

static const struct handler_ops *const handlers[] = {
	&handler_rootfs_ab,
};

const struct handler_ops *handler_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < sizeof handlers / sizeof handlers[0]; i++)
		if (strcmp(handlers[i]->name, name) == 0)
			return handlers[i];
	return NULL;
}

void handler_result_free(struct handler_result *res)
{
	if (!res)
		return;
	free(res->log);
	res->log = NULL;
}
