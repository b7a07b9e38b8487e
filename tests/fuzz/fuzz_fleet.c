/* fuzz_fleet: fleet file bytes (ferry-pack simulate --fleet) into
 * fleet_parse, then the facts decide() gets of each device. */
#include "common/decide.h"
#include "common/fleet.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fleet *f = NULL;
	struct ferry_error *err = NULL;
	if (fleet_parse((const char *)data, size, "fleet.json", &f, &err)) {
		for (size_t i = 0; i < f->n_devices; i++) {
			struct device_facts facts;
			fleet_device_facts(&f->devices[i], "os", &facts);
		}
	}
	fleet_free(f);
	ferry_error_free(err);
	return 0;
}
