/* bundle_read: see bundle_read.h. The reader walks a plan: the list of
 * members the manifest implies (manifest.json, manifest.sig, then per variant
 * per payload its .chunks and data, then its hooks). Each header read must be
 * the plan's next member; anything else is refused with its name. */
#include "bundle_read.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle_sig.h"
#include "bundle_write.h"
#include "chunks.h"
#include "framestream.h"
#include "sha256.h"

#define READ_BLOCK (1024 * 1024)

/* What a reader's failures mean: the bundle is malformed, or a member does
 * not match what the signed manifest says of it. */
#define bad_format(err, ...) ferry_error_setc(err, FERRY_E_FORMAT, __VA_ARGS__)
#define mismatch(err, ...) ferry_error_setc(err, FERRY_E_INTEGRITY, __VA_ARGS__)

enum member_kind { MEMBER_CHUNKS, MEMBER_DATA, MEMBER_HOOK };

struct member {
	const char *name;             /* points into plan_m */
	enum member_kind kind;
	const struct payload *p;      /* chunks and data */
	const struct hook *h;         /* hook */
};

struct bundle_reader {
	char *path;
	int fd;
	bool seekable;
	struct archive *a;
	char *manifest;
	size_t manifest_len;
	void *sig;
	size_t sig_len;
	time_t mtime;
	struct manifest *plan_m;      /* our own parse of the manifest bytes */
	struct member *plan;
	size_t n_plan;
	size_t pos;                   /* plan index of the next header to read */
	const char *cur_name;         /* member whose data is current (raw access) */
	struct framestream *fs;       /* the payload being read */
	char prev_name[256];          /* the member before the next header, and */
	uint64_t prev_size;           /* its size: its padding is checked */
};

/* ---- headers ---------------------------------------------------------------- */

static bool entry_is_plain_file(struct archive_entry *e, const char *name, struct ferry_error **err)
{
	if (archive_entry_hardlink(e) || archive_entry_symlink(e))
		return bad_format(err, "%s: a link, not a regular file", name);
	if (archive_entry_filetype(e) != AE_IFREG)
		return bad_format(err, "%s: not a regular file (type %o)", name,
				       (unsigned)archive_entry_filetype(e));
	if (!archive_entry_size_is_set(e) || archive_entry_size(e) < 0)
		return bad_format(err, "%s: no size", name);
	if (archive_entry_sparse_count(e) > 0)
		return bad_format(err, "%s: sparse members are not allowed", name);
	return true;
}

/* Tar pads each member's data to 512 bytes; libarchive skips the padding
 * unread. So that no byte of a bundle goes unchecked, the padding before
 * the header just read must be zeros (seekable files; pread leaves
 * libarchive's file offset alone). */
static bool check_padding(struct bundle_reader *r, struct ferry_error **err)
{
	uint8_t pad[512];
	size_t n = (size_t)((512 - r->prev_size % 512) % 512);
	if (!r->seekable || !r->prev_name[0] || n == 0)
		return true;
	int64_t at = archive_read_header_position(r->a) - (int64_t)n;
	if (at < 0 || pread(r->fd, pad, n, (off_t)at) != (ssize_t)n)
		return bad_format(err, "%s: cannot read the padding after it", r->prev_name);
	for (size_t i = 0; i < n; i++)
		if (pad[i])
			return bad_format(err, "%s: non-zero byte in the padding after it",
					       r->prev_name);
	return true;
}

/* After the end marker (two zero blocks) only zeros may follow (tar
 * blocking), at most BUNDLE_TAIL_MAX bytes of them. */
#define BUNDLE_TAIL_MAX (1024 * 1024)
static bool check_end(struct bundle_reader *r, struct ferry_error **err)
{
	uint8_t buf[4096];
	struct stat st;
	if (!r->seekable)
		return true;
	int64_t at = archive_read_header_position(r->a);
	if (fstat(r->fd, &st) < 0 || (int64_t)st.st_size < at + 1024 ||
	    (int64_t)st.st_size - at > BUNDLE_TAIL_MAX)
		return bad_format(err, "end of bundle: the tar end marker is not at the end");
	while (at < (int64_t)st.st_size) {
		size_t n = st.st_size - at < (int64_t)sizeof(buf) ? (size_t)(st.st_size - at) : sizeof(buf);
		if (pread(r->fd, buf, n, (off_t)at) != (ssize_t)n)
			return bad_format(err, "end of bundle: cannot read the end marker");
		for (size_t i = 0; i < n; i++)
			if (buf[i])
				return bad_format(err, "end of bundle: non-zero byte after the last member");
		at += (int64_t)n;
	}
	return true;
}

/* A failed read of member name: when the file's medium went away (a pulled
 * stick answers EIO, ENODEV, ENOTCONN under FUSE…) the reason says so with
 * the errno (FERRY_E_MEDIUM_GONE), instead of libarchive's "Error reading fd". */
static bool medium_gone(int e)
{
	return e == EIO || e == ENODEV || e == ENXIO || e == ENOTCONN || e == ESHUTDOWN ||
	       e == ENOMEDIUM;
}

static bool read_failed(struct bundle_reader *r, const char *name, const char *fallback,
			struct ferry_error **err)
{
	int e = archive_errno(r->a);
	if (medium_gone(e))
		return ferry_error_setc(err, FERRY_E_MEDIUM_GONE, "%s: the stick went away or "
					"stopped answering (%s, errno %d)", name, strerror(e), e);
	const char *s = archive_error_string(r->a);
	return ferry_error_set(err, "%s: %s", name, s ? s : fallback);
}

/* Reads the next header; *end at the end of the archive. expected names the
 * member we wait for, so that a damaged header is reported against it. */
static bool read_header(struct bundle_reader *r, const char *expected, struct archive_entry **e,
			bool *end, struct ferry_error **err)
{
	*end = false;
	int rc = archive_read_next_header(r->a, e);
	if (rc != ARCHIVE_OK && rc != ARCHIVE_EOF && medium_gone(archive_errno(r->a)))
		return read_failed(r, expected, "read error", err);
	if (rc != ARCHIVE_OK && rc != ARCHIVE_EOF)
		return bad_format(err, "%s: damaged tar header: %s", expected,
				       archive_error_string(r->a) ? archive_error_string(r->a) : "?");
	if (!check_padding(r, err))
		return false;
	if (rc == ARCHIVE_EOF) {
		*end = true;
		return check_end(r, err);
	}
	const char *name = archive_entry_pathname(*e);
	if (!name)
		return bad_format(err, "%s: member without a name", expected);
	snprintf(r->prev_name, sizeof(r->prev_name), "%s", name);
	r->prev_size = (uint64_t)archive_entry_size(*e);
	return entry_is_plain_file(*e, name, err);
}

static ssize_t plan_index(const struct bundle_reader *r, const char *name)
{
	for (size_t i = 0; i < r->n_plan; i++)
		if (strcmp(r->plan[i].name, name) == 0)
			return (ssize_t)i;
	return -1;
}

/* The next header must be plan member want (or, before the plan exists,
 * the member named want_name). Returns its size. */
static bool expect_member(struct bundle_reader *r, const char *want_name, uint64_t *size,
			  struct ferry_error **err)
{
	struct archive_entry *e;
	bool end;
	if (!read_header(r, want_name, &e, &end, err))
		return false;
	if (end)
		return bad_format(err, "%s: missing (the bundle ends before it)", want_name);
	const char *name = archive_entry_pathname(e);
	if (strcmp(name, want_name) != 0) {
		ssize_t at = r->plan ? plan_index(r, name) : -1;
		bool seen = strcmp(name, BUNDLE_MANIFEST_MEMBER) == 0 ||
			    strcmp(name, BUNDLE_SIG_MEMBER) == 0 || (at >= 0 && (size_t)at < r->pos);
		if (seen)
			return bad_format(err, "%s: duplicate member (expected %s)", name, want_name);
		if (at >= 0)
			return bad_format(err, "%s: member out of order (expected %s)", name,
					       want_name);
		return bad_format(err, "%s: unknown member (expected %s)", name, want_name);
	}
	*size = (uint64_t)archive_entry_size(e);
	if (strcmp(name, BUNDLE_MANIFEST_MEMBER) == 0)
		r->mtime = archive_entry_mtime(e);
	return true;
}

static bool read_data(struct bundle_reader *r, const char *name, void *buf, size_t len,
		      struct ferry_error **err)
{
	size_t done = 0;
	while (done < len) {
		la_ssize_t n = archive_read_data(r->a, (char *)buf + done, len - done);
		if (n < 0)
			return read_failed(r, name, "read error", err);
		if (n == 0)
			return bad_format(err, "%s: truncated (%zu of %zu bytes)", name, done, len);
		done += (size_t)n;
	}
	return true;
}

/* Reads a whole small member of at most max bytes into a malloc'd buffer. */
static bool read_small(struct bundle_reader *r, const char *name, size_t max, void **out,
		       size_t *len, struct ferry_error **err)
{
	uint64_t size;
	if (!expect_member(r, name, &size, err))
		return false;
	if (size > max)
		return bad_format(err, "%s: %llu bytes, more than the limit of %zu", name,
				       (unsigned long long)size, max);
	char *buf = malloc(size + 1);
	if (!buf)
		return ferry_error_set(err, "out of memory");
	if (!read_data(r, name, buf, (size_t)size, err)) {
		free(buf);
		return false;
	}
	buf[size] = 0;
	*out = buf;
	*len = (size_t)size;
	return true;
}

/* ---- opening and rewinding --------------------------------------------------- */

static bool open_archive(struct bundle_reader *r, struct ferry_error **err)
{
	r->a = archive_read_new();
	if (!r->a)
		return ferry_error_set(err, "out of memory");
	/* libarchive reads the first header to recognise the format: a damaged
	 * one is manifest.json's. */
	if (archive_read_support_format_tar(r->a) != ARCHIVE_OK ||
	    archive_read_open_fd(r->a, r->fd, READ_BLOCK) != ARCHIVE_OK)
		return bad_format(err, "%s: damaged tar header: %s", BUNDLE_MANIFEST_MEMBER,
				       archive_error_string(r->a) ? archive_error_string(r->a)
								  : "not a tar archive");
	r->pos = 0;
	r->cur_name = NULL;
	r->prev_name[0] = 0;
	r->prev_size = 0;
	return true;
}

static bool read_front(struct bundle_reader *r, struct ferry_error **err)
{
	void *m = NULL;
	if (!read_small(r, BUNDLE_MANIFEST_MEMBER, MANIFEST_MAX_BYTES, &m, &r->manifest_len, err))
		return false;
	r->manifest = m;
	if (!read_small(r, BUNDLE_SIG_MEMBER, BUNDLE_SIG_MAX_BYTES, &r->sig, &r->sig_len, err))
		return false;
	if (!bundle_sig_check(r->sig, r->sig_len, NULL, err)) {
		ferry_error_prefix(err, "%s", BUNDLE_SIG_MEMBER);
		return false;
	}
	return true;
}

bool bundle_reader_open(const char *path, struct bundle_reader **out, struct ferry_error **err)
{
	return bundle_reader_open_at(AT_FDCWD, path, path, out, err);
}

bool bundle_reader_open_at(int dirfd, const char *name, const char *path,
			   struct bundle_reader **out, struct ferry_error **err)
{
	struct stat st;
	struct bundle_reader *r = calloc(1, sizeof(*r));
	if (!r || !(r->path = strdup(path))) {
		free(r);
		return ferry_error_set(err, "out of memory");
	}
	/* non-blocking: a FIFO in a stick's bundles/ must not hang the open */
	r->fd = openat(dirfd, name, O_RDONLY | O_NONBLOCK | O_CLOEXEC |
					(dirfd == AT_FDCWD ? 0 : O_NOFOLLOW));
	if (r->fd < 0 && errno == ELOOP && dirfd != AT_FDCWD) {
		ferry_error_setc(err, FERRY_E_UNSAFE, "a symbolic link, refused");
		goto fail;
	}
	if (r->fd < 0) {
		ferry_error_errno(err, errno, "cannot open");
		goto fail;
	}
	if (fstat(r->fd, &st) < 0 || S_ISDIR(st.st_mode)) {
		bad_format(err, "not a bundle file");
		goto fail;
	}
	if ((!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) || fcntl(r->fd, F_SETFL, O_RDONLY) < 0) {
		ferry_error_setc(err, FERRY_E_UNSAFE, "not a regular file (a FIFO or device): refused");
		goto fail;
	}
	r->seekable = S_ISREG(st.st_mode) || S_ISBLK(st.st_mode);
	if (!open_archive(r, err) || !read_front(r, err))
		goto fail;
	*out = r;
	return true;
fail:
	bundle_reader_close(r);
	return false;
}

/* Reads the bundle again from its start (to go back to an earlier member);
 * the front members must be byte-identical to what the caller verified. */
static bool rewind_reader(struct bundle_reader *r, struct ferry_error **err)
{
	if (!r->seekable)
		return ferry_error_setc(err, FERRY_E_INTERNAL, "%s: cannot go back to an earlier member",
					r->path);
	char *old_m = r->manifest;
	void *old_s = r->sig;
	size_t old_ml = r->manifest_len, old_sl = r->sig_len;
	r->manifest = NULL;
	r->sig = NULL;
	archive_read_free(r->a);
	r->a = NULL;
	bool ok = lseek(r->fd, 0, SEEK_SET) == 0 && open_archive(r, err) && read_front(r, err);
	if (ok && (old_ml != r->manifest_len || old_sl != r->sig_len ||
		   memcmp(old_m, r->manifest, old_ml) != 0 || memcmp(old_s, r->sig, old_sl) != 0))
		ok = mismatch(err, "%s: changed while being read", r->path);
	free(r->manifest);
	free(r->sig);
	r->manifest = old_m;
	r->sig = old_s;
	r->manifest_len = old_ml;
	r->sig_len = old_sl;
	return ok || ferry_error_setc(err, FERRY_E_IO, "%s: cannot read it again", r->path);
}

bool bundle_reader_manifest(struct bundle_reader *r, const char **bytes, size_t *len,
			    const void **sig, size_t *sig_len, struct ferry_error **err)
{
	(void)err;
	*bytes = r->manifest;
	*len = r->manifest_len;
	*sig = r->sig;
	*sig_len = r->sig_len;
	return true;
}

time_t bundle_reader_mtime(const struct bundle_reader *r)
{
	return r->mtime;
}

/* ---- the plan ------------------------------------------------------------- */

static bool plan_add(struct bundle_reader *r, size_t *cap, const char *name, enum member_kind k,
		     const struct payload *p, const struct hook *h, struct ferry_error **err)
{
	if (plan_index(r, name) >= 0 || strcmp(name, BUNDLE_MANIFEST_MEMBER) == 0 ||
	    strcmp(name, BUNDLE_SIG_MEMBER) == 0)
		return bad_format(err, "%s: the manifest names this member twice", name);
	if (r->n_plan == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		struct member *m = realloc(r->plan, *cap * sizeof(*m));
		if (!m)
			return ferry_error_set(err, "out of memory");
		r->plan = m;
	}
	r->plan[r->n_plan++] = (struct member){ .name = name, .kind = k, .p = p, .h = h };
	return true;
}

/* The plan lists the members after manifest.json and manifest.sig; r->pos
 * is the plan index of the next header to read. */
static bool ensure_plan(struct bundle_reader *r, struct ferry_error **err)
{
	if (r->plan_m)
		return true;
	struct manifest *m = NULL;
	size_t cap = 0;
	if (!manifest_parse(r->manifest, r->manifest_len, BUNDLE_MANIFEST_MEMBER, &m, err))
		return false;
	r->plan_m = m;
	for (size_t i = 0; i < m->n_variants; i++) {
		const struct variant *v = &m->variants[i];
		for (size_t j = 0; j < v->n_payloads; j++) {
			const struct payload *p = &v->payloads[j];
			if (!plan_add(r, &cap, p->chunks, MEMBER_CHUNKS, p, NULL, err) ||
			    !plan_add(r, &cap, p->member, MEMBER_DATA, p, NULL, err))
				return false;
		}
		for (int h = 0; h < HOOK_COUNT; h++)
			if (v->hooks[h].present &&
			    !plan_add(r, &cap, v->hooks[h].member, MEMBER_HOOK, NULL, &v->hooks[h], err))
				return false;
		/* the SBOM is carried like a hook: read whole, hash checked (bundle_reader_hook) */
		if (v->sbom.present && !plan_add(r, &cap, v->sbom.member, MEMBER_HOOK, NULL, &v->sbom, err))
			return false;
	}
	return true;
}

/* Moves to just before plan member idx, checking the members in between. */
static bool skip_to(struct bundle_reader *r, size_t idx, struct ferry_error **err)
{
	if (idx < r->pos && !rewind_reader(r, err))
		return false;
	while (r->pos < idx) {
		uint64_t size;
		const char *name = r->plan[r->pos].name;
		if (!expect_member(r, name, &size, err))
			return false;
		if (archive_read_data_skip(r->a) != ARCHIVE_OK)
			return read_failed(r, name, "cannot skip", err);
		r->pos++;
	}
	return true;
}

/* Positions at plan member idx and reads its header. */
static bool open_member(struct bundle_reader *r, size_t idx, uint64_t *size, struct ferry_error **err)
{
	if (!skip_to(r, idx, err) || !expect_member(r, r->plan[idx].name, size, err))
		return false;
	r->pos = idx + 1;
	return true;
}

/* ---- payload streams --------------------------------------------------------- */

static void stream_reset(struct bundle_reader *r)
{
	framestream_stop(r->fs);
	r->fs = NULL;
}

static bool hex_equal(const uint8_t bin[SHA256_LEN], const char *hex)
{
	char h[SHA256_HEX_LEN + 1];
	hex_encode(bin, SHA256_LEN, h);
	return strcmp(h, hex) == 0;
}

/* Called from the framestream's worker: the next stored frame's bytes. */
static bool read_frame(void *ctx, void *buf, size_t len, struct ferry_error **err)
{
	struct bundle_reader *r = ctx;
	return read_data(r, r->cur_name, buf, len, err);
}

static bool stream_read(void *ctx, void *buf, size_t cap, size_t *got, struct ferry_error **err)
{
	struct bundle_reader *r = ctx;
	*got = 0;
	if (!r->fs)
		return ferry_error_setc(err, FERRY_E_INTERNAL, "no payload is being read");
	return framestream_read(r->fs, buf, cap, got, err);
}

static bool stream_borrow(void *ctx, struct iovec *runs, size_t max, size_t *n,
			  struct ferry_error **err)
{
	struct bundle_reader *r = ctx;
	*n = 0;
	if (!r->fs)
		return ferry_error_set(err, "no payload is being read");
	return framestream_borrow(r->fs, runs, max, n, err);
}

static void stream_skip_whole_hash(void *ctx)
{
	struct bundle_reader *r = ctx;
	if (r->fs)
		framestream_skip_whole_hash(r->fs);
}

static bool same_payload(const struct payload *a, const struct payload *b)
{
	return strcmp(a->member, b->member) == 0 && strcmp(a->chunks, b->chunks) == 0 &&
	       a->size == b->size && a->compression == b->compression &&
	       strcmp(a->sha256, b->sha256) == 0 && strcmp(a->chunks_sha256, b->chunks_sha256) == 0;
}

/* Reads the frame table member at plan index idx and checks it. */
static bool read_table(struct bundle_reader *r, size_t idx, struct chunk_table *table,
		       struct ferry_error **err)
{
	const struct payload *p = r->plan[idx].p;
	uint64_t size;
	uint8_t *buf = NULL;
	uint8_t sha[SHA256_LEN];
	bool ok = false;
	if (!open_member(r, idx, &size, err))
		return false;
	if (size > chunks_max_table_bytes(p->size))
		return mismatch(err, "%s: %llu bytes, too large for a payload of %llu bytes",
				       p->chunks, (unsigned long long)size, (unsigned long long)p->size);
	if (!(buf = malloc(size ? size : 1)))
		return ferry_error_set(err, "out of memory");
	if (!read_data(r, p->chunks, buf, (size_t)size, err))
		goto out;
	sha256_buffer(buf, (size_t)size, sha);
	if (!hex_equal(sha, p->chunks_sha256)) {
		mismatch(err, "%s: frame table does not match the manifest (SHA-256)", p->chunks);
		goto out;
	}
	ok = chunks_parse(buf, (size_t)size, p->chunks, table, err);
	if (ok && !(ok = chunks_check_payload(table, p->chunks, p->compression, p->size, err)))
		chunks_free(table);
out:
	free(buf);
	return ok;
}

bool bundle_reader_payload(struct bundle_reader *r, const struct manifest *m,
			   const struct payload *p, struct byte_source *out, struct ferry_error **err)
{
	(void)m;
	struct chunk_table table;
	chunks_init(&table, 0);
	stream_reset(r);
	if (!ensure_plan(r, err))
		return false;
	ssize_t idx = p->chunks ? plan_index(r, p->chunks) : -1;
	if (idx < 0 || r->plan[idx].kind != MEMBER_CHUNKS || !same_payload(r->plan[idx].p, p))
		return bad_format(err, "payload %s: not in this bundle's manifest",
				       p->member ? p->member : p->name);
	const struct payload *pp = r->plan[idx].p;
	uint64_t size;
	bool ok = false;
	if (!read_table(r, (size_t)idx, &table, err) || !open_member(r, (size_t)idx + 1, &size, err))
		goto out;
	if (size != table.stored_total) {
		mismatch(err, "%s: %llu bytes, the frame table says %llu", pp->member,
				(unsigned long long)size, (unsigned long long)table.stored_total);
		goto out;
	}
	r->cur_name = pp->member;
	if (!framestream_start(&table, pp, read_frame, r, &r->fs, err))
		goto out;
	out->read = stream_read;
	out->ctx = r;
	out->name = pp->member;
	out->skip_whole_hash = stream_skip_whole_hash;
	out->borrow = stream_borrow;
	ok = true;
out:
	chunks_free(&table);
	return ok;
}

static bool check_payload(struct bundle_reader *r, const struct manifest *m,
			  const struct payload *p, bool frames_only,
			  void (*progress)(void *ctx, uint64_t done), void *ctx,
			  struct ferry_error **err)
{
	struct byte_source src;
	uint64_t done = 0;
	size_t got;
	if (!bundle_reader_payload(r, m, p, &src, err))
		return false;
	if (frames_only)
		framestream_frames_only(r->fs);
	do {
		if (!framestream_read(r->fs, NULL, FRAME_MAX_UNCOMPRESSED, &got, err))
			return false;
		done += got;
		if (progress)
			progress(ctx, done);
	} while (got);
	return true;
}

bool bundle_reader_check_payload(struct bundle_reader *r, const struct manifest *m,
				 const struct payload *p, void (*progress)(void *ctx, uint64_t done),
				 void *ctx, struct ferry_error **err)
{
	return check_payload(r, m, p, false, progress, ctx, err);
}

bool bundle_reader_check_frames(struct bundle_reader *r, const struct manifest *m,
				const struct payload *p, void (*progress)(void *ctx, uint64_t done),
				void *ctx, struct ferry_error **err)
{
	return check_payload(r, m, p, true, progress, ctx, err);
}

bool bundle_reader_hook(struct bundle_reader *r, const struct hook *h, char **data, size_t *len,
			struct ferry_error **err)
{
	stream_reset(r);
	if (!ensure_plan(r, err))
		return false;
	ssize_t idx = h->member ? plan_index(r, h->member) : -1;
	if (idx < 0 || r->plan[idx].kind != MEMBER_HOOK || r->plan[idx].h->size != h->size ||
	    strcmp(r->plan[idx].h->sha256, h->sha256) != 0)
		return bad_format(err, "hook %s: not in this bundle's manifest",
				       h->member ? h->member : "?");
	const struct hook *ph = r->plan[idx].h;
	uint64_t size;
	uint8_t sha[SHA256_LEN];
	if (!open_member(r, (size_t)idx, &size, err))
		return false;
	if (size != ph->size || size > HOOK_MAX_BYTES)
		return mismatch(err, "%s: %llu bytes, the manifest says %llu", ph->member,
				       (unsigned long long)size, (unsigned long long)ph->size);
	char *buf = malloc(size + 1);
	if (!buf)
		return ferry_error_set(err, "out of memory");
	if (!read_data(r, ph->member, buf, (size_t)size, err)) {
		free(buf);
		return false;
	}
	buf[size] = 0;
	sha256_buffer(buf, (size_t)size, sha);
	if (!hex_equal(sha, ph->sha256)) {
		free(buf);
		return mismatch(err, "%s: SHA-256 does not match the manifest", ph->member);
	}
	*data = buf;
	*len = (size_t)size;
	return true;
}

bool bundle_reader_finish(struct bundle_reader *r, struct ferry_error **err)
{
	struct archive_entry *e;
	bool end;
	stream_reset(r);
	if (!ensure_plan(r, err) || !skip_to(r, r->n_plan, err))
		return false;
	if (!read_header(r, "end of bundle", &e, &end, err))
		return false;
	if (!end) {
		const char *name = archive_entry_pathname(e);
		ssize_t at = plan_index(r, name);
		bool dup = at >= 0 || strcmp(name, BUNDLE_MANIFEST_MEMBER) == 0 ||
			   strcmp(name, BUNDLE_SIG_MEMBER) == 0;
		return bad_format(err, "%s: %s after the last member", name,
				       dup ? "duplicate member" : "unknown member");
	}
	return true;
}

bool bundle_reader_next_member(struct bundle_reader *r, const char **name, uint64_t *size,
			       bool *end, struct ferry_error **err)
{
	struct archive_entry *e;
	stream_reset(r);
	if (!read_header(r, "next member", &e, end, err))
		return false;
	if (*end)
		return true;
	r->cur_name = archive_entry_pathname(e);
	*name = r->cur_name;
	*size = (uint64_t)archive_entry_size(e);
	return true;
}

bool bundle_reader_member_read(struct bundle_reader *r, void *buf, size_t cap, size_t *got,
			       struct ferry_error **err)
{
	la_ssize_t n = archive_read_data(r->a, buf, cap);
	if (n < 0)
		return read_failed(r, r->cur_name ? r->cur_name : "member", "read error", err);
	*got = (size_t)n;
	return true;
}

void bundle_reader_close(struct bundle_reader *r)
{
	if (!r)
		return;
	stream_reset(r);
	if (r->a)
		archive_read_free(r->a);
	if (r->fd >= 0)
		close(r->fd);
	manifest_free(r->plan_m);
	free(r->plan);
	free(r->manifest);
	free(r->sig);
	free(r->path);
	free(r);
}
