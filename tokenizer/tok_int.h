/* SPDX-License-Identifier: MIT */
#ifndef ACCEL_TOK_INT_H
#define ACCEL_TOK_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* XXH3 inlined: the rank lookup hashes short keys in the hot loop. */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "accel_compiler.h"
#include "tokenizer.h"

/*
 * Character classes of the split patterns, one byte per code point. The
 * bits are unions of Unicode general categories, as the patterns use them.
 */
#define TOK_L	0x01 /* \p{L}: Lu Ll Lt Lm Lo */
#define TOK_N	0x02 /* \p{N}: Nd Nl No */
#define TOK_U	0x04 /* o200k "upper": Lu Lt Lm Lo M */
#define TOK_W	0x08 /* o200k "lower": Ll Lm Lo M */
#define TOK_SJ	0x10 /* JavaScript \s: Zs, \t..\r, U+2028/9, U+FEFF */
#define TOK_SU	0x20 /* Unicode White_Space (Rust \s) */
#define TOK_NL	0x40 /* \r or \n */
#define TOK_BAD 0x80 /* an invalid UTF-8 subsequence (no code point) */

/*
 * Builds the class tables on first use (thread-safe, once per process) and
 * returns the two-stage table's blocks; see tok_unicode.c.
 */
void accel__tok_classes_init(void);
extern const uint16_t *accel__tok_stage1; /* [0x1100]: block of cp >> 8 */
extern const uint8_t *accel__tok_stage2;  /* [blocks * 256] */
extern uint8_t accel__tok_ascii[128];

static inline unsigned tok_cp_class(uint32_t cp)
{
	return accel__tok_stage2[(size_t)accel__tok_stage1[cp >> 8] * 256 +
				 (cp & 0xff)];
}

/*
 * Length of the UTF-8 sequence at s[0] (s < end), and its class in *cls.
 * An invalid sequence has the length of its maximal subpart (Unicode 3.9,
 * the rule TextDecoder uses to emit one U+FFFD) and class TOK_BAD.
 */
static inline unsigned tok_char(const uint8_t *s, const uint8_t *end,
				unsigned *cls)
{
	uint32_t b0 = s[0], cp;
	size_t avail = (size_t)(end - s);
	uint8_t lo = 0x80, hi = 0xbf;
	unsigned need, k;

	if (ACCEL_LIKELY(b0 < 0x80)) {
		*cls = accel__tok_ascii[b0];
		return 1;
	}
	if (b0 >= 0xc2 && b0 <= 0xdf) {
		need = 1;
		cp = b0 & 0x1f;
	} else if (b0 >= 0xe0 && b0 <= 0xef) {
		need = 2;
		cp = b0 & 0x0f;
		if (b0 == 0xe0)
			lo = 0xa0;
		else if (b0 == 0xed)
			hi = 0x9f;
	} else if (b0 >= 0xf0 && b0 <= 0xf4) {
		need = 3;
		cp = b0 & 0x07;
		if (b0 == 0xf0)
			lo = 0x90;
		else if (b0 == 0xf4)
			hi = 0x8f;
	} else {
		*cls = TOK_BAD;
		return 1;
	}
	for (k = 1; k <= need; k++) {
		if (k >= avail || s[k] < lo || s[k] > hi) {
			*cls = TOK_BAD;
			return k;
		}
		cp = (cp << 6) | (s[k] & 0x3f);
		lo = 0x80;
		hi = 0xbf;
	}
	*cls = tok_cp_class(cp);
	return need + 1;
}

/* Pre-tokenizer: one split function per encoding. */
typedef size_t (*tok_split_fn)(const uint8_t *s, size_t i, size_t n,
			       unsigned space, int js);
size_t accel__tok_split_cl100k(const uint8_t *s, size_t i, size_t n,
			       unsigned space, int js);
size_t accel__tok_split_o200k(const uint8_t *s, size_t i, size_t n,
			      unsigned space, int js);

#define TOK_MAX_SPECIAL 8
#define TOK_NO_RANK	UINT32_MAX

/*
 * A slot of the bytes -> rank table. Tokens of up to 8 bytes (most of
 * them) keep their bytes in `key`, so a lookup compares one word and
 * touches nothing else; longer ones keep their hash there and are
 * compared with the bytes.
 */
struct tok_slot {
	uint64_t key;  /* tok_key() */
	uint32_t rank; /* TOK_NO_RANK: empty */
	uint32_t len;  /* of the token's bytes */
};

struct tok_special {
	const char *text;
	uint32_t len;
	uint32_t id;
};

/* Tables of the linear-time merge for long pieces (tok_bt.c). */
struct tok_bt {
	struct {
		uint32_t left, right;
	} * split;

	struct {
		uint64_t key;
		uint32_t val;
	} * pairs;

	uint64_t pmask;
};

struct accel_tokenizer {
	uint64_t id; /* process-unique, names the tokenizer in caches */
	uint32_t encoding;
	uint32_t flags;
	unsigned space; /* TOK_SJ or TOK_SU */
	int js;		/* ACCEL_TOKENIZER_JS_DIALECT */
	tok_split_fn split;

	/* Rank -> bytes: off[rank], off[rank + 1] into bytes. */
	uint32_t n_ranks;
	uint32_t *off;
	uint8_t *bytes;
	/* Rank of each single byte (all 256 are tokens in both encodings). */
	uint32_t byte_rank[256];
	/* Rank of each two-byte string (b0 << 8 | b1), or TOK_NO_RANK. */
	uint32_t *pair_rank;

	/* Bytes -> rank: open addressing on XXH3-64, power-of-two size. */
	struct tok_slot *slots;
	uint64_t mask;

	struct tok_bt bt;

	unsigned n_special;
	struct tok_special special[TOK_MAX_SPECIAL];
	uint32_t vocab_size;
};

/*
 * memcmp(a, b, n) == 0, inline for the short keys of the hot loop: two
 * overlapping loads from each end instead of a loop over the bytes (whose
 * exit branch the CPU mispredicts), never reading outside [0, n).
 */
static inline int tok_same(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint64_t x0, x1, y0, y1;
	uint32_t u0, u1, v0, v1;
	uint16_t w0, w1, z0, z1;

	if (n >= 8) {
		if (n > 16)
			return !memcmp(a, b, n);
		memcpy(&x0, a, 8);
		memcpy(&x1, a + n - 8, 8);
		memcpy(&y0, b, 8);
		memcpy(&y1, b + n - 8, 8);
		return ((x0 ^ y0) | (x1 ^ y1)) == 0;
	}
	if (n >= 4) {
		memcpy(&u0, a, 4);
		memcpy(&u1, a + n - 4, 4);
		memcpy(&v0, b, 4);
		memcpy(&v1, b + n - 4, 4);
		return ((u0 ^ v0) | (u1 ^ v1)) == 0;
	}
	if (n >= 2) {
		memcpy(&w0, a, 2);
		memcpy(&w1, a + n - 2, 2);
		memcpy(&z0, b, 2);
		memcpy(&z1, b + n - 2, 2);
		return ((w0 ^ z0) | (w1 ^ z1)) == 0;
	}
	return n == 0 || a[0] == b[0];
}

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "tok_key() packs bytes as a little-endian word"
#endif

#define TOK_SHORT_KEY 8

/*
 * The key of the bytes p[0, n) in the rank table: for n <= TOK_SHORT_KEY
 * the bytes themselves as a little-endian word (zero above n, never read
 * past p + n), else their XXH3-64.
 */
static inline __attribute__((always_inline)) uint64_t tok_key(const uint8_t *p,
							      size_t n)
{
	uint32_t lo, hi;
	uint16_t w;

	if (n > TOK_SHORT_KEY)
		return XXH3_64bits(p, n);
	if (n >= 4) {
		/* Two overlapping loads; the shared bytes are equal. */
		memcpy(&lo, p, 4);
		memcpy(&hi, p + n - 4, 4);
		return lo | (uint64_t)hi << (8 * (n - 4));
	}
	if (n >= 2) {
		memcpy(&w, p, 2);
		return w | (uint64_t)p[n - 1] << (8 * (n - 1));
	}
	return n ? p[0] : 0;
}

/*
 * The hash of a key of n bytes: short keys are mixed (with their length,
 * as zero bytes pad them), long ones are already XXH3. Every bit is well
 * mixed: the rank table indexes by the low bits, the piece cache by the
 * high ones.
 */
static inline uint64_t tok_key_hash(uint64_t key, size_t n)
{
	if (n > TOK_SHORT_KEY)
		return key;
	key ^= (uint64_t)n << 56;
	key *= 0x9e3779b97f4a7c15ull;
	key ^= key >> 32;
	key *= 0xd6e8feb86659fd93ull;
	key ^= key >> 32;
	return key;
}

/* Rank of the bytes p[0, n) whose tok_key() is key, or TOK_NO_RANK. */
static inline uint32_t accel__tok_rank_k(const struct accel_tokenizer *tok,
					 const uint8_t *p, size_t n,
					 uint64_t key, uint64_t h)
{
	uint64_t i = h & tok->mask;

	for (;; i = (i + 1) & tok->mask) {
		const struct tok_slot *sl = &tok->slots[i];

		if (sl->rank == TOK_NO_RANK)
			return TOK_NO_RANK;
		if (sl->key == key && sl->len == n &&
		    (n <= TOK_SHORT_KEY ||
		     tok_same(tok->bytes + tok->off[sl->rank], p, n)))
			return sl->rank;
	}
}

/* Rank of the bytes p[0, n), or TOK_NO_RANK. */
static inline uint32_t accel__tok_rank(const struct accel_tokenizer *tok,
				       const uint8_t *p, size_t n)
{
	uint64_t key = tok_key(p, n);

	return accel__tok_rank_k(tok, p, n, key, tok_key_hash(key, n));
}

/*
 * Cache of merged pieces up to TOK_CACHE_KEY_MAX bytes (tok_cache.c): a
 * per-thread level in front of one shared by the process. get returns the
 * number of ids (copied to ids when not NULL) or -1 on a miss; put stores
 * a result (ids[0, n_ids), n_ids <= n) in both levels. Thread-safe.
 */
#define TOK_CACHE_KEY_MAX 128
/* The shared level's arena: it takes records up to this many bytes. */
#define TOK_CACHE_SHARED_BYTES ((uint64_t)16 << 20)
uint64_t accel__tok_new_id(void);
long accel__tok_cache_get(const struct accel_tokenizer *tok, uint64_t h,
			  const uint8_t *p, size_t n, uint32_t *ids);
void accel__tok_cache_put(const struct accel_tokenizer *tok, uint64_t h,
			  const uint8_t *p, size_t n, const uint32_t *ids,
			  size_t n_ids);

/*
 * The calling thread's lookups so far (hits in its own level, hits in the
 * shared level, misses) and the shared level's records and bytes.
 */
struct accel__tok_cache_stats {
	uint64_t local_hits;
	uint64_t shared_hits;
	uint64_t misses;
	uint64_t shared_records;
	uint64_t shared_bytes;
};

void accel__tok_cache_stats(struct accel__tok_cache_stats *st);
/* Turns the shared level off (0) or on (1, the default) for tests and
 * benches: the per-thread level alone is what get and put then use. */
void accel__tok_cache_use_shared(int on);

/*
 * Merges one piece p[0, n) (n >= 2) the way tiktoken's byte_pair_merge
 * does and stores the resulting ids in ids[] (room for n ids), or only
 * counts them when ids is NULL. Returns the number of tokens, or -ENOMEM
 * when a long piece needs scratch memory that cannot be allocated.
 */
long accel__tok_bpe(const struct accel_tokenizer *tok, const uint8_t *p,
		    size_t n, uint32_t *ids);
/* The same with the heap merge, whatever the length (tests compare). */
long accel__tok_bpe_heap(const struct accel_tokenizer *tok, const uint8_t *p,
			 size_t n, uint32_t *ids);

/*
 * tok_bt.c: build/free the valid-pair tables; may BPE leave t1 t2 side by
 * side; can BPE produce t at all.
 */
int accel__tok_bt_build(struct accel_tokenizer *tok);
void accel__tok_bt_free(struct accel_tokenizer *tok);
int accel__tok_valid_pair(const struct accel_tokenizer *tok, uint32_t t1,
			  uint32_t t2);
int accel__tok_usable(const struct accel_tokenizer *tok, uint32_t t);

#endif
