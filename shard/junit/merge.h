/*
 * Merging JUnit XML reports into one (docs/design.md "Retries and repeats",
 * "Contracts"). One streaming pass over the inputs writes as it reads:
 * testcases are copied from their input byte for byte; suites get start
 * tags of our own whose counts, recounted from their testcases, are
 * filled in at the end. Memory grows with the number of distinct tests
 * (and of failed results, when a callback wants them), never with the
 * size of a text or a file.
 */
#ifndef SHARD_MERGE_H
#define SHARD_MERGE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "shard/junit/junit.h"
#include "shard/partition.h"
#include "shard/util/ctx.h"
#include "shard/util/error.h"

struct merge_input {
	const char *path; /* names the input in messages */
	int fd;           /* open and seekable (pread), or -1: merge
			       opens path when it reads it */
};

/* A testcase as written: its final outcome, after retries were folded. */
struct merge_case {
	const char *classname, *name, *file; /* NULL when absent */
	long line;                           /* 0 when absent */
	enum junit_outcome outcome;
	const char *message; /* of the outcome element */
	int flaky;           /* failed first, then passed */
	const char *input;   /* the input it came from */
};

struct merge_options {
	int join_suites;     /* one suite per name, its time the sum */
	int flatten;         /* nested suites become top-level ones */
	int keep_duplicates; /* do not fold retries */
	int recover;         /* libxml2's recovery mode, with warnings */
	int out_discardable; /* out is thrown away on error (a temporary
				 file, atomicfile.h): when it is a regular
				 file, write and patch it in place; else the
				 output goes to a temporary file first and
				 out is written only on success */
	const char *const *plan_ids; /* check against a plan; NULL: none */
	size_t plan_n;
	const char *missing_message; /* NULL: "planned but not reported" */
	/*
	 * Gather every suite's shard properties into a check of the runs'
	 * partitions (partition.h), and leave the partition data (the list
	 * and the planned positions, which the check consumes) out of the
	 * output. After the last input, before anything reaches out, the
	 * verdict is taken: a refused run fails the merge (SHARD_EINPUT,
	 * the check's report says why). NULL: properties are copied.
	 */
	struct partition_check *partition;
	/*
	 * Callbacks, may be NULL; non-zero stops the merge. on_case comes
	 * once per testcase written: passed and skipped ones as they are
	 * read, failed and errored ones (a later retry may fold them) after
	 * the last input, in the order read; so does on_unplanned for them.
	 * on_missing comes after the last input, before those.
	 */
	int (*on_case)(void *data, const struct merge_case *c);
	int (*on_missing)(void *data, const char *id);
	int (*on_unplanned)(void *data, const char *key);
	void *data;
};

struct merge_stats {
	uint64_t files, suites, tests, passed, failed, errors, skipped;
	uint64_t flaky;     /* folded tests whose last attempt passed */
	uint64_t folded;    /* attempts folded into a later one */
	uint64_t missing;   /* planned but not reported */
	uint64_t unplanned; /* reported but not planned */
	uint64_t clamped;   /* negative times written as 0 */
};

/*
 * Merge the n inputs, in order, into out. Returns 0 or a negative code:
 * SHARD_EINPUT "path:line:column: message" for malformed input or a
 * non-JUnit root, SHARD_EENV for I/O errors. On error out holds a partial
 * document when opt->out_discardable is set, else nothing new. Suite and
 * root start tags are followed by blanks (room their counts had).
 */
int merge_run(const struct merge_input *in, size_t n, FILE *out,
	      const struct merge_options *opt, const struct shard_ctx *ctx,
	      struct merge_stats *stats, struct shard_error *err);

#endif
