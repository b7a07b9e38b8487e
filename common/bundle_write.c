/* bundle_write: see bundle_write.h. create packs every payload into a
 * temporary frames file first (sizes and hashes are unknown until then), fills
 * the manifest, signs its exact bytes and only then writes the tar, copying
 * the frames across. */
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
	struct safe_tmp tmp;
	struct archive *a;
	time_t mtime;
	char *member;          /* member being written, for messages */
	uint64_t left;         /* bytes it still needs */
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
	t->a = archive_write_new();
	if (!t->a || archive_write_set_format_pax(t->a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(t->a, 1) != ARCHIVE_OK ||
	    archive_write_open_fd(t->a, t->tmp.fd) != ARCHIVE_OK) {
		if (t->a)
			archive_fail(t->a, t->tmp.tmp_path, err);
		else
			ferry_error_set(err, "out of memory");
		bundle_tar_abort(t);
		return false;
	}
	*out = t;
	return true;
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
	if (t->a)
		archive_write_free(t->a);   /* closes; the fd stays ours */
	safe_tmp_abort(&t->tmp);
	free(t->member);
	free(t);
}

/* ---- create ---------------------------------------------------------------- */

struct packed {                /* per payload, in manifest order */
	uint64_t offset;           /* of its frames in the frames file */
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
	int frames_fd;
	char *frames_path;
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

static bool pack_payload(struct create *c, const struct variant *v, struct payload *p,
			 struct packed *pk, struct ferry_error **err)
{
	bool ok = false;
	struct chunk_table table;
	chunks_init(&table, 0);
	char *path = spec_relative(c, p->file);
	int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	if (!path) {
		ferry_error_set(err, "out of memory");
		goto out;
	}
	if (fd < 0) {
		ferry_error_errno(err, errno, "%s", path);
		goto out;
	}
	off_t start = lseek(c->frames_fd, 0, SEEK_CUR);
	if (start < 0) {
		ferry_error_errno(err, errno, "%s", c->frames_path);
		goto out;
	}
	pk->offset = (uint64_t)start;
	struct framepack_opts fo = { .compression = p->compression, .level = c->o->level,
				     .threads = c->o->threads, .progress = on_frames,
				     .progress_ctx = c };
	progress_set_label(c->bar, p->name);
	if (!framepack_stream(fd, path, c->frames_fd, c->frames_path, &fo, &table, &p->size,
			      p->sha256, err) ||
	    !chunks_serialize(&table, &pk->chunks, &pk->chunks_len, err))
		goto out;
	if (p->size == 0) {
		ferry_error_set(err, "%s: empty file", path);
		goto out;
	}
	c->done_before += p->size;
	pk->stored = table.stored_total;
	sha256_buffer_hex(pk->chunks, pk->chunks_len, p->chunks_sha256);
	free(p->member);
	p->member = bundle_payload_member(v->id, p->name, p->compression);
	free(p->chunks);
	p->chunks = NULL;
	if (!p->member || asprintf(&p->chunks, "%s.chunks", p->member) < 0) {
		p->chunks = NULL;
		ferry_error_set(err, "out of memory");
		goto out;
	}
	free(p->file);
	p->file = NULL;
	ok = true;
out:
	if (!ok)
		ferry_error_prefix(err, "payload %s/%s", v->id, p->name);
	if (fd >= 0)
		close(fd);
	free(path);
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

static uint64_t spec_payload_bytes(struct create *c)
{
	uint64_t total = 0;
	for (size_t i = 0; i < c->m->n_variants; i++)
		for (size_t j = 0; j < c->m->variants[i].n_payloads; j++) {
			char *path = spec_relative(c, c->m->variants[i].payloads[j].file);
			struct stat st;
			if (path && stat(path, &st) == 0)
				total += (uint64_t)st.st_size;
			free(path);
		}
	return total;
}

static bool copy_frames(struct create *c, struct bundle_tar *t, const struct payload *p,
			const struct packed *pk, struct ferry_error **err)
{
	bool ok = false;
	uint64_t stored = pk->stored;
	char *buf = malloc(COPY_BUF);
	if (!buf)
		return ferry_error_set(err, "out of memory");
	if (!bundle_tar_begin(t, p->member, stored, err))
		goto out;
	for (uint64_t off = 0; off < stored;) {
		size_t want = stored - off < COPY_BUF ? (size_t)(stored - off) : COPY_BUF;
		ssize_t n = pread(c->frames_fd, buf, want, (off_t)(pk->offset + off));
		if (n <= 0) {
			ferry_error_errno(err, n < 0 ? errno : EIO, "%s", c->frames_path);
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

static bool write_bundle(struct create *c, const char *out_path, const char *manifest,
			 size_t manifest_len, const void *sig, size_t sig_len, time_t mtime,
			 struct ferry_error **err)
{
	struct bundle_tar *t = NULL;
	if (!bundle_tar_open(out_path, mtime, &t, err))
		return false;
	if (!bundle_tar_add(t, BUNDLE_MANIFEST_MEMBER, manifest, manifest_len, err) ||
	    !bundle_tar_add(t, BUNDLE_SIG_MEMBER, sig, sig_len, err))
		goto fail;
	size_t k = 0;
	for (size_t i = 0; i < c->m->n_variants; i++) {
		const struct variant *v = &c->m->variants[i];
		for (size_t j = 0; j < v->n_payloads; j++, k++) {
			const struct payload *p = &v->payloads[j];
			if (!bundle_tar_add(t, p->chunks, c->packed[k].chunks, c->packed[k].chunks_len, err) ||
			    !copy_frames(c, t, p, &c->packed[k], err))
				goto fail;
		}
		for (int h = 0; h <= HOOK_COUNT; h++) {
			const struct hook *carried = h < HOOK_COUNT ? &v->hooks[h] : &v->sbom;
			if (carried->present && !bundle_tar_add(t, carried->member, c->hooks[i][h].data,
								c->hooks[i][h].len, err))
				goto fail;
		}
	}
	return bundle_tar_commit(t, err);
fail:
	bundle_tar_abort(t);
	return false;
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

static bool open_frames_file(struct create *c, const char *out_path, struct ferry_error **err)
{
	if (asprintf(&c->frames_path, "%s.frames.XXXXXX", out_path) < 0) {
		c->frames_path = NULL;
		return ferry_error_set(err, "out of memory");
	}
	c->frames_fd = mkostemp(c->frames_path, O_CLOEXEC);
	if (c->frames_fd < 0)
		return ferry_error_errno(err, errno, "%s: create", c->frames_path);
	/* Unlinked at once: nothing is left behind whatever happens next. */
	unlink(c->frames_path);
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

static bool pack_all(struct create *c, struct ferry_error **err)
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
	c->total = spec_payload_bytes(c);
	c->bar = progress_new("packing", c->total, c->o->progress);
	size_t k = 0;
	for (size_t i = 0; i < c->m->n_variants; i++) {
		struct variant *v = &c->m->variants[i];
		for (size_t j = 0; j < v->n_payloads; j++, k++)
			if (!pack_payload(c, v, &v->payloads[j], &c->packed[k], err))
				return false;
		for (int h = 0; h <= HOOK_COUNT; h++) {
			struct hook *carried = h < HOOK_COUNT ? &v->hooks[h] : &v->sbom;
			if (carried->present && !pack_carried(c, v, h, carried, &c->hooks[i][h], err))
				return false;
		}
	}
	progress_finish(c->bar);
	c->bar = NULL;
	c->m->is_spec = false;
	return true;
}

static void create_free(struct create *c)
{
	for (size_t k = 0; c->packed && k < c->n_packed; k++)
		free(c->packed[k].chunks);
	for (size_t i = 0; c->hooks && i < c->n_hook_rows; i++)
		for (int h = 0; h <= HOOK_COUNT; h++)
			free(c->hooks[i][h].data);
	free(c->packed);
	free(c->hooks);
	if (c->frames_fd >= 0)
		close(c->frames_fd);
	free(c->frames_path);
	free(c->spec_dir);
	progress_finish(c->bar);
	manifest_free(c->m);
}

bool bundle_create(const char *spec_path, const char *out_path,
		   const struct bundle_create_opts *o, struct manifest **manifest_out,
		   struct ferry_error **err)
{
	bool ok = false;
	struct create c = { .o = o, .frames_fd = -1 };
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
	if (!open_frames_file(&c, out_path, err) || !pack_all(&c, err))
		goto out;
	double t1 = now_seconds();
	time_t mtime = 0;
	if (!fill_created(c.m, &mtime, err) ||
	    !manifest_validate(c.m, BUNDLE_MANIFEST_MEMBER, err) ||
	    !manifest_serialize(c.m, &manifest, &manifest_len, err) ||
	    !sign_manifest(o, manifest, manifest_len, &sig, &sig_len, err) ||
	    !write_bundle(&c, out_path, manifest, manifest_len, sig, sig_len,
			  mtime, err))
		goto out;
	log_debug("%s: payloads packed in %.2f s, signed and written in %.2f s", out_path, t1 - t0,
		  now_seconds() - t1);
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
