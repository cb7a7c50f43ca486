/* SPDX-License-Identifier: MIT */
#ifndef TEST_CONTEXT_CORPUS_H
#define TEST_CONTEXT_CORPUS_H

#include <stddef.h>

/*
 * Real inputs for the context tests and benches: files from node_modules and
 * /usr/share/doc, read whole. All functions return malloc'ed memory (free())
 * or NULL when the input is missing on this machine.
 */

/* Reads a whole file. */
unsigned char *corpus_read(const char *path, size_t *len);

/* Path under the source tree's node_modules (static buffer). */
const char *corpus_nm(const char *rel);

/*
 * About `want` bytes of English text: the /usr/share/doc/<pkg>/copyright
 * files in name order, concatenated.
 */
unsigned char *corpus_text(size_t want, size_t *len);

/*
 * n chat-like JSON messages of about 1 KB each, built from the text corpus
 * ({"id":..,"role":..,"content":..} with the text JSON-escaped), laid out
 * back to back in the returned buffer with sizes[i] each (sizes must hold
 * n entries).
 */
unsigned char *corpus_messages(unsigned n, size_t *sizes, size_t *total);

#endif
