#include "shard/util/strbuf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shard/util/util.h"
#include "shard/util/banned.h"

char strbuf_empty[1];

void strbuf_init(struct strbuf *sb, size_t hint)
{
	sb->buf = strbuf_empty;
	sb->len = sb->alloc = sb->cap = 0;
	if (hint)
		strbuf_grow(sb, hint);
}

void strbuf_release(struct strbuf *sb)
{
	size_t cap = sb->cap;

	if (sb->alloc)
		free(sb->buf);
	strbuf_init(sb, 0);
	sb->cap = cap;
}

char *strbuf_detach(struct strbuf *sb, size_t *len)
{
	char *res;
	size_t cap = sb->cap;

	if (!sb->alloc)
		strbuf_grow(sb, 1);
	res = sb->buf;
	if (len)
		*len = sb->len;
	strbuf_init(sb, 0);
	sb->cap = cap;
	return res;
}

void strbuf_reset(struct strbuf *sb)
{
	strbuf_setlen(sb, 0);
}

void strbuf_setlen(struct strbuf *sb, size_t len)
{
	if (!sb->alloc)
		return;
	sb->len = len < sb->len ? len : sb->len;
	sb->buf[sb->len] = '\0';
}

int strbuf_grow(struct strbuf *sb, size_t extra)
{
	int fresh = !sb->alloc;

	if (extra > SIZE_MAX - sb->len - 1) {
		if (sb->cap)
			return -1;
		fprintf(stderr,
			"shard: out of memory (a buffer of %zu + %zu "
			"bytes)\n",
			sb->len, extra);
		abort();
	}
	if (sb->cap && sb->len + extra > sb->cap)
		return -1;
	if (sb->len + extra + 1 <= sb->alloc)
		return 0;
	if (fresh)
		sb->buf = NULL;
	ALLOC_GROW(sb->buf, sb->len + extra + 1, sb->alloc);
	if (fresh)
		sb->buf[0] = '\0';
	return 0;
}

int strbuf_add(struct strbuf *sb, const void *data, size_t len)
{
	if (strbuf_grow(sb, len) < 0)
		return -1;
	memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
	return 0;
}

int strbuf_addstr(struct strbuf *sb, const char *s)
{
	return strbuf_add(sb, s, strlen(s));
}

int strbuf_addch(struct strbuf *sb, int c)
{
	char ch = (char)c;

	return strbuf_add(sb, &ch, 1);
}

int strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0 || strbuf_grow(sb, (size_t)n) < 0)
		return -1;
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
	return 0;
}

int strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = strbuf_vaddf(sb, fmt, ap);
	va_end(ap);
	return r;
}

int strbuf_add_uleb128(struct strbuf *sb, uint64_t v)
{
	int r = 0;

	while (v >= 0x80 && !r) {
		r = strbuf_addch(sb, (int)(0x80 | (v & 0x7f)));
		v >>= 7;
	}
	return r ? r : strbuf_addch(sb, (int)v);
}

int strbuf_read_uleb128(const char *buf, size_t len, size_t *at, uint64_t *out)
{
	uint64_t v = 0;
	unsigned shift = 0;
	unsigned char c;

	do {
		if (*at >= len || shift > 63)
			return -1;
		c = (unsigned char)buf[(*at)++];
		if (shift == 63 && (c & 0x7e))
			return -1; /* past 64 bits */
		v |= (uint64_t)(c & 0x7f) << shift;
		shift += 7;
	} while (c & 0x80);
	*out = v;
	return 0;
}
