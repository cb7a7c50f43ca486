/* SPDX-License-Identifier: MIT */
/*
 * The BPE merge of one piece. tiktoken repeatedly merges the adjacent pair
 * of parts whose concatenated bytes have the lowest rank, the leftmost one
 * on a tie, until no pair is a token. Short pieces (nearly all of them) use
 * that algorithm as is, on the stack. Long pieces use a min-heap of
 * (rank, position) keys over a doubly linked list of parts, which makes the
 * same choices in O(n log n): a heap entry is stale when its pair has since
 * changed and is skipped when popped.
 */
#include <errno.h>
#include <string.h>

#include "accel_alloc.h"
#include "tok_int.h"

/* Pieces up to this many bytes are merged with the quadratic scan. */
#define SMALL_PIECE 96

static long bpe_small(const struct accel_tokenizer *tok, const uint8_t *p,
		      size_t n, uint32_t *ids)
{
	/* start[k]: first byte of part k; pair[k]: rank of parts k, k+1. */
	uint32_t start[SMALL_PIECE + 1], pair[SMALL_PIECE + 1];
	uint32_t id[SMALL_PIECE + 1];
	size_t parts = n, k, best;
	uint32_t min;

	for (k = 0; k < n; k++) {
		start[k] = (uint32_t)k;
		id[k] = tok->byte_rank[p[k]];
	}
	start[n] = (uint32_t)n;
	for (k = 0; k + 1 < n; k++)
		pair[k] = accel__tok_rank(tok, p + k, 2);
	pair[n - 1] = TOK_NO_RANK;

	for (;;) {
		min = TOK_NO_RANK;
		best = 0;
		for (k = 0; k + 1 < parts; k++) {
			if (pair[k] < min) {
				min = pair[k];
				best = k;
			}
		}
		if (min == TOK_NO_RANK)
			break;
		/* Merge parts best and best + 1 into the token `min`. */
		id[best] = min;
		memmove(start + best + 1, start + best + 2,
			(parts - best - 1) * sizeof(start[0]));
		memmove(id + best + 1, id + best + 2,
			(parts - best - 2) * sizeof(id[0]));
		memmove(pair + best + 1, pair + best + 2,
			(parts - best - 2) * sizeof(pair[0]));
		parts--;
		if (best + 1 < parts)
			pair[best] =
				accel__tok_rank(tok, p + start[best],
						start[best + 2] - start[best]);
		else
			pair[best] = TOK_NO_RANK;
		if (best > 0)
			pair[best - 1] = accel__tok_rank(
				tok, p + start[best - 1],
				start[best + 1] - start[best - 1]);
	}
	if (ids)
		memcpy(ids, id, parts * sizeof(id[0]));
	return (long)parts;
}

/* Heap keys: rank in the high half, position in the low half. */
static inline uint64_t key(uint32_t rank, uint32_t pos)
{
	return ((uint64_t)rank << 32) | pos;
}

static void sift_down(uint64_t *h, size_t n, size_t i)
{
	uint64_t v = h[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && h[c + 1] < h[c])
			c++;
		if (h[c] >= v)
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = v;
}

static void sift_up(uint64_t *h, size_t i)
{
	uint64_t v = h[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (h[parent] <= v)
			break;
		h[i] = h[parent];
		i = parent;
	}
	h[i] = v;
}

/*
 * Parts are identified by their first byte. next[k]/prev[k] link live
 * parts, pair[k] is the rank of the pair starting at live part k (or
 * TOK_NO_RANK), id[k] the token of part k.
 */
static long bpe_heap(const struct accel_tokenizer *tok, const uint8_t *p,
		     size_t n, uint32_t *ids)
{
	uint32_t *next, *prev, *pair, *id;
	uint64_t *heap;
	size_t hn = 0, hcap = 2 * n, k;
	long parts = (long)n;
	void *mem;

	/* Each merge pushes at most two entries: n - 1 + 2 (n - 1) total. */
	hcap = 3 * n;
	mem = accel_malloc(n * 4 * sizeof(uint32_t) + hcap * sizeof(uint64_t));
	if (!mem)
		return -ENOMEM;
	heap = mem;
	next = (uint32_t *)(heap + hcap);
	prev = next + n;
	pair = prev + n;
	id = pair + n;

	for (k = 0; k < n; k++) {
		next[k] = (uint32_t)(k + 1);
		prev[k] = (uint32_t)(k - 1);
		id[k] = tok->byte_rank[p[k]];
		pair[k] = k + 1 < n ? accel__tok_rank(tok, p + k, 2) :
				      TOK_NO_RANK;
		if (pair[k] != TOK_NO_RANK)
			heap[hn++] = key(pair[k], (uint32_t)k);
	}
	for (k = hn / 2; k-- > 0;)
		sift_down(heap, hn, k);

	while (hn > 0) {
		uint64_t top = heap[0];
		uint32_t rank = (uint32_t)(top >> 32), pos = (uint32_t)top;
		uint32_t right, after;

		heap[0] = heap[--hn];
		if (hn)
			sift_down(heap, hn, 0);
		/* Stale: the pair at pos has changed (or pos was merged). */
		if (pair[pos] != rank)
			continue;
		right = next[pos];
		after = next[right];
		id[pos] = rank;
		next[pos] = after;
		if (after < n)
			prev[after] = pos;
		pair[right] = TOK_NO_RANK;
		parts--;

		pair[pos] = after < n ? accel__tok_rank(tok, p + pos,
							next[after] - pos) :
					TOK_NO_RANK;
		if (pair[pos] != TOK_NO_RANK) {
			heap[hn] = key(pair[pos], pos);
			sift_up(heap, hn++);
		}
		if (pos > 0) {
			uint32_t left = prev[pos];

			pair[left] =
				accel__tok_rank(tok, p + left, after - left);
			if (pair[left] != TOK_NO_RANK) {
				heap[hn] = key(pair[left], left);
				sift_up(heap, hn++);
			}
		}
	}
	if (ids) {
		size_t o = 0;

		for (k = 0; k < n; k = next[k])
			ids[o++] = id[k];
	}
	accel_free(mem);
	return parts;
}

long accel__tok_bpe(const struct accel_tokenizer *tok, const uint8_t *p,
		    size_t n, uint32_t *ids)
{
	if (n <= SMALL_PIECE)
		return bpe_small(tok, p, n, ids);
	return bpe_heap(tok, p, n, ids);
}
