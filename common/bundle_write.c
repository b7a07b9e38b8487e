/* bundle_write: see bundle_write.h. The tar writer is positional: create
 * packs every payload's frames straight into the bundle's temporary file at
 * the offset its data member will have, fills the manifest, signs its exact
 * bytes and then writes the tar around the frames (see "create" below). */
#include "bundle_write.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle_read.h"
#include "chunks.h"
#include "framepack.h"
#include "log.h"
#include "progress.h"
#include "rfc3339.h"
#include "safefile.h"
#include "sbom.h"
#include "sha256.h"

#define COPY_BUF (1024 * 1024)

struct bundle_tar {
	struct safe_tmp tmp;   /* tmp.fd < 0: the tar only counts (bundle_tar_open_count) */
	struct archive *a;
	time_t mtime;
	char *member;          /* member being written, for messages */
	uint64_t left;         /* bytes it still needs */
	uint64_t pos;          /* bytes of tar so far: where the next one goes */
	bool skipping;         /* bytes already in the file go past (bundle_tar_skip) */
};

char *bundle_payload_member(const char *variant, const char *payload, enum compression c)
{
	const char *ext = c == COMPRESSION_ZSTD ? ".zst" : c == COMPRESSION_XZ ? ".xz" : ".bin";
	char *s = NULL;
	if (asprintf(&s, "payloads/%s/%s%s", variant, payload, ext) < 0)
		return NULL;
	return s;
}

char *bundle_sbom_member(const char *variant)
{
	char *s = NULL;
	if (asprintf(&s, "payloads/%s/" SBOM_MEMBER_NAME, variant) < 0)
		return NULL;
	return s;
}

char *bundle_hook_member(const char *variant, enum hook_kind k)
{
	char *s = NULL;
	if (asprintf(&s, "payloads/%s/%s.hook", variant, hook_kind_name(k)) < 0)
		return NULL;
	return s;
}

static bool archive_fail(struct archive *a, const char *what, struct ferry_error **err)
{
	return ferry_error_set(err, "%s: %s", what, archive_error_string(a) ? archive_error_string(a)
									       : "libarchive error");
}

static bool pwrite_all(int fd, const uint8_t *p, size_t n, uint64_t at)
{
	while (n > 0) {
		ssize_t w = pwrite(fd, p, n, (off_t)at);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
		at += (uint64_t)w;
	}
	return true;
}

/* libarchive's output: positional, so that payload data written in place
 * beforehand (bundle_tar_fd) is stepped over, not written again. */
static la_ssize_t tar_output(struct archive *a, void *ctx, const void *buf, size_t n)
{
	struct bundle_tar *t = ctx;
	if (t->tmp.fd >= 0 && !t->skipping && !pwrite_all(t->tmp.fd, buf, n, t->pos)) {
		archive_set_error(a, errno ? errno : EIO, "write");
		return -1;
	}
	t->pos += n;
	return (la_ssize_t)n;
}

/* Unblocked (every byte reaches tar_output at once, so pos is exact) and
 * without padding after the end marker: the bytes of a blocked tar with
 * bytes_in_last_block 1, as bundles always had. */
static bool tar_start(struct bundle_tar *t, const char *what, struct ferry_error **err)
{
	t->a = archive_write_new();
	if (!t->a || archive_write_set_format_pax(t->a) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(t->a, 0) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(t->a, 1) != ARCHIVE_OK ||
	    archive_write_open(t->a, t, NULL, tar_output, NULL) != ARCHIVE_OK) {
		if (t->a)
			return archive_fail(t->a, what, err);
		return ferry_error_set(err, "out of memory");
	}
	return true;
}

bool bundle_tar_open(const char *path, time_t mtime, struct bundle_tar **out,
		     struct ferry_error **err)
{
	struct bundle_tar *t = calloc(1, sizeof(*t));
	if (!t)
		return ferry_error_set(err, "out of memory");
	t->mtime = mtime;
	if (!safe_tmp_open(&t->tmp, path, 0644, err)) {
		free(t);
		return false;
	}
	if (!tar_start(t, t->tmp.tmp_path, err)) {
		bundle_tar_abort(t);
		return false;
	}
	*out = t;
	return true;
}

bool bundle_tar_open_count(time_t mtime, struct bundle_tar **out, struct ferry_error **err)
{
	struct bundle_tar *t = calloc(1, sizeof(*t));
	if (!t)
		return ferry_error_set(err, "out of memory");
	t->mtime = mtime;
	t->tmp.fd = -1;
	if (!tar_start(t, "counting tar", err)) {
		bundle_tar_abort(t);
		return false;
	}
	*out = t;
	return true;
}

uint64_t bundle_tar_pos(const struct bundle_tar *t)
{
	return t->pos;
}

int bundle_tar_fd(const struct bundle_tar *t)
{
	return t->tmp.fd;
}

static bool member_complete(struct bundle_tar *t, struct ferry_error **err)
{
	if (t->member && t->left)
		return ferry_error_set(err, "%s: %llu bytes missing", t->member,
				       (unsigned long long)t->left);
	return true;
}

bool bundle_tar_begin(struct bundle_tar *t, const char *name, uint64_t size,
		      struct ferry_error **err)
{
	if (!member_complete(t, err))
		return false;
	free(t->member);
	t->member = strdup(name);
	t->left = size;
	struct archive_entry *e = archive_entry_new();
	if (!e || !t->member) {
		archive_entry_free(e);
		return ferry_error_set(err, "out of memory");
	}
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)size);
	archive_entry_set_mtime(e, t->mtime, 0);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	bool ok = archive_write_header(t->a, e) == ARCHIVE_OK;
	archive_entry_free(e);
	if (!ok)
		return archive_fail(t->a, name, err);
	return true;
}

bool bundle_tar_write(struct bundle_tar *t, const void *data, size_t len, struct ferry_error **err)
{
	if (len > t->left)
		return ferry_error_set(err, "%s: more bytes than declared", t->member);
	while (len > 0) {
		la_ssize_t n = archive_write_data(t->a, data, len);
		if (n <= 0)
			return archive_fail(t->a, t->member, err);
		data = (const char *)data + n;
		len -= (size_t)n;
		t->left -= (uint64_t)n;
	}
	return true;
}

bool bundle_tar_skip(struct bundle_tar *t, uint64_t len, struct ferry_error **err)
{
	static uint8_t zeros[64 * 1024];   /* what libarchive is fed (bss: never written) */
	bool ok = true;
	t->skipping = true;
	while (ok && len > 0) {
		size_t n = len < sizeof(zeros) ? (size_t)len : sizeof(zeros);
		ok = bundle_tar_write(t, zeros, n, err);
		len -= n;
	}
	t->skipping = false;
	return ok;
}

bool bundle_tar_add(struct bundle_tar *t, const char *name, const void *data, size_t len,
		    struct ferry_error **err)
{
	return bundle_tar_begin(t, name, len, err) && bundle_tar_write(t, data, len, err);
}

bool bundle_tar_commit(struct bundle_tar *t, struct ferry_error **err)
{
	if (!member_complete(t, err))
		goto fail;
	if (archive_write_close(t->a) != ARCHIVE_OK) {
		archive_fail(t->a, t->tmp.tmp_path, err);
		goto fail;
	}
	archive_write_free(t->a);
	t->a = NULL;
	bool ok = safe_tmp_commit(&t->tmp, err);
	free(t->member);
	free(t);
	return ok;
fail:
	bundle_tar_abort(t);
	return false;
}

void bundle_tar_abort(struct bundle_tar *t)
{
	if (!t)
		return;
	/* Closing pads the open member and writes the end marker: none of it
	 * may land in the file, whose frames a caller may still copy. */
	t->skipping = true;
	if (t->a)
		archive_write_free(t->a);   /* closes; the fd stays ours */
	if (t->tmp.fd >= 0)
		safe_tmp_abort(&t->tmp);
	free(t->member);
	free(t);
}

/* ---- create ---------------------------------------------------------------- */

/* Where the frames go. The signed manifest names every frame table's hash,
 * so manifest.json and manifest.sig, the first members, can only be written
 * once every payload is packed. Rather than packing into a side file and
 * copying the frames into the tar after signing, create predicts where each
 * payload's data will lie in the tar (the manifest's length is known before
 * its hashes are, manifest.sig's is that of the signers' probe signatures,
 * a frame table's follows from the input's size) and packs the frames
 * straight to that offset of the bundle's temporary file; the tar is then
 * written around them by the same libarchive calls as ever, which check that
 * each data member starts exactly where its frames are. A guess that misses
 * (an input whose size changed, a signature that crossed a 512-byte block)
 * costs the old copy, never a wrong byte. */

struct packed {                /* per payload, in manifest order */
	char *path;                /* the input */
	uint64_t expect;           /* its size when create started (0: unknown) */
	uint64_t offset;           /* of its frames in frames_fd */
	uint64_t stored;           /* their total size: the data member's */
	uint8_t *chunks;
	size_t chunks_len;
};

struct hook_data {             /* per variant and hook kind */
	char *data;
	size_t len;
};

struct create {
	const struct bundle_create_opts *o;
	struct manifest *m;
	char *spec_dir;
	const char *out_path;
	time_t mtime;
	struct bundle_tar *t;      /* the bundle being written */
	int frames_fd;             /* the file holding the frames (owned) */
	bool in_place;             /* frames_fd is t's file: frames are not copied */
	bool missed;               /* a data member did not start at its frames */
	size_t manifest_guess;     /* manifest.json's length, hashes still unknown */
	uint64_t frames_end;       /* end of the frames packed so far */
	struct packed *packed;     /* one per payload, variants flattened */
	struct hook_data (*hooks)[HOOK_COUNT + 1];   /* one row per variant; the SBOM last */
	size_t n_packed, n_hook_rows;
	struct progress *bar;
	uint64_t done_before;      /* bytes of earlier payloads, for the bar */
	uint64_t total;
};

static char *spec_relative(const struct create *c, const char *file)
{
	char *s = NULL;
	if (file[0] == '/')
		return strdup(file);
	if (asprintf(&s, "%s/%s", c->spec_dir, file) < 0)
		return NULL;
	return s;
}

static void on_frames(void *ctx, uint64_t bytes)
{
	struct create *c = ctx;
	progress_update(c->bar, c->done_before + bytes);
}

/* The frame table's length for a payload of size bytes in default frames. */
static size_t chunks_len_for(uint64_t size)
{
	uint64_t n = (size + FRAMEPACK_FRAME_DEFAULT - 1) / FRAMEPACK_FRAME_DEFAULT;
	return CHUNKS_HEADER_BYTES + (size_t)n * CHUNKS_ENTRY_BYTES;
}

/* Member names and the manifest's fields of a payload as far as they are
 * known before packing: the size from stat, hashes as placeholders of their
 * final length. The input's path moves to pk. */
static bool name_payload(struct create *c, const struct variant *v, struct payload *p,
			 struct packed *pk, struct ferry_error **err)
{
	struct stat st;
	pk->path = spec_relative(c, p->file);
	free(p->member);
	p->member = bundle_payload_member(v->id, p->name, p->compression);
	free(p->chunks);
	p->chunks = NULL;
	if (!pk->path || !p->member || asprintf(&p->chunks, "%s.chunks", p->member) < 0) {
		p->chunks = NULL;
		return ferry_error_set(err, "out of memory");
	}
	if (stat(pk->path, &st) == 0 && S_ISREG(st.st_mode))
		pk->expect = (uint64_t)st.st_size;
	p->size = pk->expect ? pk->expect : 1;
	memset(p->sha256, '0', SHA256_HEX_LEN);
	memset(p->chunks_sha256, '0', SHA256_HEX_LEN);
	p->sha256[SHA256_HEX_LEN] = p->chunks_sha256[SHA256_HEX_LEN] = '\0';
	free(p->file);
	p->file = NULL;
	return true;
}

static bool put_member(struct bundle_tar *t, const char *name, const void *data, size_t len,
		       struct ferry_error **err)
{
	if (!bundle_tar_begin(t, name, len, err))
		return false;
	return data ? bundle_tar_write(t, data, len, err) : bundle_tar_skip(t, len, err);
}

static bool copy_frames(struct create *c, struct bundle_tar *t, const struct packed *pk,
			struct ferry_error **err)
{
	bool ok = false;
	char *buf = malloc(COPY_BUF);
	if (!buf)
		return ferry_error_set(err, "out of memory");
	for (uint64_t off = 0; off < pk->stored;) {
		size_t want = pk->stored - off < COPY_BUF ? (size_t)(pk->stored - off) : COPY_BUF;
		ssize_t n = pread(c->frames_fd, buf, want, (off_t)(pk->offset + off));
		if (n <= 0) {
			ferry_error_errno(err, n < 0 ? errno : EIO, "%s: frames", c->out_path);
			goto out;
		}
		if (!bundle_tar_write(t, buf, (size_t)n, err))
			goto out;
		off += (uint64_t)n;
	}
	ok = true;
out:
	free(buf);
	return ok;
}

/* What a pass over the members does with payload data: predict (count, up
 * to one payload's data header, frame tables not made yet at their predicted
 * length), check (count, and note a data member that would not start at
 * its frames) or write (step over frames in place, else copy them). */
enum tar_pass { PASS_PREDICT, PASS_CHECK, PASS_WRITE };

static bool put_frames(struct create *c, struct bundle_tar *t, enum tar_pass pass,
		       const struct payload *p, const struct packed *pk, struct ferry_error **err)
{
	if (!bundle_tar_begin(t, p->member, pk->stored, err))
		return false;
	bool there = bundle_tar_pos(t) == pk->offset;
	if (pass == PASS_CHECK && !there && !c->missed) {
		c->missed = true;
		log_debug("%s: %s: frames at %llu, the tar puts them at %llu: copying them", c->out_path,
			  p->member, (unsigned long long)pk->offset, (unsigned long long)bundle_tar_pos(t));
	}
	if (pass != PASS_WRITE)
		return bundle_tar_skip(t, pk->stored, err);
	if (!c->in_place)
		return copy_frames(c, t, pk, err);
	if (!there)   /* PASS_CHECK said they fit */
		return ferry_error_setc(err, FERRY_E_INTERNAL, "%s: frames not where checked", p->member);
	return bundle_tar_skip(t, pk->stored, err);
}

/* Every member in the reader's order (docs/formats.md); NULL data is only
 * counted. PASS_PREDICT stops after payload stop's data header. */
static bool put_members(struct create *c, struct bundle_tar *t, enum tar_pass pass, size_t stop,
			const char *manifest, size_t manifest_len, const void *sig, size_t sig_len,
			struct ferry_error **err)
{
	if (!put_member(t, BUNDLE_MANIFEST_MEMBER, manifest, manifest_len, err) ||
	    !put_member(t, BUNDLE_SIG_MEMBER, sig, sig_len, err))
		return false;
	size_t k = 0;
	for (size_t i = 0; i < c->m->n_variants; i++) {
		const struct variant *v = &c->m->variants[i];
		for (size_t j = 0; j < v->n_payloads; j++, k++) {
			const struct payload *p = &v->payloads[j];
			const struct packed *pk = &c->packed[k];
			size_t table_len = pk->chunks ? pk->chunks_len : chunks_len_for(pk->expect);
			if (!put_member(t, p->chunks, pk->chunks, table_len, err))
				return false;
			if (pass == PASS_PREDICT && k == stop)
				return bundle_tar_begin(t, p->member, 0, err);
			if (!put_frames(c, t, pass, p, pk, err))
				return false;
		}
		for (int h = 0; h <= HOOK_COUNT; h++) {
			const struct hook *carried = h < HOOK_COUNT ? &v->hooks[h] : &v->sbom;
			if (carried->present && !put_member(t, carried->member, c->hooks[i][h].data,
							    c->hooks[i][h].len, err))
				return false;
		}
	}
	return true;
}

/* A counting pass: *pos after it (PASS_PREDICT: payload stop's data). */
static bool count_members(struct create *c, enum tar_pass pass, size_t stop, size_t manifest_len,
			  size_t sig_len, uint64_t *pos, struct ferry_error **err)
{
	struct bundle_tar *t = NULL;
	if (!bundle_tar_open_count(c->mtime, &t, err))
		return false;
	bool ok = put_members(c, t, pass, stop, NULL, manifest_len, NULL, sig_len, err);
	*pos = bundle_tar_pos(t);
	bundle_tar_abort(t);
	return ok;
}

/* Where payload k's data will start in the tar, as far as can be known
 * now; never before the frames already packed. */
static bool predict_offset(struct create *c, size_t k, uint64_t *off, struct ferry_error **err)
{
	if (!count_members(c, PASS_PREDICT, k, c->manifest_guess, c->o->sig_bytes, off, err))
		return false;
	if (*off < c->frames_end)
		*off = c->frames_end;
	return true;
}

static bool pack_payload(struct create *c, size_t k, const struct variant *v, struct payload *p,
			 struct ferry_error **err)
{
	bool ok = false;
	struct packed *pk = &c->packed[k];
	struct chunk_table table;
	chunks_init(&table, 0);
	int fd = open(pk->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ferry_error_errno(err, errno, "%s", pk->path);
		goto out;
	}
	if (!predict_offset(c, k, &pk->offset, err))
		goto out;
	if (lseek(c->frames_fd, (off_t)pk->offset, SEEK_SET) < 0) {
		ferry_error_errno(err, errno, "%s: seek to %llu", c->out_path, (unsigned long long)pk->offset);
		goto out;
	}
	struct framepack_opts fo = { .compression = p->compression, .level = c->o->level,
				     .threads = c->o->threads, .progress = on_frames,
				     .progress_ctx = c };
	progress_set_label(c->bar, p->name);
	if (!framepack_stream(fd, pk->path, c->frames_fd, c->out_path, &fo, &table, &p->size,
			      p->sha256, err) ||
	    !chunks_serialize(&table, &pk->chunks, &pk->chunks_len, err))
		goto out;
	if (p->size == 0) {
		ferry_error_set(err, "%s: empty file", pk->path);
		goto out;
	}
	c->done_before += p->size;
	pk->stored = table.stored_total;
	c->frames_end = pk->offset + pk->stored;
	sha256_buffer_hex(pk->chunks, pk->chunks_len, p->chunks_sha256);
	ok = true;
out:
	if (!ok)
		ferry_error_prefix(err, "payload %s/%s", v->id, p->name);
	if (fd >= 0)
		close(fd);
	chunks_free(&table);
	return ok;
}

_Static_assert(SBOM_MAX_BYTES == HOOK_MAX_BYTES, "an SBOM is carried and read like a hook");

/* A file carried whole (a hook, the SBOM): read, hashed, named member. An
 * SBOM is checked structurally first (common/sbom.h). */
static bool pack_carried(struct create *c, const struct variant *v, int k, struct hook *h,
			 struct hook_data *hd, struct ferry_error **err)
{
	struct sbom sbom = { 0 };
	char *path = spec_relative(c, h->file);
	bool ok = path && read_file_limited(path, HOOK_MAX_BYTES, &hd->data, &hd->len, err);
	if (!path)
		ferry_error_set(err, "out of memory");
	if (ok && k == HOOK_COUNT)
		ok = sbom_parse(hd->data, hd->len, h->file, &sbom, err);
	if (ok) {
		h->size = hd->len;
		sha256_buffer_hex(hd->data, hd->len, h->sha256);
		free(h->member);
		h->member = k == HOOK_COUNT ? bundle_sbom_member(v->id) : bundle_hook_member(v->id, k);
		free(h->file);
		h->file = NULL;
		if (!(ok = h->member != NULL))
			ferry_error_set(err, "out of memory");
	}
	if (!ok && k == HOOK_COUNT)
		ferry_error_prefix(err, "variant %s: sbom", v->id);
	else if (!ok)
		ferry_error_prefix(err, "variant %s: hook %s", v->id, hook_kind_name(k));
	sbom_clear(&sbom);
	free(path);
	return ok;
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A spec may leave "created" out: then $SOURCE_DATE_EPOCH (reproducible
 * builds) or now. Returns the time the tar members carry. */
static bool fill_created(struct manifest *m, time_t *mtime, struct ferry_error **err)
{
	int64_t t = 0;
	if (!m->created) {
		const char *sde = getenv("SOURCE_DATE_EPOCH");
		char buf[RFC3339_UTC_LEN + 1];
		t = sde && *sde ? strtoll(sde, NULL, 10) : (int64_t)time(NULL);
		if (!rfc3339_format_utc(t, buf) || !(m->created = strdup(buf)))
			return ferry_error_set(err, "cannot set created from %lld", (long long)t);
	}
	if (!rfc3339_parse_utc(m->created, &t, err))
		return false;
	*mtime = t < 0 ? 0 : (time_t)t;
	return true;
}

static bool sign_manifest(const struct bundle_create_opts *o, const char *bytes, size_t len,
			  char **sig, size_t *sig_len, struct ferry_error **err)
{
	*sig = NULL;
	*sig_len = 0;
	for (size_t i = 0; i < o->n_sign; i++) {
		void *one = NULL;
		size_t one_len = 0;
		if (!pgp_sign_detached(o->pgp, o->sign_fprs[i], bytes, len, &one, &one_len, err))
			return false;
		char *all = realloc(*sig, *sig_len + one_len);
		if (!all) {
			free(one);
			return ferry_error_set(err, "out of memory");
		}
		memcpy(all + *sig_len, one, one_len);
		*sig = all;
		*sig_len += one_len;
		free(one);
	}
	return true;
}

/* Everything that needs no packing, before any: hooks and SBOMs read and
 * hashed, member names, the manifest's length (manifest_guess). */
static bool prepare_all(struct create *c, struct ferry_error **err)
{
	size_t n = 0;
	for (size_t i = 0; i < c->m->n_variants; i++)
		n += c->m->variants[i].n_payloads;
	c->packed = calloc(n ? n : 1, sizeof(*c->packed));
	c->hooks = calloc(c->m->n_variants ? c->m->n_variants : 1, sizeof(*c->hooks));
	if (!c->packed || !c->hooks)
		return ferry_error_set(err, "out of memory");
	c->n_packed = n;
	c->n_hook_rows = c->m->n_variants;
	size_t k = 0;
	for (size_t i = 0; i < c->m->n_variants; i++) {
		struct variant *v = &c->m->variants[i];
		for (int h = 0; h <= HOOK_COUNT; h++) {
			struct hook *carried = h < HOOK_COUNT ? &v->hooks[h] : &v->sbom;
			if (carried->present && !pack_carried(c, v, h, carried, &c->hooks[i][h], err))
				return false;
		}
		for (size_t j = 0; j < v->n_payloads; j++, k++) {
			if (!name_payload(c, v, &v->payloads[j], &c->packed[k], err))
				return false;
			c->total += c->packed[k].expect;
		}
	}
	c->m->is_spec = false;
	char *guess = NULL;
	if (!manifest_serialize(c->m, &guess, &c->manifest_guess, err))
		return false;
	free(guess);
	return true;
}

static bool pack_all(struct create *c, struct ferry_error **err)
{
	c->bar = progress_new("packing", c->total, c->o->progress);
	size_t k = 0;
	for (size_t i = 0; i < c->m->n_variants; i++) {
		struct variant *v = &c->m->variants[i];
		for (size_t j = 0; j < v->n_payloads; j++, k++)
			if (!pack_payload(c, k, v, &v->payloads[j], err))
				return false;
	}
	progress_finish(c->bar);
	c->bar = NULL;
	return true;
}

/* Writes the tar around the frames. When a data member would not start at
 * its frames (checked first, nothing written yet), writes a new temporary
 * file instead and copies the frames into it from the first. */
static bool write_bundle(struct create *c, const char *manifest, size_t manifest_len,
			 const void *sig, size_t sig_len, struct ferry_error **err)
{
	uint64_t end;
	bool ok = count_members(c, PASS_CHECK, 0, manifest_len, sig_len, &end, err);
	if (ok && c->missed) {
		bundle_tar_abort(c->t);   /* frames_fd still holds the frames */
		c->t = NULL;
		c->in_place = false;
		ok = bundle_tar_open(c->out_path, c->mtime, &c->t, err);
	}
	if (!ok || !put_members(c, c->t, PASS_WRITE, 0, manifest, manifest_len, sig, sig_len, err))
		return false;   /* create_free aborts c->t */
	ok = bundle_tar_commit(c->t, err);
	c->t = NULL;   /* commit frees it either way */
	return ok;
}

static bool open_bundle(struct create *c, struct ferry_error **err)
{
	if (!bundle_tar_open(c->out_path, c->mtime, &c->t, err))
		return false;
	c->frames_fd = dup(bundle_tar_fd(c->t));
	if (c->frames_fd < 0)
		return ferry_error_errno(err, errno, "%s", c->out_path);
	c->in_place = true;
	return true;
}

static void create_free(struct create *c)
{
	for (size_t k = 0; c->packed && k < c->n_packed; k++) {
		free(c->packed[k].chunks);
		free(c->packed[k].path);
	}
	for (size_t i = 0; c->hooks && i < c->n_hook_rows; i++)
		for (int h = 0; h <= HOOK_COUNT; h++)
			free(c->hooks[i][h].data);
	free(c->packed);
	free(c->hooks);
	bundle_tar_abort(c->t);
	if (c->frames_fd >= 0)
		close(c->frames_fd);
	free(c->spec_dir);
	progress_finish(c->bar);
	manifest_free(c->m);
}

bool bundle_create(const char *spec_path, const char *out_path,
		   const struct bundle_create_opts *o, struct manifest **manifest_out,
		   struct ferry_error **err)
{
	bool ok = false;
	struct create c = { .o = o, .out_path = out_path, .frames_fd = -1 };
	char *spec = NULL, *manifest = NULL, *sig = NULL;
	size_t spec_len = 0, manifest_len = 0, sig_len = 0;

	if (!read_file_limited(spec_path, MANIFEST_MAX_BYTES, &spec, &spec_len, err) ||
	    !manifest_parse_spec(spec, spec_len, spec_path, &c.m, err))
		goto out;
	const char *slash = strrchr(spec_path, '/');
	c.spec_dir = slash ? strndup(spec_path, (size_t)(slash - spec_path + (slash == spec_path)))
			   : strdup(".");
	if (!c.spec_dir) {
		ferry_error_set(err, "out of memory");
		goto out;
	}
	double t0 = now_seconds();
	if (!fill_created(c.m, &c.mtime, err) || !prepare_all(&c, err) || !open_bundle(&c, err) ||
	    !pack_all(&c, err))
		goto out;
	double t1 = now_seconds();
	if (!manifest_validate(c.m, BUNDLE_MANIFEST_MEMBER, err) ||
	    !manifest_serialize(c.m, &manifest, &manifest_len, err) ||
	    !sign_manifest(o, manifest, manifest_len, &sig, &sig_len, err) ||
	    !write_bundle(&c, manifest, manifest_len, sig, sig_len, err))
		goto out;
	log_debug("%s: payloads packed in %.2f s, signed and written in %.2f s (frames %s)", out_path,
		  t1 - t0, now_seconds() - t1, c.in_place ? "in place" : "copied");
	if (manifest_out) {
		*manifest_out = c.m;
		c.m = NULL;
	}
	ok = true;
out:
	create_free(&c);
	free(spec);
	free(manifest);
	free(sig);
	return ok;
}

/* ---- co-signing ------------------------------------------------------------ */

static bool already_signed(struct pgp *pgp, const char *fpr, const char *bytes, size_t len,
			   const void *sig, size_t sig_len, struct ferry_error **err)
{
	struct pgp_verify_result res = { 0 };
	if (sig_len == 0)
		return false;
	if (!pgp_verify_detached(pgp, bytes, len, sig, sig_len, &res, err))
		return true;   /* cannot read the existing signatures: refuse */
	bool found = false;
	for (size_t i = 0; i < res.n_sigs; i++)
		if (res.sigs[i].status == PGP_SIG_VALID && strcasecmp(res.sigs[i].fpr, fpr) == 0)
			found = true;
	pgp_verify_result_clear(&res);
	if (found)
		ferry_error_set(err, "%s: already signed by %s", BUNDLE_SIG_MEMBER, fpr);
	return found;
}

static bool copy_members(struct bundle_reader *r, struct bundle_tar *t, struct ferry_error **err)
{
	bool ok = false;
	char *buf = malloc(COPY_BUF);
	if (!buf)
		return ferry_error_set(err, "out of memory");
	for (;;) {
		const char *name;
		uint64_t size;
		bool end;
		if (!bundle_reader_next_member(r, &name, &size, &end, err))
			goto out;
		if (end)
			break;
		if (!bundle_tar_begin(t, name, size, err))
			goto out;
		for (;;) {
			size_t got;
			if (!bundle_reader_member_read(r, buf, COPY_BUF, &got, err))
				goto out;
			if (got == 0)
				break;
			if (!bundle_tar_write(t, buf, got, err))
				goto out;
		}
	}
	ok = true;
out:
	free(buf);
	return ok;
}

bool bundle_add_signature(const char *path, struct pgp *pgp, const char *fpr,
			  struct ferry_error **err)
{
	bool ok = false;
	struct bundle_reader *r = NULL;
	struct bundle_tar *t = NULL;
	const char *manifest;
	const void *old_sig;
	size_t manifest_len, old_len, new_len = 0;
	void *new_sig = NULL;
	char *all = NULL;

	if (!bundle_reader_open(path, &r, err) ||
	    !bundle_reader_manifest(r, &manifest, &manifest_len, &old_sig, &old_len, err))
		goto out;
	if (already_signed(pgp, fpr, manifest, manifest_len, old_sig, old_len, err) ||
	    !pgp_sign_detached(pgp, fpr, manifest, manifest_len, &new_sig, &new_len, err))
		goto out;
	if (old_len + new_len > BUNDLE_SIG_MAX_BYTES) {
		ferry_error_set(err, "%s: more than %u bytes of signatures", BUNDLE_SIG_MEMBER,
				BUNDLE_SIG_MAX_BYTES);
		goto out;
	}
	if (!(all = malloc(old_len + new_len))) {
		ferry_error_set(err, "out of memory");
		goto out;
	}
	memcpy(all, old_sig, old_len);
	memcpy(all + old_len, new_sig, new_len);
	if (!bundle_tar_open(path, bundle_reader_mtime(r), &t, err))
		goto out;
	if (!bundle_tar_add(t, BUNDLE_MANIFEST_MEMBER, manifest, manifest_len, err) ||
	    !bundle_tar_add(t, BUNDLE_SIG_MEMBER, all, old_len + new_len, err) ||
	    !copy_members(r, t, err))
		goto out;
	ok = bundle_tar_commit(t, err);
	t = NULL;
out:
	bundle_tar_abort(t);
	bundle_reader_close(r);
	free(new_sig);
	free(all);
	return ok;
}
