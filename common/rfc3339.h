/* rfc3339: the one timestamp form of ferry's documents, RFC 3339 in UTC with
 * whole seconds: "2026-11-24T10:00:00Z". Parsing is strict (that exact shape,
 * a real calendar date); formatting always yields that shape. */
#ifndef FERRY_RFC3339_H
#define FERRY_RFC3339_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

#define RFC3339_UTC_LEN 20   /* "YYYY-MM-DDTHH:MM:SSZ" without the NUL */

/* Parses text into seconds since the epoch; *err says what is wrong. */
bool rfc3339_parse_utc(const char *text, int64_t *epoch, struct ferry_error **err);
bool rfc3339_valid_utc(const char *text);
/* A calendar date "YYYY-MM-DD" (a support period, a warranty). */
bool rfc3339_date_valid(const char *date);
/* Formats epoch (0001-01-01 … 9999-12-31) into out; false when out of range. */
bool rfc3339_format_utc(int64_t epoch, char out[RFC3339_UTC_LEN + 1]);

#endif
