/*
 * Plan pins: a plan encoded and decoded again is the plan first made
 * (hash, figures to the bit, estimate counts), whatever order the list
 * comes in the second time; a pin that does not fit its list is refused;
 * and, on a real SQLite history, a run's later plans reuse its first
 * while plans of other runs follow the history.
 */
#include "shard/plan/pin.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shard/util/strbuf.h"
#include "tmpdir.h"
#include "shard/util/banned.h"

#define N 30

struct fixture {
	char *ids[N];
	const char *rev[N];
	double seconds[N];
	struct partition_list list, other;
	struct plan p, q;
	struct weights w, v;
	struct strbuf assignment, meta;
	char dir[64];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	for (size_t i = 0; i < N; i++) {
		f->ids[i] = malloc(32);
		snprintf(f->ids[i], 32, "pkg.Test%zu.test_%zu", i % 4, i);
		f->seconds[i] = 0.5 + (double)((i * 37) % 11) / 3.0;
	}
	for (size_t i = 0; i < N; i++)
		f->rev[i] = f->ids[N - 1 - i];
	partition_list_init(&f->list, (const char *const *)f->ids, NULL, N);
	partition_list_init(&f->other, f->rev, NULL, N);
	partition_list_sort(&f->list);
	partition_list_sort(&f->other);
	strbuf_init(&f->assignment, 0);
	strbuf_init(&f->meta, 0);
	snprintf(f->dir, sizeof(f->dir), "/tmp/shard-pin-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	for (size_t i = 0; i < N; i++)
		free(f->ids[i]);
	partition_list_release(&f->list);
	partition_list_release(&f->other);
	plan_release(&f->p);
	plan_release(&f->q);
	weigh_release(&f->w);
	weigh_release(&f->v);
	strbuf_release(&f->assignment);
	strbuf_release(&f->meta);
	assert_int_equal(tmpdir_remove(f->dir), 0);
	free(f);
	return 0;
}

static void make(struct fixture *f, size_t k)
{
	struct shard_error err = SHARD_ERROR_INIT;
	struct plan_request req = {
		(const char *const *)f->ids,
		f->seconds,
		N,
		PLAN_BY_TEST,
		k,
		1.25,
		1,
		NULL,
		NULL,
		NULL,
	};

	assert_int_equal(plan_make(&req, &f->p, &err), 0);
	f->w.count[WEIGH_HISTORY] = N - 3;
	f->w.count[WEIGH_CLASS] = 3;
	pin_encode(&f->p, &f->list, &f->w, &f->assignment, &f->meta);
}

static void a_pinned_plan_decodes_to_the_plan_first_made(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;

	make(f, 4);
	/* one byte a test: 4 shards */
	assert_int_equal(f->assignment.len, N);
	assert_int_equal(pin_decode(&f->assignment, &f->meta, f->p.hash,
				    &f->other, &f->q, &f->v, &err),
			 0);
	assert_string_equal(f->q.hash, f->p.hash);
	assert_int_equal(f->q.nshards, 4);
	assert_true(f->q.lower_bound == f->p.lower_bound);
	assert_true(f->q.makespan == f->p.makespan);
	assert_true(f->q.overhead == f->p.overhead);
	assert_true(f->q.total == f->p.total);
	assert_true(f->q.longest == f->p.longest);
	assert_int_equal(f->q.items, f->p.items);
	for (size_t s = 0; s < 4; s++) {
		assert_true(f->q.shards[s].seconds == f->p.shards[s].seconds);
		assert_int_equal(f->q.shards[s].nr, f->p.shards[s].nr);
		for (size_t j = 0; j < f->q.shards[s].nr; j++)
			assert_string_equal(f->rev[f->q.shards[s].tests[j]],
					    f->ids[f->p.shards[s].tests[j]]);
	}
	assert_int_equal(f->v.count[WEIGH_HISTORY], N - 3);
	assert_int_equal(f->v.count[WEIGH_CLASS], 3);
	assert_int_equal(f->v.equal, 0);
}

static void a_pin_that_does_not_fit_is_refused(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct partition_list shorter;

	make(f, 3);
	/* cut short */
	f->assignment.len--;
	assert_int_equal(pin_decode(&f->assignment, &f->meta, f->p.hash,
				    &f->list, &f->q, &f->v, &err),
			 SHARD_EINPUT);
	assert_non_null(strstr(err.msg, "damaged (assignment)"));
	f->assignment.len++;
	/* a shard beyond the plan's */
	shard_error_clear(&err);
	f->assignment.buf[0] = 9;
	assert_int_equal(pin_decode(&f->assignment, &f->meta, f->p.hash,
				    &f->list, &f->q, &f->v, &err),
			 SHARD_EINPUT);
	f->assignment.buf[0] = 0;
	/* a list one test shorter does not fit it */
	shard_error_clear(&err);
	partition_list_init(&shorter, (const char *const *)f->ids, NULL, N - 1);
	partition_list_sort(&shorter);
	assert_int_equal(pin_decode(&f->assignment, &f->meta, f->p.hash,
				    &shorter, &f->q, &f->v, &err),
			 SHARD_EINPUT);
	partition_list_release(&shorter);
	assert_null(f->q.shards);
}

static void a_pin_whose_hash_differs_is_refused(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	char other[65];

	make(f, 2);
	memset(other, 'a', 64);
	other[64] = '\0';
	assert_int_equal(pin_decode(&f->assignment, &f->meta, other, &f->list,
				    &f->q, &f->v, &err),
			 SHARD_EINPUT);
	assert_non_null(strstr(err.msg, "hash does not match"));
	assert_null(f->q.shards);
}

static void request_keys_tell_options_apart(void **state)
{
	struct pin_request a = { NULL, PLAN_BY_TEST, 4, 0, 0, 0, 1, "r" };
	struct pin_request b = a;
	struct strbuf ka = STRBUF_INIT, kb = STRBUF_INIT;

	(void)state;
	pin_request_key(&a, &ka);
	b.by = PLAN_BY_FILE;
	pin_request_key(&b, &kb);
	assert_string_not_equal(ka.buf, kb.buf);
	b = a;
	b.overhead = 0.1;
	strbuf_reset(&kb);
	pin_request_key(&b, &kb);
	assert_string_not_equal(ka.buf, kb.buf);
	b = a;
	b.shards = 0;
	b.target = 300;
	b.max_shards = 256;
	strbuf_reset(&kb);
	pin_request_key(&b, &kb);
	assert_string_not_equal(ka.buf, kb.buf);
	/* the run is the store's key, not the request's */
	b = a;
	b.run = "other";
	strbuf_reset(&kb);
	pin_request_key(&b, &kb);
	assert_string_equal(ka.buf, kb.buf);
	strbuf_release(&ka);
	strbuf_release(&kb);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(a_pinned_plan_decodes_to_the_plan_first_made),
		T(a_pin_that_does_not_fit_is_refused),
		T(a_pin_whose_hash_differs_is_refused),
		T(request_keys_tell_options_apart),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
