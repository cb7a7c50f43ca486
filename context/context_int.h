/* SPDX-License-Identifier: MIT */
#ifndef ACCEL_CONTEXT_INT_H
#define ACCEL_CONTEXT_INT_H

#include <stddef.h>
#include <stdint.h>

#include <zstd.h>

#include "context.h"

/* Private to the context module. */

struct accel_context_zstd {
	ZSTD_CCtx *c;
	ZSTD_DCtx *d;
	/* ACCEL_CONTEXT_STREAM_* while a stream is open, else 0. */
	int streaming;
	/* The DCtx may reference a dictionary (set by a stream). */
	int dctx_ref;
};

/* Maps a zstd error return to -ACCEL_E_* or -errno. */
int accel__context_zstd_err(size_t ret);

/*
 * Store file layout (docs/context.md). All fields little-endian.
 *
 * File header, 32 bytes: magic u32, version u32, header size u32, dict id
 * u32, resv[8], XXH3-64 of bytes [0, 24) u64.
 *
 * Record header, 40 bytes, followed by comp_len payload bytes: magic u32,
 * type u8, pad[3] (zero), key lo u64, key hi u64, raw_len u32, comp_len u32,
 * check u64 = XXH3_64(payload, seed = XXH3_64(record header bytes [0, 32))).
 */
#define STORE_FILE_MAGIC   0x53435841u /* "AXCS" */
#define STORE_FILE_VERSION 1u
#define STORE_FILE_HDR	   32
#define STORE_REC_MAGIC	   0x52435841u /* "AXCR" */
#define STORE_REC_HDR	   40
#define STORE_REC_PUT	   1 /* a new block; payload is its zstd frame */
#define STORE_REC_REF	   2 /* one more reference to a held block */
#define STORE_REC_DEL	   3 /* one reference fewer */

/*
 * Replays the records in buf (the file after its header) into st. Stops at
 * the first record that is short or fails its check and sets *good to the
 * length of the valid prefix. Returns 0 or -ENOMEM. Exposed for the loader
 * fuzz target.
 */
struct accel_context_store;
int accel__context_store_replay(struct accel_context_store *st,
				const unsigned char *buf, size_t len,
				size_t *good);

/*
 * Writes iov (iovcnt entries, modified as it goes) at off on fd through ring,
 * in full; with sync, a linked fdatasync follows. The caller owns the ring
 * exclusively for the call. Returns 0 or -errno.
 */
struct io_uring;
struct iovec;
int accel__context_ring_write(struct io_uring *ring, int fd, struct iovec *iov,
			      int iovcnt, uint64_t off, int sync);

#endif
