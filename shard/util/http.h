/*
 * HTTP(S) transfers of whole files to and from a plain object store (a
 * presigned S3 URL, or any server that does GET and PUT with ETags), the
 * only module that includes curl/curl.h. Requests are retried after a
 * 5xx answer or a transient connection error, with exponential backoff
 * through an injectable sleep; TLS peers are always verified.
 *
 * Secrets stay in here: the bearer token and the header file's lines go
 * into request headers only, and every message names a URL through
 * http_redact() (no user info, no query string: a presigned URL carries
 * its signature there).
 */
#ifndef SHARD_HTTP_H
#define SHARD_HTTP_H

#include <stddef.h>

#include "shard/util/error.h"
#include "shard/util/strbuf.h"
#include "shard/util/strvec.h"

#define HTTP_CONNECT_TIMEOUT_DEFAULT 10 /* seconds */
#define HTTP_TIMEOUT_DEFAULT 300        /* seconds, per attempt */
#define HTTP_RETRIES_DEFAULT 3
#define HTTP_BACKOFF_DEFAULT 1.0 /* seconds before the first retry */
#define HTTP_BACKOFF_MAX 30.0

struct http_options {
	const char *bearer;           /* "Authorization: Bearer", or NULL */
	const struct strvec *headers; /* extra "Name: value" lines, or NULL */
	const char *cacert;           /* CA bundle; NULL: the system's */
	/* send credentials over plain http:// to any host (see
	   http_check_credentials); 0: only to a loopback address */
	int allow_insecure;
	long connect_timeout; /* seconds; 0: the default */
	long timeout;         /* seconds per attempt; 0: the default */
	unsigned retries;     /* attempts after the first */
	double backoff;       /* first delay; doubled, capped */
	/* How to wait between attempts; NULL: nanosleep. */
	void (*sleep)(void *data, double seconds);
	void *data;
};

/* Defaults for everything; no credentials. */
void http_options_init(struct http_options *o);

struct http_result {
	long status;    /* the final HTTP status */
	char etag[256]; /* its ETag header as sent (quotes kept), or "" */
};

/*
 * GET url into fd (truncated first, written from offset 0). Any final
 * HTTP status is a success here, to be judged by the caller (404: no
 * object yet), except a 5xx still there after the retries. Errors:
 * SHARD_EINPUT for a URL curl cannot use, SHARD_EENV for network, TLS,
 * 5xx and I/O failures, each naming the redacted URL.
 */
int http_get(const struct http_options *o, const char *url, int fd,
	     struct http_result *res, struct shard_error *err);

/*
 * PUT the whole of fd (from offset 0) to url, conditionally: If-Match:
 * if_match, or If-None-Match: * when if_match is NULL (create only).
 * Statuses and errors as http_get (412: the condition failed).
 */
int http_put(const struct http_options *o, const char *url, int fd,
	     const char *if_match, struct http_result *res,
	     struct shard_error *err);

/*
 * Set err to "METHOD URL: HTTP status" for an answer the caller did not
 * expect, with the URL redacted; SHARD_EENV. Returns err->code.
 */
int http_status_error(struct shard_error *err, const char *method,
		      const char *url, long status);

/*
 * The request headers for o, one "Name: value" a line, appended to out:
 * Authorization (bearer), the header file's lines, then If-Match: if_match
 * or, with none_match set, If-None-Match: *. Exposed for tests.
 */
void http_build_headers(const struct http_options *o, const char *if_match,
			int none_match, struct strvec *out);

/*
 * Whether url may carry o's credentials: the bearer token, the header
 * file's lines, or user info in url itself. Without credentials, or
 * with o->allow_insecure, any URL may. Else only an https:// URL, or an
 * http:// one whose host is a loopback address written as one
 * (127.0.0.0/8, [::1]): a name, localhost included, is resolved through
 * /etc/hosts and DNS, which may send it elsewhere. 0, or SHARD_EINPUT
 * with a message naming the redacted URL, never the credentials. Every
 * request checks it before connecting; cmd/ calls it up front too.
 */
int http_check_credentials(const struct http_options *o, const char *url,
			   struct shard_error *err);

/* 1 when url is https://, or http:// to a loopback address literal. */
int http_url_private(const char *url);

/*
 * Read "Name: value" lines (blank lines and '#' comments skipped) from
 * path into out. Errors name the file and line but never the line's text
 * (it may hold a token): SHARD_EINPUT, or SHARD_EENV when unreadable.
 */
int http_read_header_file(const char *path, struct strvec *out,
			  struct shard_error *err);

/*
 * url without user info, query or fragment: "https://h/p?X-Amz-..."
 * becomes "https://h/p?REDACTED". Appended to out.
 */
void http_redact(const char *url, struct strbuf *out);

/* 1 when s is an http:// or https:// URL. */
int http_is_url(const char *s);

/* The delay before retry attempt (1-based): backoff * 2^(attempt-1), capped. */
double http_backoff(const struct http_options *o, unsigned attempt);

/* Wait http_backoff(o, attempt) through o->sleep (nanosleep if NULL). */
void http_wait(const struct http_options *o, unsigned attempt);

/*
 * Download url (GET, 2xx required) into an unlinked temporary file and
 * return its fd positioned at 0, or a negative code with err set. For
 * `shard ingest URL` and `shard merge URL`; o NULL: the defaults, no
 * credentials (a report URL is presigned or public).
 */
int http_fetch_temp(const struct http_options *o, const char *url,
		    struct shard_error *err);

/*
 * The libcurl this process runs with and its TLS library:
 * "7.88.1 (OpenSSL/3.0.11)". Written into buf; returns buf.
 */
const char *http_libcurl_version(char *buf, size_t size);

#endif
