/*
 * Items are the indivisible units (a test, or a class or file group).
 * Ids are sorted once by their bytes; groups, sums and each shard's test
 * list all follow that order, which makes the result independent of the
 * input order and byte-identical across machines (doubles are only ever
 * added, in one fixed order).
 */
#include "shard/plan/plan.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shard/identity.h"
#include "shard/util/digest.h"
#include "shard/util/strbuf.h"
#include "shard/util/strmap.h"
#include "shard/util/util.h"
#include "shard/util/banned.h"

#define IMPROVE_CANDIDATES 4

/* 32 bytes: a million of them are written, sorted and read again. */
struct item {
	double seconds;
	const char *name; /* tie-break: the id, or the group's prefix */
	uint32_t name_len;
	uint32_t first, count; /* members in the sorted id order */
	uint32_t shard;
};

struct work {
	const struct plan_request *req;
	size_t *order;   /* id indexes sorted by bytes */
	size_t *members; /* id indexes grouped by item, sorted within */
	struct item *items;
	size_t nitems;
	size_t **shard_items; /* item indexes per shard */
	size_t *shard_nr, *shard_alloc;
	double *load;
};

struct keyed {
	const char *id;
	size_t index;
};

static const char *const by_names[] = { "test", "class", "file" };

int plan_by_parse(const char *name, enum plan_by *out)
{
	for (size_t i = 0; i < sizeof(by_names) / sizeof(*by_names); i++)
		if (name && !strcmp(name, by_names[i])) {
			*out = (enum plan_by)i;
			return 0;
		}
	return -1;
}

const char *plan_by_name(enum plan_by by)
{
	return by_names[by];
}

static int cmp_keyed(const void *a, const void *b)
{
	return strcmp(((const struct keyed *)a)->id,
		      ((const struct keyed *)b)->id);
}

static size_t *sorted_order(const char *const *ids, size_t n)
{
	struct keyed *k = xmalloc((n ? n : 1) * sizeof(*k));
	size_t *order = xmalloc((n ? n : 1) * sizeof(*order));

	for (size_t i = 0; i < n; i++) {
		k[i].id = ids[i];
		k[i].index = i;
	}
	qsort(k, n, sizeof(*k), cmp_keyed);
	for (size_t i = 0; i < n; i++)
		order[i] = k[i].index;
	free(k);
	return order;
}

static size_t group_len(enum plan_by by, const char *id)
{
	switch (by) {
	case PLAN_BY_CLASS:
		return identity_class_len(id);
	case PLAN_BY_FILE:
		return identity_file_len(id);
	case PLAN_BY_TEST:
		break;
	}
	return strlen(id);
}

/* One item per test, or per group of tests sharing a class or file. */
static void build_items(struct work *w)
{
	const struct plan_request *r = w->req;
	struct strmap groups = STRMAP_INIT;
	size_t *group_of = xmalloc((r->n ? r->n : 1) * sizeof(*group_of));
	size_t *fill;

	w->items = xcalloc(r->n ? r->n : 1, sizeof(*w->items));
	for (size_t k = 0; k < r->n; k++) {
		size_t i = w->order[k], g;
		const char *id = r->ids[i];
		size_t len = group_len(r->by, id);

		if (strmap_put(&groups, id, len, w->nitems, &g)) {
			g = w->nitems++;
			w->items[g].name = id;
			w->items[g].name_len = (uint32_t)len;
		}
		group_of[k] = g;
		w->items[g].count++;
		w->items[g].seconds += r->seconds[i];
	}
	for (size_t g = 1; g < w->nitems; g++)
		w->items[g].first =
			w->items[g - 1].first + w->items[g - 1].count;
	fill = xcalloc(w->nitems ? w->nitems : 1, sizeof(*fill));
	w->members = xmalloc((r->n ? r->n : 1) * sizeof(*w->members));
	for (size_t k = 0; k < r->n; k++) {
		struct item *it = &w->items[group_of[k]];

		w->members[it->first + fill[group_of[k]]++] = w->order[k];
	}
	if (r->by == PLAN_BY_FILE && r->file_overhead)
		for (size_t g = 0; g < w->nitems; g++)
			w->items[g].seconds +=
				r->file_overhead(r->data, w->items[g].name,
						 w->items[g].name_len);
	free(fill);
	free(group_of);
	strmap_release(&groups);
}

/* --by test: every id its own item; no grouping, no global sort. */
static void build_test_items(struct work *w)
{
	const struct plan_request *r = w->req;

	w->items = xcalloc(r->n ? r->n : 1, sizeof(*w->items));
	w->members = xmalloc((r->n ? r->n : 1) * sizeof(*w->members));
	for (size_t i = 0; i < r->n; i++) {
		struct item *it = &w->items[i];

		it->seconds = r->seconds[i];
		it->name = r->ids[i];
		it->name_len =
			(uint32_t)(r->lens ? r->lens[i] : strlen(r->ids[i]));
		it->first = (uint32_t)i;
		it->count = 1;
		w->members[i] = i;
	}
	w->nitems = r->n;
}

static int cmp_item(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
	int c;

	if (x->seconds != y->seconds)
		return x->seconds > y->seconds ? -1 : 1;
	c = memcmp(x->name, y->name, n);
	if (c)
		return c;
	return (x->name_len > y->name_len) - (x->name_len < y->name_len);
}

/*
 * Sort items by (seconds desc, name asc). Seconds are non-negative
 * doubles, whose bit patterns sort as unsigned integers: an LSD radix sort
 * on 16-bit digits orders a million of them in four linear passes; the
 * items are gathered in that order, and only runs of equal seconds are
 * then sorted by name.
 */
static uint64_t desc_key(double seconds)
{
	uint64_t bits;

	if (!(seconds > 0))
		seconds = 0; /* -0.0 and NaN sort with zero */
	memcpy(&bits, &seconds, sizeof(bits));
	return ~bits;
}

/*
 * Gather the items in the order of r into a new array: one random read
 * per item, prefetched a few items ahead, and sequential writes. A run of
 * equal seconds is sorted by name as soon as it is gathered, while the
 * names prefetched for it are still in cache.
 */
static void gather(struct work *w, const struct shard_ranked *r)
{
	size_t n = w->nitems;
	struct item *sorted = xmalloc((n ? n : 1) * sizeof(*sorted));

	for (size_t i = 0, run = 0; i < n; i++) {
		if (i + 32 < n)
			__builtin_prefetch(&w->items[r[i + 32].value]);
		if (i + 16 < n)
			__builtin_prefetch(w->items[r[i + 16].value].name);
		sorted[i] = w->items[r[i].value];
		if (i + 1 < n && r[i + 1].key == r[i].key)
			continue;
		if (i > run)
			qsort(sorted + run, i + 1 - run, sizeof(*sorted),
			      cmp_item);
		run = i + 1;
	}
	free(w->items);
	w->items = sorted;
}

static void sort_items(struct work *w)
{
	size_t n = w->nitems;
	struct shard_ranked *r = xmalloc((n ? n : 1) * sizeof(*r));
	struct shard_ranked *tmp = xmalloc((n ? n : 1) * sizeof(*tmp));

	/* keys: ~bits of seconds, so that ascending is longest first */
	for (size_t i = 0; i < n; i++) {
		r[i].key = desc_key(w->items[i].seconds);
		r[i].value = i;
	}
	shard_radix_sort(r, tmp, n);
	free(tmp);
	gather(w, r);
	free(r);
}

/*
 * A binary min-heap of shards keyed by (load, items, index), each entry
 * holding its shard's load: a million placements sift through it without
 * a lookup on the side. Between equal loads the shard with fewer items
 * comes first, so that tests history times at 0 s (reports that round
 * fast tests to 0) spread over the shards instead of piling onto one.
 */
struct heap_entry {
	double load;
	size_t items;
	size_t shard;
};

static int heap_less(const struct heap_entry *x, const struct heap_entry *y)
{
	if (x->load != y->load)
		return x->load < y->load;
	if (x->items != y->items)
		return x->items < y->items;
	return x->shard < y->shard;
}

static void heap_down(struct heap_entry *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		struct heap_entry t;

		if (l < n && heap_less(&h[l], &h[m]))
			m = l;
		if (r < n && heap_less(&h[r], &h[m]))
			m = r;
		if (m == i)
			return;
		t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

static void shard_push_item(struct work *w, size_t s, size_t item)
{
	ALLOC_GROW(w->shard_items[s], w->shard_nr[s] + 1, w->shard_alloc[s]);
	w->shard_items[s][w->shard_nr[s]++] = item;
	w->items[item].shard = (uint32_t)s;
}

/* Each item onto the least-loaded shard; only the item records where. */
static void lpt(struct work *w, size_t k)
{
	struct heap_entry *h = xmalloc(k * sizeof(*h));

	for (size_t s = 0; s < k; s++) {
		h[s].load = 0;
		h[s].items = 0;
		h[s].shard = s;
	}
	for (size_t i = 0; i < w->nitems; i++) {
		h[0].load += w->items[i].seconds;
		h[0].items++;
		w->items[i].shard = (uint32_t)h[0].shard;
		heap_down(h, k, 0);
	}
	for (size_t s = 0; s < k; s++)
		w->load[h[s].shard] = h[s].load;
	free(h);
}

/* Each shard's items in placement order, for the improvement pass. */
static void list_shard_items(struct work *w, size_t k)
{
	for (size_t i = 0; i < w->nitems; i++)
		w->shard_alloc[w->items[i].shard]++;
	for (size_t s = 0; s < k; s++)
		w->shard_items[s] =
			xmalloc(w->shard_alloc[s] * sizeof(**w->shard_items));
	for (size_t i = 0; i < w->nitems; i++) {
		size_t s = w->items[i].shard;

		w->shard_items[s][w->shard_nr[s]++] = i;
	}
}

struct choice {
	double best; /* the pair's new longer load */
	size_t a, b; /* positions in the max shard / other shard */
	int found, swap;
};

static void consider(struct choice *c, double la, double lb, double x, double y,
		     size_t pa, size_t pb, int swap)
{
	double na = la - x + y, nb = lb + x - y;
	double worse = na > nb ? na : nb;

	if (worse < la && (!c->found || worse < c->best)) {
		c->best = worse;
		c->a = pa;
		c->b = pb;
		c->found = 1;
		c->swap = swap;
	}
}

struct ranked {
	double seconds;
	size_t pos;
};

static int cmp_ranked(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	if (x->seconds != y->seconds)
		return x->seconds < y->seconds ? -1 : 1;
	return (x->pos > y->pos) - (x->pos < y->pos);
}

/* Best move of one item from shard m to j, or swap of a pair. */
static struct choice best_exchange(const struct work *w, size_t m, size_t j)
{
	struct choice c = { 0 };
	size_t nj = w->shard_nr[j];
	struct ranked *r = xmalloc((nj ? nj : 1) * sizeof(*r));
	double la = w->load[m], lb = w->load[j], diff = la - lb;

	for (size_t q = 0; q < nj; q++) {
		r[q].seconds = w->items[w->shard_items[j][q]].seconds;
		r[q].pos = q;
	}
	qsort(r, nj, sizeof(*r), cmp_ranked);
	for (size_t p = 0; p < w->shard_nr[m]; p++) {
		double x = w->items[w->shard_items[m][p]].seconds;
		double want = x - diff / 2;
		size_t lo = 0, hi = nj;

		consider(&c, la, lb, x, 0, p, 0, 0);
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (r[mid].seconds < want)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < nj)
			consider(&c, la, lb, x, r[lo].seconds, p, r[lo].pos, 1);
		if (lo > 0)
			consider(&c, la, lb, x, r[lo - 1].seconds, p,
				 r[lo - 1].pos, 1);
	}
	free(r);
	return c;
}

static void apply(struct work *w, size_t m, size_t j, const struct choice *c)
{
	size_t x = w->shard_items[m][c->a];
	double dx = w->items[x].seconds, dy = 0;

	w->shard_items[m][c->a] = w->shard_items[m][--w->shard_nr[m]];
	if (c->swap) {
		size_t y = w->shard_items[j][c->b];

		dy = w->items[y].seconds;
		w->shard_items[j][c->b] = w->shard_items[j][--w->shard_nr[j]];
		shard_push_item(w, m, y);
	}
	shard_push_item(w, j, x);
	w->load[m] = w->load[m] - dx + dy;
	w->load[j] = w->load[j] + dx - dy;
}

static int load_before(const struct work *w, size_t a, size_t b)
{
	if (w->load[a] != w->load[b])
		return w->load[a] < w->load[b];
	return a < b;
}

/* The up to IMPROVE_CANDIDATES least-loaded shards other than m. */
static size_t lowest(const struct work *w, size_t k, size_t m, size_t *out)
{
	size_t n = 0;

	for (size_t s = 0; s < k; s++) {
		size_t at;

		if (s == m)
			continue;
		if (n == IMPROVE_CANDIDATES && !load_before(w, s, out[n - 1]))
			continue;
		if (n < IMPROVE_CANDIDATES)
			n++;
		for (at = n - 1; at > 0 && load_before(w, s, out[at - 1]); at--)
			out[at] = out[at - 1];
		out[at] = s;
	}
	return n;
}

/*
 * The bound no plan can beat (docs/design.md), without overhead: once the
 * longest shard is within a millionth of it, stop (a million tiny tests
 * in a thousand shards would otherwise take thousands of rounds to gain
 * microseconds).
 */
static double bound(const struct work *w, size_t k)
{
	double total = 0, b;

	for (size_t g = 0; g < w->nitems; g++)
		total += w->items[g].seconds;
	b = total / (double)k;
	if (w->nitems && w->items[0].seconds > b)
		b = w->items[0].seconds;
	if (w->nitems > k && w->items[k - 1].seconds + w->items[k].seconds > b)
		b = w->items[k - 1].seconds + w->items[k].seconds;
	return b;
}

/*
 * Each exchange looks at every item of the two shards, so the pass gets a
 * budget of item visits (a fixed multiple of the item count, the same on
 * every machine): with many small items per shard LPT is already within a
 * hair of the bound and the pass would spend seconds to gain microseconds.
 */
static void improve(struct work *w, size_t k)
{
	size_t cand[IMPROVE_CANDIDATES];
	double floor = bound(w, k) * (1 + 1e-6) + 1e-6;
	size_t budget = 20 * w->nitems + 100000;

	for (size_t round = 0; round < 2 * k + 100; round++) {
		size_t m = 0, n;
		int done = 1;

		for (size_t s = 1; s < k; s++)
			if (w->load[s] > w->load[m])
				m = s;
		if (w->load[m] <= floor)
			return;
		n = lowest(w, k, m, cand);
		for (size_t q = 0; q < n && done; q++) {
			struct choice c;
			size_t cost = w->shard_nr[m] + w->shard_nr[cand[q]];

			if (cost > budget)
				return;
			budget -= cost;
			c = best_exchange(w, m, cand[q]);

			if (c.found) {
				apply(w, m, cand[q], &c);
				done = 0;
			}
		}
		if (done)
			return;
	}
}

/*
 * Each shard's ids in byte order, whatever order they were placed in. Ids
 * share long prefixes ("tests/pkg/test_mod.py::"), so comparing strings
 * means a cache miss on each side; the 8 bytes after the shard's common
 * prefix are kept beside each id as a big-endian integer, and most
 * comparisons end there.
 */
struct prefixed {
	uint64_t next8;   /* the bytes after the common prefix */
	const char *rest; /* the id from the common prefix on */
	size_t index;
};

static int prefixed_before(const struct prefixed *x, const struct prefixed *y)
{
	if (x->next8 != y->next8)
		return x->next8 < y->next8;
	return strcmp(x->rest, y->rest) < 0;
}

#define SORT_RUN 8 /* insertion-sorted before merging */

static void insertion_sort(struct prefixed *a, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct prefixed t = a[i];
		size_t j = i;

		for (; j > 0 && prefixed_before(&t, &a[j - 1]); j--)
			a[j] = a[j - 1];
		a[j] = t;
	}
}

static void merge(const struct prefixed *a, size_t mid, size_t n,
		  struct prefixed *out)
{
	size_t i = 0, j = mid, o = 0;

	while (i < mid && j < n)
		out[o++] = prefixed_before(&a[j], &a[i]) ? a[j++] : a[i++];
	while (i < mid)
		out[o++] = a[i++];
	while (j < n)
		out[o++] = a[j++];
}

/*
 * Bottom-up merge sort of a (tmp as large): with the comparison inlined it
 * runs about twice as fast as qsort's indirect calls. Returns whichever of
 * a and tmp holds the result.
 */
static struct prefixed *sort_prefixed(struct prefixed *a, struct prefixed *tmp,
				      size_t n)
{
	for (size_t lo = 0; lo < n; lo += SORT_RUN)
		insertion_sort(a + lo, n - lo < SORT_RUN ? n - lo : SORT_RUN);
	for (size_t width = SORT_RUN; width < n; width *= 2) {
		struct prefixed *t = a;

		for (size_t lo = 0; lo < n; lo += 2 * width) {
			size_t len = n - lo < 2 * width ? n - lo : 2 * width;

			merge(a + lo, len < width ? len : width, len, tmp + lo);
		}
		a = tmp;
		tmp = t;
	}
	return a;
}

static size_t common_prefix(const struct plan *p, const char *const *ids,
			    const struct plan_shard *s)
{
	size_t lcp = s->nr ? strlen(ids[s->tests[0]]) : 0;

	for (size_t q = 1; q < s->nr && lcp; q++) {
		const char *a = ids[s->tests[0]], *b = ids[s->tests[q]];
		size_t i = 0;

		plan_prefetch(p, ids, s, q);
		while (i < lcp && a[i] == b[i])
			i++;
		lcp = i;
	}
	return lcp;
}

static uint64_t next8(const char *s)
{
	uint64_t v = 0;
	int i = 0;

	for (; i < 8 && s[i]; i++)
		v = (v << 8) | (unsigned char)s[i];
	return i ? v << (8 * (8 - i)) : 0; /* shifting by 64 is undefined */
}

static void sort_shard(const struct plan *p, const char *const *ids,
		       struct plan_shard *s)
{
	struct prefixed *k = xmalloc(2 * s->nr * sizeof(*k)), *sorted;
	size_t lcp = common_prefix(p, ids, s);

	for (size_t q = 0; q < s->nr; q++) {
		k[q].rest = ids[s->tests[q]] + lcp;
		k[q].next8 = next8(k[q].rest);
		k[q].index = s->tests[q];
	}
	sorted = sort_prefixed(k, k + s->nr, s->nr);
	for (size_t q = 0; q < s->nr; q++)
		s->tests[q] = sorted[q].index;
	free(k);
}

#define HASH_PIECE 65536 /* bytes fed to the digest at a time */

/* The text the plan hash covers for shard s: "shard <s>\n", ids and "\n". */
static void add_hashed_text(struct strbuf *b, const struct plan *p,
			    const char *const *ids, size_t s)
{
	const struct plan_shard *sh = &p->shards[s];

	strbuf_addf(b, "shard %zu\n", s);
	for (size_t q = 0; q < sh->nr; q++) {
		size_t i = sh->tests[q];

		plan_prefetch(p, ids, sh, q);
		strbuf_add(b, ids[i], p->lens ? p->lens[i] : strlen(ids[i]));
		strbuf_addch(b, '\n');
	}
}

static void feed(struct digest *d, struct strbuf *b, size_t at_least)
{
	if (b->len < at_least)
		return;
	digest_update(d, b->buf, b->len);
	strbuf_reset(b);
}

/*
 * Shards [from, to) sorted, and their hashed text written right after
 * each sort, while its ids are still in cache. The first part feeds the
 * digest as it goes; the second keeps its text until the first is in.
 */
struct part {
	struct plan *p;
	const char *const *ids;
	size_t from, to;
	struct digest *d; /* NULL: keep all the text */
	struct strbuf text;
};

static void *sort_part(void *data)
{
	struct part *t = data;

	for (size_t s = t->from; s < t->to; s++) {
		sort_shard(t->p, t->ids, &t->p->shards[s]);
		add_hashed_text(&t->text, t->p, t->ids, s);
		if (t->d)
			feed(t->d, &t->text, HASH_PIECE);
	}
	return NULL;
}

size_t plan_halfway(const struct plan *p, size_t *total)
{
	size_t s = 0, half = 0;

	*total = 0;
	for (size_t q = 0; q < p->nshards; q++)
		*total += p->shards[q].nr;
	for (; s < p->nshards && 2 * half < *total; s++)
		half += p->shards[s].nr;
	return s;
}

/*
 * Sort every shard and hash the plan, the two halves of the ids on two
 * threads when there are enough of them. Each shard is sorted by one
 * thread alone and the digest takes the halves in order, so the result
 * is the same whichever thread runs first (or when no thread starts).
 */
static void sort_and_hash(struct plan *p, const char *const *ids)
{
	size_t total, mid = plan_halfway(p, &total);
	struct digest *d = digest_new();
	struct part first = { p, ids, 0, mid, d, STRBUF_INIT };
	struct part second = { p, ids, mid, p->nshards, NULL, STRBUF_INIT };
	pthread_t helper;
	int threaded = total >= PLAN_THREAD_MIN_IDS &&
		       !pthread_create(&helper, NULL, sort_part, &second);

	sort_part(&first);
	if (threaded)
		pthread_join(helper, NULL);
	else
		sort_part(&second);
	feed(d, &first.text, 0);
	feed(d, &second.text, 0);
	digest_final_hex(d, p->hash);
	strbuf_release(&first.text);
	strbuf_release(&second.text);
}

static void finish(struct work *w, size_t k, struct plan *p)
{
	const struct plan_request *r = w->req;
	double longest = 0;

	for (size_t g = 0; g < w->nitems; g++)
		p->shards[w->items[g].shard].alloc += w->items[g].count;
	for (size_t s = 0; s < k; s++)
		p->shards[s].tests = xmalloc(p->shards[s].alloc *
					     sizeof(*p->shards[s].tests));
	for (size_t g = 0; g < w->nitems; g++) {
		const struct item *it = &w->items[g];
		struct plan_shard *s = &p->shards[it->shard];

		s->seconds += it->seconds;
		p->total += it->seconds;
		if (it->seconds > longest)
			longest = it->seconds;
		for (size_t q = 0; q < it->count; q++)
			s->tests[s->nr++] = w->members[it->first + q];
	}
	sort_and_hash(p, r->ids);
	p->longest = longest;
	p->items = w->nitems;
	p->lower_bound = p->total / (double)k;
	if (longest > p->lower_bound)
		p->lower_bound = longest;
	if (w->nitems > k &&
	    w->items[k - 1].seconds + w->items[k].seconds > p->lower_bound)
		p->lower_bound = w->items[k - 1].seconds + w->items[k].seconds;
	p->lower_bound += r->shard_overhead;
	for (size_t s = 0; s < k; s++)
		if (p->shards[s].seconds > p->makespan)
			p->makespan = p->shards[s].seconds;
	p->makespan += r->shard_overhead;
}

static void work_release(struct work *w, size_t k)
{
	for (size_t s = 0; w->shard_items && s < k; s++)
		free(w->shard_items[s]);
	free(w->shard_items);
	free(w->shard_nr);
	free(w->shard_alloc);
	free(w->load);
	free(w->items);
	free(w->members);
	free(w->order);
}

int plan_make(const struct plan_request *req, struct plan *out,
	      struct shard_error *err)
{
	struct work w = { 0 };
	size_t k = req->shards;

	memset(out, 0, sizeof(*out));
	if (k < 1)
		return shard_error_set(err, SHARD_EINPUT,
				       "the number of shards must be at least 1");
	w.req = req;
	if (req->by == PLAN_BY_TEST) {
		build_test_items(&w);
	} else {
		w.order = sorted_order(req->ids, req->n);
		build_items(&w);
	}
	sort_items(&w);
	w.shard_items = xcalloc(k, sizeof(*w.shard_items));
	w.shard_nr = xcalloc(k, sizeof(*w.shard_nr));
	w.shard_alloc = xcalloc(k, sizeof(*w.shard_alloc));
	w.load = xcalloc(k, sizeof(*w.load));
	lpt(&w, k);
	if (req->improve) {
		list_shard_items(&w, k);
		improve(&w, k);
	}
	out->nshards = k;
	out->lens = req->lens;
	out->overhead = req->shard_overhead;
	out->shards = xcalloc(k, sizeof(*out->shards));
	finish(&w, k, out);
	work_release(&w, k);
	return 0;
}

int plan_assign(const char *const *ids, const size_t *lens, size_t n,
		const uint32_t *shard_of, size_t k, struct plan *out,
		struct shard_error *err)
{
	memset(out, 0, sizeof(*out));
	if (k < 1)
		return shard_error_set(err, SHARD_EINPUT,
				       "the number of shards must be at least 1");
	out->nshards = k;
	out->lens = lens;
	out->shards = xcalloc(k, sizeof(*out->shards));
	for (size_t i = 0; i < n; i++) {
		if (shard_of[i] >= k) {
			plan_release(out);
			return shard_error_set(err, SHARD_EINPUT,
					       "test %zu is "
					       "assigned to shard %lu of %zu",
					       i, (unsigned long)shard_of[i],
					       k);
		}
		out->shards[shard_of[i]].alloc++;
	}
	for (size_t s = 0; s < k; s++)
		out->shards[s].tests = xmalloc(
			(out->shards[s].alloc ? out->shards[s].alloc : 1) *
			sizeof(*out->shards[s].tests));
	for (size_t i = 0; i < n; i++) {
		struct plan_shard *sh = &out->shards[shard_of[i]];

		sh->tests[sh->nr++] = i;
	}
	sort_and_hash(out, ids);
	return 0;
}

void plan_hash_shard(struct digest *d, size_t index)
{
	char buf[48];
	int n = snprintf(buf, sizeof(buf), "shard %zu\n", index);

	digest_update(d, buf, (size_t)n);
}

void plan_hash_id(struct digest *d, const char *id, size_t len)
{
	digest_update(d, id, len);
	digest_update(d, "\n", 1);
}

#define PREFETCH_ID 16    /* ids ahead whose bytes are fetched */
#define PREFETCH_INDEX 32 /* ids ahead whose pointer and length are */

void plan_prefetch(const struct plan *p, const char *const *ids,
		   const struct plan_shard *sh, size_t q)
{
	if (q + PREFETCH_ID < sh->nr)
		__builtin_prefetch(ids[sh->tests[q + PREFETCH_ID]]);
	if (q + PREFETCH_INDEX < sh->nr) {
		size_t i = sh->tests[q + PREFETCH_INDEX];

		__builtin_prefetch(&ids[i]);
		if (p->lens)
			__builtin_prefetch(&p->lens[i]);
	}
}

/* The same bytes as plan_hash_shard/plan_hash_id, fed in 64 KiB pieces. */
void plan_hash(const struct plan *p, const char *const *ids, char hex[65])
{
	struct digest *d = digest_new();
	struct strbuf b = STRBUF_INIT;

	for (size_t s = 0; s < p->nshards; s++) {
		add_hashed_text(&b, p, ids, s);
		feed(d, &b, HASH_PIECE);
	}
	feed(d, &b, 0);
	strbuf_release(&b);
	digest_final_hex(d, hex);
}

void plan_release(struct plan *p)
{
	for (size_t s = 0; p->shards && s < p->nshards; s++)
		free(p->shards[s].tests);
	free(p->shards);
	memset(p, 0, sizeof(*p));
}

static int fits(const struct plan_request *req, size_t k, double target,
		struct shard_error *err)
{
	struct plan_request r = *req;
	struct plan p;
	int ok;

	r.shards = k;
	if (plan_make(&r, &p, err))
		return -1;
	ok = p.makespan <= target;
	plan_release(&p);
	return ok;
}

/*
 * Every K below total/room leaves some shard over the goal, so the search
 * starts there and walks up: the first K that fits is the smallest (the
 * makespan need not fall monotonically with K, so no bisection).
 */
int plan_choose_shards(const struct plan_request *req, double target,
		       size_t max_shards, size_t *k, int *too_long,
		       struct shard_error *err)
{
	struct plan_request one = *req;
	struct plan p;
	double room = target - req->shard_overhead, goal;
	size_t lo;

	if (room <= 0)
		return shard_error_set(err, SHARD_EINPUT,
				       "--target-seconds %g is not above the "
				       "per-shard overhead %g",
				       target, req->shard_overhead);
	one.shards = 1;
	if (plan_make(&one, &p, err))
		return err->code;
	*too_long = p.longest > room;
	if (*too_long)
		room = p.longest;
	goal = room + req->shard_overhead;
	lo = room > 0 ? (size_t)ceil(p.total / room) : 1;
	plan_release(&p);
	for (lo = lo < 1 ? 1 : lo; lo < max_shards; lo++) {
		int r = fits(req, lo, goal, err);

		if (r < 0)
			return err->code;
		if (r)
			break;
	}
	*k = lo < max_shards ? lo : max_shards;
	return 0;
}
