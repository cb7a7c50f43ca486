/* SPDX-License-Identifier: MIT */
#ifndef ACCEL_TEST_FILE_H
#define ACCEL_TEST_FILE_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

/* Reads a whole file, NUL-terminated; *len (when not NULL) gets its size.
 * Fails the test when the file cannot be read. */
static inline char *tread(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p;
	long n;

	cr_assert(f, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	p = malloc((size_t)n + 1);
	cr_assert(p);
	cr_assert_eq(fread(p, 1, (size_t)n, f), (size_t)n);
	p[n] = 0;
	fclose(f);
	if (len)
		*len = (size_t)n;
	return p;
}

#endif
