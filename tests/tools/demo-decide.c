/* demo-decide: the compatibility decision for every device of a fleet file
 * against one manifest, as `make demo` shows it before ferry-pack simulate
 * exists. Usage: demo-decide MANIFEST.json FLEET.json [--json]
 * Prints one block per device: the variant it takes, or every reason why not. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/decide.h"
#include "common/fleet.h"
#include "common/safefile.h"

static void print_text(const struct fleet_device *dev, const struct device_facts *f,
		       const struct decision *dec)
{
	char hw[32] = "hw ?";
	if (f->hw_revision >= 0)
		snprintf(hw, sizeof(hw), "hw %lld", (long long)f->hw_revision);
	printf("%-9s %-9s %-5s %s %-12s -> ", dev->id, dev->type, hw, dec->manifest->name,
	       f->installed_version ? f->installed_version : "(none)");
	if (dec->variant) {
		printf("install %s %s (variant %s)\n", dec->manifest->name, dec->manifest->version,
		       dec->variant->id);
		return;
	}
	printf("refused\n");
	for (size_t i = 0; i < dec->n_reasons; i++)
		printf("      %-18s %s\n", decide_code_name(dec->reasons[i].code), dec->reasons[i].message);
}

int main(int argc, char **argv)
{
	int rc = 1;
	bool as_json = argc == 4 && strcmp(argv[3], "--json") == 0;
	struct ferry_error *err = NULL;
	struct manifest *m = NULL;
	struct fleet *fl = NULL;
	char *data = NULL;
	size_t len = 0;
	json_t *all = json_array();

	if (argc != 3 && !as_json) {
		fprintf(stderr, "usage: demo-decide MANIFEST.json FLEET.json [--json]\n");
		return 2;
	}
	if (!read_file_limited(argv[1], MANIFEST_MAX_BYTES, &data, &len, &err) ||
	    !manifest_parse(data, len, argv[1], &m, &err) || !fleet_load(argv[2], &fl, &err))
		goto out;
	for (size_t i = 0; i < fl->n_devices; i++) {
		struct device_facts facts;
		struct decision dec;
		fleet_device_facts(&fl->devices[i], m->name, &facts);
		if (!decide(m, &facts, &dec, &err))
			goto out;
		if (as_json) {
			json_t *j = decision_json(&dec);
			json_object_set_new(j, "device", json_string(facts.id));
			json_array_append_new(all, j);
		} else {
			print_text(&fl->devices[i], &facts, &dec);
		}
		decision_free(&dec);
	}
	if (as_json) {
		char *text = json_dumps(all, JSON_INDENT(2));
		puts(text);
		free(text);
	}
	rc = 0;
out:
	if (err)
		fprintf(stderr, "demo-decide: %s\n", ferry_error_message(err));
	ferry_error_free(err);
	json_decref(all);
	fleet_free(fl);
	manifest_free(m);
	free(data);
	return rc;
}
