/* SPDX-License-Identifier: MIT */
/*
 * context: zstd, dictionaries, the block store and compaction plans
 * (context/context.h) behind one op, so that they share one per-session
 * state (a session's dictionaries are used by both compress and
 * decompress, its store by put/get and by plans over stored messages).
 *
 * The sub-command is arg[0] bits 0-7; the other arguments and the input and
 * result layouts are given per sub-command below (all integers
 * little-endian; docs/context.md has the tables). Input is copied in
 * (ACCEL_OPF_COPY_IN): the decoders and parsers below must not see bytes
 * change under them.
 *
 * Results are written straight into the result arena where the size is known
 * in advance: compress allocates ZSTD_compressBound() bytes there, compresses
 * into it and trims; decompress allocates the size the frame records.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accel_alloc.h"
#include "accel_err.h"
#include "accel_le.h"
#include "context.h"
#include "op.h"
#include "tokenizer.h"

enum ctx_sub {
	CTX_COMPRESS = 1,
	CTX_DECOMPRESS = 2,
	CTX_DICT_TRAIN = 3,
	CTX_DICT_LOAD = 4,
	CTX_DICT_FREE = 5,
	CTX_STORE_PUT = 6,
	CTX_STORE_GET = 7,
	CTX_STORE_HAS = 8,
	CTX_STORE_DELETE = 9,
	CTX_STORE_STATS = 10,
	CTX_COMPACT = 11,
	CTX_SELECT_RECENT = 12,
};

#define MAX_DICTS	64
#define DEFAULT_MAX_OUT (1ull << 30)

/*
 * Handles are slot + 1. A slot is reference counted so that a free racing
 * with a compress on another worker cannot pull the dictionary away.
 */
struct slot {
	void *p;
	uint32_t refs; /* users + 1 while registered */
	uint8_t dead;
};

struct ctx_session {
	pthread_mutex_t lock;
	struct slot dicts[MAX_DICTS];
	struct accel_context_store *store;
};

static int ctx_session_init(void **state)
{
	struct ctx_session *s = accel_calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->lock, NULL);
	*state = s;
	return 0;
}

static void ctx_session_fini(void *state)
{
	struct ctx_session *s = state;

	for (int i = 0; i < MAX_DICTS; i++)
		accel_context_dict_destroy(s->dicts[i].p);
	accel_context_store_destroy(s->store);
	pthread_mutex_destroy(&s->lock);
	accel_free(s);
}

static int ctx_thread_init(void **state)
{
	struct accel_context_zstd *z;
	int ret = accel_context_zstd_create(NULL, &z);

	if (ret < 0)
		return ret;
	*state = z;
	return 0;
}

static void ctx_thread_fini(void *state)
{
	accel_context_zstd_destroy(state);
}

/* Registers p in a free slot; returns the handle or -ACCEL_E_BUSY. */
static int slot_add(struct ctx_session *s, struct slot *t, int n, void *p)
{
	int ret = -ACCEL_E_BUSY;

	pthread_mutex_lock(&s->lock);
	for (int i = 0; i < n; i++) {
		if (!t[i].p) {
			t[i] = (struct slot){ p, 1, 0 };
			ret = i + 1;
			break;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return ret;
}

/* Takes a reference on handle h; NULL when h is not registered. */
static void *slot_get(struct ctx_session *s, struct slot *t, int n, uint64_t h)
{
	void *p = NULL;

	if (h == 0 || h > (uint64_t)n)
		return NULL;
	pthread_mutex_lock(&s->lock);
	if (t[h - 1].p && !t[h - 1].dead) {
		t[h - 1].refs++;
		p = t[h - 1].p;
	}
	pthread_mutex_unlock(&s->lock);
	return p;
}

/* Drops a reference; returns the object when it is to be destroyed. */
static void *slot_put(struct ctx_session *s, struct slot *t, uint64_t h)
{
	void *p = NULL;

	pthread_mutex_lock(&s->lock);
	if (--t[h - 1].refs == 0) {
		p = t[h - 1].p;
		t[h - 1] = (struct slot){ 0 };
	}
	pthread_mutex_unlock(&s->lock);
	return p;
}

/* Unregisters h; returns the object if nobody uses it any more. */
static void *slot_kill(struct ctx_session *s, struct slot *t, int n, uint64_t h,
		       int *found)
{
	void *p = NULL;

	*found = 0;
	if (h == 0 || h > (uint64_t)n)
		return NULL;
	pthread_mutex_lock(&s->lock);
	if (t[h - 1].p && !t[h - 1].dead) {
		*found = 1;
		t[h - 1].dead = 1;
		if (--t[h - 1].refs == 0) {
			p = t[h - 1].p;
			t[h - 1] = (struct slot){ 0 };
		}
	}
	pthread_mutex_unlock(&s->lock);
	return p;
}

static int clamp_res(int64_t n)
{
	return n > INT32_MAX ? -ACCEL_E_TOO_LARGE : (int)n;
}

/*
 * COMPRESS: arg[1] = level (int32, bits 0-31) | ACCEL_CONTEXT_ZF_* flags
 * (bits 32-63); arg[2] = dictionary handle or 0. Result: one zstd frame;
 * res = its size.
 */
static int do_compress(struct accel_op_ctx *ctx, struct ctx_session *s,
		       struct accel_context_zstd *z,
		       const struct accel_op_req *req)
{
	struct accel_context_dict *d = NULL;
	size_t bound = accel_context_zstd_bound(req->in_len);
	ssize_t n;
	void *out;

	if (req->arg[2]) {
		d = slot_get(s, s->dicts, MAX_DICTS, req->arg[2]);
		if (!d)
			return -ACCEL_E_NOT_FOUND;
	}
	out = bound ? accel_op_result(ctx, bound) : NULL;
	if (!out) {
		n = bound ? -ACCEL_E_NO_SPACE : -ACCEL_E_TOO_LARGE;
	} else {
		n = accel_context_zstd_compress(z, out, bound, req->in,
						req->in_len,
						(int32_t)(uint32_t)req->arg[1],
						d,
						(uint32_t)(req->arg[1] >> 32));
		if (n >= 0)
			accel_op_result_trim(ctx, (size_t)n);
	}
	if (d)
		accel_context_dict_destroy(slot_put(s, s->dicts, req->arg[2]));
	return n < 0 ? (int)n : clamp_res(n);
}

/*
 * DECOMPRESS: arg[1] = output limit in bytes (0: 1 GiB); arg[2] =
 * dictionary handle or 0. Result: the content; res = its size. A frame that
 * records its size is decoded straight into the arena; otherwise the result
 * block doubles until it fits.
 */
static int do_decompress(struct accel_op_ctx *ctx, struct ctx_session *s,
			 struct accel_context_zstd *z,
			 const struct accel_op_req *req)
{
	uint64_t max = req->arg[1] ? req->arg[1] : DEFAULT_MAX_OUT, cs = 0;
	struct accel_context_dict *d = NULL;
	size_t cap;
	ssize_t n;
	int known;

	if (max > INT32_MAX)
		max = INT32_MAX;
	known = accel_context_zstd_content_size(req->in, req->in_len, &cs);
	if (known < 0)
		return known;
	if (known && cs > max)
		return -ACCEL_E_ZSTD_TOO_LARGE;
	if (req->arg[2]) {
		d = slot_get(s, s->dicts, MAX_DICTS, req->arg[2]);
		if (!d)
			return -ACCEL_E_NOT_FOUND;
	}
	/* Unknown size: start at 4x the input, at least 4 KiB. */
	cap = known ? (size_t)cs :
		      (size_t)(req->in_len < max / 4 ? req->in_len * 4 : max);
	if (!known && cap < 4096)
		cap = max < 4096 ? (size_t)max : 4096;
	for (;;) {
		void *out = accel_op_result(ctx, cap ? cap : 1);

		if (!out) {
			n = -ACCEL_E_NO_SPACE;
			break;
		}
		n = accel_context_zstd_decompress(z, out, cap, req->in,
						  req->in_len, d);
		if (n != -ACCEL_E_ZSTD_DST_SMALL)
			break;
		if (cap >= max) {
			n = -ACCEL_E_ZSTD_TOO_LARGE;
			break;
		}
		cap = cap > max / 2 ? (size_t)max : cap * 2;
	}
	if (n >= 0)
		accel_op_result_trim(ctx, (size_t)n);
	if (d)
		accel_context_dict_destroy(slot_put(s, s->dicts, req->arg[2]));
	return n < 0 ? (int)n : clamp_res(n);
}

/*
 * DICT_TRAIN: arg[1] = dictionary capacity (0: 110 KiB). Input: u32 n, u32
 * sizes[n], then the n samples back to back. Result: the dictionary; res =
 * its size. DICT_LOAD: arg[1] = level; input: dictionary bytes; res = a
 * handle for COMPRESS/DECOMPRESS. DICT_FREE: arg[1] = handle.
 */
static int do_dict(struct accel_op_ctx *ctx, struct ctx_session *s, int sub,
		   const struct accel_op_req *req)
{
	if (sub == CTX_DICT_TRAIN) {
		size_t cap = req->arg[1], total = 0;
		uint32_t n;
		size_t *sizes;
		ssize_t r;
		void *out;

		if (req->in_len < 4)
			return -ACCEL_E_BAD_REQUEST;
		n = accel_le32(req->in);
		if (!n || n > (req->in_len - 4) / 4 || cap > INT32_MAX)
			return -ACCEL_E_BAD_REQUEST;
		sizes = accel_malloc(n * sizeof(*sizes));
		if (!sizes)
			return -ENOMEM;
		for (uint32_t i = 0; i < n; i++) {
			sizes[i] = accel_le32(req->in + 4 + 4 * (size_t)i);
			total += sizes[i];
		}
		if (total != req->in_len - 4 - 4 * (size_t)n) {
			accel_free(sizes);
			return -ACCEL_E_BAD_REQUEST;
		}
		if (!cap)
			cap = accel_context_dict_default_size(total);
		out = accel_op_result(ctx, cap);
		r = out ? accel_context_dict_train(out, cap,
						   req->in + 4 + 4 * (size_t)n,
						   sizes, n) :
			  -ACCEL_E_NO_SPACE;
		accel_free(sizes);
		if (r >= 0)
			accel_op_result_trim(ctx, (size_t)r);
		return (int)r;
	}
	if (sub == CTX_DICT_LOAD) {
		struct accel_context_dict *d;
		int ret = accel_context_dict_load(
			req->in, req->in_len, (int32_t)(uint32_t)req->arg[1],
			&d);

		if (ret < 0)
			return ret;
		ret = slot_add(s, s->dicts, MAX_DICTS, d);
		if (ret < 0)
			accel_context_dict_destroy(d);
		return ret;
	} else {
		int found;

		accel_context_dict_destroy(
			slot_kill(s, s->dicts, MAX_DICTS, req->arg[1], &found));
		return found ? 0 : -ACCEL_E_NOT_FOUND;
	}
}

/* The session's block store, created on first use (memory only). */
static struct accel_context_store *session_store(struct ctx_session *s)
{
	struct accel_context_store *st;

	pthread_mutex_lock(&s->lock);
	if (!s->store && accel_context_store_create(NULL, &s->store) < 0)
		s->store = NULL;
	st = s->store;
	pthread_mutex_unlock(&s->lock);
	return st;
}

static int read_key(const struct accel_op_req *req, struct accel_context_key *k)
{
	if (req->in_len != 16)
		return -ACCEL_E_BAD_REQUEST;
	k->lo = accel_le64(req->in);
	k->hi = accel_le64(req->in + 8);
	return 0;
}

/*
 * STORE_PUT: input = block; result = its 16-byte key; res = 1 new, 0 dup.
 * STORE_GET / HAS / DELETE: input = 16-byte key. GET: result = block, res =
 * size. HAS: res = 1 or 0, result = u64 raw size when held. DELETE: res =
 * references left. STORE_STATS: result = struct
 * accel_context_store_stats (16 x u64); res = 128.
 */
static int do_store(struct accel_op_ctx *ctx, struct ctx_session *s,
		    struct accel_context_zstd *z, int sub,
		    const struct accel_op_req *req)
{
	struct accel_context_store *st = session_store(s);
	struct accel_context_key k;
	uint64_t raw;
	uint8_t *out;
	int ret;

	if (!st)
		return -ENOMEM;
	switch (sub) {
	case CTX_STORE_PUT:
		ret = accel_context_store_put(st, z, req->in, req->in_len, &k);
		if (ret < 0)
			return ret;
		out = accel_op_result(ctx, 16);
		if (!out)
			return -ACCEL_E_NO_SPACE;
		accel_put_le64(out, k.lo);
		accel_put_le64(out + 8, k.hi);
		return ret;
	case CTX_STORE_GET: {
		ssize_t n;

		ret = read_key(req, &k);
		if (ret < 0)
			return ret;
		if (!accel_context_store_has(st, &k, &raw))
			return -ACCEL_E_NOT_FOUND;
		out = accel_op_result(ctx, raw ? raw : 1);
		if (!out)
			return -ACCEL_E_NO_SPACE;
		n = accel_context_store_get(st, z, &k, out, raw);
		if (n >= 0)
			accel_op_result_trim(ctx, (size_t)n);
		return n < 0 ? (int)n : clamp_res(n);
	}
	case CTX_STORE_HAS:
		ret = read_key(req, &k);
		if (ret < 0)
			return ret;
		if (!accel_context_store_has(st, &k, &raw))
			return 0;
		out = accel_op_result(ctx, 8);
		if (!out)
			return -ACCEL_E_NO_SPACE;
		accel_put_le64(out, raw);
		return 1;
	case CTX_STORE_DELETE:
		ret = read_key(req, &k);
		return ret < 0 ? ret : accel_context_store_delete(st, &k);
	default: {
		struct accel_context_store_stats stats;
		uint64_t *f = (uint64_t *)&stats;

		accel_context_store_stats(st, &stats);
		out = accel_op_result(ctx, sizeof(stats));
		if (!out)
			return -ACCEL_E_NO_SPACE;
		for (size_t i = 0; i < sizeof(stats) / 8; i++)
			accel_put_le64(out + 8 * i, f[i]);
		return (int)sizeof(stats);
	}
	}
}

/* ---- tokenizers for plans --------------------------------------------- */

/*
 * Plans need exact counts. The tokenizers are the tokens ops' own
 * (accel_tokenizer_shared(): loaded once per process, on first use, from
 * $ACCEL_TOKENIZER_DATA/<encoding>.tiktoken or the build's default
 * directory), so a process holds one table per encoding and one cache of
 * merged pieces per thread.
 */
#ifndef ACCEL_TOKENIZER_DATA_DIR
#define ACCEL_TOKENIZER_DATA_DIR "/usr/local/share/agent-accel/tokenizer"
#endif

static int tokenizer_for(uint64_t enc, const struct accel_tokenizer **out)
{
	const char *dir = getenv("ACCEL_TOKENIZER_DATA");

	if (enc != ACCEL_TOKENIZER_CL100K_BASE &&
	    enc != ACCEL_TOKENIZER_O200K_BASE)
		return -ACCEL_E_BAD_ARG;
	/* A missing rank file is -ENOENT, not a bad argument. */
	return accel_tokenizer_shared(
		(uint32_t)enc, 0, dir ? dir : ACCEL_TOKENIZER_DATA_DIR, out);
}

/* Chat text: special-token text is ordinary text unless flags say so. */
struct counter {
	const struct accel_tokenizer *tok;
	struct accel_tokenizer_mode mode;
};

static int count_cb(void *arg, const char *text, size_t len, uint64_t *n)
{
	const struct counter *c = arg;

	return accel_tokenizer_count(c->tok, text, len, &c->mode, n);
}

/*
 * COMPACT: arg[1] = encoding; arg[2] bit 0 = count special-token text as
 * special tokens. Input: a 48-byte header {u32 magic "CREQ" 0x51455243, u32
 * n, u64 budget, u32 msg_overhead, u32 preserve_last, u32 min_keep_tokens,
 * u32 dedup_min_bytes, u32 marker_len, u32 zero, u64 zero}, n 48-byte
 * messages {u32 role, u32 kind, i32 priority, u32 flags, u64 text_off, u64
 * text_len, u64 key_lo, u64 key_hi}, the marker, then the text area that
 * text_off/text_len index. Keyed messages are read from the session store.
 * Result: struct accel_context_plan then n entries; res = n.
 */
#define CREQ_MAGIC 0x51455243u

static int do_compact(struct accel_op_ctx *ctx, struct ctx_session *s,
		      struct accel_context_zstd *z,
		      const struct accel_op_req *req)
{
	struct accel_context_compact_opts o = { 0 };
	struct counter cnt = { 0 };
	struct accel_context_msg *m = NULL;
	const uint8_t *in = req->in;
	size_t hdr = 48, mlen, text_base, text_len;
	uint32_t n;
	uint8_t *out;
	int ret;

	if (req->in_len < hdr || accel_le32(in) != CREQ_MAGIC ||
	    accel_le32(in + 36) || accel_le64(in + 40))
		return -ACCEL_E_BAD_REQUEST;
	n = accel_le32(in + 4);
	mlen = accel_le32(in + 32);
	if (n > (req->in_len - hdr) / 48 ||
	    mlen > req->in_len - hdr - 48 * (size_t)n)
		return -ACCEL_E_BAD_REQUEST;
	text_base = hdr + 48 * (size_t)n + mlen;
	text_len = req->in_len - text_base;
	ret = tokenizer_for(req->arg[1], &cnt.tok);
	if (ret < 0)
		return ret;
	if (req->arg[2] & 1)
		cnt.mode.allowed_special = ACCEL_TOKENIZER_SPECIAL_ALL;
	m = accel_calloc(n ? n : 1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *r = in + hdr + 48 * (size_t)i;
		uint64_t off = accel_le64(r + 16), len = accel_le64(r + 24);

		m[i].role = accel_le32(r);
		m[i].kind = accel_le32(r + 4);
		m[i].priority = (int32_t)accel_le32(r + 8);
		m[i].flags = accel_le32(r + 12);
		m[i].key.lo = accel_le64(r + 32);
		m[i].key.hi = accel_le64(r + 40);
		if (!(m[i].flags & ACCEL_CONTEXT_MSG_HAS_KEY)) {
			if (off > text_len || len > text_len - off) {
				ret = -ACCEL_E_BAD_RANGE;
				goto out;
			}
			m[i].text = (const char *)in + text_base + off;
			m[i].len = len;
		}
	}
	o.budget = accel_le64(in + 8);
	o.msg_overhead = accel_le32(in + 16);
	o.preserve_last = accel_le32(in + 20);
	o.min_keep_tokens = accel_le32(in + 24);
	o.dedup_min_bytes = accel_le32(in + 28);
	if (mlen) {
		o.marker = (const char *)in + hdr + 48 * (size_t)n;
		o.marker_len = mlen;
	}
	o.count = count_cb;
	o.count_arg = &cnt;
	o.store = session_store(s);
	o.zstd = z;
	out = accel_op_result(
		ctx,
		sizeof(struct accel_context_plan) +
			(size_t)n * sizeof(struct accel_context_plan_entry));
	if (!out) {
		ret = -ACCEL_E_NO_SPACE;
		goto out;
	}
	/* The plan structs are the little-endian wire layout on this host. */
	ret = accel_context_compact(
		m, n, &o, (struct accel_context_plan *)out,
		(struct accel_context_plan_entry
			 *)(out + sizeof(struct accel_context_plan)));
	if (ret == 0)
		ret = clamp_res(n);
out:
	accel_free(m);
	return ret;
}

/*
 * SELECT_RECENT (keep-up's compressContext): arg[1] = encoding; arg[2] =
 * preserve_last (bits 0-31) | count special-token text as special (bit 32,
 * keep-up's encode_with_special_tokens). Input: {u32 n, u32 n_segs, u64
 * max_tokens}, n x {u32 first_seg, u32 n_segs, u64 extra_tokens}, n_segs x
 * {u64 off, u64 len} into the text area that follows. Result: {u32
 * n_selected, u32 truncated, u64 truncate_tokens, u64 selected_tokens, u64
 * total_tokens}, u64 tokens[n], u32 selected[n_selected]; res = n_selected.
 */
static int do_select(struct accel_op_ctx *ctx, const struct accel_op_req *req)
{
	struct counter cnt = { 0 };
	struct accel_context_recent_msg *m = NULL;
	struct accel_context_seg *sg = NULL;
	struct accel_context_recent res;
	const uint8_t *in = req->in;
	uint32_t n, ns, *sel = NULL;
	uint64_t *tk = NULL;
	size_t base, tlen;
	uint8_t *out;
	int ret;

	if (req->in_len < 16)
		return -ACCEL_E_BAD_REQUEST;
	n = accel_le32(in);
	ns = accel_le32(in + 4);
	if (n > (req->in_len - 16) / 16 ||
	    ns > (req->in_len - 16 - 16 * (size_t)n) / 16)
		return -ACCEL_E_BAD_REQUEST;
	base = 16 + 16 * (size_t)n + 16 * (size_t)ns;
	tlen = req->in_len - base;
	ret = tokenizer_for(req->arg[1], &cnt.tok);
	if (ret < 0)
		return ret;
	if (req->arg[2] >> 32 & 1)
		cnt.mode.allowed_special = ACCEL_TOKENIZER_SPECIAL_ALL;
	m = accel_calloc(n ? n : 1, sizeof(*m));
	sg = accel_calloc(ns ? ns : 1, sizeof(*sg));
	sel = accel_calloc(n ? n : 1, sizeof(*sel));
	tk = accel_calloc(n ? n : 1, sizeof(*tk));
	if (!m || !sg || !sel || !tk) {
		ret = -ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *r = in + 16 + 16 * (size_t)i;

		m[i] = (struct accel_context_recent_msg){ accel_le32(r),
							  accel_le32(r + 4),
							  accel_le64(r + 8) };
	}
	for (uint32_t i = 0; i < ns; i++) {
		const uint8_t *r = in + 16 + 16 * (size_t)n + 16 * (size_t)i;
		uint64_t off = accel_le64(r), len = accel_le64(r + 8);

		if (off > tlen || len > tlen - off) {
			ret = -ACCEL_E_BAD_RANGE;
			goto out;
		}
		sg[i] = (struct accel_context_seg){
			(const char *)in + base + off, len
		};
	}
	ret = accel_context_select_recent(m, n, sg, ns, accel_le64(in + 8),
					  (uint32_t)req->arg[2], count_cb, &cnt,
					  sel, tk, &res);
	if (ret < 0)
		goto out;
	out = accel_op_result(ctx,
			      32 + 8 * (size_t)n + 4 * (size_t)res.n_selected);
	if (!out) {
		ret = -ACCEL_E_NO_SPACE;
		goto out;
	}
	memcpy(out, &res.n_selected, 4);
	memcpy(out + 4, &res.truncated, 4);
	accel_put_le64(out + 8, res.truncate_tokens);
	accel_put_le64(out + 16, res.selected_tokens);
	accel_put_le64(out + 24, res.total_tokens);
	for (uint32_t i = 0; i < n; i++)
		accel_put_le64(out + 32 + 8 * (size_t)i, tk[i]);
	memcpy(out + 32 + 8 * (size_t)n, sel, 4 * (size_t)res.n_selected);
	ret = clamp_res(res.n_selected);
out:
	accel_free(m);
	accel_free(sg);
	accel_free(sel);
	accel_free(tk);
	return ret;
}

static int context_run(struct accel_op_ctx *ctx, const struct accel_op_req *req)
{
	struct ctx_session *s = accel_op_session_state(ctx);
	struct accel_context_zstd *z = accel_op_thread_state(ctx);
	int sub = (int)(req->arg[0] & 0xff);

	if (!s || !z)
		return -ENOMEM;
	switch (sub) {
	case CTX_COMPRESS:
		return do_compress(ctx, s, z, req);
	case CTX_DECOMPRESS:
		return do_decompress(ctx, s, z, req);
	case CTX_DICT_TRAIN:
	case CTX_DICT_LOAD:
	case CTX_DICT_FREE:
		return do_dict(ctx, s, sub, req);
	case CTX_STORE_PUT:
	case CTX_STORE_GET:
	case CTX_STORE_HAS:
	case CTX_STORE_DELETE:
	case CTX_STORE_STATS:
		return do_store(ctx, s, z, sub, req);
	case CTX_COMPACT:
		return do_compact(ctx, s, z, req);
	case CTX_SELECT_RECENT:
		return do_select(ctx, req);
	default:
		return -ACCEL_E_BAD_ARG;
	}
}

const struct accel_op_desc accel_op_context = {
	.name = "context",
	.flags = ACCEL_OPF_COPY_IN,
	/* Small messages compress in microseconds: run them inline. */
	.inline_max = 16 << 10,
	.run = context_run,
	.session_init = ctx_session_init,
	.session_fini = ctx_session_fini,
	.thread_init = ctx_thread_init,
	.thread_fini = ctx_thread_fini,
};
