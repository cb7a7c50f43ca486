/* SPDX-License-Identifier: MIT */
/*
 * The diff, apply and merge command-line front ends on real files: exit
 * statuses, outputs equal to the library's and to git merge-file's, files
 * written in place.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accel_alloc.h"
#include "diff.h"
#include "diff_cli.h"
#include "diff_util.h"

#define NM ACCEL_SOURCE_DIR "/node_modules/"
#define A  NM "typescript-5.4/lib/lib.es5.d.ts"
#define B  NM "typescript-5.5/lib/lib.es5.d.ts"
#define C  NM "typescript/lib/lib.es5.d.ts"

/* Runs fn with stdout going to a file; returns the status, *out the text. */
static int capture(int (*fn)(int, char **), int argc, char **argv, char **out,
		   size_t *len)
{
	char dir[64], path[128];
	int st, fd, saved;

	ttmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/stdout", dir);
	fflush(stdout);
	saved = dup(1);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert(saved >= 0 && fd >= 0);
	dup2(fd, 1);
	close(fd);
	st = fn(argc, argv);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	*out = tread(path, len);
	unlink(path);
	rmdir(dir);
	return st;
}

Test(diff_cli, diff_prints_the_library_text)
{
	char *argv[] = { "diff", "--histogram", "-U", "5", A, B, NULL };
	struct accel_diff_opts o = { .algorithm = ACCEL_DIFF_HISTOGRAM,
				     .context = 5,
				     .a_path = A,
				     .b_path = B };
	struct accel_diff_result r;
	size_t alen, blen, len;
	char *a = tread(A, &alen), *b = tread(B, &blen), *out;

	cr_assert_eq(capture(accel_diff_cli_diff, 6, argv, &out, &len), 1);
	cr_assert_eq(accel_diff(a, alen, b, blen, &o, &r), 0);
	cr_expect(len == r.text_len && !memcmp(out, r.text, len));
	free(out);
	accel_diff_result_free(&r);
	{
		char *eq[] = { "diff", A, A, NULL };

		cr_expect_eq(capture(accel_diff_cli_diff, 3, eq, &out, &len),
			     0);
		cr_expect_eq(len, 0);
		free(out);
	}
	{
		char *bad[] = { "diff", A, "/nonexistent/x", NULL };

		cr_expect_eq(capture(accel_diff_cli_diff, 3, bad, &out, &len),
			     2);
		free(out);
	}
	free(a);
	free(b);
}

Test(diff_cli, apply_writes_the_file)
{
	char dir[64], f[128], p[128], *argv[] = { "apply", "-s", f, p, NULL };
	struct accel_diff_opts o = { .context = 3,
				     .a_path = "x",
				     .b_path = "x" };
	struct accel_diff_result r;
	size_t alen, blen, len;
	char *a = tread(A, &alen), *b = tread(B, &blen), *got, *out;

	ttmpdir(dir, sizeof(dir));
	snprintf(f, sizeof(f), "%s/file", dir);
	snprintf(p, sizeof(p), "%s/p.diff", dir);
	twrite(f, a, alen);
	cr_assert_eq(accel_diff(a, alen, b, blen, &o, &r), 0);
	twrite(p, r.text, r.text_len);
	cr_assert_eq(capture(accel_diff_cli_apply, 4, argv, &out, &len), 0);
	free(out);
	got = tread(f, &len);
	cr_expect(len == blen && !memcmp(got, b, blen));
	free(got);
	/* Again: every hunk is now "already applied", the file stays. */
	cr_expect_eq(capture(accel_diff_cli_apply, 4, argv, &out, &len), 1);
	free(out);
	got = tread(f, &len);
	cr_expect(len == blen && !memcmp(got, b, blen));
	free(got);
	/* A malformed patch: status 2, file untouched. */
	twrite(p, "@@ -1,2 +1,2 @@\n x\n", 19);
	cr_expect_eq(capture(accel_diff_cli_apply, 4, argv, &out, &len), 2);
	free(out);
	accel_diff_result_free(&r);
	snprintf(f, sizeof(f), "rm -rf %s", dir);
	cr_assert_eq(system(f), 0);
	free(a);
	free(b);
}

Test(diff_cli, merge_equals_git_merge_file)
{
	char *argv[] = { "merge", "-p", "--diff3", "-L", "o", "-L", "b",
			 "-L",	  "t",	B,	   A,	 C,   NULL };
	char cmd[1024], *git, *out;
	size_t glen, len;
	int st, ours;

	snprintf(cmd, sizeof(cmd),
		 "git merge-file -p --diff3 -L o -L b -L t '%s' '%s' '%s'", B,
		 A, C);
	git = trun(cmd, &glen, &st);
	ours = capture(accel_diff_cli_merge, 12, argv, &out, &len);
	cr_expect_eq(ours, st);
	cr_expect(len == glen && !memcmp(out, git, glen));
	free(out);
	free(git);
}
