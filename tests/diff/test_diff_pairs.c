/* SPDX-License-Identifier: MIT */
/*
 * The diff on real file pairs (make_pairs.sh): round trip through our own
 * apply for every algorithm, the hunk buffer, edit counts against GNU
 * diff --minimal, byte equality with git diff, and acceptance of our
 * patches by git apply and GNU patch.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "accel_alloc.h"
#include "diff.h"
#include "diff_util.h"

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
	return rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/*
 * Rebuilds b from a and the edit table of the hunk buffer and checks the
 * header and the hunk table against the edits.
 */
static void check_hunks(const struct accel_diff_result *r, const char *a,
			size_t alen, const char *b, size_t blen,
			const char *what)
{
	const uint8_t *h = r->hunks;
	uint32_t ne, nh, eo, ho, pos = 0;
	uint64_t added = 0, removed = 0;
	char *o = malloc(alen + blen + 1);
	size_t n = 0;

	cr_assert(h && o);
	cr_assert_eq(rd32(h), ACCEL_DIFF_HUNKS_MAGIC, "%s", what);
	cr_assert_eq(h[4] | h[5] << 8, ACCEL_DIFF_HUNKS_VERSION);
	cr_assert_eq(h[6] | h[7] << 8, ACCEL_DIFF_HUNKS_HEADER);
	ne = rd32(h + 16);
	nh = rd32(h + 20);
	eo = rd32(h + 24);
	ho = rd32(h + 28);
	cr_assert_eq(nh, r->n_hunks, "%s", what);
	cr_assert_eq(r->hunks_len, (size_t)ho + (size_t)nh * 32, "%s", what);
	cr_assert_eq(eo, 64);
	for (uint32_t k = 0; k < ne; k++) {
		const uint8_t *e = h + eo + (size_t)k * 32;
		uint32_t ao = rd32(e + 16), al = rd32(e + 20);
		uint32_t bo = rd32(e + 24), bl = rd32(e + 28);

		cr_assert_geq(ao, pos, "%s: edits out of order", what);
		memcpy(o + n, a + pos, ao - pos);
		n += ao - pos;
		memcpy(o + n, b + bo, bl);
		n += bl;
		pos = ao + al;
		added += rd32(e + 12);
		removed += rd32(e + 4);
	}
	memcpy(o + n, a + pos, alen - pos);
	n += alen - pos;
	cr_expect(n == blen && !memcmp(o, b, blen),
		  "%s: edits do not rebuild b", what);
	cr_expect_eq(rd64(h + 32), added, "%s", what);
	cr_expect_eq(rd64(h + 40), removed, "%s", what);
	cr_expect_eq(r->added, added, "%s", what);
	cr_expect_eq(r->removed, removed, "%s", what);
	for (uint32_t k = 0; k < nh; k++) {
		const uint8_t *hk = h + ho + (size_t)k * 32;
		uint32_t fe = rd32(hk + 16), cnt = rd32(hk + 20);

		cr_assert(cnt > 0 && fe + cnt <= ne, "%s", what);
		/* The hunk's range covers its edits. */
		cr_expect_leq(rd32(hk + 0), rd32(h + eo + (size_t)fe * 32));
	}
	free(o);
}

static void roundtrip(const char *name, const char *a, size_t alen,
		      const char *b, size_t blen, uint32_t alg, uint32_t flags)
{
	struct accel_diff_opts o = { .algorithm = alg,
				     .flags = flags,
				     .context = -1,
				     .a_path = "f",
				     .b_path = "f" };
	struct accel_diff_result r;
	struct accel_patch *p;
	struct accel_patch_error err;
	struct accel_patch_result ar;
	int ret;

	ret = accel_diff(a, alen, b, blen, &o, &r);
	cr_assert_eq(ret, 0, "%s alg %u: %d", name, alg, ret);
	check_hunks(&r, a, alen, b, blen, name);
	if (alen == blen && !memcmp(a, b, alen)) {
		cr_expect_eq(r.text_len, 0);
		accel_diff_result_free(&r);
		return;
	}
	ret = accel_patch_parse(r.text, r.text_len, &p, &err);
	cr_assert_eq(ret, 0, "%s alg %u: parse: %s", name, alg, err.message);
	ret = accel_patch_apply(p, 0, a, alen, NULL, &ar);
	cr_assert_eq(ret, 0, "%s alg %u: %d hunks rejected", name, alg, ret);
	for (uint32_t k = 0; k < ar.n_hunks; k++)
		cr_expect_eq(ar.hunks[k].status, ACCEL_PATCH_HUNK_APPLIED,
			     "%s alg %u hunk %u", name, alg, k);
	cr_expect(ar.text_len == blen && !memcmp(ar.text, b, blen),
		  "%s alg %u: apply(diff(a, b), a) != b", name, alg);
	accel_patch_result_free(&ar);
	accel_patch_destroy(p);
	accel_diff_result_free(&r);
}

Test(diff_pairs, roundtrip_every_algorithm, .timeout = 600)
{
	struct tpair *v;
	int n = tpairs_load(0, &v), done = 0;

	cr_assert_gt(n, 20, "too few real pairs (%d)", n);
	for (int i = 0; i < n; i++) {
		size_t alen, blen;
		char *a = tread(v[i].a, &alen), *b = tread(v[i].b, &blen);

		if (alen <= tmax_input() && blen <= tmax_input()) {
			for (uint32_t alg = 0; alg <= ACCEL_DIFF_HISTOGRAM;
			     alg++)
				roundtrip(v[i].name, a, alen, b, blen, alg, 0);
			roundtrip(v[i].name, a, alen, b, blen,
				  ACCEL_DIFF_HISTOGRAM,
				  ACCEL_DIFF_INDENT_HEURISTIC);
			/* And backwards. */
			roundtrip(v[i].name, b, blen, a, alen, ACCEL_DIFF_MYERS,
				  ACCEL_DIFF_INDENT_HEURISTIC);
			done++;
		}
		free(a);
		free(b);
	}
	cr_assert_gt(done, 20);
	free(v);
}

Test(diff_pairs, minimal_counts_equal_gnu_diff, .timeout = 600)
{
	struct tpair *v;
	int n = tpairs_load(0, &v);

	for (int i = 0; i < n; i++) {
		size_t alen, blen, olen;
		char *a = tread(v[i].a, &alen), *b = tread(v[i].b, &blen);
		char cmd[2300], *out;
		struct accel_diff_opts o = { .algorithm = ACCEL_DIFF_MINIMAL,
					     .flags = ACCEL_DIFF_NO_TEXT,
					     .context = -1 };
		struct accel_diff_result r;
		int st;

		if (alen > tmax_input() || blen > tmax_input())
			goto next;
		snprintf(cmd, sizeof(cmd),
			 "diff --minimal '%s' '%s' | grep -c '^[<>]'", v[i].a,
			 v[i].b);
		out = trun(cmd, &olen, &st);
		cr_assert_eq(accel_diff(a, alen, b, blen, &o, &r), 0);
		cr_expect_eq(r.added + r.removed, strtoull(out, NULL, 10),
			     "%s: %lu edits, GNU diff --minimal %s", v[i].name,
			     (unsigned long)(r.added + r.removed), out);
		accel_diff_result_free(&r);
		free(out);
next:
		free(a);
		free(b);
	}
	free(v);
}

static void git_equal(const struct tpair *t, const char *a, size_t alen,
		      const char *b, size_t blen, uint32_t alg, uint32_t flags,
		      const char *gitopt)
{
	struct accel_diff_opts o = { .algorithm = alg,
				     .flags = flags | ACCEL_DIFF_FUNCNAME,
				     .context = -1 };
	struct accel_diff_result r;
	char cmd[2400], *out, *s;
	size_t olen, slen;
	int st;

	/* git names the files by their paths: give ours the same ones. */
	o.a_path = t->a + (t->a[0] == '/');
	o.b_path = t->b + (t->b[0] == '/');
	snprintf(cmd, sizeof(cmd),
		 "git diff --no-index --no-color --no-ext-diff %s '%s' '%s'",
		 gitopt, t->a, t->b);
	out = trun(cmd, &olen, &st);
	cr_assert_eq(st, 1, "%s: git diff failed", cmd);
	/* Function lines included: ACCEL_DIFF_FUNCNAME is git's rule. */
	s = tstrip_git2(out, olen, &slen, 1);
	cr_assert_eq(accel_diff(a, alen, b, blen, &o, &r), 0);
	cr_expect(r.text_len == slen && !memcmp(r.text, s, slen),
		  "%s: differs from git diff %s", t->name, gitopt);
	accel_diff_result_free(&r);
	free(out);
	free(s);
}

Test(diff_pairs, unified_equals_git_diff, .timeout = 600)
{
	struct tpair *v;
	int n = tpairs_load(0, &v);

	for (int i = 0; i < n; i++) {
		size_t alen, blen;
		char *a = tread(v[i].a, &alen), *b = tread(v[i].b, &blen);
		const uint32_t ih = ACCEL_DIFF_INDENT_HEURISTIC;

		if (alen <= tmax_input() && blen <= tmax_input()) {
			git_equal(
				&v[i], a, alen, b, blen, ACCEL_DIFF_MYERS, 0,
				"--diff-algorithm=myers --no-indent-heuristic");
			git_equal(&v[i], a, alen, b, blen, ACCEL_DIFF_MYERS, ih,
				  "--diff-algorithm=myers --indent-heuristic");
			git_equal(&v[i], a, alen, b, blen, ACCEL_DIFF_PATIENCE,
				  ih, "--indent-heuristic --patience");
			git_equal(&v[i], a, alen, b, blen, ACCEL_DIFF_HISTOGRAM,
				  ih, "--indent-heuristic --histogram");
		}
		free(a);
		free(b);
	}
	free(v);
}

Test(diff_pairs, git_apply_and_gnu_patch_accept, .timeout = 600)
{
	struct tpair *v;
	int n = tpairs_load(0, &v);
	char dir[64], path[256], cmd[1024];

	ttmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/src", dir);
	cr_assert_eq(mkdir(path, 0700), 0);
	for (int i = 0; i < n; i++) {
		size_t alen, blen, olen;
		char *a = tread(v[i].a, &alen), *b = tread(v[i].b, &blen);
		struct accel_diff_opts o = { .algorithm = (uint32_t)i % 4,
					     .context = -1,
					     .a_path = "src/file",
					     .b_path = "src/file" };
		struct accel_diff_result r;
		char *out, *res;
		int st;

		if (alen > tmax_input() || blen > tmax_input())
			goto next;
		cr_assert_eq(accel_diff(a, alen, b, blen, &o, &r), 0);
		snprintf(path, sizeof(path), "%s/src/file", dir);
		twrite(path, a, alen);
		snprintf(path, sizeof(path), "%s/p.diff", dir);
		twrite(path, r.text, r.text_len);
		snprintf(cmd, sizeof(cmd),
			 "cd %s && git apply --check p.diff 2>&1", dir);
		out = trun(cmd, &olen, &st);
		cr_expect_eq(st, 0, "%s: git apply --check: %s", v[i].name,
			     out);
		free(out);
		snprintf(cmd, sizeof(cmd),
			 "cd %s && patch --dry-run -p1 -i p.diff 2>&1", dir);
		out = trun(cmd, &olen, &st);
		cr_expect_eq(st, 0, "%s: patch --dry-run: %s", v[i].name, out);
		free(out);
		/* GNU patch's result is b, byte for byte. */
		snprintf(cmd, sizeof(cmd),
			 "cd %s && patch -s -o - src/file p.diff", dir);
		res = trun(cmd, &olen, &st);
		cr_expect(st == 0 && olen == blen && !memcmp(res, b, blen),
			  "%s: GNU patch result differs", v[i].name);
		free(res);
		accel_diff_result_free(&r);
next:
		free(a);
		free(b);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
	free(v);
}
