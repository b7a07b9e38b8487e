/* pgp_fixture: see pgp_fixture.h. */
#include "pgp_fixture.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "testutil.h"
#include "common/safefile.h"

void pgp_home_setup(struct pgp_home *h)
{
	struct ferry_error *err = NULL;
	h->dir = test_tmpdir();
	h->pgp = NULL;
	if (!pgp_open(h->dir, &h->pgp, &err))
		fail_msg("%s", ferry_error_message(err));
}

void pgp_home_teardown(struct pgp_home *h)
{
	pgp_close(h->pgp);
	h->pgp = NULL;
	if (h->dir)
		pgp_kill_daemons(h->dir);
	test_tmpdir_remove(h->dir);
	h->dir = NULL;
}

int pgp_homes_setup(void **state)
{
	struct pgp_homes *hs = calloc(1, sizeof(*hs));
	if (!hs)
		return -1;
	for (int i = 0; i < PGP_HOMES; i++)
		pgp_home_setup(&hs->h[i]);
	*state = hs;
	return 0;
}

int pgp_homes_teardown(void **state)
{
	struct pgp_homes *hs = *state;
	for (int i = 0; hs && i < PGP_HOMES; i++)
		pgp_home_teardown(&hs->h[i]);
	free(hs);
	*state = NULL;
	return 0;
}

void pgp_home_key(struct pgp_home *h, const char *uid, char fpr[PGP_FPR_LEN + 1])
{
	struct ferry_error *err = NULL;
	if (!pgp_create_key(h->pgp, uid, 0, fpr, &err))
		fail_msg("%s", ferry_error_message(err));
}

void pgp_home_copy_public(struct pgp_home *from, struct pgp_home *to, const char *fpr)
{
	struct ferry_error *err = NULL;
	char *key = NULL;
	size_t len = 0, n = 0;
	char got[1][PGP_FPR_LEN + 1];
	if (!pgp_export_public(from->pgp, fpr, false, &key, &len, &err) ||
	    !pgp_import(to->pgp, key, len, got, 1, &n, &err))
		fail_msg("%s", ferry_error_message(err));
	free(key);
}

int pgp_home_gpg(const struct pgp_home *h, const char *fmt, ...)
{
	char *args = NULL, *cmd = NULL;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&args, fmt, ap);
	va_end(ap);
	/* ferry's gpg.conf says no-autostart: launch the agent gpg may need */
	if (r < 0 || asprintf(&cmd, "gpgconf --homedir '%s' --launch gpg-agent && "
			      "gpg --homedir '%s' --batch --quiet --no-tty "
			      "--pinentry-mode loopback --passphrase '' %s 2>/dev/null",
			      h->dir, h->dir, args) < 0)
		fail_msg("out of memory");
	int status = system(cmd);
	free(args);
	free(cmd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void pgp_home_fpr_of(const struct pgp_home *h, const char *uid, char fpr[PGP_FPR_LEN + 1])
{
	char *cmd = NULL, line[512];
	if (asprintf(&cmd, "gpg --homedir '%s' --batch --with-colons --list-keys '%s' 2>/dev/null",
		     h->dir, uid) < 0)
		fail_msg("out of memory");
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	fpr[0] = '\0';
	while (fgets(line, sizeof(line), f))
		if (!fpr[0] && strncmp(line, "fpr:::::::::", 12) == 0)
			snprintf(fpr, PGP_FPR_LEN + 1, "%s", line + 12);
	pclose(f);
	free(cmd);
	assert_true(pgp_fpr_valid(fpr));
}

void pgp_home_revoke(struct pgp_home *h, const char *fpr)
{
	/* the certificate's armor line is guarded by a ':' against accidental import */
	char *path = NULL, *rev = NULL, got[1][PGP_FPR_LEN + 1];
	size_t len = 0, n = 0;
	struct ferry_error *err = NULL;
	assert_true(asprintf(&path, "%s/openpgp-revocs.d/%s.rev", h->dir, fpr) > 0);
	assert_ok(read_file_limited(path, 65536, &rev, &len, &err), err);
	char *guard = strstr(rev, ":-----BEGIN");
	assert_non_null(guard);
	memmove(guard, guard + 1, strlen(guard));
	assert_ok(pgp_import(h->pgp, rev, len - 1, got, 1, &n, &err), err);
	free(rev);
	free(path);
}
