/*
 * Lines are split as bytes arrive so that a list can stream from a pipe
 * (`--collect`) without being held twice in memory. Each line is checked
 * as it is taken: ids are mostly ASCII, so the check is one compare a
 * byte until a byte is not printable ASCII.
 */
#include "shard/testlist.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#include "shard/util/quote.h"
#include "shard/util/util.h"
#include "shard/util/banned.h"

void testlist_init(struct testlist *l)
{
	memset(l, 0, sizeof(*l));
	strbuf_init(&l->partial, 0);
}

void testlist_release(struct testlist *l)
{
	free(l->ids);
	free(l->lens);
	pool_release(&l->pool);
	u64map_release(&l->seen);
	strmap_release(&l->clashes);
	strbuf_release(&l->partial);
	free(l->batch);
	testlist_init(l);
}

/*
 * Duplicates are found by a 64-bit hash of the id (a compact table, few
 * cache misses for a million ids), confirmed by comparing bytes; two
 * different ids with one hash go to a byte-keyed map.
 */
static int seen_before(struct testlist *l, const char *id, size_t len,
		       uint64_t h)
{
	size_t other;

	if (u64map_put(&l->seen, h, l->nr, &other))
		return 0;
	if (l->lens[other] == len && !memcmp(l->ids[other], id, len))
		return 1;
	return !strmap_put(&l->clashes, pool_strndup(&l->pool, id, len), len,
			   l->nr, NULL);
}

/* Room for need ids in ids and lens alike. */
static void grow(struct testlist *l, size_t need)
{
	if (need <= l->alloc)
		return;
	ALLOC_GROW(l->ids, need, l->alloc);
	l->lens = xrealloc(l->lens, l->alloc * sizeof(*l->lens));
}

static int add_hashed(struct testlist *l, const char *id, size_t len,
		      uint64_t hash)
{
	char *copy;

	if (seen_before(l, id, len, hash)) {
		if (!l->duplicates++) {
			l->first_dup = pool_strndup(&l->pool, id, len);
			l->first_dup_line = l->line;
		}
		return 0;
	}
	copy = pool_strndup(&l->pool, id, len);
	grow(l, l->nr + 1);
	l->lens[l->nr] = len;
	l->ids[l->nr++] = copy;
	return 1;
}

size_t testlist_id_check(const char *id, size_t len)
{
	const unsigned char *s = (const unsigned char *)id;
	size_t i = 0;

	while (i < len) {
		uint32_t cp;
		size_t n;

		if (s[i] >= 0x20 && s[i] < 0x7f) {
			i++;
			continue;
		}
		if (s[i] < 0x80 || !(n = quote_utf8(id + i, len - i, &cp)))
			return i;
		i += n;
	}
	return len;
}

#define QUOTE_MAX 120 /* bytes of an id a message shows */

int testlist_id_error(struct shard_error *err, const char *where,
		      const char *id, size_t len, size_t bad)
{
	struct strbuf what = STRBUF_INIT, shown = STRBUF_INIT;
	unsigned char c = bad < len ? (unsigned char)id[bad] : 0;
	int r;

	if (!c) {
		strbuf_addstr(&what, "NUL byte");
	} else if (c < 0x20 || c == 0x7f) {
		strbuf_addstr(&what, "control character ");
		quote_add(&what, id + bad, 1);
	} else {
		strbuf_addf(&what, "invalid UTF-8 (byte \\x%02x)", c);
	}
	quote_add_cut(&shown, id, len, QUOTE_MAX);
	r = shard_error_set(err, SHARD_EINPUT, "%s: %s in test id '%s'", where,
			    what.buf, shown.buf);
	strbuf_release(&what);
	strbuf_release(&shown);
	return r;
}

int testlist_add(struct testlist *l, const char *id, size_t len)
{
	return add_hashed(l, id, len, strmap_hash(id, len));
}

static int is_blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

/* A line without its CR, or length 0 when it is blank. */
static size_t id_len(const char *s, size_t len)
{
	if (len && s[len - 1] == '\r')
		len--;
	return is_blank(s, len) ? 0 : len;
}

static int take_line(struct testlist *l, const char *s, size_t len,
		     uint64_t hash, const char *path, struct shard_error *err)
{
	size_t bad;

	l->line++;
	if (!len)
		return 0;
	bad = testlist_id_check(s, len);
	if (bad < len) {
		struct strbuf where = STRBUF_INIT;
		int r;

		strbuf_addf(&where, "%s:%lu", path, l->line);
		r = testlist_id_error(err, where.buf, s, len, bad);
		strbuf_release(&where);
		return r;
	}
	add_hashed(l, s, len, hash);
	return 0;
}

#define LOOKAHEAD 16

/*
 * The complete lines of a chunk are split and hashed first, so that each
 * line's slot in the duplicate table can be prefetched LOOKAHEAD lines
 * before it is probed: a million random probes cost mostly cache misses.
 */
static int take_lines(struct testlist *l, const char *buf, size_t len,
		      const char *path, struct shard_error *err)
{
	size_t n = 0, at = 0;
	int r = 0;

	while (at < len) {
		const char *nl = memchr(buf + at, '\n', len - at);
		size_t end = (size_t)(nl - buf);

		ALLOC_GROW(l->batch, n + 1, l->batch_alloc);
		l->batch[n].start = at;
		l->batch[n].len = id_len(buf + at, end - at);
		l->batch[n].hash = strmap_hash(buf + at, l->batch[n].len);
		n++;
		at = end + 1;
	}
	for (size_t i = 0; i < n && !r; i++) {
		if (i + LOOKAHEAD < n)
			u64map_prefetch(&l->seen, l->batch[i + LOOKAHEAD].hash);
		r = take_line(l, buf + l->batch[i].start, l->batch[i].len,
			      l->batch[i].hash, path, err);
	}
	return r;
}

int testlist_feed(struct testlist *l, const char *buf, size_t len,
		  const char *path, struct shard_error *err)
{
	const char *nl = memchr(buf, '\n', len), *last;
	size_t n;
	int r;

	if (!nl) {
		strbuf_add(&l->partial, buf, len);
		return 0;
	}
	if (l->partial.len) {
		strbuf_add(&l->partial, buf, (size_t)(nl - buf));
		n = id_len(l->partial.buf, l->partial.len);
		r = take_line(l, l->partial.buf, n,
			      strmap_hash(l->partial.buf, n), path, err);
		strbuf_reset(&l->partial);
		if (r)
			return r;
		len -= (size_t)(nl + 1 - buf);
		buf = nl + 1;
	}
	for (last = buf + len; last > buf && last[-1] != '\n'; last--)
		;
	if ((r = take_lines(l, buf, (size_t)(last - buf), path, err)))
		return r;
	strbuf_add(&l->partial, last, (size_t)(buf + len - last));
	return 0;
}

int testlist_finish(struct testlist *l, const char *path,
		    const struct shard_ctx *ctx, struct shard_error *err)
{
	if (l->partial.len) {
		size_t n = id_len(l->partial.buf, l->partial.len);
		int r = take_line(l, l->partial.buf, n,
				  strmap_hash(l->partial.buf, n), path, err);

		strbuf_reset(&l->partial);
		if (r)
			return r;
	}
	if (l->duplicates)
		shard_warn(
			ctx,
			"%s:%lu: %zu duplicate test id%s collapsed (first: '%s')",
			path, l->first_dup_line, l->duplicates,
			l->duplicates == 1 ? "" : "s", l->first_dup);
	return 0;
}

struct feeding {
	struct testlist *l;
	const char *path;
};

static int feed_chunk(void *data, const char *buf, size_t len,
		      struct shard_error *err)
{
	struct feeding *f = data;

	return testlist_feed(f->l, buf, len, f->path, err) ? err->code : 0;
}

int testlist_read_fd(struct testlist *l, int fd, const char *path,
		     const struct shard_ctx *ctx, struct shard_error *err)
{
	struct feeding f = { l, path };
	struct stat st;

	/*
	 * A file's size foretells about how many ids: no rehashing, and no
	 * copying of the id arrays as they grow.
	 */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
		u64map_reserve(&l->seen, (size_t)st.st_size / 48);
		grow(l, (size_t)st.st_size / 48);
	}

	if (read_fd_chunks(fd, path, feed_chunk, &f, err))
		return err->code;
	return testlist_finish(l, path, ctx, err);
}
