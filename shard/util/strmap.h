/*
 * Open-addressing hash map from byte strings to size_t values, for joining
 * a million listed ids with their history. Keys are borrowed: the caller
 * keeps them alive (a struct pool serves) for the map's lifetime.
 */
#ifndef SHARD_STRMAP_H
#define SHARD_STRMAP_H

#include <stddef.h>
#include <stdint.h>

struct strmap_slot {
	const char *key;
	size_t len;
	uint64_t hash;
	size_t value;
};

struct strmap {
	struct strmap_slot *slots;
	size_t mask; /* capacity - 1, capacity a power of two */
	size_t count;
};

#define STRMAP_INIT \
	{ \
		NULL, 0, 0 \
	}

uint64_t strmap_hash(const char *key, size_t len);
/*
 * Insert key -> value unless key is present. Returns 1 if inserted, 0 if
 * the key was there (its value is put in *old when old is not NULL).
 */
int strmap_put(struct strmap *m, const char *key, size_t len, size_t value,
	       size_t *old);
/* 1 and *value if key is present, else 0. */
int strmap_get(const struct strmap *m, const char *key, size_t len,
	       size_t *value);
void strmap_release(struct strmap *m);

#endif
