#include "shard/util/zbuf.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <zlib.h>

#include "shard/util/banned.h"

#define PIECE 65536

void zbuf_deflate(struct strbuf *out, const void *data, size_t len)
{
	z_stream z = { 0 };
	int r;

	if (deflateInit(&z, Z_DEFAULT_COMPRESSION) != Z_OK) {
		fprintf(stderr, "shard: cannot start zlib's deflate\n");
		abort();
	}
	z.next_in = (Bytef *)(uintptr_t)data;
	do {
		size_t room = PIECE, at = out->len;
		uInt in = len > UINT_MAX ? UINT_MAX : (uInt)len;

		z.avail_in = in;
		strbuf_grow(out, room);
		z.next_out = (Bytef *)out->buf + at;
		z.avail_out = (uInt)room;
		r = deflate(&z, in == len ? Z_FINISH : Z_NO_FLUSH);
		len -= in - z.avail_in;
		out->len = at + room - z.avail_out; /* written in place */
		out->buf[out->len] = '\0';
	} while (r == Z_OK || r == Z_BUF_ERROR);
	deflateEnd(&z);
}

int zbuf_inflate(struct strbuf *out, const void *data, size_t len, size_t max)
{
	size_t start = out->len;
	z_stream z = { 0 };
	int r = Z_OK;

	if (len > UINT_MAX || inflateInit(&z) != Z_OK)
		return -1;
	z.next_in = (Bytef *)(uintptr_t)data;
	z.avail_in = (uInt)len;
	while (r == Z_OK && out->len - start < max) {
		size_t at = out->len, room = PIECE;

		if (room > max - (at - start))
			room = max - (at - start);
		strbuf_grow(out, room);
		z.next_out = (Bytef *)out->buf + at;
		z.avail_out = (uInt)room;
		r = inflate(&z, Z_NO_FLUSH);
		out->len = at + room - z.avail_out; /* written in place */
		out->buf[out->len] = '\0';
	}
	inflateEnd(&z);
	if (r == Z_STREAM_END && z.avail_in == 0)
		return 0;
	out->len = start;
	out->buf[start] = '\0';
	return -1;
}
