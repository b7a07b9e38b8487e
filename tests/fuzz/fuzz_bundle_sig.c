/* fuzz_bundle_sig: manifest.sig bytes into bundle_sig_check, the OpenPGP
 * packet walker that runs before GnuPG sees a signature from a stick. */
#include "common/bundle_sig.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ferry_error *err = NULL;
	size_t n = 0;
	bundle_sig_check(data, size, &n, &err);
	ferry_error_free(err);
	return 0;
}
