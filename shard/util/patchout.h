/*
 * An output written front to back whose earlier bytes can still be
 * overwritten: merge writes each suite's start tag before its testcases
 * are counted, leaving room that it fills in at the end, and blanks out a
 * testcase already written once a later retry folds it. Writes go
 * through one buffer; a patch lands in the buffer when its bytes are still
 * there, else in the file with pwrite(), so the file must be seekable.
 */
#ifndef SHARD_PATCHOUT_H
#define SHARD_PATCHOUT_H

#include <stddef.h>

#include "shard/util/error.h"

struct patchout {
	int fd;           /* the caller's; seekable, not O_APPEND */
	const char *path; /* names the file in messages */
	char *buf;
	size_t len, cap;
	unsigned long long off; /* file offset of buf[0] */
};

/* Write to fd from file offset start on, through a buffer of 1 MiB. */
void patchout_init(struct patchout *p, int fd, const char *path,
		   unsigned long long start);
/* Free the buffer; what was not flushed is dropped. fd stays open. */
void patchout_release(struct patchout *p);

/* The file offset the next byte goes to. */
static inline unsigned long long patchout_tell(const struct patchout *p)
{
	return p->off + p->len;
}

/* Append n bytes. Returns 0, or SHARD_EENV "path: write error: ...". */
int patchout_put(struct patchout *p, const void *data, size_t n,
		 struct shard_error *err);
/*
 * Overwrite n bytes from file offset at (at + n <= patchout_tell()) with
 * data, or with n copies of byte c when data is NULL. Errors as above.
 */
int patchout_patch(struct patchout *p, unsigned long long at, const void *data,
		   int c, size_t n, struct shard_error *err);
/* Write out the buffer; errors as above. */
int patchout_flush(struct patchout *p, struct shard_error *err);

#endif
