/* SPDX-License-Identifier: MIT */
/*
 * Pre-tokenizers (inline: the encode loop in tokenizer.c calls them once
 * per piece, and tok_split.c has the out-of-line copies the encoding table
 * points to): hand-written matchers for the two split patterns. Each
 * call returns the end of the piece that the regex (leftmost alternative
 * first, greedy, with backtracking) matches at position i of s[0, n).
 *
 * cl100k_base, as tiktoken writes it:
 *   '(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}{1,3}|
 *    ?[^\s\p{L}\p{N}]++[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+
 * o200k_base:
 *   [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*
 *       [\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|
 *   [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+
 *       [\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|
 *   \p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+
 *
 * js-tiktoken spells the same patterns without possessive quantifiers and
 * with the contractions listed case by case; the matches are the same
 * (the possessive parts can never give back a character that would help).
 * An invalid UTF-8 subsequence is one "other" character, as the U+FFFD a
 * decoder would put in its place.
 */
#ifndef ACCEL_TOK_SPLIT_H
#define ACCEL_TOK_SPLIT_H

#include "tok_int.h"

#define OTHER_MASK(space) (TOK_L | TOK_N | (space))

/*
 * An apostrophe contraction at s[i] == '\''; returns its end or 0. For an
 * ASCII lower-case letter x, (b | 0x20) == x holds only for b == x and
 * b == x - 0x20, so the test below is exactly the case-insensitive one.
 */
static inline size_t contraction(const uint8_t *s, size_t i, size_t n, int js)
{
	unsigned b, b2;

	if (i + 1 >= n)
		return 0;
	b = s[i + 1] | 0x20u;
	if (b == 's' || b == 't' || b == 'm' || b == 'd')
		return i + 2;
	if (i + 2 >= n)
		return 0;
	b2 = s[i + 2] | 0x20u;
	if ((b == 'l' && b2 == 'l') || (b == 'v' && b2 == 'e') ||
	    (b == 'r' && b2 == 'e'))
		return i + 3;
	/* Rust's (?i) folds U+017F LATIN SMALL LETTER LONG S to 's'. */
	if (!js && s[i + 1] == 0xc5 && s[i + 2] == 0xbf)
		return i + 3;
	return 0;
}

/* End of the run of characters whose class has any bit of `want`. */
static inline size_t class_run(const uint8_t *s, size_t i, size_t n,
			       unsigned want)
{
	unsigned c, l;

	while (i < n) {
		l = tok_char(s + i, s + n, &c);
		if (!(c & want))
			break;
		i += l;
	}
	return i;
}

/* \p{N}{1,3} from i, where s[i] is a number. */
static inline size_t digits(const uint8_t *s, size_t i, size_t n)
{
	unsigned c, l;

	for (int k = 0; k < 3 && i < n; k++) {
		l = tok_char(s + i, s + n, &c);
		if (!(c & TOK_N))
			break;
		i += l;
	}
	return i;
}

/* End of the run of characters that are not letters, numbers or space. */
static inline size_t run_other(const uint8_t *s, size_t i, size_t n,
			       unsigned space)
{
	unsigned c, l;

	while (i < n) {
		l = tok_char(s + i, s + n, &c);
		if (c & OTHER_MASK(space))
			break;
		i += l;
	}
	return i;
}

/*
 * The last four alternatives, shared by both patterns:
 * " ?[^\s\p{L}\p{N}]+[\r\n]*" (o200k adds '/' to the tail set),
 * "\s*[\r\n]+", "\s+(?!\S)" and "\s+". c/l describe s[i], which is not a
 * letter or a number.
 */
static inline size_t punct_or_space(const uint8_t *s, size_t i, size_t n,
				    unsigned c, unsigned l, unsigned space,
				    int slash)
{
	unsigned c2, l2;
	size_t j, last_nl = 0, last_start = i;
	int nchars = 0;

	if (s[i] == ' ' && i + 1 < n) {
		l2 = tok_char(s + i + 1, s + n, &c2);
		if (!(c2 & OTHER_MASK(space))) {
			j = run_other(s, i + 1 + l2, n, space);
			goto tail;
		}
	}
	if (!(c & space)) {
		j = run_other(s, i + l, n, space);
tail:
		while (j < n &&
		       (s[j] == '\r' || s[j] == '\n' || (slash && s[j] == '/')))
			j++;
		return j;
	}
	/* White space: the run [i, j), its last newline, its last char. */
	j = i;
	while (j < n) {
		l2 = tok_char(s + j, s + n, &c2);
		if (!(c2 & space))
			break;
		last_start = j;
		j += l2;
		if (c2 & TOK_NL)
			last_nl = j;
		nchars++;
	}
	if (last_nl)
		return last_nl;
	if (j == n || nchars < 2)
		return j;
	return last_start;
}

/*
 * ASCII words, the commonest pieces, without the class tables: a letter is
 * (b | 0x20) in 'a'..'z'. The fast paths below return 0 whenever something
 * next to the word is not ASCII, and the general matcher decides.
 */
static inline int ascii_alpha(unsigned b)
{
	return (unsigned)((b | 0x20) - 'a') < 26;
}

static inline int ascii_upper(unsigned b)
{
	return b - 'A' < 26u;
}

static inline int ascii_lower(unsigned b)
{
	return b - 'a' < 26u;
}

/*
 * Start of the letters of "[^\r\n\p{L}\p{N}]?<letters>" at s[i] when s[i] is
 * an ASCII letter, or an ASCII character allowed as the prefix followed by
 * an ASCII letter; 0 otherwise.
 */
static inline size_t ascii_word_start(const uint8_t *s, size_t i, size_t n)
{
	unsigned b = s[i];

	if (b >= 0x80)
		return 0;
	if (ascii_alpha(b))
		return i + 1;
	if ((accel__tok_ascii[b] & (TOK_N | TOK_NL)) || i + 1 >= n ||
	    !ascii_alpha(s[i + 1]))
		return 0;
	return i + 2;
}

static inline size_t tok_split_cl100k(const uint8_t *s, size_t i, size_t n,
				      unsigned space, int js)
{
	unsigned c, l, c2, l2;
	size_t e;

	if (s[i] == '\'' && (e = contraction(s, i, n, js)))
		return e;
	/* An ASCII word: its letters, then any letters that are not ASCII. */
	if ((e = ascii_word_start(s, i, n))) {
		while (e < n && ascii_alpha(s[e]))
			e++;
		return e < n && s[e] >= 0x80 ? class_run(s, e, n, TOK_L) : e;
	}
	l = tok_char(s + i, s + n, &c);
	if (c & TOK_L)
		return class_run(s, i + l, n, TOK_L);
	if (!(c & (TOK_N | TOK_NL)) && i + l < n) {
		/* [^\r\n\p{L}\p{N}]?\p{L}+ with the optional character. */
		l2 = tok_char(s + i + l, s + n, &c2);
		if (c2 & TOK_L)
			return class_run(s, i + l + l2, n, TOK_L);
	}
	if (c & TOK_N)
		return digits(s, i, n);
	return punct_or_space(s, i, n, c, l, space, 0);
}

/*
 * [U]*[W]+ from a, with U = Lu Lt Lm Lo M and W = Ll Lm Lo M. Greedy U*
 * followed by W+: when the character after the U run is not in W, the
 * regex gives back U characters until the last one that is also in W
 * (Lm, Lo or M). Returns the end, or 0 when there is no match.
 */
static inline size_t upper_lower(const uint8_t *s, size_t a, size_t n)
{
	unsigned c = 0, l = 0;
	size_t b = a, last_w = 0;

	while (b < n) {
		l = tok_char(s + b, s + n, &c);
		if (!(c & TOK_U))
			break;
		b += l;
		if (c & TOK_W)
			last_w = b;
	}
	if (b < n && (c & TOK_W))
		return class_run(s, b + l, n, TOK_W);
	return last_w;
}

/* [U]+[W]* from a; 0 when s[a] is not in U. */
static inline size_t upper_then_lower(const uint8_t *s, size_t a, size_t n)
{
	unsigned c = 0, l = 0;
	size_t b = a;

	while (b < n) {
		l = tok_char(s + b, s + n, &c);
		if (!(c & TOK_U))
			break;
		b += l;
	}
	if (b == a)
		return 0;
	if (b < n && (c & TOK_W))
		return class_run(s, b + l, n, TOK_W);
	return b;
}

static inline size_t tok_split_o200k(const uint8_t *s, size_t i, size_t n,
				     unsigned space, int js)
{
	unsigned c, l;
	size_t e = 0, k;
	int prefix;

	/*
	 * An ASCII word: upper case then lower case letters (ASCII letters
	 * are in U or in W, never both), unless a character after them is
	 * not ASCII and might extend either run.
	 */
	if ((e = ascii_word_start(s, i, n))) {
		e--;
		while (e < n && ascii_upper(s[e]))
			e++;
		while (e < n && ascii_lower(s[e]))
			e++;
		if (e == n || s[e] < 0x80) {
			if (e < n && s[e] == '\'' &&
			    (k = contraction(s, e, n, js)))
				return k;
			return e;
		}
		e = 0;
	}
	l = tok_char(s + i, s + n, &c);
	/* The optional [^\r\n\p{L}\p{N}] may be taken by a mark, too. */
	prefix = !(c & (TOK_L | TOK_N | TOK_NL)) && i + l < n;
	/* Alternative order: 1 with prefix, 1 without, 2 with, 2 without. */
	if (prefix)
		e = upper_lower(s, i + l, n);
	if (!e && (c & (TOK_U | TOK_W)))
		e = upper_lower(s, i, n);
	if (!e && prefix)
		e = upper_then_lower(s, i + l, n);
	if (!e && (c & TOK_U))
		e = upper_then_lower(s, i, n);
	if (e) {
		if (e < n && s[e] == '\'' && (k = contraction(s, e, n, js)))
			return k;
		return e;
	}
	if (c & TOK_N)
		return digits(s, i, n);
	return punct_or_space(s, i, n, c, l, space, 1);
}

#endif
