/* SPDX-License-Identifier: MIT */
#ifndef ACCEL_RING_H
#define ACCEL_RING_H

#include <stdint.h>

#include "accel_err.h"
#include "ring_abi.h"
#include "ring_barrier.h"

/*
 * Single-producer single-consumer rings over shared memory, and the doorbell
 * that lets either side sleep.
 *
 * A struct accel_ring is one side's private view of one ring: where its
 * control block and entries are, and its private copies of the indices. Each
 * side keeps the index it writes in `local` (published with one store per
 * batch) and a cached copy of the peer's index in `peer` (refreshed only when
 * the cache says the ring is full or empty). Nothing in this struct lives in
 * shared memory, so a peer that scribbles over the mapping can corrupt only
 * the indices it owns, and every index read from the peer is checked.
 *
 * None of these functions block, allocate or make a syscall, except the
 * doorbell ones that say so. A ring is used by one thread per side.
 */
struct accel_ring {
	struct accel_ring_hdr *hdr;
	uint8_t *entries;
	uint32_t mask; /* entries - 1 */
	uint32_t entry_size;
	uint32_t local; /* producer: next tail; consumer: next head */
	uint32_t peer;	/* producer: cached head; consumer: cached tail */
};

/*
 * Sets up a view of a ring whose control block is at hdr and whose nentries
 * (a power of two) entries of entry_size bytes follow it. Reads the current
 * indices, so that a view can be made at any time by either side.
 */
void accel_ring_init(struct accel_ring *r, void *hdr, uint32_t nentries,
		     uint32_t entry_size, int producer);

/* Number of entries in the ring. */
static inline uint32_t accel_ring_entries(const struct accel_ring *r)
{
	return r->mask + 1;
}

/*
 * Producer: free slots, refreshing the cached head when needed. Returns
 * -ACCEL_E_PROTOCOL when the consumer's head claims more than was produced
 * (a corrupt or hostile peer).
 */
static inline int64_t accel_ring_space(struct accel_ring *r)
{
	uint32_t used = r->local - r->peer, head;

	if (used < accel_ring_entries(r))
		return accel_ring_entries(r) - used;
	/*
	 * The acquire load of head pairs with the consumer's release store in
	 * accel_ring_consumed(): it has finished reading the slots it gave
	 * back before we overwrite them.
	 */
	head = accel_load_acquire(&r->hdr->head);
	used = r->local - head;
	if (used > accel_ring_entries(r))
		return -ACCEL_E_PROTOCOL; /* the bad index is not cached */
	r->peer = head;
	return accel_ring_entries(r) - used;
}

/* Producer: the slot for the next entry. Call only when space() > 0. */
static inline void *accel_ring_next_slot(struct accel_ring *r)
{
	void *slot =
		r->entries + (uint64_t)(r->local & r->mask) * r->entry_size;

	r->local++;
	return slot;
}

/*
 * Producer: makes every entry written since the last publish visible with one
 * store. The release pairs with the acquire load of tail in
 * accel_ring_avail().
 */
static inline void accel_ring_publish(struct accel_ring *r)
{
	accel_store_release(&r->hdr->tail, r->local);
}

/*
 * Consumer: entries ready to read. Returns -ACCEL_E_PROTOCOL when the
 * producer's tail claims more than the ring holds.
 */
static inline int64_t accel_ring_avail(struct accel_ring *r)
{
	uint32_t ready = r->peer - r->local, tail;

	if (ready)
		return ready;
	/*
	 * The acquire ordering on the tail load pairs with the producer's
	 * release in accel_ring_publish(), and guarantees the contents of any
	 * entry in [head, tail).
	 */
	tail = accel_load_acquire(&r->hdr->tail);
	ready = tail - r->local;
	if (ready > accel_ring_entries(r))
		return -ACCEL_E_PROTOCOL; /* the bad index is not cached */
	r->peer = tail;
	return ready;
}

/* Consumer: the next entry to read. Call only when avail() > 0. */
static inline const void *accel_ring_next_entry(struct accel_ring *r)
{
	const void *e =
		r->entries + (uint64_t)(r->local & r->mask) * r->entry_size;

	r->local++;
	return e;
}

/*
 * Consumer: gives the slots read since the last call back to the producer
 * with one store. The release pairs with the acquire in accel_ring_space().
 */
static inline void accel_ring_consumed(struct accel_ring *r)
{
	accel_store_release(&r->hdr->head, r->local);
}

/*
 * Doorbells (see struct accel_bell and docs/ring.md).
 *
 * accel_bell_notify() is called by a producer after accel_ring_publish(). It
 * costs a fence and a load when nobody sleeps; otherwise it bumps seq and
 * wakes the futex (a syscall) and/or writes the eventfd (evfd < 0: none).
 * Returns 1 when it woke somebody, 0 otherwise.
 */
int accel_bell_notify(struct accel_bell *bell, int evfd);

/*
 * The waiter's side. ready(arg) says whether there is work; it must read the
 * rings with acquire loads. Spins for up to spin_ns re-checking ready(), then
 * announces itself on the bell, re-checks, and sleeps on the futex for up to
 * timeout_ns (-1: no limit). Only the waiter writes bell->flags: it sets
 * ACCEL_BELL_WAITING before sleeping and clears it before returning.
 *
 * Returns 1 when ready() became true, 0 on timeout, -EINTR when a signal
 * interrupted the sleep. Blocks.
 */
int accel_bell_wait(struct accel_bell *bell, int (*ready)(void *arg), void *arg,
		    uint64_t spin_ns, int64_t timeout_ns);

/*
 * An adaptive spin window for a waiter that spins before it sleeps: a spin
 * that ends in vain halves the next (below 1 us: none), one that sees work
 * doubles it back up to max_ns, and a sleep that ended sooner than max_ns
 * after the wait began (work came that a full spin would have caught)
 * restores max_ns; every 64th wait spins the full max_ns too. A spin that
 * finds nothing only burns a core another thread (the one about to
 * answer) may need.
 */
struct accel_spin {
	uint64_t max_ns; /* the most a wait spins */
	uint64_t eff_ns; /* what the next wait spins */
	uint64_t since;	 /* when the current wait began (accel_now_ns) */
	uint32_t waits;
};

static inline void accel_spin_init(struct accel_spin *sp, uint64_t max_ns)
{
	sp->max_ns = sp->eff_ns = max_ns;
	sp->since = 0;
	sp->waits = 0;
}

/*
 * Spins on bell within the window (no longer than timeout_ns when that is
 * >= 0) and adapts it. Returns 1 when ready() became true, 0 when the
 * caller should sleep (accel_bell_wait() with no spin), then call
 * accel_spin_woke() once the sleep found work.
 */
int accel_bell_spin(struct accel_bell *bell, int (*ready)(void *arg), void *arg,
		    struct accel_spin *sp, int64_t timeout_ns);
void accel_spin_woke(struct accel_spin *sp);

/*
 * Async waiters (Node's event loop): while armed, notifiers write evfd
 * instead of waking the futex. accel_bell_arm(bell, 1) sets
 * ACCEL_BELL_EVENTFD; after it returns the caller must check the rings once
 * more before going to sleep in epoll. accel_bell_rearm() is called after the
 * eventfd was drained: it clears evt_pending, then the caller checks the
 * rings. Both are waiter-only and issue a full fence.
 */
void accel_bell_arm(struct accel_bell *bell, int on);
void accel_bell_rearm(struct accel_bell *bell);

/* Raw futex calls on a shared (not process-private) futex word. */
int accel_futex_wait(uint32_t *word, uint32_t expected, int64_t timeout_ns);
int accel_futex_wake(uint32_t *word, int nwake);

#endif
