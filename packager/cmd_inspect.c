/* ferry-pack inspect BUNDLE [--json]: the manifest, the signatures as GPGME
 * reports them in an empty key ring (key ids or fingerprints, marked
 * unverified: no keys are needed or trusted here), variants, payloads, sizes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/bundle_read.h"
#include "common/bundle_write.h"
#include "common/json.h"
#include "common/manifest.h"
#include "common/pgp.h"
#include "packager/pack.h"

#define INSPECT_USAGE "inspect BUNDLE [--json]"

static bool read_signers(const char *manifest, size_t len, const void *sig, size_t sig_len,
			 struct pgp_verify_result *res, struct ferry_error **err)
{
	char *home = NULL;
	struct pgp *pgp = NULL;
	bool ok = sig_len == 0 ||
		  (pack_tmp_home(&home, err) && pgp_open(home, &pgp, err) &&
		   pgp_verify_detached(pgp, manifest, len, sig, sig_len, res, err));
	pgp_close(pgp);
	pack_tmp_home_remove(home);
	if (!ok)
		ferry_error_prefix(err, "%s", BUNDLE_SIG_MEMBER);
	return ok;
}

static const char *strv_text(char **v, char *buf, size_t cap)
{
	buf[0] = 0;
	for (size_t i = 0; v && v[i]; i++)
		snprintf(buf + strlen(buf), cap - strlen(buf), "%s%s", i ? "," : "", v[i]);
	return buf[0] ? buf : "-";
}

/* Stored sizes of the members after the signatures, from their tar headers
 * only (data is skipped by seeking): what each payload takes in the bundle. */
struct stored_sizes {
	char **names;
	uint64_t *sizes;
	size_t n;
};

static bool read_stored_sizes(struct bundle_reader *r, struct stored_sizes *st, struct ferry_error **err)
{
	for (;;) {
		const char *name;
		uint64_t size;
		bool end;
		if (!bundle_reader_next_member(r, &name, &size, &end, err))
			return false;
		if (end)
			return true;
		char **names = realloc(st->names, (st->n + 1) * sizeof(*names));
		uint64_t *sizes = names ? realloc(st->sizes, (st->n + 1) * sizeof(*sizes)) : NULL;
		if (names)
			st->names = names;
		if (sizes)
			st->sizes = sizes;
		if (!names || !sizes || !(st->names[st->n] = strdup(name)))
			return ferry_error_set(err, "out of memory");
		st->sizes[st->n++] = size;
	}
}

static uint64_t stored_size(const struct stored_sizes *st, const char *member)
{
	for (size_t i = 0; i < st->n; i++)
		if (strcmp(st->names[i], member) == 0)
			return st->sizes[i];
	return 0;
}

static void stored_sizes_free(struct stored_sizes *st)
{
	for (size_t i = 0; i < st->n; i++)
		free(st->names[i]);
	free(st->names);
	free(st->sizes);
}

static void print_text(const char *path, const struct manifest *m,
		       const struct pgp_verify_result *res, unsigned long long stored,
		       const struct stored_sizes *st)
{
	char c[32];
	char a[32], b[256];
	printf("bundle:      %s (%s)\n", path, pack_human_size(stored, a));
	printf("name:        %s %s\n", m->name, m->version);
	printf("security:    %lld\n", (long long)m->security_version);
	printf("created:     %s\n", m->created);
	if (m->description)
		printf("description: %s\n", m->description);
	printf("rollout:     groups %s; devices %s; percent %d\n", strv_text(m->rollout.groups, b, sizeof(b)),
	       strv_text(m->rollout.devices, b + 128, 128), m->rollout.percent);
	printf("confirm:     %s\n", m->confirm == CONFIRM_LOCAL ? "local" : "auto");
	printf("signatures:  %zu (unverified: inspect uses no keys)\n", res->n_sigs);
	for (size_t i = 0; i < res->n_sigs; i++)
		printf("  %s  %s\n", res->sigs[i].fpr, pgp_sig_status_name(res->sigs[i].status));
	for (size_t i = 0; i < m->n_variants; i++) {
		const struct variant *v = &m->variants[i];
		printf("variant %s: %s\n", v->id, compat_describe(&v->compatible, b, sizeof(b)));
		for (size_t j = 0; j < v->n_payloads; j++) {
			const struct payload *p = &v->payloads[j];
			printf("  payload %-12s %-10s %-5s %10s (stored %s)  %s\n", p->name, p->handler,
			       compression_name(p->compression), pack_human_size(p->size, a),
			       pack_human_size(stored_size(st, p->member), c), p->member);
		}
		for (int k = 0; k < HOOK_COUNT; k++)
			if (v->hooks[k].present)
				printf("  hook    %-12s %10s  %s\n", hook_kind_name((enum hook_kind)k),
				       pack_human_size(v->hooks[k].size, a), v->hooks[k].member);
		if (v->sbom.present)
			printf("  sbom    %-12s %10s  %s\n", "", pack_human_size(v->sbom.size, a), v->sbom.member);
		if (v->support_until)
			printf("  support until %s\n", v->support_until);
	}
}

static json_t *signatures_json(const struct pgp_verify_result *res)
{
	json_t *a = json_array();
	for (size_t i = 0; i < res->n_sigs; i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:I, s:b}", "key", res->sigs[i].fpr,
						   "status", pgp_sig_status_name(res->sigs[i].status),
						   "created", (json_int_t)res->sigs[i].created,
						   "verified", 0));
	return a;
}

int cmd_inspect(struct pack_opts *o, int argc, char **argv, struct ferry_error **err)
{
	static const struct option longopts[] = { PACK_COMMON_LONG, { NULL, 0, NULL, 0 } };
	int c, rc = CLI_EXIT_FAILED;
	while ((c = getopt_long(argc, argv, PACK_COMMON_SHORT, longopts, NULL)) != -1) {
		if (c == 'h') {
			printf("usage: ferry-pack %s\n", INSPECT_USAGE);
			return CLI_EXIT_OK;
		}
		if (!pack_common_option(o, c, optarg))
			return pack_usage(INSPECT_USAGE, err);
	}
	if (optind + 1 != argc)
		return pack_usage(INSPECT_USAGE, err);
	const char *path = argv[optind];
	struct bundle_reader *r = NULL;
	struct manifest *m = NULL;
	struct pgp_verify_result res = { 0 };
	struct stored_sizes sizes = { 0 };
	const char *bytes;
	const void *sig;
	size_t len, sig_len;
	struct stat st;
	if (!bundle_reader_open(path, &r, err) ||
	    !bundle_reader_manifest(r, &bytes, &len, &sig, &sig_len, err) ||
	    !manifest_parse(bytes, len, BUNDLE_MANIFEST_MEMBER, &m, err) ||
	    !read_signers(bytes, len, sig, sig_len, &res, err) || !read_stored_sizes(r, &sizes, err))
		goto out;
	unsigned long long stored = stat(path, &st) == 0 ? (unsigned long long)st.st_size : 0;
	if (o->json) {
		json_t *mj = NULL;
		if (!json_parse_strict(bytes, len, BUNDLE_MANIFEST_MEMBER, &mj, err))
			goto out;
		json_t *members = json_object();
		for (size_t i = 0; i < sizes.n; i++)
			json_object_set_new(members, sizes.names[i], json_integer((json_int_t)sizes.sizes[i]));
		pack_print_json(json_pack("{s:s, s:I, s:o, s:o, s:o}", "bundle", path, "bundle_size",
					  (json_int_t)stored, "manifest", mj, "signatures",
					  signatures_json(&res), "stored_sizes", members));
	} else
		print_text(path, m, &res, stored, &sizes);
	rc = CLI_EXIT_OK;
out:
	if (rc == CLI_EXIT_FAILED)
		ferry_error_prefix(err, "%s", path);
	pgp_verify_result_clear(&res);
	stored_sizes_free(&sizes);
	manifest_free(m);
	bundle_reader_close(r);
	return rc;
}
