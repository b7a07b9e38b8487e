/* media: the bundles side of a USB stick (design §2.1, contract C7); where
 * everything lives is common/stick.h. Owns the FAT-safe name rules, scanning
 * a mounted stick (ferry/bundles, the optional ferry/policy, the unsigned
 * MEDIA.json index) and writing it for `ferry-pack write`: space checked
 * before anything is written, every file through a temporary name + fsync +
 * rename, read back and compared by hash. A stick of a newer layout is
 * refused by both (stick_layout_check). */
#ifndef FERRY_MEDIA_H
#define FERRY_MEDIA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "stick.h"

#define MEDIA_INDEX_FORMAT  1
#define MEDIA_NAME_MAX      64               /* bytes per path component */
#define MEDIA_BUNDLE_SUFFIX ".ferry"

/* Who the stick is: filled by watch (usbinfo + udev) and passed to the install
 * path, which puts usb_serial and label into every audit record of the run.
 * Empty strings mean "unknown". */
struct media_identity {
	char vendor[8];          /* USB idVendor, 4 hex digits */
	char product[8];         /* USB idProduct, 4 hex digits */
	char serial[128];        /* USB iSerial string */
	char manufacturer[128];
	char model[128];
	char label[128];         /* filesystem label */
	char fs_type[32];        /* "vfat", "exfat", "ext4", … */
	char devnode[128];       /* "/dev/sdb1" */
};

/* Makes every string of id visible (common/visible.h): a label or USB
 * string with ESC or a newline never reaches a console, hook or record raw. */
void media_identity_visible(struct media_identity *id);

/* A name ferry puts on a stick: [a-z0-9._-], 1..MEDIA_NAME_MAX bytes, not "."
 * or "..". The error names the offending name and the rule it breaks. */
bool media_name_check(const char *name, struct ferry_error **err);
/* Refuses two names that differ only in case (FAT folds case). */
bool media_names_distinct(const char *const *names, size_t n, struct ferry_error **err);

/* One entry of MEDIA.json's "bundles". */
struct media_index_bundle {
	char *file;              /* "gateway-os-2.4.1.ferry" */
	char *name;              /* manifest name, may be NULL */
	char *version;           /* manifest version, may be NULL */
	uint64_t size;
	char sha256[65];
};
struct media_index {
	int format;
	int layout;              /* the stick layout (STICK_LAYOUT when written) */
	char *label;             /* may be NULL */
	char *created;           /* RFC 3339 UTC */
	char *writer;            /* "ferry-pack 0.1.0" */
	struct media_index_bundle *bundles;
	size_t n_bundles;
};
/* Strict parse of MEDIA.json bytes (name for messages); "layout" absent
 * reads as 1, a newer one is refused. Caller frees with media_index_free. */
bool media_index_parse(const char *bytes, size_t len, const char *name,
		       struct media_index **out, struct ferry_error **err);
/* Canonical text of an index (2-space indent, trailing newline); caller frees. */
char *media_index_serialize(const struct media_index *idx);
void media_index_free(struct media_index *idx);

/* What is on a mounted stick. */
struct media_bundle {
	char *file;              /* file name under ferry/bundles */
	char *path;              /* full path */
	uint64_t size;           /* from stat */
	const struct media_index_bundle *indexed;   /* its MEDIA.json entry or NULL */
};
struct media_stick {
	char *root;              /* the mount directory */
	bool has_ferry;          /* ferry/ exists */
	struct media_bundle *bundles;   /* sorted by file name */
	size_t n_bundles;
	char *policy_dir;        /* ferry/policy when policy.json + .sig are there, else NULL */
	int policy_fd;           /* that folder, open (read its files through it), else -1 */
	int bundles_fd;          /* ferry/bundles, open (open bundles through it), else -1 */
	struct media_index *index;      /* parsed MEDIA.json or NULL */
	char *index_problem;     /* why MEDIA.json was ignored (NULL: fine or absent) */
	char **ignored;          /* NULL-terminated: names under bundles/ that were skipped, with why */
};
/* Scans root (a mounted stick). A stick without ferry/ is fine (has_ferry =
 * false, nothing listed). An unreadable directory, half a policy or a newer
 * layout is an error; a damaged MEDIA.json is not (it is unsigned:
 * index_problem says why). */
bool media_scan(const char *root, struct media_stick **out, struct ferry_error **err);
void media_stick_free(struct media_stick *s);

/* syncfs(2) of the filesystem mounted at root: everything on the stick. */
bool media_sync(const char *root, struct ferry_error **err);

/* ferry/<sub> below root, e.g. media_path(root, "bundles"); caller frees. */
char *media_path(const char *root, const char *sub);

/* Writing the layout. */
struct media_write_bundle {
	const char *source;      /* the bundle file to copy */
	const char *file;        /* its name on the stick: "<name>-<version>.ferry" */
	const char *name;        /* manifest name and version for MEDIA.json */
	const char *version;
};
/* Called while copying and while verifying; done/total in bytes of that phase
 * (each phase runs from 0 to the sum of the files' sizes). */
typedef void (*media_progress_fn)(void *ctx, const char *phase, const char *file,
				  uint64_t done, uint64_t total);
struct media_write_options {
	const char *label;       /* MEDIA.json label (NULL: none) */
	const char *writer;      /* "ferry-pack 0.1.0" */
	const char *policy_dir;  /* copy policy.json + policy.json.sig from here (NULL: none) */
	const char *created;     /* RFC 3339 time for MEDIA.json (NULL: now) */
	media_progress_fn progress;
	void *progress_ctx;
};
/* Lays out ferry/ below root: checks names and free space first (nothing is
 * written when they fail), copies every file to a temporary name, fsyncs and
 * renames it, drops its cached pages and reads it back comparing SHA-256, writes
 * MEDIA.json listing every bundle now on the stick, and syncs the filesystem. */
bool media_write(const char *root, const struct media_write_bundle *bundles, size_t n,
		 const struct media_write_options *opt, struct ferry_error **err);

#endif
