/*
 * Allocation wrappers, number parsing and reading a file whole, shared by
 * every module.
 *
 * Large blocks (a million test ids make several of 8-50 MiB) are advised
 * to use transparent huge pages where Linux offers them: on this
 * project's machines a page fault costs microseconds, and a million-test
 * plan spent a fifth of its time faulting in 4 KiB pages (2.8 s -> 2.2 s).
 */
#define _DEFAULT_SOURCE /* MADV_HUGEPAGE */
#include "shard/util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shard/util/error.h"
#include "shard/util/strbuf.h"
#include "shard/util/banned.h"

#define HUGE_BLOCK ((size_t)4 << 20)
#define HUGE_PAGE ((uintptr_t)2 << 20)

static void *advise_huge(void *p, size_t size)
{
#ifdef MADV_HUGEPAGE
	uintptr_t start = ((uintptr_t)p + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
	uintptr_t end = ((uintptr_t)p + size) & ~(HUGE_PAGE - 1);

	if (size >= HUGE_BLOCK && end > start)
		madvise((void *)start, end - start, MADV_HUGEPAGE);
#else
	(void)size;
#endif
	return p;
}

static void *oom(size_t size)
{
	fprintf(stderr, "shard: out of memory (allocating %zu bytes)\n", size);
	abort();
}

void *xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);
	return p ? advise_huge(p, size) : oom(size);
}

void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
	return p ? advise_huge(p, nmemb * size) : oom(nmemb * size);
}

void *xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);
	return p ? advise_huge(p, size) : oom(size);
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void *xgrow(void *arr, size_t need, size_t *alloc, size_t elem_size)
{
	size_t n = *alloc;

	if (need <= n)
		return arr;
	n = n < 16 ? 16 : n + n / 2;
	if (n < need)
		n = need;
	if (n > SIZE_MAX / elem_size)
		oom(SIZE_MAX);
	*alloc = n;
	return xrealloc(arr, n * elem_size);
}

int shard_parse_long(const char *s, long min, long max, long *out)
{
	char *end = NULL;
	long v;

	if (!s || !*s || !(*s == '-' || (*s >= '0' && *s <= '9')))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int shard_parse_double(const char *s, double *out)
{
	char *end = NULL;
	double v;

	if (!s || !*s || !(*s == '-' || *s == '.' || (*s >= '0' && *s <= '9')))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || end == s || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

int64_t shard_usec(double seconds)
{
	if (!(seconds > 0))
		return 0;
	if (seconds > 9.0e12)
		return INT64_C(9000000000000000000);
	return (int64_t)llround(seconds * 1e6);
}

void shard_radix_sort(struct shard_ranked *r, struct shard_ranked *tmp,
		      size_t n)
{
	size_t *count = xmalloc(65536 * sizeof(*count));

	for (int pass = 0; pass < 4; pass++) {
		int shift = 16 * pass;
		size_t sum = 0;

		memset(count, 0, 65536 * sizeof(*count));
		for (size_t i = 0; i < n; i++)
			count[(r[i].key >> shift) & 0xffff]++;
		for (size_t d = 0; d < 65536; d++) {
			size_t c = count[d];

			count[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			tmp[count[(r[i].key >> shift) & 0xffff]++] = r[i];
		memcpy(r, tmp, n * sizeof(*r));
	}
	free(count);
}

#define READ_CHUNK ((size_t)64 << 10)
#define READ_MOST ((size_t)1 << 30) /* one read(2) asks for no more */

static int too_large(const char *name, size_t max, struct shard_error *err)
{
	return shard_error_set(err, SHARD_EINPUT,
			       "%s: too large: more than %zu bytes", name, max);
}

int read_fd_chunks(int fd, const char *name, read_chunk_fn fn, void *data,
		   struct shard_error *err)
{
	char buf[65536];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		int r;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return shard_error_set(err, SHARD_EENV,
					       "%s: read error: %s", name,
					       strerror(errno));
		if (n == 0)
			return 0;
		if ((r = fn(data, buf, (size_t)n, err)))
			return r;
	}
}

int read_fd_whole(int fd, const char *name, size_t max, struct strbuf *out,
		  struct shard_error *err)
{
	size_t start = out->len, want = READ_CHUNK;
	struct stat st;

	/* a file's size foretells the buffer: one allocation, no copying */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
		if ((uintmax_t)st.st_size > max)
			return too_large(name, max, err);
		want = (size_t)st.st_size + 1; /* + 1: the end, in one read */
	}
	for (;;) {
		size_t got = out->len - start, room;
		ssize_t n;

		if (strbuf_grow(out, want) < 0)
			break; /* out's own cap */
		/* then the buffer grows by half whenever it is full */
		want = 1;
		room = out->alloc - out->len - 1;
		if (room > READ_MOST)
			room = READ_MOST;
		if (max - got < room)
			room = max - got + 1; /* one byte past max tells */
		n = read(fd, out->buf + out->len, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			strbuf_setlen(out, start);
			return shard_error_set(err, SHARD_EENV,
					       "%s: read error: %s", name,
					       strerror(e));
		}
		if (n == 0)
			return 0;
		out->len += (size_t)n;
		out->buf[out->len] = '\0';
		if (out->len - start > max)
			break;
	}
	strbuf_setlen(out, start);
	return too_large(name, max, err);
}

int read_file_whole(const char *path, size_t max, struct strbuf *out,
		    struct shard_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), r;

	if (fd < 0)
		return shard_error_set(err,
				       errno == ENOENT ? SHARD_EINPUT
						       : SHARD_EENV,
				       "%s: %s", path, strerror(errno));
	r = read_fd_whole(fd, path, max, out, err);
	close(fd);
	return r;
}
