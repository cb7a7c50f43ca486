/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "accel_alloc.h"
#include "accel_err.h"
#include "diff.h"
#include "op.h"

/*
 * diff_words: word or character diff of two texts (accel_diff_words()).
 *
 * Input: a ‖ b. arg[0] = a_len (bits 0-31) | b_len (bits 32-63);
 * arg[1] = ACCEL_DIFF_WORDS or ACCEL_DIFF_CHARS.
 * Result: the words buffer (layout in diff/diff.h). res = its record count.
 */
static int diff_words_run(struct accel_op_ctx *ctx,
			  const struct accel_op_req *req)
{
	uint64_t alen = (uint32_t)req->arg[0], blen = req->arg[0] >> 32;
	const char *in = (const char *)req->in;
	uint8_t *w;
	size_t wl;
	int ret;

	if (alen + blen != req->in_len || req->arg[1] > UINT32_MAX)
		return -ACCEL_E_BAD_REQUEST;
	ret = accel_diff_words(in, alen, in + alen, blen, (uint32_t)req->arg[1],
			       &w, &wl);
	if (ret)
		return ret;
	ret = accel_op_result_copy(ctx, w, wl);
	if (!ret)
		ret = (int)((wl - 16) / 16);
	accel_free(w);
	return ret;
}

const struct accel_op_desc accel_op_diff_words = {
	.name = "diff_words",
	.flags = ACCEL_OPF_COPY_IN,
	.inline_max = 64 << 10,
	.run = diff_words_run,
};
