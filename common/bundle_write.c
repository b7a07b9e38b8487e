/* bundle_write: see bundle_write.h. The tar writer is positional, so that
 * create (bundle_create.c) can pack a payload's frames into the file first,
 * where its data member will lie, and write the tar around them after. */
#include "bundle_write.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bundle_read.h"
#include "safefile.h"
#include "sbom.h"

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
