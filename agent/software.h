/* software: what the device keeps of an installed bundle's SBOM and support
 * period, and reports in its inventory ("software", docs/formats.md §6).
 * One file per bundle and version under <state_dir>/software/<bundle>/,
 * written when an install starts; the inventory reports the file of the
 * version installed, so a failed or rolled-back install reports nothing new.
 * Promises: bounded (SOFTWARE_COMPONENTS_MAX components, SOFTWARE_BYTES_MAX
 * bytes per bundle, components_truncated says so); a bundle without SBOM or
 * support date leaves nothing. */
#ifndef FERRY_AGENT_SOFTWARE_H
#define FERRY_AGENT_SOFTWARE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/agent_config.h"
#include "common/error.h"

#define SOFTWARE_COMPONENTS_MAX 2000
#define SOFTWARE_BYTES_MAX (128 * 1024)

/* Keeps what runs once bundle/version is installed: its support date (may
 * be NULL) and the components of its SBOM (sbom NULL: none). Removes the
 * files of other versions of bundle but keep_version (the installed one). */
bool software_keep(const char *state_dir, const char *bundle, const char *version,
		   const char *keep_version, const char *support_until, const char *sbom,
		   size_t sbom_len, struct ferry_error **err);

/* The inventory's "software" object for the installed bundles; NULL when
 * none has anything kept (or out of memory). A damaged file is left out. */
json_t *software_inventory(const char *state_dir, const struct agent_kv *installed, size_t n);

#endif
