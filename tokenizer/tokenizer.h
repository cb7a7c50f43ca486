/* SPDX-License-Identifier: MIT */
#ifndef ACCEL_TOKENIZER_H
#define ACCEL_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

/*
 * Byte-level BPE tokenizer equal to OpenAI's tiktoken for cl100k_base and
 * o200k_base.
 *
 * A tokenizer is loaded once from a rank file (one "base64 rank" per line,
 * as shipped in gpt-tokenizer's data/ folder and by tiktoken) and is
 * immutable afterwards: every function below that takes a
 * `const struct accel_tokenizer *` may be called from any number of threads
 * at once without locking. Calls allocate only scratch for pieces longer
 * than 96 bytes (freed before returning), the output buffers they are asked
 * to grow, and once per thread a 320 KiB cache of merged pieces (freed at
 * thread exit).
 *
 * Text is UTF-8 bytes. The pre-tokenizer follows the encoding's split
 * pattern exactly; the BPE merge makes tiktoken's choices (lowest rank,
 * leftmost first) without its quadratic cost on long pieces: a 1 MB run of
 * one character counts in a few tens of millions of instructions.
 * docs/tokens.md describes the parity rules (dialects, invalid UTF-8, BOM,
 * Unicode version) in detail.
 */

struct accel_tokenizer;

/* Encodings. The numbers are stable (they cross the engine boundary). */
enum accel_tokenizer_encoding {
	ACCEL_TOKENIZER_CL100K_BASE = 1,
	ACCEL_TOKENIZER_O200K_BASE = 2,
};

/*
 * accel_tokenizer_opts.flags.
 *
 * ACCEL_TOKENIZER_JS_DIALECT: split text as js-tiktoken does with the
 * JavaScript regex engine instead of as tiktoken (Rust) does. The two
 * differ only in `\s` (JavaScript counts U+FEFF, the BOM, as white space and
 * not U+0085; Rust uses the Unicode White_Space property, the other way
 * round) and in case-insensitive contractions (Rust's `(?i:'s)` also
 * matches U+017F LATIN SMALL LETTER LONG S). The default is tiktoken's.
 */
#define ACCEL_TOKENIZER_JS_DIALECT (1u << 0)

struct accel_tokenizer_opts {
	/* Encoding, one of enum accel_tokenizer_encoding. */
	uint32_t encoding;
	/* ACCEL_TOKENIZER_* flags above; unknown bits are rejected. */
	uint32_t flags;
	/*
	 * Rank file contents. When rank_data is NULL, rank_file is read
	 * instead (a path). The data is parsed and copied; the caller keeps
	 * ownership of both.
	 */
	const char *rank_file;
	const void *rank_data;
	size_t rank_len;
};

/*
 * Loads a tokenizer. Returns 0 with *out set on success; -ENOENT or another
 * -errno when the file cannot be read, -ACCEL_E_TOKENS_RANK_FILE when a line
 * is malformed (bad base64, bad or duplicate rank, duplicate bytes),
 * -ACCEL_E_TOKENS_ENCODING for an unknown encoding or flag, -ENOMEM.
 * Allocates; the result is freed with accel_tokenizer_destroy().
 */
int accel_tokenizer_create(const struct accel_tokenizer_opts *opts,
			   struct accel_tokenizer **out);

/* Shorthand for accel_tokenizer_create() from a path with no flags. */
int accel_tokenizer_load(const char *rank_file, uint32_t encoding,
			 struct accel_tokenizer **out);

/* Frees a tokenizer; accepts NULL. No call may be running on it. */
void accel_tokenizer_destroy(struct accel_tokenizer *tok);

/*
 * The process-wide tokenizer of an encoding and flags, for callers that
 * all want the same one (the engine's tokens and context ops). The first
 * call for an (encoding, flags) pair loads it from dir/<encoding>.tiktoken;
 * later calls return the same tokenizer whatever their dir. A failed load is
 * not remembered: the next call tries again. Returns 0 with *out set, or the
 * errors of accel_tokenizer_create(). Thread-safe; after the first load a
 * call takes no lock and never allocates. The tokenizers live until the
 * process exits.
 */
int accel_tokenizer_shared(uint32_t encoding, uint32_t flags, const char *dir,
			   const struct accel_tokenizer **out);

/*
 * Maps "cl100k_base" / "o200k_base" to the enum. Returns the encoding (> 0)
 * or -ACCEL_E_TOKENS_ENCODING.
 */
int accel_tokenizer_encoding_from_name(const char *name);

/* Returns "cl100k_base" or "o200k_base" (static), NULL when unknown. */
const char *accel_tokenizer_encoding_name(uint32_t encoding);

/*
 * Special tokens of the loaded encoding, index 0 .. count-1; the index is
 * the bit used in struct accel_tokenizer_mode. cl100k_base has
 * <|endoftext|>, <|fim_prefix|>, <|fim_middle|>, <|fim_suffix|>,
 * <|endofprompt|>; o200k_base has <|endoftext|> and <|endofprompt|>.
 */
unsigned accel_tokenizer_special_count(const struct accel_tokenizer *tok);

/*
 * Returns the text (NUL-terminated, static for the tokenizer's life) of
 * special token `index` and stores its id in *id when id is not NULL, or
 * NULL when index is out of range.
 */
const char *accel_tokenizer_special(const struct accel_tokenizer *tok,
				    unsigned index, uint32_t *id);

/* Returns the bit index of a special token's text, or -ACCEL_E_NOT_FOUND. */
int accel_tokenizer_special_index(const struct accel_tokenizer *tok,
				  const char *text);

/* Number of ids: one more than the largest rank or special id. */
uint32_t accel_tokenizer_vocab_size(const struct accel_tokenizer *tok);

/*
 * Per-call mode. Passing NULL means tiktoken's default: no special token is
 * allowed and all are disallowed, invalid UTF-8 kept as bytes.
 *
 * allowed_special: bit i set makes special token i, where it appears in the
 * text, encode to its id (tiktoken's allowed_special). Bits of special
 * tokens outside the set are ordinary text.
 * disallowed_special: bit i set makes the call fail with
 * -ACCEL_E_TOKENS_SPECIAL when special token i appears anywhere in the text
 * (tiktoken's disallowed_special; checked before anything is encoded, and
 * even when the bit is also allowed, as in js-tiktoken).
 * Use ACCEL_TOKENIZER_SPECIAL_ALL for "all": {ALL, 0} is
 * encode_with_special_tokens, {0, 0} treats special text as ordinary text,
 * {0, ALL} is the default.
 */
#define ACCEL_TOKENIZER_SPECIAL_ALL UINT32_MAX

/*
 * ACCEL_TOKENIZER_REPLACE_INVALID: each maximal invalid UTF-8 subsequence
 * is encoded as U+FFFD (the WHATWG TextDecoder rule), which is exactly what
 * js-tiktoken and tiktoken see when handed the same bytes as a decoded
 * string. Without it invalid bytes are kept as bytes (they split like one
 * U+FFFD character each, but their own bytes are merged), so that
 * decode(encode(x)) == x for any bytes x.
 */
#define ACCEL_TOKENIZER_REPLACE_INVALID (1u << 0)

struct accel_tokenizer_mode {
	uint32_t allowed_special;
	uint32_t disallowed_special;
	uint32_t flags; /* ACCEL_TOKENIZER_REPLACE_INVALID */
	uint32_t resv;	/* must be 0 */
};

/*
 * A growable array of token ids. Start it zeroed (or reuse one: encode
 * appends after `len`); it is grown with accel_realloc() and freed by the
 * caller with accel_free(ids.ids).
 */
struct accel_tokenizer_ids {
	uint32_t *ids;
	size_t len;
	size_t cap;
};

/*
 * Counts the tokens of text[0, len) without building a token array.
 * Returns 0 with *count set, -ACCEL_E_TOKENS_SPECIAL when a disallowed
 * special token is present, -ACCEL_E_BAD_ARG for a bad mode, -ENOMEM
 * (only for very long pieces). Thread-safe.
 */
int accel_tokenizer_count(const struct accel_tokenizer *tok, const void *text,
			  size_t len, const struct accel_tokenizer_mode *mode,
			  uint64_t *count);

/*
 * Counts tokens but stops as soon as the count exceeds `limit`
 * (gpt-tokenizer's isWithinTokenLimit). Returns 1 when the text has at most
 * `limit` tokens (*count is then the exact count), 0 when it has more
 * (*count is then limit + 1 .. limit + the tokens of one piece: where the
 * scan stopped), or a negative error as accel_tokenizer_count().
 */
int accel_tokenizer_within_limit(const struct accel_tokenizer *tok,
				 const void *text, size_t len,
				 const struct accel_tokenizer_mode *mode,
				 uint64_t limit, uint64_t *count);

/*
 * Encodes text[0, len), appending ids to *out. Returns 0, or a negative
 * error as accel_tokenizer_count(); on error out->len is restored to its
 * value on entry (the buffer may have grown). Thread-safe for distinct
 * `out`.
 */
int accel_tokenizer_encode(const struct accel_tokenizer *tok, const void *text,
			   size_t len, const struct accel_tokenizer_mode *mode,
			   struct accel_tokenizer_ids *out);

/*
 * Returns the bytes of one token id (a rank or a special token) and stores
 * their length in *len, or NULL for an unknown id. The bytes live as long as
 * the tokenizer; they are not NUL-terminated.
 */
const uint8_t *accel_tokenizer_token_bytes(const struct accel_tokenizer *tok,
					   uint32_t id, size_t *len);

/*
 * Decodes ids into buf[0, cap). Returns 0 and sets *len to the number of
 * bytes written; -ACCEL_E_TOKENS_BAD_ID for an unknown id;
 * -ACCEL_E_NO_SPACE when cap is too small (*len is then the size needed).
 * buf may be NULL when cap is 0, to ask for the size. The bytes may be
 * invalid UTF-8 when the ids split a character (tiktoken's decode_bytes).
 * Never allocates.
 */
int accel_tokenizer_decode(const struct accel_tokenizer *tok,
			   const uint32_t *ids, size_t n, uint8_t *buf,
			   size_t cap, size_t *len);

#endif
