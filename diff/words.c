/* SPDX-License-Identifier: MIT */
/*
 * Word- and character-level diff for highlighting inside changed lines.
 * The texts are cut into tokens (words, whitespace runs, punctuation, or
 * UTF-8 code points), the tokens interned like lines and diffed with the
 * same Myers code, then compacted so that changes start and end at natural
 * token boundaries.
 */
#include <errno.h>
#include <string.h>

#include "accel_alloc.h"
#include "accel_err.h"
#include "diff_int.h"

static inline void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

int accel_diff_words(const char *a, size_t alen, const char *b, size_t blen,
		     uint32_t mode, uint8_t **out, size_t *out_len)
{
	struct denv env;
	struct dchange *ch = NULL;
	uint32_t achg = 0, bchg = 0;
	uint8_t *buf, *r;
	long n;
	int ret;

	*out = NULL;
	*out_len = 0;
	if (mode != ACCEL_DIFF_WORDS && mode != ACCEL_DIFF_CHARS)
		return -ACCEL_E_DIFF_BAD_OPTS;
	if (alen > ACCEL_DIFF_MAX_INPUT || blen > ACCEL_DIFF_MAX_INPUT)
		return -ACCEL_E_TOO_LARGE;
	ret = accel__diff_prepare_tokens(&env, a, alen, b, blen, mode);
	if (ret)
		return ret;
	ret = accel__diff_myers(&env, 0, env.f1.nrec, 0, env.f2.nrec, 0);
	if (ret)
		goto out;
	accel__diff_compact(&env.f1, &env.f2, 0);
	accel__diff_compact(&env.f2, &env.f1, 0);
	n = accel__diff_script(&env, &ch);
	if (n < 0) {
		ret = (int)n;
		goto out;
	}
	ret = -ENOMEM;
	buf = accel_malloc(16 + (size_t)n * 16);
	if (!buf)
		goto out;
	r = buf + 16;
	for (long k = 0; k < n; k++, r += 16) {
		const struct dchange *c = &ch[k];
		uint32_t ao = env.f1.off[c->i1], bo = env.f2.off[c->i2];
		uint32_t al = env.f1.off[c->i1 + c->chg1] - ao;
		uint32_t bl = env.f2.off[c->i2 + c->chg2] - bo;

		put32(r, ao);
		put32(r + 4, al);
		put32(r + 8, bo);
		put32(r + 12, bl);
		achg += al;
		bchg += bl;
	}
	put32(buf, ACCEL_DIFF_WORDS_MAGIC);
	put32(buf + 4, (uint32_t)n);
	put32(buf + 8, achg);
	put32(buf + 12, bchg);
	*out = buf;
	*out_len = 16 + (size_t)n * 16;
	ret = 0;
out:
	accel_free(ch);
	accel__diff_free(&env);
	return ret;
}
