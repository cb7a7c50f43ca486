/* SPDX-License-Identifier: MIT */
#ifndef ACCEL_TOK_TEST_H
#define ACCEL_TOK_TEST_H

#include <stddef.h>
#include <stdint.h>

#include "tokenizer.h"

/*
 * Shared helpers of the tokenizer tests: where the data lives (set by
 * tests/tokenizer/CMakeLists.txt through the environment) and the oracle
 * file format written by oracle.mjs.
 */

#define ORACLE_THREW UINT32_MAX

/* List index: enc (0 cl100k, 1 o200k) x oracle (0 js, 1 tiktoken) x mode. */
#define ORACLE_LIST(enc, rs, allowed) ((enc)*4 + (rs)*2 + (allowed))

struct oracle_list {
	uint32_t n; /* ORACLE_THREW: the oracle threw */
	const uint32_t *ids;
};

struct oracle_doc {
	const char *name;
	size_t name_len;
	const uint8_t *text;
	size_t len;
	struct oracle_list list[8];
};

struct oracle_file {
	uint8_t *data;
	size_t size;
	size_t n_docs;
	struct oracle_doc *docs;
};

/* Reads a whole file; returns NULL when it does not exist. */
uint8_t *tt_read_file(const char *path, size_t *len);

/* Loads an oracle file; returns 0 or -1 (missing or malformed). */
int tt_oracle_load(const char *path, struct oracle_file *of);
void tt_oracle_free(struct oracle_file *of);

/* $TOK_DATA_DIR/<enc>.tiktoken, $TOK_ORACLE_DIR/<name>. Static buffers. */
const char *tt_rank_path(const char *enc);
const char *tt_oracle_path(const char *name);

/* Loads a tokenizer for encoding index 0/1 (cl100k/o200k) and dialect. */
struct accel_tokenizer *tt_load(int enc, int js);

/*
 * Compares ids with an oracle list; on a difference fills msg with the
 * document name, the first differing index and both ids there, and
 * returns 0.
 */
int tt_same(const struct oracle_doc *d, const struct oracle_list *want,
	    const uint32_t *got, size_t n, char *msg, size_t msg_len);

#endif
