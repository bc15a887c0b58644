/*
 * --format text: the report for a terminal, in sections of aligned
 * columns. Names from history are shown as shard/util/quote.h shows them
 * (control bytes, C1 controls and bidirectional overrides escaped), so
 * that a test name cannot move the cursor, change colours or reorder
 * what is around it.
 */
#include "write.h"

#include <string.h>

#include "shard/util/quote.h"
#include "shard/util/banned.h"

static void name(struct strbuf *out, const char *s)
{
	quote_str(out, s);
}

/* Seconds right-aligned in a column of width. */
static void secs(struct strbuf *out, int has, double v, int width)
{
	struct strbuf tmp = STRBUF_INIT;

	if (has)
		report_human_seconds(&tmp, v);
	else
		strbuf_addch(&tmp, '-');
	strbuf_addf(out, "%*s", width, tmp.buf);
	strbuf_release(&tmp);
}

static void header(struct strbuf *out, const struct report *r)
{
	strbuf_addstr(out, "shard report: ");
	report_summary_line(out, r, name, "'", "'");
	strbuf_addch(out, '\n');
}

static void trend(struct strbuf *out, const struct report *r)
{
	strbuf_addstr(out,
		      "\nSuite time and makespan per run, oldest first\n"
		      "  suite time  makespan  shards   tests  failed  run\n");
	for (size_t i = 0; i < r->nruns; i++) {
		const struct report_run *run = &r->runs[i];

		strbuf_addstr(out, "  ");
		secs(out, 1, run->suite_seconds, 10);
		secs(out, run->has_makespan, run->makespan, 10);
		strbuf_addf(out, "  %6d  %6zu  %6zu  ", run->shards, run->tests,
			    run->failed);
		name(out, run->run_key);
		strbuf_addch(out, '\n');
	}
}

static void shards(struct strbuf *out, const struct report *r)
{
	if (!r->nshards) {
		strbuf_addstr(out, "\nThe latest run has no shard figures.\n");
		return;
	}
	strbuf_addstr(out, "\nShards of the latest run: predicted and actual\n"
			   "  shard  predicted    actual  deviation\n");
	for (size_t i = 0; i < r->nshards; i++) {
		const struct report_shard *sh = &r->shards[i];
		struct strbuf dev = STRBUF_INIT;

		report_deviation(&dev, sh);
		strbuf_addf(out, "  %5d ", sh->index);
		secs(out, sh->has_predicted, sh->predicted, 10);
		secs(out, sh->has_actual, sh->actual, 10);
		strbuf_addf(out, "  %9s\n", dev.len ? dev.buf : "-");
		strbuf_release(&dev);
	}
}

static void tests(struct strbuf *out, const struct report_test *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		strbuf_addstr(out, "  ");
		secs(out, 1, t[i].estimate, 10);
		strbuf_addstr(out, "  ");
		name(out, t[i].key);
		strbuf_addch(out, '\n');
	}
}

static void slowest(struct strbuf *out, const struct report *r)
{
	strbuf_addstr(out, "\nSlowest tests (history's estimate)\n");
	tests(out, r->slowest, r->nslowest);
	if (!r->nslowest)
		strbuf_addstr(out, "  none with a time\n");
	strbuf_addstr(out, "\nSlowest files\n");
	for (size_t i = 0; i < r->nfiles; i++) {
		strbuf_addstr(out, "  ");
		secs(out, 1, r->files[i].estimate, 10);
		strbuf_addf(out, "  %6zu tests  ", r->files[i].tests);
		name(out, r->files[i].file);
		strbuf_addch(out, '\n');
	}
	if (!r->nfiles)
		strbuf_addstr(out, "  no test names its file\n");
}

static void bound(struct strbuf *out, const struct report *r)
{
	int listed;

	strbuf_addstr(out, "\nTests that bound the makespan\n  ");
	listed = report_bound_sentences(out, r, "\n  ", "", "");
	strbuf_addch(out, '\n');
	if (listed)
		tests(out, r->bounding, r->nbounding);
}

static void flaky(struct strbuf *out, const struct report *r)
{
	strbuf_addf(out, "\nFlaky tests: %zu\n", r->nflaky);
	for (size_t i = 0; i < r->nflaky; i++) {
		const struct report_flaky *f = &r->flaky[i];

		strbuf_addf(out, "  %s%u flip%s in %u runs (rate %.2f)  ",
			    f->same_commit ? "both outcomes on one commit, "
					   : "",
			    f->flips, f->flips == 1 ? "" : "s", f->observed,
			    f->flip_rate);
		name(out, f->key);
		strbuf_addch(out, '\n');
	}
}

static void list(struct strbuf *out, const char *what, const char *const *k,
		 size_t n)
{
	strbuf_addf(out, "\n%s since the run before: %zu\n", what, n);
	for (size_t i = 0; i < n && i < REPORT_LIST_MAX; i++) {
		strbuf_addstr(out, "  ");
		name(out, k[i]);
		strbuf_addch(out, '\n');
	}
	if (n > REPORT_LIST_MAX)
		strbuf_addf(out, "  ... and %zu more\n", n - REPORT_LIST_MAX);
}

void report_write_text(struct strbuf *out, const struct report *r)
{
	header(out, r);
	if (!r->nruns)
		return;
	trend(out, r);
	shards(out, r);
	slowest(out, r);
	bound(out, r);
	flaky(out, r);
	if (r->nruns > 1) {
		list(out, "Tests added", r->added, r->nadded);
		list(out, "Tests removed", r->removed, r->nremoved);
	}
}
