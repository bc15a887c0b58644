/*
 * Tests for reading JSON members: every member is logged as one line
 * "key|type|number|text" so that a test compares a whole transcript, keys
 * as decoded bytes (escapes resolved), numbers as read, and the messages
 * for text that is not JSON or whose root is not what the caller wants.
 */
#include "shard/util/json.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shard/util/strbuf.h"
#include "shard/util/banned.h"

struct log {
	struct strbuf text;
	size_t calls;
	size_t fail_at; /* return an error from this call (1-based) */
	double sum;
};

static const char *type_name(enum json_type t)
{
	static const char *const names[] = {
		"null", "true", "false", "integer",
		"real", "text", "array", "object",
	};

	return names[t];
}

static int log_member(void *data, const struct json_member *m,
		      struct shard_error *err)
{
	struct log *lg = data;

	lg->calls++;
	if (lg->fail_at && lg->calls == lg->fail_at)
		return shard_error_set(err, SHARD_EINPUT,
				       "t.json: bad value for '%.*s'",
				       (int)m->key_len, m->key);
	if (m->key)
		strbuf_add(&lg->text, m->key, m->key_len);
	else
		strbuf_addf(&lg->text, "#%ld", m->index);
	strbuf_addf(&lg->text, "|%s", type_name(m->type));
	if (m->type == JSON_INTEGER || m->type == JSON_REAL)
		strbuf_addf(&lg->text, "|%.17g", m->number);
	if (m->type == JSON_TEXT || m->type == JSON_ARRAY ||
	    m->type == JSON_OBJECT)
		strbuf_addf(&lg->text, "|%.*s", (int)m->text_len, m->text);
	strbuf_addch(&lg->text, '\n');
	lg->sum += m->number;
	return 0;
}

static int setup(void **state)
{
	struct log *lg = calloc(1, sizeof(*lg));

	if (!lg)
		return -1;
	strbuf_init(&lg->text, 0);
	*state = lg;
	return 0;
}

static int teardown(void **state)
{
	struct log *lg = *state;

	strbuf_release(&lg->text);
	free(lg);
	return 0;
}

static int each(struct log *lg, const char *text, const char *jpath,
		int want_object, struct shard_error *err)
{
	return json_each_member(text, strlen(text), "t.json", jpath,
				want_object, log_member, lg, err);
}

static void expect_members(struct log *lg, const char *text, const char *want)
{
	struct shard_error err = SHARD_ERROR_INIT;

	strbuf_reset(&lg->text);
	assert_int_equal(each(lg, text, "$", 1, &err), 0);
	assert_int_equal(err.code, 0);
	assert_string_equal(lg->text.buf, want);
}

static void expect_error(struct log *lg, const char *text, size_t len,
			 const char *jpath, int want_object, const char *msg)
{
	struct shard_error err = SHARD_ERROR_INIT;

	lg->calls = 0;
	assert_int_equal(json_each_member(text, len, "dir/t.json", jpath,
					  want_object, log_member, lg, &err),
			 SHARD_EINPUT);
	assert_int_equal(err.code, SHARD_EINPUT);
	assert_string_equal(err.msg, msg);
	assert_int_equal(lg->calls, 0);
}

static void object_members_come_in_document_order_with_types(void **state)
{
	expect_members(*state,
		       "{\"z\": 1, \"a\": 2.5, \"s\": \"txt\", \"n\": null, "
		       "\"t\": true, \"f\": false, \"arr\": [1, \"x\"], "
		       "\"obj\": {\"k\": 1}}",
		       "z|integer|1\n"
		       "a|real|2.5\n"
		       "s|text|txt\n"
		       "n|null\n"
		       "t|true\n"
		       "f|false\n"
		       "arr|array|[1,\"x\"]\n"
		       "obj|object|{\"k\":1}\n");
}

static void keys_with_u_escapes_are_decoded_to_utf8(void **state)
{
	expect_members(*state,
		       "{\"\\u00e9t\\u00e9\": 1, \"\\u0909\": 2, "
		       "\"\\ud83d\\ude00\": 3, \"\\u0041\\u002f\": 4}",
		       "\xc3\xa9t\xc3\xa9|integer|1\n"
		       "\xe0\xa4\x89|integer|2\n"
		       "\xf0\x9f\x98\x80|integer|3\n"
		       "A/|integer|4\n");
}

static void keys_with_quote_and_backslash_escapes_are_decoded(void **state)
{
	/* as in pytest-split files: a \" inside an id, a literal "\u0909" */
	expect_members(*state,
		       "{\"t.py::f[field(\\\"%s\\\")]\": 0.5, "
		       "\"t.py::g['\\\\u0909']\": 0.25, "
		       "\"a\\/b\\tc\\nd\": 1}",
		       "t.py::f[field(\"%s\")]|real|0.5\n"
		       "t.py::g['\\u0909']|real|0.25\n"
		       "a/b\tc\nd|integer|1\n");
}

static void key_length_counts_decoded_bytes(void **state)
{
	struct log *lg = *state;

	expect_members(lg, "{\"\\u00e9\": 1}", "\xc3\xa9|integer|1\n");
	/* key_len is what was logged: two bytes, no terminator */
	assert_int_equal(lg->text.len, strlen("\xc3\xa9|integer|1\n"));
}

static void key_with_an_escaped_nul_is_kept_whole_or_rejected(void **state)
{
	struct log *lg = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	static const char text[] = "{\"t.py::a\\u0000x\": 1, "
				   "\"t.py::a\\u0000y\": 2}";
	static const char want[] = "t.py::a\0x|integer|1\n"
				   "t.py::a\0y|integer|2\n";
	int r;

	/* two different ids must not come out as one truncated "t.py::a" */
	r = each(lg, text, "$", 1, &err);
	if (r == 0) {
		assert_int_equal(lg->text.len, sizeof(want) - 1);
		assert_memory_equal(lg->text.buf, want, sizeof(want) - 1);
	} else {
		assert_int_equal(r, SHARD_EINPUT);
	}
}

static void exponent_numbers_are_read_as_reals(void **state)
{
	struct log *lg = *state;

	expect_members(lg,
		       "{\"a\": 7.1e-05, \"b\": 1E3, \"c\": -2, \"d\": 0.5e+1, "
		       "\"e\": 12345678901, \"f\": 2.5E-7, \"g\": -0.0}",
		       "a|real|7.1000000000000005e-05\n"
		       "b|real|1000\n"
		       "c|integer|-2\n"
		       "d|real|5\n"
		       "e|integer|12345678901\n"
		       "f|real|2.4999999999999999e-07\n"
		       "g|real|-0\n");
}

static void array_at_a_path_is_iterated_with_indexes(void **state)
{
	struct log *lg = *state;
	struct shard_error err = SHARD_ERROR_INIT;

	assert_int_equal(each(lg,
			      "{\"version\": 1, \"shards\": [{\"index\": 0}, "
			      "{\"index\": 1}, \"x\"]}",
			      "$.shards", 0, &err),
			 0);
	assert_string_equal(lg->text.buf, "#0|object|{\"index\":0}\n"
					  "#1|object|{\"index\":1}\n"
					  "#2|text|x\n");
}

static void empty_object_calls_nothing(void **state)
{
	struct log *lg = *state;

	expect_members(lg, " {} ", "");
	assert_int_equal(lg->calls, 0);
}

static void only_len_bytes_of_the_text_are_read(void **state)
{
	struct log *lg = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	static const char text[] = "{\"a\": 1} trailing garbage";

	assert_int_equal(json_each_member(text, 8, "t.json", "$", 1, log_member,
					  lg, &err),
			 0);
	assert_string_equal(lg->text.buf, "a|integer|1\n");
	expect_error(lg, text, 4, "$", 1, "dir/t.json: not valid JSON");
}

static void non_object_root_is_rejected_naming_the_file(void **state)
{
	struct log *lg = *state;

	expect_error(lg, "[1, 2]", 6, "$", 1,
		     "dir/t.json: expected an object at $, found array");
	expect_error(lg, "3", 1, "$", 1,
		     "dir/t.json: expected an object at $, found integer");
	expect_error(lg, "7.1e-05", 7, "$", 1,
		     "dir/t.json: expected an object at $, found real");
	expect_error(lg, "\"s\"", 3, "$", 1,
		     "dir/t.json: expected an object at $, found text");
	expect_error(lg, "null", 4, "$", 1,
		     "dir/t.json: expected an object at $, found null");
	expect_error(lg, "{\"a\": 1}", 8, "$", 0,
		     "dir/t.json: expected an array at $, found object");
	expect_error(lg, "{\"a\": 1}", 8, "$.shards", 0,
		     "dir/t.json: expected an array at $.shards, found nothing");
}

static void invalid_json_is_rejected_naming_the_file(void **state)
{
	static const char *const bad[] = {
		"",
		" ",
		"{",
		"{\"a\": 1",
		"{\"a\": 1,}",
		"{a: 1}",
		"{'a': 1}",
		"{} x",
		"{\"a\": 1}{\"b\": 2}",
		"{\"a\": 01}",
		"{\"a\": .5}",
		"{\"a\": 1.}",
		"{\"a\": +1}",
		"{\"a\": NaN}",
		"{\"a\": \"x\ty\"}",
		"{\"a\": \"\\x\"}",
		"{\"a\": \"\\u00\"}",
		"{\"a\": [1 2]}",
		"{\"a\" 1}",
	};
	struct log *lg = *state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct shard_error err = SHARD_ERROR_INIT;

		lg->calls = 0;
		if (json_each_member(bad[i], strlen(bad[i]), "dir/t.json", "$",
				     1, log_member, lg, &err) != SHARD_EINPUT)
			print_error("accepted: '%s'\n", bad[i]);
		assert_int_equal(err.code, SHARD_EINPUT);
		assert_string_equal(err.msg, "dir/t.json: not valid JSON");
		assert_int_equal(lg->calls, 0);
	}
}

static void callback_error_stops_iteration_and_is_returned(void **state)
{
	struct log *lg = *state;
	struct shard_error err = SHARD_ERROR_INIT;

	lg->fail_at = 2;
	assert_int_equal(each(lg, "{\"a\": 1, \"b\\\"\": 2, \"c\": 3}", "$", 1,
			      &err),
			 SHARD_EINPUT);
	assert_int_equal(lg->calls, 2);
	assert_int_equal(err.code, SHARD_EINPUT);
	assert_string_equal(err.msg, "t.json: bad value for 'b\"'");
	assert_string_equal(lg->text.buf, "a|integer|1\n");
}

static void large_object_is_iterated_fully(void **state)
{
	struct log *lg = *state;
	struct strbuf text = STRBUF_INIT;
	struct shard_error err = SHARD_ERROR_INIT;
	size_t n = 20000;

	strbuf_addch(&text, '{');
	for (size_t i = 0; i < n; i++)
		strbuf_addf(&text, "%s\"tests/t.py::test_%zu\": %zu.5",
			    i ? ", " : "", i, i % 10);
	strbuf_addch(&text, '}');
	assert_int_equal(json_each_member(text.buf, text.len, "big.json", "$",
					  1, log_member, lg, &err),
			 0);
	assert_int_equal(lg->calls, n);
	/* each tenth of the keys: 0.5 + 1.5 + ... + 9.5 = 50 */
	assert_true(lg->sum > 50.0 * (double)n / 10 - 1e-6);
	assert_true(lg->sum < 50.0 * (double)n / 10 + 1e-6);
	strbuf_release(&text);
}

static void line_of_counts_newlines_before_the_offset(void **state)
{
	static const char text[] = "{\n  \"a\": 1,\n  \"b\": x\n}";

	(void)state;
	assert_int_equal(json_line_of(text, 0), 1);
	assert_int_equal(json_line_of(text, 1), 1);
	assert_int_equal(json_line_of(text, 2), 2);
	assert_int_equal(json_line_of(text, (size_t)(strchr(text, 'x') - text)),
			 3);
	assert_int_equal(json_line_of(text, sizeof(text) - 1), 4);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(object_members_come_in_document_order_with_types),
		T(keys_with_u_escapes_are_decoded_to_utf8),
		T(keys_with_quote_and_backslash_escapes_are_decoded),
		T(key_length_counts_decoded_bytes),
		T(key_with_an_escaped_nul_is_kept_whole_or_rejected),
		T(exponent_numbers_are_read_as_reals),
		T(array_at_a_path_is_iterated_with_indexes),
		T(empty_object_calls_nothing),
		T(only_len_bytes_of_the_text_are_read),
		T(non_object_root_is_rejected_naming_the_file),
		T(invalid_json_is_rejected_naming_the_file),
		T(callback_error_stops_iteration_and_is_returned),
		T(large_object_is_iterated_fully),
		T(line_of_counts_newlines_before_the_offset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
