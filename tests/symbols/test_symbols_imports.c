/* SPDX-License-Identifier: MIT */
/*
 * The import graph: direct and transitive dependencies and dependents in
 * breadth-first order with depth limits, cycles, removal, and incremental
 * updates equal to a rebuild. The graph is the real import structure of
 * typescript's own lib.*.d.ts files (their /// <reference lib> lines).
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accel_err.h"
#include "fixture.h"

struct entry {
	char path[256];
	uint32_t depth;
};

static int walk(struct accel_symbols *idx, const char *file, unsigned which,
		unsigned depth, struct entry *out, int max)
{
	static char buf[1 << 16];
	const uint32_t *h = (const uint32_t *)buf;
	int n = accel_symbols_imports_query(idx, file, strlen(file), which,
					    depth, buf, sizeof(buf), NULL);

	cr_assert_gt(n, 0);
	cr_assert_eq(h[0], ACCEL_SYMBOLS_IMPORTS_MAGIC);
	for (uint32_t i = 0; i < h[1] && (int)i < max; i++) {
		const uint32_t *e = h + 4 + 4 * i;

		snprintf(out[i].path, sizeof(out[i].path), "%.*s", (int)e[1],
			 buf + h[2] + e[0]);
		out[i].depth = e[2];
	}
	return (int)h[1];
}

static int find(const struct entry *v, int n, const char *p)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(v[i].path, p))
			return i;
	return -1;
}

Test(symbols_imports, small_graph_semantics)
{
	struct accel_symbols *idx;
	struct entry e[16];
	const char *a[] = { "b", "c", "b" }, *b[] = { "d" }, *c[] = { "d" },
		   *d[] = { "a" };
	struct accel_symbols_stats st;
	int n;

	cr_assert_eq(accel_symbols_create(NULL, &idx), 0);
	cr_assert_eq(accel_symbols_imports_set(idx, "a", 1, a, NULL, 3), 2);
	cr_assert_eq(accel_symbols_imports_set(idx, "b", 1, b, NULL, 1), 1);
	cr_assert_eq(accel_symbols_imports_set(idx, "c", 1, c, NULL, 1), 1);
	/* Direct imports in insertion order, duplicates once. */
	n = walk(idx, "a", ACCEL_SYMBOLS_IMPORTS, 1, e, 16);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(e[0].path, "b");
	cr_assert_str_eq(e[1].path, "c");
	/* Transitive, breadth-first with depths. */
	n = walk(idx, "a", ACCEL_SYMBOLS_IMPORTS, 0, e, 16);
	cr_assert_eq(n, 3);
	cr_assert_str_eq(e[2].path, "d");
	cr_assert_eq(e[2].depth, 2);
	n = walk(idx, "d", ACCEL_SYMBOLS_DEPENDENTS, 0, e, 16);
	cr_assert_eq(n, 3);
	cr_assert_eq(e[0].depth, 1);
	cr_assert_str_eq(e[2].path, "a");
	/* No cycle yet; then d -> a closes one through b and c. */
	cr_assert_eq(walk(idx, "a", ACCEL_SYMBOLS_CYCLE, 0, e, 16), 0);
	cr_assert_eq(accel_symbols_imports_set(idx, "d", 1, d, NULL, 1), 1);
	n = walk(idx, "a", ACCEL_SYMBOLS_CYCLE, 0, e, 16);
	cr_assert_eq(n, 3);
	cr_assert_geq(find(e, n, "d"), 0);
	/* Transitive walks terminate on the cycle. */
	cr_assert_eq(walk(idx, "b", ACCEL_SYMBOLS_DEPENDENTS, 0, e, 16), 3);
	/* Replacing and removing edges. */
	cr_assert_eq(accel_symbols_imports_set(idx, "d", 1, NULL, NULL, 0), 0);
	cr_assert_eq(walk(idx, "a", ACCEL_SYMBOLS_CYCLE, 0, e, 16), 0);
	cr_assert_eq(accel_symbols_imports_remove(idx, "a", 1), 1);
	cr_assert_eq(accel_symbols_imports_remove(idx, "a", 1), 0);
	cr_assert_eq(walk(idx, "d", ACCEL_SYMBOLS_DEPENDENTS, 0, e, 16), 2);
	cr_assert_eq(walk(idx, "nowhere", ACCEL_SYMBOLS_DEPENDENTS, 0, e, 16),
		     0);
	accel_symbols_stats(idx, &st);
	cr_assert_eq(st.import_edges, 2);
	cr_assert_eq(accel_symbols_imports_set(idx, "", 0, NULL, NULL, 0),
		     -ACCEL_E_SYM_BAD_PATH);
	accel_symbols_destroy(idx);
}

/* /// <reference lib="x" /> lines of node_modules/typescript/lib. */
static int load_lib_refs(char files[][64], char refs[][24][64], int *nref)
{
	char dir[512], path[800], line[512];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(dir, sizeof(dir), "%s/node_modules/typescript/lib",
		 ACCEL_SOURCE_DIR);
	d = opendir(dir);
	if (!d)
		return -1;
	while ((de = readdir(d)) && n < 128) {
		FILE *f;

		if (strncmp(de->d_name, "lib.", 4) ||
		    !strstr(de->d_name, ".d.ts"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		snprintf(files[n], 64, "%.60s", de->d_name);
		nref[n] = 0;
		while (fgets(line, sizeof(line), f) && nref[n] < 24) {
			char *p = strstr(line, "<reference lib=\"");

			if (!p)
				continue;
			p += 16;
			p[strcspn(p, "\"")] = 0;
			snprintf(refs[n][nref[n]++], 64, "lib.%s.d.ts", p);
		}
		fclose(f);
		n++;
	}
	closedir(d);
	return n;
}

static void set_file(struct accel_symbols *idx, const char *f, char refs[][64],
		     int n)
{
	const char *v[24];

	for (int i = 0; i < n; i++)
		v[i] = refs[i];
	cr_assert_geq(accel_symbols_imports_set(idx, f, strlen(f), v, NULL,
						(size_t)n),
		      0);
}

Test(symbols_imports, real_lib_graph_incremental_equals_rebuild)
{
	static char files[128][64], refs[128][24][64];
	static struct entry e1[256], e2[256];
	int nref[128], n = load_lib_refs(files, refs, nref);
	struct accel_symbols *inc, *re;
	uint64_t seed = 7;

	if (n < 10)
		cr_skip_test("node_modules/typescript/lib missing");
	accel_symbols_create(NULL, &inc);
	accel_symbols_create(NULL, &re);
	/* Random sets, clears and removals, then the true graph again. */
	for (int op = 0; op < 400; op++) {
		int f = (int)(fx_rand(&seed) % (uint64_t)n);
		int g = (int)(fx_rand(&seed) % (uint64_t)n);

		if (op % 3 == 0)
			accel_symbols_imports_remove(inc, files[f],
						     strlen(files[f]));
		else
			set_file(inc, files[f], refs[g], nref[g]);
	}
	for (int f = 0; f < n; f++)
		accel_symbols_imports_remove(inc, files[f], strlen(files[f]));
	for (int f = 0; f < n; f++)
		set_file(inc, files[f], refs[f], nref[f]);
	for (int f = n - 1; f >= 0; f--)
		set_file(re, files[f], refs[f], nref[f]);
	/* lib.esnext.full.d.ts reaches es5 transitively, es5 is imported
	 * by es2015.core's importers' chain, and both graphs agree. */
	for (int f = 0; f < n; f++) {
		for (unsigned which = 0; which < 2; which++) {
			int a = walk(inc, files[f], which, 0, e1, 256);
			int b = walk(re, files[f], which, 0, e2, 256);

			cr_assert_eq(a, b, "%s %u", files[f], which);
			/* Same set and same depths (order within a depth
			 * follows edge order, which differs by design). */
			for (int i = 0; i < a; i++) {
				int j = find(e2, b, e1[i].path);

				cr_assert_geq(j, 0);
				cr_assert_eq(e1[i].depth, e2[j].depth);
			}
		}
	}
	{
		int k = walk(re, "lib.esnext.full.d.ts", ACCEL_SYMBOLS_IMPORTS,
			     0, e1, 256);

		cr_assert_geq(find(e1, k, "lib.es5.d.ts"), 0);
		k = walk(re, "lib.es5.d.ts", ACCEL_SYMBOLS_DEPENDENTS, 1, e1,
			 256);
		cr_assert_gt(k, 0);
		for (int i = 0; i < k; i++)
			cr_assert_eq(e1[i].depth, 1);
	}
	accel_symbols_destroy(inc);
	accel_symbols_destroy(re);
}
