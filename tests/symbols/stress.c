/* SPDX-License-Identifier: MIT */
/*
 * The concurrent update/query scenario, shared by the Criterion test and
 * the standalone test_symbols_stress binary (Criterion cannot start under
 * ThreadSanitizer, so the TSan build runs the standalone one).
 *
 * Three readers query while the main thread flips one file between two
 * disjoint versions of 40 names and churns another file: every query must
 * see a version whole (0 or 40 of its names, exactly 40 in total).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accel_alloc.h"
#include "fixture.h"
#include "stress.h"

enum {
	NSYM = 40
};

struct shared {
	struct accel_symbols *idx;
	void *ver[2];
	size_t len[2];
	atomic_int stop;
	atomic_long checked;
	atomic_long torn; /* a version seen partly */
	atomic_uint last_bad;
};

/* Two versions of one file: 40 names each, disjoint. */
static void make_versions(struct shared *s)
{
	for (int v = 0; v < 2; v++) {
		struct accel_symbol syms[NSYM];
		char names[NSYM][48];

		for (int i = 0; i < NSYM; i++) {
			snprintf(names[i], sizeof(names[i]),
				 "%sSnapshotProbe%02d", v ? "beta" : "alpha",
				 i);
			memset(&syms[i], 0, sizeof(syms[i]));
			syms[i].name = names[i];
			syms[i].kind = 12;
			syms[i].line = (uint32_t)i + 1;
		}
		if (accel_symbols_encode("src/flip.ts", syms, NSYM, (uint64_t)v,
					 &s->ver[v], &s->len[v]))
			abort();
	}
}

static void *reader(void *arg)
{
	struct shared *s = arg;

	while (!atomic_load(&s->stop)) {
		/* Prefix queries for each version: 0 or all 40. */
		for (int v = 0; v < 2; v++) {
			void *r = fx_query(s->idx,
					   v ? "betaSnapshot" : "alphaSnapshot",
					   100, ACCEL_SYMBOLS_MODE_PREFIX, 0, 0,
					   NULL);
			uint32_t n = r ? ((struct accel_symbols_result_hdr *)r)
						     ->count :
					 0;

			/* Criterion asserts only on the test's own thread. */
			if (!r || (n != 0 && n != NSYM)) {
				atomic_fetch_add(&s->torn, 1);
				atomic_store(&s->last_bad, n);
			}
			free(r);
		}
		/* Both at once: exactly one version is visible. */
		{
			void *r = fx_query(s->idx, "SnapshotProbe", 200, 0, 0,
					   0, NULL);
			uint32_t n = r ? ((struct accel_symbols_result_hdr *)r)
						     ->count :
					 0;

			if (!r || n != NSYM) {
				atomic_fetch_add(&s->torn, 1);
				atomic_store(&s->last_bad, 1000 + n);
			}
			free(r);
		}
		atomic_fetch_add(&s->checked, 1);
	}
	return NULL;
}

int symbols_stress_run(int rounds, long *checked, unsigned *last_bad)
{
	struct shared s = { 0 };
	pthread_t th[3];
	struct accel_symbol other = { .name = "unrelatedFunction", .kind = 12 };
	void *ob;
	size_t ol;
	long torn;

	if (accel_symbols_create(NULL, &s.idx))
		return -1;
	make_versions(&s);
	if (accel_symbols_upsert(s.idx, s.ver[0], s.len[0]) != NSYM ||
	    accel_symbols_encode("src/other.ts", &other, 1, 0, &ob, &ol))
		return -1;
	for (int i = 0; i < 3; i++)
		pthread_create(&th[i], NULL, reader, &s);
	for (int r = 0; r < rounds; r++) {
		if (accel_symbols_upsert(s.idx, s.ver[r & 1], s.len[r & 1]) !=
		    NSYM)
			atomic_fetch_add(&s.torn, 1);
		/* Churn elsewhere: another file comes and goes. */
		accel_symbols_upsert(s.idx, ob, ol);
		accel_symbols_remove(s.idx, "src/other.ts", 12);
	}
	atomic_store(&s.stop, 1);
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	*checked = atomic_load(&s.checked);
	*last_bad = atomic_load(&s.last_bad);
	torn = atomic_load(&s.torn);
	accel_free(s.ver[0]);
	accel_free(s.ver[1]);
	accel_free(ob);
	accel_symbols_destroy(s.idx);
	return (int)torn;
}
