/* Tests for agent/autoreboot.c: when `reboot: auto` reboots, and that it
 * never reboots a virtual device (the machine running these tests). */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "agent/autoreboot.h"
#include "agent/state.h"

static struct agent_config *device(char **dir, const char *bootloader)
{
	struct ferry_error *err = NULL;
	struct agent_config *c = NULL;
	char json[512];
	snprintf(json, sizeof(json),
		 "{\"format\":1,\"device\":{\"id\":\"gw-0001\",\"type\":\"gw-x\"},\"reboot\":\"auto\","
		 "\"slots\":{\"rootfs\":{\"a\":\"a.img\",\"b\":\"b.img\"}},\"bootloader\":%s}", bootloader);
	*dir = test_tmpdir();
	char *path = test_write_file(*dir, "agent.json", json, strlen(json));
	assert_ok(agent_config_load(path, &c, &err), err);
	free(path);
	return c;
}

/* verifying -> installing -> installed, the transaction's detail as given. */
static void install(const struct agent_config *c, const char *detail)
{
	struct ferry_error *err = NULL;
	struct state *s = NULL;
	struct state_txn t = { .bundle = "os", .version = "2.0.0", .target_slot = "b", .previous_slot = "a",
			       .detail = (char *)detail };
	static const struct { enum agent_state to; const char *event; } steps[] = {
		{ AGENT_STATE_VERIFYING, "install.started" }, { AGENT_STATE_INSTALLING, "install.writing" },
		{ AGENT_STATE_INSTALLED, "install.finished" },
	};
	assert_ok(state_open_config(c, &s, &err), err);
	for (size_t i = 0; i < 3; i++) {
		struct state_change ch = { .set_state = true, .state = steps[i].to, .begin_txn = i == 0 ? &t : NULL };
		struct auditlog_fields ev = { .event = steps[i].event, .result = "info" };
		assert_ok(state_apply(s, &ch, &ev, NULL, &err), err);
	}
	state_close(s);
}

static void test_autoreboot_pending_only_when_an_update_waits_for_reboot(void **state)
{
	(void)state;
	char *dir = NULL, *dir2 = NULL;
	bool pending = true;
	struct ferry_error *err = NULL;
	struct agent_config *c = device(&dir, "{\"type\":\"grub\",\"path\":\"grubenv\"}");
	struct agent_config *c2 = device(&dir2, "{\"type\":\"grub\",\"path\":\"grubenv\"}");
	assert_ok(autoreboot_pending(c, &pending, &err), err);
	assert_false(pending);   /* idle */
	install(c, "{\"payloads\":[],\"needs_reboot\":true}");
	assert_ok(autoreboot_pending(c, &pending, &err), err);
	assert_true(pending);
	install(c2, "{\"payloads\":[],\"needs_reboot\":false}");
	assert_ok(autoreboot_pending(c2, &pending, &err), err);
	assert_false(pending);   /* installed, waiting only for its commit */
	agent_config_free(c);
	agent_config_free(c2);
	test_tmpdir_remove(dir);
	test_tmpdir_remove(dir2);
}

static void test_autoreboot_never_reboots_a_virtual_device(void **state)
{
	(void)state;
	char *dir = NULL;
	bool pending = false;
	struct ferry_error *err = NULL;
	struct agent_config *c = device(&dir, "{\"type\":\"file\",\"path\":\"bootenv.json\"}");
	install(c, "{\"payloads\":[],\"needs_reboot\":true}");
	assert_ok(autoreboot_pending(c, &pending, &err), err);
	assert_true(pending);
	/* Returning at all is the test: reboot(2) would not come back. */
	assert_ok(autoreboot_if_pending(c, &err), err);
	agent_config_free(c);
	test_tmpdir_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_autoreboot_pending_only_when_an_update_waits_for_reboot),
		cmocka_unit_test(test_autoreboot_never_reboots_a_virtual_device),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
