/*
 * Tests for the streaming JUnit reader. Events are logged one line each
 * ("S" suite start, "P" property, "C" testcase, "E" suite end) so that a
 * test compares a whole transcript. The data-file test checks every file
 * of tests/data/junit ($SHARD_DATA/junit) against an independent oracle: libxml2's tree
 * parser (xmlReadFile, what xmllint uses) decides well-formedness and
 * counts <testcase> elements by walking the tree.
 */
#include "shard/junit/junit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "shard/util/strbuf.h"
#include "shard/util/util.h"
#include "shard/util/banned.h"

#define BIG_SIZE (50 * 1024 * 1024)

struct events {
	struct strbuf log;
	struct strbuf warnings;
	int quiet;  /* count only (data files) */
	int detail; /* log every attribute */
	size_t suites_started, suites_ended, cases;
	size_t stop_at_case; /* fail from the nth testcase (1-based) */
	struct shard_ctx ctx;
	struct junit_handler h;
};

static const char *str(const char *s)
{
	return s ? s : "-";
}

static const char *outcome_name(enum junit_outcome o)
{
	static const char *const names[] = {
		"passed",
		"failed",
		"error",
		"skipped",
	};

	return names[o];
}

static int on_suite_start(void *data, const struct junit_suite *s,
			  struct shard_error *err)
{
	struct events *ev = data;

	(void)err;
	ev->suites_started++;
	if (ev->quiet)
		return 0;
	strbuf_addf(&ev->log, "S %s depth=%u", str(s->name), s->depth);
	if (s->has_time)
		strbuf_addf(&ev->log, " time=%g", s->time);
	if (ev->detail)
		strbuf_addf(&ev->log, " file=%s host=%s ts=%s line=%lu",
			    str(s->file), str(s->hostname), str(s->timestamp),
			    s->xml_line);
	strbuf_addch(&ev->log, '\n');
	return 0;
}

static int on_property(void *data, const struct junit_suite *s,
		       const char *name, const char *value,
		       struct shard_error *err)
{
	struct events *ev = data;

	(void)err;
	if (!ev->quiet)
		strbuf_addf(&ev->log, "P %s %s=%s\n", str(s->name), name,
			    value);
	return 0;
}

static void log_case(struct events *ev, const struct junit_case *c)
{
	strbuf_addf(&ev->log, "C %s %s", str(c->name),
		    outcome_name(c->outcome));
	if (c->message)
		strbuf_addf(&ev->log, " msg=%s", c->message);
	if (c->flaky)
		strbuf_addf(&ev->log, " flaky=%u", c->flaky);
	if (c->reruns)
		strbuf_addf(&ev->log, " reruns=%u", c->reruns);
	strbuf_addf(&ev->log, " suite=%s",
		    c->suite ? str(c->suite->name) : "none");
	if (c->has_time)
		strbuf_addf(&ev->log, " time=%g", c->time);
	if (ev->detail)
		strbuf_addf(&ev->log, " class=%s file=%s line=%ld xml_line=%lu",
			    str(c->classname), str(c->file), c->line,
			    c->xml_line);
	strbuf_addch(&ev->log, '\n');
}

static int on_testcase(void *data, const struct junit_case *c,
		       struct shard_error *err)
{
	struct events *ev = data;

	ev->cases++;
	if (!ev->quiet)
		log_case(ev, c);
	if (ev->stop_at_case && ev->cases >= ev->stop_at_case)
		return shard_error_set(err, SHARD_EFAIL, "stopped at %s",
				       str(c->name));
	return 0;
}

static int on_suite_end(void *data, const struct junit_suite *s,
			double case_seconds, struct shard_error *err)
{
	struct events *ev = data;

	(void)err;
	ev->suites_ended++;
	if (!ev->quiet)
		strbuf_addf(&ev->log, "E %s cases=%g\n", str(s->name),
			    case_seconds);
	return 0;
}

static void on_warn(void *data, const char *msg)
{
	struct events *ev = data;

	strbuf_addf(&ev->warnings, "%s\n", msg);
}

static int setup(void **state)
{
	struct events *ev = xcalloc(1, sizeof(*ev));

	strbuf_init(&ev->log, 0);
	strbuf_init(&ev->warnings, 0);
	ev->ctx.warn = on_warn;
	ev->ctx.data = ev;
	ev->h.suite_start = on_suite_start;
	ev->h.property = on_property;
	ev->h.testcase = on_testcase;
	ev->h.suite_end = on_suite_end;
	ev->h.data = ev;
	*state = ev;
	return 0;
}

static int teardown(void **state)
{
	struct events *ev = *state;

	strbuf_release(&ev->log);
	strbuf_release(&ev->warnings);
	free(ev);
	return 0;
}

static int read_opt(struct events *ev, const char *xml,
		    const struct junit_options *opt, struct shard_error *err)
{
	return junit_read_mem(xml, strlen(xml), "t.xml", opt, &ev->h, &ev->ctx,
			      err);
}

static int read_str(struct events *ev, const char *xml, struct shard_error *err)
{
	return read_opt(ev, xml, NULL, err);
}

/* msg starts with "path:LINE:COL: " */
static int has_location(const char *msg, const char *path)
{
	size_t n = strlen(path);
	const char *p = msg + n;

	if (strncmp(msg, path, n) || *p++ != ':')
		return 0;
	for (int field = 0; field < 2; field++) {
		const char *start = p;

		while (*p >= '0' && *p <= '9')
			p++;
		if (p == start || *p++ != ':')
			return 0;
	}
	return *p == ' ';
}

static void parse_time_table(void **state)
{
	static const struct {
		const char *in;
		int rc;
		double out;
	} table[] = {
		{ "1", 0, 1 },
		{ "1.5", 0, 1.5 },
		{ " 2 ", 0, 2 },
		{ "\t4\n", 0, 4 },
		{ "2,503.1", 0, 2503.1 },
		{ "1,234,567", 0, 1234567 },
		{ "-3", 1, 0 },
		{ "-1,000.5", 1, 0 },
		{ "time", -1, 0 },
		{ "", -1, 0 },
		{ "   ", -1, 0 },
		{ "1e-3", 0, 0.001 },
		{ "1,5", -1, 0 },
		{ ",500", -1, 0 },
		{ "1.000,5", -1, 0 },
		{ "inf", -1, 0 },
		{ "nan", -1, 0 },
		{ "0x10", -1, 0 },
		{ "1.5s", -1, 0 },
		{ "1 2", -1, 0 },
		{ "-0", 0, 0 },
	};
	double out;

	(void)state;
	for (size_t i = 0; i < sizeof(table) / sizeof(*table); i++) {
		out = -42;
		print_message("junit_parse_time(\"%s\")\n", table[i].in);
		assert_int_equal(junit_parse_time(table[i].in, &out),
				 table[i].rc);
		assert_true(out == table[i].out);
	}
	out = -42;
	assert_int_equal(junit_parse_time(NULL, &out), -1);
	assert_true(out == 0);
}

static void reader_reports_suites_cases_and_attributes(void **state)
{
	struct events *ev = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	const char *xml =
		"<?xml version=\"1.0\"?>\n"
		"<testsuites name=\"all\">\n"
		"  <testsuite name=\"s\" file=\"a.py\" hostname=\"h1\"\n"
		"      timestamp=\"2024-01-02T03:04:05\" time=\"1.5\">\n"
		"    <testcase classname=\"k\" name=\"c\" file=\"a.py\""
		" line=\"42\" time=\"0.25\"/>\n"
		"    <testcase name=\"d\" line=\"x\"/>\n"
		"  </testsuite>\n"
		"</testsuites>\n";

	ev->detail = 1;
	assert_int_equal(read_str(ev, xml, &err), 0);
	assert_string_equal(
		ev->log.buf,
		"S s depth=0 time=1.5 file=a.py host=h1"
		" ts=2024-01-02T03:04:05 line=4\n"
		"C c passed suite=s time=0.25 class=k file=a.py line=42"
		" xml_line=5\n"
		"C d passed suite=s class=- file=- line=0 xml_line=6\n"
		"E s cases=0.25\n");
	assert_string_equal(ev->warnings.buf, "");
}

static void reader_reports_outcomes_by_priority(void **state)
{
	struct events *ev = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	const char *xml =
		"<testsuite name=\"s\">"
		"<testcase name=\"pass\"><system-out>out</system-out></testcase>"
		"<testcase name=\"fail\"><failure message=\"boom\">trace"
		"</failure></testcase>"
		"<testcase name=\"err\"><error message=\"oops\"/></testcase>"
		"<testcase name=\"skip\"><skipped/></testcase>"
		"<testcase name=\"err-fail\"><error message=\"e\"/>"
		"<failure message=\"f\"/></testcase>"
		"<testcase name=\"fail-skip\"><failure message=\"f\"/>"
		"<skipped message=\"s\"/></testcase>"
		"<testcase name=\"skip-err\"><skipped message=\"s\"/>"
		"<error message=\"e\"/></testcase>"
		"<testcase name=\"two-fails\"><failure message=\"first\"/>"
		"<failure message=\"second\"/></testcase>"
		"<testcase name=\"disabled\" status=\"disabled\"/>"
		"<testcase name=\"notrun\" status=\"notrun\"/>"
		"<testcase name=\"suppressed\" result=\"suppressed\"/>"
		"<testcase name=\"gskip\" status=\"run\" result=\"skipped\"/>"
		"<testcase name=\"status-fail\" status=\"failed\">"
		"<failure message=\"m\"/></testcase>"
		"<testcase name=\"nested\"><system-out><failure/></system-out>"
		"</testcase>"
		"</testsuite>";

	assert_int_equal(read_str(ev, xml, &err), 0);
	assert_string_equal(ev->log.buf,
			    "S s depth=0\n"
			    "C pass passed suite=s\n"
			    "C fail failed msg=boom suite=s\n"
			    "C err error msg=oops suite=s\n"
			    "C skip skipped suite=s\n"
			    "C err-fail failed msg=f suite=s\n"
			    "C fail-skip failed msg=f suite=s\n"
			    "C skip-err error msg=e suite=s\n"
			    "C two-fails failed msg=first suite=s\n"
			    "C disabled skipped suite=s\n"
			    "C notrun skipped suite=s\n"
			    "C suppressed skipped suite=s\n"
			    "C gskip skipped suite=s\n"
			    "C status-fail failed msg=m suite=s\n"
			    "C nested passed suite=s\n"
			    "E s cases=0\n");
}

static void reader_counts_flaky_and_rerun_children(void **state)
{
	struct events *ev = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	const char *xml =
		"<testsuite name=\"s\">"
		"<testcase name=\"flaky\"><flakyFailure message=\"x\"/>"
		"<flakyError/><system-out/></testcase>"
		"<testcase name=\"rerun\"><rerunFailure/><rerunError/>"
		"<failure message=\"final\"/></testcase>"
		"<testcase name=\"both\"><flakyFailure/><rerunFailure/>"
		"</testcase>"
		"</testsuite>";

	assert_int_equal(read_str(ev, xml, &err), 0);
	assert_string_equal(ev->log.buf,
			    "S s depth=0\n"
			    "C flaky passed flaky=2 suite=s\n"
			    "C rerun failed msg=final reruns=2 suite=s\n"
			    "C both passed flaky=1 reruns=1 suite=s\n"
			    "E s cases=0\n");
}

static void reader_tracks_nested_suites_and_case_seconds(void **state)
{
	struct events *ev = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	const char *xml =
		"<testsuites>"
		"<testcase name=\"orphan\" time=\"0.5\"/>"
		"<testsuite name=\"outer\" time=\"10\">"
		"<testcase name=\"o1\" time=\"1.25\"/>"
		"<testsuite name=\"inner\">"
		"<testcase name=\"i1\" time=\"2\"/>"
		"<testcase name=\"i2\" time=\"3\"/>"
		"</testsuite>"
		"<testcase name=\"o2\" time=\"0.75\"/>"
		"<testcase name=\"o3\"/>"
		"<testcase name=\"o4\"><testsuite name=\"in-case\">"
		"<testcase name=\"ic\" time=\"7\"/></testsuite></testcase>"
		"</testsuite>"
		"</testsuites>";

	assert_int_equal(read_str(ev, xml, &err), 0);
	assert_string_equal(ev->log.buf, "C orphan passed suite=none time=0.5\n"
					 "S outer depth=0 time=10\n"
					 "C o1 passed suite=outer time=1.25\n"
					 "S inner depth=1\n"
					 "C i1 passed suite=inner time=2\n"
					 "C i2 passed suite=inner time=3\n"
					 "E inner cases=5\n"
					 "C o2 passed suite=outer time=0.75\n"
					 "C o3 passed suite=outer\n"
					 "S in-case depth=1\n"
					 "C ic passed suite=in-case time=7\n"
					 "E in-case cases=7\n"
					 "C o4 passed suite=outer\n"
					 "E outer cases=2\n");
}

static void reader_reports_suite_properties(void **state)
{
	struct events *ev = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	const char *xml =
		"<testsuites>"
		"<properties><property name=\"top\" value=\"no suite\"/>"
		"</properties>"
		"<testsuite name=\"s\">"
		"<properties>"
		"<property name=\"a\" value=\"1\"/>"
		"<property name=\"b\">text form</property>"
		"<property value=\"no name\"/>"
		"<property name=\"empty\" value=\"\"/>"
		"</properties>"
		"<testcase name=\"c\"><properties>"
		"<property name=\"case\" value=\"ignored\"/></properties>"
		"</testcase>"
		"<testsuite name=\"inner\"><properties>"
		"<property name=\"x\" value=\"&lt;y&amp;z&#38;&quot;\"/>"
		"</properties></testsuite>"
		"<other><property name=\"stray\" value=\"v\"/></other>"
		"</testsuite>"
		"</testsuites>";

	assert_int_equal(read_str(ev, xml, &err), 0);
	assert_string_equal(ev->log.buf, "S s depth=0\n"
					 "P s a=1\n"
					 "P s empty=\n"
					 "C c passed suite=s\n"
					 "S inner depth=1\n"
					 "P inner x=<y&z&\"\n"
					 "E inner cases=0\n"
					 "E s cases=0\n");
}

static void reader_decodes_escaped_attributes(void **state)
{
	struct events *ev = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	const char *xml =
		"<testsuite name=\"a &amp; b\">"
		"<testcase name=\"&#38;&#x26;&lt;&gt;&apos;&quot;&#233;\">"
		"<failure message=\"x &amp;#38; y\"/></testcase>"
		"</testsuite>";

	assert_int_equal(read_str(ev, xml, &err), 0);
	assert_string_equal(ev->log.buf,
			    "S a & b depth=0\n"
			    "C &&<>'\"\xc3\xa9 failed msg=x &#38; y suite=a & b\n"
			    "E a & b cases=0\n");
}

static void reader_accepts_namespaced_elements(void **state)
{
	struct events *ev = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	const char *xml =
		"<j:testsuites xmlns:j=\"urn:junit\">"
		"<j:testsuite name=\"s\"><j:testcase name=\"c\">"
		"<j:skipped/></j:testcase></j:testsuite></j:testsuites>";

	assert_int_equal(read_str(ev, xml, &err), 0);
	assert_string_equal(ev->log.buf,
			    "S s depth=0\nC c skipped suite=s\nE s cases=0\n");
}

/* The first odd time of each kind is located; the rest are counted. */
static void reader_warns_about_negative_and_unparsable_times(void **state)
{
	struct events *ev = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	const char *xml = "<testsuite name=\"s\" time=\"-3\">\n"
			  "<testcase name=\"a\" time=\"time\"/>\n"
			  "<testcase name=\"b\" time=\"\"/>\n"
			  "<testcase name=\"c\" time=\"2,503.1\"/>\n"
			  "<testcase name=\"d\" time=\"-0.5\"/>\n"
			  "</testsuite>\n";

	assert_int_equal(read_str(ev, xml, &err), 0);
	assert_string_equal(ev->log.buf, "S s depth=0 time=0\n"
					 "C a passed suite=s\n"
					 "C b passed suite=s\n"
					 "C c passed suite=s time=2503.1\n"
					 "C d passed suite=s time=0\n"
					 "E s cases=2503.1\n");
	assert_string_equal(ev->warnings.buf,
			    "t.xml:1: negative time -3 clamped to 0\n"
			    "t.xml:2: unparsable time 'time' ignored\n"
			    "t.xml: 2 negative times clamped to 0 in all\n");
}

static void reader_rejects_non_junit_root(void **state)
{
	struct events *ev = *state;
	struct shard_error err = SHARD_ERROR_INIT;

	assert_int_equal(read_str(ev,
				  "<?xml version=\"1.0\"?>\n<suites>"
				  "<testsuite/></suites>",
				  &err),
			 SHARD_EINPUT);
	assert_string_equal(err.msg, "t.xml:2:8: not a JUnit report "
				     "(root element <suites>)");
	assert_string_equal(ev->log.buf, "");
}

static void reader_rejects_empty_input(void **state)
{
	struct events *ev = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	int fds[2];

	assert_int_equal(junit_read_mem("", 0, "t.xml", NULL, &ev->h, &ev->ctx,
					&err),
			 SHARD_EINPUT);
	assert_string_equal(err.msg,
			    "t.xml:1:1: empty file, not a JUnit report");
	shard_error_clear(&err);
	assert_int_equal(pipe(fds), 0);
	close(fds[1]);
	assert_int_equal(junit_read_fd(fds[0], "p.xml", NULL, &ev->h, &ev->ctx,
				       &err),
			 SHARD_EINPUT);
	close(fds[0]);
	assert_string_equal(err.msg,
			    "p.xml:1:1: empty file, not a JUnit report");
	shard_error_clear(&err);
	assert_int_equal(read_str(ev, " \n", &err), SHARD_EINPUT);
	assert_true(has_location(err.msg, "t.xml"));
}

static void reader_rejects_malformed_xml_with_location(void **state)
{
	struct events *ev = *state;
	struct shard_error err = SHARD_ERROR_INIT;

	assert_int_equal(read_str(ev,
				  "<testsuite name=\"s\">\n"
				  "<testcase name=\"a\">\n"
				  "</testsuite>\n",
				  &err),
			 SHARD_EINPUT);
	assert_string_equal(err.msg, "t.xml:3:13: Opening and ending tag "
				     "mismatch: testcase line 2 and testsuite");
	/* the case never ended, so it is never reported */
	assert_string_equal(ev->log.buf, "S s depth=0\n");
}

static void reader_rejects_invalid_character_reference(void **state)
{
	struct events *ev = *state;
	struct shard_error err = SHARD_ERROR_INIT;

	assert_int_equal(read_str(ev,
				  "<testsuite><system-out>a&#x0;b"
				  "</system-out></testsuite>",
				  &err),
			 SHARD_EINPUT);
	assert_true(has_location(err.msg, "t.xml"));
	assert_non_null(strstr(err.msg, "invalid xmlChar value 0"));
	/* in CDATA it is plain text, as in TEST-null.xml */
	shard_error_clear(&err);
	assert_int_equal(read_str(ev,
				  "<testsuite><system-out><![CDATA["
				  "a&#x0;b]]></system-out></testsuite>",
				  &err),
			 0);
}

static void reader_rejects_undefined_entity_reference(void **state)
{
	struct events *ev = *state;
	struct shard_error err = SHARD_ERROR_INIT;

	assert_int_equal(read_str(ev, "<testsuite name=\"&foo;\"/>", &err),
			 SHARD_EINPUT);
	assert_string_equal(err.msg, "t.xml:1:23: Entity 'foo' not defined");
	/* an external subset makes libxml2 only warn: still an error here */
	shard_error_clear(&err);
	assert_int_equal(read_str(ev,
				  "<!DOCTYPE testsuite SYSTEM \"x.dtd\">"
				  "<testsuite><system-out>&bar;"
				  "</system-out></testsuite>",
				  &err),
			 SHARD_EINPUT);
	assert_string_equal(err.msg, "t.xml:1:64: Entity 'bar' not defined");
	/* the suite had started; on an error it is never ended */
	assert_string_equal(ev->log.buf, "S - depth=0\n");
}

static void reader_rejects_entity_declarations(void **state)
{
	struct events *ev = *state;
	struct shard_error err = SHARD_ERROR_INIT;

	assert_int_equal(read_str(ev,
				  "<?xml version=\"1.0\"?>\n"
				  "<!DOCTYPE testsuite [\n"
				  "  <!ENTITY x \"harmless\">\n"
				  "]>\n"
				  "<testsuite name=\"&x;\"/>\n",
				  &err),
			 SHARD_EINPUT);
	assert_string_equal(err.msg, "t.xml:3:24: DOCTYPE declares entity "
				     "'x': entities are not allowed");
	assert_string_equal(ev->log.buf, "");
}

static void reader_rejects_parameter_and_unparsed_entities(void **state)
{
	struct events *ev = *state;
	struct shard_error err = SHARD_ERROR_INIT;

	assert_int_equal(read_str(ev,
				  "<!DOCTYPE testsuite [\n"
				  "<!ENTITY % p \"<!ENTITY y 'z'>\">\n"
				  "%p;\n]>\n<testsuite/>",
				  &err),
			 SHARD_EINPUT);
	assert_string_equal(err.msg, "t.xml:2:31: DOCTYPE declares entity "
				     "'p': entities are not allowed");
	shard_error_clear(&err);
	assert_int_equal(read_str(ev,
				  "<!DOCTYPE testsuite [\n"
				  "<!NOTATION gif SYSTEM \"gif\">\n"
				  "<!ENTITY pic SYSTEM \"p.gif\" NDATA gif>"
				  "\n]>\n<testsuite/>",
				  &err),
			 SHARD_EINPUT);
	assert_string_equal(err.msg, "t.xml:3:38: DOCTYPE declares entity "
				     "'pic': entities are not allowed");
	/* an undeclared parameter entity is an error as well */
	shard_error_clear(&err);
	assert_int_equal(read_str(ev,
				  "<!DOCTYPE testsuite SYSTEM \"x.dtd\""
				  " [ %q; ]><testsuite/>",
				  &err),
			 SHARD_EINPUT);
	assert_true(has_location(err.msg, "t.xml"));
	assert_non_null(strstr(err.msg, "%q; not found"));
	assert_string_equal(ev->log.buf, "");
}

static void reader_rejects_billion_laughs(void **state)
{
	struct events *ev = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct strbuf xml = STRBUF_INIT;

	strbuf_addstr(&xml, "<?xml version=\"1.0\"?>\n<!DOCTYPE testsuite [\n"
			    "<!ENTITY lol0 \"lol\">\n");
	for (int i = 1; i < 10; i++) {
		strbuf_addf(&xml, "<!ENTITY lol%d \"", i);
		for (int j = 0; j < 10; j++)
			strbuf_addf(&xml, "&lol%d;", i - 1);
		strbuf_addstr(&xml, "\">\n");
	}
	strbuf_addstr(&xml, "]>\n<testsuite name=\"&lol9;\">"
			    "<testcase name=\"&lol9;\"/></testsuite>\n");
	assert_int_equal(read_str(ev, xml.buf, &err), SHARD_EINPUT);
	assert_string_equal(err.msg, "t.xml:3:20: DOCTYPE declares entity "
				     "'lol0': entities are not allowed");
	assert_string_equal(ev->log.buf, "");
	strbuf_release(&xml);
}

/* A temporary file holding content; its path goes to path (PATH_MAX). */
static void make_temp(char *path, size_t size, const char *content)
{
	int fd;

	snprintf(path, size, "/tmp/test_junit.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)),
			 (ssize_t)strlen(content));
	close(fd);
}

/* Watch path for opens; -1 where inotify is unavailable. */
static int watch_opens(const char *path)
{
	int fd = inotify_init1(IN_NONBLOCK);

	if (fd >= 0 && inotify_add_watch(fd, path, IN_OPEN | IN_ACCESS) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/*
 * No open of path since watch began; then prove the watch works by
 * opening path ourselves.
 */
static void assert_never_opened(int watch, const char *path)
{
	char buf[4096];
	int fd;

	if (watch < 0) {
		print_message("inotify unavailable: open not checked\n");
		return;
	}
	errno = 0;
	assert_int_equal(read(watch, buf, sizeof(buf)), -1);
	assert_int_equal(errno, EAGAIN);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	close(fd);
	assert_true(read(watch, buf, sizeof(buf)) > 0);
	close(watch);
}

static void assert_secret_absent(struct events *ev, const char *msg)
{
	assert_null(strstr(ev->log.buf, "SECRET"));
	assert_null(strstr(ev->warnings.buf, "SECRET"));
	assert_null(strstr(msg, "SECRET"));
}

static void reader_never_fetches_external_entity(void **state)
{
	struct events *ev = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	char secret[64];
	struct strbuf xml = STRBUF_INIT;
	int watch;

	make_temp(secret, sizeof(secret), "SECRET-CONTENT\n");
	watch = watch_opens(secret);
	strbuf_addf(&xml,
		    "<!DOCTYPE testsuite [\n"
		    "<!ENTITY xxe SYSTEM \"file://%s\">\n]>\n"
		    "<testsuite name=\"&xxe;\"><testcase name=\"&xxe;\">"
		    "<system-out>&xxe;</system-out></testcase>"
		    "</testsuite>\n",
		    secret);
	assert_int_equal(read_str(ev, xml.buf, &err), SHARD_EINPUT);
	assert_true(has_location(err.msg, "t.xml"));
	assert_non_null(strstr(err.msg, "DOCTYPE declares entity 'xxe': "
					"entities are not allowed"));
	assert_secret_absent(ev, err.msg);
	assert_string_equal(ev->log.buf, "");
	/* the same under recovery: entities are never a recoverable error */
	shard_error_clear(&err);
	assert_int_equal(read_opt(ev, xml.buf,
				  &(struct junit_options){ .recover = 1 },
				  &err),
			 SHARD_EINPUT);
	assert_secret_absent(ev, err.msg);
	assert_never_opened(watch, secret);
	unlink(secret);
	strbuf_release(&xml);
}

static void reader_never_loads_external_dtd(void **state)
{
	struct events *ev = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	char dtd[64];
	struct strbuf xml = STRBUF_INIT;
	int watch;

	make_temp(dtd, sizeof(dtd), "<!ENTITY e \"SECRET\">\n");
	watch = watch_opens(dtd);
	strbuf_addf(&xml,
		    "<!DOCTYPE testsuite SYSTEM \"file://%s\">\n"
		    "<testsuite name=\"&e;\"/>\n",
		    dtd);
	assert_int_equal(read_str(ev, xml.buf, &err), SHARD_EINPUT);
	assert_string_equal(err.msg, "t.xml:2:21: Entity 'e' not defined");
	assert_secret_absent(ev, err.msg);
	assert_never_opened(watch, dtd);
	unlink(dtd);
	strbuf_release(&xml);
}

static char *nested(int depth)
{
	struct strbuf sb = STRBUF_INIT;

	for (int i = 0; i < depth; i++)
		strbuf_addf(&sb, "<testsuite name=\"d%d\">", i);
	strbuf_addstr(&sb, "<testcase name=\"deep\"/>");
	for (int i = 0; i < depth; i++)
		strbuf_addstr(&sb, "</testsuite>");
	return strbuf_detach(&sb, NULL);
}

static void reader_rejects_nesting_deeper_than_the_bound(void **state)
{
	struct events *ev = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	char *xml = nested(300);

	ev->quiet = 1;
	assert_int_equal(read_str(ev, xml, &err), SHARD_EINPUT);
	assert_true(has_location(err.msg, "t.xml"));
	assert_non_null(strstr(err.msg, ": elements nested deeper than 256"));
	assert_int_equal(ev->suites_started, 256);
	assert_int_equal(ev->cases, 0);
	free(xml);
	xml = nested(11);
	shard_error_clear(&err);
	assert_int_equal(read_opt(ev, xml,
				  &(struct junit_options){ .max_depth = 11 },
				  &err),
			 SHARD_EINPUT);
	assert_non_null(strstr(err.msg, ": elements nested deeper than 11"));
	free(xml);
}

static void reader_accepts_moderate_nesting(void **state)
{
	struct events *ev = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	char *xml = nested(100);

	assert_int_equal(read_str(ev, xml, &err), 0);
	assert_int_equal(ev->suites_started, 100);
	assert_int_equal(ev->suites_ended, 100);
	assert_non_null(strstr(ev->log.buf, "S d99 depth=99\n"
					    "C deep passed suite=d99\n"));
	free(xml);
	/* a bound above libxml2's own default depth of 256 is honoured */
	xml = nested(400);
	ev->quiet = 1;
	assert_int_equal(read_opt(ev, xml,
				  &(struct junit_options){ .max_depth = 401 },
				  &err),
			 0);
	assert_int_equal(ev->suites_ended, 500);
	free(xml);
}

static void reader_accepts_utf8_bom(void **state)
{
	struct events *ev = *state;
	struct shard_error err = SHARD_ERROR_INIT;

	assert_int_equal(read_str(ev,
				  "\xef\xbb\xbf<?xml version=\"1.0\" "
				  "encoding=\"UTF-8\"?><testsuite name="
				  "\"caf\xc3\xa9\"/>",
				  &err),
			 0);
	assert_string_equal(ev->log.buf, "S caf\xc3\xa9 depth=0\n"
					 "E caf\xc3\xa9 cases=0\n");
}

static void reader_converts_latin1_to_utf8(void **state)
{
	struct events *ev = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct strbuf xml = STRBUF_INIT;

	strbuf_addstr(&xml, "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>"
			    "<testsuite name=\"caf\xe9\">");
	/* past the first 64 KiB chunk as well */
	for (int i = 0; i < 3000; i++)
		strbuf_addstr(&xml, "<!-- padding padding padding -->\n");
	strbuf_addstr(&xml, "<testcase name=\"na\xefve\"/></testsuite>");
	assert_true(xml.len > 64 * 1024);
	assert_int_equal(read_str(ev, xml.buf, &err), 0);
	assert_string_equal(ev->log.buf,
			    "S caf\xc3\xa9 depth=0\n"
			    "C na\xc3\xafve passed suite=caf\xc3\xa9\n"
			    "E caf\xc3\xa9 cases=0\n");
	strbuf_release(&xml);
}

static void reader_reads_utf16_with_bom(void **state)
{
	struct events *ev = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	const char *ascii = "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n"
			    "<testsuite name=\"wide\"><testcase name=\"c\"/>"
			    "</testsuite>\n";
	size_t n = strlen(ascii);
	char *buf = xmalloc(2 * n + 2);

	buf[0] = (char)0xff;
	buf[1] = (char)0xfe;
	for (size_t i = 0; i < n; i++) {
		buf[2 + 2 * i] = ascii[i];
		buf[3 + 2 * i] = 0;
	}
	assert_int_equal(junit_read_mem(buf, 2 * n + 2, "t.xml", NULL, &ev->h,
					&ev->ctx, &err),
			 0);
	assert_string_equal(ev->log.buf, "S wide depth=0\n"
					 "C c passed suite=wide\n"
					 "E wide cases=0\n");
	free(buf);
}

static void reader_stops_when_a_callback_fails(void **state)
{
	struct events *ev = *state;
	struct shard_error err = SHARD_ERROR_INIT;

	ev->stop_at_case = 2;
	assert_int_equal(read_str(ev,
				  "<testsuite name=\"s\">"
				  "<testcase name=\"a\"/>"
				  "<testcase name=\"b\"/>"
				  "<testcase name=\"c\"/></testsuite>",
				  &err),
			 SHARD_EFAIL);
	assert_string_equal(err.msg, "stopped at b");
	assert_string_equal(ev->log.buf, "S s depth=0\n"
					 "C a passed suite=s\n"
					 "C b passed suite=s\n");
}

static void reader_recovers_with_warnings(void **state)
{
	struct events *ev = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	const char *xml = "<testsuite name=\"s\">\n"
			  "<testcase name=\"a\" time=\"1\"/>\n"
			  "<testcase name=\"b\"><failure message=\"m\">";

	assert_int_equal(read_str(ev, xml, &err), SHARD_EINPUT);
	assert_true(has_location(err.msg, "t.xml"));
	shard_error_clear(&err);
	strbuf_reset(&ev->log);
	assert_int_equal(read_opt(ev, xml,
				  &(struct junit_options){ .recover = 1 },
				  &err),
			 0);
	assert_string_equal(err.msg, "");
	assert_string_equal(ev->log.buf, "S s depth=0\n"
					 "C a passed suite=s time=1\n"
					 "C b failed msg=m suite=s\n"
					 "E s cases=1\n");
	assert_true(has_location(ev->warnings.buf, "t.xml"));
}

static void reader_recover_still_needs_a_junit_root(void **state)
{
	struct events *ev = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct junit_options opt = { .recover = 1 };

	assert_int_equal(read_opt(ev, "not xml at all", &opt, &err),
			 SHARD_EINPUT);
	assert_string_equal(err.msg, "t.xml:1:1: Document is empty");
	shard_error_clear(&err);
	assert_int_equal(read_opt(ev, "<suites/>", &opt, &err), SHARD_EINPUT);
	assert_string_equal(err.msg, "t.xml:1:8: not a JUnit report "
				     "(root element <suites>)");
}

static void reader_warns_about_xml_1_1(void **state)
{
	struct events *ev = *state;
	struct shard_error err = SHARD_ERROR_INIT;

	assert_int_equal(read_str(ev,
				  "<?xml version=\"1.1\"?>"
				  "<testsuite name=\"s\"/>",
				  &err),
			 0);
	assert_string_equal(ev->warnings.buf,
			    "t.xml:1:20: Unsupported version '1.1'\n");
	assert_string_equal(ev->log.buf, "S s depth=0\nE s cases=0\n");
}

static void reader_reports_read_errors(void **state)
{
	struct events *ev = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	int fd = open(".", O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(junit_read_fd(fd, "dir", NULL, &ev->h, &ev->ctx, &err),
			 SHARD_EENV);
	close(fd);
	assert_string_equal(err.msg, "dir: read error: Is a directory");
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Write head, then unit repeated to about size bytes, then tail. Plain
 * return codes: it also runs in a forked child, where cmocka must not.
 */
static int write_big(int fd, const char *head, const char *unit, size_t size,
		     const char *tail)
{
	struct strbuf block = STRBUF_INIT;
	size_t left = size - size % strlen(unit);
	int rc = 0;

	while (block.len + strlen(unit) <= 64 * 1024)
		strbuf_addstr(&block, unit);
	if (write_all(fd, head, strlen(head)))
		rc = -1;
	while (left && !rc) {
		size_t n = left < block.len ? left : block.len;

		rc = write_all(fd, block.buf, n);
		left -= n;
	}
	if (!rc)
		rc = write_all(fd, tail, strlen(tail));
	strbuf_release(&block);
	return rc;
}

static void reader_streams_50mb_system_out_from_a_pipe(void **state)
{
	struct events *ev = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	int fds[2], status;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		close(fds[0]);
		_exit(write_big(fds[1],
				"<testsuite name=\"s\">"
				"<testcase name=\"big\"><system-out>",
				"log line &amp; more\r\n", BIG_SIZE,
				"</system-out></testcase></testsuite>")
			      ? 1
			      : 0);
	}
	close(fds[1]);
	assert_int_equal(junit_read_fd(fds[0], "pipe", NULL, &ev->h, &ev->ctx,
				       &err),
			 0);
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_string_equal(ev->log.buf, "S s depth=0\nC big passed suite=s\n"
					 "E s cases=0\n");
}

static void reader_streams_50mb_cdata_from_a_file(void **state)
{
	struct events *ev = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	char path[64];
	int fd;

	make_temp(path, sizeof(path), "");
	fd = open(path, O_RDWR | O_TRUNC);
	assert_true(fd >= 0);
	unlink(path); /* nothing left behind should an assert fail */
	assert_int_equal(write_big(fd,
				   "<testsuite name=\"s\">"
				   "<testcase name=\"big\"><system-err>"
				   "<![CDATA[",
				   "no markup <here> & ]] there\n", BIG_SIZE,
				   "]]></system-err>"
				   "<failure message=\"after\"/></testcase>"
				   "<testcase name=\"next\"/></testsuite>"),
			 0);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(junit_read_fd(fd, path, NULL, &ev->h, &ev->ctx, &err),
			 0);
	close(fd);
	assert_string_equal(ev->log.buf, "S s depth=0\n"
					 "C big failed msg=after suite=s\n"
					 "C next passed suite=s\n"
					 "E s cases=0\n");
}

/* The oracle: libxml2's tree parser, as xmllint --noout --nonet. */
static xmlDocPtr oracle_parse(const char *path)
{
	return xmlReadFile(path, NULL,
			   XML_PARSE_NONET | XML_PARSE_NOERROR |
				   XML_PARSE_NOWARNING);
}

static size_t oracle_count(xmlNodePtr node)
{
	size_t n = 0;

	for (; node; node = node->next) {
		if (node->type != XML_ELEMENT_NODE)
			continue;
		n += !strcmp((const char *)node->name, "testcase");
		n += oracle_count(node->children);
	}
	return n;
}

struct tally {
	size_t junit, malformed, other;
	struct strbuf problems;
};

static void check_data_file(struct events *ev, const char *path,
			    struct tally *t)
{
	struct shard_error err = SHARD_ERROR_INIT;
	xmlDocPtr doc = oracle_parse(path);
	xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
	const char *name = root ? (const char *)root->name : "";
	int junit = !strcmp(name, "testsuites") || !strcmp(name, "testsuite");
	int fd = open(path, O_RDONLY);
	int rc;

	assert_true(fd >= 0);
	ev->cases = ev->suites_started = ev->suites_ended = 0;
	rc = junit_read_fd(fd, path, NULL, &ev->h, &ev->ctx, &err);
	close(fd);
	if (!doc)
		t->malformed++;
	else if (!junit)
		t->other++;
	else
		t->junit++;
	if (!doc && (rc != SHARD_EINPUT || !has_location(err.msg, path)))
		strbuf_addf(&t->problems, "%s: malformed but rc=%d %s\n", path,
			    rc, err.msg);
	if (doc && !junit &&
	    (rc != SHARD_EINPUT || !has_location(err.msg, path) ||
	     !strstr(err.msg, ": not a JUnit report (root")))
		strbuf_addf(&t->problems, "%s: <%s> root but rc=%d %s\n", path,
			    name, rc, err.msg);
	if (junit && (rc || ev->cases != oracle_count(root) ||
		      ev->suites_started != ev->suites_ended))
		strbuf_addf(&t->problems, "%s: rc=%d %s cases %zu, want %zu\n",
			    path, rc, err.msg, ev->cases, oracle_count(root));
	xmlFreeDoc(doc);
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file one level below dir, sorted. */
static char **list_files(const char *dir, size_t *count)
{
	char **files = NULL;
	size_t n = 0, alloc = 0;
	DIR *top = opendir(dir);
	struct dirent *d;

	assert_non_null(top);
	while ((d = readdir(top))) {
		struct strbuf sub = STRBUF_INIT;
		DIR *in;
		struct dirent *f;

		if (d->d_name[0] == '.')
			continue;
		strbuf_addf(&sub, "%s/%s", dir, d->d_name);
		in = opendir(sub.buf);
		while (in && (f = readdir(in))) {
			struct strbuf p = STRBUF_INIT;

			if (f->d_name[0] == '.')
				continue;
			strbuf_addf(&p, "%s/%s", sub.buf, f->d_name);
			ALLOC_GROW(files, n + 1, alloc);
			files[n++] = strbuf_detach(&p, NULL);
		}
		if (in)
			closedir(in);
		strbuf_release(&sub);
	}
	closedir(top);
	qsort(files, n, sizeof(*files), compare_strings);
	*count = n;
	return files;
}

/*
 * What tests/data/MANIFEST.tsv says of the files under junit/: its last
 * column is each file's kind (junit, malformed, other-root), so that the
 * counts follow the corpus rather than constants.
 */
static void manifest_tally(const char *data, struct tally *want)
{
	struct strbuf path = STRBUF_INIT;
	char line[4096];
	FILE *f;

	strbuf_addf(&path, "%s/MANIFEST.tsv", data);
	f = fopen(path.buf, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char *kind = strrchr(line, '\t');

		if (strncmp(line, "junit/", 6) || !kind)
			continue;
		kind[strcspn(kind, "\r\n")] = '\0';
		if (!strcmp(kind + 1, "junit"))
			want->junit++;
		else if (!strcmp(kind + 1, "malformed"))
			want->malformed++;
		else if (!strcmp(kind + 1, "other-root"))
			want->other++;
		else
			fail_msg("%s: unknown kind '%s'", path.buf, kind + 1);
	}
	fclose(f);
	strbuf_release(&path);
}

static void reader_matches_xmllint_on_every_data_file(void **state)
{
	struct events *ev = *state;
	const char *data = getenv("SHARD_DATA");
	struct strbuf dir = STRBUF_INIT;
	struct tally t = { 0, 0, 0, STRBUF_INIT };
	struct tally want = { 0, 0, 0, STRBUF_INIT };
	size_t n;
	char **files;

	if (!data)
		data = "tests/data";
	manifest_tally(data, &want);
	assert_true(want.junit > 0);
	strbuf_addf(&dir, "%s/junit", data);
	files = list_files(dir.buf, &n);
	ev->quiet = 1;
	for (size_t i = 0; i < n; i++) {
		check_data_file(ev, files[i], &t);
		free(files[i]);
	}
	free(files);
	if (t.problems.len)
		print_error("%s", t.problems.buf);
	assert_int_equal(t.problems.len, 0);
	assert_int_equal(n, want.junit + want.malformed + want.other);
	assert_int_equal(t.junit, want.junit);
	assert_int_equal(t.malformed, want.malformed);
	assert_int_equal(t.other, want.other);
	strbuf_release(&t.problems);
	strbuf_release(&dir);
}

/* Every outcome's name reads back as it, and nothing else parses. */
static void outcome_names_round_trip(void **state)
{
	static const enum junit_outcome all[] = {
		JUNIT_PASSED,
		JUNIT_FAILED,
		JUNIT_ERROR,
		JUNIT_SKIPPED,
	};

	(void)state;
	assert_string_equal(junit_outcome_name(JUNIT_PASSED), "passed");
	assert_string_equal(junit_outcome_name(JUNIT_FAILED), "failed");
	assert_string_equal(junit_outcome_name(JUNIT_ERROR), "error");
	assert_string_equal(junit_outcome_name(JUNIT_SKIPPED), "skipped");
	for (size_t i = 0; i < sizeof(all) / sizeof(*all); i++)
		assert_int_equal(junit_outcome_parse(
					 junit_outcome_name(all[i])),
				 (int)all[i]);
	assert_int_equal(junit_outcome_parse(NULL), -1);
	assert_int_equal(junit_outcome_parse(""), -1);
	assert_int_equal(junit_outcome_parse("failure"), -1);
	assert_int_equal(junit_outcome_parse("Passed"), -1);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_time_table),
		cmocka_unit_test(outcome_names_round_trip),
		T(reader_reports_suites_cases_and_attributes),
		T(reader_reports_outcomes_by_priority),
		T(reader_counts_flaky_and_rerun_children),
		T(reader_tracks_nested_suites_and_case_seconds),
		T(reader_reports_suite_properties),
		T(reader_decodes_escaped_attributes),
		T(reader_accepts_namespaced_elements),
		T(reader_warns_about_negative_and_unparsable_times),
		T(reader_rejects_non_junit_root),
		T(reader_rejects_empty_input),
		T(reader_rejects_malformed_xml_with_location),
		T(reader_rejects_invalid_character_reference),
		T(reader_rejects_undefined_entity_reference),
		T(reader_rejects_entity_declarations),
		T(reader_rejects_parameter_and_unparsed_entities),
		T(reader_rejects_billion_laughs),
		T(reader_never_fetches_external_entity),
		T(reader_never_loads_external_dtd),
		T(reader_rejects_nesting_deeper_than_the_bound),
		T(reader_accepts_moderate_nesting),
		T(reader_accepts_utf8_bom),
		T(reader_converts_latin1_to_utf8),
		T(reader_reads_utf16_with_bom),
		T(reader_stops_when_a_callback_fails),
		T(reader_recovers_with_warnings),
		T(reader_recover_still_needs_a_junit_root),
		T(reader_warns_about_xml_1_1),
		T(reader_reports_read_errors),
		T(reader_streams_50mb_system_out_from_a_pipe),
		T(reader_streams_50mb_cdata_from_a_file),
		T(reader_matches_xmllint_on_every_data_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
