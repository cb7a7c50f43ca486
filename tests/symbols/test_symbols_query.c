/* SPDX-License-Identifier: MIT */
/*
 * Query invariants on the real corpus: match positions, exact-first, the
 * deterministic order, filters, limits, the result layout, and the fast
 * matcher against the reference one.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accel_err.h"
#include "fixture.h"
#include "symbols_int.h"

static const char *const queries[] = {
	"gTC",	   "getTypeChecker", "crtPrgm",	  "SyntaxKind", "syntaxkind",
	"isIdent", "diag",	     "e",	  "Ab",		"toString",
	"nMNR",	   "getTypeChekcer", "PAE",	  "xyzzyq",	"$",
	"__",	   "CharacterOfPos", "rdonlyarr", "Promise",	"getLne",
};

static int fold(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

Test(symbols_query, invariants_hold_for_every_hit, .timeout = 120)
{
	struct accel_symbols *idx = fx_ts_index();

	if (!idx)
		cr_skip_test("node_modules/typescript or ctags missing");
	for (size_t q = 0; q < sizeof(queries) / sizeof(*queries); q++) {
		const char *text = queries[q];
		size_t m = strlen(text);
		void *r = fx_query(idx, text, 100, 0, 0, 0, NULL);
		const struct accel_symbols_result_hdr *h = r;
		void *again = fx_query(idx, text, 100, 0, 0, 0, NULL);

		cr_assert_not_null(r);
		cr_assert_eq(h->magic, ACCEL_SYMBOLS_RESULT_MAGIC);
		cr_assert_leq(h->count, 100);
		/* Deterministic: the same bytes twice. */
		cr_assert_eq(memcmp(r, again, h->total_len), 0, "%s", text);
		free(again);
		for (uint32_t i = 0; i < h->count; i++) {
			const struct accel_symbols_hit *x =
				accel_symbols_result_hit(r, i);
			const char *name =
				accel_symbols_result_str(r, x->name_off);
			const uint16_t *pos =
				accel_symbols_result_pos(r, x->pos_idx);

			/* Best first; ties by name, then path, then line. */
			if (i) {
				const struct accel_symbols_hit *p =
					accel_symbols_result_hit(r, i - 1);

				cr_assert_geq(p->score, x->score);
				if (p->score == x->score) {
					const char *pn =
						accel_symbols_result_str(
							r, p->name_off);
					uint32_t l = p->name_len < x->name_len ?
							     p->name_len :
							     x->name_len;
					int c = memcmp(pn, name, l);

					cr_assert(c < 0 ||
						  (c == 0 &&
						   p->name_len <= x->name_len));
				}
			}
			/* Positions increase and stay inside the name. */
			for (uint32_t k = 0; k < x->npos; k++) {
				cr_assert_lt(pos[k], x->name_len);
				if (k)
					cr_assert_gt(pos[k], pos[k - 1]);
			}
			if (x->flags & ACCEL_SYMBOLS_HIT_TYPO) {
				cr_assert_geq(x->npos + 1, m);
				continue;
			}
			/* ... and spell the query (smart case). */
			cr_assert_eq(x->npos, m, "%s", text);
			for (uint32_t k = 0; k < m; k++) {
				int qc = (unsigned char)text[k];
				int nc = (unsigned char)name[pos[k]];

				cr_assert_eq(fold(nc), fold(qc), "%s in %.*s",
					     text, (int)x->name_len, name);
				/* Smart case: a capital anywhere makes every
				 * letter case-sensitive. */
				if (strpbrk(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
					cr_assert_eq(nc, qc);
			}
		}
		/* Exact match first whenever one exists. */
		{
			void *ex =
				fx_query(idx, text, 1, ACCEL_SYMBOLS_MODE_EXACT,
					 ACCEL_SYMBOLS_CASE_RESPECT, 0, NULL);

			if (((struct accel_symbols_result_hdr *)ex)->count)
				cr_assert_str_eq(fx_name(r, 0), text);
			free(ex);
		}
		free(r);
	}
	accel_symbols_destroy(idx);
}

Test(symbols_query, filters_limits_and_layout, .timeout = 120)
{
	struct accel_symbols *idx = fx_ts_index();
	char prefix[300];
	uint32_t kinds = ACCEL_SYMBOLS_KIND_BIT(11); /* Interface */
	struct accel_symbols_query q = { 0 };
	char small[40];
	size_t need = 0;
	void *r;

	if (!idx)
		cr_skip_test("node_modules/typescript or ctags missing");
	r = fx_query(idx, "Node", 50, 0, 0, kinds, NULL);
	cr_assert_gt(((struct accel_symbols_result_hdr *)r)->count, 0);
	for (uint32_t i = 0; i < ((struct accel_symbols_result_hdr *)r)->count;
	     i++)
		cr_assert_eq(accel_symbols_result_hit(r, i)->kind, 11);
	free(r);
	snprintf(prefix, sizeof(prefix), "%s/lib.es5", fx_ts_dir());
	r = fx_query(idx, "toString", 50, 0, 0, 0, prefix);
	cr_assert_gt(((struct accel_symbols_result_hdr *)r)->count, 0);
	for (uint32_t i = 0; i < ((struct accel_symbols_result_hdr *)r)->count;
	     i++) {
		const struct accel_symbols_hit *x =
			accel_symbols_result_hit(r, i);

		cr_assert_eq(strncmp(accel_symbols_result_str(r, x->file_off),
				     prefix, strlen(prefix)),
			     0);
		cr_assert_gt(x->line, 0);
	}
	free(r);
	r = fx_query(idx, "e", 7, 0, 0, 0, NULL);
	cr_assert_eq(((struct accel_symbols_result_hdr *)r)->count, 7);
	free(r);
	/* Blank queries are empty results, not errors. */
	r = fx_query(idx, "  \t", 20, 0, 0, 0, NULL);
	cr_assert_eq(((struct accel_symbols_result_hdr *)r)->count, 0);
	free(r);
	/* Too small a buffer: NO_SPACE and the size that fits. */
	q.text = "SyntaxKind";
	q.text_len = 10;
	cr_assert_eq(accel_symbols_query(idx, &q, small, sizeof(small), &need),
		     -ACCEL_E_NO_SPACE);
	cr_assert_gt(need, sizeof(small));
	q.text_len = ACCEL_SYMBOLS_MAX_QUERY + 1;
	cr_assert_eq(accel_symbols_query(idx, &q, small, sizeof(small), NULL),
		     -ACCEL_E_SYM_BAD_QUERY);
	q.text_len = 10;
	q.mode = 9;
	cr_assert_eq(accel_symbols_query(idx, &q, small, sizeof(small), NULL),
		     -ACCEL_E_SYM_BAD_QUERY);
	accel_symbols_destroy(idx);
}

Test(symbols_query, file_finder, .timeout = 120)
{
	struct accel_symbols *idx = fx_ts_index();
	struct accel_symbols_query q = { .text = "libes5", .text_len = 6 };
	static char out[1 << 16];
	const struct accel_symbols_hit *x;
	int n;

	if (!idx)
		cr_skip_test("node_modules/typescript or ctags missing");
	n = accel_symbols_query_files(idx, &q, out, sizeof(out), NULL);
	cr_assert_gt(n, 0);
	cr_assert_geq(((struct accel_symbols_result_hdr *)out)->count, 1);
	x = accel_symbols_result_hit(out, 0);
	cr_assert_eq(x->kind, 1);
	cr_assert(strstr(accel_symbols_result_str(out, x->name_off),
			 "lib.es5.d.ts"));
	accel_symbols_destroy(idx);
}

static void same_v1(int m1, int32_t s1, const uint16_t *p1, int m2, int32_t s2,
		    const uint16_t *p2, const struct pattern *p,
		    const uint8_t *t, uint32_t n)
{
	cr_assert_eq(m1, m2, "match of %.*s", (int)n, t);
	if (m1) {
		cr_assert_eq(s1, s2, "score of %.*s", (int)n, t);
		cr_assert_eq(memcmp(p1, p2, p->len * 2), 0);
	}
}

/* The bit-parallel matchers must agree with the byte loop exactly. */
Test(symbols_query, fast_matcher_equals_reference, .timeout = 120)
{
	struct accel_symbols *idx = fx_ts_index();
	uint64_t seed = 42;

	if (!idx)
		cr_skip_test("node_modules/typescript or ctags missing");
	for (int round = 0; round < 20000; round++) {
		uint32_t id =
			1 + (uint32_t)(fx_rand(&seed) % (idx->names.nent - 1));
		const uint8_t *t;
		uint32_t n, qlen;
		uint8_t qb[16];
		struct pattern p;
		int32_t s1 = 0, s2 = 0;
		uint16_t p1[16], p2[16];
		int m1, m2;

		if (!idx->names.ent[id].refs)
			continue;
		t = (const uint8_t *)intern_str(&idx->names, id);
		n = intern_len(&idx->names, id);
		/* Queries: a random subsequence of the name, or of another. */
		qlen = 1 + (uint32_t)(fx_rand(&seed) % 8);
		for (uint32_t k = 0; k < qlen; k++)
			qb[k] = t[fx_rand(&seed) % n];
		accel__pattern_init(&p, qb, qlen,
				    (unsigned)(fx_rand(&seed) % 3));
		m2 = accel__score_v1_ref(&p, t, n, &s2, p2);
		m1 = accel__score_v1(&p, t, n, &s1, p1);
		same_v1(m1, s1, p1, m2, s2, p2, &p, t, n);
		/* Short names are screened from their card's copy. */
		if (idx->cards[id].len != CARD_LONG) {
			cr_assert_eq(idx->cards[id].len, n);
			cr_assert_eq(memcmp(idx->cards[id].u.text, t, n), 0);
			m1 = accel__score_v1(&p, idx->cards[id].u.text, n, &s1,
					     p1);
			same_v1(m1, s1, p1, m2, s2, p2, &p, t, n);
		} else {
			cr_assert_eq(idx->cards[id].u.far.len, n);
			cr_assert_eq(idx->names.arena +
					     idx->cards[id].u.far.off,
				     (const char *)t);
		}
#if defined(__x86_64__)
		/* Both word-sized paths, whichever the CPU picked. */
		if (n >= p.len && n <= 64) {
			m1 = accel__score_v1_sse2(&p, t, n, &s1, p1);
			same_v1(m1, s1, p1, m2, s2, p2, &p, t, n);
		}
		if (n >= p.len && n <= 256) {
			m1 = accel__score_v1_avx512(&p, t, n, &s1, p1);
			if (m1 >= 0)
				same_v1(m1, s1, p1, m2, s2, p2, &p, t, n);
		}
#endif
	}
	accel_symbols_destroy(idx);
}

/*
 * Names of 65..256 bytes take the multiword paths; real ones that long are
 * rare, so join real names with '_' (as C macros are) up to such lengths.
 * The joined text sits in a buffer with the 64 bytes of slack the arena
 * guarantees.
 */
Test(symbols_query, long_name_matcher_equals_reference, .timeout = 120)
{
	struct accel_symbols *idx = fx_ts_index();
	uint64_t seed = 7;
	uint8_t buf[256 + 64];

	if (!idx)
		cr_skip_test("node_modules/typescript or ctags missing");
	for (int round = 0; round < 5000; round++) {
		uint32_t want = 65 + (uint32_t)(fx_rand(&seed) % 192), n = 0;
		uint32_t qlen = 1 + (uint32_t)(fx_rand(&seed) % 12);
		uint8_t qb[16];
		uint16_t p1[16], p2[16];
		int32_t s1 = 0, s2 = 0;
		struct pattern p;
		int m1, m2;

		memset(buf, 0, sizeof(buf));
		while (n < want) {
			uint32_t id = 1 + (uint32_t)(fx_rand(&seed) %
						     (idx->names.nent - 1));
			uint32_t l = intern_len(&idx->names, id);

			if (!idx->names.ent[id].refs)
				continue;
			if (n + l + 1 > want)
				l = want - n - (n ? 1 : 0);
			if (n)
				buf[n++] = '_';
			memcpy(buf + n, intern_str(&idx->names, id), l);
			n += l;
		}
		for (uint32_t k = 0; k < qlen; k++)
			qb[k] = buf[fx_rand(&seed) % n];
		accel__pattern_init(&p, qb, qlen,
				    (unsigned)(fx_rand(&seed) % 3));
		m2 = accel__score_v1_ref(&p, buf, n, &s2, p2);
		m1 = accel__score_v1(&p, buf, n, &s1, p1);
		same_v1(m1, s1, p1, m2, s2, p2, &p, buf, n);
#if defined(__x86_64__)
		m1 = accel__score_v1_avx512(&p, buf, n, &s1, p1);
		if (m1 >= 0)
			same_v1(m1, s1, p1, m2, s2, p2, &p, buf, n);
#endif
	}
	accel_symbols_destroy(idx);
}
