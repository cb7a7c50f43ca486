/* SPDX-License-Identifier: MIT */
#ifndef ACCEL_LE_H
#define ACCEL_LE_H

#include <stdint.h>
#include <string.h>

/*
 * Little-endian fields at any alignment: the wire layouts, the op inputs and
 * results, and the files (store, journal, snapshots) are little-endian on
 * every host. memcpy compiles to one load or store.
 */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define ACCEL_LE16(v) __builtin_bswap16(v)
#define ACCEL_LE32(v) __builtin_bswap32(v)
#define ACCEL_LE64(v) __builtin_bswap64(v)
#else
#define ACCEL_LE16(v) (v)
#define ACCEL_LE32(v) (v)
#define ACCEL_LE64(v) (v)
#endif

static inline uint16_t accel_le16(const void *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return ACCEL_LE16(v);
}

static inline uint32_t accel_le32(const void *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return ACCEL_LE32(v);
}

static inline uint64_t accel_le64(const void *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return ACCEL_LE64(v);
}

static inline void accel_put_le32(void *p, uint32_t v)
{
	v = ACCEL_LE32(v);
	memcpy(p, &v, sizeof(v));
}

static inline void accel_put_le64(void *p, uint64_t v)
{
	v = ACCEL_LE64(v);
	memcpy(p, &v, sizeof(v));
}

#endif
