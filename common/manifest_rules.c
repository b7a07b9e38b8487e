/* manifest_rules: see manifest_rules.h. */
#include "manifest_rules.h"

#include <stdlib.h>
#include <string.h>

#include "safefile.h"
#include "sha256.h"

/* Member file names live only inside the tar: room for "<payload name>.zst.chunks". */
#define MEMBER_FILE_MAX_BYTES 100
#define MEMBER_FILE_RULE "1 to 100 characters of a-z 0-9 . _ - starting with a letter or digit"

struct manifest_seen_member {
	const char *member;
	struct json_path path;
};

bool manifest_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

/* [a-z0-9._-], 1..max bytes, starting with a letter or digit (so never "."
 * or "..", never an option-like "-x"): safe as a file name on FAT. */
static bool name_valid_max(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > max || s[0] == '.' || s[0] == '_' || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!manifest_name_char(s[i]))
			return false;
	return true;
}

bool manifest_name_valid(const char *s)
{
	return name_valid_max(s, MANIFEST_NAME_MAX_BYTES);
}

bool manifest_check_name(const struct json_path *p, const char *s, struct ferry_error **err)
{
	if (!s)
		return json_path_error(err, p, "missing");
	if (!manifest_name_valid(s))
		return json_path_error(err, p, "'%s' must be " MANIFEST_NAME_RULE, s);
	return true;
}

bool manifest_check_sha256(const char *hex, const struct json_path *p, struct ferry_error **err)
{
	if (!sha256_hex_valid(hex))
		return json_path_error(err, p, "must be 64 lowercase hex digits (SHA-256)");
	return true;
}

bool manifest_check_size(uint64_t size, uint64_t max, const struct json_path *p,
			 struct ferry_error **err)
{
	if (size == 0 || size > (uint64_t)INT64_MAX)
		return json_path_error(err, p, "must be a positive integer");
	if (size > max)
		return json_path_error(err, p, "%llu bytes, more than the %llu allowed",
				       (unsigned long long)size, (unsigned long long)max);
	return true;
}

void manifest_members_clear(struct manifest_members *seen)
{
	free(seen->items);
	memset(seen, 0, sizeof(*seen));
}

static bool remember_member(struct manifest_members *seen, const char *member,
			    const struct json_path *p, struct ferry_error **err)
{
	for (size_t i = 0; i < seen->n; i++)
		if (strcmp(seen->items[i].member, member) == 0)
			return json_path_error(err, p, "'%s' is used twice (also at %s)", member,
					       seen->items[i].path.path);
	if (seen->n == seen->cap) {
		size_t cap = seen->cap ? seen->cap * 2 : 16;
		struct manifest_seen_member *items = realloc(seen->items, cap * sizeof(*items));
		if (!items)
			return ferry_error_set(err, "out of memory");
		seen->items = items;
		seen->cap = cap;
	}
	seen->items[seen->n].member = member;
	seen->items[seen->n].path = *p;
	seen->n++;
	return true;
}

bool manifest_check_member(struct manifest_members *seen, const char *member,
			   const char *variant_id, const struct json_path *p,
			   struct ferry_error **err)
{
	struct ferry_error *perr = NULL;
	if (!member)
		return json_path_error(err, p, "missing");
	if (!path_check_relative(member, strlen(member), &perr)) {
		json_path_error(err, p, "%s", ferry_error_message(perr));
		ferry_error_free(perr);
		return false;
	}
	size_t plen = strlen("payloads/") + strlen(variant_id) + 1;
	if (strncmp(member, "payloads/", 9) != 0 || strncmp(member + 9, variant_id, plen - 10) != 0 ||
	    member[plen - 1] != '/')
		return json_path_error(err, p, "'%s' must be payloads/%s/<file>", member, variant_id);
	if (!name_valid_max(member + plen, MEMBER_FILE_MAX_BYTES))
		return json_path_error(err, p, "'%s': the file name must be " MEMBER_FILE_RULE, member);
	return remember_member(seen, member, p, err);
}

/* --- typed readers -------------------------------------------------------- */

bool manifest_get_count(json_t *obj, const struct json_path *p, const char *key, json_int_t min,
			int64_t *out, struct ferry_error **err)
{
	struct json_path kp;
	json_path_key(&kp, p, key);
	json_t *v = json_object_get(obj, key);
	if (!v)
		return json_path_error(err, &kp, "missing");
	if (!json_is_integer(v) || json_integer_value(v) < min)
		return json_path_error(err, &kp, min > 0 ? "must be a positive integer"
							 : "must be a non-negative integer");
	*out = json_integer_value(v);
	return true;
}

bool manifest_get_size(json_t *obj, const struct json_path *p, const char *key, uint64_t *out,
		       struct ferry_error **err)
{
	int64_t n = 0;
	if (!manifest_get_count(obj, p, key, 1, &n, err))
		return false;
	*out = (uint64_t)n;
	return true;
}

bool manifest_get_sha256(json_t *obj, const struct json_path *p, const char *key, char out[65],
			 struct ferry_error **err)
{
	const char *s = NULL;
	struct json_path kp;
	json_path_key(&kp, p, key);
	if (!json_get_string(obj, p, key, true, &s, err) || !manifest_check_sha256(s, &kp, err))
		return false;
	memcpy(out, s, SHA256_HEX_LEN + 1);
	return true;
}
