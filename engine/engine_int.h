/* SPDX-License-Identifier: MIT */
#ifndef ACCEL_ENGINE_INT_H
#define ACCEL_ENGINE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "ops/op.h"
#include "ring.h"
#include "shm.h"

/*
 * The engine's private structures. Nothing here lives in shared memory: the
 * mapping is reached only through the ring views and the base pointer, and
 * every offset taken from it is checked against `l`, the engine's own layout.
 */

#define ACCEL_OP_MAX 256

struct accel_engine_opts {
	uint32_t workers; /* worker threads, 0: one per core */
	uint64_t spin_ns; /* poller spin before sleeping */
	uint32_t max_sessions;
	uint64_t max_arena;	/* per-arena byte limit a client may ask for */
	uint64_t space_wait_ns; /* how long a worker waits for result space */
	int verbose;
};

/* One engine thread that can post completions: a poller or a worker. */
struct accel_thread {
	uint32_t slot;		/* its completion ring in every session */
	struct io_uring *uring; /* workers only */
	void *op_state[ACCEL_OP_MAX];
	uint8_t op_state_init[ACCEL_OP_MAX];
};

struct accel_session;

/* A request queued to, or running on, the worker pool. */
struct accel_job {
	struct accel_session *s;
	struct accel_sqe sqe; /* private copy, validated */
	const struct accel_op_desc *desc;
	uint64_t t_start;
	atomic_int cancelled;
	struct accel_job *qnext;	 /* pool queue */
	struct accel_job *sprev, *snext; /* session's job list */
};

struct accel_session {
	struct accel_engine *eng;
	uint64_t id;
	int sock, evfd;
	uint8_t *base;
	struct accel_shm_layout l;
	struct accel_ring sq, rq; /* engine consumes */
	struct accel_ring *cq;	  /* engine produces, one per thread slot */
	atomic_uint *cq_posted;	  /* per slot: entries published */
	struct accel_bell *engine_bell, *client_bell;

	pthread_mutex_t res_lock; /* result arena and its waiters */
	pthread_cond_t res_cond;
	struct accel_arena *res;

	pthread_mutex_t lock; /* jobs, refs, op state */
	pthread_cond_t idle_cond;
	struct accel_job *jobs;
	uint32_t refs; /* queued or running jobs */
	void *op_state[ACCEL_OP_MAX];
	uint8_t op_state_init[ACCEL_OP_MAX];

	atomic_uint in_flight;
	atomic_int dead;
	atomic_uint_fast64_t bad_releases;
	const char *dead_reason;
	pthread_t poller;
	struct accel_session *next; /* engine's list */
};

struct accel_engine {
	struct accel_engine_opts o;
	uint64_t t_start;
	int epfd;
	int private_mode;
	atomic_int shutting_down;

	pthread_mutex_t lock; /* sessions list */
	pthread_cond_t sessions_cond;
	struct accel_session *sessions;
	uint32_t nsessions;
	uint64_t next_id;
	uint64_t sessions_total;

	struct accel_pool *pool;
	uint32_t nworkers;
	char uring_info[256];
};

/* What an op handler's ctx points to while it runs (op.h). */
struct accel_op_ctx {
	struct accel_session *s;
	struct accel_thread *t;
	struct accel_job *job; /* NULL when inline on the poller */
	const struct accel_op_desc *desc;
	uint16_t op;
	uint64_t user_data;
	uint64_t res_off, res_len;
	int has_res;
	int err_detail; /* the block is an error's text (accel_op_error_detail) */
	void (*defer_fn)(void *arg); /* accel_op_defer(): after the post */
	void *defer_arg;
};

/* Frees the session's released result blocks; returns how many. */
unsigned accel__session_drain_releases(struct accel_session *s);

/* The op table, indexed by op id (NULL: no such op). */
extern const struct accel_op_desc *const accel_op_table[ACCEL_OP_MAX];

/* Metrics (metrics.c): per-op counters and latency histograms. */
void accel__metrics_record(uint16_t op, uint64_t ns, int res, uint64_t in,
			   uint64_t out);
/* Appends the "ops" JSON object to buf; returns bytes written or -ENOSPC. */
int accel__metrics_json(char *buf, size_t cap);

/* Sessions (session.c). */
/*
 * For tests and fuzzing: a session over a fresh mapping, with no socket and
 * no poller thread; accel__session_poll() runs one turn of the poller (frees
 * released blocks, then drains one batch of submissions) on the caller's
 * thread and returns how much it did.
 */
int accel__session_create_local(struct accel_engine *e,
				const struct accel_shm_params *p,
				struct accel_session **out);
int accel__session_poll(struct accel_session *s, struct accel_thread *t);
void accel__session_destroy_local(struct accel_session *s);
int accel__session_start(struct accel_engine *e, int sock);
void accel__session_kill(struct accel_session *s, const char *reason);
/*
 * Posts a completion on thread t's ring of session s and wakes the client.
 * final: the request's last completion (drops the in-flight count).
 */
int accel__session_post(struct accel_session *s, struct accel_thread *t,
			const struct accel_cqe *cqe, int final);
/* Publishes the completions the poller wrote but has not published yet. */
void accel__session_flush(struct accel_session *s, struct accel_thread *t);
/*
 * On the poller: publishes pending completions, then sleeps until the client
 * posts releases (or the session dies) for up to timeout_ns. Returns 1 when
 * releases are ready, 0 on timeout.
 */
int accel__session_wait_releases(struct accel_session *s,
				 struct accel_thread *t, int64_t timeout_ns);
/*
 * Runs one validated request on thread t and posts its completion (publish)
 * or writes it for the poller's batch (!publish). Returns the time it ended.
 */
uint64_t accel__session_run(struct accel_session *s, struct accel_thread *t,
			    const struct accel_sqe *sqe,
			    const struct accel_op_desc *desc,
			    struct accel_job *job, uint64_t t_start,
			    int publish);
void accel__session_job_done(struct accel_session *s, struct accel_job *job);

/* Worker pool (pool.c). */
struct accel_pool;
int accel__pool_create(struct accel_engine *e, uint32_t nworkers,
		       struct accel_pool **out);
void accel__pool_submit(struct accel_pool *p, struct accel_job *job);
void accel__pool_destroy(struct accel_pool *p);

/* Thread state helpers (opctx.c). */
void accel__thread_fini(struct accel_thread *t);
void accel__session_op_fini(struct accel_session *s);

/* Tells the main thread that a session ended (log.c). */
void accel__engine_session_ended(void);
void accel__engine_set_wakefd(int fd);

/* Logging to stderr (log.c). verbose(-1) reads the setting. */
int accel__log_verbose(int on);
void accel__log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void accel__debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
