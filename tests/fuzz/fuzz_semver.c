/* fuzz_semver: a range and a version (the input split at its first newline)
 * into semver_range_parse, semver_parse and both range matchers. */
#include <stdlib.h>
#include <string.h>

#include "common/semver.h"
#include "tests/fuzz/fuzz.h"

static void range_against(const char *range, const char *version)
{
	struct semver_range r = { 0 };
	struct semver v = { 0 };
	struct ferry_error *err = NULL;
	bool have_v = semver_parse(version, &v, &err);
	ferry_error_clear(&err);
	if (semver_range_parse(range, SEMVER_RANGE_VERSION, &r, &err) && have_v)
		semver_range_match_version(&r, &v);
	semver_range_free(&r);
	ferry_error_clear(&err);
	if (semver_range_parse(range, SEMVER_RANGE_INTEGER, &r, &err))
		semver_range_match_integer(&r, (int64_t)strtoll(version, NULL, 10));
	semver_range_free(&r);
	ferry_error_clear(&err);
	if (have_v) {
		int cmp = 0;
		semver_compare_text(version, version, &cmp, &err);
		if (cmp != 0)
			abort();   /* a version equals itself */
	}
	semver_free(&v);
	ferry_error_free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_strndup(data, size);
	if (!text)
		return 0;
	char *nl = strchr(text, '\n');
	if (nl)
		*nl = '\0';
	range_against(text, nl ? nl + 1 : "");
	free(text);
	return 0;
}
