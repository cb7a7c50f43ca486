/* SPDX-License-Identifier: MIT */
/*
 * exec: runs one command under the sandbox (sandbox/sandbox.h) on a worker
 * thread and returns the library's result block ("ASBR").
 *
 * Input: a fixed 272-byte header, then the variable parts it points to;
 * exec_wire.h has the byte table and the decoder (docs/ops.md, "exec (16)",
 * the same table for clients).
 *
 * The input is copied in (ACCEL_OPF_COPY_IN): argv, env and the policy are
 * security decisions, so they are read from a private copy that the client
 * cannot change between check and use.
 *
 * Compiled policies are cached per session, keyed by XXH3-64 of the policy's
 * canonical bytes (exec_wire_policy_key(): the policy fields of the header
 * and the five policy lists) and confirmed by comparing those bytes, so a hash collision can
 * never hand one policy's sandbox to another. Compiling costs milliseconds;
 * a hit costs a hash and a memcmp.
 *
 * res: bit 0 set when the compiled policy came from the cache.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "accel_alloc.h"
#include "accel_compiler.h"
#include "accel_err.h"
#include "exec_wire.h"
#include "op.h"
#include "sandbox.h"

/* Cached compiled policies per session; the least recently used idle one
 * makes room. */
#define PCACHE_MAX 16

/* A compiled policy, reference counted: users + 1 while it is cached. */
struct pentry {
	uint64_t hash;
	uint64_t used;
	uint32_t refs;
	struct accel_sandbox *sb;
	size_t key_len;
	uint8_t key[];
};

struct exec_session {
	pthread_mutex_t lock;
	uint64_t tick;
	struct pentry *slot[PCACHE_MAX];
};

static int exec_session_init(void **state)
{
	struct exec_session *s = accel_calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->lock, NULL);
	*state = s;
	return 0;
}

static void pentry_free(struct pentry *e)
{
	if (!e)
		return;
	accel_sandbox_destroy(e->sb);
	accel_free(e);
}

static void exec_session_fini(void *state)
{
	struct exec_session *s = state;

	/* The session's requests are all finished: only cache references. */
	for (int i = 0; i < PCACHE_MAX; i++)
		pentry_free(s->slot[i]);
	pthread_mutex_destroy(&s->lock);
	accel_free(s);
}

/* Drops a reference; frees the entry with the last one. */
static void pentry_put(struct exec_session *s, struct pentry *e)
{
	int last;

	pthread_mutex_lock(&s->lock);
	last = --e->refs == 0;
	pthread_mutex_unlock(&s->lock);
	if (last)
		pentry_free(e);
}

/* Finds a cached entry with this key and takes a reference. Locked. */
static struct pentry *cache_find(struct exec_session *s, uint64_t h,
				 const uint8_t *key, size_t key_len, int *slot)
{
	for (int i = 0; i < PCACHE_MAX; i++) {
		struct pentry *e = s->slot[i];

		if (e && e->hash == h && e->key_len == key_len &&
		    !memcmp(e->key, key, key_len)) {
			*slot = i;
			return e;
		}
	}
	return NULL;
}

/*
 * Inserts e (holding one user reference) into the cache, replacing an entry
 * with the same key (fresh compiles) or the least recently used idle one.
 * When every slot is in use, e stays private and dies with its user. Returns
 * the entry that lost its slot, for the caller to free outside the lock.
 */
static struct pentry *cache_insert(struct exec_session *s, struct pentry *e)
{
	struct pentry *old = NULL;
	int victim = -1;

	if (!cache_find(s, e->hash, e->key, e->key_len, &victim)) {
		for (int i = 0; i < PCACHE_MAX; i++) {
			if (!s->slot[i]) {
				victim = i;
				break;
			}
			/* refs == 1: only the cache holds it. */
			if (s->slot[i]->refs == 1 &&
			    (victim < 0 ||
			     s->slot[i]->used < s->slot[victim]->used))
				victim = i;
		}
	}
	if (victim < 0)
		return NULL;
	if (s->slot[victim] && --s->slot[victim]->refs == 0)
		old = s->slot[victim];
	s->slot[victim] = e;
	e->refs++;
	return old;
}

/* Compiles the policy a request describes. */
static int policy_compile(const struct exec_req *r, struct accel_sandbox **out)
{
	struct accel_sandbox_policy pol;
	char **lists[EXEC_NPOL];
	int ret;

	ret = exec_wire_policy(r, &pol, lists);
	if (ret == 0)
		ret = accel_sandbox_policy_compile(&pol, out);
	exec_wire_policy_free(lists);
	return ret;
}

/*
 * Returns a referenced compiled policy for this request, from the cache when
 * it holds the same policy bytes (*hit = 1) or freshly compiled.
 */
static int policy_get(struct exec_session *s, const struct exec_req *r,
		      struct pentry **out, int *hit)
{
	struct pentry *e, *old;
	size_t key_len;
	uint8_t *key = exec_wire_policy_key(r, &key_len);
	uint64_t h;
	int slot, ret;

	*hit = 0;
	if (!key)
		return -ENOMEM;
	h = XXH3_64bits(key, key_len);
	if (!(r->flags & EXEC_X_FRESH_POLICY)) {
		pthread_mutex_lock(&s->lock);
		e = cache_find(s, h, key, key_len, &slot);
		if (e) {
			e->refs++;
			e->used = ++s->tick;
		}
		pthread_mutex_unlock(&s->lock);
		if (e) {
			accel_free(key);
			*hit = 1;
			*out = e;
			return 0;
		}
	}
	/* Compile outside the lock: other execs of the session go on. */
	e = accel_malloc(sizeof(*e) + key_len);
	if (!e) {
		accel_free(key);
		return -ENOMEM;
	}
	memcpy(e->key, key, key_len);
	accel_free(key);
	e->hash = h;
	e->key_len = key_len;
	e->refs = 1;
	e->sb = NULL;
	ret = policy_compile(r, &e->sb);
	if (ret < 0) {
		accel_free(e);
		return ret;
	}
	pthread_mutex_lock(&s->lock);
	e->used = ++s->tick;
	old = cache_insert(s, e);
	pthread_mutex_unlock(&s->lock);
	pentry_free(old);
	*out = e;
	return 0;
}

struct drive_arg {
	struct accel_op_ctx *ctx;
	uint64_t total[2];
};

/*
 * Streaming: each chunk becomes a progress completion with done = the
 * stream (0 stdout or merged, 1 stderr) and total = the bytes that stream
 * produced so far. Lossy: the engine drops a chunk rather than take a
 * completion slot a final completion needs; the result still has head and
 * tail of everything.
 */
static void on_output(void *arg, int stream, const void *data, size_t len)
{
	struct drive_arg *d = arg;

	d->total[stream & 1] += len;
	accel_op_progress(d->ctx, (uint64_t)(stream & 1), d->total[stream & 1],
			  data, len);
}

static int is_cancelled(void *arg)
{
	struct drive_arg *d = arg;

	return accel_op_cancelled(d->ctx);
}

static void destroy_proc(void *proc)
{
	accel_sandbox_proc_destroy(proc);
}

static int exec_run(struct accel_op_ctx *ctx, const struct accel_op_req *req)
{
	struct exec_session *s = accel_op_session_state(ctx);
	struct accel_sandbox_result res;
	struct accel_sandbox_proc *proc = NULL;
	struct exec_req r;
	struct exec_cmd cmd;
	struct pentry *pe = NULL;
	struct drive_arg da = { .ctx = ctx };
	int ret, hit = 0;
	size_t need;
	void *out;

	ret = exec_wire_parse(req->in, req->in_len, &r);
	if (ret < 0)
		return ret;
	if (!s)
		return -ENOMEM;
	ret = exec_wire_cmd(&r, &cmd);
	if (ret < 0)
		return ret;
	ret = policy_get(s, &r, &pe, &hit);
	if (ret < 0)
		goto out;

	memset(&res, 0, sizeof(res));
	ret = accel_sandbox_spawn(pe->sb, &cmd.x, &proc, &res);
	if (ret == 0) {
		struct accel_sandbox_drive_opts dopts = {
			/* A worker's own ring; NULL inline, where the library
			 * polls. */
			.ring = accel_op_uring(ctx),
			.on_output = (r.flags & EXEC_X_STREAM) ? on_output :
								 NULL,
			.cancelled = is_cancelled,
			.arg = &da,
		};

		/* A launcher's child reports a failed exec here. */
		ret = accel_sandbox_proc_drive(proc, &dopts, &res);
		if (ret < 0)
			accel_sandbox_proc_destroy(proc);
	}
	if (ret < 0) {
		/* The code travels as res; the failed step as its detail. */
		if (res.failed_step)
			accel_op_error_detail(
				ctx, "sandbox step '%s' failed: %s",
				accel_sandbox_step_name(res.failed_step),
				strerror(res.failed_errno));
		accel_sandbox_result_free(&res);
		goto out;
	}
	/* The command's tree is gone and reaped: closing its pipes and
	 * pidfd and letting go of its mount namespace can wait until the
	 * client has its result. */
	accel_op_defer(ctx, destroy_proc, proc);
	need = accel_sandbox_result_encode(&res, NULL, 0);
	out = accel_op_result(ctx, need);
	if (out)
		accel_sandbox_result_encode(&res, out, need);
	accel_sandbox_result_free(&res);
	ret = out ? hit : -ACCEL_E_NO_SPACE;
out:
	if (pe)
		pentry_put(s, pe);
	exec_wire_cmd_free(&cmd);
	return ret;
}

const struct accel_op_desc accel_op_exec = {
	.name = "exec",
	.flags = ACCEL_OPF_COPY_IN | ACCEL_OPF_NO_SYNC,
	.inline_max = ACCEL_OP_INLINE_NEVER,
	.run = exec_run,
	.session_init = exec_session_init,
	.session_fini = exec_session_fini,
};
