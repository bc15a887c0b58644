/*
 * Tests for connection targets (no server needed): URLs parsed by libpq
 * with every keyword kept, URLs and environments rebuilt for a shard's
 * database (socket directories in ?host=, every parameter kept),
 * descriptions that never show a password, and the errors for what is
 * not a PostgreSQL URL, which never show it either. Connections and
 * queries are exercised against a real server by tests/cli/t0404, over
 * TLS by tests/cli/t0801.
 */
#include "shard/util/pgconn.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shard/util/banned.h"

static void url_fields_are_parsed(void **state)
{
	struct pg_target t;

	(void)state;
	assert_int_equal(pg_target_parse("postgresql://app:s3cr%40t@db.example"
					 ":6432/app_tpl?sslmode=require",
					 &t, NULL),
			 0);
	assert_string_equal(t.user, "app");
	assert_string_equal(t.password, "s3cr@t");
	assert_string_equal(t.host, "db.example");
	assert_string_equal(t.port, "6432");
	assert_string_equal(t.dbname, "app_tpl");
	assert_string_equal(pg_target_get(&t, "sslmode"), "require");
	pg_target_release(&t);
}

#define TLS_QUERY \
	"sslmode=verify-full&sslrootcert=/ca%20dir/ca.pem" \
	"&sslcert=/c.pem&sslkey=/k.pem&sslpassword=kp&channel_binding=require" \
	"&connect_timeout=7&application_name=a%26b&options=-c%20x%3Dy" \
	"&target_session_attrs=read-write&keepalives=0&hostaddr=127.0.0.1"

/* Every keyword libpq knows is kept, under libpq's name, decoded. */
static void every_libpq_keyword_is_kept(void **state)
{
	static const char *const want[][2] = {
		{ "sslmode", "verify-full" },
		{ "sslrootcert", "/ca dir/ca.pem" },
		{ "sslcert", "/c.pem" },
		{ "sslkey", "/k.pem" },
		{ "sslpassword", "kp" },
		{ "channel_binding", "require" },
		{ "connect_timeout", "7" },
		{ "application_name", "a&b" },
		{ "options", "-c x=y" },
		{ "target_session_attrs", "read-write" },
		{ "keepalives", "0" },
		{ "hostaddr", "127.0.0.1" },
		{ "host", "h" },
		{ "dbname", "db" },
	};
	struct pg_target t;

	(void)state;
	assert_int_equal(pg_target_parse("postgresql://u:pw@h/db?" TLS_QUERY,
					 &t, NULL),
			 0);
	for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++)
		assert_string_equal(pg_target_get(&t, want[i][0]), want[i][1]);
	assert_null(pg_target_get(&t, "sslcrl"));
	pg_target_release(&t);
	assert_int_equal(pg_target_parse("host=h sslmode=require dbname=d", &t,
					 NULL),
			 0);
	assert_string_equal(pg_target_get(&t, "sslmode"), "require");
	pg_target_release(&t);
}

/* The URL handed to a child says all the original says, for another db. */
static void rebuilt_url_keeps_every_parameter(void **state)
{
	struct pg_target t, back;
	struct strbuf url = STRBUF_INIT;

	(void)state;
	assert_int_equal(pg_target_parse("postgresql://u:pw@h:5433/db?" TLS_QUERY,
					 &t, NULL),
			 0);
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
		{ "PGHOST", "h" },
		{ "PGHOSTADDR", "127.0.0.1" },
		{ "PGPORT", "5433" },
		{ "PGUSER", "u" },
		{ "PGPASSWORD", "pw" },
		{ "PGDATABASE", "other" },
		{ "PGSSLMODE", "verify-full" },
		{ "PGSSLROOTCERT", "/ca dir/ca.pem" },
		{ "PGSSLCERT", "/c.pem" },
		{ "PGSSLKEY", "/k.pem" },
		{ "PGCHANNELBINDING", "require" },
		{ "PGCONNECT_TIMEOUT", "7" },
		{ "PGAPPNAME", "a&b" },
		{ "PGOPTIONS", "-c x=y" },
		{ "PGTARGETSESSIONATTRS", "read-write" },
	};
	struct pg_target t;
	struct strvec env;

	(void)state;
	strvec_init(&env);
	strvec_push(&env, "PGSSLMODE=disable");
	strvec_push(&env, "HOME=/root");
	assert_int_equal(pg_target_parse("postgresql://u:pw@h:5433/db?" TLS_QUERY,
					 &t, NULL),
			 0);
	pg_target_env(&t, "other", &env);
	for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++)
		assert_string_equal(strvec_getenv(&env, want[i][0]),
				    want[i][1]);
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
					 "&options=-c%20a%3Db",
					 &t, NULL),
			 0);
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
					 "dir&port=5433",
					 &t, NULL),
			 0);
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
					 NULL),
			 0);
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
					 "/db?bogus_option=1",
					 &t, &err),
			 SHARD_EINPUT);
	assert_non_null(strstr(err.msg, "not a PostgreSQL URL"));
	assert_null(strstr(err.msg, "hunter2"));
}

/*
 * Every kind of malformed URL libpq refuses (and a few conninfo strings):
 * the message shows the URL without the password and never quotes it,
 * wherever the fault is, also in the password itself. hunter2 is the
 * password, or a piece of it, in each.
 */
static void bad_urls_never_show_their_password(void **state)
{
	static const char *const bad[][2] = {
		/* URL, what the message must show */
		{ "postgres://u:hunter2@h/db%zz",
		  "postgres://u@h/db%zz: "
		  "invalid percent-encoded token: \"db%zz\"" },
		{ "postgres://u:hunter2@h/db%0", "\"db%0\"" },
		{ "postgres://u:hunter2@h/db%00", "forbidden value %00" },
		{ "postgres://u:hunter2@[::1/db",
		  "matching \"]\" in IPv6 host "
		  "address in URI: \"postgres://u@[::1/db\"" },
		{ "postgresql://u:hunter2@[::1?password=x/db", "\"]\"" },
		{ "postgres://u:hunter2@[]/db", "may not be empty" },
		{ "postgres://u:hunter2@[::1]x/db",
		  "unexpected character \"x\"" },
		{ "postgres://u%zz:hunter2@h/db", "token: \"u%zz\"" },
		{ "postgres://u:hunter2@h%zz/db", "token: \"h%zz\"" },
		{ "postgres://u:hunter2@h/db?sslmode=%zz", "token: \"%zz\"" },
		{ "postgres://u:hunter2@h/db?ssl%zz=1", "token: \"ssl%zz\"" },
		{ "postgres://u:hunter2@h/db?sslmode", "missing key/value" },
		{ "postgres://u:hunter2@h/db?sslmode=a=b", "extra key/value" },
		{ "postgres://u:hunter2@h/db?bogus=1", "invalid URI query "
						       "parameter: \"bogus\"" },
		{ "postgres://u:hunt%zzer2@h/db",
		  "postgres://u@h/db: a password "
		  "in it (not shown), or what follows one, is malformed" },
		{ "postgres://u:hunter2%00@h/db", "a password in it" },
		{ "postgres://u@h/db?password=hunter2%zz", "postgres://u@h/db: "
							   "a password in it" },
		{ "postgres://u@h/db?sslmode=require&password=hunt&er2",
		  "postgres://u@h/db?sslmode=require: a password in it" },
		{ "postgres://u@h/db?password=hunt&er2=x&sslmode=%zz",
		  "postgres://u@h/db?sslmode=%zz: invalid percent" },
		{ "postgres://u@h/db?password=hunter2=x", "a password in it" },
		{ "postgres://u@h/db?pass%77ord=hunter2%zz",
		  "a password in it" },
		{ "postgres://u@h/db?sslpassword=hunter2&bogus", "a password" },
		{ "postgres://u@h/db?sslpassword=hunter2%zz&bogus",
		  "a password" },
		{ "host=h password=hunt er2", "malformed at or after its "
					      "password (not shown)" },
		{ "host=h password='hunter2", "at or after its password" },
		{ "host=h password=hunter2 sslmode",
		  "at or after its password" },
		{ "hots=h password=hunter2",
		  "invalid connection option \"hots\"" },
		{ "host=h sslpassword=hunter2 x", "at or after its password" },
		{ "not a url password=hunter2", "missing \"=\" after \"not\"" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct pg_target t;
		struct shard_error err = SHARD_ERROR_INIT;

		if (pg_target_parse(bad[i][0], &t, &err) != SHARD_EINPUT)
			fail_msg("%s: parsed", bad[i][0]);
		if (!strstr(err.msg, "not a PostgreSQL URL") ||
		    !strstr(err.msg, bad[i][1]) || strstr(err.msg, "hunt") ||
		    strstr(err.msg, "er2"))
			fail_msg("%s: %s", bad[i][0], err.msg);
	}
}

/* A keyword's value reaches libpq, which refuses it before connecting. */
static void keywords_reach_libpq(void **state)
{
	struct pg_target t;
	struct pgconn *c = (struct pgconn *)1;
	struct shard_error err = SHARD_ERROR_INIT;

	(void)state;
	assert_int_equal(pg_target_parse("postgresql://u:hunter2@/db?host="
					 "/nonexistent-dir&sslmode=bogus",
					 &t, NULL),
			 0);
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
					 "/nonexistent-dir",
					 &t, NULL),
			 0);
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
		cmocka_unit_test(bad_urls_never_show_their_password),
		cmocka_unit_test(keywords_reach_libpq),
		cmocka_unit_test(an_unreachable_server_is_an_environment_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
