/*
 * Tests for the shard planner. Most checks are invariants over random
 * suites from a fixed-seed generator of our own (splitmix64), so that a
 * failure names a seed that reproduces it: every id in exactly one shard,
 * groups never split, sums and bounds recomputed here from the request
 * (docs/design.md's lower bound, the list-scheduling upper bound), the hash
 * recomputed with libcrypto directly, and byte-identical plans for any
 * input order. Weights come in four kinds: uniform, small multiples of
 * 1/8 (ties, and exact arithmetic), heavy-tailed, and all equal.
 */
#include "shard/plan/plan.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "shard/plan/planfile.h"
#include "shard/util/digest.h"
#include "shard/util/strbuf.h"
#include "shard/util/banned.h"

#define EPS 1e-9

enum shape { SHAPE_FLAT, SHAPE_PYTEST };
enum weight_kind { W_UNIFORM, W_EIGHTHS, W_HEAVY, W_EQUAL, W__COUNT };

struct rng {
	uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static size_t rng_below(struct rng *r, size_t n)
{
	return n ? (size_t)(rng_next(r) % n) : 0;
}

static double rng_unit(struct rng *r)
{
	return (double)(rng_next(r) >> 11) / 9007199254740992.0;
}

struct suite {
	char **ids;
	double *seconds;
	size_t n;
};

/* What a test owns, released by teardown even when an assertion fails. */
struct fixture {
	struct suite a, b;
	struct plan p, q;
	char what[256]; /* the case being checked, for messages */
};

#define EXPECT(f, cond) \
	do { \
		if (!(cond)) { \
			print_error("%s: %s\n", (f)->what, #cond); \
			fail(); \
		} \
	} while (0)

static void suite_free(struct suite *s)
{
	for (size_t i = 0; s->ids && i < s->n; i++)
		free(s->ids[i]);
	free(s->ids);
	free(s->seconds);
	memset(s, 0, sizeof(*s));
}

static char *fmt_id(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *fmt_id(const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	return strbuf_detach(&sb, NULL);
}

static double weight(struct rng *r, enum weight_kind k)
{
	switch (k) {
	case W_UNIFORM:
		return 10 * rng_unit(r);
	case W_EIGHTHS:
		return (double)rng_below(r, 64) / 8;
	case W_HEAVY:
		if (rng_below(r, 20) == 0)
			return 50 + 100 * rng_unit(r);
		return -2 * log(1 - rng_unit(r));
	case W_EQUAL:
	case W__COUNT:
		break;
	}
	return 1.0;
}

/*
 * Ids are unique by their index; flat ids start with random hex so that
 * byte order and weight order are unrelated. Pytest ids mix module-level
 * functions, methods and parameters containing "::" and "/".
 */
static void suite_make(struct suite *s, struct rng *r, size_t n,
		       enum shape shape, enum weight_kind wk)
{
	size_t nfiles = 1 + rng_below(r, n / 3 + 1);

	suite_free(s);
	s->n = n;
	s->ids = calloc(n ? n : 1, sizeof(*s->ids));
	s->seconds = calloc(n ? n : 1, sizeof(*s->seconds));
	assert_non_null(s->ids);
	assert_non_null(s->seconds);
	for (size_t i = 0; i < n; i++) {
		size_t f = rng_below(r, nfiles), c = rng_below(r, 3);

		if (shape == SHAPE_FLAT)
			s->ids[i] = fmt_id("%04x_%zu",
					   (unsigned)rng_below(r, 65536), i);
		else if (rng_below(r, 3) == 0)
			s->ids[i] = fmt_id("d%zu/test_f%zu.py::test_%zu", f % 3,
					   f, i);
		else if (rng_below(r, 2) == 0)
			s->ids[i] = fmt_id("d%zu/test_f%zu.py::TestC%zu::t%zu",
					   f % 3, f, c, i);
		else
			s->ids[i] = fmt_id(
				"d%zu/test_f%zu.py::TestC%zu::t%zu[a/b::%zu]",
				f % 3, f, c, i, i % 4);
		s->seconds[i] = weight(r, wk);
	}
}

/* Independent grouping for pytest node ids (docs/design.md "Test identity"). */
static size_t my_file_len(const char *id)
{
	const char *p = strstr(id, "::");

	return p ? (size_t)(p - id) : strlen(id);
}

static size_t my_class_len(const char *id)
{
	const char *first = strstr(id, "::"), *end, *last = NULL;

	if (!first)
		return strlen(id);
	end = strchr(first + 2, '[');
	if (!end)
		end = id + strlen(id);
	for (const char *p = first; p + 1 < end; p++)
		if (p[0] == ':' && p[1] == ':')
			last = p;
	return (size_t)(last - id);
}

static size_t my_group_len(enum plan_by by, const char *id)
{
	switch (by) {
	case PLAN_BY_CLASS:
		return my_class_len(id);
	case PLAN_BY_FILE:
		return my_file_len(id);
	case PLAN_BY_TEST:
		break;
	}
	return strlen(id);
}

/*
 * File overhead for tests: a function of the file's bytes only (multiples
 * of 1/4, so sums stay exact), counting its calls and checking that it is
 * handed a pytest file (the id's part before "::").
 */
struct overhead_calls {
	size_t calls, bad;
};

static double overhead_of(const char *file, size_t len)
{
	unsigned sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += (unsigned char)file[i];
	return (double)(sum % 9) / 4;
}

static double file_overhead(void *data, const char *id, size_t len)
{
	struct overhead_calls *c = data;

	c->calls++;
	if (len != my_file_len(id))
		c->bad++;
	return overhead_of(id, len);
}

/* The request's items as the test sees them: (group, seconds). */
struct my_item {
	const char *id;
	size_t len, index;
};

static int cmp_my_item(const void *a, const void *b)
{
	const struct my_item *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->id, y->id, n);

	if (c)
		return c;
	return (x->len > y->len) - (x->len < y->len);
}

static int cmp_desc(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x < y) - (x > y);
}

static int close_to(double a, double b)
{
	double scale = fabs(a) > fabs(b) ? fabs(a) : fabs(b);

	return fabs(a - b) <= EPS * (scale > 1 ? scale : 1);
}

static void sha256_hex(const void *data, size_t len, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	assert_int_equal(EVP_Digest(data, len, md, &n, EVP_sha256(), NULL), 1);
	assert_int_equal(n, 32);
	for (unsigned int i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

/* SHA-256 of "shard 0\nid\n...shard 1\n..." built here, not by plan.c. */
static void expected_hash(const struct plan *p, const char *const *ids,
			  char hex[65])
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t s = 0; s < p->nshards; s++) {
		strbuf_addf(&sb, "shard %zu\n", s);
		for (size_t q = 0; q < p->shards[s].nr; q++) {
			strbuf_addstr(&sb, ids[p->shards[s].tests[q]]);
			strbuf_addch(&sb, '\n');
		}
	}
	sha256_hex(sb.buf, sb.len, hex);
	strbuf_release(&sb);
}

/* Shard of every id; each id in exactly one shard, in id byte order. */
static size_t *check_membership(struct fixture *f,
				const struct plan_request *req,
				const struct plan *p)
{
	size_t *shard_of = malloc((req->n ? req->n : 1) * sizeof(*shard_of));

	assert_non_null(shard_of);
	for (size_t i = 0; i < req->n; i++)
		shard_of[i] = SIZE_MAX;
	EXPECT(f, p->nshards == req->shards);
	for (size_t s = 0; s < p->nshards; s++) {
		const struct plan_shard *sh = &p->shards[s];

		for (size_t q = 0; q < sh->nr; q++) {
			size_t i = sh->tests[q];

			EXPECT(f, i < req->n);
			EXPECT(f, shard_of[i] == SIZE_MAX);
			shard_of[i] = s;
			if (q)
				EXPECT(f, strcmp(req->ids[sh->tests[q - 1]],
						 req->ids[i]) < 0);
		}
	}
	for (size_t i = 0; i < req->n; i++)
		EXPECT(f, shard_of[i] != SIZE_MAX);
	return shard_of;
}

/*
 * Every invariant of a plan, recomputed from the request: groups whole,
 * shard sums (file overhead once per file), total, longest, item count,
 * docs/design.md's lower bound, makespan between the bound and the greedy
 * bound total/K + (1 - 1/K) * longest, and the hash.
 */
static void check_plan(struct fixture *f, const struct plan_request *req,
		       const struct plan *p)
{
	size_t n = req->n, k = req->shards, nitems = 0;
	size_t *shard_of = check_membership(f, req, p);
	struct my_item *it = malloc((n ? n : 1) * sizeof(*it));
	double *item_sec = malloc((n ? n : 1) * sizeof(*item_sec));
	double *shard_sec = calloc(k, sizeof(*shard_sec));
	double total = 0, longest = 0, lb, max_shard = 0, greedy;
	char hex[65];

	assert_non_null(it);
	assert_non_null(item_sec);
	assert_non_null(shard_sec);
	for (size_t i = 0; i < n; i++) {
		it[i].id = req->ids[i];
		it[i].len = my_group_len(req->by, req->ids[i]);
		it[i].index = i;
	}
	qsort(it, n, sizeof(*it), cmp_my_item);
	for (size_t a = 0, b; a < n; a = b) {
		double sec = 0;
		size_t s = shard_of[it[a].index];

		for (b = a; b < n && !cmp_my_item(&it[a], &it[b]); b++) {
			EXPECT(f, shard_of[it[b].index] == s);
			sec += req->seconds[it[b].index];
		}
		if (req->by == PLAN_BY_FILE && req->file_overhead)
			sec += overhead_of(it[a].id, it[a].len);
		item_sec[nitems++] = sec;
		shard_sec[s] += sec;
		total += sec;
		if (sec > longest)
			longest = sec;
	}
	qsort(item_sec, nitems, sizeof(*item_sec), cmp_desc);
	lb = total / (double)k;
	if (longest > lb)
		lb = longest;
	if (nitems > k && item_sec[k - 1] + item_sec[k] > lb)
		lb = item_sec[k - 1] + item_sec[k];
	lb += req->shard_overhead;
	for (size_t s = 0; s < k; s++) {
		EXPECT(f, close_to(p->shards[s].seconds, shard_sec[s]));
		if (shard_sec[s] > max_shard)
			max_shard = shard_sec[s];
	}
	EXPECT(f, p->items == nitems);
	EXPECT(f, close_to(p->total, total));
	EXPECT(f, close_to(p->longest, longest));
	EXPECT(f, p->overhead == req->shard_overhead);
	EXPECT(f, close_to(p->lower_bound, lb));
	EXPECT(f, close_to(p->makespan, max_shard + req->shard_overhead));
	EXPECT(f, p->makespan >= lb - EPS);
	greedy = total / (double)k + (1 - 1 / (double)k) * longest;
	EXPECT(f, p->makespan - req->shard_overhead <= greedy + EPS);
	if (nitems <= k)
		EXPECT(f, close_to(p->makespan, longest + req->shard_overhead));
	expected_hash(p, req->ids, hex);
	EXPECT(f, !strcmp(p->hash, hex));
	free(shard_sec);
	free(item_sec);
	free(it);
	free(shard_of);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	suite_free(&f->a);
	suite_free(&f->b);
	plan_release(&f->p);
	plan_release(&f->q);
	free(f);
	return 0;
}

static struct plan_request request(const struct suite *s, enum plan_by by,
				   size_t k, double overhead, int improve)
{
	struct plan_request r = {
		(const char *const *)s->ids,
		s->seconds,
		s->n,
		by,
		k,
		overhead,
		improve,
		NULL,
		NULL,
		NULL,
	};

	return r;
}

static const size_t sizes[] = { 0,  1,  2,  3,  4,   5,   7,
				10, 16, 31, 64, 100, 257, 1000 };
#define NSIZES (sizeof(sizes) / sizeof(*sizes))

/* K from 1 to beyond n: 1, 2, 3, 5, n/2, n-1, n, n+1, n+7. */
static size_t pick_k(size_t n, size_t which)
{
	switch (which) {
	case 0:
		return 1;
	case 1:
		return 2;
	case 2:
		return 3;
	case 3:
		return 5;
	case 4:
		return n / 2 ? n / 2 : 1;
	case 5:
		return n > 1 ? n - 1 : 1;
	case 6:
		return n ? n : 1;
	case 7:
		return n + 1;
	default:
		break;
	}
	return n + 7;
}
#define NKS 9

static enum shape shape_for(int by, int wk)
{
	return by == PLAN_BY_TEST && wk % 2 ? SHAPE_FLAT : SHAPE_PYTEST;
}

/* Every K for one random suite, with and without a shard overhead. */
static void invariants_case(struct fixture *f, struct rng *r, size_t n, int wk,
			    int by)
{
	struct shard_error err = SHARD_ERROR_INIT;
	struct overhead_calls calls = { 0, 0 };
	uint64_t seed = r->s;

	suite_make(&f->a, r, n, shape_for(by, wk), (enum weight_kind)wk);
	for (size_t kk = 0; kk < NKS; kk++) {
		size_t k = pick_k(n, kk);
		double ov = kk % 2 ? 2.5 : 0;
		struct plan_request req =
			request(&f->a, (enum plan_by)by, k, ov, 1);

		req.file_overhead = file_overhead;
		req.data = &calls;
		snprintf(f->what, sizeof(f->what),
			 "seed %llu n %zu weights %d by %d K %zu",
			 (unsigned long long)seed, n, wk, by, k);
		calls.calls = 0;
		assert_int_equal(plan_make(&req, &f->p, &err), 0);
		check_plan(f, &req, &f->p);
		EXPECT(f, calls.bad == 0);
		EXPECT(f, calls.calls == (by == PLAN_BY_FILE ? f->p.items : 0));
		plan_release(&f->p);
	}
}

static void plan_invariants_hold_on_random_suites(void **state)
{
	struct fixture *f = *state;
	struct rng r = { 20240601 };

	for (size_t si = 0; si < NSIZES; si++)
		for (int wk = 0; wk < W__COUNT; wk++)
			for (int by = PLAN_BY_TEST; by <= PLAN_BY_FILE; by++)
				invariants_case(f, &r, sizes[si], wk, by);
}

/* Plain LPT against LPT and the improvement pass, for every K. */
static void improve_case(struct fixture *f, struct rng *r, size_t n, int wk)
{
	struct shard_error err = SHARD_ERROR_INIT;
	uint64_t seed = r->s;

	suite_make(&f->a, r, n, SHAPE_FLAT, (enum weight_kind)wk);
	for (size_t kk = 0; kk < NKS; kk++) {
		size_t k = pick_k(n, kk);
		struct plan_request lpt = request(&f->a, PLAN_BY_TEST, k, 0, 0);
		struct plan_request imp = request(&f->a, PLAN_BY_TEST, k, 0, 1);

		snprintf(f->what, sizeof(f->what),
			 "seed %llu n %zu weights %d K %zu",
			 (unsigned long long)seed, n, wk, k);
		assert_int_equal(plan_make(&lpt, &f->p, &err), 0);
		assert_int_equal(plan_make(&imp, &f->q, &err), 0);
		check_plan(f, &lpt, &f->p);
		check_plan(f, &imp, &f->q);
		/* multiples of 1/8 add up exactly: no tolerance for them */
		if (wk == W_EIGHTHS)
			EXPECT(f, f->q.makespan <= f->p.makespan);
		else
			EXPECT(f, f->q.makespan <= f->p.makespan + EPS);
		plan_release(&f->p);
		plan_release(&f->q);
	}
}

static void plan_improvement_never_makes_the_makespan_worse(void **state)
{
	struct fixture *f = *state;
	struct rng r = { 77 };

	for (size_t round = 0; round < 4; round++)
		for (size_t si = 0; si < NSIZES; si++)
			for (int wk = 0; wk < W__COUNT; wk++)
				improve_case(f, &r, sizes[si], wk);
}

/* b is a, shuffled: ids with their weights. */
static void suite_shuffle(struct suite *b, const struct suite *a, struct rng *r)
{
	size_t *perm = malloc((a->n ? a->n : 1) * sizeof(*perm));

	assert_non_null(perm);
	suite_free(b);
	b->n = a->n;
	b->ids = calloc(a->n ? a->n : 1, sizeof(*b->ids));
	b->seconds = calloc(a->n ? a->n : 1, sizeof(*b->seconds));
	assert_non_null(b->ids);
	assert_non_null(b->seconds);
	for (size_t i = 0; i < a->n; i++)
		perm[i] = i;
	for (size_t i = a->n; i > 1; i--) {
		size_t j = rng_below(r, i), t = perm[i - 1];

		perm[i - 1] = perm[j];
		perm[j] = t;
	}
	for (size_t i = 0; i < a->n; i++) {
		b->ids[i] = fmt_id("%s", a->ids[perm[i]]);
		b->seconds[i] = a->seconds[perm[i]];
	}
	free(perm);
}

static int same_bits(double a, double b)
{
	return memcmp(&a, &b, sizeof(a)) == 0;
}

/* The plans of a and of its shuffle b: same ids, bytes and numbers. */
static void check_same_plan(struct fixture *f, size_t k)
{
	EXPECT(f, !strcmp(f->p.hash, f->q.hash));
	EXPECT(f, same_bits(f->p.makespan, f->q.makespan));
	EXPECT(f, same_bits(f->p.lower_bound, f->q.lower_bound));
	for (size_t s = 0; s < k; s++) {
		const struct plan_shard *x = &f->p.shards[s];
		const struct plan_shard *y = &f->q.shards[s];

		EXPECT(f, x->nr == y->nr);
		EXPECT(f, same_bits(x->seconds, y->seconds));
		for (size_t q = 0; q < x->nr; q++)
			EXPECT(f, !strcmp(f->a.ids[x->tests[q]],
					  f->b.ids[y->tests[q]]));
	}
}

static void shuffle_case(struct fixture *f, struct rng *r, size_t n, int wk,
			 int by)
{
	struct shard_error err = SHARD_ERROR_INIT;
	struct overhead_calls calls = { 0, 0 };
	uint64_t seed = r->s;

	suite_make(&f->a, r, n, shape_for(by, wk), (enum weight_kind)wk);
	suite_shuffle(&f->b, &f->a, r);
	for (size_t kk = 0; kk < NKS; kk += 2) {
		size_t k = pick_k(n, kk);
		struct plan_request ra =
			request(&f->a, (enum plan_by)by, k, 1.5, 1);
		struct plan_request rb =
			request(&f->b, (enum plan_by)by, k, 1.5, 1);

		ra.file_overhead = rb.file_overhead = file_overhead;
		ra.data = rb.data = &calls;
		snprintf(f->what, sizeof(f->what),
			 "seed %llu n %zu weights %d by %d K %zu",
			 (unsigned long long)seed, n, wk, by, k);
		assert_int_equal(plan_make(&ra, &f->p, &err), 0);
		assert_int_equal(plan_make(&rb, &f->q, &err), 0);
		check_same_plan(f, k);
		plan_release(&f->p);
		plan_release(&f->q);
	}
}

static void plan_is_identical_for_any_input_order(void **state)
{
	struct fixture *f = *state;
	struct rng r = { 4242 };

	for (size_t si = 0; si < NSIZES; si++)
		for (int wk = 0; wk < W__COUNT; wk++)
			for (int by = PLAN_BY_TEST; by <= PLAN_BY_FILE; by++)
				shuffle_case(f, &r, sizes[si], wk, by);
}

/*
 * Suites large enough that plan_make sorts and hashes the shards on two
 * threads (K = 1 leaves one half empty): the invariants and the hash
 * hold, and a shuffled input gives the same plan.
 */
static void plan_is_the_same_when_shards_are_sorted_on_two_threads(void **state)
{
	static const size_t ks[] = { 1, 2, 3, 1000 };
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct rng r = { 777 };

	for (int by = PLAN_BY_TEST; by <= PLAN_BY_FILE; by++) {
		suite_make(&f->a, &r, 40000, SHAPE_PYTEST,
			   (enum weight_kind)(W_EIGHTHS + by));
		suite_shuffle(&f->b, &f->a, &r);
		for (size_t kk = 0; kk < sizeof(ks) / sizeof(*ks); kk++) {
			struct plan_request ra =
				request(&f->a, (enum plan_by)by, ks[kk], 0, 1);
			struct plan_request rb =
				request(&f->b, (enum plan_by)by, ks[kk], 0, 1);

			snprintf(f->what, sizeof(f->what), "by %d K %zu", by,
				 ks[kk]);
			assert_int_equal(plan_make(&ra, &f->p, &err), 0);
			assert_int_equal(plan_make(&rb, &f->q, &err), 0);
			check_plan(f, &ra, &f->p);
			check_same_plan(f, ks[kk]);
			plan_release(&f->p);
			plan_release(&f->q);
		}
	}
}

/* The whole of f, from its start, into sb. */
static void read_back(FILE *f, struct strbuf *sb)
{
	char buf[65536];
	size_t n;

	rewind(f);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		strbuf_add(sb, buf, n);
	assert_false(ferror(f));
}

/*
 * A plan large enough to be written as JSON in two halves on two threads
 * reads back whole: its hash matches its shards, which hold the plan's
 * ids in the plan's order.
 */
static void plan_json_written_on_two_threads_reads_back_whole(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct strbuf text = STRBUF_INIT;
	struct planfile pf;
	struct rng r = { 99 };
	struct plan_request req;
	FILE *out = tmpfile();

	assert_non_null(out);
	suite_make(&f->a, &r, 40000, SHAPE_PYTEST, W_UNIFORM);
	req = request(&f->a, PLAN_BY_TEST, 7, 0, 1);
	assert_int_equal(plan_make(&req, &f->p, &err), 0);
	assert_int_equal(planfile_write(out, PLANFILE_JSON, &f->p, req.ids, 0,
					NULL),
			 0);
	read_back(out, &text);
	fclose(out);
	assert_int_equal(planfile_read(text.buf, text.len, "plan.json", &pf,
				       &err),
			 0);
	assert_string_equal(pf.hash, f->p.hash);
	assert_int_equal(pf.nshards, 7);
	for (size_t s = 0, at = 0; s < pf.nshards; s++)
		for (size_t q = 0; q < f->p.shards[s].nr; q++, at++)
			assert_string_equal(pf.tests.ids[at],
					    req.ids[f->p.shards[s].tests[q]]);
	planfile_release(&pf);
	strbuf_release(&text);
}

/*
 * planfile_read of text (a plan whose plan_hash is wrong: ids are checked
 * as they are read, before the hash); the message it fails with.
 */
static const char *read_plan_error(const char *text, struct shard_error *err)
{
	struct planfile pf;

	shard_error_clear(err);
	assert_int_equal(planfile_read(text, strlen(text), "plan.json", &pf,
				       err),
			 SHARD_EINPUT);
	planfile_release(&pf);
	return err->msg;
}

#define PLAN_HEAD \
	"{\"version\":1,\"plan_hash\":\"0\",\"shards\":[\n" \
	"{\"index\":0,\"tests\":[\"a\",\"b\"]},\n"

/*
 * A plan file (an artifact another job wrote, perhaps) holds its ids to
 * the rule of lists: printable UTF-8. The message names the line where
 * the id is spelt as shard writes it, and shows the id escaped.
 */
static void planfile_read_refuses_ids_that_are_not_printable_utf8(void **state)
{
	struct shard_error err = SHARD_ERROR_INIT;

	(void)state;
	assert_string_equal(read_plan_error(PLAN_HEAD
					    "{\"index\":1,\"tests\":"
					    "[\"c\",\"d\\u001b[2J\"]}]}",
					    &err),
			    "plan.json:3: shard 1, test 1: control character "
			    "\\x1b in test id 'd\\x1b[2J'");
	assert_string_equal(read_plan_error(PLAN_HEAD "{\"index\":1,\"tests\":"
						      "[\"c\\u0009d\"]}]}",
					    &err),
			    "plan.json:3: shard 1, test 0: control character "
			    "\\t in test id 'c\\td'");
	/* DEL is valid JSON unescaped */
	assert_string_equal(read_plan_error(PLAN_HEAD "{\"index\":1,\"tests\":"
						      "[\"\x7f\"]}]}",
					    &err),
			    "plan.json:3: shard 1, test 0: control character "
			    "\\x7f in test id '\\x7f'");
	/* spelt otherwise than shard writes it: named without a line */
	assert_string_equal(read_plan_error(PLAN_HEAD "{\"index\":1,\"tests\":"
						      "[\"x\\r\\n\"]}]}",
					    &err),
			    "plan.json: shard 1, test 0: control character "
			    "\\r in test id 'x\\r\\n'");
	assert_string_equal(read_plan_error(PLAN_HEAD "{\"index\":1,\"tests\":"
						      "[\"\\u001B\"]}]}",
					    &err),
			    "plan.json: shard 1, test 0: control character "
			    "\\x1b in test id '\\x1b'");
	/* a lone surrogate decodes to bytes that are not UTF-8 */
	assert_string_equal(read_plan_error(PLAN_HEAD "{\"index\":1,\"tests\":"
						      "[\"\\ud800\"]}]}",
					    &err),
			    "plan.json: shard 1, test 0: invalid UTF-8 (byte "
			    "\\xed) in test id '\\xed\\xa0\\x80'");
	assert_string_equal(read_plan_error(PLAN_HEAD "{\"index\":1,\"tests\":"
						      "[\"caf\xe9\"]}]}",
					    &err),
			    "plan.json:3: shard 1, test 0: invalid UTF-8 (byte "
			    "\\xe9) in test id 'caf\\xe9'");
}

static void planfile_read_names_the_line_of_an_id_listed_twice(void **state)
{
	struct shard_error err = SHARD_ERROR_INIT;

	(void)state;
	assert_string_equal(read_plan_error(PLAN_HEAD "{\"index\":1,\"tests\":"
						      "[\"c\",\n\"b\"]}]}",
					    &err),
			    "plan.json:4: shard 1, test 1: test 'b' is listed "
			    "twice");
}

static void planfile_read_takes_printable_utf8_ids_as_they_are(void **state)
{
	struct shard_error err = SHARD_ERROR_INIT;

	(void)state;
	/* the ids pass: what fails is the (wrong) hash, checked after */
	assert_non_null(strstr(
		read_plan_error(
			PLAN_HEAD
			"{\"index\":1,\"tests\":[\"-pevil\",\"caf\\u00e9 "
			"\xe2\x9c\x93\",\"\\ud83d\\ude00\",\"q\\\"\\\\\"]}]}",
			&err),
		"plan_hash does not match"));
}

/* No two shards hold tests of one file (checked pairwise, by bytes). */
static void check_files_whole(struct fixture *f, const struct plan *p,
			      const char *const *ids)
{
	for (size_t s = 0; s < p->nshards; s++)
		for (size_t o = s + 1; o < p->nshards; o++)
			for (size_t q = 0; q < p->shards[s].nr; q++) {
				const char *x = ids[p->shards[s].tests[q]];
				size_t lx = my_file_len(x);

				for (size_t t = 0; t < p->shards[o].nr; t++) {
					const char *y =
						ids[p->shards[o].tests[t]];

					EXPECT(f, my_file_len(y) != lx ||
							  memcmp(x, y, lx));
				}
			}
}

static void plan_never_splits_a_file_when_by_file(void **state)
{
	struct fixture *f = *state;
	struct rng r = { 99 };
	struct shard_error err = SHARD_ERROR_INIT;

	for (size_t round = 0; round < 20; round++) {
		size_t n = 5 + rng_below(&r, 300);
		size_t k = 1 + rng_below(&r, n / 2 + 2);
		struct overhead_calls calls = { 0, 0 };
		struct plan_request req;

		suite_make(&f->a, &r, n, SHAPE_PYTEST, W_UNIFORM);
		req = request(&f->a, PLAN_BY_FILE, k, 0, 1);
		req.file_overhead = file_overhead;
		req.data = &calls;
		snprintf(f->what, sizeof(f->what), "round %zu n %zu K %zu",
			 round, n, k);
		assert_int_equal(plan_make(&req, &f->p, &err), 0);
		check_files_whole(f, &f->p, (const char *const *)f->a.ids);
		check_plan(f, &req, &f->p);
		plan_release(&f->p);
	}
}

static void plan_adds_file_overhead_once_per_file_when_by_file(void **state)
{
	static const char *const ids[] = {
		"a/test_x.py::test_1",          "a/test_x.py::T::test_2",
		"a/test_x.py::T::test_3[p::q]", "b/test_y.py::test_1",
		"b/test_y.py::test_2",
	};
	const double sec[] = { 1, 2, 3, 10, 20 };
	struct fixture *f = *state;
	struct overhead_calls calls = { 0, 0 };
	struct shard_error err = SHARD_ERROR_INIT;
	struct plan_request req = {
		ids, sec, 5, PLAN_BY_FILE, 1, 0, 1, file_overhead, &calls, NULL,
	};
	double ox = overhead_of("a/test_x.py", 11);
	double oy = overhead_of("b/test_y.py", 11);

	snprintf(f->what, sizeof(f->what), "two files, K 1");
	assert_true(ox > 0 && oy > 0);
	assert_int_equal(plan_make(&req, &f->p, &err), 0);
	assert_int_equal(calls.calls, 2);
	assert_int_equal(calls.bad, 0);
	assert_int_equal(f->p.items, 2);
	assert_true(f->p.shards[0].seconds == 36 + ox + oy);
	assert_true(f->p.total == 36 + ox + oy);
	check_plan(f, &req, &f->p);
	plan_release(&f->p);

	/* by test, the same callback adds nothing */
	req.by = PLAN_BY_TEST;
	calls.calls = 0;
	assert_int_equal(plan_make(&req, &f->p, &err), 0);
	assert_int_equal(calls.calls, 0);
	assert_true(f->p.shards[0].seconds == 36);
	plan_release(&f->p);

	/* two shards: each file with its own overhead */
	req.by = PLAN_BY_FILE;
	req.shards = 2;
	assert_int_equal(plan_make(&req, &f->p, &err), 0);
	assert_int_equal(f->p.shards[0].nr + f->p.shards[1].nr, 5);
	assert_true(f->p.makespan == 30 + oy);
	check_plan(f, &req, &f->p);
}

static void plan_groups_path_ids_by_file_without_locators(void **state)
{
	static const char *const ids[] = {
		"spec/a_spec.rb:12", "spec/a_spec.rb:40", "spec/a_spec.rb[1:2]",
		"spec/b_spec.rb:3",  "src/c.test.js",
	};
	const double sec[] = { 4, 4, 4, 5, 6 };
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct plan_request req = {
		ids, sec, 5, PLAN_BY_FILE, 3, 0, 1, NULL, NULL, NULL,
	};
	size_t *shard_of;

	snprintf(f->what, sizeof(f->what), "rspec and jest paths, K 3");
	assert_int_equal(plan_make(&req, &f->p, &err), 0);
	assert_int_equal(f->p.items, 3);
	shard_of = check_membership(f, &req, &f->p);
	assert_int_equal(shard_of[0], shard_of[1]);
	assert_int_equal(shard_of[0], shard_of[2]);
	assert_true(shard_of[3] != shard_of[0] && shard_of[4] != shard_of[0] &&
		    shard_of[3] != shard_of[4]);
	assert_true(f->p.makespan == 12);
	free(shard_of);
}

static void plan_keeps_classes_together_when_by_class(void **state)
{
	struct fixture *f = *state;
	struct rng r = { 31337 };
	struct shard_error err = SHARD_ERROR_INIT;

	for (size_t round = 0; round < 20; round++) {
		size_t n = 5 + rng_below(&r, 300);
		size_t k = 1 + rng_below(&r, n / 2 + 2);
		struct plan_request req;
		size_t *shard_of;

		suite_make(&f->a, &r, n, SHAPE_PYTEST, W_HEAVY);
		req = request(&f->a, PLAN_BY_CLASS, k, 0, 1);
		snprintf(f->what, sizeof(f->what), "round %zu n %zu K %zu",
			 round, n, k);
		assert_int_equal(plan_make(&req, &f->p, &err), 0);
		shard_of = check_membership(f, &req, &f->p);
		for (size_t i = 0; i < n; i++)
			for (size_t j = i + 1; j < n; j++) {
				const char *x = f->a.ids[i], *y = f->a.ids[j];
				size_t lx = my_class_len(x);

				if (lx == my_class_len(y) && !memcmp(x, y, lx))
					EXPECT(f, shard_of[i] == shard_of[j]);
			}
		free(shard_of);
		check_plan(f, &req, &f->p);
		plan_release(&f->p);
	}
}

static void plan_keeps_dotted_classes_together_when_by_class(void **state)
{
	static const char *const ids[] = {
		"org.x.FooTest.a",
		"org.x.FooTest.b",
		"org.x.BarTest.a",
		"org.x.BarTest.b",
	};
	const double sec[] = { 5, 1, 5, 1 };
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct plan_request req = {
		ids, sec, 4, PLAN_BY_CLASS, 2, 0, 1, NULL, NULL, NULL,
	};
	size_t *shard_of;

	snprintf(f->what, sizeof(f->what), "dotted classes, K 2");
	assert_int_equal(plan_make(&req, &f->p, &err), 0);
	shard_of = check_membership(f, &req, &f->p);
	assert_int_equal(f->p.items, 2);
	assert_int_equal(shard_of[0], shard_of[1]);
	assert_int_equal(shard_of[2], shard_of[3]);
	assert_true(shard_of[0] != shard_of[2]);
	assert_true(f->p.makespan == 6);
	free(shard_of);
}

static void plan_spreads_tests_of_no_time_over_every_shard(void **state)
{
	static const char *const ids[] = { "a", "b", "c", "d", "e",
					   "f", "g", "h", "i" };
	const double sec[9] = { 0 };
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct plan_request req = {
		ids, sec, 9, PLAN_BY_TEST, 3, 0, 1, NULL, NULL, NULL,
	};

	/* reports that round fast tests to 0 s must not make one shard */
	assert_int_equal(plan_make(&req, &f->p, &err), 0);
	for (size_t s = 0; s < 3; s++)
		assert_int_equal(f->p.shards[s].nr, 3);
}

static void plan_assign_rebuilds_a_plan_with_its_hash(void **state)
{
	static const char *const ids[] = { "c", "a", "d", "b" };
	const double sec[] = { 4, 1, 2, 3 };
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct plan_request req = {
		ids, sec, 4, PLAN_BY_TEST, 2, 0, 1, NULL, NULL, NULL,
	};
	uint32_t shard_of[4], bad[4] = { 0, 1, 2, 0 };

	assert_int_equal(plan_make(&req, &f->p, &err), 0);
	for (size_t s = 0; s < 2; s++)
		for (size_t q = 0; q < f->p.shards[s].nr; q++)
			shard_of[f->p.shards[s].tests[q]] = (uint32_t)s;
	assert_int_equal(plan_assign(ids, NULL, 4, shard_of, 2, &f->q, &err),
			 0);
	assert_string_equal(f->q.hash, f->p.hash);
	for (size_t s = 0; s < 2; s++) {
		assert_int_equal(f->q.shards[s].nr, f->p.shards[s].nr);
		for (size_t q = 0; q < f->q.shards[s].nr; q++)
			assert_int_equal(f->q.shards[s].tests[q],
					 f->p.shards[s].tests[q]);
	}
	plan_release(&f->q);
	assert_int_equal(plan_assign(ids, NULL, 4, bad, 2, &f->q, &err),
			 SHARD_EINPUT);
	assert_non_null(strstr(err.msg, "shard 2 of 2"));
	assert_null(f->q.shards);
}

static void plan_refuses_fewer_than_one_shard(void **state)
{
	static const char *const ids[] = { "a", "b" };
	const double sec[] = { 1, 2 };
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct plan_request req = {
		ids, sec, 2, PLAN_BY_TEST, 0, 0, 1, NULL, NULL, NULL,
	};

	assert_int_equal(plan_make(&req, &f->p, &err), SHARD_EINPUT);
	assert_int_equal(err.code, SHARD_EINPUT);
	assert_non_null(strstr(err.msg, "at least 1"));
	assert_int_equal(f->p.nshards, 0);
	assert_null(f->p.shards);
}

static void plan_hash_is_sha256_of_the_shard_listing(void **state)
{
	static const char *const ids[] = { "b", "a" };
	const double sec[] = { 2, 1 };
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct plan_request req = {
		ids, sec, 2, PLAN_BY_TEST, 2, 0, 1, NULL, NULL, NULL,
	};
	char hex[65];

	/* printf 'shard 0\nb\nshard 1\na\n' | sha256sum */
	assert_int_equal(plan_make(&req, &f->p, &err), 0);
	assert_string_equal(f->p.hash, "4d423850dc40939eb4285d7c38f5e79c"
				       "dbc567ededb3920740e1a12b656215a2");
	plan_hash(&f->p, ids, hex);
	assert_string_equal(hex, f->p.hash);
	plan_release(&f->p);

	/* printf 'shard 0\na\nb\nshard 1\n' | sha256sum: an empty shard */
	req.shards = 1;
	assert_int_equal(plan_make(&req, &f->p, &err), 0);
	f->p.shards = realloc(f->p.shards, 2 * sizeof(*f->p.shards));
	assert_non_null(f->p.shards);
	memset(&f->p.shards[1], 0, sizeof(f->p.shards[1]));
	f->p.nshards = 2;
	plan_hash(&f->p, ids, hex);
	assert_string_equal(hex, "b19a40b8378123b0d6111e388229c19a"
				 "9bf7bd7508b87425f1be3139daa87c8d");
}

static void plan_hash_pieces_match_the_whole(void **state)
{
	struct fixture *f = *state;
	struct rng r = { 5 };
	struct shard_error err = SHARD_ERROR_INIT;
	struct plan_request req;
	struct digest *d = digest_new();
	char hex[65], mine[65];

	suite_make(&f->a, &r, 100, SHAPE_PYTEST, W_UNIFORM);
	req = request(&f->a, PLAN_BY_TEST, 7, 0, 1);
	assert_int_equal(plan_make(&req, &f->p, &err), 0);
	for (size_t s = 0; s < f->p.nshards; s++) {
		plan_hash_shard(d, s);
		for (size_t q = 0; q < f->p.shards[s].nr; q++) {
			const char *id = f->a.ids[f->p.shards[s].tests[q]];

			plan_hash_id(d, id, strlen(id));
		}
	}
	digest_final_hex(d, hex);
	expected_hash(&f->p, req.ids, mine);
	assert_string_equal(hex, mine);
	assert_string_equal(f->p.hash, mine);
}

/* Makespan of the plan for K shards (overhead included). */
static double makespan_for(struct fixture *f, const struct plan_request *req,
			   size_t k)
{
	struct plan_request r = *req;
	struct shard_error err = SHARD_ERROR_INIT;
	double m;

	r.shards = k;
	assert_int_equal(plan_make(&r, &f->q, &err), 0);
	m = f->q.makespan;
	plan_release(&f->q);
	return m;
}

/*
 * k must meet the goal (the target, or the longest item when one exceeds
 * the target) and no smaller K may: K - 1 first, then every smaller one.
 */
static void check_choice(struct fixture *f, const struct plan_request *req,
			 double target, size_t k, int too_long, double longest)
{
	double goal = too_long ? longest + req->shard_overhead : target;

	EXPECT(f, too_long == (longest > target - req->shard_overhead));
	EXPECT(f, k >= 1);
	EXPECT(f, makespan_for(f, req, k) <= goal);
	for (size_t j = k - 1; j >= 1; j--) {
		double m = makespan_for(f, req, j);

		if (m <= goal)
			print_error("%s: chose K %zu (too_long %d) but K %zu "
				    "already meets %.17g with %.17g\n",
				    f->what, k, too_long, j, goal, m);
		assert_true(m > goal);
	}
}

static void choose_shards_picks_the_smallest_k_meeting_the_target(void **state)
{
	struct fixture *f = *state;
	struct rng r = { 8675309 };
	struct shard_error err = SHARD_ERROR_INIT;

	for (size_t round = 0; round < 300; round++) {
		size_t n = 1 + rng_below(&r, 120);
		enum weight_kind wk = (enum weight_kind)(round % W__COUNT);
		double ov = round % 3 ? 0 : 1.25;
		uint64_t seed = r.s;
		struct plan_request req;
		double target;
		size_t k = 0, k0;
		int too_long = -1;

		suite_make(&f->a, &r, n, SHAPE_FLAT, wk);
		req = request(&f->a, PLAN_BY_TEST, 1, ov, 1);
		/* a target some K reaches exactly, or a bit more, or less */
		k0 = 1 + rng_below(&r, n);
		target = makespan_for(f, &req, k0);
		if (round % 4 == 1)
			target *= 1.1;
		else if (round % 4 == 2)
			target = ov + (target - ov) * 0.7;
		if (target <= ov)
			target = ov + 1;
		assert_int_equal(plan_make(&req, &f->p, &err), 0);
		snprintf(f->what, sizeof(f->what),
			 "seed %llu n %zu weights %d overhead %g target %.17g "
			 "(K0 %zu)",
			 (unsigned long long)seed, n, (int)wk, ov, target, k0);
		assert_int_equal(plan_choose_shards(&req, target, n + 10, &k,
						    &too_long, &err),
				 0);
		check_choice(f, &req, target, k, too_long, f->p.longest);
		if (round % 4 == 0)
			EXPECT(f, k <= k0);
		plan_release(&f->p);
	}
}

static void choose_shards_counts_the_overhead_against_the_target(void **state)
{
	static const char *const ids[] = { "a", "b", "c", "d", "e" };
	const double sec[] = { 5, 4, 3, 3, 3 };
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct plan_request req = {
		ids, sec, 5, PLAN_BY_TEST, 1, 1, 1, NULL, NULL, NULL,
	};
	size_t k = 0;
	int too_long = -1;

	/* 2 shards: {5,4} and {3,3,3}, 9 s + 1 s overhead */
	snprintf(f->what, sizeof(f->what), "5,4,3,3,3 overhead 1");
	assert_int_equal(plan_choose_shards(&req, 10, 100, &k, &too_long, &err),
			 0);
	assert_int_equal(k, 2);
	assert_int_equal(too_long, 0);
	/* 9.5 s: 2 shards need 10, 3 shards need 7 + 1 */
	assert_int_equal(plan_choose_shards(&req, 9.5, 100, &k, &too_long,
					    &err),
			 0);
	assert_int_equal(k, 3);
	assert_int_equal(too_long, 0);
	check_choice(f, &req, 9.5, k, too_long, 5);
}

/*
 * LPT's makespan is not monotone in K: here K = 11 takes 109 s and K = 12
 * takes 110 s, so a bisection that sees K = 12 miss the target may skip
 * K = 11. The contract is the smallest K that meets the target.
 */
static void choose_shards_finds_the_smallest_k_when_not_monotone(void **state)
{
	static const double sec[] = {
		84, 21, 32, 99,  49, 55, 22, 21, 30, 49, 2,  27, 72, 57, 2,
		4,  2,  53, 100, 37, 60, 37, 58, 28, 29, 38, 26, 27, 50,
	};
	enum { N = sizeof(sec) / sizeof(*sec) };
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	const char *ids[N];
	char names[N][8];
	struct plan_request req = {
		ids, sec, N, PLAN_BY_TEST, 1, 0, 1, NULL, NULL, NULL,
	};
	size_t k = 0;
	int too_long = -1;

	for (size_t i = 0; i < N; i++) {
		snprintf(names[i], sizeof(names[i]), "t%03zu", i);
		ids[i] = names[i];
	}
	snprintf(f->what, sizeof(f->what), "29 tests t000.. target 109");
	assert_int_equal(plan_choose_shards(&req, 109, N, &k, &too_long, &err),
			 0);
	assert_int_equal(too_long, 0);
	check_choice(f, &req, 109, k, too_long, 100);
}

static void choose_shards_flags_an_item_longer_than_the_target(void **state)
{
	static const char *const ids[] = { "a", "b", "c", "d" };
	const double sec[] = { 20, 1, 1, 1 };
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct plan_request req = {
		ids, sec, 4, PLAN_BY_TEST, 1, 0, 1, NULL, NULL, NULL,
	};
	size_t k = 0;
	int too_long = -1;

	snprintf(f->what, sizeof(f->what), "20,1,1,1 target 10");
	assert_int_equal(plan_choose_shards(&req, 10, 100, &k, &too_long, &err),
			 0);
	assert_int_equal(too_long, 1);
	/* one shard takes 23 s; two reach the longest item, 20 s */
	assert_int_equal(k, 2);
	check_choice(f, &req, 10, k, too_long, 20);

	/* by file, the file's overhead makes its item too long */
	{
		static const char *const fids[] = {
			"t/test_a.py::x",
			"t/test_a.py::y",
			"t/test_b.py::z",
		};
		const double fsec[] = { 3, 3, 1 };
		struct overhead_calls calls = { 0, 0 };
		struct plan_request fr = {
			fids, fsec,          3,      PLAN_BY_FILE, 1, 0,
			1,    file_overhead, &calls, NULL,
		};
		double longest = 6 + overhead_of("t/test_a.py", 11);

		assert_int_equal(plan_choose_shards(&fr, 6, 100, &k, &too_long,
						    &err),
				 0);
		assert_int_equal(too_long, longest > 6);
		check_choice(f, &fr, 6, k, too_long, longest);
	}
}

static void choose_shards_refuses_a_target_not_above_overhead(void **state)
{
	static const char *const ids[] = { "a", "b" };
	const double sec[] = { 1, 1 };
	struct plan_request req = {
		ids, sec, 2, PLAN_BY_TEST, 1, 2, 1, NULL, NULL, NULL,
	};
	const double targets[] = { 2, 1.5, 0, -1 };
	size_t k = 12345;
	int too_long = -1;

	(void)state;
	for (size_t i = 0; i < sizeof(targets) / sizeof(*targets); i++) {
		struct shard_error err = SHARD_ERROR_INIT;

		assert_int_equal(plan_choose_shards(&req, targets[i], 100, &k,
						    &too_long, &err),
				 SHARD_EINPUT);
		assert_int_equal(err.code, SHARD_EINPUT);
		assert_non_null(strstr(err.msg, "overhead"));
		assert_int_equal(k, 12345);
	}
	{
		struct shard_error err = SHARD_ERROR_INIT;

		req.shard_overhead = 0;
		assert_int_equal(plan_choose_shards(&req, 0, 100, &k, &too_long,
						    &err),
				 SHARD_EINPUT);
		assert_int_equal(err.code, SHARD_EINPUT);
		assert_non_null(strstr(err.msg, "overhead"));
	}
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(plan_invariants_hold_on_random_suites),
		T(plan_improvement_never_makes_the_makespan_worse),
		T(plan_is_identical_for_any_input_order),
		T(plan_is_the_same_when_shards_are_sorted_on_two_threads),
		T(plan_json_written_on_two_threads_reads_back_whole),
		T(planfile_read_refuses_ids_that_are_not_printable_utf8),
		T(planfile_read_names_the_line_of_an_id_listed_twice),
		T(planfile_read_takes_printable_utf8_ids_as_they_are),
		T(plan_never_splits_a_file_when_by_file),
		T(plan_adds_file_overhead_once_per_file_when_by_file),
		T(plan_groups_path_ids_by_file_without_locators),
		T(plan_keeps_classes_together_when_by_class),
		T(plan_keeps_dotted_classes_together_when_by_class),
		T(plan_spreads_tests_of_no_time_over_every_shard),
		T(plan_assign_rebuilds_a_plan_with_its_hash),
		T(plan_refuses_fewer_than_one_shard),
		T(plan_hash_is_sha256_of_the_shard_listing),
		T(plan_hash_pieces_match_the_whole),
		T(choose_shards_picks_the_smallest_k_meeting_the_target),
		T(choose_shards_counts_the_overhead_against_the_target),
		T(choose_shards_finds_the_smallest_k_when_not_monotone),
		T(choose_shards_flags_an_item_longer_than_the_target),
		T(choose_shards_refuses_a_target_not_above_overhead),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
