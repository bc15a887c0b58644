/*
 * Open-addressing map from 64-bit hashes to size_t values: joining a
 * million listed tests with history by the hash of their canonical keys,
 * with no strings to compare or keep. Key and value share a slot, so a
 * lookup costs one cache miss.
 */
#ifndef SHARD_U64MAP_H
#define SHARD_U64MAP_H

#include <stddef.h>
#include <stdint.h>

struct u64map_slot {
	uint64_t key; /* 0 marks an empty slot: keys are made non-zero */
	size_t value;
};

struct u64map {
	struct u64map_slot *slots;
	size_t mask, count;
};

#define U64MAP_INIT \
	{ \
		NULL, 0, 0 \
	}

/* Insert unless present; 1 if inserted, 0 if present (*old gets its value). */
int u64map_put(struct u64map *m, uint64_t key, size_t value, size_t *old);
int u64map_get(const struct u64map *m, uint64_t key, size_t *value);
/*
 * Hint that key will be looked up or inserted soon: a million random
 * probes cost mostly cache misses, and a batch that prefetches its slots
 * first overlaps them.
 */
void u64map_prefetch(const struct u64map *m, uint64_t key);
/* Make room for n keys without rehashing. */
void u64map_reserve(struct u64map *m, size_t n);
void u64map_release(struct u64map *m);

#endif
