/*
 * The list's canonical order sorts 64-bit hashes, not strings (a radix
 * sort): a million ids sort in a small part of the time, and the order need only be the same
 * everywhere, not readable. Positions in that order are what a report's
 * planned tests are written as (LEB128 gaps, about a byte a test), so
 * that K reports together carry the list once and each its own tests in
 * n/K bytes.
 *
 * The verdict sorts the sets by run, list, plan, index and attempt, so
 * that each run, each list of a run and each plan of a list is a range,
 * and duplicates are neighbours.
 */
#include "shard/partition.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shard/identity.h"
#include "shard/util/base64.h"
#include "shard/util/digest.h"
#include "shard/util/quote.h"
#include "shard/util/util.h"
#include "shard/util/zbuf.h"
#include "shard/util/banned.h"

#define NAMED_MAX 20          /* tests named for each kind of problem */
#define DATA_MAX (512u << 20) /* bytes a list slice may inflate to */

/* Ids of equal hash (one pair in 2^64): by their bytes. */
static int cmp_bytes(const struct partition_list *l, size_t a, size_t b)
{
	size_t la = l->lens ? l->lens[a] : strlen(l->ids[a]);
	size_t lb = l->lens ? l->lens[b] : strlen(l->ids[b]);
	int c = memcmp(l->ids[a], l->ids[b], la < lb ? la : lb);

	return c ? c : la < lb ? -1 : la > lb;
}

static size_t id_len(const struct partition_list *l, size_t i)
{
	return l->lens ? l->lens[i] : strlen(l->ids[i]);
}

/* The digest of n ids in order, each followed by "\n". */
static void digest_ids(const char *const *ids, const size_t *lens,
		       const size_t *order, size_t n, char hex[65])
{
	struct digest *d = digest_new();
	struct strbuf b = STRBUF_INIT;

	for (size_t p = 0; p < n; p++) {
		size_t i = order ? order[p] : p;

		strbuf_add(&b, ids[i], lens ? lens[i] : strlen(ids[i]));
		strbuf_addch(&b, '\n');
		if (b.len >= 65536) {
			digest_update(d, b.buf, b.len);
			strbuf_reset(&b);
		}
	}
	digest_update(d, b.buf, b.len);
	strbuf_release(&b);
	digest_final_hex(d, hex);
}

void partition_list_init(struct partition_list *l, const char *const *ids,
			 const size_t *lens, size_t n)
{
	memset(l, 0, sizeof(*l));
	l->ids = ids;
	l->lens = lens;
	l->n = n;
}

void partition_list_sort(struct partition_list *l)
{
	size_t n = l->n;
	struct shard_ranked *r, *tmp;

	if (l->order)
		return;
	r = xmalloc((n ? n : 1) * sizeof(*r));
	tmp = xmalloc((n ? n : 1) * sizeof(*tmp));
	for (size_t i = 0; i < n; i++) {
		r[i].key = identity_hash(l->ids[i], id_len(l, i));
		r[i].value = i;
	}
	shard_radix_sort(r, tmp, n);
	free(tmp);
	/* a run of equal hashes, by bytes (insertion: runs are tiny) */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && r[j].key == r[j - 1].key &&
				   cmp_bytes(l, r[j].value, r[j - 1].value) < 0;
		     j--) {
			struct shard_ranked t = r[j];

			r[j] = r[j - 1];
			r[j - 1] = t;
		}
	l->order = xmalloc((n ? n : 1) * sizeof(*l->order));
	l->position = xmalloc((n ? n : 1) * sizeof(*l->position));
	for (size_t p = 0; p < n; p++) {
		l->order[p] = r[p].value;
		l->position[r[p].value] = p;
	}
	free(r);
	digest_ids(l->ids, l->lens, l->order, n, l->digest);
}

void partition_list_release(struct partition_list *l)
{
	free(l->order);
	free(l->position);
	memset(l, 0, sizeof(*l));
}

size_t partition_slice_start(size_t n, size_t index, size_t total)
{
	return total ? (size_t)((uint64_t)n * index / total) : 0;
}

/* ---- writing ---- */

void partition_add_property(struct strbuf *sb, const char *name,
			    const char *value)
{
	strbuf_addf(sb, "<property name=\"shard.%s\" value=\"", name);
	quote_xml(sb, value);
	strbuf_addstr(sb, "\"/>\n");
}

/*
 * raw deflated, as base64 in properties of at most PARTITION_CHUNK
 * characters (each but the last encodes a multiple of 3 bytes, so that
 * the values joined are the base64 of the whole).
 */
static void add_chunked(struct strbuf *sb, const char *name,
			const struct strbuf *raw)
{
	const size_t piece = PARTITION_CHUNK / 4 * 3;
	struct strbuf b64 = STRBUF_INIT, z = STRBUF_INIT;

	zbuf_deflate(&z, raw->buf, raw->len);
	for (size_t at = 0; at < z.len; at += piece) {
		strbuf_reset(&b64);
		base64_encode(&b64, z.buf + at,
			      z.len - at < piece ? z.len - at : piece);
		partition_add_property(sb, name, b64.buf);
	}
	strbuf_release(&b64);
	strbuf_release(&z);
}

/* What add_chunked wrote, joined: its bytes into out, at most max. */
static int unchunk(struct strbuf *out, const struct strbuf *b64, size_t max)
{
	struct strbuf z = STRBUF_INIT;
	int r = base64_decode(&z, b64->buf, b64->len);

	if (!r)
		r = zbuf_inflate(out, z.buf, z.len, max);
	strbuf_release(&z);
	return r;
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

void partition_write_properties(struct strbuf *sb,
				const struct partition_shard *s)
{
	struct partition_list *l = s->list;
	size_t from = partition_slice_start(l->n, s->index, s->total);
	size_t to = partition_slice_start(l->n, s->index + 1, s->total);
	size_t *pos = xmalloc((s->ntests ? s->ntests : 1) * sizeof(*pos));
	struct strbuf raw = STRBUF_INIT;
	char num[32];

	partition_list_sort(l);
	partition_add_property(sb, "plan_hash", s->plan_hash);
	partition_add_property(sb, "list_digest", l->digest);
	snprintf(num, sizeof(num), "%zu", l->n);
	partition_add_property(sb, "list_tests", num);
	if (s->run)
		partition_add_property(sb, "run_base", s->run);
	for (size_t p = from; p < to; p++) {
		size_t i = l->order[p];

		strbuf_add(&raw, l->ids[i], id_len(l, i));
		strbuf_addch(&raw, '\n');
	}
	add_chunked(sb, "list", &raw);
	strbuf_reset(&raw);
	for (size_t q = 0; q < s->ntests; q++)
		pos[q] = l->position[s->tests[q]];
	qsort(pos, s->ntests, sizeof(*pos), cmp_size);
	/* the first position, then each gap less one */
	for (size_t q = 0; q < s->ntests; q++)
		strbuf_add_uleb128(&raw, q ? pos[q] - pos[q - 1] - 1 : pos[q]);
	add_chunked(sb, "planned", &raw);
	strbuf_release(&raw);
	free(pos);
}

int partition_is_data(const char *name)
{
	return name &&
	       (!strcmp(name, "shard.list") || !strcmp(name, "shard.planned"));
}

/* ---- reading ---- */

struct partition_set {
	const char *source;
	char *run; /* NULL: no run id */
	char plan_hash[65], list_digest[65];
	long index, total, attempt;
	size_t list_tests;
	int has_plan, has_list_digest, has_list_tests;
	struct strbuf list, planned; /* base64, chunks joined */
	int refused;
};

void partition_check_init(struct partition_check *pc)
{
	memset(pc, 0, sizeof(*pc));
	strbuf_init(&pc->report, 0);
}

static void set_release(struct partition_set *s)
{
	free(s->run);
	strbuf_release(&s->list);
	strbuf_release(&s->planned);
}

/* A suite's set is kept when it names a plan, a shard and a list. */
static void close_open(struct partition_check *pc)
{
	struct partition_set *s = pc->open;

	pc->open = NULL;
	if (!s)
		return;
	if (s->has_plan && s->has_list_digest && s->has_list_tests &&
	    s->index >= 0 && s->total > 0 && s->index < s->total)
		pc->nsets++;
	else
		set_release(s);
}

void partition_check_release(struct partition_check *pc)
{
	close_open(pc);
	for (size_t i = 0; i < pc->nsets; i++)
		set_release(&pc->sets[i]);
	free(pc->sets);
	strbuf_release(&pc->report);
	memset(pc, 0, sizeof(*pc));
}

void partition_check_suite_start(struct partition_check *pc, const char *source)
{
	struct partition_set *s;

	close_open(pc);
	ALLOC_GROW(pc->sets, pc->nsets + 1, pc->alloc);
	s = &pc->sets[pc->nsets];
	memset(s, 0, sizeof(*s));
	s->source = source;
	s->index = s->total = -1;
	s->attempt = 1;
	strbuf_init(&s->list, 0);
	strbuf_init(&s->planned, 0);
	pc->open = s;
}

void partition_check_suite_end(struct partition_check *pc)
{
	close_open(pc);
}

static int take_hex(char out[65], const char *v)
{
	size_t n = strlen(v);

	if (n != 64 || strspn(v, "0123456789abcdef") != 64)
		return 0;
	memcpy(out, v, 65);
	return 1;
}

void partition_check_property(struct partition_check *pc, const char *name,
			      const char *value)
{
	struct partition_set *s = pc->open;
	long v;

	if (!s || !name || !value || strncmp(name, "shard.", 6))
		return;
	name += 6;
	if (!strcmp(name, "plan_hash"))
		s->has_plan = take_hex(s->plan_hash, value);
	else if (!strcmp(name, "list_digest"))
		s->has_list_digest = take_hex(s->list_digest, value);
	else if (!strcmp(name, "list_tests") &&
		 !shard_parse_long(value, 0, 1L << 40, &v)) {
		s->list_tests = (size_t)v;
		s->has_list_tests = 1;
	} else if (!strcmp(name, "index") &&
		   !shard_parse_long(value, 0, 1000000, &v))
		s->index = v;
	else if (!strcmp(name, "total") &&
		 !shard_parse_long(value, 1, 1000000, &v))
		s->total = v;
	else if (!strcmp(name, "attempt") &&
		 !shard_parse_long(value, 1, 1000000, &v))
		s->attempt = v;
	else if (!strcmp(name, "run_base") && *value && !s->run)
		s->run = xstrdup(value);
	else if (!strcmp(name, "list"))
		strbuf_addstr(&s->list, value);
	else if (!strcmp(name, "planned"))
		strbuf_addstr(&s->planned, value);
}

/* ---- the verdict ---- */

static int cmp_str_null(const char *a, const char *b)
{
	if (!a || !b)
		return a ? 1 : b ? -1 : 0;
	return strcmp(a, b);
}

static int cmp_set(const void *a, const void *b)
{
	const struct partition_set *x = a, *y = b;
	int c = cmp_str_null(x->run, y->run);

	if (!c)
		c = strcmp(x->list_digest, y->list_digest);
	if (!c)
		c = strcmp(x->plan_hash, y->plan_hash);
	if (!c)
		c = x->index < y->index ? -1 : x->index > y->index;
	if (!c)
		c = x->attempt < y->attempt ? -1 : x->attempt > y->attempt;
	return c;
}

/* Ranges of sets that share a run, a list, or a plan. */
static int same_run(const struct partition_set *a,
		    const struct partition_set *b)
{
	return !cmp_str_null(a->run, b->run);
}

static int same_list(const struct partition_set *a,
		     const struct partition_set *b)
{
	return same_run(a, b) && !strcmp(a->list_digest, b->list_digest);
}

static int same_plan(const struct partition_set *a,
		     const struct partition_set *b)
{
	return same_list(a, b) && !strcmp(a->plan_hash, b->plan_hash);
}

static size_t range_end(const struct partition_set *s, size_t from, size_t n,
			int (*same)(const struct partition_set *,
				    const struct partition_set *))
{
	size_t to = from + 1;

	while (to < n && same(&s[from], &s[to]))
		to++;
	return to;
}

/* Whether the plan's sets [from, to) hold every index of its total. */
static int plan_whole(const struct partition_set *s, size_t from, size_t to)
{
	long want = 0;

	for (size_t i = from; i < to; i++) {
		if (s[i].index > want)
			return 0;
		if (s[i].index == want)
			want++;
	}
	return want == s[from].total;
}

struct run_facts {
	size_t from, to;
	size_t lists, lists_whole;
	int replanned; /* a list with more than one plan */
	int doubled;   /* one shard of one attempt in two sets */
};

static void run_facts(const struct partition_set *s, size_t from, size_t to,
		      struct run_facts *f)
{
	memset(f, 0, sizeof(*f));
	f->from = from;
	f->to = to;
	for (size_t l = from; l < to;) {
		size_t lend = range_end(s, l, to, same_list);
		size_t plans = 0;
		int whole = 1;

		for (size_t p = l; p < lend;) {
			size_t pend = range_end(s, p, lend, same_plan);

			plans++;
			whole &= plan_whole(s, p, pend);
			for (size_t i = p + 1; i < pend; i++)
				if (s[i].index == s[i - 1].index &&
				    s[i].attempt == s[i - 1].attempt)
					f->doubled = 1;
			p = pend;
		}
		f->lists++;
		f->lists_whole += plans == 1 && whole;
		f->replanned |= plans > 1;
		l = lend;
	}
}

/* "run <id>", the id as quote.h shows names from input. */
static void add_run(struct strbuf *out, const struct partition_set *s)
{
	strbuf_addstr(out, "run ");
	if (s->run)
		quote_str(out, s->run);
	else
		strbuf_addstr(out, "(no run id)");
}

/* "  plan 1a2b3c4d5e6f of list 9f8e7d6c5b4a (736 tests, 3 shards): ..." */
static void describe_plans(struct strbuf *out, const struct partition_set *s,
			   const struct run_facts *f)
{
	for (size_t p = f->from; p < f->to;) {
		size_t pend = range_end(s, p, f->to, same_plan);

		strbuf_addf(out,
			    "  plan %.12s of list %.12s (%zu tests, %ld "
			    "shards):",
			    s[p].plan_hash, s[p].list_digest, s[p].list_tests,
			    s[p].total);
		for (size_t i = p; i < pend; i++) {
			strbuf_addf(out, "%s shard %ld", i > p ? "," : "",
				    s[i].index);
			if (s[i].attempt > 1)
				strbuf_addf(out, " attempt %ld", s[i].attempt);
			strbuf_addstr(out, " (");
			quote_str(out, s[i].source);
			strbuf_addch(out, ')');
		}
		strbuf_addch(out, '\n');
		p = pend;
	}
}

static void describe_doubled_shards(struct strbuf *out,
				    const struct partition_set *s,
				    const struct run_facts *f)
{
	for (size_t i = f->from + 1; i < f->to; i++)
		if (same_plan(&s[i], &s[i - 1]) &&
		    s[i].index == s[i - 1].index &&
		    s[i].attempt == s[i - 1].attempt) {
			strbuf_addf(out,
				    "  shard %ld (attempt %ld) is in two "
				    "inputs: ",
				    s[i].index, s[i].attempt);
			quote_str(out, s[i - 1].source);
			strbuf_addstr(out, " and ");
			quote_str(out, s[i].source);
			strbuf_addstr(out, "; give each shard's report once\n");
		}
}

/* Lines in b, at most max. */
static size_t count_lines(const struct strbuf *b, size_t max)
{
	size_t n = 0;

	for (const char *at = b->buf;
	     n < max && (at = memchr(at, '\n', b->len - (size_t)(at - b->buf)));
	     at++)
		n++;
	return n;
}

/*
 * The list the sets [from, to) (one list digest) carry in slices, whole
 * and checked against the digest: names[p] for every position, pointing
 * into the decoded slices (bytes, one per set). -1 when a slice is
 * absent or does not add up; the list's size is believed only once the
 * slices hold that many ids.
 */
static int rebuild_list(const struct partition_set *s, size_t from, size_t to,
			struct strbuf *bytes, const char ***names)
{
	size_t n = s[from].list_tests, held = 0, filled = 0;
	const char **v;
	char hex[65];

	for (size_t i = from; i < to; i++) {
		size_t a = partition_slice_start(n, (size_t)s[i].index,
						 (size_t)s[i].total);
		size_t b = partition_slice_start(n, (size_t)s[i].index + 1,
						 (size_t)s[i].total);

		if (!unchunk(&bytes[i - from], &s[i].list, DATA_MAX))
			held += count_lines(&bytes[i - from], b - a);
	}
	if (held < n)
		return -1;
	v = xcalloc(n ? n : 1, sizeof(*v));
	for (size_t i = from; i < to; i++) {
		struct strbuf *b = &bytes[i - from];
		size_t p = partition_slice_start(n, (size_t)s[i].index,
						 (size_t)s[i].total);
		size_t end = partition_slice_start(n, (size_t)s[i].index + 1,
						   (size_t)s[i].total);
		char *at, *nl;

		for (at = b->buf;
		     p < end &&
		     (nl = memchr(at, '\n', b->len - (size_t)(at - b->buf)));
		     p++, at = nl + 1) {
			*nl = '\0';
			filled += !v[p];
			v[p] = at;
		}
	}
	if (filled == n)
		digest_ids(v, NULL, NULL, n, hex);
	if (filled != n || strcmp(hex, s[from].list_digest)) {
		free(v);
		return -1;
	}
	*names = v;
	return 0;
}

/* Positions a set planned, in order; -1 when its data is bad. */
static int read_planned(const struct partition_set *s, size_t n,
			struct strbuf *tmp, size_t **pos, size_t *npos)
{
	uint64_t p = 0, gap;
	size_t at = 0, k = 0, alloc = 0;

	strbuf_reset(tmp);
	*pos = NULL;
	*npos = 0;
	if (unchunk(tmp, &s->planned, 10 * n + 10))
		return -1;
	while (at < tmp->len) {
		if (strbuf_read_uleb128(tmp->buf, tmp->len, &at, &gap) ||
		    gap >= n || (k && p + gap + 1 >= n))
			return -1;
		p = k ? p + gap + 1 : gap;
		ALLOC_GROW(*pos, k + 1, alloc);
		(*pos)[k++] = (size_t)p;
	}
	*npos = k;
	return 0;
}

struct cover {
	unsigned short count; /* plans' shards holding it, at most 65535 */
	long first, second;   /* the first two shard indexes */
};

static void name_tests(struct strbuf *out, const char *const *names,
		       const struct cover *c, size_t n, int doubled)
{
	size_t found = 0;

	for (size_t p = 0; p < n; p++)
		found += doubled ? c[p].count > 1 : c[p].count == 0;
	if (!found)
		return;
	strbuf_addf(out,
		    doubled ? "  %zu test%s in two shards or more:\n"
			    : "  %zu test%s in no shard:\n",
		    found, found == 1 ? "" : "s");
	for (size_t p = 0, named = 0; p < n && named < NAMED_MAX; p++) {
		if (doubled ? c[p].count < 2 : c[p].count != 0)
			continue;
		strbuf_addstr(out, "    ");
		quote_str(out, names[p]);
		if (doubled)
			strbuf_addf(out, " (shards %ld and %ld%s)",
				    c[p].first < c[p].second ? c[p].first
							     : c[p].second,
				    c[p].first < c[p].second ? c[p].second
							     : c[p].first,
				    c[p].count > 2 ? ", ..." : "");
		strbuf_addch(out, '\n');
		named++;
	}
	if (found > NAMED_MAX)
		strbuf_addf(out, "    ... and %zu more\n", found - NAMED_MAX);
}

/*
 * The tests of a run of one list that its shards' plans leave out or
 * hold twice, named from the list the reports carry.
 */
static void describe_tests(struct strbuf *out, const struct partition_set *s,
			   const struct run_facts *f)
{
	struct strbuf *bytes = xcalloc(f->to - f->from, sizeof(*bytes));
	struct strbuf tmp = STRBUF_INIT;
	const char **names = NULL;
	size_t n = s[f->from].list_tests;
	struct cover *c = NULL;

	for (size_t i = 0; i < f->to - f->from; i++)
		strbuf_init(&bytes[i], 0);
	if (rebuild_list(s, f->from, f->to, bytes, &names)) {
		strbuf_addstr(out, "  the tests cannot be named: the reports "
				   "at hand do not carry the whole list (a "
				   "shard's report is absent)\n");
		goto out;
	}
	c = xcalloc(n ? n : 1, sizeof(*c));
	for (size_t i = f->from; i < f->to; i++) {
		size_t *pos, npos;

		/* one plan's shard counts once, whatever its attempts */
		if (i > f->from && same_plan(&s[i], &s[i - 1]) &&
		    s[i].index == s[i - 1].index)
			continue;
		if (read_planned(&s[i], n, &tmp, &pos, &npos)) {
			free(pos);
			continue;
		}
		for (size_t q = 0; q < npos; q++) {
			struct cover *x = &c[pos[q]];

			if (x->count == 0)
				x->first = s[i].index;
			else if (x->count == 1)
				x->second = s[i].index;
			if (x->count < 65535)
				x->count++;
		}
		free(pos);
	}
	name_tests(out, names, c, n, 0);
	name_tests(out, names, c, n, 1);
out:
	for (size_t i = 0; i < f->to - f->from; i++)
		strbuf_release(&bytes[i]);
	free(bytes);
	free(c);
	free(names);
	strbuf_release(&tmp);
}

static void refuse(struct partition_check *pc, struct strbuf *out,
		   const struct run_facts *f)
{
	struct partition_set *s = pc->sets;

	pc->refused++;
	for (size_t i = f->from; i < f->to; i++)
		s[i].refused = 1;
	add_run(out, &s[f->from]);
	strbuf_addstr(out, ": its shards' reports do not split one test list "
			   "between them:\n");
	describe_plans(out, s, f);
	if (f->replanned)
		strbuf_addstr(out,
			      "  shards of one list were planned "
			      "differently (from different histories, or "
			      "with different options): plan once and give "
			      "every shard the plan file (shard plan -o "
			      "plan.json; shard run --plan plan.json), or "
			      "give every shard of the run one run id "
			      "(--run-id) and one history\n");
	if (f->lists > 1 && f->lists_whole < f->lists)
		strbuf_addstr(out, "  the shards were given different test "
				   "lists: every shard of a run must list the "
				   "same tests\n");
	if (f->doubled)
		describe_doubled_shards(out, s, f);
	if (f->lists == 1 && f->replanned)
		describe_tests(out, s, f);
}

static void add_absent(struct strbuf *list, long index, size_t *missing)
{
	strbuf_addf(list, "%s%ld", (*missing)++ ? ", " : "", index);
}

/* Shards of an accepted run's plans that no set reports. */
static void note_absent(struct partition_check *pc, struct strbuf *out,
			const struct run_facts *f)
{
	const struct partition_set *s = pc->sets;
	struct strbuf list = STRBUF_INIT;

	for (size_t p = f->from; p < f->to;) {
		size_t pend = range_end(s, p, f->to, same_plan);
		size_t missing = 0;
		long want = 0;

		strbuf_reset(&list);
		for (size_t i = p; i < pend; i++) {
			for (; want < s[i].index; want++)
				add_absent(&list, want, &missing);
			if (s[i].index == want)
				want++;
		}
		for (; want < s[p].total; want++)
			add_absent(&list, want, &missing);
		if (missing) {
			add_run(out, &s[p]);
			strbuf_addf(out,
				    ": no report from shard%s %s of %ld "
				    "(plan %.12s): %s tests were not "
				    "reported\n",
				    missing == 1 ? "" : "s", list.buf,
				    s[p].total, s[p].plan_hash,
				    missing == 1 ? "its" : "their");
		}
		pc->absent += missing;
		p = pend;
	}
	strbuf_release(&list);
}

int partition_check_verdict(struct partition_check *pc, struct shard_error *err)
{
	struct strbuf *out = &pc->report;
	struct partition_set *s;
	size_t n;

	close_open(pc);
	n = pc->nsets;
	s = pc->sets;
	if (n)
		qsort(s, n, sizeof(*s), cmp_set);
	for (size_t r = 0; r < n;) {
		size_t rend = range_end(s, r, n, same_run);
		struct run_facts f;

		run_facts(s, r, rend, &f);
		if (f.replanned || f.doubled ||
		    (f.lists > 1 && f.lists_whole < f.lists))
			refuse(pc, out, &f);
		else
			note_absent(pc, out, &f);
		r = rend;
	}
	if (!pc->refused)
		return 0;
	return shard_error_set(err, SHARD_EINPUT, "%d run%s refused: %s",
			       pc->refused, pc->refused == 1 ? "" : "s",
			       "reports planned apart cannot be merged as "
			       "one run");
}

int partition_check_refuses(const struct partition_check *pc,
			    const char *source)
{
	for (size_t i = 0; i < pc->nsets; i++)
		if (pc->sets[i].refused && !strcmp(pc->sets[i].source, source))
			return 1;
	return 0;
}
