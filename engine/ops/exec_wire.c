/* SPDX-License-Identifier: MIT */
/*
 * The exec op's request decoder; exec_wire.h has the byte table.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "accel_alloc.h"
#include "accel_err.h"
#include "accel_le.h"
#include "exec_wire.h"

/* The policy part of the header, hashed as is: net .. nofile. */
#define POL_OFF 12u
#define POL_LEN 60u

_Static_assert(EXEC_SECT_OFF + 16 * EXEC_S_COUNT == EXEC_HDR,
	       "exec header size");
_Static_assert(EXEC_S_ENV_ALLOW + 1 == EXEC_NPOL, "policy lists");

int exec_wire_parse(const void *buf, size_t len, struct exec_req *r)
{
	const uint8_t *in = buf;

	if (len < EXEC_HDR || accel_le32(in) != EXEC_MAGIC)
		return -ACCEL_E_BAD_REQUEST;
	if ((accel_le32(in + 4) & 0xffff) != EXEC_VERSION)
		return -ACCEL_E_VERSION;
	if ((accel_le32(in + 4) >> 16) != EXEC_HDR)
		return -ACCEL_E_BAD_REQUEST;
	r->in = in;
	r->flags = accel_le32(in + 8);
	if (r->flags & ~EXEC_X_ALL)
		return -ACCEL_E_BAD_REQUEST;
	if (accel_le64(in + 104))
		return -ACCEL_E_RESERVED;
	for (int i = 0; i < EXEC_S_COUNT; i++) {
		const uint8_t *d = in + EXEC_SECT_OFF + 16 * i;
		uint32_t off = accel_le32(d), l = accel_le32(d + 4);
		struct exec_sect_view *v = &r->sv[i];

		if (accel_le32(d + 12))
			return -ACCEL_E_RESERVED;
		v->count = accel_le32(d + 8);
		v->len = l;
		v->p = NULL;
		if ((i == EXEC_S_CWD || i == EXEC_S_STDIN) && v->count)
			return -ACCEL_E_BAD_REQUEST;
		if (!l)
			continue;
		if (off < EXEC_HDR || (uint64_t)off + l > len)
			return -ACCEL_E_BAD_REQUEST;
		v->p = in + off;
	}
	return 0;
}

static int unpack(const struct exec_req *r, int s, int err, char ***out)
{
	const struct exec_sect_view *v = &r->sv[s];

	return accel_sandbox_strv_unpack(v->p, v->len, v->count, err, out);
}

void exec_wire_cmd_free(struct exec_cmd *c)
{
	accel_free(c->argv);
	accel_free(c->env);
	accel_free(c->env_set);
	c->argv = c->env = c->env_set = NULL;
}

int exec_wire_cmd(const struct exec_req *r, struct exec_cmd *c)
{
	const struct exec_sect_view *cwd = &r->sv[EXEC_S_CWD];
	const uint8_t *in = r->in;
	int ret;

	memset(&c->x, 0, sizeof(c->x));
	c->argv = c->env = c->env_set = NULL;
	c->x.timeout_ms = accel_le64(in + 72);
	c->x.kill_grace_ms = accel_le64(in + 80);
	c->x.max_output_bytes = accel_le64(in + 88);
	c->x.head_bytes = accel_le32(in + 96);
	c->x.tail_bytes = accel_le32(in + 100);
	if (r->flags & EXEC_X_MERGE)
		c->x.flags |= ACCEL_SANDBOX_X_MERGE_OUTPUT;
	c->x.stdin_data = r->sv[EXEC_S_STDIN].p;
	c->x.stdin_len = r->sv[EXEC_S_STDIN].len;
	if (cwd->len) {
		if (cwd->len >= sizeof(c->cwd) || memchr(cwd->p, 0, cwd->len))
			return -ACCEL_E_SANDBOX_CWD;
		memcpy(c->cwd, cwd->p, cwd->len);
		c->cwd[cwd->len] = 0;
		c->x.cwd = c->cwd;
	}
	ret = unpack(r, EXEC_S_ARGV, -ACCEL_E_SANDBOX_ARGV, &c->argv);
	if (ret == 0)
		ret = unpack(r, EXEC_S_ENV, -ACCEL_E_SANDBOX_ENV, &c->env);
	if (ret == 0)
		ret = unpack(r, EXEC_S_ENV_SET, -ACCEL_E_SANDBOX_ENV,
			     &c->env_set);
	if (ret < 0) {
		exec_wire_cmd_free(c);
		return ret;
	}
	c->x.argv = (const char *const *)c->argv;
	c->x.env = (const char *const *)c->env;
	c->x.env_set = (const char *const *)c->env_set;
	return 0;
}

static size_t vlen(char *const *v)
{
	size_t n = 0;

	while (v[n])
		n++;
	return n;
}

void exec_wire_policy_free(char **lists[EXEC_NPOL])
{
	for (int i = 0; i < EXEC_NPOL; i++) {
		accel_free(lists[i]);
		lists[i] = NULL;
	}
}

int exec_wire_policy(const struct exec_req *r, struct accel_sandbox_policy *pol,
		     char **lists[EXEC_NPOL])
{
	const uint8_t *in = r->in;
	int ret = 0;

	memset(pol, 0, sizeof(*pol));
	pol->net = accel_le32(in + 12);
	pol->flags = accel_le32(in + 16);
	pol->required = accel_le32(in + 20);
	pol->disabled = accel_le32(in + 24);
	pol->cpu_percent = accel_le32(in + 28);
	pol->mem_bytes = accel_le64(in + 32);
	pol->pids_max = accel_le64(in + 40);
	pol->cpu_ms = accel_le64(in + 48);
	pol->fsize_bytes = accel_le64(in + 56);
	pol->nofile = accel_le64(in + 64);
	for (int i = 0; i < EXEC_NPOL; i++)
		lists[i] = NULL;
	for (int i = 0; i < EXEC_NPOL && ret == 0; i++)
		ret = unpack(r, i, -ACCEL_E_SANDBOX_POLICY, &lists[i]);
	if (ret < 0)
		return ret;
	pol->read = (const char *const *)lists[EXEC_S_READ];
	pol->n_read = vlen(lists[EXEC_S_READ]);
	pol->write = (const char *const *)lists[EXEC_S_WRITE];
	pol->n_write = vlen(lists[EXEC_S_WRITE]);
	pol->deny = (const char *const *)lists[EXEC_S_DENY];
	pol->n_deny = vlen(lists[EXEC_S_DENY]);
	pol->readonly = (const char *const *)lists[EXEC_S_READONLY];
	pol->n_readonly = vlen(lists[EXEC_S_READONLY]);
	if (r->flags & EXEC_X_ENV_ALLOW) {
		pol->env_allow = (const char *const *)lists[EXEC_S_ENV_ALLOW];
		pol->n_env_allow = vlen(lists[EXEC_S_ENV_ALLOW]);
	}
	return 0;
}

uint8_t *exec_wire_policy_key(const struct exec_req *r, size_t *key_len)
{
	const struct exec_sect_view *sv = r->sv;
	size_t n = POL_LEN + 4, off;
	uint8_t *key;

	for (int i = 0; i < EXEC_NPOL; i++)
		n += 8 + sv[i].len;
	key = accel_malloc(n);
	if (!key)
		return NULL;
	memcpy(key, r->in + POL_OFF, POL_LEN);
	accel_put_le32(key + POL_LEN, r->flags & EXEC_X_ENV_ALLOW);
	off = POL_LEN + 4;
	for (int i = 0; i < EXEC_NPOL; i++) {
		accel_put_le32(key + off, sv[i].count);
		accel_put_le32(key + off + 4, sv[i].len);
		if (sv[i].len)
			memcpy(key + off + 8, sv[i].p, sv[i].len);
		off += 8 + sv[i].len;
	}
	*key_len = n;
	return key;
}
