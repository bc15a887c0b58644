/*
 * Every adapter reduces to "units" (an id, a file, a package) that become
 * arguments, packed into as few jobs as the argument limit allows (go:
 * one job per package, as -run applies to every package given). The
 * adapters themselves are in runner_NAME.c (runner_impl.h); the generic
 * one, which is only "{}" and "{@}", is here.
 */
#include "shard/exec/runner.h"
#include "shard/exec/runner_impl.h"

#include <errno.h>
#include <fcntl.h>
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

static const struct runner_adapter *const adapters[RUNNER_KINDS] = {
	[RUNNER_GENERIC] = &runner_generic,
	[RUNNER_PYTEST] = &runner_pytest,
	[RUNNER_GO] = &runner_go,
	[RUNNER_JEST] = &runner_jest,
};

int runner_parse(const char *name)
{
	for (int i = 0; i < RUNNER_KINDS; i++)
		if (!strcmp(name, adapters[i]->name))
			return i;
	return -1;
}

const char *runner_name(enum runner_kind kind)
{
	return adapters[kind]->name;
}

const char *runner_passes(enum runner_kind kind)
{
	return adapters[kind]->passes;
}

const char *runner_names(void)
{
	static char names[512];

	if (!names[0]) {
		struct strbuf sb = STRBUF_INIT;

		for (int i = 0; i < RUNNER_KINDS; i++)
			strbuf_addf(&sb, "%s%s",
				    !i                      ? ""
				    : i == RUNNER_KINDS - 1 ? " or "
							    : ", ",
				    adapters[i]->name);
		snprintf(names, sizeof(names), "%s", sb.buf);
		strbuf_release(&sb);
	}
	return names;
}

int runner_has_arg(const char *const *cmd, const char *arg)
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
	if (kind == RUNNER_GENERIC && !runner_has_arg(cmd, "{}") &&
	    !runner_has_arg(cmd, "{@}"))
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

struct units {
	struct runner_unit *u;
	size_t n, alloc;
};

static struct runner_unit *unit_new(struct units *us, const char *arg,
				    size_t len)
{
	ALLOC_GROW(us->u, us->n + 1, us->alloc);
	us->u[us->n].arg = xstrndup(arg, len);
	strvec_init(&us->u[us->n].ids);
	return &us->u[us->n++];
}

static struct runner_unit *unit_for(struct units *us, const char *arg,
				    size_t len)
{
	/* ids of one file or package are usually adjacent: look back first */
	for (size_t i = us->n; i-- > 0;)
		if (strlen(us->u[i].arg) == len &&
		    !memcmp(us->u[i].arg, arg, len))
			return &us->u[i];
	return unit_new(us, arg, len);
}

static void units_free(struct units *us)
{
	for (size_t i = 0; i < us->n; i++) {
		free(us->u[i].arg);
		strvec_release(&us->u[i].ids);
	}
	free(us->u);
}

/* Units per adapter: ids, or the ids' files (or packages). */
static void make_units(const struct runner_request *rq,
		       const struct runner_adapter *ad, struct units *us)
{
	for (size_t i = 0; i < rq->n; i++) {
		const char *id = rq->ids[i];
		size_t len = identity_file_len(id);
		struct runner_unit *u;

		if (ad->units == RUNNER_UNIT_ID)
			u = unit_new(us, id, strlen(id));
		else
			u = unit_for(us, id, len ? len : strlen(id));
		strvec_push(&u->ids, id);
	}
}

void runner_unit_dot_slash(struct runner_unit *u)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "./%s", u->arg);
	free(u->arg);
	u->arg = strbuf_detach(&sb, NULL);
}

int runner_refuse(struct shard_error *err, const char *what, const char *arg,
		  const char *why)
{
	struct strbuf q = STRBUF_INIT;
	int r;

	quote_add_cut(&q, arg, strlen(arg), 120);
	r = shard_error_set(err, SHARD_EINPUT, "%s '%s'%s", what, q.buf, why);
	strbuf_release(&q);
	return r;
}

/* 1 when an argument "--" comes before the first "{}" of cmd. */
static int dashdash_before_ids(const char *const *cmd)
{
	for (; *cmd && strcmp(*cmd, "{}"); cmd++)
		if (!strcmp(*cmd, "--"))
			return 1;
	return 0;
}

/*
 * Nearly every program reads an argument that begins with '-' as an
 * option, whatever comes after it. The generic command is the user's and
 * only they know whether it honours "--": an id that begins with '-' is
 * refused unless an argument "--" comes before "{}". "{@}" hands the ids
 * over in a file: nothing to check.
 */
static int guard_generic(const struct runner_request *rq, struct runner_unit *u,
			 struct shard_error *err)
{
	struct strbuf why = STRBUF_INIT, prog = STRBUF_INIT;
	int r;

	if (u->arg[0] != '-' || !runner_has_arg(rq->cmd, "{}") ||
	    dashdash_before_ids(rq->cmd))
		return 0;
	quote_add_cut(&prog, rq->cmd[0], strlen(rq->cmd[0]), 120);
	strbuf_addf(&why,
		    " begins with '-': through '{}', '%s' would take it as "
		    "an option; put an argument '--' before '{}' if the "
		    "command takes '--' to end its options, or pass the ids "
		    "in a file with '{@}'",
		    prog.buf);
	r = runner_refuse(err, "test id", u->arg, why.buf);
	strbuf_release(&why);
	strbuf_release(&prog);
	return r;
}

const struct runner_adapter runner_generic = {
	.name = "generic",
	.passes = "'{}': the ids, one argument each (in batches past the "
		  "argument limit); '{@}': a file of them, one a line",
	.units = RUNNER_UNIT_ID,
	.guard = guard_generic,
};

static int guard_units(const struct runner_request *rq,
		       const struct runner_adapter *ad, struct units *us,
		       struct shard_error *err)
{
	for (size_t i = 0; ad->guard && i < us->n; i++)
		if (ad->guard(rq, &us->u[i], err))
			return err->code;
	return 0;
}

/* Append cmd to argv with "{junit}" replaced, "{}"/"{@}" expanded. */
static void expand_cmd(struct runner_job *j, const char *const *cmd,
		       const struct units *us, size_t from, size_t to,
		       int *placed)
{
	for (; *cmd; cmd++) {
		const char *a = *cmd, *p;
		struct strbuf sb = STRBUF_INIT;

		if (!strcmp(a, "{}")) {
			for (size_t i = from; i < to; i++)
				strvec_push(&j->argv, us->u[i].arg);
			*placed = 1;
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

/* The adapter's own arguments and variables for units [from, to). */
static void adapt(const struct runner_request *rq,
		  const struct runner_adapter *ad, struct runner_job *j,
		  const struct units *us, size_t from, size_t to)
{
	int placed = 0;

	expand_cmd(j, rq->cmd, us, from, to, &placed);
	if (ad->adapt)
		ad->adapt(rq, j, us->u + from, to - from, &placed);
	if (!placed && ad != &runner_generic)
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

/* 1 when the units become arguments (all but the generic "{@}" alone). */
static int units_are_args(const struct runner_request *rq,
			  const struct runner_adapter *ad)
{
	return ad != &runner_generic || runner_has_arg(rq->cmd, "{}");
}

static size_t cmd_cost(const char *const *cmd)
{
	size_t c = 0;

	for (; *cmd; cmd++)
		c += runner_arg_cost(*cmd) + 512; /* {junit} grows */
	return c + 1024;                          /* the adapter's own */
}

/* How many units from `from` fit in one job's argument room. */
static size_t pack(const struct runner_request *rq,
		   const struct runner_adapter *ad, const struct units *us,
		   size_t from)
{
	size_t room = rq->arg_room, used = cmd_cost(rq->cmd) + ROOM_SLACK;
	size_t to = from;

	if (ad->units == RUNNER_UNIT_PACKAGE)
		return from + 1;
	if (!units_are_args(rq, ad))
		return us->n;
	while (to < us->n) {
		size_t c = runner_arg_cost(us->u[to].arg);

		if (to > from && used + c > room)
			break;
		used += c;
		to++;
	}
	return to;
}

static char *job_file(const struct runner_request *rq, size_t no,
		      const char *ext)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "%s/%s-%zu.%s", rq->dir, rq->tag, no, ext);
	return strbuf_detach(&sb, NULL);
}

static int make_job(const struct runner_request *rq,
		    const struct runner_adapter *ad, struct runner_job *j,
		    size_t no, const struct units *us, size_t from, size_t to,
		    struct shard_error *err)
{
	strvec_init(&j->argv);
	strvec_init(&j->env);
	j->kind = rq->kind;
	j->n = 0;
	for (size_t i = from; i < to; i++)
		j->n += us->u[i].ids.n;
	j->junit = job_file(rq, no, "xml");
	j->tests_file = job_file(rq, no, "ids");
	j->output = ad->wants_output ? job_file(rq, no, "out") : NULL;
	if (write_ids(j->tests_file, us, from, to, err))
		return err->code;
	adapt(rq, ad, j, us, from, to);
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
	const struct runner_adapter *ad = adapters[rq->kind];
	struct units us = { NULL, 0, 0 };
	size_t alloc = 0, from = 0;
	int r = 0;

	*jobs = NULL;
	*njobs = 0;
	r = check_ids(rq, err);
	if (!r)
		make_units(rq, ad, &us);
	if (!r)
		r = guard_units(rq, ad, &us, err);
	if (!r && units_are_args(rq, ad))
		r = check_lengths(&us, err);
	while (!r && from < us.n) {
		size_t to = pack(rq, ad, &us, from);

		ALLOC_GROW(*jobs, *njobs + 1, alloc);
		r = make_job(rq, ad, &(*jobs)[*njobs], *njobs, &us, from, to,
			     err);
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
		free(jobs[i].output);
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

/* Open j's output file for its stdout; -1 when it has none. */
static int open_output(const struct runner_job *j, int *fd,
		       struct shard_error *err)
{
	*fd = -1;
	if (!j->output)
		return 0;
	*fd = open(j->output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (*fd < 0)
		return shard_error_set(err, SHARD_EENV, "%s: %s", j->output,
				       strerror(errno));
	return 0;
}

int runner_job_run(const struct runner_job *j, char *const *envp,
		   const struct runcmd_wait *w, int *status,
		   enum runcmd_end *end, struct shard_error *err)
{
	const struct runner_adapter *ad = adapters[j->kind];
	struct strvec env;
	struct runcmd c = { (const char *const *)j->argv.v, NULL, 0, 0, -1 };
	int r, out;

	if ((r = open_output(j, &out, err)))
		return r;
	job_env(envp, j, &env);
	c.envp = env.v;
	unlink(j->junit);
	r = runcmd_start_to(&c, out, err);
	if (out >= 0)
		close(out);
	if (!r)
		r = runcmd_wait(&c, w, status, end, err);
	if (!r && ad->after)
		r = ad->after(j, *status, err);
	strvec_release(&env);
	return r;
}

int runner_lists(enum runner_kind kind)
{
	return adapters[kind]->list_command != NULL;
}

void runner_listing_from(struct runner_listing *out, const char *const *cmd)
{
	strvec_init(&out->argv);
	strvec_init(&out->env);
	out->file = NULL;
	strvec_pushv(&out->argv, cmd);
}

int runner_list_command(const struct runner_list *rl,
			struct runner_listing *out, struct shard_error *err)
{
	const struct runner_adapter *ad = adapters[rl->kind];

	runner_listing_from(out, rl->cmd);
	if (!ad->list_command)
		return 0;
	strvec_clear(&out->argv);
	return ad->list_command(rl, out, err);
}

void runner_listing_release(struct runner_listing *l)
{
	strvec_release(&l->argv);
	strvec_release(&l->env);
	free(l->file);
	l->file = NULL;
}

/* Every id a listing gives passes here: one line each, none empty. */
struct checked_emit {
	runner_emit_fn emit;
	void *data;
	const char *what;
	size_t count;
};

static int check_emit(void *data, const char *id, size_t len,
		      struct shard_error *err)
{
	struct checked_emit *ce = data;
	const char *nl = memchr(id, '\n', len);

	if (!nl)
		nl = memchr(id, '\r', len);
	ce->count++;
	if (!len)
		return shard_error_set(err, SHARD_EINPUT,
				       "%s: test %zu has an empty id", ce->what,
				       ce->count);
	if (nl) {
		struct strbuf q = STRBUF_INIT;
		int r;

		quote_add_cut(&q, id, len, 120);
		r = shard_error_set(err, SHARD_EINPUT,
				    "%s: test id '%s' holds a line break: "
				    "a test list has one id a line",
				    ce->what, q.buf);
		strbuf_release(&q);
		return r;
	}
	return ce->emit(ce->data, id, len, err);
}

int runner_list_parse(const struct runner_list *rl, const char *buf, size_t len,
		      const char *what, runner_emit_fn emit, void *data,
		      struct shard_error *err)
{
	const struct runner_adapter *ad = adapters[rl->kind];
	struct checked_emit ce = { emit, data, what, 0 };

	if (ad->list_parse)
		return ad->list_parse(rl, buf, len, what, check_emit, &ce, err);
	return runner_parse_lines(buf, len, what, check_emit, &ce, err);
}

int runner_parse_lines(const char *buf, size_t len, const char *what,
		       runner_emit_fn emit, void *data, struct shard_error *err)
{
	const char *end = buf + len;

	(void)what;
	while (buf < end) {
		const char *nl = memchr(buf, '\n', (size_t)(end - buf));
		size_t n = nl ? (size_t)(nl - buf) : (size_t)(end - buf);
		size_t k = n;
		int r;

		if (k && buf[k - 1] == '\r')
			k--;
		if (k && (r = emit(data, buf, k, err)))
			return r;
		buf += n + (nl != NULL);
	}
	return 0;
}

const char *runner_pythonpath(char *const *envp)
{
	for (char *const *e = envp; e && *e; e++)
		if (!strncmp(*e, "PYTHONPATH=", 11))
			return *e + 11;
	return NULL;
}
