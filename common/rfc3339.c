/* rfc3339: see rfc3339.h. */
#include "rfc3339.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static bool digits(const char *s, size_t n, int *out)
{
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

bool rfc3339_parse_utc(const char *text, int64_t *epoch, struct ferry_error **err)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, mo, d, h, mi, s;
	if (!text || strlen(text) != RFC3339_UTC_LEN || text[4] != '-' || text[7] != '-' ||
	    text[10] != 'T' || text[13] != ':' || text[16] != ':' || text[19] != 'Z' ||
	    !digits(text, 4, &y) || !digits(text + 5, 2, &mo) || !digits(text + 8, 2, &d) ||
	    !digits(text + 11, 2, &h) || !digits(text + 14, 2, &mi) || !digits(text + 17, 2, &s))
		return ferry_error_set(err, "'%s' is not an RFC 3339 UTC time like 2026-11-24T10:00:00Z",
				       text ? text : "");
	if (y < 1 || mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] + (mo == 2 && is_leap(y)) || h > 23 || mi > 59 || s > 59)
		return ferry_error_set(err, "'%s' is not a valid date and time", text);
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
			 .tm_hour = h, .tm_min = mi, .tm_sec = s };
	*epoch = (int64_t)timegm(&tm);
	return true;
}

bool rfc3339_valid_utc(const char *text)
{
	int64_t t;
	return rfc3339_parse_utc(text, &t, NULL);
}

bool rfc3339_format_utc(int64_t epoch, char out[RFC3339_UTC_LEN + 1])
{
	time_t t = (time_t)epoch;
	struct tm tm;
	if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 < 1 || tm.tm_year + 1900 > 9999)
		return false;
	snprintf(out, RFC3339_UTC_LEN + 1, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return true;
}

bool rfc3339_date_valid(const char *date)
{
	char t[32];
	return strlen(date) == 10 && snprintf(t, sizeof(t), "%sT00:00:00Z", date) > 0 && rfc3339_valid_utc(t);
}
