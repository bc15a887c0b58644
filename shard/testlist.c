/*
 * Lines are split as bytes arrive so that a list can stream from a pipe
 * (`--collect`) without being held twice in memory.
 */
#include "testlist.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "banned.h"

void testlist_init(struct testlist *l)
{
	memset(l, 0, sizeof(*l));
	strbuf_init(&l->partial, 0);
}

void testlist_release(struct testlist *l)
{
	free(l->ids);
	pool_release(&l->pool);
	strmap_release(&l->seen);
	strbuf_release(&l->partial);
	testlist_init(l);
}

int testlist_add(struct testlist *l, const char *id, size_t len)
{
	char *copy = pool_strndup(&l->pool, id, len);

	if (!strmap_put(&l->seen, copy, len, l->nr, NULL)) {
		if (!l->duplicates++) {
			l->first_dup = copy;
			l->first_dup_line = l->line;
		}
		return 0;
	}
	ALLOC_GROW(l->ids, l->nr + 1, l->alloc);
	l->ids[l->nr++] = copy;
	return 1;
}

static int is_blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

static int take_line(struct testlist *l, const char *s, size_t len,
		     const char *path, struct shard_error *err)
{
	l->line++;
	if (len && s[len - 1] == '\r')
		len--;
	if (is_blank(s, len))
		return 0;
	if (memchr(s, '\0', len))
		return shard_error_set(err, SHARD_EINPUT,
				       "%s:%lu: NUL byte in a test id", path,
				       l->line);
	testlist_add(l, s, len);
	return 0;
}

int testlist_feed(struct testlist *l, const char *buf, size_t len,
		  const char *path, struct shard_error *err)
{
	while (len) {
		const char *nl = memchr(buf, '\n', len);
		size_t n = nl ? (size_t)(nl - buf) : len;
		int r = 0;

		if (!nl) {
			strbuf_add(&l->partial, buf, n);
			return 0;
		}
		if (l->partial.len) {
			strbuf_add(&l->partial, buf, n);
			r = take_line(l, l->partial.buf, l->partial.len, path,
				      err);
			strbuf_reset(&l->partial);
		} else {
			r = take_line(l, buf, n, path, err);
		}
		if (r)
			return r;
		buf += n + 1;
		len -= n + 1;
	}
	return 0;
}

int testlist_finish(struct testlist *l, const char *path,
		    const struct shard_ctx *ctx, struct shard_error *err)
{
	if (l->partial.len) {
		int r = take_line(l, l->partial.buf, l->partial.len, path, err);

		strbuf_reset(&l->partial);
		if (r)
			return r;
	}
	if (l->duplicates)
		shard_warn(ctx,
			   "%s:%lu: %zu duplicate test id%s collapsed (first: '%s')",
			   path, l->first_dup_line, l->duplicates,
			   l->duplicates == 1 ? "" : "s", l->first_dup);
	return 0;
}

int testlist_read_fd(struct testlist *l, int fd, const char *path,
		     const struct shard_ctx *ctx, struct shard_error *err)
{
	char buf[65536];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return shard_error_set(err, SHARD_EENV,
					       "%s: read error: %s", path,
					       strerror(errno));
		if (n == 0)
			break;
		if (testlist_feed(l, buf, (size_t)n, path, err))
			return err->code;
	}
	return testlist_finish(l, path, ctx, err);
}
