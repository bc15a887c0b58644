#include "shard/util/quote.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "shard/util/banned.h"

/*
 * The length of the valid UTF-8 sequence at s (1 to 4), with its code
 * point, or 0 when s does not start one (overlong forms, surrogates and
 * points past U+10FFFF are not UTF-8).
 */
static size_t utf8_char(const unsigned char *s, size_t len, uint32_t *cp)
{
	static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t n;
	uint32_t c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	n = (s[0] & 0xe0) == 0xc0   ? 2
	    : (s[0] & 0xf0) == 0xe0 ? 3
	    : (s[0] & 0xf8) == 0xf0 ? 4
				    : 0;
	if (!n)
		return 0;
	c = s[0] & (0x7f >> n);
	if (n > len)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min[n] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/* Characters that change how the text around them is shown. */
static int unsafe_char(uint32_t c)
{
	return c < 0x20 || c == 0x7f ||
	       (c >= 0x80 && c <= 0x9f) ||     /* C1 controls */
	       c == 0x061c ||                  /* Arabic letter mark */
	       c == 0x200e || c == 0x200f ||   /* LRM, RLM */
	       c == 0x2028 || c == 0x2029 ||   /* line, paragraph sep. */
	       (c >= 0x202a && c <= 0x202e) || /* embeddings, overrides */
	       (c >= 0x2066 && c <= 0x2069);   /* isolates */
}

/* The escape of the character or byte at s, or 0 bytes when it is safe. */
static size_t escape_at(const unsigned char *s, size_t len, char esc[16],
			size_t *took)
{
	uint32_t c;
	size_t n = utf8_char(s, len, &c);

	*took = n ? n : 1;
	if (!n)
		return (size_t)snprintf(esc, 16, "\\x%02x", s[0]);
	if (!unsafe_char(c))
		return 0;
	if (c == '\t' || c == '\n' || c == '\r')
		return (size_t)snprintf(esc, 16, "\\%c",
					c == '\t'   ? 't'
					: c == '\n' ? 'n'
						    : 'r');
	if (c < 0x80)
		return (size_t)snprintf(esc, 16, "\\x%02x", (unsigned)c);
	return (size_t)snprintf(esc, 16, "\\u{%04x}", (unsigned)c);
}

int quote_add(struct strbuf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t run = 0, i = 0;
	int r = 0;

	while (i < len && !r) {
		char esc[16];
		size_t took, n = escape_at(p + i, len - i, esc, &took);

		if (n) {
			r = strbuf_add(out, s + run, i - run);
			if (!r)
				r = strbuf_add(out, esc, n);
			run = i + took;
		}
		i += took;
	}
	return r ? r : strbuf_add(out, s + run, len - run);
}

int quote_add_cut(struct strbuf *out, const char *s, size_t len, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t cut = 0, took;
	uint32_t c;

	while (cut < len) {
		took = utf8_char(p + cut, len - cut, &c);
		took = took ? took : 1;
		if (cut + took > max)
			break;
		cut += took;
	}
	if (quote_add(out, s, cut))
		return -1;
	return cut < len ? strbuf_addstr(out, "...") : 0;
}

size_t quote_utf8(const char *s, size_t len, uint32_t *cp)
{
	return len ? utf8_char((const unsigned char *)s, len, cp) : 0;
}

int quote_str(struct strbuf *out, const char *s)
{
	return s ? quote_add(out, s, strlen(s)) : 0;
}

int quote_needed(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0, took; i < len; i += took) {
		char esc[16];

		if (escape_at(p + i, len - i, esc, &took))
			return 1;
	}
	return 0;
}

void quote_into(char *buf, size_t size, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), o = 0;

	if (!size)
		return;
	for (size_t i = 0, took; i < len; i += took) {
		char esc[16];
		size_t n = escape_at(p + i, len - i, esc, &took);
		const char *piece = n ? esc : s + i;

		n = n ? n : took;
		if (o + n >= size)
			break;
		memcpy(buf + o, piece, n);
		o += n;
	}
	buf[o] = '\0';
}

int quote_xml(struct strbuf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = s ? strlen(s) : 0;
	int r = 0;

	for (size_t i = 0, took; i < len && !r; i += took) {
		uint32_t c;
		size_t n = utf8_char(p + i, len - i, &c);
		char esc[16];

		took = n ? n : 1;
		if (!n || (c < 0x20 && c != '\t' && c != '\n' && c != '\r') ||
		    c == 0xfffe || c == 0xffff) {
			n = escape_at(p + i, len - i, esc, &took);
			if (!n) /* U+FFFE and U+FFFF are no controls */
				n = (size_t)snprintf(esc, sizeof(esc),
						     "\\u{%04x}", (unsigned)c);
			r = strbuf_add(out, esc, n);
			continue;
		}
		switch (c) {
		case '&':
			r = strbuf_addstr(out, "&amp;");
			break;
		case '<':
			r = strbuf_addstr(out, "&lt;");
			break;
		case '>':
			r = strbuf_addstr(out, "&gt;");
			break;
		case '"':
			r = strbuf_addstr(out, "&quot;");
			break;
		case '\t':
			r = strbuf_addstr(out, "&#9;");
			break;
		case '\n':
			r = strbuf_addstr(out, "&#10;");
			break;
		case '\r':
			r = strbuf_addstr(out, "&#13;");
			break;
		default:
			r = strbuf_add(out, s + i, took);
		}
	}
	return r;
}
