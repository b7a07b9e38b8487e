/* fuzz_policy: policy.json bytes (on a stick, in /etc/ferry, at HQ) into
 * policy_parse; a parsed policy must serialize and parse again. */
#include <stdlib.h>
#include <string.h>

#include "common/policy.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy *p = NULL, *again = NULL;
	struct ferry_error *err = NULL;
	char *text = NULL;
	if (policy_parse((const char *)data, size, "policy.json", &p, &err)) {
		text = policy_serialize(p);
		if (!text || !policy_parse(text, strlen(text), "again", &again, &err))
			abort();   /* what we accept, we must be able to write back */
	}
	policy_free(again);
	policy_free(p);
	free(text);
	ferry_error_free(err);
	return 0;
}
