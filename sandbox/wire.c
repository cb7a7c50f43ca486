/* SPDX-License-Identifier: MIT */
/*
 * The result as one flat little-endian block (layout in sandbox.h and
 * docs/sandbox.md), so that the exec op can write it straight into the
 * session's result arena and Node can read it without a copy.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <string.h>

#include "sandbox.h"

static void put32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, 8);
}

size_t accel_sandbox_result_encode(const struct accel_sandbox_result *r,
				   void *buf, size_t len)
{
	uint32_t nv = r->n_violations < ACCEL_SANDBOX_MAX_VIOLATIONS ?
			      r->n_violations :
			      ACCEL_SANDBOX_MAX_VIOLATIONS;
	size_t need = ACCEL_SANDBOX_WIRE_HDR +
		      (size_t)nv * ACCEL_SANDBOX_WIRE_VIOLATION;
	size_t data_off = need;
	uint8_t *p = buf;

	for (int i = 0; i < 2; i++)
		need += r->out[i].len;
	if (!buf || len < need)
		return need;
	memset(p, 0, ACCEL_SANDBOX_WIRE_HDR);
	put32(p + 0, ACCEL_SANDBOX_WIRE_MAGIC);
	put32(p + 4,
	      ACCEL_SANDBOX_WIRE_VERSION | (ACCEL_SANDBOX_WIRE_HDR << 16));
	put32(p + 8, (uint32_t)r->exit_code);
	put32(p + 12, (uint32_t)r->term_signal);
	put32(p + 16, r->flags);
	put32(p + 20, r->layers);
	put32(p + 24, r->landlock_abi);
	put32(p + 28, r->failed_step);
	put32(p + 32, (uint32_t)r->failed_errno);
	put32(p + 36, nv);
	put32(p + 40, r->violations_dropped + (r->n_violations - nv));
	put64(p + 48, r->wall_ns);
	put64(p + 56, r->user_ns);
	put64(p + 64, r->sys_ns);
	put64(p + 72, r->peak_rss_bytes);
	for (int i = 0; i < 2; i++) {
		uint8_t *s = p + 80 + 32 * i;

		put32(s + 0, (uint32_t)data_off);
		put32(s + 4, r->out[i].len);
		put32(s + 8, r->out[i].head_len);
		put64(s + 16, r->out[i].total);
		put64(s + 24, r->out[i].elided);
		if (r->out[i].len)
			memcpy(p + data_off, r->out[i].data, r->out[i].len);
		data_off += r->out[i].len;
	}
	put32(p + 144, ACCEL_SANDBOX_WIRE_HDR);
	put32(p + 148, ACCEL_SANDBOX_WIRE_VIOLATION);
	for (uint32_t i = 0; i < nv; i++) {
		const struct accel_sandbox_violation *v = &r->violations[i];
		uint8_t *q = p + ACCEL_SANDBOX_WIRE_HDR +
			     (size_t)i * ACCEL_SANDBOX_WIRE_VIOLATION;

		put32(q + 0, v->kind);
		put32(q + 4, (uint32_t)v->nr);
		put32(q + 8, (uint32_t)v->pid);
		put32(q + 12, 0);
		for (int a = 0; a < 3; a++)
			put64(q + 16 + 8 * a, v->args[a]);
		memset(q + 40, 0, 48);
		memcpy(q + 40, v->what, strnlen(v->what, 47));
	}
	return need;
}
