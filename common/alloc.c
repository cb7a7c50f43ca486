/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "accel_alloc.h"

void *accel_malloc(size_t size)
{
	return malloc(size ? size : 1);
}

void *accel_calloc(size_t n, size_t size)
{
	return calloc(n ? n : 1, size ? size : 1);
}

void *accel_realloc(void *p, size_t size)
{
	return realloc(p, size ? size : 1);
}

void accel_free(void *p)
{
	free(p);
}

char *accel_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);

	if (d)
		memcpy(d, s, n);
	return d;
}
