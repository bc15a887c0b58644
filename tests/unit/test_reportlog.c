/*
 * Tests for the report that grows by whole suites (shard/junit/reportlog.c).
 * The file is checked after every step, and, through the module's write
 * hook, in every state a kill could leave it in: each write cut short
 * after any number of its bytes. A state is acceptable when libxml2's
 * tree parser (an oracle independent of our reader) finds it
 * well-formed and our JUnit reader finds exactly the testcases of the
 * suites appended before the call, or those and the new suite's.
 */
#include "shard/junit/reportlog.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "shard/junit/junit.h"
#include "shard/util/strbuf.h"
#include "shard/util/util.h"
#include "tmpdir.h"
#include "shard/util/banned.h"

struct fixture {
	char dir[64];
	char path[96];
	struct reportlog log;
	struct strbuf want_before; /* testcase names before the append */
	struct strbuf want_after;  /* and after it */
	size_t writes, states;     /* writes and cut-short states checked */
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/shard-reportlog-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/w.xml", f->dir);
	strbuf_init(&f->want_before, 0);
	strbuf_init(&f->want_after, 0);
	f->log.fd = -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	reportlog_release(&f->log);
	strbuf_release(&f->want_before);
	strbuf_release(&f->want_after);
	tmpdir_remove(f->dir);
	free(f);
	return 0;
}

static void slurp(const char *path, struct strbuf *out)
{
	char buf[65536];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	strbuf_reset(out);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		strbuf_add(out, buf, (size_t)n);
	close(fd);
}

static int add_name(void *data, const struct junit_case *c,
		    struct shard_error *err)
{
	(void)err;
	strbuf_addf(data, "%s ", c->name ? c->name : "-");
	return 0;
}

/* 0 and the testcase names, space-separated, when buf is a valid report
 * by both parsers; -1 otherwise. */
static int names_of(const char *buf, size_t len, struct strbuf *names)
{
	struct junit_handler h = { .testcase = add_name, .data = names };
	struct junit_options o = { 0 };
	struct shard_ctx ctx = { 0 };
	struct shard_error e = SHARD_ERROR_INIT;
	xmlDocPtr doc = xmlReadMemory(buf, (int)len, "w.xml", NULL,
				      XML_PARSE_NONET | XML_PARSE_NOERROR |
					      XML_PARSE_NOWARNING);

	strbuf_reset(names);
	if (!doc)
		return -1;
	xmlFreeDoc(doc);
	return junit_read_mem(buf, len, "w.xml", &o, &h, &ctx, &e) ? -1 : 0;
}

static void assert_holds(const char *path, const char *names)
{
	struct strbuf file = STRBUF_INIT, got = STRBUF_INIT;

	slurp(path, &file);
	assert_int_equal(names_of(file.buf, file.len, &got), 0);
	assert_string_equal(got.buf, names);
	strbuf_release(&file);
	strbuf_release(&got);
}

/* Every state a write cut short after k of its bytes leaves. */
static void check_cut_short(void *data, unsigned long long at, const char *buf,
			    size_t len)
{
	struct fixture *f = data;
	struct strbuf file = STRBUF_INIT, copy = STRBUF_INIT;
	struct strbuf got = STRBUF_INIT;

	f->writes++;
	slurp(f->path, &file);
	for (size_t k = 0; k <= len; k++) {
		strbuf_reset(&copy);
		strbuf_add(&copy, file.buf, file.len);
		while (copy.len < at + k)
			strbuf_addch(&copy, '\0');
		memcpy(copy.buf + at, buf, k);
		if (names_of(copy.buf, copy.len, &got) ||
		    (strcmp(got.buf, f->want_before.buf) &&
		     strcmp(got.buf, f->want_after.buf)))
			fail_msg("a write cut after %zu of %zu bytes at %llu "
				 "leaves '%s'",
				 k, len, at, copy.buf);
		f->states++;
	}
	strbuf_release(&file);
	strbuf_release(&copy);
	strbuf_release(&got);
}

/* A suite of n testcases named PREFIX0.., with text that is hard on
 * the pad: "?", ">", "--", CDATA and an instruction-like "<?". */
static void suite(struct strbuf *sb, const char *prefix, int n)
{
	strbuf_reset(sb);
	strbuf_addf(sb, "<testsuite name=\"s-%s\" tests=\"%d\">\n", prefix, n);
	for (int i = 0; i < n; i++)
		strbuf_addf(sb,
			    "<testcase classname=\"c\" name=\"%s%d\" "
			    "time=\"0.5\"><system-out>a ? b > c -- d "
			    "<![CDATA[x <?y z]]>?</system-out></testcase>\n",
			    prefix, i);
	strbuf_addstr(sb, "</testsuite>");
}

static void append(struct fixture *f, const char *prefix, int n, int check)
{
	struct strbuf sb = STRBUF_INIT;
	struct shard_error e = SHARD_ERROR_INIT;

	suite(&sb, prefix, n);
	strbuf_reset(&f->want_before);
	strbuf_addstr(&f->want_before, f->want_after.buf);
	for (int i = 0; i < n; i++)
		strbuf_addf(&f->want_after, "%s%d ", prefix, i);
	assert_int_equal(reportlog_append(&f->log, sb.buf, sb.len, &e), 0);
	if (check)
		assert_holds(f->path, f->want_after.buf);
	strbuf_release(&sb);
}

static void append_checked(struct fixture *f, const char *prefix, int n)
{
	append(f, prefix, n, 1);
}

static void a_new_log_is_an_empty_valid_report(void **state)
{
	struct fixture *f = *state;
	struct shard_error e = SHARD_ERROR_INIT;

	assert_int_equal(reportlog_create(&f->log, f->path, &e), 0);
	assert_holds(f->path, "");
}

static void suites_are_read_back_in_order_after_every_append(void **state)
{
	struct fixture *f = *state;
	struct shard_error e = SHARD_ERROR_INIT;

	assert_int_equal(reportlog_create(&f->log, f->path, &e), 0);
	append_checked(f, "a", 3);
	append_checked(f, "b", 1);
	append_checked(f, "c", 4);
	assert_int_equal(f->log.rewrites, 1); /* the creation only */
}

static void every_write_cut_short_leaves_whole_suites(void **state)
{
	struct fixture *f = *state;
	struct shard_error e = SHARD_ERROR_INIT;

	assert_int_equal(reportlog_create(&f->log, f->path, &e), 0);
	f->log.before_write = check_cut_short;
	f->log.hook_data = f;
	append_checked(f, "a", 2);
	append_checked(f, "b", 1);
	append_checked(f, "c", 2);
	/* four writes an append (the suite, the new opener, the close, the
	 * blanks), each checked at every length */
	assert_int_equal(f->writes, 3 * 4);
	assert_true(f->states > 800);
	assert_int_equal(f->log.rewrites, 1);
}

static void a_suite_holding_the_instruction_end_is_written_whole(void **state)
{
	struct fixture *f = *state;
	struct shard_error e = SHARD_ERROR_INIT;
	const char *odd = "<testsuite name=\"php\"><testcase name=\"p0\">"
			  "<system-out><![CDATA[<?php echo 1; ?>]]>"
			  "</system-out></testcase></testsuite>";

	assert_int_equal(reportlog_create(&f->log, f->path, &e), 0);
	append_checked(f, "a", 2);
	assert_int_equal(reportlog_append(&f->log, odd, strlen(odd), &e), 0);
	assert_int_equal(f->log.rewrites, 2);
	strbuf_addstr(&f->want_after, "p0 ");
	assert_holds(f->path, f->want_after.buf);
	/* and the pad serves again afterwards */
	append_checked(f, "b", 2);
	assert_int_equal(f->log.rewrites, 2);
}

static void a_full_pad_is_replaced_by_one_as_large_as_the_file(void **state)
{
	struct fixture *f = *state;
	struct shard_error e = SHARD_ERROR_INIT;
	struct stat st;
	char prefix[16];

	assert_int_equal(reportlog_create(&f->log, f->path, &e), 0);
	/* about 2.4 MB of suites: 64 KiB of pad at first, then as large as
	 * what the file holds: 1 + log2(2.4 MB / 64 KiB) rewrites or so,
	 * not one an append */
	for (int i = 0; i < 400; i++) {
		snprintf(prefix, sizeof(prefix), "t%d_", i);
		append(f, prefix, 40, i % 50 == 0);
	}
	assert_holds(f->path, f->want_after.buf);
	assert_int_equal(stat(f->path, &st), 0);
	assert_true(st.st_size > 2 * 1000 * 1000);
	assert_in_range(f->log.rewrites, 5, 8);
}

static void drop_spaces(struct strbuf *sb)
{
	size_t k = 0;

	for (size_t i = 0; i < sb->len; i++)
		if (sb->buf[i] != ' ')
			sb->buf[k++] = sb->buf[i];
	strbuf_setlen(sb, k);
}

static void finish_writes_the_suites_without_the_pad(void **state)
{
	struct fixture *f = *state;
	struct shard_error e = SHARD_ERROR_INIT;
	struct strbuf file = STRBUF_INIT, want = STRBUF_INIT;
	struct strbuf sb = STRBUF_INIT;

	assert_int_equal(reportlog_create(&f->log, f->path, &e), 0);
	append_checked(f, "a", 2);
	append_checked(f, "b", 3);
	assert_int_equal(reportlog_finish(&f->log, &e), 0);
	assert_holds(f->path, "a0 a1 b0 b1 b2 ");
	/* nothing but the suites and blanks: no pad, no remnant of one */
	strbuf_addstr(&want, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			     "<testsuites>\n");
	suite(&sb, "a", 2);
	strbuf_addf(&want, "%s\n", sb.buf);
	suite(&sb, "b", 3);
	strbuf_addf(&want, "%s\n\n</testsuites>\n", sb.buf);
	slurp(f->path, &file);
	drop_spaces(&file);
	drop_spaces(&want);
	assert_string_equal(file.buf, want.buf);
	strbuf_release(&file);
	strbuf_release(&want);
	strbuf_release(&sb);
}

static void standard_output_is_refused(void **state)
{
	struct fixture *f = *state;
	struct shard_error e = SHARD_ERROR_INIT;

	assert_int_equal(reportlog_create(&f->log, "-", &e), SHARD_EINPUT);
	assert_string_equal(e.msg, "a report kept batch by batch needs a "
				   "file, not standard output");
}

static void a_file_that_cannot_be_created_is_named(void **state)
{
	struct fixture *f = *state;
	struct shard_error e = SHARD_ERROR_INIT;
	char path[128];

	snprintf(path, sizeof(path), "%s/no/such/dir/w.xml", f->dir);
	assert_int_equal(reportlog_create(&f->log, path, &e), SHARD_EENV);
	assert_non_null(strstr(e.msg, path));
	assert_non_null(strstr(e.msg, "cannot write"));
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(a_new_log_is_an_empty_valid_report),
		T(suites_are_read_back_in_order_after_every_append),
		T(every_write_cut_short_leaves_whole_suites),
		T(a_suite_holding_the_instruction_end_is_written_whole),
		T(a_full_pad_is_replaced_by_one_as_large_as_the_file),
		T(finish_writes_the_suites_without_the_pad),
		T(standard_output_is_refused),
		T(a_file_that_cannot_be_created_is_named),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
