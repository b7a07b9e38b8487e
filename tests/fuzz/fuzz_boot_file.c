/* fuzz_boot_file: the file bootloader's env (JSON, virtual devices) into its
 * backend: the status the agent reads at start-up, then a trial armed. */
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_boot_env(AGENT_BOOT_FILE, "bootenv.json", data, size);
	return 0;
}
