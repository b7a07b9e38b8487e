/* order_gate: read, verify and judge a stick's work orders (see order_gate.h). */
#include "agent/order_gate.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/trust.h"
#include "common/json.h"
#include "common/rfc3339.h"
#include "common/signedfile.h"
#include "common/stick.h"

#define ORDER_SUFFIX ".json"

void order_gate_clear(struct order_gate *g)
{
	for (size_t i = 0; i < g->n; i++) {
		free(g->e[i].file);
		order_free(g->e[i].order);
		pgp_verify_result_clear(&g->e[i].vr);
		free(g->e[i].problem);
	}
	free(g->e);
	free(g->folder_problem);
	memset(g, 0, sizeof(*g));
}

bool order_gate_pins_sha256(const struct order_gate *g)
{
	for (size_t i = 0; i < g->n; i++)
		for (size_t j = 0; g->e[i].order && j < g->e[i].order->n_bundles; j++)
			if (g->e[i].order->bundles[j].sha256)
				return true;
	return false;
}

void order_gate_facts(const struct agent_config *c, struct order_facts *f)
{
	f->device_id = c->device.id;
	f->device_type = c->device.type;
	f->groups = c->device.groups;
}

/* "<id>.json", not its ".sig" and not a hidden file. */
static bool is_order_name(const char *name)
{
	size_t n = strlen(name), s = strlen(ORDER_SUFFIX);
	return name[0] != '.' && n > s && strcmp(name + n - s, ORDER_SUFFIX) == 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The order file names of the open folder, sorted (caller frees with strv_free). */
static bool list_orders(const struct stick_dir *d, char ***names, size_t *n,
			struct ferry_error **err)
{
	int fd = dup(d->fd);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	size_t cap = 0;
	bool ok = true;
	*names = NULL;
	*n = 0;
	if (!dir) {
		if (fd >= 0)
			close(fd);
		return ferry_error_errno(err, errno, "%s", d->path);
	}
	for (struct dirent *de; ok && (de = readdir(dir));) {
		if (!is_order_name(de->d_name))
			continue;
		if (*n + 2 > cap) {
			char **grown = realloc(*names, (cap = cap * 2 + 8) * sizeof(*grown));
			ok = grown != NULL;
			if (grown)
				*names = grown;
		}
		if (ok && !((*names)[(*n)++] = strdup(de->d_name)))
			ok = false;
		if (ok)
			(*names)[*n] = NULL;
	}
	closedir(dir);
	if (!ok)
		return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
	if (*n)
		qsort(*names, *n, sizeof(**names), by_name);
	return true;
}

/* Only verified bytes are parsed: every signature must be good. */
static bool signatures_good(const struct pgp_verify_result *vr, const char *file,
			    struct ferry_error **err)
{
	if (!vr->n_sigs)
		return ferry_error_setc(err, FERRY_E_SIGNATURE, "%s.sig: no signature", file);
	for (size_t i = 0; i < vr->n_sigs; i++)
		if (vr->sigs[i].status != PGP_SIG_VALID)
			return ferry_error_setc(err, FERRY_E_SIGNATURE, "%s.sig: signature %s", file,
						pgp_sig_status_name(vr->sigs[i].status));
	return true;
}

static void load_one(struct order_gate_entry *e, struct pgp *pgp, const struct stick_dir *d)
{
	struct ferry_error *why = NULL;
	char *path = NULL, *data = NULL;
	size_t len = 0, id_len = strlen(e->file) - strlen(ORDER_SUFFIX);
	if (stick_dir_file(d, e->file, &path, &why) &&
	    signedfile_read(pgp, path, ORDER_MAX_BYTES, &data, &len, &e->vr, &why) &&
	    signatures_good(&e->vr, e->file, &why) &&
	    order_parse(data, len, e->file, &e->order, &why) &&
	    (strlen(e->order->id) != id_len || strncmp(e->order->id, e->file, id_len) != 0)) {
		ferry_error_setc(&why, FERRY_E_FORMAT, "%s: names order '%s', not its file name",
				 e->file, e->order->id);
	}
	if (why) {
		order_free(e->order);
		e->order = NULL;
		ferry_error_classify(&why, FERRY_E_UNSAFE);
		e->code = ferry_error_code(why);
		e->problem = strdup(ferry_error_message(why));
	}
	ferry_error_free(why);
	free(data);
	free(path);
}

bool order_gate_load(struct order_gate *g, struct pgp *pgp, const char *media_dir,
		     struct ferry_error **err)
{
	struct stick_dir d = { .fd = -1 };
	struct ferry_error *why = NULL;
	char **names = NULL, *top = stick_top(media_dir);
	size_t n = 0, total = 0;
	bool ok = top != NULL;
	memset(g, 0, sizeof(*g));
	if (ok && (!stick_dir_open(top, STICK_ORDERS, NULL, false, &d, &why) ||
		   (d.fd >= 0 && !list_orders(&d, &names, &n, &why)))) {
		/* A folder ferry may not read is a reason, like a bad file. */
		ok = (g->folder_problem = strdup(ferry_error_message(why))) != NULL;
		total = n;   /* what a failed listing holds is freed below */
		n = 0;
	} else {
		total = n;
	}
	g->n_ignored = n > ORDER_GATE_MAX_FILES ? n - ORDER_GATE_MAX_FILES : 0;
	n -= g->n_ignored;
	if (ok && n && !(g->e = calloc(n, sizeof(*g->e))))
		ok = false;
	for (size_t i = 0; ok && i < n; i++, g->n++) {
		g->e[i].file = names[i];
		names[i] = NULL;
		load_one(&g->e[i], pgp, &d);
	}
	if (!ok)
		ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
	for (size_t i = 0; i < total; i++)
		free(names[i]);   /* those not moved into g */
	free(names);
	stick_dir_close(&d);
	ferry_error_free(why);
	free(top);
	return ok;
}

void order_gate_verdict_clear(struct order_gate_verdict *v)
{
	free(v->reason);
	json_decref(v->detail);
	memset(v, 0, sizeof(*v));
}

/* Why no order allows op: the first reason in words, every one in detail. */
static bool refusal(const struct order_gate *g, const char *first, json_t *orders, size_t cut,
		    struct order_gate_verdict *v)
{
	const char *op = order_op_name(v->op);
	if (asprintf(&v->reason, "no valid work order for %s: %s", op,
		     first ? first : g->folder_problem ? g->folder_problem
				   : "the stick carries no order (" STICK_DIR "/" STICK_ORDERS_DIR "/)") < 0) {
		v->reason = NULL;
		return false;
	}
	v->detail = json_pack("{s:s,s:s,s:O,s:I}", "reason", v->reason, "operation", op, "orders",
			      orders, "orders_cut", (json_int_t)cut);
	if (v->detail && g->folder_problem)
		json_object_set_new(v->detail, "folder", json_string(g->folder_problem));
	return v->detail != NULL;
}

static bool note(json_t *orders, size_t *cut, const char *file, enum ferry_code code,
		 const char *why)
{
	if (json_array_size(orders) >= ORDER_GATE_KEPT)
		return ++*cut, true;
	return json_array_append_new(orders, json_pack("{s:s,s:s,s:s}", "file", file, "code",
						       ferry_code_name(code), "reason", why)) == 0;
}

bool order_gate_decide(const struct order_gate *g, const struct policy *p,
		       const struct order_facts *f, enum order_op op,
		       const struct order_bundle_ref *b, time_t now, struct order_gate_verdict *v,
		       struct ferry_error **err)
{
	json_t *orders = json_array();
	char *first = NULL;
	size_t cut = g->n_ignored;
	bool ok = orders != NULL;
	memset(v, 0, sizeof(*v));
	v->op = op;
	v->required = policy_order_required(p, f->device_type, order_op_name(op));
	for (size_t i = 0; ok && !v->order && i < g->n; i++) {
		const struct order_gate_entry *e = &g->e[i];
		struct ferry_error *why = NULL;
		if (e->order && order_check(e->order, &e->vr, p, f, op, b, now, &why))
			v->order = e->order;
		const char *msg = e->order ? ferry_error_message(why) : e->problem;
		if (!v->order) {
			ok = note(orders, &cut, e->file, e->order ? ferry_error_code(why) : e->code, msg);
			if (ok && !first && !(first = strdup(msg)))
				ok = false;
		}
		ferry_error_free(why);
	}
	v->allowed = !v->required || v->order;
	if (ok && !v->allowed)
		ok = refusal(g, first, orders, cut, v);
	free(first);
	json_decref(orders);
	if (!ok)
		return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
	return true;
}

bool order_gate_use(struct state *st, const struct order_gate_verdict *v, struct ferry_error **err)
{
	return state_set_order(st, v->order ? v->order->id : NULL,
			       v->order ? v->order->technician : NULL, err);
}

bool order_gate_record(struct state *st, const char *event, const struct order_gate_verdict *v,
		       const struct auditlog_fields *media, struct ferry_error **err)
{
	struct auditlog_fields ev = {
		.event = event, .result = "refused", .code = ferry_code_name(FERRY_E_POLICY),
		.detail = v->detail,
		.usb_serial = media ? media->usb_serial : NULL,
		.media_label = media ? media->media_label : NULL,
		.usb_vendor = media ? media->usb_vendor : NULL,
		.usb_product = media ? media->usb_product : NULL,
	};
	return state_set_order(st, NULL, NULL, err) && state_record(st, &ev, NULL, err);
}

char *order_gate_describe(const struct order *o)
{
	char until[RFC3339_UTC_LEN + 1], *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	if (!f)
		return NULL;
	rfc3339_format_utc(o->not_after, until);
	fprintf(f, "work order %s (technician %s): ", o->id, o->technician);
	for (unsigned bit = ORDER_READ, n = 0; bit <= ORDER_POLICY; bit <<= 1)
		if (o->ops & bit)
			fprintf(f, "%s%s", n++ ? ", " : "", order_op_name(bit));
	fprintf(f, " until %s", until);
	for (size_t i = 0; i < o->n_bundles; i++)
		fprintf(f, "%s%s %s", i ? ", " : "; bundles ", o->bundles[i].name,
			o->bundles[i].version ? o->bundles[i].version : o->bundles[i].sha256);
	return fclose(f) == 0 ? out : (free(out), NULL);
}

/* The record of a read allowed by an order: the export it precedes carries it. */
static bool record_read(struct state *st, const struct order_gate_verdict *v,
			struct ferry_error **err)
{
	json_t *d = json_pack("{s:s,s:s}", "order", v->order->id, "technician", v->order->technician);
	struct auditlog_fields ev = { .event = "export.ordered", .result = "info", .detail = d };
	bool ok = d && order_gate_use(st, v, err) && state_record(st, &ev, NULL, err);
	if (!d)
		ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
	json_decref(d);
	return ok;
}

bool order_gate_read(const struct agent_config *c, struct state *st, const char *media_dir,
		     time_t now, struct ferry_error **err)
{
	struct agent_trust t = { 0 };
	struct order_gate g = { 0 };
	struct order_gate_verdict v = { 0 };
	struct order_facts f;
	struct ferry_error *why = NULL;
	bool ok = false;
	order_gate_facts(c, &f);
	if (!agent_trust_open(c, st, &t, &why)) {
		/* No policy in force (a device without one; install_apply_ack has
		 * said why): no order rule can apply, the export goes as before. */
		ok = true;
		goto out;
	}
	if (!policy_order_required(t.policy, f.device_type, order_op_name(ORDER_READ))) {
		ok = true;   /* as before orders existed: no folder read, no record */
		goto out;
	}
	if (!order_gate_load(&g, t.pgp, media_dir, err) ||
	    !order_gate_decide(&g, t.policy, &f, ORDER_READ, NULL, now, &v, err))
		goto out;
	if (!v.allowed) {
		if (order_gate_record(st, "export.refused", &v, NULL, err))
			ferry_error_setc(err, FERRY_E_POLICY, "%s", v.reason);
		goto out;
	}
	ok = record_read(st, &v, err);
out:
	order_gate_verdict_clear(&v);
	order_gate_clear(&g);
	agent_trust_close(&t);
	ferry_error_free(why);
	return ok;
}
