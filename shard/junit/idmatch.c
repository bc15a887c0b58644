#include "shard/junit/idmatch.h"

#include "shard/identity.h"
#include "shard/util/banned.h"

static uint64_t hash_of(const struct strbuf *sb)
{
	uint64_t h = identity_hash(sb->buf, sb->len);

	return h ? h : 1;
}

/* The key an id is indexed under, in m->key; 1 when it names a file. */
static int id_key(struct idmatch *m, const char *id)
{
	int is_file = identity_kind(id) == IDENTITY_PATH;

	strbuf_reset(&m->key);
	if (is_file)
		identity_file_path(&m->key, id);
	else
		identity_key(&m->key, id);
	return is_file;
}

void idmatch_init(struct idmatch *m, const char *const *ids, size_t n)
{
	struct u64map empty = U64MAP_INIT;

	m->by_key = empty;
	m->by_file = empty;
	strbuf_init(&m->key, 0);
	for (size_t i = 0; i < n; i++) {
		int is_file = id_key(m, ids[i]);

		u64map_put(is_file ? &m->by_file : &m->by_key, hash_of(&m->key),
			   i, NULL);
	}
}

size_t idmatch_case(struct idmatch *m, const struct junit_case *c)
{
	const struct junit_suite *su = c->suite;
	size_t ix = IDMATCH_NONE;

	strbuf_reset(&m->key);
	identity_case_key(&m->key, c->classname, c->name, c->file,
			  su ? su->file : NULL, su ? su->name : NULL);
	if (u64map_get(&m->by_key, hash_of(&m->key), &ix))
		return ix;
	strbuf_reset(&m->key);
	if (identity_case_file(&m->key, c->file, su ? su->file : NULL,
			       su ? su->name : NULL))
		u64map_get(&m->by_file, hash_of(&m->key), &ix);
	return ix;
}

size_t idmatch_id(struct idmatch *m, const char *id)
{
	int is_file = id_key(m, id);
	size_t ix = IDMATCH_NONE;

	u64map_get(is_file ? &m->by_file : &m->by_key, hash_of(&m->key), &ix);
	return ix;
}

void idmatch_release(struct idmatch *m)
{
	u64map_release(&m->by_key);
	u64map_release(&m->by_file);
	strbuf_release(&m->key);
}
