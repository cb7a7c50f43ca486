/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "accel_time.h"
#include "ring.h"

void accel_ring_init(struct accel_ring *r, void *hdr, uint32_t nentries,
		     uint32_t entry_size, int producer)
{
	r->hdr = hdr;
	r->entries = (uint8_t *)hdr + sizeof(struct accel_ring_hdr);
	r->mask = nentries - 1;
	r->entry_size = entry_size;
	if (producer) {
		r->local = accel_load_relaxed(&r->hdr->tail);
		r->peer = accel_load_acquire(&r->hdr->head);
	} else {
		r->local = accel_load_relaxed(&r->hdr->head);
		r->peer = r->local;
	}
}

int accel_futex_wait(uint32_t *word, uint32_t expected, int64_t timeout_ns)
{
	struct timespec ts, *tsp = NULL;
	long ret;

	if (timeout_ns >= 0) {
		ts.tv_sec = timeout_ns / 1000000000;
		ts.tv_nsec = timeout_ns % 1000000000;
		tsp = &ts;
	}
	/* Not FUTEX_PRIVATE_FLAG: the word is shared between processes. */
	ret = syscall(SYS_futex, word, FUTEX_WAIT, expected, tsp, NULL, 0);
	return ret < 0 ? -errno : 0;
}

int accel_futex_wake(uint32_t *word, int nwake)
{
	long ret = syscall(SYS_futex, word, FUTEX_WAKE, nwake, NULL, NULL, 0);

	return ret < 0 ? -errno : (int)ret;
}

int accel_bell_notify(struct accel_bell *bell, int evfd)
{
	uint32_t flags;
	int woke = 0;

	/*
	 * The full fence orders the caller's release of tail before the load
	 * of flags. It pairs with the fence in accel_bell_wait()/arm() between
	 * the waiter's store of flags and its re-check of the ring: either the
	 * waiter sees our entries, or we see its flag (docs/ring.md, spin).
	 */
	accel_smp_mb();
	flags = accel_load_relaxed(&bell->flags);
	if (flags & ACCEL_BELL_WAITING) {
		accel_fetch_add_release(&bell->seq, 1);
		accel_futex_wake(&bell->seq, INT_MAX);
		woke = 1;
	}
	if ((flags & ACCEL_BELL_EVENTFD) && evfd >= 0 &&
	    accel_exchange_acq_rel(&bell->evt_pending, 1) == 0) {
		uint64_t one = 1;
		ssize_t n;

		do {
			n = write(evfd, &one, sizeof(one));
		} while (n < 0 && errno == EINTR);
		woke = 1;
	}
	return woke;
}

int accel_bell_wait(struct accel_bell *bell, int (*ready)(void *arg), void *arg,
		    uint64_t spin_ns, int64_t timeout_ns)
{
	uint64_t start = accel_now_ns(), now;
	uint32_t base = accel_load_relaxed(&bell->flags) & ~ACCEL_BELL_WAITING;
	uint32_t seq;
	int ret;

	for (unsigned i = 0;; i++) {
		if (ready(arg))
			return 1;
		/* Read the clock every 64 turns: the spin stays cheap. */
		if ((i & 63) == 63 && accel_now_ns() - start >= spin_ns)
			break;
		if (spin_ns == 0)
			break;
		accel_cpu_relax();
	}
	for (;;) {
		seq = accel_load_acquire(&bell->seq);
		accel_store_relaxed(&bell->flags, base | ACCEL_BELL_WAITING);
		/* Pairs with the fence in accel_bell_notify(). */
		accel_smp_mb();
		if (ready(arg)) {
			accel_store_relaxed(&bell->flags, base);
			return 1;
		}
		now = accel_now_ns();
		if (timeout_ns >= 0 && now - start >= (uint64_t)timeout_ns) {
			accel_store_relaxed(&bell->flags, base);
			return 0;
		}
		ret = accel_futex_wait(
			&bell->seq, seq,
			timeout_ns < 0 ? -1 :
					 (int64_t)(start + timeout_ns - now));
		/* Only the waiter clears its own flag. */
		accel_store_relaxed(&bell->flags, base);
		if (ret == -EINTR)
			return -EINTR;
	}
}

#define SPIN_PROBE  64
#define SPIN_MIN_NS 1000

int accel_bell_spin(struct accel_bell *bell, int (*ready)(void *arg), void *arg,
		    struct accel_spin *sp, int64_t timeout_ns)
{
	uint64_t spin = sp->eff_ns;
	int ret;

	sp->since = accel_now_ns();
	if (++sp->waits % SPIN_PROBE == 0)
		spin = sp->max_ns;
	if (timeout_ns >= 0 && spin > (uint64_t)timeout_ns)
		spin = (uint64_t)timeout_ns;
	if (!spin)
		return 0;
	/* A zero timeout: spin, then return without sleeping. */
	ret = accel_bell_wait(bell, ready, arg, spin, 0);
	if (ret == 1) {
		sp->eff_ns = 2 * sp->eff_ns > spin ? 2 * sp->eff_ns : spin;
		if (sp->eff_ns > sp->max_ns)
			sp->eff_ns = sp->max_ns;
	} else {
		sp->eff_ns /= 2;
		if (sp->eff_ns < SPIN_MIN_NS)
			sp->eff_ns = 0;
	}
	return ret;
}

void accel_spin_woke(struct accel_spin *sp)
{
	if (accel_now_ns() - sp->since < sp->max_ns)
		sp->eff_ns = sp->max_ns;
}

void accel_bell_arm(struct accel_bell *bell, int on)
{
	uint32_t flags = accel_load_relaxed(&bell->flags);

	if (on)
		flags |= ACCEL_BELL_EVENTFD;
	else
		flags &= ~ACCEL_BELL_EVENTFD;
	accel_store_relaxed(&bell->flags, flags);
	/* Pairs with the fence in accel_bell_notify(). */
	accel_smp_mb();
}

void accel_bell_rearm(struct accel_bell *bell)
{
	accel_store_relaxed(&bell->evt_pending, 0);
	/* Pairs with the fence in accel_bell_notify(). */
	accel_smp_mb();
}
