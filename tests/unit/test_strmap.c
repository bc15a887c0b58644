/*
 * Tests for the string map: insert-unless-present, lookups by bytes (not
 * C strings), and growth to 100,000 keys with every key still found.
 */
#include "shard/util/strmap.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shard/util/pool.h"
#include "shard/util/strbuf.h"
#include "shard/util/banned.h"

#define MANY 100000

static void empty_map_finds_nothing(void **state)
{
	struct strmap m = STRMAP_INIT;
	size_t v = 7;

	(void)state;
	assert_int_equal(strmap_get(&m, "a", 1, &v), 0);
	assert_int_equal(strmap_get(&m, "", 0, &v), 0);
	assert_int_equal(v, 7);
	strmap_release(&m);
}

static void put_then_get_returns_the_value(void **state)
{
	struct strmap m = STRMAP_INIT;
	size_t v = 0;

	(void)state;
	assert_int_equal(strmap_put(&m, "alpha", 5, 10, NULL), 1);
	assert_int_equal(strmap_put(&m, "beta", 4, 20, NULL), 1);
	assert_int_equal(m.count, 2);
	assert_int_equal(strmap_get(&m, "alpha", 5, &v), 1);
	assert_int_equal(v, 10);
	assert_int_equal(strmap_get(&m, "beta", 4, &v), 1);
	assert_int_equal(v, 20);
	assert_int_equal(strmap_get(&m, "gamma", 5, &v), 0);
	strmap_release(&m);
}

static void duplicate_put_keeps_the_first_value(void **state)
{
	struct strmap m = STRMAP_INIT;
	char copy[] = "key";
	size_t old = 0, v = 0;

	(void)state;
	assert_int_equal(strmap_put(&m, "key", 3, 1, NULL), 1);
	/* a different pointer with the same bytes is the same key */
	assert_int_equal(strmap_put(&m, copy, 3, 2, &old), 0);
	assert_int_equal(old, 1);
	assert_int_equal(strmap_put(&m, "key", 3, 3, NULL), 0);
	assert_int_equal(strmap_get(&m, "key", 3, &v), 1);
	assert_int_equal(v, 1);
	assert_int_equal(m.count, 1);
	strmap_release(&m);
}

static void keys_are_bytes_of_the_given_length(void **state)
{
	struct strmap m = STRMAP_INIT;
	size_t v = 0;

	(void)state;
	assert_int_equal(strmap_put(&m, "abc", 2, 1, NULL), 1); /* "ab" */
	assert_int_equal(strmap_put(&m, "abc", 3, 2, NULL), 1);
	assert_int_equal(strmap_put(&m, "ab\0x", 4, 3, NULL), 1);
	assert_int_equal(strmap_put(&m, "ab\0y", 4, 4, NULL), 1);
	assert_int_equal(strmap_put(&m, "", 0, 5, NULL), 1);
	assert_int_equal(m.count, 5);
	assert_int_equal(strmap_get(&m, "ab", 2, &v), 1);
	assert_int_equal(v, 1);
	assert_int_equal(strmap_get(&m, "ab\0x", 4, &v), 1);
	assert_int_equal(v, 3);
	assert_int_equal(strmap_get(&m, "ab\0y", 4, &v), 1);
	assert_int_equal(v, 4);
	assert_int_equal(strmap_get(&m, "x", 0, &v), 1);
	assert_int_equal(v, 5);
	assert_int_equal(strmap_get(&m, "ab\0", 3, &v), 0);
	strmap_release(&m);
}

static void hash_depends_on_every_byte_and_the_length(void **state)
{
	(void)state;
	assert_true(strmap_hash("abc", 3) == strmap_hash("abcdef", 3));
	assert_true(strmap_hash("abc", 3) != strmap_hash("abd", 3));
	assert_true(strmap_hash("ab\0", 3) != strmap_hash("ab", 2));
	assert_true(strmap_hash("ba", 2) != strmap_hash("ab", 2));
}

static void map_grows_to_100k_keys_and_finds_them_all(void **state)
{
	struct strmap m = STRMAP_INIT;
	struct pool pool = POOL_INIT;
	struct strbuf sb = STRBUF_INIT;
	const char **keys = calloc(MANY, sizeof(*keys));
	size_t v, old, wrong = 0;

	(void)state;
	assert_non_null(keys);
	for (size_t i = 0; i < MANY; i++) {
		strbuf_reset(&sb);
		strbuf_addf(&sb, "tests/test_%zu.py::test_%zu", i % 977, i);
		keys[i] = pool_strndup(&pool, sb.buf, sb.len);
		assert_int_equal(strmap_put(&m, keys[i], sb.len, i, NULL), 1);
	}
	assert_int_equal(m.count, MANY);
	/* load stays at or under one half */
	assert_true((m.mask + 1) >= 2 * m.count);
	for (size_t i = 0; i < MANY; i++) {
		/* look up through a different copy of the bytes */
		strbuf_reset(&sb);
		strbuf_addstr(&sb, keys[i]);
		if (!strmap_get(&m, sb.buf, sb.len, &v) || v != i)
			wrong++;
		if (strmap_put(&m, sb.buf, sb.len, MANY + i, &old) != 0 ||
		    old != i)
			wrong++;
	}
	assert_int_equal(wrong, 0);
	assert_int_equal(m.count, MANY);
	assert_int_equal(strmap_get(&m, "tests/test_0.py::test_100000", 28, &v),
			 0);
	strmap_release(&m);
	pool_release(&pool);
	strbuf_release(&sb);
	free(keys);
}

static void released_map_is_empty_and_usable(void **state)
{
	struct strmap m = STRMAP_INIT;
	size_t v = 0;

	(void)state;
	assert_int_equal(strmap_put(&m, "a", 1, 1, NULL), 1);
	strmap_release(&m);
	assert_int_equal(m.count, 0);
	assert_int_equal(strmap_get(&m, "a", 1, &v), 0);
	assert_int_equal(strmap_put(&m, "a", 1, 2, NULL), 1);
	assert_int_equal(strmap_get(&m, "a", 1, &v), 1);
	assert_int_equal(v, 2);
	strmap_release(&m);
	strmap_release(&m);
}

#define T(name) cmocka_unit_test(name)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(empty_map_finds_nothing),
		T(put_then_get_returns_the_value),
		T(duplicate_put_keeps_the_first_value),
		T(keys_are_bytes_of_the_given_length),
		T(hash_depends_on_every_byte_and_the_length),
		T(map_grows_to_100k_keys_and_finds_them_all),
		T(released_map_is_empty_and_usable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
