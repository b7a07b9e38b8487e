/* fuzz.h: what every fuzz target shares: libFuzzer's entry points, and small
 * helpers that turn an input into what the parser under test takes (a
 * NUL-terminated string, a file). A target is built twice: with libFuzzer
 * (make fuzz) and with replay.c (make check replays the committed corpus). */
#ifndef FERRY_FUZZ_H
#define FERRY_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A malloc'd copy of the input with a NUL after it (NULL when out of memory). */
char *fuzz_strndup(const uint8_t *data, size_t size);
/* The path of a private directory for this process (created on first use,
 * removed with its files at exit). */
const char *fuzz_dir(void);
/* Replaces fuzz_dir()/name with exactly these bytes; the path is returned in
 * a static buffer (overwritten by the next call). NULL on failure. */
const char *fuzz_file(const char *name, const void *data, size_t size);
/* The env file name holding the input, through a bootloader backend of this
 * type as the agent uses it: status, then a trial armed (load, parse, store),
 * then status again, which must succeed (aborts otherwise). */
void fuzz_boot_env(enum agent_boot_type type, const char *name, const uint8_t *data, size_t size);

#endif
