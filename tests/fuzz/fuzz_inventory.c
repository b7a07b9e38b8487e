/* fuzz_inventory: a device's inventory.json bytes into ingest_inventory_parse,
 * what ferry-audit import runs once the device's signature checked out. */
#include "audit/ingest.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ingest_inventory_doc doc;
	struct ferry_error *err = NULL;
	if (ingest_inventory_parse((const char *)data, size, "inventory.json", &doc, &err))
		ingest_inventory_doc_clear(&doc);
	ferry_error_free(err);
	return 0;
}
