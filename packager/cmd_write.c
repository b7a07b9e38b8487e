/* ferry-pack write MEDIA_DIR BUNDLE... [--policy DIR] [--label LABEL]: lays
 * out ferry/ on a mounted stick (common/media.c does the safe writing): each
 * bundle as <name>-<version>.ferry from its manifest, the policy when given,
 * MEDIA.json; nothing is written when a name, a bundle or the free space is
 * wrong. Progress on a terminal; every file read back and compared. */
#include <blkid.h>
#include <libmount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bundle_read.h"
#include "common/bundle_write.h"
#include "common/json.h"
#include "common/manifest.h"
#include "common/media.h"
#include "common/progress.h"
#include "packager/pack.h"

#define WRITE_USAGE "write MEDIA_DIR BUNDLE... [--policy DIR] [--label LABEL] [--json]"

/* The stick's name for a bundle, from its (unverified) manifest: writing
 * does not trust anything, the device verifies. */
static bool bundle_names(const char *path, struct media_write_bundle *out, struct manifest **m,
			 struct ferry_error **err)
{
	struct bundle_reader *r = NULL;
	const char *bytes;
	const void *sig;
	size_t len, sig_len;
	char *file = NULL;
	bool ok = bundle_reader_open(path, &r, err) && bundle_reader_manifest(r, &bytes, &len, &sig, &sig_len, err) &&
		  manifest_parse(bytes, len, BUNDLE_MANIFEST_MEMBER, m, err) &&
		  manifest_bundle_filename(*m, &file, err);
	if (ok && sig_len == 0)
		ok = ferry_error_set(err, "%s: unsigned: sign it (ferry-pack sign) before writing it to a stick",
				     BUNDLE_SIG_MEMBER);
	bundle_reader_close(r);
	if (!ok) {
		free(file);
		ferry_error_prefix(err, "%s", path);
		return false;
	}
	out->source = path;
	out->file = file;
	out->name = (*m)->name;
	out->version = (*m)->version;
	return true;
}

/* The filesystem label of the device mounted at dir, or NULL. */
static char *mounted_label(const char *dir)
{
	struct libmnt_table *tb = mnt_new_table();
	struct libmnt_fs *fs = NULL;
	const char *label = NULL;
	char *out = NULL;
	if (!tb || mnt_table_parse_mtab(tb, NULL) != 0 || !(fs = mnt_table_find_mountpoint(tb, dir, MNT_ITER_BACKWARD)))
		goto out;
	const char *src = mnt_fs_get_srcpath(fs);
	blkid_probe pr = src && src[0] == '/' ? blkid_new_probe_from_filename(src) : NULL;
	if (pr) {
		blkid_probe_enable_superblocks(pr, 1);
		blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_LABEL);
		if (blkid_do_safeprobe(pr) == 0 && blkid_probe_lookup_value(pr, "LABEL", &label, NULL) == 0)
			out = strdup(label);
		blkid_free_probe(pr);
	}
out:
	mnt_unref_table(tb);
	return out;
}

struct bar {
	struct progress *p;
	char phase[16];
};

/* One bar per phase: writing, then reading back, each over the bundle bytes. */
static void on_progress(void *ctx, const char *phase, const char *file, uint64_t done, uint64_t total)
{
	struct bar *b = ctx;
	(void)file;
	if (strcmp(b->phase, phase) != 0) {
		progress_finish(b->p);
		snprintf(b->phase, sizeof(b->phase), "%s", phase);
		b->p = progress_new(strcmp(phase, "copy") == 0 ? "writing" : "reading back", total, true);
	}
	progress_update(b->p, done);
}

static void report(const struct pack_opts *o, const char *dir, const struct media_stick *s, bool policy)
{
	char sz[32];
	if (o->json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < s->n_bundles; i++) {
			const struct media_bundle *b = &s->bundles[i];
			const struct media_index_bundle *e = b->indexed;
			json_array_append_new(arr, json_pack("{s:s, s:s?, s:s?, s:I, s:s?}", "file", b->file, "name",
							     e ? e->name : NULL, "version", e ? e->version : NULL,
							     "size", (json_int_t)b->size, "sha256", e ? e->sha256 : NULL));
		}
		pack_print_json(json_pack("{s:s, s:o, s:b, s:b}", "media", dir, "bundles", arr, "policy", policy,
					  "verified", 1));
		return;
	}
	if (o->quiet)
		return;
	printf("%s/%s: %zu bundle(s)%s, read back and verified, synced\n", dir, STICK_DIR, s->n_bundles,
	       policy ? " and the policy" : "");
	for (size_t i = 0; i < s->n_bundles; i++)
		printf("  %-40s %10s\n", s->bundles[i].file, pack_human_size(s->bundles[i].size, sz));
}

int cmd_write(struct pack_opts *o, int argc, char **argv, struct ferry_error **err)
{
	enum { OPT_POLICY = 0x2001, OPT_LABEL };
	static const struct option longopts[] = {
		PACK_COMMON_LONG, { "policy", required_argument, NULL, OPT_POLICY },
		{ "label", required_argument, NULL, OPT_LABEL }, { NULL, 0, NULL, 0 },
	};
	const char *policy = NULL, *label = NULL;
	int c, rc = CLI_EXIT_FAILED;
	while ((c = getopt_long(argc, argv, PACK_COMMON_SHORT, longopts, NULL)) != -1) {
		if (c == 'h') {
			printf("usage: ferry-pack %s\n", WRITE_USAGE);
			return CLI_EXIT_OK;
		}
		if (c == OPT_POLICY)
			policy = optarg;
		else if (c == OPT_LABEL)
			label = optarg;
		else if (!pack_common_option(o, c, optarg))
			return pack_usage(WRITE_USAGE, err);
	}
	if (argc - optind < 2)
		return pack_usage(WRITE_USAGE, err);
	const char *dir = argv[optind];
	size_t n = (size_t)(argc - optind - 1);
	struct media_write_bundle *wb = calloc(n, sizeof(*wb));
	struct manifest **ms = calloc(n, sizeof(*ms));
	struct media_stick *s = NULL;
	struct bar bar = { 0 };
	char *fs_label = NULL;
	if (!wb || !ms) {
		ferry_error_set(err, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (!bundle_names(argv[optind + 1 + i], &wb[i], &ms[i], err))
			goto out;
	if (!label)
		label = fs_label = mounted_label(dir);
	struct media_write_options opt = { .label = label, .writer = "ferry-pack " FERRY_VERSION,
					   .policy_dir = policy };
	if (!o->quiet && !o->json && progress_wanted()) {
		opt.progress = on_progress;
		opt.progress_ctx = &bar;
	}
	bool written = media_write(dir, wb, n, &opt, err);
	progress_finish(bar.p);
	if (!written || !media_scan(dir, &s, err))
		goto out;
	report(o, dir, s, policy != NULL);
	rc = CLI_EXIT_OK;
out:
	for (size_t i = 0; wb && i < n; i++)
		free((char *)wb[i].file);
	for (size_t i = 0; ms && i < n; i++)
		manifest_free(ms[i]);
	free(wb);
	free(ms);
	free(fs_label);
	media_stick_free(s);
	return rc;
}
