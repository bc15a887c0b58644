/*
 * Allocation that never returns NULL (allocation failure aborts with a
 * message, as git's xmalloc does), checked number parsing, and reading a
 * file whole.
 */
#ifndef SHARD_UTIL_H
#define SHARD_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Allocate or abort; the result is the caller's to free(). */
void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Grow *arr (of *alloc elements of elem_size) to hold at least need. */
void *xgrow(void *arr, size_t need, size_t *alloc, size_t elem_size);
#define ALLOC_GROW(arr, need, alloc) \
	((arr) = xgrow((arr), (need), &(alloc), sizeof(*(arr))))

/*
 * Parse the whole of s as a base-10 integer in [min, max] into *out.
 * Returns 0, or -1 when s is empty, has trailing bytes or is out of range.
 */
int shard_parse_long(const char *s, long min, long max, long *out);
/* Parse the whole of s as a finite double; 0 or -1 as above. */
int shard_parse_double(const char *s, double *out);

/* A 64-bit key and what it stands for, for shard_radix_sort. */
struct shard_ranked {
	uint64_t key;
	size_t value;
};

/*
 * Sort r (n entries) by key, ascending, stably, with tmp as large for
 * scratch: an LSD radix sort in four 16-bit passes, a tenth of qsort's
 * time on a million keys.
 */
void shard_radix_sort(struct shard_ranked *r, struct shard_ranked *tmp,
		      size_t n);

/* Seconds (double) to integer microseconds, rounded, negatives to 0. */
int64_t shard_usec(double seconds);

struct strbuf;
struct shard_error;

/*
 * The cap for files read whole to be parsed as JSON (plan files, history
 * exports): about the most SQLite's JSON functions take (a billion bytes).
 */
#define READ_FILE_WHOLE_MAX ((size_t)1 << 30)

/*
 * Append the whole of the file at path to out, reading on through EINTR.
 * A file that cannot be opened is an error naming it (SHARD_EINPUT when
 * it does not exist, else SHARD_EENV), as is a read error ("PATH: read
 * error: ..."); a file of more than max bytes is SHARD_EINPUT ("PATH: too
 * large: more than MAX bytes"), found before reading when its size is
 * known, as is one that out's own cap (strbuf) cannot hold. On error out
 * holds what it held before.
 */
int read_file_whole(const char *path, size_t max, struct strbuf *out,
		    struct shard_error *err);
/* The same for an open fd (standard input: 0), named name in errors. */
int read_fd_whole(int fd, const char *name, size_t max, struct strbuf *out,
		  struct shard_error *err);

/* Given each chunk of a stream; 0, or a negative code with err set. */
typedef int (*read_chunk_fn)(void *data, const char *buf, size_t len,
			     struct shard_error *err);
/*
 * Read fd to its end in chunks of up to 64 KiB, reading on through
 * EINTR, handing each to fn. Returns 0, fn's code, or SHARD_EENV "NAME:
 * read error: ...".
 */
int read_fd_chunks(int fd, const char *name, read_chunk_fn fn, void *data,
		   struct shard_error *err);

#endif
