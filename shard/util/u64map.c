#include "shard/util/u64map.h"

#include <stdlib.h>

#include "shard/util/util.h"
#include "shard/util/banned.h"

static uint64_t fix(uint64_t k)
{
	return k ? k : 1;
}

static size_t slot(const struct u64map *m, uint64_t k)
{
	size_t i = (size_t)(k ^ (k >> 29)) & m->mask;

	while (m->slots[i].key && m->slots[i].key != k)
		i = (i + 1) & m->mask;
	return i;
}

static void resize(struct u64map *m, size_t cap)
{
	struct u64map old = *m;

	m->slots = xcalloc(cap, sizeof(*m->slots));
	m->mask = cap - 1;
	for (size_t i = 0; old.slots && i <= old.mask; i++)
		if (old.slots[i].key)
			m->slots[slot(m, old.slots[i].key)] = old.slots[i];
	free(old.slots);
}

void u64map_prefetch(const struct u64map *m, uint64_t key)
{
	key = fix(key);
	if (m->slots)
		__builtin_prefetch(
			&m->slots[(size_t)(key ^ (key >> 29)) & m->mask]);
}

void u64map_reserve(struct u64map *m, size_t n)
{
	size_t cap = 64;

	while (cap < 2 * n)
		cap *= 2;
	if (!m->slots || cap > m->mask + 1)
		resize(m, cap);
}

int u64map_put(struct u64map *m, uint64_t key, size_t value, size_t *old)
{
	size_t i;

	key = fix(key);
	if (!m->slots || (m->count + 1) * 2 > m->mask + 1)
		resize(m, m->slots ? (m->mask + 1) * 2 : 64);
	i = slot(m, key);
	if (m->slots[i].key) {
		if (old)
			*old = m->slots[i].value;
		return 0;
	}
	m->slots[i].key = key;
	m->slots[i].value = value;
	m->count++;
	return 1;
}

int u64map_get(const struct u64map *m, uint64_t key, size_t *value)
{
	size_t i;

	if (!m->slots)
		return 0;
	i = slot(m, fix(key));
	if (!m->slots[i].key)
		return 0;
	*value = m->slots[i].value;
	return 1;
}

void u64map_release(struct u64map *m)
{
	free(m->slots);
	m->slots = NULL;
	m->mask = m->count = 0;
}
