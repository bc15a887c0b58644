/*
 * Names shown to people: what quote.h escapes (controls, C1, bidi,
 * separators, bytes that are not UTF-8), what it keeps (printable ASCII,
 * the rest of UTF-8), and that shard_error_set and shard_warn, which
 * every message goes through, quote alike.
 */
#include "shard/util/quote.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "shard/junit/junit.h"
#include "shard/junit/junitout.h"
#include "shard/util/ctx.h"
#include "shard/util/error.h"
#include "shard/util/strbuf.h"
#include "shard/util/banned.h"

static void shown(const char *in, size_t len, const char *want)
{
	struct strbuf sb = STRBUF_INIT;

	assert_int_equal(quote_add(&sb, in, len), 0);
	assert_string_equal(sb.buf, want);
	assert_int_equal(quote_needed(in, len), strcmp(in, want) != 0);
	strbuf_release(&sb);
}

#define SHOWN(in, want) shown(in, sizeof(in) - 1, want)

static void printable_ascii_and_utf8_are_kept(void **state)
{
	(void)state;
	SHOWN("tests/a.py::T::test_x[a b/\\\\c]",
	      "tests/a.py::T::test_x[a b/\\\\c]");
	/* é, CJK, an astral emoji */
	SHOWN("caf\xc3\xa9 \xe6\xb5\x8b \xf0\x9f\x98\x80",
	      "caf\xc3\xa9 \xe6\xb5\x8b \xf0\x9f\x98\x80");
	SHOWN("", "");
}

static void controls_are_escaped(void **state)
{
	(void)state;
	/* a newline that would start a GitHub workflow command */
	SHOWN("x\n::add-mask::shard", "x\\n::add-mask::shard");
	SHOWN("a\tb\rc", "a\\tb\\rc");
	SHOWN("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m");
	SHOWN("del\x7f", "del\\x7f");
	/* C1: U+009B is a one-character CSI for some terminals */
	SHOWN("c1\xc2\x9b"
	      "2J",
	      "c1\\u{009b}2J");
}

static void bidirectional_controls_and_separators_are_escaped(void **state)
{
	(void)state;
	/* RIGHT-TO-LEFT OVERRIDE, then POP DIRECTIONAL FORMATTING */
	SHOWN("test_\xe2\x80\xaegnp.exe\xe2\x80\xac",
	      "test_\\u{202e}gnp.exe\\u{202c}");
	SHOWN("\xe2\x81\xa6iso\xe2\x81\xa9", "\\u{2066}iso\\u{2069}");
	SHOWN("a\xe2\x80\xa8"
	      "b",
	      "a\\u{2028}b");
	SHOWN("\xe2\x80\x8f", "\\u{200f}");
}

static void bytes_that_are_not_utf8_are_escaped(void **state)
{
	(void)state;
	SHOWN("latin1 \xe9t\xe9", "latin1 \\xe9t\\xe9");
	/* an overlong '/', a surrogate, a sequence cut short */
	SHOWN("\xc0\xaf", "\\xc0\\xaf");
	SHOWN("\xed\xa0\x80", "\\xed\\xa0\\x80");
	SHOWN("ok\xe2\x80", "ok\\xe2\\x80");
}

static void quote_into_cuts_at_a_whole_escape(void **state)
{
	char buf[8];

	(void)state;
	quote_into(buf, sizeof(buf),
		   "ab\x1b"
		   "cdef");
	assert_string_equal(buf, "ab\\x1bc");
	quote_into(buf, 6,
		   "ab\x1b"
		   "cdef");
	/* "\x1b" does not fit after "ab": cut before it, not inside */
	assert_string_equal(buf, "ab");
	quote_into(buf, 5, "\xe6\xb5\x8b\xe6\xb5\x8b");
	assert_string_equal(buf, "\xe6\xb5\x8b");
}

static void warned(void *data, const char *msg)
{
	struct strbuf *sb = data;

	strbuf_addstr(sb, msg);
}

static void errors_and_warnings_are_quoted(void **state)
{
	struct shard_error err = SHARD_ERROR_INIT;
	struct strbuf sb = STRBUF_INIT;
	struct shard_ctx ctx = { 0 };

	(void)state;
	shard_error_set(&err, SHARD_EINPUT, "%s:3: bad test '%s'", "a.xml",
			"x\n::add-mask::shard");
	assert_string_equal(err.msg, "a.xml:3: bad test "
				     "'x\\n::add-mask::shard'");
	ctx.warn = warned;
	ctx.data = &sb;
	shard_warn(&ctx, "time of %s clamped",
		   "\xe2\x80\xae"
		   "evil");
	assert_string_equal(sb.buf, "time of \\u{202e}evil clamped");
	strbuf_release(&sb);
}

struct seen {
	struct strbuf names, messages;
};

static int seen_case(void *data, const struct junit_case *c,
		     struct shard_error *err)
{
	struct seen *s = data;

	(void)err;
	strbuf_addf(&s->names, "%s|", c->name);
	strbuf_addf(&s->messages, "%s|", c->message ? c->message : "");
	assert_int_equal(c->outcome, JUNIT_ERROR);
	return 0;
}

/*
 * The testcase shard writes for a missing test is well-formed whatever
 * the id: one libxml2 reads back, with what XML cannot hold escaped and
 * the rest (markup, newlines, DEL, UTF-8) kept.
 */
static void missing_testcases_are_well_formed_for_any_id(void **state)
{
	static const char *const ids[] = {
		"esc\x1b[2J",
		"nul-free \x01\x7f",
		"latin1 \xe9",
		"bom \xef\xbf\xbe",
		"<a href=\"x\">&amp;</a>",
		"line\nbreak\ttab",
		"\xe6\xb5\x8b",
	};
	struct strbuf doc = STRBUF_INIT;
	struct seen s = { STRBUF_INIT, STRBUF_INIT };
	struct junit_handler h = { .testcase = seen_case, .data = &s };
	struct junit_options jo = { 0 };
	struct shard_error err = SHARD_ERROR_INIT;

	(void)state;
	strbuf_addstr(&doc, "<testsuite name=\"shard\">\n");
	for (size_t i = 0; i < sizeof(ids) / sizeof(*ids); i++)
		junitout_missing(&doc, ids[i], "not run: \x1b!");
	strbuf_addstr(&doc, "</testsuite>\n");
	assert_int_equal(junit_read_mem(doc.buf, doc.len, "missing.xml", &jo,
					&h, NULL, &err),
			 0);
	assert_string_equal(s.names.buf,
			    "esc\\x1b[2J|nul-free \\x01\x7f|latin1 \\xe9|"
			    "bom \\u{fffe}|<a href=\"x\">&amp;</a>|"
			    "line\nbreak\ttab|\xe6\xb5\x8b|");
	assert_string_equal(s.messages.buf, "not run: \\x1b!|not run: \\x1b!|"
					    "not run: \\x1b!|not run: \\x1b!|"
					    "not run: \\x1b!|not run: \\x1b!|"
					    "not run: \\x1b!|");
	strbuf_release(&doc);
	strbuf_release(&s.names);
	strbuf_release(&s.messages);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(printable_ascii_and_utf8_are_kept),
		cmocka_unit_test(controls_are_escaped),
		cmocka_unit_test(
			bidirectional_controls_and_separators_are_escaped),
		cmocka_unit_test(bytes_that_are_not_utf8_are_escaped),
		cmocka_unit_test(quote_into_cuts_at_a_whole_escape),
		cmocka_unit_test(errors_and_warnings_are_quoted),
		cmocka_unit_test(missing_testcases_are_well_formed_for_any_id),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
