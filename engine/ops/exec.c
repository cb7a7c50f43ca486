/* SPDX-License-Identifier: MIT */
/*
 * exec: runs one command under the sandbox (sandbox/sandbox.h) on a worker
 * thread and returns the library's result block ("ASBR").
 *
 * Input (all integers little-endian; docs/ops.md, "exec (16)", has the
 * table): a fixed 272-byte header, then the variable parts the header points
 * to.
 *
 *     0  u32 magic EXEC_MAGIC ("AXRQ")   4  u16 version 1, u16 header size
 *     8  u32 flags (EXEC_X_*)           12  u32 net (enum accel_sandbox_net)
 *    16  u32 policy flags (F_*)         20  u32 required layers
 *    24  u32 disabled layers            28  u32 cpu_percent
 *    32  u64 mem_bytes  40 u64 pids_max  48 u64 cpu_ms  56 u64 fsize_bytes
 *    64  u64 nofile     72 u64 timeout_ms  80 u64 kill_grace_ms
 *    88  u64 max_output_bytes           96  u32 head_bytes  100 u32 tail_bytes
 *   104  u64 reserved (0)
 *   112  10 sections of 16 bytes: u32 offset, u32 length, u32 count,
 *        u32 reserved (0), in the order of enum sect
 *
 * String lists (paths, names, argv, env) use the sandbox's strv wire format
 * (u32 length + bytes per string, accel_sandbox_strv_unpack()); cwd and
 * stdin are plain bytes (count 0).
 *
 * The input is copied in (ACCEL_OPF_COPY_IN): argv, env and the policy are
 * security decisions, so they are read from a private copy that the client
 * cannot change between check and use.
 *
 * Compiled policies are cached per session, keyed by XXH3-64 of the policy's
 * canonical bytes (the policy fields of the header and the five policy
 * lists) and confirmed by comparing those bytes, so a hash collision can
 * never hand one policy's sandbox to another. Compiling costs milliseconds;
 * a hit costs a hash and a memcmp.
 *
 * res: bit 0 set when the compiled policy came from the cache.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "accel_alloc.h"
#include "accel_compiler.h"
#include "accel_err.h"
#include "accel_le.h"
#include "op.h"
#include "sandbox.h"

#define EXEC_MAGIC   0x51525841u /* "AXRQ" */
#define EXEC_VERSION 1u
#define EXEC_HDR     272u

/* Header flags. */
#define EXEC_X_MERGE	    (1u << 0) /* stdout and stderr through one pipe */
#define EXEC_X_STREAM	    (1u << 1) /* output chunks as progress */
#define EXEC_X_ENV_ALLOW    (1u << 2) /* the env_allow list replaces the default */
#define EXEC_X_FRESH_POLICY (1u << 3) /* recompile, replace the cached policy */
#define EXEC_X_ALL	    0xfu

enum sect {
	S_READ,
	S_WRITE,
	S_DENY,
	S_READONLY,
	S_ENV_ALLOW,
	S_ARGV,
	S_ENV,
	S_ENV_SET,
	S_CWD,
	S_STDIN,
	S_COUNT,
};

#define SECT_OFF 112u
/* The policy part of the header, hashed as is: net .. nofile. */
#define POL_OFF 12u
#define POL_LEN 60u

/* Cached compiled policies per session; the least recently used idle one
 * makes room. */
#define PCACHE_MAX 16

_Static_assert(SECT_OFF + 16 * S_COUNT == EXEC_HDR, "exec header size");

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

struct sect_view {
	const uint8_t *p;
	uint32_t len;
	uint32_t count;
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

/*
 * Builds the canonical policy key: the policy fields of the header, the
 * env-allow flag, then count, length and bytes of each policy list.
 */
static uint8_t *policy_key(const uint8_t *in, uint32_t flags,
			   const struct sect_view *sv, size_t *key_len)
{
	size_t n = POL_LEN + 4, off;
	uint8_t *key;

	for (int i = S_READ; i <= S_ENV_ALLOW; i++)
		n += 8 + sv[i].len;
	key = accel_malloc(n);
	if (!key)
		return NULL;
	memcpy(key, in + POL_OFF, POL_LEN);
	accel_put_le32(key + POL_LEN, flags & EXEC_X_ENV_ALLOW);
	off = POL_LEN + 4;
	for (int i = S_READ; i <= S_ENV_ALLOW; i++) {
		accel_put_le32(key + off, sv[i].count);
		accel_put_le32(key + off + 4, sv[i].len);
		if (sv[i].len)
			memcpy(key + off + 8, sv[i].p, sv[i].len);
		off += 8 + sv[i].len;
	}
	*key_len = n;
	return key;
}

static size_t vlen(char *const *v)
{
	size_t n = 0;

	while (v[n])
		n++;
	return n;
}

/* Compiles the policy described by the header and the policy lists. */
static int policy_compile(const uint8_t *in, uint32_t flags,
			  const struct sect_view *sv,
			  struct accel_sandbox **out)
{
	char **lists[5] = { 0 };
	struct accel_sandbox_policy pol = {
		.net = accel_le32(in + 12),
		.flags = accel_le32(in + 16),
		.required = accel_le32(in + 20),
		.disabled = accel_le32(in + 24),
		.cpu_percent = accel_le32(in + 28),
		.mem_bytes = accel_le64(in + 32),
		.pids_max = accel_le64(in + 40),
		.cpu_ms = accel_le64(in + 48),
		.fsize_bytes = accel_le64(in + 56),
		.nofile = accel_le64(in + 64),
	};
	int ret = 0;

	for (int i = S_READ; i <= S_ENV_ALLOW && ret == 0; i++)
		ret = accel_sandbox_strv_unpack(sv[i].p, sv[i].len, sv[i].count,
						-ACCEL_E_SANDBOX_POLICY,
						&lists[i]);
	if (ret < 0)
		goto out;
	/* Zero-length lists mean "the default", as in the library. */
	pol.read = (const char *const *)lists[S_READ];
	pol.n_read = vlen(lists[S_READ]);
	pol.write = (const char *const *)lists[S_WRITE];
	pol.n_write = vlen(lists[S_WRITE]);
	pol.deny = (const char *const *)lists[S_DENY];
	pol.n_deny = vlen(lists[S_DENY]);
	pol.readonly = (const char *const *)lists[S_READONLY];
	pol.n_readonly = vlen(lists[S_READONLY]);
	if (flags & EXEC_X_ENV_ALLOW) {
		pol.env_allow = (const char *const *)lists[S_ENV_ALLOW];
		pol.n_env_allow = vlen(lists[S_ENV_ALLOW]);
	}
	ret = accel_sandbox_policy_compile(&pol, out);
out:
	for (int i = 0; i < 5; i++)
		accel_free(lists[i]);
	return ret;
}

/*
 * Returns a referenced compiled policy for this request, from the cache when
 * it holds the same policy bytes (*hit = 1) or freshly compiled.
 */
static int policy_get(struct exec_session *s, const uint8_t *in, uint32_t flags,
		      const struct sect_view *sv, struct pentry **out, int *hit)
{
	struct pentry *e, *old;
	size_t key_len;
	uint8_t *key = policy_key(in, flags, sv, &key_len);
	uint64_t h;
	int slot, ret;

	*hit = 0;
	if (!key)
		return -ENOMEM;
	h = XXH3_64bits(key, key_len);
	if (!(flags & EXEC_X_FRESH_POLICY)) {
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
	ret = policy_compile(in, flags, sv, &e->sb);
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

/*
 * Parses the header and the section table. Every offset and length is
 * checked against in_len in 64-bit arithmetic (u32 + u32 cannot wrap).
 */
static int parse(const struct accel_op_req *req, struct sect_view *sv,
		 uint32_t *flags)
{
	const uint8_t *in = req->in;

	if (req->in_len < EXEC_HDR || accel_le32(in) != EXEC_MAGIC)
		return -ACCEL_E_BAD_REQUEST;
	if ((accel_le32(in + 4) & 0xffff) != EXEC_VERSION)
		return -ACCEL_E_VERSION;
	if ((accel_le32(in + 4) >> 16) != EXEC_HDR)
		return -ACCEL_E_BAD_REQUEST;
	*flags = accel_le32(in + 8);
	if (*flags & ~EXEC_X_ALL)
		return -ACCEL_E_BAD_REQUEST;
	if (accel_le64(in + 104))
		return -ACCEL_E_RESERVED;
	for (int i = 0; i < S_COUNT; i++) {
		const uint8_t *d = in + SECT_OFF + 16 * i;
		uint32_t off = accel_le32(d), len = accel_le32(d + 4);

		if (accel_le32(d + 12))
			return -ACCEL_E_RESERVED;
		sv[i].count = accel_le32(d + 8);
		sv[i].len = len;
		sv[i].p = NULL;
		if ((i == S_CWD || i == S_STDIN) && sv[i].count)
			return -ACCEL_E_BAD_REQUEST;
		if (!len)
			continue;
		if (off < EXEC_HDR || (uint64_t)off + len > req->in_len)
			return -ACCEL_E_BAD_REQUEST;
		sv[i].p = in + off;
	}
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

static int exec_run(struct accel_op_ctx *ctx, const struct accel_op_req *req)
{
	struct exec_session *s = accel_op_session_state(ctx);
	struct accel_sandbox_result res;
	struct accel_sandbox_proc *proc = NULL;
	struct sect_view sv[S_COUNT];
	char **argv = NULL, **env = NULL, **env_set = NULL;
	char cwd[PATH_MAX];
	struct pentry *pe = NULL;
	struct drive_arg da = { .ctx = ctx };
	uint32_t flags = 0;
	int ret, hit = 0;
	size_t need;
	void *out;

	ret = parse(req, sv, &flags);
	if (ret < 0)
		return ret;
	if (!s)
		return -ENOMEM;
	const uint8_t *in = req->in;
	struct accel_sandbox_exec x = {
		.timeout_ms = accel_le64(in + 72),
		.kill_grace_ms = accel_le64(in + 80),
		.max_output_bytes = accel_le64(in + 88),
		.head_bytes = accel_le32(in + 96),
		.tail_bytes = accel_le32(in + 100),
		.flags = (flags & EXEC_X_MERGE) ? ACCEL_SANDBOX_X_MERGE_OUTPUT :
						  0,
		.stdin_data = sv[S_STDIN].p,
		.stdin_len = sv[S_STDIN].len,
	};
	if (sv[S_CWD].len) {
		if (sv[S_CWD].len >= sizeof(cwd) ||
		    memchr(sv[S_CWD].p, 0, sv[S_CWD].len))
			return -ACCEL_E_SANDBOX_CWD;
		memcpy(cwd, sv[S_CWD].p, sv[S_CWD].len);
		cwd[sv[S_CWD].len] = 0;
		x.cwd = cwd;
	}
	ret = accel_sandbox_strv_unpack(sv[S_ARGV].p, sv[S_ARGV].len,
					sv[S_ARGV].count, -ACCEL_E_SANDBOX_ARGV,
					&argv);
	if (ret < 0)
		goto out;
	ret = accel_sandbox_strv_unpack(sv[S_ENV].p, sv[S_ENV].len,
					sv[S_ENV].count, -ACCEL_E_SANDBOX_ENV,
					&env);
	if (ret < 0)
		goto out;
	ret = accel_sandbox_strv_unpack(sv[S_ENV_SET].p, sv[S_ENV_SET].len,
					sv[S_ENV_SET].count,
					-ACCEL_E_SANDBOX_ENV, &env_set);
	if (ret < 0)
		goto out;
	x.argv = (const char *const *)argv;
	x.env = (const char *const *)env;
	x.env_set = (const char *const *)env_set;

	ret = policy_get(s, in, flags, sv, &pe, &hit);
	if (ret < 0)
		goto out;

	memset(&res, 0, sizeof(res));
	ret = accel_sandbox_spawn(pe->sb, &x, &proc, &res);
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
	struct accel_sandbox_drive_opts dopts = {
		/* A worker's own ring; NULL inline, where the library polls. */
		.ring = accel_op_uring(ctx),
		.on_output = (flags & EXEC_X_STREAM) ? on_output : NULL,
		.cancelled = is_cancelled,
		.arg = &da,
	};
	ret = accel_sandbox_proc_drive(proc, &dopts, &res);
	accel_sandbox_proc_destroy(proc);
	if (ret < 0) {
		accel_sandbox_result_free(&res);
		goto out;
	}
	need = accel_sandbox_result_encode(&res, NULL, 0);
	out = accel_op_result(ctx, need);
	if (out)
		accel_sandbox_result_encode(&res, out, need);
	accel_sandbox_result_free(&res);
	ret = out ? hit : -ACCEL_E_NO_SPACE;
out:
	if (pe)
		pentry_put(s, pe);
	accel_free(argv);
	accel_free(env);
	accel_free(env_set);
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
