/* SPDX-License-Identifier: MIT */
#ifndef ACCEL_RING_ABI_H
#define ACCEL_RING_ABI_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include "shm_abi.h"

/*
 * Wire structs of the rings. Everything here lives in the shared mapping and
 * is read by a peer that may be buggy or hostile: fixed-width little-endian
 * fields, offsets (never pointers), named padding written as zero. The byte
 * offsets are documented in docs/protocol.md; the static_asserts below keep
 * that table true.
 */

/* Submission queue entry: one request, written by the client. */
struct accel_sqe {
	uint64_t user_data; /* client cookie, echoed in every CQE */
	uint16_t op;	    /* op id from engine/ops/ops.def */
	uint16_t flags;	    /* ACCEL_SQE_F_* */
	uint32_t resv0;	    /* must be zero */
	uint64_t in_off;    /* mapping offset of the input block */
	uint64_t in_len;    /* input length in bytes (0: no input) */
	uint64_t arg[3];    /* op-defined scalar arguments */
	uint64_t resv1;	    /* must be zero */
};

static_assert(sizeof(struct accel_sqe) == ACCEL_SQE_SIZE, "sqe size");
static_assert(offsetof(struct accel_sqe, user_data) == 0, "sqe.user_data");
static_assert(offsetof(struct accel_sqe, op) == 8, "sqe.op");
static_assert(offsetof(struct accel_sqe, flags) == 10, "sqe.flags");
static_assert(offsetof(struct accel_sqe, resv0) == 12, "sqe.resv0");
static_assert(offsetof(struct accel_sqe, in_off) == 16, "sqe.in_off");
static_assert(offsetof(struct accel_sqe, in_len) == 24, "sqe.in_len");
static_assert(offsetof(struct accel_sqe, arg) == 32, "sqe.arg");
static_assert(offsetof(struct accel_sqe, resv1) == 56, "sqe.resv1");

/* sqe.flags: none defined yet; every bit must be zero. */
#define ACCEL_SQE_F_VALID 0u

/*
 * Op 0 is not in the op table: it is the engine's cancel request. arg[0]
 * names the user_data of the request to cancel. The cancel request itself
 * completes with res 0 when the target was found, -ACCEL_E_NOT_FOUND when it
 * had already completed.
 */
#define ACCEL_OP_CANCEL 0

/* Completion queue entry: one result, written by an engine thread. */
struct accel_cqe {
	uint64_t user_data; /* copied from the sqe */
	int32_t res;	    /* >= 0 op-defined success value, < 0 -error code */
	uint32_t flags;	    /* ACCEL_CQE_F_* */
	uint64_t out_off;   /* mapping offset of the result block, 0: none */
	uint64_t out_len;   /* result length in bytes */
};

static_assert(sizeof(struct accel_cqe) == ACCEL_CQE_SIZE, "cqe size");
static_assert(offsetof(struct accel_cqe, user_data) == 0, "cqe.user_data");
static_assert(offsetof(struct accel_cqe, res) == 8, "cqe.res");
static_assert(offsetof(struct accel_cqe, flags) == 12, "cqe.flags");
static_assert(offsetof(struct accel_cqe, out_off) == 16, "cqe.out_off");
static_assert(offsetof(struct accel_cqe, out_len) == 24, "cqe.out_len");

/*
 * The CQE carries a result block; the client owns it until it posts its
 * offset to the release ring.
 */
#define ACCEL_CQE_F_RESULT (1u << 0)
/*
 * Not the final completion of the request: progress or a streamed chunk.
 * For progress, out_* may carry data and res is the op's progress value.
 */
#define ACCEL_CQE_F_MORE (1u << 1)

/*
 * The control block in front of every ring's entries. head is written only by
 * the consumer, tail only by the producer; each sits on its own cache line so
 * that the two sides never write the same line. Both are free-running and
 * masked with (entries - 1) on use.
 */
struct accel_ring_hdr {
	uint32_t head;
	uint32_t resv_head[15];
	uint32_t tail;
	uint32_t resv_tail[15];
};

static_assert(sizeof(struct accel_ring_hdr) == ACCEL_RING_HDR_SIZE, "ring hdr");
static_assert(offsetof(struct accel_ring_hdr, head) == 0, "ring hdr head");
static_assert(offsetof(struct accel_ring_hdr, tail) == 64, "ring hdr tail");

/*
 * A doorbell: how one side sleeps until the other has published something.
 * It is an event count on a shared futex, the io_uring need_wakeup idea:
 *
 *  - flags is written only by the waiter. ACCEL_BELL_WAITING says "I may
 *    sleep on seq"; ACCEL_BELL_EVENTFD says "write my eventfd instead"
 *    (Node's event loop, which cannot block on a futex).
 *  - seq is bumped by notifiers before they futex_wake it.
 *  - evt_pending is set by a notifier when it writes the eventfd and
 *    cleared by the waiter after it has drained the eventfd, so that a burst
 *    of completions costs one eventfd write.
 *
 * The protocol and its proof (spin model) are in docs/ring.md.
 */
struct accel_bell {
	uint32_t flags;
	uint32_t seq;
	uint32_t evt_pending;
	uint32_t resv[13];
};

static_assert(sizeof(struct accel_bell) == 64, "bell size");
static_assert(offsetof(struct accel_bell, flags) == 0, "bell.flags");
static_assert(offsetof(struct accel_bell, seq) == 4, "bell.seq");
static_assert(offsetof(struct accel_bell, evt_pending) == 8, "bell.pending");

#define ACCEL_BELL_WAITING (1u << 0)
#define ACCEL_BELL_EVENTFD (1u << 1)

/* Release ring entries are uint64_t mapping offsets of result blocks. */

#endif
