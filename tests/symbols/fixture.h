/* SPDX-License-Identifier: MIT */
#ifndef TEST_SYMBOLS_FIXTURE_H
#define TEST_SYMBOLS_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "symbols.h"

/*
 * The real corpus of the tests: typescript.d.ts and lib.es5.d.ts of the
 * typescript package in node_modules, copied to a temporary directory and
 * indexed with universal-ctags through accel_symbols_index_workspace().
 * Returns the directory (static buffer) or NULL when node_modules or
 * ctags are missing (the caller skips).
 */
const char *fx_ts_dir(void);
struct accel_symbols *fx_ts_index(void);

/* Runs a query; returns a malloc'ed result (free()) or NULL on error. */
void *fx_query(struct accel_symbols *idx, const char *text, uint32_t limit,
	       uint32_t mode, uint32_t case_mode, uint32_t kinds,
	       const char *prefix);
/* The name of hit i as a NUL-terminated static copy ("" past the end). */
const char *fx_name(const void *res, uint32_t i);
/* Rank (0-based, counting distinct names) of name in res, or -1. */
int fx_rank(const void *res, const char *name);

/* Every symbol of idx as upsert buffers, one per file (from the public
 * snapshot format), for rebuild comparisons. */
struct fx_files {
	void **buf;
	size_t *len;
	size_t n;
};

int fx_files_of(struct accel_symbols *idx, struct fx_files *out);
void fx_files_free(struct fx_files *f);

/* Deterministic PRNG (xorshift). */
uint64_t fx_rand(uint64_t *s);

#endif
