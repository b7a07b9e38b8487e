/* software: see software.h. */
#include "agent/software.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/inventory.h"
#include "common/json.h"
#include "common/safefile.h"
#include "common/sbom.h"

/* The components of the SBOM, at most the bounds; *truncated when cut. */
static json_t *kept_components(const struct sbom *s, bool *truncated)
{
	json_t *all = sbom_components_json(s), *kept = json_array();
	size_t bytes = 0;
	*truncated = false;
	for (size_t i = 0; all && kept && i < json_array_size(all); i++) {
		json_t *c = json_array_get(all, i);
		size_t b = strlen(s->c[i].name) + strlen(s->c[i].version) +
			   (s->c[i].licence ? strlen(s->c[i].licence) : 0) + 48;
		if (i >= SOFTWARE_COMPONENTS_MAX || bytes + b > SOFTWARE_BYTES_MAX) {
			*truncated = true;
			break;
		}
		bytes += b;
		json_array_append(kept, c);
	}
	json_decref(all);
	return kept;
}

static void remove_other_versions(const char *dir, const char *version, const char *keep_version)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char name[512];
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		bool keep = (snprintf(name, sizeof(name), "%s.json", version) > 0 && strcmp(e->d_name, name) == 0) ||
			    (keep_version && snprintf(name, sizeof(name), "%s.json", keep_version) > 0 &&
			     strcmp(e->d_name, name) == 0);
		if (!keep)
			unlinkat(dirfd(d), e->d_name, 0);
	}
	if (d)
		closedir(d);
}

bool software_keep(const char *state_dir, const char *bundle, const char *version,
		   const char *keep_version, const char *support_until, const char *sbom,
		   size_t sbom_len, struct ferry_error **err)
{
	struct sbom s = { 0 };
	char *dir = NULL, *path = NULL, *text = NULL;
	bool ok = false, truncated = false;
	if (!support_until && !sbom)
		return true;
	json_t *o = json_pack("{s:s}", "version", version);
	if (sbom && !sbom_parse(sbom, sbom_len, "sbom.json", &s, err))
		goto out;
	if (!o || asprintf(&dir, "%s/software/%s", state_dir, bundle) < 0 ||
	    asprintf(&path, "%s/%s.json", dir, version) < 0) {
		ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
		goto out;
	}
	if (support_until)
		json_object_set_new(o, "support_until", json_string(support_until));
	if (sbom) {
		json_object_set_new(o, "components", kept_components(&s, &truncated));
		if (truncated)
			json_object_set_new(o, "components_truncated", json_true());
	}
	if (!(text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS))) {
		ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
		goto out;
	}
	if (!mkdir_p(dir, 0700, err) || !safe_write_atomic(path, text, strlen(text), 0600, err))
		goto out;
	remove_other_versions(dir, version, keep_version);
	ok = true;
out:
	if (!ok)
		ferry_error_prefix(err, "keeping the SBOM of %s %s", bundle, version);
	sbom_clear(&s);
	json_decref(o);
	free(text);
	free(path);
	free(dir);
	return ok;
}

/* True when entry is what the inventory's parser takes for bundle: a kept
 * file damaged or edited must not make the whole inventory unwritable. */
static bool entry_valid(const char *bundle, json_t *entry)
{
	struct inventory inv = { 0 };
	struct json_path p;
	json_t *root = json_pack("{s:{s:O}}", "software", bundle, entry);
	json_path_root(&p, "software");
	bool ok = root && inventory_software_parse(root, &p, &inv, NULL);
	inventory_software_clear(&inv);
	json_decref(root);
	return ok;
}

json_t *software_inventory(const char *state_dir, const struct agent_kv *installed, size_t n)
{
	json_t *software = json_object();
	for (size_t i = 0; software && i < n; i++) {
		char *path = NULL;
		json_t *entry = NULL;
		struct ferry_error *ignored = NULL;
		if (asprintf(&path, "%s/software/%s/%s.json", state_dir, installed[i].key, installed[i].value) < 0)
			break;
		if (access(path, F_OK) == 0 &&
		    json_load_file_strict(path, SOFTWARE_BYTES_MAX + 4096, &entry, &ignored) &&
		    entry_valid(installed[i].key, entry))
			json_object_set_new(software, installed[i].key, entry);
		else
			json_decref(entry);
		ferry_error_free(ignored);
		free(path);
	}
	if (software && json_object_size(software) == 0) {
		json_decref(software);
		return NULL;
	}
	return software;
}
