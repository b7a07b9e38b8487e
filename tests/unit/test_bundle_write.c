/* Tests for common/bundle_write.c's create: frames packed in place where
 * their data member will lie, and the copy when that guess misses (a wrong
 * manifest.sig length, an input of unknown size) give the same bytes, and
 * every payload of the result checks out with the reader (frames, size and
 * SHA-256 against the manifest). */
#include "testutil.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/bundle_read.h"
#include "common/bundle_write.h"
#include "common/framepack.h"
#include "common/safefile.h"
#include "pgp_fixture.h"

#define BIG (5u * FRAMEPACK_FRAME_DEFAULT + 4321)   /* several frames, the last one short */

static const char spec_fmt[] =
	"{ \"format\": 1, \"name\": \"edge-os\", \"version\": \"2.4.1\", \"security_version\": 3,\n"
	"  \"created\": \"2026-11-24T10:00:00Z\",\n"
	"  \"variants\": [\n"
	"    { \"id\": \"gw-x\", \"compatible\": { \"device_type\": [\"gw-x\"] },\n"
	"      \"payloads\": [\n"
	"        { \"name\": \"rootfs\", \"handler\": \"rootfs-ab\", \"file\": \"%s\" },\n"
	"        { \"name\": \"app\", \"handler\": \"files\", \"target\": \"app\", \"file\": \"app.tar\", \"compression\": \"xz\" } ],\n"
	"      \"hooks\": { \"pre_install\": { \"file\": \"pre.sh\" } } },\n"
	"    { \"id\": \"sensor-y\", \"compatible\": { \"device_type\": [\"sensor-y\"] },\n"
	"      \"payloads\": [ { \"name\": \"rootfs\", \"handler\": \"rootfs-ab\", \"file\": \"big.img\", \"compression\": \"none\" } ] } ] }\n";

static uint8_t *image(void)
{
	uint8_t *b = malloc(BIG);
	uint32_t x = 7;
	for (size_t i = 0; i < BIG; i++) {
		x = x * 1103515245u + 12345u;
		b[i] = (i & 128) ? (uint8_t)(x >> 24) : (uint8_t)(i / 4096);
	}
	return b;
}

/* A directory with the inputs and a spec whose first payload is rootfs_file. */
static char *inputs(const char *rootfs_file)
{
	char *dir = test_tmpdir(), spec[sizeof(spec_fmt) + 64];
	uint8_t *img = image();
	free(test_write_file(dir, "big.img", img, BIG));
	free(test_write_file(dir, "app.tar", img, 70000));
	free(test_write_file(dir, "pre.sh", "#!/bin/sh\nexit 0\n", 17));
	snprintf(spec, sizeof(spec), spec_fmt, rootfs_file);
	free(test_write_file(dir, "spec.json", spec, strlen(spec)));
	free(img);
	return dir;
}

static char *create(const char *dir, const char *name, const struct bundle_create_opts *o)
{
	char *sp, *out;
	struct ferry_error *err = NULL;
	assert_true(asprintf(&sp, "%s/spec.json", dir) > 0);
	assert_true(asprintf(&out, "%s/%s", dir, name) > 0);
	assert_ok(bundle_create(sp, out, o, NULL, &err), err);
	free(sp);
	return out;
}

/* Reads every payload to its end through the reader's full checks. */
static void assert_bundle_checks_out(const char *path)
{
	struct bundle_reader *r;
	struct manifest *m;
	struct ferry_error *err = NULL;
	const char *bytes;
	const void *sig;
	size_t len, sig_len;
	assert_ok(bundle_reader_open(path, &r, &err), err);
	assert_ok(bundle_reader_manifest(r, &bytes, &len, &sig, &sig_len, &err), err);
	assert_ok(manifest_parse(bytes, len, "manifest.json", &m, &err), err);
	for (size_t i = 0; i < m->n_variants; i++)
		for (size_t j = 0; j < m->variants[i].n_payloads; j++)
			assert_ok(bundle_reader_check_payload(r, m, &m->variants[i].payloads[j], NULL,
							      NULL, &err), err);
	assert_ok(bundle_reader_finish(r, &err), err);
	assert_int_equal(m->variants[1].payloads[0].size, BIG);
	manifest_free(m);
	bundle_reader_close(r);
}

static void assert_same_file(const char *a, const char *b)
{
	char *x = NULL, *y = NULL;
	size_t xl, yl;
	assert_true(read_file_limited(a, 64 << 20, &x, &xl, NULL));
	assert_true(read_file_limited(b, 64 << 20, &y, &yl, NULL));
	assert_int_equal(xl, yl);
	assert_memory_equal(x, y, xl);
	free(x);
	free(y);
}

static void test_bundle_create_in_place_equals_the_copy(void **state)
{
	(void)state;
	char *dir = inputs("big.img");
	struct bundle_create_opts in_place = { .threads = 2 }, missed = { .threads = 2, .sig_bytes = 4096 };
	char *a = create(dir, "a.ferry", &in_place), *b = create(dir, "b.ferry", &missed);
	assert_same_file(a, b);
	assert_bundle_checks_out(a);
	char *tmp;
	assert_true(asprintf(&tmp, "%s.tmp", b) > 0);
	assert_int_equal(access(tmp, F_OK), -1);   /* the first temporary file is gone */
	free(tmp);
	free(a);
	free(b);
	test_tmpdir_remove(dir);
}

/* A FIFO has no size to predict from: its frames are copied, and the bundle
 * is the one made from a regular file of the same bytes. */
static void test_bundle_create_from_a_fifo_equals_from_a_file(void **state)
{
	(void)state;
	char *dir = inputs("fifo"), *fifo;
	struct bundle_create_opts o = { .threads = 2 };
	assert_true(asprintf(&fifo, "%s/fifo", dir) > 0);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		uint8_t *img = image();
		int fd = open(fifo, O_WRONLY);
		_exit(fd >= 0 && write_all(fd, img, BIG, "fifo", NULL) ? 0 : 1);
	}
	char *from_fifo = create(dir, "fifo.ferry", &o);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	char spec[sizeof(spec_fmt) + 64];
	snprintf(spec, sizeof(spec), spec_fmt, "big.img");
	free(test_write_file(dir, "spec.json", spec, strlen(spec)));
	char *from_file = create(dir, "file.ferry", &o);
	assert_same_file(from_fifo, from_file);
	assert_bundle_checks_out(from_fifo);
	free(from_fifo);
	free(from_file);
	free(fifo);
	test_tmpdir_remove(dir);
}

/* Signed with the probe signature's length as the guess (what ferry-pack
 * create passes), and with a guess that misses: both check out and differ
 * only in manifest.sig. */
static void test_bundle_create_signed_in_place_and_missed(void **state)
{
	struct pgp_homes *hs = *state;
	char fpr[PGP_FPR_LEN + 1], *dir = inputs("big.img");
	struct ferry_error *err = NULL;
	size_t probe = 0;
	pgp_home_key(&hs->h[0], "Release <r@example.org>", fpr);
	assert_ok(pgp_check_signing_key(hs->h[0].pgp, fpr, &probe, &err), err);
	assert_true(probe > 0 && probe < 512);   /* one ed25519 signature */
	const char *signers[] = { fpr };
	struct bundle_create_opts o = { .pgp = hs->h[0].pgp, .sign_fprs = signers, .n_sign = 1,
					.sig_bytes = probe };
	char *a = create(dir, "a.ferry", &o);
	o.sig_bytes = 0;
	char *b = create(dir, "b.ferry", &o);
	assert_bundle_checks_out(a);
	assert_bundle_checks_out(b);
	struct stat sa, sb;
	assert_int_equal(stat(a, &sa), 0);
	assert_int_equal(stat(b, &sb), 0);
	assert_int_equal(sa.st_size, sb.st_size);
	free(a);
	free(b);
	test_tmpdir_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bundle_create_in_place_equals_the_copy),
		cmocka_unit_test(test_bundle_create_from_a_fifo_equals_from_a_file),
		pgp_unit_test(test_bundle_create_signed_in_place_and_missed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
