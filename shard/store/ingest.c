/*
 * A file is read twice: once to digest it (its identity for re-ingest
 * detection and, failing any other, for the run's) and to tell XML from
 * JSON by its first byte, once to parse it. Both passes stream, so memory
 * does not grow with the file. The run and the source are registered
 * lazily, at the first result, because a report from `shard run` names
 * its run in the properties that precede its testcases.
 */
#define _GNU_SOURCE /* memmem */
#include "shard/store/ingest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shard/identity.h"
#include "shard/junit/junit.h"
#include "shard/util/digest.h"
#include "shard/util/json.h"
#include "shard/util/strbuf.h"
#include "shard/util/util.h"
#include "shard/util/banned.h"

#define INGEST_ALREADY 1
#define TIMING_JSON_MAX (1024u * 1024 * 1024)

struct suite_frame {
	struct strbuf file; /* the file common to its cases, if any */
	int mixed;          /* cases from more than one file */
	unsigned long cases;
};

/* A shard of the run already in the store when this file came. */
struct stored_shard {
	int index;
	unsigned attempt;
};

struct known_plan {
	char plan_hash[65], list_digest[65];
	int index;
};

struct ingest_state {
	struct store *st;
	const char *path;
	const struct ingest_options *opt;
	const struct shard_ctx *ctx;
	struct ingest_stats *stats;
	char digest[65];
	int started;
	int64_t run_id, source_id;
	struct store_shard shard;
	int has_shard_index;
	char shard_run[256], host[256];
	char plan_hash[65], list_digest[65];
	/* the run's shards' plans: stored, then recorded from this file */
	struct known_plan *known;
	size_t nknown, alloc_known;
	struct stored_shard *stored;
	size_t nstored, alloc_stored;
	int shard_is_stored; /* shard_stored()'s answer; -1: not known yet */
	double top_seconds;
	struct strbuf key, file;
	struct suite_frame *frames;
	size_t nframes, alloc_frames;
};

#define PLANS_MARK "shard.plan_hash"
#define PLANS_MARK_LEN (sizeof(PLANS_MARK) - 1)

struct sniff {
	struct digest *d;
	int first; /* first significant byte, or -1 */
	size_t seen;
	int plans;                 /* PLANS_MARK seen */
	char tail[PLANS_MARK_LEN]; /* the last bytes of the chunk before */
	size_t ntail;
};

/* Whether PLANS_MARK is in buf, or across the chunks before and it. */
static void look_for_plans(struct sniff *s, const char *buf, size_t len)
{
	char edge[2 * PLANS_MARK_LEN];
	size_t n = len < PLANS_MARK_LEN ? len : PLANS_MARK_LEN;

	if (s->plans)
		return;
	memcpy(edge, s->tail, s->ntail);
	memcpy(edge + s->ntail, buf, n);
	s->plans = memmem(edge, s->ntail + n, PLANS_MARK, PLANS_MARK_LEN) ||
		   memmem(buf, len, PLANS_MARK, PLANS_MARK_LEN);
	if (len >= PLANS_MARK_LEN) {
		memcpy(s->tail, buf + len - (PLANS_MARK_LEN - 1),
		       PLANS_MARK_LEN - 1);
		s->ntail = PLANS_MARK_LEN - 1;
	} else {
		memcpy(edge, s->tail, s->ntail);
		memcpy(edge + s->ntail, buf, len);
		n = s->ntail + len;
		s->ntail = n < PLANS_MARK_LEN - 1 ? n : PLANS_MARK_LEN - 1;
		memcpy(s->tail, edge + n - s->ntail, s->ntail);
	}
}

static int sniff_chunk(void *data, const char *buf, size_t len,
		       struct shard_error *err)
{
	struct sniff *s = data;

	(void)err;
	digest_update(s->d, buf, len);
	look_for_plans(s, buf, len);
	for (size_t i = 0; i < len && s->first < 0; i++, s->seen++) {
		unsigned char c = (unsigned char)buf[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (s->seen < 3 && (c == 0xef || c == 0xbb || c == 0xbf))
			continue; /* UTF-8 byte order mark */
		s->first = (c == 0xfe || c == 0xff || c == 0) ? '<' : c;
	}
	return 0;
}

static void know_plan(struct ingest_state *s, const struct store_shard *sh)
{
	struct known_plan *k;

	if (!sh->plan_hash || !sh->list_digest)
		return;
	ALLOC_GROW(s->known, s->nknown + 1, s->alloc_known);
	k = &s->known[s->nknown++];
	snprintf(k->plan_hash, sizeof(k->plan_hash), "%s", sh->plan_hash);
	snprintf(k->list_digest, sizeof(k->list_digest), "%s", sh->list_digest);
	k->index = sh->index;
}

static int take_known(void *data, const struct store_shard *sh)
{
	struct ingest_state *s = data;

	know_plan(s, sh);
	ALLOC_GROW(s->stored, s->nstored + 1, s->alloc_stored);
	s->stored[s->nstored].index = sh->index;
	s->stored[s->nstored++].attempt = sh->attempt;
	return 0;
}

struct shard_probe {
	int index;
	unsigned attempt;
	int found;
};

static int probe_shard(void *data, const struct store_shard *sh)
{
	struct shard_probe *p = data;

	p->found |= sh->index == p->index && sh->attempt == p->attempt;
	return 0;
}

/*
 * Whether the shard's own run, one other than the run this file goes
 * into, holds it: each `shard run` with no run id in common records as
 * a run of its own, and their merged report, ingested with no run id,
 * goes into the first shard's run. 1, 0, or a negative code.
 */
static int stored_in_own_run(struct ingest_state *s, struct shard_error *err)
{
	struct shard_probe p = { s->shard.index, s->shard.attempt, 0 };
	int64_t id;
	int r = store_find_run(s->st, s->shard_run, &id, err);

	if (r <= 0)
		return r;
	r = store_each_shard(s->st, id, probe_shard, &p, err);
	return r < 0 ? r : p.found;
}

/*
 * Whether the shard whose properties this file gave last was in the
 * store before this file: `shard run` recorded it, into this file's run
 * or into its own, and its results are there already. A merged report
 * of the run's shards holds them again. 1, 0, or a negative code.
 */
static int shard_stored(struct ingest_state *s, struct shard_error *err)
{
	int found = 0;

	if (!s->has_shard_index)
		return 0;
	/* asked for every testcase: look once per shard set */
	if (s->shard_is_stored >= 0)
		return s->shard_is_stored;
	/* the run's shards are read when it starts: only then is it known */
	if (!s->started)
		return 0;
	if (!s->opt->run_key && s->shard_run[0] &&
	    strcmp(s->shard_run, s->stats->run_key)) {
		found = stored_in_own_run(s, err);
		if (found < 0)
			return found;
	}
	for (size_t i = 0; !found && i < s->nstored; i++)
		found = s->stored[i].index == s->shard.index &&
			s->stored[i].attempt == s->shard.attempt;
	s->shard_is_stored = found;
	return found;
}

static int start_run(struct ingest_state *s, struct shard_error *err)
{
	struct store_run run = { 0 };
	char content_key[32];
	int r;

	if (s->started)
		return 0;
	snprintf(content_key, sizeof(content_key), "sha256:%.16s", s->digest);
	run.run_key = s->opt->run_key   ? s->opt->run_key
		      : s->shard_run[0] ? s->shard_run
					: content_key;
	run.started_at = shard_now(s->ctx);
	run.commit = s->opt->commit;
	run.branch = s->opt->branch;
	run.ci = s->opt->ci;
	snprintf(s->stats->run_key, sizeof(s->stats->run_key), "%s",
		 run.run_key);
	if (store_add_run(s->st, &run, &s->run_id, err))
		return err->code;
	r = store_add_source(s->st, s->run_id, s->digest, s->path,
			     &s->source_id, err);
	if (r < 0)
		return r;
	s->started = 1;
	if (r == 1) {
		s->stats->already = 1;
		return INGEST_ALREADY;
	}
	/* read now: a server store streams results once they start */
	return store_each_shard(s->st, s->run_id, take_known, s, err);
}

static void count_outcome(struct ingest_stats *st, enum junit_outcome o)
{
	st->tests++;
	st->passed += o == JUNIT_PASSED;
	st->failed += o == JUNIT_FAILED;
	st->errors += o == JUNIT_ERROR;
	st->skipped += o == JUNIT_SKIPPED;
}

static int record(struct ingest_state *s, const struct store_result *res,
		  struct shard_error *err)
{
	int r = start_run(s, err);

	if (r)
		return r;
	if (store_add_result(s->st, s->run_id, s->source_id, res, err))
		return err->code;
	count_outcome(s->stats, res->outcome);
	if (s->stats->tests % 100000 == 0)
		shard_progress(s->ctx, "ingest", s->stats->tests, 0);
	return 0;
}

static int on_suite_start(void *data, const struct junit_suite *su,
			  struct shard_error *err)
{
	struct ingest_state *s = data;
	struct suite_frame *f;

	(void)su;
	(void)err;
	ALLOC_GROW(s->frames, s->nframes + 1, s->alloc_frames);
	f = &s->frames[s->nframes++];
	strbuf_init(&f->file, 0);
	f->mixed = 0;
	f->cases = 0;
	return 0;
}

static void copy_prop(char *dst, size_t size, const char *v)
{
	snprintf(dst, size, "%s", v ? v : "");
}

static int prop_number(const char *path, const char *name, const char *v,
		       double *out, struct shard_error *err)
{
	if (shard_parse_double(v, out) < 0 || *out < 0)
		return shard_error_set(err, SHARD_EINPUT,
				       "%s: property %s='%s' is not a number",
				       path, name, v);
	return 0;
}

static int record_shard(struct ingest_state *s, struct shard_error *err);

static int on_property(void *data, const struct junit_suite *su,
		       const char *name, const char *value,
		       struct shard_error *err)
{
	struct ingest_state *s = data;
	struct store_shard *sh = &s->shard;
	double v = 0;

	(void)su;
	if (!name || strncmp(name, "shard.", 6) || !value)
		return 0;
	name += 6;
	/* a merged report carries one set per shard: the next one starts */
	if (!strcmp(name, "index") && s->has_shard_index &&
	    record_shard(s, err))
		return err->code;
	if (!strcmp(name, "run_id"))
		copy_prop(s->shard_run, sizeof(s->shard_run), value);
	else if (!strcmp(name, "plan_hash"))
		copy_prop(s->plan_hash, sizeof(s->plan_hash), value);
	else if (!strcmp(name, "list_digest"))
		copy_prop(s->list_digest, sizeof(s->list_digest), value);
	else if (!strcmp(name, "host"))
		copy_prop(s->host, sizeof(s->host), value);
	else if (!strcmp(name, "index") || !strcmp(name, "total") ||
		 !strcmp(name, "attempt")) {
		if (prop_number(s->path, name - 6, value, &v, err))
			return err->code;
		s->shard_is_stored = -1;
		if (!strcmp(name, "index"))
			sh->index = (int)v, s->has_shard_index = 1;
		else if (!strcmp(name, "total"))
			sh->total = (int)v;
		else
			sh->attempt = (unsigned)v;
	} else if (!strcmp(name, "predicted_seconds")) {
		if (prop_number(s->path, name - 6, value, &sh->predicted, err))
			return err->code;
		sh->has_predicted = 1;
	} else if (!strcmp(name, "actual_seconds")) {
		if (prop_number(s->path, name - 6, value, &sh->actual, err))
			return err->code;
		sh->has_actual = 1;
	}
	return 0;
}

static void note_case_file(struct ingest_state *s, const char *file)
{
	struct suite_frame *f;

	if (!s->nframes)
		return;
	f = &s->frames[s->nframes - 1];
	if (!f->cases++ && file)
		strbuf_addstr(&f->file, file);
	else if (!file || strcmp(file, f->file.buf))
		f->mixed = 1;
}

static int on_testcase(void *data, const struct junit_case *c,
		       struct shard_error *err)
{
	struct ingest_state *s = data;
	const struct junit_suite *su = c->suite;
	struct store_result res = { 0 };
	size_t parent = c->name ? identity_go_parent_len(c->name) : 0;
	char *parent_key = NULL;
	int has_file, r, stored;

	strbuf_reset(&s->key);
	strbuf_reset(&s->file);
	identity_case_key(&s->key, c->classname, c->name, c->file,
			  su ? su->file : NULL, su ? su->name : NULL);
	has_file = identity_case_file(&s->file, c->file, su ? su->file : NULL,
				      su ? su->name : NULL);
	note_case_file(s, has_file ? s->file.buf : NULL);
	if (parent)
		parent_key = xstrndup(s->key.buf,
				      s->key.len - (strlen(c->name) - parent));
	res.key = s->key.buf;
	res.file = has_file ? s->file.buf : NULL;
	res.parent_key = parent_key;
	res.outcome = c->outcome;
	res.seconds = c->time;
	res.has_time = c->has_time;
	res.shard = s->has_shard_index ? s->shard.index : -1;
	r = start_run(s, err);
	if (!r && (stored = shard_stored(s, err)) != 0) {
		/* recorded by its shard: once is all */
		s->stats->by_shards += stored > 0;
		free(parent_key);
		return stored > 0 ? 0 : stored;
	}
	if (!r)
		r = record(s, &res, err);
	free(parent_key);
	return r;
}

/* The file a suite stands for: its own attribute or name, else its cases'. */
static const char *suite_file(struct strbuf *tmp, const struct junit_suite *su,
			      const struct suite_frame *f)
{
	strbuf_reset(tmp);
	if (identity_case_file(tmp, NULL, su->file, su->name))
		return tmp->buf;
	if (f->cases && !f->mixed && f->file.len)
		return f->file.buf;
	return NULL;
}

static int on_suite_end(void *data, const struct junit_suite *su,
			double case_seconds, struct shard_error *err)
{
	struct ingest_state *s = data;
	struct suite_frame *f = &s->frames[s->nframes - 1];
	const char *file = suite_file(&s->file, su, f);
	int r = 0;

	if (su->depth == 0)
		s->top_seconds += su->has_time ? su->time : case_seconds;
	if (file && f->cases && su->has_time && su->time >= case_seconds &&
	    !s->stats->already && !(r = shard_stored(s, err)))
		r = store_add_file_overhead(s->st, file,
					    su->time - case_seconds, err);
	else if (r > 0)
		r = 0;
	strbuf_release(&f->file);
	s->nframes--;
	return r;
}

/*
 * A shard of a list whose run already has a shard of that list planned
 * otherwise: the two were planned apart, and cannot be one run's.
 */
static int check_plan(struct ingest_state *s, struct shard_error *err)
{
	const struct store_shard *sh = &s->shard;

	if (!sh->plan_hash || !sh->list_digest)
		return 0;
	for (size_t i = 0; i < s->nknown; i++) {
		const struct known_plan *k = &s->known[i];

		if (strcmp(k->list_digest, sh->list_digest) ||
		    !strcmp(k->plan_hash, sh->plan_hash))
			continue;
		return shard_error_set(err, SHARD_EINPUT,
				       "%s: shard %d of "
				       "run %s was planned as plan %.12s, but "
				       "shard %d of the same list, recorded "
				       "before, as plan %.12s: they were "
				       "planned apart (from different "
				       "histories, or with different options), "
				       "and their tests may be missing or "
				       "doubled; nothing of this file was "
				       "recorded",
				       s->path, sh->index, s->stats->run_key,
				       sh->plan_hash, k->index, k->plan_hash);
	}
	know_plan(s, sh);
	return 0;
}

static int record_shard(struct ingest_state *s, struct shard_error *err)
{
	int r;

	if (!s->has_shard_index || s->stats->already)
		return 0;
	if (!s->shard.has_actual) {
		s->shard.actual = s->top_seconds;
		s->shard.has_actual = 1;
	}
	s->shard.host = s->host[0] ? s->host : NULL;
	s->shard.plan_hash = s->plan_hash[0] ? s->plan_hash : NULL;
	s->shard.list_digest = s->list_digest[0] ? s->list_digest : NULL;
	if (start_run(s, err))
		return err->code ? err->code : 0;
	if (check_plan(s, err))
		return err->code;
	r = shard_stored(s, err);
	if (r < 0 || (!r && store_add_shard(s->st, s->run_id, &s->shard, err)))
		return err->code;
	memset(&s->shard, 0, sizeof(s->shard));
	s->has_shard_index = 0;
	s->shard_is_stored = -1;
	s->host[0] = '\0';
	s->plan_hash[0] = s->list_digest[0] = '\0';
	s->top_seconds = 0;
	return 0;
}

static int ingest_junit(struct ingest_state *s, int fd, struct shard_error *err)
{
	struct junit_handler h = {
		.suite_start = on_suite_start,
		.property = on_property,
		.testcase = on_testcase,
		.suite_end = on_suite_end,
		.data = s,
	};
	struct junit_options jo = { .recover = s->opt->recover };
	int r = junit_read_fd(fd, s->path, &jo, &h, s->ctx, err);

	while (s->nframes)
		strbuf_release(&s->frames[--s->nframes].file);
	if (r)
		return r;
	if (!s->started && (r = start_run(s, err)))
		return r;
	return record_shard(s, err);
}

/* Line of the member's key in the text, or 0 when it cannot be found. */
static unsigned long key_line(const struct strbuf *text, const char *key,
			      size_t len)
{
	struct strbuf q = STRBUF_INIT;
	const char *at;
	unsigned long line = 0;

	strbuf_addch(&q, '"');
	strbuf_add(&q, key, len);
	strbuf_addch(&q, '"');
	at = memmem(text->buf, text->len, q.buf, q.len);
	if (at)
		line = json_line_of(text->buf, (size_t)(at - text->buf));
	strbuf_release(&q);
	return line;
}

struct timing_state {
	struct ingest_state *s;
	const struct strbuf *text;
	struct strbuf id;
};

static int on_timing(void *data, const struct json_member *m,
		     struct shard_error *err)
{
	struct timing_state *t = data;
	struct ingest_state *s = t->s;
	struct store_result res = { 0 };
	const char *id;
	unsigned long line;

	strbuf_reset(&t->id);
	strbuf_add(&t->id, m->key, m->key_len);
	id = t->id.buf;
	if (m->type != JSON_INTEGER && m->type != JSON_REAL) {
		line = key_line(t->text, m->key, m->key_len);
		return shard_error_set(err, SHARD_EINPUT,
				       "%s:%lu: the time of '%s' is not a number",
				       s->path, line, id);
	}
	if (m->number < 0)
		shard_warn(s->ctx,
			   "%s:%lu: negative time %g of '%s' clamped to 0",
			   s->path, key_line(t->text, m->key, m->key_len),
			   m->number, id);
	strbuf_reset(&s->key);
	strbuf_reset(&s->file);
	identity_key(&s->key, id);
	if (identity_kind(id) == IDENTITY_NODEID ||
	    identity_kind(id) == IDENTITY_PATH)
		identity_file_path(&s->file, id);
	res.key = s->key.buf;
	res.file = s->file.len ? s->file.buf : NULL;
	res.seconds = m->number < 0 ? 0 : m->number;
	res.has_time = 1;
	res.shard = -1;
	return record(s, &res, err);
}

static int ingest_timing(struct ingest_state *s, int fd,
			 struct shard_error *err)
{
	struct strbuf text = STRBUF_INIT;
	struct timing_state t = { s, &text, STRBUF_INIT };
	int r;

	r = read_fd_whole(fd, s->path, TIMING_JSON_MAX, &text, err);
	if (!r)
		r = json_each_member(text.buf, text.len, s->path, "$", 1,
				     on_timing, &t, err);
	if (!r && !s->started)
		r = start_run(s, err);
	strbuf_release(&t.id);
	strbuf_release(&text);
	return r;
}

int ingest_sniff(int fd, const char *path, struct ingest_sniff *out,
		 struct shard_error *err)
{
	struct sniff sn = { .d = digest_new(), .first = -1 };
	int r = read_fd_chunks(fd, path, sniff_chunk, &sn, err);

	digest_final_hex(sn.d, out->digest);
	out->first = sn.first;
	out->shard_plans = sn.plans;
	if (r)
		return r;
	if (lseek(fd, 0, SEEK_SET) < 0)
		return shard_error_set(err, SHARD_EENV, "%s: cannot seek: %s",
				       path, strerror(errno));
	if (sn.first < 0)
		return shard_error_set(err, SHARD_EINPUT,
				       "%s:1:1: empty file, neither JUnit XML "
				       "nor timing JSON",
				       path);
	if (sn.first != '<' && sn.first != '{' && sn.first != '[')
		return shard_error_set(err, SHARD_EINPUT,
				       "%s:1:1: neither JUnit XML nor timing "
				       "JSON (starts with '%c')",
				       path, sn.first);
	return 0;
}

struct part_reader {
	struct partition_check *pc;
	const char *path;
};

static int part_suite_start(void *data, const struct junit_suite *su,
			    struct shard_error *err)
{
	struct part_reader *p = data;

	(void)su;
	(void)err;
	partition_check_suite_start(p->pc, p->path);
	return 0;
}

static int part_property(void *data, const struct junit_suite *su,
			 const char *name, const char *value,
			 struct shard_error *err)
{
	struct part_reader *p = data;

	(void)su;
	(void)err;
	partition_check_property(p->pc, name, value);
	return 0;
}

static int part_suite_end(void *data, const struct junit_suite *su,
			  double case_seconds, struct shard_error *err)
{
	struct part_reader *p = data;

	(void)su;
	(void)case_seconds;
	(void)err;
	partition_check_suite_end(p->pc);
	return 0;
}

int ingest_partition(int fd, const char *path, const struct ingest_options *opt,
		     struct partition_check *pc, const struct shard_ctx *ctx,
		     struct shard_error *err)
{
	struct part_reader p = { pc, path };
	struct junit_handler h = {
		.suite_start = part_suite_start,
		.property = part_property,
		.suite_end = part_suite_end,
		.data = &p,
	};
	struct junit_options jo = { .recover = opt->recover };
	int r = junit_read_fd(fd, path, &jo, &h, ctx, err);

	partition_check_suite_end(pc);
	if (!r && lseek(fd, 0, SEEK_SET) < 0)
		r = shard_error_set(err, SHARD_EENV, "%s: cannot seek: %s",
				    path, strerror(errno));
	return r;
}

int ingest_fd(struct store *st, int fd, const char *path,
	      const struct ingest_sniff *sn, const struct ingest_options *opt,
	      const struct shard_ctx *ctx, struct ingest_stats *stats,
	      struct shard_error *err)
{
	struct ingest_state s = { 0 };
	struct ingest_sniff mine;
	int first = 0, r;

	memset(stats, 0, sizeof(*stats));
	s.st = st;
	s.path = path;
	s.shard_is_stored = -1;
	s.opt = opt;
	s.ctx = ctx;
	s.stats = stats;
	strbuf_init(&s.key, 0);
	strbuf_init(&s.file, 0);
	if (!sn && (r = ingest_sniff(fd, path, &mine, err)))
		goto out;
	sn = sn ? sn : &mine;
	memcpy(s.digest, sn->digest, sizeof(s.digest));
	first = sn->first;
	stats->kind = first == '<' ? INGEST_JUNIT : INGEST_TIMING_JSON;
	if ((r = store_begin(st, err)))
		goto out;
	r = first == '<' ? ingest_junit(&s, fd, err)
			 : ingest_timing(&s, fd, err);
	if (r == 0)
		r = store_commit(st, err);
	if (r) {
		struct shard_error ignored = SHARD_ERROR_INIT;

		store_rollback(st, &ignored);
	}
	if (r == INGEST_ALREADY)
		r = 0;
out:
	free(s.frames);
	free(s.known);
	free(s.stored);
	strbuf_release(&s.key);
	strbuf_release(&s.file);
	return r;
}
