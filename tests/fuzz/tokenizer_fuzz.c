/* SPDX-License-Identifier: MIT */
/*
 * Tokenizer fuzz target: arbitrary bytes through both encodings and both
 * dialects. Properties checked (abort on violation):
 *  - decode(encode(x)) == x in the lossless mode, with special text as text
 *    and, when the first byte says so, with all special tokens allowed;
 *  - count == number of ids; within_limit agrees with count on both sides
 *    of the exact limit;
 *  - with REPLACE_INVALID, decode(encode(x)) is x with each invalid UTF-8
 *    subsequence replaced by U+FFFD, i.e. valid UTF-8;
 *  - the default mode fails exactly when the text holds a special token.
 * Rank files come from ACCEL_TOK_DATA_DIR (the build's data/tokenizer,
 * written by scripts/tokenizer-data.sh), loaded once.
 */
#define _GNU_SOURCE /* memmem */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accel_alloc.h"
#include "accel_err.h"
#include "tokenizer.h"

#ifndef ACCEL_TOK_DATA_DIR
#define ACCEL_TOK_DATA_DIR "data/tokenizer"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct accel_tokenizer *toks[4];

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr,                                        \
				"tokenizer_fuzz: %s failed at %s:%d\n", #cond, \
				__FILE__, __LINE__);                           \
			abort();                                               \
		}                                                              \
	} while (0)

static void load_all(void)
{
	static const char *names[] = { "cl100k_base", "o200k_base" };
	char path[4096];

	for (int k = 0; k < 4; k++) {
		struct accel_tokenizer_opts o = {
			.encoding =
				(uint32_t)accel_tokenizer_encoding_from_name(
					names[k / 2]),
			.flags = (k & 1) ? ACCEL_TOKENIZER_JS_DIALECT : 0,
			.rank_file = path,
		};
		int ret;

		snprintf(path, sizeof(path), "%s/%s.tiktoken",
			 getenv("ACCEL_TOK_DATA_DIR") ?
				 getenv("ACCEL_TOK_DATA_DIR") :
				 ACCEL_TOK_DATA_DIR,
			 names[k / 2]);
		ret = accel_tokenizer_create(&o, &toks[k]);
		if (ret < 0) {
			fprintf(stderr, "tokenizer_fuzz: %s: %s\n", path,
				accel_strerror(ret));
			abort();
		}
	}
}

/* Is s[0, n) valid UTF-8 (no surrogates, no overlongs)? */
static int valid_utf8(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t b = s[i];
		size_t need;
		uint8_t lo = 0x80, hi = 0xbf;

		if (b < 0x80) {
			i++;
			continue;
		}
		if (b >= 0xc2 && b <= 0xdf)
			need = 1;
		else if (b >= 0xe0 && b <= 0xef)
			need = 2, lo = b == 0xe0 ? 0xa0 : 0x80,
			hi = b == 0xed ? 0x9f : 0xbf;
		else if (b >= 0xf0 && b <= 0xf4)
			need = 3, lo = b == 0xf0 ? 0x90 : 0x80,
			hi = b == 0xf4 ? 0x8f : 0xbf;
		else
			return 0;
		if (n - i <= need)
			return 0;
		for (size_t k = 1; k <= need; k++) {
			if (s[i + k] < lo || s[i + k] > hi)
				return 0;
			lo = 0x80;
			hi = 0xbf;
		}
		i += need + 1;
	}
	return 1;
}

static int has_special(const struct accel_tokenizer *tok, const uint8_t *s,
		       size_t n)
{
	for (unsigned k = 0; k < accel_tokenizer_special_count(tok); k++) {
		const char *sp = accel_tokenizer_special(tok, k, NULL);

		if (memmem(s, n, sp, strlen(sp)))
			return 1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct accel_tokenizer_ids ids = { 0 };
	uint8_t *back = NULL;
	unsigned sel;

	if (!toks[0])
		load_all();
	if (size == 0)
		return 0;
	sel = data[0];
	data++;
	size--;
	for (int k = 0; k < 4; k++) {
		const struct accel_tokenizer *tok = toks[k];
		struct accel_tokenizer_mode m = {
			.allowed_special =
				(sel & 1) ? ACCEL_TOKENIZER_SPECIAL_ALL : 0,
		};
		struct accel_tokenizer_mode repl = {
			.flags = ACCEL_TOKENIZER_REPLACE_INVALID,
		};
		size_t len;
		uint64_t count, c2;
		int ret;

		ids.len = 0;
		CHECK(accel_tokenizer_encode(tok, data, size, &m, &ids) == 0);
		CHECK(accel_tokenizer_count(tok, data, size, &m, &count) == 0);
		CHECK(count == ids.len);
		CHECK(accel_tokenizer_within_limit(tok, data, size, &m, count,
						   &c2) == 1 &&
		      c2 == count);
		if (count > 0)
			CHECK(accel_tokenizer_within_limit(tok, data, size, &m,
							   count - 1,
							   &c2) == 0 &&
			      c2 > count - 1 && c2 <= count);
		back = realloc(back, size + 1);
		CHECK(back);
		CHECK(accel_tokenizer_decode(tok, ids.ids, ids.len, back, size,
					     &len) == 0);
		CHECK(len == size && !memcmp(back, data, size));

		/* Default mode: an error exactly when a special is present. */
		ret = accel_tokenizer_count(tok, data, size, NULL, &c2);
		CHECK(has_special(tok, data, size) ?
			      ret == -ACCEL_E_TOKENS_SPECIAL :
			      ret == 0 && c2 == count);

		/* Replacement mode decodes to valid UTF-8. */
		ids.len = 0;
		CHECK(accel_tokenizer_encode(tok, data, size, &repl, &ids) ==
		      0);
		CHECK(accel_tokenizer_decode(tok, ids.ids, ids.len, NULL, 0,
					     &len) >= -ACCEL_E_NO_SPACE);
		back = realloc(back, len + 1);
		CHECK(back);
		CHECK(accel_tokenizer_decode(tok, ids.ids, ids.len, back, len,
					     &len) == 0);
		CHECK(valid_utf8(back, len));
		if (valid_utf8(data, size))
			CHECK(len == size && !memcmp(back, data, size));
	}
	accel_free(ids.ids);
	free(back);
	return 0;
}
