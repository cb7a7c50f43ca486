/* SPDX-License-Identifier: MIT */
/*
 * A small per-thread cache of merged pieces. Most pieces that are not
 * tokens themselves (identifiers, rare words) recur many times in one text,
 * and the merge costs far more than a lookup. Each thread has its own
 * direct-mapped table, so the tokenizer stays immutable and lock-free;
 * entries name the tokenizer by a process-unique id, never by its address,
 * so a tokenizer created where a destroyed one was cannot hit stale entries.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "accel_alloc.h"
#include "tok_int.h"

#define CACHE_SLOTS 2048 /* per thread: 2048 * 160 bytes */

struct cache_entry {
	uint64_t tok_id; /* 0: empty */
	uint8_t len;
	uint8_t n_ids;
	uint8_t key[TOK_CACHE_KEY_MAX];
	uint32_t ids[TOK_CACHE_KEY_MAX / 2];
};

static _Thread_local struct cache_entry *tls_cache;
static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;
static int cache_key_ok;
static atomic_uint_fast64_t next_tok_id = 1;

static void cache_free(void *p)
{
	accel_free(p);
}

static void cache_key_init(void)
{
	cache_key_ok = pthread_key_create(&cache_key, cache_free) == 0;
}

uint64_t accel__tok_new_id(void)
{
	return atomic_fetch_add(&next_tok_id, 1);
}

/* The calling thread's table, created on first use; NULL if no memory. */
static struct cache_entry *cache(void)
{
	if (ACCEL_LIKELY(tls_cache != NULL))
		return tls_cache;
	pthread_once(&cache_once, cache_key_init);
	if (!cache_key_ok)
		return NULL;
	tls_cache = accel_calloc(CACHE_SLOTS, sizeof(*tls_cache));
	if (tls_cache)
		pthread_setspecific(cache_key, tls_cache);
	return tls_cache;
}

long accel__tok_cache_get(const struct accel_tokenizer *tok, uint64_t h,
			  const uint8_t *p, size_t n, uint32_t *ids)
{
	struct cache_entry *c = cache(), *e;

	if (!c || n > TOK_CACHE_KEY_MAX)
		return -1;
	e = &c[(h >> 17) & (CACHE_SLOTS - 1)];
	if (e->tok_id != tok->id || e->len != n || memcmp(e->key, p, n))
		return -1;
	if (ids)
		memcpy(ids, e->ids, e->n_ids * sizeof(*ids));
	return e->n_ids;
}

void accel__tok_cache_put(const struct accel_tokenizer *tok, uint64_t h,
			  const uint8_t *p, size_t n, const uint32_t *ids,
			  size_t n_ids)
{
	struct cache_entry *c = cache(), *e;

	if (!c || n > TOK_CACHE_KEY_MAX || n_ids > TOK_CACHE_KEY_MAX / 2)
		return;
	e = &c[(h >> 17) & (CACHE_SLOTS - 1)];
	e->tok_id = tok->id;
	e->len = (uint8_t)n;
	e->n_ids = (uint8_t)n_ids;
	memcpy(e->key, p, n);
	memcpy(e->ids, ids, n_ids * sizeof(*ids));
}
