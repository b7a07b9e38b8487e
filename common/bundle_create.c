/* bundle_create: bundle_create() of bundle_write.h. Packs every payload's
 * frames straight into the bundle's temporary file where its data member
 * will lie, fills the manifest, signs its exact bytes, then writes the tar
 * around the frames with bundle_tar (bundle_write.c). */
#include "bundle_write.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "chunks.h"
#include "framepack.h"
#include "log.h"
#include "progress.h"
#include "rfc3339.h"
#include "safefile.h"
#include "sbom.h"
#include "sha256.h"

#define COPY_BUF (1024 * 1024)

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
	uint64_t written_back;     /* frames from here on not yet sent to the disk */
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

/* Starts writeback of the frames written since the last call, every
 * WRITEBACK_STEP bytes, so that the disk writes while frames are still
 * being compressed and the one fsync at the end finds little left to do.
 * Best effort: a write error shows at that fsync. */
#define WRITEBACK_STEP (16u * 1024 * 1024)
static void start_writeback(struct create *c)
{
	off_t pos = lseek(c->frames_fd, 0, SEEK_CUR);
	if (pos < 0 || (uint64_t)pos < c->written_back + WRITEBACK_STEP)
		return;
	sync_file_range(c->frames_fd, (off_t)c->written_back, pos - (off_t)c->written_back,
			SYNC_FILE_RANGE_WRITE);
	c->written_back = (uint64_t)pos;
}

static void on_frames(void *ctx, uint64_t bytes)
{
	struct create *c = ctx;
	start_writeback(c);
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
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);   /* a larger read-ahead; a hint only */
	if (!predict_offset(c, k, &pk->offset, err))
		goto out;
	c->written_back = pk->offset;
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

