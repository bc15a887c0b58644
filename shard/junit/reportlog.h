/*
 * A JUnit report that grows by whole testsuites and is a valid document
 * at every instant, also when the process is killed halfway through a
 * write: a queue worker's -o file (queuerun.c), which must hold exactly
 * the batches the worker completed, however it ends.
 *
 * Rewriting the file whole after every batch (temporary file, rename)
 * had that property but cost what the file already held, every batch.
 * Here the file ends with room inside a processing instruction, which
 * XML readers skip:
 *
 *     <?xml ...?>\n<testsuites>\n SUITES <?shard-pad SPACES?>\n</testsuites>\n
 *
 * A suite is appended in three writes, each of which leaves a valid file
 * whatever prefix of it reached the file (a write that a kill interrupts
 * stops short, between pages; it is not reordered):
 *   1. into the pad's spaces, after three kept in reserve: the suite,
 *      then "<?shard-pad": still text inside the one instruction (the
 *      suite holds no "?>": checked, else step 4);
 *   2. "?>" over the last two of the reserve: the instruction ends
 *      before the suite, the suite is live, and the new "<?shard-pad"
 *      opens the rest of the pad ("?" alone ends nothing; the space
 *      before it keeps the instruction's name apart);
 *   3. the old "<?shard-pad?>" blanked with spaces, left to right (what
 *      remains of it is text between suites, which readers ignore).
 *   4. When the pad is too small, or a suite holds "?>", the file is
 *      written whole once (temporary file, rename) with a pad as large as
 *      what it holds: the cost of the rewrites stays proportional to the
 *      final size, as a doubling array's.
 * reportlog_finish() writes the file whole without the pad.
 */
#ifndef SHARD_REPORTLOG_H
#define SHARD_REPORTLOG_H

#include <stddef.h>

#include "shard/util/error.h"

struct reportlog {
	char *path;
	int fd;
	unsigned long long pad; /* offset of the pad's "<?shard-pad" */
	unsigned long long end; /* offset of the pad's "?>" */
	size_t rewrites;        /* times written whole since created */
	int broken;             /* a write failed: rewrite the pad */
	/* for tests: told each write before it is made */
	void (*before_write)(void *data, unsigned long long at, const char *buf,
			     size_t len);
	void *hook_data;
};

/*
 * Create (or replace) path with an empty report: <testsuites> and a pad.
 * SHARD_EENV naming the path on failure. Release with reportlog_release
 * in every case.
 */
int reportlog_create(struct reportlog *l, const char *path,
		     struct shard_error *err);
/*
 * Append xml (len bytes: whole elements, normally one <testsuite>) and a
 * newline. On failure (SHARD_EENV) the file still holds what it held.
 */
int reportlog_append(struct reportlog *l, const char *xml, size_t len,
		     struct shard_error *err);
/* Write the file whole without the pad; it stays valid on failure. */
int reportlog_finish(struct reportlog *l, struct shard_error *err);
/* Close the file as it is and free l's memory. */
void reportlog_release(struct reportlog *l);

#endif
