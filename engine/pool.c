/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <errno.h>
#include <liburing.h>
#include <signal.h>
#include <string.h>

#include "accel_alloc.h"
#include "accel_time.h"
#include "engine_int.h"

/*
 * The worker pool: requests too large to run on a session's poller. One FIFO
 * for all sessions (a private mutex and condition variable; nothing shared
 * with clients), one thread per worker, each with its own io_uring and its
 * own completion ring slot in every session.
 */

#define URING_ENTRIES 256

struct accel_worker {
	struct accel_pool *pool;
	pthread_t tid;
	struct accel_thread t;
	struct io_uring ring;
	int have_ring;
};

struct accel_pool {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct accel_job *head, *tail;
	int stop;
	uint32_t n;
	struct accel_worker *w;
};

static struct accel_job *take(struct accel_pool *p)
{
	struct accel_job *j;

	pthread_mutex_lock(&p->lock);
	while (!p->head && !p->stop)
		pthread_cond_wait(&p->cond, &p->lock);
	j = p->head;
	if (j) {
		p->head = j->qnext;
		if (!p->head)
			p->tail = NULL;
	}
	pthread_mutex_unlock(&p->lock);
	return j;
}

static void *worker_main(void *arg)
{
	struct accel_worker *w = arg;
	struct accel_job *j;
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	/* Drain the queue even when stopping: every job owes a completion. */
	while ((j = take(w->pool))) {
		accel__session_run(j->s, &w->t, &j->sqe, j->desc, j, j->t_start,
				   1);
		accel__session_job_done(j->s, j);
	}
	accel__thread_fini(&w->t);
	return NULL;
}

int accel__pool_create(struct accel_engine *e, uint32_t nworkers,
		       struct accel_pool **out)
{
	struct accel_pool *p;
	uint32_t i;
	int ret;

	p = accel_calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->w = accel_calloc(nworkers, sizeof(*p->w));
	if (!p->w) {
		accel_free(p);
		return -ENOMEM;
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	for (i = 0; i < nworkers; i++) {
		struct accel_worker *w = &p->w[i];

		w->pool = p;
		w->t.slot = 1 + i;
		ret = io_uring_queue_init(URING_ENTRIES, &w->ring, 0);
		if (ret == 0) {
			w->have_ring = 1;
			w->t.uring = &w->ring;
		} else if (i == 0) {
			accel__log("io_uring unavailable (%s): ops fall back "
				   "to blocking system calls",
				   strerror(-ret));
		}
		ret = pthread_create(&w->tid, NULL, worker_main, w);
		if (ret) {
			if (w->have_ring)
				io_uring_queue_exit(&w->ring);
			break;
		}
		p->n++;
	}
	if (p->n == 0) {
		accel__pool_destroy(p);
		return -ret;
	}
	(void)e;
	*out = p;
	return 0;
}

void accel__pool_submit(struct accel_pool *p, struct accel_job *j)
{
	j->qnext = NULL;
	pthread_mutex_lock(&p->lock);
	if (p->tail)
		p->tail->qnext = j;
	else
		p->head = j;
	p->tail = j;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

void accel__pool_destroy(struct accel_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = 1;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	for (uint32_t i = 0; i < p->n; i++) {
		pthread_join(p->w[i].tid, NULL);
		if (p->w[i].have_ring)
			io_uring_queue_exit(&p->w[i].ring);
	}
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
	accel_free(p->w);
	accel_free(p);
}
