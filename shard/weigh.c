/*
 * The history is read once into a hash map (key -> estimate); files get
 * the sum of their top-level tests (a Go subtest whose parent is known is
 * already inside its parent's time). Relatives are found by grouping the
 * listed ids by prefix (class, file, directory): (group, seconds) pairs
 * sorted by group give each group's median without a map per level.
 */
#include "weigh.h"

#include <stdlib.h>
#include <string.h>

#include "estimate.h"
#include "identity.h"
#include "strbuf.h"
#include "util.h"
#include "banned.h"

static const char *const source_names[WEIGH__COUNT] = {
	"history", "file", "class", "same_file", "directory", "median", "equal",
};

const char *weigh_source_name(enum weigh_source s)
{
	return source_names[s];
}

struct history {
	struct pool pool;
	struct strmap tests;          /* key -> index */
	double *est;
	const char **parent, **file;
	size_t nr, alloc;
	struct strmap files;          /* file -> index into file_sum */
	double *file_sum;
	const char **file_name;
	size_t nfiles, alloc_files;
	struct strmap basenames;      /* a file's last component -> index */
	struct strmap ambiguous;      /* basenames that name several files */
};

static int take_estimate(void *data, const struct store_estimate *e)
{
	struct history *h = data;
	const char *key = pool_strdup(&h->pool, e->key);

	if (!strmap_put(&h->tests, key, strlen(key), h->nr, NULL))
		return 0;
	ALLOC_GROW(h->est, h->nr + 1, h->alloc);
	h->parent = xrealloc(h->parent, h->alloc * sizeof(*h->parent));
	h->file = xrealloc(h->file, h->alloc * sizeof(*h->file));
	h->est[h->nr] = e->seconds;
	h->parent[h->nr] = e->parent_key ? pool_strdup(&h->pool, e->parent_key)
					 : NULL;
	h->file[h->nr] = e->file ? pool_strdup(&h->pool, e->file) : NULL;
	h->nr++;
	return 0;
}

static size_t file_slot(struct history *h, const char *file)
{
	size_t idx;

	if (strmap_get(&h->files, file, strlen(file), &idx))
		return idx;
	ALLOC_GROW(h->file_sum, h->nfiles + 1, h->alloc_files);
	h->file_name = xrealloc(h->file_name,
				h->alloc_files * sizeof(*h->file_name));
	h->file_sum[h->nfiles] = 0;
	h->file_name[h->nfiles] = file;
	strmap_put(&h->files, file, strlen(file), h->nfiles, NULL);
	return h->nfiles++;
}

static const char *basename_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/*
 * Reports name files relative to different roots (jest-junit's suite is
 * a basename, or a path under the package); index each file by its last
 * component so that a listed path can find it when that is unambiguous.
 */
static void index_basenames(struct history *h)
{
	for (size_t i = 0; i < h->nfiles; i++) {
		const char *b = basename_of(h->file_name[i]);

		if (!strmap_put(&h->basenames, b, strlen(b), i, NULL))
			strmap_put(&h->ambiguous, b, strlen(b), i, NULL);
	}
}

/* 1 if the shorter of a and b is the longer's tail at a '/' boundary. */
static int same_file_tail(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	const char *lng = la >= lb ? a : b, *sht = la >= lb ? b : a;
	size_t ll = la >= lb ? la : lb, ls = la >= lb ? lb : la;

	return !strcmp(lng + ll - ls, sht) && (ll == ls || lng[ll - ls - 1] == '/');
}

static void sum_files(struct history *h)
{
	size_t idx;

	for (size_t i = 0; i < h->nr; i++) {
		if (!h->file[i])
			continue;
		if (h->parent[i] && strmap_get(&h->tests, h->parent[i],
					       strlen(h->parent[i]), &idx))
			continue;
		idx = file_slot(h, h->file[i]);
		h->file_sum[idx] += h->est[i];
	}
	index_basenames(h);
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

static void history_release(struct history *h)
{
	pool_release(&h->pool);
	strmap_release(&h->tests);
	strmap_release(&h->files);
	strmap_release(&h->basenames);
	strmap_release(&h->ambiguous);
	free(h->file_name);
	free(h->est);
	free(h->parent);
	free(h->file);
	free(h->file_sum);
}

/* The history file a listed path names, or SIZE_MAX. */
static size_t find_file(const struct history *h, const char *id,
			struct strbuf *tmp)
{
	char *base = xstrndup(id, identity_file_len(id));
	const char *b;
	size_t idx;

	strbuf_reset(tmp);
	identity_path(tmp, base);
	free(base);
	if (strmap_get(&h->files, tmp->buf, tmp->len, &idx))
		return idx;
	b = basename_of(tmp->buf);
	if (strmap_get(&h->ambiguous, b, strlen(b), &idx) ||
	    !strmap_get(&h->basenames, b, strlen(b), &idx) ||
	    !same_file_tail(tmp->buf, h->file_name[idx]))
		return SIZE_MAX;
	return idx;
}

/*
 * Listed ids history knows by key, else listed paths by their file: the
 * sum of its tests and its set-up, shared among the listed ids that name
 * that file (RSpec examples "spec/x_spec.rb:12" and "...[1:2]").
 */
static void weigh_known(const struct history *h, const char *const *ids,
			size_t n, struct weights *w)
{
	struct strbuf key = STRBUF_INIT, tmp = STRBUF_INIT;
	size_t *file_of = xmalloc((n ? n : 1) * sizeof(*file_of));
	size_t *listed = xcalloc(h->nfiles ? h->nfiles : 1, sizeof(*listed));
	size_t idx;

	for (size_t i = 0; i < n; i++) {
		strbuf_reset(&key);
		identity_key(&key, ids[i]);
		w->source[i] = WEIGH__COUNT;
		file_of[i] = SIZE_MAX;
		if (strmap_get(&h->tests, key.buf, key.len, &idx)) {
			w->seconds[i] = h->est[idx];
			w->source[i] = WEIGH_HISTORY;
		} else if (identity_kind(ids[i]) == IDENTITY_PATH &&
			   (file_of[i] = find_file(h, ids[i], &tmp)) != SIZE_MAX) {
			listed[file_of[i]]++;
		}
	}
	for (size_t i = 0; i < n; i++) {
		const char *f;

		if (file_of[i] == SIZE_MAX)
			continue;
		f = h->file_name[file_of[i]];
		w->seconds[i] = (h->file_sum[file_of[i]] +
				 weigh_file_overhead(w, f, strlen(f))) /
				(double)listed[file_of[i]];
		w->source[i] = WEIGH_FILE;
	}
	free(listed);
	free(file_of);
	strbuf_release(&key);
	strbuf_release(&tmp);
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
				       pairs[a + (b - a) / 2].seconds) / 2;
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

int weigh_tests(struct store *st, const char *const *ids, size_t n,
		struct weights *w, struct shard_error *err)
{
	struct history h = { 0 };
	int r = 0;

	memset(w, 0, sizeof(*w));
	w->seconds = xcalloc(n ? n : 1, sizeof(*w->seconds));
	w->source = xcalloc(n ? n : 1, 1);
	if (st && ((r = st->ops->each_estimate(st, take_estimate, &h, err)) ||
		   (r = st->ops->each_file_overhead(st, take_overhead, w, err))))
		goto out;
	sum_files(&h);
	weigh_known(&h, ids, n, w);
	fill_level(ids, n, w, identity_class_len, WEIGH_CLASS);
	fill_level(ids, n, w, identity_file_len, WEIGH_SAMEFILE);
	fill_level(ids, n, w, identity_dir_len, WEIGH_DIR);
	fill_median(n, w);
	for (size_t i = 0; i < n; i++)
		w->count[w->source[i]]++;
out:
	history_release(&h);
	return r;
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
	char *base;
	double s;

	if (identity_kind(id) == IDENTITY_PATH)
		return 0;
	base = xstrndup(id, len);
	identity_path(&path, base);
	s = weigh_file_overhead(w, path.buf, path.len);
	strbuf_release(&path);
	free(base);
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
