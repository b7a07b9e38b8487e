/* cli: shared option handling and resources of ferry-audit's subcommands. */
#include "audit/cli.h"

#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/log.h"
#include "common/rfc3339.h"
#include "common/safefile.h"
#include "common/stick.h"

bool cli_common_option(struct audit_cli *cli, int opt, const char *arg)
{
	switch (opt) {
	case OPT_DB: cli->db_path = arg; return true;
	case OPT_HOMEDIR: cli->homedir = arg; return true;
	case OPT_JSON: cli->json = true; return true;
	case 'q': case OPT_QUIET:   /* as common/cli means them */
		cli->quiet = true;
		log_set_level(cli_log_level(-1));
		return true;
	case 'v': case OPT_VERBOSE:
		cli->verbose++;
		log_set_level(cli_log_level(cli->verbose));
		return true;
	default: return false;
	}
}

int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts)
{
	return getopt_long(argc, argv, shortopts, longopts, NULL);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "ferry-audit: %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see ferry-audit --help)\n");
	return EXIT_USAGE;
}

bool cli_open_db(struct audit_cli *cli, struct audit_db **db, struct ferry_error **err)
{
	return audit_db_open(cli->db_path, db, err);
}

const char *cli_homedir(struct audit_cli *cli)
{
	if (cli->homedir)
		return cli->homedir;
	const char *path = cli->db_path;
	if (strncmp(path, "sqlite:", 7) == 0)
		path += 7;
	if (strncmp(path, "postgresql:", 11) == 0) {
		cli->homedir = "gnupg";   /* a server database: no folder beside it */
		return cli->homedir;
	}
	char *copy = strdup(path);
	if (!copy || asprintf(&cli->homedir_owned, "%s/gnupg", dirname(copy)) < 0)
		cli->homedir_owned = NULL;
	free(copy);
	cli->homedir = cli->homedir_owned ? cli->homedir_owned : "gnupg";
	return cli->homedir;
}

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool cli_stick_root(const char *media_dir, char **root, struct ferry_error **err)
{
	char *ferry = NULL, *audit = NULL;
	*root = NULL;
	if (!is_dir(media_dir))
		return ferry_error_set(err, "%s: not a directory", media_dir);
	if (!path_join(media_dir, STICK_DIR, &ferry, err) ||
	    !path_join(media_dir, STICK_AUDIT_DIR, &audit, err))
		goto out;
	if (!is_dir(ferry) && is_dir(audit))
		*root = strdup(media_dir);
	else
		*root = strdup(ferry);
	if (!*root)
		ferry_error_set(err, "out of memory");
out:
	free(ferry);
	free(audit);
	return *root != NULL;
}

void cli_now(char out[32])
{
	rfc3339_format_utc((int64_t)time(NULL), out);
}
