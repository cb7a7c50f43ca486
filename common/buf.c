/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "accel_alloc.h"
#include "accel_buf.h"

int accel_buf_reserve(struct accel_buf *b, size_t extra)
{
	size_t cap;
	char *p;

	if (b->len + extra <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + extra)
		cap *= 2;
	p = accel_realloc(b->p, cap);
	if (!p)
		return -ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

int accel_buf_put(struct accel_buf *b, const void *p, size_t n)
{
	if (!n)
		return 0;
	if (accel_buf_reserve(b, n))
		return -ENOMEM;
	memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}
