/* state: see state.h. Every write runs inside BEGIN IMMEDIATE … COMMIT, so a
 * state change and its audit record land together or not at all; WAL with
 * synchronous=FULL makes a committed transaction survive a power cut. */
#include "state.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/auditlog.h"
#include "common/rfc3339.h"
#include "common/safefile.h"

struct state {
	sqlite3 *db;
	char *path;
	char *device;
};

static const char *const state_names[] = {
	"idle", "verifying", "installing", "installed", "trial", "committed", "failed", "rolled_back",
};
#define N_STATES (sizeof(state_names) / sizeof(state_names[0]))

/* Schema 1, as the first agents created it; create_schema makes it and the
 * migrations bring it up to STATE_SCHEMA_VERSION, so a new database and an
 * upgraded one are made by the same statements. */
static const char schema_sql[] =
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value NOT NULL);"
	"CREATE TABLE installed (name TEXT PRIMARY KEY, version TEXT NOT NULL);"
	"CREATE TABLE txn (id INTEGER PRIMARY KEY CHECK (id = 1), bundle TEXT, version TEXT,"
	"  variant TEXT, security_version INTEGER NOT NULL DEFAULT 0, target_slot TEXT,"
	"  previous_slot TEXT, started TEXT, usb_serial TEXT, media_label TEXT, detail TEXT);"
	"CREATE TABLE progress (payload TEXT PRIMARY KEY, handler TEXT, phase TEXT,"
	"  offset INTEGER NOT NULL DEFAULT 0, data TEXT);"
	"CREATE TABLE journal (seq INTEGER PRIMARY KEY, line TEXT NOT NULL);";

/* Schema 2 (issue 11): the highest security_version per target
 * (common/antirollback.h), seeded from schema 1's one value per device,
 * which stays as "*" (every target known then) and as each installed
 * bundle's name; the transaction keeps the targets it writes and the
 * stick's USB ids, so records written after a restart still name them. */
static const char migrate_2_sql[] =
	"ALTER TABLE txn ADD COLUMN usb_vendor TEXT;"
	"ALTER TABLE txn ADD COLUMN usb_product TEXT;"
	"ALTER TABLE txn ADD COLUMN security_targets TEXT;"
	"CREATE TABLE security (target TEXT PRIMARY KEY, value INTEGER NOT NULL);"
	"INSERT INTO security (target, value) SELECT '*', value FROM meta"
	"  WHERE key = 'security_version' AND value > 0;"
	"INSERT INTO security (target, value) SELECT 'bundle:' || i.name, m.value"
	"  FROM installed AS i, meta AS m WHERE m.key = 'security_version' AND m.value > 0;"
	"PRAGMA user_version = 2;";

/* The statements that bring schema N-1 to N, from 2 on. */
static const char *const migrations[] = { [2] = migrate_2_sql };

const char *state_name(enum agent_state s)
{
	return (size_t)s < N_STATES ? state_names[s] : "unknown";
}

bool state_is_at_rest(enum agent_state s)
{
	return s == AGENT_STATE_IDLE || s == AGENT_STATE_COMMITTED || s == AGENT_STATE_FAILED ||
	       s == AGENT_STATE_ROLLED_BACK;
}

bool state_transition_allowed(enum agent_state from, enum agent_state to)
{
	if (from == to)
		return true;
	switch (from) {
	case AGENT_STATE_IDLE:
	case AGENT_STATE_COMMITTED:
	case AGENT_STATE_FAILED:
	case AGENT_STATE_ROLLED_BACK:
		return to == AGENT_STATE_VERIFYING || to == AGENT_STATE_IDLE;
	case AGENT_STATE_VERIFYING:
		return to == AGENT_STATE_INSTALLING || to == AGENT_STATE_FAILED ||
		       to == AGENT_STATE_IDLE;
	case AGENT_STATE_INSTALLING:
		/* committed directly: updates that need no reboot (files, scripts);
		 * trial: a crash after the bootloader was armed, before "installed". */
		return to == AGENT_STATE_INSTALLED || to == AGENT_STATE_FAILED ||
		       to == AGENT_STATE_COMMITTED || to == AGENT_STATE_ROLLED_BACK ||
		       to == AGENT_STATE_TRIAL;
	case AGENT_STATE_INSTALLED:
		return to == AGENT_STATE_TRIAL || to == AGENT_STATE_COMMITTED ||
		       to == AGENT_STATE_ROLLED_BACK || to == AGENT_STATE_FAILED;
	case AGENT_STATE_TRIAL:
		return to == AGENT_STATE_COMMITTED || to == AGENT_STATE_ROLLED_BACK ||
		       to == AGENT_STATE_FAILED;
	}
	return false;
}

static bool db_error(struct state *s, struct ferry_error **err, const char *what)
{
	return ferry_error_set(err, "%s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

static bool exec(struct state *s, const char *sql, struct ferry_error **err)
{
	char *msg = NULL;
	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		ferry_error_set(err, "%s: %s", s->path, msg ? msg : sqlite3_errmsg(s->db));
		sqlite3_free(msg);
		return false;
	}
	return true;
}

/* Prepares sql and binds text/int arguments described by types ('t' text
 * or NULL, 'i' int64). */
static sqlite3_stmt *prepare(struct state *s, const char *sql, struct ferry_error **err,
			     const char *types, ...)
{
	sqlite3_stmt *st = NULL;
	va_list ap;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		db_error(s, err, "prepare");
		return NULL;
	}
	va_start(ap, types);
	for (int i = 0; types && types[i]; i++) {
		int rc;
		if (types[i] == 't') {
			const char *v = va_arg(ap, const char *);
			rc = v ? sqlite3_bind_text(st, i + 1, v, -1, SQLITE_TRANSIENT)
			       : sqlite3_bind_null(st, i + 1);
		} else {
			rc = sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
		}
		if (rc != SQLITE_OK) {
			va_end(ap);
			db_error(s, err, "bind");
			sqlite3_finalize(st);
			return NULL;
		}
	}
	va_end(ap);
	return st;
}

/* Runs a statement that returns no rows, then finalizes it. */
static bool run(struct state *s, sqlite3_stmt *st, struct ferry_error **err)
{
	if (!st)
		return false;
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? true : db_error(s, err, "write");
}

static char *column_dup(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	return t ? strdup((const char *)t) : NULL;
}

static bool meta_get_int(struct state *s, const char *key, int64_t *out, struct ferry_error **err)
{
	sqlite3_stmt *st = prepare(s, "SELECT value FROM meta WHERE key = ?", err, "t", key);
	if (!st)
		return false;
	int rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? true : db_error(s, err, "read meta");
}

/* *out is "" when absent; holds at most size - 1 bytes. */
static bool meta_get_text(struct state *s, const char *key, char *out, size_t size,
			  struct ferry_error **err)
{
	sqlite3_stmt *st = prepare(s, "SELECT value FROM meta WHERE key = ?", err, "t", key);
	if (!st)
		return false;
	int rc = sqlite3_step(st);
	const unsigned char *t = rc == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
	snprintf(out, size, "%s", t ? (const char *)t : "");
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? true : db_error(s, err, "read meta");
}

static bool meta_set_int(struct state *s, const char *key, int64_t v, struct ferry_error **err)
{
	return run(s, prepare(s, "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", err, "ti",
			      key, v), err);
}

static bool meta_set_text(struct state *s, const char *key, const char *v, struct ferry_error **err)
{
	return run(s, prepare(s, "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", err, "tt",
			      key, v), err);
}

static bool create_schema(struct state *s, const struct agent_kv *seed, size_t n_seed,
			  struct ferry_error **err)
{
	if (!exec(s, schema_sql, err) || !meta_set_text(s, "device", s->device, err) ||
	    !meta_set_int(s, "state", AGENT_STATE_IDLE, err) ||
	    !meta_set_int(s, "boot_count", 0, err) || !meta_set_text(s, "boot_id", "", err) ||
	    !meta_set_int(s, "security_version", 0, err) ||
	    !meta_set_int(s, "policy_serial", 0, err) || !meta_set_int(s, "exported_seq", 0, err))
		return false;
	for (size_t i = 0; i < n_seed; i++)
		if (!run(s, prepare(s, "INSERT INTO installed (name, version) VALUES (?, ?)", err, "tt",
				    seed[i].key, seed[i].value), err))
			return false;
	return exec(s, "PRAGMA user_version = 1", err);
}

/* Brings a database of schema version (>= 1) up to STATE_SCHEMA_VERSION,
 * inside the caller's transaction. */
static bool migrate(struct state *s, int64_t version, struct ferry_error **err)
{
	for (int64_t v = version + 1; v <= STATE_SCHEMA_VERSION; v++) {
		if (!exec(s, migrations[v], err)) {
			ferry_error_prefix(err, "migration to schema %lld", (long long)v);
			return false;
		}
	}
	return true;
}

/* Creates the schema on first open; checks version and device afterwards. */
static bool prepare_schema(struct state *s, const struct agent_kv *seed, size_t n_seed,
			   struct ferry_error **err)
{
	int64_t version = 0;
	char device[128];
	if (!exec(s, "BEGIN IMMEDIATE", err))
		return false;
	sqlite3_stmt *st = prepare(s, "PRAGMA user_version", err, NULL);
	if (!st)
		goto fail;
	if (sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (version == 0 && !create_schema(s, seed, n_seed, err))
		goto fail;
	if (version > STATE_SCHEMA_VERSION) {
		ferry_error_set(err, "%s: schema version %lld is newer than this agent's %d", s->path,
				(long long)version, STATE_SCHEMA_VERSION);
		goto fail;
	}
	if (!migrate(s, version ? version : 1, err))
		goto fail;
	if (!meta_get_text(s, "device", device, sizeof(device), err))
		goto fail;
	if (strcmp(device, s->device) != 0) {
		ferry_error_set(err, "%s: belongs to device '%s', not '%s'", s->path, device, s->device);
		goto fail;
	}
	return exec(s, "COMMIT", err);
fail:
	exec(s, "ROLLBACK", NULL);
	return false;
}

bool state_open(const char *state_dir, const char *device_id, const struct agent_kv *seed,
		size_t n_seed, struct state **out, struct ferry_error **err)
{
	struct state *s = calloc(1, sizeof(*s));
	if (!s)
		return ferry_error_set(err, "out of memory");
	if (!mkdir_p(state_dir, 0700, err))
		goto fail;
	if (asprintf(&s->path, "%s/%s", state_dir, STATE_DB_NAME) < 0 || !(s->device = strdup(device_id))) {
		ferry_error_set(err, "out of memory");
		goto fail;
	}
	if (sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		db_error(s, err, "open");
		goto fail;
	}
	/* Concurrent agents (watch daemon + a technician's status) wait for each other. */
	sqlite3_busy_timeout(s->db, 10000);
	if (!exec(s, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;", err) ||
	    !prepare_schema(s, seed, n_seed, err))
		goto fail;
	*out = s;
	return true;
fail:
	state_close(s);
	return false;
}

bool state_open_config(const struct agent_config *c, struct state **out, struct ferry_error **err)
{
	return state_open(c->state_dir, c->device.id, c->device.installed, c->device.n_installed,
			  out, err);
}

void state_close(struct state *s)
{
	if (!s)
		return;
	sqlite3_close(s->db);
	free(s->path);
	free(s->device);
	free(s);
}

const char *state_device(const struct state *s)
{
	return s->device;
}

/* The newest line: its hash is the next prev. */
static bool last_record(struct state *s, uint64_t *seq, char hash[SHA256_HEX_LEN + 1],
			struct ferry_error **err)
{
	sqlite3_stmt *st = prepare(s, "SELECT seq, line FROM journal ORDER BY seq DESC LIMIT 1", err, NULL);
	if (!st)
		return false;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*seq = (uint64_t)sqlite3_column_int64(st, 0);
		auditlog_line_hash((const char *)sqlite3_column_text(st, 1),
				   (size_t)sqlite3_column_bytes(st, 1), hash);
	} else {
		*seq = 0;
		memcpy(hash, AUDITLOG_GENESIS_PREV, SHA256_HEX_LEN + 1);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? true : db_error(s, err, "read journal");
}

static bool append_record(struct state *s, const struct auditlog_fields *ev, uint64_t *seq_out,
			  struct ferry_error **err)
{
	bool ok = false;
	char prev[SHA256_HEX_LEN + 1], now[RFC3339_UTC_LEN + 1];
	char *line = NULL;
	uint64_t last = 0;
	int64_t boot = 0;
	if (!last_record(s, &last, prev, err) || !meta_get_int(s, "boot_count", &boot, err))
		return false;
	rfc3339_format_utc((int64_t)time(NULL), now);
	/* Whatever a stick or bundle put into the event, the record stays small. */
	json_t *detail = ev->detail ? auditlog_detail_bound(ev->detail) : NULL;
	bool cut = false;
	char *label = ev->media_label ? auditlog_string_bound(ev->media_label, 256, &cut) : NULL;
	char *serial = ev->usb_serial ? auditlog_string_bound(ev->usb_serial, 256, &cut) : NULL;
	/* Every field the caller set, whatever the record format has added since. */
	struct auditlog_fields f = *ev;
	f.seq = last + 1;
	f.prev = prev;
	f.time = now;
	f.boot = boot;
	f.device = s->device;
	f.usb_serial = serial;
	f.media_label = label;
	f.detail = detail;
	if ((ev->detail && !detail) || (ev->media_label && !label) || (ev->usb_serial && !serial)) {
		ferry_error_set(err, "out of memory");
		goto out;
	}
	if (!auditlog_line_build(&f, &line, err) ||
	    !run(s, prepare(s, "INSERT INTO journal (seq, line) VALUES (?, ?)", err, "it",
			    (int64_t)f.seq, line), err))
		goto out;
	if (seq_out)
		*seq_out = f.seq;
	ok = true;
out:
	json_decref(detail);
	free(label);
	free(serial);
	free(line);
	return ok;
}

static bool begin_txn(struct state *s, const struct state_txn *t, struct ferry_error **err)
{
	char now[RFC3339_UTC_LEN + 1];
	rfc3339_format_utc((int64_t)time(NULL), now);
	return exec(s, "DELETE FROM txn; DELETE FROM progress;", err) &&
	       run(s, prepare(s, "INSERT INTO txn (id, bundle, version, variant, security_version,"
				 " target_slot, previous_slot, started, usb_serial, media_label, detail,"
				 " usb_vendor, usb_product, security_targets)"
				 " VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", err, "tttittttttttt",
			      t->bundle, t->version, t->variant, t->security_version, t->target_slot,
			      t->previous_slot, t->started ? t->started : now, t->usb_serial,
			      t->media_label, t->detail, t->usb_vendor, t->usb_product,
			      t->security_targets), err);
}

/* Raises the device's highest security_version and that of every target
 * the current transaction writes to at least value; without a transaction
 * that names its targets (one begun by an agent of schema 1), every target. */
static bool raise_security(struct state *s, int64_t value, struct ferry_error **err)
{
	int64_t v = 0;
	if (!meta_get_int(s, "security_version", &v, err) ||
	    (value > v && !meta_set_int(s, "security_version", value, err)))
		return false;
	return run(s, prepare(s, "INSERT INTO security (target, value) SELECT j.value, ? FROM"
				 " json_each(COALESCE((SELECT security_targets FROM txn), '[\"*\"]')) AS j"
				 " WHERE true ON CONFLICT(target) DO UPDATE"
				 " SET value = MAX(value, excluded.value)", err, "i", value), err);
}

static bool apply_change(struct state *s, const struct state_change *c, struct ferry_error **err)
{
	int64_t v = 0;
	if (c->new_boot && (!meta_get_int(s, "boot_count", &v, err) ||
			    !meta_set_int(s, "boot_count", v + 1, err) ||
			    !meta_set_text(s, "boot_id", c->boot_id ? c->boot_id : "", err)))
		return false;
	if (c->set_state) {
		if (!meta_get_int(s, "state", &v, err))
			return false;
		if (!state_transition_allowed((enum agent_state)v, c->state))
			return ferry_error_set(err, "state: cannot go from %s to %s",
					       state_name((enum agent_state)v), state_name(c->state));
		if (!meta_set_int(s, "state", c->state, err))
			return false;
	}
	/* before the transaction ends: it names the targets */
	if (c->security_version > 0 && !raise_security(s, c->security_version, err))
		return false;
	if (c->clear_txn && !exec(s, "DELETE FROM txn; DELETE FROM progress;", err))
		return false;
	if (c->begin_txn && !begin_txn(s, c->begin_txn, err))
		return false;
	if (c->installed_name && c->installed_version &&
	    !run(s, prepare(s, "INSERT OR REPLACE INTO installed (name, version) VALUES (?, ?)", err,
			    "tt", c->installed_name, c->installed_version), err))
		return false;
	if (c->policy_serial > 0 && !meta_set_int(s, "policy_serial", c->policy_serial, err))
		return false;
	return true;
}

static bool change_is_only_boot(const struct state_change *c)
{
	return !c->set_state && !c->begin_txn && !c->clear_txn && !c->installed_name &&
	       c->security_version <= 0 && c->policy_serial <= 0;
}

bool state_apply(struct state *s, const struct state_change *change, const struct auditlog_fields *ev,
		 uint64_t *seq_out, struct ferry_error **err)
{
	static const struct state_change none;
	if (!change)
		change = &none;
	if (seq_out)
		*seq_out = 0;
	if (!ev && !change_is_only_boot(change))
		return ferry_error_set(err, "state: a state change needs its audit record");
	if (ev && (!ev->event || !ev->result))
		return ferry_error_set(err, "state: an audit record needs an event and a result");
	if (!exec(s, "BEGIN IMMEDIATE", err))
		return false;
	if (!apply_change(s, change, err) || (ev && !append_record(s, ev, seq_out, err))) {
		exec(s, "ROLLBACK", NULL);
		return false;
	}
	if (!exec(s, "COMMIT", err)) {
		exec(s, "ROLLBACK", NULL);
		return false;
	}
	return true;
}

bool state_record(struct state *s, const struct auditlog_fields *ev, uint64_t *seq_out,
		  struct ferry_error **err)
{
	return state_apply(s, NULL, ev, seq_out, err);
}

bool state_progress_set(struct state *s, const struct state_progress *p, struct ferry_error **err)
{
	if (!p->payload)
		return ferry_error_set(err, "state: progress needs a payload name");
	return run(s, prepare(s, "INSERT OR REPLACE INTO progress (payload, handler, phase, offset, data)"
				 " VALUES (?, ?, ?, ?, ?)", err, "tttit", p->payload, p->handler,
			      p->phase, (int64_t)p->offset, p->data), err);
}

bool state_progress_get(struct state *s, const char *payload, struct state_progress *out,
			bool *found, struct ferry_error **err)
{
	sqlite3_stmt *st = prepare(s, "SELECT payload, handler, phase, offset, data FROM progress"
				      " WHERE payload = ?", err, "t", payload);
	if (!st)
		return false;
	int rc = sqlite3_step(st);
	*found = rc == SQLITE_ROW;
	if (*found) {
		memset(out, 0, sizeof(*out));
		out->payload = column_dup(st, 0);
		out->handler = column_dup(st, 1);
		out->phase = column_dup(st, 2);
		out->offset = (uint64_t)sqlite3_column_int64(st, 3);
		out->data = column_dup(st, 4);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? true : db_error(s, err, "read progress");
}

void state_progress_clear(struct state_progress *p)
{
	free(p->payload);
	free(p->handler);
	free(p->phase);
	free(p->data);
	memset(p, 0, sizeof(*p));
}

void state_txn_clear(struct state_txn *t)
{
	free(t->bundle);
	free(t->version);
	free(t->variant);
	free(t->target_slot);
	free(t->previous_slot);
	free(t->started);
	free(t->usb_serial);
	free(t->media_label);
	free(t->detail);
	free(t->usb_vendor);
	free(t->usb_product);
	free(t->security_targets);
	memset(t, 0, sizeof(*t));
}

static bool read_txn(struct state *s, struct state_info *out, struct ferry_error **err)
{
	sqlite3_stmt *st = prepare(s, "SELECT bundle, version, variant, security_version, target_slot,"
				      " previous_slot, started, usb_serial, media_label, detail,"
				      " usb_vendor, usb_product, security_targets FROM txn",
				   err, NULL);
	if (!st)
		return false;
	int rc = sqlite3_step(st);
	out->has_txn = rc == SQLITE_ROW;
	if (out->has_txn) {
		struct state_txn *t = &out->txn;
		t->bundle = column_dup(st, 0);
		t->version = column_dup(st, 1);
		t->variant = column_dup(st, 2);
		t->security_version = sqlite3_column_int64(st, 3);
		t->target_slot = column_dup(st, 4);
		t->previous_slot = column_dup(st, 5);
		t->started = column_dup(st, 6);
		t->usb_serial = column_dup(st, 7);
		t->media_label = column_dup(st, 8);
		t->detail = column_dup(st, 9);
		t->usb_vendor = column_dup(st, 10);
		t->usb_product = column_dup(st, 11);
		t->security_targets = column_dup(st, 12);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? true : db_error(s, err, "read txn");
}

static bool first_seq(struct state *s, uint64_t *out, struct ferry_error **err)
{
	sqlite3_stmt *st = prepare(s, "SELECT COALESCE(MIN(seq), 0) FROM journal", err, NULL);
	if (!st)
		return false;
	int rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? true : db_error(s, err, "read journal");
}

bool state_get(struct state *s, struct state_info *out, struct ferry_error **err)
{
	int64_t st = 0, exported = 0;
	memset(out, 0, sizeof(*out));
	/* One read transaction: a consistent snapshot. */
	if (!exec(s, "BEGIN", err))
		return false;
	bool ok = meta_get_int(s, "state", &st, err) &&
		  meta_get_int(s, "boot_count", &out->boot_count, err) &&
		  meta_get_text(s, "boot_id", out->boot_id, sizeof(out->boot_id), err) &&
		  meta_get_int(s, "security_version", &out->security_version, err) &&
		  meta_get_int(s, "policy_serial", &out->policy_serial, err) &&
		  meta_get_int(s, "exported_seq", &exported, err) &&
		  last_record(s, &out->last_seq, out->last_hash, err) &&
		  first_seq(s, &out->first_seq, err) && read_txn(s, out, err);
	exec(s, "COMMIT", NULL);
	out->state = (enum agent_state)st;
	out->exported_seq = (uint64_t)exported;
	if (!ok)
		state_info_clear(out);
	return ok;
}

void state_info_clear(struct state_info *i)
{
	state_txn_clear(&i->txn);
	i->has_txn = false;
}

bool state_security_floors(struct state *s, struct security_floor **out, size_t *n,
			   struct ferry_error **err)
{
	sqlite3_stmt *st = prepare(s, "SELECT target, value FROM security ORDER BY target", err, NULL);
	struct security_floor *f = NULL;
	size_t count = 0;
	int rc;
	if (!st)
		return false;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct security_floor *grown = realloc(f, (count + 1) * sizeof(*f));
		if (!grown) {
			rc = SQLITE_NOMEM;
			break;
		}
		f = grown;
		f[count].target = column_dup(st, 0);
		f[count].value = sqlite3_column_int64(st, 1);
		count++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		security_floors_free(f, count);
		return db_error(s, err, "read security");
	}
	*out = f;
	*n = count;
	return true;
}

void state_media_from_txn(struct auditlog_fields *ev, const struct state_info *info)
{
	if (!info->has_txn)
		return;
	ev->usb_serial = info->txn.usb_serial;
	ev->media_label = info->txn.media_label;
	ev->usb_vendor = info->txn.usb_vendor;
	ev->usb_product = info->txn.usb_product;
}

bool state_installed(struct state *s, struct agent_kv **out, size_t *n, struct ferry_error **err)
{
	sqlite3_stmt *st = prepare(s, "SELECT name, version FROM installed ORDER BY name", err, NULL);
	struct agent_kv *kv = NULL;
	size_t count = 0;
	int rc;
	if (!st)
		return false;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct agent_kv *grown = realloc(kv, (count + 1) * sizeof(*kv));
		if (!grown) {
			rc = SQLITE_NOMEM;
			break;
		}
		kv = grown;
		kv[count].key = column_dup(st, 0);
		kv[count].value = column_dup(st, 1);
		count++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		state_kv_free(kv, count);
		return db_error(s, err, "read installed");
	}
	*out = kv;
	*n = count;
	return true;
}

void state_kv_free(struct agent_kv *kv, size_t n)
{
	for (size_t i = 0; kv && i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

bool state_installed_version(struct state *s, const char *name, char **version,
			     struct ferry_error **err)
{
	sqlite3_stmt *st = prepare(s, "SELECT version FROM installed WHERE name = ?", err, "t", name);
	if (!st)
		return false;
	int rc = sqlite3_step(st);
	*version = rc == SQLITE_ROW ? column_dup(st, 0) : NULL;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? true : db_error(s, err, "read installed");
}

void state_records_clear(struct state_records *r)
{
	for (size_t i = 0; r->lines && i < r->n; i++)
		free(r->lines[i]);
	free(r->lines);
	memset(r, 0, sizeof(*r));
}

/* Collects the rows of st (seq, line) into out. */
static bool collect_records(struct state *s, sqlite3_stmt *st, struct state_records *out,
			    struct ferry_error **err)
{
	int rc;
	memset(out, 0, sizeof(*out));
	if (!st)
		return false;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char **grown = realloc(out->lines, (out->n + 1) * sizeof(char *));
		if (!grown) {
			rc = SQLITE_NOMEM;
			break;
		}
		out->lines = grown;
		uint64_t seq = (uint64_t)sqlite3_column_int64(st, 0);
		if (out->n == 0)
			out->first_seq = seq;
		out->last_seq = seq;
		out->lines[out->n++] = column_dup(st, 1);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		state_records_clear(out);
		return db_error(s, err, "read journal");
	}
	return true;
}

bool state_records_after(struct state *s, uint64_t after_seq, size_t max,
			 struct state_records *out, struct ferry_error **err)
{
	return collect_records(s, prepare(s, "SELECT seq, line FROM journal WHERE seq > ? ORDER BY seq"
					     " LIMIT ?", err, "ii", (int64_t)after_seq,
					  max ? (int64_t)max : (int64_t)-1), out, err);
}

bool state_records_unacked(struct state *s, size_t max_bytes, struct state_records *out,
			   struct ferry_error **err)
{
	int64_t acked = 0;
	if (!meta_get_int(s, "acked_seq", &acked, err))
		return false;
	/* Oldest first; the running total of line lengths picks how many fit,
	 * and the first record is always taken (one line is at most
	 * AUDITLOG_LINE_MAX, far below any budget). */
	return collect_records(s, prepare(s, "SELECT seq, line FROM (SELECT seq, line, SUM(LENGTH(line) + 1)"
					     " OVER (ORDER BY seq) AS total FROM journal WHERE seq > ?)"
					     " WHERE total <= ? OR seq = (SELECT MIN(seq) FROM journal"
					     " WHERE seq > ?) ORDER BY seq", err, "iii", acked,
					  (int64_t)max_bytes, acked), out, err);
}

bool state_records_last(struct state *s, size_t n, struct state_records *out, struct ferry_error **err)
{
	return collect_records(s, prepare(s, "SELECT seq, line FROM (SELECT seq, line FROM journal"
					     " ORDER BY seq DESC LIMIT ?) ORDER BY seq", err, "i",
					  (int64_t)n), out, err);
}

bool state_mark_exported(struct state *s, uint64_t seq, struct ferry_error **err)
{
	/* Only ever forward, and never past what exists. */
	return run(s, prepare(s, "UPDATE meta SET value = MIN(?, (SELECT COALESCE(MAX(seq), 0) FROM journal))"
				 " WHERE key = 'exported_seq' AND value < ?", err, "ii",
			      (int64_t)seq, (int64_t)seq), err);
}

bool state_prune(struct state *s, uint64_t seq, uint64_t *pruned, struct ferry_error **err)
{
	sqlite3_stmt *st = prepare(s, "DELETE FROM journal WHERE seq <= ?"
				      " AND seq <= (SELECT value FROM meta WHERE key = 'exported_seq')"
				      " AND seq < (SELECT MAX(seq) FROM journal)", err, "i", (int64_t)seq);
	if (!run(s, st, err))
		return false;
	if (pruned)
		*pruned = (uint64_t)sqlite3_changes(s->db);
	/* HQ holds everything up to seq: never export it again. */
	return run(s, prepare(s, "INSERT INTO meta (key, value) VALUES ('acked_seq', MIN(?, (SELECT value"
				 " FROM meta WHERE key = 'exported_seq'))) ON CONFLICT(key) DO UPDATE"
				 " SET value = MAX(value, excluded.value)", err, "i", (int64_t)seq), err);
}
