/* Tests for common/agent_config.c and agent_config_write.c: agent.json (C1) parsing, defaults, path
 * resolution against the file's directory, and path-naming refusals. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <dirent.h>
#include <unistd.h>
#include <string.h>

#include "agent/config.h"
#include "common/safefile.h"

#define MINIMAL "{\"format\":1,\"device\":{\"id\":\"gw-0001\",\"type\":\"gw-x\"}," \
		"\"bootloader\":{\"type\":\"file\",\"path\":\"state/bootenv.json\"}}"

static struct agent_config *parse_ok(const char *text, const char *path)
{
	struct agent_config *c = NULL;
	struct ferry_error *err = NULL;
	assert_ok(agent_config_parse(text, strlen(text), path, &c, &err), err);
	return c;
}

static void parse_fails(const char *text, const char *needle)
{
	struct agent_config *c = NULL;
	struct ferry_error *err = NULL;
	assert_false(agent_config_parse(text, strlen(text), "/etc/ferry/agent.json", &c, &err));
	assert_null(c);
	assert_error_code(err, FERRY_E_CONFIG);
	assert_error_contains(err, needle);
	ferry_error_free(err);
}

static const char full_example[] =
		"{\"format\":1,"
		"\"device\":{\"id\":\"gw-0001\",\"type\":\"gw-x\",\"hw_revision\":2,\"groups\":[\"canary\"],"
		"  \"attributes\":{\"site\":\"north\"},\"installed\":{\"gateway-os\":\"2.3.0\"}},"
		"\"trust\":{\"homedir\":\"gnupg\",\"policy\":\"policy\"},"
		"\"state_dir\":\"state\","
		"\"slots\":{\"rootfs\":{\"a\":\"slots/rootfs-a.img\",\"b\":\"slots/rootfs-b.img\"},"
		"  \"data\":{\"a\":\"/dev/mmcblk0p5\",\"b\":\"/dev/mmcblk0p6\",\"write_zeroes\":false}},"
		"\"targets\":{\"app\":\"/opt/app\"},"
		"\"modules_dir\":\"/usr/lib/ferry/modules\",\"hooks_dir\":\"hooks.d\","
		"\"bootloader\":{\"type\":\"file\",\"path\":\"state/bootenv.json\",\"config\":\"fw_env.config\","
		"  \"script\":\"/usr/lib/ferry/boot.sh\"},"
		"\"confirm\":\"auto\",\"reboot\":\"never\",\"script_timeout\":300,"
		"\"media\":{\"match\":{\"ID_BUS\":\"usb\"},\"allow\":[{\"vendor\":\"0781\",\"product\":\"*\",\"serial\":\"*\"}],"
		"  \"mount_dir\":\"/run/ferry/media\",\"notify\":\"/usr/lib/ferry/notify.sh\"}}";

static void test_config_full_example_parses(void **state)
{
	(void)state;
	const char *text = full_example;
	struct agent_config *c = parse_ok(text, "/dev/vd/agent.json");
	assert_string_equal(c->device.id, "gw-0001");
	assert_string_equal(c->device.type, "gw-x");
	assert_int_equal(c->device.hw_revision, 2);
	assert_string_equal(c->device.groups[0], "canary");
	assert_null(c->device.groups[1]);
	assert_int_equal(c->device.n_installed, 1);
	assert_string_equal(c->device.installed[0].key, "gateway-os");
	assert_string_equal(c->device.installed[0].value, "2.3.0");
	assert_string_equal(c->trust_homedir, "/dev/vd/gnupg");
	assert_string_equal(c->state_dir, "/dev/vd/state");
	const struct agent_slot_pair *s = agent_config_slot(c, "rootfs");
	assert_non_null(s);
	assert_string_equal(s->a, "/dev/vd/slots/rootfs-a.img");
	assert_string_equal(s->b, "/dev/vd/slots/rootfs-b.img");
	assert_false(s->write_zeroes_off);   /* the default */
	assert_true(agent_config_slot(c, "data")->write_zeroes_off);
	assert_null(agent_config_slot(c, "boot"));
	assert_string_equal(agent_config_target(c, "app"), "/opt/app");
	assert_int_equal(c->bootloader.type, AGENT_BOOT_FILE);
	assert_string_equal(c->bootloader.path, "/dev/vd/state/bootenv.json");
	assert_string_equal(c->bootloader.config, "/dev/vd/fw_env.config");
	assert_string_equal(c->media.allow[0].vendor, "0781");
	assert_string_equal(c->media.notify, "/usr/lib/ferry/notify.sh");
	agent_config_free(c);
}

static void test_config_defaults_apply(void **state)
{
	(void)state;
	struct agent_config *c = parse_ok(MINIMAL, "/vd/agent.json");
	assert_string_equal(c->trust_homedir, "/vd/gnupg");
	assert_string_equal(c->trust_policy, "/vd/policy");
	assert_string_equal(c->state_dir, "/vd/state");
	assert_string_equal(c->hooks_dir, "/vd/hooks.d");
	assert_string_equal(c->modules_dir, FERRY_MODULES_DIR);
	assert_string_equal(c->media.mount_dir, "/run/ferry/media");
	assert_int_equal(c->media.n_match, 1);
	assert_string_equal(c->media.match[0].key, "ID_BUS");
	assert_int_equal(c->media.n_allow, 0);
	assert_null(c->media.notify);
	assert_int_equal(c->confirm, AGENT_CONFIRM_AUTO);
	assert_int_equal(c->reboot, AGENT_REBOOT_NEVER);
	assert_int_equal(c->script_timeout, 300);
	assert_int_equal(c->device.hw_revision, 0);
	assert_null(c->device.groups[0]);
	assert_int_equal(c->n_slots, 0);
	agent_config_free(c);
	/* A config named without a directory resolves against the working
	 * directory, made absolute: handlers run programs in other directories. */
	c = parse_ok(MINIMAL, "agent.json");
	char cwd[4096], *want = NULL;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_true(asprintf(&want, "%s/state", cwd) > 0);
	assert_string_equal(c->state_dir, want);
	free(want);
	agent_config_free(c);
}

static void test_config_requires_the_keys_its_bootloader_needs(void **state)
{
	(void)state;
	parse_fails("{\"format\":1,\"device\":{\"id\":\"a\",\"type\":\"t\"},\"bootloader\":{\"type\":\"uboot\",\"path\":\"x\"}}",
		    "agent.json: bootloader.config: missing");
	parse_fails("{\"format\":1,\"device\":{\"id\":\"a\",\"type\":\"t\"},\"bootloader\":{\"type\":\"grub\"}}",
		    "agent.json: bootloader.path: missing");
	parse_fails("{\"format\":1,\"device\":{\"id\":\"a\",\"type\":\"t\"},\"bootloader\":{\"type\":\"script\"}}",
		    "agent.json: bootloader.script: missing");
	parse_fails("{\"format\":1,\"device\":{\"id\":\"a\",\"type\":\"t\"}}", "agent.json: bootloader: missing");
	struct agent_config *c = parse_ok("{\"format\":1,\"device\":{\"id\":\"a\",\"type\":\"t\"},"
					  "\"bootloader\":{\"type\":\"uboot\",\"config\":\"/etc/fw_env.config\"}}",
					  "/x/agent.json");
	assert_int_equal(c->bootloader.type, AGENT_BOOT_UBOOT);
	assert_string_equal(c->bootloader.config, "/etc/fw_env.config");
	assert_null(c->bootloader.path);
	agent_config_free(c);
}

static void test_config_device_identity_from_id_file(void **state)
{
	(void)state;
	char *dir = test_tmpdir();
	free(test_write_file(dir, "machine-id", "  0123abcd\n", 11));
	free(test_write_file(dir, "upper-id", "GW-1\n", 5));
	char *text = NULL;
	assert_true(asprintf(&text, "{\"format\":1,\"device\":{\"id_file\":\"machine-id\",\"type\":\"t\"},"
			     "\"bootloader\":{\"type\":\"file\",\"path\":\"e\"}}") > 0);
	char *path = NULL;
	assert_true(asprintf(&path, "%s/agent.json", dir) > 0);
	struct agent_config *c = NULL;
	struct ferry_error *err = NULL;
	assert_ok(agent_config_parse(text, strlen(text), path, &c, &err), err);
	assert_string_equal(c->device.id, "0123abcd");
	agent_config_free(c);
	c = NULL;
	free(text);
	/* An id that cannot name files on a stick is refused, naming where it came from. */
	assert_true(asprintf(&text, "{\"format\":1,\"device\":{\"id_file\":\"upper-id\",\"type\":\"t\"},"
			     "\"bootloader\":{\"type\":\"file\",\"path\":\"e\"}}") > 0);
	assert_false(agent_config_parse(text, strlen(text), path, &c, &err));
	assert_error_contains(err, "device.id_file: device id 'GW-1' must be");
	ferry_error_clear(&err);
	free(text);
	assert_true(asprintf(&text, "{\"format\":1,\"device\":{\"id_file\":\"missing\",\"type\":\"t\"},"
			     "\"bootloader\":{\"type\":\"file\",\"path\":\"e\"}}") > 0);
	assert_false(agent_config_parse(text, strlen(text), path, &c, &err));
	assert_error_contains(err, "device.id_file:");
	assert_error_contains(err, "No such file");
	ferry_error_free(err);
	free(text);
	free(path);
	test_tmpdir_remove(dir);
}

static void test_config_load_names_missing_file(void **state)
{
	(void)state;
	struct agent_config *c = NULL;
	struct ferry_error *err = NULL;
	assert_false(agent_config_load("/nonexistent/agent.json", &c, &err));
	assert_error_code(err, FERRY_E_CONFIG);
	assert_error_contains(err, "/nonexistent/agent.json");
	ferry_error_free(err);
}

/* Every tests/data/agent-config/bad/NAME.json is refused with a message
 * holding "NAME.json: " followed by the text of NAME.err. */
static void test_config_rejects_every_bad_corpus_file(void **state)
{
	(void)state;
	char *dir = test_data_path("agent-config/bad");
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t checked = 0;
	assert_non_null(d);
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0)
			continue;
		char *json = NULL, *errf = NULL, *want = NULL, *needle = NULL;
		size_t len = 0;
		struct agent_config *c = NULL;
		struct ferry_error *err = NULL;
		assert_true(asprintf(&json, "%s/%s", dir, e->d_name) > 0);
		assert_true(asprintf(&errf, "%s/%.*s.err", dir, (int)(n - 5), e->d_name) > 0);
		assert_ok(read_file_limited(errf, 4096, &want, &len, &err), err);
		want[strcspn(want, "\n")] = '\0';
		assert_true(asprintf(&needle, "%s: %s", e->d_name, want) > 0);
		if (agent_config_load(json, &c, &err))
			fail_msg("%s: accepted", e->d_name);
		if (!strstr(ferry_error_message(err), needle))
			fail_msg("%s: expected '%s', got '%s'", e->d_name, needle, ferry_error_message(err));
		ferry_error_free(err);
		free(json);
		free(errf);
		free(want);
		free(needle);
		checked++;
	}
	closedir(d);
	free(dir);
	assert_true(checked >= 20);
}

/* ferry-keys provision writes agent.json with agent_config_serialize: what
 * it writes parses back to the same configuration, and writes the same. */
static void test_config_writer_round_trips(void **state)
{
	(void)state;
	struct ferry_error *err = NULL;
	struct agent_config *c = parse_ok(full_example, "/dev/vd/agent.json"), *back = NULL;
	char *text = NULL, *again = NULL;
	size_t len = 0, len2 = 0;
	assert_ok(agent_config_serialize(c, &text, &len, &err), err);
	assert_int_equal(text[len - 1], '\n');
	back = parse_ok(text, "/elsewhere/agent.json");
	assert_string_equal(back->device.id, "gw-0001");
	assert_int_equal(back->device.hw_revision, 2);
	assert_string_equal(back->device.groups[0], "canary");
	assert_string_equal(back->device.attributes[0].value, "north");
	assert_string_equal(back->trust_homedir, "/dev/vd/gnupg");
	assert_string_equal(agent_config_target(back, "app"), "/opt/app");
	assert_false(agent_config_slot(back, "rootfs")->write_zeroes_off);
	assert_true(agent_config_slot(back, "data")->write_zeroes_off);
	assert_string_equal(back->media.allow[0].vendor, "0781");
	assert_int_equal(back->script_timeout, 300);
	assert_ok(agent_config_serialize(back, &again, &len2, &err), err);
	assert_string_equal(text, again);
	agent_config_free(back);
	free(text);
	free(again);
	/* what the agent would refuse is not written */
	c->device.type[0] = '\0';
	assert_false(agent_config_serialize(c, &text, &len, &err));
	assert_int_equal(ferry_error_code(err), FERRY_E_CONFIG);
	assert_null(text);
	ferry_error_free(err);
	agent_config_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_full_example_parses),
		cmocka_unit_test(test_config_defaults_apply),
		cmocka_unit_test(test_config_requires_the_keys_its_bootloader_needs),
		cmocka_unit_test(test_config_device_identity_from_id_file),
		cmocka_unit_test(test_config_load_names_missing_file),
		cmocka_unit_test(test_config_rejects_every_bad_corpus_file),
		cmocka_unit_test(test_config_writer_round_trips),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
