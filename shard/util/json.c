/*
 * json_each over a text bound as a parameter. SQLite 3.40 reports no
 * position for a syntax error, so a bad file is named without a line;
 * a value error is located by finding its key in the text.
 */
#include "shard/util/json.h"

#include <string.h>

#include <sqlite3.h>

#include "shard/util/banned.h"

static enum json_type type_of(const char *t)
{
	static const struct {
		const char *name;
		enum json_type type;
	} map[] = {
		{ "null", JSON_NULL },   { "true", JSON_TRUE },
		{ "false", JSON_FALSE }, { "integer", JSON_INTEGER },
		{ "real", JSON_REAL },   { "text", JSON_TEXT },
		{ "array", JSON_ARRAY }, { "object", JSON_OBJECT },
	};

	for (size_t i = 0; t && i < sizeof(map) / sizeof(*map); i++)
		if (!strcmp(t, map[i].name))
			return map[i].type;
	return JSON_NULL;
}

static int check_root(sqlite3 *db, const char *text, size_t len,
		      const char *name, const char *jpath, int want_object,
		      struct shard_error *err)
{
	sqlite3_stmt *st = NULL;
	int r = 0;

	if (sqlite3_prepare_v2(db, "SELECT json_valid(?1), json_type(?1, ?2)",
			       -1, &st, NULL) != SQLITE_OK)
		return shard_error_set(err, SHARD_EENV, "sqlite: %s",
				       sqlite3_errmsg(db));
	sqlite3_bind_text(st, 1, text, (int)len, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, jpath, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW || !sqlite3_column_int(st, 0)) {
		r = shard_error_set(err, SHARD_EINPUT, "%s: not valid JSON",
				    name);
	} else {
		const char *t = (const char *)sqlite3_column_text(st, 1);
		const char *want = want_object ? "object" : "array";

		if (!t || strcmp(t, want))
			r = shard_error_set(err, SHARD_EINPUT,
					    "%s: expected an %s at %s, found %s",
					    name, want, jpath,
					    t ? t : "nothing");
	}
	sqlite3_finalize(st);
	return r;
}

static int iterate(sqlite3 *db, const char *text, size_t len, const char *jpath,
		   int (*fn)(void *, const struct json_member *,
			     struct shard_error *),
		   void *data, struct shard_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc, r = 0;

	if (sqlite3_prepare_v2(db,
			       "SELECT key, type, value, atom IS NULL"
			       " FROM json_each(?1, ?2)",
			       -1, &st, NULL) != SQLITE_OK)
		return shard_error_set(err, SHARD_EENV, "sqlite: %s",
				       sqlite3_errmsg(db));
	sqlite3_bind_text(st, 1, text, (int)len, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, jpath, -1, SQLITE_STATIC);
	while (!r && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct json_member m = { 0 };
		int is_key = sqlite3_column_type(st, 0) == SQLITE_TEXT;

		m.type = type_of((const char *)sqlite3_column_text(st, 1));
		m.key = is_key ? (const char *)sqlite3_column_text(st, 0)
			       : NULL;
		m.key_len = is_key ? (size_t)sqlite3_column_bytes(st, 0) : 0;
		m.index = is_key ? -1 : sqlite3_column_int(st, 0);
		m.number = sqlite3_column_double(st, 2);
		m.text = (const char *)sqlite3_column_text(st, 2);
		m.text_len = (size_t)sqlite3_column_bytes(st, 2);
		r = fn(data, &m, err);
	}
	if (!r && rc != SQLITE_DONE)
		r = shard_error_set(err, SHARD_EENV, "sqlite: %s",
				    sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return r;
}

/*
 * SQLite 3.40's JSON functions end a string at an escaped NUL, which
 * would make two different keys one: refuse such text.
 */
static int refuse_escaped_nul(const char *text, size_t len, const char *name,
			      struct shard_error *err)
{
	static const char nul[] = "\\u0000";

	for (size_t i = 0; i + 6 <= len; i++)
		if (text[i] == '\\' && !memcmp(text + i, nul, 6))
			return shard_error_set(err, SHARD_EINPUT,
					       "%s:%lu: an escaped NUL "
					       "(\\u0000) is not supported",
					       name, json_line_of(text, i));
	return 0;
}

int json_each_member(const char *text, size_t len, const char *name,
		     const char *jpath, int want_object,
		     int (*fn)(void *data, const struct json_member *m,
			       struct shard_error *err),
		     void *data, struct shard_error *err)
{
	sqlite3 *db = NULL;
	int r;

	if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK) {
		sqlite3_close(db);
		return shard_error_set(err, SHARD_EENV,
				       "sqlite: cannot open a memory database");
	}
	r = refuse_escaped_nul(text, len, name, err);
	if (!r)
		r = check_root(db, text, len, name, jpath, want_object, err);
	if (!r)
		r = iterate(db, text, len, jpath, fn, data, err);
	sqlite3_close(db);
	return r;
}

int json_get(const char *text, size_t len, const char *name, const char *jpath,
	     struct strbuf *out, struct shard_error *err)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int r = 0;

	if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE, NULL) !=
		    SQLITE_OK ||
	    sqlite3_prepare_v2(db,
			       "SELECT json_valid(?1), json_extract(?1, ?2)",
			       -1, &st, NULL) != SQLITE_OK) {
		r = shard_error_set(err, SHARD_EENV, "sqlite: %s",
				    sqlite3_errmsg(db));
		goto out;
	}
	sqlite3_bind_text(st, 1, text, (int)len, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, jpath, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW || !sqlite3_column_int(st, 0)) {
		r = shard_error_set(err, SHARD_EINPUT, "%s: not valid JSON",
				    name);
		goto out;
	}
	if (sqlite3_column_type(st, 1) != SQLITE_NULL) {
		strbuf_add(out, sqlite3_column_text(st, 1),
			   (size_t)sqlite3_column_bytes(st, 1));
		r = 1;
	}
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return r;
}

unsigned long json_line_of(const char *text, size_t off)
{
	unsigned long line = 1;

	for (size_t i = 0; i < off; i++)
		line += text[i] == '\n';
	return line;
}

static int needs_escape(unsigned char c)
{
	return c == '"' || c == '\\' || c < 0x20;
}

void json_add_string(struct strbuf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t run = 0, i = 0;

	while (i < len && !needs_escape((unsigned char)s[i]))
		i++;
	strbuf_grow(out, len + 2); /* the usual id: one piece, one grow */
	strbuf_addch(out, '"');
	for (; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!needs_escape(c))
			continue;
		strbuf_add(out, s + run, i - run); /* the plain bytes before */
		run = i + 1;
		if (c == '"' || c == '\\') {
			strbuf_addch(out, '\\');
			strbuf_addch(out, c);
		} else {
			char esc[7] = { '\\',        'u',         '0', '0',
					hex[c >> 4], hex[c & 15], 0 };

			strbuf_addstr(out, esc);
		}
	}
	strbuf_add(out, s + run, len - run);
	strbuf_addch(out, '"');
}
