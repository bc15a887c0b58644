/*
 * A growable byte buffer in the spirit of git's strbuf: buf is never NULL
 * and always NUL-terminated; strbuf_detach() hands ownership out. An
 * optional cap bounds the size for untrusted input (curl's dynbuf).
 */
#ifndef SHARD_STRBUF_H
#define SHARD_STRBUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct strbuf {
	char *buf;
	size_t len;
	size_t alloc;
	size_t cap; /* 0: unbounded; else adds beyond cap bytes fail */
};

extern char strbuf_empty[];
#define STRBUF_INIT \
	{ \
		strbuf_empty, 0, 0, 0 \
	}

void strbuf_init(struct strbuf *sb, size_t hint);
/* Free the buffer and reset sb to empty (usable again). */
void strbuf_release(struct strbuf *sb);
/* Return the buffer (caller frees) and reset sb. */
char *strbuf_detach(struct strbuf *sb, size_t *len);
void strbuf_reset(struct strbuf *sb);
void strbuf_setlen(struct strbuf *sb, size_t len);
/* Ensure room for extra more bytes; -1 if that would pass the cap. */
int strbuf_grow(struct strbuf *sb, size_t extra);
/* Appenders return 0, or -1 (sb unchanged) when the cap would be passed. */
int strbuf_add(struct strbuf *sb, const void *data, size_t len);
int strbuf_addstr(struct strbuf *sb, const char *s);
int strbuf_addch(struct strbuf *sb, int c);
/* Append v as unsigned LEB128 (7 bits a byte, low first). */
int strbuf_add_uleb128(struct strbuf *sb, uint64_t v);
/*
 * Read one unsigned LEB128 number at buf[*at] (len bytes in all) into
 * *out, moving *at past it. Returns 0, or -1 when it is cut short or
 * does not fit 64 bits.
 */
int strbuf_read_uleb128(const char *buf, size_t len, size_t *at, uint64_t *out);
int strbuf_addf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

#endif
