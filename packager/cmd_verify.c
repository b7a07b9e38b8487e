/* ferry-pack verify BUNDLE --keyring FILE --policy DIR: what a device would
 * check, at the workstation. Imports the keyring into a throw-away GnuPG
 * home and admits the bundle through common/admit (manifest.sig over the
 * exact manifest bytes, the trust policy, the parse, every variant's device
 * types: the order of every admission), then reads every payload and
 * hook through the bundle reader (every frame's hash against the signed frame
 * table; with --deep also decompressed, with the whole-payload hash) and
 * checks that nothing else is in the bundle. Says what passed; exit 1 naming
 * the member on any failure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bundle_read.h"
#include "common/bundle_write.h"
#include "common/json.h"
#include "common/manifest.h"
#include "common/pgp.h"
#include "common/progress.h"
#include "packager/pack.h"
#include "packager/verify.h"

#define VERIFY_USAGE "verify BUNDLE --keyring FILE --policy DIR [--deep] [--json]"

struct verify {
	struct pack_opts *o;
	const char *path;
	struct bundle_reader *r;
	const struct manifest *m;  /* borrowed from the admission */
	json_t *passed;            /* what passed, in order, for --json */
	uint64_t payload_bytes;
	bool deep;                 /* also decompress and check the uncompressed SHA-256 */
};

static void passed(struct verify *v, const char *what, const char *detail)
{
	json_array_append_new(v->passed, json_pack("{s:s, s:s}", "check", what, "detail", detail));
}

/* Prints the checks that passed from index `from` on (after a progress bar
 * is gone, so that the two do not share a line). */
static void print_passed(const struct verify *v, size_t from)
{
	for (size_t i = from; !v->o->json && !v->o->quiet && i < json_array_size(v->passed); i++) {
		json_t *e = json_array_get(v->passed, i);
		printf("ok  %-12s %s\n", json_string_value(json_object_get(e, "check")),
		       json_string_value(json_object_get(e, "detail")));
	}
}

struct verify_progress {
	struct progress *bar;
	uint64_t before;           /* bytes of the payloads already read */
};

static void on_progress(void *ctx, uint64_t done)
{
	struct verify_progress *vp = ctx;
	progress_update(vp->bar, vp->before + done);
}

static bool read_payloads(struct verify *v, struct ferry_error **err)
{
	bool ok = false;
	uint64_t total = 0, done = 0;
	size_t first = json_array_size(v->passed);
	char line[256], a[32];
	for (size_t i = 0; i < v->m->n_variants; i++)
		for (size_t j = 0; j < v->m->variants[i].n_payloads; j++)
			total += v->m->variants[i].payloads[j].size;
	struct progress *bar = progress_new("verifying", total, !v->o->quiet && progress_wanted());
	for (size_t i = 0; i < v->m->n_variants; i++) {
		const struct variant *var = &v->m->variants[i];
		for (size_t j = 0; j < var->n_payloads; j++) {
			const struct payload *p = &var->payloads[j];
			struct verify_progress vp = { bar, done };
			progress_set_label(bar, p->member);
			if (!(v->deep ? bundle_reader_check_payload : bundle_reader_check_frames)(
				    v->r, v->m, p, on_progress, &vp, err))
				goto out;
			done += p->size;
			snprintf(line, sizeof(line), "%s: %s, %s", p->member, pack_human_size(p->size, a),
				 v->deep ? "every frame and the uncompressed SHA-256 match"
					 : "every frame matches the signed frame table");
			passed(v, "payload", line);
		}
		for (int k = 0; k <= HOOK_COUNT; k++) {   /* the hooks, then the SBOM */
			const struct hook *carried = k < HOOK_COUNT ? &var->hooks[k] : &var->sbom;
			char *data;
			size_t len;
			if (!carried->present)
				continue;
			if (!bundle_reader_hook(v->r, carried, &data, &len, err))
				goto out;
			free(data);
			snprintf(line, sizeof(line), "%s: SHA-256 matches", carried->member);
			passed(v, k < HOOK_COUNT ? "hook" : "sbom", line);
		}
	}
	if (!bundle_reader_finish(v->r, err))
		goto out;
	v->payload_bytes = done;
	passed(v, "members", "in order, regular files, nothing else in the bundle");
	ok = true;
out:
	progress_finish(bar);
	print_passed(v, first);
	return ok;
}

int cmd_verify(struct pack_opts *o, int argc, char **argv, struct ferry_error **err)
{
	static const struct option longopts[] = {
		PACK_COMMON_LONG,
		{ "keyring", required_argument, NULL, 'k' },
		{ "policy", required_argument, NULL, 'p' },
		{ "deep", no_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 },
	};
	const char *keyring = NULL, *policy_dir = NULL;
	bool deep = false;
	int c, rc = CLI_EXIT_FAILED;
	while ((c = getopt_long(argc, argv, PACK_COMMON_SHORT, longopts, NULL)) != -1) {
		if (c == 'k')
			keyring = optarg;
		else if (c == 'p')
			policy_dir = optarg;
		else if (c == 'D')
			deep = true;
		else if (c == 'h') {
			printf("usage: ferry-pack %s\n", VERIFY_USAGE);
			return CLI_EXIT_OK;
		} else if (!pack_common_option(o, c, optarg))
			return pack_usage(VERIFY_USAGE, err);
	}
	if (optind + 1 != argc || !keyring || !policy_dir)
		return pack_usage(VERIFY_USAGE, err);
	struct verify v = { .o = o, .path = argv[optind], .passed = json_array(), .deep = deep };
	struct verify_trust trust = { 0 };
	struct admission adm = { 0 };
	if (!bundle_reader_open(v.path, &v.r, err))
		goto out;
	int trc = verify_trust_open(&trust, keyring, policy_dir, err);
	if (trc != CLI_EXIT_OK) {
		rc = trc;
		goto out;
	}
	/* The one admission: signatures over the exact bytes, the policy, and
	 * only then the parse and every variant's device types. */
	if (!verify_trust_admit(&trust, v.r, &adm, err))
		goto out;
	v.m = adm.manifest;
	for (size_t i = 0; i < trust.n_lines; i++)
		passed(&v, trust.lines[i].check, trust.lines[i].detail);
	print_passed(&v, 0);
	if (!read_payloads(&v, err))
		goto out;
	if (o->json)
		pack_print_json(json_pack("{s:s, s:s, s:s, s:b, s:O}", "bundle", v.path, "name", v.m->name,
					  "version", v.m->version, "ok", 1, "passed", v.passed));
	else if (!o->quiet)
		printf("%s: verified (%s %s)\n", v.path, v.m->name, v.m->version);
	rc = CLI_EXIT_OK;
out:
	if (rc == CLI_EXIT_FAILED)
		ferry_error_prefix(err, "%s", v.path);
	if (rc != CLI_EXIT_OK && o->json)
		pack_print_json(json_pack("{s:s, s:b, s:s, s:O}", "bundle", v.path, "ok", 0, "error",
					  ferry_error_message(err ? *err : NULL), "passed", v.passed));
	verify_trust_close(&trust);
	json_decref(v.passed);
	admission_clear(&adm);
	bundle_reader_close(v.r);
	return rc;
}
