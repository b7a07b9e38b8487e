/* error: the one error value of ferry.
 * The callee that fails fills *err with a message naming the input and what is
 * wrong; callers add context as it travels up; main() prints it once.
 * Library code never prints an error and never exits. */
#ifndef FERRY_ERROR_H
#define FERRY_ERROR_H

#include <stdbool.h>

struct ferry_error {
	char *message;                /* "manifest.json: variants[1].size: must be …" */
	int code;                     /* optional errno or library code, 0 if none */
};

/* Sets *err (if err is not NULL and *err is still NULL: the first, innermost
 * explanation wins). Always returns false so callers can `return ferry_error_set(…)`. */
bool ferry_error_set(struct ferry_error **err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Like ferry_error_set, appending ": strerror(errnum)" and keeping errnum as code. */
bool ferry_error_errno(struct ferry_error **err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prepends "<context>: " to an existing error; no-op when there is none. */
void ferry_error_prefix(struct ferry_error **err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The message, or "" when err is NULL. */
const char *ferry_error_message(const struct ferry_error *err);
/* Frees and sets *err to NULL. */
void ferry_error_clear(struct ferry_error **err);
void ferry_error_free(struct ferry_error *err);

#endif
