/*
 * The report's figures from history. Runs, their shards and their results
 * are read through the store's report operations, one run at a time;
 * every test seen in the window gets a row and one byte of outcome bits
 * per run (a flat array, tests x runs), from which flakiness, added and
 * removed tests and per-run counts follow without a second read. Times
 * per test are the store's estimates (what plans use), so that the
 * makespan bound speaks of the same numbers as `shard plan`. Orders break
 * ties by key, so the same history gives the same report everywhere.
 */
#include "model.h"

#include <stdlib.h>
#include <string.h>

#include "shard/util/strmap.h"
#include "shard/util/util.h"
#include "shard/util/banned.h"

enum {
	SEEN = 1,         /* a result in this run */
	PASSED = 2,       /* some attempt passed */
	FAILED = 4,       /* some attempt failed or errored */
	LAST_PASSED = 8,  /* the last attempt passed */
	LAST_FAILED = 16, /* the last attempt failed or errored */
};

struct mtest {
	const char *key, *file, *parent_key;
	double estimate, latest;
	int has_estimate, has_latest;
};

struct build {
	struct report *r;
	struct store *st;
	struct strmap index; /* key -> test number */
	struct mtest *tests;
	size_t ntests, alloc_tests;
	unsigned char *bits; /* ntests x nruns */
	size_t alloc_bits;
	int64_t *run_ids; /* parallel to r->runs */
	size_t alloc_runs, alloc_shards;
	size_t run; /* the run being read */
};

static const char *keep(struct report *r, const char *s)
{
	return s ? pool_strdup(&r->strings, s) : NULL;
}

static int take_run(void *data, int64_t id, const struct store_run *run)
{
	struct build *b = data;
	struct report *r = b->r;
	struct report_run *out;

	ALLOC_GROW(r->runs, r->nruns + 1, b->alloc_runs);
	b->run_ids = xrealloc(b->run_ids, b->alloc_runs * sizeof(int64_t));
	b->run_ids[r->nruns] = id;
	out = &r->runs[r->nruns++];
	memset(out, 0, sizeof(*out));
	out->run_key = keep(r, run->run_key);
	out->commit = keep(r, run->commit);
	out->branch = keep(r, run->branch);
	out->started_at = run->started_at;
	return 0;
}

/* The store gives newest first; the report goes oldest first. */
static void reverse_runs(struct build *b)
{
	struct report *r = b->r;

	for (size_t i = 0, j = r->nruns; i + 1 < j--; i++) {
		struct report_run t = r->runs[i];
		int64_t id = b->run_ids[i];

		r->runs[i] = r->runs[j];
		r->runs[j] = t;
		b->run_ids[i] = b->run_ids[j];
		b->run_ids[j] = id;
	}
}

/* Rows come by index then attempt: a later attempt replaces an earlier. */
static int take_shard(void *data, const struct store_shard *sh)
{
	struct build *b = data;
	struct report *r = b->r;
	struct report_shard *out;

	if (r->nshards && r->shards[r->nshards - 1].index == sh->index)
		out = &r->shards[r->nshards - 1];
	else {
		ALLOC_GROW(r->shards, r->nshards + 1, b->alloc_shards);
		out = &r->shards[r->nshards++];
	}
	out->index = sh->index;
	out->total = sh->total;
	out->predicted = sh->predicted;
	out->actual = sh->actual;
	out->has_predicted = sh->has_predicted;
	out->has_actual = sh->has_actual;
	out->host = keep(r, sh->host);
	out->attempt = sh->attempt;
	return 0;
}

/* Makespan and shard count of one run from its shards. */
static void sum_shards(struct report_run *run, const struct report *r)
{
	for (size_t i = 0; i < r->nshards; i++) {
		const struct report_shard *sh = &r->shards[i];

		if (sh->has_actual &&
		    (!run->has_makespan || sh->actual > run->makespan)) {
			run->makespan = sh->actual;
			run->has_makespan = 1;
		}
		if (sh->total > run->shards)
			run->shards = sh->total;
	}
	if (run->shards < (int)r->nshards)
		run->shards = (int)r->nshards;
}

/* The test numbered for key, added (with zeroed bits) when new. */
static size_t test_of(struct build *b, const struct store_result *res)
{
	size_t n, len = strlen(res->key), nruns = b->r->nruns;
	struct mtest *t;

	if (strmap_get(&b->index, res->key, len, &n))
		return n;
	n = b->ntests;
	ALLOC_GROW(b->tests, b->ntests + 1, b->alloc_tests);
	t = &b->tests[b->ntests++];
	memset(t, 0, sizeof(*t));
	/* the map borrows its keys: give it the pool's copy */
	t->key = pool_strndup(&b->r->strings, res->key, len);
	strmap_put(&b->index, t->key, len, n, NULL);
	ALLOC_GROW(b->bits, b->ntests * nruns, b->alloc_bits);
	memset(b->bits + n * nruns, 0, nruns);
	return n;
}

static int take_result(void *data, const struct store_result *res)
{
	struct build *b = data;
	struct report_run *run = &b->r->runs[b->run];
	size_t n = test_of(b, res);
	struct mtest *t = &b->tests[n];
	unsigned char *bits = &b->bits[n * b->r->nruns + b->run];

	if (!t->file && res->file)
		t->file = keep(b->r, res->file);
	if (!t->parent_key && res->parent_key)
		t->parent_key = keep(b->r, res->parent_key);
	*bits = (unsigned char)((*bits | SEEN) & ~(LAST_PASSED | LAST_FAILED));
	if (res->outcome == JUNIT_PASSED)
		*bits |= PASSED | LAST_PASSED;
	else if (res->outcome == JUNIT_FAILED || res->outcome == JUNIT_ERROR)
		*bits |= FAILED | LAST_FAILED;
	if (res->has_time)
		run->suite_seconds += res->seconds;
	if (b->run + 1 == b->r->nruns) {
		t->latest = res->seconds;
		t->has_latest = res->has_time;
	}
	return 0;
}

static int take_estimate(void *data, const struct store_estimate *e)
{
	struct build *b = data;
	size_t n;

	if (strmap_get(&b->index, e->key, strlen(e->key), &n)) {
		b->tests[n].estimate = e->seconds;
		b->tests[n].has_estimate = 1;
	}
	return 0;
}

/* Shards, results and counts of every run; the latest's shards stay. */
static int read_runs(struct build *b, struct shard_error *err)
{
	struct report *r = b->r;
	struct store *st = b->st;

	for (b->run = 0; b->run < r->nruns; b->run++) {
		int64_t id = b->run_ids[b->run];

		r->nshards = 0;
		if (store_each_shard(st, id, take_shard, b, err) ||
		    store_each_result(st, STORE_RESULTS_OF_RUN, id, take_result,
				      b, err))
			return err->code;
		sum_shards(&r->runs[b->run], r);
	}
	for (size_t n = 0; n < b->ntests; n++)
		for (size_t i = 0; i < r->nruns; i++) {
			unsigned char bits = b->bits[n * r->nruns + i];

			r->runs[i].tests += (bits & SEEN) != 0;
			r->runs[i].failed += (bits & LAST_FAILED) != 0;
		}
	return 0;
}

static int by_estimate(const void *pa, const void *pb)
{
	const struct report_test *a = pa, *b = pb;

	if (a->estimate != b->estimate)
		return a->estimate < b->estimate ? 1 : -1;
	return strcmp(a->key, b->key);
}

static int by_file_estimate(const void *pa, const void *pb)
{
	const struct report_file *a = pa, *b = pb;

	if (a->estimate != b->estimate)
		return a->estimate < b->estimate ? 1 : -1;
	return strcmp(a->file, b->file);
}

static struct report_test as_report_test(const struct mtest *t)
{
	struct report_test out = { t->key, t->file, t->estimate, t->latest,
				   t->has_latest };

	return out;
}

static void slowest_tests(struct build *b, unsigned top)
{
	struct report *r = b->r;
	size_t n = 0;

	r->slowest = xcalloc(b->ntests + 1, sizeof(*r->slowest));
	for (size_t i = 0; i < b->ntests; i++)
		if (b->tests[i].has_estimate)
			r->slowest[n++] = as_report_test(&b->tests[i]);
	qsort(r->slowest, n, sizeof(*r->slowest), by_estimate);
	r->nslowest = n < top ? n : top;
}

/* A Go subtest whose parent is known: the parent's time includes it. */
static int counted_in_parent(const struct build *b, const struct mtest *t)
{
	size_t n;

	return t->parent_key &&
	       strmap_get(&b->index, t->parent_key, strlen(t->parent_key), &n);
}

static void slowest_files(struct build *b, unsigned top)
{
	struct report *r = b->r;
	struct strmap files = STRMAP_INIT;
	size_t n;

	r->files = xcalloc(b->ntests + 1, sizeof(*r->files));
	for (size_t i = 0; i < b->ntests; i++) {
		const struct mtest *t = &b->tests[i];

		if (!t->file || !t->has_estimate || counted_in_parent(b, t))
			continue;
		if (strmap_put(&files, t->file, strlen(t->file), r->nfiles, &n))
			r->files[n = r->nfiles++].file = t->file;
		r->files[n].estimate += t->estimate;
		r->files[n].tests++;
	}
	strmap_release(&files);
	qsort(r->files, r->nfiles, sizeof(*r->files), by_file_estimate);
	if (r->nfiles > top)
		r->nfiles = top;
}

static void makespan_bound(struct build *b)
{
	struct report *r = b->r;
	size_t latest = r->nruns - 1;

	r->bound_shards = r->runs[latest].shards;
	r->bounding = xcalloc(b->ntests + 1, sizeof(*r->bounding));
	for (size_t i = 0; i < b->ntests; i++)
		if ((b->bits[i * r->nruns + latest] & SEEN) &&
		    b->tests[i].has_estimate &&
		    !counted_in_parent(b, &b->tests[i]))
			r->bound_total += b->tests[i].estimate;
	if (r->bound_shards <= 0)
		return;
	r->bound_share = r->bound_total / r->bound_shards;
	for (size_t i = 0; i < b->ntests; i++)
		if ((b->bits[i * r->nruns + latest] & SEEN) &&
		    b->tests[i].has_estimate &&
		    b->tests[i].estimate > r->bound_share)
			r->bounding[r->nbounding++] =
				as_report_test(&b->tests[i]);
	qsort(r->bounding, r->nbounding, sizeof(*r->bounding), by_estimate);
}

static int by_flakiness(const void *pa, const void *pb)
{
	const struct report_flaky *a = pa, *b = pb;

	if (a->same_commit != b->same_commit)
		return b->same_commit - a->same_commit;
	if (a->flip_rate != b->flip_rate)
		return a->flip_rate < b->flip_rate ? 1 : -1;
	return strcmp(a->key, b->key);
}

/*
 * group[i]: the first run of the window with run i's commit (a run of
 * unknown commit is its own group: only its retries share a commit).
 */
static size_t *commit_groups(const struct report *r)
{
	size_t *group = xcalloc(r->nruns + 1, sizeof(*group));

	for (size_t i = 0; i < r->nruns; i++) {
		group[i] = i;
		for (size_t j = 0; j < i && r->runs[i].commit; j++)
			if (r->runs[j].commit &&
			    !strcmp(r->runs[j].commit, r->runs[i].commit)) {
				group[i] = group[j];
				break;
			}
	}
	return group;
}

/* One test's flakiness from its bits; 1 when it counts as flaky. */
static int judge(const unsigned char *bits, size_t nruns, const size_t *group,
		 unsigned char *acc, struct report_flaky *out)
{
	int last = 0;

	memset(acc, 0, nruns);
	for (size_t i = 0; i < nruns; i++) {
		int now = bits[i] & LAST_PASSED   ? LAST_PASSED
			  : bits[i] & LAST_FAILED ? LAST_FAILED
						  : 0;

		acc[group[i]] |= bits[i] & (PASSED | FAILED);
		if (acc[group[i]] == (PASSED | FAILED))
			out->same_commit = 1;
		if (!now)
			continue;
		out->flips += last && now != last;
		out->observed++;
		last = now;
	}
	if (out->observed > 1)
		out->flip_rate = (double)out->flips / (out->observed - 1);
	return out->same_commit || (out->flips >= REPORT_FLAKY_MIN_FLIPS &&
				    out->flip_rate >= REPORT_FLAKY_MIN_RATE);
}

static void flaky_tests(struct build *b)
{
	struct report *r = b->r;
	size_t *group = commit_groups(r);
	unsigned char *acc = xcalloc(r->nruns + 1, 1);

	r->flaky = xcalloc(b->ntests + 1, sizeof(*r->flaky));
	for (size_t i = 0; i < b->ntests; i++) {
		struct report_flaky *f = &r->flaky[r->nflaky];

		memset(f, 0, sizeof(*f));
		f->key = b->tests[i].key;
		if (judge(&b->bits[i * r->nruns], r->nruns, group, acc, f))
			r->nflaky++;
	}
	qsort(r->flaky, r->nflaky, sizeof(*r->flaky), by_flakiness);
	free(acc);
	free(group);
}

static int by_string(const void *pa, const void *pb)
{
	return strcmp(*(const char *const *)pa, *(const char *const *)pb);
}

/* Tests in the latest run and not the one before, and the other way. */
static void added_removed(struct build *b)
{
	struct report *r = b->r;
	size_t latest = r->nruns - 1;

	r->added = xcalloc(b->ntests + 1, sizeof(*r->added));
	r->removed = xcalloc(b->ntests + 1, sizeof(*r->removed));
	if (r->nruns < 2)
		return;
	for (size_t i = 0; i < b->ntests; i++) {
		const unsigned char *bits = &b->bits[i * r->nruns];
		int now = bits[latest] & SEEN, before = bits[latest - 1] & SEEN;

		if (now && !before)
			r->added[r->nadded++] = b->tests[i].key;
		else if (before && !now)
			r->removed[r->nremoved++] = b->tests[i].key;
	}
	qsort(r->added, r->nadded, sizeof(*r->added), by_string);
	qsort(r->removed, r->nremoved, sizeof(*r->removed), by_string);
}

static void build_release(struct build *b)
{
	strmap_release(&b->index);
	free(b->tests);
	free(b->bits);
	free(b->run_ids);
}

int report_build(struct store *st, const struct report_options *opt,
		 const struct shard_ctx *ctx, struct report *out,
		 struct shard_error *err)
{
	struct build b = { 0 };
	int r = 0;

	memset(out, 0, sizeof(*out));
	out->generated_at = shard_now(ctx);
	out->last = opt->last;
	b.r = out;
	b.st = st;
	if (store_each_run(st, opt->last, take_run, &b, err)) {
		r = err->code;
		goto out;
	}
	reverse_runs(&b);
	if (!out->nruns)
		goto out;
	if (read_runs(&b, err) || store_each_estimate(st, STORE_ESTIMATE_ALL,
						      take_estimate, &b, err)) {
		r = err->code;
		goto out;
	}
	slowest_tests(&b, opt->top);
	slowest_files(&b, opt->top);
	makespan_bound(&b);
	flaky_tests(&b);
	added_removed(&b);
out:
	build_release(&b);
	return r;
}

void report_release(struct report *r)
{
	pool_release(&r->strings);
	free(r->runs);
	free(r->shards);
	free(r->slowest);
	free(r->files);
	free(r->bounding);
	free(r->flaky);
	free(r->added);
	free(r->removed);
	memset(r, 0, sizeof(*r));
}
