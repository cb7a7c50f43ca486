/* SPDX-License-Identifier: MIT */
/*
 * Queries while files are updated: every query sees a file either before
 * or after an update, never half of one. Run it under TSan with a build
 * configured with -DACCEL_TSAN=ON.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accel_alloc.h"
#include "fixture.h"

enum {
	NSYM = 40,
	ROUNDS = 300
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
		cr_assert_eq(accel_symbols_encode("src/flip.ts", syms, NSYM,
						  (uint64_t)v, &s->ver[v],
						  &s->len[v]),
			     0);
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

Test(symbols_concurrency, queries_see_whole_files, .timeout = 120)
{
	struct shared s = { 0 };
	pthread_t th[3];
	struct accel_symbol other = { .name = "unrelatedFunction", .kind = 12 };
	void *ob;
	size_t ol;

	cr_assert_eq(accel_symbols_create(NULL, &s.idx), 0);
	make_versions(&s);
	cr_assert_eq(accel_symbols_upsert(s.idx, s.ver[0], s.len[0]), NSYM);
	cr_assert_eq(accel_symbols_encode("src/other.ts", &other, 1, 0, &ob,
					  &ol),
		     0);
	for (int i = 0; i < 3; i++)
		pthread_create(&th[i], NULL, reader, &s);
	for (int r = 0; r < ROUNDS; r++) {
		cr_assert_eq(accel_symbols_upsert(s.idx, s.ver[r & 1],
						  s.len[r & 1]),
			     NSYM);
		/* Churn elsewhere: another file comes and goes. */
		accel_symbols_upsert(s.idx, ob, ol);
		accel_symbols_remove(s.idx, "src/other.ts", 12);
	}
	atomic_store(&s.stop, 1);
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	cr_assert_gt(atomic_load(&s.checked), 0);
	cr_assert_eq(atomic_load(&s.torn), 0, "torn reads, last %u",
		     atomic_load(&s.last_bad));
	accel_free(s.ver[0]);
	accel_free(s.ver[1]);
	accel_free(ob);
	accel_symbols_destroy(s.idx);
}
