/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "accel_alloc.h"
#include "accel_err.h"
#include "shm.h"

/*
 * A binary buddy allocator whose state is private. The region is n = size /
 * block_min granules; a block of order k covers 2^k granules and starts at a
 * granule index that is a multiple of 2^k. state[g] describes the block that
 * starts at granule g (0 for granules inside a block); each order keeps a
 * doubly-linked free list threaded through next[]/prev[], indexed by granule.
 * Memory: 9 bytes of bookkeeping per granule, touched lazily.
 */

#define ST_FREE	   0x40
#define ST_USED	   0x80
#define ST_ORDER   0x3f
#define NIL	   UINT32_MAX
#define MAX_ORDERS 32

struct accel_arena {
	uint64_t off, size;
	uint32_t block_min, shift, max_order;
	uint64_t used, blocks;
	uint32_t head[MAX_ORDERS];
	uint8_t *state;
	uint32_t *next, *prev;
};

static void list_push(struct accel_arena *a, uint32_t g, uint32_t k)
{
	a->state[g] = ST_FREE | k;
	a->prev[g] = NIL;
	a->next[g] = a->head[k];
	if (a->head[k] != NIL)
		a->prev[a->head[k]] = g;
	a->head[k] = g;
}

static void list_del(struct accel_arena *a, uint32_t g, uint32_t k)
{
	if (a->prev[g] != NIL)
		a->next[a->prev[g]] = a->next[g];
	else
		a->head[k] = a->next[g];
	if (a->next[g] != NIL)
		a->prev[a->next[g]] = a->prev[g];
	a->state[g] = 0;
}

int accel_arena_create(uint64_t off, uint64_t size, uint32_t block_min,
		       struct accel_arena **out)
{
	struct accel_arena *a;
	uint64_t n;

	if (!block_min || (block_min & (block_min - 1)) || size < block_min ||
	    (size & (size - 1)) || size / block_min > UINT32_MAX)
		return -EINVAL;
	a = accel_calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	n = size / block_min;
	a->off = off;
	a->size = size;
	a->block_min = block_min;
	a->shift = (uint32_t)__builtin_ctz(block_min);
	a->max_order = (uint32_t)__builtin_ctzll(n);
	a->state = accel_calloc(n, 1);
	a->next = accel_malloc(n * sizeof(uint32_t));
	a->prev = accel_malloc(n * sizeof(uint32_t));
	if (!a->state || !a->next || !a->prev) {
		accel_arena_destroy(a);
		return -ENOMEM;
	}
	for (uint32_t k = 0; k < MAX_ORDERS; k++)
		a->head[k] = NIL;
	list_push(a, 0, a->max_order);
	*out = a;
	return 0;
}

void accel_arena_destroy(struct accel_arena *a)
{
	if (!a)
		return;
	accel_free(a->state);
	accel_free(a->next);
	accel_free(a->prev);
	accel_free(a);
}

static uint32_t order_for(const struct accel_arena *a, uint64_t len)
{
	uint64_t granules = (len + a->block_min - 1) >> a->shift;
	uint32_t k = 0;

	while ((1ull << k) < granules)
		k++;
	return k;
}

int accel_arena_alloc(struct accel_arena *a, uint64_t len, uint64_t *off_out)
{
	uint32_t want, k, g;

	if (len == 0)
		return -EINVAL;
	if (len > a->size)
		return -ACCEL_E_TOO_LARGE;
	want = order_for(a, len);
	for (k = want; k <= a->max_order && a->head[k] == NIL; k++)
		;
	if (k > a->max_order)
		return -ENOSPC;
	g = a->head[k];
	list_del(a, g, k);
	while (k > want) {
		k--;
		list_push(a, g + (1u << k), k);
	}
	a->state[g] = ST_USED | want;
	a->used += (uint64_t)a->block_min << want;
	a->blocks++;
	*off_out = a->off + ((uint64_t)g << a->shift);
	return 0;
}

/* Granule index of an allocated block start, or NIL. */
static uint32_t used_granule(const struct accel_arena *a, uint64_t off)
{
	uint64_t rel;

	if (off < a->off || off - a->off >= a->size)
		return NIL;
	rel = off - a->off;
	if (rel & (a->block_min - 1))
		return NIL;
	rel >>= a->shift;
	if (!(a->state[rel] & ST_USED))
		return NIL;
	return (uint32_t)rel;
}

int accel_arena_free(struct accel_arena *a, uint64_t off)
{
	uint32_t g = used_granule(a, off), k, b;

	if (g == NIL)
		return -EINVAL;
	k = a->state[g] & ST_ORDER;
	a->used -= (uint64_t)a->block_min << k;
	a->blocks--;
	a->state[g] = 0;
	while (k < a->max_order) {
		b = g ^ (1u << k);
		if (a->state[b] != (ST_FREE | k))
			break;
		list_del(a, b, k);
		g &= b;
		k++;
	}
	list_push(a, g, k);
	return 0;
}

int accel_arena_trim(struct accel_arena *a, uint64_t off, uint64_t len)
{
	uint32_t g = used_granule(a, off), k;

	if (g == NIL)
		return -EINVAL;
	k = a->state[g] & ST_ORDER;
	if (len == 0)
		len = 1;
	/*
	 * The upper half's buddy is the lower half, which stays in use, so
	 * the freed halves never merge here.
	 */
	while (k > 0 && len <= ((uint64_t)a->block_min << (k - 1))) {
		k--;
		list_push(a, g + (1u << k), k);
		a->used -= (uint64_t)a->block_min << k;
	}
	a->state[g] = ST_USED | k;
	return 0;
}

uint64_t accel_arena_block_size(const struct accel_arena *a, uint64_t off)
{
	uint32_t g = used_granule(a, off);

	if (g == NIL)
		return 0;
	return (uint64_t)a->block_min << (a->state[g] & ST_ORDER);
}

uint64_t accel_arena_used(const struct accel_arena *a)
{
	return a->used;
}

uint64_t accel_arena_blocks(const struct accel_arena *a)
{
	return a->blocks;
}
