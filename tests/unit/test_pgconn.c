/*
 * Tests for connection targets (no server needed): URLs parsed by libpq
 * with every keyword kept, URLs and environments rebuilt for a shard's
 * database (socket directories in ?host=, every parameter kept),
 * descriptions that never show a password, and the errors for what is
 * not a PostgreSQL URL. Connections and queries are exercised against a
 * real server by tests/cli/t0404.
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
	assert_string_equal(pg_target_get(&t, "sslmode"), "require");
	pg_target_release(&t);
}

#define TLS_QUERY "sslmode=verify-full&sslrootcert=/ca%20dir/ca.pem" \
	"&sslcert=/c.pem&sslkey=/k.pem&sslpassword=kp&channel_binding=require" \
	"&connect_timeout=7&application_name=a%26b&options=-c%20x%3Dy" \
	"&target_session_attrs=read-write&keepalives=0&hostaddr=127.0.0.1"

/* Every keyword libpq knows is kept, under libpq's name, decoded. */
static void every_libpq_keyword_is_kept(void **state)
{
	static const char *const want[][2] = {
		{ "sslmode", "verify-full" }, { "sslrootcert", "/ca dir/ca.pem" },
		{ "sslcert", "/c.pem" }, { "sslkey", "/k.pem" },
		{ "sslpassword", "kp" }, { "channel_binding", "require" },
		{ "connect_timeout", "7" }, { "application_name", "a&b" },
		{ "options", "-c x=y" }, { "target_session_attrs", "read-write" },
		{ "keepalives", "0" }, { "hostaddr", "127.0.0.1" },
		{ "host", "h" }, { "dbname", "db" },
	};
	struct pg_target t;

	(void)state;
	assert_int_equal(pg_target_parse("postgresql://u:pw@h/db?" TLS_QUERY,
					 &t, NULL), 0);
	for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++)
		assert_string_equal(pg_target_get(&t, want[i][0]), want[i][1]);
	assert_null(pg_target_get(&t, "sslcrl"));
	pg_target_release(&t);
	assert_int_equal(pg_target_parse("host=h sslmode=require dbname=d", &t,
					 NULL), 0);
	assert_string_equal(pg_target_get(&t, "sslmode"), "require");
	pg_target_release(&t);
}

/* The URL handed to a child says all the original says, for another db. */
static void rebuilt_url_keeps_every_parameter(void **state)
{
	struct pg_target t, back;
	struct strbuf url = STRBUF_INIT;

	(void)state;
	assert_int_equal(pg_target_parse("postgresql://u:pw@h:5433/db?"
					 TLS_QUERY, &t, NULL), 0);
	pg_target_url(&t, "db_s1_0123abcd", &url);
	assert_int_equal(pg_target_parse(url.buf, &back, NULL), 0);
	assert_string_equal(back.dbname, "db_s1_0123abcd");
	assert_string_equal(back.port, "5433");
	assert_string_equal(back.password, "pw");
	assert_int_equal(back.nparams, t.nparams);
	for (size_t i = 0; i < t.nparams; i++)
		assert_string_equal(pg_target_get(&back, t.params[i].keyword),
				    t.params[i].value);
	pg_target_release(&t);
	pg_target_release(&back);
	strbuf_release(&url);
}

/* A port without a host in the authority goes in the query. */
static void rebuilt_url_keeps_a_port_without_a_host(void **state)
{
	struct pg_target t, back;
	struct strbuf url = STRBUF_INIT;

	(void)state;
	assert_int_equal(pg_target_parse("port=6543 dbname=d", &t, NULL), 0);
	pg_target_url(&t, NULL, &url);
	assert_int_equal(pg_target_parse(url.buf, &back, NULL), 0);
	assert_string_equal(back.port, "6543");
	assert_null(back.host);
	pg_target_release(&t);
	pg_target_release(&back);
	strbuf_release(&url);
}

/* A child's environment carries the same settings, by libpq's names. */
static void env_names_every_keyword_as_libpq_does(void **state)
{
	static const char *const want[][2] = {
		{ "PGHOST", "h" }, { "PGHOSTADDR", "127.0.0.1" },
		{ "PGPORT", "5433" }, { "PGUSER", "u" }, { "PGPASSWORD", "pw" },
		{ "PGDATABASE", "other" }, { "PGSSLMODE", "verify-full" },
		{ "PGSSLROOTCERT", "/ca dir/ca.pem" }, { "PGSSLCERT", "/c.pem" },
		{ "PGSSLKEY", "/k.pem" }, { "PGCHANNELBINDING", "require" },
		{ "PGCONNECT_TIMEOUT", "7" }, { "PGAPPNAME", "a&b" },
		{ "PGOPTIONS", "-c x=y" },
		{ "PGTARGETSESSIONATTRS", "read-write" },
	};
	struct pg_target t;
	struct strvec env;

	(void)state;
	strvec_init(&env);
	strvec_push(&env, "PGSSLMODE=disable");
	strvec_push(&env, "HOME=/root");
	assert_int_equal(pg_target_parse("postgresql://u:pw@h:5433/db?"
					 TLS_QUERY, &t, NULL), 0);
	pg_target_env(&t, "other", &env);
	for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++)
		assert_string_equal(strvec_getenv(&env, want[i][0]), want[i][1]);
	assert_string_equal(strvec_getenv(&env, "HOME"), "/root");
	/* libpq reads these from no variable: the URL alone carries them */
	for (size_t i = 0; i < env.n; i++) {
		assert_null(strstr(env.v[i], "=kp"));
		assert_null(strstr(env.v[i], "=0"));
	}
	pg_target_release(&t);
	strvec_release(&env);
}

static void set_copy_and_unset(void **state)
{
	struct pg_target t, c;

	(void)state;
	assert_int_equal(pg_target_parse("postgresql://u@h/db?sslmode=require"
					 "&options=-c%20a%3Db", &t, NULL), 0);
	pg_target_copy(&c, &t);
	pg_target_set(&c, "options", NULL);
	pg_target_set(&c, "dbname", "d2");
	pg_target_set(&c, "sslrootcert", "/ca.pem");
	assert_null(pg_target_get(&c, "options"));
	assert_string_equal(c.dbname, "d2");
	assert_string_equal(pg_target_get(&c, "sslmode"), "require");
	assert_string_equal(pg_target_get(&c, "sslrootcert"), "/ca.pem");
	assert_string_equal(pg_target_get(&t, "options"), "-c a=b");
	assert_string_equal(t.dbname, "db");
	assert_null(pg_target_get(&t, "sslrootcert"));
	pg_target_release(&t);
	pg_target_release(&c);
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

/* A keyword's value reaches libpq, which refuses it before connecting. */
static void keywords_reach_libpq(void **state)
{
	struct pg_target t;
	struct pgconn *c = (struct pgconn *)1;
	struct shard_error err = SHARD_ERROR_INIT;

	(void)state;
	assert_int_equal(pg_target_parse("postgresql://u:hunter2@/db?host="
					 "/nonexistent-dir&sslmode=bogus", &t,
					 NULL), 0);
	assert_int_equal(pgconn_open(&c, &t, NULL, &err), SHARD_EENV);
	assert_null(c);
	assert_non_null(strstr(err.msg, "sslmode value: \"bogus\""));
	assert_null(strstr(err.msg, "hunter2"));
	pg_target_release(&t);
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
		cmocka_unit_test(every_libpq_keyword_is_kept),
		cmocka_unit_test(rebuilt_url_names_the_shard_database),
		cmocka_unit_test(rebuilt_url_keeps_every_parameter),
		cmocka_unit_test(rebuilt_url_keeps_a_port_without_a_host),
		cmocka_unit_test(env_names_every_keyword_as_libpq_does),
		cmocka_unit_test(set_copy_and_unset),
		cmocka_unit_test(descriptions_never_show_the_password),
		cmocka_unit_test(a_bad_url_is_an_input_error_without_its_text),
		cmocka_unit_test(keywords_reach_libpq),
		cmocka_unit_test(an_unreachable_server_is_an_environment_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
