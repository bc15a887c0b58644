/*
 * Tests for connection targets (no server needed): URLs parsed by libpq,
 * URLs rebuilt for a shard's database (socket directories in ?host=,
 * other parameters kept), descriptions that never show a password, and
 * the errors for what is not a PostgreSQL URL. Connections and queries
 * are exercised against a real server by tests/cli/t0404.
 */
#include "shard/pgconn.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shard/banned.h"

static void url_fields_are_parsed(void **state)
{
	struct pg_target t;

	(void)state;
	assert_int_equal(pg_target_parse("postgresql://app:s3cr%40t@db.example"
					 ":6432/app_tpl?sslmode=require", &t,
					 NULL), 0);
	assert_string_equal(t.user, "app");
	assert_string_equal(t.password, "s3cr@t");
	assert_string_equal(t.host, "db.example");
	assert_string_equal(t.port, "6432");
	assert_string_equal(t.dbname, "app_tpl");
	assert_non_null(strstr(t.options, "sslmode=require"));
	pg_target_release(&t);
}

static void rebuilt_url_names_the_shard_database(void **state)
{
	struct pg_target t, back;
	struct strbuf url = STRBUF_INIT;

	(void)state;
	assert_int_equal(pg_target_parse("postgres://u:p w@/tpl?host=/tmp/pg "
					 "dir&port=5433", &t, NULL), 0);
	pg_target_url(&t, "tpl_s3_0123abcd", &url);
	assert_int_equal(pg_target_parse(url.buf, &back, NULL), 0);
	assert_string_equal(back.dbname, "tpl_s3_0123abcd");
	assert_string_equal(back.host, "/tmp/pg dir");
	assert_string_equal(back.port, "5433");
	assert_string_equal(back.user, "u");
	assert_string_equal(back.password, "p w");
	pg_target_release(&t);
	pg_target_release(&back);
	strbuf_release(&url);
}

static void descriptions_never_show_the_password(void **state)
{
	struct pg_target t;
	struct strbuf d = STRBUF_INIT;

	(void)state;
	assert_int_equal(pg_target_parse("postgresql://bob:hunter2@h:1/db", &t,
					 NULL), 0);
	pg_target_describe(&t, "other", &d);
	assert_string_equal(d.buf, "bob@h:1/other");
	assert_null(strstr(d.buf, "hunter2"));
	pg_target_release(&t);
	strbuf_release(&d);
}

static void a_bad_url_is_an_input_error_without_its_text(void **state)
{
	struct pg_target t;
	struct shard_error err = SHARD_ERROR_INIT;

	(void)state;
	assert_int_equal(pg_target_parse("postgresql://u:hunter2@h:notaport"
					 "/db?bogus_option=1", &t, &err),
			 SHARD_EINPUT);
	assert_non_null(strstr(err.msg, "not a PostgreSQL URL"));
	assert_null(strstr(err.msg, "hunter2"));
}

static void an_unreachable_server_is_an_environment_error(void **state)
{
	struct pg_target t;
	struct pgconn *c = (struct pgconn *)1;
	struct shard_error err = SHARD_ERROR_INIT;

	(void)state;
	assert_int_equal(pg_target_parse("postgresql://u:hunter2@/db?host="
					 "/nonexistent-dir", &t, NULL), 0);
	assert_int_equal(pgconn_open(&c, &t, NULL, &err), SHARD_EENV);
	assert_null(c);
	assert_non_null(strstr(err.msg, "cannot connect"));
	assert_non_null(strstr(err.msg, "u@/nonexistent-dir/db"));
	assert_null(strstr(err.msg, "hunter2"));
	pg_target_release(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(url_fields_are_parsed),
		cmocka_unit_test(rebuilt_url_names_the_shard_database),
		cmocka_unit_test(descriptions_never_show_the_password),
		cmocka_unit_test(a_bad_url_is_an_input_error_without_its_text),
		cmocka_unit_test(an_unreachable_server_is_an_environment_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
