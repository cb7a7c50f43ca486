/* SPDX-License-Identifier: MIT */
#ifndef ACCEL_BENCH_HIST_H
#define ACCEL_BENCH_HIST_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Latency recorder shared by the C benches.
 *
 * It keeps every sample (nanoseconds) in a buffer reserved up front, so that
 * recording is one store and never allocates inside a timed loop, and sorts
 * them once at the end: percentiles are exact (nearest rank), which matters
 * for p999 of a 200k-sample run where a log-bucketed histogram would round
 * the tail by a bucket width. 200k samples cost 1.6 MB.
 *
 * Usage:
 *
 *	struct accel_hist h;
 *	accel_hist_init(&h, iters);            // reserve; -1 on ENOMEM
 *	... accel_hist_add(&h, t1 - t0); ...   // drops samples beyond cap
 *	accel_hist_finish(&h, wall_ns, ops);   // sorts, computes throughput
 *	accel_hist_json(f, &h, "c.ping", ...); // one JSON object
 *	accel_hist_destroy(&h);
 *
 * The JS twin is bench/hist.mjs; both write the same JSON fields, which
 * bench/report.mjs reads.
 */
struct accel_hist {
	uint64_t *v;
	size_t n, cap;
	uint64_t sum;
	uint64_t wall_ns; /* wall time of the whole measured loop */
	uint64_t ops; /* operations done in wall_ns (batches count each op) */
};

static inline int accel_hist_init(struct accel_hist *h, size_t cap)
{
	memset(h, 0, sizeof(*h));
	h->v = malloc((cap ? cap : 1) * sizeof(*h->v));
	if (!h->v)
		return -1;
	h->cap = cap;
	return 0;
}

static inline void accel_hist_destroy(struct accel_hist *h)
{
	free(h->v);
	memset(h, 0, sizeof(*h));
}

static inline void accel_hist_reset(struct accel_hist *h)
{
	h->n = 0;
	h->sum = 0;
	h->wall_ns = 0;
	h->ops = 0;
}

static inline void accel_hist_add(struct accel_hist *h, uint64_t ns)
{
	if (h->n < h->cap) {
		h->v[h->n++] = ns;
		h->sum += ns;
	}
}

static inline int accel_hist_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/*
 * Sorts the samples and records the loop's wall time and operation count
 * (ops == 0: one operation per sample).
 */
static inline void accel_hist_finish(struct accel_hist *h, uint64_t wall_ns,
				     uint64_t ops)
{
	qsort(h->v, h->n, sizeof(*h->v), accel_hist_cmp);
	h->wall_ns = wall_ns;
	h->ops = ops ? ops : h->n;
}

/* Nearest-rank percentile, q in [0, 1], of a finished recorder. */
static inline uint64_t accel_hist_pct(const struct accel_hist *h, double q)
{
	size_t i;

	if (!h->n)
		return 0;
	if (q <= 0)
		return h->v[0];
	i = (size_t)ceil(q * (double)h->n);
	if (i < 1)
		i = 1;
	if (i > h->n)
		i = h->n;
	return h->v[i - 1];
}

/*
 * The quantiles of the plotted percentile curve; the same list as QS in
 * bench/hist.mjs.
 */
static const double accel_hist_curve_q[] = {
	0,     0.1,   0.2,    0.3,    0.4,     0.5,	0.6,
	0.7,   0.8,   0.9,    0.95,   0.97,    0.99,	0.995,
	0.997, 0.999, 0.9995, 0.9999, 0.99995, 0.99999, 1
};

/*
 * Writes one JSON object describing a finished recorder. id is the stable
 * series name ("c.ping.sync"), label what the report prints, group the
 * table it belongs to, size the payload bytes (0: none), batch the
 * operations per sample. extra, when not NULL, is a JSON fragment of further
 * members ("\"k\": 1") inserted as is.
 */
static inline void accel_hist_json(FILE *f, const struct accel_hist *h,
				   const char *id, const char *label,
				   const char *group, uint64_t size,
				   unsigned batch, const char *extra)
{
	double mean = h->n ? (double)h->sum / (double)h->n : 0;
	double ops_s = h->wall_ns ? (double)h->ops * 1e9 / (double)h->wall_ns :
				    0;
	int first = 1;

	fprintf(f,
		"{\"id\": \"%s\", \"label\": \"%s\", \"group\": \"%s\", "
		"\"side\": \"c\", \"size\": %llu, \"batch\": %u, \"n\": %zu, "
		"\"min_ns\": %llu, \"mean_ns\": %.1f, \"p50_ns\": %llu, "
		"\"p90_ns\": %llu, \"p99_ns\": %llu, \"p999_ns\": %llu, "
		"\"max_ns\": %llu, \"wall_ns\": %llu, \"ops\": %llu, "
		"\"ops_per_s\": %.1f, \"curve\": [",
		id, label, group, (unsigned long long)size, batch, h->n,
		(unsigned long long)accel_hist_pct(h, 0), mean,
		(unsigned long long)accel_hist_pct(h, 0.5),
		(unsigned long long)accel_hist_pct(h, 0.9),
		(unsigned long long)accel_hist_pct(h, 0.99),
		(unsigned long long)accel_hist_pct(h, 0.999),
		(unsigned long long)accel_hist_pct(h, 1),
		(unsigned long long)h->wall_ns, (unsigned long long)h->ops,
		ops_s);
	for (size_t i = 0;
	     i < sizeof(accel_hist_curve_q) / sizeof(accel_hist_curve_q[0]);
	     i++) {
		double q = accel_hist_curve_q[i];

		/* A quantile finer than 1/n says nothing: leave it out. */
		if (q > 0 && q < 1 && (1 - q) * (double)h->n < 1)
			continue;
		fprintf(f, "%s[%g, %llu]", first ? "" : ", ", q,
			(unsigned long long)accel_hist_pct(h, q));
		first = 0;
	}
	fprintf(f, "]%s%s}", extra ? ", " : "", extra ? extra : "");
}

#endif
