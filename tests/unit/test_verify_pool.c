/* Tests for audit/verify_pool.c: export files verified in worker threads
 * with real device keys in a throw-away GnuPG home, handed out in the order
 * they were added, each with its own verdict. */
#include "testutil.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/verify_pool.h"
#include "common/auditlog.h"
#include "common/pgp.h"

#define N_FILES 12
#define PER_FILE 300   /* more rows than a file's first allocation holds */

struct fixture {
	char *dir, *home, *out;
	struct pgp *pgp;
	char fpr[PGP_FPR_LEN + 1], other[PGP_FPR_LEN + 1];
	char *paths[N_FILES];
	struct audit_device dev;
};

/* N_FILES exports of gw-0001's chain; file 5 signed by another key. */
static void write_exports(struct fixture *f)
{
	struct ferry_error *err = NULL;
	char prev[SHA256_HEX_LEN + 1] = AUDITLOG_GENESIS_PREV;
	char *lines[PER_FILE];
	for (int k = 0; k < N_FILES; k++) {
		for (int i = 0; i < PER_FILE; i++) {
			struct auditlog_fields fl = {
				.seq = (uint64_t)(k * PER_FILE + i + 1), .prev = prev,
				.time = "2026-11-20T10:00:00Z", .boot = 1, .device = "gw-0001",
				.event = "install.started", .result = "info",
			};
			assert_ok(auditlog_line_build(&fl, &lines[i], &err), err);
			auditlog_line_hash(lines[i], strlen(lines[i]), prev);
		}
		assert_ok(auditlog_export_write(f->out, "gw-0001", lines, PER_FILE, f->pgp,
						k == 5 ? f->other : f->fpr, &f->paths[k], &err), err);
		for (int i = 0; i < PER_FILE; i++)
			free(lines[i]);
	}
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct ferry_error *err = NULL;
	f->dir = test_tmpdir();
	if (asprintf(&f->home, "%s/g", f->dir) < 0 || asprintf(&f->out, "%s/audit/gw-0001", f->dir) < 0)
		return -1;
	assert_ok(pgp_open(f->home, &f->pgp, &err), err);
	assert_ok(pgp_create_key(f->pgp, "gw-0001", 0, f->fpr, &err), err);
	assert_ok(pgp_create_key(f->pgp, "gw-0002", 0, f->other, &err), err);
	f->dev.id = "gw-0001";
	f->dev.fingerprint = f->fpr;
	write_exports(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	for (int k = 0; k < N_FILES; k++)
		free(f->paths[k]);
	pgp_close(f->pgp);
	pgp_kill_daemons(f->home);
	test_tmpdir_remove(f->dir);
	free(f->home);
	free(f->out);
	free(f);
	return 0;
}

static void test_verify_pool_hands_out_files_in_order_each_with_its_verdict(void **state)
{
	struct fixture *f = *state;
	struct ferry_error *err = NULL;
	struct verify_pool *vp = NULL;
	assert_ok(verify_pool_start(f->home, 3, &vp, &err), err);
	for (int k = 0; k < N_FILES; k++)
		assert_ok(verify_pool_add(vp, &f->dev, AT_FDCWD, f->paths[k], &err), err);
	for (int k = 0; k < N_FILES; k++) {
		struct ingest_export x;
		bool ok = verify_pool_take(vp, f->paths[k], &x, &err);
		if (k == 5) {
			assert_false(ok);
			assert_error_code(err, FERRY_E_SIGNATURE);
			ferry_error_free(err);
			err = NULL;
		} else {
			assert_ok(ok, err);
			assert_int_equal(x.first_seq, (uint64_t)(k * PER_FILE + 1));
			assert_int_equal(x.n_rows, PER_FILE);
			assert_int_equal(x.rows[PER_FILE - 1].r.seq, (k + 1) * PER_FILE);
			assert_string_equal(x.rows[0].r.device, "gw-0001");
			for (size_t i = 0; i < x.n_rows; i++) {   /* each row its own line and hash */
				char hash[SHA256_HEX_LEN + 1];
				assert_int_equal(strlen(x.rows[i].r.line), x.rows[i].line_len);
				auditlog_line_hash(x.rows[i].r.line, x.rows[i].line_len, hash);
				assert_string_equal(x.rows[i].r.hash, hash);
				assert_int_equal(x.rows[i].r.seq, k * PER_FILE + (int)i + 1);
			}
		}
		ingest_export_clear(&x);
	}
	struct ingest_export x;
	assert_false(verify_pool_take(vp, f->paths[0], &x, &err));   /* none left */
	assert_error_code(err, FERRY_E_INTERNAL);
	ferry_error_free(err);
	verify_pool_stop(vp);
}

/* Stopping with files queued and verified but not taken frees them. */
static void test_verify_pool_stops_with_files_not_taken(void **state)
{
	struct fixture *f = *state;
	struct ferry_error *err = NULL;
	struct verify_pool *vp = NULL;
	struct ingest_export x;
	assert_ok(verify_pool_start(f->home, 0, &vp, &err), err);
	for (int k = 0; k < N_FILES; k++)
		assert_ok(verify_pool_add(vp, &f->dev, AT_FDCWD, f->paths[k], &err), err);
	assert_ok(verify_pool_take(vp, f->paths[0], &x, &err), err);
	ingest_export_clear(&x);
	/* Asked for another file than the next one: refused, nothing handed out. */
	assert_false(verify_pool_take(vp, f->paths[2], &x, &err));
	assert_error_code(err, FERRY_E_INTERNAL);
	assert_int_equal(x.n_rows, 0);
	ferry_error_free(err);
	verify_pool_stop(vp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_verify_pool_hands_out_files_in_order_each_with_its_verdict,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_pool_stops_with_files_not_taken, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
