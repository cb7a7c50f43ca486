/* SPDX-License-Identifier: MIT */
/*
 * Ranking on real code: the symbols universal-ctags extracts from
 * typescript.d.ts and lib.es5.d.ts (typescript 5.6 in node_modules), with
 * the answer a TypeScript developer means by each query. Every expected
 * name was chosen from the intent of the query, before looking at what the
 * ranker returns.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

struct expect {
	const char *query;
	const char *want;
	int max_rank; /* 0 = must be first */
	const char *why;
};

static const struct expect cases[] = {
	/* Exact names come first, also when typed in another case. */
	{ "getTypeChecker", "getTypeChecker", 0, "exact" },
	{ "SyntaxKind", "SyntaxKind", 0, "exact" },
	{ "ReadonlyArray", "ReadonlyArray", 0, "exact" },
	{ "syntaxkind", "SyntaxKind", 0, "exact, other case" },
	{ "toLocaleString", "toLocaleString", 0, "exact, many symbols" },
	/* Prefixes before scattered matches; the shortest completion. */
	{ "createSourceF", "createSourceFile", 0, "prefix" },
	{ "getLineAndChar", "getLineAndCharacterOfPosition", 0, "prefix" },
	{ "DiagnosticCat", "DiagnosticCategory", 0, "prefix" },
	/* Initials: every hump of the name, in order. */
	{ "gLACOP", "getLineAndCharacterOfPosition", 0, "initials" },
	{ "gTC", "getTypeChecker", 1, "initials (getTypeCount ties)" },
	{ "cSF", "createSourceFile", 2, "initials" },
	{ "PAE", "PropertyAccessExpression", 0, "initials" },
	/* Abbreviations: a few letters of each hump. */
	{ "crtPrgm", "createProgram", 0, "abbreviation" },
	{ "diagcat", "DiagnosticCategory", 0, "abbreviation" },
	{ "rdonlyarr", "ReadonlyArray", 0, "abbreviation" },
	{ "compopts", "CompilerOptions", 1, "abbreviation" },
	/* Substrings: the last humps of a name. */
	{ "TypeChecker", "TypeChecker", 0, "substring that is a name" },
	{ "CharacterOfPosition", "getLineAndCharacterOfPosition", 0,
	  "substring" },
	/* A missing letter is still a subsequence. */
	{ "creatSourceFile", "createSourceFile", 0, "missing letter" },
	{ "getLneAndCharacterOfPosition", "getLineAndCharacterOfPosition", 0,
	  "missing letter" },
	/* Swapped letters: typo tolerance. */
	{ "getTypeChekcer", "getTypeChecker", 0, "swapped" },
	{ "gteTypeChecker", "getTypeChecker", 0, "swapped" },
	{ "createSourceFlie", "createSourceFile", 0, "swapped" },
	{ "DiagnosticCatgeory", "DiagnosticCategory", 0, "swapped" },
};

Test(symbols_rank, real_queries_on_typescript, .timeout = 120)
{
	struct accel_symbols *idx = fx_ts_index();
	int failed = 0;

	if (!idx)
		cr_skip_test("node_modules/typescript or ctags missing");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		void *r = fx_query(idx, cases[i].query, 40, 0, 0, 0, NULL);
		int rank = fx_rank(r, cases[i].want);

		if (rank < 0 || rank > cases[i].max_rank) {
			cr_log_error("%s: %s ranked %d (want <= %d), top %s",
				     cases[i].why, cases[i].query, rank,
				     cases[i].max_rank, fx_name(r, 0));
			failed++;
		}
		free(r);
	}
	cr_assert_eq(failed, 0, "%d ranking expectations failed", failed);
	accel_symbols_destroy(idx);
}

Test(symbols_rank, smart_case_and_modes, .timeout = 120)
{
	struct accel_symbols *idx = fx_ts_index();
	void *r;

	if (!idx)
		cr_skip_test("node_modules/typescript or ctags missing");
	/* "gTC" demands capitals T and C: getChildren does not match. */
	r = fx_query(idx, "gTC", 200, 0, ACCEL_SYMBOLS_CASE_SMART, 0, NULL);
	cr_assert_eq(fx_rank(r, "getChildren"), -1);
	free(r);
	r = fx_query(idx, "gtc", 200, 0, ACCEL_SYMBOLS_CASE_SMART, 0, NULL);
	cr_assert_geq(fx_rank(r, "getTypeChecker"), 0);
	free(r);
	/* RESPECT: "syntaxkind" matches nothing spelled SyntaxKind. */
	r = fx_query(idx, "syntaxkind", 20, ACCEL_SYMBOLS_MODE_EXACT,
		     ACCEL_SYMBOLS_CASE_RESPECT, 0, NULL);
	cr_assert_eq(((struct accel_symbols_result_hdr *)r)->count, 0);
	free(r);
	/* EXACT ignoring case finds it; PREFIX finds only prefixes. */
	r = fx_query(idx, "syntaxkind", 20, ACCEL_SYMBOLS_MODE_EXACT,
		     ACCEL_SYMBOLS_CASE_IGNORE, 0, NULL);
	cr_assert_str_eq(fx_name(r, 0), "SyntaxKind");
	free(r);
	r = fx_query(idx, "createSource", 100, ACCEL_SYMBOLS_MODE_PREFIX, 0, 0,
		     NULL);
	for (uint32_t i = 0; i < ((struct accel_symbols_result_hdr *)r)->count;
	     i++)
		cr_assert_eq(strncmp(fx_name(r, i), "createSource", 12), 0);
	free(r);
	accel_symbols_destroy(idx);
}
