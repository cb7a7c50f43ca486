/* SPDX-License-Identifier: MIT */
/*
 * Fuzzy scoring in the fzf tradition (junegunn/fzf src/algo/algo.go, also
 * followed by nucleo): every matched character scores SCORE_MATCH plus a
 * bonus for where it sits (start of the name, after a delimiter, a camelCase
 * hump, a digit run), a run of consecutive matches keeps the bonus of its
 * first character, gaps cost a start and an extension penalty, and the
 * bonus of the first query character counts twice. The constants are fzf's.
 *
 * v1 is fzf's greedy O(n) matcher (forward scan, backward shrink); v2 is
 * its Smith-Waterman variant that finds the best alignment in O(n*m). The
 * query code screens candidates with v1 and rescores the survivors with v2.
 */
#include <string.h>

#include "accel_alloc.h"
#include "symbols_int.h"

#define SCORE_MATCH	  16
#define SCORE_GAP_START	  (-3)
#define SCORE_GAP_EXT	  (-1)
#define BONUS_BOUNDARY	  (SCORE_MATCH / 2)
#define BONUS_NONWORD	  (SCORE_MATCH / 2)
#define BONUS_CAMEL	  (BONUS_BOUNDARY + SCORE_GAP_EXT)
#define BONUS_CONSECUTIVE (-(SCORE_GAP_START + SCORE_GAP_EXT))
#define BONUS_FIRST_MULT  2
#define BONUS_WHITE	  (BONUS_BOUNDARY + 2)
#define BONUS_DELIM	  (BONUS_BOUNDARY + 1)

/* Character classes for bonuses, in fzf's order: word classes last. */
enum {
	C_WHITE,
	C_NONWORD,
	C_DELIM,
	C_LOWER,
	C_UPPER,
	C_LETTER,
	C_NUMBER
};

static uint8_t fold_tab[256];
static uint8_t class_tab[256];
static int8_t bonus_tab[7][7];

static int bonus_for(int prev, int cls)
{
	if (cls > C_DELIM) {
		if (prev == C_WHITE)
			return BONUS_WHITE;
		if (prev == C_DELIM)
			return BONUS_DELIM;
		if (prev == C_NONWORD)
			return BONUS_BOUNDARY;
	}
	if ((prev == C_LOWER && cls == C_UPPER) ||
	    (prev != C_NUMBER && cls == C_NUMBER))
		return BONUS_CAMEL;
	if (cls == C_NONWORD || cls == C_DELIM)
		return BONUS_NONWORD;
	if (cls == C_WHITE)
		return BONUS_WHITE;
	return 0;
}

/* Runs before main (and before any thread): the tables are then const. */
__attribute__((constructor)) static void score_tables(void)
{
	for (int c = 0; c < 256; c++) {
		int cls;

		fold_tab[c] = (c >= 'A' && c <= 'Z') ? c + 32 : c;
		if (c >= 'a' && c <= 'z')
			cls = C_LOWER;
		else if (c >= 'A' && c <= 'Z')
			cls = C_UPPER;
		else if (c >= '0' && c <= '9')
			cls = C_NUMBER;
		else if (c >= 0x80)
			cls = C_LETTER;
		else if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
			cls = C_WHITE;
		else if (strchr("_-./,:;|", c) && c)
			cls = C_DELIM;
		else
			cls = C_NONWORD;
		class_tab[c] = (uint8_t)cls;
	}
	for (int p = 0; p < 7; p++)
		for (int c = 0; c < 7; c++)
			bonus_tab[p][c] = (int8_t)bonus_for(p, c);
}

static inline int bonus_at(const uint8_t *t, uint32_t j)
{
	int prev = j ? class_tab[t[j - 1]] : C_WHITE;

	return bonus_tab[prev][class_tab[t[j]]];
}

static inline int match(const struct pattern *p, uint32_t i, uint8_t c)
{
	return fold_tab[c] == p->fold[i] && (!p->exact[i] || c == p->orig[i]);
}

void accel__pattern_init(struct pattern *p, const uint8_t *s, uint32_t len,
			 unsigned case_mode)
{
	uint32_t m = 0;
	int upper = 0;

	/* fzf's smart case: case-sensitive as soon as the query has a capital. */
	for (uint32_t i = 0; i < len; i++)
		upper |= s[i] >= 'A' && s[i] <= 'Z';
	if (case_mode == ACCEL_SYMBOLS_CASE_SMART)
		case_mode = upper ? ACCEL_SYMBOLS_CASE_RESPECT :
				    ACCEL_SYMBOLS_CASE_IGNORE;
	for (uint32_t i = 0; i < len && m < SCORE_MAX_QUERY; i++) {
		uint8_t c = s[i];

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
			continue;
		p->orig[m] = c;
		p->fold[m] = fold_tab[c];
		p->exact[m] = case_mode == ACCEL_SYMBOLS_CASE_RESPECT;
		m++;
	}
	p->len = m;
	p->mask = accel__filter_mask((const char *)p->fold, m, NULL);
	accel__pair_sig_query(p->orig, m, 1, PAIR_MAX_GAP, &p->pairs);
	p->cased = 0;
	for (uint32_t i = 0; i < m; i++) {
		uint8_t c = p->orig[i];

		if (!p->exact[i])
			continue;
		if (c >= 'A' && c <= 'Z')
			p->cased |= 1ull << (c - 'A');
		else if (c >= 'a' && c <= 'z')
			p->cased |= 1ull << (32 + c - 'a');
	}
}

/* fzf's calculateScore over the window [s, e). */
static int32_t window_score(const struct pattern *p, const uint8_t *t,
			    uint32_t s, uint32_t e, uint16_t *pos)
{
	int32_t score = 0;
	int in_gap = 0, consecutive = 0, first_bonus = 0;
	int prev = s ? class_tab[t[s - 1]] : C_WHITE;
	uint32_t pi = 0;

	for (uint32_t j = s; j < e; j++) {
		int cls = class_tab[t[j]];

		if (pi < p->len && match(p, pi, t[j])) {
			int b = bonus_tab[prev][cls];

			if (pos)
				pos[pi] = (uint16_t)j;
			score += SCORE_MATCH;
			if (consecutive == 0) {
				first_bonus = b;
			} else {
				if (b >= BONUS_BOUNDARY && b > first_bonus)
					first_bonus = b;
				if (first_bonus > b)
					b = first_bonus;
				if (b < BONUS_CONSECUTIVE)
					b = BONUS_CONSECUTIVE;
			}
			score += pi == 0 ? b * BONUS_FIRST_MULT : b;
			in_gap = 0;
			consecutive++;
			pi++;
		} else {
			score += in_gap ? SCORE_GAP_EXT : SCORE_GAP_START;
			in_gap = 1;
			consecutive = 0;
			first_bonus = 0;
		}
		prev = cls;
	}
	return score;
}

/*
 * The score of an alignment given as positions, with the same rules as
 * window_score (gaps between matches cost a start and extensions; runs of
 * consecutive matches keep their first bonus).
 */
static int32_t positions_score(const struct pattern *p, const uint8_t *t,
			       const uint16_t *pp)
{
	int32_t score = 0;
	int first_bonus = 0;

	for (uint32_t i = 0; i < p->len; i++) {
		uint32_t j = pp[i];
		int b = bonus_at(t, j);

		if (i && j == pp[i - 1] + 1u) {
			if (b >= BONUS_BOUNDARY && b > first_bonus)
				first_bonus = b;
			if (first_bonus > b)
				b = first_bonus;
			if (b < BONUS_CONSECUTIVE)
				b = BONUS_CONSECUTIVE;
		} else {
			if (i)
				score += SCORE_GAP_START +
					 SCORE_GAP_EXT *
						 (int32_t)(j - pp[i - 1] - 2);
			first_bonus = b;
		}
		score += SCORE_MATCH + (i == 0 ? b * BONUS_FIRST_MULT : b);
	}
	return score;
}

#if defined(__x86_64__)
#include <immintrin.h>

#define V1_WORDS 4 /* names up to 256 bytes take the bit-parallel path */

/* Next set bit at or after `from` in a multiword mask, or -1. */
static inline int next_bit(const uint64_t *w, int nw, int from)
{
	int k = from >> 6;
	uint64_t mm;

	if (k >= nw)
		return -1;
	mm = w[k] & (~0ull << (from & 63));
	while (!mm) {
		if (++k >= nw)
			return -1;
		mm = w[k];
	}
	return (k << 6) + __builtin_ctzll(mm);
}

/* Last set bit before `before` in a multiword mask, or -1. */
static inline int prev_bit(const uint64_t *w, int before)
{
	int k = (before - 1) >> 6;
	uint64_t mm;

	if (before <= 0)
		return -1;
	mm = w[k] & ((before & 63) ? (1ull << (before & 63)) - 1 : ~0ull);
	while (!mm) {
		if (--k < 0)
			return -1;
		mm = w[k];
	}
	return (k << 6) + 63 - __builtin_clzll(mm);
}

/*
 * v1 for names of at most 256 bytes: an occurrence bit mask per query
 * character (SSE2 compares over the name and its case-folded copy, 16
 * bytes at a time), then the forward scan, the backward shrink and the
 * forward rescan are a few bit operations per query character. Reads up to
 * 64 bytes past the name's last 64-byte block: the interner keeps that much
 * slack after its arena.
 */
static int v1_bits(const struct pattern *p, const uint8_t *t, uint32_t n,
		   int32_t *score, uint16_t *pos)
{
	const __m128i lo = _mm_set1_epi8('A' - 1), hi = _mm_set1_epi8('Z' + 1);
	const __m128i bit = _mm_set1_epi8(0x20);
	int nw = (int)((n + 63) / 64), nb = (int)((n + 15) / 16);
	__m128i raw[V1_WORDS * 4], fold[V1_WORDS * 4];
	uint64_t occ[SCORE_MAX_QUERY][V1_WORDS];
	uint16_t tmp[SCORE_MAX_QUERY], *pp = pos ? pos : tmp;
	uint32_t m = p->len;
	int cur;

	for (int k = 0; k < nb; k++) {
		__m128i b = _mm_loadu_si128((const __m128i *)(t + 16 * k));
		__m128i up = _mm_and_si128(_mm_cmpgt_epi8(b, lo),
					   _mm_cmplt_epi8(b, hi));

		raw[k] = b;
		fold[k] = _mm_or_si128(b, _mm_and_si128(up, bit));
	}
	/*
	 * Masks are built in query order and the forward scan runs along:
	 * most candidates fail, and they fail before the last character.
	 */
	cur = -1;
	for (uint32_t i = 0; i < m; i++) {
		const __m128i *src = p->exact[i] ? raw : fold;
		__m128i c = _mm_set1_epi8(
			(char)(p->exact[i] ? p->orig[i] : p->fold[i]));

		for (int w = 0; w < nw; w++)
			occ[i][w] = 0;
		for (int k = 0; k < nb; k++)
			occ[i][k >> 2] |= (uint64_t)(uint16_t)_mm_movemask_epi8(
						  _mm_cmpeq_epi8(src[k], c))
					  << (16 * (k & 3));
		if (n & 63)
			occ[i][nw - 1] &= (1ull << (n & 63)) - 1;
		if ((cur = next_bit(occ[i], nw, cur + 1)) < 0)
			return 0;
	}
	/* Backward from there: the latest start. */
	{
		int end = cur + 1;

		for (uint32_t i = m; i-- > 0;)
			end = prev_bit(occ[i], end);
		cur = end - 1;
	}
	/* Forward again from that start, as fzf scores its window. */
	for (uint32_t i = 0; i < m; i++) {
		cur = next_bit(occ[i], nw, cur + 1);
		pp[i] = (uint16_t)cur;
	}
	*score = positions_score(p, t, pp);
	return 1;
}

/*
 * The end of v1 once the occurrence masks occ[0..m) of a name of at most
 * 64 bytes are known and the forward scan ended at cur: backward from
 * there to the latest start, forward again from it, as fzf scores its
 * window.
 */
static int v1_finish(const struct pattern *p, const uint8_t *t,
		     const uint64_t *occ, int cur, int32_t *score,
		     uint16_t *pos)
{
	uint16_t tmp[SCORE_MAX_QUERY], *pp = pos ? pos : tmp;
	uint32_t m = p->len;
	int end = cur + 1;

	for (uint32_t i = m; i-- > 0;) {
		uint64_t below = end >= 64 ? occ[i] :
					     occ[i] & ((1ull << end) - 1);

		end = 63 - __builtin_clzll(below);
	}
	cur = end - 1;
	for (uint32_t i = 0; i < m; i++) {
		cur = __builtin_ctzll(occ[i] & (~0ull << (cur + 1)));
		pp[i] = (uint16_t)cur;
	}
	*score = positions_score(p, t, pp);
	return 1;
}

/* The next occurrence after cur in o, or -1. */
static inline int occ_next(uint64_t o, int cur)
{
	uint64_t after = cur >= 63 ? 0 : o & (~0ull << (cur + 1));

	return after ? __builtin_ctzll(after) : -1;
}

/*
 * The occurrences of byte c among the nb 16-byte blocks of v (one mask
 * bit per byte).
 */
static inline uint64_t occ_mask(const __m128i *v, int nb, uint8_t c)
{
	__m128i x = _mm_set1_epi8((char)c);
	uint64_t m = (uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v[0], x));

	m |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v[1], x))
	     << 16;
	if (nb > 2) {
		m |= (uint64_t)(uint16_t)_mm_movemask_epi8(
			     _mm_cmpeq_epi8(v[2], x))
		     << 32;
		m |= (uint64_t)(uint16_t)_mm_movemask_epi8(
			     _mm_cmpeq_epi8(v[3], x))
		     << 48;
	}
	return m;
}

/*
 * v1 for names of at most 64 bytes, the common case, with one 64-bit
 * occurrence mask per query character, built while the forward scan runs
 * (most candidates fail before the last character). SSE2: names of at
 * most 32 bytes read 32 bytes (a name card's text stays inside its line),
 * longer ones 64 (the arena keeps that much slack).
 */
int accel__score_v1_sse2(const struct pattern *p, const uint8_t *t, uint32_t n,
			 int32_t *score, uint16_t *pos)
{
	const __m128i lo = _mm_set1_epi8('A' - 1), hi = _mm_set1_epi8('Z' + 1);
	const __m128i bit = _mm_set1_epi8(0x20);
	int nb = n <= 32 ? 2 : 4;
	uint64_t lim = n == 64 ? ~0ull : (1ull << n) - 1;
	__m128i raw[4], fold[4];
	uint64_t occ[SCORE_MAX_QUERY];
	int cur = -1;

	for (int k = 0; k < nb; k++) {
		__m128i b = _mm_loadu_si128((const __m128i *)(t + 16 * k));
		__m128i up = _mm_and_si128(_mm_cmpgt_epi8(b, lo),
					   _mm_cmplt_epi8(b, hi));

		raw[k] = b;
		fold[k] = _mm_or_si128(b, _mm_and_si128(up, bit));
	}
	for (uint32_t i = 0; i < p->len; i++) {
		occ[i] = lim & (p->exact[i] ? occ_mask(raw, nb, p->orig[i]) :
					      occ_mask(fold, nb, p->fold[i]));
		if ((cur = occ_next(occ[i], cur)) < 0)
			return 0;
	}
	return v1_finish(p, t, occ, cur, score, pos);
}

/*
 * The same with AVX-512BW where the CPU has it: one masked 64-byte load
 * (nothing past the name is read) and one compare per query character.
 */
__attribute__((target("avx512f,avx512bw"))) static int
v1_word_avx512(const struct pattern *p, const uint8_t *t, uint32_t n,
	       int32_t *score, uint16_t *pos)
{
	uint64_t lim = n == 64 ? ~0ull : (1ull << n) - 1;
	__m512i raw = _mm512_maskz_loadu_epi8(lim, t);
	__mmask64 up = _mm512_cmplt_epu8_mask(
		_mm512_sub_epi8(raw, _mm512_set1_epi8('A')),
		_mm512_set1_epi8(26));
	__m512i fold =
		_mm512_mask_add_epi8(raw, up, raw, _mm512_set1_epi8(0x20));
	uint64_t occ[SCORE_MAX_QUERY];
	int cur = -1;

	for (uint32_t i = 0; i < p->len; i++) {
		__m512i x = _mm512_set1_epi8(
			(char)(p->exact[i] ? p->orig[i] : p->fold[i]));

		occ[i] = lim &
			 _mm512_cmpeq_epi8_mask(p->exact[i] ? raw : fold, x);
		if ((cur = occ_next(occ[i], cur)) < 0)
			return 0;
	}
	return v1_finish(p, t, occ, cur, score, pos);
}

/*
 * Names of 65..256 bytes with AVX-512BW: the same with up to four mask
 * words per query character (the shape of v1_bits).
 */
__attribute__((target("avx512f,avx512bw"))) static int
v1_bits_avx512(const struct pattern *p, const uint8_t *t, uint32_t n,
	       int32_t *score, uint16_t *pos)
{
	int nw = (int)((n + 63) / 64), cur = -1, end;
	__m512i raw[V1_WORDS], fold[V1_WORDS];
	uint64_t occ[SCORE_MAX_QUERY][V1_WORDS];
	uint16_t tmp[SCORE_MAX_QUERY], *pp = pos ? pos : tmp;
	uint32_t m = p->len;

	for (int w = 0; w < nw; w++) {
		uint32_t left = n - 64 * (uint32_t)w;
		uint64_t lim = left >= 64 ? ~0ull : (1ull << left) - 1;
		__mmask64 up;

		raw[w] = _mm512_maskz_loadu_epi8(lim, t + 64 * w);
		up = _mm512_cmplt_epu8_mask(
			_mm512_sub_epi8(raw[w], _mm512_set1_epi8('A')),
			_mm512_set1_epi8(26));
		fold[w] = _mm512_mask_add_epi8(raw[w], up, raw[w],
					       _mm512_set1_epi8(0x20));
	}
	for (uint32_t i = 0; i < m; i++) {
		__m512i x = _mm512_set1_epi8(
			(char)(p->exact[i] ? p->orig[i] : p->fold[i]));

		for (int w = 0; w < nw; w++)
			occ[i][w] = _mm512_cmpeq_epi8_mask(
				p->exact[i] ? raw[w] : fold[w], x);
		if (n & 63)
			occ[i][nw - 1] &= (1ull << (n & 63)) - 1;
		if ((cur = next_bit(occ[i], nw, cur + 1)) < 0)
			return 0;
	}
	end = cur + 1;
	for (uint32_t i = m; i-- > 0;)
		end = prev_bit(occ[i], end);
	cur = end - 1;
	for (uint32_t i = 0; i < m; i++) {
		cur = next_bit(occ[i], nw, cur + 1);
		pp[i] = (uint16_t)cur;
	}
	*score = positions_score(p, t, pp);
	return 1;
}

int accel__score_v1_avx512(const struct pattern *p, const uint8_t *t,
			   uint32_t n, int32_t *score, uint16_t *pos)
{
	if (!__builtin_cpu_supports("avx512bw"))
		return -1;
	return n <= 64 ? v1_word_avx512(p, t, n, score, pos) :
			 v1_bits_avx512(p, t, n, score, pos);
}

static int (*v1_word)(const struct pattern *, const uint8_t *, uint32_t,
		      int32_t *, uint16_t *) = accel__score_v1_sse2;
static int (*v1_long)(const struct pattern *, const uint8_t *, uint32_t,
		      int32_t *, uint16_t *) = v1_bits;

/* CPU features are probed once, before main and before any thread. */
__attribute__((constructor)) static void score_cpu(void)
{
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx512bw")) {
		v1_word = v1_word_avx512;
		v1_long = v1_bits_avx512;
	}
}
#endif

int accel__score_v1(const struct pattern *p, const uint8_t *t, uint32_t n,
		    int32_t *score, uint16_t *pos)
{
#if defined(__x86_64__)
	if (p->len && p->len <= n && n <= 64)
		return v1_word(p, t, n, score, pos);
	if (p->len && p->len <= n && n <= 64 * V1_WORDS)
		return v1_long(p, t, n, score, pos);
#endif
	return accel__score_v1_ref(p, t, n, score, pos);
}

int accel__score_v1_ref(const struct pattern *p, const uint8_t *t, uint32_t n,
			int32_t *score, uint16_t *pos)
{
	uint32_t m = p->len, pi = 0, s = 0, e = 0, j;
	int found = 0;

	if (!m || m > n)
		return 0;
	for (j = 0; j < n; j++) {
		if (match(p, pi, t[j])) {
			if (++pi == m) {
				e = j + 1;
				found = 1;
				break;
			}
		}
	}
	if (!found)
		return 0;
	/* Backward from the end: the shortest window ending there. */
	pi = m;
	for (j = e; j-- > 0;) {
		if (match(p, pi - 1, t[j]) && --pi == 0) {
			s = j;
			break;
		}
	}
	*score = window_score(p, t, s, e, pos);
	return 1;
}

void accel__score_scratch_fini(struct score_scratch *sc)
{
	accel_free(sc->h);
	accel_free(sc->c);
	memset(sc, 0, sizeof(*sc));
}

#define V2_MAX_CELLS (1u << 16)

int accel__score_v2(const struct pattern *p, const uint8_t *t, uint32_t n,
		    struct score_scratch *sc, int32_t *score, uint16_t *pos)
{
	uint32_t m = p->len, f[SCORE_MAX_QUERY], pi = 0, j, last, f0, width;
	int8_t bonus[1024];
	int16_t *H;
	uint8_t *C;
	int32_t max_score = 0;
	uint32_t max_pos = 0;
	size_t cells;

	if (!m || m > n)
		return 0;
	for (j = 0; j < n && pi < m; j++)
		if (match(p, pi, t[j]))
			f[pi++] = j;
	if (pi < m)
		return 0;
	last = n - 1;
	while (!match(p, m - 1, t[last]))
		last--;
	f0 = f[0];
	width = last - f0 + 1;
	cells = (size_t)m * width;
	if (width > sizeof(bonus) || cells > V2_MAX_CELLS)
		return accel__score_v1(p, t, n, score, pos);
	if (cells > sc->cap) {
		int16_t *h = accel_realloc(sc->h, V2_MAX_CELLS * sizeof(*h));
		uint8_t *c;

		if (!h)
			return accel__score_v1(p, t, n, score, pos);
		sc->h = h;
		c = accel_realloc(sc->c, V2_MAX_CELLS);
		if (!c)
			return accel__score_v1(p, t, n, score, pos);
		sc->c = c;
		sc->cap = V2_MAX_CELLS;
	}
	H = sc->h;
	C = sc->c;
	for (j = f0; j <= last; j++)
		bonus[j - f0] = (int8_t)bonus_at(t, j);

	/* Row 0: the first query character. */
	{
		int16_t prev_h = 0;
		int in_gap = 0;

		for (j = f0; j <= last; j++) {
			uint32_t col = j - f0;

			if (match(p, 0, t[j])) {
				H[col] = (int16_t)(SCORE_MATCH +
						   bonus[col] *
							   BONUS_FIRST_MULT);
				C[col] = 1;
				in_gap = 0;
			} else {
				int v = prev_h + (in_gap ? SCORE_GAP_EXT :
							   SCORE_GAP_START);
				H[col] = (int16_t)(v > 0 ? v : 0);
				C[col] = 0;
				in_gap = 1;
			}
			prev_h = H[col];
			if (m == 1 && match(p, 0, t[j]) && H[col] > max_score) {
				max_score = H[col];
				max_pos = j;
			}
		}
	}
	for (uint32_t i = 1; i < m; i++) {
		uint32_t row = i * width;
		int in_gap = 0;

		for (j = f[i]; j <= last; j++) {
			uint32_t col = j - f0;
			int s1 = 0, s2 = 0, consecutive = 0;

			if (j > f[i])
				s2 = H[row + col - 1] +
				     (in_gap ? SCORE_GAP_EXT : SCORE_GAP_START);
			if (match(p, i, t[j])) {
				int b = bonus[col];

				s1 = H[row - width + col - 1] + SCORE_MATCH;
				consecutive = C[row - width + col - 1] + 1;
				if (consecutive > 1) {
					int fb = bonus[col - consecutive + 1];

					if (b >= BONUS_BOUNDARY && b > fb) {
						consecutive = 1;
					} else {
						if (fb > b)
							b = fb;
						if (b < BONUS_CONSECUTIVE)
							b = BONUS_CONSECUTIVE;
					}
				}
				if (s1 + b < s2) {
					s1 += bonus[col];
					consecutive = 0;
				} else {
					s1 += b;
				}
			}
			C[row + col] = (uint8_t)(consecutive > 255 ?
							 255 :
							 consecutive);
			in_gap = s1 < s2;
			{
				int v = s1 > s2 ? s1 : s2;

				H[row + col] = (int16_t)(v > 0 ? v : 0);
			}
			if (i == m - 1 && H[row + col] > max_score) {
				max_score = H[row + col];
				max_pos = j;
			}
		}
	}
	if (!max_score)
		return accel__score_v1(p, t, n, score, pos);

	/* Backtrace, preferring matches, exactly as fzf does. */
	{
		uint32_t i = m - 1;
		int prefer = 1;
		uint16_t tmp[SCORE_MAX_QUERY];

		j = max_pos;
		for (;;) {
			uint32_t I = i * width, j0 = j - f0;
			int s = H[I + j0], s1 = 0, s2 = 0;

			if (i > 0 && j >= f[i])
				s1 = H[I - width + j0 - 1];
			if (j > f[i])
				s2 = H[I + j0 - 1];
			if (s > s1 && (s > s2 || (s == s2 && prefer))) {
				tmp[i] = (uint16_t)j;
				if (i == 0)
					break;
				i--;
			}
			prefer = C[I + j0] > 1 || (I + width + j0 + 1 < cells &&
						   C[I + width + j0 + 1] > 0);
			/* Ran off the matrix: keep the greedy answer. */
			if (j == f0)
				return accel__score_v1(p, t, n, score, pos);
			j--;
		}
		/* Defensive: the alignment must be a real subsequence. */
		for (i = 0; i < m; i++)
			if ((i && tmp[i] <= tmp[i - 1]) ||
			    !match(p, i, t[tmp[i]]))
				return accel__score_v1(p, t, n, score, pos);
		if (pos)
			memcpy(pos, tmp, m * sizeof(*pos));
	}
	*score = max_score;
	return 1;
}

/* Word-start positions: where fzf gives at least the camelCase bonus. */
static inline int hump_at(const uint8_t *t, uint32_t j)
{
	return class_tab[t[j]] > C_DELIM && bonus_at(t, j) >= BONUS_CAMEL;
}

uint32_t accel__score_humps(const uint8_t *t, uint32_t n)
{
	uint32_t h = 0;

	for (uint32_t j = 0; j < n; j++)
		h += hump_at(t, j);
	return h;
}

uint32_t accel__score_cover(const struct pattern *p, const uint8_t *t,
			    const uint16_t *pos)
{
	uint32_t h = 0;

	for (uint32_t i = 0; i < p->len; i++)
		h += hump_at(t, pos[i]);
	return h;
}

void accel__score_bound(const struct pattern *p, int32_t *ub)
{
	/* Each character at most SCORE_MATCH plus the largest bonus; the
	 * first one's bonus twice. */
	*ub = (int32_t)p->len * (SCORE_MATCH + BONUS_WHITE) +
	      BONUS_WHITE * (BONUS_FIRST_MULT - 1);
}

int accel__score_tier(const struct pattern *p, const uint8_t *t, uint32_t n)
{
	uint32_t m = p->len;

	if (n == m && !memcmp(t, p->orig, m))
		return TIER_EXACT;
	if (n < m)
		return TIER_FUZZY;
	for (uint32_t i = 0; i < m; i++)
		if (!match(p, i, t[i]))
			return TIER_FUZZY;
	return n == m ? TIER_EXACT_FOLD : TIER_PREFIX;
}

int32_t accel__score_compose(int tier, int32_t fzf, uint32_t len,
			     uint32_t count)
{
	int32_t s = fzf + 32768;
	int32_t pop = 0;

	if (s < 0)
		s = 0;
	if (s > 65535)
		s = 65535;
	if (len > 255)
		len = 255;
	/* log2 of how many symbols carry the name: commonly defined names
	 * (getTypeChecker) win ties against rare ones (getTypeCount). */
	while (count > 1 && pop < 15) {
		count >>= 1;
		pop++;
	}
	return ((int32_t)tier << 28) | (s << 12) | (pop << 8) |
	       (int32_t)(255 - len);
}
