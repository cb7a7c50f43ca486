/* SPDX-License-Identifier: MIT */
/*
 * A cache of merged pieces in two levels. Most pieces that are not tokens
 * themselves (identifiers, rare words, runs of punctuation) recur many
 * times in one text, and the merge costs far more than a lookup: on 10 MB
 * of code and prose only one piece in five that needs a merge is new.
 *
 * The first level is per thread, so the common hit takes no atomic and
 * touches no line another thread writes. Results are records of variable
 * size in a ring (the arena): a piece of 12 bytes and 3 ids takes 40 bytes
 * rather than a slot sized for the longest piece, so tens of thousands of
 * pieces fit in a few MB. An index of two-way sets maps the piece's hash to
 * the record's position; a position that the ring has since overwritten is
 * simply a miss.
 *
 * The second level is one per process, behind every thread's first level:
 * the engine runs a request on its poller or on any of its workers, and
 * without it each thread merges the same pieces again, and the first
 * level's evictions (a set holds two pieces) are merged again on every
 * pass. It only grows: records are bump-allocated in a fixed arena and
 * published by a compare-and-swap of an empty index slot, and neither is
 * ever written again, so a reader needs no lock and can never see a record
 * change under it. When the arena is full the level takes no more pieces
 * (the first level still does, copying them into its ring). A piece in
 * the second level is linked, not copied, from the thread's first level
 * once the thread has looked it up or put it there.
 *
 * Every hit, at either level, compares the tokenizer id, the length and
 * the bytes, so the cache can return only what the merge would. Records
 * name the tokenizer by a process-unique id, never by its address, so a
 * tokenizer created where a destroyed one was cannot hit stale records
 * (a destroyed tokenizer's records in the second level stay until exit).
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
 * misses never touch the arena. With SLOT_SHARED the position is instead
 * the record's offset in the shared level's arena plus one: the thread
 * keeps a link, not a copy, since that record never changes.
 */
#define SLOT_POS_BITS 48
#define SLOT_POS_MASK ((1ull << SLOT_POS_BITS) - 1)
#define SLOT_SHARED   (1ull << (SLOT_POS_BITS - 1))

/*
 * The shared level: a 16 MiB arena (the budget; every distinct piece of the
 * 10 MB Node bench corpus in both encodings, 80,374 of them, takes 4.3 MB)
 * and 2^19 slots (4 MiB) found by linear probing, at most SHARED_PROBE of
 * them per piece. Pages of both are touched only when written. A slot is the
 * record's offset plus one in the high 32 bits (0: empty) and the low 32
 * bits of the piece's hash.
 */
#define SHARED_ARENA_BYTES TOK_CACHE_SHARED_BYTES
#define SHARED_SLOT_BITS   19
#define SHARED_SLOTS	   (1u << SHARED_SLOT_BITS)
#define SHARED_PROBE	   16

/* A record: this header, the ids, then the piece's bytes. */
struct cache_rec {
	uint64_t tok_id;
	uint16_t len;
	uint16_t n_ids;
	uint32_t resv;
	uint32_t ids[];
};

struct shared_cache {
	_Atomic uint64_t head; /* bytes handed out, may pass the arena */
	_Atomic uint64_t records;
	_Atomic uint64_t *index;
	uint8_t *arena;
};

struct cache {
	uint64_t head; /* bytes ever written to the ring */
	uint64_t *index;
	uint8_t *arena;
	struct shared_cache *shared; /* NULL: no second level */
	struct accel__tok_cache_stats stats;
};

static _Thread_local struct cache *tls_cache;
static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;
static int cache_key_ok;
static struct shared_cache *shared_cache;
static atomic_int shared_off;
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
	struct shared_cache *sc;

	cache_key_ok = pthread_key_create(&cache_key, cache_free) == 0;
	/* The shared level lives until exit; without memory, no level. */
	sc = accel_calloc(1, sizeof(*sc));
	if (!sc)
		return;
	sc->index = accel_calloc(SHARED_SLOTS, sizeof(*sc->index));
	sc->arena = accel_malloc(SHARED_ARENA_BYTES);
	if (!sc->index || !sc->arena) {
		accel_free(sc->index);
		accel_free(sc->arena);
		accel_free(sc);
		return;
	}
	shared_cache = sc;
}

uint64_t accel__tok_new_id(void)
{
	return atomic_fetch_add(&next_tok_id, 1);
}

void accel__tok_cache_use_shared(int on)
{
	atomic_store_explicit(&shared_off, !on, memory_order_relaxed);
}

/* The calling thread's cache, created on first use; NULL if no memory. */
static struct cache *cache(void)
{
	struct cache *c;

	if (ACCEL_LIKELY(tls_cache != NULL))
		return tls_cache;
	/* pthread_once orders shared_cache's initialization before us. */
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
	c->shared = shared_cache;
	tls_cache = c;
	return c;
}

void accel__tok_cache_stats(struct accel__tok_cache_stats *st)
{
	struct cache *c = cache();
	struct shared_cache *sc = c ? c->shared : NULL;
	uint64_t used;

	*st = c ? c->stats : (struct accel__tok_cache_stats){ 0 };
	if (!sc)
		return;
	st->shared_records =
		atomic_load_explicit(&sc->records, memory_order_relaxed);
	used = atomic_load_explicit(&sc->head, memory_order_relaxed);
	st->shared_bytes = used < SHARED_ARENA_BYTES ? used :
						       SHARED_ARENA_BYTES;
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

/* Does record r hold the piece p[0, n) of tok? */
static inline int rec_is(const struct cache_rec *r,
			 const struct accel_tokenizer *tok, const uint8_t *p,
			 size_t n)
{
	return r->tok_id == tok->id && r->len == n &&
	       tok_same((const uint8_t *)(r->ids + r->n_ids), p, n);
}

static inline void rec_fill(struct cache_rec *r,
			    const struct accel_tokenizer *tok, const uint8_t *p,
			    size_t n, const uint32_t *ids, size_t n_ids)
{
	r->tok_id = tok->id;
	r->len = (uint16_t)n;
	r->n_ids = (uint16_t)n_ids;
	r->resv = 0;
	memcpy(r->ids, ids, n_ids * sizeof(*ids));
	memcpy(r->ids + n_ids, p, n);
}

/* The record a slot names, or NULL when the ring has overwritten it. */
static inline const struct cache_rec *rec_at(const struct cache *c,
					     uint64_t slot)
{
	uint64_t pos = (slot & SLOT_POS_MASK & ~SLOT_SHARED) - 1;

	if (slot & SLOT_SHARED)
		return (const struct cache_rec *)(c->shared->arena + pos);
	if (c->head - pos > ARENA_BYTES)
		return NULL;
	return (const struct cache_rec *)(c->arena + (pos & ARENA_MASK));
}

static const struct cache_rec *local_get(const struct cache *c,
					 const struct accel_tokenizer *tok,
					 uint64_t h, const uint8_t *p, size_t n)
{
	const uint64_t *set = set_of(c, h);

	for (unsigned w = 0; w < 2; w++) {
		const struct cache_rec *r;

		if (!set[w] || tag_of(set[w]) != tag_of(h))
			continue;
		r = rec_at(c, set[w]);
		if (r && rec_is(r, tok, p, n))
			return r;
	}
	return NULL;
}

/* Names a record in the set of h: an empty or overwritten way, else way 0
 * after its entry moves to way 1 (whose entry, the older, is dropped). */
static void local_link(struct cache *c, uint64_t h, uint64_t v)
{
	uint64_t *set = set_of(c, h);

	if (!set[0] || !rec_at(c, set[0])) {
		set[0] = v;
	} else if (!set[1] || !rec_at(c, set[1])) {
		set[1] = v;
	} else {
		set[1] = set[0];
		set[0] = v;
	}
}

static void local_put(struct cache *c, const struct accel_tokenizer *tok,
		      uint64_t h, const uint8_t *p, size_t n,
		      const uint32_t *ids, size_t n_ids)
{
	uint64_t pos;
	size_t sz;

	/* Positions have 47 bits: start over long before they run out. */
	if (ACCEL_UNLIKELY(c->head >> (SLOT_POS_BITS - 2))) {
		memset(c->index, 0, 2 * (size_t)N_SETS * sizeof(*c->index));
		c->head = 0;
	}
	sz = rec_size(n, n_ids);
	/* A record never wraps: skip the end of the ring instead. */
	if ((c->head & ARENA_MASK) + sz > ARENA_BYTES)
		c->head = (c->head | ARENA_MASK) + 1;
	pos = c->head;
	c->head += sz;
	rec_fill((struct cache_rec *)(c->arena + (pos & ARENA_MASK)), tok, p, n,
		 ids, n_ids);
	local_link(c, h, tag_of(h) | (pos + 1));
}

static inline uint64_t shared_slot_of(uint64_t h, unsigned i)
{
	return ((h >> 32) + i) & (SHARED_SLOTS - 1);
}

static inline const struct cache_rec *shared_rec(const struct shared_cache *sc,
						 uint64_t slot)
{
	return (const struct cache_rec *)(sc->arena + (slot >> 32) - 1);
}

/* The shared slot that names p[0, n) of tok, or 0. */
static uint64_t shared_get(const struct shared_cache *sc,
			   const struct accel_tokenizer *tok, uint64_t h,
			   const uint8_t *p, size_t n)
{
	for (unsigned i = 0; i < SHARED_PROBE; i++) {
		/*
		 * The acquire pairs with the release of the compare-and-swap
		 * in shared_put() that published the slot, and guarantees
		 * the record's contents it names.
		 */
		uint64_t s = atomic_load_explicit(
			&sc->index[shared_slot_of(h, i)], memory_order_acquire);

		/* Slots fill in probe order and are never emptied. */
		if (!s)
			return 0;
		if ((uint32_t)s == (uint32_t)h &&
		    rec_is(shared_rec(sc, s), tok, p, n))
			return s;
	}
	return 0;
}

/*
 * Puts p[0, n) of tok in the shared level; returns the slot that names it
 * (this thread's or another's), or 0 when the level is full.
 */
static uint64_t shared_put(struct shared_cache *sc,
			   const struct accel_tokenizer *tok, uint64_t h,
			   const uint8_t *p, size_t n, const uint32_t *ids,
			   size_t n_ids)
{
	size_t sz = rec_size(n, n_ids);
	uint64_t off, v;

	/* Full: stop here rather than move head on forever. */
	if (atomic_load_explicit(&sc->head, memory_order_relaxed) + sz >
	    SHARED_ARENA_BYTES)
		return 0;
	off = atomic_fetch_add_explicit(&sc->head, sz, memory_order_relaxed);
	if (off + sz > SHARED_ARENA_BYTES)
		return 0;
	rec_fill((struct cache_rec *)(sc->arena + off), tok, p, n, ids, n_ids);
	v = (off + 1) << 32 | (uint32_t)h;
	for (unsigned i = 0; i < SHARED_PROBE; i++) {
		_Atomic uint64_t *slot = &sc->index[shared_slot_of(h, i)];
		uint64_t s = 0;

		/*
		 * The release publishes the record written above; it pairs
		 * with the acquire in shared_get() (and with the acquire
		 * here, on failure, of another thread's insert).
		 */
		if (atomic_compare_exchange_strong_explicit(
			    slot, &s, v, memory_order_release,
			    memory_order_acquire)) {
			atomic_fetch_add_explicit(&sc->records, 1,
						  memory_order_relaxed);
			return v;
		}
		/* Another thread put the same piece first: keep its. */
		if ((uint32_t)s == (uint32_t)h &&
		    rec_is(shared_rec(sc, s), tok, p, n))
			return s;
	}
	/* Every probed slot taken: the record stays unnamed. */
	return 0;
}

/* The first-level link to the record a shared slot names. */
static inline uint64_t shared_link(uint64_t h, uint64_t s)
{
	return tag_of(h) | SLOT_SHARED | s >> 32;
}

static inline int shared_on(const struct cache *c)
{
	return c->shared &&
	       !atomic_load_explicit(&shared_off, memory_order_relaxed);
}

long accel__tok_cache_get(const struct accel_tokenizer *tok, uint64_t h,
			  const uint8_t *p, size_t n, uint32_t *ids)
{
	struct cache *c = cache();
	const struct cache_rec *r;
	uint64_t s;

	if (!c || n > TOK_CACHE_KEY_MAX)
		return -1;
	r = local_get(c, tok, h, p, n);
	if (r) {
		c->stats.local_hits++;
	} else if (shared_on(c) && (s = shared_get(c->shared, tok, h, p, n))) {
		c->stats.shared_hits++;
		local_link(c, h, shared_link(h, s));
		r = shared_rec(c->shared, s);
	} else {
		c->stats.misses++;
		return -1;
	}
	if (ids)
		memcpy(ids, r->ids, r->n_ids * sizeof(*ids));
	return r->n_ids;
}

void accel__tok_cache_put(const struct accel_tokenizer *tok, uint64_t h,
			  const uint8_t *p, size_t n, const uint32_t *ids,
			  size_t n_ids)
{
	struct cache *c = cache();
	uint64_t s;

	if (!c || n > TOK_CACHE_KEY_MAX || n_ids > n)
		return;
	if (shared_on(c) &&
	    (s = shared_put(c->shared, tok, h, p, n, ids, n_ids)) != 0)
		local_link(c, h, shared_link(h, s));
	else
		local_put(c, tok, h, p, n, ids, n_ids);
}
