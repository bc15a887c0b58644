/*
 * --format html: one self-contained page (inline CSS, inline SVG, no
 * script, no external asset; a Content-Security-Policy of default-src
 * 'none' makes the browser refuse any that crept in). Three charts: the
 * latest run's shards as a Gantt chart (predicted against actual), suite
 * time and makespan per run, and the slowest tests as bars. Each mark
 * carries its figure in a data-value attribute, printed exactly as the
 * JSON prints it, and a <title> for people (a tooltip). Charts are drawn
 * in a 1000-unit wide viewBox that scales to the page, whose column is at
 * most 1040 px wide: readable on a laptop screen.
 */
#include "write.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "shard/util/quote.h"
#include "shard/util/banned.h"

#define CHART_W 1000.0
#define RIGHT_PAD 40.0
#define TICKS 5
#define LABEL_CHARS 48 /* a test name in a chart keeps its last ones */

#define C_PREDICTED "#a0cbe8"
#define C_ACTUAL "#4e79a7"
#define C_MAKESPAN "#f28e2b"
#define C_SLOW "#59a14f"
#define C_BOUND "#e15759"

/* Data [0, max] drawn on [from, to]. */
struct scale {
	double max, from, to;
};

static const char style[] =
	"body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;"
	"margin:0;background:#f7f7f5;color:#222}"
	"main{max-width:1040px;margin:0 auto;padding:16px 20px 40px}"
	"h1{font-size:22px;margin:8px 0 4px}h2{font-size:17px;margin:0 0 8px}"
	"section{background:#fff;border:1px solid #ddd;border-radius:6px;"
	"padding:14px 16px;margin:14px 0}"
	".meta{color:#555;margin:0}.note{color:#444}"
	"svg{width:100%;height:auto;display:block}"
	"svg text{font:12px system-ui,sans-serif;fill:#333}"
	"svg .grid{stroke:#e3e3e3}svg line.share{stroke:#e15759;"
	"stroke-dasharray:5 4}svg text.share{fill:#e15759}"
	"table{border-collapse:collapse;width:100%;margin-top:8px}"
	"td,th{padding:3px 8px;border-bottom:1px solid #eee;text-align:left;"
	"vertical-align:top}td.n,th.n{text-align:right;white-space:nowrap;"
	"width:1%}"
	"td.k{word-break:break-all;font-family:ui-monospace,monospace;"
	"font-size:12.5px}"
	".legend span{display:inline-block;width:12px;height:12px;"
	"margin:0 4px 0 14px;vertical-align:-1px;border-radius:2px}";

/* A name from history: what no reader may obey escaped, then HTML's. */
static void esc(struct strbuf *out, const char *s)
{
	struct strbuf shown = STRBUF_INIT;

	quote_str(&shown, s);
	report_html_escape(out, shown.buf);
	strbuf_release(&shown);
}

/* The last LABEL_CHARS characters of s (whole UTF-8 sequences), escaped. */
static void clipped(struct strbuf *out, const char *s)
{
	size_t len = strlen(s), chars = 0, start = len;

	while (start > 0 && chars < LABEL_CHARS) {
		start--;
		if (((unsigned char)s[start] & 0xc0) != 0x80)
			chars++;
	}
	if (start > 0)
		strbuf_addstr(out, "\xe2\x80\xa6"); /* an ellipsis */
	esc(out, s + start);
}

static double nice_max(double v)
{
	static const double steps[] = { 1, 2, 2.5, 5, 10 };
	double p;

	if (!(v > 0))
		return 1;
	p = pow(10, floor(log10(v)));
	for (size_t i = 0; i < sizeof(steps) / sizeof(*steps); i++)
		if (steps[i] * p >= v * 1.0000001)
			return steps[i] * p;
	return 10 * p;
}

static double at(const struct scale *s, double v)
{
	return s->from + (s->to - s->from) * (v / s->max);
}

static void human(struct strbuf *out, double v)
{
	report_human_seconds(out, v);
}

/* Vertical grid lines with labels under them, from y0 to y1. */
static void grid_x(struct strbuf *out, const struct scale *s, double y0,
		   double y1)
{
	for (int i = 0; i <= TICKS; i++) {
		double v = s->max * i / TICKS, x = at(s, v);

		strbuf_addf(out,
			    "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" "
			    "x2=\"%.1f\" y2=\"%.1f\"/><text x=\"%.1f\" "
			    "y=\"%.1f\" text-anchor=\"middle\">",
			    x, y0, x, y1, x, y1 + 15);
		human(out, v);
		strbuf_addstr(out, "</text>");
	}
}

/* Horizontal grid lines with labels to their left, from x0 to x1. */
static void grid_y(struct strbuf *out, const struct scale *s, double x0,
		   double x1)
{
	for (int i = 0; i <= TICKS; i++) {
		double v = s->max * i / TICKS, y = at(s, v);

		strbuf_addf(out,
			    "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" "
			    "x2=\"%.1f\" y2=\"%.1f\"/><text x=\"%.1f\" "
			    "y=\"%.1f\" text-anchor=\"end\">",
			    x0, y, x1, y, x0 - 6, y + 4);
		human(out, v);
		strbuf_addstr(out, "</text>");
	}
}

static void svg_open(struct strbuf *out, const char *chart, double height,
		     const char *label)
{
	strbuf_addf(out,
		    "<svg data-chart=\"%s\" viewBox=\"0 0 %.0f %.0f\" "
		    "role=\"img\" aria-label=\"%s\" "
		    "xmlns=\"http://www.w3.org/2000/svg\">",
		    chart, CHART_W, height, label);
}

/*
 * One bar carrying its figure as data-value; the caller writes its tooltip
 * text and closes it with bar_close().
 */
static void bar(struct strbuf *out, const struct scale *s, double y, double h,
		const char *fill, const char *attrs, double v)
{
	strbuf_addf(out,
		    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.2f\" "
		    "height=\"%.1f\" fill=\"%s\" %s data-value=\"%.6f\">"
		    "<title>",
		    s->from, y, at(s, v) - s->from, h, fill, attrs, v);
}

static void bar_close(struct strbuf *out, double v)
{
	strbuf_addstr(out, ": ");
	human(out, v);
	strbuf_addstr(out, "</title></rect>");
}

static double shards_max(const struct report *r)
{
	double m = 0;

	for (size_t i = 0; i < r->nshards; i++) {
		const struct report_shard *sh = &r->shards[i];

		if (sh->has_predicted && sh->predicted > m)
			m = sh->predicted;
		if (sh->has_actual && sh->actual > m)
			m = sh->actual;
	}
	return m;
}

static void gantt_bar(struct strbuf *out, const struct scale *s,
		      const struct report_shard *sh, int actual, double y,
		      double h)
{
	const char *name = actual ? "actual" : "predicted";
	double v = actual ? sh->actual : sh->predicted;
	char attrs[64];

	snprintf(attrs, sizeof(attrs), "data-shard=\"%d\" data-series=\"%s\"",
		 sh->index, name);
	bar(out, s, y, h, actual ? C_ACTUAL : C_PREDICTED, attrs, v);
	strbuf_addf(out, "shard %d %s", sh->index, name);
	bar_close(out, v);
}

static void gantt_row(struct strbuf *out, const struct scale *s,
		      const struct report_shard *sh, double y, double row)
{
	strbuf_addf(out,
		    "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">"
		    "shard %d</text>",
		    s->from - 8, y + row * 0.62, sh->index);
	if (sh->has_predicted)
		gantt_bar(out, s, sh, 0, y + row * 0.1, row * 0.35);
	if (sh->has_actual)
		gantt_bar(out, s, sh, 1, y + row * 0.45, row * 0.45);
}

static void gantt(struct strbuf *out, const struct report *r)
{
	double row = r->nshards <= 24 ? 30 : 720.0 / (double)r->nshards;
	double top = 10, height = top + row * (double)r->nshards + 30;
	struct scale s = { nice_max(shards_max(r)), 90, CHART_W - RIGHT_PAD };

	strbuf_addstr(out, "<section><h2>Shards of the latest run</h2>");
	if (!r->nshards) {
		strbuf_addstr(out, "<p class=\"note\">The latest run has no "
				   "shard figures.</p></section>");
		return;
	}
	strbuf_addstr(out,
		      "<p class=\"legend\">Each shard's time from "
		      "start:<span style=\"background:" C_PREDICTED
		      "\"></span>predicted<span style=\"background:" C_ACTUAL
		      "\"></span>actual</p>");
	svg_open(out, "gantt", height, "shards of the latest run");
	grid_x(out, &s, top, height - 25);
	for (size_t i = 0; i < r->nshards; i++)
		gantt_row(out, &s, &r->shards[i], top + row * (double)i, row);
	strbuf_addstr(out, "</svg></section>");
}

static double runs_max(const struct report *r)
{
	double m = 0;

	for (size_t i = 0; i < r->nruns; i++) {
		if (r->runs[i].suite_seconds > m)
			m = r->runs[i].suite_seconds;
		if (r->runs[i].has_makespan && r->runs[i].makespan > m)
			m = r->runs[i].makespan;
	}
	return m;
}

static double run_x(const struct report *r, size_t i)
{
	double x0 = 100, x1 = CHART_W - RIGHT_PAD;

	if (r->nruns == 1)
		return (x0 + x1) / 2;
	return x0 + (x1 - x0) * (double)i / (double)(r->nruns - 1);
}

static int has_point(const struct report_run *run, int makespan)
{
	return !makespan || run->has_makespan;
}

static double point(const struct report_run *run, int makespan)
{
	return makespan ? run->makespan : run->suite_seconds;
}

/* One series of the trend: a line through points carrying the figures. */
static void series(struct strbuf *out, const struct report *r,
		   const struct scale *s, int makespan)
{
	const char *color = makespan ? C_MAKESPAN : C_ACTUAL;
	const char *sep = "";

	strbuf_addf(out,
		    "<polyline fill=\"none\" stroke=\"%s\" "
		    "stroke-width=\"2.5\" points=\"",
		    color);
	for (size_t i = 0; i < r->nruns; i++)
		if (has_point(&r->runs[i], makespan)) {
			strbuf_addf(out, "%s%.1f,%.1f", sep, run_x(r, i),
				    at(s, point(&r->runs[i], makespan)));
			sep = " ";
		}
	strbuf_addstr(out, "\"/>");
	for (size_t i = 0; i < r->nruns; i++) {
		const struct report_run *run = &r->runs[i];
		double v = point(run, makespan);

		if (!has_point(run, makespan))
			continue;
		strbuf_addf(out,
			    "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4.5\" "
			    "fill=\"%s\" data-series=\"%s\" data-run=\"%zu\" "
			    "data-value=\"%.6f\"><title>",
			    run_x(r, i), at(s, v), color,
			    makespan ? "makespan" : "suite", i, v);
		esc(out, run->run_key);
		strbuf_addf(out, ": %s ", makespan ? "makespan" : "suite time");
		human(out, v);
		strbuf_addstr(out, "</title></circle>");
	}
}

static void run_labels(struct strbuf *out, const struct report *r, double y)
{
	size_t every = r->nruns / 12 + 1;

	for (size_t i = 0; i < r->nruns; i += every) {
		strbuf_addf(out,
			    "<text x=\"%.1f\" y=\"%.1f\" "
			    "text-anchor=\"middle\">",
			    run_x(r, i), y);
		clipped(out, r->runs[i].run_key);
		strbuf_addstr(out, "</text>");
	}
}

static int any_makespan(const struct report *r)
{
	for (size_t i = 0; i < r->nruns; i++)
		if (r->runs[i].has_makespan)
			return 1;
	return 0;
}

static void trend(struct strbuf *out, const struct report *r)
{
	double height = 300;
	struct scale s = { nice_max(runs_max(r)), height - 40, 14 };

	strbuf_addstr(out, "<section><h2>Suite time and makespan per run</h2>"
			   "<p class=\"legend\">Oldest run first:<span "
			   "style=\"background:" C_ACTUAL "\"></span>suite "
			   "time (all tests' time added up)<span "
			   "style=\"background:" C_MAKESPAN "\"></span>"
			   "makespan (the longest shard)</p>");
	svg_open(out, "trend", height, "suite time and makespan per run");
	grid_y(out, &s, 100, CHART_W - RIGHT_PAD);
	series(out, r, &s, 0);
	if (any_makespan(r))
		series(out, r, &s, 1);
	run_labels(out, r, height - 18);
	strbuf_addstr(out, "</svg></section>");
}

static int is_bounding(const struct report *r, const struct report_test *t)
{
	return r->bound_shards > 0 && t->estimate > r->bound_share;
}

static void slowest_row(struct strbuf *out, const struct report *r,
			const struct scale *s, size_t i, double y)
{
	const struct report_test *t = &r->slowest[i];
	char attrs[48];

	strbuf_addf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">",
		    s->from - 8, y + 16);
	clipped(out, t->key);
	strbuf_addstr(out, "</text>");
	snprintf(attrs, sizeof(attrs), "data-test=\"%zu\"", i);
	bar(out, s, y + 4, 16, is_bounding(r, t) ? C_BOUND : C_SLOW, attrs,
	    t->estimate);
	esc(out, t->key);
	bar_close(out, t->estimate);
}

static void slowest(struct strbuf *out, const struct report *r)
{
	double row = 24, top = 8;
	double height = top + row * (double)r->nslowest + 30;
	double max = r->nslowest ? r->slowest[0].estimate : 0;
	struct scale s = { 0, 380, CHART_W - RIGHT_PAD };

	if (r->bound_shards > 0 && r->bound_share > max)
		max = r->bound_share;
	s.max = nice_max(max);
	strbuf_addstr(out, "<section><h2>Slowest tests</h2>");
	if (!r->nslowest) {
		strbuf_addstr(out, "<p class=\"note\">No test has a time "
				   "yet.</p></section>");
		return;
	}
	strbuf_addstr(out, "<p class=\"legend\">History's estimate per test:"
			   "<span style=\"background:" C_SLOW "\"></span>"
			   "fits an even share<span style=\"background:" C_BOUND
			   "\"></span>longer than an even share: "
			   "bounds the makespan</p>");
	svg_open(out, "slowest", height, "slowest tests");
	grid_x(out, &s, top, height - 25);
	if (r->bound_shards > 0)
		strbuf_addf(out,
			    "<line class=\"share\" x1=\"%.1f\" y1=\"%.1f\" "
			    "x2=\"%.1f\" y2=\"%.1f\"/>",
			    at(&s, r->bound_share), top, at(&s, r->bound_share),
			    height - 25);
	for (size_t i = 0; i < r->nslowest; i++)
		slowest_row(out, r, &s, i, top + row * (double)i);
	if (r->bound_shards > 0) {
		strbuf_addf(out,
			    "<text x=\"%.1f\" y=\"%.1f\" "
			    "class=\"share\">even share at %d shards: ",
			    at(&s, r->bound_share) + 4,
			    top + row * (double)r->nslowest - 4,
			    r->bound_shards);
		human(out, r->bound_share);
		strbuf_addstr(out, "</text>");
	}
	strbuf_addstr(out, "</svg></section>");
}

static void th(struct strbuf *out, const char *const *cols)
{
	strbuf_addstr(out, "<table><tr>");
	for (; *cols; cols++)
		strbuf_addf(out, "<th%s>%s</th>",
			    **cols == '#' ? " class=\"n\"" : "",
			    **cols == '#' ? *cols + 1 : *cols);
	strbuf_addstr(out, "</tr>");
}

static void td_secs(struct strbuf *out, int has, double v)
{
	strbuf_addstr(out, "<td class=\"n\">");
	if (has)
		human(out, v);
	else
		strbuf_addch(out, '-');
	strbuf_addstr(out, "</td>");
}

static void td_key(struct strbuf *out, const char *key)
{
	strbuf_addstr(out, "<td class=\"k\">");
	esc(out, key);
	strbuf_addstr(out, "</td>");
}

static void bound(struct strbuf *out, const struct report *r)
{
	static const char *const cols[] = { "#estimate", "test", NULL };

	strbuf_addstr(out, "<section><h2>Tests that bound the makespan</h2>"
			   "<p>");
	if (!report_bound_sentences(out, r, " ", "<strong>", "</strong>")) {
		strbuf_addstr(out, "</p></section>");
		return;
	}
	strbuf_addstr(out, "</p>");
	th(out, cols);
	for (size_t i = 0; i < r->nbounding; i++) {
		strbuf_addstr(out, "<tr>");
		td_secs(out, 1, r->bounding[i].estimate);
		td_key(out, r->bounding[i].key);
		strbuf_addstr(out, "</tr>");
	}
	strbuf_addstr(out, "</table></section>");
}

static void files(struct strbuf *out, const struct report *r)
{
	static const char *const cols[] = { "#estimate", "#tests", "file",
					    NULL };

	strbuf_addstr(out, "<section><h2>Slowest files</h2>");
	if (!r->nfiles) {
		strbuf_addstr(out, "<p class=\"note\">No test names its "
				   "file.</p></section>");
		return;
	}
	th(out, cols);
	for (size_t i = 0; i < r->nfiles; i++) {
		strbuf_addstr(out, "<tr>");
		td_secs(out, 1, r->files[i].estimate);
		strbuf_addf(out, "<td class=\"n\">%zu</td>", r->files[i].tests);
		td_key(out, r->files[i].file);
		strbuf_addstr(out, "</tr>");
	}
	strbuf_addstr(out, "</table></section>");
}

static void flaky(struct strbuf *out, const struct report *r)
{
	static const char *const cols[] = { "test",  "same commit", "#flips",
					    "#runs", "#rate",       NULL };

	strbuf_addf(out, "<section><h2>Flaky tests: %zu</h2>", r->nflaky);
	if (!r->nflaky) {
		strbuf_addstr(out, "</section>");
		return;
	}
	th(out, cols);
	for (size_t i = 0; i < r->nflaky; i++) {
		const struct report_flaky *f = &r->flaky[i];

		strbuf_addstr(out, "<tr>");
		td_key(out, f->key);
		strbuf_addf(out,
			    "<td>%s</td><td class=\"n\">%u</td>"
			    "<td class=\"n\">%u</td><td class=\"n\">%.2f"
			    "</td></tr>",
			    f->same_commit ? "passed and failed" : "", f->flips,
			    f->observed, f->flip_rate);
	}
	strbuf_addstr(out, "</table></section>");
}

static void list(struct strbuf *out, const char *what, const char *const *k,
		 size_t n)
{
	strbuf_addf(out, "<section><h2>%s since the run before: %zu</h2>", what,
		    n);
	if (n)
		strbuf_addstr(out, "<table>");
	for (size_t i = 0; i < n && i < REPORT_LIST_MAX; i++) {
		strbuf_addstr(out, "<tr>");
		td_key(out, k[i]);
		strbuf_addstr(out, "</tr>");
	}
	if (n > REPORT_LIST_MAX)
		strbuf_addf(out, "<tr><td>and %zu more</td></tr>",
			    n - REPORT_LIST_MAX);
	strbuf_addstr(out, n ? "</table></section>" : "</section>");
}

static void header(struct strbuf *out, const struct report *r)
{
	strbuf_addstr(out, "<h1>shard report</h1><p class=\"meta\">");
	report_summary_line(out, r, esc, "<code>", "</code>");
	strbuf_addstr(out, "</p>");
}

void report_write_html(struct strbuf *out, const struct report *r)
{
	strbuf_addf(out,
		    "<!DOCTYPE html>\n<html lang=\"en\"><head>"
		    "<meta charset=\"utf-8\">"
		    "<meta http-equiv=\"Content-Security-Policy\" "
		    "content=\"default-src 'none'; style-src "
		    "'unsafe-inline'\">"
		    "<meta name=\"viewport\" content=\"width=device-width,"
		    "initial-scale=1\"><title>shard report</title>"
		    "<style>%s</style></head>\n<body><main>",
		    style);
	header(out, r);
	if (r->nruns) {
		gantt(out, r);
		trend(out, r);
		slowest(out, r);
		bound(out, r);
		files(out, r);
		flaky(out, r);
	}
	if (r->nruns > 1) {
		list(out, "Tests added", r->added, r->nadded);
		list(out, "Tests removed", r->removed, r->nremoved);
	}
	strbuf_addstr(out, "</main></body></html>\n");
}
