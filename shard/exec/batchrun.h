/*
 * Running a set of tests, the one way both execution engines do it (a
 * shard: shardrun.c; a queue worker's batch: queuerun.c): the runner
 * adapter's jobs for the ids (runner.h), each started and waited for
 * (runcmd.h: a deadline, a stop flag, a tick while it runs), then its
 * report read and matched back to the ids (idmatch.h), so that what was
 * reported of each test, and which went unreported, is known. A job
 * whose report is missing or malformed is warned about and left out:
 * its tests count as unreported, and become errors in the report shard
 * writes (junitout.h writes the testcase that stands for one), so a
 * crashed runner cannot hide tests.
 */
#ifndef SHARD_BATCHRUN_H
#define SHARD_BATCHRUN_H

#include <signal.h>

#include "shard/exec/runner.h"
#include "shard/junit/idmatch.h"
#include "shard/junit/junit.h"
#include "shard/util/ctx.h"
#include "shard/util/error.h"
#include "shard/util/strbuf.h"
#include "shard/util/strvec.h"

/*
 * What runs a set of tests, and where: the same for every job of a shard
 * or of a queue worker. shardrun_options and queuerun_options hold one.
 */
struct batchrun_command {
	enum runner_kind runner;
	const char *const *cmd; /* the user's command, NULL-terminated */
	const char *dir;        /* scratch: id files and reports */
	const char *share_dir;  /* where shard_pytest.py is */
	char *const *envp;      /* the command's base environment */
	size_t arg_room;        /* bytes argv may take */
	size_t index, total;    /* SHARD_INDEX and SHARD_TOTAL */
	double grace;           /* seconds between TERM and KILL */
	const volatile sig_atomic_t *stop; /* set by a signal: stop now */
};

struct batchrun_options {
	struct batchrun_command run;
	double deadline; /* clock value that ends the jobs; 0: none */
	/* called while a job runs (runcmd_wait's tick), may be NULL */
	void (*tick)(void *tick_data, double now);
	void *tick_data;
	int keep_cases;   /* keep each test's last testcase (cases) */
	int keep_reports; /* keep the readable reports (reports); else a
			     job's report and id file go once read */
	int read_stopped; /* read what a stopped job reported */
	int warn_split;   /* warn when the ids take more than one job */
};

/* What a test's state says, after a run. */
enum {
	BATCHRUN_REPORTED = 1, /* a report holds it */
	BATCHRUN_FAILED = 2,   /* one of its testcases failed or errored */
};

/* The last testcase reported for a test (keep_cases). */
struct batchrun_case {
	enum junit_outcome outcome;
	double seconds;
	char *xml;   /* the <testcase> element as the runner wrote it */
	char *suite; /* the suite it was reported in, or NULL */
};

struct batchrun {
	const struct batchrun_options *o;
	struct idmatch m;
	size_t n;
	unsigned char *state;        /* per test, of the last run */
	struct batchrun_case *cases; /* per test with keep_cases, else NULL */
	struct strvec reports;       /* keep_reports: the readable ones */
	double reported;             /* seconds the last run's testcases
					report, matched or not */
	double wall;                 /* seconds of the last run */
	size_t jobs;                 /* jobs run, in every run */
	size_t unreadable;           /* jobs that left no readable report */
	int status;                  /* the last non-zero job status, or 0 */
	int timed_out, stopped;
	/* while a report is read */
	int fd, raw;
	unsigned long long start, end;
	struct strbuf tmp;
};

/*
 * Set b up for the tests ids[0..n) (borrowed while b lives), run as o
 * says (borrowed too). Release with batchrun_release.
 */
void batchrun_init(struct batchrun *b, const struct batchrun_options *o,
		   const char *const *ids, size_t n);
void batchrun_release(struct batchrun *b);

/*
 * Run ids[0..n) (b's tests, or some of them: a rerun), their files named
 * by tag: each job in turn until one times out or is stopped, each
 * report read as batchrun_read_report reads it. What the tests' state
 * said before is forgotten first. Returns 0 whatever the tests' and
 * commands' outcomes (in b), or SHARD_EINPUT (an id the runner cannot
 * take) or SHARD_EENV (a command that cannot be started).
 */
int batchrun_run(struct batchrun *b, const char *tag, const char *const *ids,
		 size_t n, const struct shard_ctx *ctx,
		 struct shard_error *err);

/*
 * Read the report at path into b's tests' state (and cases). A missing
 * or unreadable report is warned about through ctx and gives -1, with
 * what was read before the fault kept; else 0.
 */
int batchrun_read_report(struct batchrun *b, const char *path,
			 const struct shard_ctx *ctx);

/*
 * Into out (cleared first): those of ids[0..n) that failed or went
 * unreported in the last run, in their order.
 */
void batchrun_failed_ids(struct batchrun *b, const char *const *ids, size_t n,
			 struct strvec *out);

/*
 * What the testcase of a test the runs left unreported says (into buf),
 * or NULL when nothing went wrong with the jobs themselves: a timeout
 * (of timeout seconds), a stop, or a job that exited non-zero.
 */
const char *batchrun_missing_message(const struct batchrun *b, double timeout,
				     char *buf, size_t size);

#endif
