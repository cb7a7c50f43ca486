/* SPDX-License-Identifier: MIT */
/*
 * The engine glue (engine/ops/context.c and engine/ops/eventlog.c) driven
 * through the op contract (engine/ops/op.h) by a minimal stand-in for the
 * engine's op context: request layouts in, result layouts out, exactly as
 * a client would see them, without a running engine.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "accel_compiler.h"
#include "accel_err.h"
#include "context.h"
#include "corpus.h"
#include "op.h"

/* ---- a stand-in for the engine side of op.h ---------------------------- */

struct accel_op_ctx {
	void *session;
	void *thread;
	unsigned char *res;
	size_t res_len;
};

void *accel_op_result(struct accel_op_ctx *ctx, size_t len)
{
	free(ctx->res);
	ctx->res = malloc(len ? len : 1);
	ctx->res_len = len;
	return ctx->res;
}

int accel_op_result_copy(struct accel_op_ctx *ctx, const void *p, size_t len)
{
	void *d = accel_op_result(ctx, len);

	if (!d)
		return -ACCEL_E_NO_SPACE;
	memcpy(d, p, len);
	return 0;
}

void accel_op_result_trim(struct accel_op_ctx *ctx, size_t len)
{
	if (len <= ctx->res_len)
		ctx->res_len = len;
}

/* The engine's default result arena (256 MiB). */
size_t accel_op_result_limit(const struct accel_op_ctx *ctx)
{
	(void)ctx;
	return (size_t)256 << 20;
}

/* As the engine does: the reason's text replaces the result block. */
int accel_op_error_detail(struct accel_op_ctx *ctx, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ACCEL_E_NO_SPACE;
	return accel_op_result_copy(ctx, buf,
				    ACCEL_MIN((size_t)n, sizeof(buf) - 1));
}

int accel_op_progress(struct accel_op_ctx *ctx, uint64_t done, uint64_t total,
		      const void *data, size_t len)
{
	return -1;
}

int accel_op_cancelled(const struct accel_op_ctx *ctx)
{
	return 0;
}

struct io_uring *accel_op_uring(struct accel_op_ctx *ctx)
{
	return NULL;
}

void *accel_op_session_state(struct accel_op_ctx *ctx)
{
	return ctx->session;
}

void *accel_op_thread_state(struct accel_op_ctx *ctx)
{
	return ctx->thread;
}

extern const struct accel_op_desc accel_op_context;
extern const struct accel_op_desc accel_op_eventlog;

static struct accel_op_ctx cctx, jctx;

static void setup(void)
{
	/* Plans load cl100k_base from here (the Node package sets it). */
	setenv("ACCEL_TOKENIZER_DATA", corpus_nm("gpt-tokenizer/data"), 1);
	cr_assert_eq(accel_op_context.session_init(&cctx.session), 0);
	cr_assert_eq(accel_op_context.thread_init(&cctx.thread), 0);
	cr_assert_eq(accel_op_eventlog.session_init(&jctx.session), 0);
	cr_assert_eq(accel_op_eventlog.thread_init(&jctx.thread), 0);
}

static void teardown(void)
{
	accel_op_context.session_fini(cctx.session);
	accel_op_context.thread_fini(cctx.thread);
	accel_op_eventlog.session_fini(jctx.session);
	accel_op_eventlog.thread_fini(jctx.thread);
	free(cctx.res);
	free(jctx.res);
}

TestSuite(context_ops, .init = setup, .fini = teardown);

static int run(const struct accel_op_desc *d, struct accel_op_ctx *c,
	       uint64_t a0, uint64_t a1, uint64_t a2, const void *in,
	       size_t len)
{
	struct accel_op_req r = { .arg = { a0, a1, a2 },
				  .in = in,
				  .in_len = len };

	return d->run(c, &r);
}

#define CTX(...) run(&accel_op_context, &cctx, __VA_ARGS__)
#define LOG(...) run(&accel_op_eventlog, &jctx, __VA_ARGS__)

static uint64_t le64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

Test(context_ops, compress_decompress_with_dictionary)
{
	size_t sizes[600], total, off = 0;
	unsigned char *m = corpus_messages(600, sizes, &total), *frame;
	unsigned char *train = malloc(total + 4 * 600 + 4);
	int r, dict, flen;

	cr_assert_not_null(m);
	/* DICT_TRAIN input: u32 n, u32 sizes[n], samples. */
	memcpy(train, &(uint32_t){ 500 }, 4);
	for (int i = 0; i < 500; i++) {
		memcpy(train + 4 + 4 * i, &(uint32_t){ (uint32_t)sizes[i] }, 4);
		off += sizes[i];
	}
	memcpy(train + 4 + 4 * 500, m, off);
	/* Capacity 0: the default for these samples, not zstd's 110 KiB. */
	r = CTX(3, 0, 0, train, 4 + 4 * 500 + off);
	cr_assert_gt(r, 0, "%s", accel_strerror(r));
	cr_assert_leq((size_t)r, accel_context_dict_default_size(off));
	cr_assert_lt(accel_context_dict_default_size(off), 110 * 1024);
	r = CTX(3, 32 * 1024, 0, train, 4 + 4 * 500 + off);
	cr_assert_gt(r, 0, "%s", accel_strerror(r));
	cr_assert_eq((size_t)r, cctx.res_len);
	dict = CTX(4, 3, 0, cctx.res, cctx.res_len);
	cr_assert_eq(dict, 1);

	r = CTX(1, 3, (uint64_t)dict, m + off, sizes[500]);
	cr_assert_gt(r, 0);
	cr_assert_eq((size_t)r, cctx.res_len, "result trimmed to the frame");
	flen = r;
	frame = malloc((size_t)flen);
	memcpy(frame, cctx.res, (size_t)flen);
	cr_assert_eq(CTX(2, 0, 0, frame, (size_t)flen),
		     -ACCEL_E_ZSTD_DICT_MISMATCH);
	r = CTX(2, 0, (uint64_t)dict, frame, (size_t)flen);
	cr_assert_eq(r, (int)sizes[500]);
	cr_assert_eq(memcmp(cctx.res, m + off, sizes[500]), 0);
	/* Limit below the recorded size. */
	cr_assert_eq(CTX(2, 100, (uint64_t)dict, frame, (size_t)flen),
		     -ACCEL_E_ZSTD_TOO_LARGE);
	cr_assert_eq(CTX(5, (uint64_t)dict, 0, NULL, 0), 0);
	cr_assert_eq(CTX(5, (uint64_t)dict, 0, NULL, 0), -ACCEL_E_NOT_FOUND);
	cr_assert_eq(CTX(1, 3, (uint64_t)dict, m, 100), -ACCEL_E_NOT_FOUND);
	cr_assert_eq(CTX(77, 0, 0, NULL, 0), -ACCEL_E_BAD_ARG);
	free(frame);
	free(train);
	free(m);
}

Test(context_ops, streamed_frame_grows_result)
{
	size_t tl;
	unsigned char *t = corpus_text(300000, &tl), *c = malloc(tl + 1024);
	struct accel_context_zstd *z;
	struct accel_context_buf in = { t, tl, 0 }, out = { c, tl + 1024, 0 };

	cr_assert_not_null(t);
	cr_assert_eq(accel_context_zstd_create(NULL, &z), 0);
	accel_context_zstd_stream_begin(z, ACCEL_CONTEXT_STREAM_COMPRESS, 3,
					NULL, UINT64_MAX, 0);
	while (accel_context_zstd_stream_step(z, &in, &out, 1) > 0)
		;
	cr_assert_eq(CTX(2, 0, 0, c, out.pos), (int)tl);
	cr_assert_eq(memcmp(cctx.res, t, tl), 0);
	accel_context_zstd_destroy(z);
	free(t);
	free(c);
}

Test(context_ops, store_roundtrip)
{
	static const char block[] = "a block of context, stored once";
	unsigned char key[16];

	cr_assert_eq(CTX(6, 0, 0, block, sizeof(block)), 1);
	cr_assert_eq(cctx.res_len, 16);
	memcpy(key, cctx.res, 16);
	cr_assert_eq(CTX(6, 0, 0, block, sizeof(block)), 0);
	cr_assert_eq(CTX(8, 0, 0, key, 16), 1);
	cr_assert_eq(le64(cctx.res), sizeof(block));
	cr_assert_eq(CTX(7, 0, 0, key, 16), (int)sizeof(block));
	cr_assert_eq(memcmp(cctx.res, block, sizeof(block)), 0);
	cr_assert_eq(CTX(10, 0, 0, NULL, 0), 128);
	cr_assert_eq(le64(cctx.res), 1);      /* blocks */
	cr_assert_eq(le64(cctx.res + 24), 2); /* refs */
	cr_assert_eq(CTX(9, 0, 0, key, 16), 1);
	cr_assert_eq(CTX(9, 0, 0, key, 16), 0);
	cr_assert_eq(CTX(7, 0, 0, key, 16), -ACCEL_E_NOT_FOUND);
	cr_assert_eq(CTX(7, 0, 0, key, 15), -ACCEL_E_BAD_REQUEST);
}

/* Little-endian writers for request building. */
static void w32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void w64(unsigned char *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

Test(context_ops, compact_request_and_plan_layout)
{
	enum {
		N = 60
	};

	size_t sizes[N], total;
	unsigned char *m = corpus_messages(N, sizes, &total);
	size_t req_len = 48 + 48 * N + total;
	unsigned char *req = calloc(1, req_len);
	const struct accel_context_plan *p;
	const struct accel_context_plan_entry *e;
	uint64_t off = 0;
	int r;

	if (access(corpus_nm("gpt-tokenizer/data/cl100k_base.tiktoken"), R_OK))
		cr_skip_test("node_modules/gpt-tokenizer missing");
	w32(req, 0x51455243u);
	w32(req + 4, N);
	w64(req + 8, 4000); /* budget */
	w32(req + 16, 4);   /* overhead */
	w32(req + 20, 2);   /* preserve_last */
	for (int i = 0; i < N; i++) {
		unsigned char *rec = req + 48 + 48 * i;

		w32(rec, 1 + i % 3);
		w64(rec + 16, off);
		w64(rec + 24, sizes[i]);
		off += sizes[i];
	}
	memcpy(req + 48 + 48 * N, m, total);
	r = CTX(11, 1, 0, req, req_len);
	cr_assert_eq(r, N, "%s", accel_strerror(r));
	cr_assert_eq(cctx.res_len, 32 + 32 * N);
	p = (const void *)cctx.res;
	e = (const void *)(cctx.res + 32);
	cr_assert_eq(p->magic, ACCEL_CONTEXT_PLAN_MAGIC);
	cr_assert_leq(p->total_after, 4000);
	cr_assert_gt(p->total_before, 4000);
	cr_assert_eq(e[N - 1].action, ACCEL_CONTEXT_KEEP);
	cr_assert_eq(e[N - 2].action, ACCEL_CONTEXT_KEEP);
	cr_assert_eq(e[0].action, ACCEL_CONTEXT_DROP);

	/* A text range outside the request is refused. */
	w64(req + 48 + 24, total * 2);
	cr_assert_eq(CTX(11, 1, 0, req, req_len), -ACCEL_E_BAD_RANGE);
	cr_assert_eq(CTX(11, 9, 0, req, req_len), -ACCEL_E_BAD_ARG);
	w32(req, 0);
	cr_assert_eq(CTX(11, 1, 0, req, req_len), -ACCEL_E_BAD_REQUEST);
	free(req);
	free(m);
}

Test(context_ops, select_recent_layout)
{
	enum {
		N = 20
	};

	size_t sizes[N], total;
	unsigned char *m = corpus_messages(N, sizes, &total);
	size_t req_len = 16 + 16 * N + 16 * N + total;
	unsigned char *req = calloc(1, req_len);
	uint32_t nsel, trunc, sel[N];
	uint64_t off = 0;
	int r;

	if (access(corpus_nm("gpt-tokenizer/data/cl100k_base.tiktoken"), R_OK))
		cr_skip_test("node_modules/gpt-tokenizer missing");
	w32(req, N);
	w32(req + 4, N);
	w64(req + 8, 1500);
	for (int i = 0; i < N; i++) {
		w32(req + 16 + 16 * i, (uint32_t)i);
		w32(req + 16 + 16 * i + 4, 1);
		w64(req + 16 + 16 * i + 8, i % 2 ? 50 : 0);
		w64(req + 16 + 16 * N + 16 * i, off);
		w64(req + 16 + 16 * N + 16 * i + 8, sizes[i]);
		off += sizes[i];
	}
	memcpy(req + 16 + 32 * N, m, total);
	r = CTX(12, 1, 3, req, req_len);
	cr_assert_gt(r, 3, "%s", accel_strerror(r));
	memcpy(&nsel, cctx.res, 4);
	memcpy(&trunc, cctx.res + 4, 4);
	cr_assert_eq(nsel, (uint32_t)r);
	cr_assert_eq(cctx.res_len, 32 + 8 * N + 4 * nsel);
	memcpy(sel, cctx.res + 32 + 8 * N, 4 * nsel);
	/* Ascending, ending with the three preserved messages. */
	for (uint32_t i = 1; i < nsel; i++)
		cr_assert_lt(sel[i - 1], sel[i]);
	cr_assert_eq(sel[nsel - 1], N - 1);
	cr_assert_eq(sel[nsel - 3], N - 3);
	if (trunc != UINT32_MAX)
		cr_assert_eq(sel[0], trunc);
	free(req);
	free(m);
}

Test(context_ops, eventlog_roundtrip)
{
	char root[] = "/tmp/accel-evlog-XXXXXX", cmd[64];
	unsigned char save[64];
	int h, r;

	cr_assert_not_null(mkdtemp(root));
	h = LOG(1, 3, 0, root, strlen(root));
	cr_assert_eq(h, 1, "%s", accel_strerror(h));
	cr_assert_eq(LOG(1, 3, 0, root, strlen(root)), -ACCEL_E_JOURNAL_LOCKED);
	for (int i = 0; i < 5; i++) {
		char ev[32];
		int n = snprintf(ev, sizeof(ev), "event %d", i);

		cr_assert_eq(LOG(3, (uint64_t)h, 0, ev, (size_t)n), 0);
		cr_assert_eq(le64(jctx.res), (uint64_t)i + 1);
	}
	/* Replay from seq 2, at most 3 events. */
	r = LOG(4 | 3 << 8, (uint64_t)h, 2, NULL, 0);
	cr_assert_eq(r, 3);
	cr_assert_eq(le64(jctx.res), 2);
	cr_assert_eq(memcmp(jctx.res + 16, "event 1", 7), 0);
	cr_assert_eq(le64(jctx.res + 24), 3);
	cr_assert_eq(LOG(5, (uint64_t)h, 3, NULL, 0), 2);
	r = LOG(4, (uint64_t)h, 1, NULL, 0);
	cr_assert_eq(r, 3);
	cr_assert_eq(le64(jctx.res), 3);

	w32(save, 2);
	memcpy(save + 4, "ck", 2);
	memcpy(save + 6, "state", 5);
	cr_assert_eq(LOG(6, (uint64_t)h, 0, save, 11), 0);
	cr_assert_eq(LOG(7, (uint64_t)h, 0, "ck", 2), 5);
	cr_assert_eq(memcmp(jctx.res, "state", 5), 0);
	cr_assert_eq(LOG(8, (uint64_t)h, 0, "ck", 2), 1);
	cr_assert_eq(LOG(7, (uint64_t)h, 0, "ck", 2), -ACCEL_E_NOT_FOUND);
	cr_assert_eq(LOG(2, (uint64_t)h, 0, NULL, 0), 0);
	cr_assert_eq(LOG(3, (uint64_t)h, 0, "x", 1), -ACCEL_E_NOT_FOUND);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	cr_assert_eq(system(cmd), 0);
}
