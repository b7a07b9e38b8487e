/* inventory_software: the inventory's "software" object (docs/formats.md §6):
 * per installed bundle its version, support date and SBOM components, as the
 * device kept them (agent/software.h). Checked strictly: HQ stores what
 * passed, a device's bogus entry refuses the inventory with its path. */
#include "inventory.h"

#include <stdlib.h>
#include <string.h>

#include "rfc3339.h"
#include "sbom.h"

static const char *const software_keys[] = { "version", "support_until", "components",
					     "components_truncated", NULL };
static const char *const component_keys[] = { "name", "version", "licence", NULL };

static bool text_field(json_t *o, const struct json_path *p, const char *key, bool required,
		       const char **out, struct ferry_error **err)
{
	struct json_path kp;
	if (!json_get_string(o, p, key, required, out, err))
		return false;
	json_path_key(&kp, p, key);
	if (*out && !sbom_field_ok(*out))
		return json_path_error(err, &kp, "must be 1 to %d bytes without control characters",
				       SBOM_FIELD_MAX);
	return true;
}

static bool parse_components(json_t *entry, const struct json_path *p, struct inventory_software *s,
			     struct ferry_error **err)
{
	json_t *list = NULL;
	struct json_path lp;
	if (!json_get_array(entry, p, "components", false, &list, err))
		return false;
	json_path_key(&lp, p, "components");
	size_t n = json_array_size(list);
	if (n > INVENTORY_COMPONENTS_MAX)
		return json_path_error(err, &lp, "%zu entries, more than %d", n, INVENTORY_COMPONENTS_MAX);
	s->names = calloc(n + 1, sizeof(*s->names));
	s->versions = calloc(n + 1, sizeof(*s->versions));
	s->licences = calloc(n + 1, sizeof(*s->licences));
	if (!s->names || !s->versions || !s->licences)
		return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
	for (size_t i = 0; i < n; i++) {
		json_t *c = json_array_get(list, i);
		struct json_path cp;
		json_path_index(&cp, &lp, i);
		if (!json_is_object(c))
			return json_path_error(err, &cp, "must be an object {\"name\", \"version\"}");
		if (!json_check_keys(c, &cp, component_keys, err) ||
		    !text_field(c, &cp, "name", true, &s->names[i], err) ||
		    !text_field(c, &cp, "version", true, &s->versions[i], err) ||
		    !text_field(c, &cp, "licence", false, &s->licences[i], err))
			return false;
		s->n_components++;
	}
	return true;
}

static bool parse_entry(const char *bundle, json_t *entry, const struct json_path *p,
			struct inventory_software *s, struct ferry_error **err)
{
	struct json_path dp;
	s->bundle = bundle;
	if (!json_is_object(entry))
		return json_path_error(err, p, "must be an object");
	if (!json_check_keys(entry, p, software_keys, err) ||
	    !text_field(entry, p, "version", true, &s->version, err) ||
	    !json_get_string(entry, p, "support_until", false, &s->support_until, err) ||
	    !json_get_bool(entry, p, "components_truncated", false, &s->truncated, err))
		return false;
	json_path_key(&dp, p, "support_until");
	if (s->support_until && !rfc3339_date_valid(s->support_until))
		return json_path_error(err, &dp, "'%s' is not a date YYYY-MM-DD", s->support_until);
	return parse_components(entry, p, s, err);
}

bool inventory_software_parse(json_t *root, const struct json_path *p, struct inventory *out,
			      struct ferry_error **err)
{
	json_t *software = NULL, *entry;
	struct json_path sp;
	const char *bundle;
	if (!json_get_object(root, p, "software", false, &software, err))
		return false;
	if (!software)
		return true;
	json_path_key(&sp, p, "software");
	if (json_object_size(software) > INVENTORY_SOFTWARE_MAX)
		return json_path_error(err, &sp, "more than %d bundles", INVENTORY_SOFTWARE_MAX);
	out->software = software;
	out->software_list = calloc(json_object_size(software) + 1, sizeof(*out->software_list));
	if (!out->software_list)
		return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
	json_object_foreach(software, bundle, entry) {
		struct json_path ep;
		json_path_key(&ep, &sp, bundle);
		if (!sbom_field_ok(bundle))
			return json_path_error(err, &sp, "a bundle name is not 1 to %d printable bytes",
					       SBOM_FIELD_MAX);
		if (!parse_entry(bundle, entry, &ep, &out->software_list[out->n_software++], err))
			return false;
	}
	return true;
}

void inventory_software_clear(struct inventory *inv)
{
	for (size_t i = 0; inv->software_list && i < inv->n_software; i++) {
		free(inv->software_list[i].names);
		free(inv->software_list[i].versions);
		free(inv->software_list[i].licences);
	}
	free(inv->software_list);
	inv->software_list = NULL;
	inv->n_software = 0;
}
