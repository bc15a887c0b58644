/*
 * An arena for many small strings that live as long as one operation (a
 * million test ids): one free() per 1 MiB block instead of one per string.
 */
#ifndef SHARD_POOL_H
#define SHARD_POOL_H

#include <stddef.h>

struct pool_block;

struct pool {
	struct pool_block *head;
	size_t used, size;
};

#define POOL_INIT \
	{ \
		NULL, 0, 0 \
	}

/* Copy n bytes of s plus a NUL into the pool; the pool owns the copy. */
char *pool_strndup(struct pool *p, const char *s, size_t n);
char *pool_strdup(struct pool *p, const char *s);
/* Free every block; p is empty and usable again. */
void pool_release(struct pool *p);

#endif
