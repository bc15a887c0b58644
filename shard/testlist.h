/*
 * Test lists (docs/design.md contracts): one id per line, LF or CRLF, blank
 * lines ignored, duplicate ids collapsed with a warning. Ids are kept byte
 * for byte, in first-seen order, in a pool owned by the list. An id is
 * printable UTF-8 (testlist_id_check): a line that is not is refused.
 */
#ifndef SHARD_TESTLIST_H
#define SHARD_TESTLIST_H

#include <stddef.h>

#include "shard/util/ctx.h"
#include "shard/util/error.h"
#include "shard/util/pool.h"
#include "shard/util/strbuf.h"
#include "shard/util/strmap.h"
#include "shard/util/u64map.h"

struct testlist_line {
	size_t start, len;
	uint64_t hash;
};

struct testlist {
	const char **ids; /* into pool */
	size_t *lens;     /* each id's length */
	size_t nr, alloc;
	size_t duplicates; /* lines collapsed as duplicates */
	struct pool pool;
	struct u64map seen;    /* hash of an id -> index */
	struct strmap clashes; /* ids whose hash another id has: by bytes */
	/* line splitting state while reading */
	struct strbuf partial;
	struct testlist_line *batch; /* the lines of the chunk being read */
	size_t batch_alloc;
	unsigned long line;
	unsigned long first_dup_line;
	const char *first_dup;
};

void testlist_init(struct testlist *l);
void testlist_release(struct testlist *l);

/*
 * Add one id (len bytes, which the caller has checked with
 * testlist_id_check); returns 1 if new, 0 if a duplicate.
 */
int testlist_add(struct testlist *l, const char *id, size_t len);

/*
 * Feed bytes of a list; call testlist_finish() at the end. path names the
 * input in messages. Errors: SHARD_EINPUT "path:line: ..." for an id that
 * is not printable UTF-8 (testlist_id_error). A CR that ends a line is
 * its CRLF ending, not part of the id.
 */
int testlist_feed(struct testlist *l, const char *buf, size_t len,
		  const char *path, struct shard_error *err);
/* Flush a last line without newline and warn once about duplicates. */
int testlist_finish(struct testlist *l, const char *path,
		    const struct shard_ctx *ctx, struct shard_error *err);

/* Read a whole list from fd (feed + finish). SHARD_EENV on read errors. */
int testlist_read_fd(struct testlist *l, int fd, const char *path,
		     const struct shard_ctx *ctx, struct shard_error *err);

/*
 * Test ids are printable UTF-8: valid UTF-8 (RFC 3629: no overlong forms,
 * surrogates or code points past U+10FFFF) with no C0 control character
 * (NUL, TAB, CR, LF, ESC, ...) and no DEL. A control byte would split a
 * line of the lists and id files shard writes, or reach a terminal or a
 * CI log as a command when a message shows the id; bytes that are not
 * UTF-8 would make the plan's JSON invalid. Returns the offset in id (len
 * bytes) of the first byte that breaks this, or len when none does.
 */
size_t testlist_id_check(const char *id, size_t len);

/*
 * Set err to SHARD_EINPUT "where: <what> in test id '<id>'" for an id that
 * testlist_id_check() stopped at offset bad, the id shown as quote.h
 * shows names (its first 120 bytes). Returns SHARD_EINPUT.
 */
int testlist_id_error(struct shard_error *err, const char *where,
		      const char *id, size_t len, size_t bad);

#endif
