/*
 * libpq behind one module. Targets are parsed with PQconninfoParse, so a
 * URL means what it means to psql, and every keyword it sets (TLS above
 * all) is kept and passed on; connections are opened from keyword
 * arrays (never by pasting strings into a conninfo), and queries with
 * parameters go through PQexecParams. Only statements that cannot take
 * parameters (CREATE/DROP/COMMENT) are built as text, from identifiers
 * and literals quoted by libpq itself.
 */
#include "shard/util/pgconn.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "shard/util/util.h"
#include "shard/util/banned.h"

struct pgconn {
	PGconn *pg;
	struct strbuf who; /* user@host:port/db, for messages */
};

static char *dup_or_null(const char *s)
{
	return s && *s ? xstrdup(s) : NULL;
}

/* The field that holds keyword, or NULL when it goes in params. */
static char **named(struct pg_target *t, const char *keyword)
{
	if (!strcmp(keyword, "host"))
		return &t->host;
	if (!strcmp(keyword, "port"))
		return &t->port;
	if (!strcmp(keyword, "user"))
		return &t->user;
	if (!strcmp(keyword, "password"))
		return &t->password;
	if (!strcmp(keyword, "dbname"))
		return &t->dbname;
	return NULL;
}

static void free_secret(char *s)
{
	if (s)
		memset(s, 0, strlen(s));
	free(s);
}

/* Every keyword libpq knows, with its environment variable (free with
 * PQconninfoFree). */
static PQconninfoOption *all_keywords(void)
{
	char *msg = NULL;
	PQconninfoOption *o = PQconninfoParse("", &msg);

	if (!o) {
		/* the empty string always parses: only memory can fail */
		fputs("shard: out of memory (libpq)\n", stderr);
		abort();
	}
	PQfreemem(msg);
	return o;
}

static int is_keyword(const PQconninfoOption *all, const char *s, size_t len)
{
	for (; all->keyword; all++)
		if (strlen(all->keyword) == len &&
		    !memcmp(all->keyword, s, len))
			return 1;
	return 0;
}

/*
 * --- Messages about a URL that libpq refused ---
 *
 * libpq's reasons quote the URL, or the token it could not decode, and
 * that may be the password. So the reason shown is libpq's for the URL
 * without its secrets; when that one parses, the fault was in a secret.
 */

/* "postgresql://" or "postgres://" as libpq recognises them, or 0. */
static size_t uri_prefix(const char *s)
{
	if (!strncmp(s, "postgresql://", 13))
		return 13;
	return !strncmp(s, "postgres://", 11) ? 11 : 0;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Does the query keyword s[0..len) decode to one that holds a secret? */
static int is_secret_keyword(const char *s, size_t len)
{
	struct strbuf k = STRBUF_INIT;
	int secret;

	for (size_t i = 0; i < len; i++) {
		int hi = i + 2 < len ? hex_digit(s[i + 1]) : -1;
		int lo = i + 2 < len ? hex_digit(s[i + 2]) : -1;

		if (s[i] == '%' && hi >= 0 && lo >= 0) {
			strbuf_addch(&k, hi << 4 | lo);
			i += 2;
		} else {
			strbuf_addch(&k, s[i]);
		}
	}
	secret = !strcmp(k.buf, "password") || !strcmp(k.buf, "sslpassword");
	strbuf_release(&k);
	return secret;
}

/*
 * Append url without what libpq would read as a password: the one in
 * user:password@, and password= and sslpassword= parameters (with the
 * parameters after one that are not libpq keywords: the rest of a
 * password with an '&' in it).
 */
static void redact_url(const char *url, struct strbuf *out)
{
	size_t pre = uri_prefix(url), n;
	const char *p = url + pre, *at = p + strcspn(p, "@/"), *q;
	PQconninfoOption *all = all_keywords();
	int first = 1, hiding = 0;

	strbuf_add(out, url, pre);
	if (*at == '@') {
		const char *colon = memchr(p, ':', (size_t)(at - p));

		strbuf_add(out, p, (size_t)((colon ? colon : at) - p));
		p = at;
	}
	q = strchr(p, '?');
	strbuf_add(out, p, q ? (size_t)(q - p) : strlen(p));
	for (p = q ? q + 1 : NULL; p; p = p[n] ? p + n + 1 : NULL) {
		size_t klen;

		n = strcspn(p, "&");
		klen = strcspn(p, "=");
		klen = klen < n ? klen : n;
		hiding = is_secret_keyword(p, klen) ||
			 (hiding && !is_keyword(all, p, klen));
		if (hiding)
			continue;
		strbuf_addch(out, first ? '?' : '&');
		first = 0;
		strbuf_add(out, p, n);
	}
	PQconninfoFree(all);
}

/* libpq's reason for refusing s, without its trailing newline; 0 when s
 * parses. */
static int parse_reason(const char *s, struct strbuf *why)
{
	char *msg = NULL;
	PQconninfoOption *o = PQconninfoParse(s, &msg);
	size_t len = msg ? strlen(msg) : 0;

	if (o) {
		PQconninfoFree(o);
		return 0;
	}
	while (len && (msg[len - 1] == '\n' || msg[len - 1] == '\r'))
		len--;
	if (msg)
		strbuf_add(why, msg, len);
	else
		strbuf_addstr(why, "out of memory");
	PQfreemem(msg);
	return -1;
}

static int refuse(const char *url, struct shard_error *err)
{
	struct strbuf shown = STRBUF_INIT, why = STRBUF_INIT;
	const char *pw;
	int r;

	if (uri_prefix(url)) {
		redact_url(url, &shown);
		if (!parse_reason(shown.buf, &why))
			strbuf_addstr(&why, "a password in it (not shown), or "
					    "what follows one, is malformed");
		r = shard_error_set(err, SHARD_EINPUT,
				    "not a PostgreSQL URL: "
				    "%s: %s",
				    shown.buf, why.buf);
	} else {
		/* key=value: only what precedes the first password keyword */
		pw = strstr(url, "password");
		while (pw && pw > url && !isspace((unsigned char)pw[-1]))
			pw--;
		strbuf_add(&shown, url, pw ? (size_t)(pw - url) : strlen(url));
		if (!parse_reason(shown.buf, &why))
			strbuf_addstr(&why,
				      "malformed at or after its password "
				      "(not shown)");
		r = shard_error_set(err, SHARD_EINPUT,
				    "not a PostgreSQL URL or "
				    "connection string: %s",
				    why.buf);
	}
	strbuf_release(&shown);
	strbuf_release(&why);
	return r;
}

int pg_target_parse(const char *url, struct pg_target *t,
		    struct shard_error *err)
{
	PQconninfoOption *o = PQconninfoParse(url, NULL);

	memset(t, 0, sizeof(*t));
	if (!o)
		return refuse(url, err);
	for (PQconninfoOption *p = o; p->keyword; p++)
		if (p->val && *p->val)
			pg_target_set(t, p->keyword, p->val);
	PQconninfoFree(o);
	return 0;
}

void pg_target_release(struct pg_target *t)
{
	free(t->host);
	free(t->port);
	free(t->user);
	free_secret(t->password);
	free(t->dbname);
	for (size_t i = 0; i < t->nparams; i++) {
		free(t->params[i].keyword);
		free_secret(t->params[i].value);
	}
	free(t->params);
	memset(t, 0, sizeof(*t));
}

void pg_target_copy(struct pg_target *dst, const struct pg_target *src)
{
	static const char *const fields[] = { "host", "port", "user",
					      "password", "dbname" };

	memset(dst, 0, sizeof(*dst));
	for (size_t i = 0; i < sizeof(fields) / sizeof(*fields); i++)
		pg_target_set(dst, fields[i], pg_target_get(src, fields[i]));
	for (size_t i = 0; i < src->nparams; i++)
		pg_target_set(dst, src->params[i].keyword,
			      src->params[i].value);
}

const char *pg_target_get(const struct pg_target *t, const char *keyword)
{
	char **field = named((struct pg_target *)t, keyword);

	if (field)
		return *field;
	for (size_t i = 0; i < t->nparams; i++)
		if (!strcmp(t->params[i].keyword, keyword))
			return t->params[i].value;
	return NULL;
}

void pg_target_set(struct pg_target *t, const char *keyword, const char *value)
{
	char **field = named(t, keyword);
	size_t i;

	if (field) {
		free_secret(*field);
		*field = dup_or_null(value);
		return;
	}
	for (i = 0; i < t->nparams; i++)
		if (!strcmp(t->params[i].keyword, keyword))
			break;
	if (i < t->nparams) {
		free_secret(t->params[i].value);
		if (value) {
			t->params[i].value = xstrdup(value);
			return;
		}
		free(t->params[i].keyword);
		memmove(&t->params[i], &t->params[i + 1],
			(t->nparams - i - 1) * sizeof(*t->params));
		t->nparams--;
		return;
	}
	if (!value)
		return;
	t->params = xrealloc(t->params, (t->nparams + 1) * sizeof(*t->params));
	t->params[t->nparams].keyword = xstrdup(keyword);
	t->params[t->nparams].value = xstrdup(value);
	t->nparams++;
}

void pg_target_describe(const struct pg_target *t, const char *dbname,
			struct strbuf *out)
{
	const char *host = t->host ? t->host : pg_target_get(t, "hostaddr");

	if (t->user)
		strbuf_addf(out, "%s@", t->user);
	strbuf_addstr(out, host ? host : "localhost");
	if (t->port)
		strbuf_addf(out, ":%s", t->port);
	strbuf_addf(out, "/%s", dbname ? dbname : t->dbname ? t->dbname : "");
}

static void add_encoded(struct strbuf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p)) {
			strbuf_addch(out, *p);
			continue;
		}
		strbuf_addch(out, '%');
		strbuf_addch(out, hex[*p >> 4]);
		strbuf_addch(out, hex[*p & 15]);
	}
}

/* Append "&k=v" (or "?k=v" first) to a URL's query, v encoded. */
static void add_query(struct strbuf *out, int *first, const char *k,
		      const char *v)
{
	strbuf_addch(out, *first ? '?' : '&');
	*first = 0;
	strbuf_addstr(out, k);
	strbuf_addch(out, '=');
	add_encoded(out, v);
}

void pg_target_url(const struct pg_target *t, const char *dbname,
		   struct strbuf *out)
{
	/* a socket directory or a host list cannot be the URL's authority */
	int netloc = t->host && t->host[0] != '/' && !strchr(t->host, ',');
	int first = 1;

	strbuf_addstr(out, "postgresql://");
	if (t->user) {
		add_encoded(out, t->user);
		if (t->password) {
			strbuf_addch(out, ':');
			add_encoded(out, t->password);
		}
		strbuf_addch(out, '@');
	}
	if (netloc) {
		int v6 = strchr(t->host, ':') != NULL;

		strbuf_addstr(out, v6 ? "[" : "");
		add_encoded(out, t->host);
		strbuf_addstr(out, v6 ? "]" : "");
		if (t->port)
			strbuf_addf(out, ":%s", t->port);
	}
	strbuf_addch(out, '/');
	add_encoded(out, dbname ? dbname : t->dbname ? t->dbname : "");
	if (t->host && !netloc)
		add_query(out, &first, "host", t->host);
	if (t->port && !netloc)
		add_query(out, &first, "port", t->port);
	for (size_t i = 0; i < t->nparams; i++)
		add_query(out, &first, t->params[i].keyword,
			  t->params[i].value);
}

void pg_target_env(const struct pg_target *t, const char *dbname,
		   struct strvec *env)
{
	PQconninfoOption *all = all_keywords();

	for (PQconninfoOption *o = all; o->keyword; o++) {
		const char *v = pg_target_get(t, o->keyword);

		if (dbname && !strcmp(o->keyword, "dbname"))
			v = dbname;
		if (o->envvar && v)
			strvec_setenv(env, o->envvar, v);
	}
	PQconninfoFree(all);
}

static void drop_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* libpq's message without its trailing newline. */
static int pq_fail(struct pgconn *c, const char *what, const char *msg,
		   struct shard_error *err)
{
	size_t len = msg ? strlen(msg) : 0;

	while (len && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
		len--;
	return shard_error_set(err, SHARD_EENV, "PostgreSQL %s: %s: %.*s",
			       c->who.buf, what, (int)len, msg ? msg : "");
}

int pgconn_open(struct pgconn **out, const struct pg_target *t,
		const char *dbname, struct shard_error *err)
{
	size_t max = t->nparams + 8, n = 0;
	const char **keys = xcalloc(max, sizeof(*keys));
	const char **vals = xcalloc(max, sizeof(*vals));
	struct pgconn *c = xcalloc(1, sizeof(*c));
	const char *const defaults[][2] = {
		{ "connect_timeout", "30" },
		{ "fallback_application_name", "shard" },
	};
	int r = 0;

#define KV(k, v) \
	do { \
		if (v) { \
			keys[n] = k; \
			vals[n] = v; \
			n++; \
		} \
	} while (0)
	KV("host", t->host);
	KV("port", t->port);
	KV("user", t->user);
	KV("password", t->password);
	KV("dbname", dbname ? dbname : t->dbname);
	for (size_t i = 0; i < t->nparams; i++)
		KV(t->params[i].keyword, t->params[i].value);
	for (size_t i = 0; i < sizeof(defaults) / sizeof(*defaults); i++)
		if (!pg_target_get(t, defaults[i][0]))
			KV(defaults[i][0], defaults[i][1]);
#undef KV
	strbuf_init(&c->who, 0);
	pg_target_describe(t, dbname, &c->who);
	/* expand_dbname 0: a dbname is a name, never a URL to read */
	c->pg = PQconnectdbParams(keys, vals, 0);
	free(keys);
	free(vals);
	*out = NULL;
	if (!c->pg || PQstatus(c->pg) != CONNECTION_OK) {
		r = pq_fail(c, "cannot connect",
			    c->pg ? PQerrorMessage(c->pg) : "out of memory",
			    err);
		pgconn_close(c);
		return r;
	}
	PQsetNoticeProcessor(c->pg, drop_notice, NULL);
	*out = c;
	return 0;
}

void pgconn_close(struct pgconn *c)
{
	if (!c)
		return;
	if (c->pg)
		PQfinish(c->pg);
	strbuf_release(&c->who);
	free(c);
}

int pgconn_server_version(const struct pgconn *c)
{
	return PQserverVersion(c->pg);
}

static int take_result(struct pgconn *c, PGresult *res, pgconn_row_fn row,
		       void *data, struct shard_error *err);

int pgconn_exec(struct pgconn *c, const char *sql, int n,
		const char *const *params, pgconn_row_fn row, void *data,
		struct shard_error *err)
{
	return take_result(c,
			   PQexecParams(c->pg, sql, n, NULL, params, NULL, NULL,
					0),
			   row, data, err);
}

static int quoted(struct pgconn *c, char *q, struct strbuf *out,
		  struct shard_error *err)
{
	if (!q)
		return pq_fail(c, "cannot quote", PQerrorMessage(c->pg), err);
	strbuf_addstr(out, q);
	PQfreemem(q);
	return 0;
}

int pgconn_quote_ident(struct pgconn *c, const char *s, struct strbuf *out,
		       struct shard_error *err)
{
	return quoted(c, PQescapeIdentifier(c->pg, s, strlen(s)), out, err);
}

int pgconn_quote_literal(struct pgconn *c, const char *s, struct strbuf *out,
			 struct shard_error *err)
{
	return quoted(c, PQescapeLiteral(c->pg, s, strlen(s)), out, err);
}

/*
 * --- Prepared statements and COPY (for the PostgreSQL store) ---
 */

/* Hand rows of a finished statement to row; frees res. */
static int take_result(struct pgconn *c, PGresult *res, pgconn_row_fn row,
		       void *data, struct shard_error *err)
{
	ExecStatusType st = PQresultStatus(res);
	const char *vals[64];
	int r = 0;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		r = pq_fail(c, "query failed",
			    res ? PQresultErrorMessage(res)
				: PQerrorMessage(c->pg),
			    err);
		PQclear(res);
		return r;
	}
	for (int i = 0; row && i < PQntuples(res) && !r; i++) {
		int nf = PQnfields(res) < 64 ? PQnfields(res) : 64;

		for (int j = 0; j < nf; j++)
			vals[j] = PQgetisnull(res, i, j)
					  ? NULL
					  : PQgetvalue(res, i, j);
		r = row(data, nf, vals);
	}
	PQclear(res);
	return r;
}

int pgconn_prepare(struct pgconn *c, const char *name, const char *sql, int n,
		   struct shard_error *err)
{
	return take_result(c, PQprepare(c->pg, name, sql, n, NULL), NULL, NULL,
			   err);
}

int pgconn_exec_prepared(struct pgconn *c, const char *name, int n,
			 const char *const *params, pgconn_row_fn row,
			 void *data, struct shard_error *err)
{
	return take_result(c,
			   PQexecPrepared(c->pg, name, n, params, NULL, NULL,
					  0),
			   row, data, err);
}

int pgconn_copy_begin(struct pgconn *c, const char *sql,
		      struct shard_error *err)
{
	PGresult *res = PQexec(c->pg, sql);

	if (PQresultStatus(res) != PGRES_COPY_IN)
		return take_result(c, res, NULL, NULL, err);
	PQclear(res);
	return 0;
}

int pgconn_copy_put(struct pgconn *c, const char *buf, size_t len,
		    struct shard_error *err)
{
	while (len) {
		int n = len > (1u << 30) ? 1 << 30 : (int)len;

		if (PQputCopyData(c->pg, buf, n) != 1)
			return pq_fail(c, "COPY failed", PQerrorMessage(c->pg),
				       err);
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int pgconn_copy_end(struct pgconn *c, const char *abort,
		    struct shard_error *err)
{
	PGresult *res;
	int r = 0;

	if (PQputCopyEnd(c->pg, abort) != 1)
		return pq_fail(c, "COPY failed", PQerrorMessage(c->pg), err);
	while ((res = PQgetResult(c->pg))) {
		ExecStatusType st = PQresultStatus(res);

		if (!r && !abort && st != PGRES_COMMAND_OK)
			r = pq_fail(c, "COPY failed", PQresultErrorMessage(res),
				    err);
		PQclear(res);
	}
	return r;
}

int pgconn_exec_script(struct pgconn *c, const char *sql,
		       struct shard_error *err)
{
	return take_result(c, PQexec(c->pg, sql), NULL, NULL, err);
}

const char *pgconn_describe(const struct pgconn *c)
{
	return c->who.buf;
}

const char *pgconn_libpq_version(char *buf, size_t size)
{
	int v = PQlibVersion();

	if (v >= 100000)
		snprintf(buf, size, "%d.%d", v / 10000, v % 10000);
	else
		snprintf(buf, size, "%d.%d.%d", v / 10000, v / 100 % 100,
			 v % 100);
	return buf;
}
