/*
 * shard merge: many JUnit XML files into one, written whole or not at all.
 * Inputs are taken in command-line order; a directory gives its *.xml
 * files (recursively) in byte order of their paths; "-" is standard input
 * and an http(s):// URL a download, each spooled to a temporary file
 * because merge copies testcases from their input by offset (pread).
 */
#include "cmd/cmd.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shard/junit/merge.h"
#include "shard/partition.h"
#include "shard/plan/selection.h"
#include "shard/util/atomicfile.h"
#include "shard/util/http.h"
#include "shard/util/quote.h"
#include "shard/util/strbuf.h"
#include "shard/util/util.h"
#include "shard/util/banned.h"

#define CMD "shard merge"

static const struct cmd_usage merge_usage = {
	"shard merge [OPTIONS] INPUT...",
	"Merge JUnit XML reports (files, directories of *.xml, URLs or '-') into\n"
	"one, streaming. Counts are recounted from the testcases; a test\n"
	"repeated after it failed is a retry, folded into one testcase marked\n"
	"flaky when it passed at last. Every JUnit dialect is accepted.\n"
	"Reports of shard run's shards must split their run's test list: shards\n"
	"planned apart are refused (exit 2, nothing written), and a shard with\n"
	"no report is named (exit 1).",
	0,
	NULL,
};

struct merge_args {
	struct cmd_ctx *ctx;
	const char *output, *plan;
	struct merge_options opt;
	int fail_on_failure, annotate, quiet;
	unsigned long listed; /* missing/unplanned lines printed */
};

/* --annotate's one format: github (1). */
static int parse_annotate(const char *word)
{
	return strcmp(word, "github") ? -1 : 1;
}

/* The options, each setting a field of a; cmd_parse's result. */
static int parse_options(int argc, char **argv, struct merge_args *a,
			 struct cmd_ctx *ctx)
{
	const struct cmd_option options[] = {
		OPT_OUTPUT(&a->output,
			   "write the merged report to FILE ('-' or "
			   "none: standard output)"),
		OPT_FLAG("join-suites", 0, &a->opt.join_suites,
			 "merge suites of the same name into one"),
		OPT_FLAG("flatten", 0, &a->opt.flatten,
			 "make nested suites top-level ones"),
		OPT_FLAG("keep-duplicates", 0, &a->opt.keep_duplicates,
			 "do not fold retried tests"),
		OPT_STRING("plan", 0, "FILE", &a->plan,
			   "check the tests against a plan: missing ones "
			   "become errors"),
		OPT_RECOVER(&a->opt.recover),
		OPT_FLAG("fail-on-failure", 0, &a->fail_on_failure,
			 "exit 1 when a test failed"),
		OPT_CHOICE("annotate", 0, "FORMAT", &a->annotate,
			   parse_annotate, "the format is github",
			   "print failures as annotations: github"),
		OPT_QUIET(&a->quiet, "no summary line"),
		OPT_END(),
	};

	return cmd_parse(argc, argv, &merge_usage, options, ctx);
}

struct inputs {
	struct merge_input *v;
	size_t nr, alloc;
	char **paths; /* owned paths of directory entries */
	size_t npaths, alloc_paths;
};

static int add_input(struct inputs *in, const char *path, int fd)
{
	ALLOC_GROW(in->v, in->nr + 1, in->alloc);
	in->v[in->nr].path = path;
	in->v[in->nr++].fd = fd;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every *.xml file below dir, appended to in->paths. */
static int walk(struct inputs *in, const char *dir, struct shard_error *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return shard_error_set(err, SHARD_EENV, "%s: %s", dir,
				       strerror(errno));
	while ((e = readdir(d))) {
		struct strbuf p = STRBUF_INIT;
		struct stat st;
		size_t n = strlen(e->d_name);

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		strbuf_addf(&p, "%s/%s", dir, e->d_name);
		if (stat(p.buf, &st) == 0 && S_ISDIR(st.st_mode)) {
			walk(in, p.buf, err);
		} else if (n > 4 && !strcmp(e->d_name + n - 4, ".xml")) {
			ALLOC_GROW(in->paths, in->npaths + 1, in->alloc_paths);
			in->paths[in->npaths++] = strbuf_detach(&p, NULL);
		}
		strbuf_release(&p);
	}
	closedir(d);
	return err->code;
}

/* Download url; its name in messages is redacted (a presigned query). */
static int fetch_url(struct inputs *in, const char *url,
		     struct shard_error *err)
{
	struct strbuf name = STRBUF_INIT;
	int fd = http_fetch_temp(NULL, url, err);

	if (fd < 0)
		return fd;
	http_redact(url, &name);
	ALLOC_GROW(in->paths, in->npaths + 1, in->alloc_paths);
	in->paths[in->npaths++] = strbuf_detach(&name, NULL);
	return add_input(in, in->paths[in->npaths - 1], fd);
}

static int gather(struct inputs *in, char **argv, int argc,
		  struct shard_error *err)
{
	for (int i = 0; i < argc; i++) {
		struct stat st;
		size_t from = in->npaths;

		if (!strcmp(argv[i], "-")) {
			int fd = cmd_spool_stdin(err);

			if (fd < 0)
				return err->code;
			add_input(in, "<stdin>", fd);
		} else if (http_is_url(argv[i])) {
			if (fetch_url(in, argv[i], err))
				return err->code;
		} else if (stat(argv[i], &st) < 0) {
			return shard_error_set(err,
					       errno == ENOENT ? SHARD_EINPUT
							       : SHARD_EENV,
					       "%s: %s", argv[i],
					       strerror(errno));
		} else if (S_ISDIR(st.st_mode)) {
			if (walk(in, argv[i], err))
				return err->code;
			qsort(in->paths + from, in->npaths - from,
			      sizeof(*in->paths), cmp_str);
			for (size_t k = from; k < in->npaths; k++)
				add_input(in, in->paths[k], -1);
		} else {
			add_input(in, argv[i], -1);
		}
	}
	return 0;
}

static void inputs_release(struct inputs *in)
{
	for (size_t i = 0; i < in->nr; i++)
		if (in->v[i].fd >= 0)
			close(in->v[i].fd);
	for (size_t i = 0; i < in->npaths; i++)
		free(in->paths[i]);
	free(in->paths);
	free(in->v);
}

/* GitHub workflow command escaping; properties also escape ':' and ','. */
/*
 * s for a workflow command: what quote.h escapes shown as it shows it (an
 * ESC or a bidirectional override in a test name is not passed to the
 * log), then GitHub's own escapes: % CR LF, and : , in properties.
 */
static void gh_escape(struct strbuf *sb, const char *s, int property)
{
	struct strbuf shown = STRBUF_INIT;

	while (s && *s) {
		size_t n = strcspn(s, "\r\n");

		strbuf_reset(&shown);
		quote_add(&shown, s, n);
		for (size_t i = 0; i < shown.len; i++) {
			char ch = shown.buf[i];

			if (ch == '%')
				strbuf_addstr(sb, "%25");
			else if (property && ch == ':')
				strbuf_addstr(sb, "%3A");
			else if (property && ch == ',')
				strbuf_addstr(sb, "%2C");
			else
				strbuf_addch(sb, ch);
		}
		s += n;
		if (*s == '\r')
			strbuf_addstr(sb, "%0D");
		else if (*s == '\n')
			strbuf_addstr(sb, "%0A");
		if (*s)
			s++;
	}
	strbuf_release(&shown);
}

static int annotate(void *data, const struct merge_case *c)
{
	struct merge_args *a = data;
	struct strbuf sb = STRBUF_INIT;

	if (!a->annotate ||
	    (c->outcome != JUNIT_FAILED && c->outcome != JUNIT_ERROR))
		return 0;
	strbuf_addstr(&sb, "::error ");
	if (c->file) {
		strbuf_addstr(&sb, "file=");
		gh_escape(&sb, c->file, 1);
		if (c->line > 0)
			strbuf_addf(&sb, ",line=%ld", c->line);
		strbuf_addch(&sb, ',');
	}
	strbuf_addstr(&sb, "title=");
	if (c->classname && *c->classname) {
		gh_escape(&sb, c->classname, 1);
		strbuf_addstr(&sb, "%2E");
	}
	gh_escape(&sb, c->name, 1);
	strbuf_addstr(&sb, "::");
	gh_escape(&sb,
		  c->message && *c->message ? c->message
					    : junit_outcome_name(c->outcome),
		  0);
	fprintf(a->ctx->out, "%s\n", sb.buf);
	strbuf_release(&sb);
	return 0;
}

#define LIST_MAX 20 /* missing/unplanned tests named on stderr */

static int say_missing(void *data, const char *id)
{
	struct merge_args *a = data;

	if (a->listed++ < LIST_MAX)
		cmd_note(a->ctx, "shard: planned but not reported: %s", id);
	return 0;
}

static int say_unplanned(void *data, const char *key)
{
	struct merge_args *a = data;

	if (a->listed++ < LIST_MAX)
		cmd_note(a->ctx, "shard: reported but not planned: %s", key);
	return 0;
}

/* 10080 -> "10,080" */
static const char *grouped(uint64_t n, char buf[32])
{
	char tmp[32];
	int len = snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)n);
	int o = 0;

	for (int i = 0; i < len; i++) {
		if (i && (len - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = tmp[i];
	}
	buf[o] = '\0';
	return buf;
}

static void summary(struct cmd_ctx *ctx, const struct merge_stats *s)
{
	char a[32], b[32], c[32], d[32], e[32];

	fprintf(ctx->err, "merged %s file%s: %s tests, %s failed",
		grouped(s->files, a), s->files == 1 ? "" : "s",
		grouped(s->tests, b), grouped(s->failed, c));
	if (s->errors)
		fprintf(ctx->err, ", %s errors", grouped(s->errors, d));
	fprintf(ctx->err, ", %s skipped, %s flaky", grouped(s->skipped, d),
		grouped(s->flaky, e));
	if (s->folded)
		fprintf(ctx->err, " (%s retries folded)",
			grouped(s->folded, a));
	if (s->missing)
		fprintf(ctx->err, ", %s planned but missing",
			grouped(s->missing, b));
	if (s->unplanned)
		fprintf(ctx->err, ", %s not in the plan",
			grouped(s->unplanned, c));
	fputc('\n', ctx->err);
}

/* --plan: the tests every shard of the plan was to report. */
static int read_plan(struct merge_args *a, struct planfile *plan,
		     struct shard_error *err)
{
	int r = selection_read_planfile(a->plan, plan, err);

	if (!r) {
		a->opt.plan_ids = plan->tests.ids;
		a->opt.plan_n = plan->tests.nr;
	}
	return r;
}

static int status_of(const struct merge_args *a, const struct merge_stats *s,
		     const struct partition_check *pc)
{
	if (s->missing || pc->absent)
		return EXIT_FAILED;
	if (a->fail_on_failure && (s->failed || s->errors))
		return EXIT_FAILED;
	return EXIT_OK;
}

int cmd_merge(int argc, char **argv, struct cmd_ctx *ctx)
{
	struct merge_args a = { 0 };
	struct shard_error err = SHARD_ERROR_INIT;
	struct inputs in = { 0 };
	struct planfile plan = { 0 };
	struct merge_stats stats;
	struct atomicfile out = { 0 };
	struct partition_check pc;
	int first, r = EXIT_OK;

	a.ctx = ctx;
	first = parse_options(argc, argv, &a, ctx);
	if (first < 0)
		return first == -1 ? EXIT_OK : EXIT_USAGE;
	if (first >= argc)
		return cmd_usage_error(ctx, CMD, "no inputs given");
	if (!a.output)
		a.output = "-";
	if (a.annotate && !strcmp(a.output, "-"))
		return cmd_usage_error(ctx, CMD,
				       "--annotate prints to standard "
				       "output: write the report with -o FILE");
	if (a.annotate)
		a.opt.on_case = annotate; /* else failures need not be kept */
	a.opt.out_discardable = strcmp(a.output, "-") != 0;
	a.opt.on_missing = say_missing;
	a.opt.on_unplanned = say_unplanned;
	a.opt.data = &a;
	partition_check_init(&pc);
	a.opt.partition = &pc;
	testlist_init(&plan.tests);
	if ((a.plan && read_plan(&a, &plan, &err)) ||
	    gather(&in, argv + first, argc - first, &err) ||
	    atomicfile_open(&out, a.output, ctx->out, &err) ||
	    merge_run(in.v, in.nr, out.f, &a.opt, &ctx->core, &stats, &err) ||
	    atomicfile_commit(&out, &err)) {
		atomicfile_abort(&out);
		fputs(pc.report.buf, ctx->err);
		r = cmd_fail(ctx, &err);
		goto done;
	}
	fputs(pc.report.buf, ctx->err);
	if (!a.quiet)
		summary(ctx, &stats);
	r = status_of(&a, &stats, &pc);
done:
	partition_check_release(&pc);
	planfile_release(&plan);
	inputs_release(&in);
	return r;
}
