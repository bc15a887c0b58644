#include "shard/util/digest.h"

#include <stdio.h>
#include <stdlib.h>

#include <openssl/evp.h>

#include "shard/util/banned.h"

struct digest {
	EVP_MD_CTX *md;
};

struct digest *digest_new(void)
{
	struct digest *d = malloc(sizeof(*d));

	if (!d || !(d->md = EVP_MD_CTX_new()) ||
	    EVP_DigestInit_ex(d->md, EVP_sha256(), NULL) != 1) {
		fprintf(stderr, "shard: cannot start a SHA-256 digest\n");
		abort();
	}
	return d;
}

void digest_update(struct digest *d, const void *data, size_t len)
{
	EVP_DigestUpdate(d->md, data, len);
}

void digest_final_hex(struct digest *d, char hex[65])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	EVP_DigestFinal_ex(d->md, md, &n);
	for (unsigned int i = 0; i < n && i < 32; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[64] = '\0';
	EVP_MD_CTX_free(d->md);
	free(d);
}
