/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "accel_err.h"
#include "diff.h"
#include "op.h"

/*
 * apply_patch: applies one file section of a unified patch to a text
 * (accel_patch_parse() + accel_patch_apply()).
 *
 * Input: text ‖ patch.
 *   arg[0]  text_len (bits 0-31) | patch_len (bits 32-63)
 *   arg[1]  file section index (bits 0-31) | ACCEL_PATCH_* flags (32-63)
 *   arg[2]  fuzz + 1 (0: the default 2)
 * Result, little-endian:
 *   0  u32 magic "ADP1"      4  i32 status: 0, or -ACCEL_E_DIFF_PATCH_*
 *   8  u32 n_hunks          12  u32 n_rejected
 *  16  u32 text_off         20  u32 text_len
 *  24  u32 err_line (1-based patch line of a malformed patch, else 0)
 *  28  u32 n_files (file sections in the patch)
 *  32  n_hunks records of struct accel_patch_hunk_result (16 bytes)
 *  text_off: the patched text; with status < 0 the error message instead.
 * A malformed patch is a completed request (res 0, status < 0) so that the
 * line and the reason reach the client. res = n_rejected otherwise.
 */
#define ADP_MAGIC 0x31504441u /* "ADP1" */

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static int error_result(struct accel_op_ctx *ctx, int status,
			const struct accel_patch_error *e)
{
	size_t ml = strlen(e->message);
	uint8_t *o = accel_op_result(ctx, 32 + ml);

	if (!o)
		return -ACCEL_E_NO_SPACE;
	memset(o, 0, 32);
	put32(o, ADP_MAGIC);
	put32(o + 4, (uint32_t)status);
	put32(o + 16, 32);
	put32(o + 20, (uint32_t)ml);
	put32(o + 24, e->line);
	memcpy(o + 32, e->message, ml);
	return 0;
}

static int apply_patch_run(struct accel_op_ctx *ctx,
			   const struct accel_op_req *req)
{
	uint64_t tlen = (uint32_t)req->arg[0], plen = req->arg[0] >> 32;
	const char *in = (const char *)req->in;
	struct accel_patch_apply_opts o = { 0 };
	struct accel_patch_error e;
	struct accel_patch_result r;
	struct accel_patch *p;
	uint8_t *out;
	size_t hl;
	int ret;

	if (tlen + plen != req->in_len || req->arg[2] > 1000)
		return -ACCEL_E_BAD_REQUEST;
	o.flags = (uint32_t)(req->arg[1] >> 32);
	o.fuzz = req->arg[2] ? (int32_t)req->arg[2] - 1 : 2;
	ret = accel_patch_parse(in + tlen, plen, &p, &e);
	if (ret == -ACCEL_E_DIFF_PATCH_MALFORMED ||
	    ret == -ACCEL_E_DIFF_PATCH_EMPTY)
		return error_result(ctx, ret, &e);
	if (ret)
		return ret;
	ret = accel_patch_apply(p, (uint32_t)req->arg[1], in, tlen, &o, &r);
	if (ret < 0)
		goto out;
	hl = 32 + (size_t)r.n_hunks * sizeof(*r.hunks);
	out = accel_op_result(ctx, hl + r.text_len);
	if (!out) {
		ret = -ACCEL_E_NO_SPACE;
		goto out_res;
	}
	memset(out, 0, 32);
	put32(out, ADP_MAGIC);
	put32(out + 8, r.n_hunks);
	put32(out + 12, r.n_rejected);
	put32(out + 16, (uint32_t)hl);
	put32(out + 20, (uint32_t)r.text_len);
	put32(out + 28, accel_patch_nfiles(p));
	for (uint32_t k = 0; k < r.n_hunks; k++) {
		uint8_t *h = out + 32 + (size_t)k * 16;

		put32(h, r.hunks[k].status);
		put32(h + 4, (uint32_t)r.hunks[k].offset);
		put32(h + 8, r.hunks[k].fuzz);
		put32(h + 12, r.hunks[k].line);
	}
	memcpy(out + hl, r.text, r.text_len);
	ret = (int)r.n_rejected;
out_res:
	accel_patch_result_free(&r);
out:
	accel_patch_destroy(p);
	return ret;
}

const struct accel_op_desc accel_op_apply_patch = {
	.name = "apply_patch",
	.flags = ACCEL_OPF_COPY_IN,
	.inline_max = 64 << 10,
	.run = apply_patch_run,
};
