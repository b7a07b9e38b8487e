/* signedfile: see signedfile.h. */
#include "signedfile.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "pgp_quick.h"
#include "safefile.h"

bool signedfile_read(struct pgp *pgp, const char *path, size_t max, char **data, size_t *len,
		     struct pgp_verify_result *vr, struct ferry_error **err)
{
	return signedfile_read_at(pgp, AT_FDCWD, path, path, max, data, len, vr, err);
}

/* Both files through dirfd: *data (at most max bytes) and *sig; caller
 * frees both, also on failure. */
static bool read_pair(int dirfd, const char *name, const char *path, size_t max, char **data,
		      size_t *len, char **sig, size_t *sig_len, struct ferry_error **err)
{
	char *sig_path = NULL, *sig_name = NULL;
	bool ok = false;
	if (asprintf(&sig_path, "%s.sig", path) < 0 || asprintf(&sig_name, "%s.sig", name) < 0) {
		sig_name = NULL;
		ferry_error_set(err, "out of memory");
		goto out;
	}
	ok = read_file_at(dirfd, name, path, max, data, len, err) &&
	     read_file_at(dirfd, sig_name, sig_path, SIGNEDFILE_SIG_MAX, sig, sig_len, err);
out:
	free(sig_path);
	free(sig_name);
	return ok;
}

/* GPGME's verification of what read_pair read. */
static bool verify(struct pgp *pgp, const char *path, const char *buf, size_t buf_len,
		   const char *sig, size_t sig_len, struct pgp_verify_result *vr,
		   struct ferry_error **err)
{
	if (pgp_verify_detached(pgp, buf, buf_len, sig, sig_len, vr, err))
		return true;
	ferry_error_prefix(err, "%s.sig", path);
	return false;
}

bool signedfile_read_at(struct pgp *pgp, int dirfd, const char *name, const char *path, size_t max,
			char **data, size_t *len, struct pgp_verify_result *vr,
			struct ferry_error **err)
{
	char *buf = NULL, *sig = NULL;
	size_t buf_len = 0, sig_len = 0;
	bool ok = read_pair(dirfd, name, path, max, &buf, &buf_len, &sig, &sig_len, err) &&
		  verify(pgp, path, buf, buf_len, sig, sig_len, vr, err);
	if (ok) {
		*data = buf;
		*len = buf_len;
		buf = NULL;
	}
	free(buf);
	free(sig);
	return ok;
}

bool signedfile_read_by(struct pgp *pgp, const char *path, size_t max, const char *fpr,
			const char *what, char **data, size_t *len, struct ferry_error **err)
{
	return signedfile_read_by_at(pgp, AT_FDCWD, path, path, max, fpr, what, data, len, err);
}

/* Every signature valid, one by exactly fpr. */
static bool valid_by(const struct pgp_verify_result *vr, const char *path, const char *fpr,
		     const char *what, struct ferry_error **err)
{
	bool by = false;
	for (size_t i = 0; i < vr->n_sigs; i++) {
		if (vr->sigs[i].status != PGP_SIG_VALID)
			return ferry_error_setc(err, FERRY_E_SIGNATURE, "%s.sig: signature %s", path,
						pgp_sig_status_name(vr->sigs[i].status));
		by |= strcasecmp(vr->sigs[i].fpr, fpr) == 0;
	}
	if (!by)
		return ferry_error_setc(err, FERRY_E_SIGNATURE, "%s.sig: not signed by %s %s", path,
					what, fpr);
	return true;
}

bool signedfile_read_by_at(struct pgp *pgp, int dirfd, const char *name, const char *path,
			   size_t max, const char *fpr, const char *what, char **data, size_t *len,
			   struct ferry_error **err)
{
	struct pgp_verify_result vr = { 0 };
	char *buf = NULL, *sig = NULL;
	size_t buf_len = 0, sig_len = 0;
	bool ok = read_pair(dirfd, name, path, max, &buf, &buf_len, &sig, &sig_len, err);
	/* The in-process check says "valid by fpr" or nothing; GPGME decides the rest. */
	if (ok && !pgp_quick_valid_by(pgp_quick_of(pgp), fpr, buf, buf_len, sig, sig_len))
		ok = verify(pgp, path, buf, buf_len, sig, sig_len, &vr, err) &&
		     valid_by(&vr, path, fpr, what, err);
	if (ok) {
		*data = buf;
		*len = buf_len;
		buf = NULL;
	}
	pgp_verify_result_clear(&vr);
	free(buf);
	free(sig);
	return ok;
}
