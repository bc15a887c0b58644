#include "shard/util/spanread.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shard/util/util.h"
#include "shard/util/banned.h"

#define SPANREAD_DEFAULT (1u << 20)

void spanread_init(struct spanread *s, int fd, const char *path, size_t cap)
{
	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->path = path;
	s->cap = cap ? cap : SPANREAD_DEFAULT;
	s->buf = xmalloc(s->cap);
}

void spanread_reuse(struct spanread *s, int fd, const char *path)
{
	s->fd = fd;
	s->path = path;
	s->base = 0;
	s->len = 0;
	s->eof = 0;
}

void spanread_release(struct spanread *s)
{
	free(s->buf);
	s->buf = NULL;
}

/* Fill the window from offset start. */
static int refill(struct spanread *s, unsigned long long start,
		  struct shard_error *err)
{
	size_t got = 0;

	while (got < s->cap) {
		ssize_t n = pread(s->fd, s->buf + got, s->cap - got,
				  (off_t)(start + got));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return shard_error_set(err, SHARD_EENV,
					       "%s: read error: %s", s->path,
					       strerror(errno));
		if (n == 0)
			break;
		got += (size_t)n;
	}
	s->base = start;
	s->len = got;
	s->eof = got < s->cap;
	return 0;
}

int spanread_get(struct spanread *s, unsigned long long start,
		 unsigned long long end, const char **out,
		 struct shard_error *err)
{
	if (end - start > s->cap)
		return shard_error_set(err, SHARD_EENV,
				       "%s: a span of %llu bytes is larger than "
				       "the read window",
				       s->path, end - start);
	if (start < s->base || end > s->base + s->len) {
		if (refill(s, start, err))
			return err->code;
		if (end > s->base + s->len)
			return shard_error_set(err, SHARD_EENV,
					       "%s: file changed while being "
					       "read (ends before byte %llu)",
					       s->path, end);
	}
	*out = s->buf + (start - s->base);
	return 0;
}

int spanread_holds(const struct spanread *s, unsigned long long start,
		   unsigned long long end)
{
	return start >= s->base && end <= s->base + s->len;
}

int spanread_next(struct spanread *s, unsigned long long off, size_t want,
		  size_t keep, const char **out, size_t *n,
		  struct shard_error *err)
{
	unsigned long long end;

	if (want > s->cap - keep)
		want = s->cap - keep;
	if (!spanread_holds(s, off, off + want) &&
	    !(s->eof && spanread_holds(s, off, off)) &&
	    refill(s, off > keep ? off - keep : 0, err))
		return err->code;
	end = s->base + s->len;
	*out = s->buf + (off < end ? off - s->base : s->len);
	*n = off < end ? (size_t)(end - off < want ? end - off : want) : 0;
	return 0;
}
