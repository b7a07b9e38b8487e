/* refusals: see refusals.h. */
#include "agent/refusals.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

bool refusals_add(struct refusals *r, bool benign, const char *bundle, const char *version,
		  const char *file, const char *code, const char *reason, const json_t *detail,
		  struct ferry_error **err)
{
	struct refusal_kind *k = benign ? &r->skipped : &r->refused;
	if (k->n == 0) {
		k->bundle = dup_or_null(bundle);
		k->version = dup_or_null(version);
		k->first_detail = json_deep_copy(detail);
		k->files = json_array();
		if ((bundle && !k->bundle) || (version && !k->version) || !k->first_detail || !k->files)
			return ferry_error_set(err, "out of memory");
	}
	k->n++;
	if (json_array_size(k->files) >= REFUSALS_KEPT)
		return true;
	json_t *f = json_pack("{s:s,s:s}", "file", file, "reason", reason ? reason : "");
	if (!f)
		return ferry_error_set(err, "out of memory");
	if (bundle)
		json_object_set_new(f, "bundle", json_string(bundle));
	if (version)
		json_object_set_new(f, "version", json_string(version));
	if (code)
		json_object_set_new(f, "code", json_string(code));
	json_array_append_new(k->files, f);
	return true;
}

/* The detail of a record standing for k->n bundles. */
static json_t *aggregate_detail(const struct refusal_kind *k, const char *what)
{
	char *reason = NULL;
	const json_t *first = json_array_get(k->files, 0);
	if (asprintf(&reason, "%zu bundles %s; the first, %s: %s", k->n, what,
		     json_string_value(json_object_get(first, "file")),
		     json_string_value(json_object_get(first, "reason"))) < 0)
		return NULL;
	json_t *d = json_pack("{s:I,s:s,s:O}", "count", (json_int_t)k->n, "reason", reason,
			      "files", k->files);
	if (d && k->n > json_array_size(k->files))
		json_object_set_new(d, "files_cut", json_integer((json_int_t)(k->n - json_array_size(k->files))));
	free(reason);
	return d;
}

/* The ferry code every file of k shares, or NULL (a record's code
 * field takes only ferry_code_name()s; decide's own codes stay in detail). */
static const char *common_code(const struct refusal_kind *k)
{
	const char *code = NULL;
	size_t i;
	json_t *f;
	json_array_foreach(k->files, i, f) {
		const char *c = json_string_value(json_object_get(f, "code"));
		if (!c || (code && strcmp(code, c) != 0))
			return NULL;
		code = c;
	}
	return code && ferry_code_from_name(code) != FERRY_E_NONE ? code : NULL;
}

static bool record_kind(const struct refusal_kind *k, bool benign, struct state *st,
			const struct auditlog_fields *media, struct ferry_error **err)
{
	if (k->n == 0)
		return true;
	bool one = k->n == 1;
	json_t *detail = one ? json_incref(k->first_detail)
			     : aggregate_detail(k, benign ? "skipped" : "refused");
	if (!detail)
		return ferry_error_set(err, "out of memory");
	struct auditlog_fields ev = *media;   /* the stick's fields, whatever they are */
	ev.event = benign ? "install.skipped" : "install.refused";
	ev.result = benign ? "info" : "refused";
	ev.bundle = one ? k->bundle : NULL;
	ev.version = one ? k->version : NULL;
	ev.code = common_code(k);
	ev.detail = detail;
	bool ok = state_record(st, &ev, NULL, err);
	json_decref(detail);
	return ok;
}

bool refusals_record(const struct refusals *r, struct state *st, const struct auditlog_fields *media,
		     struct ferry_error **err)
{
	return record_kind(&r->refused, false, st, media, err) &&
	       record_kind(&r->skipped, true, st, media, err);
}

static void kind_clear(struct refusal_kind *k)
{
	free(k->bundle);
	free(k->version);
	json_decref(k->first_detail);
	json_decref(k->files);
	memset(k, 0, sizeof(*k));
}

void refusals_clear(struct refusals *r)
{
	kind_clear(&r->refused);
	kind_clear(&r->skipped);
}
