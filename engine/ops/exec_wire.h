/* SPDX-License-Identifier: MIT */
#ifndef ACCEL_EXEC_WIRE_H
#define ACCEL_EXEC_WIRE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "sandbox.h"

/*
 * The exec op's request decoder (the op itself is engine/ops/exec.c; the
 * byte table is in docs/ops.md, "exec (16)"). Kept apart from the op so
 * that the fuzz target tests/fuzz/exec_request_fuzz.c links exactly the code
 * the engine runs on a client's bytes.
 *
 * Input (all integers little-endian): a fixed 272-byte header, then the
 * variable parts the header points to.
 *
 *     0  u32 magic EXEC_MAGIC ("AXRQ")   4  u16 version 1, u16 header size
 *     8  u32 flags (EXEC_X_*)           12  u32 net (enum accel_sandbox_net)
 *    16  u32 policy flags (F_*)         20  u32 required layers
 *    24  u32 disabled layers            28  u32 cpu_percent
 *    32  u64 mem_bytes  40 u64 pids_max  48 u64 cpu_ms  56 u64 fsize_bytes
 *    64  u64 nofile     72 u64 timeout_ms  80 u64 kill_grace_ms
 *    88  u64 max_output_bytes           96  u32 head_bytes  100 u32 tail_bytes
 *   104  u64 reserved (0)
 *   112  10 sections of 16 bytes: u32 offset, u32 length, u32 count,
 *        u32 reserved (0), in the order of enum exec_sect
 *
 * String lists (paths, names, argv, env) use the sandbox's strv wire format
 * (u32 length + bytes per string, accel_sandbox_strv_unpack()); cwd and
 * stdin are plain bytes (count 0).
 */

#define EXEC_MAGIC   0x51525841u /* "AXRQ" */
#define EXEC_VERSION 1u
#define EXEC_HDR     272u

/* Header flags. */
#define EXEC_X_MERGE	    (1u << 0) /* stdout and stderr through one pipe */
#define EXEC_X_STREAM	    (1u << 1) /* output chunks as progress */
#define EXEC_X_ENV_ALLOW    (1u << 2) /* the env_allow list replaces the default */
#define EXEC_X_FRESH_POLICY (1u << 3) /* recompile, replace the cached policy */
#define EXEC_X_ALL	    0xfu

enum exec_sect {
	EXEC_S_READ,
	EXEC_S_WRITE,
	EXEC_S_DENY,
	EXEC_S_READONLY,
	EXEC_S_ENV_ALLOW,
	EXEC_S_ARGV,
	EXEC_S_ENV,
	EXEC_S_ENV_SET,
	EXEC_S_CWD,
	EXEC_S_STDIN,
	EXEC_S_COUNT,
};

/* The policy lists are the sections EXEC_S_READ .. EXEC_S_ENV_ALLOW. */
#define EXEC_NPOL 5

#define EXEC_SECT_OFF 112u

/* One section of a parsed request: p is NULL when len is 0. */
struct exec_sect_view {
	const uint8_t *p;
	uint32_t len;
	uint32_t count;
};

/* A parsed request: views into the caller's (private) copy of the input. */
struct exec_req {
	const uint8_t *in;
	uint32_t flags; /* EXEC_X_* */
	struct exec_sect_view sv[EXEC_S_COUNT];
};

/* The command part of a request, decoded; free with exec_wire_cmd_free(). */
struct exec_cmd {
	struct accel_sandbox_exec x; /* points into the fields below and in */
	char **argv, **env, **env_set;
	char cwd[PATH_MAX];
};

/*
 * Parses the header and the section table. Every offset and length is
 * checked against len in 64-bit arithmetic. Returns 0, -ACCEL_E_BAD_REQUEST,
 * -ACCEL_E_VERSION or -ACCEL_E_RESERVED.
 */
int exec_wire_parse(const void *in, size_t len, struct exec_req *r);

/*
 * Decodes cwd, argv, env, env_set, stdin and the run limits. Returns 0,
 * -ACCEL_E_SANDBOX_CWD, -ACCEL_E_SANDBOX_ARGV, -ACCEL_E_SANDBOX_ENV or
 * -ENOMEM; on error nothing is left to free.
 */
int exec_wire_cmd(const struct exec_req *r, struct exec_cmd *c);
void exec_wire_cmd_free(struct exec_cmd *c);

/*
 * Decodes the policy: header fields into *pol, the five policy lists into
 * lists[] (pol points into them). Zero-length lists mean "the default", as
 * in the library. Returns 0, -ACCEL_E_SANDBOX_POLICY or -ENOMEM; free the
 * lists with exec_wire_policy_free() in both cases.
 */
int exec_wire_policy(const struct exec_req *r, struct accel_sandbox_policy *pol,
		     char **lists[EXEC_NPOL]);
void exec_wire_policy_free(char **lists[EXEC_NPOL]);

/*
 * The policy's canonical bytes (the policy fields of the header, the
 * env-allow flag, then count, length and bytes of each policy list): equal
 * for two requests whose policy fields and lists are equal, whatever the
 * layout of their sections. Returns a buffer for accel_free(), or NULL.
 */
uint8_t *exec_wire_policy_key(const struct exec_req *r, size_t *key_len);

#endif
