/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "accel_alloc.h"
#include "accel_compiler.h"
#include "accel_err.h"
#include "accel_time.h"
#include "bridge.h"

/*
 * The session machinery of the addon: staging and publishing requests,
 * reaping completions from libuv callbacks, the spin window, sync waits,
 * liveness. See bridge.h for the shape.
 */

/* One result Buffer viewing the mapping: what its finalizer needs. */
struct br_view {
	struct bridge *b;
	uint64_t off;
	uint64_t held; /* arena bytes the view keeps: its whole block */
};

/*
 * The arena block a result occupies: results live in power-of-two blocks of
 * at least block_min bytes (shm.h), so a view of len bytes can hold up to
 * twice that. The view limit counts blocks, not lengths, or views could fill
 * the arena while their lengths add up to half of it.
 */
static uint64_t block_of(const struct bridge *b, uint64_t len)
{
	uint64_t blk = accel_client_layout(b->c)->block_min;

	while (blk < len)
		blk <<= 1;
	return blk;
}

static int pump(struct bridge *b);
static void on_death(struct bridge *b, int code);
static void on_idle(uv_idle_t *h);

static int has_work(const struct bridge *b)
{
	return b->inflight || b->nstash || b->pm_finished ||
	       b->pm_deferred != NULL || b->js_blocked;
}

/*
 * The uv handles keep the process alive only while something is pending, so
 * that an idle engine never holds a Node program open.
 */
static void update_ref(struct bridge *b)
{
	int want = !b->closed && has_work(b);

	if (want == b->refd)
		return;
	b->refd = want;
	if (want) {
		uv_ref((uv_handle_t *)&b->evpoll);
		uv_ref((uv_handle_t *)&b->sockpoll);
	} else {
		uv_unref((uv_handle_t *)&b->evpoll);
		uv_unref((uv_handle_t *)&b->sockpoll);
	}
}

static void arm(struct bridge *b, int on)
{
	if (b->armed == on)
		return;
	accel_client_arm(b->c, on);
	b->armed = on;
}

/* Opens (or extends) the spin window: reap on every loop turn. */
static void start_spin(struct bridge *b)
{
	if (b->closed)
		return;
	b->window = b->spin_eff;
	if (b->spin_ns && b->spin_eff < b->spin_ns &&
	    ++b->probe >= BR_SPIN_PROBE) {
		b->probe = 0;
		b->window = b->spin_ns;
	}
	if (b->window) {
		b->deadline = accel_now_ns() + b->window;
		arm(b, 0);
	}
	if (!b->idle_on) {
		uv_idle_start(&b->idle, on_idle);
		b->idle_on = 1;
	}
	update_ref(b);
}

static void on_kick(uv_timer_t *t)
{
	struct bridge *b = t->data;

	b->kick_on = 0;
	if (b->closed || !has_work(b))
		return;
	/* Publishes nothing new: it flushes the kept-back releases. */
	if (!b->unpublished)
		accel_client_submit(b->c);
	if (accel_client_ready(b->c))
		pump(b);
	if (b->closed || !has_work(b) || b->kick_on)
		return;
	/* Long ops: back off, a release resets the period. */
	b->kick_ms = ACCEL_MIN(b->kick_ms * 2, BR_KICK_MAX_MS);
	uv_timer_start(&b->kick, on_kick, b->kick_ms, 0);
	b->kick_on = 1;
}

/* A block went back: kick soon if it may have been kept back. */
static void kick_soon(struct bridge *b)
{
	if (b->closed || !b->kick_on || b->kick_ms == BR_KICK_MS)
		return;
	b->kick_ms = BR_KICK_MS;
	uv_timer_start(&b->kick, on_kick, b->kick_ms, 0);
}

static void stop_spin(struct bridge *b)
{
	if (b->idle_on) {
		uv_idle_stop(&b->idle);
		b->idle_on = 0;
	}
	if (b->closed)
		return;
	arm(b, 1);
	/*
	 * Arming is a store plus a full fence; a completion published before
	 * the engine could see the flag wrote no eventfd, so look once more
	 * (the waiter's re-check of the doorbell protocol, docs/ring.md).
	 */
	if (accel_client_ready(b->c) || b->nstash || b->pm_finished)
		pump(b);
	if (!b->closed && has_work(b) && !b->kick_on) {
		b->kick_ms = BR_KICK_MS;
		uv_timer_start(&b->kick, on_kick, b->kick_ms, 0);
		b->kick_on = 1;
	}
	update_ref(b);
}

static void on_idle(uv_idle_t *h)
{
	struct bridge *b = h->data;
	int got = pump(b);
	uint64_t now;

	if (b->closed)
		return;
	now = accel_now_ns();
	/* Completions keep coming (a stream, pingMany): keep spinning. */
	if (got > 0 && b->window) {
		b->spin_hits++;
		b->spin_eff = ACCEL_MIN(b->spin_ns,
					ACCEL_MAX(2 * b->spin_eff, b->window));
		b->deadline = now + b->window;
	}
	if (!has_work(b)) {
		stop_spin(b);
	} else if (now >= b->deadline) {
		/* Spun in vain: spinning steals the engine's CPU, or the op is
		 * long. Spin less next time. */
		if (b->window) {
			b->spin_misses++;
			b->spin_eff /= 2;
			if (b->spin_eff < BR_SPIN_MIN_NS)
				b->spin_eff = 0;
		}
		stop_spin(b);
	}
}

static void on_eventfd(uv_poll_t *h, int status, int events)
{
	struct bridge *b = h->data;

	if (b->closed)
		return;
	/* Drain first, then look: a later notification writes again. */
	accel_client_drain_eventfd(b->c);
	pump(b);
	if (!b->closed)
		update_ref(b);
}

static void on_socket(uv_poll_t *h, int status, int events)
{
	struct bridge *b = h->data;

	if (b->closed)
		return;
	/* The engine never writes after the welcome: readable means EOF. */
	if (status < 0 || !accel_client_alive(b->c))
		on_death(b, -ACCEL_E_ENGINE_DIED);
}

static void on_handle_closed(uv_handle_t *h)
{
	struct bridge *b = h->data;

	if (--b->open_handles == 0) {
		napi_handle_scope scope;

		if (!b->env_gone &&
		    napi_open_handle_scope(b->env, &scope) == napi_ok) {
			napi_async_destroy(b->env, b->actx);
			napi_close_handle_scope(b->env, scope);
		}
		b->actx = NULL;
		napi_remove_async_cleanup_hook(b->cleanup);
		b->cleanup = NULL;
		if (b->env_gone)
			b->env = NULL;
	}
	br_unref(b);
}

static void teardown(struct bridge *b);

/*
 * The env is going away (process exit, worker end). An async cleanup hook,
 * because the uv handles must finish closing before the env (and possibly
 * this addon's code) is gone: the hook is removed from the last handle's
 * close callback. No JS may run any more; the env's references die with it.
 */
static void env_cleanup(napi_async_cleanup_hook_handle h, void *arg)
{
	struct bridge *b = arg;

	b->env_gone = 1;
	teardown(b);
	b->meta = NULL;
}

int br_create(napi_env env, struct accel_client *c, const struct br_opts *o,
	      napi_value meta, napi_value batch_cb, napi_value death_cb,
	      struct bridge **out)
{
	const struct accel_shm_layout *l = accel_client_layout(c);
	napi_typedarray_type type;
	napi_value ab, resource, name;
	size_t len, boff;
	void *data;
	struct bridge *b;
	int ret = -ENOMEM;

	b = accel_calloc(1, sizeof(*b));
	if (!b)
		goto err_client;
	b->env = env;
	b->c = c;
	b->spin_ns = o->spin_ns;
	b->spin_eff = o->spin_ns;
	b->ping_op = o->ping_op;
	b->view_limit = l->res_size / 100 * o->view_pct;
	/*
	 * V8 collects early when external memory grows by about 64 MiB; arena
	 * space is scarcer than heap, so views count more, such that the view
	 * limit weighs at least 256 MiB.
	 */
	b->view_weight = b->view_limit ? (256ull << 20) / b->view_limit : 1;
	if (b->view_weight < 1)
		b->view_weight = 1;
	b->map_lo = (uintptr_t)accel_client_base(c);
	b->map_hi = b->map_lo + l->map_size;

	if (napi_get_typedarray_info(env, meta, &type, &len, &data, &ab,
				     &boff) != napi_ok ||
	    type != napi_int32_array || len < 3 * 16 + 1) {
		ret = -ACCEL_E_BAD_ARG;
		goto err_free;
	}
	b->meta = data;
	b->meta_cap = (uint32_t)((len - 1) / 3);
	if (napi_create_object(env, &resource) != napi_ok ||
	    napi_create_string_utf8(env, "agent-accel", NAPI_AUTO_LENGTH,
				    &name) != napi_ok ||
	    napi_async_init(env, resource, name, &b->actx) != napi_ok)
		goto err_free;
	napi_create_reference(env, resource, 1, &b->resource);
	napi_create_reference(env, meta, 1, &b->meta_ref);
	napi_create_reference(env, batch_cb, 1, &b->batch_cb);
	napi_create_reference(env, death_cb, 1, &b->death_cb);

	if (napi_get_uv_event_loop(env, &b->loop) != napi_ok)
		goto err_free;
	b->evpoll.data = b->sockpoll.data = b->idle.data = b->kick.data = b;
	uv_poll_init(b->loop, &b->evpoll, accel_client_eventfd(c));
	uv_poll_init(b->loop, &b->sockpoll, accel_client_sockfd(c));
	uv_idle_init(b->loop, &b->idle);
	uv_timer_init(b->loop, &b->kick);
	b->open_handles = 4;
	b->refs = 1 + 4; /* the JS handle and the four uv handles */
	uv_poll_start(&b->evpoll, UV_READABLE, on_eventfd);
	uv_poll_start(&b->sockpoll, UV_READABLE | UV_DISCONNECT, on_socket);
	uv_unref((uv_handle_t *)&b->evpoll);
	uv_unref((uv_handle_t *)&b->sockpoll);
	uv_unref((uv_handle_t *)&b->idle);
	uv_unref((uv_handle_t *)&b->kick);
	arm(b, 1);
	napi_add_async_cleanup_hook(env, env_cleanup, b, &b->cleanup);
	*out = b;
	return 0;

err_free:
	if (b->actx)
		napi_async_destroy(env, b->actx);
	accel_free(b);
err_client:
	accel_client_destroy(c);
	return ret;
}

void br_unref(struct bridge *b)
{
	if (--b->refs > 0)
		return;
	accel_client_destroy(b->c);
	accel_free(b->slots);
	accel_free(b->stash);
	accel_free(b);
}

/* Stops everything that runs on its own and ends the session. */
static void teardown(struct bridge *b)
{
	if (b->closed)
		return;
	b->closed = 1;
	if (b->idle_on)
		uv_idle_stop(&b->idle);
	b->idle_on = 0;
	uv_timer_stop(&b->kick);
	b->kick_on = 0;
	/* Stop the polls before the session closes their fds. */
	uv_poll_stop(&b->evpoll);
	uv_poll_stop(&b->sockpoll);
	uv_close((uv_handle_t *)&b->evpoll, on_handle_closed);
	uv_close((uv_handle_t *)&b->sockpoll, on_handle_closed);
	uv_close((uv_handle_t *)&b->idle, on_handle_closed);
	uv_close((uv_handle_t *)&b->kick, on_handle_closed);
	/* Keeps the mapping: result Buffers stay valid until destroy. */
	accel_client_shutdown(b->c);
	b->inflight = 0;
	b->unpublished = 0;
	for (size_t i = 0; i < b->nstash; i++)
		accel_free(b->stash[i].data);
	b->nstash = 0;
}

static void drop_js_refs(struct bridge *b)
{
	napi_ref *refs[] = { &b->meta_ref, &b->batch_cb, &b->death_cb,
			     &b->resource };

	for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
		if (*refs[i])
			napi_delete_reference(b->env, *refs[i]);
		*refs[i] = NULL;
	}
	b->meta = NULL;
}

static void settle_ping_many(struct bridge *b, int code)
{
	napi_deferred d = b->pm_deferred;
	napi_value v;

	if (!d)
		return;
	b->pm_deferred = NULL;
	b->pm_finished = 0;
	if (code < 0) {
		napi_reject_deferred(b->env, d, br_make_error(b->env, code));
		return;
	}
	napi_create_double(b->env, (double)b->pm_done, &v);
	napi_resolve_deferred(b->env, d, v);
}

void br_close(struct bridge *b)
{
	if (b->closed)
		return;
	teardown(b);
	settle_ping_many(b, -ACCEL_E_CLOSED);
	drop_js_refs(b);
}

int br_slot_reserve(struct bridge *b, uint32_t slot)
{
	struct br_slot *s;
	uint32_t n;

	if (slot >= BR_MAX_SLOTS)
		return -ACCEL_E_BAD_ARG;
	if (slot < b->nslots)
		return b->slots[slot].state == BR_SLOT_FREE ? 0 :
							      -ACCEL_E_BAD_ARG;
	n = b->nslots ? b->nslots : 1024;
	while (n <= slot)
		n *= 2;
	s = accel_realloc(b->slots, (size_t)n * sizeof(*s));
	if (!s)
		return -ENOMEM;
	memset(s + b->nslots, 0, (size_t)(n - b->nslots) * sizeof(*s));
	b->slots = s;
	b->nslots = n;
	return 0;
}

int br_prepare(struct bridge *b, uint16_t op, uint64_t ud, uint64_t in_off,
	       uint64_t in_len, const uint64_t arg[3])
{
	struct accel_sqe *sqe;

	if (b->closed)
		return b->dead ? -ACCEL_E_ENGINE_DIED : -ACCEL_E_CLOSED;
	sqe = accel_client_sqe(b->c);
	if (!sqe) {
		/* Full with nothing outstanding: the engine broke the ring. */
		if (!b->inflight && !b->unpublished)
			return -ACCEL_E_PROTOCOL;
		return -EAGAIN;
	}
	sqe->user_data = ud;
	sqe->op = op;
	sqe->in_off = in_off;
	sqe->in_len = in_len;
	if (arg) {
		sqe->arg[0] = arg[0];
		sqe->arg[1] = arg[1];
		sqe->arg[2] = arg[2];
	}
	b->inflight++;
	b->unpublished++;
	if (!(ud & BR_UD_INTERNAL)) {
		struct br_slot *s = &b->slots[ud >> 2];

		s->in_off = in_off;
		s->state = BR_SLOT_BUSY;
		s->kind = ud & 3;
	}
	return 0;
}

int br_flush(struct bridge *b)
{
	int ret;

	if (b->closed || !b->unpublished)
		return 0;
	ret = accel_client_submit(b->c);
	if (ret < 0)
		return ret; /* the socket poll reports the death */
	b->unpublished = 0;
	start_spin(b);
	return ret;
}

/*
 * Stages a cancel request for the call in slot. With abandon, its final
 * completion is swallowed; without, it is delivered as usual (the op says
 * what it did before it stopped).
 */
static int stage_cancel(struct bridge *b, uint32_t slot, int abandon)
{
	struct br_slot *s;
	uint64_t arg[3] = { 0, 0, 0 };

	if (b->closed || slot >= b->nslots)
		return 0;
	s = &b->slots[slot];
	if (s->state != BR_SLOT_BUSY)
		return 0;
	if (abandon)
		s->state = BR_SLOT_ABANDONED;
	arg[0] = ((uint64_t)slot << 2) | s->kind;
	/* No room for the cancel: the call completes and is swallowed. */
	return br_prepare(b, ACCEL_OP_CANCEL, BR_UD_CANCEL, 0, 0, arg) == 0;
}

int br_abandon(struct bridge *b, uint32_t slot)
{
	return stage_cancel(b, slot, 1);
}

int br_cancel(struct bridge *b, uint32_t slot)
{
	return stage_cancel(b, slot, 0);
}

static void view_finalize(napi_env env, void *data, void *hint)
{
	struct br_view *v = hint;
	struct bridge *b = v->b;
	int64_t adj;

	if (!b->closed) {
		accel_client_release(b->c, v->off);
		kick_soon(b);
	}
	b->view_bytes -= v->held;
	if (env)
		napi_adjust_external_memory(
			env, -(int64_t)(v->held * b->view_weight), &adj);
	accel_free(v);
	br_unref(b);
}

static napi_value view_buffer(struct bridge *b, const struct accel_cqe *cqe,
			      const void *p)
{
	struct br_view *v = accel_malloc(sizeof(*v));
	uint64_t held = block_of(b, cqe->out_len);
	napi_value buf;
	int64_t adj;
	void *copy;

	if (b->view_bytes + held > b->view_limit) {
		accel_free(v);
		v = NULL;
		b->views_copied++;
	}
	if (v) {
		v->b = b;
		v->off = cqe->out_off;
		v->held = held;
		if (napi_create_external_buffer(b->env, cqe->out_len, (void *)p,
						view_finalize, v,
						&buf) == napi_ok) {
			b->refs++;
			b->view_bytes += held;
			napi_adjust_external_memory(
				b->env, (int64_t)(held * b->view_weight), &adj);
			return buf;
		}
		accel_free(v);
	}
	/* Runtimes that forbid external buffers still get the bytes. */
	if (napi_create_buffer_copy(b->env, cqe->out_len, p, &copy, &buf) !=
	    napi_ok)
		buf = NULL;
	accel_client_release(b->c, cqe->out_off);
	return buf;
}

napi_value br_result_value(struct bridge *b, const struct accel_cqe *cqe,
			   unsigned kind, int32_t *res)
{
	napi_value v = NULL;
	const void *p;
	void *copy;

	if (!(cqe->flags & ACCEL_CQE_F_RESULT))
		return NULL;
	p = accel_client_result(b->c, cqe);
	if (!p) {
		*res = -ACCEL_E_PROTOCOL;
		return NULL;
	}
	if (*res < 0)
		kind = BR_KIND_STRING; /* the op's explanation of the error */
	switch (kind) {
	case BR_KIND_VIEW:
		if (cqe->out_len)
			return view_buffer(b, cqe, p);
		break;
	case BR_KIND_STRING:
		if (napi_create_string_utf8(b->env, p, cqe->out_len, &v) !=
		    napi_ok)
			v = NULL;
		break;
	case BR_KIND_COPY:
		if (napi_create_buffer_copy(b->env, cqe->out_len, p, &copy,
					    &v) != napi_ok)
			v = NULL;
		break;
	default:
		break;
	}
	accel_client_release(b->c, cqe->out_off);
	return v;
}

static void release_result(struct bridge *b, const struct accel_cqe *cqe)
{
	if ((cqe->flags & ACCEL_CQE_F_RESULT) && accel_client_result(b->c, cqe))
		accel_client_release(b->c, cqe->out_off);
}

/*
 * Completions the bridge made for itself. Returns 1 when cqe was one of
 * them (and is fully handled), 0 when it belongs to a JS call.
 */
static int handle_internal(struct bridge *b, const struct accel_cqe *cqe)
{
	if (!(cqe->user_data & BR_UD_INTERNAL))
		return 0;
	release_result(b, cqe);
	if (cqe->flags & ACCEL_CQE_F_MORE)
		return 1;
	if (b->inflight)
		b->inflight--;
	if (cqe->user_data == BR_UD_PINGMANY && b->pm_deferred) {
		b->pm_done++;
		if (cqe->res < 0 && !b->pm_err)
			b->pm_err = cqe->res;
		if (b->pm_done == b->pm_total)
			b->pm_finished = 1;
	}
	return 1;
}

/* Keeps pingMany's SQ share full. Returns the number staged. */
static unsigned ping_many_fill(struct bridge *b)
{
	unsigned n = 0;

	while (b->pm_deferred && b->pm_submitted < b->pm_total &&
	       b->pm_submitted - b->pm_done < b->pm_window &&
	       br_prepare(b, b->ping_op, BR_UD_PINGMANY, 0, 0, NULL) == 0) {
		b->pm_submitted++;
		n++;
	}
	return n;
}

int br_ping_many(struct bridge *b, uint64_t n, napi_deferred d)
{
	if (b->closed)
		return b->dead ? -ACCEL_E_ENGINE_DIED : -ACCEL_E_CLOSED;
	if (b->pm_deferred)
		return -ACCEL_E_BUSY;
	if (!b->ping_op)
		return -ACCEL_E_BAD_OP;
	b->pm_deferred = d;
	b->pm_total = n;
	b->pm_submitted = b->pm_done = 0;
	b->pm_err = 0;
	b->pm_finished = n == 0;
	/* A quarter of the ring stays free for the calls JS makes meanwhile. */
	b->pm_window = accel_client_layout(b->c)->sq_entries;
	b->pm_window -= b->pm_window / 4;
	ping_many_fill(b);
	if (b->unpublished)
		return br_flush(b) < 0 ? -ACCEL_E_ENGINE_DIED : 0;
	start_spin(b);
	return 0;
}

/* The JS call a completion belongs to; NULL for a bogus user_data. */
static struct br_slot *js_slot(struct bridge *b, const struct accel_cqe *cqe)
{
	uint64_t slot = cqe->user_data >> 2;

	if (slot >= b->nslots || b->slots[slot].state == BR_SLOT_FREE)
		return NULL;
	return &b->slots[slot];
}

static int stash_push(struct bridge *b, const struct accel_cqe *cqe)
{
	struct br_stashed *e;
	const void *p;

	if (b->nstash == b->cap_stash) {
		size_t cap = b->cap_stash ? b->cap_stash * 2 : 256;
		struct br_stashed *s =
			accel_realloc(b->stash, cap * sizeof(*s));

		if (!s)
			return -ENOMEM;
		b->stash = s;
		b->cap_stash = cap;
	}
	e = &b->stash[b->nstash];
	e->cqe = *cqe;
	e->data = NULL;
	if ((cqe->flags & ACCEL_CQE_F_RESULT) &&
	    (p = accel_client_result(b->c, cqe))) {
		e->data = accel_malloc(cqe->out_len);
		if (!e->data)
			return -ENOMEM;
		memcpy(e->data, p, cqe->out_len);
		accel_client_release(b->c, cqe->out_off);
	}
	b->nstash++;
	return 0;
}

/* The value of a stashed result copy (see br_stashed), which it frees. */
static napi_value stashed_value(struct bridge *b, const struct accel_cqe *cqe,
				void *data, unsigned kind, int32_t res)
{
	napi_value v = NULL;
	void *copy;

	if (res < 0 || kind == BR_KIND_STRING) {
		if (napi_create_string_utf8(b->env, data, cqe->out_len, &v) !=
		    napi_ok)
			v = NULL;
	} else if ((kind == BR_KIND_VIEW || kind == BR_KIND_COPY) &&
		   cqe->out_len) {
		if (napi_create_buffer_copy(b->env, cqe->out_len, data, &copy,
					    &v) != napi_ok)
			v = NULL;
	}
	accel_free(data);
	return v;
}

/* One reap batch, as handed to JS. */
struct batch {
	uint32_t n;
	napi_value vals; /* created on the first result value */
};

static void call_js(struct bridge *b, struct batch *bt)
{
	napi_value cb, recv, argv[2], ret;
	napi_status st;

	/*
	 * An empty batch still matters when JS has calls queued for lack of
	 * room: completions of the bridge's own requests freed some.
	 */
	if ((!bt->n && !b->js_blocked) || !b->batch_cb)
		goto out;
	b->js_blocked = 0;
	napi_get_reference_value(b->env, b->batch_cb, &cb);
	napi_get_undefined(b->env, &recv);
	napi_create_uint32(b->env, bt->n, &argv[0]);
	argv[1] = bt->vals ? bt->vals : recv;
	st = napi_call_function(b->env, recv, cb, 2, argv, &ret);
	if (st == napi_pending_exception) {
		napi_value e;

		napi_get_and_clear_last_exception(b->env, &e);
		napi_fatal_exception(b->env, e);
	}
out:
	bt->n = 0;
	bt->vals = NULL;
}

/*
 * The final completion of a JS call frees its input block at once, also
 * when the completion itself waits in the stash: a sync call waiting for
 * arena room needs it.
 */
static void retire(struct bridge *b, struct br_slot *s)
{
	if (s->in_off)
		accel_client_free(b->c, s->in_off);
	s->in_off = 0;
	if (b->inflight)
		b->inflight--;
}

/*
 * Adds one JS completion to the batch (flushing it to JS when full).
 * retired: its input was freed when it was stashed.
 */
static void deliver_one(struct bridge *b, struct batch *bt,
			const struct accel_cqe *cqe, int retired, void *data)
{
	struct br_slot *s = js_slot(b, cqe);
	int final = !(cqe->flags & ACCEL_CQE_F_MORE);
	int32_t res = cqe->res;
	napi_value v;
	uint32_t slot;

	if (!s) {
		/* Not ours: the engine is confused. */
		if (data)
			accel_free(data);
		else
			release_result(b, cqe);
		return;
	}
	slot = (uint32_t)(cqe->user_data >> 2);
	if (final && !retired)
		retire(b, s);
	if (s->state == BR_SLOT_ABANDONED) {
		if (data)
			accel_free(data);
		else
			release_result(b, cqe);
		if (!final)
			return;
		/* JS still holds the slot: tell it the slot is free. */
		res = -ACCEL_E_CANCELLED;
		v = NULL;
	} else if (data) {
		v = stashed_value(b, cqe, data, s->kind, res);
	} else {
		v = br_result_value(b, cqe, s->kind, &res);
	}
	if (final)
		s->state = BR_SLOT_FREE;
	b->meta[3 * bt->n] = (int32_t)slot;
	b->meta[3 * bt->n + 1] = res;
	b->meta[3 * bt->n + 2] = (int32_t)cqe->flags;
	if (v) {
		if (!bt->vals)
			napi_create_array(b->env, &bt->vals);
		napi_set_element(b->env, bt->vals, bt->n, v);
	}
	if (++bt->n == b->meta_cap)
		call_js(b, bt);
}

/*
 * Reaps everything that is ready (and what was stashed by sync calls) and
 * hands it to JS in batches, inside one callback scope so that promise
 * reactions run once, when the scope closes.
 */
static int pump(struct bridge *b)
{
	napi_handle_scope hs;
	napi_callback_scope cs = NULL;
	napi_value resource;
	struct batch bt = { 0, NULL };
	int rounds = 0, reaped = 0;

	if (b->closed || b->in_pump || b->env_gone)
		return 0;
	b->in_pump = 1;
	if (napi_open_handle_scope(b->env, &hs) != napi_ok) {
		b->in_pump = 0;
		return 0;
	}
	napi_get_reference_value(b->env, b->resource, &resource);
	napi_open_callback_scope(b->env, resource, b->actx, &cs);

	/*
	 * Stashed first: they completed before anything reaped now. The
	 * stash is taken over because JS may make sync calls (which stash)
	 * while it handles this batch.
	 */
	if (b->nstash) {
		struct br_stashed *st = b->stash;
		size_t n = b->nstash, cap = b->cap_stash;

		b->stash = NULL;
		b->nstash = b->cap_stash = 0;
		for (size_t i = 0; i < n; i++) {
			if (b->closed)
				accel_free(st[i].data);
			else
				deliver_one(b, &bt, &st[i].cqe, 1, st[i].data);
		}
		if (!b->stash) {
			b->stash = st; /* keep the allocation */
			b->cap_stash = cap;
		} else {
			accel_free(st);
		}
	}

	while (!b->closed && rounds++ < 64) {
		int n = accel_client_reap(b->c, b->cqes, BR_REAP_MAX);

		if (n < 0) {
			call_js(b, &bt);
			b->in_pump = 0;
			on_death(b, n);
			b->in_pump = 1;
			break;
		}
		reaped += n;
		for (int i = 0; i < n && !b->closed; i++)
			if (!handle_internal(b, &b->cqes[i]))
				deliver_one(b, &bt, &b->cqes[i], 0, NULL);
		if (b->closed)
			break;
		if (b->pm_deferred && ping_many_fill(b) &&
		    accel_client_submit(b->c) >= 0) {
			b->unpublished = 0;
			continue;
		}
		if (n < BR_REAP_MAX)
			break;
	}
	/* Also when JS waits for room: a sync call may have reaped for it. */
	if (!b->closed && (bt.n || reaped || b->js_blocked))
		call_js(b, &bt);
	if (!b->closed && b->pm_finished)
		settle_ping_many(b, b->pm_err);
	if (cs)
		napi_close_callback_scope(b->env, cs);
	napi_close_handle_scope(b->env, hs);
	b->in_pump = 0;
	return reaped;
}

/*
 * The engine is gone (EOF on the socket) or broke the protocol: hand JS
 * what it completed before, then end the session and tell JS, which rejects
 * every pending call with code.
 */
static void on_death(struct bridge *b, int code)
{
	napi_handle_scope hs;
	napi_callback_scope cs = NULL;
	napi_value cb = NULL, resource, recv, arg, ret;

	if (b->closed || b->dying || b->env_gone)
		return;
	b->dying = 1;
	if (code == -ACCEL_E_ENGINE_DIED)
		pump(b);
	if (b->closed)
		return;
	if (napi_open_handle_scope(b->env, &hs) != napi_ok)
		return;
	napi_get_reference_value(b->env, b->resource, &resource);
	napi_open_callback_scope(b->env, resource, b->actx, &cs);
	if (b->death_cb)
		napi_get_reference_value(b->env, b->death_cb, &cb);
	teardown(b);
	b->dead = 1;
	settle_ping_many(b, code);
	drop_js_refs(b);
	if (cb) {
		napi_get_undefined(b->env, &recv);
		napi_create_int32(b->env, code, &arg);
		if (napi_call_function(b->env, recv, cb, 1, &arg, &ret) ==
		    napi_pending_exception) {
			napi_value e;

			napi_get_and_clear_last_exception(b->env, &e);
			napi_fatal_exception(b->env, e);
		}
	}
	if (cs)
		napi_close_callback_scope(b->env, cs);
	napi_close_handle_scope(b->env, hs);
}

/*
 * Sorts one reaped batch of a sync wait: the bridge's own completions are
 * handled, JS ones stashed, the sync request's final completion returned.
 */
static int sort_sync(struct bridge *b, const struct accel_cqe *cqes, int n,
		     struct accel_cqe *mine)
{
	int found = 0;

	for (int i = 0; i < n; i++) {
		const struct accel_cqe *cqe = &cqes[i];

		if (cqe->user_data == BR_UD_SYNC) {
			if (cqe->flags & ACCEL_CQE_F_MORE) {
				release_result(b, cqe);
				continue;
			}
			*mine = *cqe;
			found = 1;
		} else if (!handle_internal(b, cqe)) {
			struct br_slot *s = js_slot(b, cqe);

			if (!s) {
				release_result(b, cqe);
				continue;
			}
			if (!(cqe->flags & ACCEL_CQE_F_MORE))
				retire(b, s);
			if (stash_push(b, cqe) < 0)
				napi_fatal_error("agent-accel",
						 NAPI_AUTO_LENGTH,
						 "out of memory stashing a "
						 "completion",
						 NAPI_AUTO_LENGTH);
		}
	}
	return found;
}

/*
 * Sync waits sleep in slices: between them, the releases the client library
 * kept back (release ring full) are posted, since the engine may be waiting
 * for exactly those blocks to produce the result we wait for.
 */
static int wait_ready(struct bridge *b)
{
	for (;;) {
		int ret = accel_client_wait(b->c, BR_KICK_MS * 1000000ll);

		if (ret != 0)
			return ret;
		ret = accel_client_submit(b->c);
		if (ret < 0)
			return ret;
	}
}

/* After a sync call: whatever it stashed is delivered on the next turn. */
static void after_sync(struct bridge *b)
{
	if (b->closed)
		return;
	if (has_work(b))
		start_spin(b);
	else
		update_ref(b);
}

int br_wait_some(struct bridge *b)
{
	struct accel_cqe cqes[64], unused;
	int ret, n;

	if (b->unpublished) {
		ret = accel_client_submit(b->c);
		if (ret < 0)
			return ret;
		b->unpublished = 0;
	}
	if (!b->inflight)
		return -ACCEL_E_NO_SPACE; /* nothing will complete */
	ret = wait_ready(b);
	if (ret < 0)
		return ret;
	n = accel_client_reap(b->c, cqes, 64);
	if (n < 0)
		return n;
	sort_sync(b, cqes, n, &unused);
	after_sync(b);
	return 0;
}

int br_call_sync(struct bridge *b, uint16_t op, uint64_t in_off,
		 uint64_t in_len, const uint64_t arg[3], struct accel_cqe *cqe)
{
	struct accel_cqe cqes[64];
	int ret, found = 0;

	for (;;) {
		ret = br_prepare(b, op, BR_UD_SYNC, in_off, in_len, arg);
		if (ret != -EAGAIN)
			break;
		ret = br_wait_some(b);
		if (ret < 0)
			break;
	}
	if (ret < 0)
		goto out_free;
	ret = accel_client_submit(b->c);
	if (ret < 0)
		goto out_free;
	b->unpublished = 0;
	while (!found) {
		ret = wait_ready(b);
		if (ret < 0)
			goto out_free;
		ret = accel_client_reap(b->c, cqes, 64);
		if (ret < 0)
			goto out_free;
		found = sort_sync(b, cqes, ret, cqe);
	}
	if (b->inflight)
		b->inflight--;
	ret = 0;
out_free:
	if (in_off && !b->closed)
		accel_client_free(b->c, in_off);
	after_sync(b);
	return ret;
}
