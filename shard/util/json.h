/*
 * Writing JSON strings, and reading JSON through SQLite's JSON functions (json_valid, json_each) on
 * an in-memory database: no JSON parser of our own.
 */
#ifndef SHARD_JSON_H
#define SHARD_JSON_H

#include <stddef.h>

#include "shard/util/error.h"
#include "shard/util/strbuf.h"

enum json_type {
	JSON_NULL,
	JSON_TRUE,
	JSON_FALSE,
	JSON_INTEGER,
	JSON_REAL,
	JSON_TEXT,
	JSON_ARRAY,
	JSON_OBJECT,
};

struct json_member {
	const char *key; /* the object key, or NULL for array items */
	size_t key_len;
	enum json_type type;
	double number;    /* for INTEGER and REAL */
	const char *text; /* TEXT value, or raw JSON of ARRAY/OBJECT */
	size_t text_len;
	long index; /* array index, -1 for object members */
};

/*
 * Call fn for each member of the object or array at json path (e.g. "$",
 * "$.shards") in text, in document order. Returns 0, SHARD_EINPUT
 * "path: not valid JSON" / "path: expected an object at $..." or fn's
 * non-zero return. Pointers in a member are valid during the call only.
 */
int json_each_member(const char *text, size_t len, const char *name,
		     const char *jpath, int want_object,
		     int (*fn)(void *data, const struct json_member *m,
			       struct shard_error *err),
		     void *data, struct shard_error *err);

/*
 * The value at json path jpath in text, as text (numbers printed, strings
 * unescaped) appended to out; 1 if present, 0 if absent or null, or
 * SHARD_EINPUT "name: not valid JSON".
 */
int json_get(const char *text, size_t len, const char *name, const char *jpath,
	     struct strbuf *out, struct shard_error *err);

/* Line (1-based) of byte offset off in text, for messages. */
unsigned long json_line_of(const char *text, size_t off);

/* Append s to out as a JSON string literal (quotes included). */
void json_add_string(struct strbuf *out, const char *s, size_t len);

#endif
