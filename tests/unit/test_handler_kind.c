/* Tests for common/handler_kind.c (the one table of handlers) and the agent's
 * mapping of kinds to ops (agent/handler.c): every kind has its ops under the
 * same name, names round-trip, an unknown name has neither. */
#include "testutil.h"

#include <string.h>

#include "agent/handler.h"
#include "common/handler_kind.h"

static void test_handler_kind_every_kind_has_its_ops(void **state)
{
	(void)state;
	for (int id = 0; id < HANDLER_COUNT_; id++) {
		const struct handler_kind *k = handler_kind_get(id);
		assert_non_null(k);
		assert_int_equal(k->id, id);
		assert_ptr_equal(handler_kind_find(k->name), k);
		assert_non_null(strstr(handler_kind_names(), k->name));
		assert_non_null(handler_get(id));
		assert_string_equal(handler_get(id)->name, k->name);
		assert_ptr_equal(handler_find(k->name), handler_get(id));
	}
}

static void test_handler_kind_unknown_name(void **state)
{
	(void)state;
	assert_null(handler_kind_find("docker"));
	assert_null(handler_kind_find(NULL));
	assert_null(handler_find("docker"));
	assert_null(handler_kind_get(HANDLER_COUNT_));
	assert_null(handler_get(HANDLER_COUNT_));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handler_kind_every_kind_has_its_ops),
		cmocka_unit_test(test_handler_kind_unknown_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
