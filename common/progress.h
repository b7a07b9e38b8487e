/* progress: a one-line progress bar on stderr for work over a second
 * (create, verify, install), as wide as the terminal. Draws only when enabled (the caller passes
 * isatty(stderr) && !quiet), at most ten times a second; silent otherwise. */
#ifndef FERRY_PROGRESS_H
#define FERRY_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct progress;

/* true when stderr is a terminal: the usual value for enabled. */
bool progress_wanted(void);
/* NULL on out of memory; every function accepts NULL as "no bar". */
struct progress *progress_new(const char *label, uint64_t total, bool enabled);
void progress_set_label(struct progress *p, const char *label);
void progress_update(struct progress *p, uint64_t done);
/* The widest bar drawn, in characters, however wide the terminal. */
#define PROGRESS_BAR_MAX 60
/* Formats one bar line that fits in columns-1 characters (never wraps):
 * label, bar, percentage, MiB done/total and rate, dropping the rate, then
 * the sizes, then the label as the terminal narrows. Returns its length. */
size_t progress_line(char *out, size_t cap, int columns, const char *label, uint64_t done,
		     uint64_t total, double mib_per_s);
/* Draws the final state, ends the line and frees. */
void progress_finish(struct progress *p);

#endif
