/* bundle_write: writes .ferry bundles (design §2.2, docs/formats.md "Bundle"):
 * a pax tar of regular files with fixed mode, owner and mtime, members in
 * the one order the reader accepts. Output goes to "<path>.tmp" and is
 * renamed only when complete: a failure leaves no bundle behind. The same
 * spec and inputs give the same bytes, signatures aside. The tar writer is
 * here (bundle_write.c); bundle_create, which packs the frames in place
 * before writing the tar around them, in bundle_create.c. */
#ifndef FERRY_BUNDLE_WRITE_H
#define FERRY_BUNDLE_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "error.h"
#include "manifest.h"
#include "pgp.h"

#define BUNDLE_MANIFEST_MEMBER "manifest.json"
#define BUNDLE_SIG_MEMBER "manifest.sig"
#define BUNDLE_SIG_MAX_BYTES (256u * 1024)   /* room for hundreds of signatures */

/* Member names create gives: payloads/<variant>/<payload>.zst|.xz|.bin,
 * the frame table beside it with ".chunks" appended, hooks as
 * payloads/<variant>/<kind>.hook. Caller frees. */
char *bundle_payload_member(const char *variant, const char *payload, enum compression c);
char *bundle_hook_member(const char *variant, enum hook_kind k);
/* "payloads/<variant>/sbom.json". Caller frees; NULL when out of memory. */
char *bundle_sbom_member(const char *variant);

/* A tar being written member by member. */
struct bundle_tar;
bool bundle_tar_open(const char *path, time_t mtime, struct bundle_tar **out,
		     struct ferry_error **err);
/* A tar that writes nothing and only counts its bytes (bundle_tar_pos): where
 * members would land. Release it with bundle_tar_abort. */
bool bundle_tar_open_count(time_t mtime, struct bundle_tar **out, struct ferry_error **err);
/* Bytes of tar so far: the offset in the file of the next byte. */
uint64_t bundle_tar_pos(const struct bundle_tar *t);
/* The temporary file (readable and writable): a member's data may be
 * written there at bundle_tar_pos beforehand, then stepped over with
 * bundle_tar_skip. -1 for a counting tar. */
int bundle_tar_fd(const struct bundle_tar *t);
/* Starts a member of exactly size bytes; write them with bundle_tar_write. */
bool bundle_tar_begin(struct bundle_tar *t, const char *name, uint64_t size,
		      struct ferry_error **err);
bool bundle_tar_write(struct bundle_tar *t, const void *data, size_t len, struct ferry_error **err);
/* The member's next len bytes are already in the file where they belong:
 * counted, not written (a counting tar: just counted). */
bool bundle_tar_skip(struct bundle_tar *t, uint64_t len, struct ferry_error **err);
bool bundle_tar_add(struct bundle_tar *t, const char *name, const void *data, size_t len,
		    struct ferry_error **err);
/* Finishes the archive and renames it into place; frees t either way. */
bool bundle_tar_commit(struct bundle_tar *t, struct ferry_error **err);
void bundle_tar_abort(struct bundle_tar *t);

struct bundle_create_opts {
	int level;                   /* zstd level / xz preset; 0: default */
	unsigned threads;            /* 0: one per CPU */
	struct pgp *pgp;             /* needed when n_sign > 0 */
	const char *const *sign_fprs;
	size_t n_sign;
	bool progress;               /* draw a progress bar on stderr */
	/* Expected bytes of manifest.sig (the signers' probe signatures,
	 * pgp_check_signing_key): where the frames are packed in place. A wrong
	 * guess costs a copy of the frames, never a wrong bundle. */
	size_t sig_bytes;
};
/* Builds a bundle from a spec (design §7) at out_path. With no signing key
 * the bundle has an empty manifest.sig (sign it later with
 * bundle_add_signature). If manifest_out is not NULL it receives the filled
 * manifest (caller frees). */
bool bundle_create(const char *spec_path, const char *out_path,
		   const struct bundle_create_opts *o, struct manifest **manifest_out,
		   struct ferry_error **err);

/* Appends a detached signature by fpr over the bundle's manifest bytes and
 * rewrites the bundle (temporary file, rename); members are copied
 * unchanged. Refuses a key that already signed it. */
bool bundle_add_signature(const char *path, struct pgp *pgp, const char *fpr,
			  struct ferry_error **err);

#endif
