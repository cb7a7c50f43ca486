/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "engine_int.h"

/*
 * Per-op counters and latency histograms for the whole engine. Buckets are
 * log-linear: the power of two of the latency in nanoseconds and the next
 * three bits below it, so each bucket is at most 12.5% wide. Updates are
 * relaxed atomic adds; a reader sees each counter consistent on its own.
 */

#define SUB_BITS 3
#define SUBS	 (1u << SUB_BITS)
#define NBUCKETS (64 * SUBS)

struct op_metrics {
	atomic_uint_fast64_t count, errors, bytes_in, bytes_out, sum_ns, max_ns;
	atomic_uint_fast64_t hist[NBUCKETS];
};

static struct op_metrics metrics[ACCEL_OP_MAX];

static unsigned bucket_of(uint64_t ns)
{
	unsigned msb;

	if (ns < SUBS)
		return (unsigned)ns;
	msb = 63u - (unsigned)__builtin_clzll(ns);
	return (msb - SUB_BITS + 1) * SUBS +
	       (unsigned)((ns >> (msb - SUB_BITS)) & (SUBS - 1));
}

/* The middle of a bucket, as the value it reports. */
static uint64_t bucket_value(unsigned b)
{
	unsigned exp, sub;
	uint64_t lo, width;

	if (b < SUBS)
		return b;
	exp = b / SUBS - 1 + SUB_BITS;
	sub = b % SUBS;
	lo = (1ull << exp) | ((uint64_t)sub << (exp - SUB_BITS));
	width = 1ull << (exp - SUB_BITS);
	return lo + width / 2;
}

void accel__metrics_record(uint16_t op, uint64_t ns, int res, uint64_t in,
			   uint64_t out)
{
	struct op_metrics *m = &metrics[op % ACCEL_OP_MAX];
	uint64_t max;

	atomic_fetch_add_explicit(&m->count, 1, memory_order_relaxed);
	if (res < 0)
		atomic_fetch_add_explicit(&m->errors, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->bytes_in, in, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->bytes_out, out, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->sum_ns, ns, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->hist[bucket_of(ns)], 1,
				  memory_order_relaxed);
	max = atomic_load_explicit(&m->max_ns, memory_order_relaxed);
	while (ns > max && !atomic_compare_exchange_weak_explicit(
				   &m->max_ns, &max, ns, memory_order_relaxed,
				   memory_order_relaxed))
		;
}

static uint64_t percentile(const uint64_t *h, uint64_t total, double q)
{
	uint64_t want = (uint64_t)(q * (double)total + 0.5), seen = 0;

	if (want == 0)
		want = 1;
	for (unsigned b = 0; b < NBUCKETS; b++) {
		seen += h[b];
		if (seen >= want)
			return bucket_value(b);
	}
	return 0;
}

int accel__metrics_json(char *buf, size_t cap)
{
	size_t len = 0;
	int first = 1, n;

	n = snprintf(buf, cap, "{");
	if (n < 0 || (size_t)n >= cap)
		return -ENOSPC;
	len = (size_t)n;
	for (unsigned op = 0; op < ACCEL_OP_MAX; op++) {
		struct op_metrics *m = &metrics[op];
		uint64_t h[NBUCKETS], count = 0;
		const char *name =
			op == ACCEL_OP_CANCEL ? "cancel" :
			accel_op_table[op]    ? accel_op_table[op]->name :
						NULL;

		if (!name)
			continue;
		for (unsigned b = 0; b < NBUCKETS; b++) {
			h[b] = atomic_load_explicit(&m->hist[b],
						    memory_order_relaxed);
			count += h[b];
		}
		n = snprintf(
			buf + len, cap - len,
			"%s\"%s\":{\"count\":%llu,\"errors\":%llu,"
			"\"bytes_in\":%llu,\"bytes_out\":%llu,"
			"\"mean_ns\":%llu,\"p50_ns\":%llu,\"p99_ns\":%llu,"
			"\"p999_ns\":%llu,\"max_ns\":%llu}",
			first ? "" : ",", name, (unsigned long long)count,
			(unsigned long long)atomic_load(&m->errors),
			(unsigned long long)atomic_load(&m->bytes_in),
			(unsigned long long)atomic_load(&m->bytes_out),
			(unsigned long long)(count ? atomic_load(&m->sum_ns) /
							     count :
						     0),
			(unsigned long long)(count ? percentile(h, count,
								0.50) :
						     0),
			(unsigned long long)(count ? percentile(h, count,
								0.99) :
						     0),
			(unsigned long long)(count ? percentile(h, count,
								0.999) :
						     0),
			(unsigned long long)atomic_load(&m->max_ns));
		if (n < 0 || (size_t)n >= cap - len)
			return -ENOSPC;
		len += (size_t)n;
		first = 0;
	}
	if (len + 2 > cap)
		return -ENOSPC;
	buf[len++] = '}';
	buf[len] = 0;
	return (int)len;
}
