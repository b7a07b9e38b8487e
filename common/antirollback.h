/* antirollback: where a bundle's security_version applies, and the highest
 * one a device keeps there (issue 11 item 8). A bundle's targets are its
 * name and every A/B slot pair, files target and update module its variant
 * writes; the device keeps the highest security_version installed on each
 * target, so a bundle of another name cannot put content below a level that
 * target already reached, while unrelated targets keep their own.
 * Promises: the targets of a bundle are listed once each, in a fixed order
 * and spelling ("bundle:<name>", "<handler>:<target>") that agent.db stores. */
#ifndef FERRY_ANTIROLLBACK_H
#define FERRY_ANTIROLLBACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct manifest;
struct variant;

/* The target that stands for every target a device knew before it kept
 * them apart (agent.db schema 1 kept one value per device): a target
 * without a value of its own is held to this one's. */
#define ANTIROLLBACK_EVERY "*"

/* The highest security_version installed on one target. */
struct security_floor {
	char *target;
	int64_t value;
};
void security_floors_free(struct security_floor *f, size_t n);

/* The targets of variant v of m: "bundle:<name>" first, then one
 * "<handler>:<target>" per slot pair ("rootfs-ab:rootfs" for the default
 * pair), files target and module v's payloads write, each once; scripts
 * write no target. v NULL: the bundle's name only. *out is
 * NULL-terminated; caller frees with antirollback_targets_free. */
bool antirollback_targets(const struct manifest *m, const struct variant *v, char ***out,
			  struct ferry_error **err);
void antirollback_targets_free(char **targets);

/* The highest security_version installed on target: the higher of its own
 * value and ANTIROLLBACK_EVERY's, 0 when neither is listed. */
int64_t antirollback_floor(const struct security_floor *f, size_t n, const char *target);

#endif
