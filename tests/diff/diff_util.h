/* SPDX-License-Identifier: MIT */
#ifndef ACCEL_TEST_DIFF_UTIL_H
#define ACCEL_TEST_DIFF_UTIL_H

#include <stddef.h>

#include "test_file.h" /* tread() */

/*
 * Helpers of the diff tests: the real file pairs written by make_pairs.sh,
 * file I/O and running the reference tools (git, GNU diff, GNU patch).
 */

struct tpair {
	char name[256];
	char a[1024], b[1024], c[1024]; /* c: theirs of a triple */
};

/* Loads pairs.txt (triples = 0) or triples.txt. Returns the count. */
int tpairs_load(int triples, struct tpair **out);

void twrite(const char *path, const char *p, size_t len);

/*
 * Runs a shell command, returns its stdout (malloc'ed, *len set) and the
 * exit status in *status.
 */
char *trun(const char *cmd, size_t *len, int *status);

/* Makes a fresh temporary directory; returns its path (static buffer). */
const char *ttmpdir(char *buf, size_t size);

/* Strips git's "diff --git"/"index" lines and the function name after
 * "@@ ... @@" so that git's output can be compared with ours. */
char *tstrip_git(const char *p, size_t len, size_t *out_len);
/* Same; keep_func keeps the function line (ours: ACCEL_DIFF_FUNCNAME). */
char *tstrip_git2(const char *p, size_t len, size_t *out_len, int keep_func);

/* Size limit of one input in the default run (the long run has none). */
size_t tmax_input(void);

#endif
