/*
 * go: one job per package, as -run applies to every package given:
 * go test -run '^(TestA|TestB)$' <package>. A subtest's id selects its
 * top-level test (-run's levels are separated by '/', and a parent must
 * run for its subtests to).
 */
#include "shard/exec/runner_impl.h"

#include <string.h>

#include "shard/util/quote.h"
#include "shard/util/strbuf.h"
#include "shard/util/banned.h"

/*
 * The units are import paths, and no import path begins with '-' (go
 * refuses a leading dash); go test gives "--" and all after it to the
 * test binary, so nothing marks a package as an operand: refused. The
 * test names go into -run's value, a separate argument, and are safe.
 */
static int guard(const struct runner_request *rq, struct runner_unit *u,
		 struct shard_error *err)
{
	struct strbuf why = STRBUF_INIT, pkg = STRBUF_INIT;
	int r;

	(void)rq;
	if (u->arg[0] != '-')
		return 0;
	quote_add_cut(&pkg, u->arg, strlen(u->arg), 120);
	strbuf_addf(&why,
		    ": its package '%s' begins with '-', which go test "
		    "would take as a flag (no Go import path begins with '-')",
		    pkg.buf);
	r = runner_refuse(err, "test id", u->ids.v[0], why.buf);
	strbuf_release(&why);
	strbuf_release(&pkg);
	return r;
}

/* Add a Go test's top-level name, regexp-quoted, to "|A|B|" unless there. */
static void add_go_name(struct strbuf *set, const char *id, size_t pkg_len)
{
	const char *name = id + pkg_len + (id[pkg_len] == '.' ? 1 : 0);
	size_t len = strcspn(name, "/");
	struct strbuf q = STRBUF_INIT;

	strbuf_addch(&q, '|');
	for (size_t i = 0; i < len; i++) {
		if (strchr("\\.+*?()|[]{}^$", name[i]))
			strbuf_addch(&q, '\\');
		strbuf_addch(&q, name[i]);
	}
	strbuf_addch(&q, '|');
	if (!strstr(set->buf, q.buf))
		strbuf_add(set, q.buf + 1, q.len - 1);
	strbuf_release(&q);
}

static void adapt(const struct runner_request *rq, struct runner_job *j,
		  const struct runner_unit *u, size_t n, int *placed)
{
	struct strbuf set = STRBUF_INIT;
	size_t pkg = strlen(u->arg);

	(void)rq;
	(void)n;
	(void)placed;
	strbuf_addch(&set, '|');
	for (size_t i = 0; i < u->ids.n; i++)
		add_go_name(&set, u->ids.v[i], pkg);
	set.buf[0] = '(';
	set.buf[set.len - 1] = ')';
	strvec_push(&j->argv, "-run");
	strvec_pushf(&j->argv, "^%s$", set.buf);
	strbuf_release(&set);
}

const struct runner_adapter runner_go = {
	.name = "go",
	.passes = "one job per package: -run '^(TestA|TestB)$' PACKAGE "
		  "(the command writes the report: {junit}, e.g. through "
		  "go-junit-report)",
	.units = RUNNER_UNIT_PACKAGE,
	.guard = guard,
	.adapt = adapt,
};
