/* bench_pgp: ferry's OpenPGP layer against plain gpg on the same bytes in the
 * same run; prints both and their ratio.
 *   bench_pgp [N (20)] [KIB (64)]
 * verify: pgp_verify_detached (GPGME, plus the subkey → primary lookup) of a
 *   KIB-KiB document signed by two keys, vs `gpg --verify` of the same pair;
 * sign: pgp_sign_detached vs `gpg --detach-sign`. Each N times, in a
 * throw-away home under $TMPDIR or /tmp whose agent is killed at the end. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/pgp.h"
#include "common/safefile.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double run_n(const char *cmd, int n)
{
	double t = now();
	for (int i = 0; i < n; i++)
		if (system(cmd) != 0) {
			fprintf(stderr, "bench_pgp: '%s' failed\n", cmd);
			exit(1);
		}
	return now() - t;
}

static void die(struct ferry_error *err)
{
	fprintf(stderr, "bench_pgp: %s\n", ferry_error_message(err));
	exit(1);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 20;
	size_t size = (size_t)(argc > 2 ? atoi(argv[2]) : 64) * 1024;
	const char *base = getenv("TMPDIR");
	char home[256], doc[300], sig[300], cmd[1024];
	struct ferry_error *err = NULL;
	struct pgp *p = NULL;
	char f1[PGP_FPR_LEN + 1], f2[PGP_FPR_LEN + 1];

	if (n < 1 || size == 0)
		return fprintf(stderr, "usage: bench_pgp [N] [KIB]\n"), 2;
	snprintf(home, sizeof(home), "%s/fbp.XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(home))
		return perror("mkdtemp"), 1;
	snprintf(doc, sizeof(doc), "%s/doc", home);
	snprintf(sig, sizeof(sig), "%s/doc.sig", home);
	char *data = malloc(size);
	for (size_t i = 0; i < size; i++)
		data[i] = (char)('a' + i % 26);
	if (!pgp_open(home, &p, &err) || !pgp_create_key(p, "One", 0, f1, &err) ||
	    !pgp_create_key(p, "Two", 0, f2, &err) || !safe_write_atomic(doc, data, size, 0644, &err))
		die(err);
	void *s1 = NULL, *s2 = NULL;
	size_t l1 = 0, l2 = 0;
	if (!pgp_sign_detached(p, f1, data, size, &s1, &l1, &err) ||
	    !pgp_sign_detached(p, f2, data, size, &s2, &l2, &err))
		die(err);
	char *both = malloc(l1 + l2);
	memcpy(both, s1, l1);
	memcpy(both + l1, s2, l2);
	if (!safe_write_atomic(sig, both, l1 + l2, 0644, &err))
		die(err);

	double t = now();
	for (int i = 0; i < n; i++) {
		struct pgp_verify_result r;
		if (!pgp_verify_detached(p, data, size, both, l1 + l2, &r, &err))
			die(err);
		if (r.n_sigs != 2 || r.sigs[0].status != PGP_SIG_VALID || r.sigs[1].status != PGP_SIG_VALID)
			return fprintf(stderr, "bench_pgp: signatures did not verify\n"), 1;
		pgp_verify_result_clear(&r);
	}
	double t_ferry = now() - t;
	snprintf(cmd, sizeof(cmd), "gpg --homedir %s --batch --quiet --verify %s %s 2>/dev/null",
		 home, sig, doc);
	double t_gpg = run_n(cmd, n);
	printf("verify 2 signatures over %zu KiB: ferry %.1f ms/op, gpg --verify %.1f ms/op, "
	       "ratio ferry/gpg %.2f\n", size / 1024, t_ferry * 1e3 / n, t_gpg * 1e3 / n,
	       t_ferry / t_gpg);

	t = now();
	for (int i = 0; i < n; i++) {
		void *s = NULL;
		size_t l = 0;
		if (!pgp_sign_detached(p, f1, data, size, &s, &l, &err))
			die(err);
		free(s);
	}
	double s_ferry = now() - t;
	snprintf(cmd, sizeof(cmd), "gpg --homedir %s --batch --quiet --yes -u %s --detach-sign "
		 "-o %s.gpg %s 2>/dev/null", home, f1, doc, doc);
	double s_gpg = run_n(cmd, n);
	printf("sign %zu KiB: ferry %.1f ms/op, gpg --detach-sign %.1f ms/op, ratio ferry/gpg %.2f\n",
	       size / 1024, s_ferry * 1e3 / n, s_gpg * 1e3 / n, s_ferry / s_gpg);

	pgp_close(p);
	pgp_kill_daemons(home);
	if (!remove_tree(home, &err))
		die(err);
	free(data);
	free(both);
	free(s1);
	free(s2);
	return 0;
}
