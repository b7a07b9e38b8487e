/* pgp: OpenPGP through GPGME, bound to a private home directory (see pgp.h).
 * Promises: never touches ~/.gnupg; verification reports per-signature facts
 * and maps every signature it can to its PRIMARY key fingerprint, leaving a
 * bare key id (bad or unknown-key signatures) visibly short so that no caller
 * mistakes it for a fingerprint; verification never starts gpg-agent. */
#include "pgp.h"
#include "pgp_passphrase.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gpgme.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pgp_ctx.h"
#include "safefile.h"
#include "sha256.h"

/* gpg-agent puts its sockets in the home directory when /run/user/UID is
 * missing; sun_path holds 108 bytes and the longest socket name is 18. */
#define PGP_HOMEDIR_MAX 88

struct pgp {
	gpgme_ctx_t ctx;
	char *homedir;
	bool agent_launched;
	bool agent_ours;        /* no agent answered before we launched it: stop it on close */
	bool protect;           /* pgp_create_key makes passphrase-protected keys */
	struct pgp_passphrase pass;   /* loopback pinentry: a file or the terminal */
	gpgme_key_t sign_key;   /* the last signing key, kept: saves a gpg run per signature */
	/* The last signing key a keylist mapped to exactly one primary key, kept:
	 * saves a gpg run per verification (a key's subkey bindings do not change
	 * while a context lives; its validity is in every verification's status).
	 * Forgotten when the context imports keys. */
	char known_sub[PGP_FPR_LEN + 1], known_primary[PGP_FPR_LEN + 1];
	const struct pgp_quick *quick;   /* borrowed: pgp_use_quick */
};

/* The contexts open in this process: the agent one of them started is
 * stopped by the last of them on the same home to close. */
#define PGP_OPEN_MAX 64
static struct pgp *open_ctxs[PGP_OPEN_MAX];
static pthread_mutex_t open_lock = PTHREAD_MUTEX_INITIALIZER;

static void open_register(struct pgp *p, bool add)
{
	pthread_mutex_lock(&open_lock);
	for (size_t i = 0; i < PGP_OPEN_MAX; i++)
		if (add ? open_ctxs[i] == NULL : open_ctxs[i] == p) {
			open_ctxs[i] = add ? p : NULL;
			break;
		}
	pthread_mutex_unlock(&open_lock);
}

/* After p is unregistered: hands p's agent to another open context on the
 * same home; false when none is left (the caller stops the agent). */
static bool agent_handed_on(const struct pgp *p)
{
	bool handed = false;
	pthread_mutex_lock(&open_lock);
	for (size_t i = 0; i < PGP_OPEN_MAX && !handed; i++)
		if (open_ctxs[i] && strcmp(open_ctxs[i]->homedir, p->homedir) == 0) {
			open_ctxs[i]->agent_ours = true;
			handed = true;
		}
	pthread_mutex_unlock(&open_lock);
	return handed;
}

static pthread_once_t pgp_once = PTHREAD_ONCE_INIT;
static bool pgp_init_ok;

static void pgp_init_once(void)
{
	pgp_init_ok = gpgme_check_version(NULL) != NULL &&
		      gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP) == 0;
}

static bool pgp_init(struct ferry_error **err)
{
	if (!crypto_init(err))
		return false;
	pthread_once(&pgp_once, pgp_init_once);
	if (!pgp_init_ok)
		return ferry_error_setc(err, FERRY_E_INTERNAL,
					"GPGME: no usable OpenPGP engine (is gpg installed?)");
	return true;
}

static bool gpg_fail(struct ferry_error **err, gpgme_error_t e, const char *what)
{
	return ferry_error_set(err, "%s: %s", what, gpgme_strerror(e));
}

/* Writes name in dir with text unless the file exists (a site may tune it). */
static bool write_conf_once(const char *dir, const char *name, const char *text,
			    struct ferry_error **err)
{
	char *path = NULL;
	bool ok = false;
	if (!path_join(dir, name, &path, err))
		goto out;
	if (access(path, F_OK) == 0) {
		ok = true;
		goto out;
	}
	ok = safe_write_atomic(path, text, strlen(text), 0600, err);
out:
	free(path);
	return ok;
}

static const char gpg_conf[] =
	"# Written by ferry: trust comes from ferry's signed policy, never from\n"
	"# the web of trust, and keys never come from the network.\n"
	"no-auto-key-retrieve\n"
	"auto-key-locate local\n"
	"trust-model always\n"
	"no-greeting\n"
	"# Verifying and importing public keys need no gpg-agent; ferry launches\n"
	"# one itself before it creates a key or signs.\n"
	"no-autostart\n";
static const char agent_conf[] =
	"# Written by ferry: keys without passphrase are used non-interactively.\n"
	"allow-loopback-pinentry\n";

static bool homedir_short(const char *path, struct ferry_error **err)
{
	if (strlen(path) <= PGP_HOMEDIR_MAX)
		return true;
	return ferry_error_set(err, "%s: GnuPG home directory path is %zu characters, at most %d "
			       "work (gpg-agent sockets): use a shorter path", path, strlen(path),
			       PGP_HOMEDIR_MAX);
}

/* A GnuPG home, or nothing yet: missing, empty, or holding a file GnuPG
 * makes. Any other directory is refused, so that a mistyped --homedir (a
 * ferry-keys directory, a project folder) is not turned into a home. */
static bool home_or_nothing(const char *dir, struct ferry_error **err)
{
	static const char *const marks[] = { "pubring.kbx", "pubring.gpg", "trustdb.gpg",
					     "private-keys-v1.d", "gpg.conf", NULL };
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? true : ferry_error_errno(err, errno, "%s", dir);
	bool empty = true, home = false;
	struct dirent *e;
	while ((e = readdir(d)) && !home) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		empty = false;
		for (size_t i = 0; marks[i]; i++)
			home = home || strcmp(e->d_name, marks[i]) == 0;
	}
	closedir(d);
	if (empty || home)
		return true;
	return ferry_error_setc(err, FERRY_E_CONFIG, "%s: not a GnuPG home (it holds other files and no "
				"keyring): refusing to make it one", dir);
}

bool pgp_open(const char *homedir, struct pgp **out, struct ferry_error **err)
{
	struct pgp *p = NULL;
	gpgme_error_t e;
	char abs[PATH_MAX];
	bool ok = false;

	*out = NULL;
	if (!pgp_init(err))
		goto out;
	/* an absolute path is checked before anything is created */
	if ((homedir[0] == '/' && !homedir_short(homedir, err)) || !home_or_nothing(homedir, err) ||
	    !mkdir_p(homedir, 0700, err))
		goto out;
	if (!realpath(homedir, abs)) {
		ferry_error_errno(err, errno, "%s", homedir);
		goto out;
	}
	if (!homedir_short(abs, err))
		goto out;
	if (!write_conf_once(abs, "gpg.conf", gpg_conf, err) ||
	    !write_conf_once(abs, "gpg-agent.conf", agent_conf, err))
		goto out;
	p = calloc(1, sizeof(*p));
	if (!p || !(p->homedir = strdup(abs))) {
		ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
		goto out;
	}
	if ((e = gpgme_new(&p->ctx))) {
		gpg_fail(err, e, "GPGME context");
		goto out;
	}
	if ((e = gpgme_set_protocol(p->ctx, GPGME_PROTOCOL_OpenPGP)) ||
	    (e = gpgme_ctx_set_engine_info(p->ctx, GPGME_PROTOCOL_OpenPGP, NULL, p->homedir)) ||
	    (e = gpgme_set_pinentry_mode(p->ctx, GPGME_PINENTRY_MODE_LOOPBACK))) {
		ferry_error_set(err, "%s: GPGME setup: %s", abs, gpgme_strerror(e));
		goto out;
	}
	gpgme_set_offline(p->ctx, 1);
	gpgme_set_keylist_mode(p->ctx, GPGME_KEYLIST_MODE_LOCAL);
	gpgme_set_passphrase_cb(p->ctx, pgp_passphrase_cb, &p->pass);
	open_register(p, true);
	*out = p;
	p = NULL;
	ok = true;
out:
	pgp_close(p);
	return ok;
}

void pgp_close(struct pgp *p)
{
	if (!p)
		return;
	if (p->sign_key)
		gpgme_key_unref(p->sign_key);
	if (p->ctx)
		gpgme_release(p->ctx);
	pgp_passphrase_clear(&p->pass);
	open_register(p, false);
	if (p->homedir && p->agent_launched && p->agent_ours && !agent_handed_on(p))
		pgp_kill_daemons(p->homedir);   /* leave no agent running that we started */
	free(p->homedir);
	free(p);
}

/* Runs gpgconf --homedir homedir <a1> <a2> quietly; true when it exits 0. */
static bool run_gpgconf(const char *homedir, const char *a1, const char *a2)
{
	int status = -1;
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
		}
		execlp("gpgconf", "gpgconf", "--homedir", homedir, a1, a2, (char *)NULL);
		_exit(127);
	}
	if (pid < 0)
		return false;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

void pgp_kill_daemons(const char *homedir)
{
	run_gpgconf(homedir, "--kill", "all");
}

/* Does a gpg-agent answer for homedir (without starting one)? */
static bool agent_running(const char *homedir)
{
	int fds[2], status = -1;
	char buf[256];
	ssize_t n = 0;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return false;
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(fds[1], STDOUT_FILENO);
		if (null >= 0)
			dup2(null, STDERR_FILENO);
		execlp("gpg-connect-agent", "gpg-connect-agent", "--homedir", homedir, "--no-autostart",
		       "GETINFO pid", "/bye", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	if (pid > 0)
		while ((n = read(fds[0], buf, sizeof(buf) - 1)) < 0 && errno == EINTR)
			;
	close(fds[0]);
	if (pid < 0)
		return false;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	buf[n > 0 ? n : 0] = '\0';
	return strncmp(buf, "D ", 2) == 0;
}

/* gpg.conf says no-autostart, so operations on secret keys start the agent
 * here, once per context. */
static bool need_agent(struct pgp *p, struct ferry_error **err)
{
	if (p->agent_launched)
		return true;
	p->agent_ours = p->agent_ours || !agent_running(p->homedir);
	if (!run_gpgconf(p->homedir, "--launch", "gpg-agent"))
		return ferry_error_set(err, "%s: could not start gpg-agent (gpgconf --launch)",
				       p->homedir);
	p->agent_launched = true;
	return true;
}

gpgme_ctx_t pgp_gpgme(struct pgp *p)
{
	return p->ctx;
}

void pgp_use_quick(struct pgp *p, const struct pgp_quick *q)
{
	p->quick = q;
}

const struct pgp_quick *pgp_quick_of(const struct pgp *p)
{
	return p->quick;
}

const char *pgp_homedir(const struct pgp *p)
{
	return p->homedir;
}

static bool fpr_copy(char dst[PGP_FPR_LEN + 1], const char *src)
{
	if (!src || strlen(src) != PGP_FPR_LEN)
		return false;
	for (size_t i = 0; i < PGP_FPR_LEN; i++) {
		char c = src[i];
		if (c >= 'a' && c <= 'f')
			c = (char)(c - 'a' + 'A');
		if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F')))
			return false;
		dst[i] = c;
	}
	dst[PGP_FPR_LEN] = '\0';
	return true;
}

bool pgp_fpr_valid(const char *s)
{
	if (!s || strlen(s) != PGP_FPR_LEN)
		return false;
	for (size_t i = 0; i < PGP_FPR_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'F')))
			return false;
	return true;
}

bool pgp_create_key(struct pgp *p, const char *user_id, time_t expires,
		    char fpr[PGP_FPR_LEN + 1], struct ferry_error **err)
{
	unsigned int flags = GPGME_CREATE_SIGN | GPGME_CREATE_FORCE | (p->protect ? 0 : GPGME_CREATE_NOPASSWD);
	unsigned long secs = 0;
	if (expires == 0) {
		flags |= GPGME_CREATE_NOEXPIRE;
	} else {
		time_t now = time(NULL);
		if (expires <= now)
			return ferry_error_set(err, "key for '%s': expiry lies in the past", user_id);
		secs = (unsigned long)(expires - now);
	}
	if (!need_agent(p, err))
		return false;
	gpgme_error_t e = gpgme_op_createkey(p->ctx, user_id, "ed25519", 0, secs, NULL, flags);
	if (e && p->protect && pgp_passphrase_problem(e))
		return ferry_error_setc(err, FERRY_E_CONFIG, "%s: creating protected key '%s': %s", p->homedir,
					user_id, pgp_passphrase_problem(e));
	if (e)
		return ferry_error_set(err, "%s: creating key '%s': %s", p->homedir, user_id,
				       gpgme_strerror(e));
	gpgme_genkey_result_t r = gpgme_op_genkey_result(p->ctx);
	if (!r || !fpr_copy(fpr, r->fpr))
		return ferry_error_set(err, "%s: creating key '%s': no fingerprint returned",
				       p->homedir, user_id);
	return true;
}

/* pgp_import and pgp_import_public: with_secret false never starts gpg-agent,
 * so secret key material has nowhere to go (the public part still lands). */
static bool import_keys(struct pgp *p, const void *data, size_t len, bool with_secret,
			char (*fprs)[PGP_FPR_LEN + 1], size_t max, size_t *n_out,
			struct ferry_error **err)
{
	gpgme_data_t d = NULL;
	gpgme_error_t e;
	bool ok = false;
	size_t n = 0;

	p->known_sub[0] = '\0';   /* the key ring changes: list keys again */
	if ((e = gpgme_data_new_from_mem(&d, data, len, 0))) {
		gpg_fail(err, e, "import");
		goto out;
	}
	if ((e = gpgme_op_import(p->ctx, d))) {
		gpg_fail(err, e, "import");
		goto out;
	}
	gpgme_import_result_t r = gpgme_op_import_result(p->ctx);
	if (with_secret && r && r->secret_read > 0 &&
	    r->secret_imported + r->secret_unchanged == 0 && !p->agent_launched) {
		/* secret keys go to gpg-agent, which gpg.conf does not autostart */
		if (!need_agent(p, err) || gpgme_data_seek(d, 0, SEEK_SET) != 0 ||
		    gpgme_op_import(p->ctx, d) != GPG_ERR_NO_ERROR) {
			ferry_error_set(err, "import: secret keys could not be imported");
			goto out;
		}
		r = gpgme_op_import_result(p->ctx);
	}
	if (!r || (r->considered == 0 && r->new_revocations == 0)) {
		ferry_error_set(err, "import: no OpenPGP key found in the data");
		goto out;
	}
	for (gpgme_import_status_t s = r->imports; s; s = s->next) {
		char f[PGP_FPR_LEN + 1];
		if (s->result || !fpr_copy(f, s->fpr))
			continue;
		bool seen = false;
		for (size_t i = 0; i < n && !seen; i++)
			seen = strcmp(fprs[i], f) == 0;
		if (!seen && n < max)
			memcpy(fprs[n++], f, sizeof(f));
	}
	if (r->not_imported > 0 && n == 0) {
		ferry_error_set(err, "import: %d of the %d keys found could not be imported",
				r->not_imported, r->considered);
		goto out;
	}
	ok = true;
out:
	if (n_out)
		*n_out = n;
	if (d)
		gpgme_data_release(d);
	return ok;
}

bool pgp_import(struct pgp *p, const void *data, size_t len, char (*fprs)[PGP_FPR_LEN + 1],
		size_t max, size_t *n_out, struct ferry_error **err)
{
	return import_keys(p, data, len, true, fprs, max, n_out, err);
}

bool pgp_import_public(struct pgp *p, const void *data, size_t len,
		       char (*fprs)[PGP_FPR_LEN + 1], size_t max, size_t *n_out,
		       struct ferry_error **err)
{
	if (p->agent_launched)   /* an agent would take secret keys: use a fresh home */
		return ferry_error_setc(err, FERRY_E_INTERNAL, "%s: public-only import into a home "
					"with a running gpg-agent", p->homedir);
	return import_keys(p, data, len, false, fprs, max, n_out, err);
}

bool pgp_import_file(struct pgp *p, const char *path, char (*fprs)[PGP_FPR_LEN + 1],
		     size_t max, size_t *n_out, struct ferry_error **err)
{
	char *data = NULL;
	size_t len = 0;
	bool ok = read_file_limited(path, 16 << 20, &data, &len, err) &&
		  pgp_import(p, data, len, fprs, max, n_out, err);
	if (!ok)
		ferry_error_prefix(err, "%s", path);
	free(data);
	return ok;
}

/* Copies a GPGME data buffer into malloc'd memory the caller frees with free(). */
static bool data_take(gpgme_data_t d, char **out, size_t *len, struct ferry_error **err)
{
	size_t n = 0;
	char *mem = gpgme_data_release_and_get_mem(d, &n);
	char *copy = malloc(n + 1);
	if (!copy) {
		gpgme_free(mem);
		return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
	}
	if (n)
		memcpy(copy, mem, n);
	copy[n] = '\0';
	gpgme_free(mem);
	*out = copy;
	*len = n;
	return true;
}

bool pgp_export_public(struct pgp *p, const char *fpr, bool armor, char **out, size_t *len,
		       struct ferry_error **err)
{
	gpgme_data_t d = NULL;
	gpgme_error_t e;
	bool ok = false;

	*out = NULL;
	*len = 0;
	if (!pgp_fpr_valid(fpr))
		return ferry_error_setc(err, FERRY_E_USAGE, "export: '%s' is not a 40-hex fingerprint", fpr);
	if ((e = gpgme_data_new(&d))) {
		gpg_fail(err, e, "export");
		goto out;
	}
	gpgme_set_armor(p->ctx, armor);
	e = gpgme_op_export(p->ctx, fpr, 0, d);
	gpgme_set_armor(p->ctx, 0);
	if (e) {
		ferry_error_set(err, "export %s: %s", fpr, gpgme_strerror(e));
		goto out;
	}
	ok = data_take(d, out, len, err);
	d = NULL;
	if (ok && *len == 0) {
		ok = false;
		free(*out);
		*out = NULL;
		ferry_error_set(err, "export %s: no such key in %s", fpr, p->homedir);
	}
out:
	if (d)
		gpgme_data_release(d);
	return ok;
}

bool pgp_has_secret_key(struct pgp *p, const char *fpr)
{
	gpgme_key_t key = NULL;
	if (!pgp_fpr_valid(fpr) || !need_agent(p, NULL) || gpgme_get_key(p->ctx, fpr, &key, 1) ||
	    !key)
		return false;
	gpgme_key_unref(key);
	return true;
}

bool pgp_sign_detached(struct pgp *p, const char *fpr, const void *data, size_t len,
		       void **sig, size_t *sig_len, struct ferry_error **err)
{
	gpgme_data_t in = NULL, outd = NULL;
	gpgme_error_t e;
	bool ok = false;

	*sig = NULL;
	*sig_len = 0;
	if (!pgp_fpr_valid(fpr))
		return ferry_error_setc(err, FERRY_E_USAGE, "sign: '%s' is not a 40-hex fingerprint", fpr);
	if (!need_agent(p, err))
		return false;
	if (!p->sign_key || !p->sign_key->subkeys || strcmp(p->sign_key->subkeys->fpr, fpr) != 0) {
		if (p->sign_key)
			gpgme_key_unref(p->sign_key);
		p->sign_key = NULL;
		if (gpgme_get_key(p->ctx, fpr, &p->sign_key, 1) != GPG_ERR_NO_ERROR || !p->sign_key) {
			p->sign_key = NULL;
			ferry_error_set(err, "sign: no secret key %s in %s", fpr, p->homedir);
			goto out;
		}
	}
	gpgme_signers_clear(p->ctx);
	if ((e = gpgme_signers_add(p->ctx, p->sign_key)) ||
	    (e = gpgme_data_new_from_mem(&in, data, len, 0)) || (e = gpgme_data_new(&outd))) {
		ferry_error_set(err, "sign with %s: %s", fpr, gpgme_strerror(e));
		goto out;
	}
	gpgme_set_armor(p->ctx, 0);
	gpgme_set_textmode(p->ctx, 0);
	e = gpgme_op_sign(p->ctx, in, outd, GPGME_SIG_MODE_DETACH);
	gpgme_signers_clear(p->ctx);
	if (e && pgp_passphrase_problem(e)) {
		ferry_error_setc(err, FERRY_E_CONFIG, "sign with %s: %s", fpr, pgp_passphrase_problem(e));
		goto out;
	}
	if (e) {
		ferry_error_set(err, "sign with %s: %s", fpr, gpgme_strerror(e));
		goto out;
	}
	gpgme_sign_result_t r = gpgme_op_sign_result(p->ctx);
	if (!r || r->invalid_signers || !r->signatures) {
		ferry_error_setc(err, FERRY_E_SIGNATURE,
				 "sign with %s: key unusable for signing (expired or revoked?)", fpr);
		goto out;
	}
	char *mem = NULL;
	ok = data_take(outd, &mem, sig_len, err);
	outd = NULL;
	*sig = mem;
out:
	if (outd)
		gpgme_data_release(outd);
	if (in)
		gpgme_data_release(in);
	return ok;
}

const char *pgp_sig_status_name(enum pgp_sig_status s)
{
	switch (s) {
	case PGP_SIG_VALID: return "valid";
	case PGP_SIG_BAD: return "bad";
	case PGP_SIG_UNKNOWN_KEY: return "unknown key";
	case PGP_SIG_EXPIRED_KEY: return "expired key";
	case PGP_SIG_REVOKED_KEY: return "revoked key";
	case PGP_SIG_EXPIRED_SIG: return "expired signature";
	case PGP_SIG_ERROR: return "error";
	}
	return "error";
}

static enum pgp_sig_status status_of(gpgme_error_t e)
{
	switch (gpgme_err_code(e)) {
	case GPG_ERR_NO_ERROR: return PGP_SIG_VALID;
	case GPG_ERR_BAD_SIGNATURE: return PGP_SIG_BAD;
	case GPG_ERR_NO_PUBKEY: return PGP_SIG_UNKNOWN_KEY;
	case GPG_ERR_KEY_EXPIRED: return PGP_SIG_EXPIRED_KEY;
	case GPG_ERR_CERT_REVOKED: return PGP_SIG_REVOKED_KEY;
	case GPG_ERR_SIG_EXPIRED: return PGP_SIG_EXPIRED_SIG;
	default: return PGP_SIG_ERROR;
	}
}

/* Replaces each signature's (sub)key fingerprint by its primary key's, with
 * one key listing for all of them. A valid signature whose key is not found
 * again, or whose fingerprint more than one key claims, is downgraded to an
 * error: only a fingerprint naming exactly one key of this keyring may count.
 * A single signature by the key the last listing mapped needs no listing. */
static void map_to_primary(struct pgp *p, struct pgp_signature *sigs, size_t n)
{
	const char **patterns = calloc(n + 1, sizeof(*patterns));
	char (*primary)[PGP_FPR_LEN + 1] = calloc(n, sizeof(*primary));
	unsigned *claims = calloc(n, sizeof(*claims));
	size_t np = 0;
	gpgme_key_t key;

	if (n == 1 && *p->known_sub && strcmp(sigs[0].fpr, p->known_sub) == 0) {
		memcpy(sigs[0].fpr, p->known_primary, PGP_FPR_LEN + 1);
		goto out;
	}
	for (size_t i = 0; patterns && i < n; i++)
		if (strlen(sigs[i].fpr) == PGP_FPR_LEN)
			patterns[np++] = sigs[i].fpr;
	if (np && primary && claims && gpgme_op_keylist_ext_start(p->ctx, patterns, 0, 0) == 0) {
		while (gpgme_op_keylist_next(p->ctx, &key) == 0) {
			for (gpgme_subkey_t sk = key->subkeys; sk; sk = sk->next)
				for (size_t i = 0; sk->fpr && i < n; i++)
					if (strcasecmp(sk->fpr, sigs[i].fpr) == 0 &&
					    fpr_copy(primary[i], key->subkeys->fpr))
						claims[i]++;
			gpgme_key_unref(key);
		}
		gpgme_op_keylist_end(p->ctx);
	}
	for (size_t i = 0; i < n; i++) {
		if (claims && claims[i] == 1 && n == 1) {
			memcpy(p->known_sub, sigs[i].fpr, PGP_FPR_LEN + 1);
			memcpy(p->known_primary, primary[i], PGP_FPR_LEN + 1);
		}
		if (claims && claims[i] == 1)
			memcpy(sigs[i].fpr, primary[i], PGP_FPR_LEN + 1);
		else if (sigs[i].status == PGP_SIG_VALID)
			sigs[i].status = PGP_SIG_ERROR;
	}
out:
	free(patterns);
	free(primary);
	free(claims);
}

bool pgp_verify_detached(struct pgp *p, const void *data, size_t len, const void *sig,
			 size_t sig_len, struct pgp_verify_result *out, struct ferry_error **err)
{
	gpgme_data_t sd = NULL, td = NULL;
	gpgme_error_t e;
	bool ok = false;

	memset(out, 0, sizeof(*out));
	if (sig_len == 0)
		return ferry_error_setc(err, FERRY_E_SIGNATURE, "verify: the signature is empty");
	if ((e = gpgme_data_new_from_mem(&sd, sig, sig_len, 0)) ||
	    (e = gpgme_data_new_from_mem(&td, data, len, 0))) {
		gpg_fail(err, e, "verify");
		goto out;
	}
	if ((e = gpgme_op_verify(p->ctx, sd, td, NULL))) {
		gpg_fail(err, e, "verify: malformed signature data");
		ferry_error_classify(err, FERRY_E_SIGNATURE);
		goto out;
	}
	gpgme_verify_result_t r = gpgme_op_verify_result(p->ctx);
	size_t n = 0;
	for (gpgme_signature_t s = r ? r->signatures : NULL; s; s = s->next)
		n++;
	if (n == 0) {
		ferry_error_setc(err, FERRY_E_SIGNATURE,
				 "verify: no OpenPGP signature found in the signature data");
		goto out;
	}
	out->sigs = calloc(n, sizeof(*out->sigs));
	if (!out->sigs) {
		ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
		goto out;
	}
	/* Copy the facts first: looking keys up may reuse GPGME's result memory. */
	for (gpgme_signature_t s = r->signatures; s; s = s->next) {
		struct pgp_signature *o = &out->sigs[out->n_sigs++];
		o->status = status_of(s->status);
		o->created = (time_t)s->timestamp;
		snprintf(o->fpr, sizeof(o->fpr), "%s", s->fpr ? s->fpr : "");
		for (char *c = o->fpr; *c; c++)
			if (*c >= 'a' && *c <= 'f')
				*c = (char)(*c - 'a' + 'A');
	}
	map_to_primary(p, out->sigs, out->n_sigs);
	ok = true;
out:
	if (!ok)
		pgp_verify_result_clear(out);
	if (sd)
		gpgme_data_release(sd);
	if (td)
		gpgme_data_release(td);
	return ok;
}

void pgp_verify_result_clear(struct pgp_verify_result *r)
{
	if (!r)
		return;
	free(r->sigs);
	r->sigs = NULL;
	r->n_sigs = 0;
}

bool pgp_set_passphrase_file(struct pgp *p, const char *file, struct ferry_error **err)
{
	if (access(file, R_OK) != 0)
		return ferry_error_errno(err, errno, "--passphrase-file %s", file);
	free(p->pass.file);
	if (!(p->pass.file = strdup(file)))
		return ferry_error_set(err, "out of memory");
	return true;
}

void pgp_protect_new_keys(struct pgp *p, bool on)
{
	p->protect = on;
}

bool pgp_check_signing_key(struct pgp *p, const char *fpr, size_t *sig_len,
			   struct ferry_error **err)
{
	static const char probe[] = "ferry: is this key usable for signing?";
	void *sig = NULL;
	size_t len = 0;
	bool ok = pgp_sign_detached(p, fpr, probe, sizeof(probe) - 1, &sig, &len, err);
	free(sig);
	if (ok && sig_len)
		*sig_len = len;
	return ok;
}
