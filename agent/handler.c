/* handler: the table of handlers behind handler.h, and what they share. */
#include "agent/handler.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct handler_ops *const handlers[] = {
	&handler_rootfs_ab, &handler_files,
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

double handler_clock(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
