/* boot: the bootloader behind an A/B device, for the agent's trial boots.
 * Owns the one scheme all backends follow, RAUC's: BOOT_ORDER ("A B": the
 * first is the primary), BOOT_A_LEFT / BOOT_B_LEFT (tries left); at power-on
 * the bootloader boots the first slot in BOOT_ORDER with tries left and
 * decrements its counter. A trial arms the new slot first with ONE try, so a
 * boot that is not committed falls back at the next power-on. Backends: file
 * (JSON env, virtual devices), uboot (libubootenv), grub (grubenv), script. */
#ifndef FERRY_AGENT_BOOT_H
#define FERRY_AGENT_BOOT_H

#include <stdbool.h>
#include <stddef.h>

#include "agent/config.h"
#include "common/error.h"

/* Tries a good slot gets (RAUC's default). */
#define BOOT_DEFAULT_TRIES 3

/* Slots are 'a' and 'b' (config slots.<name>.a/.b); env values say "A"/"B". */
struct boot_status {
	char booted;          /* the slot running now; 0 if it cannot be told */
	char order[2];        /* order[0]: the primary, tried first at power-on */
	int left[2];          /* tries left of slot a and slot b */
	char boot_id[64];     /* changes at every boot (kernel boot_id, or virtual) */
};
int boot_slot_index(char slot);          /* 'a' -> 0, 'b' -> 1, else -1 */
char boot_other_slot(char slot);         /* 'a' <-> 'b' */
/* The slot the next power-on boots (first in order with tries left; if none
 * has any, the bootloader resets the counters and boots the primary). */
char boot_status_next(const struct boot_status *s);
/* This boot fell back: the running slot is not the primary. */
bool boot_status_fell_back(const struct boot_status *s);

/* Where a backend looks; boot_open fills it from agent.json. */
struct boot_params {
	enum agent_boot_type type;
	const char *path;             /* file: JSON env; grub: grubenv */
	const char *config;           /* uboot: fw_env.config */
	const char *script;           /* script: the executable */
	const char *cmdline;          /* default /proc/cmdline: "ferry.slot=a" or "rauc.slot=A" */
	const char *boot_id_path;     /* default /proc/sys/kernel/random/boot_id */
	int timeout_sec;              /* script: per run, killed after it (0: BOOT_SCRIPT_TIMEOUT) */
};
#define BOOT_SCRIPT_TIMEOUT 300

struct boot;
bool boot_open(const struct agent_config *c, struct boot **out, struct ferry_error **err);
bool boot_open_params(const struct boot_params *p, struct boot **out, struct ferry_error **err);
void boot_close(struct boot *b);
const char *boot_name(const struct boot *b);     /* "file", "uboot", "grub", "script" */

bool boot_get_status(struct boot *b, struct boot_status *out, struct ferry_error **err);
/* Arms a trial: slot first with one try, the other kept good behind it. */
bool boot_try_once(struct boot *b, char slot, struct ferry_error **err);
/* slot becomes the primary with full tries (commit; also run at every good
 * boot, as RAUC's mark-good, since the bootloader counts every boot). */
bool boot_mark_good(struct boot *b, char slot, struct ferry_error **err);
/* to_slot becomes the primary with full tries, the other gets none. */
bool boot_rollback(struct boot *b, char to_slot, struct ferry_error **err);
/* Virtual devices only (file backend): does what the bootloader does at
 * power-on (pick, decrement, fall back) and starts a new virtual boot id.
 * *booted gets the slot it chose. */
bool boot_virtual_power_on(struct boot *b, char *booted, struct ferry_error **err);

/* --- for backends ------------------------------------------------------ */

/* A small name=value environment. */
struct boot_env {
	char **names, **values;
	size_t n;
};
const char *boot_env_get(const struct boot_env *e, const char *name);
bool boot_env_set(struct boot_env *e, const char *name, const char *value, struct ferry_error **err);
void boot_env_clear(struct boot_env *e);

struct boot_backend {
	const char *name;
	/* Environment backends implement load/store; boot.c does the rest. */
	bool (*load)(struct boot *b, struct boot_env *env, struct ferry_error **err);
	bool (*store)(struct boot *b, const struct boot_env *env, struct ferry_error **err);
	/* Or whole operations (script). */
	bool (*status)(struct boot *b, struct boot_status *out, struct ferry_error **err);
	bool (*try_once)(struct boot *b, char slot, struct ferry_error **err);
	bool (*mark_good)(struct boot *b, char slot, struct ferry_error **err);
	bool (*rollback)(struct boot *b, char to_slot, struct ferry_error **err);
	bool (*open)(struct boot *b, struct ferry_error **err);   /* optional */
	void (*close)(struct boot *b);                            /* optional */
};

struct boot {
	const struct boot_backend *backend;
	char *path, *config, *script, *cmdline, *boot_id_path;
	int timeout_sec;
	void *priv;                   /* backend data */
};

extern const struct boot_backend boot_backend_file, boot_backend_uboot, boot_backend_grub,
	boot_backend_script;

/* Reads the slot the kernel command line names ("ferry.slot=a|b" or
 * "rauc.slot=A|B"); *slot = 0 when it names none. */
bool boot_read_cmdline_slot(const char *path, char *slot, struct ferry_error **err);
/* First line of a boot id file into out. */
bool boot_read_boot_id(const char *path, char *out, size_t size, struct ferry_error **err);

#endif
