/* agent_config: agent.json (contract C1), parsed strictly into struct
 * agent_config, and written from one (agent_config_serialize, for ferry-keys
 * provision): one format, one module, linked by both programs.
 * Promises: every unknown key, wrong type or bad value is refused naming its
 * JSON path; every path in the result is absolute (relative paths in the
 * file resolve against the file's directory, itself made absolute);
 * the device id is known (read from id_file when given) and FAT-safe. */
#ifndef FERRY_COMMON_AGENT_CONFIG_H
#define FERRY_COMMON_AGENT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* Largest agent.json read. */
#define AGENT_CONFIG_MAX (1024 * 1024)

/* The default modules_dir: where `make install` puts update modules (the
 * Makefile passes PREFIX/lib/ferry/modules; see mk/install.mk). */
#ifndef FERRY_MODULES_DIR
#define FERRY_MODULES_DIR "/usr/lib/ferry/modules"
#endif

struct agent_kv {
	char *key;
	char *value;
};

/* slots: { "<name>": { "a": path, "b": path, "write_zeroes": bool } } */
struct agent_slot_pair {
	char *name;
	char *a, *b;
	bool write_zeroes_off;             /* "write_zeroes": false: zero runs written as
	                                    * data, not as write-zeroes requests (default) */
};

struct agent_media_allow {
	char *vendor, *product, *serial;   /* hex ids / serial or "*" */
};

enum agent_boot_type { AGENT_BOOT_FILE, AGENT_BOOT_UBOOT, AGENT_BOOT_GRUB, AGENT_BOOT_SCRIPT };
enum agent_confirm { AGENT_CONFIRM_AUTO, AGENT_CONFIRM_LOCAL };
enum agent_reboot { AGENT_REBOOT_NEVER, AGENT_REBOOT_AUTO };

struct agent_config {
	char *path;                        /* agent.json as given */
	char *dir;                         /* its directory */
	struct {
		char *id;                  /* from "id" or the first line of id_file */
		char *id_file;             /* NULL when "id" was given */
		char *type;
		int64_t hw_revision;       /* default 0 */
		char **groups;             /* NULL-terminated, never NULL */
		struct agent_kv *attributes;
		size_t n_attributes;
		struct agent_kv *installed; /* seeds agent.db on first start */
		size_t n_installed;
	} device;
	char *trust_homedir;               /* default "gnupg" */
	char *trust_policy;                /* default "policy" */
	char *state_dir;                   /* default "state" */
	struct agent_slot_pair *slots;
	size_t n_slots;
	struct agent_kv *targets;          /* name -> directory */
	size_t n_targets;
	char *modules_dir;                 /* default FERRY_MODULES_DIR (PREFIX/lib/ferry/modules) */
	char *hooks_dir;                   /* default "hooks.d" */
	struct {
		enum agent_boot_type type;
		char *path;                /* file: JSON env; grub: grubenv */
		char *config;              /* uboot: fw_env.config */
		char *script;              /* script: the executable */
	} bootloader;
	enum agent_confirm confirm;        /* default auto */
	enum agent_reboot reboot;          /* default never */
	int64_t script_timeout;            /* seconds, default 300 */
	struct {
		struct agent_kv *match;    /* udev properties; default ID_BUS=usb */
		size_t n_match;
		struct agent_media_allow *allow;   /* empty: any stick */
		size_t n_allow;
		char *mount_dir;           /* default /run/ferry/media */
		char *notify;              /* NULL when not set */
	} media;
};

struct device_attribute;
/* The device's attributes as the decision reads them (compatible.attributes):
 * a malloc'd array of c->device.n_attributes entries borrowing c's strings;
 * caller frees the array. NULL when there are none or out of memory. */
struct device_attribute *agent_config_attributes(const struct agent_config *c);

/* Parses path into a new config (caller frees with agent_config_free). */
bool agent_config_load(const char *path, struct agent_config **out, struct ferry_error **err);
/* Same on bytes in memory; path names the file in messages and gives the
 * directory relative paths resolve against. */
bool agent_config_parse(const char *bytes, size_t len, const char *path,
			struct agent_config **out, struct ferry_error **err);
void agent_config_free(struct agent_config *c);

/* agent.json's text for c (agent_config_write.c): format 1, 2-space indent,
 * a final newline; paths as c holds them (relative ones stay relative),
 * NULL strings and empty lists left out, so the parser's defaults apply.
 * Checks first that the parser takes the text back (except id_file, which
 * is read on the device). Caller frees *text. */
bool agent_config_serialize(const struct agent_config *c, char **text, size_t *len,
			    struct ferry_error **err);

/* The slot pair called name, or NULL. */
const struct agent_slot_pair *agent_config_slot(const struct agent_config *c, const char *name);
/* The directory of target name, or NULL. */
const char *agent_config_target(const struct agent_config *c, const char *name);
/* "file", "uboot", "grub", "script". */
const char *agent_boot_type_name(enum agent_boot_type t);

#endif
