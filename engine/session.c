/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "accel_alloc.h"
#include "accel_compiler.h"
#include "accel_err.h"
#include "accel_time.h"
#include "accel_tsan.h"
#include "engine_int.h"

/*
 * A session is one client: its socket, its mapping and one poller thread.
 * The poller drains the submission ring, runs cheap ops inline (their
 * completions go out in one batch on completion ring 0) and hands the rest to
 * the worker pool; each worker posts on its own completion ring, so every ring
 * has exactly one producer. The poller is also the release ring's consumer.
 *
 * The mapping is hostile input. Each SQE is copied into private memory once
 * and only the copy is validated and used; indices read from the mapping are
 * checked by the ring views; offsets are checked against the private layout.
 */

#define POLL_BATCH 256
/* A sleeping poller wakes this often to notice a dead session. */
#define SLEEP_SLICE_NS 200000000ll

static void handshake_reply(int sock, int32_t status, const char *msg, int fd,
			    uint64_t map_size)
{
	struct accel_welcome w;

	memset(&w, 0, sizeof(w));
	w.magic = ACCEL_WELCOME_MAGIC;
	w.version_major = ACCEL_PROTO_MAJOR;
	w.version_minor = ACCEL_PROTO_MINOR;
	w.status = status;
	w.map_size = map_size;
	if (msg)
		snprintf(w.message, sizeof(w.message), "%s", msg);
	accel_sock_send(sock, &w, sizeof(w), fd);
}

static int hello_ok(const struct accel_hello *h, char *why, size_t n)
{
	if (h->magic != ACCEL_HELLO_MAGIC) {
		snprintf(why, n, "bad hello magic");
		return -ACCEL_E_BAD_MAGIC;
	}
	if (h->version_major != ACCEL_PROTO_MAJOR) {
		snprintf(why, n, "client speaks protocol %u.%u, engine %u.%u",
			 h->version_major, h->version_minor, ACCEL_PROTO_MAJOR,
			 ACCEL_PROTO_MINOR);
		return -ACCEL_E_VERSION;
	}
	if ((h->flags & ~ACCEL_HELLO_F_EVENTFD) || h->resv0 || h->resv[0] ||
	    h->resv[1] || h->resv[2] || h->resv[3]) {
		snprintf(why, n, "unknown hello flags or reserved fields set");
		return -ACCEL_E_RESERVED;
	}
	return 0;
}

/* Creates the mapping for layout s->l and the engine's private views. */
static int map_setup(struct accel_session *s, int *memfd)
{
	int ret;

	ret = accel_shm_create(&s->l, (uint32_t)getpid(), memfd,
			       (void **)&s->base);
	if (ret < 0)
		return ret;
	ret = accel_arena_create(s->l.res_off, s->l.res_size, s->l.block_min,
				 &s->res);
	if (ret < 0)
		return ret;
	s->cq = accel_calloc(s->l.cq_count, sizeof(*s->cq));
	s->cq_posted = accel_calloc(s->l.cq_count, sizeof(*s->cq_posted));
	if (!s->cq || !s->cq_posted)
		return -ENOMEM;
	accel_ring_init(&s->sq, s->base + s->l.sq_off, s->l.sq_entries,
			sizeof(struct accel_sqe), 0);
	accel_ring_init(&s->rq, s->base + s->l.rq_off, s->l.rq_entries,
			sizeof(uint64_t), 0);
	for (uint32_t i = 0; i < s->l.cq_count; i++)
		accel_ring_init(&s->cq[i],
				s->base + s->l.cq_off + i * s->l.cq_stride,
				s->l.cq_entries, sizeof(struct accel_cqe), 1);
	s->engine_bell = (struct accel_bell *)(s->base + s->l.bell_off) +
			 ACCEL_BELL_ENGINE;
	s->client_bell = (struct accel_bell *)(s->base + s->l.bell_off) +
			 ACCEL_BELL_CLIENT;
	return 0;
}

/* Handshake and mapping. Returns 0 or a -code (reply already sent). */
static int session_setup(struct accel_session *s)
{
	struct accel_engine *e = s->eng;
	struct accel_shm_params p = { 0 };
	struct timeval tv = { .tv_sec = 5 };
	struct accel_hello h;
	char why[128] = "";
	int memfd = -1, ret;

	setsockopt(s->sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ret = accel_sock_recv(s->sock, &h, sizeof(h), &s->evfd);
	if (ret < 0) {
		accel__debug("session %llu: no hello: %s",
			     (unsigned long long)s->id, accel_strerror(ret));
		return ret;
	}
	ret = hello_ok(&h, why, sizeof(why));
	if (ret == 0 && (h.flags & ACCEL_HELLO_F_EVENTFD) != (s->evfd >= 0)) {
		snprintf(why, sizeof(why), "eventfd flag and fd disagree");
		ret = -ACCEL_E_HANDSHAKE;
	}
	if (ret == 0 &&
	    (h.req_size > e->o.max_arena || h.res_size > e->o.max_arena)) {
		snprintf(why, sizeof(why), "arena larger than the limit %llu",
			 (unsigned long long)e->o.max_arena);
		ret = -ACCEL_E_BAD_ARG;
	}
	if (ret == 0) {
		p.sq_entries = h.sq_entries;
		p.cq_count = 1 + e->nworkers;
		p.req_size = h.req_size;
		p.res_size = h.res_size;
		ret = accel_shm_layout(&p, &s->l);
		if (ret < 0)
			snprintf(why, sizeof(why), "bad ring or arena size");
	}
	if (ret == 0) {
		ret = map_setup(s, &memfd);
		if (ret < 0)
			snprintf(why, sizeof(why), "mapping: %s",
				 accel_strerror(ret));
	}
	if (ret < 0) {
		accel__log("session %llu refused: %s (%s)",
			   (unsigned long long)s->id, accel_strerror(ret), why);
		handshake_reply(s->sock, ret,
				why[0] ? why : accel_strerror(ret), -1, 0);
		if (memfd >= 0)
			close(memfd);
		return ret;
	}
	handshake_reply(s->sock, 0, NULL, memfd, s->l.map_size);
	/* The mapping keeps the memory; the fd is not needed any more. */
	close(memfd);
	tv.tv_sec = 0;
	setsockopt(s->sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return 0;
}

void accel__session_kill(struct accel_session *s, const char *reason)
{
	int expected = 0;

	if (atomic_compare_exchange_strong(&s->dead, &expected, 1)) {
		s->dead_reason = reason;
		if (reason)
			accel__log("session %llu dropped: %s",
				   (unsigned long long)s->id, reason);
	}
	/* Wake a sleeping poller and any worker waiting for result space. */
	if (s->engine_bell) {
		accel_fetch_add_release(&s->engine_bell->seq, 1);
		accel_futex_wake(&s->engine_bell->seq, 1);
	}
	pthread_mutex_lock(&s->res_lock);
	pthread_cond_broadcast(&s->res_cond);
	pthread_mutex_unlock(&s->res_lock);
}

int accel__session_post(struct accel_session *s, struct accel_thread *t,
			const struct accel_cqe *cqe, int final)
{
	struct accel_ring *r = &s->cq[t->slot];
	int64_t space = accel_ring_space(r);

	if (space <= 0) {
		/*
		 * The poller never lets more requests in than the completion
		 * rings can hold, so only a client that moved a head it does
		 * not own gets here.
		 */
		accel__session_kill(s, "completion ring head corrupted");
		return -ACCEL_E_PROTOCOL;
	}
	memcpy(accel_ring_next_slot(r), cqe, sizeof(*cqe));
	/* posted before tail: see admit_budget(). */
	atomic_store_explicit(&s->cq_posted[t->slot], r->local,
			      memory_order_release);
	accel_ring_publish(r);
	if (final)
		atomic_fetch_sub(&s->in_flight, 1);
	accel_bell_notify(s->client_bell, s->evfd);
	return 0;
}

static int sqe_check(const struct accel_session *s, const struct accel_sqe *q,
		     const struct accel_op_desc **desc)
{
	if (q->resv0 || q->resv1)
		return -ACCEL_E_RESERVED;
	if (q->flags & ~ACCEL_SQE_F_VALID)
		return -ACCEL_E_RESERVED;
	if (q->op != ACCEL_OP_CANCEL &&
	    (q->op >= ACCEL_OP_MAX || !accel_op_table[q->op]))
		return -ACCEL_E_BAD_OP;
	if (q->in_len &&
	    !accel_range_ok(q->in_off, q->in_len, s->l.req_off, s->l.req_size))
		return -ACCEL_E_BAD_RANGE;
	*desc = q->op == ACCEL_OP_CANCEL ? NULL : accel_op_table[q->op];
	return 0;
}

uint64_t accel__session_run(struct accel_session *s, struct accel_thread *t,
			    const struct accel_sqe *sqe,
			    const struct accel_op_desc *desc,
			    struct accel_job *job, uint64_t t_start,
			    int publish)
{
	struct accel_op_ctx ctx = {
		.s = s,
		.t = t,
		.job = job,
		.desc = desc,
		.op = sqe->op,
		.user_data = sqe->user_data,
	};
	struct accel_op_req req = { .op = sqe->op, .flags = sqe->flags };
	struct accel_cqe cqe = { .user_data = sqe->user_data };
	uint8_t *copy = NULL;
	uint64_t t_end;
	int res;

	memcpy(req.arg, sqe->arg, sizeof(req.arg));
	req.in_len = sqe->in_len;
	if (sqe->in_len) {
		req.in = s->base + sqe->in_off;
		if (desc->flags & ACCEL_OPF_COPY_IN) {
			copy = accel_malloc(sqe->in_len);
			if (copy)
				memcpy(copy, req.in, sqe->in_len);
			req.in = copy;
		}
	}
	if (accel_op_cancelled(&ctx))
		res = -ACCEL_E_CANCELLED;
	else if (sqe->in_len && !req.in)
		res = -ENOMEM;
	else
		res = desc->run(&ctx, &req);
	accel_free(copy);

	if (res < 0 && ctx.has_res && !ctx.err_detail) {
		pthread_mutex_lock(&s->res_lock);
		accel_arena_free(s->res, ctx.res_off);
		pthread_mutex_unlock(&s->res_lock);
		ctx.has_res = 0;
	}
	cqe.res = res;
	if (ctx.has_res) {
		cqe.flags = ACCEL_CQE_F_RESULT;
		cqe.out_off = ctx.res_off;
		cqe.out_len = ctx.res_len;
		/* Pairs with the acquire where the block comes back. */
		ACCEL_TSAN_RELEASE(s->base + ctx.res_off);
	}
	t_end = accel_now_ns();
	accel__metrics_record(sqe->op, t_end - t_start, res, sqe->in_len,
			      cqe.out_len);
	if (publish) {
		accel__session_post(s, t, &cqe, 1);
	} else {
		/* Inline batch: write now, publish once at the end of the
		 * batch. */
		memcpy(accel_ring_next_slot(&s->cq[t->slot]), &cqe,
		       sizeof(cqe));
		atomic_fetch_sub(&s->in_flight, 1);
	}
	if (ctx.defer_fn)
		ctx.defer_fn(ctx.defer_arg);
	return t_end;
}

static void job_link(struct accel_session *s, struct accel_job *j)
{
	pthread_mutex_lock(&s->lock);
	j->sprev = NULL;
	j->snext = s->jobs;
	if (s->jobs)
		s->jobs->sprev = j;
	s->jobs = j;
	s->refs++;
	pthread_mutex_unlock(&s->lock);
}

void accel__session_job_done(struct accel_session *s, struct accel_job *j)
{
	pthread_mutex_lock(&s->lock);
	if (j->sprev)
		j->sprev->snext = j->snext;
	else
		s->jobs = j->snext;
	if (j->snext)
		j->snext->sprev = j->sprev;
	if (--s->refs == 0)
		pthread_cond_broadcast(&s->idle_cond);
	pthread_mutex_unlock(&s->lock);
	accel_free(j);
}

static int cancel_job(struct accel_session *s, uint64_t user_data)
{
	int found = 0;

	pthread_mutex_lock(&s->lock);
	for (struct accel_job *j = s->jobs; j; j = j->snext) {
		if (j->sqe.user_data == user_data) {
			atomic_store(&j->cancelled, 1);
			found = 1;
		}
	}
	pthread_mutex_unlock(&s->lock);
	if (found) {
		/* A worker waiting for result space re-checks cancellation. */
		pthread_mutex_lock(&s->res_lock);
		pthread_cond_broadcast(&s->res_cond);
		pthread_mutex_unlock(&s->res_lock);
	}
	return found ? 0 : -ACCEL_E_NOT_FOUND;
}

unsigned accel__session_drain_releases(struct accel_session *s)
{
	int64_t n = accel_ring_avail(&s->rq);
	unsigned freed = 0;

	if (n < 0) {
		accel__session_kill(s, "release ring tail corrupted");
		return 0;
	}
	if (n == 0)
		return 0;
	pthread_mutex_lock(&s->res_lock);
	while (n-- > 0) {
		uint64_t off;

		memcpy(&off, accel_ring_next_entry(&s->rq), sizeof(off));
		if (accel_arena_free(s->res, off) == 0) {
			/* The client is done with the block: see accel_tsan.h. */
			ACCEL_TSAN_ACQUIRE(s->base + off);
			freed++;
		} else if (atomic_fetch_add(&s->bad_releases, 1) == 0)
			accel__log("session %llu: bogus release of offset %llu "
				   "(logged once)",
				   (unsigned long long)s->id,
				   (unsigned long long)off);
	}
	pthread_cond_broadcast(&s->res_cond);
	pthread_mutex_unlock(&s->res_lock);
	accel_ring_consumed(&s->rq);
	return freed;
}

/*
 * How many more requests may enter: every request in flight and every
 * completion not yet reaped must fit in the completion rings, so that a final
 * completion always finds a slot and no engine thread ever waits on the
 * client.
 */
static uint32_t admit_budget(struct accel_session *s)
{
	uint64_t used = atomic_load(&s->in_flight);

	for (uint32_t i = 0; i < s->l.cq_count; i++) {
		/*
		 * head first, then posted. Producers store posted before they
		 * publish tail, and the client reaps only what tail showed it,
		 * so a head we read is never beyond the posted count we read
		 * after it; the other order would race an honest client.
		 * The acquire pairs with the client's release of head.
		 */
		uint32_t head = accel_load_acquire(&s->cq[i].hdr->head);
		uint32_t posted = atomic_load_explicit(&s->cq_posted[i],
						       memory_order_acquire);
		uint32_t unreaped = posted - head;

		if (unreaped > s->l.cq_entries) {
			accel__session_kill(s,
					    "completion ring head corrupted");
			return 0;
		}
		used += unreaped;
	}
	if (used >= s->l.cq_entries)
		return 0;
	return (uint32_t)ACCEL_MIN(s->l.cq_entries - used, POLL_BATCH);
}

/* Drains up to one batch of submissions. Returns how many it took. */
static int poll_once(struct accel_session *s, struct accel_thread *t)
{
	uint32_t budget = admit_budget(s), inline_done = 0, taken = 0;
	int64_t avail = accel_ring_avail(&s->sq);
	uint64_t t0 = 0;

	if (avail < 0) {
		accel__session_kill(s, "submission ring tail jumped ahead");
		return 0;
	}
	while (avail-- > 0 && taken < budget) {
		const struct accel_op_desc *desc = NULL;
		struct accel_sqe q;
		int ret;

		/*
		 * One clock read per request: an inline op's service time
		 * starts where the previous one ended (they run back to back),
		 * which halves the clock reads on the hot path.
		 */
		if (!t0)
			t0 = accel_now_ns();
		/* The one copy out of the mapping; only q is used below. */
		memcpy(&q, accel_ring_next_entry(&s->sq), sizeof(q));
		taken++;
		atomic_fetch_add(&s->in_flight, 1);
		ret = sqe_check(s, &q, &desc);
		if (ret == 0 && !desc)
			ret = cancel_job(s, q.arg[0]);
		if (ret < 0 || !desc) {
			struct accel_cqe cqe = { .user_data = q.user_data,
						 .res = ret };

			accel__metrics_record(q.op < ACCEL_OP_MAX ? q.op : 0, 0,
					      ret, q.in_len, 0);
			memcpy(accel_ring_next_slot(&s->cq[t->slot]), &cqe,
			       sizeof(cqe));
			atomic_fetch_sub(&s->in_flight, 1);
			inline_done++;
			continue;
		}
		if (q.in_len <= desc->inline_max || !s->eng->pool) {
			t0 = accel__session_run(s, t, &q, desc, NULL, t0, 0);
			inline_done++;
			continue;
		}
		struct accel_job *j = accel_calloc(1, sizeof(*j));

		if (!j) {
			struct accel_cqe cqe = { .user_data = q.user_data,
						 .res = -ENOMEM };

			memcpy(accel_ring_next_slot(&s->cq[t->slot]), &cqe,
			       sizeof(cqe));
			atomic_fetch_sub(&s->in_flight, 1);
			inline_done++;
			continue;
		}
		j->s = s;
		j->sqe = q;
		j->desc = desc;
		j->t_start = t0;
		job_link(s, j);
		accel__pool_submit(s->eng->pool, j);
	}
	if (taken)
		accel_ring_consumed(&s->sq);
	if (inline_done)
		accel__session_flush(s, t);
	return (int)taken;
}

void accel__session_flush(struct accel_session *s, struct accel_thread *t)
{
	struct accel_ring *r = &s->cq[t->slot];

	if (atomic_load_explicit(&s->cq_posted[t->slot],
				 memory_order_relaxed) == r->local)
		return;
	/* posted before tail: see admit_budget(). */
	atomic_store_explicit(&s->cq_posted[t->slot], r->local,
			      memory_order_release);
	accel_ring_publish(r);
	accel_bell_notify(s->client_bell, s->evfd);
}

static int releases_ready(void *arg)
{
	struct accel_session *s = arg;

	return atomic_load_explicit(&s->dead, memory_order_relaxed) ||
	       accel_ring_avail(&s->rq) != 0;
}

int accel__session_wait_releases(struct accel_session *s,
				 struct accel_thread *t, int64_t timeout_ns)
{
	/* The client may be waiting for these before it releases anything. */
	accel__session_flush(s, t);
	return accel_bell_wait(s->engine_bell, releases_ready, s,
			       s->eng->o.spin_ns, timeout_ns);
}

int accel__session_poll(struct accel_session *s, struct accel_thread *t)
{
	int got = (int)accel__session_drain_releases(s);

	return got + poll_once(s, t);
}

static int poller_ready(void *arg)
{
	struct accel_session *s = arg;

	return atomic_load_explicit(&s->dead, memory_order_relaxed) ||
	       accel_ring_avail(&s->sq) != 0 || accel_ring_avail(&s->rq) != 0;
}

static void poller_loop(struct accel_session *s, struct accel_thread *t)
{
	struct accel_spin spin;

	accel_spin_init(&spin, s->eng->o.spin_ns);
	while (!atomic_load_explicit(&s->dead, memory_order_relaxed)) {
		/* Releases first: they make room for this batch's results. */
		if (accel__session_poll(s, t))
			continue;
		/*
		 * Nothing to do: spin for a while (a client in a tight loop is
		 * answered without a syscall on either side), then sleep on
		 * the engine doorbell. The spin adapts: when the client's
		 * requests are far apart (an exec takes a millisecond), it
		 * stops, leaving the core to the worker and the command.
		 * admit_budget() may be zero while the client does not reap:
		 * the sleep then ends on its next release or submission, or
		 * after a slice.
		 */
		if (accel_bell_spin(s->engine_bell, poller_ready, s, &spin,
				    -1) != 1 &&
		    accel_bell_wait(s->engine_bell, poller_ready, s, 0,
				    SLEEP_SLICE_NS) == 1)
			accel_spin_woke(&spin);
	}
}

static void session_free(struct accel_session *s)
{
	accel__session_op_fini(s);
	accel_shm_unmap(s->base, &s->l);
	accel_arena_destroy(s->res);
	accel_free(s->cq);
	accel_free((void *)s->cq_posted);
	if (s->evfd >= 0)
		close(s->evfd);
	if (s->sock >= 0)
		close(s->sock);
	pthread_mutex_destroy(&s->res_lock);
	pthread_cond_destroy(&s->res_cond);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->idle_cond);
	accel_free(s);
}

/*
 * Takes s off the engine's list, so that nobody can find it any more. It
 * still counts in nsessions until session_gone(), after its memory, mapping
 * and fds are released: a count of sessions is also a count of their fds.
 */
static void engine_unlink(struct accel_session *s)
{
	struct accel_engine *e = s->eng;

	pthread_mutex_lock(&e->lock);
	for (struct accel_session **pp = &e->sessions; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	}
	pthread_mutex_unlock(&e->lock);
}

static void session_gone(struct accel_engine *e)
{
	pthread_mutex_lock(&e->lock);
	e->nsessions--;
	pthread_cond_broadcast(&e->sessions_cond);
	pthread_mutex_unlock(&e->lock);
	accel__engine_session_ended();
}

/* Cancels what is queued or running and waits for it to finish. */
static void cancel_and_drain(struct accel_session *s)
{
	pthread_mutex_lock(&s->lock);
	for (struct accel_job *j = s->jobs; j; j = j->snext)
		atomic_store(&j->cancelled, 1);
	while (s->refs)
		pthread_cond_wait(&s->idle_cond, &s->lock);
	pthread_mutex_unlock(&s->lock);
}

static void *session_main(void *arg)
{
	struct accel_session *s = arg;
	struct accel_engine *e = s->eng;
	struct accel_thread t = { .slot = 0 };
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);

	if (session_setup(s) < 0) {
		engine_unlink(s);
		session_free(s);
		session_gone(e);
		return NULL;
	}
	/* From here on the main thread watches the socket for EOF. */
	ev.data.u64 = s->id;
	if (epoll_ctl(e->epfd, EPOLL_CTL_ADD, s->sock, &ev) < 0)
		accel__session_kill(s, "cannot watch the session socket");
	accel__debug("session %llu: up, %u sq entries, map %llu bytes",
		     (unsigned long long)s->id, s->l.sq_entries,
		     (unsigned long long)s->l.map_size);

	poller_loop(s, &t);

	cancel_and_drain(s);

	epoll_ctl(e->epfd, EPOLL_CTL_DEL, s->sock, NULL);
	engine_unlink(s);
	accel__debug("session %llu: closed", (unsigned long long)s->id);
	accel__thread_fini(&t);
	session_free(s);
	session_gone(e);
	return NULL;
}

static struct accel_session *session_alloc(struct accel_engine *e, int sock)
{
	struct accel_session *s = accel_calloc(1, sizeof(*s));
	pthread_condattr_t ca;

	if (!s)
		return NULL;
	s->eng = e;
	s->sock = sock;
	s->evfd = -1;
	pthread_condattr_init(&ca);
	/* Waits for result space use monotonic deadlines (opctx.c). */
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&s->res_lock, NULL);
	pthread_cond_init(&s->res_cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->idle_cond, NULL);
	return s;
}

int accel__session_create_local(struct accel_engine *e,
				const struct accel_shm_params *p,
				struct accel_session **out)
{
	struct accel_session *s = session_alloc(e, -1);
	int memfd = -1, ret;

	if (!s)
		return -ENOMEM;
	ret = accel_shm_layout(p, &s->l);
	if (ret == 0)
		ret = map_setup(s, &memfd);
	if (memfd >= 0)
		close(memfd);
	if (ret < 0) {
		session_free(s);
		return ret;
	}
	*out = s;
	return 0;
}

void accel__session_destroy_local(struct accel_session *s)
{
	cancel_and_drain(s);
	session_free(s);
}

int accel__session_start(struct accel_engine *e, int sock)
{
	struct accel_session *s;
	pthread_attr_t attr;
	int ret;

	s = session_alloc(e, sock);
	if (!s) {
		close(sock);
		return -ENOMEM;
	}

	pthread_mutex_lock(&e->lock);
	if (e->nsessions >= e->o.max_sessions ||
	    atomic_load(&e->shutting_down)) {
		pthread_mutex_unlock(&e->lock);
		handshake_reply(sock,
				atomic_load(&e->shutting_down) ?
					-ACCEL_E_SHUTDOWN :
					-ACCEL_E_BUSY,
				"engine has no room for another session", -1,
				0);
		session_free(s);
		return -ACCEL_E_BUSY;
	}
	s->id = ++e->next_id;
	s->next = e->sessions;
	e->sessions = s;
	e->nsessions++;
	e->sessions_total++;
	pthread_mutex_unlock(&e->lock);

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 << 10);
	ret = pthread_create(&s->poller, &attr, session_main, s);
	pthread_attr_destroy(&attr);
	if (ret) {
		engine_unlink(s);
		session_free(s);
		session_gone(e);
		return -ret;
	}
	return 0;
}
