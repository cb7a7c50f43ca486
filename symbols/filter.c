/* SPDX-License-Identifier: MIT */
/*
 * Pre-filter: which names can possibly match a query, without reading a
 * byte of any name.
 *
 * A fuzzy match needs every query character somewhere in the name, so
 * there is one bitset of name ids per character class. Letters also get
 * one bitset per case, so that a case-sensitive query ("gTC" under smart
 * case) demands a lowercase g and capitals T and C, which keeps ALL_CAPS
 * macros out of camelCase queries.
 *
 * Presence alone lets through every name that holds the letters in any
 * order, so each name also has a 512-bit signature of its ordered pairs of
 * classes (a, b): some a occurs before some b, hashed to one bit. A
 * subsequence match of "q0 q1 q2" needs the pairs (q0,q1), (q1,q2) and
 * (q0,q2); a query that allows one swapped pair still needs the pairs two
 * or more apart. Checking all the pairs up to PAIR_MAX_GAP apart, not only
 * the adjacent ones, halves what passes on long C identifiers.
 *
 * The signatures are stored bit-sliced, as signature files are: one more
 * bitset per signature bit. A scan ANDs the rows of the query's classes
 * and of its pairs' bits a word (64 names) at a time, rarest row first,
 * and reads the survivors off with ctz. The rows are read sequentially and
 * most words are settled after a few loads, so the scan costs a fraction
 * of what reading each candidate's signature from memory did (at a
 * million symbols "reeotora" finds the classes in 70K names, the pairs in
 * 11K; a 256-bit signature let 14K through, and those survivors, a cache
 * miss each, are what the slowest queries spend their time on). Plain
 * bitsets rather than roaring bitmaps: the ids are dense, and no
 * intermediate set is built. 612 rows of one bit per name are 76.5 bytes
 * a name.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "accel_alloc.h"
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
	return 0;
}

void accel__filter_fini(struct filter *f)
{
	accel_free(f->bits);
	accel_free(f->sum);
	memset(f, 0, sizeof(*f));
}

/* Summary words a row of nw words needs. */
static inline uint32_t nsum_of(uint32_t nw)
{
	return (nw + 63) / 64;
}

int accel__filter_reserve(struct filter *f, uint32_t cap)
{
	uint32_t nw = (uint32_t)(((uint64_t)cap + 63) / 64), w = f->nwords;
	uint32_t ns, os = nsum_of(w);
	uint64_t *bits, *sum;

	if (nw <= w)
		return 0;
	nw = (uint32_t)accel__grow_cap(w, nw, 8);
	ns = nsum_of(nw);
	bits = accel_calloc((size_t)FILTER_NSETS * nw, sizeof(*bits));
	sum = accel_calloc((size_t)FILTER_NSETS * ns, sizeof(*sum));
	if (!bits || !sum) {
		accel_free(bits);
		accel_free(sum);
		return -ENOMEM;
	}
	for (uint32_t r = 0; w && r < FILTER_NSETS; r++) {
		memcpy(bits + (size_t)r * nw, f->bits + (size_t)r * w,
		       w * sizeof(*bits));
		memcpy(sum + (size_t)r * ns, f->sum + (size_t)r * os,
		       os * sizeof(*sum));
	}
	accel_free(f->bits);
	accel_free(f->sum);
	f->bits = bits;
	f->sum = sum;
	f->nwords = nw;
	return 0;
}

static inline uint64_t *row_of(const struct filter *f, unsigned r)
{
	return f->bits + (size_t)r * f->nwords;
}

static inline uint64_t *sum_of(const struct filter *f, unsigned r)
{
	return f->sum + (size_t)r * nsum_of(f->nwords);
}

/* The rows of classes mask, letters cased and pair bits sig; returns how
 * many. */
static unsigned sets_of(uint64_t mask, uint64_t cased,
			const struct pair_sig *sig, unsigned *set)
{
	unsigned n = 0;

	for (; mask; mask &= mask - 1)
		set[n++] = (unsigned)__builtin_ctzll(mask);
	for (; cased; cased &= cased - 1)
		set[n++] = FILTER_NCLASS + (unsigned)__builtin_ctzll(cased);
	for (unsigned w = 0; w < PAIR_SIG_BITS / 64; w++)
		for (uint64_t b = sig->w[w]; b; b &= b - 1)
			set[n++] = FILTER_PAIR_ROW + 64 * w +
				   (unsigned)__builtin_ctzll(b);
	return n;
}

void accel__filter_add(struct filter *f, uint32_t id, uint64_t mask,
		       uint64_t cased, const struct pair_sig *sig)
{
	unsigned set[FILTER_NSETS], n = sets_of(mask, cased, sig, set);

	for (unsigned i = 0; i < n; i++) {
		row_of(f, set[i])[id >> 6] |= 1ull << (id & 63);
		sum_of(f, set[i])[id >> 12] |= 1ull << ((id >> 6) & 63);
		f->pop[set[i]]++;
	}
}

void accel__filter_del(struct filter *f, uint32_t id, uint64_t mask,
		       uint64_t cased, const struct pair_sig *sig)
{
	unsigned set[FILTER_NSETS], n = sets_of(mask, cased, sig, set);

	for (unsigned i = 0; i < n; i++) {
		uint64_t *w = &row_of(f, set[i])[id >> 6];

		*w &= ~(1ull << (id & 63));
		if (!*w)
			sum_of(f, set[i])[id >> 12] &=
				~(1ull << ((id >> 6) & 63));
		f->pop[set[i]]--;
	}
}

/* Bit of the signature that stands for the ordered pair (a, b). */
static inline unsigned pair_bit(unsigned a, unsigned b)
{
	return ((a * 41u + b) * 0x9e3779b1u) >> (32 - 9);
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

void accel__pair_sig_query(const uint8_t *q, uint32_t len, unsigned gmin,
			   unsigned gmax, struct pair_sig *sig)
{
	memset(sig, 0, sizeof(*sig));
	for (uint32_t i = 0; i < len; i++) {
		unsigned a = cls_of(q[i]);

		if (a >= FILTER_NPC)
			continue;
		for (uint32_t j = i + gmin; j < len && j - i <= gmax; j++) {
			unsigned b = cls_of(q[j]), k;

			if (b >= FILTER_NPC)
				continue;
			k = pair_bit(a, b);
			sig->w[k >> 6] |= 1ull << (k & 63);
		}
	}
}

uint64_t accel__filter_bytes(const struct filter *f)
{
	return (uint64_t)FILTER_NSETS * (f->nwords + nsum_of(f->nwords)) *
	       sizeof(*f->bits);
}

void accel__filter_scan_init(const struct filter *f, uint64_t mask,
			     uint64_t cased, const struct pair_sig *sig,
			     struct filter_scan *s)
{
	unsigned set[FILTER_NSETS], n = sets_of(mask, cased, sig, set);

	/* Rarest first: most words end after one load. */
	for (unsigned i = 1; i < n; i++) {
		unsigned r = set[i], j = i;

		for (; j && f->pop[set[j - 1]] > f->pop[r]; j--)
			set[j] = set[j - 1];
		set[j] = r;
	}
	memset(s, 0, sizeof(*s));
	s->nsum = nsum_of(f->nwords);
	s->nrow = n;
	for (unsigned i = 0; i < n; i++) {
		s->row[i] = row_of(f, set[i]);
		s->sum[i] = sum_of(f, set[i]);
	}
}

/*
 * The next word with candidates: the summaries say which words of a row
 * are not zero, so a scan skips 64 words of the rarest rows at a time and
 * loads only the words every row has something in.
 */
static int next_word(struct filter_scan *s)
{
	for (;;) {
		uint64_t x;
		uint32_t w;

		while (!s->scur) {
			uint32_t k = s->sw;

			if (k >= s->nsum)
				return 0;
			s->sw = k + 1;
			x = s->sum[0][k];
			for (uint32_t r = 1; x && r < s->nrow; r++)
				x &= s->sum[r][k];
			s->scur = x;
		}
		w = (s->sw - 1) * 64 + (uint32_t)__builtin_ctzll(s->scur);
		s->scur &= s->scur - 1;
		x = s->row[0][w];
		for (uint32_t r = 1; x && r < s->nrow; r++)
			x &= s->row[r][w];
		if (x) {
			s->cur = x;
			s->base = w * 64;
			return 1;
		}
	}
}

uint32_t accel__filter_next(struct filter_scan *s, uint32_t *ids, uint32_t max)
{
	uint32_t n = 0;

	if (!s->nrow)
		return 0;
	while (n < max) {
		if (!s->cur && !next_word(s))
			return n;
		do {
			ids[n++] = s->base + (uint32_t)__builtin_ctzll(s->cur);
			s->cur &= s->cur - 1;
		} while (s->cur && n < max);
	}
	return n;
}
