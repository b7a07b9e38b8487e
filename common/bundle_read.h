/* bundle_read: streaming reader of .ferry bundles over libarchive (contract
 * C5). Bounded memory whatever the bundle size; members must come in the one
 * order the manifest implies, as regular files, each once, nothing else.
 * Never hands a frame to a decompressor before its SHA-256 matched the frame
 * table, never produces more bytes than declared, and checks each payload's
 * size and SHA-256 at its end. Every error names the member (and frame). */
#ifndef FERRY_BUNDLE_READ_H
#define FERRY_BUNDLE_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "bytesource.h"
#include "error.h"
#include "manifest.h"

struct bundle_reader;

/* Opens path and reads manifest.json (at most MANIFEST_MAX_BYTES) and
 * manifest.sig (at most BUNDLE_SIG_MAX_BYTES), the first two members. */
bool bundle_reader_open(const char *path, struct bundle_reader **out, struct ferry_error **err);
/* bundle_reader_open of name in the open folder dirfd (a stick's
 * ferry/bundles: never by a path looked up again, never through a link);
 * path names the bundle in messages. AT_FDCWD: name is a path. */
bool bundle_reader_open_at(int dirfd, const char *name, const char *path,
			   struct bundle_reader **out, struct ferry_error **err);
/* Exact bytes of manifest.json and manifest.sig (owned by the reader). */
bool bundle_reader_manifest(struct bundle_reader *r, const char **bytes, size_t *len,
			    const void **sig, size_t *sig_len, struct ferry_error **err);
/* After the caller verified the signature and parsed the manifest: a pull
 * stream of the payload's authenticated, decompressed bytes. Payloads are best
 * requested in manifest order (members in between are skipped by seeking); an
 * earlier one means reading the bundle again from its start. The source is
 * valid until the next bundle_reader_* call other than reading it. m must be
 * parsed from this reader's manifest bytes. */
bool bundle_reader_payload(struct bundle_reader *r, const struct manifest *m,
			   const struct payload *p, struct byte_source *out, struct ferry_error **err);
/* Reads payload p to its end checking everything (frames, size, SHA-256)
 * without handing the bytes out; progress (may be NULL) gets the bytes done. */
bool bundle_reader_check_payload(struct bundle_reader *r, const struct manifest *m,
				 const struct payload *p, void (*progress)(void *ctx, uint64_t done),
				 void *ctx, struct ferry_error **err);
/* The same, by the frame hashes only: every stored frame is read and compared
 * with the signed frame table; nothing is decompressed and the uncompressed
 * SHA-256 is not computed (what that proves: docs/packaging.md). */
bool bundle_reader_check_frames(struct bundle_reader *r, const struct manifest *m,
				const struct payload *p, void (*progress)(void *ctx, uint64_t done),
				void *ctx, struct ferry_error **err);
/* A whole hook (at most HOOK_MAX_BYTES), size and hash checked; caller frees *data. */
bool bundle_reader_hook(struct bundle_reader *r, const struct hook *h, char **data, size_t *len,
			struct ferry_error **err);
/* Checks the members after the current position against the manifest (names,
 * order, types; their data is skipped) and that nothing follows the last. */
bool bundle_reader_finish(struct bundle_reader *r, struct ferry_error **err);
void bundle_reader_close(struct bundle_reader *r);

/* mtime of manifest.json (what a rewrite keeps). */
time_t bundle_reader_mtime(const struct bundle_reader *r);

/* Raw member access for rewriting a bundle (co-signing): the next member
 * after the current position (*end at the end of the archive), regular files
 * only; then its bytes until *got == 0. No manifest checks. */
bool bundle_reader_next_member(struct bundle_reader *r, const char **name, uint64_t *size,
			       bool *end, struct ferry_error **err);
bool bundle_reader_member_read(struct bundle_reader *r, void *buf, size_t cap, size_t *got,
			       struct ferry_error **err);

#endif
