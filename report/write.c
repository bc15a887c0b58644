/*
 * Format selection and what the writers share.
 */
#include "write.h"

#include <string.h>

#include "shard/util/banned.h"

static const char *const format_names[] = {
	[REPORT_TEXT] = "text",
	[REPORT_MARKDOWN] = "markdown",
	[REPORT_HTML] = "html",
	[REPORT_JSON] = "json",
};

int report_format_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(format_names) / sizeof(*format_names);
	     i++)
		if (!strcmp(name, format_names[i]))
			return (int)i;
	return -1;
}

void report_write(struct strbuf *out, enum report_format f,
		  const struct report *r)
{
	switch (f) {
	case REPORT_TEXT:
		report_write_text(out, r);
		break;
	case REPORT_MARKDOWN:
		report_write_markdown(out, r);
		break;
	case REPORT_HTML:
		report_write_html(out, r);
		break;
	case REPORT_JSON:
		report_write_json(out, r);
		break;
	}
}

void report_human_seconds(struct strbuf *out, double s)
{
	long whole;

	if (s == 0)
		strbuf_addstr(out, "0 s");
	else if (s < 10)
		strbuf_addf(out, "%.2f s", s);
	else if (s < 60)
		strbuf_addf(out, "%.1f s", s);
	else if (!(s < 1e12)) /* absurd, but never an overflowing cast */
		strbuf_addf(out, "%.3g s", s);
	else if ((whole = (long)(s + 0.5)) < 3600)
		strbuf_addf(out, "%ldm %02lds", whole / 60, whole % 60);
	else
		strbuf_addf(out, "%ldh %02ldm", whole / 3600,
			    (whole % 3600) / 60);
}

void report_html_escape(struct strbuf *out, const char *s)
{
	for (; s && *s; s++)
		switch (*s) {
		case '&':
			strbuf_addstr(out, "&amp;");
			break;
		case '<':
			strbuf_addstr(out, "&lt;");
			break;
		case '>':
			strbuf_addstr(out, "&gt;");
			break;
		case '"':
			strbuf_addstr(out, "&quot;");
			break;
		case '\'':
			strbuf_addstr(out, "&#39;");
			break;
		default:
			/* control bytes are not allowed in XML 1.0 text */
			if ((unsigned char)*s < 0x20 && *s != '\t')
				strbuf_addch(out, '?');
			else
				strbuf_addch(out, *s);
		}
}

void report_deviation(struct strbuf *out, const struct report_shard *sh)
{
	if (sh->has_predicted && sh->has_actual && sh->predicted > 0)
		strbuf_addf(out, "%+.0f%%",
			    (sh->actual - sh->predicted) / sh->predicted * 100);
}

void report_summary_line(struct strbuf *out, const struct report *r,
			 report_name_fn *name, const char *cmd_open,
			 const char *cmd_close)
{
	const struct report_run *latest = r->nruns ? &r->runs[r->nruns - 1]
						   : NULL;

	strbuf_addf(out, "%zu run%s (last %u asked for)", r->nruns,
		    r->nruns == 1 ? "" : "s", r->last);
	if (!latest) {
		strbuf_addf(out,
			    ". No runs recorded yet: ingest JUnit reports "
			    "with %sshard ingest%s.",
			    cmd_open, cmd_close);
		return;
	}
	strbuf_addstr(out, "; latest run ");
	name(out, latest->run_key);
	if (latest->commit) {
		strbuf_addstr(out, " at ");
		name(out, latest->commit);
	}
	if (latest->branch) {
		strbuf_addstr(out, " on ");
		name(out, latest->branch);
	}
	strbuf_addf(out, ": %zu tests, %zu failed.", latest->tests,
		    latest->failed);
}

int report_bound_sentences(struct strbuf *out, const struct report *r,
			   const char *sep, const char *em, const char *unem)
{
	int one = r->nbounding == 1;

	if (r->bound_shards <= 0) {
		strbuf_addstr(out, "Unknown: the latest run has no shard "
				   "count.");
		return 0;
	}
	strbuf_addf(out, "At %d shards an even share is ", r->bound_shards);
	report_human_seconds(out, r->bound_share);
	strbuf_addstr(out, " (of ");
	report_human_seconds(out, r->bound_total);
	if (!r->nbounding) {
		strbuf_addstr(out, "); no single test takes longer.");
		return 0;
	}
	strbuf_addf(out,
		    ").%s%s%zu test%s take%s longer: no shard count can "
		    "bring the makespan below ",
		    sep, em, r->nbounding, one ? "" : "s", one ? "s" : "");
	report_human_seconds(out, r->bounding[0].estimate);
	strbuf_addf(out, ".%s%sSplit %s into smaller tests.", unem, sep,
		    one ? "it" : "them");
	return 1;
}
