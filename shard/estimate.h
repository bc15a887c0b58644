/*
 * Per-test duration estimates from recent samples. Samples are kept per
 * test as a small blob (the last N, oldest first, little-endian doubles),
 * updated at ingest so that planning reads one number per test.
 *
 * The default, the median of the last 10, was chosen by measurement
 * (bench/estimators.sh, figures in docs/benchmarks.md): it predicted the next run
 * best of the four on synthetic runs with noise, drift and outliers, and
 * on the baserow snapshots. The median, the trimmed mean (from 3 samples
 * on) and ewma-median ignore a single outlier; the plain EWMA does not.
 */
#ifndef SHARD_ESTIMATE_H
#define SHARD_ESTIMATE_H

#include <stddef.h>

#define ESTIMATE_WINDOW_DEFAULT 10
#define ESTIMATE_WINDOW_MAX 100
#define ESTIMATE_SAMPLE_BYTES 8

enum estimate_method {
	ESTIMATE_MEDIAN,
	ESTIMATE_TRIMMED,     /* mean of the middle 60% */
	ESTIMATE_EWMA,        /* exponentially weighted, alpha 0.3 */
	ESTIMATE_EWMA_MEDIAN, /* median of the last 3 fed into an EWMA */
};

#define ESTIMATE_METHOD_DEFAULT ESTIMATE_MEDIAN

/* Decode up to max samples from a blob of len bytes; returns the count. */
size_t estimate_decode(const void *blob, size_t len, double *out, size_t max);
/*
 * Append x to the samples in blob (len bytes), keeping the newest window;
 * writes the new blob to out (room for ESTIMATE_WINDOW_MAX samples of
 * ESTIMATE_SAMPLE_BYTES) and
 * returns its length in bytes.
 */
size_t estimate_push(const void *blob, size_t len, double x, size_t window,
		     unsigned char *out);
/* The estimate from n samples (oldest first); 0 when n == 0. */
double estimate_value(enum estimate_method m, const double *samples, size_t n);
/* Median of v[0..n) (reorders v); 0 when n == 0. */
double estimate_median(double *v, size_t n);
/* "median", "trimmed", "ewma"... to a method; -1 if unknown. */
int estimate_method_parse(const char *name);
const char *estimate_method_name(enum estimate_method m);

#endif
