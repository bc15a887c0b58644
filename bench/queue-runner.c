/*
 * bench/queue's test runner: "executes" the test ids given as arguments
 * by sleeping their realised durations (one sleep for the batch) and
 * writes a JUnit report to $SHARD_JUNIT with each test's realised time.
 *
 * $BENCH_REALISED: the realised durations, one "id<TAB>seconds" line a
 * test. $BENCH_TRACE (optional): one line an invocation is appended,
 * "worker start end tests", the worker being the parent's pid.
 *
 * It is C so that what an invocation costs besides its sleep is a
 * process start and a file read (a few milliseconds), not an
 * interpreter's start-up: bench/queue runs K workers on one small
 * machine, where K interpreters starting at once measure the machine.
 * That cost is still measured, as every runner's is, by shard itself.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct want {
	const char *id;
	double seconds;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int by_id(const void *a, const void *b)
{
	return strcmp(((const struct want *)a)->id,
		      ((const struct want *)b)->id);
}

static void die(const char *what, const char *arg)
{
	fprintf(stderr, "queue-runner: %s: %s\n", what, arg ? arg : "");
	exit(2);
}

static const char *need_env(const char *name)
{
	const char *v = getenv(name);

	if (!v || !*v)
		die("not set", name);
	return v;
}

/* Look each line's id up in the sorted ids; keep its seconds. */
static void read_realised(const char *path, struct want *w, size_t n)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	if (!f)
		die("cannot open", path);
	while ((len = getline(&line, &cap, f)) > 0) {
		char *tab;
		struct want key, *hit;

		if (line[len - 1] == '\n')
			line[--len] = '\0';
		tab = strrchr(line, '\t');
		if (!tab)
			continue;
		*tab = '\0';
		key.id = line;
		hit = bsearch(&key, w, n, sizeof(*w), by_id);
		if (hit)
			hit->seconds = strtod(tab + 1, NULL);
	}
	free(line);
	fclose(f);
}

/* s[0..len) quoted for an attribute; dots for slashes in a classname */
static void put_escaped(FILE *f, const char *s, size_t len, int dots)
{
	for (size_t i = 0; i < len; i++) {
		switch (s[i]) {
		case '/': fputc(dots ? '.' : '/', f); break;
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(s[i], f);
		}
	}
}

/*
 * As the test's own framework reports it: for a pytest node id
 * "path/to/x.py::Class::name", classname "path.to.x.Class" and name
 * "name"; an id naming a file (rspec, cucumber, minitest per file, as
 * knapsack records them) is both classname and name.
 */
static void put_case(FILE *f, const struct want *w)
{
	const char *sep = strstr(w->id, "::");
	size_t plen = sep ? (size_t)(sep - w->id) : strlen(w->id);

	fputs("<testcase classname=\"", f);
	if (sep) {
		const char *last = sep, *p;
		size_t stem = plen;

		while ((p = strstr(last + 2, "::")))
			last = p;
		if (stem > 3 && !strncmp(w->id + stem - 3, ".py", 3))
			stem -= 3;
		put_escaped(f, w->id, stem, 1);
		/* the classes between the path and the name */
		for (p = sep; p < last;) {
			const char *q = strstr(p + 2, "::");

			fputc('.', f);
			put_escaped(f, p + 2, (size_t)(q - p - 2), 1);
			p = q;
		}
		fputs("\" name=\"", f);
		put_escaped(f, last + 2, strlen(last + 2), 0);
	} else {
		put_escaped(f, w->id, plen, 0);
		fputs("\" name=\"", f);
		put_escaped(f, w->id, plen, 0);
	}
	fputs("\" file=\"", f);
	put_escaped(f, w->id, plen, 0);
	fprintf(f, "\" time=\"%.6f\"/>\n", w->seconds);
}

int main(int argc, char **argv)
{
	double t0 = now(), total = 0;
	const char *realised = need_env("BENCH_REALISED");
	const char *out = need_env("SHARD_JUNIT");
	const char *trace = getenv("BENCH_TRACE");
	size_t n = argc > 1 ? (size_t)argc - 1 : 0;
	struct want *w = calloc(n ? n : 1, sizeof(*w));
	char *tmp = malloc(strlen(out) + 5);
	struct timespec ts;
	FILE *f;

	if (!w || !tmp)
		die("out of memory", NULL);
	for (size_t i = 0; i < n; i++)
		w[i].id = argv[i + 1];
	qsort(w, n, sizeof(*w), by_id);
	read_realised(realised, w, n);
	for (size_t i = 0; i < n; i++)
		total += w[i].seconds;
	ts.tv_sec = (time_t)total;
	ts.tv_nsec = (long)((total - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts))
		;
	snprintf(tmp, strlen(out) + 5, "%s.tmp", out);
	f = fopen(tmp, "w");
	if (!f)
		die("cannot write", tmp);
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	      "<testsuite name=\"bench\">\n", f);
	for (size_t i = 0; i < n; i++)
		put_case(f, &w[i]);
	fputs("</testsuite>\n", f);
	if (fclose(f) || rename(tmp, out)) {
		unlink(tmp); /* no half-written report left behind */
		die("cannot write", out);
	}
	if (trace) {
		FILE *t = fopen(trace, "a");

		if (t) {
			fprintf(t, "%d %.4f %.4f %zu\n", (int)getppid(), t0,
				now(), n);
			fclose(t);
		}
	}
	free(tmp);
	free(w);
	return 0;
}
