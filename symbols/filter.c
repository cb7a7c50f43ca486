/* SPDX-License-Identifier: MIT */
/*
 * Pre-filter: which names can possibly match a query. A fuzzy match needs
 * every query character somewhere in the name, so one roaring bitmap of name
 * ids per character class, intersected rarest first, yields the only names
 * worth scoring. Uppercase letters get bitmaps of their own so that a smart
 * case query ("gTC") also demands its capitals.
 *
 * Presence alone lets through every name that holds the letters in any
 * order, so there is also one bitmap per ordered pair of classes (a, b):
 * names where some a occurs before some b. A subsequence match of "q0 q1
 * q2" needs the pairs (q0,q1) and (q1,q2); a query that allows one swapped
 * pair still needs the pairs two apart. This is what keeps a lowercase
 * abbreviation from scoring thousands of names.
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

uint64_t accel__filter_mask(const char *s, uint32_t len, uint32_t *upper)
{
	uint64_t m = 0;
	uint32_t u = 0;

	for (uint32_t i = 0; i < len; i++) {
		uint8_t c = (uint8_t)s[i];

		m |= 1ull << cls_of(c);
		if (c >= 'A' && c <= 'Z')
			u |= 1u << (c - 'A');
	}
	if (upper)
		*upper = u;
	return m;
}

int accel__filter_init(struct filter *f)
{
	memset(f, 0, sizeof(*f));
	for (int i = 0; i < FILTER_NCLASS; i++)
		if (!(f->cls[i] = roaring_bitmap_create()))
			goto err;
	for (int i = 0; i < FILTER_NUPPER; i++)
		if (!(f->upper[i] = roaring_bitmap_create()))
			goto err;
	for (int i = 0; i < FILTER_NPAIR; i++)
		if (!(f->pair[i] = roaring_bitmap_create()))
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
	for (int i = 0; i < FILTER_NUPPER; i++)
		if (f->upper[i])
			roaring_bitmap_free(f->upper[i]);
	for (int i = 0; i < FILTER_NPAIR; i++)
		if (f->pair[i])
			roaring_bitmap_free(f->pair[i]);
	memset(f, 0, sizeof(*f));
}

/*
 * Ordered pairs of a name: col[b] holds every class a that occurs somewhere
 * before an occurrence of class b, in one pass.
 */
static void name_pairs(const char *s, uint32_t len, uint64_t col[FILTER_NPC])
{
	uint64_t seen = 0;

	memset(col, 0, FILTER_NPC * sizeof(col[0]));
	for (uint32_t i = 0; i < len; i++) {
		unsigned b = cls_of((uint8_t)s[i]);

		if (b >= FILTER_NPC)
			continue;
		col[b] |= seen;
		seen |= 1ull << b;
	}
}

int accel__filter_add(struct filter *f, uint32_t id, const char *s,
		      uint32_t len, uint64_t mask, uint32_t upper)
{
	uint64_t col[FILTER_NPC];

	/* roaring_bitmap_add cannot report ENOMEM in this CRoaring version. */
	for (uint64_t m = mask; m; m &= m - 1)
		roaring_bitmap_add(f->cls[__builtin_ctzll(m)], id);
	for (uint32_t u = upper; u; u &= u - 1)
		roaring_bitmap_add(f->upper[__builtin_ctz(u)], id);
	name_pairs(s, len, col);
	for (unsigned b = 0; b < FILTER_NPC; b++)
		for (uint64_t a = col[b]; a; a &= a - 1)
			roaring_bitmap_add(
				f->pair[__builtin_ctzll(a) * FILTER_NPC + b],
				id);
	return 0;
}

void accel__filter_del(struct filter *f, uint32_t id, const char *s,
		       uint32_t len, uint64_t mask, uint32_t upper)
{
	uint64_t col[FILTER_NPC];

	for (uint64_t m = mask; m; m &= m - 1)
		roaring_bitmap_remove(f->cls[__builtin_ctzll(m)], id);
	for (uint32_t u = upper; u; u &= u - 1)
		roaring_bitmap_remove(f->upper[__builtin_ctz(u)], id);
	name_pairs(s, len, col);
	for (unsigned b = 0; b < FILTER_NPC; b++)
		for (uint64_t a = col[b]; a; a &= a - 1)
			roaring_bitmap_remove(
				f->pair[__builtin_ctzll(a) * FILTER_NPC + b],
				id);
}

void accel__filter_pairs_of(const uint8_t *q, uint32_t len, unsigned gap,
			    uint64_t col[FILTER_NPC])
{
	memset(col, 0, FILTER_NPC * sizeof(col[0]));
	for (uint32_t i = 0; i + gap < len; i++) {
		unsigned a = cls_of(q[i]), b = cls_of(q[i + gap]);

		if (a < FILTER_NPC && b < FILTER_NPC)
			col[b] |= 1ull << a;
	}
}

uint64_t accel__filter_bytes(const struct filter *f)
{
	uint64_t b = 0;

	for (int i = 0; i < FILTER_NCLASS; i++)
		b += roaring_bitmap_size_in_bytes(f->cls[i]);
	for (int i = 0; i < FILTER_NUPPER; i++)
		b += roaring_bitmap_size_in_bytes(f->upper[i]);
	for (int i = 0; i < FILTER_NPAIR; i++)
		b += roaring_bitmap_size_in_bytes(f->pair[i]);
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
					   uint64_t mask, uint32_t upper,
					   const uint64_t *pairs)
{
	const roaring_bitmap_t *set[FILTER_NCLASS + FILTER_NUPPER + 64];
	roaring_bitmap_t *all;
	int n = 0, np = 0;

	for (uint64_t m = mask; m; m &= m - 1)
		set[n++] = f->cls[__builtin_ctzll(m)];
	for (uint32_t u = upper; u; u &= u - 1)
		set[n++] = f->upper[__builtin_ctz(u)];
	/* At most 64 pair bitmaps: a longer query is selective anyway. */
	for (unsigned b = 0; pairs && b < FILTER_NPC && np < 64; b++)
		for (uint64_t a = pairs[b]; a && np < 64; a &= a - 1, np++)
			set[n++] = f->pair[__builtin_ctzll(a) * FILTER_NPC + b];
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
