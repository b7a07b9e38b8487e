/* keys/text: how ferry-keys shows signers, rules and policies to people
 * (policy show, policy log) and as JSON (--json). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/rfc3339.h"
#include "keys/keys.h"

static size_t put_list(char *buf, size_t size, size_t off, char *const *v)
{
	for (size_t i = 0; v && v[i] && off < size; i++)
		off += (size_t)snprintf(buf + off, size - off, "%s%s", i ? ", " : "", v[i]);
	return off;
}

void keys_signer_text(const struct policy_signer *s, char *buf, size_t size)
{
	char when[RFC3339_UTC_LEN + 1] = "never";
	size_t off = (size_t)snprintf(buf, size, "'%s' roles ", s->name);
	off = put_list(buf, size, off, s->roles);
	if (off < size)
		off += (size_t)snprintf(buf + off, size - off, "; device types ");
	off = put_list(buf, size, off, s->device_types);
	if (s->expires)
		rfc3339_format_utc(s->expires, when);
	if (off < size)
		snprintf(buf + off, size - off, "; expires %s", when);
}

void keys_rule_text(const struct policy_rule *r, char *buf, size_t size)
{
	size_t off = (size_t)snprintf(buf, size, "device types ");
	off = put_list(buf, size, off, r->device_types);
	if (off < size)
		off += (size_t)snprintf(buf + off, size - off, " require ");
	off = put_list(buf, size, off, r->require_roles);
	if (off < size)
		snprintf(buf + off, size - off, " (distinct signers)");
}

json_t *keys_policy_json(const struct policy *p)
{
	char *text = policy_serialize(p);
	json_t *v = text ? json_loads(text, 0, NULL) : NULL;
	free(text);
	return v;
}
