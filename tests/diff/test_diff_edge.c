/* SPDX-License-Identifier: MIT */
/*
 * Edge cases of diff and apply (empty files, missing final newline, CRLF,
 * a 10 MB line, a million lines, binary input, whitespace options against
 * git), GNU patch behaviour of apply (offset, fuzz, wrong counts,
 * malformed input) and the word diff.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accel_alloc.h"
#include "accel_compiler.h"
#include "diff.h"
#include "diff_util.h"

#define NM     ACCEL_SOURCE_DIR "/node_modules/"
#define ES5_54 NM "typescript-5.4/lib/lib.es5.d.ts"
#define ES5_55 NM "typescript-5.5/lib/lib.es5.d.ts"
#define DOM_55 NM "typescript-5.5/lib/lib.dom.d.ts"
#define DOM_56 NM "typescript/lib/lib.dom.d.ts"

/* diff -> our apply -> b, for all algorithms; returns nothing. */
static void roundtrip(const char *a, size_t alen, const char *b, size_t blen)
{
	for (uint32_t alg = 0; alg <= ACCEL_DIFF_HISTOGRAM; alg++) {
		struct accel_diff_opts o = { .algorithm = alg,
					     .context = -1,
					     .a_path = "f",
					     .b_path = "f" };
		struct accel_diff_result r;
		struct accel_patch *p;
		struct accel_patch_result ar;

		cr_assert_eq(accel_diff(a, alen, b, blen, &o, &r), 0);
		if (!r.text_len) {
			cr_assert(alen == blen && !memcmp(a, b, alen));
			accel_diff_result_free(&r);
			continue;
		}
		cr_assert_eq(accel_patch_parse(r.text, r.text_len, &p, NULL),
			     0);
		cr_assert_eq(accel_patch_apply(p, 0, a, alen, NULL, &ar), 0);
		cr_expect(ar.text_len == blen && !memcmp(ar.text, b, blen),
			  "alg %u: round trip failed", alg);
		accel_patch_result_free(&ar);
		accel_patch_destroy(p);
		accel_diff_result_free(&r);
	}
}

/* Our unified text equals git diff --no-index's on the same two files. */
static void same_as_git(const char *a, size_t alen, const char *b, size_t blen,
			uint32_t flags, const char *gitopt)
{
	char dir[64], pa[128], pb[128], cmd[512], *out, *s;
	struct accel_diff_opts o = { .flags = flags, .context = -1 };
	struct accel_diff_result r;
	size_t olen, slen;
	int st;

	ttmpdir(dir, sizeof(dir));
	snprintf(pa, sizeof(pa), "%s/a", dir);
	snprintf(pb, sizeof(pb), "%s/b", dir);
	twrite(pa, a, alen);
	twrite(pb, b, blen);
	snprintf(cmd, sizeof(cmd),
		 "cd %s && git diff --no-index --no-color %s a b", dir, gitopt);
	out = trun(cmd, &olen, &st);
	s = tstrip_git(out, olen, &slen);
	o.a_path = "a";
	o.b_path = "b";
	cr_assert_eq(accel_diff(a, alen, b, blen, &o, &r), 0);
	cr_expect(r.text_len == slen && !memcmp(r.text, s, slen),
		  "differs from git diff %s:\n--- ours\n%.*s--- git\n%.*s",
		  gitopt, (int)ACCEL_MIN(r.text_len, 2000), r.text,
		  (int)ACCEL_MIN(slen, 2000), s);
	accel_diff_result_free(&r);
	free(out);
	free(s);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

#define S(x) x, sizeof(x) - 1

Test(diff_edge, empty_and_newline_cases)
{
	static const char *const v[] = {
		"",	     "a\n",	"a",	     "a\nb\n",	 "a\nb",
		"a\nc\n",    "a\nc",	"\n",	     "\n\n",	 "b\na\n",
		"x\ny\nz\n", "x\ny\nz", "x\nY\nz\n", "x\ny\n\n",
	};

	for (size_t i = 0; i < ACCEL_ARRAY_SIZE(v); i++) {
		for (size_t j = 0; j < ACCEL_ARRAY_SIZE(v); j++) {
			roundtrip(v[i], strlen(v[i]), v[j], strlen(v[j]));
			if (i != j && (i + j) % 3 == 0)
				same_as_git(v[i], strlen(v[i]), v[j],
					    strlen(v[j]), 0, "");
		}
	}
}

Test(diff_edge, no_newline_marker_text)
{
	struct accel_diff_result r;

	cr_assert_eq(accel_diff(S("a\nb"), S("a\nc"), NULL, &r), 0);
	cr_expect_str_eq(r.text, "@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at "
				 "end of file\n+c\n\\ No newline at end of "
				 "file\n");
	accel_diff_result_free(&r);
	cr_assert_eq(accel_diff(S(""), S(""), NULL, &r), 0);
	cr_expect_eq(r.text_len, 0);
	cr_expect_eq(r.n_hunks, 0);
	accel_diff_result_free(&r);
}

static char *to_crlf(const char *p, size_t len, size_t *out_len)
{
	char *o = malloc(len * 2 + 1);
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		if (p[i] == '\n')
			o[n++] = '\r';
		o[n++] = p[i];
	}
	*out_len = n;
	return o;
}

Test(diff_edge, crlf_files)
{
	size_t alen, blen, ac, bc;
	char *a = tread(ES5_54, &alen), *b = tread(ES5_55, &blen);
	char *acr = to_crlf(a, alen, &ac), *bcr = to_crlf(b, blen, &bc);
	struct accel_diff_result r;
	struct accel_patch *p;
	struct accel_patch_result ar;

	roundtrip(acr, ac, bcr, bc);
	same_as_git(acr, ac, bcr, bc, 0, "");
	/* An LF patch applies to the CRLF file and keeps CRLF. */
	cr_assert_eq(accel_diff(a, alen, b, blen, NULL, &r), 0);
	cr_assert_eq(accel_patch_parse(r.text, r.text_len, &p, NULL), 0);
	cr_assert_eq(accel_patch_apply(p, 0, acr, ac, NULL, &ar), 0);
	cr_expect(ar.text_len == bc && !memcmp(ar.text, bcr, bc));
	accel_patch_result_free(&ar);
	accel_patch_destroy(p);
	accel_diff_result_free(&r);
	/* --ignore-cr-at-eol sees only the real change. */
	cr_assert_eq(accel_diff(acr, ac, b, blen,
				&(struct accel_diff_opts){
					.flags = ACCEL_DIFF_IGNORE_CR_EOL,
					.context = -1 },
				&r),
		     0);
	same_as_git(acr, ac, b, blen, ACCEL_DIFF_IGNORE_CR_EOL,
		    "--ignore-cr-at-eol");
	accel_diff_result_free(&r);
	free(a);
	free(b);
	free(acr);
	free(bcr);
}

Test(diff_edge, one_10mb_line, .timeout = 120)
{
	size_t n = 10u << 20;
	char *a = malloc(n), *b = malloc(n + 1);
	struct accel_diff_result r;

	for (size_t i = 0; i < n; i++)
		a[i] = (char)('a' + i % 26);
	memcpy(b, a, n);
	b[n / 2] = '#';
	b[n] = '\n';
	roundtrip(a, n, b, n + 1);
	cr_assert_eq(accel_diff(a, n, b, n + 1, NULL, &r), 0);
	cr_expect_eq(r.added, 1);
	cr_expect_eq(r.removed, 1);
	accel_diff_result_free(&r);
	free(a);
	free(b);
}

Test(diff_edge, a_million_lines, .timeout = 300)
{
	size_t cap = 16u << 20, alen = 0, blen = 0;
	char *a = malloc(cap), *b = malloc(cap);
	uint64_t changed = 0;

	/* A million numbered lines; b edits every 1000th and drops some. */
	for (int i = 0; i < 1000000; i++) {
		alen += (size_t)sprintf(a + alen, "line %d\n", i);
		if (i % 1000 == 7) {
			blen += (size_t)sprintf(b + blen, "line %d edited\n",
						i);
			changed++;
		} else if (i % 5000 != 11) {
			blen += (size_t)sprintf(b + blen, "line %d\n", i);
		}
	}
	for (uint32_t alg = 0; alg <= ACCEL_DIFF_HISTOGRAM; alg++) {
		struct accel_diff_opts o = { .algorithm = alg,
					     .context = -1,
					     .a_path = "f",
					     .b_path = "f" };
		struct accel_diff_result r;
		struct accel_patch *p;
		struct accel_patch_result ar;

		cr_assert_eq(accel_diff(a, alen, b, blen, &o, &r), 0);
		cr_expect_eq(r.added, changed, "alg %u", alg);
		cr_expect_eq(r.removed, changed + 200, "alg %u", alg);
		cr_assert_eq(accel_patch_parse(r.text, r.text_len, &p, NULL),
			     0);
		cr_assert_eq(accel_patch_apply(p, 0, a, alen, NULL, &ar), 0);
		cr_expect(ar.text_len == blen && !memcmp(ar.text, b, blen));
		accel_patch_result_free(&ar);
		accel_patch_destroy(p);
		accel_diff_result_free(&r);
	}
	free(a);
	free(b);
}

Test(diff_edge, binary_input)
{
	size_t len;
	char *txt = tread("/usr/share/common-licenses/GPL-3", &len);
	char bin[9000];
	struct accel_diff_opts o = { .a_path = "x.bin", .b_path = "x.bin" };
	struct accel_diff_result r;
	const uint8_t *h;

	cr_expect_eq(accel_diff_is_binary(txt, len), 0);
	memset(bin, 'a', sizeof(bin));
	bin[7999] = 0;
	cr_expect_eq(accel_diff_is_binary(bin, sizeof(bin)), 1);
	bin[7999] = 'a';
	bin[8000] = 0;
	/* git looks at the first 8000 bytes only. */
	cr_expect_eq(accel_diff_is_binary(bin, sizeof(bin)), 0);
	bin[100] = 0;
	cr_assert_eq(accel_diff(bin, sizeof(bin), txt, len, &o, &r), 0);
	cr_expect_eq(r.binary, 1);
	cr_expect_str_eq(r.text, "Binary files a/x.bin and b/x.bin differ\n");
	h = r.hunks;
	cr_expect_eq(h[8] & ACCEL_DIFF_HUNKS_F_BINARY, 1);
	cr_expect_eq(h[16], 0);
	accel_diff_result_free(&r);
	/* A new file names /dev/null as it is; without paths the sides are
	 * just "a" and "b" (git's forms). */
	o.a_path = "/dev/null";
	cr_assert_eq(accel_diff(bin, sizeof(bin), txt, len, &o, &r), 0);
	cr_expect_str_eq(r.text, "Binary files /dev/null and b/x.bin differ\n");
	accel_diff_result_free(&r);
	o.a_path = o.b_path = NULL;
	cr_assert_eq(accel_diff(bin, sizeof(bin), txt, len, &o, &r), 0);
	cr_expect_str_eq(r.text, "Binary files a and b differ\n");
	accel_diff_result_free(&r);
	o.a_path = o.b_path = "x.bin";
	/* Equal binary inputs: no text. */
	cr_assert_eq(accel_diff(bin, sizeof(bin), bin, sizeof(bin), &o, &r), 0);
	cr_expect_eq(r.binary, 1);
	cr_expect_eq(r.text_len, 0);
	accel_diff_result_free(&r);
	/* FORCE_TEXT diffs anyway. */
	o.flags = ACCEL_DIFF_FORCE_TEXT;
	cr_assert_eq(accel_diff(bin, sizeof(bin), txt, len, &o, &r), 0);
	cr_expect_eq(r.binary, 0);
	cr_expect_gt(r.removed, 0);
	accel_diff_result_free(&r);
	free(txt);
}

/* Re-indents a real file (4 -> 2 spaces, trailing blanks, extra blank
 * lines) and compares each whitespace option with git's. */
Test(diff_edge, whitespace_options_equal_git)
{
	size_t alen, blen, n = 0;
	char *a = tread(ES5_54, &alen), *b = tread(ES5_55, &blen);
	char *c = malloc(blen * 2 + 64);
	int line = 0;

	for (size_t i = 0; i < blen; i++) {
		if (i == 0 || b[i - 1] == '\n') {
			line++;
			if (line % 40 == 0)
				c[n++] = '\n';
			if (b[i] == ' ' && i + 3 < blen &&
			    !memcmp(b + i, "    ", 4)) {
				memcpy(c + n, "  ", 2);
				n += 2;
				i += 3;
				continue;
			}
		}
		if (b[i] == '\n' && line % 7 == 0)
			c[n++] = ' ';
		if (b[i] == ' ' && line % 11 == 0)
			c[n++] = '\t';
		c[n++] = b[i];
	}
	same_as_git(a, alen, c, n, 0, "");
	same_as_git(a, alen, c, n, ACCEL_DIFF_IGNORE_WS_ALL, "-w");
	same_as_git(a, alen, c, n, ACCEL_DIFF_IGNORE_WS_CHANGE, "-b");
	same_as_git(a, alen, c, n, ACCEL_DIFF_IGNORE_WS_EOL,
		    "--ignore-space-at-eol");
	same_as_git(a, alen, c, n,
		    ACCEL_DIFF_IGNORE_WS_ALL | ACCEL_DIFF_IGNORE_BLANK_LINES,
		    "-w --ignore-blank-lines");
	roundtrip(a, alen, c, n);
	free(a);
	free(b);
	free(c);
}

Test(diff_edge, bad_options)
{
	struct accel_diff_result r;
	struct accel_diff_opts o = { .algorithm = 7 };

	cr_expect_eq(accel_diff(S("a"), S("b"), &o, &r),
		     -ACCEL_E_DIFF_BAD_OPTS);
	o.algorithm = 0;
	o.flags = 1u << 30;
	cr_expect_eq(accel_diff(S("a"), S("b"), &o, &r),
		     -ACCEL_E_DIFF_BAD_OPTS);
}

/* ---- apply ---- */

static struct accel_patch *parse_ok(const char *p)
{
	struct accel_patch *pt;
	struct accel_patch_error e;

	cr_assert_eq(accel_patch_parse(p, strlen(p), &pt, &e), 0, "%s",
		     e.message);
	return pt;
}

static void parse_fails(const char *p, uint32_t line, const char *what)
{
	struct accel_patch *pt;
	struct accel_patch_error e;

	cr_expect_eq(accel_patch_parse(p, strlen(p), &pt, &e),
		     -ACCEL_E_DIFF_PATCH_MALFORMED, "%s", what);
	cr_expect_eq(e.line, line, "%s: line %u (%s)", what, e.line, e.message);
	cr_expect(strstr(e.message, "line ") == e.message, "%s", e.message);
}

Test(diff_apply, malformed_patches_name_the_line)
{
	struct accel_patch *pt;
	struct accel_patch_error e;

	parse_fails("--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n-b\n", 6,
		    "hunk ends early");
	parse_fails("--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n*b\n+c\n", 5,
		    "bad line in hunk");
	parse_fails("--- a/f\n+++ b/f\n@@ -1,x +1,2 @@\n a\n", 3, "bad header");
	parse_fails("--- a/f\n+++ b/f\n@@ -1,1 +1,1 @@\n-a\n-b\n+c\n", 5,
		    "too many removed lines");
	cr_expect_eq(accel_patch_parse(S("hello\nworld\n"), &pt, &e),
		     -ACCEL_E_DIFF_PATCH_EMPTY);
}

Test(diff_apply, counts_too_small_ignore_the_rest_like_patch)
{
	/* The count says 2 lines: "+c" is trailing garbage, as for patch. */
	const char *p = "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n+B\n+c\n";
	struct accel_patch *pt = parse_ok(p);
	struct accel_patch_result r;
	char dir[64], cmd[256], *out;
	size_t olen;
	int st;

	cr_assert_eq(accel_patch_apply(pt, 0, S("a\nb\n"), NULL, &r), 0);
	/* GNU patch's reading of the same patch. */
	ttmpdir(dir, sizeof(dir));
	snprintf(cmd, sizeof(cmd), "%s/f", dir);
	twrite(cmd, "a\nb\n", 4);
	snprintf(cmd, sizeof(cmd), "%s/p", dir);
	twrite(cmd, p, strlen(p));
	snprintf(cmd, sizeof(cmd),
		 "cd %s && patch -s -o - f p 2>/dev/null; rm -rf %s", dir, dir);
	out = trun(cmd, &olen, &st);
	cr_expect(r.text_len == olen && !memcmp(r.text, out, olen),
		  "ours '%.*s' patch '%s'", (int)r.text_len, r.text, out);
	free(out);
	accel_patch_result_free(&r);
	accel_patch_destroy(pt);
}

Test(diff_apply, multi_file_and_paths)
{
	const char *p =
		"diff --git a/x.c b/x.c\nindex 1..2 100644\n"
		"--- a/x.c\t2024-01-01\n+++ b/x.c\n@@ -1 +1 @@\n-x\n+X\n"
		"diff --git a/y.c b/y.c\n--- /dev/null\n+++ b/y.c\n"
		"@@ -0,0 +1,2 @@\n+1\n+2\n";
	struct accel_patch *pt = parse_ok(p);
	struct accel_patch_result r;

	cr_assert_eq(accel_patch_nfiles(pt), 2);
	cr_expect_str_eq(accel_patch_old_path(pt, 0), "x.c");
	cr_expect_str_eq(accel_patch_new_path(pt, 0), "x.c");
	cr_expect_str_eq(accel_patch_old_path(pt, 1), "/dev/null");
	cr_expect_str_eq(accel_patch_new_path(pt, 1), "y.c");
	cr_expect_null(accel_patch_old_path(pt, 2));
	cr_assert_eq(accel_patch_apply(pt, 0, S("x\n"), NULL, &r), 0);
	cr_expect_eq(r.text_len, 2);
	cr_expect(!memcmp(r.text, "X\n", 2));
	accel_patch_result_free(&r);
	cr_assert_eq(accel_patch_apply(pt, 1, S(""), NULL, &r), 0);
	cr_expect(r.text_len == 4 && !memcmp(r.text, "1\n2\n", 4));
	accel_patch_result_free(&r);
	cr_expect_eq(accel_patch_apply(pt, 5, S(""), NULL, &r),
		     -ACCEL_E_DIFF_PATCH_FILE);
	accel_patch_destroy(pt);
}

/*
 * A real patch (lib.dom 5.5 -> 5.6) applied to a file shifted by ten lines
 * and with some context lines edited: the result and the number of
 * rejected hunks equal GNU patch's.
 */
Test(diff_apply, offset_and_fuzz_like_gnu_patch, .timeout = 120)
{
	size_t alen, blen, olen;
	char *a = tread(DOM_55, &alen), *b = tread(DOM_56, &blen);
	char *f = malloc(alen + alen / 64 + 64), dir[64], path[128], cmd[512],
	     *out;
	struct accel_diff_result d;
	struct accel_patch *pt;
	struct accel_patch_result r;
	size_t n = 0;
	int line = 0, st, rej, offsets = 0, fuzzed = 0, gnu_failed = 0;

	memcpy(f, "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n", 21);
	n = 21;
	for (size_t i = 0; i < alen; i++) {
		f[n++] = a[i];
		if (a[i] == '\n' && ++line % 700 == 200) {
			/* Edit the line ending here: a context mismatch. */
			n--;
			memcpy(f + n, " //x\n", 5);
			n += 5;
		}
	}
	cr_assert_eq(accel_diff(a, alen, b, blen,
				&(struct accel_diff_opts){ .context = -1,
							   .a_path = "f",
							   .b_path = "f" },
				&d),
		     0);
	cr_assert_eq(accel_patch_parse(d.text, d.text_len, &pt, NULL), 0);
	rej = accel_patch_apply(pt, 0, f, n, NULL, &r);
	cr_assert_geq(rej, 0);
	for (uint32_t k = 0; k < r.n_hunks; k++) {
		offsets += r.hunks[k].status == ACCEL_PATCH_HUNK_OFFSET;
		fuzzed += r.hunks[k].status == ACCEL_PATCH_HUNK_FUZZ;
	}
	cr_expect_gt(offsets, 0);
	cr_expect_gt(fuzzed, 0);
	ttmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/f", dir);
	twrite(path, f, n);
	snprintf(path, sizeof(path), "%s/p", dir);
	twrite(path, d.text, d.text_len);
	snprintf(
		cmd, sizeof(cmd),
		"cd %s && patch -o out f p | grep -c '^Hunk .* FAILED'; cat out",
		dir);
	out = trun(cmd, &olen, &st);
	gnu_failed = atoi(out);
	cr_expect_eq(rej, gnu_failed, "rejected %d, GNU patch %d", rej,
		     gnu_failed);
	{
		char *nl = strchr(out, '\n');

		cr_assert(nl);
		nl++;
		cr_expect(r.text_len == olen - (size_t)(nl - out) &&
				  !memcmp(r.text, nl, r.text_len),
			  "result differs from GNU patch's");
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
	free(out);
	accel_patch_result_free(&r);
	accel_patch_destroy(pt);
	accel_diff_result_free(&d);
	free(a);
	free(b);
	free(f);
}

Test(diff_apply, already_applied_and_reverse)
{
	const char *p = "--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n";
	struct accel_patch *pt = parse_ok(p);
	struct accel_patch_result r;
	struct accel_patch_apply_opts rev = { .fuzz = -1,
					      .flags = ACCEL_PATCH_REVERSE };

	cr_assert_eq(accel_patch_apply(pt, 0, S("a\nB\nc\n"), NULL, &r), 1);
	cr_expect_eq(r.hunks[0].status, ACCEL_PATCH_HUNK_ALREADY);
	cr_expect(r.text_len == 6 && !memcmp(r.text, "a\nB\nc\n", 6));
	accel_patch_result_free(&r);
	cr_assert_eq(accel_patch_apply(pt, 0, S("a\nB\nc\n"), &rev, &r), 0);
	cr_expect(r.text_len == 6 && !memcmp(r.text, "a\nb\nc\n", 6));
	accel_patch_result_free(&r);
	cr_assert_eq(accel_patch_apply(pt, 0, S("x\ny\nz\n"), NULL, &r), 1);
	cr_expect_eq(r.hunks[0].status, ACCEL_PATCH_HUNK_REJECTED);
	cr_expect(r.text_len == 6 && !memcmp(r.text, "x\ny\nz\n", 6));
	accel_patch_result_free(&r);
	accel_patch_destroy(pt);
}

/* ---- words ---- */

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* Applies the word edits to a and checks that b comes out. */
static void words_rebuild(const char *a, size_t alen, const char *b,
			  size_t blen, uint32_t mode)
{
	uint8_t *w;
	size_t wl, n = 0, pos = 0;
	char *o = malloc(alen + blen + 1);

	cr_assert_eq(accel_diff_words(a, alen, b, blen, mode, &w, &wl), 0);
	cr_assert_eq(rd32(w), ACCEL_DIFF_WORDS_MAGIC);
	cr_assert_eq(wl, 16 + (size_t)rd32(w + 4) * 16);
	for (uint32_t k = 0; k < rd32(w + 4); k++) {
		const uint8_t *e = w + 16 + (size_t)k * 16;

		memcpy(o + n, a + pos, rd32(e) - pos);
		n += rd32(e) - pos;
		memcpy(o + n, b + rd32(e + 8), rd32(e + 12));
		n += rd32(e + 12);
		pos = rd32(e) + rd32(e + 4);
	}
	memcpy(o + n, a + pos, alen - pos);
	n += alen - pos;
	cr_expect(n == blen && !memcmp(o, b, blen), "words rebuild failed");
	accel_free(w);
	free(o);
}

Test(diff_words, known_answers)
{
	uint8_t *w;
	size_t wl;

	cr_assert_eq(accel_diff_words(S("foo bar baz"), S("foo qux baz"),
				      ACCEL_DIFF_WORDS, &w, &wl),
		     0);
	cr_assert_eq(rd32(w + 4), 1);
	cr_expect_eq(rd32(w + 16), 4);
	cr_expect_eq(rd32(w + 20), 3);
	cr_expect_eq(rd32(w + 24), 4);
	cr_expect_eq(rd32(w + 28), 3);
	accel_free(w);
	/* Characters: a 2-byte code point is one token. */
	cr_assert_eq(accel_diff_words(S("na\xc3\xafve"), S("naive"),
				      ACCEL_DIFF_CHARS, &w, &wl),
		     0);
	cr_assert_eq(rd32(w + 4), 1);
	cr_expect_eq(rd32(w + 20), 2);
	cr_expect_eq(rd32(w + 28), 1);
	accel_free(w);
	cr_expect_eq(accel_diff_words(S("a"), S("b"), 9, &w, &wl),
		     -ACCEL_E_DIFF_BAD_OPTS);
}

/* The removed and added text of every edit of a real diff. */
Test(diff_words, real_changed_lines_rebuild)
{
	size_t alen, blen;
	char *a = tread(DOM_55, &alen), *b = tread(DOM_56, &blen);
	struct accel_diff_result r;
	const uint8_t *h;
	uint32_t ne;

	cr_assert_eq(
		accel_diff(a, alen, b, blen,
			   &(struct accel_diff_opts){
				   .flags = ACCEL_DIFF_NO_TEXT, .context = -1 },
			   &r),
		0);
	h = r.hunks;
	ne = rd32(h + 16);
	cr_assert_gt(ne, 50);
	for (uint32_t k = 0; k < ne; k++) {
		const uint8_t *e = h + 64 + (size_t)k * 32;
		const char *pa = a + rd32(e + 16), *pb = b + rd32(e + 24);

		words_rebuild(pa, rd32(e + 20), pb, rd32(e + 28),
			      ACCEL_DIFF_WORDS);
		words_rebuild(pa, rd32(e + 20), pb, rd32(e + 28),
			      ACCEL_DIFF_CHARS);
	}
	accel_diff_result_free(&r);
	free(a);
	free(b);
}

/* ---- threads ---- */

struct tjob {
	const char *a, *b;
	size_t alen, blen;
	uint32_t alg;
	char *text;
	size_t text_len;
};

static void *tjob_run(void *arg)
{
	struct tjob *j = arg;
	struct accel_diff_opts o = { .algorithm = j->alg, .context = -1 };
	struct accel_diff_result r;

	/* Several rounds so that the threads really overlap. */
	for (int k = 0; k < 5; k++) {
		if (accel_diff(j->a, j->alen, j->b, j->blen, &o, &r))
			return (void *)1;
		if (k < 4)
			accel_diff_result_free(&r);
	}
	j->text = r.text;
	j->text_len = r.text_len;
	r.text = NULL;
	accel_diff_result_free(&r);
	return NULL;
}

/* No shared state: concurrent calls give the single-threaded results. */
Test(diff_edge, concurrent_calls_agree)
{
	size_t alen, blen;
	char *a = tread(DOM_55, &alen), *b = tread(DOM_56, &blen);
	struct tjob j[4];
	pthread_t t[4];

	for (int i = 0; i < 4; i++) {
		j[i] = (struct tjob){ a, b, alen, blen, (uint32_t)i, NULL, 0 };
		cr_assert_eq(pthread_create(&t[i], NULL, tjob_run, &j[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		void *rv;
		struct tjob one = { a, b, alen, blen, (uint32_t)i, NULL, 0 };

		cr_assert_eq(pthread_join(t[i], &rv), 0);
		cr_assert_null(rv);
		cr_assert_null(tjob_run(&one));
		cr_expect(one.text_len == j[i].text_len &&
				  !memcmp(one.text, j[i].text, one.text_len),
			  "alg %d differs under concurrency", i);
		accel_free(one.text);
		accel_free(j[i].text);
	}
	free(a);
	free(b);
}

/*
 * A real patch applied a second time: every hunk is reported as already
 * applied and the text stays, even where fuzz would find a place for the
 * old side (GNU patch checks for an applied hunk before fuzzing too).
 */
Test(diff_apply, second_application_changes_nothing)
{
	size_t alen, blen;
	char *a = tread(DOM_55, &alen), *b = tread(DOM_56, &blen);
	struct accel_diff_result d;
	struct accel_patch *pt;
	struct accel_patch_result r;
	int rej;

	cr_assert_eq(accel_diff(a, alen, b, blen, NULL, &d), 0);
	cr_assert_eq(accel_patch_parse(d.text, d.text_len, &pt, NULL), 0);
	rej = accel_patch_apply(pt, 0, b, blen, NULL, &r);
	cr_expect_eq(rej, (int)r.n_hunks);
	for (uint32_t k = 0; k < r.n_hunks; k++)
		cr_expect_eq(r.hunks[k].status, ACCEL_PATCH_HUNK_ALREADY,
			     "hunk %u", k);
	cr_expect(r.text_len == blen && !memcmp(r.text, b, blen));
	accel_patch_result_free(&r);
	accel_patch_destroy(pt);
	accel_diff_result_free(&d);
	free(a);
	free(b);
}
