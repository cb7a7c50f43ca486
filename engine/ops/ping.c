/* SPDX-License-Identifier: MIT */
#include "op.h"

/*
 * ping: no input, no result, res 0. The cost of one round trip through the
 * rings, and a liveness probe.
 */
static int ping_run(struct accel_op_ctx *ctx, const struct accel_op_req *req)
{
	return 0;
}

const struct accel_op_desc accel_op_ping = {
	.name = "ping",
	.inline_max = ACCEL_OP_INLINE_ALWAYS,
	.run = ping_run,
};
