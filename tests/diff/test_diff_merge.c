/* SPDX-License-Identifier: MIT */
/*
 * 3-way merge against `git merge-file` on real three-version cases:
 * byte-equal output and equal conflict counts, in merge and diff3 style
 * and with each favor option.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accel_alloc.h"
#include "diff.h"
#include "diff_util.h"

static void merge_vs_git(const struct tpair *t, uint32_t style, uint32_t favor,
			 const char *gitopt)
{
	struct accel_merge_opts o = { .style = style,
				      .favor = favor,
				      .ours_label = "ours",
				      .base_label = "base",
				      .theirs_label = "theirs" };
	size_t olen, blen, tlen, glen, mlen;
	/* Triple fields: a = base, b = ours, c = theirs. */
	char *base = tread(t->a, &blen), *ours = tread(t->b, &olen);
	char *theirs = tread(t->c, &tlen), *git, *m, cmd[4000];
	int st, conflicts;

	if (olen > tmax_input() || blen > tmax_input() || tlen > tmax_input())
		goto out;
	snprintf(cmd, sizeof(cmd),
		 "git merge-file -p %s -L ours -L base -L theirs '%s' '%s' "
		 "'%s'",
		 gitopt, t->b, t->a, t->c);
	git = trun(cmd, &glen, &st);
	cr_assert(st >= 0 && st <= 127, "%s: git merge-file failed", cmd);
	conflicts = accel_merge3(base, blen, ours, olen, theirs, tlen, &o, &m,
				 &mlen);
	cr_assert_geq(conflicts, 0, "%s: %d", t->name, conflicts);
	cr_expect_eq(conflicts > 127 ? 127 : conflicts, st,
		     "%s %s: %d conflicts, git %d", t->name, gitopt, conflicts,
		     st);
	cr_expect(mlen == glen && !memcmp(m, git, glen),
		  "%s %s: merge differs from git merge-file", t->name, gitopt);
	accel_free(m);
	free(git);
out:
	free(ours);
	free(base);
	free(theirs);
}

Test(diff_merge, equals_git_merge_file, .timeout = 600)
{
	struct tpair *v;
	int n = tpairs_load(1, &v), conflicted = 0;

	cr_assert_gt(n, 10, "too few real 3-way cases (%d)", n);
	for (int i = 0; i < n; i++) {
		merge_vs_git(&v[i], ACCEL_MERGE_STYLE_MERGE, 0, "");
		merge_vs_git(&v[i], ACCEL_MERGE_STYLE_DIFF3, 0, "--diff3");
		if (i % 3 == 0) {
			merge_vs_git(&v[i], 0, ACCEL_MERGE_FAVOR_OURS,
				     "--ours");
			merge_vs_git(&v[i], 0, ACCEL_MERGE_FAVOR_THEIRS,
				     "--theirs");
			merge_vs_git(&v[i], 0, ACCEL_MERGE_FAVOR_UNION,
				     "--union");
		}
		conflicted += !!strstr(v[i].name, "ts-rev/");
	}
	/* The reverted-then-advanced cases do produce conflicts. */
	cr_assert_gt(conflicted, 0);
	free(v);
}

Test(diff_merge, small_known_answers)
{
	const char *base = "a\nb\nc\nd\ne\n";
	const char *ours = "a\nB\nc\nd\ne\n";
	const char *theirs = "a\nb\nc\nD\ne\n";
	const char *both = "a\nX\nc\nd\ne\n";
	char *m;
	size_t len;
	int c;

	c = accel_merge3(base, strlen(base), ours, strlen(ours), theirs,
			 strlen(theirs), NULL, &m, &len);
	cr_assert_eq(c, 0);
	cr_expect(len == 10 && !memcmp(m, "a\nB\nc\nD\ne\n", len));
	accel_free(m);

	c = accel_merge3(base, strlen(base), ours, strlen(ours), both,
			 strlen(both), NULL, &m, &len);
	cr_assert_eq(c, 1);
	cr_expect(strstr(m, "<<<<<<<\nB\n=======\nX\n>>>>>>>\n") != NULL,
		  "%.*s", (int)len, m);
	accel_free(m);

	/* Unchanged sides: the other side wins whole. */
	c = accel_merge3(base, strlen(base), base, strlen(base), both,
			 strlen(both), NULL, &m, &len);
	cr_assert_eq(c, 0);
	cr_expect(len == strlen(both) && !memcmp(m, both, len));
	accel_free(m);

	cr_expect_eq(accel_merge3(base, 1, base, 1, base, 1,
				  &(struct accel_merge_opts){ .style = 9 }, &m,
				  &len),
		     -ACCEL_E_DIFF_BAD_OPTS);
}
