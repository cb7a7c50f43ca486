/* SPDX-License-Identifier: MIT */
/*
 * Loading: the rank file, the bytes -> rank hash table and the special
 * tokens of each encoding.
 */
#define _GNU_SOURCE /* O_CLOEXEC */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "accel_alloc.h"
#include "accel_err.h"
#include "tok_int.h"

/*
 * What each encoding is besides its ranks: the number of ranks its file
 * must hold and its special tokens (tiktoken's openai_public.py).
 */
struct enc_def {
	const char *name;
	uint32_t n_ranks;
	tok_split_fn split;
	unsigned n_special;
	struct tok_special special[TOK_MAX_SPECIAL];
};

#define SP(s, id)                    \
	{                            \
		s, sizeof(s) - 1, id \
	}

static const struct enc_def encodings[] = {
	[ACCEL_TOKENIZER_CL100K_BASE] = {
		"cl100k_base", 100256, accel__tok_split_cl100k, 5,
		{ SP("<|endoftext|>", 100257), SP("<|fim_prefix|>", 100258),
		  SP("<|fim_middle|>", 100259), SP("<|fim_suffix|>", 100260),
		  SP("<|endofprompt|>", 100276) },
	},
	[ACCEL_TOKENIZER_O200K_BASE] = {
		"o200k_base", 199998, accel__tok_split_o200k, 2,
		{ SP("<|endoftext|>", 199999), SP("<|endofprompt|>", 200018) },
	},
};

static const struct enc_def *enc_find(uint32_t encoding)
{
	if (encoding >= ACCEL_ARRAY_SIZE(encodings) ||
	    !encodings[encoding].name)
		return NULL;
	return &encodings[encoding];
}

int accel_tokenizer_encoding_from_name(const char *name)
{
	for (uint32_t e = 0; e < ACCEL_ARRAY_SIZE(encodings); e++)
		if (encodings[e].name && name &&
		    !strcmp(name, encodings[e].name))
			return (int)e;
	return -ACCEL_E_TOKENS_ENCODING;
}

const char *accel_tokenizer_encoding_name(uint32_t encoding)
{
	const struct enc_def *d = enc_find(encoding);

	return d ? d->name : NULL;
}

static inline uint32_t tok_len(const struct accel_tokenizer *tok, uint32_t r)
{
	return tok->off[r + 1] - tok->off[r];
}

/* Inserts rank r; returns 0 or -ACCEL_E_TOKENS_RANK_FILE on duplicates. */
static int rank_insert(struct accel_tokenizer *tok, uint32_t r)
{
	const uint8_t *p = tok->bytes + tok->off[r];
	size_t n = tok_len(tok, r);
	uint64_t key = tok_key(p, n);
	uint64_t i = tok_key_hash(key, n) & tok->mask;

	for (;; i = (i + 1) & tok->mask) {
		struct tok_slot *sl = &tok->slots[i];

		if (sl->rank == TOK_NO_RANK) {
			sl->key = key;
			sl->rank = r;
			sl->len = (uint32_t)n;
			return 0;
		}
		if (sl->key == key && tok_len(tok, sl->rank) == n &&
		    !memcmp(tok->bytes + tok->off[sl->rank], p, n))
			return -ACCEL_E_TOKENS_RANK_FILE;
	}
}

static int b64_value(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Decodes padded base64 s[0, n) into out; returns the byte count or -1.
 * Rank files always pad, so a length that is not a multiple of 4 is bad.
 */
static long b64_decode(const uint8_t *s, size_t n, uint8_t *out)
{
	size_t o = 0;

	if (n == 0 || n % 4)
		return -1;
	for (size_t i = 0; i < n; i += 4) {
		int v[4], pad = 0;

		for (int k = 0; k < 4; k++) {
			if (s[i + k] == '=' && i + 4 == n && k >= 2) {
				v[k] = 0;
				pad++;
				continue;
			}
			if (pad)
				return -1;
			v[k] = b64_value(s[i + k]);
			if (v[k] < 0)
				return -1;
		}
		out[o++] = (uint8_t)(v[0] << 2 | v[1] >> 4);
		if (pad < 2)
			out[o++] = (uint8_t)(v[1] << 4 | v[2] >> 2);
		if (pad < 1)
			out[o++] = (uint8_t)(v[2] << 6 | v[3]);
	}
	return (long)o;
}

/*
 * Parses the rank file into tok->off/bytes. Ranks must be exactly
 * 0 .. expect - 1, each once, in any order.
 */
static int parse_ranks(struct accel_tokenizer *tok, const uint8_t *data,
		       size_t len, uint32_t expect)
{
	const uint8_t *p = data, *end = data + len;
	uint32_t *line_rank = NULL, *line_off = NULL, *line_len = NULL;
	uint8_t *raw = NULL;
	size_t raw_len = 0, lines = 0, cap = expect;
	int ret = -ACCEL_E_TOKENS_RANK_FILE;

	/* Base64 never grows when decoded: len bytes bound the output. */
	raw = accel_malloc(len ? len : 1);
	line_rank = accel_malloc(cap * sizeof(uint32_t));
	line_off = accel_malloc(cap * sizeof(uint32_t));
	line_len = accel_malloc(cap * sizeof(uint32_t));
	tok->off = accel_calloc((size_t)expect + 1, sizeof(uint32_t));
	if (!raw || !line_rank || !line_off || !line_len || !tok->off) {
		ret = -ENOMEM;
		goto out;
	}
	while (p < end) {
		const uint8_t *eol = memchr(p, '\n', (size_t)(end - p));
		const uint8_t *sp, *q;
		uint64_t rank = 0;
		long nb;

		if (!eol)
			eol = end;
		if (eol == p) { /* blank line (a trailing newline) */
			p = eol + 1;
			continue;
		}
		sp = memchr(p, ' ', (size_t)(eol - p));
		if (!sp || sp + 1 == eol || lines == cap)
			goto out;
		for (q = sp + 1; q < eol; q++) {
			if (*q < '0' || *q > '9' || rank >= expect)
				goto out;
			rank = rank * 10 + (*q - '0');
		}
		if (rank >= expect)
			goto out;
		nb = b64_decode(p, (size_t)(sp - p), raw + raw_len);
		if (nb <= 0)
			goto out;
		line_rank[lines] = (uint32_t)rank;
		line_off[lines] = (uint32_t)raw_len;
		line_len[lines] = (uint32_t)nb;
		raw_len += (size_t)nb;
		lines++;
		p = eol + 1;
	}
	if (lines != expect)
		goto out;
	/* Lay the bytes out in rank order so that off[r + 1] ends rank r. */
	tok->bytes = accel_malloc(raw_len ? raw_len : 1);
	if (!tok->bytes) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t k = 0; k < lines; k++) {
		if (tok->off[line_rank[k] + 1])
			goto out; /* the same rank twice */
		tok->off[line_rank[k] + 1] = line_len[k];
	}
	for (uint32_t r = 0; r < expect; r++)
		tok->off[r + 1] += tok->off[r];
	for (size_t k = 0; k < lines; k++)
		memcpy(tok->bytes + tok->off[line_rank[k]], raw + line_off[k],
		       line_len[k]);
	tok->n_ranks = expect;
	ret = 0;
out:
	accel_free(raw);
	accel_free(line_rank);
	accel_free(line_off);
	accel_free(line_len);
	return ret;
}

static int read_file(const char *path, uint8_t **data, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	size_t got = 0;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto err_close;
	}
	buf = accel_malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		ret = -ENOMEM;
		goto err_close;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			ret = r < 0 ? -errno : -EIO;
			goto err_free;
		}
		got += (size_t)r;
	}
	close(fd);
	*data = buf;
	*len = got;
	return 0;
err_free:
	accel_free(buf);
err_close:
	close(fd);
	return ret;
}

int accel_tokenizer_create(const struct accel_tokenizer_opts *opts,
			   struct accel_tokenizer **out)
{
	const struct enc_def *d;
	struct accel_tokenizer *tok;
	uint8_t *file = NULL;
	const uint8_t *data;
	size_t len = 0, cap;
	int ret;

	*out = NULL;
	if (!opts || !(d = enc_find(opts->encoding)) ||
	    (opts->flags & ~ACCEL_TOKENIZER_JS_DIALECT))
		return -ACCEL_E_TOKENS_ENCODING;
	if (opts->rank_data) {
		data = opts->rank_data;
		len = opts->rank_len;
	} else {
		if (!opts->rank_file)
			return -ACCEL_E_BAD_ARG;
		ret = read_file(opts->rank_file, &file, &len);
		if (ret < 0)
			return ret;
		data = file;
	}
	accel__tok_classes_init();

	tok = accel_calloc(1, sizeof(*tok));
	if (!tok) {
		ret = -ENOMEM;
		goto err_file;
	}
	tok->id = accel__tok_new_id();
	tok->encoding = opts->encoding;
	tok->flags = opts->flags;
	tok->js = !!(opts->flags & ACCEL_TOKENIZER_JS_DIALECT);
	tok->space = tok->js ? TOK_SJ : TOK_SU;
	tok->split = d->split;
	ret = parse_ranks(tok, data, len, d->n_ranks);
	if (ret < 0)
		goto err_tok;

	for (cap = 1024; cap < 2 * (size_t)tok->n_ranks; cap *= 2)
		;
	tok->slots = accel_malloc(cap * sizeof(*tok->slots));
	if (!tok->slots) {
		ret = -ENOMEM;
		goto err_tok;
	}
	for (size_t k = 0; k < cap; k++)
		tok->slots[k].rank = TOK_NO_RANK;
	tok->mask = cap - 1;
	for (uint32_t r = 0; r < tok->n_ranks; r++) {
		ret = rank_insert(tok, r);
		if (ret < 0)
			goto err_tok;
	}
	/* Every byte must be a token, or some pieces could not be encoded. */
	for (unsigned b = 0; b < 256; b++) {
		uint8_t c = (uint8_t)b;

		tok->byte_rank[b] = accel__tok_rank(tok, &c, 1);
		if (tok->byte_rank[b] == TOK_NO_RANK) {
			ret = -ACCEL_E_TOKENS_RANK_FILE;
			goto err_tok;
		}
	}
	ret = accel__tok_bt_build(tok);
	if (ret < 0)
		goto err_tok;
	tok->pair_rank = accel_malloc(65536 * sizeof(*tok->pair_rank));
	if (!tok->pair_rank) {
		ret = -ENOMEM;
		goto err_tok;
	}
	for (unsigned k = 0; k < 65536; k++) {
		uint8_t two[2] = { (uint8_t)(k >> 8), (uint8_t)k };

		tok->pair_rank[k] = accel__tok_rank(tok, two, 2);
	}
	tok->n_special = d->n_special;
	memcpy(tok->special, d->special, sizeof(tok->special));
	tok->vocab_size = tok->n_ranks;
	for (unsigned k = 0; k < tok->n_special; k++)
		if (tok->special[k].id + 1 > tok->vocab_size)
			tok->vocab_size = tok->special[k].id + 1;
	accel_free(file);
	*out = tok;
	return 0;
err_tok:
	accel_tokenizer_destroy(tok);
err_file:
	accel_free(file);
	return ret;
}

int accel_tokenizer_load(const char *rank_file, uint32_t encoding,
			 struct accel_tokenizer **out)
{
	struct accel_tokenizer_opts o = {
		.encoding = encoding,
		.rank_file = rank_file,
	};

	return accel_tokenizer_create(&o, out);
}

void accel_tokenizer_destroy(struct accel_tokenizer *tok)
{
	if (!tok)
		return;
	accel_free(tok->off);
	accel_free(tok->bytes);
	accel_free(tok->slots);
	accel_free(tok->pair_rank);
	accel__tok_bt_free(tok);
	accel_free(tok);
}
