/* pgp_passphrase: see pgp_passphrase.h. */
#include "pgp_passphrase.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define PASSPHRASE_MAX 1024

static bool write_all_fd(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		s += w;
		n -= (size_t)w;
	}
	return true;
}

/* The first line of pp->file (without its newline). */
static bool read_file_once(struct pgp_passphrase *pp)
{
	if (pp->text)
		return true;
	FILE *f = fopen(pp->file, "re");
	char *buf = calloc(1, PASSPHRASE_MAX + 2);
	if (!f || !buf || !fgets(buf, PASSPHRASE_MAX + 2, f)) {
		if (f)
			fclose(f);
		free(buf);
		return false;
	}
	fclose(f);
	buf[strcspn(buf, "\r\n")] = '\0';
	pp->text = buf;
	return true;
}

/* Asks on the controlling terminal, echo off; the line into buf. */
static bool ask_terminal(const char *uid_hint, char *buf, size_t cap)
{
	int tty = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	struct termios old, quiet;
	bool ok = false;
	if (tty < 0)
		return false;
	char prompt[512];
	snprintf(prompt, sizeof(prompt), "Passphrase for %s: ", uid_hint ? uid_hint : "the signing key");
	if (tcgetattr(tty, &old) == 0 && write_all_fd(tty, prompt, strlen(prompt))) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(tty, TCSAFLUSH, &quiet);
		ssize_t n = read(tty, buf, cap - 1);
		tcsetattr(tty, TCSAFLUSH, &old);
		(void)write_all_fd(tty, "\n", 1);
		if (n > 0) {
			buf[n] = '\0';
			buf[strcspn(buf, "\r\n")] = '\0';
			ok = true;
		}
	}
	close(tty);
	return ok;
}

gpgme_error_t pgp_passphrase_cb(void *hook, const char *uid_hint, const char *info, int prev_was_bad,
				int fd)
{
	(void)info;
	struct pgp_passphrase *pp = hook;
	char buf[PASSPHRASE_MAX + 2];
	const char *pw = NULL;
	if (pp->file) {
		if (prev_was_bad || !read_file_once(pp))
			return gpg_error(prev_was_bad ? GPG_ERR_BAD_PASSPHRASE : GPG_ERR_NO_PASSPHRASE);
		pw = pp->text;
	} else {
		if (pp->asked >= 3 || !ask_terminal(uid_hint, buf, sizeof(buf)))
			return gpg_error(pp->asked ? GPG_ERR_BAD_PASSPHRASE : GPG_ERR_NO_PASSPHRASE);
		pp->asked++;
		pw = buf;
	}
	bool ok = write_all_fd(fd, pw, strlen(pw)) && write_all_fd(fd, "\n", 1);
	explicit_bzero(buf, sizeof(buf));
	return ok ? 0 : gpg_error(GPG_ERR_CANCELED);
}

void pgp_passphrase_clear(struct pgp_passphrase *pp)
{
	if (pp->text)
		explicit_bzero(pp->text, strlen(pp->text));
	free(pp->text);
	free(pp->file);
	pp->text = pp->file = NULL;
	pp->asked = 0;
}

const char *pgp_passphrase_problem(gpgme_error_t e)
{
	switch (gpg_err_code(e)) {
	case GPG_ERR_BAD_PASSPHRASE:
		return "wrong passphrase";
	case GPG_ERR_NO_PASSPHRASE: case GPG_ERR_CANCELED: case GPG_ERR_NO_PIN_ENTRY:
	case GPG_ERR_NO_PIN: case GPG_ERR_GENERAL:
		return "the key is protected by a passphrase and none was given (--passphrase-file FILE, "
		       "or run on a terminal)";
	default:
		return NULL;
	}
}
