/* ferry-pack sbom IMAGE [-o FILE] [--format spdx|cyclonedx]: a minimal SBOM
 * of a Debian root file system image (sbom_image.h), to put beside a
 * variant's payloads in the spec ("sbom": {"file": …}). The creation time is
 * SOURCE_DATE_EPOCH when set, so a build can make the same bytes again. */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/rfc3339.h"
#include "common/safefile.h"
#include "packager/pack.h"
#include "packager/sbom_image.h"

#define SBOM_USAGE "sbom IMAGE [-o FILE] [--format spdx|cyclonedx]"

static int by_name(const void *a, const void *b)
{
	const struct sbom_component *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->version, y->version);
}

static bool created_now(char out[RFC3339_UTC_LEN + 1])
{
	const char *epoch = getenv("SOURCE_DATE_EPOCH");
	char *end = NULL;
	long long t = epoch && *epoch ? strtoll(epoch, &end, 10) : (long long)time(NULL);
	return (!end || !*end) && rfc3339_format_utc((int64_t)t, out);
}

static bool make_sbom(const char *image, enum sbom_kind kind, const char *output, bool quiet,
		      struct ferry_error **err)
{
	struct sbom s = { 0 };
	char created[RFC3339_UTC_LEN + 1], *text = NULL, *copy = strdup(image);
	size_t len = 0;
	bool ok = false;
	if (!copy || !created_now(created)) {
		ferry_error_setc(err, FERRY_E_CONFIG, "SOURCE_DATE_EPOCH: not a time in seconds");
		goto out;
	}
	if (!sbom_image_read(image, &s, err))
		goto out;
	qsort(s.c, s.n, sizeof(*s.c), by_name);
	if (!sbom_serialize(&s, kind, basename(copy), created, &text, &len, err))
		goto out;
	text[len] = '\0';
	if (output ? !safe_write_atomic(output, text, len, 0644, err)
		   : fwrite(text, 1, len, stdout) != len || putchar('\n') == EOF) {
		if (!output)
			ferry_error_setc(err, FERRY_E_IO, "writing the SBOM to stdout failed");
		goto out;
	}
	if (output && !quiet)
		fprintf(stderr, "%s: %zu packages (%s)\n", output, s.n, sbom_kind_name(kind));
	ok = true;
out:
	free(text);
	free(copy);
	sbom_clear(&s);
	return ok;
}

int cmd_sbom(struct pack_opts *o, int argc, char **argv, struct ferry_error **err)
{
	static const struct option longopts[] = {
		PACK_COMMON_LONG, { "output", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'f' }, { NULL, 0, NULL, 0 },
	};
	const char *output = NULL;
	enum sbom_kind kind = SBOM_SPDX;
	int c;
	while ((c = getopt_long(argc, argv, PACK_COMMON_SHORT "o:", longopts, NULL)) != -1) {
		if (c == 'o')
			output = optarg;
		else if (c == 'f' && (strcmp(optarg, "spdx") == 0 || strcmp(optarg, "cyclonedx") == 0))
			kind = strcmp(optarg, "spdx") == 0 ? SBOM_SPDX : SBOM_CYCLONEDX;
		else if (c == 'h') {
			printf("usage: ferry-pack %s\n", SBOM_USAGE);
			return CLI_EXIT_OK;
		} else if (!pack_common_option(o, c, optarg))
			return pack_usage(SBOM_USAGE, err);
	}
	if (optind + 1 != argc)
		return pack_usage(SBOM_USAGE, err);
	return make_sbom(argv[optind], kind, output, o->quiet, err) ? CLI_EXIT_OK : CLI_EXIT_FAILED;
}
