/*
 * Tests for turning a plan into every shard's tests
 * (shard/plan/selection.h): from a plan made of a list, from the plan
 * file that plan writes (the same shards, in the same order), the plan
 * file's errors, and the names of the units a plan keeps together.
 */
#include "shard/plan/selection.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tmpdir.h"
#include "shard/util/banned.h"

static const char list_text[] = "a/test_1.py::test_x\n"
				"a/test_1.py::test_y\n"
				"a/test_2.py::test_x\n"
				"b/test_3.py::test_z\n"
				"b/test_3.py::test_w\n"
				"c/test_4.py::test_v\n"
				"c/test_5.py::test_u\n";

struct fixture {
	char dir[64], path[128];
	struct selection planned, read;
	struct shard_error err;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_selection.XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	snprintf(fx->path, sizeof(fx->path), "%s/plan.json", fx->dir);
	selection_init(&fx->planned);
	selection_init(&fx->read);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	selection_release(&fx->planned);
	selection_release(&fx->read);
	tmpdir_remove(fx->dir);
	free(fx);
	return 0;
}

/* Plan the list into k shards without history, as shard run does. */
static void plan_list(struct fixture *fx, size_t k)
{
	struct selection *sel = &fx->planned;
	struct pin_request rq = { 0 };
	struct shard_ctx ctx = { 0 };

	assert_int_equal(testlist_feed(&sel->list, list_text,
				       sizeof(list_text) - 1, "list", &fx->err),
			 0);
	assert_int_equal(testlist_finish(&sel->list, "list", &ctx, &fx->err),
			 0);
	rq.list = selection_list(sel);
	rq.by = PLAN_BY_TEST;
	rq.shards = k;
	rq.improve = 1;
	assert_int_equal(pin_plan_make(NULL, &rq, &sel->pp, &ctx, &fx->err), 0);
	selection_from_plan(sel);
}

static void write_plan(struct fixture *fx)
{
	const struct selection *sel = &fx->planned;
	struct planfile_meta meta = { "test", &sel->pp.w };
	FILE *f = fopen(fx->path, "w");

	assert_non_null(f);
	assert_int_equal(planfile_write(f, PLANFILE_JSON, &sel->pp.plan,
					(const char *const *)sel->list.ids, 0,
					&meta),
			 0);
	fclose(f);
}

static void a_plan_gives_every_test_to_one_shard(void **state)
{
	struct fixture *fx = *state;
	const struct selection *sel = &fx->planned;
	size_t seen[7] = { 0 }, total = 0;
	double longest = 0;

	plan_list(fx, 3);
	assert_int_equal(sel->nshards, 3);
	assert_string_equal(sel->plan_hash, sel->pp.plan.hash);
	assert_int_equal(sel->order.n, 7);
	for (size_t i = 0; i < sel->nshards; i++) {
		const struct selection_shard *s = &sel->shards[i];

		assert_null(s->ids[s->n]);
		for (size_t j = 0; j < s->n; j++) {
			assert_string_equal(s->ids[j],
					    sel->list.ids[s->tests[j]]);
			seen[s->tests[j]]++;
		}
		total += s->n;
		assert_true(s->predicted == sel->pp.plan.shards[i].seconds +
						    sel->pp.plan.overhead);
		longest = s->predicted > longest ? s->predicted : longest;
	}
	assert_int_equal(total, 7);
	for (size_t i = 0; i < 7; i++)
		assert_int_equal(seen[i], 1);
	assert_true(sel->makespan == sel->pp.plan.makespan);
	assert_true(sel->makespan >= longest - 1e-9);
}

static void a_plan_file_gives_the_same_shards(void **state)
{
	struct fixture *fx = *state;
	const struct selection *p = &fx->planned, *r = &fx->read;

	plan_list(fx, 3);
	write_plan(fx);
	assert_int_equal(selection_from_planfile(&fx->read, fx->path, 3,
						 &fx->err),
			 0);
	assert_int_equal(r->nshards, p->nshards);
	assert_string_equal(r->plan_hash, p->plan_hash);
	assert_int_equal(r->order.n, 7);
	for (size_t i = 0; i < r->nshards; i++) {
		const struct selection_shard *a = &p->shards[i];
		const struct selection_shard *b = &r->shards[i];

		assert_int_equal(b->n, a->n);
		assert_null(b->ids[b->n]);
		for (size_t j = 0; j < b->n; j++) {
			assert_string_equal(b->ids[j], a->ids[j]);
			assert_string_equal(r->order.ids[b->tests[j]],
					    b->ids[j]);
		}
		assert_true(b->predicted > a->predicted - 0.001 &&
			    b->predicted < a->predicted + 0.001);
	}
	assert_true(r->makespan > p->makespan - 0.001 &&
		    r->makespan < p->makespan + 0.001);
}

static void a_plan_file_of_other_shards_is_refused(void **state)
{
	struct fixture *fx = *state;
	char want[256];

	plan_list(fx, 3);
	write_plan(fx);
	assert_int_equal(selection_from_planfile(&fx->read, fx->path, 4,
						 &fx->err),
			 SHARD_EINPUT);
	snprintf(want, sizeof(want), "%s has 3 shards, not 4", fx->path);
	assert_string_equal(fx->err.msg, want);
}

static void a_missing_plan_file_is_an_input_error(void **state)
{
	struct fixture *fx = *state;
	char want[256];

	assert_int_equal(selection_from_planfile(&fx->read, fx->path, 0,
						 &fx->err),
			 SHARD_EINPUT);
	snprintf(want, sizeof(want), "%s: No such file or directory", fx->path);
	assert_string_equal(fx->err.msg, want);
}

static void a_file_that_is_no_plan_is_refused(void **state)
{
	struct fixture *fx = *state;
	struct planfile pf;
	FILE *f = fopen(fx->path, "w");

	assert_non_null(f);
	fputs("{\"version\": 7}", f);
	fclose(f);
	memset(&pf, 0, sizeof(pf));
	assert_int_equal(selection_read_planfile(fx->path, &pf, &fx->err),
			 SHARD_EINPUT);
	assert_non_null(strstr(fx->err.msg, fx->path));
	planfile_release(&pf);
}

static void units_are_named_test_class_file(void **state)
{
	enum plan_by by = PLAN_BY_FILE;

	(void)state;
	assert_int_equal(plan_by_parse("class", &by), 0);
	assert_int_equal(by, PLAN_BY_CLASS);
	assert_int_equal(plan_by_parse("file", &by), 0);
	assert_int_equal(by, PLAN_BY_FILE);
	assert_int_equal(plan_by_parse("test", &by), 0);
	assert_int_equal(by, PLAN_BY_TEST);
	assert_int_equal(plan_by_parse("module", &by), -1);
	assert_int_equal(plan_by_parse(NULL, &by), -1);
	assert_int_equal(by, PLAN_BY_TEST);
	assert_string_equal(plan_by_name(PLAN_BY_TEST), "test");
	assert_string_equal(plan_by_name(PLAN_BY_CLASS), "class");
	assert_string_equal(plan_by_name(PLAN_BY_FILE), "file");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			a_plan_gives_every_test_to_one_shard, setup, teardown),
		cmocka_unit_test_setup_teardown(a_plan_file_gives_the_same_shards,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			a_plan_file_of_other_shards_is_refused, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			a_missing_plan_file_is_an_input_error, setup, teardown),
		cmocka_unit_test_setup_teardown(a_file_that_is_no_plan_is_refused,
						setup, teardown),
		cmocka_unit_test(units_are_named_test_class_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
