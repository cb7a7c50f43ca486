/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "accel_err.h"
#include "op.h"

/*
 * echo: returns its input bytes as the result block; res is the length
 * (capped at INT32_MAX). One copy, arena to arena, done by the engine; the
 * client views the result in place. Inputs up to 64 KiB run on the poller,
 * larger ones on a worker so a big copy never delays other requests.
 */
static int echo_run(struct accel_op_ctx *ctx, const struct accel_op_req *req)
{
	void *out;

	if (!req->in_len)
		return 0;
	out = accel_op_result(ctx, req->in_len);
	if (!out)
		return -ACCEL_E_NO_SPACE;
	/* A client rewriting its input meanwhile only changes its result. */
	memcpy(out, req->in, req->in_len);
	return req->in_len > INT32_MAX ? INT32_MAX : (int)req->in_len;
}

const struct accel_op_desc accel_op_echo = {
	.name = "echo",
	.inline_max = 64 << 10,
	.run = echo_run,
};
