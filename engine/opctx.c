/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "accel_compiler.h"
#include "accel_err.h"
#include "accel_time.h"
#include "accel_tsan.h"
#include "engine_int.h"

/* The engine side of the op contract in ops/op.h. */

static void free_result(struct accel_op_ctx *ctx)
{
	if (!ctx->has_res)
		return;
	pthread_mutex_lock(&ctx->s->res_lock);
	accel_arena_free(ctx->s->res, ctx->res_off);
	pthread_mutex_unlock(&ctx->s->res_lock);
	ctx->has_res = 0;
	ctx->err_detail = 0;
	ctx->res_off = ctx->res_len = 0;
}

static void deadline_after(struct timespec *ts, uint64_t ns)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ns += (uint64_t)ts->tv_nsec;
	ts->tv_sec += (time_t)(ns / 1000000000ull);
	ts->tv_nsec = (long)(ns % 1000000000ull);
}

size_t accel_op_result_limit(const struct accel_op_ctx *ctx)
{
	return (size_t)ctx->s->l.res_size;
}

void *accel_op_result(struct accel_op_ctx *ctx, size_t len)
{
	static uint8_t empty;
	struct accel_session *s = ctx->s;
	struct timespec until;
	uint64_t t0;
	int ret;

	free_result(ctx);
	if (len == 0)
		return &empty;
	t0 = accel_now_ns();
	deadline_after(&until, s->eng->o.space_wait_ns);
	pthread_mutex_lock(&s->res_lock);
	for (;;) {
		ret = accel_arena_alloc(s->res, len, &ctx->res_off);
		if (ret != -ENOSPC || atomic_load(&s->dead))
			break;
		if (!ctx->job) {
			/*
			 * On the poller, which is the release ring's consumer:
			 * it frees what the client gave back itself and, while
			 * there is none, sleeps on its own doorbell until the
			 * client releases something.
			 */
			int64_t left = (int64_t)(t0 + s->eng->o.space_wait_ns) -
				       (int64_t)accel_now_ns();

			pthread_mutex_unlock(&s->res_lock);
			if (!accel__session_drain_releases(s) &&
			    (left <= 0 ||
			     !accel__session_wait_releases(s, ctx->t, left))) {
				pthread_mutex_lock(&s->res_lock);
				break;
			}
			pthread_mutex_lock(&s->res_lock);
			continue;
		}
		if (accel_op_cancelled(ctx))
			break;
		/* Signalled by the poller after it freed released blocks. */
		if (pthread_cond_timedwait(&s->res_cond, &s->res_lock,
					   &until) == ETIMEDOUT) {
			ret = accel_arena_alloc(s->res, len, &ctx->res_off);
			break;
		}
	}
	pthread_mutex_unlock(&s->res_lock);
	if (ret < 0)
		return NULL;
	ctx->has_res = 1;
	ctx->res_len = len;
	return s->base + ctx->res_off;
}

int accel_op_result_copy(struct accel_op_ctx *ctx, const void *p, size_t len)
{
	void *dst = accel_op_result(ctx, len);

	if (!dst)
		return -ACCEL_E_NO_SPACE;
	memcpy(dst, p, len);
	return 0;
}

void accel_op_result_trim(struct accel_op_ctx *ctx, size_t len)
{
	struct accel_session *s = ctx->s;
	uint64_t off;
	int moved;

	if (!ctx->has_res || len >= ctx->res_len)
		return;
	if (len == 0) {
		free_result(ctx);
		return;
	}
	/*
	 * Move the bytes into the smallest block that holds them instead of
	 * splitting the big block in place: a result that outlives the call
	 * (a view the client keeps) would otherwise pin the big block's free
	 * upper halves, and a run of such results fragments the arena until
	 * no large block is left while most of it is free. The allocator
	 * hands out the smallest free block first, so small results fill
	 * holes; the big block is freed whole and merges back.
	 */
	pthread_mutex_lock(&s->res_lock);
	moved = accel_arena_block_size(s->res, ctx->res_off) > len * 2 &&
		accel_arena_alloc(s->res, len, &off) == 0;
	if (!moved)
		accel_arena_trim(s->res, ctx->res_off, len);
	pthread_mutex_unlock(&s->res_lock);
	if (moved) {
		memcpy(s->base + off, s->base + ctx->res_off, len);
		pthread_mutex_lock(&s->res_lock);
		accel_arena_free(s->res, ctx->res_off);
		pthread_mutex_unlock(&s->res_lock);
		ctx->res_off = off;
	}
	ctx->res_len = len;
}

int accel_op_error_detail(struct accel_op_ctx *ctx, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int n, ret;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	ret = accel_op_result_copy(ctx, msg,
				   ACCEL_MIN((size_t)n, sizeof(msg) - 1));
	ctx->err_detail = ret == 0;
	return ret;
}

int accel_op_progress(struct accel_op_ctx *ctx, uint64_t done, uint64_t total,
		      const void *data, size_t len)
{
	struct accel_session *s = ctx->s;
	struct accel_ring *r = &s->cq[ctx->t->slot];
	struct accel_cqe cqe = { .user_data = ctx->user_data,
				 .flags = ACCEL_CQE_F_MORE };
	int64_t space = accel_ring_space(r);
	uint64_t hdr[2] = { done, total };
	uint8_t *p;
	int ret;

	/* Keep room for the final completion of every request in flight. */
	if (space <= (int64_t)atomic_load(&s->in_flight))
		return -EAGAIN;
	pthread_mutex_lock(&s->res_lock);
	ret = accel_arena_alloc(s->res, sizeof(hdr) + len, &cqe.out_off);
	pthread_mutex_unlock(&s->res_lock);
	if (ret < 0)
		return -EAGAIN;
	/* Progress block: u64 done, u64 total, then the op's bytes. */
	p = s->base + cqe.out_off;
	memcpy(p, hdr, sizeof(hdr));
	if (len)
		memcpy(p + sizeof(hdr), data, len);
	cqe.out_len = sizeof(hdr) + len;
	cqe.flags |= ACCEL_CQE_F_RESULT;
	ACCEL_TSAN_RELEASE(p);
	cqe.res = 0;
	return accel__session_post(s, ctx->t, &cqe, 0);
}

void accel_op_defer(struct accel_op_ctx *ctx, void (*fn)(void *arg), void *arg)
{
	ctx->defer_fn = fn;
	ctx->defer_arg = arg;
}

int accel_op_cancelled(const struct accel_op_ctx *ctx)
{
	if (atomic_load_explicit(&ctx->s->dead, memory_order_relaxed))
		return 1;
	return ctx->job &&
	       atomic_load_explicit(&ctx->job->cancelled, memory_order_relaxed);
}

struct io_uring *accel_op_uring(struct accel_op_ctx *ctx)
{
	return ctx->t->uring;
}

void *accel_op_session_state(struct accel_op_ctx *ctx)
{
	struct accel_session *s = ctx->s;
	void *st = NULL;

	if (!ctx->desc->session_init)
		return NULL;
	pthread_mutex_lock(&s->lock);
	if (!s->op_state_init[ctx->op] &&
	    ctx->desc->session_init(&s->op_state[ctx->op]) == 0)
		s->op_state_init[ctx->op] = 1;
	if (s->op_state_init[ctx->op])
		st = s->op_state[ctx->op];
	pthread_mutex_unlock(&s->lock);
	return st;
}

void *accel_op_thread_state(struct accel_op_ctx *ctx)
{
	struct accel_thread *t = ctx->t;

	if (!ctx->desc->thread_init)
		return NULL;
	if (!t->op_state_init[ctx->op] &&
	    ctx->desc->thread_init(&t->op_state[ctx->op]) == 0)
		t->op_state_init[ctx->op] = 1;
	return t->op_state_init[ctx->op] ? t->op_state[ctx->op] : NULL;
}

void accel__thread_fini(struct accel_thread *t)
{
	for (int i = 0; i < ACCEL_OP_MAX; i++) {
		if (!t->op_state_init[i])
			continue;
		if (accel_op_table[i] && accel_op_table[i]->thread_fini)
			accel_op_table[i]->thread_fini(t->op_state[i]);
		t->op_state_init[i] = 0;
	}
}

void accel__session_op_fini(struct accel_session *s)
{
	for (int i = 0; i < ACCEL_OP_MAX; i++) {
		if (!s->op_state_init[i])
			continue;
		if (accel_op_table[i] && accel_op_table[i]->session_fini)
			accel_op_table[i]->session_fini(s->op_state[i]);
		s->op_state_init[i] = 0;
	}
}
