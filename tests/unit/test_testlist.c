/*
 * Tests for test lists: one id per line, LF or CRLF, blank lines ignored,
 * duplicates collapsed with one warning that names file and line, an id
 * that is not printable UTF-8 (a NUL or other control byte, DEL, bytes
 * that are not UTF-8) refused with "path:line: ..." and the id escaped.
 * Lines are split as bytes arrive, so every result is also checked with
 * the input cut at every position.
 */
#include "shard/testlist.h"
#include "shard/util/quote.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "shard/util/strbuf.h"
#include "shard/util/banned.h"

struct fixture {
	struct testlist list;
	struct shard_ctx ctx;
	struct shard_error err;
	struct strbuf warnings; /* one line per warning */
	size_t nwarnings;
};

static void capture_warning(void *data, const char *msg)
{
	struct fixture *fx = data;

	fx->nwarnings++;
	strbuf_addstr(&fx->warnings, msg);
	strbuf_addch(&fx->warnings, '\n');
}

static void fixture_reset(struct fixture *fx)
{
	testlist_release(&fx->list);
	shard_error_clear(&fx->err);
	strbuf_reset(&fx->warnings);
	fx->nwarnings = 0;
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	testlist_init(&fx->list);
	strbuf_init(&fx->warnings, 0);
	fx->ctx.warn = capture_warning;
	fx->ctx.data = fx;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	testlist_release(&fx->list);
	strbuf_release(&fx->warnings);
	free(fx);
	return 0;
}

/* Feed text in one piece (len bytes) and finish; returns the code. */
static int read_text(struct fixture *fx, const char *text, size_t len)
{
	int r = testlist_feed(&fx->list, text, len, "tests.txt", &fx->err);

	if (r)
		return r;
	return testlist_finish(&fx->list, "tests.txt", &fx->ctx, &fx->err);
}

static int read_str(struct fixture *fx, const char *text)
{
	return read_text(fx, text, strlen(text));
}

/* The ids joined with '|', for comparing a whole list at once. */
static void join_ids(const struct testlist *l, struct strbuf *out)
{
	strbuf_reset(out);
	for (size_t i = 0; i < l->nr; i++) {
		if (i)
			strbuf_addch(out, '|');
		strbuf_addstr(out, l->ids[i]);
	}
}

static void expect_ids(struct fixture *fx, const char *want)
{
	struct strbuf got = STRBUF_INIT;

	join_ids(&fx->list, &got);
	assert_string_equal(got.buf, want);
	strbuf_release(&got);
}

static void list_reads_lf_lines_in_order(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(read_str(fx, "b::t\na::t\nc\n"), 0);
	assert_int_equal(fx->list.nr, 3);
	expect_ids(fx, "b::t|a::t|c");
	assert_int_equal(fx->nwarnings, 0);
}

static void list_reads_crlf_lines_without_the_cr(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(read_str(fx, "a\r\nb\r\nc\r\n"), 0);
	expect_ids(fx, "a|b|c");
	assert_int_equal(strlen(fx->list.ids[0]), 1);
	/* mixed endings in one file */
	fixture_reset(fx);
	assert_int_equal(read_str(fx, "a\nb\r\nc"), 0);
	expect_ids(fx, "a|b|c");
}

static void list_refuses_a_cr_that_does_not_end_the_line(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(read_str(fx, "x\na\rb\r\n"), SHARD_EINPUT);
	assert_string_equal(fx->err.msg, "tests.txt:2: control character \\r "
					 "in test id 'a\\rb'");
	/* CRLF takes one CR: the id of "a\r\r\n" would be "a\r" */
	fixture_reset(fx);
	assert_int_equal(read_str(fx, "a\r\r\n"), SHARD_EINPUT);
	assert_string_equal(fx->err.msg, "tests.txt:1: control character \\r "
					 "in test id 'a\\r'");
}

static void list_ignores_blank_and_whitespace_only_lines(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(read_str(fx, "\n\na\n \t \n\r\n\t\r\nb\n\n"), 0);
	expect_ids(fx, "a|b");
	assert_int_equal(fx->list.duplicates, 0);
	assert_int_equal(fx->nwarnings, 0);
}

static void list_keeps_ids_byte_for_byte(void **state)
{
	struct fixture *fx = *state;
	static const char text[] =
		"  lead\ntrail \nt/x.py::t[a b]\n-p evil\n"
		"it's \"q\" {} {@} $(x) \\\n"
		"caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf\n";

	assert_int_equal(read_str(fx, text), 0);
	assert_int_equal(fx->list.nr, 6);
	assert_string_equal(fx->list.ids[0], "  lead");
	assert_string_equal(fx->list.ids[1], "trail ");
	assert_string_equal(fx->list.ids[2], "t/x.py::t[a b]");
	assert_string_equal(fx->list.ids[3], "-p evil");
	assert_string_equal(fx->list.ids[4], "it's \"q\" {} {@} $(x) \\");
	/* two-, three- and four-byte sequences, up to U+10FFFF */
	assert_string_equal(fx->list.ids[5],
			    "caf\xc3\xa9 \xe2\x9c\x93 "
			    "\xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf");
}

/* The message for the one-line list text, or "" when it is accepted. */
static const char *refusal(struct fixture *fx, const char *text, size_t len)
{
	fixture_reset(fx);
	if (!read_text(fx, text, len))
		return "";
	assert_int_equal(fx->err.code, SHARD_EINPUT);
	return fx->err.msg;
}

static void list_refuses_control_characters_naming_line_and_id(void **state)
{
	struct fixture *fx = *state;
	static const char tab[] = "ok\nt/x.py::t[a\tb]\n";
	static const char esc[] = "ok\n\nred \x1b[31m\x1b]8;;x\x07\n";
	static const char del[] = "a\x7f\n";
	static const char c0[] = "\x01\n";
	static const char us[] = "a\x1f";

	assert_string_equal(refusal(fx, tab, sizeof(tab) - 1),
			    "tests.txt:2: control character \\t in test id "
			    "'t/x.py::t[a\\tb]'");
	assert_string_equal(refusal(fx, esc, sizeof(esc) - 1),
			    "tests.txt:3: control character \\x1b in test id "
			    "'red \\x1b[31m\\x1b]8;;x\\x07'");
	assert_string_equal(refusal(fx, del, sizeof(del) - 1),
			    "tests.txt:1: control character \\x7f in test id "
			    "'a\\x7f'");
	assert_string_equal(refusal(fx, c0, sizeof(c0) - 1),
			    "tests.txt:1: control character \\x01 in test id "
			    "'\\x01'");
	assert_string_equal(refusal(fx, us, sizeof(us) - 1),
			    "tests.txt:1: control character \\x1f in test id "
			    "'a\\x1f'");
}

static void list_refuses_ids_that_are_not_utf8(void **state)
{
	struct fixture *fx = *state;
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{ "\xff\xfe\n", "invalid UTF-8 (byte \\xff) in test id "
				"'\\xff\\xfe'" },
		/* Latin-1, not UTF-8 */
		{ "caf\xe9\n", "invalid UTF-8 (byte \\xe9) in test id "
			       "'caf\\xe9'" },
		/* a continuation byte alone */
		{ "a\x80"
		  "b\n",
		  "invalid UTF-8 (byte \\x80) in test id "
		  "'a\\x80b'" },
		/* an overlong "/" and an overlong NUL */
		{ "\xc0\xaf\n", "invalid UTF-8 (byte \\xc0) in test id "
				"'\\xc0\\xaf'" },
		{ "\xe0\x80\x80\n", "invalid UTF-8 (byte \\xe0) in test id "
				    "'\\xe0\\x80\\x80'" },
		/* a surrogate (CESU-8), past U+10FFFF, cut short */
		{ "\xed\xa0\x80\n", "invalid UTF-8 (byte \\xed) in test id "
				    "'\\xed\\xa0\\x80'" },
		{ "\xf4\x90\x80\x80\n", "invalid UTF-8 (byte \\xf4) in "
					"test id '\\xf4\\x90\\x80\\x80'" },
		{ "ab\xe2\x9c", "invalid UTF-8 (byte \\xe2) in test id "
				"'ab\\xe2\\x9c'" },
	};
	struct strbuf want = STRBUF_INIT;

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		strbuf_reset(&want);
		strbuf_addf(&want, "tests.txt:1: %s", cases[i].msg);
		assert_string_equal(refusal(fx, cases[i].text,
					    strlen(cases[i].text)),
				    want.buf);
	}
	strbuf_release(&want);
}

static void id_check_finds_the_first_bad_byte(void **state)
{
	(void)state;
	assert_int_equal(testlist_id_check("abc", 3), 3);
	assert_int_equal(testlist_id_check("", 0), 0);
	assert_int_equal(testlist_id_check("ab\0c", 4), 2);
	assert_int_equal(testlist_id_check("\xc3\xa9\x1b", 3), 2);
	assert_int_equal(testlist_id_check("\xc3\xa9\xc3", 3), 2);
	/* a sequence is checked within len only */
	assert_int_equal(testlist_id_check("\xe2\x9c\x93", 2), 0);
	assert_int_equal(testlist_id_check("\xe2\x9c\x93", 3), 3);
}

/* Quote a string literal, NULs inside included. */
#define QUOTE(sb, lit) quote_add_cut((sb), (lit), sizeof(lit) - 1, 120)

static void quote_escapes_what_a_terminal_would_act_on(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	char big[300];

	(void)state;
	QUOTE(&sb, "a\tb\nc\r\x1b[2J\x7f\x00");
	assert_string_equal(sb.buf, "a\\tb\\nc\\r\\x1b[2J\\x7f\\x00");
	/* C1 controls (NEL, CSI) and bidirectional overrides and isolates */
	strbuf_reset(&sb);
	QUOTE(&sb, "x\xc2\x85\xc2\x9b\xe2\x80\xae\xe2\x81\xa6y");
	assert_string_equal(sb.buf, "x\\u{0085}\\u{009b}\\u{202e}\\u{2066}y");
	/* printable UTF-8 and bytes that are not UTF-8 */
	strbuf_reset(&sb);
	QUOTE(&sb, "\xc3\xa9\\\xff'");
	assert_string_equal(sb.buf, "\xc3\xa9\\\\xff'");
	/* long ids are cut short */
	memset(big, 'x', sizeof(big));
	strbuf_reset(&sb);
	quote_add_cut(&sb, big, sizeof(big), 120);
	assert_int_equal(sb.len, 120 + 3);
	assert_string_equal(sb.buf + 120, "...");
	strbuf_release(&sb);
}

static void list_of_nothing_is_empty(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(read_str(fx, ""), 0);
	assert_int_equal(fx->list.nr, 0);
	assert_int_equal(read_str(fx, "\n\r\n  \n"), 0);
	assert_int_equal(fx->list.nr, 0);
	assert_int_equal(fx->nwarnings, 0);
}

static void list_takes_a_last_line_without_newline(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(testlist_feed(&fx->list, "a\nlast", 6, "tests.txt",
				       &fx->err),
			 0);
	/* held back until finish: it may continue in the next chunk */
	assert_int_equal(fx->list.nr, 1);
	assert_int_equal(testlist_finish(&fx->list, "tests.txt", &fx->ctx,
					 &fx->err),
			 0);
	expect_ids(fx, "a|last");
	fixture_reset(fx);
	assert_int_equal(read_str(fx, "a\nlast\r"), 0);
	expect_ids(fx, "a|last");
}

static void
list_collapses_duplicates_with_a_warning_naming_file_and_line(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(read_str(fx, "a\nb\n\na\nc\nb\na\r\n"), 0);
	expect_ids(fx, "a|b|c");
	assert_int_equal(fx->list.duplicates, 3);
	/* one warning for the file, at the first duplicate (line 4) */
	assert_int_equal(fx->nwarnings, 1);
	assert_string_equal(fx->warnings.buf,
			    "tests.txt:4: 3 duplicate test ids collapsed "
			    "(first: 'a')\n");
}

static void list_warns_about_one_duplicate_in_the_singular(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(read_str(fx, "x\ny\ny"), 0);
	expect_ids(fx, "x|y");
	assert_int_equal(fx->list.duplicates, 1);
	assert_int_equal(fx->nwarnings, 1);
	assert_string_equal(fx->warnings.buf,
			    "tests.txt:3: 1 duplicate test id collapsed "
			    "(first: 'y')\n");
}

static void list_without_a_warn_callback_still_collapses(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(testlist_feed(&fx->list, "a\na\n", 4, "t", &fx->err),
			 0);
	assert_int_equal(testlist_finish(&fx->list, "t", NULL, &fx->err), 0);
	assert_int_equal(fx->list.nr, 1);
	assert_int_equal(fx->list.duplicates, 1);
	assert_int_equal(fx->nwarnings, 0);
}

static void add_reports_new_and_duplicate_ids(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(testlist_add(&fx->list, "abc", 3), 1);
	assert_int_equal(testlist_add(&fx->list, "abcdef", 2), 1);
	assert_int_equal(testlist_add(&fx->list, "abc", 3), 0);
	assert_int_equal(testlist_add(&fx->list, "ab", 2), 0);
	assert_int_equal(testlist_add(&fx->list, "", 0), 1);
	assert_int_equal(fx->list.nr, 3);
	assert_string_equal(fx->list.ids[1], "ab");
	assert_int_equal(fx->list.duplicates, 2);
}

static void list_rejects_a_nul_byte_naming_path_and_line(void **state)
{
	struct fixture *fx = *state;
	static const char text[] = "a\n\nb\0c\nd\n";

	assert_int_equal(read_text(fx, text, sizeof(text) - 1), SHARD_EINPUT);
	assert_int_equal(fx->err.code, SHARD_EINPUT);
	assert_string_equal(fx->err.msg,
			    "tests.txt:3: NUL byte in test id 'b\\x00c'");
}

static void list_rejects_a_nul_byte_in_a_last_line_without_newline(void **state)
{
	struct fixture *fx = *state;
	static const char text[] = "a\r\nb\r\n\0";

	assert_int_equal(read_text(fx, text, sizeof(text) - 1), SHARD_EINPUT);
	assert_int_equal(fx->err.code, SHARD_EINPUT);
	assert_string_equal(fx->err.msg,
			    "tests.txt:3: NUL byte in test id '\\x00'");
}

/*
 * Feed text cut at every position (and then byte by byte) into a fresh
 * list; the ids, the duplicate count and the warning must never change.
 */
static void expect_same_at_every_cut(struct fixture *fx, const char *text,
				     size_t len, const char *ids,
				     const char *warning)
{
	struct strbuf got = STRBUF_INIT;

	for (size_t cut = 0; cut <= len + 1; cut++) {
		int r;

		fixture_reset(fx);
		if (cut <= len) {
			r = testlist_feed(&fx->list, text, cut, "l", &fx->err);
			assert_int_equal(r, 0);
			r = testlist_feed(&fx->list, text + cut, len - cut, "l",
					  &fx->err);
			assert_int_equal(r, 0);
		} else {
			for (size_t i = 0; i < len; i++)
				assert_int_equal(testlist_feed(&fx->list,
							       text + i, 1, "l",
							       &fx->err),
						 0);
		}
		assert_int_equal(testlist_finish(&fx->list, "l", &fx->ctx,
						 &fx->err),
				 0);
		join_ids(&fx->list, &got);
		if (strcmp(got.buf, ids) || strcmp(fx->warnings.buf, warning))
			print_error("cut at %zu of %zu\n", cut, len);
		assert_string_equal(got.buf, ids);
		assert_string_equal(fx->warnings.buf, warning);
	}
	strbuf_release(&got);
}

static void list_is_the_same_for_every_chunk_boundary(void **state)
{
	struct fixture *fx = *state;
	static const char text[] =
		"tests/a.py::t[x]\r\n\r\n  \nb\na\r\ntests/a.py::t[x]\n"
		"ccc\r\n\nlast";
	static const char utf8[] = "\xc3\xa9\n\xe2\x9c\x93\r\n\xf0\x9f\x98\x80";

	expect_same_at_every_cut(fx, text, sizeof(text) - 1,
				 "tests/a.py::t[x]|b|a|ccc|last",
				 "l:6: 1 duplicate test id collapsed "
				 "(first: 'tests/a.py::t[x]')\n");
	expect_same_at_every_cut(fx, "x\r\ny\r\n", 6, "x|y", "");
	/* a UTF-8 sequence cut between chunks is whole again */
	expect_same_at_every_cut(fx, utf8, sizeof(utf8) - 1,
				 "\xc3\xa9|\xe2\x9c\x93|\xf0\x9f\x98\x80", "");
}

/* text (len bytes) cut at every position is refused with msg. */
static void expect_refused_at_every_cut(struct fixture *fx, const char *text,
					size_t len, const char *msg)
{
	for (size_t cut = 0; cut <= len; cut++) {
		int r;

		fixture_reset(fx);
		r = testlist_feed(&fx->list, text, cut, "l", &fx->err);
		if (!r)
			r = testlist_feed(&fx->list, text + cut, len - cut, "l",
					  &fx->err);
		if (!r)
			r = testlist_finish(&fx->list, "l", &fx->ctx, &fx->err);
		assert_int_equal(r, SHARD_EINPUT);
		assert_string_equal(fx->err.msg, msg);
	}
}

static void bad_bytes_are_found_at_every_chunk_boundary(void **state)
{
	struct fixture *fx = *state;
	static const char nul[] = "one\r\ntwo\nth\0ree\nfour\n";
	static const char esc[] = "one\r\ntwo\nth\x1bree\r\nfour\n";
	static const char cr[] = "one\r\ntwo\nthree\r\r\nfour\n";
	static const char utf[] = "one\r\ntwo\nth\xe2\x9cree\nfour\n";

	expect_refused_at_every_cut(fx, nul, sizeof(nul) - 1,
				    "l:3: NUL byte in test id 'th\\x00ree'");
	expect_refused_at_every_cut(fx, esc, sizeof(esc) - 1,
				    "l:3: control character \\x1b in test id "
				    "'th\\x1bree'");
	expect_refused_at_every_cut(fx, cr, sizeof(cr) - 1,
				    "l:3: control character \\r in test id "
				    "'three\\r'");
	expect_refused_at_every_cut(fx, utf, sizeof(utf) - 1,
				    "l:3: invalid UTF-8 (byte \\xe2) in test id "
				    "'th\\xe2\\x9cree'");
}

static void list_can_be_read_again_after_release(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(read_str(fx, "a\nb\na\n"), 0);
	testlist_release(&fx->list);
	assert_int_equal(fx->list.nr, 0);
	assert_int_equal(read_str(fx, "b\n"), 0);
	expect_ids(fx, "b");
	assert_int_equal(fx->list.duplicates, 0);
}

/* Write len bytes of text into a pipe from a child; returns the read end. */
static int pipe_from_child(const char *text, size_t len, pid_t *pid)
{
	int fds[2];

	assert_int_equal(pipe(fds), 0);
	*pid = fork();
	assert_true(*pid >= 0);
	if (*pid == 0) {
		close(fds[0]);
		while (len) {
			ssize_t n = write(fds[1], text, len);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				_exit(1);
			text += n;
			len -= (size_t)n;
		}
		_exit(0);
	}
	close(fds[1]);
	return fds[0];
}

static void read_fd_streams_a_list_larger_than_its_buffer(void **state)
{
	struct fixture *fx = *state;
	struct strbuf text = STRBUF_INIT;
	size_t n = 50000;
	int fd, status;
	pid_t pid;

	/* ids cross read() boundaries; every 1000th line repeats line 0 */
	for (size_t i = 0; i < n; i++) {
		if (i && i % 1000 == 0)
			strbuf_addstr(&text, "tests/t.py::test_0\r\n");
		else
			strbuf_addf(&text, "tests/t.py::test_%zu\r\n", i);
	}
	strbuf_addstr(&text, "tests/t.py::no_newline");
	fd = pipe_from_child(text.buf, text.len, &pid);
	assert_int_equal(testlist_read_fd(&fx->list, fd, "collected", &fx->ctx,
					  &fx->err),
			 0);
	close(fd);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(status, 0);
	assert_int_equal(fx->list.nr, n - 49 + 1);
	assert_int_equal(fx->list.duplicates, 49);
	assert_string_equal(fx->list.ids[0], "tests/t.py::test_0");
	assert_string_equal(fx->list.ids[999], "tests/t.py::test_999");
	assert_string_equal(fx->list.ids[1000], "tests/t.py::test_1001");
	assert_string_equal(fx->list.ids[fx->list.nr - 1],
			    "tests/t.py::no_newline");
	assert_string_equal(fx->warnings.buf,
			    "collected:1001: 49 duplicate test ids collapsed "
			    "(first: 'tests/t.py::test_0')\n");
	strbuf_release(&text);
}

static void read_fd_reports_a_read_error_as_environment(void **state)
{
	struct fixture *fx = *state;
	int fds[2];

	/* reading the write end of a pipe fails with EBADF */
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(testlist_read_fd(&fx->list, fds[1], "list.txt",
					  &fx->ctx, &fx->err),
			 SHARD_EENV);
	close(fds[0]);
	close(fds[1]);
	assert_int_equal(fx->err.code, SHARD_EENV);
	assert_true(!strncmp(fx->err.msg, "list.txt: read error: ", 22));
	assert_non_null(strstr(fx->err.msg, strerror(EBADF)));
}

static void read_fd_passes_a_nul_error_up(void **state)
{
	struct fixture *fx = *state;
	static const char text[] = "a\nb\n\0\n";
	int fd, status;
	pid_t pid;

	fd = pipe_from_child(text, sizeof(text) - 1, &pid);
	assert_int_equal(testlist_read_fd(&fx->list, fd, "in.txt", &fx->ctx,
					  &fx->err),
			 SHARD_EINPUT);
	close(fd);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_string_equal(fx->err.msg,
			    "in.txt:3: NUL byte in test id '\\x00'");
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(list_reads_lf_lines_in_order),
		T(list_reads_crlf_lines_without_the_cr),
		T(list_refuses_a_cr_that_does_not_end_the_line),
		T(list_ignores_blank_and_whitespace_only_lines),
		T(list_keeps_ids_byte_for_byte),
		T(list_refuses_control_characters_naming_line_and_id),
		T(list_refuses_ids_that_are_not_utf8),
		T(id_check_finds_the_first_bad_byte),
		T(quote_escapes_what_a_terminal_would_act_on),
		T(list_of_nothing_is_empty),
		T(list_takes_a_last_line_without_newline),
		T(list_collapses_duplicates_with_a_warning_naming_file_and_line),
		T(list_warns_about_one_duplicate_in_the_singular),
		T(list_without_a_warn_callback_still_collapses),
		T(add_reports_new_and_duplicate_ids),
		T(list_rejects_a_nul_byte_naming_path_and_line),
		T(list_rejects_a_nul_byte_in_a_last_line_without_newline),
		T(list_is_the_same_for_every_chunk_boundary),
		T(bad_bytes_are_found_at_every_chunk_boundary),
		T(list_can_be_read_again_after_release),
		T(read_fd_streams_a_list_larger_than_its_buffer),
		T(read_fd_reports_a_read_error_as_environment),
		T(read_fd_passes_a_nul_error_up),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
