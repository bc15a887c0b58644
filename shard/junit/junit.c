/*
 * JUnit reader over libxml2's SAX2 push parser.
 *
 * Why SAX2 push: text nodes of any size stream through at constant memory
 * (we set no characters/cdataBlock handler, so text is never copied), and
 * the parse is driven from our own read loop, fd or memory alike. All state
 * lives in struct reader, handed to libxml2 as the SAX user data; errors
 * arrive through the handler's own serror field, never libxml2's global
 * error callbacks.
 *
 * Safety (docs/design.md "XML safety"): options are XML_PARSE_NONET (plus
 * XML_PARSE_RECOVER on request) and never NOENT, DTDLOAD or HUGE. No
 * externalSubset, resolveEntity or getEntity handler is installed, so
 * nothing outside the input is ever read; entityDecl and unparsedEntityDecl
 * reject any DOCTYPE that declares an entity, general or parameter, before
 * it can be referenced; an undeclared reference (libxml2 only warns when a
 * DOCTYPE names an external subset) is an error too. Element depth is
 * bounded here, in on_start().
 *
 * Element bookkeeping: a stack of element kinds (one byte per open element)
 * decides what a child means (a <property> only inside a suite's
 * <properties>, an outcome only directly inside a <testcase>); separate
 * stacks hold the open suites and testcases with owned copies of their
 * attributes, since libxml2's attribute values are not NUL-terminated and
 * live only during the callback. A testcase is reported at its end tag,
 * once its children have given the outcome.
 *
 * libxml2 2.9 workaround: inside a CDATA section the push parser hands over
 * at most 300 bytes per xmlParseChunk() call, so a long section would pile
 * up in its buffer until "Huge input lookup". While in CDATA we push small
 * pieces and drain with empty xmlParseChunk() calls (reader_push).
 */
#define _GNU_SOURCE /* memrchr */
#include "shard/junit/junit.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/SAX2.h>
#include <libxml/parser.h>

#include "shard/util/strbuf.h"
#include "shard/util/util.h"
#include "shard/util/banned.h"

#define JUNIT_CHUNK (64 * 1024)
#define JUNIT_KEEP (64 * 1024) /* of a window, before what is parsed next */
#define JUNIT_DEFAULT_DEPTH 256
#define JUNIT_CDATA_PIECE 300 /* libxml2's XML_PARSER_BIG_BUFFER_SIZE */

enum kind {
	KIND_OTHER = JUNIT_EL_OTHER,
	KIND_SUITES = JUNIT_EL_SUITES,
	KIND_SUITE = JUNIT_EL_SUITE,
	KIND_PROPERTIES = JUNIT_EL_PROPERTIES,
	KIND_CASE = JUNIT_EL_CASE,
};

/* Where an open element's start tag lies, for element_end. */
struct open_tag {
	unsigned long long start, start_end;
	unsigned long xml_line;
	int prefixed;
};

struct suite_frame {
	struct junit_suite pub; /* its strings point at the owned copies */
	char *name, *file, *hostname, *timestamp;
	double case_seconds;
};

#define NO_TEXT SIZE_MAX

/* Strings of open testcases live on one stack of text (reader.text). */
struct case_frame {
	size_t base; /* its text starts here */
	size_t classname, name, file, message, time_text; /* offsets, or
							     NO_TEXT */
	long line;
	double time;
	int has_time;
	enum junit_outcome outcome;
	unsigned flaky, reruns;
	size_t suites; /* suites open at its start: innermost is suites-1 */
	unsigned long xml_line;
};

struct reader {
	xmlParserCtxtPtr xml;
	const char *path;
	const struct junit_handler *h;
	const struct shard_ctx *ctx;
	struct shard_error *err;
	int recover;
	int utf8;
	unsigned max_depth;
	unsigned char *kinds; /* enum kind of each open element */
	size_t depth, kinds_alloc;
	struct open_tag *tags; /* parallel to kinds, when element events */
	size_t tags_alloc;
	int raw; /* -1 not known yet, else junit_element.raw */
	unsigned long long offset_base; /* input bytes not given to libxml2 */
	struct suite_frame *suites;
	size_t nsuites, suites_alloc;
	struct case_frame *cases;
	size_t ncases, cases_alloc;
	struct strbuf text;    /* strings of the open testcases */
	struct strbuf scratch; /* a time or line value being parsed */
	int root_seen;
	int failed;            /* the code to return once the read must stop */
	char first_error[512]; /* recover mode: the first error, as a warning */
	unsigned long negative, unparsable; /* odd times: warned once each */
};

/* Children of <testcase> that decide or annotate its outcome. */
static const struct {
	const char *name;
	enum junit_outcome outcome;
	int flaky, rerun;
} outcome_tags[] = {
	{ "failure", JUNIT_FAILED, 0, 0 },
	{ "error", JUNIT_ERROR, 0, 0 },
	{ "skipped", JUNIT_SKIPPED, 0, 0 },
	{ "flakyFailure", JUNIT_PASSED, 1, 0 },
	{ "flakyError", JUNIT_PASSED, 1, 0 },
	{ "rerunFailure", JUNIT_PASSED, 0, 1 },
	{ "rerunError", JUNIT_PASSED, 0, 1 },
};

static const struct junit_handler no_handler;

static const char *const outcome_names[] = {
	[JUNIT_PASSED] = "passed",
	[JUNIT_FAILED] = "failed",
	[JUNIT_ERROR] = "error",
	[JUNIT_SKIPPED] = "skipped",
};

const char *junit_outcome_name(enum junit_outcome o)
{
	return outcome_names[o];
}

int junit_outcome_parse(const char *name)
{
	for (size_t i = 0;
	     name && i < sizeof(outcome_names) / sizeof(*outcome_names); i++)
		if (!strcmp(name, outcome_names[i]))
			return (int)i;
	return -1;
}

static int is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* A thousands separator is followed by exactly three digits. */
static int three_digits(const char *p, const char *end)
{
	return end - p >= 3 && is_digit(p[0]) && is_digit(p[1]) &&
	       is_digit(p[2]) && (end - p == 3 || !is_digit(p[3]));
}

/*
 * Copy s to buf without surrounding blanks and thousands separators.
 * Returns -1 for bytes no decimal number has (so no "inf", "nan" or hex)
 * or a comma that is not a thousands separator ("1,5").
 */
static int time_copy(const char *s, char *buf, size_t size)
{
	const char *end;
	size_t n = 0;
	int intpart = 1;

	while (is_blank((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && is_blank((unsigned char)end[-1]))
		end--;
	for (const char *p = s; p < end; p++) {
		if (*p == ',') {
			if (!intpart || p == s || !is_digit(p[-1]) ||
			    !three_digits(p + 1, end))
				return -1;
			continue;
		}
		if (!is_digit(*p) && !strchr("+-.eE", *p))
			return -1;
		if (*p == '.' || *p == 'e' || *p == 'E')
			intpart = 0;
		if (n + 1 >= size)
			return -1;
		buf[n++] = *p;
	}
	buf[n] = '\0';
	return 0;
}

/*
 * "12.345" with a mantissa below 2^53 and at most 22 decimals: both the
 * mantissa and the power of ten are exact doubles, so one division gives
 * the correctly rounded value, as strtod() would. Returns -1 for anything
 * else (blanks, signs, exponents, separators): the slow path decides.
 */
static int plain_decimal(const char *s, double *out)
{
	static const double pow10[] = {
		1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
		1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
		1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
	};
	uint64_t mant = 0;
	int digits = 0, decimals = -1;

	for (; *s; s++) {
		if (*s == '.' && decimals < 0) {
			decimals = 0;
			continue;
		}
		if (!is_digit(*s) || mant >= (UINT64_C(1) << 53) / 10 ||
		    decimals >= 22)
			return -1;
		mant = mant * 10 + (uint64_t)(*s - '0');
		digits++;
		decimals += decimals >= 0;
	}
	if (!digits)
		return -1;
	*out = (double)mant / pow10[decimals > 0 ? decimals : 0];
	return 0;
}

int junit_parse_time(const char *s, double *out)
{
	char buf[64];
	double v;

	*out = 0;
	if (s && !plain_decimal(s, out))
		return 0;
	if (!s || time_copy(s, buf, sizeof(buf)) || shard_parse_double(buf, &v))
		return -1;
	if (v < 0)
		return 1;
	*out = v;
	return 0;
}

static unsigned long long input_pos(const xmlParserInput *in)
{
	return (unsigned long long)in->consumed +
	       (unsigned long long)(in->cur - in->base);
}

static unsigned long reader_line(const struct reader *r)
{
	int line = r->xml ? xmlSAX2GetLineNumber(r->xml) : 1;

	return line > 0 ? (unsigned long)line : 1;
}

/* Record an error at the parser's position and stop the parse. */
__attribute__((format(printf, 3, 4))) static int
reader_fail(struct reader *r, int code, const char *fmt, ...)
{
	char msg[512];
	int col = r->xml ? xmlSAX2GetColumnNumber(r->xml) : 1;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	shard_error_set(r->err, code, "%s:%lu:%d: %s", r->path, reader_line(r),
			col > 0 ? col : 1, msg);
	if (!r->failed)
		r->failed = code;
	if (r->xml)
		xmlStopParser(r->xml);
	return code;
}

/* A callback returned rc: stop, keeping the callback's own message. */
static void reader_check(struct reader *r, int rc)
{
	if (!rc)
		return;
	shard_error_set(r->err, rc, "%s: reading stopped by the caller",
			r->path);
	if (!r->failed)
		r->failed = rc;
	xmlStopParser(r->xml);
}

/*
 * SAX2 attributes come as five pointers each: local name, prefix, URI,
 * value and end of value. Only unprefixed attributes are ours.
 */
static const xmlChar **attr_find(int n, const xmlChar **attrs, const char *name)
{
	for (int i = 0; i < n; i++) {
		const xmlChar **a = attrs + 5 * i;

		if (!a[1] && !strcmp((const char *)a[0], name))
			return a;
	}
	return NULL;
}

/*
 * An owned, NUL-terminated copy of an attribute's value, or NULL. Without
 * entity substitution libxml2 hands '&' over as "&#38;" (every other
 * reference is already expanded), so that is turned back into '&'.
 */
static char *attr_dup(int n, const xmlChar **attrs, const char *name)
{
	const xmlChar **a = attr_find(n, attrs, name);
	const char *v;
	size_t len;
	char *out, *o;

	if (!a)
		return NULL;
	v = (const char *)a[3];
	len = (size_t)(a[4] - a[3]);
	out = o = xmalloc(len + 1);
	for (size_t i = 0; i < len; i++) {
		*o++ = v[i];
		if (v[i] == '&' && len - i >= 5 && !memcmp(v + i, "&#38;", 5))
			i += 4;
	}
	*o = '\0';
	return out;
}

/* Append attribute a's value to sb, "&#38;" as '&' (see attr_dup). */
static void attr_add(struct strbuf *sb, const xmlChar **a)
{
	const char *v = (const char *)a[3], *end = (const char *)a[4];
	const char *amp;

	while ((amp = memchr(v, '&', (size_t)(end - v)))) {
		strbuf_add(sb, v, (size_t)(amp - v) + 1);
		v = amp + 1;
		if (end - amp >= 5 && !memcmp(amp, "&#38;", 5))
			v = amp + 5;
	}
	strbuf_add(sb, v, (size_t)(end - v));
}

/* Attribute a's value in r->scratch, or NULL when a is NULL. */
static const char *attr_scratch(struct reader *r, const xmlChar **a)
{
	if (!a)
		return NULL;
	strbuf_reset(&r->scratch);
	attr_add(&r->scratch, a);
	return r->scratch.buf;
}

/* The time attribute a; warns about negative or unparsable values. */
static void read_time(struct reader *r, const xmlChar **a, double *time,
		      int *has_time)
{
	const char *s = attr_scratch(r, a);
	int rc = junit_parse_time(s, time);

	*has_time = s && rc >= 0;
	if (rc > 0 && !r->negative++)
		shard_warn(r->ctx, "%s:%lu: negative time %s clamped to 0",
			   r->path, reader_line(r), s);
	else if (rc < 0 && s && *s && !r->unparsable++)
		shard_warn(r->ctx, "%s:%lu: unparsable time '%s' ignored",
			   r->path, reader_line(r), s);
}

static void suite_start(struct reader *r, int n, const xmlChar **attrs)
{
	struct suite_frame *f;

	ALLOC_GROW(r->suites, r->nsuites + 1, r->suites_alloc);
	f = &r->suites[r->nsuites++];
	memset(f, 0, sizeof(*f));
	f->name = attr_dup(n, attrs, "name");
	f->file = attr_dup(n, attrs, "file");
	f->hostname = attr_dup(n, attrs, "hostname");
	f->timestamp = attr_dup(n, attrs, "timestamp");
	f->pub.name = f->name;
	f->pub.file = f->file;
	f->pub.hostname = f->hostname;
	f->pub.timestamp = f->timestamp;
	f->pub.depth = (unsigned)(r->nsuites - 1);
	f->pub.xml_line = reader_line(r);
	read_time(r, attr_find(n, attrs, "time"), &f->pub.time,
		  &f->pub.has_time);
	if (r->h->suite_start)
		reader_check(r, r->h->suite_start(r->h->data, &f->pub, r->err));
}

static void suite_end(struct reader *r)
{
	struct suite_frame *f = &r->suites[r->nsuites - 1];

	if (r->h->suite_end && !r->failed)
		reader_check(r, r->h->suite_end(r->h->data, &f->pub,
						f->case_seconds, r->err));
	free(f->name);
	free(f->file);
	free(f->hostname);
	free(f->timestamp);
	r->nsuites--;
}

static const char *text_at(const struct reader *r, size_t at)
{
	return at == NO_TEXT ? NULL : r->text.buf + at;
}

/* The innermost testcase as read so far; valid until the text grows. */
static void case_view(const struct reader *r, struct junit_case *c)
{
	const struct case_frame *f = &r->cases[r->ncases - 1];
	struct suite_frame *s = f->suites ? &r->suites[f->suites - 1] : NULL;

	memset(c, 0, sizeof(*c));
	c->classname = text_at(r, f->classname);
	c->name = text_at(r, f->name);
	c->file = text_at(r, f->file);
	c->line = f->line;
	c->time = f->time;
	c->has_time = f->has_time;
	c->time_text = text_at(r, f->time_text);
	c->outcome = f->outcome;
	c->message = text_at(r, f->message);
	c->flaky = f->flaky;
	c->reruns = f->reruns;
	c->suite = s ? &s->pub : NULL;
	c->xml_line = f->xml_line;
}

/* Push attribute a's value on the testcase text stack: its offset. */
static size_t case_text(struct reader *r, const xmlChar **a)
{
	size_t at = r->text.len;

	attr_add(&r->text, a);
	strbuf_addch(&r->text, '\0');
	return at;
}

static int value_is(const xmlChar **a, const char *value)
{
	size_t len = strlen(value);

	return (size_t)(a[4] - a[3]) == len && !memcmp(a[3], value, len);
}

/*
 * The attributes a testcase is read for, in one pass (the first of each
 * name counts). Skipped by attribute, as googletest (status, result) and
 * others write.
 */
/* A line="" value: shard_parse_long's answer, short digit runs at once. */
static int read_line(const char *s, long *out)
{
	long v = 0;
	size_t i;

	for (i = 0; is_digit(s[i]) && i < 18; i++)
		v = v * 10 + (s[i] - '0');
	if (i && !s[i]) {
		*out = v;
		return 0;
	}
	return shard_parse_long(s, 0, LONG_MAX, out);
}

/* Index of a testcase attribute case_attrs() reads, or -1. */
static int case_attr_index(const char *name)
{
	static const char *const names[] = {
		"classname", "name", "file", "line", "time", "status", "result",
	};
	int k;

	switch (name[0]) {
	case 'c':
		k = 0;
		break;
	case 'n':
		k = 1;
		break;
	case 'f':
		k = 2;
		break;
	case 'l':
		k = 3;
		break;
	case 't':
		k = 4;
		break;
	case 's':
		k = 5;
		break;
	case 'r':
		k = 6;
		break;
	default:
		return -1;
	}
	return strcmp(name, names[k]) ? -1 : k;
}

static void case_attrs(struct reader *r, struct case_frame *f, int n,
		       const xmlChar **attrs)
{
	const xmlChar **first[7] = { NULL };

	for (int i = 0; i < n; i++) {
		const xmlChar **a = attrs + 5 * i;
		int k = a[1] ? -1 : case_attr_index((const char *)a[0]);

		if (k >= 0 && !first[k])
			first[k] = a;
	}
	if (first[0])
		f->classname = case_text(r, first[0]);
	if (first[1])
		f->name = case_text(r, first[1]);
	if (first[2])
		f->file = case_text(r, first[2]);
	if (!first[3] || read_line(attr_scratch(r, first[3]), &f->line))
		f->line = 0;
	if (first[4])
		f->time_text = case_text(r, first[4]);
	read_time(r, first[4], &f->time, &f->has_time);
	if ((first[5] && (value_is(first[5], "disabled") ||
			  value_is(first[5], "notrun"))) ||
	    (first[6] && (value_is(first[6], "skipped") ||
			  value_is(first[6], "suppressed"))))
		f->outcome = JUNIT_SKIPPED;
}

static void case_start(struct reader *r, int n, const xmlChar **attrs)
{
	struct case_frame *f;

	ALLOC_GROW(r->cases, r->ncases + 1, r->cases_alloc);
	f = &r->cases[r->ncases++];
	memset(f, 0, sizeof(*f));
	f->base = r->text.len;
	f->classname = f->name = f->file = f->message = NO_TEXT;
	f->time_text = NO_TEXT;
	case_attrs(r, f, n, attrs);
	f->suites = r->nsuites;
	f->xml_line = reader_line(r);
}

static int outcome_rank(enum junit_outcome o)
{
	switch (o) {
	case JUNIT_FAILED:
		return 3;
	case JUNIT_ERROR:
		return 2;
	case JUNIT_SKIPPED:
		return 1;
	case JUNIT_PASSED:
		break;
	}
	return 0;
}

/* An outcome child of the innermost testcase: failure > error > skipped. */
static void case_child(struct reader *r, const char *local, int n,
		       const xmlChar **attrs)
{
	struct case_frame *f = &r->cases[r->ncases - 1];
	const xmlChar **a;

	for (size_t i = 0; i < sizeof(outcome_tags) / sizeof(*outcome_tags);
	     i++) {
		int rank = outcome_rank(outcome_tags[i].outcome);

		if (strcmp(local, outcome_tags[i].name))
			continue;
		f->flaky += (unsigned)outcome_tags[i].flaky;
		f->reruns += (unsigned)outcome_tags[i].rerun;
		if (!rank || rank < outcome_rank(f->outcome) ||
		    (rank == outcome_rank(f->outcome) && f->message != NO_TEXT))
			return;
		a = attr_find(n, attrs, "message");
		f->outcome = outcome_tags[i].outcome;
		f->message = a ? case_text(r, a) : NO_TEXT;
		return;
	}
}

static void case_end(struct reader *r)
{
	struct case_frame *f = &r->cases[r->ncases - 1];
	struct suite_frame *s = f->suites ? &r->suites[f->suites - 1] : NULL;
	struct junit_case c;

	case_view(r, &c);
	if (s && f->has_time)
		s->case_seconds += f->time;
	if (r->h->testcase && !r->failed)
		reader_check(r, r->h->testcase(r->h->data, &c, r->err));
	strbuf_setlen(&r->text, f->base);
	r->ncases--;
}

/* <property name="" value=""/>: only the attribute form is supported. */
static void property(struct reader *r, int n, const xmlChar **attrs)
{
	char *name = attr_dup(n, attrs, "name");
	char *value = attr_dup(n, attrs, "value");

	if (name && value && r->h->property)
		reader_check(r, r->h->property(r->h->data,
					       &r->suites[r->nsuites - 1].pub,
					       name, value, r->err));
	free(name);
	free(value);
}

/* Act on a start tag; returns the kind to push for it. */
static enum kind start_kind(struct reader *r, const char *local,
			    enum kind parent, int n, const xmlChar **attrs)
{
	if (local[0] == 't' && !strcmp(local, "testcase")) {
		case_start(r, n, attrs);
		return KIND_CASE;
	}
	if (local[0] == 't' && !strcmp(local, "testsuite")) {
		suite_start(r, n, attrs);
		return KIND_SUITE;
	}
	if (local[0] == 't' && !strcmp(local, "testsuites"))
		return KIND_SUITES;
	if (parent == KIND_SUITE && !strcmp(local, "properties"))
		return KIND_PROPERTIES;
	if (parent == KIND_PROPERTIES && !strcmp(local, "property"))
		property(r, n, attrs);
	else if (parent == KIND_CASE)
		case_child(r, local, n, attrs);
	return KIND_OTHER;
}

static int wants_elements(const struct reader *r)
{
	return r->h->element_start || r->h->element_end;
}

/* Bytes from the last '<' before the parser's position to it. */
static unsigned long long back_to_lt(const xmlParserInput *in)
{
	const xmlChar *p = memrchr(in->base, '<', (size_t)(in->cur - in->base));

	return (unsigned long long)(in->cur - (p ? p : in->base));
}

/*
 * Offsets are raw input offsets only when libxml2 reads the input as it
 * is (UTF-8, no transcoding encoder installed).
 */
static int input_is_raw(const struct reader *r)
{
	const xmlParserInput *in = r->xml->input;

	return in && in->buf && !in->buf->encoder;
}

static const char *input_encoding(const struct reader *r)
{
	const xmlParserInput *in = r->xml->input;

	if (!in || !in->buf || !in->buf->encoder)
		return NULL;
	return in->buf->encoder->name;
}

/*
 * Decoded name/value pairs of a suite's unprefixed attributes, for
 * element_start; *count says how many pairs.
 */
static char **attr_pairs(int n, const xmlChar **attrs, size_t *count)
{
	char **pairs = xcalloc(2 * (size_t)n + 1, sizeof(*pairs));
	size_t k = 0;

	for (int i = 0; i < n; i++) {
		const char *name = (const char *)attrs[5 * i];

		if (attrs[5 * i + 1])
			continue; /* xsi:schemaLocation and such */
		pairs[2 * k] = xstrdup(name);
		pairs[2 * k + 1] = attr_dup(n, attrs, name);
		if (!pairs[2 * k + 1])
			pairs[2 * k + 1] = xstrdup("");
		k++;
	}
	*count = k;
	return pairs;
}

static void free_pairs(char **pairs)
{
	for (size_t i = 0; pairs && pairs[i]; i++)
		free(pairs[i]);
	free(pairs);
}

/*
 * The bytes of "/>" or '>' the parser stands on. Under recovery a start tag
 * libxml2 could not finish is reported where it gave up, before the next
 * '<': the tag ends there.
 */
static unsigned tag_close_len(const xmlParserInput *in)
{
	if (in->cur[0] == '>')
		return 1;
	if (in->cur[0] == '/' && in->cur[1] == '>')
		return 2;
	return 0;
}

/*
 * At startElementNs the parser stands on the start tag's '>' or "/>"
 * (libxml2 calls it before consuming them), so the tag's bytes are
 * [last '<', position + 1 or 2).
 */
static void element_start(struct reader *r, const char *local,
			  const xmlChar *prefix, enum kind kind, int n,
			  const xmlChar **attrs)
{
	const xmlParserInput *in = r->xml->input;
	unsigned long long pos = input_pos(in) + r->offset_base;
	struct open_tag *t;
	char **pairs = NULL;
	size_t npairs = 0;
	struct junit_element e = { 0 };

	if (r->raw < 0)
		r->raw = input_is_raw(r);
	ALLOC_GROW(r->tags, r->depth, r->tags_alloc);
	t = &r->tags[r->depth - 1];
	t->start = pos - back_to_lt(in);
	t->start_end = pos + tag_close_len(in);
	t->xml_line = reader_line(r);
	t->prefixed = prefix != NULL;
	if (!r->h->element_start || r->failed)
		return;
	if (kind == KIND_SUITE || kind == KIND_SUITES)
		pairs = attr_pairs(n, attrs, &npairs);
	e.local = local;
	e.kind = (enum junit_element_kind)kind;
	e.depth = (unsigned)(r->depth - 1);
	e.raw = r->raw;
	e.encoding = input_encoding(r);
	e.prefixed = t->prefixed;
	e.start = t->start;
	e.start_end = t->start_end;
	e.nattrs = npairs;
	e.attrs = (const char *const *)pairs;
	e.xml_line = t->xml_line;
	reader_check(r, r->h->element_start(r->h->data, &e, r->err));
	free_pairs(pairs);
}

/* At endElementNs the parser stands just past the end tag (or "/>"). */
static void element_end(struct reader *r, const char *local)
{
	const xmlParserInput *in = r->xml->input;
	unsigned long long pos = input_pos(in) + r->offset_base;
	const struct open_tag *t = &r->tags[r->depth - 1];
	struct junit_element e = { 0 };

	if (!r->h->element_end || r->failed)
		return;
	e.local = local;
	e.kind = (enum junit_element_kind)r->kinds[r->depth - 1];
	e.depth = (unsigned)(r->depth - 1);
	e.raw = r->raw;
	e.prefixed = t->prefixed;
	e.start = t->start;
	e.start_end = t->start_end;
	e.end_end = pos;
	e.end = pos == t->start_end ? pos : pos - back_to_lt(in);
	e.xml_line = t->xml_line;
	reader_check(r, r->h->element_end(r->h->data, &e, r->err));
}

static void on_start(void *data, const xmlChar *local, const xmlChar *prefix,
		     const xmlChar *uri, int nb_ns, const xmlChar **ns,
		     int nb_attrs, int nb_defaulted, const xmlChar **attrs)
{
	struct reader *r = data;
	const char *name = (const char *)local;
	enum kind parent = r->depth ? r->kinds[r->depth - 1] : KIND_OTHER;
	enum kind kind;

	(void)prefix, (void)uri, (void)nb_ns, (void)ns, (void)nb_defaulted;
	if (r->failed)
		return;
	if (r->depth >= r->max_depth) {
		reader_fail(r, SHARD_EINPUT, "elements nested deeper than %u",
			    r->max_depth);
		return;
	}
	if (!r->depth && strcmp(name, "testsuites") &&
	    strcmp(name, "testsuite")) {
		reader_fail(r, SHARD_EINPUT,
			    "not a JUnit report (root element <%s>)", name);
		return;
	}
	r->root_seen = 1;
	kind = start_kind(r, name, parent, nb_attrs, attrs);
	ALLOC_GROW(r->kinds, r->depth + 1, r->kinds_alloc);
	r->kinds[r->depth++] = (unsigned char)kind;
	if (wants_elements(r))
		element_start(r, name, prefix, kind, nb_attrs, attrs);
}

/* Close the innermost open element. */
static void end_one(struct reader *r)
{
	enum kind kind = r->kinds[--r->depth];

	if (kind == KIND_SUITE)
		suite_end(r);
	else if (kind == KIND_CASE)
		case_end(r);
}

static void on_end(void *data, const xmlChar *local, const xmlChar *prefix,
		   const xmlChar *uri)
{
	struct reader *r = data;

	(void)prefix, (void)uri;
	if (r->failed || !r->depth)
		return;
	if (wants_elements(r))
		element_end(r, (const char *)local);
	end_one(r);
}

static void on_entity_decl(void *data, const xmlChar *name, int type,
			   const xmlChar *public_id, const xmlChar *system_id,
			   xmlChar *content)
{
	(void)type, (void)public_id, (void)system_id, (void)content;
	reader_fail(data, SHARD_EINPUT,
		    "DOCTYPE declares entity '%s': entities are not allowed",
		    (const char *)name);
}

static void on_unparsed_entity_decl(void *data, const xmlChar *name,
				    const xmlChar *public_id,
				    const xmlChar *system_id,
				    const xmlChar *notation)
{
	on_entity_decl(data, name, 0, public_id, system_id, NULL);
	(void)notation;
}

/*
 * libxml2's errors and warnings. Fatal ones (and undeclared entities, which
 * libxml2 lets pass when a DOCTYPE names an external subset) fail the read,
 * or are warnings under recover; the rest (XML 1.1 declarations, namespace
 * errors, which xmllint accepts too) are warnings.
 */
static void on_xml_error(void *data, xmlErrorPtr e)
{
	struct reader *r = data;
	char msg[512];
	size_t len;
	int fatal = e->level == XML_ERR_FATAL ||
		    e->code == XML_WAR_UNDECLARED_ENTITY;

	if (r->failed)
		return;
	snprintf(msg, sizeof(msg), "%s:%d:%d: %s", r->path,
		 e->line > 0 ? e->line : 1, e->int2 > 0 ? e->int2 : 1,
		 e->message ? e->message : "XML error");
	len = strlen(msg);
	while (len && is_blank((unsigned char)msg[len - 1]))
		msg[--len] = '\0';
	if (fatal && !r->recover) {
		r->failed = shard_error_set(r->err, SHARD_EINPUT, "%s", msg);
		return;
	}
	if (fatal && !r->first_error[0])
		snprintf(r->first_error, sizeof(r->first_error), "%s", msg);
	shard_warn(r->ctx, "%s", msg);
}

static int reader_begin(struct reader *r, const char *buf, size_t len)
{
	xmlSAXHandler sax;
	int options = XML_PARSE_NONET;

	memset(&sax, 0, sizeof(sax));
	sax.initialized = XML_SAX2_MAGIC;
	sax.startElementNs = on_start;
	sax.endElementNs = on_end;
	sax.entityDecl = on_entity_decl;
	sax.unparsedEntityDecl = on_unparsed_entity_decl;
	sax.serror = on_xml_error;
	xmlInitParser();
	r->xml = xmlCreatePushParserCtxt(&sax, r, buf, (int)len, r->path);
	if (!r->xml)
		return shard_error_set(r->err, SHARD_EENV,
				       "%s: cannot create an XML parser",
				       r->path);
	if (r->recover)
		options |= XML_PARSE_RECOVER;
	if (r->utf8)
		options |= XML_PARSE_IGNORE_ENC;
	xmlCtxtUseOptions(r->xml, options);
	return 0;
}

/* In CDATA, let libxml2 take its 300-byte steps until little is left. */
static void reader_drain_cdata(struct reader *r)
{
	while (!r->failed && r->xml->instate == XML_PARSER_CDATA_SECTION &&
	       r->xml->input &&
	       r->xml->input->end - r->xml->input->cur >
		       2 * JUNIT_CDATA_PIECE) {
		unsigned long long before = input_pos(r->xml->input);

		xmlParseChunk(r->xml, NULL, 0, 0);
		if (!r->xml->input || input_pos(r->xml->input) == before)
			break;
	}
}

/*
 * xmlParseChunk() returns non-zero once the parser has stopped on a fatal
 * error. Most arrive through on_xml_error first; an encoding error (bytes
 * the declared encoding cannot convert) does not, so without recovery the
 * code alone fails the read, at the last chunk too.
 */
static void reader_chunk_rc(struct reader *r, int rc)
{
	if (!rc || r->failed || r->recover)
		return;
	if (rc == XML_ERR_INVALID_ENCODING && r->xml->encoding)
		reader_fail(r, SHARD_EINPUT, "bytes that are not valid %s",
			    (const char *)r->xml->encoding);
	else if (rc == XML_ERR_INVALID_ENCODING)
		reader_fail(r, SHARD_EINPUT,
			    "bytes not valid in the "
			    "document's encoding");
	else
		reader_fail(r, SHARD_EINPUT, "XML parse error %d", rc);
}

static int reader_push(struct reader *r, const char *buf, size_t len)
{
	while (len && !r->failed) {
		size_t n = len;

		if (r->xml->instate == XML_PARSER_CDATA_SECTION &&
		    n > JUNIT_CDATA_PIECE)
			n = JUNIT_CDATA_PIECE;
		reader_chunk_rc(r, xmlParseChunk(r->xml, buf, (int)n, 0));
		buf += n;
		len -= n;
		reader_drain_cdata(r);
	}
	return r->failed;
}

/* Feed bytes; the first four go to the parser's creation for encoding. */
static int reader_feed(struct reader *r, const char *buf, size_t len)
{
	if (!r->xml && !r->offset_base && len >= 3 &&
	    !memcmp(buf, "\xef\xbb\xbf", 3)) {
		/*
		 * libxml2 2.9 drops a UTF-8 byte order mark from its buffer
		 * without counting it as consumed; drop it here instead so
		 * that element offsets stay those of the input.
		 */
		r->offset_base = 3;
		buf += 3;
		len -= 3;
	}
	if (!r->xml && !len)
		return 0;
	if (!r->xml) {
		size_t head = len < 4 ? len : 4;
		int rc = reader_begin(r, buf, head);

		if (rc)
			return rc;
		buf += head;
		len -= head;
	}
	return reader_push(r, buf, len);
}

static int reader_finish(struct reader *r)
{
	if (!r->xml)
		return reader_fail(r, SHARD_EINPUT,
				   "empty file, not a JUnit report");
	if (!r->failed)
		reader_chunk_rc(r, xmlParseChunk(r->xml, NULL, 0, 1));
	if (r->failed)
		return r->failed;
	if (!r->root_seen && r->first_error[0])
		return r->failed = shard_error_set(r->err, SHARD_EINPUT, "%s",
						   r->first_error);
	if (!r->root_seen)
		return reader_fail(r, SHARD_EINPUT,
				   "no root element, not a JUnit report");
	if (!r->recover && !r->xml->wellFormed)
		return reader_fail(r, SHARD_EINPUT, "not well-formed XML");
	while (r->depth && !r->failed)
		end_one(r); /* recover: close what the input left open */
	if (r->negative > 1)
		shard_warn(r->ctx, "%s: %lu negative times clamped to 0 in all",
			   r->path, r->negative);
	if (r->unparsable > 1)
		shard_warn(r->ctx, "%s: %lu unparsable times ignored in all",
			   r->path, r->unparsable);
	return r->failed;
}

static void reader_init(struct reader *r, const char *path,
			const struct junit_options *opt,
			const struct junit_handler *h,
			const struct shard_ctx *ctx, struct shard_error *err)
{
	memset(r, 0, sizeof(*r));
	r->path = path;
	r->h = h ? h : &no_handler;
	r->ctx = ctx;
	r->err = err;
	r->recover = opt && opt->recover;
	r->utf8 = opt && opt->utf8;
	r->max_depth = opt && opt->max_depth ? opt->max_depth
					     : JUNIT_DEFAULT_DEPTH;
	r->raw = -1;
	strbuf_init(&r->text, 0);
	strbuf_init(&r->scratch, 0);
}

static void reader_release(struct reader *r)
{
	for (size_t i = 0; i < r->nsuites; i++) {
		free(r->suites[i].name);
		free(r->suites[i].file);
		free(r->suites[i].hostname);
		free(r->suites[i].timestamp);
	}
	free(r->cases);
	strbuf_release(&r->text);
	strbuf_release(&r->scratch);
	free(r->suites);
	free(r->tags);
	free(r->kinds);
	if (r->xml && r->xml->myDoc)
		xmlFreeDoc(r->xml->myDoc); /* libxml2 keeps entities in one */
	if (r->xml)
		xmlFreeParserCtxt(r->xml);
}

int junit_read_mem(const char *buf, size_t len, const char *path,
		   const struct junit_options *opt,
		   const struct junit_handler *h, const struct shard_ctx *ctx,
		   struct shard_error *err)
{
	struct reader r;
	int rc = 0;

	reader_init(&r, path, opt, h, ctx, err);
	for (size_t off = 0; off < len && !rc; off += JUNIT_CHUNK) {
		size_t n = len - off < JUNIT_CHUNK ? len - off : JUNIT_CHUNK;

		rc = reader_feed(&r, buf + off, n);
	}
	if (!rc)
		rc = reader_finish(&r);
	reader_release(&r);
	return rc;
}

/* Read up to len bytes, fewer only at end of file; -1 on error. */
static ssize_t read_full(int fd, char *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (!n)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* Read through opt->window from offset 0 (junit_options). */
static int read_window(struct reader *r, struct spanread *w)
{
	unsigned long long off = 0;
	const char *p;
	size_t n;
	int rc;

	do {
		if (spanread_next(w, off, JUNIT_CHUNK, JUNIT_KEEP, &p, &n,
				  r->err))
			return r->err->code;
		if (n && (rc = reader_feed(r, p, n)))
			return rc;
		off += n;
	} while (n);
	return reader_finish(r);
}

int junit_read_fd(int fd, const char *path, const struct junit_options *opt,
		  const struct junit_handler *h, const struct shard_ctx *ctx,
		  struct shard_error *err)
{
	struct reader r;
	char *buf = NULL;
	ssize_t n;
	int rc;

	reader_init(&r, path, opt, h, ctx, err);
	if (opt && opt->window) {
		rc = read_window(&r, opt->window);
		goto out;
	}
	buf = xmalloc(JUNIT_CHUNK);
	do {
		n = read_full(fd, buf, JUNIT_CHUNK);
		if (n < 0) {
			rc = shard_error_set(err, SHARD_EENV,
					     "%s: read error: %s", path,
					     strerror(errno));
			goto out;
		}
		rc = n ? reader_feed(&r, buf, (size_t)n) : 0;
		if (rc)
			goto out;
	} while (n == JUNIT_CHUNK);
	rc = reader_finish(&r);
out:
	reader_release(&r);
	free(buf);
	return rc;
}

const char *junit_libxml2_version(char *buf, size_t size)
{
	/* xmlParserVersion is the library's, "20914"; the macros are ours */
	long v = strtol(xmlParserVersion, NULL, 10);

	snprintf(buf, size, "%ld.%ld.%ld", v / 10000, v / 100 % 100, v % 100);
	return buf;
}
