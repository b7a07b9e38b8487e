/* policy_fixture: see policy_fixture.h. */
#include "testutil.h"
#include "policy_fixture.h"

#include <stdlib.h>
#include <string.h>

struct policy *policy_fixture_make(int64_t serial, const char (*roots)[PGP_FPR_LEN + 1], size_t n,
				   int64_t threshold)
{
	struct policy *p = calloc(1, sizeof(*p));
	p->serial = serial;
	p->issued = POLICY_FIXTURE_ISSUED + serial;
	p->roots = calloc(n, sizeof(*p->roots));
	memcpy(p->roots, roots, n * sizeof(*p->roots));
	p->n_roots = n;
	p->threshold = threshold;
	return p;
}

void policy_fixture_publish(struct pgp_home *ws, const struct policy *p,
			    const char (*by)[PGP_FPR_LEN + 1], size_t n_by,
			    const char (*keys_from)[PGP_FPR_LEN + 1], size_t n_keys, const char *dir)
{
	struct ferry_error *err = NULL;
	struct policy_file f = { .bytes = policy_serialize(p) };
	f.len = strlen(f.bytes);
	for (size_t i = 0; i < n_by; i++) {
		void *s = NULL;
		size_t l = 0;
		assert_ok(pgp_sign_detached(ws->pgp, by[i], f.bytes, f.len, &s, &l, &err), err);
		f.sig = realloc(f.sig, f.sig_len + l);
		memcpy(f.sig + f.sig_len, s, l);
		f.sig_len += l;
		free(s);
	}
	char *keys = NULL;
	size_t klen = 0;
	for (size_t i = 0; i < n_keys; i++) {
		char *k = NULL;
		size_t l = 0;
		assert_ok(pgp_export_public(ws->pgp, keys_from[i], true, &k, &l, &err), err);
		keys = realloc(keys, klen + l + 1);
		memcpy(keys + klen, k, l + 1);
		klen += l;
		free(k);
	}
	assert_ok(policy_write_dir(dir, &f, keys, klen, &err), err);
	free(keys);
	policy_file_clear(&f);
}
