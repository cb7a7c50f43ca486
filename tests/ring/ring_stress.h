/* SPDX-License-Identifier: MIT */
#ifndef ACCEL_RING_STRESS_H
#define ACCEL_RING_STRESS_H

#include <stdint.h>

#include "ring.h"

/*
 * The ring stress shared by the Criterion suite (two processes, two threads)
 * and the standalone TSan program (tests/stress/stress_ring.c, since
 * Criterion cannot start under ThreadSanitizer): one producer moves the
 * sequence 0..n-1 through an SPSC ring in random batches, one consumer checks
 * it arrives in order, each side sleeping on a doorbell when the ring is
 * empty or full.
 */
struct ring_mem {
	struct accel_bell data, space; /* wake the consumer / the producer */
	uint8_t ring[] __attribute__((aligned(64)));
};

struct stress {
	struct ring_mem *m;
	uint32_t entries;
	uint64_t n;
	uint64_t spin_ns;
	unsigned seed;
};

/* A zeroed ring_mem for entries 8-byte slots; shared: MAP_SHARED. */
struct ring_mem *ring_stress_mem(uint32_t entries, int shared);

/* Produces st->n entries; returns how many wake-ups it issued. */
uint64_t ring_stress_produce(const struct stress *st);

/*
 * Consumes st->n entries. Returns st->n when every entry arrived once and in
 * order, UINT64_MAX on a protocol error, or a smaller value on a gap.
 */
uint64_t ring_stress_consume(const struct stress *st);

/* The size of a stress run: $ACCEL_STRESS_N or 10^7. */
uint64_t ring_stress_n(void);

#endif
