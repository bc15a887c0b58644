/*
 * The reader's raw element events: byte offsets that let merge copy a
 * testcase from its input verbatim. Every offset is checked against the
 * document text itself, across chunk boundaries, after a byte order mark,
 * and for transcoded input (where offsets are not raw and say so).
 */
#include "shard/junit/junit.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shard/util/strbuf.h"

struct seen {
	const char *doc;
	size_t len;
	size_t starts, ends, cases;
	int raw;
	struct strbuf log;
};

static int on_start(void *data, const struct junit_element *e,
		    struct shard_error *err)
{
	struct seen *s = data;
	size_t n = strlen(e->local);

	(void)err;
	s->starts++;
	s->raw = e->raw;
	if (!e->raw)
		return 0;
	assert_true(e->start_end <= s->len);
	assert_int_equal(s->doc[e->start], '<');
	assert_memory_equal(s->doc + e->start + 1, e->local, n);
	assert_int_equal(s->doc[e->start_end - 1], '>');
	if (e->kind == JUNIT_EL_SUITE) {
		assert_non_null(e->attrs);
		strbuf_addf(&s->log, "suite %zu attrs", e->nattrs);
		for (size_t i = 0; i < e->nattrs; i++)
			strbuf_addf(&s->log, " %s=%s", e->attrs[2 * i],
				    e->attrs[2 * i + 1]);
		strbuf_addch(&s->log, '\n');
	}
	return 0;
}

static int on_end(void *data, const struct junit_element *e,
		  struct shard_error *err)
{
	struct seen *s = data;
	size_t n = strlen(e->local);

	(void)err;
	s->ends++;
	if (!e->raw)
		return 0;
	assert_true(e->end_end <= s->len);
	if (e->end_end == e->start_end) {
		/* an empty element: <x .../> */
		assert_int_equal(e->end, e->start_end);
		assert_memory_equal(s->doc + e->start_end - 2, "/>", 2);
	} else {
		assert_memory_equal(s->doc + e->end, "</", 2);
		assert_memory_equal(s->doc + e->end + 2, e->local, n);
		assert_int_equal(s->doc[e->end_end - 1], '>');
	}
	if (e->kind == JUNIT_EL_CASE)
		s->cases++;
	return 0;
}

static int run(struct seen *s, const char *doc, size_t len)
{
	struct junit_handler h = {
		.element_start = on_start,
		.element_end = on_end,
		.data = s,
	};
	struct shard_error err = SHARD_ERROR_INIT;
	int r;

	s->doc = doc;
	s->len = len;
	r = junit_read_mem(doc, len, "t.xml", NULL, &h, NULL, &err);
	if (r)
		fprintf(stderr, "%s\n", err.msg);
	return r;
}

static void offsets_frame_each_element_exactly(void **state)
{
	struct seen s = { 0 };
	const char *doc =
		"<?xml version=\"1.0\"?>\n<testsuites>\n"
		"  <testsuite name=\"a &amp; b\" time=\"1\" >\n"
		"    <properties><property name=\"p\" value=\"x>y\"/></properties>\n"
		"    <testcase classname=\"c\" name=\"t1\" time=\"0.5\"/>\n"
		"    <testcase classname=\"c\" name=\"t2\"><failure message=\"m\""
		">trace <![CDATA[<testcase>]]></failure></testcase >\n"
		"  </testsuite>\n</testsuites>\n";

	(void)state;
	strbuf_init(&s.log, 0);
	assert_int_equal(run(&s, doc, strlen(doc)), 0);
	assert_true(s.raw);
	assert_int_equal(s.starts, 7);
	assert_int_equal(s.ends, 7);
	assert_int_equal(s.cases, 2);
	assert_string_equal(s.log.buf, "suite 2 attrs name=a & b time=1\n");
	strbuf_release(&s.log);
}

/* Many testcases, long enough to cross the reader's 64 KiB chunks. */
static void offsets_hold_across_chunk_boundaries(void **state)
{
	struct strbuf doc = STRBUF_INIT;
	struct seen s = { 0 };

	(void)state;
	strbuf_init(&s.log, 0);
	strbuf_addstr(&doc, "\xef\xbb\xbf<testsuite name=\"big\">\n");
	for (int i = 0; i < 5000; i++)
		strbuf_addf(&doc,
			    "<testcase classname=\"k.C%d\" name=\"t%d > x\""
			    " time=\"%d.5\">%s</testcase>\n",
			    i % 7, i, i % 3,
			    i % 11 ? ""
				   : "<system-out>line\nline</system-out>");
	strbuf_addstr(&doc, "</testsuite>\n");
	assert_int_equal(run(&s, doc.buf, doc.len), 0);
	assert_true(s.raw);
	assert_int_equal(s.cases, 5000);
	strbuf_release(&doc);
	strbuf_release(&s.log);
}

static void transcoded_input_is_not_raw(void **state)
{
	struct seen s = { 0 };
	const char *doc = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n"
			  "<testsuite name=\"caf\xe9\"><testcase name=\"t\"/>"
			  "</testsuite>\n";

	(void)state;
	strbuf_init(&s.log, 0);
	assert_int_equal(run(&s, doc, strlen(doc)), 0);
	assert_false(s.raw);
	assert_int_equal(s.ends, 2);
	strbuf_release(&s.log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(offsets_frame_each_element_exactly),
		cmocka_unit_test(offsets_hold_across_chunk_boundaries),
		cmocka_unit_test(transcoded_input_is_not_raw),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
