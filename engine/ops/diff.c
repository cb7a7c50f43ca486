/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "accel_err.h"
#include "diff.h"
#include "op.h"

/*
 * diff: line diff of two texts (diff/diff.h accel_diff()).
 *
 * Input: a ‖ b ‖ a_path ‖ b_path.
 *   arg[0]  a_len (bits 0-31) | b_len (bits 32-63)
 *   arg[1]  a_path_len (bits 0-31) | b_path_len (bits 32-63); both 0: no
 *           "---"/"+++" header lines
 *   arg[2]  algorithm (bits 0-7, enum accel_diff_algorithm)
 *           | context + 1 (bits 8-23; 0: the default 3)
 *           | interhunk (bits 24-31) | ACCEL_DIFF_* flags (bits 32-63)
 * Result: the hunk buffer (layout in diff/diff.h; absent with
 * ACCEL_DIFF_NO_HUNKS) followed by the unified text (absent with
 * ACCEL_DIFF_NO_TEXT). res = the hunk buffer's length, so the text starts
 * at byte res of the result. Errors: -ACCEL_E_BAD_REQUEST for lengths that
 * do not add up, -ACCEL_E_DIFF_BAD_OPTS, -ACCEL_E_NO_SPACE.
 */
static int diff_run(struct accel_op_ctx *ctx, const struct accel_op_req *req)
{
	uint64_t alen = (uint32_t)req->arg[0], blen = req->arg[0] >> 32;
	uint64_t palen = (uint32_t)req->arg[1], pblen = req->arg[1] >> 32;
	const char *in = (const char *)req->in;
	struct accel_diff_opts o = { 0 };
	struct accel_diff_result r;
	char *pa = NULL, *pb = NULL, *out;
	uint32_t ctx_plus1 = (uint32_t)(req->arg[2] >> 8) & 0xffff;
	int ret;

	if (alen + blen + palen + pblen != req->in_len || (!palen != !pblen))
		return -ACCEL_E_BAD_REQUEST;
	o.algorithm = (uint32_t)req->arg[2] & 0xff;
	o.context = ctx_plus1 ? (int32_t)ctx_plus1 - 1 : 3;
	o.interhunk = (uint32_t)(req->arg[2] >> 24) & 0xff;
	o.flags = (uint32_t)(req->arg[2] >> 32);
	if (palen) {
		/* NUL-terminated private copies for the header lines. */
		pa = strndup(in + alen + blen, palen);
		pb = strndup(in + alen + blen + palen, pblen);
		if (!pa || !pb) {
			ret = -ENOMEM;
			goto out;
		}
		o.a_path = pa;
		o.b_path = pb;
	}
	ret = accel_diff(in, alen, in + alen, blen, &o, &r);
	if (ret)
		goto out;
	if (r.hunks_len + r.text_len) {
		out = accel_op_result(ctx, r.hunks_len + r.text_len);
		if (!out) {
			ret = -ACCEL_E_NO_SPACE;
			goto out_res;
		}
		if (r.hunks_len)
			memcpy(out, r.hunks, r.hunks_len);
		if (r.text_len)
			memcpy(out + r.hunks_len, r.text, r.text_len);
	}
	ret = (int)r.hunks_len;
out_res:
	accel_diff_result_free(&r);
out:
	free(pa);
	free(pb);
	return ret;
}

const struct accel_op_desc accel_op_diff = {
	.name = "diff",
	.flags = ACCEL_OPF_COPY_IN,
	.inline_max = 64 << 10,
	.run = diff_run,
};
