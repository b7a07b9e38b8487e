/* signedfile: a file and its detached signature "<file>.sig" read from disk
 * and verified over the exact bytes, for every signed document on a stick
 * (inventories, acknowledgements). Reports the facts of each signature; what
 * they are worth (which key, which role) is the caller's decision. */
#ifndef FERRY_SIGNEDFILE_H
#define FERRY_SIGNEDFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "pgp.h"

#define SIGNEDFILE_SIG_MAX (64 * 1024)

/* Reads path (at most max bytes) and path.sig and verifies them. On success
 * *data and *len hold the file's bytes (caller frees) and *vr the signatures
 * (caller clears); a bad signature is a result in *vr, not an error. */
bool signedfile_read(struct pgp *pgp, const char *path, size_t max, char **data, size_t *len,
		     struct pgp_verify_result *vr, struct ferry_error **err);

/* signedfile_read, then: every signature valid and one by the key with full
 * fingerprint fpr ("<path>.sig: not signed by <what> <fpr>" otherwise).
 * With a keyring snapshot on pgp (pgp_use_quick), a signature it takes as
 * valid by fpr is not given to GPGME (common/pgp_quick.h). */
bool signedfile_read_by(struct pgp *pgp, const char *path, size_t max, const char *fpr,
			const char *what, char **data, size_t *len, struct ferry_error **err);

/* The same for name in the open folder dirfd (a stick's, common/stick.h):
 * both files are opened through dirfd, never by a path looked up again;
 * path names the file in messages. AT_FDCWD: name is a path. */
bool signedfile_read_at(struct pgp *pgp, int dirfd, const char *name, const char *path, size_t max,
			char **data, size_t *len, struct pgp_verify_result *vr,
			struct ferry_error **err);
bool signedfile_read_by_at(struct pgp *pgp, int dirfd, const char *name, const char *path,
			   size_t max, const char *fpr, const char *what, char **data, size_t *len,
			   struct ferry_error **err);

#endif
