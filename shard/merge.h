/*
 * Merging JUnit XML reports into one (DESIGN.md "Retries and repeats",
 * "Contracts"). Two streaming passes over the inputs: the first counts
 * every suite and finds retries (a repeat of a key that follows its
 * failed or errored result), the second writes. Testcases are copied
 * from their input byte for byte; suites get start tags of our own with
 * counts recounted from their testcases. Memory grows with the number of
 * distinct tests, never with the size of a text or a file.
 */
#ifndef SHARD_MERGE_H
#define SHARD_MERGE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ctx.h"
#include "error.h"
#include "junit.h"

struct merge_input {
	const char *path;   /* names the input in messages */
	int fd;             /* open and seekable (pread), or -1: merge
			       opens path when it reads it */
};

/* A testcase as written: its final outcome, after retries were folded. */
struct merge_case {
	const char *classname, *name, *file; /* NULL when absent */
	long line;                           /* 0 when absent */
	enum junit_outcome outcome;
	const char *message;                 /* of the outcome element */
	int flaky;                           /* failed first, then passed */
	const char *input;                   /* the input it came from */
};

struct merge_options {
	int join_suites;      /* one suite per name, its time the sum */
	int flatten;          /* nested suites become top-level ones */
	int keep_duplicates;  /* do not fold retries */
	int recover;          /* libxml2's recovery mode, with warnings */
	const char *const *plan_ids; /* check against a plan; NULL: none */
	size_t plan_n;
	const char *missing_message; /* NULL: "planned but not reported" */
	/* callbacks, may be NULL; non-zero stops the merge */
	int (*on_case)(void *data, const struct merge_case *c);
	int (*on_missing)(void *data, const char *id);
	int (*on_unplanned)(void *data, const char *key);
	void *data;
};

struct merge_stats {
	uint64_t files, suites, tests, passed, failed, errors, skipped;
	uint64_t flaky;       /* folded tests whose last attempt passed */
	uint64_t folded;      /* attempts folded into a later one */
	uint64_t missing;     /* planned but not reported */
	uint64_t unplanned;   /* reported but not planned */
	uint64_t clamped;     /* negative times written as 0 */
};

/*
 * Merge the n inputs, in order, into out. Returns 0 or a negative code:
 * SHARD_EINPUT "path:line:column: message" for malformed input or a
 * non-JUnit root, SHARD_EENV for I/O errors. On error out holds a partial
 * document: write it to a temporary file (atomicfile.h).
 */
int merge_run(const struct merge_input *in, size_t n, FILE *out,
	      const struct merge_options *opt, const struct shard_ctx *ctx,
	      struct merge_stats *stats, struct shard_error *err);

#endif
