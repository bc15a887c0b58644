/*
 * Linear probing with the full 64-bit hash kept in each slot, so a probe
 * compares bytes only on a hash match; the table doubles at 1/2 load.
 */
#include "shard/util/strmap.h"

#include <stdlib.h>
#include <string.h>

#include "shard/util/util.h"
#include "shard/util/banned.h"

uint64_t strmap_hash(const char *key, size_t len)
{
	/* FNV-1a, then a final mix so that low bits are usable as an index */
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)key[i];
		h *= 1099511628211ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

static struct strmap_slot *find(const struct strmap *m, const char *key,
				size_t len, uint64_t h)
{
	size_t i = h & m->mask;

	for (;; i = (i + 1) & m->mask) {
		struct strmap_slot *s = &m->slots[i];

		if (!s->key)
			return s;
		if (s->hash == h && s->len == len && !memcmp(s->key, key, len))
			return s;
	}
}

static void rehash(struct strmap *m)
{
	struct strmap old = *m;
	size_t cap = old.slots ? (old.mask + 1) * 2 : 64;

	m->slots = xcalloc(cap, sizeof(*m->slots));
	m->mask = cap - 1;
	for (size_t i = 0; old.slots && i <= old.mask; i++)
		if (old.slots[i].key)
			*find(m, old.slots[i].key, old.slots[i].len,
			      old.slots[i].hash) = old.slots[i];
	free(old.slots);
}

int strmap_put(struct strmap *m, const char *key, size_t len, size_t value,
	       size_t *old)
{
	uint64_t h = strmap_hash(key, len);
	struct strmap_slot *s;

	if (!m->slots || (m->count + 1) * 2 > m->mask + 1)
		rehash(m);
	s = find(m, key, len, h);
	if (s->key) {
		if (old)
			*old = s->value;
		return 0;
	}
	s->key = key;
	s->len = len;
	s->hash = h;
	s->value = value;
	m->count++;
	return 1;
}

int strmap_get(const struct strmap *m, const char *key, size_t len,
	       size_t *value)
{
	struct strmap_slot *s;

	if (!m->slots)
		return 0;
	s = find(m, key, len, strmap_hash(key, len));
	if (!s->key)
		return 0;
	*value = s->value;
	return 1;
}

void strmap_release(struct strmap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->mask = m->count = 0;
}
