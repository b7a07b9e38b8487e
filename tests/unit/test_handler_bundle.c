/* The seam between common/bundle_read (contract C5) and the handlers (C6):
 * handlers fed by a real bundle's payload sources, built with bundle_create
 * (unsigned: signatures are pgp's business, not this seam's). */
#include "testutil.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/handler.h"
#include "common/bundle_read.h"
#include "common/bundle_write.h"
#include "common/safefile.h"
#include "source_fixture.h"

#define MiB (1024 * 1024)
#define IMAGE_LEN (9 * MiB + 321)   /* three frames of 4 MiB */

struct fixture {
	char *dir, *bundle, *slot, *target;
	unsigned char *image;
	struct bundle_reader *r;
	struct manifest *m;
	struct handler_context ctx;
	struct handler_result res;
};

static const char spec[] =
	"{\"format\":1,\"name\":\"edge-os\",\"version\":\"2.4.1\",\"security_version\":1,\"created\":\"2026-11-24T10:00:00Z\","
	"\"variants\":[{\"id\":\"gw-x\",\"compatible\":{\"device_type\":[\"gw-x\"]},\"payloads\":["
	"{\"name\":\"rootfs\",\"handler\":\"rootfs-ab\",\"file\":\"rootfs.img\"},"
	"{\"name\":\"app\",\"handler\":\"files\",\"target\":\"app\",\"file\":\"app.tar\",\"compression\":\"xz\"}"
	"]}]}";

static struct fixture *setup(const struct tar_member *app)
{
	struct fixture *f = calloc(1, sizeof *f);
	struct ferry_error *err = NULL;
	f->dir = test_tmpdir();
	f->image = malloc(IMAGE_LEN);
	for (size_t i = 0; i < IMAGE_LEN; i++)
		f->image[i] = (unsigned char)((i * 2654435761u) >> 11);
	free(test_write_file(f->dir, "spec/rootfs.img", f->image, IMAGE_LEN));
	unsigned char *tar = NULL;
	size_t tar_len = 0;
	test_tar_build(app, &tar, &tar_len);
	free(test_write_file(f->dir, "spec/app.tar", tar, tar_len));
	free(tar);
	char *spec_path = test_write_file(f->dir, "spec/spec.json", spec, strlen(spec));
	assert_true(asprintf(&f->bundle, "%s/edge-os-2.4.1.ferry", f->dir) > 0);
	struct bundle_create_opts o = { .level = 1, .threads = 1 };
	assert_ok(bundle_create(spec_path, f->bundle, &o, NULL, &err), err);
	free(spec_path);
	/* The slot and the old tree. */
	unsigned char *ones = malloc(16 * MiB);
	memset(ones, 'S', 16 * MiB);
	f->slot = test_write_file(f->dir, "slots/rootfs-b.img", ones, 16 * MiB);
	free(ones);
	free(test_write_file(f->dir, "opt/app/old.txt", "old", 3));
	assert_true(asprintf(&f->target, "%s/opt/app", f->dir) > 0);
	f->ctx.slot_path = f->slot;
	f->ctx.target_path = f->target;
	return f;
}

static void open_bundle(struct fixture *f)
{
	struct ferry_error *err = NULL;
	const char *bytes;
	size_t len, sig_len;
	const void *sig;
	assert_ok(bundle_reader_open(f->bundle, &f->r, &err), err);
	assert_ok(bundle_reader_manifest(f->r, &bytes, &len, &sig, &sig_len, &err), err);
	assert_ok(manifest_parse(bytes, len, "manifest.json", &f->m, &err), err);
}

static void teardown(struct fixture *f)
{
	handler_result_free(&f->res);
	if (f->r)
		bundle_reader_close(f->r);
	manifest_free(f->m);
	free(f->image);
	free(f->bundle);
	free(f->slot);
	free(f->target);
	test_tmpdir_remove(f->dir);
	free(f);
}

static unsigned char *slot_bytes(struct fixture *f)
{
	char *data = NULL;
	size_t len = 0;
	struct ferry_error *err = NULL;
	assert_ok(read_file_limited(f->slot, 32 * MiB, &data, &len, &err), err);
	return (unsigned char *)data;
}

static void assert_head_zero(struct fixture *f)
{
	unsigned char *s = slot_bytes(f);
	for (size_t i = 0; i < MiB; i++)
		if (s[i])
			fail_msg("slot byte %zu is not zero", i);
	free(s);
}

static const struct tar_member good_app[] = {
	{ 'd', "bin", 0, NULL, NULL }, { 'f', "bin/app", 0755, "v2", NULL },
	{ 'l', "current", 0, NULL, "bin/app" }, { 0, NULL, 0, NULL, NULL },
};

static void test_handler_bundle_installs_rootfs_and_files(void **state)
{
	(void)state;
	struct fixture *f = setup(good_app);
	struct ferry_error *err = NULL;
	open_bundle(f);
	const struct payload *ps = f->m->variants[0].payloads;
	struct byte_source src;
	assert_ok(bundle_reader_payload(f->r, f->m, &ps[0], &src, &err), err);
	assert_ok(handler_rootfs_ab.install(&f->ctx, &ps[0], &src, &f->res, &err), err);
	unsigned char *s = slot_bytes(f);
	assert_memory_equal(s, f->image, IMAGE_LEN);
	free(s);
	assert_ok(bundle_reader_payload(f->r, f->m, &ps[1], &src, &err), err);
	assert_ok(handler_files.install(&f->ctx, &ps[1], &src, &f->res, &err), err);
	assert_ok(handler_files.activate(&f->ctx, &ps[1], &f->res, &err), err);
	char *app = NULL, *data = NULL;
	size_t len = 0;
	assert_true(asprintf(&app, "%s/current", f->target) > 0);
	assert_ok(read_file_limited(app, 100, &data, &len, &err), err);
	assert_string_equal(data, "v2");
	free(app);
	free(data);
	teardown(f);
}

static void test_handler_bundle_corrupt_frame_leaves_slot_invalid(void **state)
{
	(void)state;
	struct fixture *f = setup(good_app);
	struct ferry_error *err = NULL;
	/* Flip a byte in the middle of the compressed image (the first large
	 * member after the manifest). */
	struct stat st;
	assert_int_equal(stat(f->bundle, &st), 0);
	int fd = open(f->bundle, O_RDWR);
	assert_true(fd >= 0);
	off_t at = st.st_size / 2;
	unsigned char b;
	assert_int_equal(pread(fd, &b, 1, at), 1);
	b ^= 0x55;
	assert_int_equal(pwrite(fd, &b, 1, at), 1);
	close(fd);
	open_bundle(f);
	const struct payload *p = &f->m->variants[0].payloads[0];
	struct byte_source src;
	bool ok = bundle_reader_payload(f->r, f->m, p, &src, &err) &&
		  handler_rootfs_ab.install(&f->ctx, p, &src, &f->res, &err);
	assert_false(ok);
	assert_error_contains(err, "payloads/gw-x/rootfs.zst: frame");
	ferry_error_clear(&err);
	assert_head_zero(f);
	teardown(f);
}

static void test_handler_bundle_escaping_files_payload_refused(void **state)
{
	(void)state;
	const struct tar_member evil[] = {
		{ 'l', "link", 0, NULL, "/etc" }, { 'f', "link/passwd", 0, "root::0:0::/:/bin/sh", NULL },
		{ 0, NULL, 0, NULL, NULL },
	};
	struct fixture *f = setup(evil);
	struct ferry_error *err = NULL;
	open_bundle(f);
	const struct payload *p = &f->m->variants[0].payloads[1];
	struct byte_source src;
	assert_ok(bundle_reader_payload(f->r, f->m, p, &src, &err), err);
	assert_false(handler_files.install(&f->ctx, p, &src, &f->res, &err));
	assert_error_contains(err, "entry 'link': link to '/etc' leaves the tree");
	ferry_error_clear(&err);
	char *old = NULL, *staged = NULL;
	assert_true(asprintf(&old, "%s/old.txt", f->target) > 0);
	assert_true(asprintf(&staged, "%s.ferry-new", f->target) > 0);
	assert_int_equal(access(old, F_OK), 0);
	assert_int_equal(access(staged, F_OK), -1);
	free(old);
	free(staged);
	teardown(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handler_bundle_installs_rootfs_and_files),
		cmocka_unit_test(test_handler_bundle_corrupt_frame_leaves_slot_invalid),
		cmocka_unit_test(test_handler_bundle_escaping_files_payload_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
