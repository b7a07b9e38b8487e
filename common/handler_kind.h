/* handler_kind: the one table of payload handlers — what each one is, as the
 * manifest validator, the agent and the packager need to know it. A handler
 * name is compared nowhere else (the agent maps names to its ops through
 * handler_kind_find and the kind's id). Adding a handler: one row here, one
 * handler file in agent/, one entry in agent/handler.c. */
#ifndef FERRY_HANDLER_KIND_H
#define FERRY_HANDLER_KIND_H

#include <stdbool.h>

enum handler_id {
	HANDLER_ROOTFS_AB,
	HANDLER_FILES,
	HANDLER_SCRIPT,
	HANDLER_MODULE,
	HANDLER_COUNT_
};

/* Where a handler's install step writes. */
enum handler_writes {
	HANDLER_WRITES_SLOT,      /* the inactive A/B slot; switched by the bootloader */
	HANDLER_WRITES_TARGET,    /* a target directory of agent.json, swapped in at activation */
	HANDLER_WRITES_NOTHING,   /* nothing ferry tracks (a script, a module's own business) */
};

/* What the payload's "target" means for this handler. */
enum handler_target {
	HANDLER_TARGET_NONE,      /* must be absent */
	HANDLER_TARGET_DIR,       /* required: a targets{} name of agent.json */
	HANDLER_TARGET_MODULE,    /* required: the update module's name */
	HANDLER_TARGET_SLOT,      /* optional: a slot pair name (absent: the default "rootfs") */
};

struct handler_kind {
	enum handler_id id;
	const char *name;             /* the manifest's "handler" value */
	enum handler_writes writes;
	enum handler_target target;
	bool needs_reboot;            /* always needs a reboot to take effect (a module may ask at run time) */
	bool may_create_special;      /* may create setuid files or devices (only with allow_setuid) */
	bool can_delta;               /* can take a delta payload (reserved for a later format) */
	bool rolls_back;              /* its own undo (tree swap, ArtifactRollback) runs on rollback */
	const char *describe;         /* one line for docs and --help */
};

/* The kind named name, or NULL when no handler has that name. */
const struct handler_kind *handler_kind_find(const char *name);
/* The kind of id (always valid for id < HANDLER_COUNT_). */
const struct handler_kind *handler_kind_get(enum handler_id id);
/* "rootfs-ab, files, script, module": every name, for messages. */
const char *handler_kind_names(void);

#endif
