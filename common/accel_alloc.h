/* SPDX-License-Identifier: MIT */
#ifndef ACCEL_ALLOC_H
#define ACCEL_ALLOC_H

#include <stddef.h>

/*
 * The one allocation wrapper. In the engine binary malloc is jemalloc (the
 * engine links it); in the Node addon it is the host's malloc, since an addon
 * must not replace the allocator of the process that loads it. Sanitizer
 * builds use the sanitizer's allocator.
 *
 * accel_malloc/accel_calloc/accel_realloc return NULL on failure and never
 * abort. accel_free accepts NULL.
 */
void *accel_malloc(size_t size);
void *accel_calloc(size_t n, size_t size);
void *accel_realloc(void *p, size_t size);
void accel_free(void *p);

/* Returns a malloc'ed copy of s, or NULL when out of memory. */
char *accel_strdup(const char *s);

#endif
