/* cmd_import: `ferry-audit import MEDIA_DIR...`: every ferry/audit/<device>/
 * folder on each stick, export files in seq order, then the inventory.
 * A refused file never stops the others; every file looked at goes into the
 * import journal with its outcome. Exit 1 when anything was refused. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit/cli.h"
#include "audit/ingest.h"
#include "audit/verify_pool.h"
#include "common/auditlog.h"
#include "common/json.h"
#include "common/log.h"
#include "common/pgp.h"
#include "common/safefile.h"
#include "common/stick.h"

/* What the run had counted when the batch began: a failed commit takes back
 * what the batch held. */
struct import_batch {
	size_t imported, unchanged;
	int64_t records_new, records_known;
};

struct import_run {
	struct audit_cli *cli;
	struct audit_db *db;
	struct pgp *pgp;
	struct verify_pool *pool;   /* the export files of the stick being imported */
	char now[32];
	const char *media_dir;
	char *media_label;
	size_t files_total, files_done;
	int64_t records_new, records_known;
	size_t imported, unchanged, refused;
	bool progress;
	json_t *json_files;
	int64_t batch_records;      /* commit after this many (--batch) */
	/* where the time went (-v): waiting for verified files, storing, commits */
	double wait_s, store_s, commit_s;
	struct import_batch batch;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct export_file {
	char *name;
	uint64_t first;
};

static int export_cmp(const void *a, const void *b)
{
	const struct export_file *x = a, *y = b;
	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	return strcmp(x->name, y->name);
}

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The reason without the stick's mount path: messages from the verifiers
 * start with the full path of the file, which rel already names. */
static const char *short_reason(const char *msg, const char *rel)
{
	const char *at = strstr(msg, rel);
	if (!at || memchr(msg, ' ', (size_t)(at - msg)))
		return msg;
	at += strlen(rel);
	return strncmp(at, ": ", 2) == 0 ? at + 2 : msg;
}

/* Journals one file's outcome and tells the operator. */
static void outcome(struct import_run *run, const char *device, const char *rel,
		    const char *what, const struct ingest_result *res, const struct ferry_error *why)
{
	struct ferry_error *err = NULL;
	const char *reason = why ? short_reason(ferry_error_message(why), rel) : NULL;
	struct audit_import imp = {
		.time = run->now, .media_dir = run->media_dir, .media_label = run->media_label,
		.media_serial = res && *res->media_serial ? res->media_serial : NULL,
		.device = device, .file = rel, .records_new = res ? res->records_new : 0,
		.records_known = res ? res->records_known : 0, .outcome = what,
		.reason = reason,
	};
	if (!audit_db_import_log(run->db, &imp, &err)) {
		log_error("%s", ferry_error_message(err));
		ferry_error_free(err);
	}
	if (run->progress)
		fputs("\r\033[K", stderr);
	if (strcmp(what, "refused") == 0) {
		run->refused++;
		if (!run->cli->json)
			fprintf(stderr, "refused: %s: %s\n", rel, reason);
	} else if (strcmp(what, "imported") == 0) {
		run->imported++;
		log_info("imported: %s: %lld new records", rel, (long long)imp.records_new);
	} else {
		run->unchanged++;
		log_info("unchanged: %s: imported before", rel);
	}
	if (run->json_files) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:I}", "file", rel, "device", device,
				      "outcome", what, "records_new", (json_int_t)imp.records_new,
				      "records_known", (json_int_t)imp.records_known);
		if (o && reason)
			json_object_set_new(o, "reason", json_string(reason));
		json_array_append_new(run->json_files, o);
	}
}

static void progress(struct import_run *run, const char *rel)
{
	run->files_done++;
	if (run->progress)
		fprintf(stderr, "\r\033[Kimporting [%zu/%zu] %s", run->files_done, run->files_total, rel);
}

/* The files of a stick share one transaction per batch (each file in its
 * own savepoint): an import pays one commit per batch, not one per file. A
 * batch is committed after this many records (about 1.5 s of storing here:
 * other stations never wait long; fewer, larger batches write the pages of
 * the time index, where every batch lands all over, fewer times), and at
 * the end of the stick. */
#define IMPORT_BATCH_RECORDS 200000
/* How many device folders import plans (lists, queues) ahead of the one it stores. */
#define IMPORT_DEVICES_AHEAD 8

static void batch_begin(struct import_run *run)
{
	struct ferry_error *err = NULL;
	if (audit_db_in_batch(run->db))
		return;
	/* Without a batch every file is its own transaction: slower, as safe. */
	if (!audit_db_batch_begin(run->db, &err))
		log_error("%s", ferry_error_message(err));
	ferry_error_free(err);
	run->batch = (struct import_batch){ run->imported, run->unchanged, run->records_new,
					    run->records_known };
}

static void batch_commit(struct import_run *run)
{
	struct ferry_error *err = NULL;
	double t0 = now_s();
	bool ok = audit_db_batch_commit(run->db, &err);
	run->commit_s += now_s() - t0;
	if (!ok) {
		size_t lost = run->imported - run->batch.imported + run->unchanged - run->batch.unchanged;
		fprintf(stderr, "ferry-audit: import: %zu files not imported: %s\n", lost,
			ferry_error_message(err));
		run->refused += lost;
		run->imported = run->batch.imported;
		run->unchanged = run->batch.unchanged;
		run->records_new = run->batch.records_new;
		run->records_known = run->batch.records_known;
	}
	ferry_error_free(err);
}

/* A stick's batches are one bulk import (audit_db_bulk): a failure to start
 * one leaves the connection as it was (each batch commit then durable). */
static void bulk_begin(struct import_run *run)
{
	struct ferry_error *err = NULL;
	if (!audit_db_bulk(run->db, true, &err))
		log_warn("%s", ferry_error_message(err));
	ferry_error_free(err);
}

/* Ends the bulk import: only then is what it stored durable (an error is the
 * stick's, or logged when the stick has one already). */
static bool bulk_end(struct import_run *run, struct ferry_error **err)
{
	struct ferry_error *mine = NULL;
	double t0 = now_s();
	bool ok = audit_db_bulk(run->db, false, err ? err : &mine);
	run->commit_s += now_s() - t0;
	if (mine)
		log_error("%s", ferry_error_message(mine));
	ferry_error_free(mine);
	return ok;
}

static void import_export(struct import_run *run, const struct audit_device *dev,
			  const struct stick_dir *sd, const char *name, const char *rel)
{
	struct ferry_error *err = NULL;
	struct ingest_result res;
	struct ingest_export x = { 0 };
	char *path = NULL;
	progress(run, rel);
	double t0 = now_s();
	bool ok = stick_dir_file(sd, name, &path, &err) && verify_pool_take(run->pool, path, &x, &err);
	double t1 = now_s();
	ok = ok && ingest_export_store(run->db, dev, &x, &res, &err);
	run->wait_s += t1 - t0;
	run->store_s += now_s() - t1;
	if (!ok) {
		outcome(run, dev->id, rel, "refused", NULL, err);
	} else {
		outcome(run, dev->id, rel, res.records_new ? "imported" : "unchanged", &res, NULL);
		run->records_new += res.records_new;
		run->records_known += res.records_known;
	}
	if (run->records_new + run->records_known - run->batch.records_new -
	    run->batch.records_known >= run->batch_records) {
		batch_commit(run);
		batch_begin(run);
	}
	ingest_export_clear(&x);
	ferry_error_free(err);
	free(path);
}

static void import_inventory(struct import_run *run, const struct audit_device *dev,
			     const struct stick_dir *sd, const char *rel)
{
	struct ferry_error *err = NULL;
	char *path = NULL;
	bool applied = false;
	if (!stick_dir_file(sd, STICK_INVENTORY, &path, &err) ||
	    !ingest_inventory(run->db, run->pgp, dev, sd->fd, path, run->now, &applied, &err))
		outcome(run, dev->id, rel, "refused", NULL, err);
	else
		outcome(run, dev->id, rel, applied ? "imported" : "unchanged", NULL, NULL);
	ferry_error_free(err);
	free(path);
}

/* Export files of a device folder, sorted by first seq; names that are not
 * export names are refused right away (they may hide another device's records). */
static struct export_file *list_exports(struct import_run *run, const char *device,
					const struct stick_dir *sd, size_t *n_out, bool *has_inventory)
{
	DIR *d = stick_dir_list(sd);
	struct dirent *e;
	struct export_file *files = NULL;
	size_t n = 0, cap = 0;
	*has_inventory = false;
	while (d && (e = readdir(d))) {
		char dev_of_name[AUDITLOG_DEVICE_ID_MAX + 1], *rel = NULL;
		uint64_t first, last;
		struct ferry_error *err = NULL;
		if (strcmp(e->d_name, STICK_INVENTORY) == 0)
			*has_inventory = true;
		if (!ends_with(e->d_name, ".jsonl"))
			continue;
		if (!auditlog_export_name_parse(e->d_name, dev_of_name, &first, &last, &err)) {
			if (asprintf(&rel, STICK_AUDIT_DIR "/%s/%s", device, e->d_name) >= 0)
				outcome(run, device, rel, "refused", NULL, err);
			free(rel);
			ferry_error_free(err);
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			struct export_file *grown = realloc(files, cap * sizeof(*files));
			if (!grown)
				break;
			files = grown;
		}
		files[n].name = strdup(e->d_name);
		files[n++].first = first;
	}
	if (d)
		closedir(d);
	if (n)
		qsort(files, n, sizeof(*files), export_cmp);
	*n_out = n;
	return files;
}

/* The failure logs beside a registered device's exports (after its records:
 * each is checked against the record that names it). */
static void import_failure_logs(struct import_run *run, const struct audit_device *dev,
				const char *root)
{
	struct stick_dir sd;
	struct ferry_error *err = NULL;
	if (!stick_dir_open(root, STICK_DEVICE_LOGS, dev->id, false, &sd, &err) || sd.fd < 0) {
		if (err)
			outcome(run, dev->id, STICK_AUDIT_DIR "/" STICK_LOGS_DIR, "refused", NULL, err);
		ferry_error_free(err);
		stick_dir_close(&sd);
		return;
	}
	DIR *d = stick_dir_list(&sd);
	for (struct dirent *e; d && (e = readdir(d));) {
		uint64_t seq = 0;
		char *rel = NULL, *path = NULL;
		bool applied = false;
		if (e->d_name[0] == '.' || ends_with(e->d_name, ".sig") ||
		    asprintf(&rel, STICK_AUDIT_DIR "/%s/" STICK_LOGS_DIR "/%s", dev->id, e->d_name) < 0)
			continue;
		if (!stick_log_name_parse(e->d_name, &seq))
			ferry_error_setc(&err, FERRY_E_FORMAT, "%s: not a failure log name (<seq>.zst)", rel);
		else if (stick_dir_file(&sd, e->d_name, &path, &err))
			ingest_failure_log(run->db, run->pgp, dev, sd.fd, path, (int64_t)seq, run->now,
					   &applied, &err);
		outcome(run, dev->id, rel, err ? "refused" : applied ? "imported" : "unchanged", NULL, err);
		ferry_error_clear(&err);
		free(path);
		free(rel);
	}
	if (d)
		closedir(d);
	stick_dir_close(&sd);
}

static void refuse_unknown(struct import_run *run, const char *device, const char *rel)
{
	struct ferry_error *why = NULL;
	ferry_error_set(&why, "unknown device '%s': not registered (ferry-audit register)", device);
	outcome(run, device, rel, "refused", NULL, why);
	ferry_error_free(why);
}

/* One device folder of a stick: what import found there before the files
 * are verified (ahead, by the pool) and stored (in order). */
struct device_work {
	const char *name;
	struct stick_dir sd;   /* kept open: every file is opened through its fd */
	struct export_file *files;
	size_t n;
	bool has_inventory, found;
	struct audit_device dev;
};

static void device_work_clear(struct device_work *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->files[i].name);
	free(w->files);
	audit_device_clear(&w->dev);
	stick_dir_close(&w->sd);
	memset(w, 0, sizeof(*w));
	w->sd.fd = -1;
}

/* Lists the device's export files and looks it up; registered, its files go
 * to the verification pool. A folder that cannot be read is counted and
 * skipped (w->name NULL); false only when the pool could not take a file
 * (out of memory: the stick stops, its pool is dropped). */
static bool plan_device(struct import_run *run, const char *root, const char *device,
			struct device_work *w, struct ferry_error **fatal)
{
	struct ferry_error *err = NULL;
	char *path = NULL;
	bool ok = true;
	w->name = device;
	if (!stick_dir_open(root, STICK_DEVICE_AUDIT, device, false, &w->sd, &err))
		goto out;
	w->files = list_exports(run, device, &w->sd, &w->n, &w->has_inventory);
	if (!audit_db_device_get(run->db, device, &w->dev, &w->found, &err))
		goto out;
	for (size_t i = 0; w->found && ok && i < w->n; i++) {
		free(path);
		ok = stick_dir_file(&w->sd, w->files[i].name, &path, fatal) &&
		     verify_pool_add(run->pool, &w->dev, w->sd.fd, path, fatal);
	}
out:
	free(path);
	if (err) {
		log_error("%s: %s", device, ferry_error_message(err));
		run->refused++;
		ferry_error_free(err);
		device_work_clear(w);
	}
	return ok;
}

static void import_device(struct import_run *run, const char *root, struct device_work *w)
{
	char *rel = NULL;
	for (size_t i = 0; i < w->n; i++) {
		free(rel);
		rel = NULL;
		if (asprintf(&rel, STICK_AUDIT_DIR "/%s/%s", w->name, w->files[i].name) < 0)
			break;
		if (w->found) {
			import_export(run, &w->dev, &w->sd, w->files[i].name, rel);
			continue;
		}
		progress(run, rel);
		refuse_unknown(run, w->name, rel);
	}
	free(rel);
	rel = NULL;
	if (w->has_inventory && asprintf(&rel, STICK_AUDIT_DIR "/%s/" STICK_INVENTORY, w->name) < 0)
		rel = NULL;
	if (w->found)
		import_failure_logs(run, &w->dev, root);
	if (rel && w->found) {
		import_inventory(run, &w->dev, &w->sd, rel);
	} else if (rel) {
		refuse_unknown(run, w->name, rel);
	}
	free(rel);
}

/* The stick's label from its (unsigned, informational) MEDIA.json. */
static char *media_label(const char *root)
{
	char *label = NULL, *data = NULL;
	size_t len = 0;
	json_t *media = NULL;
	struct stick_dir td = { .fd = -1 };
	if (stick_dir_open(root, STICK_TOP, NULL, false, &td, NULL) &&
	    read_file_at(td.fd, STICK_INDEX, STICK_INDEX, STICK_INDEX_MAX, &data, &len, NULL) &&
	    json_parse_strict(data, len, STICK_INDEX, &media, NULL)) {
		const char *l = json_string_value(json_object_get(media, "label"));
		label = l ? strdup(l) : NULL;
	}
	json_decref(media);
	stick_dir_close(&td);
	free(data);
	return label;
}

/* The device folders of one stick, sorted (see cli_stick_root for *root). */
static bool stick_devices(const char *media_dir, char **root, char **audit_dir,
			  struct dirent ***list, int *n, struct ferry_error **err)
{
	struct stick_dir d;
	*n = 0;
	if (!cli_stick_root(media_dir, root, err) ||
	    !stick_dir_open(*root, STICK_AUDIT, NULL, false, &d, err))
		return false;
	*audit_dir = d.path;
	d.path = NULL;
	bool absent = d.fd < 0;
	stick_dir_close(&d);
	if (absent)
		return true;   /* a stick no device wrote to: nothing to import */
	*n = scandir(*audit_dir, list, NULL, alphasort);
	if (*n < 0)
		return ferry_error_errno(err, errno, "%s", *audit_dir);
	return true;
}

/* A device folder's name, or NULL (refused when not a valid device id). */
static const char *device_folder(struct import_run *run, const char *audit_dir, const char *name)
{
	char *dir = NULL;
	if (name[0] == '.' || !path_join(audit_dir, name, &dir, NULL) || !is_dir(dir)) {
		free(dir);
		return NULL;
	}
	free(dir);
	if (!auditlog_device_id_valid(name)) {
		struct ferry_error *why = NULL;
		char *rel = NULL;
		ferry_error_set(&why, "'%s': not a valid device id", name);
		if (asprintf(&rel, STICK_AUDIT_DIR "/%s", name) >= 0)
			outcome(run, name, rel, "refused", NULL, why);
		free(rel);
		ferry_error_free(why);
		return NULL;
	}
	return name;
}

/* Every device folder is planned first, so that the pool verifies files of
 * the next devices while the files of this one are stored. */
static bool import_stick(struct import_run *run, const char *media_dir, struct ferry_error **err)
{
	char *root = NULL, *audit_dir = NULL;
	struct dirent **list = NULL;
	struct device_work *works = NULL;
	int n = 0;
	bool ok = stick_devices(media_dir, &root, &audit_dir, &list, &n, err);
	run->media_dir = media_dir;
	free(run->media_label);
	run->media_label = root ? media_label(root) : NULL;
	works = ok && n ? calloc((size_t)n, sizeof(*works)) : NULL;
	if (ok && n && !works)
		ok = ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
	for (int i = 0; works && i < n; i++)
		works[i].sd.fd = -1;
	/* One pool per stick: what one stick queued is never taken for another. */
	if (ok && n)
		ok = verify_pool_start(pgp_homedir(run->pgp), 0, &run->pool, err);
	/* inventories and failure logs: checked like the export files */
	pgp_use_quick(run->pgp, verify_pool_quick(run->pool));
	if (ok && n) {
		bulk_begin(run);
		batch_begin(run);
	}
	/* Devices are planned a few ahead of the one being stored: the pool has
	 * their files to verify, and only those folders are held open. */
	for (int i = 0, planned = 0; ok && i < n; i++) {
		for (; ok && planned < n && planned <= i + IMPORT_DEVICES_AHEAD; planned++) {
			const char *name = device_folder(run, audit_dir, list[planned]->d_name);
			if (name)
				ok = plan_device(run, root, name, &works[planned], err);
		}
		if (ok && works[i].name)
			import_device(run, root, &works[i]);
		if (ok)
			device_work_clear(&works[i]);   /* every file of it was taken */
	}
	batch_commit(run);
	if (!bulk_end(run, ok ? err : NULL))
		ok = false;
	pgp_use_quick(run->pgp, NULL);
	verify_pool_stop(run->pool);
	run->pool = NULL;
	for (int i = 0; works && i < n; i++)
		device_work_clear(&works[i]);
	free(works);
	for (int i = 0; i < n; i++)
		free(list[i]);
	free(list);
	free(root);
	free(audit_dir);
	return ok;
}

/* Counts export files up front so progress can say "[i/N]". */
static size_t count_exports(const char *media_dir)
{
	char *root = NULL, *audit_dir = NULL;
	struct dirent **list = NULL;
	int n = 0;
	size_t total = 0;
	if (stick_devices(media_dir, &root, &audit_dir, &list, &n, NULL)) {
		for (int i = 0; i < n; i++) {
			char *dir = NULL;
			DIR *d = NULL;
			struct dirent *e;
			if (list[i]->d_name[0] != '.' && path_join(audit_dir, list[i]->d_name, &dir, NULL))
				d = opendir(dir);
			while (d && (e = readdir(d)))
				total += ends_with(e->d_name, ".jsonl");
			if (d)
				closedir(d);
			free(dir);
		}
	}
	for (int i = 0; i < n; i++)
		free(list[i]);
	free(list);
	free(root);
	free(audit_dir);
	return total;
}

static void summary(const struct import_run *run)
{
	if (run->cli->json) {
		json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:O}", "records_new",
				      (json_int_t)run->records_new, "records_known",
				      (json_int_t)run->records_known, "imported", (json_int_t)run->imported,
				      "unchanged", (json_int_t)run->unchanged, "refused",
				      (json_int_t)run->refused, "files", run->json_files);
		json_dumpf(o, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(o);
		return;
	}
	if (run->cli->quiet)
		return;
	if (run->imported + run->unchanged + run->refused == 0)
		printf("nothing to import: no audit exports (ferry/audit/<device>/) found\n");
	else if (run->imported == 0 && run->refused == 0)
		printf("nothing new: %zu files checked, all imported before\n", run->unchanged);
	else
		printf("imported %lld new records from %zu files (%zu unchanged, %zu refused)\n",
		       (long long)run->records_new, run->imported, run->unchanged, run->refused);
}

int cmd_import(struct audit_cli *cli, int argc, char **argv, struct ferry_error **err)
{
	enum { OPT_BATCH = OPT_COMMON_END };
	static const struct option opts[] = {
		CLI_COMMON_LONG_OPTS,
		{ "batch", required_argument, NULL, OPT_BATCH },
		{ 0 },
	};
	struct import_run run = { .cli = cli, .batch_records = IMPORT_BATCH_RECORDS };
	char *end = NULL;
	int opt, rc = EXIT_USAGE;
	while ((opt = cli_getopt(argc, argv, "vq", opts)) != -1) {
		if (cli_common_option(cli, opt, optarg))
			continue;
		if (opt != OPT_BATCH)
			return cli_usage_error("import", "unknown option");
		run.batch_records = strtoll(optarg, &end, 10);
		if (!*optarg || *end || run.batch_records <= 0)
			return cli_usage_error("import", "--batch %s: expected a positive number of records",
					       optarg);
	}
	if (optind >= argc)
		return cli_usage_error("import", "which MEDIA_DIR?");
	cli_now(run.now);
	run.progress = isatty(STDERR_FILENO) && !cli->quiet && !cli->json;
	if (cli->json)
		run.json_files = json_array();
	if (!cli_open_db(cli, &run.db, err) || !pgp_open(cli_homedir(cli), &run.pgp, err))
		goto out;
	for (int i = optind; i < argc; i++)
		run.files_total += count_exports(argv[i]);
	rc = 0;
	for (int i = optind; i < argc; i++) {
		struct ferry_error *stick_err = NULL;
		if (!import_stick(&run, argv[i], &stick_err)) {
			fprintf(stderr, "ferry-audit: import: %s\n", ferry_error_message(stick_err));
			rc = EXIT_REFUSED;
		}
		ferry_error_free(stick_err);
	}
	if (run.progress)
		fputs("\r\033[K", stderr);
	log_info("import: %.2f s waiting for verified files, %.2f s storing, %.2f s in commits",
		 run.wait_s, run.store_s, run.commit_s);
	summary(&run);
	if (run.refused)
		rc = EXIT_REFUSED;
out:
	json_decref(run.json_files);
	free(run.media_label);
	pgp_close(run.pgp);
	audit_db_close(run.db);
	return rc;
}
