/* fuzz_inventory: a device's inventory.json bytes into inventory_parse
 * (common/inventory), what ferry-audit import runs once the device's signature checked out. */
#include "common/inventory.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct inventory inv = { 0 };
	struct ferry_error *err = NULL;
	if (inventory_parse((const char *)data, size, "inventory.json", &inv, &err))
		inventory_clear(&inv);
	ferry_error_free(err);
	return 0;
}
