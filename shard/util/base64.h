/*
 * Base64 (RFC 4648, with padding) through libcrypto, for binary data that
 * travels inside XML attributes: the partition properties of a shard's
 * report (partition.h).
 */
#ifndef SHARD_BASE64_H
#define SHARD_BASE64_H

#include <stddef.h>

#include "shard/util/strbuf.h"

/* Append the base64 of len bytes of data to out. */
void base64_encode(struct strbuf *out, const void *data, size_t len);

/*
 * Append the bytes that text (len characters of base64, padded) stands
 * for to out. Returns 0, or -1 when text is not base64 (out unchanged).
 */
int base64_decode(struct strbuf *out, const char *text, size_t len);

#endif
