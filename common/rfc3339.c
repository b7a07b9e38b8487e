/* rfc3339: see rfc3339.h. */
#include "rfc3339.h"

#include <stdio.h>
#include <string.h>

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

/* Days since 1970-01-01 of a proleptic Gregorian date, and back (the
 * era-based algorithms of H. Hinnant's "chrono-compatible low-level date
 * algorithms"). In 64-bit arithmetic of our own, not timegm/gmtime_r: a
 * 32-bit time_t (Debian 12 armhf) cannot hold a time after 2038-01-19. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
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
	*epoch = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
	return true;
}

bool rfc3339_valid_utc(const char *text)
{
	int64_t t;
	return rfc3339_parse_utc(text, &t, NULL);
}

bool rfc3339_format_utc(int64_t epoch, char out[RFC3339_UTC_LEN + 1])
{
	/* 0001-01-01 and 9999-12-31T23:59:59 */
	if (epoch < -62135596800LL || epoch > 253402300799LL)
		return false;
	int64_t days = epoch >= 0 ? epoch / 86400 : -((-epoch + 86399) / 86400), y;
	int64_t secs = epoch - days * 86400;
	int m, d;
	civil_from_days(days, &y, &m, &d);
	snprintf(out, RFC3339_UTC_LEN + 1, "%04d-%02d-%02dT%02d:%02d:%02dZ", (int)y, m, d,
		 (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
	return true;
}

bool rfc3339_date_valid(const char *date)
{
	char t[32];
	return strlen(date) == 10 && snprintf(t, sizeof(t), "%sT00:00:00Z", date) > 0 && rfc3339_valid_utc(t);
}
