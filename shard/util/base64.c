#include "shard/util/base64.h"

#include <limits.h>

#include <openssl/evp.h>

#include "shard/util/banned.h"

#define PIECE 49152 /* bytes encoded at a time: a multiple of 3 */

void base64_encode(struct strbuf *out, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len) {
		size_t n = len < PIECE ? len : PIECE;
		size_t at = out->len;

		strbuf_grow(out, (n + 2) / 3 * 4 + 1);
		/* written in place, NUL included */
		out->len =
			at +
			(size_t)EVP_EncodeBlock((unsigned char *)out->buf + at,
						p, (int)n);
		p += n;
		len -= n;
	}
}

int base64_decode(struct strbuf *out, const char *text, size_t len)
{
	size_t at = out->len, pad = 0;
	int n;

	if (len % 4 || len > INT_MAX)
		return -1;
	if (!len)
		return 0;
	pad = (text[len - 1] == '=') + (len > 1 && text[len - 2] == '=');
	strbuf_grow(out, len / 4 * 3 + 1);
	/* EVP_DecodeBlock counts the padding as bytes: take it back */
	n = EVP_DecodeBlock((unsigned char *)out->buf + at,
			    (const unsigned char *)text, (int)len);
	if (n < 0 || (size_t)n < pad) {
		out->buf[at] = '\0';
		return -1;
	}
	out->len = at + (size_t)n - pad;
	out->buf[out->len] = '\0';
	return 0;
}
