/* cmd_fleet: `ferry-audit fleet -o FLEET.json`: the registry as the fleet
 * file `ferry-pack simulate --fleet` reads (written by common/fleet.c, the
 * one writer of its one parser), so the workstation simulates a rollout
 * against what HQ last heard from each device. Also turns a device row into
 * the fleet's structured form for `devices --json`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/cli.h"
#include "common/json.h"

/* "a, b, c" (the database's lists) as a NULL-terminated vector of its words
 * (split at commas and spaces: "name version, name version" gives four). */
static char **split_list(const char *list)
{
	size_t n = 1;
	for (const char *c = list; c && *c; c++)
		n += *c == ',' || *c == ' ';
	char **v = calloc(n + 1, sizeof(*v)), *copy = list ? strdup(list) : NULL, *save = NULL;
	size_t i = 0;
	if (!v || (list && !copy)) {
		free(copy);
		free(v);
		return NULL;
	}
	for (char *tok = copy ? strtok_r(copy, ", ", &save) : NULL; tok; tok = strtok_r(NULL, ", ", &save))
		v[i++] = strdup(tok);
	free(copy);
	return v;
}

bool audit_device_to_fleet(const struct audit_device *a, struct fleet_device *out,
			   struct ferry_error **err)
{
	/* installed is "name version, name version": tokens in pairs */
	char **words = split_list(a->installed);
	size_t n = strv_len(words);
	memset(out, 0, sizeof(*out));
	out->id = strdup(a->id);
	out->type = a->type ? strdup(a->type) : NULL;
	out->hw_revision = a->hw_revision;
	out->security_version = a->security_version > 0 ? a->security_version : 0;
	out->groups = split_list(a->groups);
	out->installed = calloc(n / 2 + 1, sizeof(*out->installed));
	if (!words || !out->id || (a->type && !out->type) || !out->groups || !out->installed) {
		strv_free(words);
		fleet_device_clear(out);
		return ferry_error_set(err, "out of memory");
	}
	for (size_t i = 0; i + 1 < n; i += 2) {
		out->installed[out->n_installed].name = words[i];
		out->installed[out->n_installed++].version = words[i + 1];
		words[i] = words[i + 1] = NULL;
	}
	strv_free(words);
	return true;
}

struct fleet_collect {
	struct fleet fleet;
	size_t cap, unknown;
	struct ferry_error *oom;
};

static bool collect(const struct audit_device *a, void *ctx, struct ferry_error **err)
{
	struct fleet_collect *c = ctx;
	if (!a->type) {   /* no inventory yet: simulate cannot judge it */
		c->unknown++;
		return true;
	}
	if (c->fleet.n_devices == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 64;
		struct fleet_device *d = realloc(c->fleet.devices, cap * sizeof(*d));
		if (!d)
			return ferry_error_set(err, "out of memory");
		c->fleet.devices = d;
		c->cap = cap;
	}
	struct fleet_device *d = &c->fleet.devices[c->fleet.n_devices];
	if (!audit_device_to_fleet(a, d, err))
		return false;
	c->fleet.n_devices++;
	return true;
}

static void collect_free(struct fleet_collect *c)
{
	for (size_t i = 0; i < c->fleet.n_devices; i++)
		fleet_device_clear(&c->fleet.devices[i]);
	free(c->fleet.devices);
}

int cmd_fleet(struct audit_cli *cli, int argc, char **argv, struct ferry_error **err)
{
	static const struct option opts[] = { CLI_COMMON_LONG_OPTS, { "output", required_argument, NULL, 'o' },
					      { 0 } };
	struct audit_db *db = NULL;
	struct fleet_collect c = { 0 };
	const char *out_path = NULL;
	int opt, rc = EXIT_REFUSED;
	while ((opt = cli_getopt(argc, argv, "vqo:", opts)) != -1)
		if (opt == 'o')
			out_path = optarg;
		else if (!cli_common_option(cli, opt, optarg))
			return cli_usage_error("fleet", "unknown option");
	if (optind != argc || !out_path)
		return cli_usage_error("fleet", "needs -o FLEET.json and no arguments");
	if (!cli_open_db(cli, &db, err))
		return EXIT_USAGE;
	if (!audit_db_device_list(db, collect, &c, err) || !fleet_write(out_path, &c.fleet, err))
		goto out;
	if (cli->json)
		printf("{\"fleet\": \"%s\", \"devices\": %zu, \"without_inventory\": %zu}\n", out_path,
		       c.fleet.n_devices, c.unknown);
	else if (!cli->quiet)
		printf("%s: %zu device(s)%s\n", out_path, c.fleet.n_devices,
		       c.unknown ? ", leaving out those that never sent an inventory:" : "");
	if (c.unknown && !cli->json && !cli->quiet)
		printf("  %zu registered device(s) without type or versions yet\n", c.unknown);
	rc = 0;
out:
	collect_free(&c);
	audit_db_close(db);
	return rc;
}
