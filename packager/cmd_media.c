/* ferry-pack media list [--json]: the USB sticks attached to the workstation
 * (common/usbinfo: libusb for vendor, product, serial; libudev for their block
 * devices; the mount table for where they are mounted), so the release
 * engineer picks the right MEDIA_DIR for `write`. */
#include <stdio.h>
#include <string.h>

#include "common/json.h"
#include "common/usbinfo.h"
#include "packager/pack.h"

#define MEDIA_USAGE "media list [--json]"

static json_t *stick_json(const struct usbinfo_stick *s)
{
	json_t *blocks = json_array();
	for (size_t b = 0; b < s->n_blocks; b++) {
		const struct usbinfo_block *k = &s->blocks[b];
		json_t *mounts = json_array();
		for (size_t m = 0; k->mounts && k->mounts[m]; m++)
			json_array_append_new(mounts, json_string(k->mounts[m]));
		json_array_append_new(blocks, json_pack("{s:s, s:s, s:s, s:s, s:I, s:o}", "device", k->devnode,
							"type", k->devtype, "filesystem", k->fs_type, "label",
							k->label, "size", (json_int_t)k->size, "mounts", mounts));
	}
	char vendor[8], product[8];
	snprintf(vendor, sizeof(vendor), "%04x", s->vendor_id);
	snprintf(product, sizeof(product), "%04x", s->product_id);
	return json_pack("{s:i, s:i, s:s, s:s, s:s, s:s, s:s, s:o}", "bus", s->bus, "address", s->address,
			 "vendor", vendor, "product", product, "manufacturer", s->manufacturer, "model",
			 s->product, "serial", s->serial, "block_devices", blocks);
}

static void print_text(const struct usbinfo_stick *sticks, size_t n)
{
	char sz[32];
	if (n == 0)
		printf("no USB mass-storage devices attached\n");
	for (size_t i = 0; i < n; i++) {
		const struct usbinfo_stick *s = &sticks[i];
		printf("USB %u-%u  %04x:%04x  %s %s  serial %s\n", s->bus, s->address, s->vendor_id, s->product_id,
		       s->manufacturer[0] ? s->manufacturer : "?", s->product[0] ? s->product : "?",
		       s->serial[0] ? s->serial : "?");
		if (s->n_blocks == 0)
			printf("  (no block device yet)\n");
		for (size_t b = 0; b < s->n_blocks; b++) {
			const struct usbinfo_block *k = &s->blocks[b];
			printf("  %-14s %-9s %-6s %-12s %10s", k->devnode, k->devtype, k->fs_type[0] ? k->fs_type : "-",
			       k->label[0] ? k->label : "-", pack_human_size(k->size, sz));
			for (size_t m = 0; k->mounts && k->mounts[m]; m++)
				printf("%s%s", m ? ", " : "  mounted on ", k->mounts[m]);
			printf("\n");
		}
	}
}

int cmd_media(struct pack_opts *o, int argc, char **argv, struct ferry_error **err)
{
	static const struct option longopts[] = { PACK_COMMON_LONG, { NULL, 0, NULL, 0 } };
	int c;
	while ((c = getopt_long(argc, argv, PACK_COMMON_SHORT, longopts, NULL)) != -1) {
		if (c == 'h') {
			printf("usage: ferry-pack %s\n", MEDIA_USAGE);
			return CLI_EXIT_OK;
		}
		if (!pack_common_option(o, c, optarg))
			return pack_usage(MEDIA_USAGE, err);
	}
	if (optind + 1 != argc || strcmp(argv[optind], "list") != 0)
		return pack_usage(MEDIA_USAGE, err);
	struct usbinfo_stick *sticks = NULL;
	size_t n = 0;
	if (!usbinfo_list(&sticks, &n, err))
		return CLI_EXIT_FAILED;
	if (o->json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, stick_json(&sticks[i]));
		pack_print_json(json_pack("{s:o}", "sticks", arr));
	} else
		print_text(sticks, n);
	usbinfo_list_free(sticks, n);
	return CLI_EXIT_OK;
}
