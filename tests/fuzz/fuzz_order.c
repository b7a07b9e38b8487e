/* fuzz_order: work-order bytes (ferry/orders/<id>.json on a stick) into
 * order_parse; a parsed order must serialize and parse again. */
#include <stdlib.h>
#include <string.h>

#include "common/order.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct order *p = NULL, *again = NULL;
	struct ferry_error *err = NULL;
	char *text = NULL;
	if (order_parse((const char *)data, size, "order.json", &p, &err)) {
		text = order_serialize(p);
		if (!text || !order_parse(text, strlen(text), "again", &again, &err))
			abort();   /* what we accept, we must be able to write back */
	}
	order_free(again);
	order_free(p);
	free(text);
	ferry_error_free(err);
	return 0;
}
