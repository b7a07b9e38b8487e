/* error: the one error value of ferry.
 * The callee that fails fills *err with a message naming the input and what is
 * wrong; callers add context as it travels up; main() prints it once.
 * Library code never prints an error and never exits. */
#ifndef FERRY_ERROR_H
#define FERRY_ERROR_H

#include <stdbool.h>

/* What went wrong, as a meaning that tests, exit codes and HQ's grouping
 * read (the message may change, the meaning may not). FERRY_E_NONE is
 * "not classified"; the first classification of an error wins. */
enum ferry_code {
	FERRY_E_NONE = 0,
	FERRY_E_USAGE,        /* the command line */
	FERRY_E_CONFIG,       /* a configuration file or the device layout */
	FERRY_E_SIGNATURE,    /* missing, bad, unknown-key, expired or revoked signature */
	FERRY_E_POLICY,       /* the trust policy does not allow it (signer rights, scope) */
	FERRY_E_COMPAT,       /* not for this device (type, revision, version, rollout) */
	FERRY_E_FORMAT,       /* malformed input: manifest, bundle, record, stick layout */
	FERRY_E_INTEGRITY,    /* a hash, size or chain does not match what was signed */
	FERRY_E_IO,           /* reading or writing failed */
	FERRY_E_NOSPACE,      /* no space left (slot too small, disk full) */
	FERRY_E_MEDIUM_GONE,  /* the stick went away or stopped answering */
	FERRY_E_BUSY,         /* another agent holds the device or the stick */
	FERRY_E_HANDLER,      /* a handler, hook, script or module failed */
	FERRY_E_UNSAFE,       /* unsafe input refused: symlink, FIFO, path escape, oversize */
	FERRY_E_INTERNAL,     /* out of memory, a library failure, a bug */
	FERRY_E_STATE,        /* not now: the target's state does not allow it (nothing to
	                         roll back, not booted yet, a non-empty migrate destination) */
	FERRY_E_COUNT_
};

struct ferry_error {
	char *message;                /* "manifest.json: variants[1].size: must be …" */
	int errnum;                   /* optional errno, 0 if none */
	enum ferry_code code;         /* the meaning; FERRY_E_NONE until classified */
};

/* "usage", "config", "signature", "policy", "compatibility", "format",
 * "integrity", "io", "no-space", "medium-gone", "busy", "handler", "unsafe",
 * "internal", "state"; "unclassified" for FERRY_E_NONE. Stable: HQ stores them. */
const char *ferry_code_name(enum ferry_code c);
/* The code named s (ferry_code_name's inverse); FERRY_E_NONE when unknown. */
enum ferry_code ferry_code_from_name(const char *s);
/* The one exit-code table of every ferry program: 0 success (err NULL),
 * 2 usage or configuration, 1 anything else (refused or failed). */
int ferry_exit_code(const struct ferry_error *err);
int ferry_exit_code_for(enum ferry_code c);

/* Sets *err (if err is not NULL and *err is still NULL: the first, innermost
 * explanation wins). Always returns false so callers can `return ferry_error_set(…)`. */
bool ferry_error_set(struct ferry_error **err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* ferry_error_set with a code. */
bool ferry_error_setc(struct ferry_error **err, enum ferry_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Like ferry_error_set, appending ": strerror(errnum)" and keeping errnum;
 * classified from errnum: ENOSPC/EDQUOT no-space, ENODEV/ENXIO/ENOMEDIUM/
 * ESHUTDOWN medium-gone, ELOOP unsafe, ENOMEM internal, anything else io. */
bool ferry_error_errno(struct ferry_error **err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* For clang's static analyser (scan-build, tests/lint/clang-analyze.sh), which
 * does not see into error.c: the three above always return false, so that
 * `return ferry_error_set(…)` is known to be a failure. */
#if defined(__clang_analyzer__) && !defined(FERRY_ERROR_C)
#define ferry_error_set(...) (ferry_error_set(__VA_ARGS__), false)
#define ferry_error_setc(...) (ferry_error_setc(__VA_ARGS__), false)
#define ferry_error_errno(...) (ferry_error_errno(__VA_ARGS__), false)
#endif
/* Gives an unclassified error its code (no-op when there is no error or it
 * has one already): callers that know what a failure means say so. */
void ferry_error_classify(struct ferry_error **err, enum ferry_code code);
/* Gives err the code whatever it had, for the rare caller that knows the
 * meaning better than every callee: agent.json that does not parse (format)
 * or cannot be read (io) is a configuration error. No-op without an error. */
void ferry_error_reclassify(struct ferry_error **err, enum ferry_code code);
/* The code of err, FERRY_E_NONE when err is NULL or unclassified. */
enum ferry_code ferry_error_code(const struct ferry_error *err);
/* Prepends "<context>: " to an existing error; no-op when there is none. */
void ferry_error_prefix(struct ferry_error **err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The message, or "" when err is NULL. */
const char *ferry_error_message(const struct ferry_error *err);
/* Frees and sets *err to NULL. */
void ferry_error_clear(struct ferry_error **err);
void ferry_error_free(struct ferry_error *err);

#endif
