/* SPDX-License-Identifier: MIT */
/*
 * Output capture with a fixed memory budget: the first head_cap bytes are
 * kept as they come, the last tail_cap bytes in a ring, and everything in
 * between is only counted. A command that prints forever costs a bounded
 * buffer and one memcpy per chunk, never a stall.
 */
#include <errno.h>
#include <string.h>

#include "accel_alloc.h"
#include "sandbox_int.h"

int accel__sbx_capture_init(struct sbx_capture *c, uint32_t head, uint32_t tail)
{
	/* Buffers come with the first bytes: most commands print little,
	 * and many print nothing. */
	memset(c, 0, sizeof(*c));
	c->head_cap = head;
	c->tail_cap = tail;
	c->active = 1;
	return 0;
}

/* Grows the head buffer to hold need bytes (doubling, capped). */
static int head_reserve(struct sbx_capture *c, uint32_t need)
{
	uint32_t cap = c->buf_cap > 512 ? c->buf_cap * 2 : 1024;
	char *p;

	if (need <= c->buf_cap && c->buf)
		return 0;
	if (cap < need || cap < c->buf_cap)
		cap = need;
	/* While filling the head, never beyond it. */
	if (need <= c->head_cap && cap > c->head_cap)
		cap = c->head_cap;
	p = accel_realloc(c->buf, (size_t)cap + 1);
	if (!p)
		return -ENOMEM;
	c->buf = p;
	c->buf_cap = cap;
	return 0;
}

void accel__sbx_capture_add(struct sbx_capture *c, const char *p, size_t n)
{
	size_t take;

	c->total += n;
	if (c->head_len < c->head_cap) {
		take = c->head_cap - c->head_len;
		if (take > n)
			take = n;
		/* Out of memory: the bytes are counted, not kept. */
		if (head_reserve(c, c->head_len + (uint32_t)take) == 0) {
			memcpy(c->buf + c->head_len, p, take);
			c->head_len += (uint32_t)take;
		}
		p += take;
		n -= take;
	}
	if (!n || !c->tail_cap)
		return;
	if (!c->ring) {
		c->ring = accel_malloc(c->tail_cap);
		if (!c->ring)
			return;
	}
	/* Only the last tail_cap bytes of this chunk can survive. */
	if (n > c->tail_cap) {
		p += n - c->tail_cap;
		c->tail_written += n - c->tail_cap;
		n = c->tail_cap;
	}
	while (n) {
		size_t at = (size_t)(c->tail_written % c->tail_cap);

		take = c->tail_cap - at;
		if (take > n)
			take = n;
		memcpy(c->ring + at, p, take);
		c->tail_written += take;
		p += take;
		n -= take;
	}
}

void accel__sbx_capture_finish(struct sbx_capture *c,
			       struct accel_sandbox_output *out)
{
	uint64_t kept = 0;
	size_t start = 0;

	if (c->ring) {
		kept = c->tail_written < c->tail_cap ? c->tail_written :
						       c->tail_cap;
		start = c->tail_written <= c->tail_cap ?
				0 :
				(size_t)(c->tail_written % c->tail_cap);
	}
	/* One buffer for the caller: the head, then the tail in order. */
	if (head_reserve(c, c->head_len + (uint32_t)kept) < 0 ||
	    head_reserve(c, 1) < 0) {
		kept = 0;
		if (!c->buf) {
			memset(out, 0, sizeof(*out));
			out->total = c->total;
			out->elided = c->total;
			return;
		}
	}
	if (kept) {
		size_t first = (size_t)kept - start;

		memcpy(c->buf + c->head_len, c->ring + start, first);
		memcpy(c->buf + c->head_len + first, c->ring, start);
	}
	out->data = c->buf;
	out->head_len = c->head_len;
	out->len = c->head_len + (uint32_t)kept;
	out->data[out->len] = '\0';
	out->total = c->total;
	out->elided = c->total - out->len;
	c->buf = NULL;
	c->buf_cap = 0;
	accel_free(c->ring);
	c->ring = NULL;
}

void accel__sbx_capture_free(struct sbx_capture *c)
{
	accel_free(c->buf);
	accel_free(c->ring);
	c->buf = c->ring = NULL;
	c->buf_cap = 0;
}
