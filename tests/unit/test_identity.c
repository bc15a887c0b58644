/*
 * Tests for canonical keys and grouping of test ids (docs/design.md "Test
 * identity"). Hand-made ids pin each rule; the fixture files under
 * tests/fixtures/identity/ hold ids and JUnit cases copied from real
 * projects (SOURCES.tsv) with the expected keys written out beside them,
 * derived by pytest's own classname/name rule and plain string
 * operations, never by the code under test.
 */
#include "shard/identity.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shard/util/strbuf.h"
#include "shard/util/banned.h"

#define MAX_FIELDS 10

/* ---- helpers ---- */

static void expect_key(const char *id, const char *want)
{
	struct strbuf sb = STRBUF_INIT;

	identity_key(&sb, id);
	assert_string_equal(sb.buf, want);
	strbuf_release(&sb);
}

static void expect_case_key(const char *classname, const char *name,
			    const char *file, const char *suite_file,
			    const char *suite_name, const char *want)
{
	struct strbuf sb = STRBUF_INIT;

	identity_case_key(&sb, classname, name, file, suite_file, suite_name);
	assert_string_equal(sb.buf, want);
	strbuf_release(&sb);
}

/* want NULL: no file is named, nothing is appended */
static void expect_case_file(const char *file, const char *suite_file,
			     const char *suite_name, const char *want)
{
	struct strbuf sb = STRBUF_INIT;
	int r = identity_case_file(&sb, file, suite_file, suite_name);

	assert_int_equal(r, want ? 1 : 0);
	assert_string_equal(sb.buf, want ? want : "");
	strbuf_release(&sb);
}

static void expect_path(const char *path, const char *want)
{
	struct strbuf sb = STRBUF_INIT;

	identity_path(&sb, path);
	assert_string_equal(sb.buf, want);
	strbuf_release(&sb);
}

/* Grouping prefixes, given as the expected prefix strings. */
static void expect_grouping(const char *id, const char *file, const char *class,
			    const char *dir)
{
	assert_int_equal(identity_file_len(id), strlen(file));
	assert_int_equal(identity_class_len(id), strlen(class));
	assert_int_equal(identity_dir_len(id), strlen(dir));
	assert_memory_equal(id, file, strlen(file));
	assert_memory_equal(id, class, strlen(class));
	assert_memory_equal(id, dir, strlen(dir));
}

static void read_fixture(const char *name, struct strbuf *out)
{
	const char *root = getenv("SHARD_REPO");
	struct strbuf path = STRBUF_INIT;
	char buf[8192];
	size_t n;
	FILE *f;

	strbuf_addf(&path, "%s/tests/fixtures/identity/%s", root ? root : ".",
		    name);
	f = fopen(path.buf, "rb");
	if (!f)
		print_error("cannot open %s (run from the repository root or "
			    "set SHARD_REPO)\n",
			    path.buf);
	assert_non_null(f);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		assert_int_equal(strbuf_add(out, buf, n), 0);
	assert_int_equal(ferror(f), 0);
	fclose(f);
	strbuf_release(&path);
}

/*
 * Split the next data line of a fixture (comments and blank lines skipped)
 * at tabs, in place. Returns the number of fields, 0 at the end.
 */
static size_t next_row(char **cursor, char *field[MAX_FIELDS])
{
	for (;;) {
		char *line = *cursor, *nl;
		size_t nr = 0;

		if (!*line)
			return 0;
		nl = strchr(line, '\n');
		if (nl) {
			*nl = '\0';
			*cursor = nl + 1;
		} else {
			*cursor = line + strlen(line);
		}
		if (!*line || *line == '#')
			continue;
		field[nr++] = line;
		for (char *p = line; *p; p++)
			if (*p == '\t') {
				*p = '\0';
				assert_true(nr < MAX_FIELDS);
				field[nr++] = p + 1;
			}
		return nr;
	}
}

/* "-" in a fixture: the attribute is absent */
static const char *attr(const char *s)
{
	return strcmp(s, "-") ? s : NULL;
}

/* Record a mismatch instead of stopping at the first one. */
static void check(struct strbuf *problems, const char *what, const char *id,
		  const char *got, const char *want)
{
	if (!strcmp(got, want))
		return;
	strbuf_addf(problems,
		    "%s of '%.200s':\n   got '%.300s'\n  want '%.300s'\n", what,
		    id, got, want);
}

static void check_len(struct strbuf *problems, const char *what, const char *id,
		      size_t got, const char *want)
{
	if (got == strlen(want) && !strncmp(id, want, got))
		return;
	strbuf_addf(problems, "%s of '%.200s': got %zu bytes, want '%.200s'\n",
		    what, id, got, want);
}

static void report(struct strbuf *problems)
{
	if (problems->len)
		print_error("%s", problems->buf);
	assert_int_equal(problems->len, 0);
}

/* ---- pytest node ids ---- */

static void nodeid_path_becomes_dotted_module_without_py(void **state)
{
	(void)state;
	expect_key("tests/api/test_x.py::TestC::test_y",
		   "tests.api.test_x.TestC.test_y");
	expect_key("test_top.py::test_a", "test_top.test_a");
	assert_int_equal(identity_kind("tests/api/test_x.py::TestC::test_y"),
			 IDENTITY_NODEID);
}

static void nodeid_param_with_double_colon_is_kept_verbatim(void **state)
{
	(void)state;
	expect_key("tests/api/test_x.py::TestC::test_y[a/b::c]",
		   "tests.api.test_x.TestC.test_y[a/b::c]");
	expect_key("tests/test_x.py::test_y[::]", "tests.test_x.test_y[::]");
	expect_key("tests/test_x.py::test_y[a.py::T::m]",
		   "tests.test_x.test_y[a.py::T::m]");
}

static void nodeid_param_with_slash_and_dot_is_kept_verbatim(void **state)
{
	(void)state;
	expect_key("t/test_u.py::test_url[http://x.y/z.py]",
		   "t.test_u.test_url[http://x.y/z.py]");
	expect_key("t/test_u.py::T::test_v[1.5-./a/b]",
		   "t.test_u.T.test_v[1.5-./a/b]");
}

static void nodeid_param_with_nested_brackets_is_kept_verbatim(void **state)
{
	(void)state;
	expect_key("t/test_b.py::test_n[a[b]-[c::d]]",
		   "t.test_b.test_n[a[b]-[c::d]]");
	expect_key("t/test_b.py::test_n[[]", "t.test_b.test_n[[]");
	expect_key("t/test_b.py::test_n[]]", "t.test_b.test_n[]]");
}

static void nodeid_of_non_python_file_keeps_its_extension(void **state)
{
	(void)state;
	/* pytest's classname for a doctest text file keeps ".txt" */
	expect_key("docs/index.txt::index.txt", "docs.index.txt.index.txt");
	expect_case_key("docs.index.txt", "index.txt", NULL, NULL, "pytest",
			"docs.index.txt.index.txt");
}

static void nodeid_only_drops_a_final_py(void **state)
{
	(void)state;
	expect_key("tests/test_pyramid.pyx::test_a",
		   "tests.test_pyramid.pyx.test_a");
	expect_key("tests/py/test_py.py::test_a", "tests.py.test_py.test_a");
}

static void key_appends_to_what_the_buffer_holds(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	strbuf_addstr(&sb, "x|");
	identity_key(&sb, "tests/test_x.py::test_y[a::b]");
	assert_string_equal(sb.buf, "x|tests.test_x.test_y[a::b]");
	strbuf_reset(&sb);
	strbuf_addstr(&sb, "x|");
	identity_case_key(&sb, NULL, "lonely", NULL, NULL, NULL);
	assert_string_equal(sb.buf, "x|lonely");
	strbuf_release(&sb);
}

/* ---- pytest JUnit ---- */

static void nodeid_meets_junit_case_without_file_attribute(void **state)
{
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;

	(void)state;
	identity_key(&a, "tests/api/test_x.py::TestC::test_y[a/b::c]");
	identity_case_key(&b, "tests.api.test_x.TestC", "test_y[a/b::c]", NULL,
			  NULL, "pytest");
	assert_string_equal(a.buf, "tests.api.test_x.TestC.test_y[a/b::c]");
	assert_string_equal(a.buf, b.buf);
	strbuf_release(&a);
	strbuf_release(&b);
}

static void nodeid_meets_junit_case_with_file_attribute(void **state)
{
	(void)state;
	/* the classname decides; file only names the file */
	expect_case_key("tests.api.test_x.TestC", "test_y[a/b::c]",
			"tests/api/test_x.py", NULL, "pytest",
			"tests.api.test_x.TestC.test_y[a/b::c]");
	expect_case_key("tests.api.test_x.TestC", "test_y", "tests/api/base.py",
			"tests/other.py", "tests/s.py",
			"tests.api.test_x.TestC.test_y");
	expect_case_file("tests/api/test_x.py", NULL, "pytest",
			 "tests/api/test_x.py");
}

static void nodeid_meets_junit_case_with_empty_classname_and_file(void **state)
{
	struct strbuf a = STRBUF_INIT;

	(void)state;
	identity_key(&a, "tests/api/test_x.py::test_y[p.q/r]");
	expect_case_key("", "test_y[p.q/r]", "tests/api/test_x.py", NULL,
			"pytest", a.buf);
	expect_case_key(NULL, "test_y[p.q/r]", "tests/api/test_x.py", NULL,
			NULL, a.buf);
	expect_case_key("", "test_y[p.q/r]", "./tests\\api\\test_x.py", NULL,
			NULL, a.buf);
	assert_string_equal(a.buf, "tests.api.test_x.test_y[p.q/r]");
	strbuf_release(&a);
}

static void
case_key_with_empty_classname_takes_suite_file_then_suite_name(void **state)
{
	(void)state;
	expect_case_key("", "t", NULL, "tests/test_s.py", "ignored.py",
			"tests.test_s.t");
	expect_case_key("", "t", "", "", "tests/test_n.py", "tests.test_n.t");
	/* a suite name that is no path is the base as it is */
	expect_case_key("", "TestMain", NULL, NULL, "example.com/m/pkg",
			"example.com/m/pkg.TestMain");
	expect_case_key("", "t", NULL, NULL, "My Suite", "My Suite.t");
	/* no base at all: the name alone, with no leading dot */
	expect_case_key("", "t", NULL, NULL, NULL, "t");
	expect_case_key(NULL, "t", "", "", "", "t");
}

static void case_key_of_non_python_file_stays_a_path(void **state)
{
	(void)state;
	expect_case_key("", "renders", "./src/a.test.js", NULL, NULL,
			"src/a.test.js.renders");
	expect_case_key("", "Timeout test", NULL, NULL,
			"__tests__\\second.test.js",
			"__tests__/second.test.js.Timeout test");
}

/* ---- Go ---- */

static void go_listed_id_is_kept_and_grouped_by_package(void **state)
{
	const char *id = "example.com/m/pkg.TestA/sub";

	(void)state;
	assert_int_equal(identity_kind(id), IDENTITY_GO);
	expect_key(id, id);
	expect_grouping(id, "example.com/m/pkg", "example.com/m/pkg",
			"example.com/m");
	expect_case_key("example.com/m/pkg", "TestA/sub", NULL, NULL,
			"example.com/m/pkg", id);
}

static void go_recognises_benchmark_example_and_fuzz(void **state)
{
	(void)state;
	assert_int_equal(identity_kind("example.com/m/pkg.BenchmarkX"),
			 IDENTITY_GO);
	assert_int_equal(identity_kind("example.com/m/pkg.ExampleFoo_bar"),
			 IDENTITY_GO);
	assert_int_equal(identity_kind("example.com/m/pkg.FuzzParse"),
			 IDENTITY_GO);
	assert_int_equal(identity_kind("example.com/m/pkg.Test"), IDENTITY_GO);
	assert_int_equal(identity_kind("example.com/m/pkg.Test_x"),
			 IDENTITY_GO);
	expect_grouping("example.com/m/pkg.FuzzParse/seed#0",
			"example.com/m/pkg", "example.com/m/pkg",
			"example.com/m");
}

static void go_package_with_dotted_segment_is_the_file(void **state)
{
	(void)state;
	assert_int_equal(identity_kind("gopkg.in/yaml.v3.TestDecode/a.b"),
			 IDENTITY_GO);
	expect_grouping("gopkg.in/yaml.v3.TestDecode/a.b", "gopkg.in/yaml.v3",
			"gopkg.in/yaml.v3", "gopkg.in");
}

static void go_subtest_named_like_a_file_is_still_go(void **state)
{
	const char *id = "example.com/m/pkg.TestParse/testdata/in.json";

	(void)state;
	assert_int_equal(identity_kind(id), IDENTITY_GO);
	expect_key(id, id);
	expect_grouping(id, "example.com/m/pkg", "example.com/m/pkg",
			"example.com/m");
}

static void go_subtest_with_double_colon_meets_its_junit_case(void **state)
{
	/* Go keeps "::" in subtest names (t.Run("std::vector", ...)) */
	const char *id = "example.com/m/pkg.TestParse/std::vector";

	(void)state;
	expect_case_key("example.com/m/pkg", "TestParse/std::vector", NULL,
			NULL, "example.com/m/pkg", id);
	expect_key(id, id);
	assert_int_equal(identity_kind(id), IDENTITY_GO);
}

static void go_parent_len_is_the_name_before_the_last_slash(void **state)
{
	(void)state;
	assert_int_equal(identity_go_parent_len("TestA/sub/x"),
			 strlen("TestA/sub"));
	assert_int_equal(identity_go_parent_len("TestA/sub"), strlen("TestA"));
	assert_int_equal(identity_go_parent_len("BenchmarkB/n=10"),
			 strlen("BenchmarkB"));
	assert_int_equal(identity_go_parent_len("ExampleC/x"),
			 strlen("ExampleC"));
	assert_int_equal(identity_go_parent_len("FuzzD/seed#1"),
			 strlen("FuzzD"));
}

static void go_parent_len_is_zero_for_top_level_and_non_go_names(void **state)
{
	(void)state;
	assert_int_equal(identity_go_parent_len("TestA"), 0);
	assert_int_equal(identity_go_parent_len(""), 0);
	assert_int_equal(identity_go_parent_len("helper/sub"), 0);
	assert_int_equal(identity_go_parent_len("src/a.test.js"), 0);
}

/* ---- file paths: Jest, Playwright, RSpec, knapsack ---- */

static void path_strips_dot_slash_prefixes_and_turns_backslashes(void **state)
{
	(void)state;
	expect_path("./src/a.test.js", "src/a.test.js");
	expect_path("././src/a.test.js", "src/a.test.js");
	expect_path(".\\src\\a.test.js", "src/a.test.js");
	expect_path("__tests__\\main.test.js", "__tests__/main.test.js");
	expect_path("src/a.test.js", "src/a.test.js");
	expect_path("main.test.js", "main.test.js");
	/* only a leading "./" goes: parents and inner "./" are kept */
	expect_path("../src/a.test.js", "../src/a.test.js");
	expect_path("src/./a.test.js", "src/./a.test.js");
	expect_path(".hidden/a.js", ".hidden/a.js");
	expect_path("", "");
}

static void listed_path_key_is_the_normalised_path(void **state)
{
	(void)state;
	assert_int_equal(identity_kind("./src/a.test.js"), IDENTITY_PATH);
	expect_key("./src/a.test.js", "src/a.test.js");
	expect_key("src\\components\\b.test.tsx", "src/components/b.test.tsx");
	expect_key("spec/x_spec.rb", "spec/x_spec.rb");
}

static void
case_file_comes_from_file_then_suite_file_then_path_suite(void **state)
{
	(void)state;
	expect_case_file("./src/a.test.js", "src/b.test.js", "src/c.test.js",
			 "src/a.test.js");
	expect_case_file(NULL, ".\\src\\b.test.js", "src/c.test.js",
			 "src/b.test.js");
	expect_case_file("", "", "__tests__\\main.test.js",
			 "__tests__/main.test.js");
	expect_case_file(NULL, NULL, "./e2e/login.spec.ts",
			 "e2e/login.spec.ts");
}

static void case_file_accepts_basenames_of_known_source_files(void **state)
{
	(void)state;
	/* Playwright and jest-junit name suites after the file's basename */
	expect_case_file(NULL, NULL, "example.spec.ts", "example.spec.ts");
	expect_case_file(NULL, NULL, "widget.test.js", "widget.test.js");
	expect_case_file(NULL, NULL, "user_spec.rb", "user_spec.rb");
	expect_case_file(NULL, NULL, "test_x.py", "test_x.py");
}

static void case_file_is_none_for_suite_names_that_are_no_path(void **state)
{
	(void)state;
	expect_case_file(NULL, NULL, "<Component />", NULL);
	expect_case_file(NULL, NULL, "org.apache.pulsar.BrokerTest", NULL);
	expect_case_file(NULL, NULL, "example.com/m/pkg", NULL);
	expect_case_file(NULL, NULL, "pytest", NULL);
	expect_case_file(NULL, NULL, "", NULL);
	expect_case_file(NULL, NULL, NULL, NULL);
}

static void case_file_drops_a_suite_names_locator(void **state)
{
	(void)state;
	expect_case_file(NULL, NULL, "spec/x_spec.rb:12", "spec/x_spec.rb");
	expect_case_file(NULL, NULL, "spec/x_spec.rb[1:2:3]", "spec/x_spec.rb");
}

static void is_path_knows_source_files(void **state)
{
	(void)state;
	assert_true(identity_is_path("a/b.py"));
	assert_true(identity_is_path("x_spec.rb"));
	assert_true(identity_is_path("a\\b.js"));
	assert_true(identity_is_path("features/login.feature"));
	assert_true(identity_is_path("spec/x_spec.rb[1:2:3]"));
	assert_true(identity_is_path("spec/x_spec.rb:12"));
	/* with a directory any alphanumeric extension will do */
	assert_true(identity_is_path("docs/index.rst"));
	assert_false(identity_is_path("index.rst"));
	assert_false(identity_is_path("org.x.FooTest.bar"));
	assert_false(identity_is_path("org.x.FooTest"));
	assert_false(identity_is_path("pytest"));
	assert_false(identity_is_path("a/b"));
	assert_false(identity_is_path("a/b."));
	assert_false(identity_is_path("v1.2/x"));
	assert_false(identity_is_path("a/v1.2"));
	assert_false(identity_is_path(""));
}

static void rspec_example_id_keeps_its_locator_in_the_key(void **state)
{
	(void)state;
	assert_int_equal(identity_kind("spec/x_spec.rb[1:2:3]"), IDENTITY_PATH);
	expect_key("spec/x_spec.rb[1:2:3]", "spec/x_spec.rb[1:2:3]");
	expect_key("./spec/x_spec.rb[1:2:3]", "spec/x_spec.rb[1:2:3]");
	expect_key("spec/x_spec.rb:12", "spec/x_spec.rb:12");
}

static void rspec_file_len_strips_the_locator(void **state)
{
	(void)state;
	expect_grouping("spec/x_spec.rb[1:2:3]", "spec/x_spec.rb",
			"spec/x_spec.rb", "spec");
	expect_grouping("spec/x_spec.rb:12", "spec/x_spec.rb", "spec/x_spec.rb",
			"spec");
	expect_grouping("spec/models/user_spec.rb", "spec/models/user_spec.rb",
			"spec/models/user_spec.rb", "spec/models");
	expect_grouping("x_spec.rb", "x_spec.rb", "x_spec.rb", "");
	expect_grouping("src\\a\\b.test.js", "src\\a\\b.test.js",
			"src\\a\\b.test.js", "src\\a");
}

/* ---- Maven / Gradle ---- */

static void dotted_name_is_its_own_key_with_class_before_last_dot(void **state)
{
	const char *id = "org.x.FooTest.bar";

	(void)state;
	assert_int_equal(identity_kind(id), IDENTITY_DOTTED);
	expect_key(id, id);
	expect_case_key("org.x.FooTest", "bar", NULL, NULL, "org.x.FooTest",
			id);
	expect_grouping(id, "org.x.FooTest", "org.x.FooTest", "org.x");
}

static void dotted_name_ignores_dots_inside_parameters(void **state)
{
	(void)state;
	assert_int_equal(identity_kind("org.x.FooTest.bar[1.5]"),
			 IDENTITY_DOTTED);
	expect_grouping("org.x.FooTest.bar[1.5]", "org.x.FooTest",
			"org.x.FooTest", "org.x");
	expect_grouping("org.x.FooTest$Inner.bar", "org.x.FooTest$Inner",
			"org.x.FooTest$Inner", "org.x");
}

static void dotted_name_without_package_has_no_dir(void **state)
{
	(void)state;
	expect_grouping("FooTest.bar", "FooTest", "FooTest", "");
	expect_grouping("bar", "bar", "bar", "");
}

/* ---- grouping of node ids ---- */

static void nodeid_grouping_reads_file_class_and_dir(void **state)
{
	(void)state;
	expect_grouping("tests/api/test_x.py::TestC::test_y[a/b::c]",
			"tests/api/test_x.py", "tests/api/test_x.py::TestC",
			"tests/api");
	expect_grouping("tests/api/test_x.py::TestC::Inner::test_y",
			"tests/api/test_x.py",
			"tests/api/test_x.py::TestC::Inner", "tests/api");
	expect_grouping("tests/test_x.py::test_y[a::b]", "tests/test_x.py",
			"tests/test_x.py", "tests");
	expect_grouping("test_top.py::test_a", "test_top.py", "test_top.py",
			"");
}

/* ---- real ids from tests/data ---- */

static void real_pytest_nodeids_meet_their_junit_case_keys(void **state)
{
	struct strbuf text = STRBUF_INIT, problems = STRBUF_INIT;
	struct strbuf key = STRBUF_INIT, want = STRBUF_INIT;
	char *cursor, *f[MAX_FIELDS];
	size_t nr, rows = 0;

	(void)state;
	read_fixture("pytest_nodeids.tsv", &text);
	cursor = text.buf;
	while ((nr = next_row(&cursor, f))) {
		const char *id = f[1], *cn = f[2], *name = f[3];

		assert_int_equal(nr, 7);
		rows++;
		strbuf_reset(&want);
		strbuf_addf(&want, "%s.%s", cn, name);
		strbuf_reset(&key);
		identity_key(&key, id);
		check(&problems, "key", id, key.buf, want.buf);
		strbuf_reset(&key);
		identity_case_key(&key, cn, name, NULL, NULL, "pytest");
		check(&problems, "case key", id, key.buf, want.buf);
		if (identity_kind(id) != IDENTITY_NODEID)
			strbuf_addf(&problems, "kind of '%s'\n", id);
		check_len(&problems, "file", id, identity_file_len(id), f[4]);
		check_len(&problems, "class", id, identity_class_len(id), f[5]);
		check_len(&problems, "dir", id, identity_dir_len(id), f[6]);
	}
	report(&problems);
	assert_int_equal(rows, 21);
	strbuf_release(&text);
	strbuf_release(&problems);
	strbuf_release(&key);
	strbuf_release(&want);
}

static void real_longest_baserow_nodeid_maps_whole(void **state)
{
	static const char file[] = "tests/baserow/contrib/database/formula/"
				   "test_baserow_formula_results.py";
	static const char module[] = "tests.baserow.contrib.database.formula."
				     "test_baserow_formula_results";
	struct strbuf id = STRBUF_INIT, key = STRBUF_INIT, ckey = STRBUF_INIT;
	const char *name;

	(void)state;
	read_fixture("baserow_longest_nodeid.txt", &id);
	assert_true(id.len > 0 && id.buf[id.len - 1] == '\n');
	strbuf_setlen(&id, id.len - 1);
	assert_int_equal(id.len, 35179);
	/* by construction: file "::" name, one "::" and no class */
	assert_memory_equal(id.buf, file, strlen(file));
	assert_memory_equal(id.buf + strlen(file), "::", 2);
	name = id.buf + strlen(file) + 2;
	assert_memory_equal(name, "test_invalid_formulas[CONCAT(", 29);

	identity_key(&key, id.buf);
	identity_case_key(&ckey, module, name, NULL, NULL, "pytest");
	/* ".py" dropped, "::" became "." */
	assert_int_equal(key.len, 35179 - 3 - 1);
	assert_memory_equal(key.buf, module, strlen(module));
	assert_int_equal(key.buf[strlen(module)], '.');
	assert_string_equal(key.buf + strlen(module) + 1, name);
	assert_string_equal(key.buf, ckey.buf);
	assert_int_equal(identity_file_len(id.buf), strlen(file));
	assert_int_equal(identity_class_len(id.buf), strlen(file));
	assert_int_equal(identity_dir_len(id.buf),
			 strlen("tests/baserow/contrib/database/formula"));
	strbuf_release(&id);
	strbuf_release(&key);
	strbuf_release(&ckey);
}

static void real_knapsack_paths_are_their_own_keys(void **state)
{
	struct strbuf text = STRBUF_INIT, problems = STRBUF_INIT;
	struct strbuf key = STRBUF_INIT;
	char *cursor, *f[MAX_FIELDS];
	size_t nr, rows = 0;

	(void)state;
	read_fixture("paths.tsv", &text);
	cursor = text.buf;
	while ((nr = next_row(&cursor, f))) {
		const char *id = f[1];

		assert_int_equal(nr, 5);
		rows++;
		strbuf_reset(&key);
		identity_key(&key, id);
		check(&problems, "key", id, key.buf, f[2]);
		if (identity_kind(id) != IDENTITY_PATH)
			strbuf_addf(&problems, "kind of '%s'\n", id);
		check_len(&problems, "file", id, identity_file_len(id), f[3]);
		check_len(&problems, "class", id, identity_class_len(id), f[3]);
		check_len(&problems, "dir", id, identity_dir_len(id), f[4]);
	}
	report(&problems);
	assert_int_equal(rows, 10);
	strbuf_release(&text);
	strbuf_release(&problems);
	strbuf_release(&key);
}

static enum identity_kind kind_named(const char *s)
{
	if (!strcmp(s, "nodeid"))
		return IDENTITY_NODEID;
	if (!strcmp(s, "go"))
		return IDENTITY_GO;
	if (!strcmp(s, "path"))
		return IDENTITY_PATH;
	assert_string_equal(s, "dotted");
	return IDENTITY_DOTTED;
}

/* The listed id of a Go or dotted case groups by its package or class. */
static void check_listed_grouping(struct strbuf *problems, const char *listed,
				  enum identity_kind kind,
				  const char *classname, const char *suite)
{
	const char *base = *classname ? classname : suite;

	if (kind == IDENTITY_GO)
		check_len(problems, "go file", listed,
			  identity_file_len(listed), base);
	if (kind == IDENTITY_DOTTED)
		check_len(problems, "class", listed, identity_class_len(listed),
			  base);
}

static void real_junit_cases_meet_their_listed_ids(void **state)
{
	struct strbuf text = STRBUF_INIT, problems = STRBUF_INIT;
	struct strbuf key = STRBUF_INIT;
	char *cursor, *f[MAX_FIELDS];
	size_t nr, rows = 0, listed_rows = 0, file_rows = 0;

	(void)state;
	read_fixture("junit_cases.tsv", &text);
	cursor = text.buf;
	while ((nr = next_row(&cursor, f))) {
		const char *cn = f[1], *name = f[2], *file = attr(f[3]);
		const char *suite = attr(f[4]), *listed = attr(f[5]);
		const char *want_file = attr(f[8]);
		int r;

		assert_int_equal(nr, 9);
		rows++;
		strbuf_reset(&key);
		identity_case_key(&key, cn, name, file, NULL, suite);
		check(&problems, "case key", name, key.buf, f[7]);

		strbuf_reset(&key);
		r = identity_case_file(&key, file, NULL, suite);
		check(&problems, "case file", name, r ? key.buf : "-",
		      want_file ? want_file : "-");
		file_rows += r == 1;

		if (!listed)
			continue;
		listed_rows++;
		strbuf_reset(&key);
		identity_key(&key, listed);
		check(&problems, "listed key", listed, key.buf, f[7]);
		if (identity_kind(listed) != kind_named(f[6]))
			strbuf_addf(&problems, "kind of '%s' is not %s\n",
				    listed, f[6]);
		check_listed_grouping(&problems, listed, kind_named(f[6]), cn,
				      suite ? suite : "");
	}
	report(&problems);
	assert_int_equal(rows, 21);
	assert_int_equal(listed_rows, 15);
	assert_int_equal(file_rows, 8);
	strbuf_release(&text);
	strbuf_release(&problems);
	strbuf_release(&key);
}

#define T(name) cmocka_unit_test(name)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(nodeid_path_becomes_dotted_module_without_py),
		T(nodeid_param_with_double_colon_is_kept_verbatim),
		T(nodeid_param_with_slash_and_dot_is_kept_verbatim),
		T(nodeid_param_with_nested_brackets_is_kept_verbatim),
		T(nodeid_of_non_python_file_keeps_its_extension),
		T(nodeid_only_drops_a_final_py),
		T(key_appends_to_what_the_buffer_holds),
		T(nodeid_meets_junit_case_without_file_attribute),
		T(nodeid_meets_junit_case_with_file_attribute),
		T(nodeid_meets_junit_case_with_empty_classname_and_file),
		T(case_key_with_empty_classname_takes_suite_file_then_suite_name),
		T(case_key_of_non_python_file_stays_a_path),
		T(go_listed_id_is_kept_and_grouped_by_package),
		T(go_recognises_benchmark_example_and_fuzz),
		T(go_package_with_dotted_segment_is_the_file),
		T(go_subtest_named_like_a_file_is_still_go),
		T(go_subtest_with_double_colon_meets_its_junit_case),
		T(go_parent_len_is_the_name_before_the_last_slash),
		T(go_parent_len_is_zero_for_top_level_and_non_go_names),
		T(path_strips_dot_slash_prefixes_and_turns_backslashes),
		T(listed_path_key_is_the_normalised_path),
		T(case_file_comes_from_file_then_suite_file_then_path_suite),
		T(case_file_accepts_basenames_of_known_source_files),
		T(case_file_is_none_for_suite_names_that_are_no_path),
		T(case_file_drops_a_suite_names_locator),
		T(is_path_knows_source_files),
		T(rspec_example_id_keeps_its_locator_in_the_key),
		T(rspec_file_len_strips_the_locator),
		T(dotted_name_is_its_own_key_with_class_before_last_dot),
		T(dotted_name_ignores_dots_inside_parameters),
		T(dotted_name_without_package_has_no_dir),
		T(nodeid_grouping_reads_file_class_and_dir),
		T(real_pytest_nodeids_meet_their_junit_case_keys),
		T(real_longest_baserow_nodeid_maps_whole),
		T(real_knapsack_paths_are_their_own_keys),
		T(real_junit_cases_meet_their_listed_ids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
