/* SPDX-License-Identifier: MIT */
#ifndef ACCEL_COMPILER_H
#define ACCEL_COMPILER_H

#include <stddef.h>
#include <stdint.h>

/* Compiler helpers shared by every module. */

#define ACCEL_LIKELY(x)	     __builtin_expect(!!(x), 1)
#define ACCEL_UNLIKELY(x)    __builtin_expect(!!(x), 0)
#define ACCEL_CACHELINE	     64
#define ACCEL_ARRAY_SIZE(a)  (sizeof(a) / sizeof((a)[0]))
#define ACCEL_MIN(a, b)	     ((a) < (b) ? (a) : (b))
#define ACCEL_MAX(a, b)	     ((a) > (b) ? (a) : (b))
#define ACCEL_ALIGN_UP(x, a) (((x) + ((a)-1)) & ~((__typeof__(x))(a)-1))
#define ACCEL_EXPORT	     __attribute__((visibility("default")))
#define ACCEL_UNUSED	     __attribute__((unused))

/*
 * Overflow-safe range check: true when [off, off + len) lies inside
 * [base, base + size). Used on every offset a peer hands us.
 */
static inline int accel_range_ok(uint64_t off, uint64_t len, uint64_t base,
				 uint64_t size)
{
	uint64_t end;

	if (off < base || __builtin_add_overflow(off, len, &end))
		return 0;
	return end <= base + size;
}

#endif
