/* SPDX-License-Identifier: MIT */
#ifndef ACCEL_EXEC_REQUEST_H
#define ACCEL_EXEC_REQUEST_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * Encoder of the exec op's request (op 16; docs/ops.md, "exec (16)", has the
 * byte table) for C clients: the tests, the benches and the fuzz target's
 * round trip. Header-only, so that users need no extra library.
 *
 *	struct accel_exec_spec s = { .lists[ACCEL_EXEC_S_ARGV] = argv };
 *	size_t n = accel_exec_encode(&s, NULL, 0);
 *	accel_client_alloc(c, n, &off, &p);
 *	accel_exec_encode(&s, p, n);
 */

#define ACCEL_EXEC_OP	   16
#define ACCEL_EXEC_MAGIC   0x51525841u /* "AXRQ" */
#define ACCEL_EXEC_VERSION 1u
#define ACCEL_EXEC_HDR	   272u

/* Request flags (header offset 8). */
#define ACCEL_EXEC_X_MERGE	  (1u << 0) /* stdout and stderr merged */
#define ACCEL_EXEC_X_STREAM	  (1u << 1) /* output chunks as progress */
#define ACCEL_EXEC_X_ENV_ALLOW	  (1u << 2) /* env_allow replaces the default */
#define ACCEL_EXEC_X_FRESH_POLICY (1u << 3) /* recompile the policy */

/* Sections, in the order of the header's section table. */
enum accel_exec_sect {
	ACCEL_EXEC_S_READ,
	ACCEL_EXEC_S_WRITE,
	ACCEL_EXEC_S_DENY,
	ACCEL_EXEC_S_READONLY,
	ACCEL_EXEC_S_ENV_ALLOW,
	ACCEL_EXEC_S_ARGV,
	ACCEL_EXEC_S_ENV,
	ACCEL_EXEC_S_ENV_SET,
	ACCEL_EXEC_S_CWD,   /* plain bytes */
	ACCEL_EXEC_S_STDIN, /* plain bytes */
	ACCEL_EXEC_S_COUNT
};

/* One request. Zero fields are the engine's defaults. */
struct accel_exec_spec {
	/* NULL-terminated string lists; NULL or empty: the default */
	const char *const *lists[ACCEL_EXEC_S_CWD];
	const char *cwd; /* NULL: the engine's */
	const void *stdin_data;
	size_t stdin_len;
	uint32_t flags; /* ACCEL_EXEC_X_* */
	/* policy (enum accel_sandbox_net, ACCEL_SANDBOX_F_*, L_* masks) */
	uint32_t net, pflags, required, disabled, cpu_percent;
	uint64_t mem_bytes, pids_max, cpu_ms, fsize_bytes, nofile;
	/* this run */
	uint64_t timeout_ms, grace_ms, max_output_bytes;
	uint32_t head_bytes, tail_bytes;
};

static inline void accel_exec_put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void accel_exec_put64(uint8_t *p, uint64_t v)
{
	accel_exec_put32(p, (uint32_t)v);
	accel_exec_put32(p + 4, (uint32_t)(v >> 32));
}

/* Bytes of one section's contents. */
static inline size_t accel_exec_sect_len(const struct accel_exec_spec *s, int i)
{
	size_t n = 0;

	if (i == ACCEL_EXEC_S_CWD)
		return s->cwd ? strlen(s->cwd) : 0;
	if (i == ACCEL_EXEC_S_STDIN)
		return s->stdin_len;
	for (const char *const *v = s->lists[i]; v && *v; v++)
		n += 4 + strlen(*v);
	return n;
}

/* Writes section i's contents at b; returns its string count. */
static inline uint32_t accel_exec_put_sect(const struct accel_exec_spec *s,
					   int i, uint8_t *b)
{
	uint32_t n = 0;

	if (i == ACCEL_EXEC_S_CWD) {
		if (s->cwd)
			memcpy(b, s->cwd, strlen(s->cwd));
		return 0;
	}
	if (i == ACCEL_EXEC_S_STDIN) {
		if (s->stdin_len)
			memcpy(b, s->stdin_data, s->stdin_len);
		return 0;
	}
	for (const char *const *v = s->lists[i]; v && *v; v++, n++) {
		size_t l = strlen(*v);

		accel_exec_put32(b, (uint32_t)l);
		memcpy(b + 4, *v, l);
		b += 4 + l;
	}
	return n;
}

/*
 * Encodes s into buf when cap is large enough. Returns the request's size
 * either way (call with cap 0 to learn it), or 0 when it cannot be
 * expressed (a part beyond the 32-bit offsets).
 */
static inline size_t accel_exec_encode(const struct accel_exec_spec *s,
				       void *buf, size_t cap)
{
	size_t total = ACCEL_EXEC_HDR, off = ACCEL_EXEC_HDR;
	uint8_t *b = buf;

	for (int i = 0; i < ACCEL_EXEC_S_COUNT; i++)
		total += accel_exec_sect_len(s, i);
	if (total > UINT32_MAX)
		return 0;
	if (!b || cap < total)
		return total;
	memset(b, 0, ACCEL_EXEC_HDR);
	accel_exec_put32(b, ACCEL_EXEC_MAGIC);
	accel_exec_put32(b + 4, ACCEL_EXEC_VERSION | ACCEL_EXEC_HDR << 16);
	accel_exec_put32(b + 8, s->flags);
	accel_exec_put32(b + 12, s->net);
	accel_exec_put32(b + 16, s->pflags);
	accel_exec_put32(b + 20, s->required);
	accel_exec_put32(b + 24, s->disabled);
	accel_exec_put32(b + 28, s->cpu_percent);
	accel_exec_put64(b + 32, s->mem_bytes);
	accel_exec_put64(b + 40, s->pids_max);
	accel_exec_put64(b + 48, s->cpu_ms);
	accel_exec_put64(b + 56, s->fsize_bytes);
	accel_exec_put64(b + 64, s->nofile);
	accel_exec_put64(b + 72, s->timeout_ms);
	accel_exec_put64(b + 80, s->grace_ms);
	accel_exec_put64(b + 88, s->max_output_bytes);
	accel_exec_put32(b + 96, s->head_bytes);
	accel_exec_put32(b + 100, s->tail_bytes);
	for (int i = 0; i < ACCEL_EXEC_S_COUNT; i++) {
		uint8_t *d = b + 112 + 16 * i;
		size_t l = accel_exec_sect_len(s, i);

		accel_exec_put32(d, l ? (uint32_t)off : 0);
		accel_exec_put32(d + 4, (uint32_t)l);
		accel_exec_put32(d + 8, accel_exec_put_sect(s, i, b + off));
		off += l;
	}
	return total;
}

#endif
