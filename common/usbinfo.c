/* usbinfo: see usbinfo.h. */
#include "usbinfo.h"

#include <libmount.h>
#include <libudev.h>
#include <libusb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#define COPY(dst, src) snprintf((dst), sizeof(dst), "%s", (src) ? (src) : "")

static bool has_mass_storage(libusb_device *dev, const struct libusb_device_descriptor *d)
{
	if (d->bDeviceClass == LIBUSB_CLASS_MASS_STORAGE)
		return true;
	if (d->bDeviceClass != LIBUSB_CLASS_PER_INTERFACE)
		return false;
	struct libusb_config_descriptor *cfg = NULL;
	bool found = false;
	if (libusb_get_active_config_descriptor(dev, &cfg) != 0 || !cfg)
		return false;
	for (int i = 0; i < cfg->bNumInterfaces && !found; i++)
		for (int a = 0; a < cfg->interface[i].num_altsetting && !found; a++)
			found = cfg->interface[i].altsetting[a].bInterfaceClass == LIBUSB_CLASS_MASS_STORAGE;
	libusb_free_config_descriptor(cfg);
	return found;
}

static void read_strings(libusb_device *dev, const struct libusb_device_descriptor *d,
			 struct usbinfo_stick *s)
{
	libusb_device_handle *h = NULL;
	if (libusb_open(dev, &h) != 0 || !h)
		return;   /* no permission: the udev attributes fill in below */
	const struct { uint8_t index; char *dst; } want[] = {
		{ d->iManufacturer, s->manufacturer }, { d->iProduct, s->product }, { d->iSerialNumber, s->serial },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (want[i].index && libusb_get_string_descriptor_ascii(h, want[i].index,
				(unsigned char *)want[i].dst, sizeof(s->serial)) < 0)
			want[i].dst[0] = '\0';
	libusb_close(h);
}

char **usbinfo_mounts_of(const char *devnode)
{
	struct libmnt_table *tb = mnt_new_table();
	struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
	struct libmnt_fs *fs = NULL;
	char **v = calloc(1, sizeof(*v));
	size_t n = 0;
	if (!tb || !it || !v || mnt_table_parse_mtab(tb, NULL) != 0)
		goto out;
	while (mnt_table_next_fs(tb, it, &fs) == 0) {
		const char *src = mnt_fs_get_srcpath(fs), *target = mnt_fs_get_target(fs);
		if (!src || !target || strcmp(src, devnode) != 0)
			continue;
		char **nv = realloc(v, (n + 2) * sizeof(*nv));
		if (!nv)
			break;
		v = nv;
		if (!(v[n] = strdup(target)))
			break;
		v[++n] = NULL;
	}
out:
	mnt_free_iter(it);
	mnt_unref_table(tb);
	return v;
}

static uint64_t sysattr_u64(struct udev_device *d, const char *name)
{
	const char *v = udev_device_get_sysattr_value(d, name);
	return v ? strtoull(v, NULL, 10) : 0;
}

static void fill_block(struct udev_device *d, struct usbinfo_block *b)
{
	COPY(b->devnode, udev_device_get_devnode(d));
	COPY(b->devtype, udev_device_get_devtype(d));
	COPY(b->fs_type, udev_device_get_property_value(d, "ID_FS_TYPE"));
	COPY(b->label, udev_device_get_property_value(d, "ID_FS_LABEL"));
	b->size = sysattr_u64(d, "size") * 512;
	b->mounts = usbinfo_mounts_of(b->devnode);
}

/* The block devices below the USB device at bus/address, with sysfs strings
 * where libusb could not read them. */
static bool add_blocks(struct udev *udev, struct usbinfo_stick *s, struct ferry_error **err)
{
	bool ok = false;
	struct udev_enumerate *e = udev_enumerate_new(udev);
	struct udev_list_entry *entry;
	if (!e || udev_enumerate_add_match_subsystem(e, "block") < 0 || udev_enumerate_scan_devices(e) < 0) {
		ferry_error_set(err, "udev: cannot enumerate block devices");
		goto out;
	}
	udev_list_entry_foreach(entry, udev_enumerate_get_list_entry(e)) {
		struct udev_device *d = udev_device_new_from_syspath(udev, udev_list_entry_get_name(entry));
		struct udev_device *usb = d ? udev_device_get_parent_with_subsystem_devtype(d, "usb", "usb_device") : NULL;
		if (usb && sysattr_u64(usb, "busnum") == s->bus && sysattr_u64(usb, "devnum") == s->address &&
		    udev_device_get_devnode(d)) {
			struct usbinfo_block *nb = realloc(s->blocks, (s->n_blocks + 1) * sizeof(*nb));
			if (!nb) {
				udev_device_unref(d);
				ferry_error_set(err, "out of memory");
				goto out;
			}
			s->blocks = nb;
			memset(&nb[s->n_blocks], 0, sizeof(*nb));
			fill_block(d, &nb[s->n_blocks++]);
			if (!s->serial[0])
				COPY(s->serial, udev_device_get_sysattr_value(usb, "serial"));
			if (!s->manufacturer[0])
				COPY(s->manufacturer, udev_device_get_sysattr_value(usb, "manufacturer"));
			if (!s->product[0])
				COPY(s->product, udev_device_get_sysattr_value(usb, "product"));
		}
		if (d)
			udev_device_unref(d);
	}
	ok = true;
out:
	if (e)
		udev_enumerate_unref(e);
	return ok;
}

static int cmp_stick(const void *a, const void *b)
{
	const struct usbinfo_stick *x = a, *y = b;
	return x->bus != y->bus ? x->bus - y->bus : x->address - y->address;
}

bool usbinfo_list(struct usbinfo_stick **out, size_t *n_out, struct ferry_error **err)
{
	bool ok = false;
	libusb_context *ctx = NULL;
	libusb_device **list = NULL;
	struct udev *udev = NULL;
	struct usbinfo_stick *sticks = NULL;
	size_t n = 0;
	ssize_t count;
	int rc = libusb_init(&ctx);

	if (rc != 0) {
		ferry_error_set(err, "libusb: %s", libusb_strerror(rc));
		goto out;
	}
	count = libusb_get_device_list(ctx, &list);
	if (count < 0) {
		ferry_error_set(err, "libusb: cannot list devices: %s", libusb_strerror((int)count));
		goto out;
	}
	if (!(udev = udev_new())) {
		ferry_error_set(err, "udev: cannot open the udev context");
		goto out;
	}
	sticks = calloc((size_t)count + 1, sizeof(*sticks));
	if (!sticks) {
		ferry_error_set(err, "out of memory");
		goto out;
	}
	for (ssize_t i = 0; i < count; i++) {
		struct libusb_device_descriptor d;
		if (libusb_get_device_descriptor(list[i], &d) != 0 || !has_mass_storage(list[i], &d))
			continue;
		struct usbinfo_stick *s = &sticks[n++];
		s->bus = libusb_get_bus_number(list[i]);
		s->address = libusb_get_device_address(list[i]);
		s->vendor_id = d.idVendor;
		s->product_id = d.idProduct;
		read_strings(list[i], &d, s);
		if (!add_blocks(udev, s, err))
			goto out;
	}
	qsort(sticks, n, sizeof(*sticks), cmp_stick);
	*out = sticks;
	*n_out = n;
	sticks = NULL;
	ok = true;
out:
	usbinfo_list_free(sticks, n);
	if (udev)
		udev_unref(udev);
	if (list)
		libusb_free_device_list(list, 1);
	if (ctx)
		libusb_exit(ctx);
	return ok;
}

void usbinfo_list_free(struct usbinfo_stick *sticks, size_t n)
{
	if (!sticks)
		return;
	for (size_t i = 0; i < n; i++) {
		for (size_t b = 0; b < sticks[i].n_blocks; b++)
			strv_free(sticks[i].blocks[b].mounts);
		free(sticks[i].blocks);
	}
	free(sticks);
}

/* Descriptor strings of the device at bus/address through libusb. */
static bool libusb_strings(uint8_t bus, uint8_t address, struct usbinfo_stick *s)
{
	libusb_context *ctx = NULL;
	libusb_device **list = NULL;
	bool found = false;
	if (libusb_init(&ctx) != 0)
		return false;
	ssize_t count = libusb_get_device_list(ctx, &list);
	for (ssize_t i = 0; i < count && !found; i++) {
		struct libusb_device_descriptor d;
		if (libusb_get_bus_number(list[i]) != bus || libusb_get_device_address(list[i]) != address ||
		    libusb_get_device_descriptor(list[i], &d) != 0)
			continue;
		s->vendor_id = d.idVendor;
		s->product_id = d.idProduct;
		read_strings(list[i], &d, s);
		found = true;
	}
	if (list)
		libusb_free_device_list(list, 1);
	libusb_exit(ctx);
	return found;
}

void usbinfo_identity(struct udev_device *block, struct media_identity *id)
{
	memset(id, 0, sizeof(*id));
	COPY(id->devnode, udev_device_get_devnode(block));
	COPY(id->fs_type, udev_device_get_property_value(block, "ID_FS_TYPE"));
	COPY(id->label, udev_device_get_property_value(block, "ID_FS_LABEL"));
	struct udev_device *usb = udev_device_get_parent_with_subsystem_devtype(block, "usb", "usb_device");
	if (usb) {
		struct usbinfo_stick s = { 0 };
		if (libusb_strings((uint8_t)sysattr_u64(usb, "busnum"), (uint8_t)sysattr_u64(usb, "devnum"), &s)) {
			snprintf(id->vendor, sizeof(id->vendor), "%04x", s.vendor_id);
			snprintf(id->product, sizeof(id->product), "%04x", s.product_id);
			COPY(id->serial, s.serial);
			COPY(id->manufacturer, s.manufacturer);
			COPY(id->model, s.product);
		}
		if (!id->vendor[0])
			COPY(id->vendor, udev_device_get_sysattr_value(usb, "idVendor"));
		if (!id->product[0])
			COPY(id->product, udev_device_get_sysattr_value(usb, "idProduct"));
		if (!id->serial[0])
			COPY(id->serial, udev_device_get_sysattr_value(usb, "serial"));
		if (!id->manufacturer[0])
			COPY(id->manufacturer, udev_device_get_sysattr_value(usb, "manufacturer"));
		if (!id->model[0])
			COPY(id->model, udev_device_get_sysattr_value(usb, "product"));
		return;
	}
	COPY(id->vendor, udev_device_get_property_value(block, "ID_VENDOR_ID"));
	COPY(id->product, udev_device_get_property_value(block, "ID_MODEL_ID"));
	COPY(id->serial, udev_device_get_property_value(block, "ID_SERIAL_SHORT"));
	COPY(id->manufacturer, udev_device_get_property_value(block, "ID_VENDOR"));
	COPY(id->model, udev_device_get_property_value(block, "ID_MODEL"));
}
