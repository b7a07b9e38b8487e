/* install: choosing what a stick offers this device (see install.h).
 * For every bundle, in the order of design §3: signatures verified over the
 * exact manifest bytes, the signers judged by the current policy, and only
 * then the manifest parsed and decided by the shared decide(). A newer
 * policy on the stick is considered first. The update lifecycle
 * (agent/lifecycle.h) does the rest; it never calls back. */
#include "agent/install.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/ack.h"
#include "agent/export.h"
#include "agent/refusals.h"
#include "agent/lifecycle.h"
#include "agent/trust.h"
#include "common/bundle_read.h"
#include "common/decide.h"
#include "common/pgp.h"
#include "common/policy.h"
#include "common/json.h"
#include "common/log.h"
#include "common/safefile.h"
#include "common/stick.h"
#include "common/admit.h"          /* the one admission: design §3's order */

struct candidate {
	const char *path;            /* the bundle file */
	const char *file;            /* its name, for messages */
	int dirfd;                   /* the stick's bundles/ holding file, or -1: by path */
	struct admission adm;        /* the one admission of this bundle for this device */
	const struct manifest *m;    /* adm.manifest: parsed only after signatures and policy */
	const struct decision *d;    /* this device's decision, NULL when none was made */
	json_t *signers;             /* fingerprints that counted */
	char **problems;             /* why it was refused before deciding (trust, format) */
	const char *problem_code;    /* "unreadable", "signature", "manifest" */
};

/* The run: the stick, for its audit records, and whether to draw progress. */
struct install_media {
	const char *usb_serial, *label;
	const char *usb_vendor, *usb_product;
	bool progress;             /* a progress bar on the terminal while payloads stream */
};

/* Appends a printf-formatted line to a NULL-terminated string vector. */
static void __attribute__((format(printf, 2, 3))) lines_add(char ***lines, const char *fmt, ...)
{
	size_t n = strv_len(*lines);
	char **v = realloc(*lines, (n + 2) * sizeof(*v));
	if (!v)
		return;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&v[n], fmt, ap) < 0)
		v[n] = NULL;
	va_end(ap);
	v[n + 1] = NULL;
	*lines = v;
}

void install_report_clear(struct install_report *r)
{
	free(r->summary);
	strv_free(r->lines);
	json_decref(r->json);
	memset(r, 0, sizeof(*r));
}

static void problem_add(struct candidate *cd, const char *code, const char *msg)
{
	size_t n = strv_len(cd->problems);
	char **v = realloc(cd->problems, (n + 2) * sizeof(*v));
	if (!v)
		return;
	v[n] = strdup(msg);
	v[n + 1] = NULL;
	cd->problems = v;
	if (!cd->problem_code)
		cd->problem_code = code;
}

/* Why a bundle was refused before its decision, in the agent's words:
 * "unreadable", "signature" (signatures or the policy) or "manifest". */
static void refusal_problems(struct candidate *cd, const struct ferry_error *e)
{
	const struct admission *a = &cd->adm;
	if (a->reached == ADMIT_READ) {
		problem_add(cd, "unreadable", ferry_error_message(e));
	} else if (a->reached == ADMIT_PARSE) {
		problem_add(cd, "manifest", ferry_error_message(e));
	} else if (a->n_devices == 1 && a->devices[0].code == FERRY_E_POLICY && a->devices[0].policy.reasons) {
		for (char **p = a->devices[0].policy.reasons; p && *p; p++)
			problem_add(cd, "signature", *p);
		if (!cd->problems)
			problem_add(cd, "signature", "the policy does not allow this release");
	} else {
		problem_add(cd, "signature", ferry_error_message(e));
	}
}

/* admit_installed_fn over agent.db. */
static bool installed_version(void *ctx, size_t i, const char *name, char **version,
			      struct ferry_error **err)
{
	(void)i;
	return state_installed_version(ctx, name, version, err);
}

/* The one admission for this device. false only when it could not be judged
 * (agent.db); a refused bundle is a candidate with problems or reasons. */
static bool evaluate(struct state *st, struct agent_trust *trust, const struct device_facts *facts,
		     time_t now, struct candidate *cd, struct ferry_error **err)
{
	struct ferry_error *e = NULL;
	struct admit_request rq = {
		.path = cd->path, .name = cd->dirfd >= 0 ? cd->file : NULL, .dirfd = cd->dirfd,
		.pgp = trust->pgp, .policy = trust->policy, .now = now,
		.devices = facts, .n_devices = 1, .installed = installed_version, .installed_ctx = st,
	};
	bool admitted = bundle_admit(&rq, &cd->adm, &e);
	if (!admitted && !cd->adm.refused) {
		*err = e;
		return false;
	}
	cd->m = cd->adm.manifest;
	if (cd->m && cd->adm.devices[0].code != FERRY_E_POLICY) {
		const struct admit_device *d = &cd->adm.devices[0];
		cd->d = &d->decision;
		cd->signers = json_array();
		for (char **p = d->policy.counted; p && *p; p++)
			json_array_append_new(cd->signers, json_string(*p));
	} else {
		refusal_problems(cd, e);
	}
	ferry_error_free(e);
	return true;
}

static json_t *reasons_json(const char *code, char *const *msgs)
{
	json_t *a = json_array();
	for (char *const *p = msgs; p && *p; p++)
		json_array_append_new(a, json_pack("{s:s,s:s}", "code", code, "message", *p));
	return a;
}

static char *join_reasons(json_t *reasons)
{
	char *s = NULL;
	size_t i;
	json_t *r;
	json_array_foreach(reasons, i, r) {
		const char *m = json_string_value(json_object_get(r, "message"));
		char *n = NULL;
		if (asprintf(&n, "%s%s%s", s ? s : "", s ? "; " : "", m ? m : "") < 0)
			break;
		free(s);
		s = n;
	}
	return s ? s : strdup("");
}

/* The bundles offered: a stick's ferry/bundles, or one bundle file. */
struct offer {
	struct media_stick *stick;
	const char **paths, **files;
	size_t n;
};

static bool offer_load(const char *path, struct offer *o, struct ferry_error **err)
{
	struct stat st;
	memset(o, 0, sizeof(*o));
	if (stat(path, &st) < 0)
		return ferry_error_errno(err, errno, "%s", path);
	if (S_ISDIR(st.st_mode)) {
		if (!stick_present(path, err) || !media_scan(path, &o->stick, err))
			return false;
		o->n = o->stick->n_bundles;
	} else {
		o->n = 1;
	}
	o->paths = calloc(o->n + 1, sizeof(*o->paths));
	o->files = calloc(o->n + 1, sizeof(*o->files));
	if (!o->paths || !o->files)
		return ferry_error_set(err, "out of memory");
	for (size_t i = 0; i < o->n; i++) {
		o->paths[i] = o->stick ? o->stick->bundles[i].path : path;
		o->files[i] = o->stick ? o->stick->bundles[i].file
				       : (strrchr(path, '/') ? strrchr(path, '/') + 1 : path);
	}
	return true;
}

static void offer_free(struct offer *o)
{
	media_stick_free(o->stick);
	free(o->paths);
	free(o->files);
}

/* Adopts a newer policy from the stick (before judging its bundles). */
static bool consider_policy(const struct agent_config *c, struct state *st, struct agent_trust *trust,
			    const struct offer *o, const struct install_request *rq,
			    const struct install_media *media, struct install_report *out,
			    struct ferry_error **err)
{
	if (!o->stick || !o->stick->policy_dir)
		return true;
	enum trust_adopt_outcome outcome;
	char *reason = NULL;
	struct auditlog_fields mev = { .usb_serial = media->usb_serial, .media_label = media->label,
		.usb_vendor = media->usb_vendor, .usb_product = media->usb_product };
	if (!agent_trust_adopt(c, st, trust, o->stick->policy_fd, o->stick->policy_dir, rq->dry_run,
			       &mev, &outcome, &reason, err))
		return false;
	if (outcome == TRUST_ADOPT_ADOPTED)
		lines_add(&out->lines, "trust policy: %s serial %lld from the stick",
			  rq->dry_run ? "would adopt" : "adopted", (long long)trust->policy->serial);
	else if (outcome == TRUST_ADOPT_REFUSED)
		lines_add(&out->lines, "trust policy on the stick not adopted: %s", reason);
	json_object_set_new(out->json, "policy",
			    json_pack("{s:s,s:I}", "outcome",
				      outcome == TRUST_ADOPT_ADOPTED ? "adopted" :
				      outcome == TRUST_ADOPT_SAME ? "same" : "refused",
				      "serial", (json_int_t)trust->policy->serial));
	free(reason);
	return true;
}

/* Files in ferry/bundles that are not bundles ferry may read (a FIFO, a link,
 * a name outside the rules): said on the console and, bounded, in one record. */
#define IGNORED_IN_RECORD 16
static bool report_ignored(struct state *st, const struct offer *o, bool dry_run,
			   const struct install_media *media, struct install_report *out,
			   struct ferry_error **err)
{
	size_t n = 0;
	json_t *first = json_array();
	for (; o->stick && o->stick->ignored && o->stick->ignored[n]; n++) {
		lines_add(&out->lines, STICK_BUNDLES_DIR "/%s: ignored", o->stick->ignored[n]);
		if (n < IGNORED_IN_RECORD)
			json_array_append_new(first, json_string(o->stick->ignored[n]));
	}
	bool ok = true;
	if (n && !dry_run) {
		json_t *detail = json_pack("{s:s,s:I,s:O}", "reason", "files in " STICK_DIR "/"
					   STICK_BUNDLES_DIR " that are not bundles ferry reads",
					   "count", (json_int_t)n, "ignored", first);
		struct auditlog_fields ev = {
			.event = "install.refused", .result = "refused",
			.code = ferry_code_name(FERRY_E_UNSAFE), .detail = detail,
			.usb_serial = media->usb_serial, .media_label = media->label,
			.usb_vendor = media->usb_vendor, .usb_product = media->usb_product,
		};
		ok = state_record(st, &ev, NULL, err);
		json_decref(detail);
	}
	json_decref(first);
	return ok;
}

/* Judges every bundle offered, then keeps the highest version of each. */
static bool admit_all(const struct agent_config *c, struct state *st, struct agent_trust *trust,
		      time_t now, struct candidate *cds, size_t n, struct ferry_error **err)
{
	/* anti-rollback per target (common/antirollback.h): the device-wide
	 * highest is what inventory reports, not what a bundle is held to */
	struct device_facts facts = {
		.id = c->device.id, .device_type = c->device.type, .hw_revision = c->device.hw_revision,
		.groups = c->device.groups,
	};
	struct security_floor *floors = NULL;
	size_t n_floors = 0;
	if (!state_security_floors(st, &floors, &n_floors, err))
		return false;
	facts.floors = floors;
	facts.n_floors = n_floors;
	struct device_attribute *attrs = agent_config_attributes(c);
	facts.attributes = attrs;
	facts.n_attributes = attrs ? c->device.n_attributes : 0;
	struct admission **as = calloc(n ? n : 1, sizeof(*as));
	bool ok = as != NULL;
	if (!ok)
		ferry_error_set(err, "out of memory");
	for (size_t i = 0; ok && i < n; i++) {
		ok = evaluate(st, trust, &facts, now, &cds[i], err);
		as[i] = &cds[i].adm;
	}
	ok = ok && admit_keep_highest(as, n, err);
	free(as);
	free(attrs);
	security_floors_free(floors, n_floors);
	return ok;
}

struct tally {
	int installed, failed, refused, pending;
	int foreign;    /* bundles only for other device types */
	int unconfirmed;   /* waiting for a local confirmation */
	int current;    /* already installed or superseded: nothing new */
};

/* Why the admission refused cd, as the audit record's code: the decision's
 * (compatibility) when one was made, else the step that stopped it. */
static enum ferry_code refusal_code(const struct candidate *cd)
{
	const struct admission *a = &cd->adm;
	return a->n_devices > 0 && a->devices[0].decided ? a->devices[0].code : a->code;
}

/* Reports a bundle that will not be installed, and adds it to the run's
 * refusal records (agent/refusals.c: one record however many). Out of scope
 * is normal on a stick for a whole fleet; a bundle file named on the command
 * line (named) was meant for this device, so out of scope refuses it. */
static bool report_refusal(struct refusals *rf, const struct candidate *cd, const struct decision *d,
			   bool dry_run, bool named, struct install_report *out, struct tally *t,
			   struct ferry_error **err)
{
	json_t *entry = d ? decision_json(d) : json_pack("{s:s,s:s}", "file", cd->file, "result", "refused");
	json_t *reasons = d ? json_incref(json_object_get(entry, "reasons"))
			    : reasons_json(cd->problem_code, cd->problems);
	if (!d)
		json_object_set(entry, "reasons", reasons);
	json_object_set_new(entry, "file", json_string(cd->file));
	char *text = join_reasons(reasons);
	const char *name = cd->m ? cd->m->name : cd->file;
	bool benign = d && decide_is_nothing_new(d), foreign = d && !named && decide_is_out_of_scope(d);
	bool skipped = benign || foreign;   /* not a refusal: see docs/field-guide.md */
	lines_add(&out->lines, "%s%s%s: %s: %s", name, cd->m ? " " : "", cd->m ? cd->m->version : "",
		  benign ? "nothing new" : foreign ? "not for this device" : "refused", text);
	if (benign)
		t->current++;
	else if (foreign)
		t->foreign++;
	else
		t->refused++;
	json_array_append(json_object_get(out->json, "bundles"), entry);
	bool ok = true;
	if (!dry_run) {
		json_t *detail = json_pack("{s:s,s:s,s:O}", "file", cd->file, "reason", text, "reasons", reasons);
		const char *code = skipped ? NULL : ferry_code_name(refusal_code(cd));
		ok = detail && refusals_add(rf, skipped, cd->m ? cd->m->name : NULL, cd->m ? cd->m->version : NULL,
					    cd->file, code, text, detail, err);
		json_decref(detail);
	}
	free(text);
	json_decref(reasons);
	json_decref(entry);
	return ok;
}

/* confirm: local, in the bundle or the device's config: a person at the
 * device must say yes (`install --confirm`); watch never installs it alone. */
static bool needs_confirmation(const struct agent_config *c, const struct manifest *m)
{
	return m->confirm == CONFIRM_LOCAL || c->confirm == AGENT_CONFIRM_LOCAL;
}

static bool await_confirmation(struct state *st, const struct manifest *m,
			       const struct install_request *rq, const struct install_media *media,
			       struct install_report *out, struct ferry_error **err)
{
	lines_add(&out->lines, "%s %s: needs a local confirmation: run `ferry-agent install --confirm %s` "
		  "at the device", m->name, m->version, rq->path);
	struct auditlog_fields ev = {
		.event = "install.awaiting_confirmation", .result = "info",
		.bundle = m->name, .version = m->version,
		.usb_serial = media->usb_serial, .media_label = media->label,
		.usb_vendor = media->usb_vendor, .usb_product = media->usb_product,
	};
	return state_record(st, &ev, NULL, err);
}

/* Hands one chosen bundle to the update lifecycle and says how it went:
 * *r, one line, and *pending when it waits for a reboot. */
static bool install_one(const struct agent_config *c, struct state *st, struct boot *boot,
			const struct candidate *cd, const struct decision *d,
			const struct install_media *media, char ***lines, enum notify_result *r,
			bool *pending, struct ferry_error **err)
{
	const struct manifest *m = d->manifest;
	struct lifecycle_update u = {
		.path = cd->path, .name = cd->dirfd >= 0 ? cd->file : NULL, .dirfd = cd->dirfd,
		.m = m, .v = d->variant, .signers = cd->signers,
		.usb_serial = media->usb_serial, .media_label = media->label,
		.usb_vendor = media->usb_vendor, .usb_product = media->usb_product, .progress = media->progress,
	};
	struct lifecycle_install_result res;
	if (!lifecycle_install(c, st, boot, &u, &res, err))
		return false;
	*r = NOTIFY_SUCCESS;
	*pending = res.outcome == LIFECYCLE_INSTALL_REBOOT_PENDING;
	switch (res.outcome) {
	case LIFECYCLE_INSTALL_REFUSED:
		lines_add(lines, "%s %s: refused: %s", m->name, m->version, res.why);
		*r = NOTIFY_REFUSED;
		break;
	case LIFECYCLE_INSTALL_FAILED:
		lines_add(lines, "%s %s: failed at %s: %s", m->name, m->version, res.step, res.why);
		*r = NOTIFY_FAILURE;
		break;
	case LIFECYCLE_INSTALL_REBOOT_PENDING:
		if (res.slot)
			lines_add(lines, "%s %s: installed into slot %c; reboot to try it, then commit",
				  m->name, m->version, res.slot);
		else
			lines_add(lines, "%s %s: installed; an update module asks for a reboot, then commit",
				  m->name, m->version);
		break;
	case LIFECYCLE_INSTALL_COMMITTED:
		lines_add(lines, "%s %s: installed and committed", m->name, m->version);
		break;
	case LIFECYCLE_INSTALL_ROLLED_BACK:
		lines_add(lines, "%s %s: health check failed, rolled back: %s", m->name, m->version,
			  res.why ? res.why : "");
		*r = NOTIFY_FAILURE;
		break;
	}
	lifecycle_install_result_clear(&res);
	return true;
}

/* Installs the accepted bundles one after the other; one that needs a reboot
 * ends the run (the others wait for the next stick after its commit). */
static bool install_accepted(const struct agent_config *c, struct state *st, struct boot *boot,
			     struct candidate *cds, size_t n, const struct install_request *rq,
			     const struct install_media *media, struct install_report *out,
			     struct tally *t, struct ferry_error **err)
{
	const struct manifest *blocking = NULL;
	for (size_t i = 0; i < n; i++) {
		const struct decision *d = cds[i].d;
		if (!d || !d->variant)
			continue;
		json_t *entry = decision_json(d);
		json_object_set_new(entry, "file", json_string(cds[i].file));
		json_object_set(entry, "signers", cds[i].signers);
		json_array_append(json_object_get(out->json, "bundles"), entry);
		if (rq->dry_run) {
			lines_add(&out->lines, "%s %s: would install variant %s%s%s", d->manifest->name,
				  d->manifest->version, d->variant->id,
				  lifecycle_needs_reboot(d->variant) ? " (then reboot and commit)" : "",
				  needs_confirmation(c, d->manifest) ? " after a local confirmation" : "");
			t->pending++;
		} else if (blocking) {
			lines_add(&out->lines, "%s %s: waits until %s %s is committed", d->manifest->name,
				  d->manifest->version, blocking->name, blocking->version);
			json_object_set_new(entry, "result", json_string("waiting"));
			t->pending++;
		} else if (needs_confirmation(c, d->manifest) && !rq->confirmed) {
			if (!await_confirmation(st, d->manifest, rq, media, out, err)) {
				json_decref(entry);
				return false;
			}
			json_object_set_new(entry, "result", json_string("awaiting_confirmation"));
			t->unconfirmed++;
		} else {
			enum notify_result r;
			bool pending = false;
			if (!install_one(c, st, boot, &cds[i], d, media, &out->lines, &r, &pending, err)) {
				json_decref(entry);
				return false;
			}
			json_object_set_new(entry, "result", json_string(notify_result_name(r)));
			if (r == NOTIFY_SUCCESS)
				t->installed++;
			else if (r == NOTIFY_REFUSED)
				t->refused++;
			else
				t->failed++;
			/* An update waiting for its reboot (a slot, or a module that asked
			 * for one) ends what this stick can do now. */
			if (pending)
				blocking = d->manifest;
		}
		json_decref(entry);
	}
	return true;
}

static void summarise(const struct install_request *rq, const struct tally *t,
		      struct install_report *out)
{
	const char *verb = rq->dry_run ? "would install" : "installed";
	if (t->failed)
		out->result = NOTIFY_FAILURE;
	else if (t->installed || (rq->dry_run && t->pending))
		out->result = NOTIFY_SUCCESS;
	else if (t->refused)
		out->result = NOTIFY_REFUSED;   /* something meant for this device failed a check */
	else
		out->result = NOTIFY_NOTHING;
	char others[48] = "";
	if (t->foreign)
		snprintf(others, sizeof(others), ", %d for other devices", t->foreign);
	if (asprintf(&out->summary, "%d %s, %d failed, %d refused%s%s%s", rq->dry_run ? t->pending : t->installed,
		     verb, t->failed, t->refused, others,
		     !rq->dry_run && t->pending ? ", more waiting for a commit" : "",
		     t->unconfirmed ? ", waiting for a local confirmation" : "") < 0)
		out->summary = NULL;
	json_object_set_new(out->json, "result", json_string(notify_result_name(out->result)));
	json_object_set_new(out->json, "summary", json_string(out->summary ? out->summary : ""));
}

/* A device in the middle of an update takes nothing new until it ends. */
static bool busy(const struct state_info *info, struct install_report *out)
{
	if (state_is_at_rest(info->state))
		return false;
	lines_add(&out->lines, "%s %s is %s: commit or roll it back before installing anything else",
		  info->has_txn ? info->txn.bundle : "an update", info->has_txn ? info->txn.version : "",
		  state_name(info->state));
	out->result = NOTIFY_NOTHING;
	out->summary = strdup("an update is waiting for reboot or commit");
	json_object_set_new(out->json, "result", json_string("nothing"));
	json_object_set_new(out->json, "summary", json_string(out->summary));
	return true;
}

bool install_run(const struct agent_config *c, const struct install_request *rq,
		 struct install_report *out, struct ferry_error **err)
{
	bool ok = false;
	int lock = -1;
	struct state *st = NULL;
	struct boot *boot = NULL;
	struct state_info info = { 0 };
	struct agent_trust trust = { 0 };
	struct offer offer = { 0 };
	struct candidate *cds = NULL;
	struct tally tally = { 0 };
	struct refusals rf = { 0 };
	struct install_media media = {
		.usb_serial = rq->media && rq->media->serial[0] ? rq->media->serial : NULL,
		.label = rq->media && rq->media->label[0] ? rq->media->label : NULL,
		.usb_vendor = rq->media && rq->media->vendor[0] ? rq->media->vendor : NULL,
		.usb_product = rq->media && rq->media->product[0] ? rq->media->product : NULL,
		.progress = rq->progress,
	};
	time_t now = rq->now ? rq->now : time(NULL);
	memset(out, 0, sizeof(*out));
	out->json = json_pack("{s:s,s:[]}", "device", c->device.id, "bundles");

	if (!rq->dry_run && !lifecycle_lock(c, &lock, err))
		goto out;
	if (!lifecycle_open(c, &st, &boot, err))
		goto out;
	if (!rq->dry_run && !lifecycle_recover(c, st, boot, err))
		goto out;
	if (!state_get(st, &info, err))
		goto out;
	if (busy(&info, out)) {
		ok = true;
		goto out;
	}
	if (!agent_trust_open(c, st, &trust, err) || !offer_load(rq->path, &offer, err))
		goto out;
	if (!consider_policy(c, st, &trust, &offer, rq, &media, out, err) ||
	    !report_ignored(st, &offer, rq->dry_run, &media, out, err))
		goto out;
	cds = calloc(offer.n ? offer.n : 1, sizeof(*cds));
	if (!cds) {
		ferry_error_set(err, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < offer.n; i++) {
		cds[i].path = offer.paths[i];
		cds[i].file = offer.files[i];
		cds[i].dirfd = offer.stick ? offer.stick->bundles_fd : -1;
	}
	if (!admit_all(c, st, &trust, now, cds, offer.n, err))
		goto out;
	for (size_t i = 0; i < offer.n; i++) {
		const struct decision *d = cds[i].d;
		if ((!d || !d->variant) &&
		    !report_refusal(&rf, &cds[i], d, rq->dry_run, !offer.stick, out, &tally, err))
			goto out;
	}
	struct auditlog_fields stick = { .usb_serial = media.usb_serial, .media_label = media.label,
				     .usb_vendor = media.usb_vendor, .usb_product = media.usb_product };
	if (!refusals_record(&rf, st, &stick, err))
		goto out;
	if (!install_accepted(c, st, boot, cds, offer.n, rq, &media, out, &tally, err))
		goto out;
	if (offer.n == 0)
		lines_add(&out->lines, "no bundles on %s", rq->path);
	summarise(rq, &tally, out);
	ok = true;
out:
	for (size_t i = 0; cds && i < offer.n; i++) {
		admission_clear(&cds[i].adm);
		json_decref(cds[i].signers);
		strv_free(cds[i].problems);
	}
	free(cds);
	refusals_clear(&rf);
	offer_free(&offer);
	agent_trust_close(&trust);
	state_info_clear(&info);
	boot_close(boot);
	state_close(st);
	if (lock >= 0)
		close(lock);
	return ok;
}

/* HQ's acknowledgement on the stick, if any, lets the device prune what HQ
 * holds (agent/ack.c checks it is HQ's). A bad ack changes nothing and does
 * not fail the stick: it is reported and the records stay. */
void install_apply_ack(const struct agent_config *c, struct state *st, const char *dir)
{
	struct agent_trust t = { 0 };
	struct ack_result r = { 0 };
	struct ferry_error *e = NULL;
	char *ferry = media_path(dir, NULL);
	if (!ferry || !agent_trust_open(c, st, &t, &e) ||
	    !ack_apply(st, t.pgp, t.policy, c->device.type, ferry, time(NULL), &r, &e))
		log_warn("acknowledgement on %s not applied: %s", dir, ferry_error_message(e));
	else if (r.found)
		log_info("HQ acknowledged records up to %llu; %llu pruned", (unsigned long long)r.seq,
			 (unsigned long long)r.pruned);
	agent_trust_close(&t);
	ferry_error_free(e);
	free(ferry);
}

bool install_export(const struct agent_config *c, const char *dir, size_t *n_records,
		    struct ferry_error **err)
{
	struct state *st = NULL;
	struct boot *b = NULL;
	struct agent_export_result res = { 0 };
	bool ok = stick_present(dir, err) && lifecycle_open(c, &st, &b, err);
	/* The ack first: what HQ holds need not travel again. */
	if (ok)
		install_apply_ack(c, st, dir);
	ok = ok && agent_export(c, st, b, dir, &res, err);
	if (ok && n_records)
		*n_records = res.n;
	if (ok && res.more)
		log_warn("%s: newer audit records did not fit; they go on the next stick", dir);
	free(res.dir);
	boot_close(b);
	state_close(st);
	return ok;
}
