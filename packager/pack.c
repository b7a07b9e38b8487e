/* pack: see pack.h. */
#include "packager/pack.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	}
	return false;
}

int pack_usage(const char *usage, struct ferry_error **err)
{
	ferry_error_setc(err, FERRY_E_USAGE, "usage: ferry-pack %s", usage);
	return PACK_USAGE;
}

void pack_getopt_reset(void)
{
	optind = 0;   /* 0: glibc forgets the previous scan (the "+" of main) */
	opterr = 1;
}

bool pack_homedir(const struct pack_opts *o, char **out, struct ferry_error **err)
{
	char *dir = NULL;
	const char *env = getenv("FERRY_PACK_HOME"), *home = getenv("HOME");
	if (o->homedir)
		dir = strdup(o->homedir);
	else if (env && *env)
		dir = strdup(env);
	else if (home && *home) {
		if (asprintf(&dir, "%s/.config/ferry/pack", home) < 0)
			dir = NULL;
	} else
		return ferry_error_set(err, "no --homedir, $FERRY_PACK_HOME or $HOME");
	if (!dir)
		return ferry_error_set(err, "out of memory");
	if (!mkdir_p(dir, 0700, err)) {
		free(dir);
		return false;
	}
	*out = dir;
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
