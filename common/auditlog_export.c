/* auditlog_export: signed audit files on a stick (see auditlog.h). Kept apart
 * from auditlog.c so that what only builds and checks lines needs no GPGME. */
#include "auditlog.h"

#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pgp.h"
#include "safefile.h"
#include "signedfile.h"

bool auditlog_write_signed(const char *path, const void *data, size_t len, struct pgp *pgp,
			   const char *fpr, struct ferry_error **err)
{
	return auditlog_write_signed_at(AT_FDCWD, path, path, data, len, pgp, fpr, err);
}

bool auditlog_write_signed_at(int dirfd, const char *name, const char *path, const void *data,
			      size_t len, struct pgp *pgp, const char *fpr, struct ferry_error **err)
{
	bool ok = false;
	void *sig = NULL;
	size_t sig_len = 0;
	char *sig_path = NULL, *sig_name = NULL;
	if (!pgp_sign_detached(pgp, fpr, data, len, &sig, &sig_len, err)) {
		ferry_error_prefix(err, "%s: sign", path);
		goto out;
	}
	if (asprintf(&sig_path, "%s.sig", path) < 0 || asprintf(&sig_name, "%s.sig", name) < 0) {
		sig_name = NULL;
		ferry_error_set(err, "out of memory");
		goto out;
	}
	if (!safe_write_atomic_at(dirfd, name, path, data, len, 0644, err) ||
	    !safe_write_atomic_at(dirfd, sig_name, sig_path, sig, sig_len, 0644, err))
		goto out;
	ok = true;
out:
	free(sig);
	free(sig_path);
	free(sig_name);
	return ok;
}

bool auditlog_export_write(const char *dir, const char *device, char *const *lines, size_t n,
			   struct pgp *pgp, const char *fpr, char **path_out,
			   struct ferry_error **err)
{
	return mkdir_p(dir, 0755, err) &&
	       auditlog_export_write_at(AT_FDCWD, dir, device, lines, n, pgp, fpr, path_out, err);
}

bool auditlog_export_write_at(int dirfd, const char *dir, const char *device, char *const *lines,
			      size_t n, struct pgp *pgp, const char *fpr, char **path_out,
			      struct ferry_error **err)
{
	bool ok = false;
	char *buf = NULL, *path = NULL;
	size_t len = 0, pos = 0;
	char name[128];
	struct auditlog_chain chain;
	if (n == 0)
		return ferry_error_set(err, "audit export of %s: no records", device);
	for (size_t i = 0; i < n; i++)
		len += strlen(lines[i]) + 1;
	buf = malloc(len);
	if (!buf) {
		ferry_error_set(err, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(lines[i]);
		memcpy(buf + pos, lines[i], l);
		buf[pos + l] = '\n';
		pos += l + 1;
	}
	/* Never sign what a reader would refuse. */
	if (!auditlog_chain_verify(buf, len, "audit export", device, NULL, &chain, err) ||
	    !auditlog_export_name(device, chain.first_seq, chain.last_seq, name, sizeof(name), err) ||
	    !path_join(dir, name, &path, err) ||
	    !auditlog_write_signed_at(dirfd, dirfd == AT_FDCWD ? path : name, path, buf, len, pgp,
				      fpr, err))
		goto out;
	if (path_out) {
		*path_out = path;
		path = NULL;
	}
	ok = true;
out:
	free(buf);
	free(path);
	return ok;
}

bool auditlog_export_read(const char *path, struct pgp *pgp, const char *device_fpr,
			  const char *expected_prev, char **data, size_t *len,
			  struct auditlog_chain *chain, struct ferry_error **err)
{
	return auditlog_export_read_at(AT_FDCWD, path, path, pgp, device_fpr, expected_prev, data,
				       len, chain, err);
}

bool auditlog_export_read_at(int dirfd, const char *name, const char *path, struct pgp *pgp,
			     const char *device_fpr, const char *expected_prev, char **data,
			     size_t *len, struct auditlog_chain *chain, struct ferry_error **err)
{
	bool ok = false;
	char *buf = NULL, *copy = NULL;
	size_t buf_len = 0;
	char device[AUDITLOG_DEVICE_ID_MAX + 1];
	uint64_t first = 0, last = 0;
	struct auditlog_chain c;
	copy = strdup(path);
	if (!copy) {
		ferry_error_set(err, "out of memory");
		goto out;
	}
	/* Every signature valid, one by exactly the device's key. */
	if (!auditlog_export_name_parse(basename(copy), device, &first, &last, err) ||
	    !signedfile_read_by_at(pgp, dirfd, name, path, AUDITLOG_EXPORT_MAX, device_fpr,
				   "the device key", &buf, &buf_len, err) ||
	    !auditlog_chain_verify(buf, buf_len, path, device, expected_prev, &c, err))
		goto out;
	if (c.first_seq != first || c.last_seq != last) {
		ferry_error_set(err, "%s: holds seq %llu-%llu, its name says %llu-%llu", path,
				(unsigned long long)c.first_seq, (unsigned long long)c.last_seq,
				(unsigned long long)first, (unsigned long long)last);
		goto out;
	}
	*data = buf;
	*len = buf_len;
	buf = NULL;
	if (chain)
		*chain = c;
	ok = true;
out:
	free(buf);
	free(copy);
	return ok;
}
