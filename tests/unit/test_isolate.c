/*
 * Tests for how isolation names what it creates (shard/exec/isolate.h):
 * the prefix made of the template's name, the shard index and the
 * invocation's hash, the 63-byte limit, the comment shard db gc reads,
 * and the URL that names no database. Nothing here connects.
 */
#include "shard/exec/isolate.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shard/util/banned.h"

static const struct isolate_owner owner = { "run-1", "host-a", 42,
					    1700000000.0 };

static int is_hex8(const char *s)
{
	if (strlen(s) != 8)
		return 0;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return 0;
	return 1;
}

static void a_database_is_named_after_its_template(void **state)
{
	struct shard_error err = SHARD_ERROR_INIT;
	struct isolate iso;
	char want[64];
	char *name;

	(void)state;
	assert_int_equal(isolate_init(&iso, ISOLATE_DB,
				      "postgres://u@localhost/My-App.Test",
				      &owner, 4, &err),
			 0);
	assert_string_equal(iso.prefix, "my_app_test");
	assert_true(is_hex8(iso.hash));
	name = isolate_resource_name(&iso, 3);
	snprintf(want, sizeof(want), "my_app_test_s3_%s", iso.hash);
	assert_string_equal(name, want);
	assert_null(isolate_name(&iso, 3)); /* not created */
	free(name);
	isolate_release(&iso);
}

static void a_schema_is_named_shard(void **state)
{
	struct shard_error err = SHARD_ERROR_INIT;
	struct isolate iso;
	char want[64];
	char *name;

	(void)state;
	assert_int_equal(isolate_init(&iso, ISOLATE_SCHEMA,
				      "postgres://u@localhost/appdb", &owner, 1,
				      &err),
			 0);
	name = isolate_resource_name(&iso, 0);
	snprintf(want, sizeof(want), "shard_s0_%s", iso.hash);
	assert_string_equal(name, want);
	free(name);
	isolate_release(&iso);
}

static void a_long_name_is_cut_to_63_bytes_keeping_its_tail(void **state)
{
	struct shard_error err = SHARD_ERROR_INIT;
	struct isolate iso;
	char url[200], tail[64];
	char *name;

	(void)state;
	snprintf(url, sizeof(url), "postgres://u@localhost/%s",
		 "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz");
	assert_int_equal(isolate_init(&iso, ISOLATE_DB, url, &owner, 1, &err),
			 0);
	assert_int_equal(strlen(iso.prefix), 39);
	name = isolate_resource_name(&iso, 7);
	assert_int_equal(strlen(name), 39 + strlen("_s7_") + 8);
	free(name);
	name = isolate_resource_name(&iso, SIZE_MAX);
	snprintf(tail, sizeof(tail), "_s%zu_%s", (size_t)SIZE_MAX, iso.hash);
	assert_int_equal(strlen(name), 63);
	assert_string_equal(name + 63 - strlen(tail), tail);
	assert_memory_equal(name, "abcdefghijklmnopqrstuvwxyz012345",
			    63 - strlen(tail));
	free(name);
	isolate_release(&iso);
}

static void the_hash_names_the_invocation(void **state)
{
	struct shard_error err = SHARD_ERROR_INIT;
	struct isolate a, b, c;
	struct isolate_owner other = owner;

	(void)state;
	other.pid = 43;
	assert_int_equal(isolate_init(&a, ISOLATE_DB, "postgres://u@h/t",
				      &owner, 1, &err),
			 0);
	assert_int_equal(isolate_init(&b, ISOLATE_DB, "postgres://u@h/t",
				      &owner, 1, &err),
			 0);
	assert_int_equal(isolate_init(&c, ISOLATE_DB, "postgres://u@h/t",
				      &other, 1, &err),
			 0);
	assert_string_equal(a.hash, b.hash);
	assert_string_not_equal(a.hash, c.hash);
	/* what shard db gc reads */
	assert_string_equal(a.comment.buf, "shard: created=1700000000 pid=42 "
					   "host=host-a lock=1 run=run-1");
	isolate_release(&a);
	isolate_release(&b);
	isolate_release(&c);
}

static void a_url_without_database_is_refused(void **state)
{
	struct shard_error err = SHARD_ERROR_INIT;
	struct isolate iso;

	(void)state;
	assert_int_equal(isolate_init(&iso, ISOLATE_DB, "postgres://u@h",
				      &owner, 1, &err),
			 SHARD_EINPUT);
	assert_string_equal(err.msg, "--isolate-db (the template): the URL "
				     "names no database");
	shard_error_clear(&err);
	assert_int_equal(isolate_init(&iso, ISOLATE_SCHEMA, "postgres://u@h",
				      &owner, 1, &err),
			 SHARD_EINPUT);
	assert_string_equal(err.msg,
			    "--isolate-schema: the URL names no database");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_database_is_named_after_its_template),
		cmocka_unit_test(a_schema_is_named_shard),
		cmocka_unit_test(
			a_long_name_is_cut_to_63_bytes_keeping_its_tail),
		cmocka_unit_test(the_hash_names_the_invocation),
		cmocka_unit_test(a_url_without_database_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
