/* SPDX-License-Identifier: MIT */
/*
 * Valid token pairs, after the backtracking encoder of GitHub's "bpe" crate
 * (rust-gems): BPE's output is the unique encoding of a piece in which
 * every adjacent pair of tokens is one that BPE itself would leave
 * unmerged. valid_pair() decides that for two tokens by unwinding the
 * merges that built them. The long-piece merge (tok_bpe.c) encodes chunks
 * independently and accepts a chunk boundary only when the pair across it
 * is valid, which makes the chunked result equal to the whole-piece one.
 *
 * What it needs from the vocabulary, built once at load:
 * - split[t]: the two tokens BPE merged last to make t (t, t for a single
 *   byte, and for a token BPE can never produce);
 * - pairs: (left, right) -> t for those splits.
 * tests/tokenizer checks the chunked merge against the heap merge and a
 * plain reference merge on real and pathological inputs.
 */
#include <errno.h>
#include <string.h>

#include "accel_alloc.h"
#include "tok_int.h"

#define NONE UINT32_MAX

static inline uint64_t pair_hash(uint32_t a, uint32_t b)
{
	uint64_t k = ((uint64_t)a << 32) | b;

	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return k;
}

static inline uint32_t pair_get(const struct tok_bt *bt, uint32_t a, uint32_t b)
{
	uint64_t key = ((uint64_t)a << 32) | b;

	for (uint64_t i = pair_hash(a, b) & bt->pmask;;
	     i = (i + 1) & bt->pmask) {
		if (bt->pairs[i].val == NONE)
			return NONE;
		if (bt->pairs[i].key == key)
			return bt->pairs[i].val;
	}
}

static void pair_put(struct tok_bt *bt, uint32_t a, uint32_t b, uint32_t v)
{
	uint64_t key = ((uint64_t)a << 32) | b;
	uint64_t i = pair_hash(a, b) & bt->pmask;

	while (bt->pairs[i].val != NONE)
		i = (i + 1) & bt->pmask;
	bt->pairs[i].key = key;
	bt->pairs[i].val = v;
}

/*
 * Would BPE leave tokens t1 t2 side by side? Unwinds the merges that built
 * t1 (from its right end) and t2 (from its left end) and fails when some
 * pair across the boundary merges before the merges that built them.
 */
static int valid_pair(const struct tok_bt *bt, uint32_t t1, uint32_t t2)
{
	uint32_t limit = NONE, c;

	for (;;) {
		c = pair_get(bt, t1, t2);
		if (c != NONE && c < limit)
			return 0;
		if (t1 > t2) {
			limit = t1;
			t1 = bt->split[t1].right;
			if (t1 == limit) {
				limit = t2 + 1;
				t2 = bt->split[t2].left;
				if (t2 + 1 == limit)
					return 1;
			}
		} else {
			limit = t2 + 1;
			t2 = bt->split[t2].left;
			if (t2 + 1 == limit) {
				limit = t1;
				t1 = bt->split[t1].right;
				if (t1 == limit)
					return 1;
			}
		}
	}
}

static inline uint32_t tlen(const struct accel_tokenizer *tok, uint32_t t)
{
	return tok->off[t + 1] - tok->off[t];
}

/* Is t a token BPE can produce (a byte, or a merge with a valid split)? */
static inline int usable(const struct accel_tokenizer *tok, uint32_t t)
{
	return tok->bt.split[t].left != t || tlen(tok, t) == 1;
}

int accel__tok_usable(const struct accel_tokenizer *tok, uint32_t t)
{
	return usable(tok, t);
}

int accel__tok_valid_pair(const struct accel_tokenizer *tok, uint32_t t1,
			  uint32_t t2)
{
	return valid_pair(&tok->bt, t1, t2);
}

int accel__tok_bt_build(struct accel_tokenizer *tok)
{
	struct tok_bt *bt = &tok->bt;
	uint32_t n = tok->n_ranks;
	size_t cap;

	for (cap = 1024; cap < 2 * (size_t)n; cap *= 2)
		;
	bt->split = accel_malloc(n * sizeof(*bt->split));
	bt->pairs = accel_malloc(cap * sizeof(*bt->pairs));
	if (!bt->split || !bt->pairs)
		return -ENOMEM;
	bt->pmask = cap - 1;
	for (size_t k = 0; k < cap; k++)
		bt->pairs[k].val = NONE;

	/*
	 * Ranks are merge order, so the parts of t have smaller ranks and
	 * their splits are known when t is reached.
	 */
	for (uint32_t t = 0; t < n; t++) {
		const uint8_t *b = tok->bytes + tok->off[t];
		uint32_t len = tlen(tok, t);

		bt->split[t].left = bt->split[t].right = t;
		for (uint32_t l = len - 1; l >= 1; l--) {
			uint32_t t1 = accel__tok_rank(tok, b, l), t2;

			if (t1 == NONE || t1 >= t)
				continue;
			t2 = accel__tok_rank(tok, b + l, len - l);
			if (t2 == NONE || t2 >= t)
				continue;
			if (!usable(tok, t1) || !usable(tok, t2) ||
			    !valid_pair(bt, t1, t2))
				continue;
			pair_put(bt, t1, t2, t);
			bt->split[t].left = t1;
			bt->split[t].right = t2;
			break;
		}
	}
	return 0;
}

void accel__tok_bt_free(struct accel_tokenizer *tok)
{
	accel_free(tok->bt.split);
	accel_free(tok->bt.pairs);
}
