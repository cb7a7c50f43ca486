/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "accel_compiler.h"
#include "accel_err.h"
#include "ring.h"

/*
 * The SPSC ring and the doorbell: order, capacity, peer-index checks, and
 * the sleep/wake protocol under a stress that loses nothing. The stress runs
 * as two processes over one shared mapping and as two threads (the form TSan
 * can see). ACCEL_STRESS_N sets its size (default 10^7 entries).
 */

struct ring_mem {
	struct accel_bell data, space; /* wake the consumer / the producer */
	uint8_t ring[] __attribute__((aligned(64)));
};

static struct ring_mem *ring_mem(uint32_t entries, int shared)
{
	size_t sz = sizeof(struct ring_mem) + ACCEL_RING_HDR_SIZE + entries * 8;
	void *p = mmap(NULL, sz, PROT_READ | PROT_WRITE,
		       (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS, -1, 0);

	cr_assert_neq(p, MAP_FAILED);
	return p;
}

Test(ring, fills_to_capacity_and_keeps_order)
{
	struct ring_mem *m = ring_mem(8, 0);
	struct accel_ring prod, cons;

	accel_ring_init(&prod, m->ring, 8, 8, 1);
	accel_ring_init(&cons, m->ring, 8, 8, 0);
	for (uint64_t round = 0; round < 5; round++) {
		cr_assert_eq(accel_ring_space(&prod), 8);
		for (uint64_t i = 0; i < 8; i++)
			*(uint64_t *)accel_ring_next_slot(&prod) = round * 8 + i;
		cr_assert_eq(accel_ring_space(&prod), 0);
		/* Nothing is visible before the one publish. */
		cr_assert_eq(accel_ring_avail(&cons), 0);
		accel_ring_publish(&prod);
		cr_assert_eq(accel_ring_avail(&cons), 8);
		for (uint64_t i = 0; i < 8; i++)
			cr_assert_eq(*(const uint64_t *)accel_ring_next_entry(&cons),
				     round * 8 + i);
		cr_assert_eq(accel_ring_space(&prod), 0,
			     "slots return only on consumed()");
		accel_ring_consumed(&cons);
	}
}

Test(ring, indices_that_claim_too_much_are_protocol_errors)
{
	struct ring_mem *m = ring_mem(16, 0);
	struct accel_ring prod, cons;
	struct accel_ring_hdr *h = (void *)m->ring;

	accel_ring_init(&prod, m->ring, 16, 8, 1);
	accel_ring_init(&cons, m->ring, 16, 8, 0);
	/* A producer tail 17 ahead of head: more than the ring holds. */
	h->tail = 17;
	cr_assert_eq(accel_ring_avail(&cons), -ACCEL_E_PROTOCOL);
	h->tail = 0;
	cr_assert_eq(accel_ring_avail(&cons), 0);
	/* A consumer head ahead of what was produced. */
	for (int i = 0; i < 16; i++)
		accel_ring_next_slot(&prod);
	h->head = 0xfffffff0u;
	cr_assert_eq(accel_ring_space(&prod), -ACCEL_E_PROTOCOL);
	/* Wrap-around of the free-running indices is fine. */
	h->head = h->tail = 0xfffffffcu;
	accel_ring_init(&prod, m->ring, 16, 8, 1);
	accel_ring_init(&cons, m->ring, 16, 8, 0);
	for (uint64_t i = 0; i < 10; i++)
		*(uint64_t *)accel_ring_next_slot(&prod) = i;
	accel_ring_publish(&prod);
	cr_assert_eq(accel_ring_avail(&cons), 10);
	for (uint64_t i = 0; i < 10; i++)
		cr_assert_eq(*(const uint64_t *)accel_ring_next_entry(&cons), i);
}

/* --- stress: one producer, one consumer, random batches, sleeping both ways */

struct stress {
	struct ring_mem *m;
	uint32_t entries;
	uint64_t n;
	uint64_t spin_ns;
	unsigned seed;
};

struct side {
	struct accel_ring r;
	struct ring_mem *m;
};

static int has_space(void *arg)
{
	return accel_ring_space(&((struct side *)arg)->r) > 0;
}

static int has_data(void *arg)
{
	return accel_ring_avail(&((struct side *)arg)->r) != 0;
}

static uint64_t produce(const struct stress *st)
{
	struct side s = { .m = st->m };
	unsigned seed = st->seed;
	uint64_t next = 0, wakes = 0;

	accel_ring_init(&s.r, st->m->ring, st->entries, 8, 1);
	while (next < st->n) {
		int64_t space = accel_ring_space(&s.r);
		uint64_t batch = 1 + (uint64_t)(rand_r(&seed) % 300);

		cr_assert_geq(space, 0);
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

/* Returns the number of entries checked; asserts order, no loss, no dup. */
static uint64_t consume(const struct stress *st)
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
			accel_bell_wait(&st->m->data, has_data, &s,
					st->spin_ns, -1);
			continue;
		}
		take = 1 + (uint64_t)(rand_r(&seed) % (uint64_t)avail);
		for (uint64_t i = 0; i < take; i++) {
			uint64_t v = *(const uint64_t *)accel_ring_next_entry(&s.r);

			if (v != expect)
				return UINT64_MAX - 1 - expect;
			expect++;
		}
		accel_ring_consumed(&s.r);
		accel_bell_notify(&st->m->space, -1);
	}
	return expect;
}

static uint64_t stress_n(void)
{
	const char *e = getenv("ACCEL_STRESS_N");

	return e ? strtoull(e, NULL, 10) : 10000000ull;
}

Test(ring_stress, two_processes_lose_nothing, .timeout = 600)
{
	struct stress st = { .entries = 256, .n = stress_n(), .spin_ns = 2000,
			     .seed = 1 };
	pid_t pid;
	int status;

	st.m = ring_mem(st.entries, 1);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0)
		_exit(consume(&st) == st.n ? 0 : 1);
	produce(&st);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "consumer saw a gap, a duplicate or a reordering");
}

static void *consumer_thread(void *arg)
{
	static uint64_t got;

	got = consume(arg);
	return &got;
}

Test(ring_stress, two_threads_lose_nothing, .timeout = 600)
{
	/* TSan checks this one: the same code over one mapping, two threads. */
	struct stress st = { .entries = 64, .n = stress_n() / 4, .spin_ns = 0,
			     .seed = 2 };
	pthread_t t;
	void *ret;

	st.m = ring_mem(st.entries, 1);
	cr_assert_eq(pthread_create(&t, NULL, consumer_thread, &st), 0);
	produce(&st);
	pthread_join(t, &ret);
	cr_assert_eq(*(uint64_t *)ret, st.n);
}

/*
 * A waiter that always goes to sleep (no spin) against a notifier that
 * publishes one entry at a time: a lost wake-up would hang the test, which
 * Criterion then fails at its timeout.
 */
Test(ring_bell, sleeping_waiter_is_always_woken, .timeout = 120)
{
	struct stress st = { .entries = 2, .n = 200000, .spin_ns = 0,
			     .seed = 3 };
	pthread_t t;
	void *ret;

	st.m = ring_mem(st.entries, 1);
	cr_assert_eq(pthread_create(&t, NULL, consumer_thread, &st), 0);
	produce(&st);
	pthread_join(t, &ret);
	cr_assert_eq(*(uint64_t *)ret, st.n);
}

static int never(void *arg)
{
	return 0;
}

Test(ring_bell, wait_times_out_and_clears_its_flag)
{
	struct ring_mem *m = ring_mem(8, 0);

	cr_assert_eq(accel_bell_wait(&m->data, never, NULL, 1000, 2000000), 0);
	cr_assert_eq(m->data.flags & ACCEL_BELL_WAITING, 0);
	/* Nobody waits: notify makes no syscall and reports no wake. */
	cr_assert_eq(accel_bell_notify(&m->data, -1), 0);
}

Test(ring_bell, eventfd_is_written_once_per_burst)
{
	struct ring_mem *m = ring_mem(8, 0);
	int efd = eventfd(0, EFD_NONBLOCK);
	uint64_t v = 0;

	cr_assert_geq(efd, 0);
	accel_bell_arm(&m->data, 1);
	cr_assert_eq(accel_bell_notify(&m->data, efd), 1);
	cr_assert_eq(accel_bell_notify(&m->data, efd), 0, "coalesced");
	cr_assert_eq(read(efd, &v, sizeof(v)), 8);
	cr_assert_eq(v, 1);
	accel_bell_rearm(&m->data);
	cr_assert_eq(accel_bell_notify(&m->data, efd), 1);
	accel_bell_arm(&m->data, 0);
	accel_bell_rearm(&m->data);
	cr_assert_eq(accel_bell_notify(&m->data, efd), 0, "disarmed");
	close(efd);
}
