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
#include "accel_time.h"
#include "ring.h"
#include "ring_stress.h"

/*
 * The SPSC ring and the doorbell: order, capacity, peer-index checks, and
 * the sleep/wake protocol under a stress that loses nothing. The stress runs
 * as two processes over one shared mapping and as two threads (the form TSan
 * can see). ACCEL_STRESS_N sets its size (default 10^7 entries).
 */

static struct ring_mem *ring_mem(uint32_t entries, int shared)
{
	struct ring_mem *m = ring_stress_mem(entries, shared);

	cr_assert_not_null(m);
	return m;
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
			*(uint64_t *)accel_ring_next_slot(&prod) =
				round * 8 + i;
		cr_assert_eq(accel_ring_space(&prod), 0);
		/* Nothing is visible before the one publish. */
		cr_assert_eq(accel_ring_avail(&cons), 0);
		accel_ring_publish(&prod);
		cr_assert_eq(accel_ring_avail(&cons), 8);
		for (uint64_t i = 0; i < 8; i++)
			cr_assert_eq(
				*(const uint64_t *)accel_ring_next_entry(&cons),
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
		cr_assert_eq(*(const uint64_t *)accel_ring_next_entry(&cons),
			     i);
}

Test(ring_stress, two_processes_lose_nothing, .timeout = 600)
{
	struct stress st = {
		.entries = 256, .n = ring_stress_n(), .spin_ns = 2000, .seed = 1
	};
	pid_t pid;
	int status;

	st.m = ring_mem(st.entries, 1);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0)
		_exit(ring_stress_consume(&st) == st.n ? 0 : 1);
	ring_stress_produce(&st);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "consumer saw a gap, a duplicate or a reordering");
}

static void *consumer_thread(void *arg)
{
	static uint64_t got;

	got = ring_stress_consume(arg);
	return &got;
}

Test(ring_stress, two_threads_lose_nothing, .timeout = 600)
{
	/* TSan checks this one: the same code over one mapping, two threads. */
	struct stress st = {
		.entries = 64, .n = ring_stress_n() / 4, .spin_ns = 0, .seed = 2
	};
	pthread_t t;
	void *ret;

	st.m = ring_mem(st.entries, 1);
	cr_assert_eq(pthread_create(&t, NULL, consumer_thread, &st), 0);
	ring_stress_produce(&st);
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
	struct stress st = {
		.entries = 2, .n = 200000, .spin_ns = 0, .seed = 3
	};
	pthread_t t;
	void *ret;

	st.m = ring_mem(st.entries, 1);
	cr_assert_eq(pthread_create(&t, NULL, consumer_thread, &st), 0);
	ring_stress_produce(&st);
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

static int always(void *arg)
{
	(void)arg;
	return 1;
}

/*
 * The adaptive spin (accel_bell_spin): spins in vain halve the window down
 * to none, a spin that sees work doubles it back, a sleep that ended within
 * the window restores it at once, one that ended later does not, and every
 * 64th wait spins the full window even when it is none.
 */
Test(ring_bell, spin_window_adapts)
{
	struct accel_bell bell;
	struct accel_spin sp;
	int probes = 0;

	memset(&bell, 0, sizeof(bell));
	accel_spin_init(&sp, 8000);
	cr_expect_eq(accel_bell_spin(&bell, never, NULL, &sp, -1), 0);
	cr_expect_eq(sp.eff_ns, 4000);
	for (int i = 0; i < 3; i++)
		accel_bell_spin(&bell, never, NULL, &sp, -1);
	cr_expect_eq(sp.eff_ns, 0, "a window of 500 ns is none");
	cr_expect_eq(accel_bell_spin(&bell, always, NULL, &sp, -1), 0,
		     "no window: no spin, even with work waiting");
	/* Found-work spins double the window back, up to max_ns. */
	sp.eff_ns = 1000;
	cr_expect_eq(accel_bell_spin(&bell, always, NULL, &sp, -1), 1);
	cr_expect_eq(sp.eff_ns, 2000);
	for (int i = 0; i < 4; i++)
		accel_bell_spin(&bell, always, NULL, &sp, -1);
	cr_expect_eq(sp.eff_ns, 8000);
	/* A sleep that ends within the window restores it; later: no. */
	accel_spin_init(&sp, 60ull * 1000 * 1000 * 1000);
	sp.eff_ns = 0;
	cr_expect_eq(accel_bell_spin(&bell, never, NULL, &sp, -1), 0);
	accel_spin_woke(&sp);
	cr_expect_eq(sp.eff_ns, sp.max_ns);
	sp.eff_ns = 0;
	sp.since = accel_now_ns() - 2 * sp.max_ns;
	accel_spin_woke(&sp);
	cr_expect_eq(sp.eff_ns, 0);
	/* The probe: with no window, one wait in 64 still spins. */
	accel_spin_init(&sp, 2000);
	sp.eff_ns = 0;
	for (int i = 0; i < 128; i++) {
		if (accel_bell_spin(&bell, always, NULL, &sp, -1) == 1) {
			probes++;
			sp.eff_ns = 0;
		}
	}
	cr_expect_eq(probes, 2);
}
