/*
 * SHA-256 digests (plan hashes, content hashes for run identity and
 * re-ingest detection), through libcrypto's EVP interface.
 */
#ifndef SHARD_DIGEST_H
#define SHARD_DIGEST_H

#include <stddef.h>

struct digest; /* opaque */

/* Start a digest; never NULL (allocation failure aborts). */
struct digest *digest_new(void);
void digest_update(struct digest *d, const void *data, size_t len);
/* Write 64 lowercase hex digits and a NUL to hex, and free d. */
void digest_final_hex(struct digest *d, char hex[65]);

#endif
