/* handler: the four payload handlers (rootfs-ab, files, script, module)
 * behind one interface (contract C6). A handler writes a payload somewhere
 * inert (the inactive slot, a staging tree, a module's work dir) and makes
 * nothing effective until its byte_source reached the end without error;
 * activate, commit, rollback and abort are separate steps that the
 * update lifecycle (agent/lifecycle.h) sequences with its persisted state machine.
 *
 * Steps and their guarantees (docs/update-types.md has the long version):
 *   install   reads the source to its end. rootfs-ab: writes and read-back
 *             verifies ctx->slot_path; files: extracts into <target>.ferry-new;
 *             script: runs the script; module: stores the payload in the work
 *             dir, then Download + ArtifactInstall. Repeatable after a crash
 *             (starts over; a script or module runs again).
 *   activate  files: swaps the staged tree in (old kept as <target>.ferry-old);
 *             rootfs-ab: nothing, res->needs_boot_switch tells the caller to
 *             switch the bootloader (boot.h). Idempotent.
 *   commit    files: removes the old tree; module: ArtifactCommit. Idempotent
 *             for files and rootfs-ab; a module's ArtifactCommit runs again.
 *   rollback  files: swaps the old tree back; module: ArtifactRollback (when
 *             it SupportsRollback). Idempotent for files.
 *   abort     after a failed or abandoned install, before activation: removes
 *             staging, invalidates a written slot, module: ArtifactFailure.
 *             Idempotent.
 * A step that fails leaves the error in *err and, for script and module
 * output, the last HANDLER_LOG_MAX bytes in res->log. */
#ifndef FERRY_HANDLER_H
#define FERRY_HANDLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/bytesource.h"
#include "common/error.h"
#include "common/handler_kind.h"
#include "common/manifest.h"

#define HANDLER_LOG_MAX (64 * 1024)             /* kept output of a script/module/hook */
#define HANDLER_SCRIPT_MAX_BYTES (1024 * 1024)  /* a script payload larger than this is refused */
#define HANDLER_DEFAULT_TIMEOUT 300             /* seconds, when ctx->timeout_sec is 0 */

/* Everything a handler needs from the agent, as plain values (filled by the
 * orchestrator from agent.json and the manifest). Strings are borrowed.
 * The same context must be rebuilt after a restart: paths are deterministic. */
struct handler_context {
	/* the update, for environments, module headers and messages */
	const char *bundle;        /* manifest name */
	const char *version;       /* manifest version */
	const char *variant;       /* variant id */
	const char *device_id;
	const char *device_type;
	const char *agent_state;   /* FERRY_STATE for scripts: "installing", "committing", … */
	/* where */
	const char *slot_path;     /* rootfs-ab: the inactive slot (block device or file) */
	uint64_t slot_size;        /* rootfs-ab, regular-file slot: capacity (0: its current size) */
	bool slot_write_zeroes_off; /* rootfs-ab: write zero runs as data (agent.json "write_zeroes") */
	const char *target_path;   /* files: the target directory (agent.json targets[p->target]) */
	const char *modules_dir;   /* module: where <name> executables live */
	const char *work_dir;      /* script, module: private per-payload dir, e.g.
	                            * <state_dir>/work/<payload>; created 0700 by the handler */
	int timeout_sec;           /* per script run / module state (0: default) */
	const char *metrics_file;  /* health check: FERRY_METRICS_FILE (agent/metrics.h), or NULL */
};

/* What a step reports back. Zero-initialise; free with handler_result_free. */
struct handler_result {
	bool needs_boot_switch;    /* rootfs-ab: switch the bootloader to try ctx->slot_path once */
	bool needs_reboot;         /* rootfs-ab, or a module answering NeedsArtifactReboot Yes */
	bool supports_rollback;    /* rootfs-ab, files: true; script: false; module: asks it */
	uint64_t bytes;            /* payload bytes read by install */
	double seconds;            /* wall time of the install step */
	double verify_seconds;     /* rootfs-ab: the busier read-back thread (overlaps the write) */
	uint64_t zeroed_bytes;     /* rootfs-ab: of bytes, those sent as write-zeroes requests */
	char *log;                 /* NUL-terminated output excerpt of the last step run, or NULL */
};
void handler_result_free(struct handler_result *res);

struct handler_ops {
	const char *name;          /* manifest "handler" value */
	bool (*install)(const struct handler_context *ctx, const struct payload *p,
			struct byte_source *src, struct handler_result *res, struct ferry_error **err);
	bool (*activate)(const struct handler_context *ctx, const struct payload *p,
			 struct handler_result *res, struct ferry_error **err);
	bool (*commit)(const struct handler_context *ctx, const struct payload *p,
		       struct handler_result *res, struct ferry_error **err);
	bool (*rollback)(const struct handler_context *ctx, const struct payload *p,
			 struct handler_result *res, struct ferry_error **err);
	bool (*abort)(const struct handler_context *ctx, const struct payload *p,
		      struct handler_result *res, struct ferry_error **err);
};

/* What each kind is (target, reboot, setuid, rollback) is said once, in
 * common/handler_kind; agent/handler.c maps a kind's id to its ops. */
/* The ops of a handler kind, or NULL (id out of range). */
const struct handler_ops *handler_get(enum handler_id id);
/* The handler for a manifest's "handler" value (through handler_kind_find),
 * or NULL (unknown). */
const struct handler_ops *handler_find(const char *name);

extern const struct handler_ops handler_rootfs_ab;
extern const struct handler_ops handler_files;
extern const struct handler_ops handler_script;
extern const struct handler_ops handler_module;

/* files: brings <target> back to a consistent state after a crash in the
 * middle of activate or rollback (a window where <target> itself is missing):
 * finishes the activation when the staged tree is there, else finishes the
 * rollback. Call on start for every files payload the state machine had in
 * activation, commit or rollback. Idempotent; nothing to do is success. */
bool handler_files_recover(const char *target, struct ferry_error **err);

/* ---- shared by the handlers and hooks.c ---------------------------------- */

/* Monotonic seconds, for throughput reports. */
double handler_clock(void);

/* Runs argv (argv[0] a path) in ctx->work_dir (created 0700) with the
 * update's environment — FERRY_BUNDLE, FERRY_VERSION, FERRY_VARIANT,
 * FERRY_DEVICE_ID, FERRY_DEVICE_TYPE, FERRY_STATE, FERRY_WORK_DIR and, with a
 * payload, FERRY_PAYLOAD, FERRY_HANDLER, FERRY_TARGET — plus extra ("K=V",
 * NULL-terminated, may be NULL), and ctx's timeout. The output excerpt
 * replaces *log (when log is not NULL); out: see proc_run. */
bool handler_run(const struct handler_context *ctx, const struct payload *p,
		 const char *const *argv, const char *const *extra, const char *what,
		 char **log, char **out, struct ferry_error **err);
/* Writes data (an authenticated script) as <ctx->work_dir>/<file>, mode
 * 0700, runs it as `/bin/sh FILE` through handler_run, removes it. */
bool handler_run_script(const struct handler_context *ctx, const char *file, const char *data,
			size_t len, const char *const *extra, const char *what, char **log,
			struct ferry_error **err);
/* Reads the whole source (at most max bytes, else an error naming the limit)
 * into a malloc'd buffer; caller frees. */
bool handler_read_all(struct byte_source *src, size_t max, char **data, size_t *len,
		      struct ferry_error **err);

/* A module name is one path component: [A-Za-z0-9._-], not "." or "..". */
bool handler_module_name_valid(const char *name);

#endif
