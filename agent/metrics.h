/* metrics: what a health check or hook reports about the running update, as
 * "key=value" lines in the file FERRY_METRICS_FILE names (docs/agent.md):
 * boot_time_ms, mem_free_kb, app-specific ones. Promises: at most
 * METRICS_MAX metrics with names of [a-z0-9_.]{1,64} and finite numeric
 * values reach a record; every other line is refused with a reason (at most
 * METRICS_REFUSED_MAX kept) and never fails the update. */
#ifndef FERRY_AGENT_METRICS_H
#define FERRY_AGENT_METRICS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define METRICS_MAX 32
#define METRICS_REFUSED_MAX 8
#define METRICS_FILE_MAX (16 * 1024)   /* bytes of the file read; the rest is refused */
#define METRICS_NAME_MAX 64

/* Parses text (len bytes, need not be NUL-terminated): *metrics receives an
 * object name -> number (a later line for the same name wins), *refused an
 * array of "line N: reason" strings, or NULL when nothing was refused. Both
 * new references; *metrics NULL only when out of memory. */
void metrics_parse(const char *text, size_t len, json_t **metrics, json_t **refused);

/* Reads and parses the file at path (missing: no metrics, nothing refused;
 * larger than METRICS_FILE_MAX: the first METRICS_FILE_MAX bytes, and says
 * so in refused). Then removes it. */
void metrics_collect(const char *path, json_t **metrics, json_t **refused);

#endif
