/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/mman.h>

#include "accel_compiler.h"
#include "ring_stress.h"

struct side {
	struct accel_ring r;
	struct ring_mem *m;
};

struct ring_mem *ring_stress_mem(uint32_t entries, int shared)
{
	size_t sz = sizeof(struct ring_mem) + ACCEL_RING_HDR_SIZE + entries * 8;
	void *p = mmap(NULL, sz, PROT_READ | PROT_WRITE,
		       (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS, -1,
		       0);

	return p == MAP_FAILED ? NULL : p;
}

static int has_space(void *arg)
{
	return accel_ring_space(&((struct side *)arg)->r) > 0;
}

static int has_data(void *arg)
{
	return accel_ring_avail(&((struct side *)arg)->r) != 0;
}

uint64_t ring_stress_produce(const struct stress *st)
{
	struct side s = { .m = st->m };
	unsigned seed = st->seed;
	uint64_t next = 0, wakes = 0;

	accel_ring_init(&s.r, st->m->ring, st->entries, 8, 1);
	while (next < st->n) {
		int64_t space = accel_ring_space(&s.r);
		uint64_t batch = 1 + (uint64_t)(rand_r(&seed) % 300);

		if (space < 0)
			return wakes;
		if (space == 0) {
			accel_bell_wait(&st->m->space, has_space, &s,
					st->spin_ns, -1);
			continue;
		}
		batch = ACCEL_MIN(batch, (uint64_t)space);
		batch = ACCEL_MIN(batch, st->n - next);
		for (uint64_t i = 0; i < batch; i++)
			*(uint64_t *)accel_ring_next_slot(&s.r) = next++;
		accel_ring_publish(&s.r);
		wakes += (uint64_t)accel_bell_notify(&st->m->data, -1);
	}
	return wakes;
}

uint64_t ring_stress_consume(const struct stress *st)
{
	struct side s = { .m = st->m };
	unsigned seed = st->seed * 7 + 1;
	uint64_t expect = 0;

	accel_ring_init(&s.r, st->m->ring, st->entries, 8, 0);
	while (expect < st->n) {
		int64_t avail = accel_ring_avail(&s.r);
		uint64_t take;

		if (avail < 0)
			return UINT64_MAX;
		if (avail == 0) {
			accel_bell_wait(&st->m->data, has_data, &s, st->spin_ns,
					-1);
			continue;
		}
		take = 1 + (uint64_t)(rand_r(&seed) % (uint64_t)avail);
		for (uint64_t i = 0; i < take; i++) {
			uint64_t v =
				*(const uint64_t *)accel_ring_next_entry(&s.r);

			if (v != expect)
				return expect;
			expect++;
		}
		accel_ring_consumed(&s.r);
		accel_bell_notify(&st->m->space, -1);
	}
	return expect;
}

uint64_t ring_stress_n(void)
{
	const char *e = getenv("ACCEL_STRESS_N");

	return e ? strtoull(e, NULL, 10) : 10000000ull;
}
