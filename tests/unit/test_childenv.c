/*
 * What a child's environment keeps: shard's secrets (the history token,
 * the history location, which may be a URL with a password) are
 * removed, by exact name; every other entry, the variables shard sets
 * for the command included, passes in its order.
 */
#include "shard/exec/childenv.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "shard/util/banned.h"

static void history_token_and_location_are_private(void **state)
{
	(void)state;
	assert_true(childenv_private("SHARD_HISTORY_TOKEN=t0k"));
	assert_true(childenv_private("SHARD_HISTORY=postgres://u:pw@h/db"));
	assert_true(childenv_private("SHARD_HISTORY="));
}

static void other_names_pass_even_when_they_share_a_prefix(void **state)
{
	(void)state;
	assert_false(childenv_private("SHARD_INDEX=0"));
	assert_false(childenv_private("SHARD_TOTAL=2"));
	assert_false(childenv_private("SHARD_JUNIT=/tmp/r.xml"));
	assert_false(childenv_private("SHARD_RUN_ID=42"));
	assert_false(childenv_private("SHARD_HISTORY_URL=https://x/h.db"));
	assert_false(childenv_private("SHARD_HISTORYX=1"));
	assert_false(childenv_private("XSHARD_HISTORY=1"));
	assert_false(childenv_private("shard_history_token=1"));
	assert_false(childenv_private("SHARD_HISTORY_TOKEN"));
	assert_false(childenv_private("DATABASE_URL=postgres://u:pw@h/s0"));
}

static void scrub_removes_in_place_and_keeps_the_order(void **state)
{
	char a[] = "PATH=/bin", b[] = "SHARD_HISTORY_TOKEN=t0k",
	     c[] = "SHARD_INDEX=1", d[] = "SHARD_HISTORY=/h.db",
	     e[] = "HOME=/root";
	char *env[] = { b, a, d, c, b, e, NULL };

	(void)state;
	childenv_scrub(env);
	assert_ptr_equal(env[0], a);
	assert_ptr_equal(env[1], c);
	assert_ptr_equal(env[2], e);
	assert_null(env[3]);
}

static void scrub_takes_an_empty_or_absent_environment(void **state)
{
	char b[] = "SHARD_HISTORY_TOKEN=t0k";
	char *only[] = { b, NULL }, *none[] = { NULL };

	(void)state;
	childenv_scrub(only);
	assert_null(only[0]);
	childenv_scrub(none);
	assert_null(none[0]);
	childenv_scrub(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(history_token_and_location_are_private),
		cmocka_unit_test(
			other_names_pass_even_when_they_share_a_prefix),
		cmocka_unit_test(scrub_removes_in_place_and_keeps_the_order),
		cmocka_unit_test(scrub_takes_an_empty_or_absent_environment),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
