/* visible: see visible.h. */
#include "visible.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (2..4 bytes) that is not a C1
 * control, or 0. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned cp;
	size_t n;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	bool overlong = (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000);
	bool bad = overlong || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
		   (cp >= 0x80 && cp <= 0x9f);
	return bad ? 0 : n;
}

bool visible_text(const char *in, char *out, size_t size)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t o = 0;
	bool same = true;
	while (*s) {
		char piece[8];
		size_t n = utf8_len(s), take = n ? n : 1;
		if (n) {
			memcpy(piece, s, n);
		} else if (*s == '\\') {
			memcpy(piece, "\\\\", 2);
			n = 2;
		} else if (*s >= 0x20 && *s < 0x7f) {
			piece[0] = (char)*s;
			n = 1;
		} else {
			n = (size_t)snprintf(piece, sizeof(piece), "\\x%02x", *s);
		}
		same = same && n == take;
		if (o + n >= size) {
			same = false;
			break;
		}
		memcpy(out + o, piece, n);
		o += n;
		s += take;
	}
	out[o] = '\0';
	return same;
}

bool visible_in_place(char *buf, size_t size)
{
	char *copy = strdup(buf);
	if (!copy) {   /* out of memory: keep only the plain ASCII prefix */
		for (char *p = buf; *p; p++)
			if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f) {
				*p = '\0';
				break;
			}
		return false;
	}
	bool same = visible_text(copy, buf, size);
	free(copy);
	return same;
}
