/* fuzz_grubenv: a grubenv file into the grub bootloader backend: the status the
 * agent reads at start-up, then a trial armed (load, parse, write back, load). */
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_boot_env(AGENT_BOOT_GRUB, "grubenv", data, size);
	return 0;
}
