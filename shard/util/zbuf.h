/*
 * Deflate and inflate whole buffers through zlib: the partition data a
 * shard's report carries (partition.h) is a slice of the test list, and
 * ids compress about sevenfold, which keeps reports small and merges
 * fast.
 */
#ifndef SHARD_ZBUF_H
#define SHARD_ZBUF_H

#include <stddef.h>

#include "shard/util/strbuf.h"

/* Append the zlib stream of len bytes of data to out. */
void zbuf_deflate(struct strbuf *out, const void *data, size_t len);

/*
 * Append what the zlib stream data (len bytes) inflates to, at most max
 * bytes (the data is untrusted: a small stream can stand for gigabytes).
 * Returns 0, or -1 when the stream is damaged, cut short or would pass
 * max (out is then back as it was).
 */
int zbuf_inflate(struct strbuf *out, const void *data, size_t len, size_t max);

#endif
