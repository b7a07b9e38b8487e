/* Tests for common/usbinfo.c. The machine has no USB bus, so the libusb calls
 * are wrapped (-Wl,--wrap=, see test_usbinfo.ldflags) with a fake bus of two
 * devices: a mass-storage stick and a keyboard. udev and libmount are real. */
#include "testutil.h"

#include <libudev.h>
#include <libusb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/json.h"
#include "common/usbinfo.h"

struct fake_dev {
	uint8_t bus, address;
	struct libusb_device_descriptor desc;
	uint8_t interface_class;
	bool can_open;
	const char *strings[4];   /* by descriptor index 1..3 */
};

static struct fake_dev fakes[] = {
	{ .bus = 2, .address = 7, .desc = { .idVendor = 0x0781, .idProduct = 0x5581, .iManufacturer = 1,
	  .iProduct = 2, .iSerialNumber = 3 }, .interface_class = LIBUSB_CLASS_MASS_STORAGE, .can_open = true,
	  .strings = { NULL, "SanDisk", "Ultra", "4C530001230815116432" } },
	{ .bus = 1, .address = 3, .desc = { .idVendor = 0x046d, .idProduct = 0xc31c, .iProduct = 1 },
	  .interface_class = LIBUSB_CLASS_HID, .can_open = true, .strings = { NULL, "Keyboard" } },
	{ .bus = 1, .address = 9, .desc = { .idVendor = 0x090c, .idProduct = 0x1000, .iSerialNumber = 1 },
	  .interface_class = LIBUSB_CLASS_MASS_STORAGE, .can_open = false, .strings = { NULL, "hidden" } },
};
#define N_FAKES (sizeof(fakes) / sizeof(fakes[0]))
static int open_handles, inits;

int __wrap_libusb_init(libusb_context **ctx)
{
	inits++;
	*ctx = (libusb_context *)&inits;
	return 0;
}
void __wrap_libusb_exit(libusb_context *ctx)
{
	(void)ctx;
	inits--;
}
ssize_t __wrap_libusb_get_device_list(libusb_context *ctx, libusb_device ***list)
{
	(void)ctx;
	*list = calloc(N_FAKES + 1, sizeof(**list));
	for (size_t i = 0; i < N_FAKES; i++)
		(*list)[i] = (libusb_device *)&fakes[i];
	return N_FAKES;
}
void __wrap_libusb_free_device_list(libusb_device **list, int unref)
{
	(void)unref;
	free(list);
}
int __wrap_libusb_get_device_descriptor(libusb_device *dev, struct libusb_device_descriptor *desc)
{
	*desc = ((struct fake_dev *)dev)->desc;
	return 0;
}
int __wrap_libusb_get_active_config_descriptor(libusb_device *dev, struct libusb_config_descriptor **config)
{
	struct libusb_config_descriptor *c = calloc(1, sizeof(*c));
	struct libusb_interface *itf = calloc(1, sizeof(*itf));
	struct libusb_interface_descriptor *alt = calloc(1, sizeof(*alt));
	alt->bInterfaceClass = ((struct fake_dev *)dev)->interface_class;
	itf->altsetting = alt;
	itf->num_altsetting = 1;
	c->interface = itf;
	c->bNumInterfaces = 1;
	*config = c;
	return 0;
}
void __wrap_libusb_free_config_descriptor(struct libusb_config_descriptor *c)
{
	free((void *)c->interface[0].altsetting);
	free((void *)c->interface);
	free(c);
}
uint8_t __wrap_libusb_get_bus_number(libusb_device *dev)
{
	return ((struct fake_dev *)dev)->bus;
}
uint8_t __wrap_libusb_get_device_address(libusb_device *dev)
{
	return ((struct fake_dev *)dev)->address;
}
int __wrap_libusb_open(libusb_device *dev, libusb_device_handle **h)
{
	if (!((struct fake_dev *)dev)->can_open)
		return LIBUSB_ERROR_ACCESS;
	open_handles++;
	*h = (libusb_device_handle *)dev;
	return 0;
}
void __wrap_libusb_close(libusb_device_handle *h)
{
	(void)h;
	open_handles--;
}
int __wrap_libusb_get_string_descriptor_ascii(libusb_device_handle *h, uint8_t index, unsigned char *data,
					      int length)
{
	struct fake_dev *d = (struct fake_dev *)h;
	if (index == 0 || index > 3 || !d->strings[index])
		return LIBUSB_ERROR_INVALID_PARAM;
	snprintf((char *)data, (size_t)length, "%s", d->strings[index]);
	return (int)strlen((char *)data);
}

static void test_usbinfo_lists_only_mass_storage_with_strings(void **state)
{
	(void)state;
	struct usbinfo_stick *s = NULL;
	size_t n = 0;
	struct ferry_error *err = NULL;
	assert_ok(usbinfo_list(&s, &n, &err), err);
	assert_int_equal(n, 2);
	/* bus/address order; the keyboard is not listed */
	assert_int_equal(s[0].bus, 1);
	assert_int_equal(s[0].vendor_id, 0x090c);
	assert_string_equal(s[0].serial, "");   /* could not open it: unknown, not an error */
	assert_int_equal(s[1].bus, 2);
	assert_int_equal(s[1].address, 7);
	assert_int_equal(s[1].vendor_id, 0x0781);
	assert_int_equal(s[1].product_id, 0x5581);
	assert_string_equal(s[1].manufacturer, "SanDisk");
	assert_string_equal(s[1].product, "Ultra");
	assert_string_equal(s[1].serial, "4C530001230815116432");
	/* no real USB bus below the fake one: no block devices */
	assert_int_equal(s[1].n_blocks, 0);
	assert_int_equal(open_handles, 0);
	assert_int_equal(inits, 0);
	usbinfo_list_free(s, n);
}

static void test_usbinfo_identity_of_block_without_usb_parent(void **state)
{
	(void)state;
	struct udev *udev = udev_new();
	struct stat st;
	if (stat("/sys/class/block/loop0", &st) != 0) {
		udev_unref(udev);
		skip();   /* no loop0 block device on this machine */
	}
	struct udev_device *d = udev_device_new_from_subsystem_sysname(udev, "block", "loop0");
	if (!d && getenv("QEMU_LD_PREFIX")) {
		/* qemu-user -L (.ci/cross) opens "/" as the target's sysroot, which
		 * has no /sys: libudev finds no device under emulation. */
		fprintf(stderr, "SKIP: loop0 is not visible to libudev under qemu-user -L\n");
		udev_unref(udev);
		skip();
	}
	assert_non_null(d);
	struct media_identity id;
	memset(&id, 'x', sizeof(id));
	usbinfo_identity(d, &id);
	assert_string_equal(id.devnode, "/dev/loop0");
	/* the identity comes from udev properties, never from the fake USB bus */
	assert_string_not_equal(id.serial, "4C530001230815116432");
	assert_int_equal(inits, 0);
	udev_device_unref(d);
	udev_unref(udev);
}

static void test_usbinfo_mounts_of_finds_proc(void **state)
{
	(void)state;
	char **m = usbinfo_mounts_of("/dev/ferry-no-such-device");
	assert_non_null(m);
	assert_null(m[0]);
	strv_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_usbinfo_lists_only_mass_storage_with_strings),
		cmocka_unit_test(test_usbinfo_identity_of_block_without_usb_parent),
		cmocka_unit_test(test_usbinfo_mounts_of_finds_proc),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
