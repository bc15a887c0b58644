/*
 * One streaming pass over every input through the JUnit reader, writing
 * as it reads (a second parse of every input cost more than the first).
 *
 * Testcases are copied byte for byte from their input through a read
 * window (spanread.h), except that a time libxml2 would not take as a
 * plain number (negative, "2,503.1") is rewritten, and a folded testcase
 * gets its earlier attempts' outcome elements appended. Suites get start
 * tags of our own; since their counts are known only at the end, each
 * start tag leaves room (blanks after its '>', enough digits for any
 * count the inputs' bytes allow) that is filled in once the last input
 * is read (patchout.h). The output is a file for that: the caller's when
 * it may be thrown away on error, else a temporary one copied at the end.
 *
 * Retries: a table keyed by a 64-bit hash of the canonical key holds the
 * keys whose last result failed or errored (16 bytes each; a key that
 * only ever passed takes no room, so the table stays in the caches). A
 * failed or errored result keeps the byte spans of its outcome elements
 * and where it was written. When a later result of its key retries it,
 * the earlier one is blanked out in the output (spaces are still
 * well-formed XML), its counts are taken back, and the retry is written
 * where it stands, carrying the earlier outcome elements as
 * <flakyFailure>/<rerunFailure>. Callbacks about a failed or errored
 * result wait for the end, when it is known not to be folded.
 *
 * --flatten and --join-suites write suite contents to a spool instead,
 * as segments per suite, and assemble the output from them at the end.
 */
#include "shard/junit/merge.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <iconv.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shard/identity.h"
#include "shard/junit/junitout.h"
#include "shard/util/patchout.h"
#include "shard/util/pool.h"
#include "shard/util/quote.h"
#include "shard/util/spanread.h"
#include "shard/util/strbuf.h"
#include "shard/util/strmap.h"
#include "shard/util/util.h"
#include "shard/util/banned.h"

#define NONE UINT32_MAX
#define TIME_ROOM 24 /* "%.17g" of any double fits */

enum child_tag {
	CT_FAILURE,
	CT_ERROR,
	CT_FLAKY_FAILURE,
	CT_FLAKY_ERROR,
	CT_RERUN_FAILURE,
	CT_RERUN_ERROR,
	CT__COUNT
};

static const char *const child_names[CT__COUNT] = {
	"failure",    "error",        "flakyFailure",
	"flakyError", "rerunFailure", "rerunError",
};

struct span {
	unsigned long long start, start_end, end, end_end;
};

struct child {
	struct span at;
	unsigned char tag;
};

struct counts {
	uint64_t tests, failures, errors, skipped;
};

/* A failed or errored result that a later retry may fold. */
struct attempt {
	uint32_t input;
	uint32_t suite; /* NONE: directly under the root */
	unsigned char outcome;
	uint32_t first_child, nchildren;
	int32_t prev;         /* the attempt it retried, or -1 */
	struct counts nested; /* testcases inside it, folded with it */
	unsigned long long out_start, out_end; /* as written */
	uint32_t held;                         /* its callbacks, waiting */
};

/* Callbacks about a failed or errored result, made at the end. */
struct held {
	struct merge_case c; /* strings in the pool */
	const char *key;     /* reported but not planned: its key */
	int unplanned, folded;
};

struct keystate {
	uint64_t hash;    /* 0: empty slot */
	int32_t last_bad; /* attempt index if the last one failed */
};

struct keytable {
	struct keystate *slots;
	size_t mask, count;
};

/*
 * One bit per high 16 bits of a hash: set for every key the table of
 * failed keys holds, so that looking up a key that never failed (nearly
 * all) reads 8 KiB that stay in the caches, not the table.
 */
#define FILTER_WORDS 1024

struct segment {
	unsigned long long start, end; /* bytes of the spool */
};

struct msuite {
	uint32_t parent;      /* NONE for a top-level suite */
	uint32_t join;        /* --join-suites: the first of its name */
	uint32_t next_join;   /* the next suite of that name, or NONE */
	struct segment *segs; /* --flatten, --join-suites: its content */
	size_t nsegs, alloc_segs;
	unsigned long long seg_start;
	unsigned long long room; /* where its counts go, when written inline */
	unsigned depth;          /* element depth in its input */
	char **attrs;            /* name, value pairs; NULL-terminated */
	struct counts own, total;
	double case_time, time;
	int has_time;
};

struct merger {
	const struct merge_input *in;
	const struct merge_options *opt;
	const struct shard_ctx *ctx;
	struct merge_stats *st;
	struct shard_error *err;
	uint32_t input;
	struct keytable keys;
	uint64_t filter[FILTER_WORDS];
	struct attempt *attempts;
	size_t nattempts, alloc_attempts;
	struct child *children;
	size_t nchildren, alloc_children;
	struct held *held;
	size_t nheld, alloc_held;
	struct pool held_strings;
	struct msuite *suites;
	size_t nsuites, alloc_suites;
	uint32_t *stack; /* open suites */
	size_t depth, alloc_stack;
	unsigned in_case; /* testcases open (they may nest) */
	unsigned case_depth;
	struct span case_at;
	int case_ended;        /* a testcase's end tag came */
	struct counts nested;  /* testcases in the open testcase */
	struct child *pending; /* outcome elements of the open testcase */
	size_t npending, alloc_pending;
	struct counts root; /* testcases directly under the root */
	/* output */
	FILE *final;           /* the caller's */
	struct patchout out;   /* final, or a temporary file copied to it */
	struct patchout spool; /* --flatten, --join-suites */
	struct patchout *w;    /* where writing goes now */
	int out_tmp, spool_fd; /* temporary files' fds, or -1 */
	int spooling;
	unsigned digits; /* room for each count */
	unsigned long long root_room;
	unsigned long long last_inner; /* start of the last suite or case */
	struct spanread rd;   /* the input being parsed, read through */
	struct spanread far;  /* its spans no longer in rd */
	struct spanread back; /* an earlier input's outcome elements */
	uint32_t back_input;
	struct strbuf key, tmp, num;
	struct segment *root_segs; /* spooled testcases under the root */
	size_t nroot_segs, alloc_root_segs;
	unsigned long long root_seg_start;
	/* --plan */
	struct keytable plan_keys, plan_files, seen_keys, seen_files;
	const char **missing;
	size_t nmissing, alloc_missing;
	/* --partition: the open <properties>, rewritten without data */
	int props_rewrite;
	struct strbuf props_kept;
	/* inputs in another encoding, converted to UTF-8 temporary files */
	int *fds;
	unsigned char *utf8;
	char encoding[64];
};

/*
 * The hash of a key or a file, never 0 (an empty slot): 8 bytes a step,
 * each step a bijection of the state, so keys of one length never
 * collide; the length seeds it and a final mix spreads the bits (the
 * tables index by the low ones). In memory only, so word order is free;
 * FNV-1a, a byte a step, cost a tenth of merge.
 */
static uint64_t key_hash(const char *s, size_t n)
{
	const uint64_t k = 0x9e3779b97f4a7c15ULL;
	uint64_t h = (uint64_t)n * k, w;

	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * k;
		h ^= h >> 29;
	}
	w = 0;
	memcpy(&w, s, n);
	h = (h ^ w) * 0xff51afd7ed558ccdULL;
	h ^= h >> 32;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 29;
	return h ? h : 1;
}

/* Find or add the slot for hash. */
static struct keystate *key_slot(struct keytable *t, uint64_t hash, int add)
{
	size_t i;

	if (add && (!t->slots || (t->count + 1) * 2 > t->mask + 1)) {
		struct keytable old = *t;
		size_t cap = old.slots ? (old.mask + 1) * 2
			     : t->mask ? t->mask + 1
				       : 1024;

		t->slots = xcalloc(cap, sizeof(*t->slots));
		t->mask = cap - 1;
		t->count = 0;
		for (size_t j = 0; old.slots && j <= old.mask; j++)
			if (old.slots[j].hash)
				*key_slot(t, old.slots[j].hash, 1) =
					old.slots[j];
		free(old.slots);
	}
	if (!t->slots)
		return NULL;
	for (i = hash & t->mask; t->slots[i].hash; i = (i + 1) & t->mask)
		if (t->slots[i].hash == hash)
			return &t->slots[i];
	if (!add)
		return NULL;
	t->slots[i].hash = hash;
	t->slots[i].last_bad = -1;
	t->count++;
	return &t->slots[i];
}

static uint64_t case_hash(struct merger *m, const struct junit_case *c)
{
	const struct junit_suite *su = c->suite;

	strbuf_reset(&m->key);
	identity_case_key(&m->key, c->classname, c->name, c->file,
			  su ? su->file : NULL, su ? su->name : NULL);
	return key_hash(m->key.buf, m->key.len);
}

static void count(struct counts *n, enum junit_outcome o, int delta)
{
	n->tests += (uint64_t)delta;
	if (o == JUNIT_FAILED)
		n->failures += (uint64_t)delta;
	else if (o == JUNIT_ERROR)
		n->errors += (uint64_t)delta;
	else if (o == JUNIT_SKIPPED)
		n->skipped += (uint64_t)delta;
}

static void add(struct counts *a, const struct counts *b)
{
	a->tests += b->tests;
	a->failures += b->failures;
	a->errors += b->errors;
	a->skipped += b->skipped;
}

static void sub(struct counts *a, const struct counts *b)
{
	a->tests -= b->tests;
	a->failures -= b->failures;
	a->errors -= b->errors;
	a->skipped -= b->skipped;
}

static struct counts *counts_of(struct merger *m, uint32_t suite)
{
	return suite == NONE ? &m->root : &m->suites[suite].own;
}

static uint32_t top_suite(const struct merger *m)
{
	return m->depth ? m->stack[m->depth - 1] : NONE;
}

static int child_tag(const char *local)
{
	for (int i = 0; i < CT__COUNT; i++)
		if (!strcmp(local, child_names[i]))
			return i;
	return -1;
}

/* ---- writing ---- */

static int put(struct merger *m, const char *s, size_t n)
{
	return patchout_put(m->w, s, n, m->err);
}

static int puts_(struct merger *m, const char *s)
{
	return put(m, s, strlen(s));
}

/*
 * The reader for the bytes [start, end) of an input: the parser reads
 * through m->rd and owns its window, so spans that have left it are read
 * again through m->far.
 */
static struct spanread *reader_of(struct merger *m, struct spanread *rd,
				  unsigned long long start,
				  unsigned long long end)
{
	return rd == &m->rd && !spanread_holds(rd, start, end) ? &m->far : rd;
}

/* Copy the input bytes [start, end) through rd, of any length. */
static int copy_span(struct merger *m, struct spanread *rd,
		     unsigned long long start, unsigned long long end)
{
	rd = reader_of(m, rd, start, end);
	while (start < end) {
		unsigned long long n = end - start;
		const char *p;

		if (n > rd->cap)
			n = rd->cap;
		if (spanread_get(rd, start, start + n, &p, m->err) ||
		    put(m, p, (size_t)n))
			return m->err->code;
		start += n;
	}
	return 0;
}

/* Seconds as a short decimal: "1.5", "0", "2503.1". */
static void add_seconds(struct strbuf *sb, double t)
{
	size_t at;

	if (!(t > 0) || !isfinite(t))
		t = 0;
	at = sb->len;
	strbuf_addf(sb, "%.6f", t);
	while (sb->len > at && sb->buf[sb->len - 1] == '0')
		strbuf_setlen(sb, sb->len - 1);
	if (sb->len > at && sb->buf[sb->len - 1] == '.')
		strbuf_setlen(sb, sb->len - 1);
}

/* ' tests="1" ... time="2.5"'; a time too long for room as "%.17g". */
static void add_counts(struct strbuf *sb, const struct counts *n, double t,
		       int short_time)
{
	strbuf_addf(sb,
		    " tests=\"%llu\" failures=\"%llu\" errors=\"%llu\""
		    " skipped=\"%llu\" time=\"",
		    (unsigned long long)n->tests,
		    (unsigned long long)n->failures,
		    (unsigned long long)n->errors,
		    (unsigned long long)n->skipped);
	if (short_time)
		strbuf_addf(sb, "%.17g", t > 0 && isfinite(t) ? t : 0.0);
	else
		add_seconds(sb, t);
	strbuf_addch(sb, '"');
}

/* Bytes of room for ' tests="N" ... time="T">' and the blanks after it. */
static size_t room_size(const struct merger *m)
{
	return sizeof(" tests=\"\" failures=\"\" errors=\"\" skipped=\"\""
		      " time=\"\">") -
	       1 + 4 * (size_t)m->digits + TIME_ROOM;
}

static int put_room(struct merger *m, unsigned long long *at)
{
	char blanks[256];
	size_t n = room_size(m);

	*at = patchout_tell(m->w);
	memset(blanks, ' ', sizeof(blanks));
	while (n) {
		size_t k = n < sizeof(blanks) ? n : sizeof(blanks);

		if (put(m, blanks, k))
			return m->err->code;
		n -= k;
	}
	return puts_(m, "\n");
}

/* Fill the room at at in w with the counts, blanks after the '>'. */
static int fill_room(struct merger *m, struct patchout *w,
		     unsigned long long at, const struct counts *n, double t)
{
	size_t room = room_size(m);

	strbuf_reset(&m->tmp);
	add_counts(&m->tmp, n, t, 0);
	if (m->tmp.len + 1 > room) {
		strbuf_reset(&m->tmp);
		add_counts(&m->tmp, n, t, 1);
	}
	strbuf_addch(&m->tmp, '>');
	if (m->tmp.len > room)
		return shard_error_set(m->err, SHARD_EENV,
				       "counts too large "
				       "for their room (an input grew while "
				       "it was merged?)");
	while (m->tmp.len < room)
		strbuf_addch(&m->tmp, ' ');
	return patchout_patch(w, at, m->tmp.buf, 0, room, m->err);
}

static int recounted(const char *name)
{
	static const char *const names[] = {
		"tests", "failures", "errors", "skipped", "time",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (!strcmp(name, names[i]))
			return 1;
	return 0;
}

/* A suite's start tag; counts written now, or room left for them. */
static int write_suite_start(struct merger *m, struct msuite *s,
			     const struct counts *n, double t)
{
	strbuf_reset(&m->tmp);
	strbuf_addstr(&m->tmp, "<testsuite");
	for (size_t i = 0; s->attrs[i]; i += 2) {
		if (recounted(s->attrs[i]))
			continue;
		strbuf_addf(&m->tmp, " %s=\"", s->attrs[i]);
		quote_xml(&m->tmp, s->attrs[i + 1]);
		strbuf_addch(&m->tmp, '"');
	}
	if (!n) {
		return put(m, m->tmp.buf, m->tmp.len) || put_room(m, &s->room)
			       ? m->err->code
			       : 0;
	}
	add_counts(&m->tmp, n, t, 0);
	strbuf_addstr(&m->tmp, ">\n");
	return put(m, m->tmp.buf, m->tmp.len);
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * In a start tag's bytes (well-formed: the parser has accepted it), find
 * the value of attribute name: *at and *len, or 0 if absent.
 */
static int raw_attr(const char *tag, size_t n, const char *name, size_t *at,
		    size_t *len)
{
	size_t i = 1, nl = strlen(name);

	while (i < n && !is_space(tag[i]) && tag[i] != '/' && tag[i] != '>')
		i++; /* the element name */
	while (i < n) {
		size_t a, end;
		const char *q;

		while (i < n && is_space(tag[i]))
			i++;
		if (i >= n || tag[i] == '>' || tag[i] == '/')
			return 0;
		a = i;
		while (i < n && !is_space(tag[i]) && tag[i] != '=')
			i++;
		end = i;
		while (i < n && tag[i] != '"' && tag[i] != '\'')
			i++;
		if (i >= n)
			return 0;
		q = memchr(tag + i + 1, tag[i], n - i - 1);
		*at = i + 1;
		i = q ? (size_t)(q - tag) : n;
		*len = i - *at;
		if (end - a == nl && !memcmp(tag + a, name, nl))
			return 1;
		i++;
	}
	return 0;
}

/* A time value that is a plain non-negative decimal needs no rewrite. */
static int plain_time(const char *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((v[i] >= '0' && v[i] <= '9') || v[i] == '.' ||
		      v[i] == 'e' || v[i] == 'E' || v[i] == '+'))
			return 0;
	return n > 0;
}

/*
 * Write a testcase's start tag; with open, an empty element's "/>" becomes
 * ">". A time that is negative or not a plain number ("2,503.1") is
 * written as the number it stands for, or 0.
 */
static int write_case_start(struct merger *m, const struct span *at, int open)
{
	unsigned long long n = at->start_end - at->start;
	int empty = at->end_end == at->start_end;
	size_t vat = 0, vlen = 0;
	const char *tag;
	double t = 0;
	int rc = -1;

	if (n > m->rd.cap)
		return copy_span(m, &m->rd, at->start, at->start_end);
	if (spanread_get(reader_of(m, &m->rd, at->start, at->start_end),
			 at->start, at->start_end, &tag, m->err))
		return m->err->code;
	if (open && empty)
		n -= 2;
	if (raw_attr(tag, (size_t)n, "time", &vat, &vlen) &&
	    !plain_time(tag + vat, vlen)) {
		strbuf_reset(&m->num);
		strbuf_add(&m->num, tag + vat, vlen);
		rc = junit_parse_time(m->num.buf, &t);
	}
	if (rc < 0) /* a plain number, or none we could write instead */
		return put(m, tag, (size_t)n) ||
				       (open && empty && puts_(m, ">"))
			       ? m->err->code
			       : 0;
	m->st->clamped += rc > 0;
	strbuf_reset(&m->tmp);
	strbuf_add(&m->tmp, tag, vat);
	add_seconds(&m->tmp, t);
	strbuf_add(&m->tmp, tag + vat + vlen, (size_t)n - vat - vlen);
	if (open && empty)
		strbuf_addch(&m->tmp, '>');
	return put(m, m->tmp.buf, m->tmp.len);
}

/*
 * A testcase as it is; its start tag is looked at only when its time is
 * not a plain number as libxml2 read it (when it is, the bytes are too,
 * or hold a character reference that no rewrite would take either).
 */
static int write_case(struct merger *m, const struct junit_case *c)
{
	const struct span *at = &m->case_at;
	const char *t = c->time_text;
	int look = t && !plain_time(t, strlen(t));

	if ((look && write_case_start(m, at, 0)) ||
	    copy_span(m, &m->rd, look ? at->start_end : at->start, at->end_end))
		return m->err->code;
	return puts_(m, "\n");
}

/* What an earlier attempt's outcome element becomes in the folded case. */
static int converted_tag(int tag, int passed)
{
	switch (tag) {
	case CT_FAILURE:
	case CT_RERUN_FAILURE:
		return passed ? CT_FLAKY_FAILURE : CT_RERUN_FAILURE;
	case CT_ERROR:
	case CT_RERUN_ERROR:
		return passed ? CT_FLAKY_ERROR : CT_RERUN_ERROR;
	}
	return tag;
}

static void close_owned(struct merger *m, uint32_t i, int fd)
{
	if (fd >= 0 && (i == NONE || fd != m->fds[i]))
		close(fd);
}

/* An input's fd: the caller's, a converted copy, or opened now. */
static int open_input(struct merger *m, uint32_t i)
{
	int fd = m->fds[i] >= 0 ? m->fds[i] : open(m->in[i].path, O_RDONLY);

	if (fd < 0)
		shard_error_set(m->err,
				errno == ENOENT ? SHARD_EINPUT : SHARD_EENV,
				"%s: %s", m->in[i].path, strerror(errno));
	return fd;
}

static struct spanread *reader_for(struct merger *m, uint32_t input)
{
	if (m->back_input != input) {
		close_owned(m, m->back_input, m->back.buf ? m->back.fd : -1);
		spanread_release(&m->back);
		spanread_init(&m->back, open_input(m, input), m->in[input].path,
			      0);
		m->back_input = input;
	}
	return m->back.fd >= 0 ? &m->back : NULL;
}

/*
 * Copy an earlier attempt's outcome element under its new name. A plain
 * <failure>'s text becomes a <stackTrace>, as Surefire writes them.
 */
static int write_child(struct merger *m, uint32_t input, const struct child *c,
		       int passed)
{
	struct spanread *rd = reader_for(m, input);
	int tag = converted_tag(c->tag, passed);
	int wrap = c->tag == CT_FAILURE || c->tag == CT_ERROR;
	size_t old = strlen(child_names[c->tag]);
	int empty = c->at.end_end == c->at.start_end;

	if (!rd)
		return m->err->code;
	if (puts_(m, "<") || puts_(m, child_names[tag]) ||
	    copy_span(m, rd, c->at.start + 1 + old, c->at.start_end))
		return m->err->code;
	if (empty)
		return 0;
	if ((wrap && c->at.end > c->at.start_end && puts_(m, "<stackTrace>")) ||
	    copy_span(m, rd, c->at.start_end, c->at.end) ||
	    (wrap && c->at.end > c->at.start_end &&
	     puts_(m, "</stackTrace>")) ||
	    puts_(m, "</") || puts_(m, child_names[tag]) || puts_(m, ">"))
		return m->err->code;
	return 0;
}

/* The last attempt, with every earlier attempt's outcome elements. */
static int write_folded(struct merger *m, int32_t prev, int passed)
{
	const struct span *at = &m->case_at;
	int32_t chain[64];
	size_t n = 0;

	for (int32_t a = prev; a >= 0 && n < 64; a = m->attempts[a].prev)
		chain[n++] = a;
	if (write_case_start(m, at, 1) ||
	    copy_span(m, &m->rd, at->start_end, at->end))
		return m->err->code;
	while (n--) {
		const struct attempt *a = &m->attempts[chain[n]];

		for (uint32_t i = 0; i < a->nchildren; i++)
			if (write_child(m, a->input,
					&m->children[a->first_child + i],
					passed))
				return m->err->code;
	}
	return puts_(m, "</testcase>\n");
}

/* --flatten and --join-suites write suite contents to a spool first. */
static void seg_open(struct merger *m, uint32_t idx)
{
	unsigned long long at = patchout_tell(m->w);

	if (idx == NONE)
		m->root_seg_start = at;
	else
		m->suites[idx].seg_start = at;
}

static void seg_close(struct merger *m, uint32_t idx)
{
	unsigned long long at = patchout_tell(m->w);
	struct segment **segs = idx == NONE ? &m->root_segs
					    : &m->suites[idx].segs;
	size_t *n = idx == NONE ? &m->nroot_segs : &m->suites[idx].nsegs;
	size_t *alloc = idx == NONE ? &m->alloc_root_segs
				    : &m->suites[idx].alloc_segs;
	unsigned long long start = idx == NONE ? m->root_seg_start
					       : m->suites[idx].seg_start;

	if (at == start)
		return;
	ALLOC_GROW(*segs, *n + 1, *alloc);
	(*segs)[(*n)++] = (struct segment){ start, at };
}

/* Is this suite's content spooled as segments of its own? */
static int segmented(const struct merger *m, uint32_t idx)
{
	return m->spooling &&
	       (m->opt->flatten || m->suites[idx].parent == NONE);
}

/* ---- reading: suites and elements ---- */

static char **copy_attrs(const struct junit_element *e)
{
	char **a = xcalloc(2 * e->nattrs + 1, sizeof(*a));

	for (size_t i = 0; i < 2 * e->nattrs; i++)
		a[i] = xstrdup(e->attrs[i]);
	return a;
}

static const char *attr_get(char **attrs, const char *name)
{
	for (size_t i = 0; attrs && attrs[i]; i += 2)
		if (!strcmp(attrs[i], name))
			return attrs[i + 1];
	return NULL;
}

static int open_suite(struct merger *m, const struct junit_element *e)
{
	uint32_t parent = top_suite(m), idx = (uint32_t)m->nsuites;
	struct msuite *s;
	double t = 0;

	ALLOC_GROW(m->suites, m->nsuites + 1, m->alloc_suites);
	s = &m->suites[m->nsuites++];
	memset(s, 0, sizeof(*s));
	s->parent = parent;
	s->join = NONE;
	s->depth = e->depth;
	s->attrs = copy_attrs(e);
	s->has_time = junit_parse_time(attr_get(s->attrs, "time"), &t) >= 0 &&
		      attr_get(s->attrs, "time");
	s->time = t;
	ALLOC_GROW(m->stack, m->depth + 1, m->alloc_stack);
	m->stack[m->depth++] = idx;
	if (m->opt->partition)
		partition_check_suite_start(m->opt->partition,
					    m->in[m->input].path);
	if (!segmented(m, idx))
		return write_suite_start(m, s, NULL, 0);
	if (parent == NONE || m->opt->flatten)
		seg_close(m, parent);
	seg_open(m, idx);
	return 0;
}

static int close_suite(struct merger *m)
{
	uint32_t idx = m->stack[--m->depth], parent = top_suite(m);

	if (m->opt->partition)
		partition_check_suite_end(m->opt->partition);
	if (!segmented(m, idx))
		return puts_(m, "</testsuite>\n");
	seg_close(m, idx);
	if (parent == NONE || m->opt->flatten)
		seg_open(m, parent);
	return 0;
}

#define NEEDS_UTF8 1 /* not an error: convert the input, then again */

static int needs_utf8(struct merger *m, const struct junit_element *e)
{
	snprintf(m->encoding, sizeof(m->encoding), "%s",
		 e->encoding ? e->encoding : "");
	return NEEDS_UTF8;
}

static int on_start(void *data, const struct junit_element *e,
		    struct shard_error *err)
{
	struct merger *m = data;

	(void)err;
	if (!e->raw)
		return needs_utf8(m, e);
	if (e->kind == JUNIT_EL_CASE || e->kind == JUNIT_EL_SUITE)
		m->last_inner = e->start;
	if (e->kind == JUNIT_EL_PROPERTIES) {
		m->props_rewrite = 0;
		strbuf_reset(&m->props_kept);
	}
	if (e->kind == JUNIT_EL_CASE && !m->in_case++) {
		m->case_depth = e->depth;
		m->npending = 0;
		memset(&m->nested, 0, sizeof(m->nested));
	} else if (e->kind == JUNIT_EL_SUITE && !m->in_case) {
		return open_suite(m, e);
	}
	return 0;
}

/*
 * Copy a suite's own elements (properties, system-out, ...) as they are.
 * One that holds a suite or a testcase (<foo><testcase/></foo>) is left
 * out: those were written on their own, and would be twice.
 */
static int copy_element(struct merger *m, const struct junit_element *e)
{
	if (m->last_inner > e->start)
		return 0;
	if (e->kind == JUNIT_EL_PROPERTIES && m->props_rewrite)
		return puts_(m, "<properties>\n") ||
				       puts_(m, m->props_kept.buf) ||
				       puts_(m, "</properties>\n")
			       ? m->err->code
			       : 0;
	if (copy_span(m, &m->rd, e->start, e->end_end))
		return m->err->code;
	return puts_(m, "\n");
}

/*
 * A property, for the partition check. Those of a <properties> that
 * holds partition data are kept here, to be written without it.
 */
static int on_property(void *data, const struct junit_suite *s,
		       const char *name, const char *value,
		       struct shard_error *err)
{
	struct merger *m = data;

	(void)s;
	(void)err;
	partition_check_property(m->opt->partition, name, value);
	if (partition_is_data(name)) {
		m->props_rewrite = 1;
		return 0;
	}
	strbuf_addstr(&m->props_kept, "<property name=\"");
	quote_xml(&m->props_kept, name);
	strbuf_addstr(&m->props_kept, "\" value=\"");
	quote_xml(&m->props_kept, value);
	strbuf_addstr(&m->props_kept, "\"/>\n");
	return 0;
}

/* An outcome element directly inside the open testcase: kept. */
static void note_child(struct merger *m, const struct junit_element *e)
{
	int tag = child_tag(e->local);

	if (tag < 0)
		return;
	ALLOC_GROW(m->pending, m->npending + 1, m->alloc_pending);
	m->pending[m->npending].at =
		(struct span){ e->start, e->start_end, e->end, e->end_end };
	m->pending[m->npending++].tag = (unsigned char)tag;
}

static int on_end(void *data, const struct junit_element *e,
		  struct shard_error *err)
{
	struct merger *m = data;
	uint32_t top = top_suite(m);

	(void)err;
	if (e->kind == JUNIT_EL_CASE) {
		m->case_ended = 1;
		if (!--m->in_case)
			m->case_at = (struct span){ e->start, e->start_end,
						    e->end, e->end_end };
		return 0;
	}
	if (m->in_case) {
		if (m->in_case == 1 && e->depth == m->case_depth + 1)
			note_child(m, e);
		return 0;
	}
	if (e->kind == JUNIT_EL_SUITE)
		return close_suite(m);
	if (top != NONE && e->depth == m->suites[top].depth + 1)
		return copy_element(m, e);
	if (top == NONE && e->depth == 1 && e->kind != JUNIT_EL_SUITES)
		return copy_element(m, e);
	return 0;
}

/* ---- reading: testcases ---- */

static void note_file(struct merger *m, const struct junit_case *c)
{
	const struct junit_suite *su = c->suite;

	strbuf_reset(&m->tmp);
	if (identity_case_file(&m->tmp, c->file, su ? su->file : NULL,
			       su ? su->name : NULL))
		key_slot(&m->seen_files, key_hash(m->tmp.buf, m->tmp.len), 1);
}

/* Reported but not in the plan (by key, or by file for file ids)? */
static int unplanned(struct merger *m, const struct junit_case *c,
		     uint64_t hash)
{
	const struct junit_suite *su = c->suite;

	if (key_slot(&m->plan_keys, hash, 0))
		return 0;
	strbuf_reset(&m->tmp);
	return !(identity_case_file(&m->tmp, c->file, su ? su->file : NULL,
				    su ? su->name : NULL) &&
		 key_slot(&m->plan_files, key_hash(m->tmp.buf, m->tmp.len), 0));
}

static int32_t add_attempt(struct merger *m, uint32_t suite,
			   enum junit_outcome o, int32_t prev)
{
	struct attempt *a;

	ALLOC_GROW(m->attempts, m->nattempts + 1, m->alloc_attempts);
	a = &m->attempts[m->nattempts];
	a->input = m->input;
	a->suite = suite;
	a->outcome = (unsigned char)o;
	a->prev = prev;
	a->nested = m->nested;
	a->held = NONE;
	a->first_child = (uint32_t)m->nchildren;
	a->nchildren = (uint32_t)m->npending;
	ALLOC_GROW(m->children, m->nchildren + m->npending, m->alloc_children);
	memcpy(m->children + m->nchildren, m->pending,
	       m->npending * sizeof(*m->pending));
	m->nchildren += m->npending;
	return (int32_t)m->nattempts++;
}

static const char *held_str(struct merger *m, const char *s)
{
	return s ? pool_strdup(&m->held_strings, s) : NULL;
}

/* Keep the callbacks about a failed or errored result for the end. */
static uint32_t hold(struct merger *m, const struct merge_case *c, int out)
{
	struct held *h;

	ALLOC_GROW(m->held, m->nheld + 1, m->alloc_held);
	h = &m->held[m->nheld];
	memset(h, 0, sizeof(*h));
	h->unplanned = out;
	if (m->opt->on_case) {
		h->c = *c;
		h->c.classname = held_str(m, c->classname);
		h->c.name = held_str(m, c->name);
		h->c.file = held_str(m, c->file);
		h->c.message = held_str(m, c->message);
	}
	if (out && m->opt->on_unplanned)
		h->key = held_str(m, m->key.buf);
	return (uint32_t)m->nheld++;
}

static void tally(struct merge_stats *st, enum junit_outcome o, int delta)
{
	st->tests += (uint64_t)delta;
	st->passed += (uint64_t)delta * (o == JUNIT_PASSED);
	st->failed += (uint64_t)delta * (o == JUNIT_FAILED);
	st->errors += (uint64_t)delta * (o == JUNIT_ERROR);
	st->skipped += (uint64_t)delta * (o == JUNIT_SKIPPED);
}

/*
 * A repeat after a failed or errored result retries it: take that one
 * back (counts, stats, its bytes in the output, its held callbacks).
 */
static int fold_previous(struct merger *m, int32_t prev)
{
	const struct attempt *a = &m->attempts[prev];

	count(counts_of(m, a->suite), (enum junit_outcome)a->outcome, -1);
	sub(counts_of(m, a->suite), &a->nested);
	tally(m->st, (enum junit_outcome)a->outcome, -1);
	m->st->folded++;
	if (a->held != NONE) {
		m->held[a->held].folded = 1;
		m->st->unplanned -= (uint64_t)m->held[a->held].unplanned;
	}
	/* the line's '\n' stays */
	return patchout_patch(m->w, a->out_start, NULL, ' ',
			      (size_t)(a->out_end - a->out_start - 1), m->err);
}

/*
 * Counts of a testcase in its suite, and its key's entry in the table of
 * keys whose last result failed (added when bad): the only keys a retry
 * can fold, few enough to stay in the caches. Every key goes to another
 * table only for --plan.
 */
static struct keystate *count_case(struct merger *m, const struct junit_case *c,
				   uint32_t suite, uint64_t hash, int bad)
{
	count(counts_of(m, suite), c->outcome, 1);
	add(counts_of(m, suite), &m->nested);
	if (suite != NONE && c->has_time)
		m->suites[suite].case_time += c->time;
	if (m->opt->plan_ids) {
		note_file(m, c);
		key_slot(&m->seen_keys, hash, 1);
	}
	if (bad)
		m->filter[(hash >> 48) / 64] |= UINT64_C(1)
						<< (hash >> 48) % 64;
	else if (!(m->filter[(hash >> 48) / 64] >> (hash >> 48) % 64 & 1))
		return NULL;
	return key_slot(&m->keys, hash, bad);
}

static int on_case(void *data, const struct junit_case *c,
		   struct shard_error *err)
{
	struct merger *m = data;
	uint32_t suite = top_suite(m);
	struct merge_case out = {
		c->classname, c->name,    c->file, c->line,
		c->outcome,   c->message, 0,       m->in[m->input].path,
	};
	int bad = c->outcome == JUNIT_FAILED || c->outcome == JUNIT_ERROR;
	uint64_t hash;
	struct keystate *ks;
	unsigned long long at = patchout_tell(m->w);
	int32_t prev = -1, self;
	int stray;

	(void)err;
	if (!m->case_ended)
		return 0; /* cut short by a recovered error: not copied */
	m->case_ended = 0;
	if (m->in_case) {
		/* nested in a testcase: copied and counted with it */
		count(&m->nested, c->outcome, 1);
		return 0;
	}
	hash = case_hash(m, c);
	ks = count_case(m, c, suite, hash, bad);
	if (ks && !m->opt->keep_duplicates && ks->last_bad >= 0) {
		prev = ks->last_bad;
		if (fold_previous(m, prev))
			return m->err->code;
	}
	out.flaky = prev >= 0 && c->outcome == JUNIT_PASSED;
	if (prev >= 0 ? write_folded(m, prev, c->outcome == JUNIT_PASSED)
		      : write_case(m, c))
		return m->err->code;
	tally(m->st, c->outcome, 1);
	m->st->flaky += (uint64_t)out.flaky;
	stray = m->opt->plan_ids && unplanned(m, c, hash);
	m->st->unplanned += (uint64_t)stray;
	if (ks)
		ks->last_bad = -1;
	if (bad) {
		ks->last_bad = self = add_attempt(m, suite, c->outcome, prev);
		m->attempts[self].out_start = at;
		m->attempts[self].out_end = patchout_tell(m->w);
		if (m->opt->on_case || stray)
			m->attempts[self].held = hold(m, &out, stray);
		return 0;
	}
	if (stray && m->opt->on_unplanned)
		m->opt->on_unplanned(m->opt->data, m->key.buf);
	return m->opt->on_case ? m->opt->on_case(m->opt->data, &out) : 0;
}

/* The callbacks held for failed and errored results not folded. */
static int release_held(struct merger *m)
{
	for (size_t i = 0; i < m->nheld; i++) {
		const struct held *h = &m->held[i];

		if (h->folded)
			continue;
		if (h->key)
			m->opt->on_unplanned(m->opt->data, h->key);
		if (m->opt->on_case && m->opt->on_case(m->opt->data, &h->c))
			return shard_error_set(m->err, SHARD_EFAIL,
					       "stopped by the caller");
	}
	return 0;
}

/* ---- driving the pass ---- */

/*
 * Convert an input libxml2 had to transcode into a UTF-8 temporary file,
 * so that byte offsets are those of what is copied. iconv(3) does the
 * conversion, from the encoding libxml2 detected.
 */
static int to_utf8(struct merger *m, uint32_t i)
{
	char inbuf[65536], outbuf[4 * 65536];
	const char *path = m->in[i].path;
	iconv_t cd = iconv_open("UTF-8", m->encoding);
	FILE *tmp = tmpfile();
	size_t left = 0;
	off_t off = 0;
	ssize_t n = 0;
	int r = 0, fd = -1;

	if (cd == (iconv_t)-1 || !tmp) {
		r = shard_error_set(m->err, SHARD_EINPUT,
				    "%s: cannot convert from %s to UTF-8", path,
				    m->encoding);
		goto out;
	}
	if ((fd = open_input(m, i)) < 0) {
		r = m->err->code;
		goto out;
	}
	while ((n = pread(fd, inbuf + left, sizeof(inbuf) - left, off)) > 0) {
		char *ip = inbuf, *op = outbuf;
		size_t il = left + (size_t)n, ol = sizeof(outbuf);

		off += n;
		if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1 &&
		    errno != EINVAL) {
			r = shard_error_set(m->err, SHARD_EINPUT,
					    "%s: byte %lld is not valid %s",
					    path, (long long)(off - (off_t)il),
					    m->encoding);
			goto out;
		}
		fwrite(outbuf, 1, sizeof(outbuf) - ol, tmp);
		memmove(inbuf, ip, il);
		left = il;
	}
	if (n < 0 || fflush(tmp) == EOF) {
		r = shard_error_set(m->err, SHARD_EENV, "%s: %s", path,
				    strerror(errno));
		goto out;
	}
	close_owned(m, i, fd);
	fd = -1;
	m->fds[i] = dup(fileno(tmp));
	m->utf8[i] = 1;
out:
	close_owned(m, i, fd);
	if (tmp)
		fclose(tmp);
	if (cd != (iconv_t)-1)
		iconv_close(cd);
	return r;
}

/* Parse input i, writing as it goes. */
static int read_input(struct merger *m, uint32_t i)
{
	struct junit_handler h = {
		.testcase = on_case,
		.element_start = on_start,
		.element_end = on_end,
		.data = m,
		.property = m->opt->partition ? on_property : NULL,
	};
	struct junit_options jo = { .recover = m->opt->recover,
				    .utf8 = m->utf8[i],
				    .window = &m->rd };
	int fd = open_input(m, i), r;

	if (fd < 0)
		return m->err->code;
	if (lseek(fd, 0, SEEK_SET) < 0) {
		close_owned(m, i, fd);
		return shard_error_set(m->err, SHARD_EENV,
				       "%s: cannot seek: %s", m->in[i].path,
				       strerror(errno));
	}
	m->input = i;
	m->in_case = 0;
	m->case_ended = 0;
	m->depth = 0;
	m->last_inner = 0;
	spanread_reuse(&m->rd, fd, m->in[i].path);
	spanread_reuse(&m->far, fd, m->in[i].path);
	r = junit_read_fd(fd, m->in[i].path, &jo, &h, m->ctx, m->err);
	while (!r && m->depth)
		r = close_suite(m); /* recovered: close what was open */
	close_owned(m, i, fd);
	return r;
}

/* Input i, converted to UTF-8 first when libxml2 would transcode it. */
static int merge_input(struct merger *m, uint32_t i)
{
	int r;

	if (m->spooling)
		seg_open(m, NONE);
	r = read_input(m, i);
	if (r == NEEDS_UTF8 && !m->utf8[i]) {
		shard_error_clear(m->err);
		if (to_utf8(m, i))
			return m->err->code;
		r = read_input(m, i);
	}
	if (r)
		return r == NEEDS_UTF8
			       ? shard_error_set(m->err, SHARD_EINPUT,
						 "%s: cannot read as UTF-8",
						 m->in[i].path)
			       : r;
	if (m->spooling)
		seg_close(m, NONE);
	return 0;
}

/*
 * Totals: each suite's own testcases plus those of the suites in it; a
 * suite's time is its producer's, else the sum of its cases and suites.
 */
static void sum_totals(struct merger *m)
{
	for (size_t i = 0; i < m->nsuites; i++) {
		m->suites[i].total = m->suites[i].own;
		if (!m->suites[i].has_time)
			m->suites[i].time = m->suites[i].case_time;
	}
	for (size_t i = m->nsuites; i-- > 0;) {
		struct msuite *s = &m->suites[i];

		if (s->parent == NONE || m->opt->flatten)
			continue;
		if (!m->suites[s->parent].has_time)
			m->suites[s->parent].time += s->time;
		add(&m->suites[s->parent].total, &s->total);
	}
}

/* Suites of one name (top-level ones, or all with --flatten) as a list. */
static void join_groups(struct merger *m)
{
	struct strmap first = STRMAP_INIT;

	for (uint32_t i = 0; i < m->nsuites; i++) {
		struct msuite *s = &m->suites[i];
		const char *name = attr_get(s->attrs, "name");
		size_t lead;

		s->join = i;
		s->next_join = NONE;
		if (!m->opt->join_suites ||
		    (!m->opt->flatten && s->parent != NONE))
			continue;
		if (!name)
			name = "";
		if (strmap_put(&first, name, strlen(name), i, &lead))
			continue;
		s->join = (uint32_t)lead;
		while (m->suites[lead].next_join != NONE)
			lead = m->suites[lead].next_join;
		m->suites[lead].next_join = i;
	}
	strmap_release(&first);
}

/*
 * A planned id's hash, and whether it names a file (jest, rspec: matched
 * against the files reports name) or a test (matched by canonical key).
 */
static uint64_t plan_id_hash(struct merger *m, const char *id, int *is_file)
{
	strbuf_reset(&m->tmp);
	*is_file = identity_kind(id) == IDENTITY_PATH;
	if (*is_file)
		identity_file_path(&m->tmp, id);
	else
		identity_key(&m->tmp, id);
	return key_hash(m->tmp.buf, m->tmp.len);
}

static void load_plan(struct merger *m)
{
	int is_file;

	for (size_t i = 0; i < m->opt->plan_n; i++) {
		uint64_t h = plan_id_hash(m, m->opt->plan_ids[i], &is_file);

		key_slot(is_file ? &m->plan_files : &m->plan_keys, h, 1);
	}
}

static int find_missing(struct merger *m)
{
	int is_file;

	for (size_t i = 0; i < m->opt->plan_n; i++) {
		const char *id = m->opt->plan_ids[i];
		uint64_t h = plan_id_hash(m, id, &is_file);

		if (key_slot(is_file ? &m->seen_files : &m->seen_keys, h, 0))
			continue;
		ALLOC_GROW(m->missing, m->nmissing + 1, m->alloc_missing);
		m->missing[m->nmissing++] = id;
		m->st->missing++;
		if (m->opt->on_missing && m->opt->on_missing(m->opt->data, id))
			return shard_error_set(m->err, SHARD_EFAIL,
					       "stopped by the caller");
	}
	return 0;
}

/* A suite's time as written: with --flatten a parent keeps its own cases'. */
static double suite_time(const struct merger *m, uint32_t i)
{
	const struct msuite *s = &m->suites[i];

	if (m->opt->flatten && s->total.tests != s->own.tests)
		return s->case_time;
	return s->time;
}

/* The root's counts: every testcase, and the planned ones missing. */
static void root_counts(struct merger *m, struct counts *n, double *t)
{
	*n = m->root;
	*t = 0;
	for (uint32_t i = 0; i < m->nsuites; i++) {
		if (!m->opt->flatten && m->suites[i].parent != NONE)
			continue;
		add(n,
		    m->opt->flatten ? &m->suites[i].own : &m->suites[i].total);
		*t += suite_time(m, i);
	}
	n->tests += m->nmissing;
	n->errors += m->nmissing;
}

/* The root's start tag, with its counts or (n NULL) room for them. */
static int write_root_start(struct merger *m, const struct counts *n, double t)
{
	strbuf_reset(&m->tmp);
	strbuf_addstr(&m->tmp, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			       "<testsuites");
	if (!n) {
		return put(m, m->tmp.buf, m->tmp.len) ||
				       put_room(m, &m->root_room)
			       ? m->err->code
			       : 0;
	}
	add_counts(&m->tmp, n, t, 0);
	strbuf_addstr(&m->tmp, ">\n");
	return put(m, m->tmp.buf, m->tmp.len);
}

/* Planned but not reported: errors in a suite of their own. */
static int write_missing(struct merger *m)
{
	struct counts n = { m->nmissing, 0, m->nmissing, 0 };

	if (!m->nmissing)
		return 0;
	strbuf_reset(&m->tmp);
	strbuf_addstr(&m->tmp, "<testsuite name=\"shard\"");
	add_counts(&m->tmp, &n, 0, 0);
	strbuf_addstr(&m->tmp, ">\n");
	for (size_t i = 0; i < m->nmissing; i++) {
		junitout_missing(&m->tmp, m->missing[i],
				 m->opt->missing_message
					 ? m->opt->missing_message
					 : "planned but not reported");
		if (m->tmp.len > 65536 && put(m, m->tmp.buf, m->tmp.len))
			return m->err->code;
		if (m->tmp.len > 65536)
			strbuf_reset(&m->tmp);
	}
	strbuf_addstr(&m->tmp, "</testsuite>\n");
	return put(m, m->tmp.buf, m->tmp.len);
}

static int copy_segments(struct merger *m, struct spanread *sp,
			 const struct segment *segs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (copy_span(m, sp, segs[i].start, segs[i].end))
			return m->err->code;
	return 0;
}

/* Write the spooled suites: each once, or each name once when joining. */
static int assemble(struct merger *m)
{
	struct spanread sp;
	int r = 0;

	spanread_init(&sp, m->spool_fd, "spool", 0);
	for (uint32_t i = 0; i < m->nsuites && !r; i++) {
		struct counts n = { 0 };
		double t = 0;

		if (!segmented(m, i) || m->suites[i].join != i)
			continue;
		for (uint32_t j = i; j != NONE; j = m->suites[j].next_join) {
			add(&n, m->opt->flatten ? &m->suites[j].own
						: &m->suites[j].total);
			t += suite_time(m, j);
		}
		r = write_suite_start(m, &m->suites[i], &n, t);
		for (uint32_t j = i; j != NONE && !r;
		     j = m->suites[j].next_join)
			r = copy_segments(m, &sp, m->suites[j].segs,
					  m->suites[j].nsegs);
		if (!r)
			r = puts_(m, "</testsuite>\n");
	}
	if (!r)
		r = copy_segments(m, &sp, m->root_segs, m->nroot_segs);
	spanread_release(&sp);
	return r;
}

/* Fill in the counts of suites (and the root) whose start tags had room. */
static int fill_rooms(struct merger *m, struct patchout *w)
{
	struct counts n;
	double t;

	for (uint32_t i = 0; i < m->nsuites; i++)
		if (!segmented(m, i) &&
		    fill_room(m, w, m->suites[i].room, &m->suites[i].total,
			      suite_time(m, i)))
			return m->err->code;
	if (m->spooling)
		return 0;
	root_counts(m, &n, &t);
	return fill_room(m, w, m->root_room, &n, t);
}

/* Decimal digits of v. */
static unsigned digits_of(unsigned long long v)
{
	unsigned d = 1;

	while (v >= 10) {
		v /= 10;
		d++;
	}
	return d;
}

/* An unlinked temporary file, or -1 with err set. */
static int temp_fd(struct merger *m)
{
	FILE *f = tmpfile();
	int fd = f ? dup(fileno(f)) : -1;

	if (f)
		fclose(f);
	if (fd < 0)
		shard_error_set(m->err, SHARD_EENV, "temporary file: %s",
				strerror(errno));
	return fd;
}

/*
 * Where the output is written: straight into the caller's file when it
 * may be thrown away on error and can be patched (a regular file, not in
 * append mode), else into a temporary file copied to it at the end.
 */
static int open_output(struct merger *m)
{
	int fd = m->opt->out_discardable && fflush(m->final) == 0
			 ? fileno(m->final)
			 : -1;
	off_t at = fd >= 0 ? ftello(m->final) : -1;
	struct stat st;

	m->out_tmp = m->spool_fd = -1;
	if (fd < 0 || at < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (fcntl(fd, F_GETFL) & O_APPEND)) {
		if ((fd = m->out_tmp = temp_fd(m)) < 0)
			return m->err->code;
		at = 0;
	}
	patchout_init(&m->out, fd, "output", (unsigned long long)at);
	m->w = &m->out;
	m->spooling = m->opt->flatten || m->opt->join_suites;
	if (!m->spooling)
		return 0;
	if ((m->spool_fd = temp_fd(m)) < 0)
		return m->err->code;
	patchout_init(&m->spool, m->spool_fd, "spool", 0);
	m->w = &m->spool;
	return 0;
}

/* Hand the output to the caller's stream: copy it, or move past it. */
static int close_output(struct merger *m)
{
	unsigned long long end = patchout_tell(&m->out);
	struct spanread sp;
	int r = 0;

	if (patchout_flush(&m->out, m->err))
		return m->err->code;
	if (m->out_tmp < 0)
		return fseeko(m->final, (off_t)end, SEEK_SET) < 0
			       ? shard_error_set(m->err, SHARD_EENV,
						 "output: %s", strerror(errno))
			       : 0;
	spanread_init(&sp, m->out_tmp, "output", 0);
	for (unsigned long long at = 0; at < end && !r;) {
		unsigned long long n = end - at < sp.cap ? end - at : sp.cap;
		const char *p;

		r = spanread_get(&sp, at, at + n, &p, m->err);
		if (!r && fwrite(p, 1, (size_t)n, m->final) != (size_t)n)
			r = shard_error_set(m->err, SHARD_EENV,
					    "write error: %s", strerror(errno));
		at += n;
	}
	spanread_release(&sp);
	return r;
}

/* Everything after the last input: counts, missing tests, the end. */
static int finish(struct merger *m)
{
	struct counts n;
	double t;

	/* before a byte reaches the caller's output */
	if (m->opt->partition &&
	    partition_check_verdict(m->opt->partition, m->err))
		return m->err->code;
	sum_totals(m);
	join_groups(m);
	if ((m->opt->plan_ids && find_missing(m)) || fill_rooms(m, m->w))
		return m->err->code;
	m->st->suites = m->nsuites + (m->nmissing ? 1 : 0);
	if (m->spooling) {
		if (patchout_flush(&m->spool, m->err))
			return m->err->code;
		m->w = &m->out;
		root_counts(m, &n, &t);
		if (write_root_start(m, &n, t) || assemble(m))
			return m->err->code;
	}
	if (write_missing(m) || puts_(m, "</testsuites>\n"))
		return m->err->code;
	return close_output(m) || release_held(m) ? m->err->code : 0;
}

static int merge_all(struct merger *m)
{
	if (m->opt->plan_ids)
		load_plan(m);
	if (open_output(m) || (!m->spooling && write_root_start(m, NULL, 0)))
		return m->err->code;
	for (uint32_t i = 0; i < m->st->files; i++)
		if (merge_input(m, i))
			return m->err->code;
	return finish(m);
}

static void merger_release(struct merger *m)
{
	for (size_t i = 0; i < m->nsuites; i++) {
		for (size_t j = 0; m->suites[i].attrs && m->suites[i].attrs[j];
		     j++)
			free(m->suites[i].attrs[j]);
		free(m->suites[i].attrs);
		free(m->suites[i].segs);
	}
	/* the back reader's fd is told from the inputs' by m->fds */
	close_owned(m, m->back_input, m->back.buf ? m->back.fd : -1);
	spanread_release(&m->back);
	spanread_release(&m->rd);
	spanread_release(&m->far);
	for (size_t i = 0; m->fds && i < m->st->files; i++)
		if (m->utf8[i])
			close(m->fds[i]);
	patchout_release(&m->out);
	patchout_release(&m->spool);
	if (m->out_tmp >= 0)
		close(m->out_tmp);
	if (m->spool_fd >= 0)
		close(m->spool_fd);
	free(m->suites);
	free(m->keys.slots);
	free(m->plan_keys.slots);
	free(m->plan_files.slots);
	free(m->seen_files.slots);
	free(m->seen_keys.slots);
	free(m->attempts);
	free(m->children);
	free(m->held);
	free(m->pending);
	free(m->stack);
	free(m->missing);
	free(m->root_segs);
	free(m->fds);
	free(m->utf8);
	pool_release(&m->held_strings);
	strbuf_release(&m->key);
	strbuf_release(&m->tmp);
	strbuf_release(&m->num);
	strbuf_release(&m->props_kept);
}

/*
 * The room for counts: no count exceeds the inputs' bytes plus the
 * planned tests. With --plan, the table of every key is sized for the
 * planned tests, about as many as the reports hold, so that it is not
 * rehashed again and again (sizing it from the inputs' bytes made a
 * 384 MiB table for 1 GiB of system-out, and huge pages made a few keys
 * touch much of it).
 */
static void presize(struct merger *m, size_t n)
{
	unsigned long long bytes = 0;
	size_t cap = 1024;
	struct stat st;

	for (size_t i = 0; i < n; i++)
		if (m->in[i].fd >= 0 ? fstat(m->in[i].fd, &st) == 0
				     : stat(m->in[i].path, &st) == 0)
			bytes += (unsigned long long)st.st_size;
	while (cap < (1u << 26) && cap < 2 * m->opt->plan_n)
		cap *= 2;
	if (m->opt->plan_ids)
		m->seen_keys.mask = cap - 1; /* NULL until the first key */
	m->digits = digits_of(bytes + m->opt->plan_n);
}

int merge_run(const struct merge_input *in, size_t n, FILE *out,
	      const struct merge_options *opt, const struct shard_ctx *ctx,
	      struct merge_stats *stats, struct shard_error *err)
{
	struct merger m;
	int r;

	memset(&m, 0, sizeof(m));
	memset(stats, 0, sizeof(*stats));
	m.in = in;
	m.opt = opt;
	m.ctx = ctx;
	m.st = stats;
	m.err = err;
	m.final = out;
	m.back_input = NONE;
	m.out_tmp = m.spool_fd = -1;
	strbuf_init(&m.key, 0);
	strbuf_init(&m.tmp, 0);
	strbuf_init(&m.num, 0);
	strbuf_init(&m.props_kept, 0);
	stats->files = n;
	m.fds = xcalloc(n ? n : 1, sizeof(*m.fds));
	m.utf8 = xcalloc(n ? n : 1, 1);
	for (size_t i = 0; i < n; i++)
		m.fds[i] = in[i].fd;
	presize(&m, n);
	spanread_init(&m.rd, -1, NULL, 0);
	spanread_init(&m.far, -1, NULL, 0);
	r = merge_all(&m);
	merger_release(&m);
	return r;
}
