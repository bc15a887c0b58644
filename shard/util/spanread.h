/*
 * Reading byte spans of an input file, by offset, through one window of
 * memory: merge copies each testcase verbatim from its input after the
 * parser has passed it. Spans come mostly in file order, so a window
 * refilled with pread() serves a whole stretch of testcases per system
 * call; a span larger than the window streams through it, so memory
 * stays at the window's size whatever the testcase holds. The parser can
 * read its input through the same window (spanread_next), so that what
 * it has just parsed is still there to copy, read once.
 */
#ifndef SHARD_SPANREAD_H
#define SHARD_SPANREAD_H

#include <stddef.h>

#include "shard/util/error.h"

struct spanread {
	int fd;
	const char *path; /* for messages */
	char *buf;
	size_t cap;              /* window size */
	unsigned long long base; /* file offset of buf[0] */
	size_t len;              /* valid bytes in buf */
	int eof;                 /* the window reaches the end of the file */
};

/* fd stays the caller's; window of cap bytes (0: 1 MiB). */
void spanread_init(struct spanread *s, int fd, const char *path, size_t cap);
/* Read another file through the same window. */
void spanread_reuse(struct spanread *s, int fd, const char *path);
void spanread_release(struct spanread *s);

/*
 * Point *out at up to want bytes from offset off on, *n of them (0 at the
 * end of the file). When they are not all in the window it is refilled
 * from keep bytes before off, so that spans ending there are still in
 * it. Returns 0 or SHARD_EENV (read error).
 */
int spanread_next(struct spanread *s, unsigned long long off, size_t want,
		  size_t keep, const char **out, size_t *n,
		  struct shard_error *err);

/* Are the bytes [start, end) in the window now? */
int spanread_holds(const struct spanread *s, unsigned long long start,
		   unsigned long long end);

/*
 * Point *out at the bytes [start, end) when they fit in the window
 * (end - start <= cap); returns 0, or SHARD_EENV (read error, short file).
 * The pointer is valid until the next call.
 */
int spanread_get(struct spanread *s, unsigned long long start,
		 unsigned long long end, const char **out,
		 struct shard_error *err);

#endif
