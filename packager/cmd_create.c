/* ferry-pack create SPEC.json -o OUT.ferry [--sign FPR]... [--level N] [--threads N]:
 * packs every payload of the spec into frames, fills and signs the manifest
 * and writes the bundle atomically (common/bundle_write). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bundle_write.h"
#include "common/json.h"
#include "common/pgp.h"
#include "common/progress.h"
#include "packager/pack.h"

#define CREATE_USAGE "create SPEC.json -o OUT.ferry [--sign FPR]... [--level N] [--threads N]"
#define MAX_SIGNERS 32

static void print_result(const struct pack_opts *o, const char *out, const struct manifest *m,
			 const char *const *fprs, size_t n_fprs)
{
	if (o->quiet)
		return;
	char a[32];
	if (o->json) {
		json_t *signers = json_array();
		for (size_t i = 0; i < n_fprs; i++)
			json_array_append_new(signers, json_string(fprs[i]));
		pack_print_json(json_pack("{s:s, s:s, s:s, s:I, s:o}", "bundle", out, "name", m->name,
					  "version", m->version, "variants", (json_int_t)m->n_variants,
					  "signers", signers));
		return;
	}
	printf("created %s: %s %s, %zu variant%s\n", out, m->name, m->version, m->n_variants,
	       m->n_variants == 1 ? "" : "s");
	for (size_t i = 0; i < m->n_variants; i++)
		for (size_t j = 0; j < m->variants[i].n_payloads; j++) {
			const struct payload *p = &m->variants[i].payloads[j];
			printf("  %-12s %-12s %-5s %s\n", m->variants[i].id, p->name,
			       compression_name(p->compression), pack_human_size(p->size, a));
		}
	for (size_t i = 0; i < n_fprs; i++)
		printf("  signed by %s\n", fprs[i]);
	if (n_fprs == 0)
		printf("  unsigned: add signatures with ferry-pack sign %s --key FPR\n", out);
}

int cmd_create(struct pack_opts *o, int argc, char **argv, struct ferry_error **err)
{
	static const struct option longopts[] = {
		PACK_COMMON_LONG,
		{ "output", required_argument, NULL, 'o' },
		{ "sign", required_argument, NULL, 's' },
		{ "level", required_argument, NULL, 'l' },
		{ "threads", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL, *fprs[MAX_SIGNERS];
	size_t n_fprs = 0;
	struct bundle_create_opts co = { 0 };
	int c, rc = CLI_EXIT_FAILED;
	while ((c = getopt_long(argc, argv, PACK_COMMON_SHORT "o:", longopts, NULL)) != -1) {
		if (c == 'o')
			out = optarg;
		else if (c == 's' && n_fprs < MAX_SIGNERS)
			fprs[n_fprs++] = optarg;
		else if (c == 'l')
			co.level = atoi(optarg);
		else if (c == 't')
			co.threads = (unsigned)atoi(optarg);
		else if (c == 'h') {
			printf("usage: ferry-pack %s\n", CREATE_USAGE);
			return CLI_EXIT_OK;
		} else if (!pack_common_option(o, c, optarg))
			return pack_usage(CREATE_USAGE, err);
	}
	if (optind + 1 != argc || !out || co.level < 0 || co.level > 22)
		return pack_usage(CREATE_USAGE, err);
	for (size_t i = 0; i < n_fprs; i++)
		if (!pgp_fpr_valid(fprs[i])) {
			ferry_error_set(err, "--sign %s: not a full fingerprint (40 hex digits)", fprs[i]);
			return CLI_EXIT_USAGE;
		}
	char *home = NULL;
	struct pgp *pgp = NULL;
	struct manifest *m = NULL;
	if (n_fprs > 0) {
		if (!pack_open_signers(o, fprs, n_fprs, "--sign", &home, &pgp, &co.sig_bytes, err)) {
			rc = CLI_EXIT_USAGE;
			goto out;
		}
	}
	co.pgp = pgp;
	co.sign_fprs = fprs;
	co.n_sign = n_fprs;
	co.progress = !o->quiet && progress_wanted();
	if (!bundle_create(argv[optind], out, &co, &m, err))
		goto out;
	print_result(o, out, m, fprs, n_fprs);
	rc = CLI_EXIT_OK;
out:
	manifest_free(m);
	pgp_close(pgp);
	free(home);
	return rc;
}
