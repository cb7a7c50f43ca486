/* SPDX-License-Identifier: MIT */
#ifndef ACCEL_OP_H
#define ACCEL_OP_H

#include <stddef.h>
#include <stdint.h>

/*
 * The contract between the engine and one op.
 *
 * An op is one file under engine/ops/ that defines one
 * `const struct accel_op_desc accel_op_<name>` and one line in
 * engine/ops/ops.def. Nothing else in the engine changes when an op is added.
 *
 * Life of a request: the session poller copies the SQE out of the mapping,
 * validates it (op id, reserved fields, input range inside the request arena)
 * and either runs the op on the poller thread ("inline": cheap ops, input no
 * larger than desc->inline_max) or queues it to the worker pool. The handler
 * returns a status that becomes cqe.res: >= 0 on success (op-defined meaning),
 * negative -errno or -ACCEL_E_* on failure. A result block attached with
 * accel_op_result() travels with the completion; on failure it is freed.
 */

struct accel_op_ctx;
struct io_uring;

/* The validated request as the handler sees it. */
struct accel_op_req {
	uint16_t op;
	uint16_t flags;
	/* Op-defined scalar arguments (sqe.arg[]). */
	uint64_t arg[3];
	/*
	 * Input bytes. With ACCEL_OPF_COPY_IN this is a private copy. Without
	 * it, it is a view into the shared mapping that a buggy or hostile
	 * client may still be writing: read each byte once and never let a
	 * value read from it decide an index without a bounds check.
	 */
	const uint8_t *in;
	size_t in_len;
};

/*
 * Runs one request. May block (on a worker) and may use the worker's
 * io_uring. Must return promptly once accel_op_cancelled() is true.
 */
typedef int (*accel_op_fn)(struct accel_op_ctx *ctx,
			   const struct accel_op_req *req);

/* desc->flags */
#define ACCEL_OPF_COPY_IN (1u << 0) /* hand the op a private copy of input */
#define ACCEL_OPF_NO_SYNC (1u << 1) /* no sync form in clients (exec) */

#define ACCEL_OP_INLINE_ALWAYS UINT32_MAX
#define ACCEL_OP_INLINE_NEVER  0

struct accel_op_desc {
	const char *name;
	uint32_t flags;
	/*
	 * Largest input run on the session poller. Larger inputs go to the
	 * worker pool. ACCEL_OP_INLINE_NEVER sends every request to the pool.
	 */
	uint32_t inline_max;
	accel_op_fn run;
	/*
	 * Optional per-session state (an index, a store), created on the first
	 * request of the session that needs it and destroyed when the session
	 * ends. Requests of one session may run concurrently on several
	 * threads: the state must be thread-safe on its own.
	 */
	int (*session_init)(void **state);
	void (*session_fini)(void *state);
	/*
	 * Optional per-thread state (zstd contexts, scratch buffers), created
	 * once per engine thread (poller or worker) on first use and reused.
	 */
	int (*thread_init)(void **state);
	void (*thread_fini)(void *state);
};

/*
 * Allocates a result block of len bytes in the session's result arena and
 * returns a pointer the op may write until it returns. A second call replaces
 * the first block (its contents are lost). Returns NULL when the arena has no
 * room even after waiting briefly for the client to release results; the op
 * should then return -ACCEL_E_NO_SPACE.
 */
void *accel_op_result(struct accel_op_ctx *ctx, size_t len);

/*
 * The size of the session's result arena: no result block can be larger.
 * An op that collects a variable amount (a replay, a listing) stops well
 * below it, since other results share the arena.
 */
size_t accel_op_result_limit(const struct accel_op_ctx *ctx);

/* Allocates a result block and copies p into it. Returns 0 or a -code. */
int accel_op_result_copy(struct accel_op_ctx *ctx, const void *p, size_t len);

/*
 * Shrinks the current result to its first len bytes (len <= its size). Lets
 * an op allocate a worst-case block and return only what it wrote. The bytes
 * may move to a smaller block: call it last, after the op is done writing,
 * and do not use the pointer accel_op_result() returned afterwards.
 */
void accel_op_result_trim(struct accel_op_ctx *ctx, size_t len);

/*
 * Attaches a human-readable reason to the error the op is about to return:
 * the completion then carries a result block with this UTF-8 text (no NUL)
 * next to its negative res, and Node shows it as err.detail. Replaces any
 * result block. Without it, a failing op's result block is dropped. Returns
 * 0, or -ACCEL_E_NO_SPACE when there was no room (the error still goes out).
 */
int accel_op_error_detail(struct accel_op_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Posts a progress completion (CQE flag ACCEL_CQE_F_MORE) carrying done and
 * total and up to len bytes of data copied into a fresh result block. Progress
 * is lossy: it is dropped (returns -EAGAIN) when the completion ring has no
 * room to spare, so that the final completion always fits.
 */
int accel_op_progress(struct accel_op_ctx *ctx, uint64_t done, uint64_t total,
		      const void *data, size_t len);

/*
 * Runs fn(arg) on this thread once the request's completion has been
 * posted (for a request run inline on the poller: as soon as run()
 * returns): for cleanup the client need not wait for, such as closing an
 * exec's pipes and pidfd. One per request; a second call replaces the
 * first. fn must not use ctx.
 */
void accel_op_defer(struct accel_op_ctx *ctx, void (*fn)(void *arg), void *arg);

/* True once the client cancelled the request or its session ended. */
int accel_op_cancelled(const struct accel_op_ctx *ctx);

/* This thread's io_uring; NULL when the op runs inline on the poller. */
struct io_uring *accel_op_uring(struct accel_op_ctx *ctx);

/* The op's per-session state (see session_init), or NULL on failure. */
void *accel_op_session_state(struct accel_op_ctx *ctx);

/* The op's per-thread state (see thread_init), or NULL on failure. */
void *accel_op_thread_state(struct accel_op_ctx *ctx);

#endif
