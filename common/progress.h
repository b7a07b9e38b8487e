/* progress: a one-line progress bar on stderr for work over a second
 * (create, verify, install). Draws only when enabled (the caller passes
 * isatty(stderr) && !quiet), at most ten times a second; silent otherwise. */
#ifndef FERRY_PROGRESS_H
#define FERRY_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

struct progress;

/* true when stderr is a terminal: the usual value for enabled. */
bool progress_wanted(void);
/* NULL on out of memory; every function accepts NULL as "no bar". */
struct progress *progress_new(const char *label, uint64_t total, bool enabled);
void progress_set_label(struct progress *p, const char *label);
void progress_update(struct progress *p, uint64_t done);
/* Draws the final state, ends the line and frees. */
void progress_finish(struct progress *p);

#endif
