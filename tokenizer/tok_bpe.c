/* SPDX-License-Identifier: MIT */
/*
 * The BPE merge of one piece. tiktoken repeatedly merges the adjacent pair
 * of parts whose concatenated bytes have the lowest rank, the leftmost one
 * on a tie, until no pair is a token. Short pieces (nearly all of them) use
 * that algorithm as is, on the stack. Longer ones use a min-heap of
 * (rank, position) keys over a doubly linked list of parts, which makes the
 * same choices in O(n log n): a heap entry is stale when its pair has since
 * changed and is skipped when popped. Pieces longer than a chunk are merged
 * chunk by chunk so that the heap stays in cache; a chunk boundary is kept
 * only where the token pair across it is valid (tok_bt.c), otherwise the
 * last tokens are taken back and the boundary moves. That keeps a 1 MB run
 * of one character linear in practice and the result exactly tiktoken's.
 */
#include <errno.h>
#include <string.h>

#include "accel_alloc.h"
#include "tok_int.h"

/* Pieces up to this many bytes are merged with the quadratic scan. */
#define SMALL_PIECE 96

/* Keys of the short merge: rank above, position in the low byte. */
#define SMALL_KEY(rank, pos) \
	((rank) == TOK_NO_RANK ? TOK_NO_RANK : (rank) << 8 | (uint32_t)(pos))

/*
 * Built for AVX2 too where the CPU has it (the minimum over the keys is
 * twice as wide), chosen once at load time. Not under ThreadSanitizer: the
 * ifunc resolver runs during relocation, before the TSan runtime is up,
 * and its instrumented code crashes there.
 */
#if defined(__SANITIZE_THREAD__)
#define TOK_CLONES
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TOK_CLONES
#endif
#endif
#ifndef TOK_CLONES
#define TOK_CLONES __attribute__((target_clones("avx2", "default")))
#endif

TOK_CLONES static long bpe_small(const struct accel_tokenizer *tok,
				 const uint8_t *p, size_t n, uint32_t *ids)
{
	/*
	 * Parts are named by their first byte and linked both ways by
	 * nxt[]/prv[] (n ends the list); key[k] is the rank of part k joined
	 * with the next one and k itself (rank << 8 | k), or TOK_NO_RANK
	 * also for dead parts, so the lowest key is the lowest rank, the
	 * leftmost on a tie. Finding it is a plain minimum over the array,
	 * without branches or pointer chasing (the compiler vectorizes it);
	 * the links make a merge two lookups and no memmove.
	 */
	uint8_t nxt[SMALL_PIECE + 1], prv[SMALL_PIECE + 1];
	uint32_t key[SMALL_PIECE + 8] __attribute__((aligned(32)));
	uint32_t id[SMALL_PIECE];
	/* The scan covers whole vectors: keys past n are TOK_NO_RANK. */
	size_t k, o = 0, n8 = (n + 7) & ~(size_t)7;
	long parts = (long)n;

	_Static_assert(SMALL_PIECE < 256, "positions fit the key's low byte");
	for (k = 0; k < n; k++) {
		nxt[k] = (uint8_t)(k + 1);
		prv[k] = (uint8_t)(k - 1);
		id[k] = tok->byte_rank[p[k]];
	}
	for (k = 0; k + 1 < n; k++)
		key[k] = SMALL_KEY(tok->pair_rank[p[k] << 8 | p[k + 1]], k);
	for (k = n - 1; k < n8; k++)
		key[k] = TOK_NO_RANK;

	for (;;) {
		uint32_t min = TOK_NO_RANK, r;
		size_t best, right, after;

		for (k = 0; k < n8; k++)
			min = key[k] < min ? key[k] : min;
		if (min == TOK_NO_RANK)
			break;
		best = min & 0xff;
		right = nxt[best];
		after = nxt[right];
		id[best] = min >> 8;
		nxt[best] = (uint8_t)after;
		if (after < n)
			prv[after] = (uint8_t)best;
		key[right] = TOK_NO_RANK;
		parts--;
		r = after < n ?
			    accel__tok_rank(tok, p + best, nxt[after] - best) :
			    TOK_NO_RANK;
		key[best] = SMALL_KEY(r, best);
		/* Part 0 is never merged away: any other part has one before. */
		if (best > 0) {
			size_t before = prv[best];

			r = accel__tok_rank(tok, p + before, after - before);
			key[before] = SMALL_KEY(r, before);
		}
	}
	if (ids)
		for (k = 0; k < n; k = nxt[k])
			ids[o++] = id[k];
	return parts;
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
long accel__tok_bpe_heap(const struct accel_tokenizer *tok, const uint8_t *p,
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

/*
 * Chunk size of long pieces, and how much to take back at a bad seam. The
 * next chunk must reach past the old seam: BACKUP plus the longest token
 * (128 bytes in o200k_base) stays below CHUNK.
 */
#define CHUNK  512
#define BACKUP 256
/*
 * Chunks already merged in this piece, by content. A run of one character
 * or of a short unit (the pathological inputs: "-" * 1M, whitespace, one
 * CJK character repeated) has only a few distinct chunks, one per phase of
 * the unit against the chunk grid; each is merged once.
 */
#define CHUNK_MEMO 8

struct chunk_memo {
	uint64_t hash;
	size_t off, len; /* the chunk's bytes: p[off, off + len) */
	long k;		 /* ids[0, k) in memo_ids + slot * CHUNK */
};

/* Merges p[start, end) into out, reusing a memoized identical chunk. */
static long merge_chunk(const struct accel_tokenizer *tok, const uint8_t *p,
			size_t start, size_t end, uint32_t *out,
			struct chunk_memo *memo, uint32_t *memo_ids,
			unsigned *next_slot)
{
	size_t len = end - start;
	uint64_t h = XXH3_64bits(p + start, len);
	struct chunk_memo *m;
	long k;

	for (unsigned j = 0; j < CHUNK_MEMO; j++) {
		m = &memo[j];
		if (m->k > 0 && m->hash == h && m->len == len &&
		    !memcmp(p + m->off, p + start, len)) {
			memcpy(out, memo_ids + (size_t)j * CHUNK,
			       (size_t)m->k * sizeof(*out));
			return m->k;
		}
	}
	k = len <= SMALL_PIECE ? bpe_small(tok, p + start, len, out) :
				 accel__tok_bpe_heap(tok, p + start, len, out);
	if (k <= 0)
		return k;
	m = &memo[*next_slot];
	*m = (struct chunk_memo){ .hash = h, .off = start, .len = len, .k = k };
	memcpy(memo_ids + (size_t)*next_slot * CHUNK, out,
	       (size_t)k * sizeof(*out));
	*next_slot = (*next_slot + 1) % CHUNK_MEMO;
	return k;
}

static long bpe_chunked(const struct accel_tokenizer *tok, const uint8_t *p,
			size_t n, uint32_t *ids)
{
	struct chunk_memo memo[CHUNK_MEMO] = { 0 };
	size_t top = 0, start = 0;
	uint32_t *mem, *out, *memo_ids;
	unsigned next_slot = 0;
	long k = 0;

	mem = accel_malloc(((ids ? 0 : n) + (size_t)CHUNK_MEMO * CHUNK) *
			   sizeof(*mem));
	if (!mem)
		return -ENOMEM;
	memo_ids = mem;
	out = ids ? ids : mem + (size_t)CHUNK_MEMO * CHUNK;
	while (start < n) {
		size_t end = n - start <= CHUNK ? n : start + CHUNK;
		size_t back = 0;

		k = merge_chunk(tok, p, start, end, out + top, memo, memo_ids,
				&next_slot);
		if (k < 0)
			goto out;
		for (long j = 0; j < k; j++) {
			/* Outside the theory: merge the whole piece. */
			if (!accel__tok_usable(tok, out[top + j])) {
				k = accel__tok_bpe_heap(tok, p, n, out);
				goto out;
			}
		}
		if (top == 0 ||
		    accel__tok_valid_pair(tok, out[top - 1], out[top])) {
			top += (size_t)k;
			start = end;
			continue;
		}
		/*
		 * BPE would merge across the seam: drop this chunk and the
		 * last tokens before it; the next chunk spans the old seam.
		 */
		while (top > 0 && back < BACKUP) {
			top--;
			back += tok->off[out[top] + 1] - tok->off[out[top]];
		}
		/* Tokens too long for the chunk size: no progress possible. */
		if (back >= CHUNK) {
			k = accel__tok_bpe_heap(tok, p, n, out);
			goto out;
		}
		start -= back;
	}
	k = (long)top;
out:
	accel_free(mem);
	return k;
}

long accel__tok_bpe(const struct accel_tokenizer *tok, const uint8_t *p,
		    size_t n, uint32_t *ids)
{
	if (n <= SMALL_PIECE)
		return bpe_small(tok, p, n, ids);
	/* Part positions are 32-bit. */
	if (n >= UINT32_MAX)
		return -EOVERFLOW;
	return bpe_chunked(tok, p, n, ids);
}
