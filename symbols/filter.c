/* SPDX-License-Identifier: MIT */
/*
 * Pre-filter: which names can possibly match a query. A fuzzy match needs
 * every query character somewhere in the name, so one roaring bitmap of name
 * ids per character class, intersected rarest first, yields the only names
 * worth scoring. Letters also get one bitmap per case, so that a
 * case-sensitive query ("gTC" under smart case) demands a lowercase g and
 * capitals T and C, which keeps ALL_CAPS macros out of camelCase queries.
 *
 * Presence alone lets through every name that holds the letters in any
 * order, so each name also has a 256-bit signature of its ordered pairs of
 * classes (a, b): some a occurs before some b, hashed to one bit. A
 * subsequence match of "q0 q1 q2" needs the pairs (q0,q1) and (q1,q2); a
 * query that allows one swapped pair still needs the pairs two apart. The
 * signature test costs four ANDs per candidate and rejects most of the
 * names that hold the letters in the wrong order, before any scoring. (One
 * roaring bitmap per pair was tried first: as selective, but ten times the
 * memory and build time.)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "symbols_int.h"

#define C_OTHER	   40
#define C_NONASCII 41

/* Built at first use would need a lock; a constant table needs none. */
#define L(c) [c] = (c) - 'a'
#define U(c) [c] = (c) - 'A'
#define D(c) [c] = 26 + (c) - '0'
const uint8_t accel__char_class[256] = {
	/* Everything not listed below is "other ASCII"; fixed up by init. */
	L('a'),	    L('b'),	L('c'),	    L('d'), L('e'), L('f'), L('g'),
	L('h'),	    L('i'),	L('j'),	    L('k'), L('l'), L('m'), L('n'),
	L('o'),	    L('p'),	L('q'),	    L('r'), L('s'), L('t'), L('u'),
	L('v'),	    L('w'),	L('x'),	    L('y'), L('z'), U('A'), U('B'),
	U('C'),	    U('D'),	U('E'),	    U('F'), U('G'), U('H'), U('I'),
	U('J'),	    U('K'),	U('L'),	    U('M'), U('N'), U('O'), U('P'),
	U('Q'),	    U('R'),	U('S'),	    U('T'), U('U'), U('V'), U('W'),
	U('X'),	    U('Y'),	U('Z'),	    D('0'), D('1'), D('2'), D('3'),
	D('4'),	    D('5'),	D('6'),	    D('7'), D('8'), D('9'), ['_'] = 36,
	['$'] = 37, ['-'] = 38, ['.'] = 39,
};
#undef L
#undef U
#undef D

/*
 * The table above leaves 0 (the class of 'a') for unlisted bytes, so
 * classify through this helper that knows which bytes are listed.
 */
static inline unsigned cls_of(uint8_t c)
{
	if (c >= 0x80)
		return C_NONASCII;
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '$' || c == '-' ||
	    c == '.')
		return accel__char_class[c];
	return C_OTHER;
}

uint64_t accel__filter_mask(const char *s, uint32_t len, uint64_t *cased)
{
	uint64_t m = 0, u = 0;

	for (uint32_t i = 0; i < len; i++) {
		uint8_t c = (uint8_t)s[i];

		m |= 1ull << cls_of(c);
		if (c >= 'A' && c <= 'Z')
			u |= 1ull << (c - 'A');
		else if (c >= 'a' && c <= 'z')
			u |= 1ull << (32 + c - 'a');
	}
	if (cased)
		*cased = u;
	return m;
}

int accel__filter_init(struct filter *f)
{
	memset(f, 0, sizeof(*f));
	for (int i = 0; i < FILTER_NCLASS; i++)
		if (!(f->cls[i] = roaring_bitmap_create()))
			goto err;
	for (int i = 0; i < FILTER_NCASED; i++)
		if (!(f->cased[i] = roaring_bitmap_create()))
			goto err;
	return 0;
err:
	accel__filter_fini(f);
	return -ENOMEM;
}

void accel__filter_fini(struct filter *f)
{
	for (int i = 0; i < FILTER_NCLASS; i++)
		if (f->cls[i])
			roaring_bitmap_free(f->cls[i]);
	for (int i = 0; i < FILTER_NCASED; i++)
		if (f->cased[i])
			roaring_bitmap_free(f->cased[i]);
	memset(f, 0, sizeof(*f));
}

int accel__filter_add(struct filter *f, uint32_t id, uint64_t mask,
		      uint64_t cased)
{
	/* roaring_bitmap_add cannot report ENOMEM in this CRoaring version. */
	for (uint64_t m = mask; m; m &= m - 1)
		roaring_bitmap_add(f->cls[__builtin_ctzll(m)], id);
	for (uint64_t u = cased; u; u &= u - 1)
		roaring_bitmap_add(f->cased[__builtin_ctzll(u)], id);
	return 0;
}

void accel__filter_del(struct filter *f, uint32_t id, uint64_t mask,
		       uint64_t cased)
{
	for (uint64_t m = mask; m; m &= m - 1)
		roaring_bitmap_remove(f->cls[__builtin_ctzll(m)], id);
	for (uint64_t u = cased; u; u &= u - 1)
		roaring_bitmap_remove(f->cased[__builtin_ctzll(u)], id);
}

/* Bit of the signature that stands for the ordered pair (a, b). */
static inline unsigned pair_bit(unsigned a, unsigned b)
{
	return ((a * 41u + b) * 0x9e3779b1u) >> 24;
}

void accel__pair_sig(const char *s, uint32_t len, struct pair_sig *sig)
{
	uint64_t col[FILTER_NPC], seen = 0;

	/* col[b]: every class a that occurs before some b, in one pass. */
	memset(col, 0, sizeof(col));
	for (uint32_t i = 0; i < len; i++) {
		unsigned b = cls_of((uint8_t)s[i]);

		if (b >= FILTER_NPC)
			continue;
		col[b] |= seen;
		seen |= 1ull << b;
	}
	memset(sig, 0, sizeof(*sig));
	for (unsigned b = 0; b < FILTER_NPC; b++)
		for (uint64_t a = col[b]; a; a &= a - 1) {
			unsigned k = pair_bit((unsigned)__builtin_ctzll(a), b);

			sig->w[k >> 6] |= 1ull << (k & 63);
		}
}

void accel__pair_sig_query(const uint8_t *q, uint32_t len, unsigned gap,
			   struct pair_sig *sig)
{
	memset(sig, 0, sizeof(*sig));
	for (uint32_t i = 0; i + gap < len; i++) {
		unsigned a = cls_of(q[i]), b = cls_of(q[i + gap]), k;

		if (a >= FILTER_NPC || b >= FILTER_NPC)
			continue;
		k = pair_bit(a, b);
		sig->w[k >> 6] |= 1ull << (k & 63);
	}
}

uint64_t accel__filter_bytes(const struct filter *f)
{
	uint64_t b = 0;

	for (int i = 0; i < FILTER_NCLASS; i++)
		b += roaring_bitmap_size_in_bytes(f->cls[i]);
	for (int i = 0; i < FILTER_NCASED; i++)
		b += roaring_bitmap_size_in_bytes(f->cased[i]);
	return b;
}

static int by_card(const void *a, const void *b)
{
	const roaring_bitmap_t *x = *(roaring_bitmap_t *const *)a;
	const roaring_bitmap_t *y = *(roaring_bitmap_t *const *)b;
	uint64_t cx = roaring_bitmap_get_cardinality(x);
	uint64_t cy = roaring_bitmap_get_cardinality(y);

	return cx < cy ? -1 : cx > cy;
}

roaring_bitmap_t *accel__filter_candidates(const struct filter *f,
					   uint64_t mask, uint64_t cased)
{
	const roaring_bitmap_t *set[FILTER_NCLASS + FILTER_NCASED];
	roaring_bitmap_t *all;
	int n = 0;

	for (uint64_t m = mask; m; m &= m - 1)
		set[n++] = f->cls[__builtin_ctzll(m)];
	for (uint64_t u = cased; u; u &= u - 1)
		set[n++] = f->cased[__builtin_ctzll(u)];
	if (!n)
		return roaring_bitmap_create();
	/* Rarest first keeps every intermediate result small. */
	qsort(set, n, sizeof(set[0]), by_card);
	all = n > 1 ? roaring_bitmap_and(set[0], set[1]) :
		      roaring_bitmap_copy(set[0]);
	for (int i = 2; all && i < n; i++) {
		if (roaring_bitmap_is_empty(all))
			break;
		roaring_bitmap_and_inplace(all, set[i]);
	}
	return all;
}
