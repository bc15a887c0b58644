/*
 * Tests for a queue worker's batch sizing (shard/exec/queuerun.h):
 * guided self-scheduling over the workers seen or expected, the hold
 * while workers may still arrive, the minimum from the measured
 * overhead, and when the next batch is claimed while one runs.
 */
#include "shard/exec/queuerun.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "shard/util/banned.h"

static struct queuerun_options options(long workers)
{
	struct queuerun_options o;

	memset(&o, 0, sizeof(o));
	o.workers = workers;
	o.arrival = 5;
	o.min_batch = -1;
	return o;
}

static struct queue_left left_of(double pending_seconds, int64_t workers)
{
	struct queue_left l;

	memset(&l, 0, sizeof(l));
	l.pending = 100;
	l.pending_seconds = pending_seconds;
	l.workers = workers;
	l.joined_ago = 60;
	l.overhead = -1;
	return l;
}

static void a_batch_is_the_pending_over_twice_the_workers(void **state)
{
	struct queuerun_options o = options(4);
	struct queue_left l = left_of(800, 4);

	(void)state;
	assert_true(queuerun_batch_seconds(&o, -1, &l) == 100);
	/* more workers seen than given: the queue's count */
	l.workers = 8;
	assert_true(queuerun_batch_seconds(&o, -1, &l) == 50);
	/* fewer seen than given: the count given */
	l.workers = 2;
	assert_true(queuerun_batch_seconds(&o, -1, &l) == 100);
}

static void without_a_count_batches_are_held_while_workers_arrive(void **state)
{
	struct queuerun_options o = options(0);
	struct queue_left l = left_of(800, 1);

	(void)state;
	l.joined_ago = 1;
	assert_true(queuerun_batch_seconds(&o, -1, &l) == 5);
	/* none joined for as long as one may arrive: the workers seen */
	l.joined_ago = 5;
	assert_true(queuerun_batch_seconds(&o, -1, &l) == 400);
	/* with a count, no hold */
	o = options(1);
	l.joined_ago = 1;
	assert_true(queuerun_batch_seconds(&o, -1, &l) == 400);
}

static void the_minimum_is_ten_times_the_least_overhead(void **state)
{
	struct queuerun_options o = options(4);
	struct queue_left l = left_of(40, 4); /* 5 s by the estimates */

	(void)state;
	assert_true(queuerun_batch_seconds(&o, -1, &l) == 5);
	/* this worker's warm overhead */
	assert_true(queuerun_batch_seconds(&o, 2, &l) == 20);
	/* another worker's, lower */
	l.overhead = 1;
	assert_true(queuerun_batch_seconds(&o, 2, &l) == 10);
	/* a given minimum wins over the measure */
	o.min_batch = 7;
	assert_true(queuerun_batch_seconds(&o, 2, &l) == 7);
	o.min_batch = 0;
	assert_true(queuerun_batch_seconds(&o, 2, &l) == 5);
}

static void the_next_batch_is_claimed_ahead_only_far_from_the_end(void **state)
{
	struct queuerun_options o = options(2);
	struct queue_left l = left_of(1000, 2);

	(void)state;
	/* next: 250 s; spread: 500 s; 1.3 x (100 + 250) = 455 */
	assert_true(queuerun_claim_ahead(&o, -1, &l, 100));
	/* 1.3 x (150 + 250) = 520 > 500 */
	assert_false(queuerun_claim_ahead(&o, -1, &l, 150));
	/* a batch past its estimate counts as ending now */
	assert_true(queuerun_claim_ahead(&o, -1, &l, -30));
	/* the longest pending test is the next batch's least */
	l.head_seconds = 400;
	assert_false(queuerun_claim_ahead(&o, -1, &l, 0));
	/* claimed work is spread too */
	l.claimed_seconds = 1000;
	assert_true(queuerun_claim_ahead(&o, -1, &l, 0));
	/* nothing pending: nothing to claim */
	l.pending = 0;
	assert_false(queuerun_claim_ahead(&o, -1, &l, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_batch_is_the_pending_over_twice_the_workers),
		cmocka_unit_test(
			without_a_count_batches_are_held_while_workers_arrive),
		cmocka_unit_test(the_minimum_is_ten_times_the_least_overhead),
		cmocka_unit_test(
			the_next_batch_is_claimed_ahead_only_far_from_the_end),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
