/*
 * The history's lifecycle across machines and backends: export to JSON
 * (export.c), import from it (import.c), merge one store into another
 * (histmerge.c, which also holds the sink import and pull merge through:
 * histmerge.h), the ETag file beside a history (etag.c), and push to or
 * pull from an object store over HTTP(S) with conditional requests
 * (remote.c).
 *
 * Everything goes through the store interface, so a PostgreSQL store
 * takes part by implementing the walks and put_* operations. One merge
 * rule serves import, pull and push after a conflict: runs are matched
 * by run key, sources by content digest within a run (a source already
 * there is skipped with its results, so nothing is counted twice),
 * shards are upserted; a test new to the target takes the source's
 * sample window as it is (so export then import into an empty history
 * gives the same estimates), a test both sides know takes the new
 * results' times on top of its own window, as if ingested.
 */
#ifndef SHARD_HISTORY_H
#define SHARD_HISTORY_H

#include <stdint.h>
#include <stdio.h>

#include "shard/store/store.h"
#include "shard/util/error.h"
#include "shard/util/http.h"

#define HISTORY_JSON_VERSION 1
#define HISTORY_KEEP_RUNS_DEFAULT 50
#define HISTORY_CONFLICTS_DEFAULT 5

/* What a merge or import added to the target. */
struct history_counts {
	int64_t runs, sources, results, tests;
};

/*
 * Write the whole history as JSON to f: {"shard_history":1,"tests":[...],
 * "files":[...],"runs":[...]} (README: shard history). Returns 0, the
 * store's error, or SHARD_EENV when f fails.
 */
int history_export(struct store *s, FILE *f, struct shard_error *err);

/*
 * Merge the JSON text (len bytes, named name in messages) into s, one
 * transaction. SHARD_EINPUT naming name for invalid or foreign JSON.
 */
int history_import(struct store *s, const char *text, size_t len,
		   const char *name, struct history_counts *added,
		   struct shard_error *err);

/* Merge everything in from into to, one transaction on to. */
int history_merge(struct store *from, struct store *to,
		  struct history_counts *added, struct shard_error *err);

/*
 * The ETag a pull or push saw, kept in "<history>.etag" beside the
 * history file. Read: *etag is the caller's, NULL when there is no file;
 * SHARD_EINPUT when its content cannot be a header value. Write: whole
 * or not at all; NULL or "" removes the file.
 */
int history_etag_read(const char *history, char **etag,
		      struct shard_error *err);
int history_etag_write(const char *history, const char *etag,
		       struct shard_error *err);

struct history_remote {
	const char *history; /* the local SQLite file */
	const char *url;
	const struct http_options *http;
	unsigned conflicts; /* push: retries after a 412 */
	const char *tmpdir; /* for downloads; NULL: /tmp */
};

struct history_pull_result {
	int found; /* 0: no object at the URL (404) */
	struct history_counts added;
};

/*
 * GET the remote history and merge it into the local one (created if
 * missing), then save the ETag. A 404 is not an error: found is 0 and
 * the saved ETag is removed, so that the next push creates the object.
 */
int history_pull(const struct history_remote *r,
		 struct history_pull_result *out, struct shard_error *err);

struct history_push_result {
	unsigned conflicts;           /* 412s met, each followed by a pull */
	struct history_counts merged; /* what those pulls brought in */
};

/*
 * Checkpoint the local history and PUT it: If-Match on the saved ETag,
 * If-None-Match: * without one. On 412: wait (backoff), pull (merge),
 * and try again, at most r->conflicts more times; SHARD_EENV after that.
 */
int history_push(const struct history_remote *r,
		 struct history_push_result *out, struct shard_error *err);

#endif
