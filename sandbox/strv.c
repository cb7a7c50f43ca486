/* SPDX-License-Identifier: MIT */
/*
 * Unpacking argv/env string vectors from a wire buffer. The engine's exec op
 * receives them from a peer it does not trust: every length is read once,
 * checked against what is left with overflow-safe arithmetic, and a string
 * with an embedded NUL is an error rather than silently cut short.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <endian.h>
#include <string.h>

#include "accel_alloc.h"
#include "accel_err.h"
#include "sandbox.h"

/* Kernel limits: one string (MAX_ARG_STRLEN) and the vector as a whole. */
#define STR_MAX	  (32u * 4096)
#define TOTAL_MAX (2u * 1024 * 1024)

int accel_sandbox_strv_unpack(const void *buf, size_t len, uint32_t count,
			      int err, char ***out)
{
	const uint8_t *p = buf;
	size_t off = 0, bytes = 0;
	char **v, *s;

	*out = NULL;
	if (count > TOTAL_MAX / 8)
		return err;
	/* First pass: validate and size. */
	for (uint32_t i = 0; i < count; i++) {
		uint32_t l;

		if (len - off < 4)
			return err;
		memcpy(&l, p + off, 4);
		l = le32toh(l);
		off += 4;
		if (l > STR_MAX || l > len - off)
			return err;
		if (memchr(p + off, '\0', l))
			return err;
		off += l;
		bytes += (size_t)l + 1;
		if (bytes > TOTAL_MAX)
			return err;
	}
	if (off != len)
		return err;
	v = accel_malloc((count + 1) * sizeof(*v) + bytes);
	if (!v)
		return -ENOMEM;
	s = (char *)(v + count + 1);
	off = 0;
	/* Second pass over the same bytes. The buffer must be private to
	 * the caller (the engine copies it out of the shared mapping first),
	 * so the lengths cannot change between the passes. */
	for (uint32_t i = 0; i < count; i++) {
		uint32_t l;

		memcpy(&l, p + off, 4);
		l = le32toh(l);
		off += 4;
		memcpy(s, p + off, l);
		s[l] = '\0';
		v[i] = s;
		s += l + 1;
		off += l;
	}
	v[count] = NULL;
	*out = v;
	return 0;
}
