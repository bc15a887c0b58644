/*
 * Estimators over a short window of samples. Samples are little-endian
 * IEEE doubles in the blob, so that a single sample comes back exactly as
 * it went in (a timing file planned right after ingest gives the very
 * numbers the file holds) and the blob means the same on every machine.
 */
#include "shard/estimate.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shard/util/banned.h"

static const char *const method_names[] = {
	[ESTIMATE_MEDIAN] = "median",
	[ESTIMATE_TRIMMED] = "trimmed",
	[ESTIMATE_EWMA] = "ewma",
	[ESTIMATE_EWMA_MEDIAN] = "ewma-median",
};

static void put_f64(unsigned char *p, double x)
{
	uint64_t u;

	memcpy(&u, &x, sizeof(u));
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(u >> (8 * i));
}

static double get_f64(const unsigned char *p)
{
	uint64_t u = 0;
	double x;

	for (int i = 0; i < 8; i++)
		u |= (uint64_t)p[i] << (8 * i);
	memcpy(&x, &u, sizeof(x));
	return x;
}

size_t estimate_decode(const void *blob, size_t len, double *out, size_t max)
{
	size_t n = len / ESTIMATE_SAMPLE_BYTES;

	if (n > max)
		n = max;
	for (size_t i = 0; i < n; i++)
		out[i] = get_f64((const unsigned char *)blob +
				 ESTIMATE_SAMPLE_BYTES * i);
	return n;
}

size_t estimate_push(const void *blob, size_t len, double x, size_t window,
		     unsigned char *out)
{
	const size_t w = ESTIMATE_SAMPLE_BYTES;
	size_t n = len / w, skip;

	if (window < 1)
		window = 1;
	if (window > ESTIMATE_WINDOW_MAX)
		window = ESTIMATE_WINDOW_MAX;
	skip = n + 1 > window ? n + 1 - window : 0;
	if (skip > n)
		skip = n;
	if (n > skip)
		memmove(out, (const unsigned char *)blob + w * skip,
			w * (n - skip));
	put_f64(out + w * (n - skip), x > 0 ? x : 0); /* NaN, negatives: 0 */
	return w * (n - skip + 1);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double estimate_median(double *v, size_t n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double trimmed(double *v, size_t n)
{
	size_t cut = (2 * n + 5) / 10; /* 20% off each end, rounded */
	double sum = 0;

	qsort(v, n, sizeof(*v), cmp_double);
	for (size_t i = cut; i < n - cut; i++)
		sum += v[i];
	return sum / (double)(n - 2 * cut);
}

static double ewma(const double *v, size_t n, double alpha)
{
	double e = v[0];

	for (size_t i = 1; i < n; i++)
		e = alpha * v[i] + (1 - alpha) * e;
	return e;
}

/*
 * EWMA over running medians of three, seeded with the median of the first
 * three: a lone outlier, wherever it is, never enters.
 */
static double ewma_median(const double *v, size_t n)
{
	double w[3], e;

	if (n < 3) {
		memcpy(w, v, n * sizeof(*v));
		return estimate_median(w, n);
	}
	memcpy(w, v, sizeof(w));
	e = estimate_median(w, 3);
	for (size_t i = 3; i < n; i++) {
		memcpy(w, v + i - 2, sizeof(w));
		e = 0.3 * estimate_median(w, 3) + 0.7 * e;
	}
	return e;
}

double estimate_value(enum estimate_method m, const double *samples, size_t n)
{
	double v[ESTIMATE_WINDOW_MAX];

	if (!n)
		return 0;
	if (n > ESTIMATE_WINDOW_MAX) {
		samples += n - ESTIMATE_WINDOW_MAX;
		n = ESTIMATE_WINDOW_MAX;
	}
	memcpy(v, samples, n * sizeof(*v));
	switch (m) {
	case ESTIMATE_MEDIAN:
		return estimate_median(v, n);
	case ESTIMATE_TRIMMED:
		return trimmed(v, n);
	case ESTIMATE_EWMA:
		return ewma(v, n, 0.3);
	case ESTIMATE_EWMA_MEDIAN:
		return ewma_median(v, n);
	}
	return estimate_median(v, n);
}

int estimate_method_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(method_names) / sizeof(*method_names);
	     i++)
		if (!strcmp(name, method_names[i]))
			return (int)i;
	return -1;
}

const char *estimate_method_name(enum estimate_method m)
{
	if ((size_t)m >= sizeof(method_names) / sizeof(*method_names))
		return "unknown";
	return method_names[m];
}
