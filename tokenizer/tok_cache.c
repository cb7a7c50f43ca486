/* SPDX-License-Identifier: MIT */
/*
 * A per-thread cache of merged pieces. Most pieces that are not tokens
 * themselves (identifiers, rare words, runs of punctuation) recur many
 * times in one text, and the merge costs far more than a lookup: on 10 MB
 * of code and prose only one piece in five that needs a merge is new.
 *
 * Each thread has its own cache, so the tokenizer stays immutable and
 * lock-free. Results are records of variable size in a ring (the arena):
 * a piece of 12 bytes and 3 ids takes 40 bytes rather than a slot sized for
 * the longest piece, so tens of thousands of pieces fit in a few MB. An
 * index of two-way sets maps the piece's XXH3 to the record's position; a
 * position that the ring has since overwritten is simply a miss. Every hit
 * compares the tokenizer id, the length and the bytes, so the cache can
 * return only what the merge would. Records name the tokenizer by a
 * process-unique id, never by its address, so a tokenizer created where a
 * destroyed one was cannot hit stale records.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "accel_alloc.h"
#include "tok_int.h"

/* Index: 2^SET_BITS sets of two 64-bit slots (512 KB). */
#define SET_BITS 15
#define N_SETS	 (1u << SET_BITS)
/* Arena: records of all tokenizers used by the thread, reused in turn. */
#define ARENA_BYTES ((uint64_t)4 << 20)
#define ARENA_MASK  (ARENA_BYTES - 1)

/*
 * A slot holds the record's position in the ring plus one (48 bits; 0 is
 * an empty slot) and the top 16 bits of the piece's hash, so that most
 * misses never touch the arena.
 */
#define SLOT_POS_BITS 48
#define SLOT_POS_MASK ((1ull << SLOT_POS_BITS) - 1)

/* A record: this header, the ids, then the piece's bytes. */
struct cache_rec {
	uint64_t tok_id;
	uint16_t len;
	uint16_t n_ids;
	uint32_t resv;
	uint32_t ids[];
};

struct cache {
	uint64_t head; /* bytes ever written to the ring */
	uint64_t *index;
	uint8_t *arena;
};

static _Thread_local struct cache *tls_cache;
static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;
static int cache_key_ok;
static atomic_uint_fast64_t next_tok_id = 1;

static void cache_free(void *p)
{
	struct cache *c = p;

	accel_free(c->index);
	accel_free(c->arena);
	accel_free(c);
}

static void cache_key_init(void)
{
	cache_key_ok = pthread_key_create(&cache_key, cache_free) == 0;
}

uint64_t accel__tok_new_id(void)
{
	return atomic_fetch_add(&next_tok_id, 1);
}

/* The calling thread's cache, created on first use; NULL if no memory. */
static struct cache *cache(void)
{
	struct cache *c;

	if (ACCEL_LIKELY(tls_cache != NULL))
		return tls_cache;
	pthread_once(&cache_once, cache_key_init);
	if (!cache_key_ok)
		return NULL;
	c = accel_calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->index = accel_calloc(2 * (size_t)N_SETS, sizeof(*c->index));
	c->arena = accel_malloc(ARENA_BYTES);
	if (!c->index || !c->arena || pthread_setspecific(cache_key, c)) {
		cache_free(c);
		return NULL;
	}
	tls_cache = c;
	return c;
}

static inline uint64_t *set_of(const struct cache *c, uint64_t h)
{
	return &c->index[2 * ((h >> 32) & (N_SETS - 1))];
}

static inline uint64_t tag_of(uint64_t h)
{
	return h >> SLOT_POS_BITS << SLOT_POS_BITS;
}

static inline size_t rec_size(size_t n, size_t n_ids)
{
	return (sizeof(struct cache_rec) + n_ids * sizeof(uint32_t) + n + 7) &
	       ~(size_t)7;
}

/* The record a slot names, or NULL when the ring has overwritten it. */
static inline const struct cache_rec *rec_at(const struct cache *c,
					     uint64_t slot)
{
	uint64_t pos = (slot & SLOT_POS_MASK) - 1;

	if (c->head - pos > ARENA_BYTES)
		return NULL;
	return (const struct cache_rec *)(c->arena + (pos & ARENA_MASK));
}

long accel__tok_cache_get(const struct accel_tokenizer *tok, uint64_t h,
			  const uint8_t *p, size_t n, uint32_t *ids)
{
	struct cache *c = cache();
	const uint64_t *set;

	if (!c || n > TOK_CACHE_KEY_MAX)
		return -1;
	set = set_of(c, h);
	for (unsigned w = 0; w < 2; w++) {
		const struct cache_rec *r;

		if (!set[w] || tag_of(set[w]) != tag_of(h))
			continue;
		r = rec_at(c, set[w]);
		if (!r || r->tok_id != tok->id || r->len != n ||
		    !tok_same((const uint8_t *)(r->ids + r->n_ids), p, n))
			continue;
		if (ids)
			memcpy(ids, r->ids, r->n_ids * sizeof(*ids));
		return r->n_ids;
	}
	return -1;
}

void accel__tok_cache_put(const struct accel_tokenizer *tok, uint64_t h,
			  const uint8_t *p, size_t n, const uint32_t *ids,
			  size_t n_ids)
{
	struct cache *c = cache();
	struct cache_rec *r;
	uint64_t *set, pos;
	size_t sz;
	unsigned w;

	if (!c || n > TOK_CACHE_KEY_MAX || n_ids > n)
		return;
	/* Positions have 48 bits: start over long before they run out. */
	if (ACCEL_UNLIKELY(c->head >> (SLOT_POS_BITS - 1))) {
		memset(c->index, 0, 2 * (size_t)N_SETS * sizeof(*c->index));
		c->head = 0;
	}
	sz = rec_size(n, n_ids);
	/* A record never wraps: skip the end of the ring instead. */
	if ((c->head & ARENA_MASK) + sz > ARENA_BYTES)
		c->head = (c->head | ARENA_MASK) + 1;
	pos = c->head;
	c->head += sz;
	r = (struct cache_rec *)(c->arena + (pos & ARENA_MASK));
	r->tok_id = tok->id;
	r->len = (uint16_t)n;
	r->n_ids = (uint16_t)n_ids;
	r->resv = 0;
	memcpy(r->ids, ids, n_ids * sizeof(*ids));
	memcpy(r->ids + n_ids, p, n);

	/* An empty or overwritten way, else the older of the two. */
	set = set_of(c, h);
	if (!set[0] || !rec_at(c, set[0]))
		w = 0;
	else if (!set[1] || !rec_at(c, set[1]))
		w = 1;
	else
		w = (set[0] & SLOT_POS_MASK) > (set[1] & SLOT_POS_MASK);
	set[w] = tag_of(h) | (pos + 1);
}
