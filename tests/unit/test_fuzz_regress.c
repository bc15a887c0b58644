/*
 * Replays every input the fuzzers found a crash, leak or timeout with
 * (tests/fuzz/regress/<target>/<name>) through the same function and checks
 * as its fuzz target (tests/fuzz/targets.h), without libFuzzer: each must
 * now pass. Under SANITIZE=address,undefined this catches the memory
 * errors again too. Run from the repository root, or set SHARD_REPO.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(cond) assert_true(cond)
#include "tests/fuzz/targets.h"

#include "shard/util/strbuf.h"
#include "shard/util/banned.h"

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void read_file(const char *path, struct strbuf *out)
{
	char buf[8192];
	size_t n;
	FILE *f = fopen(path, "rb");

	assert_non_null(f);
	strbuf_reset(out);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		assert_int_equal(strbuf_add(out, buf, n), 0);
	assert_int_equal(ferror(f), 0);
	fclose(f);
}

/* Run fn on each file of tests/fuzz/regress/<target>/, in name order. */
static void replay(const char *target,
		   int (*fn)(const uint8_t *data, size_t size))
{
	const char *root = getenv("SHARD_REPO");
	struct strbuf dir = STRBUF_INIT, path = STRBUF_INIT, data = STRBUF_INIT;
	char **names = NULL;
	size_t n = 0;
	struct dirent *e;
	DIR *d;

	strbuf_addf(&dir, "%s/tests/fuzz/regress/%s", root ? root : ".",
		    target);
	d = opendir(dir.buf);
	if (!d) {
		/*
		 * Every target has its directory (.gitkeep while no input
		 * has failed it): a missing one is a moved or lost tree,
		 * not a pass.
		 */
		fail_msg("%s: %s", dir.buf, strerror(errno));
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		names = realloc(names, (n + 1) * sizeof(*names));
		assert_non_null(names);
		names[n] = strdup(e->d_name);
		assert_non_null(names[n++]);
	}
	closedir(d);
	if (n) /* only .gitkeep: names is NULL, which qsort may not take */
		qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n; i++) {
		strbuf_reset(&path);
		strbuf_addf(&path, "%s/%s", dir.buf, names[i]);
		print_message("%s\n", path.buf);
		read_file(path.buf, &data);
		assert_int_equal(fn((const uint8_t *)data.buf, data.len), 0);
		free(names[i]);
	}
	free(names);
	strbuf_release(&dir);
	strbuf_release(&path);
	strbuf_release(&data);
}

static void junit_regressions_read_without_failure(void **state)
{
	(void)state;
	replay("junit", fuzz_junit);
}

static void merge_regressions_merge_without_failure(void **state)
{
	(void)state;
	replay("merge", fuzz_merge);
}

static void testlist_regressions_read_without_failure(void **state)
{
	(void)state;
	replay("testlist", fuzz_testlist);
}

static void planfile_regressions_read_without_failure(void **state)
{
	(void)state;
	replay("planfile", fuzz_planfile);
}

static void partition_regressions_judge_without_failure(void **state)
{
	(void)state;
	replay("partition", fuzz_partition);
}

static void identity_regressions_derive_without_failure(void **state)
{
	(void)state;
	replay("identity", fuzz_identity);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(junit_regressions_read_without_failure),
		cmocka_unit_test(merge_regressions_merge_without_failure),
		cmocka_unit_test(testlist_regressions_read_without_failure),
		cmocka_unit_test(planfile_regressions_read_without_failure),
		cmocka_unit_test(identity_regressions_derive_without_failure),
		cmocka_unit_test(partition_regressions_judge_without_failure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
