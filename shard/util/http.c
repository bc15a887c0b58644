/*
 * One easy handle per request, set up in one place (setup()) so that GET
 * and PUT share timeouts, TLS verification, the protocol allow-list and
 * the headers. No redirects are followed: an Authorization header must
 * not travel to another host, and an object store does not redirect.
 * Bodies stream between curl and a file descriptor, so a history of any
 * size costs a fixed buffer.
 */
#include "shard/util/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "shard/util/util.h"
#include "shard/util/banned.h"

void http_options_init(struct http_options *o)
{
	memset(o, 0, sizeof(*o));
	o->connect_timeout = HTTP_CONNECT_TIMEOUT_DEFAULT;
	o->timeout = HTTP_TIMEOUT_DEFAULT;
	o->retries = HTTP_RETRIES_DEFAULT;
	o->backoff = HTTP_BACKOFF_DEFAULT;
}

int http_is_url(const char *s)
{
	return !strncmp(s, "http://", 7) || !strncmp(s, "https://", 8);
}

void http_redact(const char *url, struct strbuf *out)
{
	const char *scheme = strstr(url, "://");
	const char *host = scheme ? scheme + 3 : url;
	size_t auth_end = strcspn(host, "/?#");
	const char *at = memchr(host, '@', auth_end);
	const char *rest;
	size_t path_len;

	strbuf_add(out, url, (size_t)(host - url));
	if (at) {
		strbuf_addstr(out, "REDACTED@");
		host = at + 1;
	}
	rest = host;
	path_len = strcspn(rest, "?#");
	strbuf_add(out, rest, path_len);
	if (rest[path_len] == '?')
		strbuf_addstr(out, "?REDACTED");
}

/* host as curl's URL parser gives it: "127.0.0.1", "[::1]" */
static int loopback_literal(const char *host)
{
	struct in_addr v4;
	struct in6_addr v6;
	char buf[INET6_ADDRSTRLEN + 1];
	size_t n = strlen(host);

	if (inet_pton(AF_INET, host, &v4) == 1)
		return (ntohl(v4.s_addr) >> 24) == 127;
	if (n < 3 || n - 2 >= sizeof(buf) || host[0] != '[' ||
	    host[n - 1] != ']')
		return 0;
	memcpy(buf, host + 1, n - 2);
	buf[n - 2] = '\0';
	return inet_pton(AF_INET6, buf, &v6) == 1 &&
	       !memcmp(&v6, &in6addr_loopback, sizeof(v6));
}

/* What curl will make of url: its scheme, host and user info. */
static int url_parts(const char *url, char **scheme, char **host, int *userinfo)
{
	CURLU *h = curl_url();
	char *user = NULL;
	int r = -1;

	*scheme = *host = NULL;
	if (h && !curl_url_set(h, CURLUPART_URL, url, 0) &&
	    !curl_url_get(h, CURLUPART_SCHEME, scheme, 0) &&
	    !curl_url_get(h, CURLUPART_HOST, host, 0)) {
		*userinfo = !curl_url_get(h, CURLUPART_USER, &user, 0);
		r = 0;
	}
	curl_free(user);
	curl_url_cleanup(h);
	return r;
}

int http_url_private(const char *url)
{
	char *scheme, *host;
	int userinfo, ok = 0;

	if (!url_parts(url, &scheme, &host, &userinfo))
		ok = !strcmp(scheme, "https") ||
		     (!strcmp(scheme, "http") && loopback_literal(host));
	curl_free(scheme);
	curl_free(host);
	return ok;
}

int http_check_credentials(const struct http_options *o, const char *url,
			   struct shard_error *err)
{
	struct strbuf u = STRBUF_INIT;
	char *scheme, *host;
	int userinfo = 0, creds = o->bearer && *o->bearer;

	creds |= o->headers && o->headers->n;
	if (!url_parts(url, &scheme, &host, &userinfo))
		creds |= userinfo;
	curl_free(scheme);
	curl_free(host);
	if (!creds || o->allow_insecure || http_url_private(url))
		return 0;
	http_redact(url, &u);
	shard_error_set(err, SHARD_EINPUT,
			"%s: not sending credentials (the "
			"token, header file or user info) in clear text: use "
			"https://, or http:// to a loopback address "
			"(127.0.0.1, [::1])",
			u.buf);
	strbuf_release(&u);
	return err->code;
}

double http_backoff(const struct http_options *o, unsigned attempt)
{
	double d = o->backoff;

	for (unsigned i = 1; i < attempt && d < HTTP_BACKOFF_MAX; i++)
		d *= 2;
	return d < HTTP_BACKOFF_MAX ? d : HTTP_BACKOFF_MAX;
}

void http_build_headers(const struct http_options *o, const char *if_match,
			int none_match, struct strvec *out)
{
	if (o->bearer && *o->bearer)
		strvec_pushf(out, "Authorization: Bearer %s", o->bearer);
	for (size_t i = 0; o->headers && i < o->headers->n; i++)
		strvec_push(out, o->headers->v[i]);
	if (if_match)
		strvec_pushf(out, "If-Match: %s", if_match);
	else if (none_match)
		strvec_push(out, "If-None-Match: *");
}

/* A header line: a token name, a colon, no control bytes. */
static int valid_header(const char *s)
{
	size_t name = strcspn(s, ":");

	if (!name || !s[name])
		return 0;
	for (size_t i = 0; i < name; i++)
		if (s[i] <= ' ' || s[i] == 0x7f)
			return 0;
	for (; *s; s++)
		if ((unsigned char)*s < ' ' && *s != '\t')
			return 0;
	return 1;
}

static int header_line(char *line, const char *path, unsigned long lineno,
		       struct strvec *out, struct shard_error *err)
{
	size_t n = strlen(line);

	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (!n || line[0] == '#')
		return 0;
	if (!valid_header(line))
		return shard_error_set(err, SHARD_EINPUT,
				       "%s:%lu: expected a 'Name: value' "
				       "header line",
				       path, lineno);
	strvec_push(out, line);
	return 0;
}

int http_read_header_file(const char *path, struct strvec *out,
			  struct shard_error *err)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	unsigned long lineno = 0;
	int r = 0;

	if (!f)
		return shard_error_set(err,
				       errno == ENOENT ? SHARD_EINPUT
						       : SHARD_EENV,
				       "%s: %s", path, strerror(errno));
	while (!r && getline(&line, &cap, f) >= 0)
		r = header_line(line, path, ++lineno, out, err);
	if (!r && ferror(f))
		r = shard_error_set(err, SHARD_EENV, "%s: %s", path,
				    strerror(errno));
	free(line);
	fclose(f);
	return r;
}

int http_status_error(struct shard_error *err, const char *method,
		      const char *url, long status)
{
	struct strbuf u = STRBUF_INIT;

	http_redact(url, &u);
	shard_error_set(err, SHARD_EENV, "%s %s: HTTP %ld", method, u.buf,
			status);
	strbuf_release(&u);
	return err->code;
}

/* One transfer's state, shared with curl's callbacks. */
struct xfer {
	int fd;
	int put;      /* the body goes up; answers are dropped */
	int io_errno; /* errno of a failed read or write */
	struct http_result *res;
};

static size_t on_write(char *p, size_t size, size_t n, void *data)
{
	struct xfer *x = data;
	size_t len = size * n, done = 0;

	while (!x->put && done < len) {
		ssize_t w = write(x->fd, p + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			x->io_errno = w < 0 ? errno : ENOSPC;
			return 0;
		}
		done += (size_t)w;
	}
	return len;
}

static size_t on_read(char *p, size_t size, size_t n, void *data)
{
	struct xfer *x = data;
	ssize_t r;

	do
		r = read(x->fd, p, size * n);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		x->io_errno = errno;
		return CURL_READFUNC_ABORT;
	}
	return (size_t)r;
}

static size_t on_header(char *p, size_t size, size_t n, void *data)
{
	struct xfer *x = data;
	size_t len = size * n;

	if (len > 5 && !strncasecmp(p, "etag:", 5)) {
		size_t b = 5, e = len;

		while (b < e && (p[b] == ' ' || p[b] == '\t'))
			b++;
		while (e > b && (p[e - 1] == '\r' || p[e - 1] == '\n' ||
				 p[e - 1] == ' '))
			e--;
		if (e - b < sizeof(x->res->etag)) {
			memcpy(x->res->etag, p + b, e - b);
			x->res->etag[e - b] = '\0';
		}
	}
	return len;
}

static void default_sleep(void *data, double seconds)
{
	struct timespec ts;

	(void)data;
	ts.tv_sec = (time_t)seconds;
	ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

void http_wait(const struct http_options *o, unsigned attempt)
{
	(o->sleep ? o->sleep : default_sleep)(o->data,
					      http_backoff(o, attempt));
}

static struct curl_slist *header_list(const struct http_options *o,
				      const char *if_match, int none_match)
{
	struct strvec lines;
	struct curl_slist *list = NULL;

	strvec_init(&lines);
	http_build_headers(o, if_match, none_match, &lines);
	for (size_t i = 0; i < lines.n; i++) {
		struct curl_slist *l = curl_slist_append(list, lines.v[i]);

		if (!l) {
			fputs("shard: out of memory\n", stderr);
			abort();
		}
		list = l;
	}
	strvec_release(&lines);
	return list;
}

static void setup(CURL *c, const struct http_options *o, const char *url,
		  struct curl_slist *headers, struct xfer *x, char *errbuf)
{
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	/* curl's default, said aloud: headers never follow a redirect */
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT,
			 o->connect_timeout > 0 ? o->connect_timeout
						: HTTP_CONNECT_TIMEOUT_DEFAULT);
	curl_easy_setopt(c, CURLOPT_TIMEOUT,
			 o->timeout > 0 ? o->timeout : HTTP_TIMEOUT_DEFAULT);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (o->cacert)
		curl_easy_setopt(c, CURLOPT_CAINFO, o->cacert);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "shard");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
}

/* Worth another attempt: the network or the server may recover. */
static int transient(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR:
		return 1;
	default:
		return 0;
	}
}

static int curl_failure(const char *method, const char *url, CURLcode rc,
			const char *errbuf, const struct xfer *x,
			unsigned attempts, struct shard_error *err)
{
	struct strbuf u = STRBUF_INIT;
	int code = rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL
			   ? SHARD_EINPUT
			   : SHARD_EENV;

	http_redact(url, &u);
	if (x->io_errno)
		shard_error_set(err, SHARD_EENV, "%s %s: %s", method, u.buf,
				strerror(x->io_errno));
	else
		shard_error_set(err, code, "%s %s: %s%s (%u attempt%s)", method,
				u.buf,
				*errbuf ? errbuf : curl_easy_strerror(rc),
				rc == CURLE_PEER_FAILED_VERIFICATION
					? "; is --cacert needed?"
					: "",
				attempts, attempts == 1 ? "" : "s");
	strbuf_release(&u);
	return err->code;
}

/*
 * One attempt: from the start of the file (a GET truncates what an
 * earlier attempt received), the answer's status in x->res.
 */
static CURLcode attempt_once(CURL *c, const struct http_options *o,
			     const char *url, struct curl_slist *headers,
			     struct xfer *x, char *errbuf)
{
	off_t size = 0;
	CURLcode rc;

	errbuf[0] = '\0';
	x->res->status = 0;
	x->res->etag[0] = '\0';
	x->io_errno = 0;
	if ((!x->put && ftruncate(x->fd, 0) < 0) ||
	    (x->put && (size = lseek(x->fd, 0, SEEK_END)) < 0) ||
	    lseek(x->fd, 0, SEEK_SET) < 0) {
		x->io_errno = errno;
		return CURLE_WRITE_ERROR;
	}
	curl_easy_reset(c);
	setup(c, o, url, headers, x, errbuf);
	if (x->put) {
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(c, CURLOPT_READDATA, x);
		curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)size);
	}
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &x->res->status);
	return rc;
}

static int perform(const struct http_options *o, const char *method,
		   const char *url, int fd, const char *if_match,
		   int none_match, struct http_result *res,
		   struct shard_error *err)
{
	struct curl_slist *headers = header_list(o, if_match, none_match);
	struct xfer x = { fd, !strcmp(method, "PUT"), 0, res };
	char errbuf[CURL_ERROR_SIZE];
	CURLcode rc;
	unsigned attempt = 0;
	CURL *c = NULL;
	int r = 0;

	if (http_check_credentials(o, url, err)) {
		curl_slist_free_all(headers);
		return err->code;
	}
	if (!(c = curl_easy_init())) {
		curl_slist_free_all(headers);
		return shard_error_set(err, SHARD_EENV,
				       "libcurl: cannot start");
	}
	for (;;) {
		rc = attempt_once(c, o, url, headers, &x, errbuf);
		if (++attempt > o->retries || x.io_errno ||
		    (rc != CURLE_OK ? !transient(rc) : res->status < 500))
			break;
		http_wait(o, attempt);
	}
	if (rc != CURLE_OK)
		r = curl_failure(method, url, rc, errbuf, &x, attempt, err);
	else if (res->status >= 500)
		r = http_status_error(err, method, url, res->status);
	curl_easy_cleanup(c);
	curl_slist_free_all(headers);
	return r;
}

int http_get(const struct http_options *o, const char *url, int fd,
	     struct http_result *res, struct shard_error *err)
{
	return perform(o, "GET", url, fd, NULL, 0, res, err);
}

int http_put(const struct http_options *o, const char *url, int fd,
	     const char *if_match, struct http_result *res,
	     struct shard_error *err)
{
	return perform(o, "PUT", url, fd, if_match, !if_match, res, err);
}

int http_fetch_temp(const struct http_options *o, const char *url,
		    struct shard_error *err)
{
	char tmpl[] = "/tmp/shard-fetch-XXXXXX";
	struct http_options defaults;
	struct http_result res;
	int fd = mkstemp(tmpl);

	if (!o) {
		http_options_init(&defaults);
		o = &defaults;
	}

	if (fd < 0)
		return shard_error_set(err, SHARD_EENV, "temporary file: %s",
				       strerror(errno));
	unlink(tmpl);
	if (http_get(o, url, fd, &res, err) ||
	    (res.status / 100 != 2 &&
	     http_status_error(err, "GET", url, res.status)) ||
	    lseek(fd, 0, SEEK_SET) < 0) {
		if (!err->code)
			shard_error_set(err, SHARD_EENV, "temporary file: %s",
					strerror(errno));
		close(fd);
		return err->code;
	}
	return fd;
}

const char *http_libcurl_version(char *buf, size_t size)
{
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);

	if (v->ssl_version)
		snprintf(buf, size, "%s (%s)", v->version, v->ssl_version);
	else
		snprintf(buf, size, "%s", v->version);
	return buf;
}
