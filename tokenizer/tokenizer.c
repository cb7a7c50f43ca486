/* SPDX-License-Identifier: MIT */
/*
 * Encode, count, limit and decode: the special-token scan around the
 * pre-tokenizer and the BPE merge.
 */
#include <errno.h>
#include <string.h>

#include "accel_alloc.h"
#include "accel_err.h"
#include "tok_int.h"
#include "tok_split.h"

/* Where the output of one call goes. */
struct tok_out {
	struct accel_tokenizer_ids *ids; /* NULL: count only */
	uint64_t count;
	uint64_t limit; /* stop once count > limit */
};

static int ids_reserve(struct accel_tokenizer_ids *v, size_t more)
{
	size_t cap;
	uint32_t *p;

	if (v->cap - v->len >= more)
		return 0;
	cap = v->cap ? v->cap : 256;
	while (cap - v->len < more)
		cap *= 2;
	p = accel_realloc(v->ids, cap * sizeof(*p));
	if (!p)
		return -ENOMEM;
	v->ids = p;
	v->cap = cap;
	return 0;
}

static inline int emit1(struct tok_out *o, uint32_t id)
{
	if (o->ids) {
		int ret = ids_reserve(o->ids, 1);

		if (ret < 0)
			return ret;
		o->ids->ids[o->ids->len++] = id;
	}
	o->count++;
	return 0;
}

/*
 * Encodes ordinary text s[0, n) (no special token inside). Returns 0, 1
 * when the limit was passed, or a negative error. The split function is a
 * parameter of an always-inlined body so that each encoding gets its own
 * loop with a direct call.
 */
static inline __attribute__((always_inline)) int
encode_ordinary(const struct accel_tokenizer *tok, const uint8_t *s, size_t n,
		struct tok_out *o, tok_split_fn split)
{
	size_t i = 0;

	while (i < n) {
		size_t e = split(s, i, n, tok->space, tok->js);
		size_t len = e - i;
		uint32_t r, small[TOK_CACHE_KEY_MAX], *dst;
		uint64_t key, h;
		long k;
		int ret;

		if (len == 1) {
			ret = emit1(o, tok->byte_rank[s[i]]);
			if (ret < 0)
				return ret;
			goto next;
		}
		/* Two bytes: a token, or two byte tokens; no hash needed. */
		if (len == 2) {
			r = tok->pair_rank[s[i] << 8 | s[i + 1]];
			if (r != TOK_NO_RANK) {
				ret = emit1(o, r);
			} else {
				ret = emit1(o, tok->byte_rank[s[i]]);
				if (!ret)
					ret = emit1(o,
						    tok->byte_rank[s[i + 1]]);
			}
			if (ret < 0)
				return ret;
			goto next;
		}
		key = tok_key(s + i, len);
		h = tok_key_hash(key, len);
		r = accel__tok_rank_k(tok, s + i, len, key, h);
		if (r != TOK_NO_RANK) {
			ret = emit1(o, r);
			if (ret < 0)
				return ret;
			goto next;
		}
		if (o->ids) {
			ret = ids_reserve(o->ids, len);
			if (ret < 0)
				return ret;
			dst = o->ids->ids + o->ids->len;
		} else {
			dst = len <= TOK_CACHE_KEY_MAX ? small : NULL;
		}
		/* A count needs no ids from a hit, only for a put. */
		k = accel__tok_cache_get(tok, h, s + i, len,
					 o->ids ? dst : NULL);
		if (k < 0) {
			k = accel__tok_bpe(tok, s + i, len, dst);
			if (k < 0)
				return (int)k;
			if (dst)
				accel__tok_cache_put(tok, h, s + i, len, dst,
						     (size_t)k);
		}
		if (o->ids)
			o->ids->len += (size_t)k;
		o->count += (uint64_t)k;
next:
		if (ACCEL_UNLIKELY(o->count > o->limit))
			return 1;
		i = e;
	}
	return 0;
}

static int encode_cl100k(const struct accel_tokenizer *tok, const uint8_t *s,
			 size_t n, struct tok_out *o)
{
	return encode_ordinary(tok, s, n, o, tok_split_cl100k);
}

static int encode_o200k(const struct accel_tokenizer *tok, const uint8_t *s,
			size_t n, struct tok_out *o)
{
	return encode_ordinary(tok, s, n, o, tok_split_o200k);
}

static int encode_plain(const struct accel_tokenizer *tok, const uint8_t *s,
			size_t n, struct tok_out *o)
{
	if (tok->encoding == ACCEL_TOKENIZER_O200K_BASE)
		return encode_o200k(tok, s, n, o);
	return encode_cl100k(tok, s, n, o);
}

/*
 * Finds the first special token of `mask` in s[from, n) (all special
 * tokens start with '<'). Returns its offset (n when none) and its index.
 */
static size_t find_special(const struct accel_tokenizer *tok, const uint8_t *s,
			   size_t from, size_t n, uint32_t mask,
			   unsigned *which)
{
	const uint8_t *p = s + from, *end = s + n;

	while (p < end && (p = memchr(p, '<', (size_t)(end - p)))) {
		for (unsigned k = 0; k < tok->n_special; k++) {
			const struct tok_special *sp = &tok->special[k];

			if (!(mask & (1u << k)) ||
			    (size_t)(end - p) < sp->len ||
			    memcmp(p, sp->text, sp->len))
				continue;
			*which = k;
			return (size_t)(p - s);
		}
		p++;
	}
	return n;
}

/*
 * Copies s with each maximal invalid subsequence replaced by U+FFFD (EF BF
 * BD). Returns the copy (accel_free) or NULL.
 */
static uint8_t *utf8_replace(const uint8_t *s, size_t n, size_t *out_len)
{
	uint8_t *d = accel_malloc(n * 3 + 1);
	size_t i = 0, o = 0;
	unsigned c, l;

	if (!d)
		return NULL;
	while (i < n) {
		l = tok_char(s + i, s + n, &c);
		if (c == TOK_BAD) {
			d[o++] = 0xef;
			d[o++] = 0xbf;
			d[o++] = 0xbd;
		} else {
			memcpy(d + o, s + i, l);
			o += l;
		}
		i += l;
	}
	*out_len = o;
	return d;
}

static int run(const struct accel_tokenizer *tok, const void *text, size_t len,
	       const struct accel_tokenizer_mode *mode, struct tok_out *o)
{
	const uint8_t *s = text;
	uint8_t *copy = NULL;
	uint32_t all = (uint32_t)((1ull << tok->n_special) - 1);
	uint32_t allowed = 0, disallowed = all;
	size_t pos = 0;
	unsigned which = 0;
	int ret = 0;

	if (!s && len)
		return -ACCEL_E_BAD_ARG;
	if (mode) {
		if (mode->resv ||
		    (mode->flags & ~ACCEL_TOKENIZER_REPLACE_INVALID))
			return -ACCEL_E_BAD_ARG;
		allowed = mode->allowed_special & all;
		disallowed = mode->disallowed_special & all;
		if (mode->flags & ACCEL_TOKENIZER_REPLACE_INVALID) {
			unsigned c = 0;
			size_t i = 0;

			/* Copy only when there is something to replace. */
			while (i < len && c != TOK_BAD)
				i += tok_char(s + i, s + len, &c);
			if (c == TOK_BAD) {
				copy = utf8_replace(s, len, &len);
				if (!copy)
					return -ENOMEM;
				s = copy;
			}
		}
	}
	if (disallowed &&
	    find_special(tok, s, 0, len, disallowed, &which) < len) {
		ret = -ACCEL_E_TOKENS_SPECIAL;
		goto out;
	}
	if (!allowed) {
		ret = encode_plain(tok, s, len, o);
		goto out;
	}
	while (pos <= len) {
		size_t next = find_special(tok, s, pos, len, allowed, &which);

		ret = encode_plain(tok, s + pos, next - pos, o);
		if (ret || next == len)
			break;
		ret = emit1(o, tok->special[which].id);
		if (ret < 0)
			break;
		if (o->count > o->limit) {
			ret = 1;
			break;
		}
		pos = next + tok->special[which].len;
	}
out:
	accel_free(copy);
	return ret;
}

int accel_tokenizer_count(const struct accel_tokenizer *tok, const void *text,
			  size_t len, const struct accel_tokenizer_mode *mode,
			  uint64_t *count)
{
	struct tok_out o = { .limit = UINT64_MAX };
	int ret = run(tok, text, len, mode, &o);

	if (ret < 0)
		return ret;
	*count = o.count;
	return 0;
}

int accel_tokenizer_within_limit(const struct accel_tokenizer *tok,
				 const void *text, size_t len,
				 const struct accel_tokenizer_mode *mode,
				 uint64_t limit, uint64_t *count)
{
	struct tok_out o = { .limit = limit };
	int ret = run(tok, text, len, mode, &o);

	if (ret < 0)
		return ret;
	*count = o.count;
	return ret == 0;
}

int accel_tokenizer_encode(const struct accel_tokenizer *tok, const void *text,
			   size_t len, const struct accel_tokenizer_mode *mode,
			   struct accel_tokenizer_ids *out)
{
	size_t start = out->len;
	struct tok_out o = { .ids = out, .limit = UINT64_MAX };
	int ret = run(tok, text, len, mode, &o);

	if (ret < 0) {
		out->len = start;
		return ret;
	}
	return 0;
}

const uint8_t *accel_tokenizer_token_bytes(const struct accel_tokenizer *tok,
					   uint32_t id, size_t *len)
{
	if (id < tok->n_ranks) {
		*len = tok->off[id + 1] - tok->off[id];
		return tok->bytes + tok->off[id];
	}
	for (unsigned k = 0; k < tok->n_special; k++) {
		if (tok->special[k].id == id) {
			*len = tok->special[k].len;
			return (const uint8_t *)tok->special[k].text;
		}
	}
	return NULL;
}

int accel_tokenizer_decode(const struct accel_tokenizer *tok,
			   const uint32_t *ids, size_t n, uint8_t *buf,
			   size_t cap, size_t *len)
{
	size_t need = 0, o = 0;

	for (size_t k = 0; k < n; k++) {
		size_t l;

		if (!accel_tokenizer_token_bytes(tok, ids[k], &l))
			return -ACCEL_E_TOKENS_BAD_ID;
		need += l;
	}
	*len = need;
	if (need > cap)
		return -ACCEL_E_NO_SPACE;
	for (size_t k = 0; k < n; k++) {
		size_t l;
		const uint8_t *p = accel_tokenizer_token_bytes(tok, ids[k], &l);

		memcpy(buf + o, p, l);
		o += l;
	}
	return 0;
}

unsigned accel_tokenizer_special_count(const struct accel_tokenizer *tok)
{
	return tok->n_special;
}

const char *accel_tokenizer_special(const struct accel_tokenizer *tok,
				    unsigned index, uint32_t *id)
{
	if (index >= tok->n_special)
		return NULL;
	if (id)
		*id = tok->special[index].id;
	return tok->special[index].text;
}

int accel_tokenizer_special_index(const struct accel_tokenizer *tok,
				  const char *text)
{
	for (unsigned k = 0; k < tok->n_special; k++)
		if (text && !strcmp(text, tok->special[k].text))
			return (int)k;
	return -ACCEL_E_NOT_FOUND;
}

uint32_t accel_tokenizer_vocab_size(const struct accel_tokenizer *tok)
{
	return tok->vocab_size;
}
