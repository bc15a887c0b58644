/*
 * --format json: the report for machines (its schema is in README.md).
 * Seconds are printed with six decimals, as in plans, and the HTML page's
 * charts carry the same strings, so a test can compare them exactly.
 * (Named json_out.c: a second json.o would replace shard/json.o in the
 * library archive.)
 */
#include "write.h"

#include <string.h>

#include "shard/plan/planfile.h"
#include "shard/util/json.h"
#include "shard/util/banned.h"

static void str_or_null(struct strbuf *out, const char *s)
{
	if (s)
		json_add_string(out, s, strlen(s));
	else
		strbuf_addstr(out, "null");
}

static void num_or_null(struct strbuf *out, int has, double v)
{
	if (has)
		strbuf_addf(out, "%.6f", v);
	else
		strbuf_addstr(out, "null");
}

static void runs(struct strbuf *out, const struct report *r)
{
	strbuf_addstr(out, "\"runs\":[");
	for (size_t i = 0; i < r->nruns; i++) {
		const struct report_run *run = &r->runs[i];

		strbuf_addstr(out, i ? ",\n{\"run_key\":" : "\n{\"run_key\":");
		str_or_null(out, run->run_key);
		strbuf_addf(out, ",\"started_at\":%.6f,\"commit\":",
			    run->started_at);
		str_or_null(out, run->commit);
		strbuf_addstr(out, ",\"branch\":");
		str_or_null(out, run->branch);
		strbuf_addf(out,
			    ",\"tests\":%zu,\"failed\":%zu,"
			    "\"suite_seconds\":%.6f,\"makespan_seconds\":",
			    run->tests, run->failed, run->suite_seconds);
		num_or_null(out, run->has_makespan, run->makespan);
		strbuf_addf(out, ",\"shards\":%d}", run->shards);
	}
	strbuf_addstr(out, "]");
}

static void shards(struct strbuf *out, const struct report *r)
{
	strbuf_addstr(out, ",\n\"latest_shards\":[");
	for (size_t i = 0; i < r->nshards; i++) {
		const struct report_shard *sh = &r->shards[i];

		strbuf_addf(out,
			    "%s\n{\"index\":%d,\"total\":%d,"
			    "\"predicted_seconds\":",
			    i ? "," : "", sh->index, sh->total);
		num_or_null(out, sh->has_predicted, sh->predicted);
		strbuf_addstr(out, ",\"actual_seconds\":");
		num_or_null(out, sh->has_actual, sh->actual);
		strbuf_addstr(out, ",\"host\":");
		str_or_null(out, sh->host);
		strbuf_addf(out, ",\"attempt\":%u}", sh->attempt);
	}
	strbuf_addstr(out, "]");
}

static void tests(struct strbuf *out, const char *name,
		  const struct report_test *t, size_t n)
{
	strbuf_addf(out, ",\n\"%s\":[", name);
	for (size_t i = 0; i < n; i++) {
		strbuf_addstr(out, i ? ",\n{\"key\":" : "\n{\"key\":");
		str_or_null(out, t[i].key);
		strbuf_addstr(out, ",\"file\":");
		str_or_null(out, t[i].file);
		strbuf_addf(out,
			    ",\"estimate_seconds\":%.6f,"
			    "\"latest_seconds\":",
			    t[i].estimate);
		num_or_null(out, t[i].has_latest, t[i].latest);
		strbuf_addch(out, '}');
	}
	strbuf_addstr(out, "]");
}

static void files(struct strbuf *out, const struct report *r)
{
	strbuf_addstr(out, ",\n\"slowest_files\":[");
	for (size_t i = 0; i < r->nfiles; i++) {
		strbuf_addstr(out, i ? ",\n{\"file\":" : "\n{\"file\":");
		str_or_null(out, r->files[i].file);
		strbuf_addf(out, ",\"estimate_seconds\":%.6f,\"tests\":%zu}",
			    r->files[i].estimate, r->files[i].tests);
	}
	strbuf_addstr(out, "]");
}

static void bound(struct strbuf *out, const struct report *r)
{
	strbuf_addf(out,
		    ",\n\"makespan_bound\":{\"shards\":%d,"
		    "\"total_seconds\":%.6f,\"share_seconds\":",
		    r->bound_shards, r->bound_total);
	num_or_null(out, r->bound_shards > 0, r->bound_share);
	tests(out, "tests", r->bounding, r->nbounding);
	strbuf_addch(out, '}');
}

static void flaky(struct strbuf *out, const struct report *r)
{
	strbuf_addstr(out, ",\n\"flaky_tests\":[");
	for (size_t i = 0; i < r->nflaky; i++) {
		const struct report_flaky *f = &r->flaky[i];

		strbuf_addstr(out, i ? ",\n{\"key\":" : "\n{\"key\":");
		str_or_null(out, f->key);
		strbuf_addf(out,
			    ",\"same_commit\":%s,\"flips\":%u,"
			    "\"observed_runs\":%u,\"flip_rate\":%.6f}",
			    f->same_commit ? "true" : "false", f->flips,
			    f->observed, f->flip_rate);
	}
	strbuf_addstr(out, "]");
}

static void keys(struct strbuf *out, const char *name, const char *const *k,
		 size_t n)
{
	strbuf_addf(out, ",\n\"%s\":[", name);
	for (size_t i = 0; i < n; i++) {
		strbuf_addstr(out, i ? ",\n" : "\n");
		str_or_null(out, k[i]);
	}
	strbuf_addstr(out, "]");
}

void report_write_json(struct strbuf *out, const struct report *r)
{
	strbuf_addf(out,
		    "{\"version\":1,\"generated_at\":%.6f,"
		    "\"last\":%u,\n",
		    r->generated_at, r->last);
	runs(out, r);
	shards(out, r);
	tests(out, "slowest_tests", r->slowest, r->nslowest);
	files(out, r);
	bound(out, r);
	flaky(out, r);
	keys(out, "added_tests", r->added, r->nadded);
	keys(out, "removed_tests", r->removed, r->nremoved);
	strbuf_addstr(out, "}\n");
}
