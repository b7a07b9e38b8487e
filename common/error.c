/* error: see error.h. */
#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *vformat(const char *fmt, va_list ap)
{
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		return NULL;
	return s;
}

static bool set_message(struct ferry_error **err, int code, char *message)
{
	if (!err || *err) {
		free(message);
		return false;
	}
	struct ferry_error *e = calloc(1, sizeof(*e));
	if (!e) {
		free(message);
		return false;
	}
	e->message = message ? message : strdup("out of memory");
	e->code = code;
	*err = e;
	return false;
}

bool ferry_error_set(struct ferry_error **err, const char *fmt, ...)
{
	if (!err || *err)
		return false;
	va_list ap;
	va_start(ap, fmt);
	char *m = vformat(fmt, ap);
	va_end(ap);
	return set_message(err, 0, m);
}

bool ferry_error_errno(struct ferry_error **err, int errnum, const char *fmt, ...)
{
	if (!err || *err)
		return false;
	va_list ap;
	va_start(ap, fmt);
	char *m = vformat(fmt, ap);
	va_end(ap);
	char *full = NULL;
	if (m && asprintf(&full, "%s: %s", m, strerror(errnum)) < 0)
		full = NULL;
	free(m);
	return set_message(err, errnum, full);
}

void ferry_error_prefix(struct ferry_error **err, const char *fmt, ...)
{
	if (!err || !*err)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *ctx = vformat(fmt, ap);
	va_end(ap);
	char *full = NULL;
	if (ctx && asprintf(&full, "%s: %s", ctx, (*err)->message) >= 0) {
		free((*err)->message);
		(*err)->message = full;
	}
	free(ctx);
}

const char *ferry_error_message(const struct ferry_error *err)
{
	return err && err->message ? err->message : "";
}

void ferry_error_free(struct ferry_error *err)
{
	if (!err)
		return;
	free(err->message);
	free(err);
}

void ferry_error_clear(struct ferry_error **err)
{
	if (!err)
		return;
	ferry_error_free(*err);
	*err = NULL;
}
