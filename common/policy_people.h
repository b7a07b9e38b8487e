/* policy_people: the optional "technicians" and "order_rules" of policy.json
 * (format 1, additive; docs/formats.md): who may carry work orders and which
 * operations need one. Used only by policy.c's parse, validate, serialize and
 * free; lookups are declared in policy.h. */
#ifndef FERRY_POLICY_PEOPLE_H
#define FERRY_POLICY_PEOPLE_H

#include <jansson.h>
#include <stdbool.h>

#include "json.h"
#include "policy.h"

bool policy_people_parse(json_t *doc, const struct json_path *root, struct policy *p,
			 struct ferry_error **err);
bool policy_people_validate(const struct policy *p, const struct json_path *root,
			    struct ferry_error **err);
/* Adds both lists to doc when non-empty (a policy without them serializes
 * exactly as before). False on out of memory. */
bool policy_people_serialize(json_t *doc, const struct policy *p);
void policy_people_free(struct policy *p);
/* A work-order operation name: "read", "install" or "policy". */
bool policy_order_op_valid(const char *s);

#endif
