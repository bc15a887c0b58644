#include "shard/util/pool.h"

#include <stdlib.h>
#include <string.h>

#include "shard/util/util.h"
#include "shard/util/banned.h"

#define POOL_BLOCK \
	(8u << 20) /* untouched pages cost nothing; big blocks get huge pages */

struct pool_block {
	struct pool_block *next;
	char data[];
};

char *pool_strndup(struct pool *p, const char *s, size_t n)
{
	char *dst;

	if (!p->head || p->used + n + 1 > p->size) {
		size_t size = n + 1 > POOL_BLOCK ? n + 1 : POOL_BLOCK;
		struct pool_block *b = xmalloc(sizeof(*b) + size);

		b->next = p->head;
		p->head = b;
		p->used = 0;
		p->size = size;
	}
	dst = p->head->data + p->used;
	memcpy(dst, s, n);
	dst[n] = '\0';
	p->used += n + 1;
	return dst;
}

char *pool_strdup(struct pool *p, const char *s)
{
	return pool_strndup(p, s, strlen(s));
}

void pool_release(struct pool *p)
{
	while (p->head) {
		struct pool_block *next = p->head->next;

		free(p->head);
		p->head = next;
	}
	p->used = p->size = 0;
}
