/*
 * Which duration estimator predicts the next run best? Links the project's
 * shard/estimate.c and feeds it, through estimate_push/estimate_decode as
 * ingest does, either synthetic consecutive runs built from real timing
 * files or the real baserow snapshots. Prints Markdown tables.
 *
 * usage: estimators [-s SNAPSHOTS] DURATIONS...
 *   DURATIONS  one duration in seconds a line (one test each), the first
 *              line "# name"
 *   SNAPSHOTS  "# label label ..." then one test a line with one duration
 *              a snapshot, "nan" where the test is absent, oldest first
 *
 * Synthetic runs: for a test of base duration d, run r takes
 *   d * exp(drift_r + sigma * z_r) * (5 with probability 0.02)
 * with drift_r a random walk of N(0, 0.03) steps. Runs r >= WARMUP are
 * predicted from the (up to) N runs before them. Everything is seeded and
 * uses its own PRNG, so the output is the same on every machine.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shard/estimate.h"

#define RUNS 30
#define WARMUP 3
#define SHARDS 8
#define DRIFT_SIGMA 0.03
#define OUTLIER_P 0.02
#define OUTLIER_X 5.0
#define TINY 1e-9 /* floor for log errors */
#define PI 3.14159265358979323846

static const double sigmas[] = {0.1, 0.3, 0.5};
#define NSIGMA (sizeof(sigmas) / sizeof(*sigmas))
#define MAIN_SIGMA 1 /* index of 0.3 */
static const size_t windows[] = {5, 10, 20};
#define NWINDOW (sizeof(windows) / sizeof(*windows))
#define MAIN_WINDOW 1 /* index of 10 */

/* Rows: the four estimators of estimate.c, then two references. */
enum { NEST = 4, ROW_LAST = NEST, ROW_ORACLE, NROW };
static const enum estimate_method methods[NEST] = {
	ESTIMATE_MEDIAN, ESTIMATE_TRIMMED, ESTIMATE_EWMA, ESTIMATE_EWMA_MEDIAN,
};

static const char *row_name(int row)
{
	if (row < NEST)
		return estimate_method_name(methods[row]);
	return row == ROW_LAST ? "(last value)" : "(oracle: actual)";
}

struct metrics {
	double wape, male, ratio;
};

struct dataset {
	char name[256];
	size_t n;
	double *d;
};

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p) {
		fputs("estimators: out of memory\n", stderr);
		exit(1);
	}
	return p;
}

/* --- PRNG: splitmix64, Box-Muller --- */

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double uniform(uint64_t *s) /* (0, 1] */
{
	return (double)((splitmix(s) >> 11) + 1) * 0x1.0p-53;
}

static void normal2(uint64_t *s, double *a, double *b)
{
	double r = sqrt(-2 * log(uniform(s))), t = 2 * PI * uniform(s);

	*a = r * cos(t);
	*b = r * sin(t);
}

static uint64_t fnv1a(const char *p)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	return h;
}

/* --- input --- */

static int read_durations(const char *path, struct dataset *ds)
{
	FILE *f = fopen(path, "r");
	char line[512];
	size_t cap = 1024;

	if (!f) {
		perror(path);
		return -1;
	}
	snprintf(ds->name, sizeof(ds->name), "%.255s", path);
	ds->n = 0;
	ds->d = xmalloc(cap * sizeof(double));
	while (fgets(line, sizeof(line), f)) {
		char *end;
		double x;

		if (line[0] == '#') {
			line[strcspn(line, "\n")] = 0;
			snprintf(ds->name, sizeof(ds->name), "%.255s", line + 2);
			continue;
		}
		x = strtod(line, &end);
		if (end == line || !(x > 0))
			continue; /* synthetic runs of a 0 s test say nothing */
		if (ds->n == cap) {
			cap *= 2;
			ds->d = realloc(ds->d, cap * sizeof(double));
			if (!ds->d)
				exit(1);
		}
		ds->d[ds->n++] = x;
	}
	fclose(f);
	return 0;
}

/* --- the plan: LPT into SHARDS by predicted weight --- */

struct item {
	double p, a;
	size_t i;
};

static int by_pred_desc(const void *x, const void *y)
{
	const struct item *a = x, *b = y;

	if (a->p != b->p)
		return a->p < b->p ? 1 : -1;
	return (a->i > b->i) - (a->i < b->i);
}

/* Realised makespan / realised lower bound. */
static double lpt_ratio(const double *pred, const double *act, size_t n,
			struct item *tmp)
{
	double load[SHARDS] = {0}, real[SHARDS] = {0};
	double total = 0, maxa = 0, mk = 0, lb;

	for (size_t i = 0; i < n; i++) {
		tmp[i] = (struct item){pred[i], act[i], i};
		total += act[i];
		if (act[i] > maxa)
			maxa = act[i];
	}
	qsort(tmp, n, sizeof(*tmp), by_pred_desc);
	for (size_t i = 0; i < n; i++) {
		int k = 0;

		for (int j = 1; j < SHARDS; j++)
			if (load[j] < load[k])
				k = j;
		load[k] += tmp[i].p;
		real[k] += tmp[i].a;
	}
	for (int j = 0; j < SHARDS; j++)
		if (real[j] > mk)
			mk = real[j];
	lb = total / SHARDS > maxa ? total / SHARDS : maxa;
	return lb > 0 ? mk / lb : 1;
}

static struct metrics score(const double *pred, const double *act, size_t n,
			    struct item *tmp)
{
	double err = 0, sum = 0, lerr = 0;

	for (size_t i = 0; i < n; i++) {
		double p = pred[i] > TINY ? pred[i] : TINY;
		double a = act[i] > TINY ? act[i] : TINY;

		err += fabs(pred[i] - act[i]);
		sum += act[i];
		lerr += fabs(log(p / a));
	}
	return (struct metrics){
		sum > 0 ? err / sum : 0,
		n ? lerr / (double)n : 0,
		lpt_ratio(pred, act, n, tmp),
	};
}

static void add(struct metrics *acc, struct metrics m, double w)
{
	acc->wape += w * m.wape;
	acc->male += w * m.male;
	acc->ratio += w * m.ratio;
}

/* --- synthetic runs --- */

/* runs[t * RUNS + r]; the same random draws for every sigma. */
static void simulate(const struct dataset *ds, double sigma, double *runs)
{
	uint64_t fseed = fnv1a(ds->name);

	for (size_t t = 0; t < ds->n; t++) {
		uint64_t s = fseed ^ (0x5851f42d4c957f2dULL * (t + 1));
		double drift = 0;

		(void)splitmix(&s);
		for (int r = 0; r < RUNS; r++) {
			double z1, z2, u, x;

			normal2(&s, &z1, &z2);
			u = uniform(&s);
			if (r)
				drift += DRIFT_SIGMA * z1;
			x = ds->d[t] * exp(drift + sigma * z2);
			if (u <= OUTLIER_P)
				x *= OUTLIER_X;
			runs[t * RUNS + r] = x;
		}
	}
}

/*
 * Mean over runs WARMUP..RUNS-1 of the metrics of one row with window w.
 * Samples go through estimate_push/estimate_decode as at ingest.
 */
static struct metrics eval_runs(const double *runs, size_t n, int row,
				size_t w, unsigned char *blobs, size_t *lens,
				double *pred, double *act, struct item *tmp)
{
	struct metrics acc = {0, 0, 0};
	const size_t bsz = ESTIMATE_WINDOW_MAX * ESTIMATE_SAMPLE_BYTES;
	double v[ESTIMATE_WINDOW_MAX];

	for (size_t t = 0; t < n; t++)
		lens[t] = 0;
	for (int r = 0; r < RUNS; r++) {
		for (size_t t = 0; t < n; t++) {
			act[t] = runs[t * RUNS + r];
			if (r < WARMUP)
				continue;
			if (row < NEST) {
				size_t k = estimate_decode(blobs + t * bsz,
							   lens[t], v,
							   ESTIMATE_WINDOW_MAX);
				pred[t] = estimate_value(methods[row], v, k);
			} else if (row == ROW_LAST) {
				pred[t] = runs[t * RUNS + r - 1];
			} else {
				pred[t] = act[t];
			}
		}
		if (r >= WARMUP)
			add(&acc, score(pred, act, n, tmp),
			    1.0 / (RUNS - WARMUP));
		for (size_t t = 0; t < n; t++)
			lens[t] = estimate_push(blobs + t * bsz, lens[t],
						act[t], w, blobs + t * bsz);
	}
	return acc;
}

/* --- baserow snapshots --- */

struct snaps {
	char label[8][64];
	int ncol;
	size_t n;
	double *v; /* v[t * ncol + c], NAN when absent */
};

static int read_snaps(const char *path, struct snaps *s)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	size_t cap = 1024;

	if (!f) {
		perror(path);
		return -1;
	}
	s->ncol = 0;
	s->n = 0;
	s->v = NULL;
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *end;

		if (line[0] == '#') {
			char *tok = line + 1;

			while (s->ncol < 8) {
				size_t k;

				tok += strspn(tok, " \t\n");
				k = strcspn(tok, " \t\n");
				if (!k)
					break;
				snprintf(s->label[s->ncol], 64, "%.*s",
					 (int)k, tok);
				s->ncol++;
				tok += k;
			}
			s->v = xmalloc(cap * (size_t)s->ncol * sizeof(double));
			continue;
		}
		if (!s->v)
			break;
		if (s->n == cap) {
			cap *= 2;
			s->v = realloc(s->v, cap * (size_t)s->ncol *
						     sizeof(double));
			if (!s->v)
				exit(1);
		}
		for (int c = 0; c < s->ncol; c++, p = end)
			s->v[s->n * (size_t)s->ncol + (size_t)c] =
				strtod(p, &end);
		s->n++;
	}
	fclose(f);
	return s->ncol >= 2 ? 0 : -1;
}

/* Metrics of row for predicting snapshot c from those before it. */
static struct metrics eval_snap(const struct snaps *s, int c, int row,
				size_t *count)
{
	double *pred = xmalloc(s->n * sizeof(double));
	double *act = xmalloc(s->n * sizeof(double));
	struct item *tmp = xmalloc(s->n * sizeof(*tmp));
	struct metrics m;
	size_t n = 0;

	for (size_t t = 0; t < s->n; t++) {
		const double *v = s->v + t * (size_t)s->ncol;
		double h[8];
		size_t k = 0;

		if (isnan(v[c]) || isnan(v[c - 1]))
			continue;
		for (int j = 0; j < c; j++)
			if (!isnan(v[j]))
				h[k++] = v[j];
		act[n] = v[c];
		if (row < NEST)
			pred[n] = estimate_value(methods[row], h, k);
		else
			pred[n] = row == ROW_LAST ? v[c - 1] : v[c];
		n++;
	}
	m = score(pred, act, n, tmp);
	*count = n;
	free(pred);
	free(act);
	free(tmp);
	return m;
}

/* --- a property check: one outlier among n equal samples --- */

static double worst_outlier_shift(enum estimate_method m, size_t n)
{
	double v[ESTIMATE_WINDOW_MAX], worst = 0;

	for (size_t p = 0; p < n; p++) {
		double e;

		for (size_t i = 0; i < n; i++)
			v[i] = i == p ? OUTLIER_X : 1.0;
		e = estimate_value(m, v, n);
		if (fabs(e - 1) > worst)
			worst = fabs(e - 1);
	}
	return worst;
}

int main(int argc, char **argv)
{
	const char *snapfile = NULL;
	struct dataset *ds;
	int nds = 0, first = 1;
	size_t maxn = 0;
	/* res[sigma][window][row] averaged over files */
	static struct metrics res[NSIGMA][NWINDOW][NROW];

	if (argc > 2 && !strcmp(argv[1], "-s")) {
		snapfile = argv[2];
		first = 3;
	}
	if (first >= argc) {
		fputs("usage: estimators [-s SNAPSHOTS] DURATIONS...\n",
		      stderr);
		return 2;
	}
	ds = xmalloc((size_t)(argc - first) * sizeof(*ds));
	for (int i = first; i < argc; i++) {
		if (read_durations(argv[i], &ds[nds]))
			return 1;
		if (ds[nds].n > maxn)
			maxn = ds[nds].n;
		nds++;
	}

	{
		double *runs = xmalloc(maxn * RUNS * sizeof(double));
		unsigned char *blobs = xmalloc(
			maxn * ESTIMATE_WINDOW_MAX * ESTIMATE_SAMPLE_BYTES);
		size_t *lens = xmalloc(maxn * sizeof(size_t));
		double *pred = xmalloc(maxn * sizeof(double));
		double *act = xmalloc(maxn * sizeof(double));
		struct item *tmp = xmalloc(maxn * sizeof(*tmp));

		for (int f = 0; f < nds; f++)
			for (size_t si = 0; si < NSIGMA; si++) {
				simulate(&ds[f], sigmas[si], runs);
				for (size_t wi = 0; wi < NWINDOW; wi++)
					for (int row = 0; row < NROW; row++) {
						struct metrics m = eval_runs(
							runs, ds[f].n, row,
							windows[wi], blobs, lens,
							pred, act, tmp);

						add(&res[si][wi][row], m,
						    1.0 / nds);
					}
			}
		free(runs);
		free(blobs);
		free(lens);
		free(pred);
		free(act);
		free(tmp);
	}

	printf("## Synthetic runs\n\n");
	printf("%d files, ", nds);
	{
		size_t tot = 0;

		for (int f = 0; f < nds; f++)
			tot += ds[f].n;
		printf("%zu tests; %d runs each, runs %d..%d predicted; "
		       "drift N(0,%.2f)/run in log, lognormal noise sigma, "
		       "%.0f%% outliers x%.0f; LPT into K=%d. "
		       "Means over runs, then over files.\n\n",
		       tot, RUNS, WARMUP, RUNS - 1, DRIFT_SIGMA,
		       OUTLIER_P * 100, OUTLIER_X, SHARDS);
	}
	printf("### Window N=%zu: WAPE / mean |log error| / makespan÷LB\n\n",
	       windows[MAIN_WINDOW]);
	printf("| estimator |");
	for (size_t si = 0; si < NSIGMA; si++)
		printf(" WAPE σ%.1f | MALE σ%.1f | mkspan σ%.1f |", sigmas[si],
		       sigmas[si], sigmas[si]);
	printf("\n|---|");
	for (size_t si = 0; si < NSIGMA; si++)
		printf("---:|---:|---:|");
	printf("\n");
	for (int row = 0; row < NROW; row++) {
		printf("| %s |", row_name(row));
		for (size_t si = 0; si < NSIGMA; si++) {
			struct metrics m = res[si][MAIN_WINDOW][row];

			if (row == ROW_ORACLE)
				printf(" — | — | %.4f |", m.ratio);
			else
				printf(" %.4f | %.4f | %.4f |", m.wape, m.male,
				       m.ratio);
		}
		printf("\n");
	}

	/* best: lowest WAPE averaged over the sigmas at the main window */
	int best = 0;
	double bestw = INFINITY;

	for (int row = 0; row < NEST; row++) {
		double w = 0;

		for (size_t si = 0; si < NSIGMA; si++)
			w += res[si][MAIN_WINDOW][row].wape / NSIGMA;
		if (w < bestw) {
			bestw = w;
			best = row;
		}
	}

	printf("\n### Window, for every estimator (σ0.3; best by WAPE "
	       "over σ at N=%zu: %s)\n\n",
	       windows[MAIN_WINDOW], row_name(best));
	printf("| estimator | N |");
	for (size_t si = 0; si < NSIGMA; si++)
		printf(" WAPE σ%.1f |", sigmas[si]);
	printf(" MALE σ0.3 | mkspan σ0.3 |\n|---|---:|");
	for (size_t si = 0; si < NSIGMA; si++)
		printf("---:|");
	printf("---:|---:|\n");
	int bestn = MAIN_WINDOW;

	for (int k = 0; k < NEST; k++) {
		int row = k == 0 ? best : (k <= best ? k - 1 : k);

		for (size_t wi = 0; wi < NWINDOW; wi++) {
			printf("| %s | %zu |", row_name(row), windows[wi]);
			for (size_t si = 0; si < NSIGMA; si++)
				printf(" %.4f |", res[si][wi][row].wape);
			printf(" %.4f | %.4f |\n",
			       res[MAIN_SIGMA][wi][row].male,
			       res[MAIN_SIGMA][wi][row].ratio);
		}
	}
	/*
	 * The window: the smallest whose WAPE (mean over sigmas) is within
	 * 1% of the lowest, since a shorter window follows a real change of
	 * a test (not modelled here) sooner and stores less.
	 */
	double wmean[NWINDOW], wlow = INFINITY;

	for (size_t wi = 0; wi < NWINDOW; wi++) {
		wmean[wi] = 0;
		for (size_t si = 0; si < NSIGMA; si++)
			wmean[wi] += res[si][wi][best].wape / NSIGMA;
		if (wmean[wi] < wlow)
			wlow = wmean[wi];
	}
	for (int wi = (int)NWINDOW - 1; wi >= 0; wi--)
		if (wmean[wi] <= wlow * 1.01)
			bestn = wi;

	printf("\n### One x%.0f outlier among n equal samples: worst "
	       "|estimate − 1| over its position\n\n| estimator |",
	       OUTLIER_X);
	static const size_t ns[] = {2, 3, 4, 5, 10, 20};
	for (size_t i = 0; i < sizeof(ns) / sizeof(*ns); i++)
		printf(" n=%zu |", ns[i]);
	printf("\n|---|");
	for (size_t i = 0; i < sizeof(ns) / sizeof(*ns); i++)
		printf("---:|");
	printf("\n");
	for (int row = 0; row < NEST; row++) {
		printf("| %s |", row_name(row));
		for (size_t i = 0; i < sizeof(ns) / sizeof(*ns); i++)
			printf(" %.3f |", worst_outlier_shift(methods[row],
							      ns[i]));
		printf("\n");
	}

	int snapbest = -1;

	if (snapfile) {
		struct snaps s;
		struct metrics avg[NROW];
		double wape[NROW][8];
		size_t cnt[8];

		if (read_snaps(snapfile, &s))
			return 1;
		memset(avg, 0, sizeof(avg));
		for (int row = 0; row < NROW; row++)
			for (int c = 1; c < s.ncol; c++) {
				struct metrics m = eval_snap(&s, c, row,
							     &cnt[c]);

				wape[row][c] = m.wape;
				add(&avg[row], m, 1.0 / (s.ncol - 1));
			}
		printf("\n## Baserow snapshots: predict each from the earlier "
		       "ones (tests also in the previous one)\n\n");
		printf("| estimator |");
		for (int c = 1; c < s.ncol; c++)
			printf(" WAPE →%s (n=%zu, h≤%d) |", s.label[c], cnt[c],
			       c);
		printf(" mean WAPE | mean MALE | mean mkspan |\n|---|");
		for (int c = 1; c < s.ncol; c++)
			printf("---:|");
		printf("---:|---:|---:|\n");
		for (int row = 0; row < NROW; row++) {
			printf("| %s |", row_name(row));
			if (row == ROW_ORACLE) {
				for (int c = 1; c < s.ncol; c++)
					printf(" — |");
				printf(" — | — | %.4f |\n", avg[row].ratio);
				continue;
			}
			for (int c = 1; c < s.ncol; c++)
				printf(" %.4f |", wape[row][c]);
			printf(" %.4f | %.4f | %.4f |\n", avg[row].wape,
			       avg[row].male, avg[row].ratio);
		}
		bestw = INFINITY;
		for (int row = 0; row < NEST; row++)
			if (avg[row].wape < bestw) {
				bestw = avg[row].wape;
				snapbest = row;
			}
	}

	printf("\n**Recommendation:** `%s` with window N=%zu (lowest "
	       "synthetic WAPE averaged over σ of the four at N=%zu; N=%zu "
	       "is the smallest window within 1%% of its best: WAPE σ0.3 "
	       "%.4f, makespan÷LB %.4f)",
	       row_name(best), windows[bestn], windows[MAIN_WINDOW],
	       windows[bestn], res[MAIN_SIGMA][bestn][best].wape,
	       res[MAIN_SIGMA][bestn][best].ratio);
	if (snapbest >= 0)
		printf("; on the baserow snapshots the best of the four is "
		       "`%s`",
		       row_name(snapbest));
	printf(".\n");
	for (int f = 0; f < nds; f++)
		free(ds[f].d);
	free(ds);
	return 0;
}
