/*
 * --format markdown: for $GITHUB_STEP_SUMMARY. GitHub renders the shards
 * of the latest run as a mermaid Gantt chart (times in milliseconds from
 * zero, dateFormat x); the rest are tables. Names from history are escaped
 * for Markdown (backslashes before its punctuation) and for the HTML that
 * GitHub's renderer accepts inside it (character references).
 */
#include "write.h"

#include <string.h>

#include "shard/util/quote.h"
#include "shard/util/banned.h"

static void md(struct strbuf *out, const char *name)
{
	struct strbuf shown = STRBUF_INIT;
	const char *s;

	/* first what no reader may obey, then Markdown's punctuation */
	quote_str(&shown, name);
	for (s = shown.buf; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '<' || c == '>' || c == '&' || c == '"' || c == '\'') {
			char one[2] = { (char)c, 0 };

			report_html_escape(out, one);
		} else if (strchr("\\`*_[]()#|~!{}+-.", c))
			strbuf_addf(out, "\\%c", c);
		else
			strbuf_addch(out, c);
	}
	strbuf_release(&shown);
}

static void secs(struct strbuf *out, int has, double v)
{
	if (has)
		report_human_seconds(out, v);
	else
		strbuf_addch(out, '-');
}

static void header(struct strbuf *out, const struct report *r)
{
	strbuf_addstr(out, "## shard report\n\n");
	report_summary_line(out, r, md, "`", "`");
	strbuf_addch(out, '\n');
}

static void gantt(struct strbuf *out, const struct report *r)
{
	strbuf_addstr(out, "\n```mermaid\ngantt\n"
			   "    title Shards of the latest run\n"
			   "    dateFormat x\n    axisFormat %M:%S\n");
	for (size_t i = 0; i < r->nshards; i++) {
		const struct report_shard *sh = &r->shards[i];

		strbuf_addf(out, "    section shard %d\n", sh->index);
		if (sh->has_predicted) {
			strbuf_addstr(out, "    predicted ");
			report_human_seconds(out, sh->predicted);
			strbuf_addf(out, " :p%d, 0, %.0f\n", sh->index,
				    sh->predicted * 1000);
		}
		if (sh->has_actual) {
			strbuf_addstr(out, "    actual ");
			report_human_seconds(out, sh->actual);
			strbuf_addf(out, " :a%d, 0, %.0f\n", sh->index,
				    sh->actual * 1000);
		}
	}
	strbuf_addstr(out, "```\n");
}

static void shards(struct strbuf *out, const struct report *r)
{
	strbuf_addstr(out, "\n### Shards of the latest run\n");
	if (!r->nshards) {
		strbuf_addstr(out, "\nThe latest run has no shard figures.\n");
		return;
	}
	gantt(out, r);
	strbuf_addstr(out, "\n| shard | predicted | actual | deviation |\n"
			   "|---:|---:|---:|---:|\n");
	for (size_t i = 0; i < r->nshards; i++) {
		const struct report_shard *sh = &r->shards[i];

		strbuf_addf(out, "| %d | ", sh->index);
		secs(out, sh->has_predicted, sh->predicted);
		strbuf_addstr(out, " | ");
		secs(out, sh->has_actual, sh->actual);
		strbuf_addstr(out, " | ");
		report_deviation(out, sh);
		strbuf_addstr(out, " |\n");
	}
}

static void trend(struct strbuf *out, const struct report *r)
{
	strbuf_addstr(out, "\n### Suite time and makespan per run\n\n"
			   "| run | suite time | makespan | shards | tests "
			   "| failed |\n|---|---:|---:|---:|---:|---:|\n");
	for (size_t i = 0; i < r->nruns; i++) {
		const struct report_run *run = &r->runs[i];

		strbuf_addstr(out, "| ");
		md(out, run->run_key);
		strbuf_addstr(out, " | ");
		secs(out, 1, run->suite_seconds);
		strbuf_addstr(out, " | ");
		secs(out, run->has_makespan, run->makespan);
		strbuf_addf(out, " | %d | %zu | %zu |\n", run->shards,
			    run->tests, run->failed);
	}
}

static void tests(struct strbuf *out, const struct report_test *t, size_t n)
{
	strbuf_addstr(out, "\n| estimate | test |\n|---:|---|\n");
	for (size_t i = 0; i < n; i++) {
		strbuf_addstr(out, "| ");
		secs(out, 1, t[i].estimate);
		strbuf_addstr(out, " | ");
		md(out, t[i].key);
		strbuf_addstr(out, " |\n");
	}
}

static void slowest(struct strbuf *out, const struct report *r)
{
	strbuf_addstr(out, "\n### Slowest tests\n");
	tests(out, r->slowest, r->nslowest);
	strbuf_addstr(out,
		      "\n### Slowest files\n\n| estimate | tests | file |\n"
		      "|---:|---:|---|\n");
	for (size_t i = 0; i < r->nfiles; i++) {
		strbuf_addstr(out, "| ");
		secs(out, 1, r->files[i].estimate);
		strbuf_addf(out, " | %zu | ", r->files[i].tests);
		md(out, r->files[i].file);
		strbuf_addstr(out, " |\n");
	}
}

static void bound(struct strbuf *out, const struct report *r)
{
	int listed;

	strbuf_addstr(out, "\n### Tests that bound the makespan\n\n");
	listed = report_bound_sentences(out, r, " ", "**", "**");
	strbuf_addch(out, '\n');
	if (listed)
		tests(out, r->bounding, r->nbounding);
}

static void flaky(struct strbuf *out, const struct report *r)
{
	strbuf_addf(out, "\n### Flaky tests: %zu\n", r->nflaky);
	if (!r->nflaky)
		return;
	strbuf_addstr(out, "\n| test | same commit | flips | runs | rate |\n"
			   "|---|---|---:|---:|---:|\n");
	for (size_t i = 0; i < r->nflaky; i++) {
		const struct report_flaky *f = &r->flaky[i];

		strbuf_addstr(out, "| ");
		md(out, f->key);
		strbuf_addf(out, " | %s | %u | %u | %.2f |\n",
			    f->same_commit ? "both outcomes" : "", f->flips,
			    f->observed, f->flip_rate);
	}
}

static void list(struct strbuf *out, const char *what, const char *const *k,
		 size_t n)
{
	strbuf_addf(out,
		    "\n<details><summary>%s since the run before: %zu"
		    "</summary>\n\n",
		    what, n);
	for (size_t i = 0; i < n && i < REPORT_LIST_MAX; i++) {
		strbuf_addstr(out, "- ");
		md(out, k[i]);
		strbuf_addch(out, '\n');
	}
	if (n > REPORT_LIST_MAX)
		strbuf_addf(out, "- and %zu more\n", n - REPORT_LIST_MAX);
	strbuf_addstr(out, "\n</details>\n");
}

void report_write_markdown(struct strbuf *out, const struct report *r)
{
	header(out, r);
	if (!r->nruns)
		return;
	shards(out, r);
	trend(out, r);
	slowest(out, r);
	bound(out, r);
	flaky(out, r);
	if (r->nruns > 1) {
		list(out, "Tests added", r->added, r->nadded);
		list(out, "Tests removed", r->removed, r->nremoved);
	}
}
