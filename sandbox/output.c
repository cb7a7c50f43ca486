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
	memset(c, 0, sizeof(*c));
	c->head_cap = head;
	c->tail_cap = tail;
	c->buf = accel_malloc((size_t)head + tail + 1);
	return c->buf ? 0 : -ENOMEM;
}

void accel__sbx_capture_add(struct sbx_capture *c, const char *p, size_t n)
{
	char *ring = c->buf + c->head_cap;
	size_t take;

	c->total += n;
	if (c->head_len < c->head_cap) {
		take = c->head_cap - c->head_len;
		if (take > n)
			take = n;
		memcpy(c->buf + c->head_len, p, take);
		c->head_len += (uint32_t)take;
		p += take;
		n -= take;
	}
	if (!n || !c->tail_cap)
		return;
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
		memcpy(ring + at, p, take);
		c->tail_written += take;
		p += take;
		n -= take;
	}
}

void accel__sbx_capture_finish(struct sbx_capture *c,
			       struct accel_sandbox_output *out)
{
	char *ring = c->buf + c->head_cap;
	uint64_t kept = c->tail_written < c->tail_cap ? c->tail_written :
							c->tail_cap;
	size_t start = c->tail_written <= c->tail_cap ?
			       0 :
			       (size_t)(c->tail_written % c->tail_cap);
	char *dst = c->buf + c->head_len;

	/* Rotate the ring so the tail reads in order right after the head.
	 * The ring sits right after the head's capacity; when the head is
	 * short the tail is empty, so there is no overlap to worry about
	 * beyond memmove's. */
	if (kept) {
		if (start == 0) {
			memmove(dst, ring, (size_t)kept);
		} else {
			/* Rotate in place: reverse the two parts and the
			 * whole (no scratch memory). */
			size_t a = start, n = (size_t)kept;
			char *r = ring;

			for (size_t i = 0, j = a - 1; i < j; i++, j--) {
				char t = r[i];
				r[i] = r[j];
				r[j] = t;
			}
			for (size_t i = a, j = n - 1; i < j; i++, j--) {
				char t = r[i];
				r[i] = r[j];
				r[j] = t;
			}
			for (size_t i = 0, j = n - 1; i < j; i++, j--) {
				char t = r[i];
				r[i] = r[j];
				r[j] = t;
			}
			memmove(dst, ring, n);
		}
	}
	out->data = c->buf;
	out->head_len = c->head_len;
	out->len = c->head_len + (uint32_t)kept;
	out->data[out->len] = '\0';
	out->total = c->total;
	out->elided = c->total - out->len;
	c->buf = NULL;
}

void accel__sbx_capture_free(struct sbx_capture *c)
{
	accel_free(c->buf);
	c->buf = NULL;
}
