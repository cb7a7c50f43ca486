/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "diff_util.h"

int tpairs_load(int triples, struct tpair **out)
{
	char path[1024], line[4200];
	struct tpair *v = NULL;
	int n = 0, cap = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", ACCEL_DIFF_PAIRS_DIR,
		 triples ? "triples.txt" : "pairs.txt");
	f = fopen(path, "r");
	cr_assert(f, "no %s: run make_pairs.sh (the ctest fixture does)", path);
	while (fgets(line, sizeof(line), f)) {
		char *s = line, *fld[4] = { 0 };
		int k = 0;

		line[strcspn(line, "\n")] = 0;
		while (k < 4 && (fld[k] = strsep(&s, "\t")))
			k++;
		if (k < (triples ? 4 : 3))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			v = realloc(v, (size_t)cap * sizeof(*v));
			cr_assert(v);
		}
		memset(&v[n], 0, sizeof(v[n]));
		snprintf(v[n].name, sizeof(v[n].name), "%s", fld[0]);
		snprintf(v[n].a, sizeof(v[n].a), "%s", fld[1]);
		snprintf(v[n].b, sizeof(v[n].b), "%s", fld[2]);
		if (triples)
			snprintf(v[n].c, sizeof(v[n].c), "%s", fld[3]);
		n++;
	}
	fclose(f);
	*out = v;
	return n;
}

void twrite(const char *path, const char *p, size_t len)
{
	FILE *f = fopen(path, "wb");

	cr_assert(f, "cannot write %s", path);
	cr_assert_eq(fwrite(p, 1, len, f), len);
	fclose(f);
}

char *trun(const char *cmd, size_t *len, int *status)
{
	FILE *f;

	/* The reference tools must not see a user's or the system's git
	 * configuration (diff.algorithm, merge.conflictStyle, ...). */
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	setenv("GIT_CONFIG_GLOBAL", "/dev/null", 1);
	f = popen(cmd, "r");
	size_t cap = 1 << 16, n = 0, r;
	char *p = malloc(cap);

	cr_assert(f && p, "cannot run %s", cmd);
	while ((r = fread(p + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap) {
			cap *= 2;
			p = realloc(p, cap);
			cr_assert(p);
		}
	}
	*status = pclose(f);
	*status = WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
	p[n < cap ? n : cap - 1] = 0;
	*len = n;
	return p;
}

const char *ttmpdir(char *buf, size_t size)
{
	snprintf(buf, size, "/tmp/accel-diff-test-XXXXXX");
	cr_assert(mkdtemp(buf));
	return buf;
}

char *tstrip_git(const char *p, size_t len, size_t *out_len)
{
	return tstrip_git2(p, len, out_len, 0);
}

char *tstrip_git2(const char *p, size_t len, size_t *out_len, int keep_func)
{
	char *o = malloc(len + 1);
	size_t n = 0;
	const char *end = p + len;

	cr_assert(o);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl + 1 - p) : (size_t)(end - p);

		if ((l >= 11 && !memcmp(p, "diff --git ", 11)) ||
		    (l >= 6 && !memcmp(p, "index ", 6))) {
			p += l;
			continue;
		}
		if (!keep_func && l >= 4 && !memcmp(p, "@@ -", 4)) {
			const char *e = memmem(p + 4, l - 4, " @@", 3);

			cr_assert(e);
			memcpy(o + n, p, (size_t)(e + 3 - p));
			n += (size_t)(e + 3 - p);
			o[n++] = '\n';
			p += l;
			continue;
		}
		memcpy(o + n, p, l);
		n += l;
		p += l;
	}
	*out_len = n;
	return o;
}

size_t tmax_input(void)
{
#ifdef ACCEL_DIFF_LONG
	return (size_t)-1;
#else
	return 2u << 20;
#endif
}
