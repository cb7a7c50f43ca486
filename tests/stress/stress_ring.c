/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>

#include "ring_stress.h"

/*
 * The ring stress as two threads over one mapping, for ThreadSanitizer: the
 * same producer and consumer as the Criterion suite, with spinning waits and
 * with always-sleeping waits. Prints the plain closing line.
 */

static void *consumer(void *arg)
{
	static __thread uint64_t got;

	got = ring_stress_consume(arg);
	return (void *)(uintptr_t)got;
}

static int run(uint32_t entries, uint64_t n, uint64_t spin_ns, unsigned seed)
{
	struct stress st = {
		.entries = entries, .n = n, .spin_ns = spin_ns, .seed = seed
	};
	pthread_t t;
	void *got;

	st.m = ring_stress_mem(entries, 1);
	if (!st.m || pthread_create(&t, NULL, consumer, &st))
		return 0;
	ring_stress_produce(&st);
	pthread_join(t, &got);
	return (uint64_t)(uintptr_t)got == n;
}

int main(void)
{
	uint64_t n = ring_stress_n();
	int passed = 0, total = 0;

	total++, passed += run(256, n, 20000, 1); /* spinning */
	total++, passed += run(64, n / 4, 0, 2);  /* always sleeping */
	total++, passed += run(2, n / 50, 0, 3);  /* one slot at a time */
	printf("%d passed, %d failed\n", passed, total - passed);
	return passed == total ? 0 : 1;
}
