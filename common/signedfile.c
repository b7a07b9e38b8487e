/* signedfile: see signedfile.h. */
#include "signedfile.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "safefile.h"

bool signedfile_read(struct pgp *pgp, const char *path, size_t max, char **data, size_t *len,
		     struct pgp_verify_result *vr, struct ferry_error **err)
{
	return signedfile_read_at(pgp, AT_FDCWD, path, path, max, data, len, vr, err);
}

bool signedfile_read_at(struct pgp *pgp, int dirfd, const char *name, const char *path, size_t max,
			char **data, size_t *len, struct pgp_verify_result *vr,
			struct ferry_error **err)
{
	bool ok = false;
	char *buf = NULL, *sig = NULL, *sig_path = NULL, *sig_name = NULL;
	size_t buf_len = 0, sig_len = 0;
	if (asprintf(&sig_path, "%s.sig", path) < 0 || asprintf(&sig_name, "%s.sig", name) < 0) {
		free(sig_path);
		return ferry_error_set(err, "out of memory");
	}
	if (!read_file_at(dirfd, name, path, max, &buf, &buf_len, err) ||
	    !read_file_at(dirfd, sig_name, sig_path, SIGNEDFILE_SIG_MAX, &sig, &sig_len, err))
		goto out;
	if (!pgp_verify_detached(pgp, buf, buf_len, sig, sig_len, vr, err)) {
		ferry_error_prefix(err, "%s", sig_path);
		goto out;
	}
	*data = buf;
	*len = buf_len;
	buf = NULL;
	ok = true;
out:
	free(buf);
	free(sig);
	free(sig_path);
	free(sig_name);
	return ok;
}

bool signedfile_read_by(struct pgp *pgp, const char *path, size_t max, const char *fpr,
			const char *what, char **data, size_t *len, struct ferry_error **err)
{
	return signedfile_read_by_at(pgp, AT_FDCWD, path, path, max, fpr, what, data, len, err);
}

bool signedfile_read_by_at(struct pgp *pgp, int dirfd, const char *name, const char *path,
			   size_t max, const char *fpr, const char *what, char **data, size_t *len,
			   struct ferry_error **err)
{
	struct pgp_verify_result vr = { 0 };
	bool by = false, ok = false;
	char *buf = NULL;
	size_t buf_len = 0;
	if (!signedfile_read_at(pgp, dirfd, name, path, max, &buf, &buf_len, &vr, err))
		return false;
	for (size_t i = 0; i < vr.n_sigs; i++) {
		if (vr.sigs[i].status != PGP_SIG_VALID) {
			ferry_error_setc(err, FERRY_E_SIGNATURE, "%s.sig: signature %s", path,
					 pgp_sig_status_name(vr.sigs[i].status));
			goto out;
		}
		by |= strcasecmp(vr.sigs[i].fpr, fpr) == 0;
	}
	if (!by) {
		ferry_error_setc(err, FERRY_E_SIGNATURE, "%s.sig: not signed by %s %s", path, what, fpr);
		goto out;
	}
	*data = buf;
	*len = buf_len;
	buf = NULL;
	ok = true;
out:
	pgp_verify_result_clear(&vr);
	free(buf);
	return ok;
}
