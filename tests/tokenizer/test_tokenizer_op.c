/* SPDX-License-Identifier: MIT */
/*
 * The tokens_count / tokens_encode / tokens_decode ops through a real
 * engine process and the C client (the path Node takes), against the
 * in-process tokenizer on real text.
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "accel_alloc.h"
#include "accel_err.h"
#include "client.h"
#include "tok_test.h"

#define OP_COUNT  48
#define OP_ENCODE 49
#define OP_DECODE 50

static struct accel_client *spawn(void)
{
	struct accel_client_opts o = { .engine_path = ACCEL_ENGINE_BIN,
				       .workers = 2 };
	struct accel_client *c;

	/* The engine reads the rank files from here. */
	setenv("ACCEL_TOKENIZER_DATA", getenv("TOK_DATA_DIR"), 1);
	cr_assert_eq(accel_client_spawn(&o, &c), 0);
	return c;
}

/* Submits one request and returns its completion. */
static struct accel_cqe call(struct accel_client *c, uint16_t op,
			     const void *in, size_t len, uint64_t a0,
			     uint64_t a1, uint64_t a2, uint64_t *in_off)
{
	struct accel_sqe *q;
	struct accel_cqe cqe;
	void *p = NULL;

	*in_off = 0;
	if (len) {
		cr_assert_eq(accel_client_alloc(c, len, in_off, &p), 0);
		memcpy(p, in, len);
	}
	q = accel_client_sqe(c);
	cr_assert_not_null(q);
	q->op = op;
	q->in_off = *in_off;
	q->in_len = len;
	q->arg[0] = a0;
	q->arg[1] = a1;
	q->arg[2] = a2;
	cr_assert_eq(accel_client_submit(c), 1);
	for (;;) {
		int n = accel_client_reap(c, &cqe, 1);

		cr_assert_geq(n, 0);
		if (n)
			return cqe;
		cr_assert_eq(accel_client_wait(c, 30ll * 1000000000), 1);
	}
}

static void ops_match(int enc)
{
	struct accel_client *c = spawn();
	struct accel_tokenizer *tok = tt_load(enc, 0);
	struct accel_tokenizer_ids ids = { 0 };
	uint64_t a0 = enc ? ACCEL_TOKENIZER_O200K_BASE :
			    ACCEL_TOKENIZER_CL100K_BASE;
	uint64_t off;
	struct accel_cqe cqe, enc_cqe;
	const uint8_t *r;
	size_t len;
	uint8_t *t = tt_read_file("/usr/share/common-licenses/GPL-3", &len);

	cr_assert_not_null(t);
	cr_assert_eq(accel_tokenizer_encode(tok, t, len, NULL, &ids), 0);

	cqe = call(c, OP_COUNT, t, len, a0, 0, 0, &off);
	cr_assert_eq(cqe.res, (int32_t)ids.len, "count %d, in-process %zu",
		     cqe.res, ids.len);
	accel_client_free(c, off);

	/* Limit: exact at the count, stops past it one below. */
	cqe = call(c, OP_COUNT, t, len, a0, 0, ids.len + 1, &off);
	cr_assert_eq(cqe.res, (int32_t)ids.len);
	accel_client_free(c, off);
	cqe = call(c, OP_COUNT, t, len, a0, 0, 100 + 1, &off);
	cr_assert(cqe.res > 100 && cqe.res < (int32_t)ids.len);
	accel_client_free(c, off);

	enc_cqe = call(c, OP_ENCODE, t, len, a0, 0, 0, &off);
	cr_assert_eq(enc_cqe.res, (int32_t)ids.len);
	cr_assert_eq(enc_cqe.out_len, ids.len * 4);
	r = accel_client_result(c, &enc_cqe);
	cr_assert_not_null(r);
	for (size_t k = 0; k < ids.len; k++) {
		uint32_t v = r[4 * k] | (uint32_t)r[4 * k + 1] << 8 |
			     (uint32_t)r[4 * k + 2] << 16 |
			     (uint32_t)r[4 * k + 3] << 24;

		cr_assert_eq(v, ids.ids[k], "id %zu", k);
	}
	accel_client_free(c, off);

	/* Decode the engine's own ids: the text comes back. */
	cqe = call(c, OP_DECODE, r, ids.len * 4, a0, 0, 0, &off);
	cr_assert_eq(cqe.res, (int32_t)len);
	cr_assert_eq(memcmp(accel_client_result(c, &cqe), t, len), 0);
	accel_client_release(c, cqe.out_off);
	accel_client_release(c, enc_cqe.out_off);
	accel_client_free(c, off);

	/*
	 * Special tokens: arg[1] = allowed | disallowed << 32. All
	 * disallowed is an error, none of either is ordinary text, all
	 * allowed gives the special id.
	 */
	cqe = call(c, OP_COUNT, "a<|endoftext|>", 14, a0,
		   (uint64_t)UINT32_MAX << 32, 0, &off);
	cr_assert_eq(cqe.res, -ACCEL_E_TOKENS_SPECIAL);
	accel_client_free(c, off);
	cqe = call(c, OP_COUNT, "a<|endoftext|>", 14, a0, 0, 0, &off);
	cr_assert_gt(cqe.res, 2, "special text as ordinary text");
	accel_client_free(c, off);
	cqe = call(c, OP_COUNT, "a<|endoftext|>", 14, a0, UINT32_MAX, 0, &off);
	cr_assert_eq(cqe.res, 2, "allowed special: a + <|endoftext|>");
	accel_client_free(c, off);
	/* Errors: an unknown id, bad arguments. */
	cqe = call(c, OP_DECODE, "\xff\xff\xff\x7f", 4, a0, 0, 0, &off);
	cr_assert_eq(cqe.res, -ACCEL_E_TOKENS_BAD_ID);
	accel_client_free(c, off);
	cqe = call(c, OP_COUNT, "abc", 3, a0 | 1u << 20, 0, 0, &off);
	cr_assert_eq(cqe.res, -ACCEL_E_BAD_REQUEST);
	accel_client_free(c, off);
	cqe = call(c, OP_COUNT, "abc", 3, 7, 0, 0, &off);
	cr_assert_eq(cqe.res, -ACCEL_E_TOKENS_ENCODING);
	accel_client_free(c, off);

	free(t);
	accel_free(ids.ids);
	accel_tokenizer_destroy(tok);
	accel_client_destroy(c);
}

Test(op, engine_matches_in_process_cl100k)
{
	ops_match(0);
}

Test(op, engine_matches_in_process_o200k)
{
	ops_match(1);
}
