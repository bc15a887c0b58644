/*
 * Partition checks on what shard run writes: every shard's properties are
 * rendered by partition_write_properties, read back through the JUnit
 * reader as merge and ingest read them, and judged. Plans are written by
 * hand (shard_of arrays), so that the tests a verdict names can be
 * worked out here independently.
 */
#include "shard/partition.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shard/junit/junit.h"
#include "shard/plan/plan.h"
#include "shard/util/base64.h"
#include "shard/util/strbuf.h"
#include "shard/util/banned.h"

#define N 50

struct fixture {
	char *ids[N];
	struct partition_list list;
	struct partition_check pc;
	struct strbuf xml;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	for (size_t i = 0; i < N; i++) {
		f->ids[i] = malloc(32);
		snprintf(f->ids[i], 32, "tests/t_%02zu.py::test_%zu", i % 7, i);
	}
	partition_list_init(&f->list, (const char *const *)f->ids, NULL, N);
	partition_check_init(&f->pc);
	strbuf_init(&f->xml, 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	for (size_t i = 0; i < N; i++)
		free(f->ids[i]);
	partition_list_release(&f->list);
	partition_check_release(&f->pc);
	strbuf_release(&f->xml);
	free(f);
	return 0;
}

/* Handlers that feed a check, as merge and ingest do. */
static int on_suite(void *data, const struct junit_suite *s,
		    struct shard_error *err)
{
	(void)s;
	(void)err;
	partition_check_suite_start(data, "report.xml");
	return 0;
}

static int on_property(void *data, const struct junit_suite *s,
		       const char *name, const char *value,
		       struct shard_error *err)
{
	(void)s;
	(void)err;
	partition_check_property(data, name, value);
	return 0;
}

static int on_suite_end(void *data, const struct junit_suite *s, double seconds,
			struct shard_error *err)
{
	(void)s;
	(void)seconds;
	(void)err;
	partition_check_suite_end(data);
	return 0;
}

/*
 * Shard index of a plan that puts id i in shard shard_of[i], as shard run
 * writes it (run NULL: none), read back into f->pc.
 */
static void report(struct fixture *f, const unsigned *shard_of, size_t k,
		   size_t index, const char *run, long attempt)
{
	uint32_t as[N];
	size_t tests[N], n = 0;
	struct plan p;
	struct shard_error err = SHARD_ERROR_INIT;
	struct junit_handler h = {
		.suite_start = on_suite,
		.property = on_property,
		.suite_end = on_suite_end,
		.data = &f->pc,
	};
	struct junit_options jo = { 0 };
	struct partition_shard ps;

	for (size_t i = 0; i < f->list.n; i++) {
		as[i] = shard_of[i];
		if (shard_of[i] == index)
			tests[n++] = i;
	}
	assert_int_equal(plan_assign((const char *const *)f->ids, NULL,
				     f->list.n, as, k, &p, &err),
			 0);
	ps =
		(struct partition_shard){ &f->list, p.hash, run, index,
					  k,        tests,  n };
	strbuf_reset(&f->xml);
	strbuf_addf(&f->xml,
		    "<testsuite name=\"shard\"><properties>\n"
		    "<property name=\"shard.index\" value=\"%zu\"/>\n"
		    "<property name=\"shard.total\" value=\"%zu\"/>\n"
		    "<property name=\"shard.attempt\" value=\"%ld\"/>\n",
		    index, k, attempt);
	partition_write_properties(&f->xml, &ps);
	strbuf_addstr(&f->xml, "</properties></testsuite>\n");
	plan_release(&p);
	assert_int_equal(junit_read_mem(f->xml.buf, f->xml.len, "report.xml",
					&jo, &h, NULL, &err),
			 0);
}

static void round_robin(unsigned *shard_of, size_t k, size_t shift)
{
	for (size_t i = 0; i < N; i++)
		shard_of[i] = (unsigned)((i + shift) % k);
}

static void list_digest_is_the_same_for_any_order_of_the_ids(void **state)
{
	struct fixture *f = *state;
	const char *rev[N];
	struct partition_list other;

	for (size_t i = 0; i < N; i++)
		rev[i] = f->ids[N - 1 - i];
	partition_list_init(&other, rev, NULL, N);
	partition_list_sort(&other);
	partition_list_sort(&f->list);
	assert_string_equal(other.digest, f->list.digest);
	for (size_t p = 0; p < N; p++)
		assert_string_equal(rev[other.order[p]],
				    f->ids[f->list.order[p]]);
	partition_list_release(&other);
	/* one id fewer: another list */
	partition_list_init(&other, rev, NULL, N - 1);
	partition_list_sort(&other);
	assert_string_not_equal(other.digest, f->list.digest);
	partition_list_release(&other);
}

static void shards_of_one_plan_are_accepted(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	unsigned a[N];

	round_robin(a, 4, 0);
	for (size_t i = 0; i < 4; i++)
		report(f, a, 4, i, "77", 1);
	/* a re-run attempt of shard 2, same plan: still one partition */
	report(f, a, 4, 2, "77", 2);
	assert_int_equal(partition_check_verdict(&f->pc, &err), 0);
	assert_int_equal(f->pc.refused, 0);
	assert_int_equal(f->pc.absent, 0);
	assert_string_equal(f->pc.report.buf, "");
}

static void an_absent_shard_is_named_not_refused(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	unsigned a[N];

	round_robin(a, 4, 0);
	report(f, a, 4, 0, "77", 1);
	report(f, a, 4, 3, "77", 1);
	assert_int_equal(partition_check_verdict(&f->pc, &err), 0);
	assert_int_equal(f->pc.absent, 2);
	assert_non_null(strstr(f->pc.report.buf, "run 77: no report from "
						 "shards 1, 2 of 4 (plan "));
	assert_non_null(strstr(f->pc.report.buf, "their tests were not "
						 "reported\n"));
}

/* Whether line "    <id>" is in the report, once. */
static int names(const struct strbuf *r, const char *id)
{
	char want[80];
	const char *at;

	snprintf(want, sizeof(want), "\n    %s", id);
	at = strstr(r->buf, want);
	return at && (at[strlen(want)] == '\n' || at[strlen(want)] == ' ') &&
	       !strstr(at + 1, want);
}

static void shards_planned_apart_are_refused_with_their_tests(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	unsigned a[N], b[N];
	size_t missing = 0, doubled = 0;

	round_robin(a, 2, 0);
	memcpy(b, a, sizeof(b));
	/* plan b moves ids 0..5 to the other shard */
	for (size_t i = 0; i < 6; i++)
		b[i] = 1 - a[i];
	report(f, a, 2, 0, NULL, 1); /* shard 0 of plan a */
	report(f, b, 2, 1, NULL, 1); /* shard 1 of plan b */
	assert_int_equal(partition_check_verdict(&f->pc, &err), SHARD_EINPUT);
	assert_int_equal(f->pc.refused, 1);
	assert_non_null(strstr(err.msg, "refused"));
	assert_non_null(strstr(f->pc.report.buf, "run (no run id)"));
	assert_non_null(strstr(f->pc.report.buf, "planned differently"));
	for (size_t i = 0; i < N; i++) {
		int ran = (a[i] == 0) + (b[i] == 1);

		if (ran == 0) {
			missing++;
			assert_true(names(&f->pc.report, f->ids[i]));
		} else if (ran == 2) {
			doubled++;
			assert_true(names(&f->pc.report, f->ids[i]));
		} else {
			assert_false(names(&f->pc.report, f->ids[i]));
		}
	}
	assert_int_equal(missing, 3);
	assert_int_equal(doubled, 3);
	assert_non_null(strstr(f->pc.report.buf, "3 tests in no shard:\n"));
	assert_non_null(
		strstr(f->pc.report.buf, "3 tests in two shards or more:\n"));
	assert_non_null(strstr(f->pc.report.buf, " (shards 0 and 1)\n"));
	assert_true(partition_check_refuses(&f->pc, "report.xml"));
}

static void more_than_twenty_tests_are_counted(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	unsigned a[N], b[N];

	round_robin(a, 2, 0);
	round_robin(b, 2, 1); /* every test in the other shard */
	report(f, a, 2, 0, "9", 1);
	report(f, b, 2, 1, "9", 1);
	assert_int_equal(partition_check_verdict(&f->pc, &err), SHARD_EINPUT);
	/* shard 0 of a holds the evens, shard 1 of b the evens too: 25
	 * tests each way, 20 named and the rest counted */
	assert_non_null(strstr(f->pc.report.buf, "25 tests in no shard:\n"));
	assert_non_null(
		strstr(f->pc.report.buf, "25 tests in two shards or more:\n"));
	assert_non_null(strstr(f->pc.report.buf, "    ... and 5 more\n"));
}

static void one_shard_of_an_attempt_twice_is_refused(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	unsigned a[N];

	round_robin(a, 2, 0);
	report(f, a, 2, 0, "5", 1);
	report(f, a, 2, 1, "5", 1);
	report(f, a, 2, 1, "5", 1);
	assert_int_equal(partition_check_verdict(&f->pc, &err), SHARD_EINPUT);
	assert_non_null(strstr(f->pc.report.buf, "shard 1 (attempt 1) is in "
						 "two inputs"));
}

static void runs_are_judged_apart(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	unsigned a[N], b[N];

	round_robin(a, 2, 0);
	round_robin(b, 2, 1);
	report(f, a, 2, 0, "run-1", 1);
	report(f, a, 2, 1, "run-1", 1);
	report(f, b, 2, 0, "run-2", 1);
	report(f, b, 2, 1, "run-2", 1);
	assert_int_equal(partition_check_verdict(&f->pc, &err), 0);
	assert_int_equal(f->pc.refused, 0);
}

static void a_changed_list_is_refused(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct partition_list whole;
	unsigned a[N];

	partition_list_sort(&f->list);
	whole = f->list;
	round_robin(a, 2, 0);
	report(f, a, 2, 0, "3", 1);
	/* shard 1 listed one test fewer */
	partition_list_init(&f->list, (const char *const *)f->ids, NULL, N - 1);
	report(f, a, 2, 1, "3", 1);
	partition_list_release(&f->list);
	f->list = whole;
	assert_int_equal(partition_check_verdict(&f->pc, &err), SHARD_EINPUT);
	assert_non_null(strstr(f->pc.report.buf, "different test lists"));
}

static void two_whole_lists_in_one_run_are_two_suites(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct partition_list whole;
	unsigned a[N];

	partition_list_sort(&f->list);
	whole = f->list;
	round_robin(a, 2, 0);
	report(f, a, 2, 0, "3", 1);
	report(f, a, 2, 1, "3", 1);
	partition_list_init(&f->list, (const char *const *)f->ids, NULL, N - 1);
	report(f, a, 3, 0, "3", 1);
	report(f, a, 3, 1, "3", 1);
	report(f, a, 3, 2, "3", 1);
	partition_list_release(&f->list);
	f->list = whole;
	assert_int_equal(partition_check_verdict(&f->pc, &err), 0);
	assert_int_equal(f->pc.absent, 0);
}

static void damaged_list_data_still_refuses_without_names(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct junit_handler h = {
		.suite_start = on_suite,
		.property = on_property,
		.suite_end = on_suite_end,
		.data = &f->pc,
	};
	struct junit_options jo = { 0 };
	unsigned a[N], b[N];
	char *at;

	round_robin(a, 2, 0);
	round_robin(b, 2, 1);
	report(f, a, 2, 0, "4", 1);
	/* the same report with its list slice damaged, read instead */
	partition_check_release(&f->pc);
	partition_check_init(&f->pc);
	at = strstr(f->xml.buf, "shard.list\" value=\"");
	assert_non_null(at);
	at[strlen("shard.list\" value=\"")] = '*';
	assert_int_equal(junit_read_mem(f->xml.buf, f->xml.len, "report.xml",
					&jo, &h, NULL, &err),
			 0);
	report(f, b, 2, 1, "4", 1);
	assert_int_equal(partition_check_verdict(&f->pc, &err), SHARD_EINPUT);
	assert_non_null(strstr(f->pc.report.buf, "cannot be named"));
}

static void a_list_size_the_data_does_not_hold_is_not_believed(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	char hex[65];

	/* two sets that claim a trillion tests: no trillion-slot table */
	for (int i = 0; i < 2; i++) {
		partition_check_suite_start(&f->pc, "huge.xml");
		partition_check_property(&f->pc, "shard.index", i ? "1" : "0");
		partition_check_property(&f->pc, "shard.total", "2");
		memset(hex, i ? 'a' : 'b', 64);
		hex[64] = '\0';
		partition_check_property(&f->pc, "shard.plan_hash", hex);
		memset(hex, 'c', 64);
		partition_check_property(&f->pc, "shard.list_digest", hex);
		partition_check_property(&f->pc, "shard.list_tests",
					 "1000000000000");
		partition_check_suite_end(&f->pc);
	}
	assert_int_equal(partition_check_verdict(&f->pc, &err), SHARD_EINPUT);
	assert_non_null(strstr(f->pc.report.buf, "cannot be named"));
}

static void reports_without_a_plan_are_left_alone(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct junit_handler h = {
		.suite_start = on_suite,
		.property = on_property,
		.suite_end = on_suite_end,
		.data = &f->pc,
	};
	struct junit_options jo = { 0 };
	static const char queue[] =
		"<testsuite name=\"shard\"><properties>"
		"<property name=\"shard.index\" value=\"0\"/>"
		"<property name=\"shard.total\" value=\"3\"/>"
		"<property name=\"shard.run_base\" value=\"q\"/>"
		"</properties><testcase name=\"x\"/></testsuite>";

	assert_int_equal(junit_read_mem(queue, sizeof(queue) - 1, "w.xml", &jo,
					&h, NULL, &err),
			 0);
	assert_int_equal(partition_check_verdict(&f->pc, &err), 0);
	assert_int_equal(f->pc.nsets, 0);
	assert_int_equal(f->pc.absent, 0);
}

static void base64_round_trips_any_bytes(void **state)
{
	struct strbuf enc = STRBUF_INIT, dec = STRBUF_INIT;
	unsigned char raw[300];

	(void)state;
	for (size_t i = 0; i < sizeof(raw); i++)
		raw[i] = (unsigned char)(i * 7);
	for (size_t n = 0; n < sizeof(raw); n += 37) {
		strbuf_reset(&enc);
		strbuf_reset(&dec);
		base64_encode(&enc, raw, n);
		assert_int_equal(enc.len, (n + 2) / 3 * 4);
		assert_int_equal(base64_decode(&dec, enc.buf, enc.len), 0);
		assert_int_equal(dec.len, n);
		assert_memory_equal(dec.buf, raw, n);
	}
	strbuf_reset(&dec);
	assert_int_equal(base64_decode(&dec, "abc", 3), -1);
	assert_int_equal(base64_decode(&dec, "ab*d", 4), -1);
	assert_int_equal(dec.len, 0);
	strbuf_release(&enc);
	strbuf_release(&dec);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(list_digest_is_the_same_for_any_order_of_the_ids),
		T(shards_of_one_plan_are_accepted),
		T(an_absent_shard_is_named_not_refused),
		T(shards_planned_apart_are_refused_with_their_tests),
		T(more_than_twenty_tests_are_counted),
		T(one_shard_of_an_attempt_twice_is_refused),
		T(runs_are_judged_apart),
		T(a_changed_list_is_refused),
		T(two_whole_lists_in_one_run_are_two_suites),
		T(damaged_list_data_still_refuses_without_names),
		T(a_list_size_the_data_does_not_hold_is_not_believed),
		T(reports_without_a_plan_are_left_alone),
		T(base64_round_trips_any_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
