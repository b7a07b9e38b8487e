/* semver: Semantic Versioning 2.0.0 (semver.org) and ranges over it.
 * Parsing is strict (no leading zeros, no 'v', no spaces); precedence follows
 * semver.org §11 exactly, build metadata ignored. One range grammar of
 * space-separated comparators serves versions (">=2.0.0 <2.4.1") and plain
 * integers such as hardware revisions (">=2 <5"). */
#ifndef FERRY_SEMVER_H
#define FERRY_SEMVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct semver {
	uint64_t major, minor, patch;
	char *prerelease;   /* "alpha.1" without the '-', NULL when absent (owned) */
	char *build;        /* "sha.5114f85" without the '+', NULL when absent (owned) */
};

/* Parses text strictly. On error *err says what is wrong with it
 * ("'1.02.0': leading zero in minor version"); out is left zeroed. */
bool semver_parse(const char *text, struct semver *out, struct ferry_error **err);
bool semver_valid(const char *text);
void semver_free(struct semver *v);
/* <0, 0, >0 by precedence (build metadata does not count). */
int semver_compare(const struct semver *a, const struct semver *b);
/* Compares two version strings; false (with *err) if either is not SemVer. */
bool semver_compare_text(const char *a, const char *b, int *result, struct ferry_error **err);

/* A range: every comparator must hold (logical AND). Operators are
 * = != > >= < <=; an operand without operator means "=". */
enum semver_range_kind { SEMVER_RANGE_VERSION, SEMVER_RANGE_INTEGER };
enum semver_op { SEMVER_OP_EQ, SEMVER_OP_NE, SEMVER_OP_GT, SEMVER_OP_GE, SEMVER_OP_LT, SEMVER_OP_LE };

struct semver_comparator {
	enum semver_op op;
	struct semver version;   /* SEMVER_RANGE_VERSION */
	int64_t number;          /* SEMVER_RANGE_INTEGER: 0 … INT64_MAX */
};

struct semver_range {
	enum semver_range_kind kind;
	struct semver_comparator *items;
	size_t n;
};

/* Parses "op operand [op operand]…" separated by one or more spaces; at
 * least one comparator. On error *err names the bad comparator. */
bool semver_range_parse(const char *text, enum semver_range_kind kind, struct semver_range *out,
			struct ferry_error **err);
void semver_range_free(struct semver_range *r);
bool semver_range_match_version(const struct semver_range *r, const struct semver *v);
bool semver_range_match_integer(const struct semver_range *r, int64_t n);
/* Convenience for callers holding text: parses both and matches. */
bool semver_range_text_matches(const char *range, const char *version, bool *matches,
			       struct ferry_error **err);
bool semver_range_text_matches_integer(const char *range, int64_t n, bool *matches,
				       struct ferry_error **err);
const char *semver_op_name(enum semver_op op);

#endif
