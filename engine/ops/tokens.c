/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "accel_alloc.h"
#include "accel_err.h"
#include "op.h"
#include "tokenizer.h"

/*
 * tokens_count, tokens_encode, tokens_decode: the tokenizer
 * (tokenizer/tokenizer.h) as engine ops.
 *
 * Arguments, the same for the three ops:
 *   arg[0]  encoding (bits 0-7: 1 cl100k_base, 2 o200k_base)
 *           | ACCEL_TOKENIZER_JS_DIALECT << 8 (bit 8)
 *           | ACCEL_TOKENIZER_REPLACE_INVALID << 9 (bit 9); other bits 0
 *   arg[1]  allowed_special (bits 0-31) | disallowed_special (bits 32-63),
 *           bit i = special token i of the encoding (docs/tokens.md)
 *   arg[2]  tokens_count only: limit + 1 (0: no limit)
 * tokens_count: input UTF-8 text; no result block; res = the count. With
 *   a limit the count stops early once past it, so res <= limit means
 *   "within the limit" and res is then exact.
 * tokens_encode: input UTF-8 text; result: res ids as little-endian u32.
 * tokens_decode: input little-endian u32 ids; result: res bytes.
 * Errors: -ACCEL_E_TOKENS_SPECIAL, -ACCEL_E_TOKENS_BAD_ID,
 * -ACCEL_E_TOKENS_ENCODING, -ACCEL_E_BAD_REQUEST, -ACCEL_E_TOO_LARGE (more
 * than INT32_MAX tokens or bytes), -ACCEL_E_NO_SPACE, -ENOENT when the rank
 * files are missing.
 *
 * The tokenizers are loaded once per engine, on first use, from the
 * directory $ACCEL_TOKENIZER_DATA (default ACCEL_TOKENIZER_DATA_DIR), which
 * holds <encoding>.tiktoken (scripts/tokenizer-data.sh puts them there).
 * They are immutable, shared by every thread and with the context op
 * (accel_tokenizer_shared()).
 */

#ifndef ACCEL_TOKENIZER_DATA_DIR
#define ACCEL_TOKENIZER_DATA_DIR "/usr/local/share/agent-accel/tokenizer"
#endif

#define ARG_FLAGS_SHIFT 8
#define ARG_KNOWN	((uint64_t)0xff | (uint64_t)3 << ARG_FLAGS_SHIFT)

static int get_tokenizer(uint32_t enc, int js,
			 const struct accel_tokenizer **out)
{
	const char *dir = getenv("ACCEL_TOKENIZER_DATA");

	if (!accel_tokenizer_encoding_name(enc))
		return -ACCEL_E_TOKENS_ENCODING;
	return accel_tokenizer_shared(enc, js ? ACCEL_TOKENIZER_JS_DIALECT : 0,
				      dir ? dir : ACCEL_TOKENIZER_DATA_DIR,
				      out);
}

/* Decodes arg[0]/arg[1] into a tokenizer and a mode. */
static int setup(const struct accel_op_req *req,
		 const struct accel_tokenizer **tok,
		 struct accel_tokenizer_mode *mode)
{
	uint32_t flags = (uint32_t)(req->arg[0] >> ARG_FLAGS_SHIFT) & 3;

	if (req->arg[0] & ~ARG_KNOWN)
		return -ACCEL_E_BAD_REQUEST;
	*mode = (struct accel_tokenizer_mode){
		.allowed_special = (uint32_t)req->arg[1],
		.disallowed_special = (uint32_t)(req->arg[1] >> 32),
		.flags = (flags & 2) ? ACCEL_TOKENIZER_REPLACE_INVALID : 0,
	};
	return get_tokenizer((uint32_t)req->arg[0] & 0xff, flags & 1, tok);
}

static int count_run(struct accel_op_ctx *ctx, const struct accel_op_req *req)
{
	struct accel_tokenizer_mode mode;
	const struct accel_tokenizer *tok;
	uint64_t n;
	int ret = setup(req, &tok, &mode);

	if (ret < 0)
		return ret;
	if (req->arg[2])
		ret = accel_tokenizer_within_limit(tok, req->in, req->in_len,
						   &mode, req->arg[2] - 1, &n);
	else
		ret = accel_tokenizer_count(tok, req->in, req->in_len, &mode,
					    &n);
	if (ret < 0)
		return ret;
	return n > INT32_MAX ? -ACCEL_E_TOO_LARGE : (int)n;
}

static int encode_run(struct accel_op_ctx *ctx, const struct accel_op_req *req)
{
	struct accel_tokenizer_ids ids = { 0 };
	struct accel_tokenizer_mode mode;
	const struct accel_tokenizer *tok;
	uint8_t *out;
	int ret = setup(req, &tok, &mode);

	if (ret < 0)
		return ret;
	ret = accel_tokenizer_encode(tok, req->in, req->in_len, &mode, &ids);
	if (ret < 0)
		goto out;
	if (ids.len > INT32_MAX / 4) {
		ret = -ACCEL_E_TOO_LARGE;
		goto out;
	}
	if (ids.len) {
		out = accel_op_result(ctx, ids.len * 4);
		if (!out) {
			ret = -ACCEL_E_NO_SPACE;
			goto out;
		}
		for (size_t k = 0; k < ids.len; k++) {
			uint32_t v = ids.ids[k];

			out[4 * k] = (uint8_t)v;
			out[4 * k + 1] = (uint8_t)(v >> 8);
			out[4 * k + 2] = (uint8_t)(v >> 16);
			out[4 * k + 3] = (uint8_t)(v >> 24);
		}
	}
	ret = (int)ids.len;
out:
	accel_free(ids.ids);
	return ret;
}

static int decode_run(struct accel_op_ctx *ctx, const struct accel_op_req *req)
{
	struct accel_tokenizer_mode mode;
	const struct accel_tokenizer *tok;
	size_t n = req->in_len / 4, len;
	uint32_t *ids;
	uint8_t *out;
	int ret;

	if (req->in_len % 4 || req->arg[1] || req->arg[2])
		return -ACCEL_E_BAD_REQUEST;
	ret = setup(req, &tok, &mode);
	if (ret < 0)
		return ret;
	ids = malloc(n ? n * 4 : 1);
	if (!ids)
		return -ENOMEM;
	for (size_t k = 0; k < n; k++) {
		const uint8_t *p = req->in + 4 * k;

		ids[k] = p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
			 (uint32_t)p[3] << 24;
	}
	ret = accel_tokenizer_decode(tok, ids, n, NULL, 0, &len);
	if (ret < 0 && ret != -ACCEL_E_NO_SPACE)
		goto out;
	if (len > INT32_MAX) {
		ret = -ACCEL_E_TOO_LARGE;
		goto out;
	}
	if (len) {
		out = accel_op_result(ctx, len);
		if (!out) {
			ret = -ACCEL_E_NO_SPACE;
			goto out;
		}
		ret = accel_tokenizer_decode(tok, ids, n, out, len, &len);
		if (ret < 0)
			goto out;
	}
	ret = (int)len;
out:
	free(ids);
	return ret;
}

/*
 * The input is copied: the tokenizer looks at bytes more than once, and a
 * client rewriting them meanwhile must not be able to make it disagree
 * with itself.
 */
const struct accel_op_desc accel_op_tokens_count = {
	.name = "tokens_count",
	.flags = ACCEL_OPF_COPY_IN,
	.inline_max = 64 << 10,
	.run = count_run,
};

const struct accel_op_desc accel_op_tokens_encode = {
	.name = "tokens_encode",
	.flags = ACCEL_OPF_COPY_IN,
	.inline_max = 64 << 10,
	.run = encode_run,
};

const struct accel_op_desc accel_op_tokens_decode = {
	.name = "tokens_decode",
	.flags = ACCEL_OPF_COPY_IN,
	.inline_max = 64 << 10,
	.run = decode_run,
};
