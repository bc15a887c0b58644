/*
 * Tests for the per-test estimators and the sample blob. Expected values
 * are worked out by hand (or by a plain loop written here) rather than
 * read back from the code under test; doubles that must survive a round
 * trip are compared bit for bit.
 */
#include "shard/estimate.h"

#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "shard/util/banned.h"

#define BLOB_MAX (ESTIMATE_SAMPLE_BYTES * ESTIMATE_WINDOW_MAX)

/* Push xs[0..n) one by one into an empty blob; returns the blob length. */
static size_t push_all(const double *xs, size_t n, size_t window,
		       unsigned char *blob)
{
	unsigned char tmp[BLOB_MAX];
	size_t len = 0;

	for (size_t i = 0; i < n; i++) {
		len = estimate_push(blob, len, xs[i], window, tmp);
		memcpy(blob, tmp, len);
	}
	return len;
}

static int same_bits(double a, double b)
{
	return memcmp(&a, &b, sizeof(a)) == 0;
}

static void push_keeps_the_newest_window_oldest_first(void **state)
{
	const double xs[] = { 1, 2, 3, 4, 5 };
	unsigned char blob[BLOB_MAX];
	double out[ESTIMATE_WINDOW_MAX];
	size_t len, n;

	(void)state;
	len = push_all(xs, 5, 3, blob);
	assert_int_equal(len, 3 * ESTIMATE_SAMPLE_BYTES);
	n = estimate_decode(blob, len, out, ESTIMATE_WINDOW_MAX);
	assert_int_equal(n, 3);
	assert_true(out[0] == 3 && out[1] == 4 && out[2] == 5);

	/* below the window nothing is dropped */
	len = push_all(xs, 2, 3, blob);
	n = estimate_decode(blob, len, out, ESTIMATE_WINDOW_MAX);
	assert_int_equal(n, 2);
	assert_true(out[0] == 1 && out[1] == 2);
}

static void push_shrinks_a_blob_longer_than_a_smaller_window(void **state)
{
	const double xs[] = { 1, 2, 3, 4, 5, 6 };
	unsigned char blob[BLOB_MAX], out[BLOB_MAX];
	double v[ESTIMATE_WINDOW_MAX];
	size_t len = push_all(xs, 6, 10, blob), n;

	(void)state;
	len = estimate_push(blob, len, 7, 2, out);
	n = estimate_decode(out, len, v, ESTIMATE_WINDOW_MAX);
	assert_int_equal(n, 2);
	assert_true(v[0] == 6 && v[1] == 7);
}

static void push_clamps_the_window_to_one_and_the_maximum(void **state)
{
	double xs[ESTIMATE_WINDOW_MAX + 20];
	unsigned char blob[BLOB_MAX];
	double v[ESTIMATE_WINDOW_MAX];
	size_t len, n;

	(void)state;
	for (size_t i = 0; i < ESTIMATE_WINDOW_MAX + 20; i++)
		xs[i] = (double)i;
	len = push_all(xs, 4, 0, blob);
	n = estimate_decode(blob, len, v, ESTIMATE_WINDOW_MAX);
	assert_int_equal(n, 1);
	assert_true(v[0] == 3);

	len = push_all(xs, ESTIMATE_WINDOW_MAX + 20, 100000, blob);
	assert_int_equal(len, BLOB_MAX);
	n = estimate_decode(blob, len, v, ESTIMATE_WINDOW_MAX);
	assert_int_equal(n, ESTIMATE_WINDOW_MAX);
	assert_true(v[0] == 20);
	assert_true(v[ESTIMATE_WINDOW_MAX - 1] == ESTIMATE_WINDOW_MAX + 19);
}

static void push_records_a_negative_or_nan_time_as_zero(void **state)
{
	unsigned char blob[BLOB_MAX], out[BLOB_MAX];
	double v[2];
	size_t len = estimate_push(NULL, 0, -2.5, 10, blob);

	(void)state;
	assert_int_equal(estimate_decode(blob, len, v, 1), 1);
	assert_true(v[0] == 0);
	len = estimate_push(blob, len, nan(""), 10, out);
	assert_int_equal(estimate_decode(out, len, v, 2), 2);
	assert_true(v[1] == 0);
}

static void decode_returns_every_pushed_double_bit_for_bit(void **state)
{
	const double xs[] = {
		0.1,
		1.0 / 3,
		123456.789,
		1e-300,
		4.9406564584124654e-324,
		DBL_MAX,
		0.0,
		2.220446049250313e-16,
		86400.000001,
	};
	const size_t nx = sizeof(xs) / sizeof(*xs);
	unsigned char blob[BLOB_MAX];
	double out[ESTIMATE_WINDOW_MAX];
	size_t len = push_all(xs, nx, ESTIMATE_WINDOW_MAX, blob), n;

	(void)state;
	n = estimate_decode(blob, len, out, ESTIMATE_WINDOW_MAX);
	assert_int_equal(n, nx);
	for (size_t i = 0; i < nx; i++)
		assert_true(same_bits(out[i], xs[i]));
}

static void blob_is_little_endian_ieee(void **state)
{
	static const unsigned char one[8] = {
		0, 0, 0, 0, 0, 0, 0xf0, 0x3f,
	};
	static const unsigned char point_one[8] = {
		0x9a, 0x99, 0x99, 0x99, 0x99, 0x99, 0xb9, 0x3f, /* 0.1 */
	};
	unsigned char blob[BLOB_MAX];
	double v[1];

	(void)state;
	assert_int_equal(estimate_push(NULL, 0, 1.0, 10, blob), 8);
	assert_memory_equal(blob, one, 8);
	assert_int_equal(estimate_decode(point_one, 8, v, 1), 1);
	assert_true(v[0] == 0.1);
}

static void decode_stops_at_max_and_ignores_a_partial_sample(void **state)
{
	const double xs[] = { 1, 2, 3 };
	unsigned char blob[BLOB_MAX];
	double out[ESTIMATE_WINDOW_MAX] = { 0 };
	size_t len = push_all(xs, 3, 10, blob);

	(void)state;
	assert_int_equal(estimate_decode(blob, len, out, 2), 2);
	assert_true(out[0] == 1 && out[1] == 2);
	assert_int_equal(estimate_decode(blob, len - 1, out, 10), 2);
	assert_int_equal(estimate_decode(blob, 7, out, 10), 0);
	assert_int_equal(estimate_decode(NULL, 0, out, 10), 0);
}

static void median_of_odd_count_is_the_middle(void **state)
{
	double v[] = { 9, 1, 5, 3, 7 };
	const double c[] = { 30, 10, 20 };

	(void)state;
	assert_true(estimate_median(v, 5) == 5);
	assert_true(estimate_value(ESTIMATE_MEDIAN, c, 3) == 20);
	/* estimate_value leaves its input alone */
	assert_true(c[0] == 30 && c[1] == 10 && c[2] == 20);
}

static void median_of_even_count_averages_the_middle_two(void **state)
{
	double v[] = { 4, 1, 3, 2 };
	const double c[] = { 10, 1, 2, 1000 };

	(void)state;
	assert_true(estimate_median(v, 4) == 2.5);
	assert_true(estimate_value(ESTIMATE_MEDIAN, c, 4) == 6);
}

static void every_method_gives_zero_without_samples(void **state)
{
	double v[1] = { 7 };

	(void)state;
	assert_true(estimate_median(v, 0) == 0);
	for (int m = ESTIMATE_MEDIAN; m <= ESTIMATE_EWMA_MEDIAN; m++)
		assert_true(estimate_value((enum estimate_method)m, v, 0) == 0);
}

static void every_method_returns_a_single_sample_as_is(void **state)
{
	const double v[1] = { 0.123456789 };

	(void)state;
	for (int m = ESTIMATE_MEDIAN; m <= ESTIMATE_EWMA_MEDIAN; m++)
		assert_true(
			same_bits(estimate_value((enum estimate_method)m, v, 1),
				  v[0]));
}

static void trimmed_mean_drops_the_extremes(void **state)
{
	/* sorted 1..8, 100, 200: the middle 60% is 3..8, mean 5.5 */
	const double ten[] = { 100, 1, 2, 3, 4, 5, 6, 7, 8, 200 };
	/* 20% of 5 is one sample each side: 10, 10, 10 remain */
	const double five[] = { 1000, 10, 0.001, 10, 10 };

	(void)state;
	assert_float_equal(estimate_value(ESTIMATE_TRIMMED, ten, 10), 5.5,
			   1e-12);
	assert_float_equal(estimate_value(ESTIMATE_TRIMMED, five, 5), 10,
			   1e-12);
}

static void trimmed_mean_drops_the_extremes_from_three_samples(void **state)
{
	/* 20% of 3, rounded, is one sample each side */
	const double three[] = { 1, 100, 2 };
	/* 20% of 4 rounds to one: the mean of 2 and 3 */
	const double four[] = { 3, 1000, 0, 2 };
	const double two[] = { 1, 3 };

	(void)state;
	assert_true(estimate_value(ESTIMATE_TRIMMED, three, 3) == 2);
	assert_float_equal(estimate_value(ESTIMATE_TRIMMED, four, 4), 2.5,
			   1e-12);
	/* too few to trim: the mean */
	assert_float_equal(estimate_value(ESTIMATE_TRIMMED, two, 2), 2, 1e-12);
}

static double plain_ewma(const double *v, size_t n)
{
	double e = v[0];

	for (size_t i = 1; i < n; i++)
		e = 0.3 * v[i] + 0.7 * e;
	return e;
}

static void ewma_weights_recent_samples_more(void **state)
{
	const double late[] = { 1, 1, 1, 1, 10 };
	const double early[] = { 10, 1, 1, 1, 1 };
	double a = estimate_value(ESTIMATE_EWMA, late, 5);
	double b = estimate_value(ESTIMATE_EWMA, early, 5);

	(void)state;
	/* 0.3 * 10 + 0.7 * 1 */
	assert_float_equal(a, 3.7, 1e-12);
	/* 1 + 9 * 0.7^4 */
	assert_float_equal(b, 1 + 9 * 0.7 * 0.7 * 0.7 * 0.7, 1e-12);
	assert_true(a > b);
	assert_float_equal(a, plain_ewma(late, 5), 1e-12);
}

static void ewma_median_ignores_a_single_late_outlier(void **state)
{
	const double middle[] = { 2, 2, 2, 100, 2, 2 };
	const double last[] = { 2, 2, 2, 2, 100 };

	(void)state;
	assert_true(estimate_value(ESTIMATE_EWMA_MEDIAN, middle, 6) == 2);
	assert_true(estimate_value(ESTIMATE_EWMA_MEDIAN, last, 5) == 2);
}

/*
 * The window slides, so every outlier ends up as the oldest sample before
 * it leaves: the estimate must not jump then either (estimate.h: all
 * estimators ignore a single outlier among several samples).
 */
static void ewma_median_ignores_a_single_outlier_in_any_position(void **state)
{
	double v[ESTIMATE_WINDOW_DEFAULT];
	size_t bad = 0;

	(void)state;
	for (size_t at = 0; at < ESTIMATE_WINDOW_DEFAULT; at++) {
		double e;

		for (size_t i = 0; i < ESTIMATE_WINDOW_DEFAULT; i++)
			v[i] = i == at ? 100 : 2;
		e = estimate_value(ESTIMATE_EWMA_MEDIAN, v,
				   ESTIMATE_WINDOW_DEFAULT);
		if (e > 2.2) {
			print_error("outlier 100 at position %zu of %d "
				    "samples of 2: estimate %g\n",
				    at, ESTIMATE_WINDOW_DEFAULT, e);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

static void median_and_trimmed_ignore_a_single_outlier(void **state)
{
	const double v[] = { 2, 2, 2, 2, 2, 2, 2, 2, 2, 1e6 };

	(void)state;
	assert_true(estimate_value(ESTIMATE_MEDIAN, v, 10) == 2);
	assert_float_equal(estimate_value(ESTIMATE_TRIMMED, v, 10), 2, 1e-12);
}

static void value_uses_only_the_newest_window_max_samples(void **state)
{
	/* 100 x 100.0 then 60 x 1.0: the newest 100 are 40 x 100, 60 x 1 */
	double v[160];

	(void)state;
	for (size_t i = 0; i < 160; i++)
		v[i] = i < 100 ? 100 : 1;
	assert_true(estimate_value(ESTIMATE_MEDIAN, v, 160) == 1);
}

static void method_names_parse_and_round_trip(void **state)
{
	static const char *const names[] = {
		"median",
		"trimmed",
		"ewma",
		"ewma-median",
	};

	(void)state;
	assert_int_equal(estimate_method_parse("median"), ESTIMATE_MEDIAN);
	assert_int_equal(estimate_method_parse("trimmed"), ESTIMATE_TRIMMED);
	assert_int_equal(estimate_method_parse("ewma"), ESTIMATE_EWMA);
	assert_int_equal(estimate_method_parse("ewma-median"),
			 ESTIMATE_EWMA_MEDIAN);
	for (int m = 0; m < 4; m++) {
		enum estimate_method em = (enum estimate_method)m;

		assert_string_equal(estimate_method_name(em), names[m]);
		assert_int_equal(estimate_method_parse(names[m]), m);
	}
	assert_int_equal(ESTIMATE_METHOD_DEFAULT, ESTIMATE_MEDIAN);
	assert_string_equal(estimate_method_name((enum estimate_method)99),
			    "unknown");
}

static void unknown_method_names_are_refused(void **state)
{
	(void)state;
	assert_int_equal(estimate_method_parse(""), -1);
	assert_int_equal(estimate_method_parse("Median"), -1);
	assert_int_equal(estimate_method_parse("mean"), -1);
	assert_int_equal(estimate_method_parse("median "), -1);
	assert_int_equal(estimate_method_parse("ewma-"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(push_keeps_the_newest_window_oldest_first),
		cmocka_unit_test(
			push_shrinks_a_blob_longer_than_a_smaller_window),
		cmocka_unit_test(push_clamps_the_window_to_one_and_the_maximum),
		cmocka_unit_test(push_records_a_negative_or_nan_time_as_zero),
		cmocka_unit_test(
			decode_returns_every_pushed_double_bit_for_bit),
		cmocka_unit_test(blob_is_little_endian_ieee),
		cmocka_unit_test(
			decode_stops_at_max_and_ignores_a_partial_sample),
		cmocka_unit_test(median_of_odd_count_is_the_middle),
		cmocka_unit_test(median_of_even_count_averages_the_middle_two),
		cmocka_unit_test(every_method_gives_zero_without_samples),
		cmocka_unit_test(every_method_returns_a_single_sample_as_is),
		cmocka_unit_test(trimmed_mean_drops_the_extremes),
		cmocka_unit_test(
			trimmed_mean_drops_the_extremes_from_three_samples),
		cmocka_unit_test(ewma_weights_recent_samples_more),
		cmocka_unit_test(ewma_median_ignores_a_single_late_outlier),
		cmocka_unit_test(
			ewma_median_ignores_a_single_outlier_in_any_position),
		cmocka_unit_test(median_and_trimmed_ignore_a_single_outlier),
		cmocka_unit_test(value_uses_only_the_newest_window_max_samples),
		cmocka_unit_test(method_names_parse_and_round_trip),
		cmocka_unit_test(unknown_method_names_are_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
