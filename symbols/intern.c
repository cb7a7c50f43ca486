/* SPDX-License-Identifier: MIT */
/*
 * Refcounted string interner: one arena of bytes, a dense table of entries
 * and an open-addressing hash table of ids. Names, paths, containers and
 * details each have one, so the index stores a 32-bit id per string and
 * every distinct string once.
 */
#include <errno.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "accel_alloc.h"
#include "accel_err.h"
#include "symbols_int.h"

#define DEAD UINT32_MAX

uint64_t accel__intern_hash(const char *s, uint32_t len)
{
	return XXH3_64bits(s, len);
}

int accel__intern_init(struct intern *in)
{
	memset(in, 0, sizeof(*in));
	in->ent_cap = 64;
	in->ent = accel_calloc(in->ent_cap, sizeof(*in->ent));
	in->table = accel_calloc(128, sizeof(*in->table));
	if (!in->ent || !in->table) {
		accel_free(in->ent);
		accel_free(in->table);
		return -ENOMEM;
	}
	in->mask = 127;
	in->nent = 1; /* id 0 means "none" */
	in->free_head = 0;
	return 0;
}

void accel__intern_fini(struct intern *in)
{
	accel_free(in->arena);
	accel_free(in->ent);
	accel_free(in->table);
	memset(in, 0, sizeof(*in));
}

uint64_t accel__intern_bytes(const struct intern *in)
{
	return in->arena_cap + (uint64_t)in->ent_cap * sizeof(*in->ent) +
	       ((uint64_t)in->mask + 1) * sizeof(*in->table);
}

uint32_t accel__intern_find(const struct intern *in, const char *s,
			    uint32_t len, uint64_t h)
{
	uint32_t h32 = (uint32_t)h;
	uint32_t i = h32 & in->mask;

	for (;;) {
		uint32_t id = in->table[i];
		const struct istr *e;

		if (!id)
			return 0;
		if (id != DEAD) {
			e = &in->ent[id];
			if (e->hash == h32 && e->len == len &&
			    !memcmp(in->arena + e->off, s, len))
				return id;
		}
		i = (i + 1) & in->mask;
	}
}

static int rehash(struct intern *in, uint32_t size)
{
	uint32_t *t = accel_calloc(size, sizeof(*t));

	if (!t)
		return -ENOMEM;
	for (uint32_t id = 1; id < in->nent; id++) {
		uint32_t i;

		if (!in->ent[id].refs)
			continue;
		i = in->ent[id].hash & (size - 1);
		while (t[i])
			i = (i + 1) & (size - 1);
		t[i] = id;
	}
	accel_free(in->table);
	in->table = t;
	in->mask = size - 1;
	in->used = in->live;
	return 0;
}

int accel__intern_reserve(struct intern *in, uint32_t n, uint64_t bytes)
{
	uint64_t need;

	/* Table load (live + dead) stays under 1/2 after n inserts. */
	need = (uint64_t)in->used + n;
	if (need * 2 > (uint64_t)in->mask + 1) {
		uint64_t size = (uint64_t)in->mask + 1;

		while ((uint64_t)in->live + n > size / 2 - size / 8)
			size *= 2;
		if (size > (1ull << 31))
			return -ACCEL_E_SYM_INDEX_FULL;
		if (rehash(in, (uint32_t)size))
			return -ENOMEM;
	}
	need = (uint64_t)in->nent + n;
	if (need > in->ent_cap) {
		uint64_t cap = accel__grow_cap(in->ent_cap, need, 64);
		struct istr *e;

		if (cap > (1ull << 31))
			return -ACCEL_E_SYM_INDEX_FULL;
		e = accel_realloc(in->ent, cap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		in->ent = e;
		in->ent_cap = (uint32_t)cap;
	}
	/*
	 * 64 bytes of slack past the last string: the short-name matcher
	 * loads whole 64-byte blocks.
	 */
	need = in->arena_len + bytes + 64;
	if (need > in->arena_cap) {
		uint64_t cap = accel__grow_cap(in->arena_cap, need, 4096);
		char *a;

		if (need > UINT32_MAX)
			return -ACCEL_E_SYM_INDEX_FULL;
		a = accel_realloc(in->arena, cap);
		if (!a)
			return -ENOMEM;
		memset(a + in->arena_cap, 0, cap - in->arena_cap);
		in->arena = a;
		in->arena_cap = cap;
	}
	return 0;
}

int64_t accel__intern_get(struct intern *in, const char *s, uint32_t len,
			  uint64_t h, int *fresh)
{
	uint32_t id = accel__intern_find(in, s, len, h);
	uint32_t i;
	struct istr *e;
	int ret;

	*fresh = 0;
	if (id) {
		in->ent[id].refs++;
		return id;
	}
	ret = accel__intern_reserve(in, 1, len);
	if (ret)
		return ret;
	if (in->free_head) {
		id = in->free_head;
		in->free_head = in->ent[id].off;
	} else {
		id = in->nent++;
	}
	e = &in->ent[id];
	e->off = (uint32_t)in->arena_len;
	e->len = len;
	e->refs = 1;
	e->hash = (uint32_t)h;
	memcpy(in->arena + in->arena_len, s, len);
	in->arena_len += len;

	i = e->hash & in->mask;
	while (in->table[i] && in->table[i] != DEAD)
		i = (i + 1) & in->mask;
	if (!in->table[i])
		in->used++;
	in->table[i] = id;
	in->live++;
	*fresh = 1;
	return id;
}

int accel__intern_put(struct intern *in, uint32_t id)
{
	struct istr *e = &in->ent[id];
	uint32_t i;

	if (--e->refs)
		return 0;
	i = e->hash & in->mask;
	while (in->table[i] != id)
		i = (i + 1) & in->mask;
	in->table[i] = DEAD;
	in->live--;
	in->garbage += e->len;
	e->len = 0;
	e->off = in->free_head;
	in->free_head = id;
	return 1;
}
