/* usbinfo: which USB sticks are attached and who they are.
 * libusb gives the USB mass-storage devices and their descriptor strings
 * (vendor, product, serial); libudev maps them to block devices; libmount's
 * view of /proc/self/mountinfo gives their mount points. Shared by
 * `ferry-pack media list` and the agent's allow-list identity lookup. */
#ifndef FERRY_USBINFO_H
#define FERRY_USBINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "media.h"

struct udev_device;

struct usbinfo_block {
	char devnode[128];       /* "/dev/sdb1" */
	char devtype[16];        /* "disk" or "partition" */
	char fs_type[32];        /* ID_FS_TYPE when udev knows it */
	char label[128];         /* ID_FS_LABEL when udev knows it */
	uint64_t size;           /* bytes */
	char **mounts;           /* NULL-terminated mount points (may be empty) */
};

struct usbinfo_stick {
	uint8_t bus, address;
	uint16_t vendor_id, product_id;
	char manufacturer[128], product[128], serial[128];   /* "" when unreadable */
	struct usbinfo_block *blocks;
	size_t n_blocks;
};

/* Every attached USB device with a mass-storage interface, in bus/address
 * order, with its block devices. No USB bus (or no device) is not an error:
 * *n = 0. Free with usbinfo_list_free. */
bool usbinfo_list(struct usbinfo_stick **out, size_t *n, struct ferry_error **err);
void usbinfo_list_free(struct usbinfo_stick *sticks, size_t n);

/* Fills id for a block device: devnode, fs type and label from udev; vendor,
 * product and serial from the USB device above it (libusb descriptors, falling
 * back to sysfs attributes), or, for a block device with no USB parent, from
 * the udev properties ID_VENDOR_ID, ID_MODEL_ID, ID_SERIAL_SHORT (which a udev
 * rule may set, e.g. for loop devices in tests). Never fails: unknown fields
 * stay empty. */
void usbinfo_identity(struct udev_device *block, struct media_identity *id);

/* The mount points of devnode (NULL-terminated, caller frees with strv_free). */
char **usbinfo_mounts_of(const char *devnode);

#endif
