/* Tests for common/bundle_write.c and common/bundle_read.c: a real bundle
 * round-trips; crafted tars (built here with libarchive from a good bundle's
 * members) are refused with the member named: order, duplicates, unknown
 * members, links, frame table and frame hash mismatches, zip bombs, limits. */
#include "testutil.h"

#include <archive.h>
#include <archive_entry.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/bundle_read.h"
#include "common/framepack.h"
#include "common/bundle_sig.h"
#include "common/bundle_write.h"
#include "common/chunks.h"
#include "common/frames.h"
#include "common/framestream.h"
#include "common/safefile.h"
#include "common/sha256.h"
#include "pgp_fixture.h"

#define BIG (9u * 1024 * 1024 + 12345)   /* several frames, the last one short */

struct member {
	char *name;
	uint8_t *data;
	size_t len;
	int type;                            /* AE_IFREG unless a test changes it */
};

struct fixture {
	char *dir;
	char *good;                          /* path of the good bundle */
	uint8_t *big;                        /* the big payload's bytes */
	struct member m[16];
	size_t n;
};

static void fill(uint8_t *b, size_t n, unsigned seed)
{
	uint32_t x = seed;
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		b[i] = (i & 64) ? (uint8_t)(x >> 24) : (uint8_t)i;
	}
}

static const char spec[] =
	"{ \"format\": 1, \"name\": \"edge-os\", \"version\": \"2.4.1\", \"security_version\": 3,\n"
	"  \"created\": \"2026-11-24T10:00:00Z\",\n"
	"  \"variants\": [\n"
	"    { \"id\": \"gw-x\", \"compatible\": { \"device_type\": [\"gw-x\"] },\n"
	"      \"payloads\": [\n"
	"        { \"name\": \"rootfs\", \"handler\": \"rootfs-ab\", \"file\": \"big.img\" },\n"
	"        { \"name\": \"app\", \"handler\": \"files\", \"target\": \"app\", \"file\": \"app.tar\", \"compression\": \"xz\" } ],\n"
	"      \"hooks\": { \"pre_install\": { \"file\": \"pre.sh\" } } },\n"
	"    { \"id\": \"sensor-y\", \"compatible\": { \"device_type\": [\"sensor-y\"] },\n"
	"      \"payloads\": [ { \"name\": \"rootfs\", \"handler\": \"rootfs-ab\", \"file\": \"small.img\", \"compression\": \"none\" } ] } ] }\n";

static void load_members(struct fixture *f, const char *path)
{
	struct bundle_reader *r;
	struct ferry_error *err = NULL;
	const char *mb;
	const void *sig;
	size_t ml, sl;
	f->n = 0;
	assert_ok(bundle_reader_open(path, &r, &err), err);
	assert_true(bundle_reader_manifest(r, &mb, &ml, &sig, &sl, &err));
	f->m[f->n++] = (struct member){ strdup("manifest.json"), (uint8_t *)strndup(mb, ml), ml, AE_IFREG };
	uint8_t *s = malloc(sl + 1);
	memcpy(s, sig, sl);
	f->m[f->n++] = (struct member){ strdup("manifest.sig"), s, sl, AE_IFREG };
	for (;;) {
		const char *name;
		uint64_t size;
		bool end;
		assert_ok(bundle_reader_next_member(r, &name, &size, &end, &err), err);
		if (end)
			break;
		struct member *m = &f->m[f->n++];
		m->name = strdup(name);
		m->data = malloc(size + 1);
		m->len = size;
		m->type = AE_IFREG;
		size_t got, at = 0;
		do {
			assert_true(bundle_reader_member_read(r, m->data + at, size - at + 1, &got, &err));
			at += got;
		} while (got);
		assert_int_equal(at, size);
	}
	bundle_reader_close(r);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->dir = test_tmpdir();
	f->big = malloc(BIG);
	fill(f->big, BIG, 1);
	uint8_t small[200000], app[100000];
	fill(small, sizeof(small), 2);
	fill(app, sizeof(app), 3);
	free(test_write_file(f->dir, "big.img", f->big, BIG));
	free(test_write_file(f->dir, "small.img", small, sizeof(small)));
	free(test_write_file(f->dir, "app.tar", app, sizeof(app)));
	free(test_write_file(f->dir, "pre.sh", "#!/bin/sh\nexit 0\n", 17));
	char *sp = test_write_file(f->dir, "spec.json", spec, strlen(spec));
	assert_true(asprintf(&f->good, "%s/good.ferry", f->dir) > 0);
	struct bundle_create_opts o = { .threads = 2 };
	struct ferry_error *err = NULL;
	assert_ok(bundle_create(sp, f->good, &o, NULL, &err), err);
	free(sp);
	load_members(f, f->good);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	for (size_t i = 0; i < f->n; i++) {
		free(f->m[i].name);
		free(f->m[i].data);
	}
	test_tmpdir_remove(f->dir);
	free(f->good);
	free(f->big);
	free(f);
	return 0;
}

/* Writes members as a tar with libarchive (any type, any order). */
static char *write_tar(struct fixture *f, const char *name, const struct member *m, size_t n)
{
	char *path;
	assert_true(asprintf(&path, "%s/%s", f->dir, name) > 0);
	struct archive *a = archive_write_new();
	archive_write_set_format_pax(a);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();
		archive_entry_set_pathname(e, m[i].name);
		archive_entry_set_filetype(e, (unsigned)m[i].type);
		archive_entry_set_perm(e, 0644);
		if (m[i].type == AE_IFLNK)
			archive_entry_set_symlink(e, "/etc/passwd");
		else
			archive_entry_set_size(e, (la_int64_t)m[i].len);
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		if (m[i].type == AE_IFREG && m[i].len)
			assert_int_equal(archive_write_data(a, m[i].data, m[i].len), (la_ssize_t)m[i].len);
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
	return path;
}

/* Reads a whole bundle like verify does; returns false with *err on refusal. */
static bool read_all(const char *path, uint8_t **first_payload, size_t *first_len,
		     struct ferry_error **err)
{
	struct bundle_reader *r = NULL;
	struct manifest *m = NULL;
	const char *mb;
	const void *sig;
	size_t ml, sl;
	bool ok = false;
	uint8_t *buf = malloc(1 << 20);
	if (!bundle_reader_open(path, &r, err) || !bundle_reader_manifest(r, &mb, &ml, &sig, &sl, err) ||
	    !manifest_parse(mb, ml, "manifest.json", &m, err))
		goto out;
	for (size_t i = 0; i < m->n_variants; i++) {
		const struct variant *v = &m->variants[i];
		for (size_t j = 0; j < v->n_payloads; j++) {
			struct byte_source src;
			if (!bundle_reader_payload(r, m, &v->payloads[j], &src, err))
				goto out;
			size_t got, total = 0;
			do {
				if (!byte_source_read(&src, buf, 1 << 20, &got, err))
					goto out;
				if (first_payload && i == 0 && j == 0 && got) {
					*first_payload = realloc(*first_payload, total + got);
					memcpy(*first_payload + total, buf, got);
				}
				total += got;
			} while (got);
			if (first_len && i == 0 && j == 0)
				*first_len = total;
		}
		for (int k = 0; k < HOOK_COUNT; k++) {
			char *data;
			size_t len;
			if (!v->hooks[k].present)
				continue;
			if (!bundle_reader_hook(r, &v->hooks[k], &data, &len, err))
				goto out;
			free(data);
		}
	}
	ok = bundle_reader_finish(r, err);
out:
	free(buf);
	manifest_free(m);
	bundle_reader_close(r);
	return ok;
}

/* The reader refuses the bundle, with what that means and naming the member. */
static void expect_refusal(struct fixture *f, const struct member *m, size_t n, enum ferry_code code,
			   const char *member)
{
	char *path = write_tar(f, "bad.ferry", m, n);
	struct ferry_error *err = NULL;
	assert_false(read_all(path, NULL, NULL, &err));
	assert_error_code(err, code);
	assert_error_contains(err, member);
	ferry_error_free(err);
	free(path);
}

static size_t find(struct fixture *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->m[i].name, name) == 0)
			return i;
	fail_msg("no member %s", name);
	return 0;
}

static void test_bundle_roundtrip_reads_every_payload(void **state)
{
	struct fixture *f = *state;
	uint8_t *got = NULL;
	size_t len = 0;
	struct ferry_error *err = NULL;
	assert_ok(read_all(f->good, &got, &len, &err), err);
	assert_int_equal(len, BIG);
	assert_memory_equal(got, f->big, BIG);
	free(got);
	const char *order[] = { "manifest.json", "manifest.sig", "payloads/gw-x/rootfs.zst.chunks",
				"payloads/gw-x/rootfs.zst", "payloads/gw-x/app.xz.chunks",
				"payloads/gw-x/app.xz", "payloads/gw-x/pre_install.hook",
				"payloads/sensor-y/rootfs.bin.chunks", "payloads/sensor-y/rootfs.bin" };
	assert_int_equal(f->n, sizeof(order) / sizeof(order[0]));
	for (size_t i = 0; i < f->n; i++)
		assert_string_equal(f->m[i].name, order[i]);
	struct chunk_table t;
	size_t c = find(f, "payloads/gw-x/rootfs.zst.chunks");
	assert_ok(chunks_parse(f->m[c].data, f->m[c].len, "t", &t, &err), err);
	assert_int_equal(t.n_frames, (BIG + FRAMEPACK_FRAME_DEFAULT - 1) / FRAMEPACK_FRAME_DEFAULT);
	chunks_free(&t);
}

static void test_bundle_create_is_deterministic(void **state)
{
	struct fixture *f = *state;
	char *again, *a = NULL, *b = NULL, *sp;
	size_t al, bl;
	assert_true(asprintf(&again, "%s/again.ferry", f->dir) > 0);
	assert_true(asprintf(&sp, "%s/spec.json", f->dir) > 0);
	struct bundle_create_opts o = { .threads = 1 };
	struct ferry_error *err = NULL;
	assert_ok(bundle_create(sp, again, &o, NULL, &err), err);
	assert_true(read_file_limited(f->good, 64 << 20, &a, &al, NULL));
	assert_true(read_file_limited(again, 64 << 20, &b, &bl, NULL));
	assert_int_equal(al, bl);
	assert_memory_equal(a, b, al);
	free(a);
	free(b);
	free(sp);
	free(again);
}

/* A reader of the good bundle, its manifest parsed into *m. */
static struct bundle_reader *open_good(struct fixture *f, struct manifest **m)
{
	struct bundle_reader *r;
	struct ferry_error *err = NULL;
	const char *mb;
	const void *sig;
	size_t ml, sl;
	assert_ok(bundle_reader_open(f->good, &r, &err), err);
	assert_true(bundle_reader_manifest(r, &mb, &ml, &sig, &sl, &err));
	assert_ok(manifest_parse(mb, ml, "manifest.json", m, &err), err);
	return r;
}

static void test_bundle_reader_goes_back_for_an_earlier_member(void **state)
{
	struct fixture *f = *state;
	struct manifest *m;
	struct bundle_reader *r = open_good(f, &m);
	struct ferry_error *err = NULL;
	size_t got;
	char *hook, buf[100];
	size_t hl;
	/* the pre_install hook comes after the payloads, but is needed first */
	assert_ok(bundle_reader_hook(r, &m->variants[0].hooks[HOOK_PRE_INSTALL], &hook, &hl, &err), err);
	assert_int_equal(hl, 17);
	free(hook);
	struct byte_source src;
	assert_ok(bundle_reader_payload(r, m, &m->variants[0].payloads[0], &src, &err), err);
	assert_ok(byte_source_read(&src, buf, sizeof(buf), &got, &err), err);
	assert_int_equal(got, sizeof(buf));
	assert_memory_equal(buf, f->big, sizeof(buf));
	manifest_free(m);
	bundle_reader_close(r);
}

/* borrow lends the rest of a frame, then whole frames that are ready; the
 * runs follow each other, mixed with reads both ways, and end after the
 * same checks. */
static void test_bundle_payload_borrow_lends_consecutive_frames(void **state)
{
	struct fixture *f = *state;
	struct manifest *m;
	struct bundle_reader *r = open_good(f, &m);
	struct ferry_error *err = NULL;
	size_t got, pos = 0, most = 0;
	char head[100];
	struct byte_source src;
	assert_ok(bundle_reader_payload(r, m, &m->variants[0].payloads[0], &src, &err), err);
	assert_non_null(src.borrow);
	assert_ok(byte_source_read(&src, head, sizeof(head), &got, &err), err);
	assert_memory_equal(head, f->big, got);
	pos = got;
	for (unsigned round = 0;; round++) {
		struct iovec runs[8];
		size_t n = 0;
		if (round % 3 == 2) {   /* a read between borrows takes up where they stopped */
			assert_ok(byte_source_read(&src, head, sizeof(head), &got, &err), err);
			assert_memory_equal(head, f->big + pos, got);
			pos += got;
			if (got == 0)
				break;
			continue;
		}
		usleep(100000);   /* the workers fill what they may: 2 x 1 MiB takes ~2 ms */
		assert_ok(src.borrow(src.ctx, runs, 8, &n, &err), err);
		if (n == 0)
			break;
		most = n > most ? n : most;
		for (size_t k = 0; k < n; k++) {
			assert_true(k == 0 || (uintptr_t)runs[k].iov_base % FRAMESTREAM_ALIGN == 0);
			assert_memory_equal(runs[k].iov_base, f->big + pos, runs[k].iov_len);
			pos += runs[k].iov_len;
		}
	}
	assert_int_equal(pos, BIG);
	/* two workers or more: half their ring comes at once */
	cpu_set_t cpus;
	if (sched_getaffinity(0, sizeof(cpus), &cpus) == 0 && CPU_COUNT(&cpus) >= 2)
		assert_in_range(most, 2, FRAMESTREAM_WORKERS_MAX);
	else
		assert_int_equal(most, 1);
	manifest_free(m);
	bundle_reader_close(r);
}

static void test_bundle_rejects_member_out_of_order(void **state)
{
	struct fixture *f = *state;
	struct member m[16];
	memcpy(m, f->m, f->n * sizeof(*m));
	struct member t = m[2];   /* data before its frame table */
	m[2] = m[3];
	m[3] = t;
	expect_refusal(f, m, f->n, FERRY_E_FORMAT, "payloads/gw-x/rootfs.zst: member out of order");
}

static void test_bundle_rejects_duplicate_member(void **state)
{
	struct fixture *f = *state;
	struct member m[17];
	memcpy(m, f->m, 2 * sizeof(*m));
	m[2] = f->m[1];
	memcpy(m + 3, f->m + 2, (f->n - 2) * sizeof(*m));
	expect_refusal(f, m, f->n + 1, FERRY_E_FORMAT, "manifest.sig");
	/* the same member again at the end */
	memcpy(m, f->m, f->n * sizeof(*m));
	m[f->n] = f->m[3];
	expect_refusal(f, m, f->n + 1, FERRY_E_FORMAT, "payloads/gw-x/rootfs.zst");
}

static void test_bundle_rejects_unknown_member(void **state)
{
	struct fixture *f = *state;
	struct member m[17];
	memcpy(m, f->m, 4 * sizeof(*m));
	m[4] = (struct member){ "payloads/gw-x/evil.sh", (uint8_t *)"x", 1, AE_IFREG };
	memcpy(m + 5, f->m + 4, (f->n - 4) * sizeof(*m));
	expect_refusal(f, m, f->n + 1, FERRY_E_FORMAT, "payloads/gw-x/evil.sh");
	memcpy(m, f->m, f->n * sizeof(*m));
	m[f->n] = (struct member){ "trailer", (uint8_t *)"x", 1, AE_IFREG };
	expect_refusal(f, m, f->n + 1, FERRY_E_FORMAT, "trailer");
}

static void test_bundle_rejects_links_and_directories(void **state)
{
	struct fixture *f = *state;
	struct member m[16];
	memcpy(m, f->m, f->n * sizeof(*m));
	m[6].type = AE_IFLNK;   /* the hook as a symlink */
	expect_refusal(f, m, f->n, FERRY_E_FORMAT, "payloads/gw-x/pre_install.hook");
	memcpy(m, f->m, f->n * sizeof(*m));
	m[2].type = AE_IFDIR;
	m[2].len = 0;
	expect_refusal(f, m, f->n, FERRY_E_FORMAT, "payloads/gw-x/rootfs.zst.chunks");
}

static void test_bundle_rejects_frame_table_mismatch(void **state)
{
	struct fixture *f = *state;
	struct member m[16];
	memcpy(m, f->m, f->n * sizeof(*m));
	struct member c = m[2];
	c.data = malloc(c.len);
	memcpy(c.data, m[2].data, c.len);
	c.data[c.len - 1] ^= 1;
	m[2] = c;
	expect_refusal(f, m, f->n, FERRY_E_INTEGRITY, "payloads/gw-x/rootfs.zst.chunks");
	free(c.data);
}

static void test_bundle_rejects_tampered_frame_before_decompressing(void **state)
{
	struct fixture *f = *state;
	struct member m[16];
	memcpy(m, f->m, f->n * sizeof(*m));
	struct member d = m[3];
	d.data = malloc(d.len);
	memcpy(d.data, m[3].data, d.len);
	d.data[d.len - 10] ^= 0x40;   /* inside the last frame */
	m[3] = d;
	char want[96];
	snprintf(want, sizeof(want), "payloads/gw-x/rootfs.zst: frame %u",
		 (unsigned)((BIG + FRAMEPACK_FRAME_DEFAULT - 1) / FRAMEPACK_FRAME_DEFAULT - 1));
	expect_refusal(f, m, f->n, FERRY_E_INTEGRITY, want);
	free(d.data);
}

static void test_bundle_rejects_truncated_and_manifest_limits(void **state)
{
	struct fixture *f = *state;
	struct member m[16];
	memcpy(m, f->m, f->n * sizeof(*m));
	expect_refusal(f, m, f->n - 1, FERRY_E_FORMAT, "payloads/sensor-y/rootfs.bin");
	size_t big = MANIFEST_MAX_BYTES + 1;
	uint8_t *huge = calloc(1, big);
	m[0].data = huge;
	m[0].len = big;
	expect_refusal(f, m, f->n, FERRY_E_FORMAT, "manifest.json");
	free(huge);
	char *path = test_write_file(f->dir, "junk.ferry", "not a tar at all", 16);
	struct ferry_error *err = NULL;
	struct bundle_reader *r;
	assert_false(bundle_reader_open(path, &r, &err));
	assert_error_code(err, FERRY_E_FORMAT);
	ferry_error_free(err);
	free(path);
}

/* Replaces the sensor payload by a crafted one: stored frame `frame`
 * described by a table of one frame of size `size` (manifest consistent). */
static void craft_payload(struct fixture *f, struct member *m, enum compression c,
			  const uint8_t *frame, size_t frame_len, uint32_t size,
			  const uint8_t *plain, char **manifest_out, uint8_t **table_out)
{
	struct manifest *man;
	struct ferry_error *err = NULL;
	size_t mi = find(f, "manifest.json");
	assert_ok(manifest_parse((char *)f->m[mi].data, f->m[mi].len, "manifest.json", &man, &err), err);
	struct payload *p = &man->variants[1].payloads[0];
	struct chunk_table t;
	uint8_t sha[SHA256_LEN];
	sha256_buffer(frame, frame_len, sha);
	chunks_init(&t, CHUNKS_MIN_FRAME);
	assert_true(chunks_append(&t, frame_len, size, sha, NULL));
	size_t tl;
	assert_true(chunks_serialize(&t, table_out, &tl, NULL));
	chunks_free(&t);
	p->compression = c;
	p->size = size;
	sha256_buffer_hex(plain, size, p->sha256);
	sha256_buffer_hex(*table_out, tl, p->chunks_sha256);
	size_t ml;
	assert_ok(manifest_serialize(man, manifest_out, &ml, &err), err);
	memcpy(m, f->m, f->n * sizeof(*m));
	m[0].data = (uint8_t *)*manifest_out;
	m[0].len = ml;
	m[f->n - 2].data = *table_out;
	m[f->n - 2].len = tl;
	m[f->n - 1].data = (uint8_t *)frame;
	m[f->n - 1].len = frame_len;
	manifest_free(man);
}

static void test_bundle_rejects_zip_bomb_frame(void **state)
{
	struct fixture *f = *state;
	size_t n = FRAME_MAX_UNCOMPRESSED;
	uint8_t *zeros = calloc(1, n), *z = malloc(frames_stored_bound(COMPRESSION_ZSTD, n));
	struct frame_coder *fc;
	size_t zl;
	assert_true(frame_coder_new(&fc, NULL));
	assert_true(frames_compress(fc, COMPRESSION_ZSTD, 0, zeros, n, z,
				    frames_stored_bound(COMPRESSION_ZSTD, n), &zl, NULL));
	frame_coder_free(fc);
	struct member m[16];
	char *man;
	uint8_t *table;
	/* 4 MiB of zeros in a frame declared as 64 KiB: authenticated, yet refused */
	craft_payload(f, m, COMPRESSION_ZSTD, z, zl, CHUNKS_MIN_FRAME, zeros, &man, &table);
	expect_refusal(f, m, f->n, FERRY_E_FORMAT, "payloads/sensor-y/rootfs.bin: frame 0");
	free(man);
	free(table);
	/* a stored frame larger than a frame of its size can be */
	uint8_t *raw = calloc(1, CHUNKS_MIN_FRAME + 1);
	craft_payload(f, m, COMPRESSION_NONE, raw, CHUNKS_MIN_FRAME + 1, CHUNKS_MIN_FRAME, zeros, &man, &table);
	expect_refusal(f, m, f->n, FERRY_E_INTEGRITY, "payloads/sensor-y/rootfs.bin.chunks: frame 0");
	free(man);
	free(table);
	free(raw);
	free(zeros);
	free(z);
}

static void test_bundle_rejects_payload_hash_mismatch(void **state)
{
	struct fixture *f = *state;
	uint8_t plain[CHUNKS_MIN_FRAME], other[CHUNKS_MIN_FRAME];
	fill(plain, sizeof(plain), 9);
	memcpy(other, plain, sizeof(other));
	other[5] ^= 1;
	struct member m[16];
	char *man;
	uint8_t *table;
	/* frame table authentic, but the manifest's whole-payload hash is of other bytes */
	craft_payload(f, m, COMPRESSION_NONE, plain, sizeof(plain), sizeof(plain), other, &man, &table);
	expect_refusal(f, m, f->n, FERRY_E_INTEGRITY, "payloads/sensor-y/rootfs.bin");
	free(man);
	free(table);
}

static void test_bundle_create_refuses_missing_file_and_leaves_nothing(void **state)
{
	struct fixture *f = *state;
	const char *bad = "{ \"format\": 1, \"name\": \"x\", \"version\": \"1.0.0\", \"security_version\": 1,"
			  " \"created\": \"2026-11-24T10:00:00Z\", \"variants\": [ { \"id\": \"a\","
			  " \"compatible\": { \"device_type\": [\"a\"] }, \"payloads\": [ { \"name\": \"r\","
			  " \"handler\": \"rootfs-ab\", \"file\": \"nope.img\" } ] } ] }";
	char *sp = test_write_file(f->dir, "bad.json", bad, strlen(bad)), *out;
	assert_true(asprintf(&out, "%s/bad-out.ferry", f->dir) > 0);
	struct bundle_create_opts o = { 0 };
	struct ferry_error *err = NULL;
	assert_false(bundle_create(sp, out, &o, NULL, &err));
	assert_error_contains(err, "nope.img");
	assert_int_equal(access(out, F_OK), -1);
	char *tmp;
	assert_true(asprintf(&tmp, "%s.tmp", out) > 0);
	assert_int_equal(access(tmp, F_OK), -1);
	ferry_error_free(err);
	free(sp);
	free(out);
	free(tmp);
}

static void test_bundle_device_skips_other_variants_unread(void **state)
{
	struct fixture *f = *state;
	struct member m[16];
	memcpy(m, f->m, f->n * sizeof(*m));
	size_t d = find(f, "payloads/gw-x/rootfs.zst");
	struct member bad = m[d];
	bad.data = calloc(1, bad.len);   /* another variant's data: garbage */
	m[d] = bad;
	char *path = write_tar(f, "skip.ferry", m, f->n);
	struct bundle_reader *r;
	struct manifest *man;
	struct ferry_error *err = NULL;
	struct byte_source src;
	const char *mb;
	const void *sig;
	size_t ml, sl, got, total = 0;
	char buf[65536];
	assert_ok(bundle_reader_open(path, &r, &err), err);
	assert_true(bundle_reader_manifest(r, &mb, &ml, &sig, &sl, &err));
	assert_ok(manifest_parse(mb, ml, "manifest.json", &man, &err), err);
	/* a sensor-y device reads its own payload; gw-x's members are skipped by seeking */
	assert_ok(bundle_reader_payload(r, man, &man->variants[1].payloads[0], &src, &err), err);
	do {
		assert_ok(byte_source_read(&src, buf, sizeof(buf), &got, &err), err);
		total += got;
	} while (got);
	assert_int_equal(total, 200000);
	manifest_free(man);
	bundle_reader_close(r);
	free(path);
	free(bad.data);
}

/* Any single flipped byte after the signatures (headers, frame tables, frames,
 * hooks, padding, end marker) is refused; the signature check, which covers
 * the first two members, is verify's (tests/integration/pack.sh). */
static void test_bundle_rejects_any_flipped_byte_after_the_signatures(void **state)
{
	struct fixture *f = *state;
	char *bytes;
	size_t len;
	assert_true(read_file_limited(f->good, 64 << 20, &bytes, &len, NULL));
	size_t start = 512 + (f->m[0].len + 511) / 512 * 512 + 512 + (f->m[1].len + 511) / 512 * 512;
	uint32_t x = 12345;
	char *path;
	assert_true(asprintf(&path, "%s/flip.ferry", f->dir) > 0);
	for (int i = 0; i < 40; i++) {
		x = x * 1103515245u + 12345u;
		size_t pos = start + (size_t)((uint64_t)x * (len - start) >> 32);
		bytes[pos] ^= 0x10;
		assert_true(safe_write_atomic(path, bytes, len, 0600, NULL));
		struct ferry_error *err = NULL;
		if (read_all(path, NULL, NULL, &err))
			fail_msg("flip at %zu of %zu not refused", pos, len);
		ferry_error_free(err);
		bytes[pos] ^= 0x10;
	}
	free(path);
	free(bytes);
}

static void test_bundle_rejects_tampered_hook(void **state)
{
	struct fixture *f = *state;
	struct member m[16];
	memcpy(m, f->m, f->n * sizeof(*m));
	size_t h = find(f, "payloads/gw-x/pre_install.hook");
	struct member d = m[h];
	d.data = (uint8_t *)strdup("#!/bin/sh\nexit 1\n");
	m[h] = d;
	expect_refusal(f, m, f->n, FERRY_E_INTEGRITY, "payloads/gw-x/pre_install.hook");
	free(d.data);
}

static void test_bundle_refuses_payload_of_another_manifest(void **state)
{
	struct fixture *f = *state;
	struct bundle_reader *r;
	struct manifest *m;
	struct ferry_error *err = NULL;
	struct byte_source src;
	const char *mb;
	const void *sig;
	size_t ml, sl;
	assert_ok(bundle_reader_open(f->good, &r, &err), err);
	assert_true(bundle_reader_manifest(r, &mb, &ml, &sig, &sl, &err));
	assert_ok(manifest_parse(mb, ml, "manifest.json", &m, &err), err);
	/* the caller verified a different manifest: its hashes do not match ours */
	m->variants[0].payloads[1].sha256[0] = m->variants[0].payloads[1].sha256[0] == 'a' ? 'b' : 'a';
	assert_false(bundle_reader_payload(r, m, &m->variants[0].payloads[1], &src, &err));
	assert_error_code(err, FERRY_E_FORMAT);
	ferry_error_free(err);
	manifest_free(m);
	bundle_reader_close(r);
}

static void test_bundle_rejects_nonzero_padding_and_trailing_bytes(void **state)
{
	struct fixture *f = *state;
	char *bytes;
	size_t len;
	struct ferry_error *err = NULL;
	assert_true(read_file_limited(f->good, 64 << 20, &bytes, &len, NULL));
	/* manifest.json's data starts at 512; its padding follows its bytes */
	size_t ml = f->m[0].len, pad = 512 + ml + 3;
	assert_true(ml % 512 != 0 && ml % 512 < 509);
	bytes[pad] = 'x';
	char *path = test_write_file(f->dir, "pad.ferry", bytes, len);
	assert_false(read_all(path, NULL, NULL, &err));
	assert_error_code(err, FERRY_E_FORMAT);
	ferry_error_clear(&err);
	free(path);
	bytes[pad] = 0;
	bytes = realloc(bytes, len + 1);
	bytes[len] = 'x';
	path = test_write_file(f->dir, "tail.ferry", bytes, len + 1);
	assert_false(read_all(path, NULL, NULL, &err));
	assert_error_code(err, FERRY_E_FORMAT);
	ferry_error_free(err);
	free(path);
	free(bytes);
}

static void test_bundle_cosign_keeps_every_member(void **state)
{
	struct pgp_homes *hs = *state;
	char *dir = test_tmpdir(), *sp, *out, fpr[2][PGP_FPR_LEN + 1];
	uint8_t img[300000];
	fill(img, sizeof(img), 5);
	free(test_write_file(dir, "big.img", img, sizeof(img)));
	free(test_write_file(dir, "app.tar", img, 1000));
	free(test_write_file(dir, "small.img", img, 2000));
	free(test_write_file(dir, "pre.sh", "#!/bin/sh\n", 10));
	sp = test_write_file(dir, "spec.json", spec, strlen(spec));
	assert_true(asprintf(&out, "%s/b.ferry", dir) > 0);
	pgp_home_key(&hs->h[0], "Release <r@example.org>", fpr[0]);
	pgp_home_key(&hs->h[0], "QA <q@example.org>", fpr[1]);
	const char *signers[] = { fpr[0] };
	struct bundle_create_opts o = { .pgp = hs->h[0].pgp, .sign_fprs = signers, .n_sign = 1 };
	struct ferry_error *err = NULL;
	assert_ok(bundle_create(sp, out, &o, NULL, &err), err);
	struct fixture before = { 0 }, after = { 0 };
	load_members(&before, out);
	assert_ok(bundle_add_signature(out, hs->h[0].pgp, fpr[1], &err), err);
	load_members(&after, out);
	assert_int_equal(before.n, after.n);
	for (size_t i = 0; i < before.n; i++) {
		assert_string_equal(before.m[i].name, after.m[i].name);
		if (i == 1)
			continue;   /* manifest.sig grew */
		assert_int_equal(before.m[i].len, after.m[i].len);
		assert_memory_equal(before.m[i].data, after.m[i].data, before.m[i].len);
	}
	assert_true(after.m[1].len > before.m[1].len);
	assert_memory_equal(after.m[1].data, before.m[1].data, before.m[1].len);
	size_t n;
	assert_ok(bundle_sig_check(after.m[1].data, after.m[1].len, &n, &err), err);
	assert_int_equal(n, 2);
	assert_false(bundle_add_signature(out, hs->h[0].pgp, fpr[1], &err));
	assert_error_contains(err, "already signed by");
	ferry_error_free(err);
	for (size_t i = 0; i < before.n; i++) {
		free(before.m[i].name);
		free(before.m[i].data);
		free(after.m[i].name);
		free(after.m[i].data);
	}
	free(sp);
	free(out);
	test_tmpdir_remove(dir);
}

/* Two GnuPG signatures over the same bytes, concatenated as in manifest.sig. */
static uint8_t *two_signatures(struct pgp_homes *hs, size_t *len, size_t *first_len)
{
	char a[PGP_FPR_LEN + 1], b[PGP_FPR_LEN + 1];
	void *s1, *s2;
	size_t l1, l2;
	struct ferry_error *err = NULL;
	pgp_home_key(&hs->h[0], "Release <r@example.org>", a);
	pgp_home_key(&hs->h[0], "QA <q@example.org>", b);
	assert_ok(pgp_sign_detached(hs->h[0].pgp, a, "manifest", 8, &s1, &l1, &err), err);
	assert_ok(pgp_sign_detached(hs->h[0].pgp, b, "manifest", 8, &s2, &l2, &err), err);
	uint8_t *all = malloc(l1 + l2 + 1);
	memcpy(all, s1, l1);
	memcpy(all + l1, s2, l2);
	free(s1);
	free(s2);
	*len = l1 + l2;
	*first_len = l1;
	return all;
}

/* Offset of the first unhashed subpacket's data in the first packet. */
static size_t unhashed_offset(const uint8_t *s)
{
	size_t h = (s[0] & 0x40) ? (s[1] < 192 ? 2 : 3) : 2 + ((s[0] & 3) == 1) + 3 * ((s[0] & 3) == 2);
	size_t hashed = (size_t)s[h + 4] << 8 | s[h + 5];
	return h + 6 + hashed + 2;   /* unhashed length, then subpackets */
}

static void test_bundle_sig_accepts_gnupg_signatures(void **state)
{
	size_t len, first, n = 0;
	uint8_t *sig = two_signatures(*state, &len, &first);
	struct ferry_error *err = NULL;
	assert_ok(bundle_sig_check(sig, len, &n, &err), err);
	assert_int_equal(n, 2);
	assert_ok(bundle_sig_check(sig, 0, &n, &err), err);
	assert_int_equal(n, 0);
	free(sig);
}

static void test_bundle_sig_rejects_changes_outside_the_signature(void **state)
{
	size_t len, first;
	uint8_t *sig = two_signatures(*state, &len, &first);
	struct ferry_error *err = NULL;
	size_t u = unhashed_offset(sig);
	/* the issuer key id in the unhashed area: GnuPG would still say "valid" */
	sig[u + 2 + 3] ^= 1;
	assert_false(bundle_sig_check(sig, len, NULL, &err));
	assert_error_code(err, FERRY_E_SIGNATURE);
	ferry_error_clear(&err);
	sig[u + 2 + 3] ^= 1;
	/* another subpacket type in the unhashed area */
	sig[u + 1] ^= 0x02;
	assert_false(bundle_sig_check(sig, len, NULL, &err));
	assert_error_code(err, FERRY_E_SIGNATURE);
	ferry_error_clear(&err);
	sig[u + 1] ^= 0x02;
	/* trailing garbage, a cut signature, a packet that is not a signature */
	sig[len] = 0x00;
	assert_false(bundle_sig_check(sig, len + 1, NULL, &err));
	assert_error_code(err, FERRY_E_SIGNATURE);
	ferry_error_clear(&err);
	assert_false(bundle_sig_check(sig, len - 1, NULL, &err));
	assert_error_code(err, FERRY_E_SIGNATURE);
	ferry_error_clear(&err);
	uint8_t tag = sig[first];
	sig[first] = (tag & 0x40) ? (uint8_t)((tag & 0xc0) | 13) : (uint8_t)((tag & 0x83) | (13 << 2));
	assert_false(bundle_sig_check(sig, len, NULL, &err));
	assert_error_code(err, FERRY_E_SIGNATURE);
	ferry_error_free(err);
	free(sig);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bundle_roundtrip_reads_every_payload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bundle_create_is_deterministic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bundle_reader_goes_back_for_an_earlier_member, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bundle_payload_borrow_lends_consecutive_frames, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bundle_rejects_member_out_of_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bundle_rejects_duplicate_member, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bundle_rejects_unknown_member, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bundle_rejects_links_and_directories, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bundle_rejects_frame_table_mismatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bundle_rejects_tampered_frame_before_decompressing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bundle_rejects_truncated_and_manifest_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bundle_rejects_zip_bomb_frame, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bundle_rejects_payload_hash_mismatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bundle_create_refuses_missing_file_and_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bundle_device_skips_other_variants_unread, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bundle_rejects_tampered_hook, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bundle_rejects_any_flipped_byte_after_the_signatures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bundle_refuses_payload_of_another_manifest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bundle_rejects_nonzero_padding_and_trailing_bytes, setup, teardown),
		pgp_unit_test(test_bundle_cosign_keeps_every_member),
		pgp_unit_test(test_bundle_sig_accepts_gnupg_signatures),
		pgp_unit_test(test_bundle_sig_rejects_changes_outside_the_signature),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
