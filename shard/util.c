/*
 * Allocation wrappers and number parsing shared by every module.
 */
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

static void *oom(size_t size)
{
	fprintf(stderr, "shard: out of memory (allocating %zu bytes)\n", size);
	abort();
}

void *xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);
	return p ? p : oom(size);
}

void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
	return p ? p : oom(nmemb * size);
}

void *xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);
	return p ? p : oom(size);
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
