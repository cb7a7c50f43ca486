/* SPDX-License-Identifier: MIT */
#ifndef ACCEL_CLIENT_H
#define ACCEL_CLIENT_H

#include <stdint.h>
#include <sys/types.h>

#include "ring_abi.h"
#include "shm.h"

/*
 * The C client of agent-accel: the same protocol the Node addon speaks,
 * for the benchmarks, the stress tests and any runtime that is not Node.
 *
 * A client owns one session: a Unix socket to the engine (its EOF is how
 * each side learns that the other died), the shared mapping, and private
 * views of the rings. It is not thread-safe: one thread submits, reaps and
 * waits. Open one client per thread for parallel submission.
 *
 * Request flow:
 *
 *	accel_client_alloc(c, len, &off, &p);    // input block, write into p
 *	sqe = accel_client_sqe(c);               // NULL: ring full, reap first
 *	sqe->op = ...; sqe->in_off = off; ...
 *	accel_client_submit(c);                  // one publish for the batch
 *	accel_client_wait(c, -1);
 *	n = accel_client_reap(c, cqes, 64);
 *	p = accel_client_result(c, &cqes[i]);    // zero-copy view of the result
 *	accel_client_release(c, cqes[i].out_off); // when done with the view
 *	accel_client_free(c, off);               // input block, after its CQE
 */

struct accel_client;

#define ACCEL_CLIENT_F_EVENTFD (1u << 0) /* make an eventfd for async waits */

struct accel_client_opts {
	/* spawn: the agent-acceld binary; NULL: $ACCEL_ENGINE, then the
	 * build's default path. */
	const char *engine_path;
	uint32_t flags;	     /* ACCEL_CLIENT_F_* */
	uint32_t sq_entries; /* 0: engine default */
	uint64_t req_size;   /* request arena bytes, 0: default */
	uint64_t res_size;   /* result arena bytes, 0: default */
	uint32_t workers;    /* spawn: engine worker threads, 0: one per core */
	uint32_t engine_spin_us; /* spawn: engine poller spin window, 0: default */
	uint64_t spin_ns;	 /* accel_client_wait()'s most spin; 0: 50 us */
	uint32_t handshake_timeout_ms; /* 0: 10 s */
	uint32_t resv;
};

/*
 * Spawns a private engine over a socketpair (it exits when this client is
 * destroyed or dies) and performs the handshake. Returns 0 with *out set, or
 * -errno / -ACCEL_E_HANDSHAKE / -ACCEL_E_VERSION / ... Blocks until the engine
 * answered.
 */
int accel_client_spawn(const struct accel_client_opts *o,
		       struct accel_client **out);

/* Connects to a daemon engine listening on a Unix socket path. */
int accel_client_connect(const char *path, const struct accel_client_opts *o,
			 struct accel_client **out);

/*
 * Performs the handshake over a socket that is already connected to an
 * engine (Node spawns the engine itself and hands the socket here). Takes
 * ownership of sock, also on failure. child is the engine's pid when this
 * process spawned it (reaped by destroy), or 0.
 */
int accel_client_attach(int sock, pid_t child,
			const struct accel_client_opts *o,
			struct accel_client **out);

/*
 * Closes the session: the engine sees EOF, cancels what is still running for
 * it and frees it. A spawned engine is waited for (SIGKILL after 2 s). Result
 * views stay readable until destroy, not after. Accepts NULL.
 */
void accel_client_destroy(struct accel_client *c);

/*
 * Ends the session but keeps the mapping: closes the socket (the engine sees
 * EOF) and reaps a spawned engine. Result views stay valid until
 * accel_client_destroy(); every other call then fails with
 * -ACCEL_E_CLOSED or finds nothing. Bindings whose result buffers may
 * outlive the session call this first and destroy when the last view is
 * gone. Idempotent.
 */
void accel_client_shutdown(struct accel_client *c);

/*
 * Allocates an input block of len bytes in the request arena. Returns 0 with
 * *off (for sqe->in_off) and *ptr set; -ENOSPC when the arena is full now
 * (reap completions and free their inputs, then retry); -ACCEL_E_TOO_LARGE
 * when len can never fit.
 */
int accel_client_alloc(struct accel_client *c, uint64_t len, uint64_t *off,
		       void **ptr);

/*
 * Shrinks the input block at off to len bytes (len <= its size), giving the
 * rest back to the arena: for a writer that allocated the worst case and
 * wrote less. Returns 0 or -EINVAL.
 */
int accel_client_trim(struct accel_client *c, uint64_t off, uint64_t len);

/* Frees an input block once the request's final completion was reaped. */
void accel_client_free(struct accel_client *c, uint64_t off);

/*
 * Returns the next free submission slot (zeroed), or NULL when the ring is
 * full or the engine broke the protocol (accel_client_status() tells which).
 * Slots are invisible to the engine until accel_client_submit().
 */
struct accel_sqe *accel_client_sqe(struct accel_client *c);

/*
 * Publishes every slot taken since the last call with one store and wakes the
 * engine if it sleeps. Returns the number published, or -ACCEL_E_ENGINE_DIED
 * / -ACCEL_E_CLOSED.
 */
int accel_client_submit(struct accel_client *c);

/*
 * Copies up to max completions out of the completion rings (all of them, in
 * turn) and hands their slots back. Returns the number copied (0: none ready)
 * or -ACCEL_E_PROTOCOL when the engine's indices are impossible. Never
 * blocks.
 */
int accel_client_reap(struct accel_client *c, struct accel_cqe *cqes,
		      unsigned max);

/* True when at least one completion is ready to reap. */
int accel_client_ready(struct accel_client *c);

/*
 * Waits until a completion is ready: spins, then sleeps on the client
 * doorbell's futex, checking every 50 ms that the engine is alive.
 * timeout_ns < 0: no limit. Returns 1 ready, 0 timed out,
 * -ACCEL_E_ENGINE_DIED. The spin adapts between 0 and opts.spin_ns: a spin
 * that ends in vain halves the next one, a spin that sees the completion
 * doubles it, and every 64th wait spins the full opts.spin_ns.
 */
int accel_client_wait(struct accel_client *c, int64_t timeout_ns);

/* The spin the next accel_client_wait() starts with, in nanoseconds. */
uint64_t accel_client_spin_ns(const struct accel_client *c);

/*
 * The result bytes of a completion (ACCEL_CQE_F_RESULT), viewed in place in
 * the mapping, or NULL when the CQE has none or names bytes outside the
 * result arena. Valid until accel_client_release(c, cqe->out_off).
 */
const void *accel_client_result(struct accel_client *c,
				const struct accel_cqe *cqe);

/*
 * Gives a result block back to the engine through the release ring. Never
 * fails for lack of room: releases that do not fit are kept and posted by
 * the next release, reap, wait or accel_client_flush_releases(). Returns 0
 * or -ENOMEM.
 */
int accel_client_release(struct accel_client *c, uint64_t out_off);

/*
 * Posts kept-back releases that fit now and returns how many are still kept
 * back (0: none). Cheap when there are none.
 */
size_t accel_client_flush_releases(struct accel_client *c);

/*
 * The session's state: 0 while usable, -ACCEL_E_PROTOCOL once the engine's
 * ring indices were impossible (accel_client_sqe()/reap() then fail),
 * -ACCEL_E_ENGINE_DIED after the engine went away, -ACCEL_E_CLOSED after
 * shutdown. Tells a NULL from accel_client_sqe() (ring full: 0) apart.
 */
int accel_client_status(const struct accel_client *c);

/*
 * Asynchronous waiting (event loops): the eventfd made with
 * ACCEL_CLIENT_F_EVENTFD (-1 without it) becomes readable when completions
 * arrive while armed. arm(c, 1) asks the engine to write it; after arming,
 * or after draining it with accel_client_drain_eventfd(), check
 * accel_client_ready() once more before sleeping.
 */
int accel_client_eventfd(const struct accel_client *c);
void accel_client_arm(struct accel_client *c, int on);
void accel_client_drain_eventfd(struct accel_client *c);

/* The session socket: readable with EOF when the engine died. */
int accel_client_sockfd(const struct accel_client *c);

/* 1 when the engine is alive (no EOF on the socket), 0 otherwise. */
int accel_client_alive(struct accel_client *c);

/* The mapping and its layout, for zero-copy views by bindings. */
void *accel_client_base(const struct accel_client *c);
const struct accel_shm_layout *
accel_client_layout(const struct accel_client *c);

/* The engine's pid (from the mapping header). */
pid_t accel_client_engine_pid(const struct accel_client *c);

#endif
