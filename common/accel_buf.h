/* SPDX-License-Identifier: MIT */
#ifndef ACCEL_BUF_H
#define ACCEL_BUF_H

#include <stddef.h>

/*
 * A growable byte buffer (accel_alloc.h memory): zero-initialise, append,
 * take p and len, accel_free(p). Capacity doubles, from 256 bytes.
 */
struct accel_buf {
	char *p;
	size_t len, cap;
};

/* Makes room for extra more bytes after len. Returns 0 or -ENOMEM. */
int accel_buf_reserve(struct accel_buf *b, size_t extra);

/* Appends n bytes of p. Returns 0 or -ENOMEM. */
int accel_buf_put(struct accel_buf *b, const void *p, size_t n);

#endif
