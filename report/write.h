/*
 * Writing a report (report/model.h) in one of its formats, into a buffer
 * that cmd/ writes out whole or not at all. One file per format; the
 * helpers they share live in write.c. Everything that comes from history
 * (run ids, commits, test names, hosts) is escaped for its format.
 */
#ifndef REPORT_WRITE_H
#define REPORT_WRITE_H

#include "model.h"
#include "shard/util/strbuf.h"

enum report_format {
	REPORT_TEXT,
	REPORT_MARKDOWN,
	REPORT_HTML,
	REPORT_JSON,
};

/* Lists of names longer than this are cut in text, Markdown and HTML. */
#define REPORT_LIST_MAX 20

/* The format named name ("text", "markdown", "html", "json"), or -1. */
int report_format_parse(const char *name);
/* Append r in format f to out. */
void report_write(struct strbuf *out, enum report_format f,
		  const struct report *r);

void report_write_text(struct strbuf *out, const struct report *r);
void report_write_markdown(struct strbuf *out, const struct report *r);
void report_write_html(struct strbuf *out, const struct report *r);
/* The schema is documented in README.md (`shard report`). */
void report_write_json(struct strbuf *out, const struct report *r);

/* Seconds for people: "0.42 s", "12.5 s", "3m 05s", "1h 02m". */
void report_human_seconds(struct strbuf *out, double seconds);
/* s with & < > " ' as HTML character references (also valid in XML). */
void report_html_escape(struct strbuf *out, const char *s);
/* Predicted against actual as a signed percentage, "+12%"; "" if none. */
void report_deviation(struct strbuf *out, const struct report_shard *sh);
/* How a format writes a name from history, escaped for it. */
typedef void report_name_fn(struct strbuf *out, const char *name);

/*
 * "3 runs (last 10 asked for); latest run r3 at abc on main" with the
 * names through name, or "... No runs recorded yet: ..." when there are
 * none, with cmd_open and cmd_close around the command's name.
 */
void report_summary_line(struct strbuf *out, const struct report *r,
			 report_name_fn *name, const char *cmd_open,
			 const char *cmd_close);
/*
 * What bounds the makespan, in sentences separated by sep, the verdict
 * between em and unem: "At 4 shards an even share is 19.2 s (of 1m 17s).
 * 1 test takes longer: no shard count can bring the makespan below 42.0 s.
 * Split it into smaller tests." Returns 1 when tests are listed after it.
 */
int report_bound_sentences(struct strbuf *out, const struct report *r,
			   const char *sep, const char *em, const char *unem);

#endif
