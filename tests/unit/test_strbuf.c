/*
 * Tests for the growable buffer: never NULL, always NUL-terminated, detach
 * hands ownership out, and a cap that refuses (leaving the buffer as it
 * was) any append that would pass it.
 */
#include "shard/util/strbuf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shard/util/banned.h"

static void empty_buffer_is_a_nul_terminated_empty_string(void **state)
{
	struct strbuf a = STRBUF_INIT, b;

	(void)state;
	assert_non_null(a.buf);
	assert_string_equal(a.buf, "");
	assert_int_equal(a.len, 0);
	strbuf_init(&b, 0);
	assert_non_null(b.buf);
	assert_string_equal(b.buf, "");
	assert_int_equal(b.alloc, 0);
	strbuf_release(&a);
	strbuf_release(&b);
}

static void init_with_a_hint_allocates_room(void **state)
{
	struct strbuf sb;

	(void)state;
	strbuf_init(&sb, 100);
	assert_true(sb.alloc >= 101);
	assert_int_equal(sb.len, 0);
	assert_string_equal(sb.buf, "");
	strbuf_release(&sb);
	assert_int_equal(sb.alloc, 0);
	assert_string_equal(sb.buf, "");
}

static void appenders_append_and_keep_a_nul(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	assert_int_equal(strbuf_add(&sb, "ab", 2), 0);
	assert_int_equal(strbuf_addstr(&sb, "cd"), 0);
	assert_int_equal(strbuf_addch(&sb, 'e'), 0);
	assert_int_equal(strbuf_addf(&sb, "-%d-%s-", 42, "x"), 0);
	assert_string_equal(sb.buf, "abcde-42-x-");
	assert_int_equal(sb.len, 11);
	assert_int_equal(sb.buf[sb.len], '\0');
	strbuf_release(&sb);
}

static void add_keeps_embedded_nul_bytes(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	assert_int_equal(strbuf_add(&sb, "a\0b", 3), 0);
	assert_int_equal(strbuf_addch(&sb, '\0'), 0);
	assert_int_equal(sb.len, 4);
	assert_memory_equal(sb.buf, "a\0b\0", 5);
	strbuf_release(&sb);
}

static void addch_grows_through_many_reallocations(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	for (int i = 0; i < 100000; i++)
		assert_int_equal(strbuf_addch(&sb, 'a' + i % 26), 0);
	assert_int_equal(sb.len, 100000);
	assert_int_equal(strlen(sb.buf), 100000);
	assert_int_equal(sb.buf[26], 'a');
	assert_int_equal(sb.buf[99999], 'a' + 99999 % 26);
	strbuf_release(&sb);
}

static void addf_grows_past_the_allocation(void **state)
{
	struct strbuf sb, big = STRBUF_INIT;

	(void)state;
	for (int i = 0; i < 5000; i++)
		strbuf_addch(&big, 'x');
	strbuf_init(&sb, 4);
	assert_int_equal(strbuf_addf(&sb, "%s", "pre:"), 0);
	assert_int_equal(strbuf_addf(&sb, "[%s|%05d]", big.buf, 7), 0);
	assert_int_equal(sb.len, 4 + 1 + 5000 + 1 + 5 + 1);
	assert_memory_equal(sb.buf, "pre:[xxx", 8);
	assert_string_equal(sb.buf + sb.len - 8, "x|00007]");
	assert_int_equal(strbuf_addf(&sb, "%s", ""), 0);
	assert_int_equal(sb.len, 5012);
	strbuf_release(&sb);
	strbuf_release(&big);
}

static void addf_on_a_fresh_buffer_formats_from_the_start(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	assert_int_equal(strbuf_addf(&sb, "%.3f|%zu", 7.1e-05, (size_t)3), 0);
	assert_string_equal(sb.buf, "0.000|3");
	strbuf_release(&sb);
}

static void setlen_and_reset_shorten_but_keep_memory(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	size_t alloc;

	(void)state;
	strbuf_addstr(&sb, "hello world");
	alloc = sb.alloc;
	strbuf_setlen(&sb, 5);
	assert_string_equal(sb.buf, "hello");
	assert_int_equal(sb.len, 5);
	strbuf_reset(&sb);
	assert_string_equal(sb.buf, "");
	assert_int_equal(sb.len, 0);
	assert_int_equal(sb.alloc, alloc);
	/* on an empty buffer both are harmless */
	strbuf_release(&sb);
	strbuf_reset(&sb);
	strbuf_setlen(&sb, 0);
	assert_string_equal(sb.buf, "");
}

static void detach_hands_out_the_buffer_and_resets(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	size_t len = 0;
	char *s;

	(void)state;
	strbuf_addstr(&sb, "owned");
	s = strbuf_detach(&sb, &len);
	assert_string_equal(s, "owned");
	assert_int_equal(len, 5);
	assert_int_equal(sb.len, 0);
	assert_int_equal(sb.alloc, 0);
	assert_string_equal(sb.buf, "");
	assert_true(sb.buf != s);
	/* the buffer is usable again and does not share memory with s */
	strbuf_addstr(&sb, "again");
	assert_string_equal(s, "owned");
	free(s);
	s = strbuf_detach(&sb, NULL);
	assert_string_equal(s, "again");
	free(s);
}

static void detach_of_an_empty_buffer_is_a_freeable_string(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	size_t len = 99;
	char *s;

	(void)state;
	s = strbuf_detach(&sb, &len);
	assert_non_null(s);
	assert_string_equal(s, "");
	assert_int_equal(len, 0);
	/* not the shared empty string: free() must accept it */
	assert_true(s != strbuf_empty);
	free(s);
}

static void cap_admits_exactly_cap_bytes(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	sb.cap = 8;
	assert_int_equal(strbuf_addstr(&sb, "12345"), 0);
	assert_int_equal(strbuf_add(&sb, "678", 3), 0);
	assert_string_equal(sb.buf, "12345678");
	assert_int_equal(strbuf_grow(&sb, 0), 0);
	strbuf_release(&sb);
}

static void cap_refuses_appends_and_leaves_the_buffer_unchanged(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	sb.cap = 8;
	assert_int_equal(strbuf_addstr(&sb, "123456"), 0);
	assert_int_equal(strbuf_add(&sb, "789", 3), -1);
	assert_int_equal(strbuf_addstr(&sb, "789"), -1);
	assert_int_equal(strbuf_addf(&sb, "%d", 789), -1);
	assert_int_equal(strbuf_grow(&sb, 3), -1);
	assert_int_equal(strbuf_addch(&sb, '7'), 0);
	assert_int_equal(strbuf_addch(&sb, '8'), 0);
	assert_int_equal(strbuf_addch(&sb, '9'), -1);
	assert_string_equal(sb.buf, "12345678");
	assert_int_equal(sb.len, 8);
	strbuf_release(&sb);
}

static void cap_refuses_a_size_that_would_wrap_around(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	sb.cap = 10;
	assert_int_equal(strbuf_addstr(&sb, "hello"), 0);
	/* len + extra wraps past SIZE_MAX: still far beyond the cap */
	assert_int_equal(strbuf_grow(&sb, SIZE_MAX), -1);
	assert_int_equal(strbuf_grow(&sb, SIZE_MAX - 2), -1);
	assert_string_equal(sb.buf, "hello");
	strbuf_release(&sb);
}

static void cap_holds_again_after_reset(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	sb.cap = 4;
	assert_int_equal(strbuf_addstr(&sb, "abcd"), 0);
	strbuf_reset(&sb);
	assert_int_equal(strbuf_addstr(&sb, "efgh"), 0);
	assert_int_equal(strbuf_addch(&sb, 'i'), -1);
	assert_string_equal(sb.buf, "efgh");
	strbuf_release(&sb);
}

static void uleb128_round_trips_and_refuses_bad_bytes(void **state)
{
	const uint64_t v[] = { 0,         1,     127,   128,
			       300,       16383, 16384, UINT64_MAX / 3,
			       UINT64_MAX };
	struct strbuf sb = STRBUF_INIT;
	size_t at = 0;
	uint64_t got;

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(*v); i++)
		assert_int_equal(strbuf_add_uleb128(&sb, v[i]), 0);
	/* 127 takes one byte, 128 two, UINT64_MAX ten */
	assert_int_equal(sb.len, 1 + 1 + 1 + 2 + 2 + 2 + 3 + 9 + 10);
	for (size_t i = 0; i < sizeof(v) / sizeof(*v); i++) {
		assert_int_equal(strbuf_read_uleb128(sb.buf, sb.len, &at, &got),
				 0);
		assert_true(got == v[i]);
	}
	assert_int_equal(at, sb.len);
	assert_int_equal(strbuf_read_uleb128(sb.buf, sb.len, &at, &got), -1);
	/* cut short: a continued last byte */
	at = 0;
	assert_int_equal(strbuf_read_uleb128("\x80\x80", 2, &at, &got), -1);
	/* an eleventh byte, or a tenth past bit 63 */
	at = 0;
	assert_int_equal(strbuf_read_uleb128("\xff\xff\xff\xff\xff\xff"
					     "\xff\xff\xff\x02",
					     10, &at, &got),
			 -1);
	strbuf_release(&sb);
}

#define T(name) cmocka_unit_test(name)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(empty_buffer_is_a_nul_terminated_empty_string),
		T(init_with_a_hint_allocates_room),
		T(appenders_append_and_keep_a_nul),
		T(add_keeps_embedded_nul_bytes),
		T(addch_grows_through_many_reallocations),
		T(addf_grows_past_the_allocation),
		T(addf_on_a_fresh_buffer_formats_from_the_start),
		T(setlen_and_reset_shorten_but_keep_memory),
		T(detach_hands_out_the_buffer_and_resets),
		T(detach_of_an_empty_buffer_is_a_freeable_string),
		T(cap_admits_exactly_cap_bytes),
		T(cap_refuses_appends_and_leaves_the_buffer_unchanged),
		T(cap_refuses_a_size_that_would_wrap_around),
		T(cap_holds_again_after_reset),
		T(uleb128_round_trips_and_refuses_bad_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
