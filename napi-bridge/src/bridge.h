/* SPDX-License-Identifier: MIT */
#ifndef ACCEL_BRIDGE_H
#define ACCEL_BRIDGE_H

#include <node_api.h>
#include <stdint.h>
#include <uv.h>

#include "client.h"

/*
 * The Node side of one session: a struct accel_client driven by libuv.
 *
 * Threading: everything here runs on the JS thread of the env that made the
 * bridge (the handshake alone runs on a thread-pool thread, before the bridge
 * exists). The client library is single-threaded and so is this.
 *
 * How completions reach JS (docs/node.md):
 *
 *  - Submissions made during one JS tick are staged in the SQ and published
 *    by one accel_client_submit() from br_flush(), which JS calls from a
 *    microtask.
 *  - After a flush the bridge "spins" for up to spin_ns (adaptive, see
 *    spin_eff): a uv_idle handle keeps the loop turning without blocking
 *    (poll timeout 0) and reaps on every turn. When the window ends with
 *    nothing left, or nothing arrived within it,
 *    it arms the eventfd, re-checks the rings and lets the loop sleep in
 *    epoll. The eventfd and the session socket are watched by uv_poll.
 *  - Each reap batch is handed to JS with one call inside one callback scope:
 *    the CQE triples go into a shared Int32Array, result values (Buffers
 *    viewing the mapping, strings, copies) into one array.
 *
 * user_data: JS requests carry (slot << 2) | kind, where slot indexes the
 * JS-side table of pending calls and kind says how to hand the result to JS.
 * Requests the bridge makes for itself (cancel, pingMany, sync calls) have
 * bit 63 set and never reach JS.
 */

#define BR_KIND_NONE   0 /* res only; a result block is released at once */
#define BR_KIND_VIEW   1 /* external Buffer over the mapping (zero copy) */
#define BR_KIND_STRING 2 /* UTF-8 decoded string, block released at once */
#define BR_KIND_COPY   3 /* Buffer copy, block released at once */

#define BR_UD_INTERNAL (1ull << 63)
#define BR_UD_CANCEL   (BR_UD_INTERNAL | 1)
#define BR_UD_PINGMANY (BR_UD_INTERNAL | 2)
#define BR_UD_SYNC     (BR_UD_INTERNAL | 3)

#define BR_MAX_SLOTS   (1u << 28)
#define BR_REAP_MAX    256
#define BR_SPIN_PROBE  64 /* every n-th flush opens the full window */
#define BR_SPIN_MIN_NS 1000
#define BR_KICK_MS     1  /* first kick period while calls are pending */
#define BR_KICK_MAX_MS 64 /* the period doubles up to this */
#define BR_KICK_MS     1  /* shorter windows are not worth a turn */

enum br_slot_state {
	BR_SLOT_FREE,
	BR_SLOT_BUSY,
	BR_SLOT_ABANDONED
};

struct br_slot {
	uint64_t in_off; /* input block, 0: none */
	uint8_t state;	 /* enum br_slot_state */
	uint8_t kind;
};

/*
 * A completion reaped during a sync wait, for the next loop turn. Its result
 * bytes are copied out and the block released at once: JS may keep the
 * thread busy for long, and the engine needs the space meanwhile (such a
 * result reaches JS as a copy, not a view).
 */
struct br_stashed {
	struct accel_cqe cqe;
	void *data; /* private copy of the result, or NULL */
};

struct br_opts {
	uint64_t spin_ns;  /* idle reaping window after a submission */
	uint16_t ping_op;  /* op id used by pingMany */
	uint32_t view_pct; /* view_limit as a percentage of the result arena */
};

struct bridge {
	napi_env env;
	struct accel_client *c;
	uv_loop_t *loop;
	uv_poll_t evpoll;   /* the client's eventfd */
	uv_poll_t sockpoll; /* the session socket: EOF = engine died */
	uv_idle_t idle;	    /* the spin window */
	/*
	 * While calls are pending and the loop sleeps: posts the releases the
	 * client library kept back because the release ring was full (it
	 * posts them only on a later call into it, and the engine may be
	 * waiting for exactly those blocks).
	 */
	uv_timer_t kick;
	int kick_on;
	uint32_t kick_ms; /* next period: 1 ms after a release, doubling */
	/* Lifetime: the JS handle, each live result Buffer, each uv handle. */
	int refs;
	int open_handles;
	int closed; /* torn down: session shut down, handles closing */
	int dead;   /* the engine died (closed is set too) */
	int dying;  /* death is being processed: no re-entry */
	int armed;  /* eventfd armed */
	int idle_on;
	int refd; /* uv handles keep the loop alive */
	int in_pump;
	int env_gone; /* the env is being torn down: no more N-API */
	napi_async_cleanup_hook_handle cleanup;
	int js_blocked; /* a JS submit found no room: tell JS when room frees */
	uint64_t spin_ns, deadline;
	/*
	 * Adaptive window: window is the one in force, spin_eff what the next
	 * flush opens. A window that ends with calls still pending (the engine
	 * did not answer in time: it was descheduled, or the op is long)
	 * halves spin_eff down to zero; a completion seen while spinning
	 * doubles it back up to spin_ns. Every BR_SPIN_PROBE-th flush opens the
	 * full window to find out whether spinning pays again.
	 */
	uint64_t window, spin_eff;
	uint32_t probe;
	uint64_t spin_hits, spin_misses;
	uint64_t inflight;    /* SQEs taken and not finally completed */
	uint32_t unpublished; /* SQEs taken since the last submit */
	uint16_t ping_op;
	struct br_slot *slots;
	uint32_t nslots;
	/* Completions of JS calls reaped during a sync wait, for the next turn */
	struct br_stashed *stash;
	size_t nstash, cap_stash;
	struct accel_cqe cqes[BR_REAP_MAX];
	/* JS side: shared Int32Array [slot, res, flags] * meta_cap + sync res */
	int32_t *meta;
	uint32_t meta_cap;
	napi_ref meta_ref, batch_cb, death_cb, resource;
	napi_async_context actx;
	/* pingMany: one at a time */
	napi_deferred pm_deferred;
	uint64_t pm_total, pm_submitted, pm_done;
	uint32_t pm_window; /* most pings in flight: leaves room for JS calls */
	int32_t pm_err;
	int pm_finished;
	/*
	 * Bytes of result blocks held by live Buffers. Their blocks return
	 * only when V8 collects the Buffers; past view_limit, results are
	 * copied out instead so that lagging GC cannot starve the engine of
	 * result space.
	 */
	uint64_t view_bytes, view_limit;
	uint64_t view_weight;  /* views' bytes count this many times for V8 */
	uint64_t views_copied; /* results copied because of view_limit */
	/* The mapping, for isMapped() */
	uintptr_t map_lo, map_hi;
};

/* Creates the bridge for a connected client (takes ownership of c). */
int br_create(napi_env env, struct accel_client *c, const struct br_opts *o,
	      napi_value meta, napi_value batch_cb, napi_value death_cb,
	      struct bridge **out);

/* Drops one reference; the last one destroys the client and the bridge. */
void br_unref(struct bridge *b);

/*
 * Stages one request: copies nothing (the caller wrote the input block),
 * takes an SQE and fills it. Returns 0, -EAGAIN when the SQ is full, or a
 * negative code when the session is gone.
 */
int br_prepare(struct bridge *b, uint16_t op, uint64_t ud, uint64_t in_off,
	       uint64_t in_len, const uint64_t arg[3]);

/* Makes room for a JS slot index; returns 0 or -ENOMEM / -ACCEL_E_BAD_ARG. */
int br_slot_reserve(struct bridge *b, uint32_t slot);

/* Publishes staged SQEs and opens the spin window. Returns >= 0 or -code. */
int br_flush(struct bridge *b);

/*
 * The JS call in slot was abandoned (AbortSignal): its completion is
 * swallowed and its result released; a cancel request is staged when the SQ
 * has room. Returns 1 when a cancel was staged, 0 otherwise.
 */
int br_abandon(struct bridge *b, uint32_t slot);

/*
 * Stages a cancel request for the JS call in slot but keeps the call: its
 * final completion is delivered as usual, once the op has stopped (an exec
 * after its process tree is gone). Returns 1 when a cancel was staged.
 */
int br_cancel(struct bridge *b, uint32_t slot);

/*
 * Runs one request to completion on the calling thread (sync API): waits
 * with accel_client_wait(), stashing completions of other calls for the
 * next loop turn. The input block (in_off, 0: none) is freed here. Returns 0
 * with *cqe filled, or a negative code (the request did not complete).
 */
int br_call_sync(struct bridge *b, uint16_t op, uint64_t in_off,
		 uint64_t in_len, const uint64_t arg[3], struct accel_cqe *cqe);

/*
 * Waits for at least one completion and stashes it (or handles it when it
 * is the bridge's own). Used when the SQ or the arena is full during a sync
 * call. Returns 0 or a negative code.
 */
int br_wait_some(struct bridge *b);

/* Starts pingMany(n); the deferred settles from a later loop turn. */
int br_ping_many(struct bridge *b, uint64_t n, napi_deferred d);

/*
 * Turns a completion's result into a JS value according to kind, or NULL
 * when there is nothing to hand over (the block, if any, is released). May
 * rewrite *res to -ACCEL_E_PROTOCOL when the engine named bytes outside the
 * result arena. A failed request's result is returned as a string (detail).
 */
napi_value br_result_value(struct bridge *b, const struct accel_cqe *cqe,
			   unsigned kind, int32_t *res);

/* Closes the session (close() from JS); pending JS calls are JS's job. */
void br_close(struct bridge *b);

/* A JS Error for a code, as the JS package builds them. */
napi_value br_make_error(napi_env env, int code);

#endif
