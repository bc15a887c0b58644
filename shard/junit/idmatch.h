/*
 * Matching JUnit testcases back to the listed ids they stand for, by
 * canonical key (identity.h), or by file for ids that name a file (jest,
 * rspec). Used by shard run (which planned tests went unreported, which
 * failed) and by queue workers (which claimed test a testcase completes).
 */
#ifndef SHARD_IDMATCH_H
#define SHARD_IDMATCH_H

#include <stddef.h>

#include "shard/junit/junit.h"
#include "shard/util/strbuf.h"
#include "shard/util/u64map.h"

#define IDMATCH_NONE ((size_t)-1)

struct idmatch {
	struct u64map by_key, by_file; /* hash -> index of the id */
	struct strbuf key;
};

/* Index ids[0..n) (borrowed only during the call). The first of two ids
 * with one key wins. */
void idmatch_init(struct idmatch *m, const char *const *ids, size_t n);
/* The index of the id case c stands for, or IDMATCH_NONE. */
size_t idmatch_case(struct idmatch *m, const struct junit_case *c);
/* The index under which id itself was indexed, or IDMATCH_NONE. */
size_t idmatch_id(struct idmatch *m, const char *id);
void idmatch_release(struct idmatch *m);

#endif
