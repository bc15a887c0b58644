/*
 * Every adapter reduces to "units" (an id, a file, a package) that become
 * arguments, packed into as few jobs as the argument limit allows (go:
 * one job per package, as -run applies to every package given).
 */
#include "shard/exec/runner.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shard/identity.h"
#include "shard/testlist.h"
#include "shard/util/quote.h"
#include "shard/util/strbuf.h"
#include "shard/util/util.h"
#include "shard/util/banned.h"

/* Linux refuses any single argument longer than this (MAX_ARG_STRLEN). */
#define ARG_STRLEN_MAX (32u * 4096u)
#define ROOM_SLACK 4096

static const char *const names[] = { "generic", "pytest", "go", "jest" };

int runner_parse(const char *name)
{
	for (int i = 0; i < 4; i++)
		if (!strcmp(name, names[i]))
			return i;
	return -1;
}

const char *runner_name(enum runner_kind kind)
{
	return names[kind];
}

static int has_arg(const char *const *cmd, const char *arg)
{
	for (; *cmd; cmd++)
		if (!strcmp(*cmd, arg))
			return 1;
	return 0;
}

int runner_check(enum runner_kind kind, const char *const *cmd,
		 struct shard_error *err)
{
	if (!cmd || !cmd[0])
		return shard_error_set(err, SHARD_EINPUT,
				       "no command: give it "
				       "after '--'");
	if (kind == RUNNER_GENERIC && !has_arg(cmd, "{}") &&
	    !has_arg(cmd, "{@}"))
		return shard_error_set(err, SHARD_EINPUT,
				       "the command has no "
				       "'{}' (the test ids as arguments) or "
				       "'{@}' (a file of ids); or choose a "
				       "--runner");
	return 0;
}

size_t runner_arg_cost(const char *s)
{
	return strlen(s) + 1 + sizeof(char *);
}

/* A unit: one argument (or package) and the ids it stands for. */
struct unit {
	char *arg;
	struct strvec ids;
};

struct units {
	struct unit *u;
	size_t n, alloc;
};

static struct unit *unit_for(struct units *us, const char *arg, size_t len)
{
	/* ids of one file or package are usually adjacent: look back first */
	for (size_t i = us->n; i-- > 0;)
		if (strlen(us->u[i].arg) == len &&
		    !memcmp(us->u[i].arg, arg, len))
			return &us->u[i];
	ALLOC_GROW(us->u, us->n + 1, us->alloc);
	us->u[us->n].arg = xstrndup(arg, len);
	strvec_init(&us->u[us->n].ids);
	return &us->u[us->n++];
}

static void units_free(struct units *us)
{
	for (size_t i = 0; i < us->n; i++) {
		free(us->u[i].arg);
		strvec_release(&us->u[i].ids);
	}
	free(us->u);
}

/* Units per kind: ids (generic), files (pytest, jest), packages (go). */
static void make_units(const struct runner_request *rq, struct units *us)
{
	for (size_t i = 0; i < rq->n; i++) {
		const char *id = rq->ids[i];
		size_t len = rq->kind == RUNNER_GENERIC ? strlen(id)
							: identity_file_len(id);
		struct unit *u;

		if (rq->kind == RUNNER_GENERIC) {
			ALLOC_GROW(us->u, us->n + 1, us->alloc);
			u = &us->u[us->n++];
			u->arg = xstrdup(id);
			strvec_init(&u->ids);
		} else {
			u = unit_for(us, id, len ? len : strlen(id));
		}
		strvec_push(&u->ids, id);
	}
}

/* 1 when an argument "--" comes before the first "{}" of cmd. */
static int dashdash_before_ids(const char *const *cmd)
{
	for (; *cmd && strcmp(*cmd, "{}"); cmd++)
		if (!strcmp(*cmd, "--"))
			return 1;
	return 0;
}

static void prefix_dot_slash(struct unit *u)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "./%s", u->arg);
	free(u->arg);
	u->arg = strbuf_detach(&sb, NULL);
}

/* SHARD_EINPUT for an id that "{}" would make an option of cmd. */
static int refuse_generic(const struct unit *u, const char *const *cmd,
			  struct shard_error *err)
{
	struct strbuf id = STRBUF_INIT, prog = STRBUF_INIT;
	int r;

	quote_add_cut(&id, u->arg, strlen(u->arg), 120);
	quote_add_cut(&prog, cmd[0], strlen(cmd[0]), 120);
	r = shard_error_set(err, SHARD_EINPUT,
			    "test id '%s' begins with "
			    "'-': through '{}', '%s' would take it as an "
			    "option; put an argument '--' before '{}' if the "
			    "command takes '--' to end its options, or pass "
			    "the ids in a file with '{@}'",
			    id.buf, prog.buf);
	strbuf_release(&id);
	strbuf_release(&prog);
	return r;
}

/* SHARD_EINPUT for a Go id whose package go test would take as a flag. */
static int refuse_go(const struct unit *u, struct shard_error *err)
{
	struct strbuf id = STRBUF_INIT, pkg = STRBUF_INIT;
	int r;

	quote_add_cut(&id, u->ids.v[0], strlen(u->ids.v[0]), 120);
	quote_add_cut(&pkg, u->arg, strlen(u->arg), 120);
	r = shard_error_set(err, SHARD_EINPUT,
			    "test id '%s': its package "
			    "'%s' begins with '-', which go test would take "
			    "as a flag (no Go import path begins with '-')",
			    id.buf, pkg.buf);
	strbuf_release(&id);
	strbuf_release(&pkg);
	return r;
}

/*
 * Nearly every program reads an argument that begins with '-' as an
 * option, whatever comes after it: an id "-exec=/tmp/x.TestA" would run
 * /tmp/x through go test, "-pevil.py::t" would load evil.py into pytest
 * as a plugin. So a unit that begins with '-' reaches its runner as an
 * operand, or is refused (SHARD_EINPUT), per runner:
 *
 *   generic  the command is the user's and only they know whether it
 *            honours "--": refused unless an argument "--" comes before
 *            "{}". "{@}" hands the ids over in a file: nothing to check.
 *   pytest   the units are files, relative to the working directory:
 *            "./" in front keeps the same file. "--" would not do: the
 *            plugin's options are added after the files, and pytest 8.2
 *            and later expand an "@file" argument into arguments even
 *            after "--" (argparse reads such files before it tells
 *            options from operands), so "@" gets "./" too.
 *   jest     the units are files, as paths (--runTestsByPath) or as
 *            patterns ("{}"): "./" in front is the same path and still
 *            matches it as a pattern.
 *   go       the units are import paths, and no import path begins with
 *            '-' (go refuses a leading dash); go test gives "--" and all
 *            after it to the test binary, so nothing marks a package as
 *            an operand: refused. The test names go into -run's value,
 *            a separate argument, and are safe.
 */
static int guard_units(const struct runner_request *rq, struct units *us,
		       struct shard_error *err)
{
	int as_options = has_arg(rq->cmd, "{}") &&
			 !dashdash_before_ids(rq->cmd);

	for (size_t i = 0; i < us->n; i++) {
		struct unit *u = &us->u[i];

		switch (rq->kind) {
		case RUNNER_GENERIC:
			if (u->arg[0] == '-' && as_options)
				return refuse_generic(u, rq->cmd, err);
			break;
		case RUNNER_PYTEST:
			if (u->arg[0] == '-' || u->arg[0] == '@')
				prefix_dot_slash(u);
			break;
		case RUNNER_JEST:
			if (u->arg[0] == '-')
				prefix_dot_slash(u);
			break;
		case RUNNER_GO:
			if (u->arg[0] == '-')
				return refuse_go(u, err);
			break;
		}
	}
	return 0;
}

/* Append cmd to argv with "{junit}" replaced, "{}"/"{@}" expanded. */
static void expand_cmd(struct runner_job *j, const char *const *cmd,
		       const struct units *us, size_t from, size_t to,
		       int *used_ids)
{
	for (; *cmd; cmd++) {
		const char *a = *cmd, *p;
		struct strbuf sb = STRBUF_INIT;

		if (!strcmp(a, "{}")) {
			for (size_t i = from; i < to; i++)
				strvec_push(&j->argv, us->u[i].arg);
			*used_ids = 1;
			continue;
		}
		if (!strcmp(a, "{@}")) {
			strvec_push(&j->argv, j->tests_file);
			continue;
		}
		while ((p = strstr(a, "{junit}"))) {
			strbuf_add(&sb, a, (size_t)(p - a));
			strbuf_addstr(&sb, j->junit);
			a = p + 7;
		}
		strbuf_addstr(&sb, a);
		strvec_push(&j->argv, sb.buf);
		strbuf_release(&sb);
	}
}

static int has_junitxml(const char *const *cmd)
{
	for (; *cmd; cmd++)
		if (!strncmp(*cmd, "--junitxml", 10) ||
		    !strncmp(*cmd, "--junit-xml", 11))
			return 1;
	return 0;
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

/* The adapter's own arguments and variables for units [from, to). */
static void adapt(const struct runner_request *rq, struct runner_job *j,
		  const struct units *us, size_t from, size_t to)
{
	int used = 0;

	expand_cmd(j, rq->cmd, us, from, to, &used);
	switch (rq->kind) {
	case RUNNER_GENERIC:
		return;
	case RUNNER_PYTEST: {
		struct strbuf pp = STRBUF_INIT;

		strvec_push(&j->argv, "-p");
		strvec_push(&j->argv, "shard_pytest");
		if (!has_junitxml(rq->cmd))
			strvec_pushf(&j->argv, "--junitxml=%s", j->junit);
		strbuf_addstr(&pp, rq->share_dir ? rq->share_dir : ".");
		if (rq->pythonpath && *rq->pythonpath)
			strbuf_addf(&pp, ":%s", rq->pythonpath);
		strvec_setenv(&j->env, "PYTHONPATH", pp.buf);
		strbuf_release(&pp);
		break;
	}
	case RUNNER_GO: {
		struct strbuf set = STRBUF_INIT;
		const struct unit *u = &us->u[from];
		size_t pkg = strlen(u->arg);

		strbuf_addch(&set, '|');
		for (size_t i = 0; i < u->ids.n; i++)
			add_go_name(&set, u->ids.v[i], pkg);
		set.buf[0] = '(';
		set.buf[set.len - 1] = ')';
		strvec_push(&j->argv, "-run");
		strvec_pushf(&j->argv, "^%s$", set.buf);
		strbuf_release(&set);
		break;
	}
	case RUNNER_JEST:
		if (!used)
			strvec_push(&j->argv, "--runTestsByPath");
		strvec_setenv(&j->env, "JEST_JUNIT_OUTPUT_FILE", j->junit);
		strvec_setenv(&j->env, "JEST_JUNIT_ADD_FILE_ATTRIBUTE", "true");
		break;
	}
	if (!used)
		for (size_t i = from; i < to; i++)
			strvec_push(&j->argv, us->u[i].arg);
}

static int write_ids(const char *path, const struct units *us, size_t from,
		     size_t to, struct shard_error *err)
{
	FILE *f = fopen(path, "w");
	int bad;

	if (!f)
		return shard_error_set(err, SHARD_EENV, "%s: %s", path,
				       strerror(errno));
	for (size_t i = from; i < to; i++)
		for (size_t k = 0; k < us->u[i].ids.n; k++)
			fprintf(f, "%s\n", us->u[i].ids.v[k]);
	bad = ferror(f);
	if (fclose(f) || bad)
		return shard_error_set(err, SHARD_EENV, "%s: write error",
				       path);
	return 0;
}

static size_t cmd_cost(const char *const *cmd)
{
	size_t c = 0;

	for (; *cmd; cmd++)
		c += runner_arg_cost(*cmd) + 512; /* {junit} grows */
	return c + 1024;                          /* the adapter's own */
}

/* How many units from `from` fit in one job's argument room. */
static size_t pack(const struct runner_request *rq, const struct units *us,
		   size_t from)
{
	size_t room = rq->arg_room, used = cmd_cost(rq->cmd) + ROOM_SLACK;
	size_t to = from;
	int expands = rq->kind != RUNNER_GENERIC || has_arg(rq->cmd, "{}");

	if (rq->kind == RUNNER_GO || !expands)
		return rq->kind == RUNNER_GO ? from + 1 : us->n;
	while (to < us->n) {
		size_t c = runner_arg_cost(us->u[to].arg);

		if (to > from && used + c > room)
			break;
		used += c;
		to++;
	}
	return to;
}

static int make_job(const struct runner_request *rq, struct runner_job *j,
		    size_t no, const struct units *us, size_t from, size_t to,
		    struct shard_error *err)
{
	strvec_init(&j->argv);
	strvec_init(&j->env);
	j->n = 0;
	for (size_t i = from; i < to; i++)
		j->n += us->u[i].ids.n;
	j->junit = NULL;
	j->tests_file = NULL;
	{
		struct strbuf sb = STRBUF_INIT;

		strbuf_addf(&sb, "%s/%s-%zu.xml", rq->dir, rq->tag, no);
		j->junit = strbuf_detach(&sb, NULL);
		strbuf_addf(&sb, "%s/%s-%zu.ids", rq->dir, rq->tag, no);
		j->tests_file = strbuf_detach(&sb, NULL);
	}
	if (write_ids(j->tests_file, us, from, to, err))
		return err->code;
	adapt(rq, j, us, from, to);
	strvec_pushf(&j->env, "SHARD_INDEX=%zu", rq->index);
	strvec_pushf(&j->env, "SHARD_TOTAL=%zu", rq->total);
	strvec_setenv(&j->env, "SHARD_TESTS_FILE", j->tests_file);
	strvec_setenv(&j->env, "SHARD_JUNIT", j->junit);
	return 0;
}

/*
 * Lists and plan files refuse ids that are not printable UTF-8 as they
 * are read; ids claimed from a queue come from a database: held to the
 * same rule here, the last step before an argv.
 */
static int check_ids(const struct runner_request *rq, struct shard_error *err)
{
	for (size_t i = 0; i < rq->n; i++) {
		size_t len = strlen(rq->ids[i]);
		size_t bad = testlist_id_check(rq->ids[i], len);

		if (bad < len)
			return testlist_id_error(err, "the tests to run",
						 rq->ids[i], len, bad);
	}
	return 0;
}

static int check_lengths(const struct units *us, struct shard_error *err)
{
	for (size_t i = 0; i < us->n; i++)
		if (strlen(us->u[i].arg) + 1 > ARG_STRLEN_MAX)
			return shard_error_set(err, SHARD_EINPUT,
					       "a test id of "
					       "%zu bytes is longer than one "
					       "argument may be: pass ids "
					       "with '{@}'",
					       strlen(us->u[i].arg));
	return 0;
}

int runner_jobs(const struct runner_request *rq, struct runner_job **jobs,
		size_t *njobs, struct shard_error *err)
{
	struct units us = { NULL, 0, 0 };
	size_t alloc = 0, from = 0;
	int r = 0;

	*jobs = NULL;
	*njobs = 0;
	r = check_ids(rq, err);
	if (!r)
		make_units(rq, &us);
	if (!r)
		r = guard_units(rq, &us, err);
	if (!r && (rq->kind != RUNNER_GENERIC || has_arg(rq->cmd, "{}")))
		r = check_lengths(&us, err);
	while (!r && from < us.n) {
		size_t to = pack(rq, &us, from);

		ALLOC_GROW(*jobs, *njobs + 1, alloc);
		r = make_job(rq, &(*jobs)[*njobs], *njobs, &us, from, to, err);
		(*njobs)++;
		from = to;
	}
	units_free(&us);
	if (r) {
		runner_jobs_free(*jobs, *njobs);
		*jobs = NULL;
		*njobs = 0;
	}
	return r;
}

void runner_jobs_free(struct runner_job *jobs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		strvec_release(&jobs[i].argv);
		strvec_release(&jobs[i].env);
		free(jobs[i].junit);
		free(jobs[i].tests_file);
	}
	free(jobs);
}

/* env: base and j's variables set over it */
static void job_env(char *const *base, const struct runner_job *j,
		    struct strvec *env)
{
	strvec_init(env);
	for (char *const *e = base; e && *e; e++)
		strvec_push(env, *e);
	for (size_t i = 0; i < j->env.n; i++) {
		const char *eq = strchr(j->env.v[i], '=');
		char *name = xstrndup(j->env.v[i], (size_t)(eq - j->env.v[i]));

		strvec_setenv(env, name, eq + 1);
		free(name);
	}
}

int runner_job_run(const struct runner_job *j, char *const *envp,
		   const struct runcmd_wait *w, int *status,
		   enum runcmd_end *end, struct shard_error *err)
{
	struct strvec env;
	struct runcmd c = { (const char *const *)j->argv.v, NULL, 0, 0, -1 };
	int r;

	job_env(envp, j, &env);
	c.envp = env.v;
	unlink(j->junit);
	r = runcmd_start(&c, err);
	if (!r)
		r = runcmd_wait(&c, w, status, end, err);
	strvec_release(&env);
	return r;
}

const char *runner_pythonpath(char *const *envp)
{
	for (char *const *e = envp; e && *e; e++)
		if (!strncmp(*e, "PYTHONPATH=", 11))
			return *e + 11;
	return NULL;
}
