/*
 * Tests for the HTTP module and the ETag file of shard/store/etag.c: URL
 * redaction, request headers (the token goes into Authorization and
 * nowhere else), the header file reader, the backoff policy with an
 * injected sleep against a real closed port on 127.0.0.1 (connection
 * refused, no mock), credentials kept out of clear text but to loopback,
 * and the ETag kept beside the history.
 */
#include "shard/util/http.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "shard/store/history.h"
#include "tmpdir.h"
#include "shard/util/banned.h"

#define TOKEN "tok-5ecret-1234"

struct fixture {
	char dir[64];
	char path[256]; /* a history path inside dir */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/shard-http-XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/history.db", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int r = tmpdir_remove(f->dir);

	free(f);
	return r;
}

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void assert_redacts(const char *url, const char *want)
{
	struct strbuf sb = STRBUF_INIT;

	http_redact(url, &sb);
	assert_string_equal(sb.buf, want);
	strbuf_release(&sb);
}

static void redact_drops_query_user_info_and_fragment(void **state)
{
	(void)state;
	assert_redacts("https://b.s3.amazonaws.com/h.db?X-Amz-Signature=abc",
		       "https://b.s3.amazonaws.com/h.db?REDACTED");
	assert_redacts("http://user:pw@host:8080/p/h.db",
		       "http://REDACTED@host:8080/p/h.db");
	assert_redacts("https://host/h.db#frag", "https://host/h.db");
	assert_redacts("https://host/h.db", "https://host/h.db");
	assert_redacts("https://u@host?q=1", "https://REDACTED@host?REDACTED");
	/* an @ in the path is not user info */
	assert_redacts("https://host/a@b/c", "https://host/a@b/c");
}

static void is_url_takes_http_and_https_only(void **state)
{
	(void)state;
	assert_true(http_is_url("http://127.0.0.1/x"));
	assert_true(http_is_url("https://h/x"));
	assert_false(http_is_url("ftp://h/x"));
	assert_false(http_is_url("httpx://h"));
	assert_false(http_is_url(".shard/history.db"));
}

static int has_line(const struct strvec *v, const char *line)
{
	for (size_t i = 0; i < v->n; i++)
		if (!strcmp(v->v[i], line))
			return 1;
	return 0;
}

static void headers_carry_bearer_file_lines_and_condition(void **state)
{
	struct http_options o;
	struct strvec extra, out;

	(void)state;
	http_options_init(&o);
	strvec_init(&extra);
	strvec_init(&out);
	strvec_push(&extra, "X-Custom: v");
	o.bearer = TOKEN;
	o.headers = &extra;
	http_build_headers(&o, "\"abc\"", 0, &out);
	assert_int_equal(out.n, 3);
	assert_string_equal(out.v[0], "Authorization: Bearer " TOKEN);
	assert_true(has_line(&out, "X-Custom: v"));
	assert_true(has_line(&out, "If-Match: \"abc\""));

	strvec_clear(&out);
	o.bearer = NULL;
	o.headers = NULL;
	http_build_headers(&o, NULL, 1, &out);
	assert_int_equal(out.n, 1);
	assert_string_equal(out.v[0], "If-None-Match: *");

	strvec_clear(&out);
	o.bearer = "";
	http_build_headers(&o, NULL, 0, &out);
	assert_int_equal(out.n, 0);
	strvec_release(&out);
	strvec_release(&extra);
}

static void header_file_skips_comments_and_blank_lines(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct strvec out;
	char path[300];

	snprintf(path, sizeof(path), "%s/headers", f->dir);
	write_file(path, "# a comment\n\nAuthorization: Bearer " TOKEN "\r\n"
			 "X-Other:\tvalue\n");
	strvec_init(&out);
	assert_int_equal(http_read_header_file(path, &out, &err), 0);
	assert_int_equal(out.n, 2);
	assert_string_equal(out.v[0], "Authorization: Bearer " TOKEN);
	assert_string_equal(out.v[1], "X-Other:\tvalue");
	strvec_release(&out);
}

static void header_file_errors_name_the_line_but_never_its_text(void **state)
{
	static const char *const bad[] = {
		"Authorization Bearer " TOKEN "\n", /* no colon */
		": " TOKEN "\n",                    /* no name */
		"Bad Name: " TOKEN "\n",            /* space in the name */
	};
	struct fixture *f = *state;
	char path[300], want[400];

	snprintf(path, sizeof(path), "%s/headers", f->dir);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct shard_error err = SHARD_ERROR_INIT;
		struct strvec out;
		char text[200];

		snprintf(text, sizeof(text), "X-Ok: 1\n%s", bad[i]);
		write_file(path, text);
		strvec_init(&out);
		assert_int_equal(http_read_header_file(path, &out, &err),
				 SHARD_EINPUT);
		snprintf(want, sizeof(want),
			 "%s:2: expected a 'Name: value' "
			 "header line",
			 path);
		assert_string_equal(err.msg, want);
		assert_null(strstr(err.msg, TOKEN));
		strvec_release(&out);
	}
}

static void header_file_missing_is_an_input_error(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct strvec out;
	char path[300];

	snprintf(path, sizeof(path), "%s/none", f->dir);
	strvec_init(&out);
	assert_int_equal(http_read_header_file(path, &out, &err), SHARD_EINPUT);
	assert_non_null(strstr(err.msg, "No such file"));
	strvec_release(&out);
}

static void backoff_doubles_from_the_first_delay_up_to_a_cap(void **state)
{
	struct http_options o;

	(void)state;
	http_options_init(&o);
	o.backoff = 0.5;
	assert_true(http_backoff(&o, 1) == 0.5);
	assert_true(http_backoff(&o, 2) == 1.0);
	assert_true(http_backoff(&o, 3) == 2.0);
	assert_true(http_backoff(&o, 40) == HTTP_BACKOFF_MAX);
}

struct sleeps {
	double seconds[16];
	unsigned n;
};

static void record_sleep(void *data, double seconds)
{
	struct sleeps *s = data;

	if (s->n < 16)
		s->seconds[s->n++] = seconds;
}

/* A port on 127.0.0.1 that nothing listens on: bound, then closed. */
static int closed_port(void)
{
	struct sockaddr_in a = { 0 };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	assert_true(fd >= 0);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static void connection_errors_are_retried_with_backoff(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct http_options o;
	struct http_result res;
	struct sleeps s = { { 0 }, 0 };
	char url[128], want[160], path[300];
	int port = closed_port(), fd;

	snprintf(path, sizeof(path), "%s/body", f->dir);
	fd = open(path, O_RDWR | O_CREAT, 0600);
	assert_true(fd >= 0);
	http_options_init(&o);
	o.bearer = TOKEN;
	o.retries = 3;
	o.backoff = 0.25;
	o.sleep = record_sleep;
	o.data = &s;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/h.db?sig=" TOKEN, port);
	assert_int_equal(http_get(&o, url, fd, &res, &err), SHARD_EENV);
	close(fd);
	assert_int_equal(s.n, 3);
	assert_true(s.seconds[0] == 0.25 && s.seconds[1] == 0.5 &&
		    s.seconds[2] == 1.0);
	snprintf(want, sizeof(want),
		 "GET http://127.0.0.1:%d/h.db?REDACTED: ", port);
	assert_memory_equal(err.msg, want, strlen(want));
	assert_non_null(strstr(err.msg, "(4 attempts)"));
	assert_null(strstr(err.msg, TOKEN));
}

static void malformed_urls_are_input_errors_without_retries(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct http_options o;
	struct http_result res;
	struct sleeps s = { { 0 }, 0 };
	char path[300];
	int fd;

	snprintf(path, sizeof(path), "%s/body", f->dir);
	fd = open(path, O_RDWR | O_CREAT, 0600);
	assert_true(fd >= 0);
	http_options_init(&o);
	o.sleep = record_sleep;
	o.data = &s;
	assert_int_equal(http_put(&o, "http://[::1/h.db", fd, NULL, &res, &err),
			 SHARD_EINPUT);
	close(fd);
	assert_int_equal(s.n, 0);
	assert_non_null(strstr(err.msg, "PUT http://[::1/h.db: "));
}

static void private_urls_are_https_and_loopback_literals(void **state)
{
	(void)state;
	assert_true(http_url_private("https://store.example/h.db"));
	assert_true(http_url_private("https://192.0.2.1/h.db"));
	assert_true(http_url_private("http://127.0.0.1:8080/h.db"));
	assert_true(http_url_private("http://127.255.0.9/h.db"));
	assert_true(http_url_private("http://[::1]:9/h.db"));
	assert_true(http_url_private("http://u:p@127.0.0.1/h.db"));
	/* clear text to anything else, names included */
	assert_false(http_url_private("http://192.0.2.1:9/h.db"));
	assert_false(http_url_private("http://128.0.0.1/h.db"));
	assert_false(http_url_private("http://10.0.0.1/h.db"));
	assert_false(http_url_private("http://localhost/h.db"));
	assert_false(http_url_private("http://127.0.0.1.evil.example/h.db"));
	assert_false(http_url_private("http://[::2]/h.db"));
	assert_false(http_url_private("http://[::ffff:192.0.2.1]/h.db"));
	assert_false(http_url_private("http://store.example/h.db"));
	/* the host is curl's, not the text before the first '@' or '/' */
	assert_false(http_url_private("http://127.0.0.1@192.0.2.1/h.db"));
	assert_false(http_url_private("http://[::1/h.db"));
	assert_false(http_url_private("ftp://127.0.0.1/h.db"));
}

static void credentials_go_in_clear_text_to_loopback_only(void **state)
{
	struct shard_error err = SHARD_ERROR_INIT;
	struct http_options o;
	struct strvec lines;

	(void)state;
	http_options_init(&o);
	strvec_init(&lines);
	/* nothing to leak: any URL */
	assert_int_equal(http_check_credentials(&o, "http://192.0.2.1/h", &err),
			 0);
	o.bearer = TOKEN;
	assert_int_equal(http_check_credentials(&o, "https://192.0.2.1/h",
						&err),
			 0);
	assert_int_equal(http_check_credentials(&o, "http://127.0.0.1:9/h",
						&err),
			 0);
	assert_int_equal(http_check_credentials(&o, "http://192.0.2.1/h?s=1",
						&err),
			 SHARD_EINPUT);
	assert_non_null(strstr(err.msg, "http://192.0.2.1/h?REDACTED: not "
					"sending credentials"));
	assert_null(strstr(err.msg, TOKEN));
	shard_error_clear(&err);
	o.allow_insecure = 1;
	assert_int_equal(http_check_credentials(&o, "http://192.0.2.1/h", &err),
			 0);
	/* header file lines and user info are credentials too */
	o.allow_insecure = 0;
	o.bearer = NULL;
	strvec_push(&lines, "X-Api-Key: " TOKEN);
	o.headers = &lines;
	assert_int_equal(http_check_credentials(&o, "http://192.0.2.1/h", &err),
			 SHARD_EINPUT);
	shard_error_clear(&err);
	o.headers = NULL;
	assert_int_equal(http_check_credentials(&o,
						"http://u:" TOKEN
						"@192.0.2.1/h",
						&err),
			 SHARD_EINPUT);
	assert_null(strstr(err.msg, TOKEN));
	strvec_release(&lines);
}

static void a_request_with_a_token_is_refused_before_connecting(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct http_options o;
	struct http_result res;
	struct sleeps s = { { 0 }, 0 };
	char path[300];
	int fd;

	snprintf(path, sizeof(path), "%s/body", f->dir);
	fd = open(path, O_RDWR | O_CREAT, 0600);
	assert_true(fd >= 0);
	http_options_init(&o);
	o.bearer = TOKEN;
	o.sleep = record_sleep;
	o.data = &s;
	/* TEST-NET-1: never reached, whatever the network */
	assert_int_equal(http_get(&o, "http://192.0.2.1:9/h.db", fd, &res,
				  &err),
			 SHARD_EINPUT);
	assert_non_null(strstr(err.msg, "not sending credentials"));
	shard_error_clear(&err);
	assert_int_equal(http_put(&o, "http://192.0.2.1:9/h.db", fd, NULL, &res,
				  &err),
			 SHARD_EINPUT);
	close(fd);
	assert_int_equal(s.n, 0);
}

static void status_errors_name_the_redacted_url(void **state)
{
	struct shard_error err = SHARD_ERROR_INIT;

	(void)state;
	assert_int_equal(http_status_error(&err, "PUT",
					   "https://u:p@h/x?sig=" TOKEN, 403),
			 SHARD_EENV);
	assert_string_equal(err.msg,
			    "PUT https://REDACTED@h/x?REDACTED: HTTP 403");
}

static void etag_file_round_trips_and_is_removed_by_null(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	char *etag = NULL, path[300];
	struct stat st;

	assert_int_equal(history_etag_read(f->path, &etag, &err), 0);
	assert_null(etag);
	assert_int_equal(history_etag_write(f->path, "\"abc\"", &err), 0);
	assert_int_equal(history_etag_read(f->path, &etag, &err), 0);
	assert_string_equal(etag, "\"abc\"");
	free(etag);
	assert_int_equal(history_etag_write(f->path, "W/\"x y\"", &err), 0);
	assert_int_equal(history_etag_read(f->path, &etag, &err), 0);
	assert_string_equal(etag, "W/\"x y\"");
	free(etag);
	assert_int_equal(history_etag_write(f->path, NULL, &err), 0);
	snprintf(path, sizeof(path), "%s.etag", f->path);
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(history_etag_read(f->path, &etag, &err), 0);
	assert_null(etag);
	/* removing what is not there is fine */
	assert_int_equal(history_etag_write(f->path, "", &err), 0);
}

static void etag_file_that_cannot_be_a_header_is_refused(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	char *etag = NULL, path[300], want[400];

	snprintf(path, sizeof(path), "%s.etag", f->path);
	write_file(path, "\"a\"\r\nX-Injected: 1\n");
	assert_int_equal(history_etag_read(f->path, &etag, &err), SHARD_EINPUT);
	assert_null(etag);
	snprintf(want, sizeof(want),
		 "%s: not an ETag; remove the file to push "
		 "as if for the first time",
		 path);
	assert_string_equal(err.msg, want);

	shard_error_clear(&err);
	write_file(path, "\n");
	assert_int_equal(history_etag_read(f->path, &etag, &err), SHARD_EINPUT);
}

static void etag_with_control_bytes_is_not_written(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	char *etag = NULL;

	assert_int_equal(history_etag_write(f->path, "\"good\"", &err), 0);
	assert_int_equal(history_etag_write(f->path, "\"a\"\nX: y", &err),
			 SHARD_EINPUT);
	assert_non_null(strstr(err.msg, "an ETag that cannot be sent back"));
	shard_error_clear(&err);
	assert_int_equal(history_etag_read(f->path, &etag, &err), 0);
	assert_string_equal(etag, "\"good\"");
	free(etag);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(redact_drops_query_user_info_and_fragment),
		T(is_url_takes_http_and_https_only),
		T(headers_carry_bearer_file_lines_and_condition),
		T(header_file_skips_comments_and_blank_lines),
		T(header_file_errors_name_the_line_but_never_its_text),
		T(header_file_missing_is_an_input_error),
		T(backoff_doubles_from_the_first_delay_up_to_a_cap),
		T(connection_errors_are_retried_with_backoff),
		T(malformed_urls_are_input_errors_without_retries),
		T(private_urls_are_https_and_loopback_literals),
		T(credentials_go_in_clear_text_to_loopback_only),
		T(a_request_with_a_token_is_refused_before_connecting),
		T(status_errors_name_the_redacted_url),
		T(etag_file_round_trips_and_is_removed_by_null),
		T(etag_file_that_cannot_be_a_header_is_refused),
		T(etag_with_control_bytes_is_not_written),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
