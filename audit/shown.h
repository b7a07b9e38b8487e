/* shown: what HQ shows of the strings devices send. A device (or a stick in
 * between) may put any byte into a record or an inventory; every text output
 * of ferry-audit (events, devices, report in every format) shows control
 * characters and bytes that are not UTF-8 as visible escapes ("\x1b",
 * common/visible.h), so nothing a device says can drive a terminal, break a
 * line or make the HTML report ill-formed. */
#ifndef FERRY_AUDIT_SHOWN_H
#define FERRY_AUDIT_SHOWN_H

#include <stdbool.h>

#include "audit/db.h"

/* The visible form of s; NULL when s is NULL or out of memory. Caller frees. */
char *shown_visible(const char *s);
/* The visible form of the first max bytes of s line by line: newlines kept,
 * every other control shown as an escape; "…(cut)" ends a cut text. Caller
 * frees; NULL when out of memory. */
char *shown_lines(const char *s, size_t max);
/* Replaces every cell (and column name) of t by its visible form. */
bool shown_table(struct audit_table *t, struct ferry_error **err);

#endif
