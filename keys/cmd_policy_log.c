/* keys_cmd_policy_log: `ferry-keys policy log`: every signed serial kept in
 * DIR/history (each verified against the roots it names), and what changed
 * from the one before: roots, signers granted or changed, revocations, rules. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/rfc3339.h"
#include "common/safefile.h"
#include "keys/cmds.h"

static bool add(json_t *changes, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool add(json_t *changes, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return json_array_append_new(changes, json_string(buf)) == 0;
}

static bool has_rule(const struct policy *p, const char *text)
{
	char line[1024];
	for (size_t i = 0; i < p->n_rules; i++) {
		keys_rule_text(&p->rules[i], line, sizeof(line));
		if (strcmp(line, text) == 0)
			return true;
	}
	return false;
}

/* What changed from a to b (a may be the empty policy). */
/* Technicians granted (added) and revoked between a and b. */
static void diff_technicians(const struct policy *a, const struct policy *b, json_t *changes)
{
	char when[RFC3339_UTC_LEN + 1];
	for (size_t i = 0; i < b->n_technicians; i++) {
		const struct policy_technician *t = &b->technicians[i];
		const struct policy_technician *old = policy_find_technician(a, t->id);
		if (!old)
			add(changes, "technician granted %s '%s'", t->id, t->name);
		if (t->revoked && (!old || !old->revoked)) {
			rfc3339_format_utc(t->revoked, when);
			add(changes, "technician revoked %s '%s' at %s", t->id, t->name, when);
		}
	}
	for (size_t i = 0; i < a->n_technicians; i++)
		if (!policy_find_technician(b, a->technicians[i].id))
			add(changes, "technician removed %s", a->technicians[i].id);
}

static void diff(const struct policy *a, const struct policy *b, json_t *changes)
{
	char line[1024], other[1024], when[RFC3339_UTC_LEN + 1];
	for (size_t i = 0; i < b->n_roots; i++)
		if (!policy_is_root(a, b->roots[i]))
			add(changes, "root added %s", b->roots[i]);
	for (size_t i = 0; i < a->n_roots; i++)
		if (!policy_is_root(b, a->roots[i]))
			add(changes, "root removed %s", a->roots[i]);
	if (a->threshold != b->threshold)
		add(changes, "root threshold %lld", (long long)b->threshold);
	for (size_t i = 0; i < b->n_signers; i++) {
		const struct policy_signer *s = &b->signers[i], *old = policy_find_signer(a, s->fpr);
		keys_signer_text(s, line, sizeof(line));
		if (old)
			keys_signer_text(old, other, sizeof(other));
		if (!old)
			add(changes, "granted %s %s", s->fpr, line);
		else if (strcmp(line, other) != 0)
			add(changes, "changed %s %s", s->fpr, line);
	}
	for (size_t i = 0; i < a->n_signers; i++)
		if (!policy_find_signer(b, a->signers[i].fpr))
			add(changes, "signer removed %s '%s'", a->signers[i].fpr, a->signers[i].name);
	for (size_t i = 0; i < b->n_revoked; i++) {
		const struct policy_revocation *r = &b->revoked[i];
		const struct policy_signer *s = policy_find_signer(b, r->fpr);
		if (policy_find_revocation(a, r->fpr))
			continue;
		rfc3339_format_utc(r->at, when);
		add(changes, "revoked %s '%s' at %s: %s", r->fpr, s ? s->name : "?", when, r->reason);
	}
	for (size_t i = 0; i < a->n_revoked; i++)
		if (!policy_find_revocation(b, a->revoked[i].fpr))
			add(changes, "revocation lifted %s", a->revoked[i].fpr);
	for (size_t i = 0; i < b->n_rules; i++) {
		keys_rule_text(&b->rules[i], line, sizeof(line));
		if (!has_rule(a, line))
			add(changes, "rule added: %s", line);
	}
	for (size_t i = 0; i < a->n_rules; i++) {
		keys_rule_text(&a->rules[i], line, sizeof(line));
		if (!has_rule(b, line))
			add(changes, "rule removed: %s", line);
	}
	diff_technicians(a, b, changes);
}

static int only_policies(const struct dirent *d)
{
	size_t n = strlen(d->d_name);
	return strncmp(d->d_name, "policy-", 7) == 0 && n > 12 &&
	       strcmp(d->d_name + n - 5, ".json") == 0;
}

/* One history entry: verified and parsed, or the reason it is not. */
static json_t *entry(struct pgp *pgp, const char *hist, const char *file,
		     const struct policy *prev, struct policy **out)
{
	struct ferry_error *e = NULL;
	struct policy_file f = { 0 };
	char *path = NULL, *dir = NULL, when[RFC3339_UTC_LEN + 1] = "";
	json_t *o = json_pack("{s:s, s:o}", "file", file, "changes", json_array());
	*out = NULL;
	/* policy_read_dir wants the fixed names: read the pair by hand */
	if (path_join(hist, file, &path, &e) &&
	    read_file_limited(path, POLICY_MAX_BYTES, &f.bytes, &f.len, &e) &&
	    asprintf(&dir, "%s.sig", path) > 0 &&
	    read_file_limited(dir, 64 << 10, &f.sig, &f.sig_len, &e))
		policy_verify_file(pgp, &f, path, NULL, out, &e);
	if (*out) {
		rfc3339_format_utc((*out)->issued, when);
		json_object_set_new(o, "serial", json_integer((*out)->serial));
		json_object_set_new(o, "issued", json_string(when));
		json_object_set_new(o, "verified", json_true());
		diff(prev, *out, json_object_get(o, "changes"));
	} else {
		json_object_set_new(o, "verified", json_false());
		json_object_set_new(o, "error", json_string(ferry_error_message(e)));
	}
	ferry_error_free(e);
	policy_file_clear(&f);
	free(path);
	free(dir);
	return o;
}

static void print_entry(json_t *o)
{
	json_t *changes = json_object_get(o, "changes"), *c;
	size_t i;
	if (!json_is_true(json_object_get(o, "verified"))) {
		printf("%s: NOT VERIFIED: %s\n", json_string_value(json_object_get(o, "file")),
		       json_string_value(json_object_get(o, "error")));
		return;
	}
	printf("serial %lld  %s\n", (long long)json_integer_value(json_object_get(o, "serial")),
	       json_string_value(json_object_get(o, "issued")));
	json_array_foreach(changes, i, c)
		printf("  %s\n", json_string_value(c));
	if (json_array_size(changes) == 0)
		printf("  (no change but the serial)\n");
}

KEYS_CMD(keys_cmd_policy_log)
{
	static const struct option longopts[] = { KEYS_COMMON_LONGOPTS, { NULL, 0, NULL, 0 } };
	struct dirent **names = NULL;
	struct policy empty = { 0 }, *prev = NULL;
	char *hist = NULL;
	json_t *all = json_array();
	int c, n = 0, rc = CLI_EXIT_USAGE;

	while ((c = getopt_long(argc, argv, KEYS_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (keys_common_option(k, c, optarg))
			continue;
		if (c == 'h') {
			rc = keys_command_help("policy", "log");
			goto out;
		}
		rc = keys_bad_option(err, "policy log", c, argv);
		goto out;
	}
	if (!keys_positional(argc, argv, 0, "policy log", "", err) || !keys_require_init(k, err))
		goto out;
	rc = CLI_EXIT_FAILED;
	if (!(hist = keys_path(k, "history")) || !keys_pgp(k, err))
		goto out;
	n = scandir(hist, &names, only_policies, alphasort);
	if (n < 0) {
		ferry_error_errno(err, errno, "%s", hist);
		goto out;
	}
	rc = CLI_EXIT_OK;
	for (int i = 0; i < n; i++) {
		struct policy *p = NULL;
		json_t *o = entry(k->pgp, hist, names[i]->d_name, prev ? prev : &empty, &p);
		if (!p)
			rc = CLI_EXIT_FAILED;
		else {
			policy_free(prev);
			prev = p;
		}
		if (!k->json)
			print_entry(o);
		json_array_append_new(all, o);
	}
	if (rc != CLI_EXIT_OK)
		ferry_error_set(err, "%s: some serials did not verify", hist);
	if (k->json) {
		keys_print_json(all);
		all = NULL;
	}
out:
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	policy_free(prev);
	json_decref(all);
	free(hist);
	return rc;
}
