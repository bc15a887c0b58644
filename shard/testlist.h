/*
 * Test lists (docs/design.md contracts): one id per line, LF or CRLF, blank
 * lines ignored, duplicate ids collapsed with a warning. Ids are kept byte
 * for byte, in first-seen order, in a pool owned by the list.
 */
#ifndef SHARD_TESTLIST_H
#define SHARD_TESTLIST_H

#include <stddef.h>

#include "ctx.h"
#include "error.h"
#include "pool.h"
#include "strbuf.h"
#include "strmap.h"
#include "u64map.h"

struct testlist {
	const char **ids;   /* into pool */
	size_t *lens;       /* each id's length */
	size_t nr, alloc;
	size_t duplicates;  /* lines collapsed as duplicates */
	struct pool pool;
	struct u64map seen;     /* hash of an id -> index */
	struct strmap clashes;  /* ids whose hash another id has: by bytes */
	/* line splitting state while reading */
	struct strbuf partial;
	struct testlist_line {
		size_t start, len;
		uint64_t hash;
	} *batch;               /* the lines of the chunk being read */
	size_t batch_alloc;
	unsigned long line;
	unsigned long first_dup_line;
	const char *first_dup;
};

void testlist_init(struct testlist *l);
void testlist_release(struct testlist *l);

/* Add one id (len bytes, no NUL inside); returns 1 if new, 0 if a duplicate. */
int testlist_add(struct testlist *l, const char *id, size_t len);

/*
 * Feed bytes of a list; call testlist_finish() at the end. path names the
 * input in messages. Errors: SHARD_EINPUT "path:line: ..." for a NUL byte
 * in an id.
 */
int testlist_feed(struct testlist *l, const char *buf, size_t len,
		  const char *path, struct shard_error *err);
/* Flush a last line without newline and warn once about duplicates. */
int testlist_finish(struct testlist *l, const char *path,
		    const struct shard_ctx *ctx, struct shard_error *err);

/* Read a whole list from fd (feed + finish). SHARD_EENV on read errors. */
int testlist_read_fd(struct testlist *l, int fd, const char *path,
		     const struct shard_ctx *ctx, struct shard_error *err);

#endif
