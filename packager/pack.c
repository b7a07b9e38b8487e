/* pack: see pack.h. */
#include "packager/pack.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <sys/stat.h>

#include "common/cli.h"
#include "common/json.h"
#include "common/pgp.h"
#include "common/safefile.h"

bool pack_common_option(struct pack_opts *o, int c, const char *arg)
{
	switch (c) {
	case 'q':
		o->quiet = true;
		log_set_level(cli_log_level(-1));
		return true;
	case 'v':
		o->verbose++;
		log_set_level(cli_log_level(o->verbose));
		return true;
	case PACK_OPT_JSON: o->json = true; return true;
	case PACK_OPT_HOMEDIR: o->homedir = arg; return true;
	case PACK_OPT_KEYS: o->keys = arg; return true;
	case PACK_OPT_PASSPHRASE_FILE: o->passphrase_file = arg; return true;
	}
	return false;
}

int pack_usage(const char *usage, struct ferry_error **err)
{
	ferry_error_setc(err, FERRY_E_USAGE, "usage: ferry-pack %s", usage);
	return CLI_EXIT_USAGE;
}

void pack_getopt_reset(void)
{
	optind = 0;   /* 0: glibc forgets the previous scan (the "+" of main) */
	opterr = 1;
}

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* DIR/gnupg of the ferry-keys directory dir (which must hold one). */
static bool keys_gnupg(const char *dir, const char *from, char **out, struct ferry_error **err)
{
	if (asprintf(out, "%s/gnupg", dir) < 0)
		return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
	if (is_dir(*out))
		return true;
	free(*out);
	*out = NULL;
	return ferry_error_setc(err, FERRY_E_CONFIG, "%s %s: not a ferry-keys directory (no gnupg/): make "
				"one with ferry-keys --keys %s init, or name a GnuPG home with --homedir",
				from, dir, dir);
}

/* --homedir names a GnuPG home: a ferry-keys directory there is a mistake
 * worth naming (its keys are in DIR/gnupg). */
static bool homedir_not_keys(const char *dir, struct ferry_error **err)
{
	char *g = NULL, *draft = NULL;
	bool keys = asprintf(&g, "%s/gnupg", dir) > 0 && asprintf(&draft, "%s/draft.json", dir) > 0 &&
		    is_dir(g) && access(draft, F_OK) == 0;
	free(g);
	free(draft);
	if (keys)
		return ferry_error_setc(err, FERRY_E_USAGE, "--homedir %s is a ferry-keys directory: use --keys %s",
					dir, dir);
	return true;
}

bool pack_homedir(const struct pack_opts *o, char **out, struct ferry_error **err)
{
	char *dir = NULL;
	const char *env = getenv("FERRY_PACK_HOME"), *keys = getenv("FERRY_KEYS_HOME"), *home = getenv("HOME");
	*out = NULL;
	if (o->homedir)
		dir = homedir_not_keys(o->homedir, err) ? strdup(o->homedir) : NULL;
	else if (o->keys)
		return keys_gnupg(o->keys, "--keys", out, err);
	else if (env && *env)
		dir = strdup(env);
	else if (keys && *keys)
		return keys_gnupg(keys, "$FERRY_KEYS_HOME", out, err);
	else if (!home || !*home)
		return ferry_error_set(err, "no --keys, --homedir, $FERRY_KEYS_HOME, $FERRY_PACK_HOME or $HOME");
	else if (asprintf(&dir, "%s/.config/ferry/keys/gnupg", home) > 0 && is_dir(dir)) {
		*out = dir;   /* ferry-keys' default directory, once initialised */
		return true;
	} else if (free(dir), asprintf(&dir, "%s/.config/ferry/pack", home) < 0)
		dir = NULL;
	if (!dir)
		return *err ? false : ferry_error_set(err, "out of memory");
	if (!mkdir_p(dir, 0700, err)) {
		free(dir);
		return false;
	}
	*out = dir;
	return true;
}

bool pack_open_signers(const struct pack_opts *o, const char *const *fprs, size_t n, const char *opt,
		       char **home, struct pgp **pgp, size_t *sig_bytes, struct ferry_error **err)
{
	if (sig_bytes)
		*sig_bytes = 0;
	if (!pack_homedir(o, home, err) || !pgp_open(*home, pgp, err) ||
	    (o->passphrase_file && !pgp_set_passphrase_file(*pgp, o->passphrase_file, err)))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!pgp_has_secret_key(*pgp, fprs[i]))
			return ferry_error_setc(err, FERRY_E_CONFIG, "%s %s: no secret key in %s", opt, fprs[i], *home);
		size_t len = 0;
		if (!pgp_check_signing_key(*pgp, fprs[i], &len, err)) {
			ferry_error_prefix(err, "%s %s: the key cannot sign, nothing was packed", opt, fprs[i]);
			return false;
		}
		if (sig_bytes)
			*sig_bytes += len;
	}
	return true;
}

bool pack_tmp_home(char **out, struct ferry_error **err)
{
	char *dir = strdup("/tmp/ferry-pack.XXXXXX");
	if (!dir)
		return ferry_error_set(err, "out of memory");
	if (!mkdtemp(dir)) {
		free(dir);
		return ferry_error_errno(err, errno, "cannot create a temporary GnuPG home");
	}
	*out = dir;
	return true;
}

void pack_tmp_home_remove(char *dir)
{
	if (!dir)
		return;
	pgp_kill_daemons(dir);
	remove_tree(dir, NULL);
	free(dir);
}

const char *pack_human_size(unsigned long long bytes, char buf[32])
{
	if (bytes < 1024)
		snprintf(buf, 32, "%llu B", bytes);
	else if (bytes < 1024 * 1024)
		snprintf(buf, 32, "%.1f KiB", (double)bytes / 1024);
	else if (bytes < 1024ull * 1024 * 1024)
		snprintf(buf, 32, "%.1f MiB", (double)bytes / (1024 * 1024));
	else
		snprintf(buf, 32, "%.2f GiB", (double)bytes / (1024.0 * 1024 * 1024));
	return buf;
}

void pack_print_json(json_t *v)
{
	cli_print_json(v);
}
