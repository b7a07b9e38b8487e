/* fleet: a list of devices described by their facts (FLEET.json), for
 * `ferry-pack simulate` and the demo: each device's entry mirrors the
 * `device` object of agent.json. Turns an entry into struct device_facts. */
#ifndef FERRY_FLEET_H
#define FERRY_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decide.h"
#include "error.h"

#define FLEET_FORMAT 1
#define FLEET_MAX_BYTES (16 * 1024 * 1024)

struct fleet_installed {
	char *name;       /* bundle name */
	char *version;    /* SemVer */
};

struct fleet_device {
	char *id;
	char *type;
	int64_t hw_revision;               /* -1 when absent */
	char **groups;                     /* NULL-terminated, may be NULL */
	struct fleet_installed *installed;
	size_t n_installed;
	int64_t security_version;          /* highest installed, default 0 */
	struct device_attribute *attributes;   /* strings owned */
	size_t n_attributes;
};

struct fleet {
	struct fleet_device *devices;
	size_t n_devices;
};

/* Parses {"format":1,"devices":[{"id","type","hw_revision"?,"groups"?,
 * "installed"?:{name:version},"security_version"?,"attributes"?}]}; unknown
 * keys, duplicate ids and versions that are not SemVer are refused with
 * their JSON path. */
bool fleet_parse(const char *bytes, size_t len, const char *name, struct fleet **out,
		 struct ferry_error **err);
bool fleet_load(const char *path, struct fleet **out, struct ferry_error **err);
void fleet_free(struct fleet *f);
/* The facts of dev as seen by a bundle named bundle_name (points into dev). */
void fleet_device_facts(const struct fleet_device *dev, const char *bundle_name,
			struct device_facts *out);

#endif
