/*
 * What each fuzz target does with one input, and the checks it makes.
 * Shared by the libFuzzer entry points (tests/fuzz/fuzz_<name>.c) and the
 * cmocka runner that replays saved crash inputs
 * (tests/unit/test_fuzz_regress.c), so that a regression input goes
 * through exactly the code and the assertions that caught it.
 *
 * FUZZ_CHECK(cond) fails the run: by default it prints the condition and
 * aborts (libFuzzer reports a crash and saves the input); the cmocka
 * runner defines it as assert_true() before including this file.
 *
 * Every parser here reads untrusted bytes: JUnit XML (junit, merge), test
 * lists, plan files and test ids. Each target asserts what the module's
 * header promises for any input, valid or not.
 */
#ifndef SHARD_FUZZ_TARGETS_H
#define SHARD_FUZZ_TARGETS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shard/identity.h"
#include "shard/junit/junit.h"
#include "shard/junit/merge.h"
#include "shard/partition.h"
#include "shard/plan/planfile.h"
#include "shard/testlist.h"
#include "shard/util/base64.h"
#include "shard/util/ctx.h"
#include "shard/util/error.h"
#include "shard/util/strbuf.h"
#include "shard/util/zbuf.h"

#ifndef FUZZ_CHECK
#define FUZZ_CHECK(cond) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #cond); \
			abort(); \
		} \
	} while (0)
#endif

/* Read every byte of a borrowed string, so ASan sees a bad pointer. */
static inline size_t fuzz_touch(const char *s)
{
	return s ? strlen(s) : 0;
}

static inline void fuzz_warn(void *data, const char *msg)
{
	size_t *sink = data;

	FUZZ_CHECK(msg && *msg);
	*sink += strlen(msg);
}

/* A failed call names what failed, with the code it returned. */
static inline void fuzz_check_error(int rc, const struct shard_error *err)
{
	FUZZ_CHECK(rc < 0);
	FUZZ_CHECK(err->code == rc);
	FUZZ_CHECK(err->msg[0] != '\0');
	FUZZ_CHECK(memchr(err->msg, '\0', sizeof(err->msg)) != NULL);
}

/* ---- junit ---- */

/* What a read saw: testcases, and the counts its root claims. */
struct fuzz_counts {
	size_t cases;               /* testcases outside another testcase */
	size_t top[4];              /* those, by enum junit_outcome */
	size_t outcomes[4];         /* every testcase, by enum junit_outcome */
	int has_root;               /* the root has all four counts below */
	unsigned long long root[4]; /* tests, failures, errors, skipped */
};

struct fuzz_junit {
	const uint8_t *data;
	size_t size;
	int recover;
	size_t misshapen; /* events whose offsets miss their tags */
	size_t sink;
	unsigned open;       /* elements started and not yet ended */
	unsigned open_cases; /* <testcase> elements open */
	struct fuzz_counts n;
};

static inline int fuzz_junit_suite(void *data, const struct junit_suite *s,
				   struct shard_error *err)
{
	struct fuzz_junit *f = data;

	(void)err;
	f->sink += fuzz_touch(s->name) + fuzz_touch(s->file) +
		   fuzz_touch(s->hostname) + fuzz_touch(s->timestamp);
	FUZZ_CHECK(s->time >= 0);
	FUZZ_CHECK(s->has_time || s->time == 0);
	return 0;
}

static inline int fuzz_junit_property(void *data, const struct junit_suite *s,
				      const char *name, const char *value,
				      struct shard_error *err)
{
	struct fuzz_junit *f = data;

	FUZZ_CHECK(s && name && value);
	f->sink += fuzz_touch(name) + fuzz_touch(value);
	return fuzz_junit_suite(data, s, err);
}

static inline int fuzz_junit_case(void *data, const struct junit_case *c,
				  struct shard_error *err)
{
	struct fuzz_junit *f = data;

	f->sink += fuzz_touch(c->classname) + fuzz_touch(c->name) +
		   fuzz_touch(c->file) + fuzz_touch(c->message);
	FUZZ_CHECK(c->line >= 0);
	FUZZ_CHECK(c->time >= 0);
	FUZZ_CHECK(c->outcome >= JUNIT_PASSED && c->outcome <= JUNIT_SKIPPED);
	if (!f->open_cases) {
		f->n.cases++;
		f->n.top[c->outcome]++;
	}
	f->n.outcomes[c->outcome]++;
	return c->suite ? fuzz_junit_suite(data, c->suite, err) : 0;
}

static inline int fuzz_junit_suite_end(void *data, const struct junit_suite *s,
				       double case_seconds,
				       struct shard_error *err)
{
	FUZZ_CHECK(case_seconds >= 0);
	return fuzz_junit_suite(data, s, err);
}

/*
 * The bytes an element's offsets delimit: its start tag "<...>" and either
 * "/>" at its end (<x/>: end == end_end == start_end) or an end tag
 * "</...>" at [end, end_end). Bounds and order must hold for every event,
 * since a consumer copies as the events come. The bytes need to match only
 * in a document read to its end without recovery: libxml2 reports a start
 * tag before it finds that the tag is not closed ("<a\x01"), which then
 * fails the read, and recovery reports elements wherever it resumed.
 */
static inline void fuzz_check_offsets(const struct fuzz_junit *f,
				      const struct junit_element *e, int end)
{
	FUZZ_CHECK(e->start < e->start_end);
	FUZZ_CHECK(e->start_end <= f->size);
	if (!end)
		return;
	FUZZ_CHECK(e->start_end <= e->end);
	FUZZ_CHECK(e->end <= e->end_end);
	FUZZ_CHECK(e->end_end <= f->size);
}

static inline int fuzz_tag_bytes_ok(const struct fuzz_junit *f,
				    const struct junit_element *e, int end)
{
	const uint8_t *d = f->data;

	if (d[e->start] != '<' || d[e->start_end - 1] != '>')
		return 0;
	if (!end)
		return 1;
	if (e->end_end == e->start_end)
		return e->end == e->start_end && e->start_end - e->start >= 3 &&
		       d[e->start_end - 2] == '/';
	return e->end_end - e->end >= 4 && d[e->end] == '<' &&
	       d[e->end + 1] == '/' && d[e->end_end - 1] == '>';
}

/* The root's tests, failures, errors and skipped attributes. */
static inline void fuzz_root_counts(struct fuzz_counts *n,
				    const struct junit_element *e)
{
	static const char *const names[4] = {
		"tests",
		"failures",
		"errors",
		"skipped",
	};
	int found = 0;

	for (size_t i = 0; i < e->nattrs; i++) {
		for (int k = 0; k < 4; k++) {
			const char *v = e->attrs[2 * i + 1];
			char *end;

			if (strcmp(e->attrs[2 * i], names[k]))
				continue;
			n->root[k] = strtoull(v, &end, 10);
			found += *v && !*end;
		}
	}
	n->has_root = found == 4;
}

static inline int fuzz_junit_element_start(void *data,
					   const struct junit_element *e,
					   struct shard_error *err)
{
	struct fuzz_junit *f = data;

	(void)err;
	FUZZ_CHECK(e->local && *e->local);
	FUZZ_CHECK(e->depth == f->open);
	f->open++;
	f->open_cases += e->kind == JUNIT_EL_CASE;
	f->sink += fuzz_touch(e->local) + fuzz_touch(e->encoding);
	FUZZ_CHECK(!e->nattrs || e->attrs);
	for (size_t i = 0; i < 2 * e->nattrs; i++)
		f->sink += fuzz_touch(e->attrs[i]);
	if (!e->depth)
		fuzz_root_counts(&f->n, e);
	if (e->raw) {
		fuzz_check_offsets(f, e, 0);
		f->misshapen += !fuzz_tag_bytes_ok(f, e, 0);
	}
	return 0;
}

static inline int fuzz_junit_element_end(void *data,
					 const struct junit_element *e,
					 struct shard_error *err)
{
	struct fuzz_junit *f = data;

	(void)err;
	FUZZ_CHECK(e->local && *e->local);
	FUZZ_CHECK(f->open > 0 && e->depth == f->open - 1);
	f->open--;
	if (e->kind == JUNIT_EL_CASE) {
		FUZZ_CHECK(f->open_cases > 0);
		f->open_cases--;
	}
	f->sink += fuzz_touch(e->local);
	if (e->raw) {
		fuzz_check_offsets(f, e, 1);
		f->misshapen += !fuzz_tag_bytes_ok(f, e, 1);
	}
	return 0;
}

/*
 * Read data with every callback set; returns junit_read_mem's code, and
 * what was read in *n (may be NULL).
 */
static inline int fuzz_junit_read(const uint8_t *data, size_t size, int recover,
				  struct fuzz_counts *n)
{
	struct fuzz_junit f;
	struct junit_handler h = {
		fuzz_junit_suite,
		fuzz_junit_property,
		fuzz_junit_case,
		fuzz_junit_suite_end,
		fuzz_junit_element_start,
		fuzz_junit_element_end,
		&f,
	};
	struct junit_options opt = { 0 };
	struct shard_ctx ctx = { 0 };
	struct shard_error err = SHARD_ERROR_INIT;
	int rc;

	memset(&f, 0, sizeof(f));
	f.data = data;
	f.size = size;
	f.recover = recover;
	ctx.warn = fuzz_warn;
	ctx.data = &f.sink;
	opt.recover = recover;
	rc = junit_read_mem((const char *)data, size, "fuzz.xml", &opt, &h,
			    &ctx, &err);
	if (rc) {
		fuzz_check_error(rc, &err);
		FUZZ_CHECK(rc == SHARD_EINPUT);
	} else if (!recover) {
		FUZZ_CHECK(f.open == 0); /* every element ended */
		FUZZ_CHECK(f.misshapen == 0);
	}
	if (n)
		*n = f.n;
	return rc;
}

static inline int fuzz_junit(const uint8_t *data, size_t size)
{
	fuzz_junit_read(data, size, 0, NULL);
	fuzz_junit_read(data, size, 1, NULL);
	return 0;
}

/* ---- merge ---- */

/*
 * Input: an optional "#!" and one byte of flags (1 --flatten, 2
 * --join-suites, 4 --recover, 8 a plan to check against, 16 the
 * partition check of shard reports), then up to three inputs separated
 * by FUZZ_MERGE_SEP. Retries are folded.
 */
#define FUZZ_MERGE_SEP "--8<--"
#define FUZZ_MERGE_MAX 3

static const char *const fuzz_plan_ids[] = {
	"tests/test_a.py::test_one", "tests/test_a.py::TestB::test_two[x]",
	"org.example.FooTest.bar",   "example.com/m/pkg.TestA/sub",
	"spec/models/user_spec.rb",  "a.b",
};

static inline const uint8_t *fuzz_find(const uint8_t *p, const uint8_t *end,
				       const char *needle)
{
	size_t n = strlen(needle);

	for (; (size_t)(end - p) >= n; p++)
		if (!memcmp(p, needle, n))
			return p;
	return NULL;
}

/* An unlinked temporary file holding data, or -1. */
static inline int fuzz_tmpfile(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/shard-fuzz-XXXXXX";
	int fd = mkstemp(path);
	size_t done = 0;

	if (fd < 0)
		return -1;
	unlink(path);
	while (done < size) {
		ssize_t n = write(fd, data + done, size - done);

		if (n <= 0) {
			close(fd);
			return -1;
		}
		done += (size_t)n;
	}
	return fd;
}

/*
 * What merge promises of its output: well-formed JUnit whose testcases
 * are the ones it counted (each written once, retries folded), plus one
 * error per planned test not reported, under a root whose counts are
 * recounted from every testcase in it. Testcases nested in a testcase are
 * copied inside it: the reader sees them, merge's stats do not. With
 * --recover the input's damage may be copied: the counts must hold only
 * when the output can be read.
 */
static inline void fuzz_merge_output(const char *out, size_t len,
				     const struct merge_options *opt,
				     const struct merge_stats *st)
{
	struct fuzz_counts n;
	const size_t *o = n.outcomes;
	int rc = fuzz_junit_read((const uint8_t *)out, len, 0, &n);

	FUZZ_CHECK(rc == 0 || opt->recover);
	if (rc)
		return;
	FUZZ_CHECK(n.cases == st->tests + st->missing);
	FUZZ_CHECK(n.top[JUNIT_PASSED] == st->passed);
	FUZZ_CHECK(n.top[JUNIT_FAILED] == st->failed);
	FUZZ_CHECK(n.top[JUNIT_ERROR] == st->errors + st->missing);
	FUZZ_CHECK(n.top[JUNIT_SKIPPED] == st->skipped);
	FUZZ_CHECK(n.has_root);
	FUZZ_CHECK(n.root[0] == o[0] + o[1] + o[2] + o[3]);
	FUZZ_CHECK(n.root[1] == o[JUNIT_FAILED]);
	FUZZ_CHECK(n.root[2] == o[JUNIT_ERROR]);
	FUZZ_CHECK(n.root[3] == o[JUNIT_SKIPPED]);
}

static inline int fuzz_merge(const uint8_t *data, size_t size)
{
	static const char *const names[FUZZ_MERGE_MAX] = {
		"part1.xml",
		"part2.xml",
		"part3.xml",
	};
	const uint8_t *p = data, *end = data + size;
	struct merge_input in[FUZZ_MERGE_MAX];
	struct merge_options opt = { 0 };
	struct partition_check pc;
	struct merge_stats st;
	struct shard_ctx ctx = { 0 };
	struct shard_error err = SHARD_ERROR_INIT;
	size_t n = 0, sink = 0, out_len = 0;
	unsigned flags = 0;
	char *out = NULL;
	FILE *f;
	int rc;

	if (size >= 3 && p[0] == '#' && p[1] == '!') {
		flags = p[2];
		p += 3;
	}
	opt.flatten = !!(flags & 1);
	opt.join_suites = !!(flags & 2);
	opt.recover = !!(flags & 4);
	if (flags & 8) {
		opt.plan_ids = fuzz_plan_ids;
		opt.plan_n = sizeof(fuzz_plan_ids) / sizeof(*fuzz_plan_ids);
	}
	partition_check_init(&pc);
	if (flags & 16)
		opt.partition = &pc;
	while (n < FUZZ_MERGE_MAX) {
		const uint8_t *sep = n + 1 < FUZZ_MERGE_MAX
					     ? fuzz_find(p, end, FUZZ_MERGE_SEP)
					     : NULL;
		const uint8_t *stop = sep ? sep : end;

		in[n].path = names[n];
		in[n].fd = fuzz_tmpfile(p, (size_t)(stop - p));
		FUZZ_CHECK(in[n].fd >= 0);
		n++;
		if (!sep)
			break;
		p = sep + strlen(FUZZ_MERGE_SEP);
	}
	ctx.warn = fuzz_warn;
	ctx.data = &sink;
	f = open_memstream(&out, &out_len);
	FUZZ_CHECK(f != NULL);
	rc = merge_run(in, n, f, &opt, &ctx, &st, &err);
	FUZZ_CHECK(fclose(f) == 0);
	for (size_t i = 0; i < n; i++)
		close(in[i].fd);
	if (rc) {
		/* inputs are small local files: only the input can be wrong */
		fuzz_check_error(rc, &err);
		FUZZ_CHECK(rc == SHARD_EINPUT);
	} else {
		FUZZ_CHECK(st.files == n);
		FUZZ_CHECK(st.tests ==
			   st.passed + st.failed + st.errors + st.skipped);
		FUZZ_CHECK(st.flaky <= st.tests);
	}
	if (!rc)
		fuzz_merge_output(out, out_len, &opt, &st);
	/* a refused run is an input error, and says why */
	FUZZ_CHECK(!pc.refused || (rc == SHARD_EINPUT && pc.report.len));
	FUZZ_CHECK(strlen(pc.report.buf) == pc.report.len);
	partition_check_release(&pc);
	free(out);
	return 0;
}

/* ---- partition ---- */

#define FUZZ_PARTITION_MAX 4

/* A 64-digit hex string made of one digit: few plans and lists. */
static inline void fuzz_hex(char out[65], uint8_t b)
{
	memset(out, "0123456789abcdef"[b & 3], 64);
	out[64] = '\0';
}

/* raw as partition.c writes it: deflated, base64. */
static inline void fuzz_pack(struct strbuf *out, const uint8_t *raw, size_t len)
{
	struct strbuf z = STRBUF_INIT;

	strbuf_reset(out);
	zbuf_deflate(&z, raw, len);
	base64_encode(out, z.buf, z.len);
	strbuf_release(&z);
}

/*
 * Input: up to four shard property sets separated by FUZZ_MERGE_SEP. A
 * set's first 5 bytes pick its index, total, attempt, plan and list (and
 * whether it names a run); its list size is the next byte; the rest, up
 * to a NUL, is its list slice and, after it, its planned positions,
 * both raw (packed here as shard run packs them) so that the decoding
 * of lists and positions sees any bytes.
 */
static inline int fuzz_partition(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	struct partition_check pc;
	struct shard_error err = SHARD_ERROR_INIT;
	struct strbuf v = STRBUF_INIT;
	char hex[65], num[32];
	int rc;

	partition_check_init(&pc);
	for (int n = 0; n < FUZZ_PARTITION_MAX && p < end; n++) {
		const uint8_t *sep = fuzz_find(p, end, FUZZ_MERGE_SEP);
		const uint8_t *stop = sep ? sep : end, *nul;
		uint8_t h[6] = { 0 };

		for (int i = 0; i < 6 && p < stop; i++)
			h[i] = *p++;
		partition_check_suite_start(&pc, n & 1 ? "b.xml" : "a.xml");
		snprintf(num, sizeof(num), "%d", h[0] % 5);
		partition_check_property(&pc, "shard.index", num);
		snprintf(num, sizeof(num), "%d", h[1] % 5);
		partition_check_property(&pc, "shard.total", num);
		snprintf(num, sizeof(num), "%d", 1 + h[2] % 2);
		partition_check_property(&pc, "shard.attempt", num);
		fuzz_hex(hex, h[3]);
		partition_check_property(&pc, "shard.plan_hash", hex);
		fuzz_hex(hex, h[4]);
		partition_check_property(&pc, "shard.list_digest", hex);
		if (h[4] & 4)
			partition_check_property(&pc, "shard.run_base", "r");
		snprintf(num, sizeof(num), "%d", h[5] % 40);
		partition_check_property(&pc, "shard.list_tests", num);
		nul = memchr(p, '\0', (size_t)(stop - p));
		fuzz_pack(&v, p, (size_t)((nul ? nul : stop) - p));
		partition_check_property(&pc, "shard.list", v.buf);
		if (nul) {
			fuzz_pack(&v, nul + 1, (size_t)(stop - nul - 1));
			partition_check_property(&pc, "shard.planned", v.buf);
		}
		partition_check_suite_end(&pc);
		p = sep ? sep + strlen(FUZZ_MERGE_SEP) : end;
	}
	rc = partition_check_verdict(&pc, &err);
	if (rc)
		fuzz_check_error(rc, &err);
	FUZZ_CHECK(rc == 0 || rc == SHARD_EINPUT);
	FUZZ_CHECK(!rc == !pc.refused);
	FUZZ_CHECK(strlen(pc.report.buf) == pc.report.len);
	FUZZ_CHECK(!pc.refused || partition_check_refuses(&pc, "a.xml") ||
		   partition_check_refuses(&pc, "b.xml"));
	partition_check_release(&pc);
	strbuf_release(&v);
	return 0;
}

/* ---- testlist ---- */

/* Chunk sizes from a generator seeded by the input: varied, repeatable. */
static inline uint64_t fuzz_next(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

static inline int fuzz_testlist_read(struct testlist *l, const uint8_t *data,
				     size_t size, uint64_t seed,
				     struct shard_error *err)
{
	struct shard_ctx ctx = { 0 };
	size_t sink = 0, at = 0;
	int rc = 0;

	ctx.warn = fuzz_warn;
	ctx.data = &sink;
	testlist_init(l);
	while (at < size && !rc) {
		size_t n = size - at;

		if (seed) {
			uint64_t r = fuzz_next(&seed);

			/* mostly short chunks, now and then an empty one */
			n = (size_t)(r % (r & 256 ? 64 : 8));
			if (n > size - at)
				n = size - at;
		}
		rc = testlist_feed(l, (const char *)data + at, n, "fuzz.list",
				   err);
		at += n;
	}
	if (!rc)
		rc = testlist_finish(l, "fuzz.list", &ctx, err);
	return rc;
}

/* Fed whole or in pieces, a list reads the same. */
static inline int fuzz_testlist(const uint8_t *data, size_t size)
{
	struct testlist whole, cut;
	struct shard_error err1 = SHARD_ERROR_INIT, err2 = SHARD_ERROR_INIT;
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	int rc1, rc2;

	for (size_t i = 0; i < size; i++)
		seed = (seed ^ data[i]) * 1099511628211ULL;
	rc1 = fuzz_testlist_read(&whole, data, size, 0, &err1);
	rc2 = fuzz_testlist_read(&cut, data, size, seed ? seed : 1, &err2);
	FUZZ_CHECK(rc1 == rc2);
	if (rc1) {
		fuzz_check_error(rc1, &err1);
		FUZZ_CHECK(rc1 == SHARD_EINPUT);
		FUZZ_CHECK(!strcmp(err1.msg, err2.msg));
	}
	FUZZ_CHECK(whole.nr == cut.nr);
	FUZZ_CHECK(whole.duplicates == cut.duplicates);
	for (size_t i = 0; i < whole.nr; i++) {
		const char *id = whole.ids[i];
		size_t len = whole.lens[i];

		FUZZ_CHECK(len > 0 && len == cut.lens[i]);
		FUZZ_CHECK(!memcmp(id, cut.ids[i], len));
		FUZZ_CHECK(!memchr(id, '\n', len) && !memchr(id, '\0', len));
		FUZZ_CHECK(id[len] == '\0');
		/* every id a list accepts is printable UTF-8 */
		FUZZ_CHECK(testlist_id_check(id, len) == len);
		FUZZ_CHECK(strspn(id, " ") < len); /* not blank */
		/* collapsed: adding any listed id again finds it */
		FUZZ_CHECK(testlist_add(&whole, id, len) == 0);
	}
	testlist_release(&whole);
	testlist_release(&cut);
	return 0;
}

/* ---- planfile ---- */

static inline int fuzz_planfile(const uint8_t *data, size_t size)
{
	struct planfile p;
	struct shard_error err = SHARD_ERROR_INIT;
	int rc = planfile_read((const char *)data, size, "fuzz.json", &p, &err);

	if (rc) {
		fuzz_check_error(rc, &err);
		FUZZ_CHECK(rc == SHARD_EINPUT);
	} else {
		FUZZ_CHECK(strlen(p.hash) == 64);
		FUZZ_CHECK(!p.nshards || (p.first && p.predicted));
		for (size_t i = 0; i < p.nshards; i++) {
			FUZZ_CHECK(p.first[i] <= p.tests.nr);
			FUZZ_CHECK(!i || p.first[i - 1] <= p.first[i]);
		}
		for (size_t i = 0; i < p.tests.nr; i++)
			FUZZ_CHECK(strlen(p.tests.ids[i]) == p.tests.lens[i]);
	}
	planfile_release(&p);
	return 0;
}

/* ---- identity ---- */

/* Everything identity derives from a listed id. */
static inline void fuzz_identity_id(const char *id, struct strbuf *key)
{
	size_t len = strlen(id);
	size_t file = identity_file_len(id);
	size_t cls = identity_class_len(id);
	size_t dir = identity_dir_len(id);
	enum identity_kind kind = identity_kind(id);

	FUZZ_CHECK(file <= len && cls <= len && dir <= len);
	FUZZ_CHECK(dir <= file && file <= cls);
	FUZZ_CHECK(identity_go_parent_len(id) <= len);
	strbuf_reset(key);
	identity_key(key, id);
	FUZZ_CHECK(strlen(key->buf) == key->len);
	if (kind == IDENTITY_GO || kind == IDENTITY_DOTTED)
		FUZZ_CHECK(!strcmp(key->buf, id));
	FUZZ_CHECK(identity_hash(key->buf, key->len) != 0);
	strbuf_reset(key);
	identity_path(key, id);
	FUZZ_CHECK(key->len <= len);
}

/*
 * Input: NUL-separated fields; the first is a listed id, and the first
 * five are also a JUnit case's classname, name, file, suite file and
 * suite name (NULL when absent).
 */
static inline int fuzz_identity(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1);
	const char *field[5] = { NULL };
	struct strbuf key = STRBUF_INIT;
	size_t at = 0;
	int named;

	FUZZ_CHECK(copy != NULL);
	memcpy(copy, data, size);
	copy[size] = '\0';
	for (int i = 0; i < 5 && at <= size; i++) {
		field[i] = copy + at;
		at += strlen(copy + at) + 1;
	}
	for (int i = 0; i < 5 && field[i]; i++)
		fuzz_identity_id(field[i], &key);
	strbuf_reset(&key);
	identity_case_key(&key, field[0], field[1], field[2], field[3],
			  field[4]);
	FUZZ_CHECK(strlen(key.buf) == key.len);
	strbuf_reset(&key);
	named = (field[2] && *field[2]) || (field[3] && *field[3]) ||
		(field[4] && *field[4] && identity_is_path(field[4]));
	FUZZ_CHECK(identity_case_file(&key, field[2], field[3], field[4]) ==
		   named);
	strbuf_release(&key);
	free(copy);
	return 0;
}

#endif
