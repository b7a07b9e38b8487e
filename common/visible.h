/* visible: text that came from outside (a stick's label, USB strings) made
 * safe for a console, a hook's environment and an audit record. Promises:
 * the result holds no control character (C0, DEL, C1) and only valid UTF-8;
 * every other byte is kept, and what was replaced reads as an escape
 * ("\x1b"; a backslash becomes "\\"), so nothing is hidden, nothing forged. */
#ifndef FERRY_VISIBLE_H
#define FERRY_VISIBLE_H

#include <stdbool.h>
#include <stddef.h>

/* Writes the visible form of in into out (size bytes, size >= 1, always
 * NUL-terminated; cut at a character or escape boundary when it does not
 * fit). Returns true when in needed no change and fitted. */
bool visible_text(const char *in, char *out, size_t size);
/* visible_text of buf into itself (buf holds size bytes). */
bool visible_in_place(char *buf, size_t size);

#endif
