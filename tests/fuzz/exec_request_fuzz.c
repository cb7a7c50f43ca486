/* SPDX-License-Identifier: MIT */
/*
 * The exec op's request decoder (engine/ops/exec_wire.c) on hostile bytes:
 * the header, the section table and every variable part, decoded as the
 * engine decodes them, in its order.
 *
 * Checked for every input: errors are the documented codes of each step;
 * accepted sections lie inside the input after the header; the policy key
 * starts with the header's policy fields and is the same twice. For inputs
 * that decode completely: encoding the decoded request again with the C
 * clients' encoder (client/exec_request.h) and decoding that gives the same
 * fields, strings and bytes, and the same policy key, whatever the layout of
 * the original (the policy cache relies on that key).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "accel_alloc.h"
#include "accel_err.h"
#include "accel_le.h"
#include "exec_request.h"
#include "exec_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                 \
	do {                     \
		if (!(x))        \
			abort(); \
	} while (0)

struct decoded {
	struct exec_req r;
	struct exec_cmd cmd;
	struct accel_sandbox_policy pol;
	char **lists[EXEC_NPOL];
	uint8_t *key;
	size_t key_len;
	int ret;
};

static int code_in(int ret, const int *codes, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ret == codes[i])
			return 1;
	return 0;
}

static void check_sections(const struct exec_req *r, const uint8_t *data,
			   size_t size)
{
	for (int i = 0; i < EXEC_S_COUNT; i++) {
		const struct exec_sect_view *v = &r->sv[i];

		CHECK(!v->p == !v->len);
		if (!v->p)
			continue;
		CHECK(v->p >= data + EXEC_HDR);
		CHECK((size_t)(v->p - data) + v->len <= size);
	}
	CHECK(r->sv[EXEC_S_CWD].count == 0 && r->sv[EXEC_S_STDIN].count == 0);
}

/* Decodes like exec_run() does; d->ret is the first error, or 0. */
static void decode(const uint8_t *data, size_t size, struct decoded *d)
{
	static const int parse_err[] = { -ACCEL_E_BAD_REQUEST, -ACCEL_E_VERSION,
					 -ACCEL_E_RESERVED };
	static const int cmd_err[] = { -ACCEL_E_SANDBOX_CWD,
				       -ACCEL_E_SANDBOX_ARGV,
				       -ACCEL_E_SANDBOX_ENV, -ENOMEM };
	static const int pol_err[] = { -ACCEL_E_SANDBOX_POLICY, -ENOMEM };

	memset(d, 0, sizeof(*d));
	d->ret = exec_wire_parse(data, size, &d->r);
	if (d->ret) {
		CHECK(code_in(d->ret, parse_err, 3));
		return;
	}
	check_sections(&d->r, data, size);
	d->key = exec_wire_policy_key(&d->r, &d->key_len);
	if (!d->key) {
		d->ret = -ENOMEM;
		return;
	}
	CHECK(d->key_len >= 64 && !memcmp(d->key, data + 12, 60));
	d->ret = exec_wire_cmd(&d->r, &d->cmd);
	if (d->ret) {
		CHECK(code_in(d->ret, cmd_err, 4));
		CHECK(!d->cmd.argv && !d->cmd.env && !d->cmd.env_set);
		return;
	}
	d->ret = exec_wire_policy(&d->r, &d->pol, d->lists);
	if (d->ret)
		CHECK(code_in(d->ret, pol_err, 2));
}

static void release(struct decoded *d)
{
	exec_wire_cmd_free(&d->cmd);
	exec_wire_policy_free(d->lists);
	accel_free(d->key);
}

static int strv_eq(char *const *a, char *const *b)
{
	size_t i = 0;

	for (; a[i] && b[i]; i++)
		if (strcmp(a[i], b[i]))
			return 0;
	return !a[i] && !b[i];
}

/* Every decoded string is NUL-free: that is what makes re-encoding exact. */
static void check_strv(char *const *v, const struct exec_sect_view *sv)
{
	size_t bytes = 0, n = 0;

	for (; v[n]; n++)
		bytes += 4 + strlen(v[n]);
	CHECK(n == sv->count && bytes == sv->len);
}

static void round_trip(const struct decoded *a)
{
	const uint8_t *in = a->r.in;
	struct accel_exec_spec s = {
		.cwd = a->cmd.x.cwd,
		.stdin_data = a->cmd.x.stdin_data,
		.stdin_len = a->cmd.x.stdin_len,
		.flags = a->r.flags,
		.net = accel_le32(in + 12),
		.pflags = accel_le32(in + 16),
		.required = accel_le32(in + 20),
		.disabled = accel_le32(in + 24),
		.cpu_percent = accel_le32(in + 28),
		.mem_bytes = accel_le64(in + 32),
		.pids_max = accel_le64(in + 40),
		.cpu_ms = accel_le64(in + 48),
		.fsize_bytes = accel_le64(in + 56),
		.nofile = accel_le64(in + 64),
		.timeout_ms = a->cmd.x.timeout_ms,
		.grace_ms = a->cmd.x.kill_grace_ms,
		.max_output_bytes = a->cmd.x.max_output_bytes,
		.head_bytes = a->cmd.x.head_bytes,
		.tail_bytes = a->cmd.x.tail_bytes,
	};
	struct decoded b;
	size_t n;
	uint8_t *buf;

	for (int i = 0; i < EXEC_NPOL; i++) {
		check_strv(a->lists[i], &a->r.sv[i]);
		s.lists[i] = (const char *const *)a->lists[i];
	}
	check_strv(a->cmd.argv, &a->r.sv[EXEC_S_ARGV]);
	check_strv(a->cmd.env, &a->r.sv[EXEC_S_ENV]);
	check_strv(a->cmd.env_set, &a->r.sv[EXEC_S_ENV_SET]);
	s.lists[EXEC_S_ARGV] = a->cmd.x.argv;
	s.lists[EXEC_S_ENV] = a->cmd.x.env;
	s.lists[EXEC_S_ENV_SET] = a->cmd.x.env_set;

	n = accel_exec_encode(&s, NULL, 0);
	CHECK(n >= EXEC_HDR);
	buf = malloc(n);
	if (!buf)
		return;
	CHECK(accel_exec_encode(&s, buf, n) == n);
	decode(buf, n, &b);
	if (b.ret == -ENOMEM)
		goto out;
	CHECK(b.ret == 0);
	CHECK(b.r.flags == a->r.flags);
	CHECK(b.pol.net == a->pol.net && b.pol.flags == a->pol.flags &&
	      b.pol.required == a->pol.required &&
	      b.pol.disabled == a->pol.disabled &&
	      b.pol.cpu_percent == a->pol.cpu_percent &&
	      b.pol.mem_bytes == a->pol.mem_bytes &&
	      b.pol.pids_max == a->pol.pids_max &&
	      b.pol.cpu_ms == a->pol.cpu_ms &&
	      b.pol.fsize_bytes == a->pol.fsize_bytes &&
	      b.pol.nofile == a->pol.nofile &&
	      b.pol.n_env_allow == a->pol.n_env_allow);
	for (int i = 0; i < EXEC_NPOL; i++)
		CHECK(strv_eq(b.lists[i], a->lists[i]));
	CHECK(strv_eq(b.cmd.argv, a->cmd.argv));
	CHECK(strv_eq(b.cmd.env, a->cmd.env));
	CHECK(strv_eq(b.cmd.env_set, a->cmd.env_set));
	CHECK(!a->cmd.x.cwd == !b.cmd.x.cwd);
	CHECK(!a->cmd.x.cwd || !strcmp(a->cmd.x.cwd, b.cmd.x.cwd));
	CHECK(b.cmd.x.stdin_len == a->cmd.x.stdin_len);
	CHECK(!a->cmd.x.stdin_len ||
	      !memcmp(b.cmd.x.stdin_data, a->cmd.x.stdin_data,
		      a->cmd.x.stdin_len));
	CHECK(b.cmd.x.flags == a->cmd.x.flags &&
	      b.cmd.x.timeout_ms == a->cmd.x.timeout_ms &&
	      b.cmd.x.kill_grace_ms == a->cmd.x.kill_grace_ms &&
	      b.cmd.x.max_output_bytes == a->cmd.x.max_output_bytes &&
	      b.cmd.x.head_bytes == a->cmd.x.head_bytes &&
	      b.cmd.x.tail_bytes == a->cmd.x.tail_bytes);
	CHECK(b.key_len == a->key_len && !memcmp(b.key, a->key, a->key_len));
out:
	release(&b);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct decoded d;

	decode(data, size, &d);
	if (d.ret == 0) {
		uint8_t *k2;
		size_t l2;

		/* The key is a pure function of the request. */
		k2 = exec_wire_policy_key(&d.r, &l2);
		if (k2) {
			CHECK(l2 == d.key_len && !memcmp(k2, d.key, l2));
			accel_free(k2);
		}
		round_trip(&d);
	}
	release(&d);
	return 0;
}
