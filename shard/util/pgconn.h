/*
 * The one seam to libpq (docs/style.md): connection targets parsed from URLs,
 * connections, parameterised queries, identifier and literal quoting, and
 * error translation. Isolation, the PostgreSQL store and the queue all go
 * through it, so a URL means what it means to psql: every keyword libpq
 * knows reaches libpq. Messages name the target as user@host:port/db and
 * never carry a password; libpq's notices are dropped, not printed.
 */
#ifndef SHARD_PGCONN_H
#define SHARD_PGCONN_H

#include <stddef.h>

#include "shard/util/error.h"
#include "shard/util/strbuf.h"
#include "shard/util/strvec.h"

/* One libpq keyword a target sets, other than the five named ones. */
struct pg_param {
	char *keyword, *value;
};

/*
 * A connection target: every keyword libpq knows that the URL sets, each
 * owned. The five that messages and isolation need are fields (NULL when
 * the URL lacks them); the rest (sslmode, sslrootcert, connect_timeout,
 * options, ...) are params, by libpq's names, in libpq's order.
 */
struct pg_target {
	char *host, *port, *user, *password, *dbname;
	struct pg_param *params;
	size_t nparams;
};

/*
 * Parse a postgres:// or postgresql:// URL (or a "key=value" conninfo
 * string) into t with libpq's own parser (release with pg_target_release).
 * SHARD_EINPUT when it is neither; the message shows the URL without its
 * password (user:password@ or a password= or sslpassword= parameter) and
 * never quotes a password, even a malformed one.
 */
int pg_target_parse(const char *url, struct pg_target *t,
		    struct shard_error *err);
void pg_target_release(struct pg_target *t);
/* Make dst (released by the caller) an owned copy of src. */
void pg_target_copy(struct pg_target *dst, const struct pg_target *src);
/* The value t gives the libpq keyword, or NULL (borrowed). */
const char *pg_target_get(const struct pg_target *t, const char *keyword);
/* Set the libpq keyword to a copy of value; NULL unsets it. */
void pg_target_set(struct pg_target *t, const char *keyword, const char *value);
/* Append "user@host:port/dbname" (the defaults libpq would use shown as
 * they are known; never the password) for messages. */
void pg_target_describe(const struct pg_target *t, const char *dbname,
			struct strbuf *out);
/*
 * Append a postgresql:// URL for t with dbname instead of t->dbname (when
 * not NULL), every other keyword in its query, password included (it is
 * handed to child processes, never printed). A socket directory or a
 * list of hosts goes in ?host=.
 */
void pg_target_url(const struct pg_target *t, const char *dbname,
		   struct strbuf *out);
/*
 * Set in env ("NAME=value" entries) libpq's environment variable for
 * every keyword t sets: PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE
 * (dbname instead of t->dbname when not NULL), PGSSLMODE, PGSSLROOTCERT,
 * PGSSLCERT, PGSSLKEY, PGOPTIONS, ... as libpq names them. A keyword that
 * libpq reads from no variable (sslpassword, keepalives, ...) is only
 * in pg_target_url's URL.
 */
void pg_target_env(const struct pg_target *t, const char *dbname,
		   struct strvec *env);

struct pgconn;

/*
 * Connect to t, to dbname instead of t->dbname when dbname is not NULL,
 * with every keyword t sets (TLS, timeouts, options, ...); unless t says
 * otherwise, connect_timeout is 30 s and the application name "shard".
 * SHARD_EENV with libpq's reason when the server cannot be reached or a
 * keyword's value is refused.
 */
int pgconn_open(struct pgconn **out, const struct pg_target *t,
		const char *dbname, struct shard_error *err);
void pgconn_close(struct pgconn *c);
/* The server's version as libpq gives it (150004 for 15.4). */
int pgconn_server_version(const struct pgconn *c);

/* Receives each row's values (NULL for SQL NULL); non-zero stops. */
typedef int (*pgconn_row_fn)(void *data, int ncols, const char *const *values);

/*
 * Run sql with n text parameters ($1..$n; n may be 0). Rows, if any, go
 * to row (may be NULL). SHARD_EENV with the server's message on failure.
 */
int pgconn_exec(struct pgconn *c, const char *sql, int n,
		const char *const *params, pgconn_row_fn row, void *data,
		struct shard_error *err);
/*
 * Append s quoted as an identifier ("a""b") or a string literal, by
 * libpq. SHARD_EENV when s is not valid in the connection's encoding.
 */
int pgconn_quote_ident(struct pgconn *c, const char *s, struct strbuf *out,
		       struct shard_error *err);
int pgconn_quote_literal(struct pgconn *c, const char *s, struct strbuf *out,
			 struct shard_error *err);

/*
 * --- Prepared statements and COPY (for the PostgreSQL store) ---
 */

/* Prepare sql (n text parameters) under name for this connection. */
int pgconn_prepare(struct pgconn *c, const char *name, const char *sql, int n,
		   struct shard_error *err);
/* As pgconn_exec, for a statement prepared with pgconn_prepare. */
int pgconn_exec_prepared(struct pgconn *c, const char *name, int n,
			 const char *const *params, pgconn_row_fn row,
			 void *data, struct shard_error *err);
/*
 * Start "COPY ... FROM STDIN" (sql), then send its data in any chunks
 * with pgconn_copy_put, and finish with pgconn_copy_end: abort NULL ends
 * it, else it is abandoned with abort as the reason (the statement then
 * fails and its transaction is aborted; no error is reported for that).
 * No other query may run between pgconn_copy_begin and pgconn_copy_end.
 */
int pgconn_copy_begin(struct pgconn *c, const char *sql,
		      struct shard_error *err);
int pgconn_copy_put(struct pgconn *c, const char *buf, size_t len,
		    struct shard_error *err);
int pgconn_copy_end(struct pgconn *c, const char *abort,
		    struct shard_error *err);
/*
 * Run a script of several statements without parameters (DDL), in one
 * implicit transaction unless it holds its own BEGIN/COMMIT.
 */
int pgconn_exec_script(struct pgconn *c, const char *sql,
		       struct shard_error *err);
/* The description "user@host:port/db" used in messages (borrowed). */
const char *pgconn_describe(const struct pgconn *c);

/*
 * The libpq this process runs with (PQlibVersion): "15.5", or "9.6.24"
 * before PostgreSQL 10. Written into buf; returns buf.
 */
const char *pgconn_libpq_version(char *buf, size_t size);

#endif
