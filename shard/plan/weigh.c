/*
 * Weighing joins the listed ids with history by the 64-bit hash of their
 * canonical keys (identity_hash, stored beside each key): a map of the
 * listed ids, then one scan of history's (hash, estimate) pairs, so that a
 * million tests cost one map and no string copies. History's pairs are
 * read on a second thread while the listed ids are hashed (the two take
 * about as long), then looked up in the order history gave them, so the
 * result does not depend on the threads' timing. Files are read only
 * when a listed path is not itself a key: each gets the sum of its
 * top-level tests (a Go subtest whose parent is known is already inside
 * its parent's time). Relatives are found, only for what is still
 * unknown, by grouping the listed ids by prefix (class, file, directory):
 * (group, seconds) pairs sorted by group give each group's median.
 */
#include "shard/plan/weigh.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "shard/estimate.h"
#include "shard/identity.h"
#include "shard/util/strbuf.h"
#include "shard/util/u64map.h"
#include "shard/util/util.h"
#include "shard/util/banned.h"

static const char *const source_names[WEIGH__COUNT] = {
	"history", "file", "class", "same_file", "directory", "median", "equal",
};

const char *weigh_source_name(enum weigh_source s)
{
	return source_names[s];
}

#define BATCH 32 /* probes prefetched together */

/* The listed ids by key hash, for the scan of history. */
struct listed {
	const char *const *ids;
	size_t n;
	uint64_t *hash;
	struct u64map by_hash; /* hash -> first listed index */
	struct weights *w;
	uint64_t pending_hash[BATCH]; /* history rows not yet looked up */
	double pending_seconds[BATCH];
	size_t npending;
};

/* History's files, for listed paths that are not keys themselves. */
struct files {
	struct pool pool;
	struct strmap by_path; /* file -> index */
	double *sum;
	const char **name;
	size_t nr, alloc;
	struct strmap basenames; /* a file's last component -> index */
	struct strmap ambiguous; /* basenames that name several files */
};

static void flush_pending(struct listed *l)
{
	size_t i;

	for (size_t q = 0; q < l->npending; q++)
		u64map_prefetch(&l->by_hash, l->pending_hash[q]);
	for (size_t q = 0; q < l->npending; q++)
		if (u64map_get(&l->by_hash, l->pending_hash[q], &i)) {
			l->w->seconds[i] = l->pending_seconds[q];
			l->w->source[i] = WEIGH_HISTORY;
		}
	l->npending = 0;
}

static int take_key_estimate(void *data, uint64_t hash, double seconds)
{
	struct listed *l = data;

	l->pending_hash[l->npending] = hash;
	l->pending_seconds[l->npending++] = seconds;
	if (l->npending == BATCH)
		flush_pending(l);
	return 0;
}

struct scan_row {
	uint64_t hash;
	double seconds;
};

/* History's (key hash, estimate) rows, read on their own thread. */
struct scan {
	struct store *st;
	struct scan_row *rows;
	size_t nr, alloc;
	struct shard_error err;
	int r;
};

static int keep_key_estimate(void *data, const struct store_estimate *e)
{
	struct scan *s = data;

	ALLOC_GROW(s->rows, s->nr + 1, s->alloc);
	s->rows[s->nr].hash = e->key_hash;
	s->rows[s->nr++].seconds = e->seconds;
	return 0;
}

static void *scan_history(void *data)
{
	struct scan *s = data;

	s->r = store_each_estimate(s->st, STORE_ESTIMATE_HASH,
				   keep_key_estimate, s, &s->err);
	return NULL;
}

static void hash_listed(struct listed *l)
{
	struct strbuf key = STRBUF_INIT;

	l->hash = xmalloc((l->n ? l->n : 1) * sizeof(*l->hash));
	u64map_reserve(&l->by_hash, l->n);
	for (size_t i = 0; i < l->n; i++) {
		strbuf_reset(&key);
		identity_key(&key, l->ids[i]);
		l->hash[i] = identity_hash(key.buf, key.len);
		l->w->source[i] = WEIGH__COUNT;
	}
	for (size_t i = 0; i < l->n; i++) {
		if (i + BATCH < l->n)
			u64map_prefetch(&l->by_hash, l->hash[i + BATCH]);
		u64map_put(&l->by_hash, l->hash[i], i, NULL);
	}
	strbuf_release(&key);
}

/* Two listed ids with one key ("./a.rb", "a.rb"): both get its time. */
static void copy_same_keys(struct listed *l)
{
	struct weights *w = l->w;
	size_t j;

	for (size_t i = 0; i < l->n; i++)
		if (w->source[i] == WEIGH__COUNT &&
		    u64map_get(&l->by_hash, l->hash[i], &j) &&
		    w->source[j] == WEIGH_HISTORY) {
			w->seconds[i] = w->seconds[j];
			w->source[i] = WEIGH_HISTORY;
		}
}

static const char *basename_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static int take_file_sum(void *data, const char *file, double seconds)
{
	struct files *f = data;
	const char *name = pool_strdup(&f->pool, file);
	const char *b = basename_of(name);

	ALLOC_GROW(f->sum, f->nr + 1, f->alloc);
	f->name = xrealloc(f->name, f->alloc * sizeof(*f->name));
	f->sum[f->nr] = seconds;
	f->name[f->nr] = name;
	strmap_put(&f->by_path, name, strlen(name), f->nr, NULL);
	/*
	 * Reports name files relative to different roots (jest-junit's
	 * suite is a basename, or a path under the package): index each file
	 * by its last component too, for when that is unambiguous.
	 */
	if (!strmap_put(&f->basenames, b, strlen(b), f->nr, NULL))
		strmap_put(&f->ambiguous, b, strlen(b), f->nr, NULL);
	f->nr++;
	return 0;
}

/* 1 if the shorter of a and b is the longer's tail at a '/' boundary. */
static int same_file_tail(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	const char *lng = la >= lb ? a : b, *sht = la >= lb ? b : a;
	size_t ll = la >= lb ? la : lb, ls = la >= lb ? lb : la;

	return !strcmp(lng + ll - ls, sht) &&
	       (ll == ls || lng[ll - ls - 1] == '/');
}

static int take_overhead(void *data, const char *file, double seconds)
{
	struct weights *w = data;
	const char *key = pool_strdup(&w->pool, file);

	ALLOC_GROW(w->overhead_seconds, w->noverhead + 1, w->alloc_overhead);
	w->overhead_seconds[w->noverhead] = seconds;
	if (strmap_put(&w->overhead, key, strlen(key), w->noverhead, NULL))
		w->noverhead++;
	return 0;
}

static void files_release(struct files *f)
{
	pool_release(&f->pool);
	strmap_release(&f->by_path);
	strmap_release(&f->basenames);
	strmap_release(&f->ambiguous);
	free(f->sum);
	free(f->name);
}

/* The history file a listed path names, or SIZE_MAX. */
static size_t find_file(const struct files *f, const char *id,
			struct strbuf *tmp)
{
	const char *b;
	size_t idx;

	strbuf_reset(tmp);
	identity_file_path(tmp, id);
	if (strmap_get(&f->by_path, tmp->buf, tmp->len, &idx))
		return idx;
	b = basename_of(tmp->buf);
	if (strmap_get(&f->ambiguous, b, strlen(b), &idx) ||
	    !strmap_get(&f->basenames, b, strlen(b), &idx) ||
	    !same_file_tail(tmp->buf, f->name[idx]))
		return SIZE_MAX;
	return idx;
}

/*
 * Listed paths history does not know as keys, by their file: the sum of
 * its tests and its set-up, shared among the listed ids that name that
 * file (RSpec examples "spec/x_spec.rb:12" and "...[1:2]").
 */
static void weigh_files(const struct files *f, const char *const *ids, size_t n,
			struct weights *w)
{
	struct strbuf tmp = STRBUF_INIT;
	size_t *file_of = xmalloc((n ? n : 1) * sizeof(*file_of));
	size_t *listed = xcalloc(f->nr ? f->nr : 1, sizeof(*listed));

	for (size_t i = 0; i < n; i++) {
		file_of[i] = SIZE_MAX;
		if (w->source[i] == WEIGH__COUNT &&
		    identity_kind(ids[i]) == IDENTITY_PATH &&
		    (file_of[i] = find_file(f, ids[i], &tmp)) != SIZE_MAX)
			listed[file_of[i]]++;
	}
	for (size_t i = 0; i < n; i++) {
		const char *name;

		if (file_of[i] == SIZE_MAX)
			continue;
		name = f->name[file_of[i]];
		w->seconds[i] = (f->sum[file_of[i]] +
				 weigh_file_overhead(w, name, strlen(name))) /
				(double)listed[file_of[i]];
		w->source[i] = WEIGH_FILE;
	}
	free(listed);
	free(file_of);
	strbuf_release(&tmp);
}

static int unknown_paths(const char *const *ids, size_t n,
			 const struct weights *w)
{
	for (size_t i = 0; i < n; i++)
		if (w->source[i] == WEIGH__COUNT &&
		    identity_kind(ids[i]) == IDENTITY_PATH)
			return 1;
	return 0;
}

struct pair {
	size_t group;
	double seconds;
};

static int cmp_pair(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	return (x->seconds > y->seconds) - (x->seconds < y->seconds);
}

static int is_known(const struct weights *w, size_t i)
{
	return w->source[i] < WEIGH_CLASS;
}

/*
 * Give every still-unweighed id the median of the weighed ids sharing its
 * group at this level (class, file or directory).
 */
static void fill_level(const char *const *ids, size_t n, struct weights *w,
		       size_t (*group_len)(const char *), unsigned char source)
{
	struct strmap groups = STRMAP_INIT;
	struct pair *pairs = xmalloc(n * sizeof(*pairs));
	double *median;
	size_t np = 0, ng = 0, g, len;

	for (size_t i = 0; i < n; i++) {
		if (!is_known(w, i) || !(len = group_len(ids[i])))
			continue;
		if (strmap_put(&groups, ids[i], len, ng, &g))
			g = ng++;
		pairs[np].group = g;
		pairs[np++].seconds = w->seconds[i];
	}
	qsort(pairs, np, sizeof(*pairs), cmp_pair);
	median = xcalloc(ng ? ng : 1, sizeof(*median));
	for (size_t a = 0, b; a < np; a = b) {
		for (b = a; b < np && pairs[b].group == pairs[a].group; b++)
			;
		median[pairs[a].group] =
			(b - a) % 2 ? pairs[a + (b - a) / 2].seconds
				    : (pairs[a + (b - a) / 2 - 1].seconds +
				       pairs[a + (b - a) / 2].seconds) /
					      2;
	}
	for (size_t i = 0; i < n; i++) {
		if (w->source[i] != WEIGH__COUNT || !(len = group_len(ids[i])))
			continue;
		if (strmap_get(&groups, ids[i], len, &g)) {
			w->seconds[i] = median[g];
			w->source[i] = source;
		}
	}
	free(median);
	free(pairs);
	strmap_release(&groups);
}

static void fill_median(size_t n, struct weights *w)
{
	double *v = xmalloc((n ? n : 1) * sizeof(*v));
	size_t k = 0;
	double m;

	for (size_t i = 0; i < n; i++)
		if (is_known(w, i))
			v[k++] = w->seconds[i];
	w->equal = k == 0;
	m = k ? estimate_median(v, k) : 1.0;
	for (size_t i = 0; i < n; i++)
		if (w->source[i] == WEIGH__COUNT) {
			w->seconds[i] = m;
			w->source[i] = k ? WEIGH_MEDIAN : WEIGH_EQUAL;
		}
	free(v);
}

/*
 * Hash the listed ids while history's pairs are read (on the caller's
 * thread if no other can be started), then join them.
 */
static int join_history(struct listed *l, struct store *st,
			struct shard_error *err)
{
	/* history mostly knows about as many tests as are listed */
	struct scan s = { .st = st, .alloc = l->n, .err = SHARD_ERROR_INIT };
	pthread_t reader;
	int threaded;

	s.rows = xmalloc(s.alloc * sizeof(*s.rows));
	threaded = st && !pthread_create(&reader, NULL, scan_history, &s);
	if (st && !threaded)
		scan_history(&s);
	hash_listed(l);
	if (threaded)
		pthread_join(reader, NULL);
	for (size_t q = 0; q < s.nr && !s.r; q++)
		take_key_estimate(l, s.rows[q].hash, s.rows[q].seconds);
	flush_pending(l);
	free(s.rows);
	return s.r ? shard_error_set(err, s.r, "%s", s.err.msg) : 0;
}

static int weigh_history(struct store *st, const char *const *ids, size_t n,
			 struct weights *w, struct shard_error *err)
{
	struct listed l = { .ids = ids, .n = n, .w = w };
	struct files f = { 0 };
	int r = 0;

	if ((r = join_history(&l, st, err)) ||
	    (st && (r = store_each_file_overhead(st, take_overhead, w, err))))
		goto out;
	copy_same_keys(&l);
	if (st && unknown_paths(ids, n, w)) {
		if ((r = store_each_file_sum(st, take_file_sum, &f, err)))
			goto out;
		weigh_files(&f, ids, n, w);
	}
out:
	files_release(&f);
	u64map_release(&l.by_hash);
	free(l.hash);
	return r;
}

int weigh_tests(struct store *st, const char *const *ids, size_t n,
		struct weights *w, struct shard_error *err)
{
	size_t unknown = 0;
	int r;

	memset(w, 0, sizeof(*w));
	w->seconds = xcalloc(n ? n : 1, sizeof(*w->seconds));
	w->source = xcalloc(n ? n : 1, 1);
	if ((r = weigh_history(st, ids, n, w, err)))
		return r;
	for (size_t i = 0; i < n; i++)
		unknown += w->source[i] == WEIGH__COUNT;
	if (unknown) {
		fill_level(ids, n, w, identity_class_len, WEIGH_CLASS);
		fill_level(ids, n, w, identity_file_len, WEIGH_SAMEFILE);
		fill_level(ids, n, w, identity_dir_len, WEIGH_DIR);
		fill_median(n, w);
	}
	for (size_t i = 0; i < n; i++)
		w->count[w->source[i]]++;
	return 0;
}

double weigh_file_overhead(const struct weights *w, const char *file,
			   size_t len)
{
	size_t idx;

	if (!strmap_get(&w->overhead, file, len, &idx))
		return 0;
	return w->overhead_seconds[idx];
}

double weigh_group_overhead(void *data, const char *id, size_t len)
{
	const struct weights *w = data;
	struct strbuf path = STRBUF_INIT;
	double s;

	if (identity_kind(id) == IDENTITY_PATH)
		return 0;
	identity_path_n(&path, id, len);
	s = weigh_file_overhead(w, path.buf, path.len);
	strbuf_release(&path);
	return s;
}

void weigh_release(struct weights *w)
{
	free(w->seconds);
	free(w->source);
	free(w->overhead_seconds);
	strmap_release(&w->overhead);
	pool_release(&w->pool);
	memset(w, 0, sizeof(*w));
}
