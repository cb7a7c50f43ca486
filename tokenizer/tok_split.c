/* SPDX-License-Identifier: MIT */
/*
 * Out-of-line copies of the pre-tokenizers (tok_split.h) for the encoding
 * table and callers outside the encode loop.
 */
#include "tok_split.h"

size_t accel__tok_split_cl100k(const uint8_t *s, size_t i, size_t n,
			       unsigned space, int js)
{
	return tok_split_cl100k(s, i, n, space, js);
}

size_t accel__tok_split_o200k(const uint8_t *s, size_t i, size_t n,
			      unsigned space, int js)
{
	return tok_split_o200k(s, i, n, space, js);
}
