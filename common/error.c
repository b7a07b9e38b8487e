/* error: see error.h. */
#define FERRY_ERROR_C   /* defines what error.h's analyser macros stand for */
#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((format(printf, 1, 0))) static char *vformat(const char *fmt, va_list ap)
{
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		return NULL;
	return s;
}

static const char *const code_names[FERRY_E_COUNT_] = {
	[FERRY_E_NONE] = "unclassified",     [FERRY_E_USAGE] = "usage",
	[FERRY_E_CONFIG] = "config",         [FERRY_E_SIGNATURE] = "signature",
	[FERRY_E_POLICY] = "policy",         [FERRY_E_COMPAT] = "compatibility",
	[FERRY_E_FORMAT] = "format",         [FERRY_E_INTEGRITY] = "integrity",
	[FERRY_E_IO] = "io",                 [FERRY_E_NOSPACE] = "no-space",
	[FERRY_E_MEDIUM_GONE] = "medium-gone", [FERRY_E_BUSY] = "busy",
	[FERRY_E_HANDLER] = "handler",       [FERRY_E_UNSAFE] = "unsafe",
	[FERRY_E_INTERNAL] = "internal",     [FERRY_E_STATE] = "state",
};

const char *ferry_code_name(enum ferry_code c)
{
	return (unsigned)c < FERRY_E_COUNT_ ? code_names[c] : "unclassified";
}

enum ferry_code ferry_code_from_name(const char *s)
{
	for (int c = 0; s && c < FERRY_E_COUNT_; c++)
		if (strcmp(s, code_names[c]) == 0)
			return (enum ferry_code)c;
	return FERRY_E_NONE;
}

int ferry_exit_code_for(enum ferry_code c)
{
	return c == FERRY_E_USAGE || c == FERRY_E_CONFIG ? 2 : 1;
}

int ferry_exit_code(const struct ferry_error *err)
{
	return err ? ferry_exit_code_for(err->code) : 0;
}

static enum ferry_code code_of_errno(int errnum)
{
	switch (errnum) {
	case ENOSPC: case EDQUOT: return FERRY_E_NOSPACE;
	case ENODEV: case ENXIO: case ENOMEDIUM: case ESHUTDOWN: return FERRY_E_MEDIUM_GONE;
	case ELOOP: return FERRY_E_UNSAFE;
	case ENOMEM: return FERRY_E_INTERNAL;
	default: return FERRY_E_IO;
	}
}

static bool set_message(struct ferry_error **err, enum ferry_code code, int errnum, char *message)
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
	e->errnum = errnum;
	*err = e;
	return false;
}

/* The one body of ferry_error_set and ferry_error_setc. */
__attribute__((format(printf, 3, 0))) static bool vset(struct ferry_error **err, enum ferry_code code, const char *fmt, va_list ap)
{
	if (!err || *err)
		return false;
	return set_message(err, code, 0, vformat(fmt, ap));
}

bool ferry_error_set(struct ferry_error **err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	bool r = vset(err, FERRY_E_NONE, fmt, ap);
	va_end(ap);
	return r;
}

bool ferry_error_setc(struct ferry_error **err, enum ferry_code code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	bool r = vset(err, code, fmt, ap);
	va_end(ap);
	return r;
}

void ferry_error_classify(struct ferry_error **err, enum ferry_code code)
{
	if (err && *err && (*err)->code == FERRY_E_NONE)
		(*err)->code = code;
}

void ferry_error_reclassify(struct ferry_error **err, enum ferry_code code)
{
	if (err && *err)
		(*err)->code = code;
}

enum ferry_code ferry_error_code(const struct ferry_error *err)
{
	return err ? err->code : FERRY_E_NONE;
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
	return set_message(err, code_of_errno(errnum), errnum, full);
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
