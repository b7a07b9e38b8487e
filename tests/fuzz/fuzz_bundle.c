/* fuzz_bundle: a whole .ferry bundle's bytes through the bundle reader as the
 * agent and ferry-pack verify read it: manifest and signature members, the
 * signature packet check, the manifest, every payload (pulled through its
 * byte_source, as handlers do) and hook, the end. */
#include <stdlib.h>

#include "common/bundle_read.h"
#include "common/bundle_sig.h"
#include "tests/fuzz/fuzz.h"

/* Pulls payload p to its end as a handler does. */
static bool read_payload(struct bundle_reader *r, const struct manifest *m, const struct payload *p,
			 struct ferry_error **err)
{
	static char buf[64 * 1024];
	struct byte_source src;
	size_t got = 0;
	if (!bundle_reader_payload(r, m, p, &src, err))
		return false;
	do {
		if (!byte_source_read(&src, buf, sizeof(buf), &got, err))
			return false;
	} while (got);
	return true;
}

static bool read_variant(struct bundle_reader *r, const struct manifest *m, const struct variant *v,
			 struct ferry_error **err)
{
	for (size_t j = 0; j < v->n_payloads; j++)
		if (!read_payload(r, m, &v->payloads[j], err))
			return false;
	for (int k = 0; k < HOOK_COUNT; k++) {
		char *data = NULL;
		size_t len = 0;
		if (v->hooks[k].present && !bundle_reader_hook(r, &v->hooks[k], &data, &len, err))
			return false;
		free(data);
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bundle_reader *r = NULL;
	struct manifest *m = NULL;
	struct ferry_error *err = NULL;
	const char *bytes = NULL, *path = fuzz_file("bundle.ferry", data, size);
	const void *sig = NULL;
	size_t len = 0, sig_len = 0, n_sigs = 0;
	if (!path || !bundle_reader_open(path, &r, &err) ||
	    !bundle_reader_manifest(r, &bytes, &len, &sig, &sig_len, &err) ||
	    !bundle_sig_check(sig, sig_len, &n_sigs, &err) ||
	    !manifest_parse(bytes, len, "manifest.json", &m, &err))
		goto out;
	for (size_t i = 0; i < m->n_variants; i++)
		if (!read_variant(r, m, &m->variants[i], &err))
			goto out;
	bundle_reader_finish(r, &err);
out:
	manifest_free(m);
	bundle_reader_close(r);
	ferry_error_free(err);
	return 0;
}
