/* SPDX-License-Identifier: MIT */
/*
 * Index basics, bad input, and the incremental property: any sequence of
 * upserts and removals leaves the index equal to one built from scratch
 * from the final files.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accel_alloc.h"
#include "accel_err.h"
#include "fixture.h"
#include "symbols.h"

static struct accel_symbols *mk(void)
{
	struct accel_symbols *idx = NULL;

	cr_assert_eq(accel_symbols_create(NULL, &idx), 0);
	return idx;
}

static int upsert(struct accel_symbols *idx, const char *path,
		  const struct accel_symbol *s, size_t n)
{
	void *buf;
	size_t len;
	int ret = accel_symbols_encode(path, s, n, 0, &buf, &len);

	if (ret)
		return ret;
	ret = accel_symbols_upsert(idx, buf, len);
	accel_free(buf);
	return ret;
}

Test(symbols_index, create_rejects_flags)
{
	struct accel_symbols_opts o = { .flags = 1 };
	struct accel_symbols *idx = NULL;

	cr_assert_eq(accel_symbols_create(&o, &idx), -ACCEL_E_BAD_ARG);
	accel_symbols_destroy(NULL);
}

Test(symbols_index, upsert_replace_remove_stats)
{
	struct accel_symbols *idx = mk();
	struct accel_symbols_stats st;
	struct accel_symbol a[] = {
		{ .name = "getTypeChecker",
		  .kind = 6,
		  .line = 10,
		  .col = 5,
		  .container = "ts.Program" },
		{ .name = "createProgram", .kind = 12, .line = 20 },
	};
	struct accel_symbol b[] = { { .name = "createProgram", .kind = 12 } };

	cr_assert_eq(upsert(idx, "a.ts", a, 2), 2);
	cr_assert_eq(upsert(idx, "b.ts", b, 1), 1);
	accel_symbols_stats(idx, &st);
	cr_assert_eq(st.symbols, 3);
	cr_assert_eq(st.files, 2);
	cr_assert_eq(st.names, 2);
	cr_assert_gt(st.bytes, 0);
	/* Replacing a.ts drops getTypeChecker entirely. */
	cr_assert_eq(upsert(idx, "a.ts", b, 1), 1);
	accel_symbols_stats(idx, &st);
	cr_assert_eq(st.symbols, 2);
	cr_assert_eq(st.names, 1);
	cr_assert_eq(accel_symbols_remove(idx, "a.ts", 4), 1);
	cr_assert_eq(accel_symbols_remove(idx, "a.ts", 4), 0);
	cr_assert_eq(accel_symbols_remove(idx, "nope.ts", 7), 0);
	accel_symbols_stats(idx, &st);
	cr_assert_eq(st.symbols, 1);
	cr_assert_eq(st.files, 1);
	/* An empty upsert keeps the file known. */
	cr_assert_eq(upsert(idx, "c.ts", NULL, 0), 0);
	accel_symbols_stats(idx, &st);
	cr_assert_eq(st.files, 2);
	accel_symbols_destroy(idx);
}

/*
 * Positions are packed next to the kind when they fit and kept in a side
 * table when they do not; both forms, and the side table's reuse after a
 * replace, give back exactly what was upserted (queries and snapshots).
 */
static const struct accel_symbol pos_a[] = {
	{ .name = "packed",
	  .kind = 12,
	  .line = 10,
	  .col = 5,
	  .end_line = 12,
	  .end_col = 3 },
	{ .name = "packedEdge",
	  .kind = 26,
	  .line = 7,
	  .col = 511,
	  .end_line = 7 + 1023,
	  .end_col = 127 },
	{ .name = "wideCol", .kind = 6, .line = 1, .col = 512, .end_line = 1 },
	{ .name = "wideSpan",
	  .kind = 5,
	  .line = 3,
	  .col = 1,
	  .end_line = 3 + 1024 },
	{ .name = "wideEndCol",
	  .kind = 8,
	  .line = 4,
	  .col = 2,
	  .end_line = 4,
	  .end_col = 128 },
	{ .name = "endBeforeStart",
	  .kind = 13,
	  .line = 50,
	  .col = 1,
	  .end_line = 49 },
	{ .name = "huge",
	  .kind = 14,
	  .line = UINT32_MAX,
	  .col = UINT32_MAX,
	  .end_line = UINT32_MAX,
	  .end_col = UINT32_MAX },
};

static const struct accel_symbol pos_b[] = {
	{ .name = "wideAgain",
	  .kind = 7,
	  .line = 2,
	  .col = 100000,
	  .end_line = 9,
	  .end_col = 70000 },
	{ .name = "packedAgain", .kind = 12, .line = 0, .col = 0 },
};

static void check_pos(struct accel_symbols *idx, const struct accel_symbol *s,
		      size_t n)
{
	for (size_t i = 0; i < n; i++) {
		void *res = fx_query(idx, s[i].name, 5,
				     ACCEL_SYMBOLS_MODE_EXACT,
				     ACCEL_SYMBOLS_CASE_RESPECT, 0, NULL);
		const struct accel_symbols_hit *h;

		cr_assert_not_null(res, "%s", s[i].name);
		cr_assert_str_eq(fx_name(res, 0), s[i].name);
		h = accel_symbols_result_hit(res, 0);
		cr_expect_eq(h->kind, s[i].kind, "%s", s[i].name);
		cr_expect_eq(h->line, s[i].line, "%s", s[i].name);
		cr_expect_eq(h->col, s[i].col, "%s", s[i].name);
		cr_expect_eq(h->end_line, s[i].end_line, "%s", s[i].name);
		cr_expect_eq(h->end_col, s[i].end_col, "%s", s[i].name);
		free(res);
	}
}

Test(symbols_index, positions_packed_and_wide)
{
	struct accel_symbols *idx = mk(), *idx2 = mk();
	size_t na = sizeof(pos_a) / sizeof(pos_a[0]);
	size_t nb = sizeof(pos_b) / sizeof(pos_b[0]);
	char snap[] = "/tmp/accel-symbols-pos-XXXXXX";
	void *res;

	cr_assert_eq(upsert(idx, "a.c", pos_a, na), (int)na);
	cr_assert_eq(upsert(idx, "b.c", pos_b, nb), (int)nb);
	check_pos(idx, pos_a, na);
	check_pos(idx, pos_b, nb);
	/* The side-table entries a.c frees are taken again by b.c's. */
	cr_assert_eq(upsert(idx, "a.c", pos_b, nb), (int)nb);
	cr_assert_eq(upsert(idx, "c.c", pos_a, na), (int)na);
	check_pos(idx, pos_a, na);
	res = fx_query(idx, "wideAgain", 5, ACCEL_SYMBOLS_MODE_EXACT,
		       ACCEL_SYMBOLS_CASE_RESPECT, 0, NULL);
	cr_assert_not_null(res);
	cr_assert_eq(accel_symbols_result_hit(res, 0)->col, 100000);
	cr_assert_eq(accel_symbols_result_hit(res, 1)->col, 100000);
	cr_assert_eq(accel_symbols_result_hit(res, 1)->end_col, 70000);
	free(res);
	close(mkstemp(snap));
	cr_assert_eq(accel_symbols_save(idx, snap), 0);
	cr_assert_geq(accel_symbols_load(idx2, snap), 0);
	unlink(snap);
	check_pos(idx2, pos_a, na);
	check_pos(idx2, pos_b, nb);
	accel_symbols_destroy(idx);
	accel_symbols_destroy(idx2);
}

Test(symbols_index, kinds_by_name)
{
	cr_assert_eq(accel_symbols_kind_from_name("function", 8), 12);
	cr_assert_eq(accel_symbols_kind_from_name("EnumMember", 10), 22);
	cr_assert_eq(accel_symbols_kind_from_name("enummember", 10), 22);
	cr_assert_eq(accel_symbols_kind_from_name("macro", 5), 14);
	cr_assert_eq(accel_symbols_kind_from_name("nonsense", 8), 0);
	cr_assert_str_eq(accel_symbols_kind_name(5), "Class");
	cr_assert_null(accel_symbols_kind_name(27));
}

Test(symbols_index, bad_input_is_a_clear_error)
{
	struct accel_symbols *idx = mk();
	struct accel_symbols_stats st;
	struct accel_symbol s = { .name = "ok", .kind = 12 };
	char *huge = malloc(ACCEL_SYMBOLS_MAX_NAME + 2);
	char bad_utf8[] = { 'a', (char)0xc3, 0x28, 0 };
	char overlong[] = { (char)0xc0, (char)0xaf, 0 };
	void *buf;
	size_t len;

	memset(huge, 'x', ACCEL_SYMBOLS_MAX_NAME + 1);
	huge[ACCEL_SYMBOLS_MAX_NAME + 1] = 0;
	s.name = "";
	cr_assert_eq(upsert(idx, "a.ts", &s, 1), -ACCEL_E_SYM_EMPTY_NAME);
	s.name = huge;
	cr_assert_eq(upsert(idx, "a.ts", &s, 1), -ACCEL_E_SYM_NAME_TOO_LONG);
	huge[ACCEL_SYMBOLS_MAX_NAME] = 0; /* exactly the limit is fine */
	cr_assert_eq(upsert(idx, "a.ts", &s, 1), 1);
	s.name = bad_utf8;
	cr_assert_eq(upsert(idx, "a.ts", &s, 1), -ACCEL_E_SYM_BAD_UTF8);
	s.name = overlong;
	cr_assert_eq(upsert(idx, "a.ts", &s, 1), -ACCEL_E_SYM_BAD_UTF8);
	s.name = "ok";
	cr_assert_eq(upsert(idx, bad_utf8, &s, 1), -ACCEL_E_SYM_BAD_UTF8);
	cr_assert_eq(upsert(idx, "", &s, 1), -ACCEL_E_SYM_BAD_PATH);
	s.kind = 27;
	cr_assert_eq(upsert(idx, "a.ts", &s, 1), -ACCEL_E_SYM_BAD_KIND);
	s.kind = 12;

	/* Malformed buffers: every header and offset is checked. */
	cr_assert_eq(accel_symbols_encode("a.ts", &s, 1, 0, &buf, &len), 0);
	cr_assert_eq(accel_symbols_upsert(idx, buf, len - 1),
		     -ACCEL_E_SYM_BAD_ENCODING);
	((struct accel_symbols_rec *)((char *)buf + 32))->name_off = 1u << 30;
	cr_assert_eq(accel_symbols_upsert(idx, buf, len),
		     -ACCEL_E_SYM_BAD_ENCODING);
	((struct accel_symbols_rec *)((char *)buf + 32))->name_off = 4;
	((struct accel_symbols_rec *)((char *)buf + 32))->resv = 1;
	cr_assert_eq(accel_symbols_upsert(idx, buf, len),
		     -ACCEL_E_SYM_BAD_ENCODING);
	((struct accel_symbols_rec *)((char *)buf + 32))->resv = 0;
	((struct accel_symbols_file_hdr *)buf)->version = 2;
	cr_assert_eq(accel_symbols_upsert(idx, buf, len),
		     -ACCEL_E_SYM_BAD_ENCODING);
	((struct accel_symbols_file_hdr *)buf)->version = 1;
	((struct accel_symbols_file_hdr *)buf)->nsyms =
		ACCEL_SYMBOLS_MAX_FILE_SYMBOLS + 1;
	cr_assert_eq(accel_symbols_upsert(idx, buf, len),
		     -ACCEL_E_SYM_TOO_MANY);
	accel_free(buf);
	cr_assert_eq(accel_symbols_upsert(idx, NULL, 0),
		     -ACCEL_E_SYM_BAD_ENCODING);

	/* A failed upsert leaves the index as it was. */
	accel_symbols_stats(idx, &st);
	cr_assert_eq(st.symbols, 1);
	cr_assert_eq(st.files, 1);
	free(huge);
	accel_symbols_destroy(idx);
}

Test(symbols_index, millions_of_symbols_in_one_file)
{
	size_t n = ACCEL_SYMBOLS_MAX_FILE_SYMBOLS + 1;
	struct accel_symbol *s = calloc(n, sizeof(*s));
	struct accel_symbols *idx = mk();
	struct accel_symbols_stats st;
	void *buf;
	size_t len;

	for (size_t i = 0; i < n; i++) {
		s[i].name = "x";
		s[i].kind = 13;
	}
	cr_assert_eq(accel_symbols_encode("big.c", s, n, 0, &buf, &len),
		     -ACCEL_E_SYM_TOO_MANY);
	/* Exactly at the limit works, in one file, and can be replaced. */
	cr_assert_eq(upsert(idx, "big.c", s, n - 1), (int)(n - 1));
	accel_symbols_stats(idx, &st);
	cr_assert_eq(st.symbols, n - 1);
	cr_assert_eq(st.names, 1);
	cr_assert_eq(upsert(idx, "big.c", s, 3), 3);
	accel_symbols_stats(idx, &st);
	cr_assert_eq(st.symbols, 3);
	free(s);
	accel_symbols_destroy(idx);
}

/* --------------------------------------------- incremental == rebuild */

/* A pool of real symbols (from ctags over typescript.d.ts). */
struct pool {
	struct accel_symbol *s;
	size_t n;
};

static void pool_of(struct accel_symbols *idx, struct pool *p)
{
	struct fx_files ff;

	cr_assert_eq(fx_files_of(idx, &ff), 0);
	p->n = 0;
	p->s = NULL;
	for (size_t f = 0; f < ff.n; f++) {
		const struct accel_symbols_file_hdr *h = ff.buf[f];
		const struct accel_symbols_rec *r = (const void *)(h + 1);
		const char *str = (const char *)(r + h->nsyms);

		p->s = realloc(p->s, (p->n + h->nsyms) * sizeof(*p->s));
		for (uint32_t i = 0; i < h->nsyms; i++) {
			struct accel_symbol *y = &p->s[p->n++];

			memset(y, 0, sizeof(*y));
			y->name = strndup(str + r[i].name_off, r[i].name_len);
			y->container = r[i].container_len ?
					       strndup(str + r[i].container_off,
						       r[i].container_len) :
					       NULL;
			y->kind = r[i].kind;
			y->line = r[i].line;
			y->col = r[i].col;
			y->end_line = r[i].end_line;
		}
	}
	fx_files_free(&ff);
}

static const char *const probe_queries[] = {
	"gTC",
	"getTypeChecker",
	"createProgram",
	"SyntaxKind",
	"isIdent",
	"toLocaleString",
	"diag",
	"nMNR",
	"Readonly",
	"crtSrcFl",
	"e",
};

static void assert_same_results(struct accel_symbols *a,
				struct accel_symbols *b)
{
	struct accel_symbols_stats sa, sb;

	accel_symbols_stats(a, &sa);
	accel_symbols_stats(b, &sb);
	cr_assert_eq(sa.symbols, sb.symbols);
	cr_assert_eq(sa.files, sb.files);
	cr_assert_eq(sa.names, sb.names);
	for (size_t i = 0; i < sizeof(probe_queries) / sizeof(*probe_queries);
	     i++) {
		void *ra = fx_query(a, probe_queries[i], 50, 0, 0, 0, NULL);
		void *rb = fx_query(b, probe_queries[i], 50, 0, 0, 0, NULL);
		const struct accel_symbols_result_hdr *ha = ra, *hb = rb;

		cr_assert(ra && rb);
		cr_assert_eq(ha->total_len, hb->total_len, "query %s",
			     probe_queries[i]);
		cr_assert_eq(memcmp(ra, rb, ha->total_len), 0, "query %s",
			     probe_queries[i]);
		free(ra);
		free(rb);
	}
}

Test(symbols_index, incremental_equals_rebuild, .timeout = 120)
{
	struct accel_symbols *src = fx_ts_index(), *inc, *re;
	struct pool p;

	enum {
		NF = 40,
		OPS = 600
	};

	size_t from[NF], cnt[NF];
	int live[NF] = { 0 };
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	char path[32];

	if (!src)
		cr_skip_test("node_modules/typescript or ctags missing");
	pool_of(src, &p);
	accel_symbols_destroy(src);
	inc = mk();
	for (int op = 0; op < OPS; op++) {
		int f = (int)(fx_rand(&seed) % NF);

		snprintf(path, sizeof(path), "src/f%02d.ts", f);
		if (fx_rand(&seed) % 4 == 0) {
			cr_assert_eq(accel_symbols_remove(inc, path,
							  strlen(path)),
				     live[f]);
			live[f] = 0;
			continue;
		}
		/* A random window of the pool: names shared across files. */
		cnt[f] = 1 + fx_rand(&seed) % 400;
		from[f] = fx_rand(&seed) % (p.n - cnt[f]);
		cr_assert_eq(upsert(inc, path, p.s + from[f], cnt[f]),
			     (int)cnt[f]);
		live[f] = 1;
	}
	re = mk();
	for (int f = NF - 1; f >= 0; f--) {
		if (!live[f])
			continue;
		snprintf(path, sizeof(path), "src/f%02d.ts", f);
		cr_assert_eq(upsert(re, path, p.s + from[f], cnt[f]),
			     (int)cnt[f]);
	}
	assert_same_results(inc, re);
	accel_symbols_destroy(inc);
	accel_symbols_destroy(re);
	for (size_t i = 0; i < p.n; i++) {
		free((char *)p.s[i].name);
		free((char *)p.s[i].container);
	}
	free(p.s);
}
