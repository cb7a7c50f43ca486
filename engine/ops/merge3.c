/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "accel_alloc.h"
#include "accel_err.h"
#include "diff.h"
#include "op.h"

/*
 * merge3: three-way merge like git merge-file (accel_merge3()).
 *
 * Input: base ‖ ours ‖ theirs ‖ ours_label ‖ base_label ‖ theirs_label.
 *   arg[0]  base_len (bits 0-31) | ours_len (bits 32-63)
 *   arg[1]  theirs_len (bits 0-31) | ours_label_len (32-47)
 *           | theirs_label_len (48-63)
 *   arg[2]  style (bits 0-3) | favor (4-7) | marker_size (8-15, 0: 7)
 *           | algorithm (16-23) | base_label_len (32-47)
 *           | ACCEL_DIFF_IGNORE_* flags (48-63)
 * A label of length 0 is left out after its marker. Result: the merged
 * text. res = the number of conflicts.
 */
static int merge3_run(struct accel_op_ctx *ctx, const struct accel_op_req *req)
{
	uint64_t bl = (uint32_t)req->arg[0], ol = req->arg[0] >> 32;
	uint64_t tl = (uint32_t)req->arg[1];
	uint64_t lo = (req->arg[1] >> 32) & 0xffff, lt = req->arg[1] >> 48;
	uint64_t lb = (req->arg[2] >> 32) & 0xffff;
	const char *in = (const char *)req->in, *labels = in + bl + ol + tl;
	struct accel_merge_opts o = { 0 };
	char *lab[3] = { NULL, NULL, NULL }, *out;
	size_t out_len;
	int ret = -ENOMEM;

	if (bl + ol + tl + lo + lb + lt != req->in_len)
		return -ACCEL_E_BAD_REQUEST;
	o.style = (uint32_t)req->arg[2] & 0xf;
	o.favor = (uint32_t)(req->arg[2] >> 4) & 0xf;
	o.marker_size = (uint32_t)(req->arg[2] >> 8) & 0xff;
	o.algorithm = (uint32_t)(req->arg[2] >> 16) & 0xff;
	o.flags = (uint32_t)(req->arg[2] >> 48);
	if ((lo && !(lab[0] = strndup(labels, lo))) ||
	    (lb && !(lab[1] = strndup(labels + lo, lb))) ||
	    (lt && !(lab[2] = strndup(labels + lo + lb, lt))))
		goto out;
	o.ours_label = lab[0];
	o.base_label = lab[1];
	o.theirs_label = lab[2];
	ret = accel_merge3(in, bl, in + bl, ol, in + bl + ol, tl, &o, &out,
			   &out_len);
	if (ret < 0)
		goto out;
	if (out_len) {
		int r2 = accel_op_result_copy(ctx, out, out_len);

		if (r2)
			ret = r2;
	}
	accel_free(out);
out:
	for (int i = 0; i < 3; i++)
		free(lab[i]);
	return ret;
}

const struct accel_op_desc accel_op_merge3 = {
	.name = "merge3",
	.flags = ACCEL_OPF_COPY_IN,
	.inline_max = 64 << 10,
	.run = merge3_run,
};
