/* SPDX-License-Identifier: MIT */
/*
 * eventlog: keep-up's StorageEngine (context/context.h,
 * accel_context_journal_*) as an op. Its appends block until fdatasync, so
 * every request runs on a worker, never on the session poller. A session
 * holds up to 16 open journals by handle; they close when it ends.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "accel_alloc.h"
#include "accel_buf.h"
#include "accel_err.h"
#include "accel_le.h"
#include "context.h"
#include "op.h"

enum journal_sub {
	J_OPEN = 1,
	J_CLOSE = 2,
	J_APPEND = 3,
	J_REPLAY = 4,
	J_PRUNE = 5,
	J_SAVE = 6,
	J_LOAD = 7,
	J_DELETE = 8,
};

#define MAX_JOURNALS 16

/* Handles are slot + 1, reference counted as in context.c. */
struct jslot {
	struct accel_context_journal *j;
	uint32_t refs;
	uint8_t dead;
};

struct journal_session {
	pthread_mutex_t lock;
	struct jslot slots[MAX_JOURNALS];
};

static int journal_session_init(void **state)
{
	struct journal_session *s = accel_calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->lock, NULL);
	*state = s;
	return 0;
}

static void journal_session_fini(void *state)
{
	struct journal_session *s = state;

	for (int i = 0; i < MAX_JOURNALS; i++)
		accel_context_journal_destroy(s->slots[i].j);
	pthread_mutex_destroy(&s->lock);
	accel_free(s);
}

static int journal_thread_init(void **state)
{
	struct accel_context_zstd *z;
	int ret = accel_context_zstd_create(NULL, &z);

	if (ret < 0)
		return ret;
	*state = z;
	return 0;
}

static void journal_thread_fini(void *state)
{
	accel_context_zstd_destroy(state);
}

static struct accel_context_journal *jget(struct journal_session *s, uint64_t h)
{
	struct accel_context_journal *j = NULL;

	if (h == 0 || h > MAX_JOURNALS)
		return NULL;
	pthread_mutex_lock(&s->lock);
	if (s->slots[h - 1].j && !s->slots[h - 1].dead) {
		s->slots[h - 1].refs++;
		j = s->slots[h - 1].j;
	}
	pthread_mutex_unlock(&s->lock);
	return j;
}

/* Drops a reference (or, with kill, the registration); closes at zero. */
static int jput(struct journal_session *s, uint64_t h, int kill)
{
	struct accel_context_journal *j = NULL;
	int found = 0;

	if (h == 0 || h > MAX_JOURNALS)
		return 0;
	pthread_mutex_lock(&s->lock);
	if (s->slots[h - 1].j && (!kill || !s->slots[h - 1].dead)) {
		found = 1;
		if (kill)
			s->slots[h - 1].dead = 1;
		if (--s->slots[h - 1].refs == 0) {
			j = s->slots[h - 1].j;
			s->slots[h - 1] = (struct jslot){ 0 };
		}
	}
	pthread_mutex_unlock(&s->lock);
	accel_context_journal_destroy(j);
	return found;
}

static int clamp_res(int64_t n)
{
	return n > INT32_MAX ? -ACCEL_E_TOO_LARGE : (int)n;
}

struct replay_buf {
	struct accel_buf b;
	size_t max;
	size_t last;	  /* offset of the last record collected */
	int64_t count;	  /* records collected */
	uint64_t big_seq; /* an event too large for any reply, or 0 */
	size_t big_len;
};

/* The record flag that says "stopped early: ask again from seq + 1". */
#define REPLAY_F_MORE 1u

/*
 * Appends {u64 seq, u32 len, u32 flags, bytes, pad to 8}. Once the next
 * record would pass r->max it stops the replay and flags the last record
 * collected with REPLAY_F_MORE; when there is none, the event alone is too
 * large for a reply and is remembered for the error.
 */
static int replay_cb(void *arg, uint64_t seq, const void *data, size_t len)
{
	struct replay_buf *r = arg;
	size_t need = 16 + ((len + 7) & ~(size_t)7);
	char *p;

	if (len > UINT32_MAX || r->b.len + need > r->max) {
		if (r->b.len) {
			accel_put_le32(r->b.p + r->last + 12, REPLAY_F_MORE);
		} else {
			r->big_seq = seq;
			r->big_len = len;
		}
		return 1;
	}
	if (accel_buf_reserve(&r->b, need))
		return -ENOMEM;
	p = r->b.p + r->b.len;
	accel_put_le64(p, seq);
	memset(p + 8, 0, need - 8);
	accel_put_le32(p + 8, (uint32_t)len);
	memcpy(p + 16, data, len);
	r->last = r->b.len;
	r->b.len += need;
	r->count++;
	return 0;
}

/*
 * The sub-command is arg[0] bits 0-7. OPEN: arg[1] = zstd level for events;
 * input = root path; res = handle. CLOSE: arg[1] = handle. APPEND: arg[1] = handle, input = event;
 * result = u64 seq. REPLAY: arg[1] = handle, arg[2] = from, arg[0] bits
 * 8-63 = limit (0: all); result = records {u64 seq, u32 len, u32 flags,
 * bytes padded to 8}; res = how many. It stops early, with what it has,
 * once half the result arena or 256 MiB are collected, and then flags the
 * last record with REPLAY_F_MORE (1): ask again from the next seq. An event
 * too large for any reply fails with -ACCEL_E_TOO_LARGE. PRUNE: arg[1] =
 * handle, arg[2] = before; res = removed. SAVE: arg[1] = handle, input = u32
 * id_len, id, data. LOAD / DELETE: arg[1] = handle, input = id; LOAD result
 * = data, res = size; DELETE res = 1 removed, 0 none.
 */
static int journal_run(struct accel_op_ctx *ctx, const struct accel_op_req *req)
{
	struct journal_session *s = accel_op_session_state(ctx);
	struct accel_context_zstd *z = accel_op_thread_state(ctx);
	int sub = (int)(req->arg[0] & 0xff);
	struct accel_context_journal *j;
	int ret;

	if (!s || !z)
		return -ENOMEM;
	if (sub == J_OPEN) {
		struct accel_context_journal_opts o = { 0 };
		char *root = accel_malloc(req->in_len + 1);

		if (!root)
			return -ENOMEM;
		memcpy(root, req->in, req->in_len);
		root[req->in_len] = 0;
		o.root = root;
		o.level = (int32_t)(uint32_t)req->arg[1];
		ret = strlen(root) == req->in_len && req->in_len ?
			      accel_context_journal_create(&o, &j) :
			      -ACCEL_E_BAD_REQUEST;
		accel_free(root);
		if (ret < 0)
			return ret;
		ret = -ACCEL_E_BUSY;
		pthread_mutex_lock(&s->lock);
		for (int i = 0; i < MAX_JOURNALS; i++) {
			if (!s->slots[i].j) {
				s->slots[i] = (struct jslot){ j, 1, 0 };
				ret = i + 1;
				break;
			}
		}
		pthread_mutex_unlock(&s->lock);
		if (ret < 0)
			accel_context_journal_destroy(j);
		return ret;
	}
	if (sub == J_CLOSE)
		return jput(s, req->arg[1], 1) ? 0 : -ACCEL_E_NOT_FOUND;
	if (sub < J_APPEND || sub > J_DELETE)
		return -ACCEL_E_BAD_ARG;
	j = jget(s, req->arg[1]);
	if (!j)
		return -ACCEL_E_NOT_FOUND;
	switch (sub) {
	case J_APPEND: {
		uint64_t seq;
		uint8_t *out;

		ret = accel_context_journal_append(j, z, req->in, req->in_len,
						   &seq);
		if (ret == 0) {
			out = accel_op_result(ctx, 8);
			if (out)
				accel_put_le64(out, seq);
			else
				ret = -ACCEL_E_NO_SPACE;
		}
		break;
	}
	case J_REPLAY: {
		/* Half the result arena, at most 256 MiB: the rest is others'. */
		size_t max = accel_op_result_limit(ctx) / 2;
		struct replay_buf r = { 0 };
		int64_t n;

		r.max = max < (256u << 20) ? max : 256u << 20;
		n = accel_context_journal_replay(
			j, z, req->arg[2], req->arg[0] >> 8, replay_cb, &r);

		/* n >= 0: the journal's count, or replay_cb's 1 ("full"). */
		if (n >= 0) {
			ret = r.b.len ? accel_op_result_copy(ctx, r.b.p,
							     r.b.len) :
					0;
			if (ret >= 0)
				ret = clamp_res(r.count);
		} else {
			ret = (int)n;
		}
		if (r.big_seq) {
			ret = -ACCEL_E_TOO_LARGE;
			accel_op_error_detail(
				ctx,
				"event %llu is %zu bytes; one reply carries at "
				"most %zu (half the session's result arena): "
				"open the session with a larger result arena",
				(unsigned long long)r.big_seq, r.big_len,
				r.max);
		}
		accel_free(r.b.p);
		break;
	}
	case J_PRUNE: {
		int64_t n = accel_context_journal_prune(j, req->arg[2]);

		ret = n < 0 ? (int)n : clamp_res(n);
		break;
	}
	case J_SAVE: {
		uint32_t idl;

		if (req->in_len < 4 ||
		    (idl = accel_le32(req->in)) > req->in_len - 4) {
			ret = -ACCEL_E_BAD_REQUEST;
			break;
		}
		ret = accel_context_journal_save(j, req->in + 4, idl,
						 req->in + 4 + idl,
						 req->in_len - 4 - idl);
		break;
	}
	case J_LOAD: {
		void *data;
		ssize_t n = accel_context_journal_load(j, req->in, req->in_len,
						       &data);

		if (n < 0) {
			ret = (int)n;
			break;
		}
		ret = n ? accel_op_result_copy(ctx, data, (size_t)n) : 0;
		accel_free(data);
		if (ret >= 0)
			ret = clamp_res(n);
		break;
	}
	default:
		ret = accel_context_journal_delete(j, req->in, req->in_len);
		break;
	}
	jput(s, req->arg[1], 0);
	return ret;
}

const struct accel_op_desc accel_op_eventlog = {
	.name = "eventlog",
	.flags = ACCEL_OPF_COPY_IN,
	.inline_max = ACCEL_OP_INLINE_NEVER,
	.run = journal_run,
	.session_init = journal_session_init,
	.session_fini = journal_session_fini,
	.thread_init = journal_thread_init,
	.thread_fini = journal_thread_fini,
};
