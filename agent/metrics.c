/* metrics: see metrics.h. Lines are "name=value", optionally padded by
 * spaces; empty lines and lines starting with '#' are skipped. */
#include "agent/metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void refuse(json_t *refused, size_t line, const char *why)
{
	if (json_array_size(refused) < METRICS_REFUSED_MAX)
		json_array_append_new(refused, json_sprintf("line %zu: %s", line, why));
}

static bool name_valid(const char *s, size_t n)
{
	if (n < 1 || n > METRICS_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		      s[i] == '.'))
			return false;
	return true;
}

static size_t trim(const char **s, size_t n)
{
	while (n && (**s == ' ' || **s == '\t')) {
		(*s)++;
		n--;
	}
	while (n && ((*s)[n - 1] == ' ' || (*s)[n - 1] == '\t' || (*s)[n - 1] == '\r'))
		n--;
	return n;
}

static void parse_line(const char *s, size_t n, size_t line, json_t *metrics, json_t *refused)
{
	n = trim(&s, n);
	if (n == 0 || s[0] == '#')
		return;
	const char *eq = memchr(s, '=', n);
	if (!eq)
		return refuse(refused, line, "not name=value");
	const char *name = s, *val = eq + 1;
	size_t nl = trim(&name, (size_t)(eq - s)), vl = trim(&val, n - (size_t)(eq - s) - 1);
	if (!name_valid(name, nl))
		return refuse(refused, line, "name must be 1-64 of [a-z0-9_.]");
	char num[64], key[METRICS_NAME_MAX + 1], *end = NULL;
	if (vl == 0 || vl >= sizeof num)
		return refuse(refused, line, "value must be a number");
	memcpy(num, val, vl);
	num[vl] = '\0';
	errno = 0;
	double v = strtod(num, &end);
	if (*end || errno || !isfinite(v))
		return refuse(refused, line, "value must be a finite number");
	memcpy(key, name, nl);
	key[nl] = '\0';
	if (!json_object_get(metrics, key) && json_object_size(metrics) >= METRICS_MAX)
		return refuse(refused, line, "more than 32 metrics");
	json_object_set_new(metrics, key, v == (double)(json_int_t)v && fabs(v) < 9e15
					  ? json_integer((json_int_t)v) : json_real(v));
}

void metrics_parse(const char *text, size_t len, json_t **metrics, json_t **refused)
{
	*metrics = json_object();
	*refused = json_array();
	size_t line = 0;
	for (size_t at = 0; at < len && *metrics && *refused;) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t n = nl ? (size_t)(nl - (text + at)) : len - at;
		if (memchr(text + at, '\0', n))
			refuse(*refused, ++line, "holds a NUL byte");
		else
			parse_line(text + at, n, ++line, *metrics, *refused);
		at += n + 1;
	}
	if (*refused && json_array_size(*refused) == 0) {
		json_decref(*refused);
		*refused = NULL;
	}
}

void metrics_collect(const char *path, json_t **metrics, json_t **refused)
{
	char *buf = malloc(METRICS_FILE_MAX + 1);
	ssize_t n = 0;
	int fd = buf ? open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) : -1;
	if (fd >= 0) {
		n = read(fd, buf, METRICS_FILE_MAX + 1);
		close(fd);
	}
	bool over = n > METRICS_FILE_MAX;
	metrics_parse(buf ? buf : "", n > 0 ? (size_t)(over ? METRICS_FILE_MAX : n) : 0, metrics, refused);
	if (over) {
		if (!*refused)
			*refused = json_array();
		json_array_append_new(*refused, json_string("file: larger than 16384 bytes; the rest ignored"));
	}
	free(buf);
	unlink(path);
}
