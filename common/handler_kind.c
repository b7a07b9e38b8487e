/* handler_kind: see handler_kind.h. */
#include "handler_kind.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

static const struct handler_kind kinds[HANDLER_COUNT_] = {
	[HANDLER_ROOTFS_AB] = { HANDLER_ROOTFS_AB, "rootfs-ab", HANDLER_WRITES_SLOT, HANDLER_TARGET_SLOT,
				true, false, true, false,
				"a whole filesystem image into the inactive A/B slot, then a trial boot" },
	[HANDLER_FILES] = { HANDLER_FILES, "files", HANDLER_WRITES_TARGET, HANDLER_TARGET_DIR,
			    false, true, false, true,
			    "a tar of a file tree, staged beside a target directory and swapped in" },
	[HANDLER_SCRIPT] = { HANDLER_SCRIPT, "script", HANDLER_WRITES_NOTHING, HANDLER_TARGET_NONE,
			     false, false, false, false,
			     "a shell script run once as root (no undo)" },
	[HANDLER_MODULE] = { HANDLER_MODULE, "module", HANDLER_WRITES_NOTHING, HANDLER_TARGET_MODULE,
			     false, false, false, true,
			     "an update module on the device (Mender v3 protocol) does the work" },
};

const struct handler_kind *handler_kind_find(const char *name)
{
	for (size_t i = 0; name && i < HANDLER_COUNT_; i++)
		if (strcmp(kinds[i].name, name) == 0)
			return &kinds[i];
	return NULL;
}

const struct handler_kind *handler_kind_get(enum handler_id id)
{
	return (unsigned)id < HANDLER_COUNT_ ? &kinds[id] : NULL;
}

const char *handler_kind_names(void)
{
	/* Built from the table once, so that a new row needs no second edit. */
	static char names[HANDLER_COUNT_ * 32];
	size_t off = 0;
	if (names[0])
		return names;
	for (size_t i = 0; i < HANDLER_COUNT_ && off < sizeof(names); i++)
		off += (size_t)snprintf(names + off, sizeof(names) - off, "%s%s", i ? ", " : "", kinds[i].name);
	return names;
}
