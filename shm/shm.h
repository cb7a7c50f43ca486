/* SPDX-License-Identifier: MIT */
#ifndef ACCEL_SHM_H
#define ACCEL_SHM_H

#include <stddef.h>
#include <stdint.h>

#include "shm_abi.h"

/*
 * The session mapping: its layout, its creation by the engine, its mapping by
 * the client, and the allocator that carves the two arenas into blocks.
 */

/* What a session asks for. Zero fields take the defaults below. */
struct accel_shm_params {
	uint32_t sq_entries; /* rounded up to a power of two */
	uint32_t cq_count;   /* completion rings: engine threads */
	uint64_t req_size;   /* request arena bytes, rounded up to 2^k */
	uint64_t res_size;   /* result arena bytes, rounded up to 2^k */
};

#define ACCEL_SHM_DEFAULT_SQ	4096
#define ACCEL_SHM_MAX_SQ	65536
#define ACCEL_SHM_MAX_CQS	64
#define ACCEL_SHM_DEFAULT_ARENA (64ull << 20)
#define ACCEL_SHM_MIN_ARENA	(1ull << 20)
#define ACCEL_SHM_MAX_ARENA	(1ull << 30)
#define ACCEL_SHM_BLOCK_MIN	256

/*
 * Every offset and size of a mapping. Both sides compute it with
 * accel_shm_layout() and keep it in private memory; bounds checks use this
 * copy, never the header in the mapping.
 */
struct accel_shm_layout {
	uint64_t map_size;
	uint32_t sq_entries, rq_entries, cq_entries, cq_count;
	uint64_t bell_off, sq_off, rq_off, cq_off, cq_stride;
	uint64_t req_off, req_size, res_off, res_size;
	uint32_t block_min;
};

/*
 * Computes the layout for params (defaults and clamping applied). Returns 0,
 * or -ACCEL_E_BAD_ARG when a size is out of range.
 */
int accel_shm_layout(const struct accel_shm_params *p,
		     struct accel_shm_layout *out);

/*
 * Engine: creates the memfd for layout l, sizes it, seals it against grow and
 * shrink (and further sealing), maps it shared and writes the header. Returns
 * 0 with *fd_out and *base_out set, or -errno. The fd is close-on-exec.
 */
int accel_shm_create(const struct accel_shm_layout *l, uint32_t engine_pid,
		     int *fd_out, void **base_out);

/*
 * Client: maps the memfd it received, checks the seals, the size (fstat), the
 * magic and the version, and recomputes the layout from the header so that a
 * damaged header is refused. Returns 0 with *l and *base_out set, or
 * -ACCEL_E_BAD_MAGIC, -ACCEL_E_VERSION, -ACCEL_E_PROTOCOL or -errno. Does not
 * take ownership of fd.
 */
int accel_shm_map(int fd, struct accel_shm_layout *l, void **base_out);

/* Unmaps a mapping made by accel_shm_create() or accel_shm_map(). */
void accel_shm_unmap(void *base, const struct accel_shm_layout *l);

/*
 * Arena allocator: a buddy allocator over one region of the mapping whose
 * bookkeeping lives entirely in private memory, so that nothing the peer
 * writes can corrupt it. Blocks are powers of two from block_min up to the
 * region size; offsets are mapping offsets. Not thread-safe: callers that
 * share one arena between threads hold their own (private) lock.
 */
struct accel_arena;

/* Returns 0 and a new arena over [off, off + size), or -ENOMEM/-EINVAL. */
int accel_arena_create(uint64_t off, uint64_t size, uint32_t block_min,
		       struct accel_arena **out);
void accel_arena_destroy(struct accel_arena *a);

/*
 * Allocates a block of at least len bytes (len > 0). Returns 0 with *off_out
 * set, -ENOSPC when no free block is large enough now, -ACCEL_E_TOO_LARGE
 * when len exceeds the whole region.
 */
int accel_arena_alloc(struct accel_arena *a, uint64_t len, uint64_t *off_out);

/*
 * Frees the block that starts at off. Returns 0, or -EINVAL when off is not
 * the start of an allocated block (a double or bogus release from a peer:
 * nothing changes).
 */
int accel_arena_free(struct accel_arena *a, uint64_t off);

/*
 * Shrinks the allocated block at off so that it still holds len bytes,
 * returning the unused upper halves to the arena. Returns 0 or -EINVAL.
 */
int accel_arena_trim(struct accel_arena *a, uint64_t off, uint64_t len);

/* Size of the allocated block at off, or 0 when off is not one. */
uint64_t accel_arena_block_size(const struct accel_arena *a, uint64_t off);

/* Bytes currently allocated and blocks currently allocated. */
uint64_t accel_arena_used(const struct accel_arena *a);
uint64_t accel_arena_blocks(const struct accel_arena *a);

/*
 * Handshake messages over the session socket: one message of exactly len
 * bytes, with at most one fd attached by SCM_RIGHTS (fd < 0: none). recv
 * stores a received fd (close-on-exec) in *fd_out, or -1; a message of the
 * wrong size is refused with -ACCEL_E_HANDSHAKE, EOF with -ACCEL_E_CLOSED, a
 * receive timeout (SO_RCVTIMEO) with -ACCEL_E_TIMEOUT.
 */
int accel_sock_send(int sock, const void *buf, size_t len, int fd);
int accel_sock_recv(int sock, void *buf, size_t len, int *fd_out);

#endif
