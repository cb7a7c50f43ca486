/* SPDX-License-Identifier: MIT */
/*
 * Parity with the oracles on the real corpus and on the mismatch-class
 * cases (tests/tokenizer/cases.json). The oracle files are written by
 * oracle.mjs at test time (ctest fixture) into the build directory:
 * js-tiktoken for the JavaScript dialect, the tiktoken npm package (Rust
 * core in WASM) for the default one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "accel_alloc.h"
#include "accel_compiler.h"
#include "accel_err.h"
#include "tok_test.h"

/* Prints at most this many differing documents before failing. */
#define MAX_REPORTS 10

static void check_file(const char *name, int enc, int js)
{
	const char *path = tt_oracle_path(name);
	struct accel_tokenizer_ids ids = { 0 }, raw = { 0 };
	struct oracle_file of;
	struct accel_tokenizer *tok;
	size_t bad = 0, bytes = 0, tokens = 0;
	uint8_t *back = NULL;
	char msg[512];

	if (tt_oracle_load(path, &of))
		cr_skip_test("no oracle data at %s (needs node and the "
			     "tokenizer_oracle fixture)",
			     path);
	tok = tt_load(enc, js);
	for (size_t d = 0; d < of.n_docs; d++) {
		const struct oracle_doc *doc = &of.docs[d];
		struct accel_tokenizer_mode raw_mode = { 0 };
		size_t back_len;
		uint64_t count;
		int ret;

		for (int allowed = 0; allowed < 2; allowed++) {
			const struct oracle_list *want =
				&doc->list[ORACLE_LIST(enc, !js, allowed)];
			struct accel_tokenizer_mode m = {
				.allowed_special =
					allowed ? ACCEL_TOKENIZER_SPECIAL_ALL :
						  0,
				.flags = ACCEL_TOKENIZER_REPLACE_INVALID,
			};

			cr_assert_neq(want->n, ORACLE_THREW,
				      "%.*s: oracle threw", (int)doc->name_len,
				      doc->name);
			ids.len = 0;
			ret = accel_tokenizer_encode(tok, doc->text, doc->len,
						     &m, &ids);
			cr_assert_eq(ret, 0, "%.*s: %s", (int)doc->name_len,
				     doc->name, accel_strerror(ret));
			if (!tt_same(doc, want, ids.ids, ids.len, msg,
				     sizeof(msg))) {
				if (bad++ < MAX_REPORTS)
					cr_log_error("%s (%s)", msg,
						     allowed ?
							     "all special" :
							     "special as text");
				continue;
			}
			ret = accel_tokenizer_count(tok, doc->text, doc->len,
						    &m, &count);
			cr_assert_eq(ret, 0);
			cr_assert_eq(count, ids.len,
				     "%.*s: count %llu, encode "
				     "%zu",
				     (int)doc->name_len, doc->name,
				     (unsigned long long)count, ids.len);
		}
		/* Lossless mode: the bytes come back exactly. */
		raw.len = 0;
		ret = accel_tokenizer_encode(tok, doc->text, doc->len,
					     &raw_mode, &raw);
		cr_assert_eq(ret, 0);
		back = realloc(back, doc->len + 1);
		ret = accel_tokenizer_decode(tok, raw.ids, raw.len, back,
					     doc->len, &back_len);
		cr_assert_eq(ret, 0, "%.*s: decode: %s", (int)doc->name_len,
			     doc->name, accel_strerror(ret));
		cr_assert(back_len == doc->len &&
				  !memcmp(back, doc->text, doc->len),
			  "%.*s: decode(encode(x)) != x", (int)doc->name_len,
			  doc->name);
		bytes += doc->len;
		tokens += ids.len;
	}
	cr_log_info("%s %s dialect: %zu documents, %zu bytes, %zu tokens, "
		    "%zu differing",
		    enc ? "o200k_base" : "cl100k_base", js ? "js" : "tiktoken",
		    of.n_docs, bytes, tokens, bad);
	cr_assert_eq(bad, 0, "%zu documents differ from the oracle", bad);
	free(back);
	accel_free(ids.ids);
	accel_free(raw.ids);
	accel_tokenizer_destroy(tok);
	tt_oracle_free(&of);
}

static const char *corpus(void)
{
	const char *c = getenv("TOK_CORPUS");

	return c ? c : "corpus.bin";
}

Test(parity, cl100k_js_tiktoken)
{
	check_file(corpus(), 0, 1);
}

Test(parity, cl100k_tiktoken)
{
	check_file(corpus(), 0, 0);
}

Test(parity, o200k_js_tiktoken)
{
	check_file(corpus(), 1, 1);
}

Test(parity, o200k_tiktoken)
{
	check_file(corpus(), 1, 0);
}

Test(cases, cl100k_js_tiktoken)
{
	check_file("cases.bin", 0, 1);
}

Test(cases, cl100k_tiktoken)
{
	check_file("cases.bin", 0, 0);
}

Test(cases, o200k_js_tiktoken)
{
	check_file("cases.bin", 1, 1);
}

Test(cases, o200k_tiktoken)
{
	check_file("cases.bin", 1, 0);
}

/*
 * The two oracles disagree on U+FEFF and U+0085 (the \s classes of the two
 * regex engines). These cases must show it, or the dialect tests above
 * would prove nothing about the flag.
 */
Test(cases, dialects_differ_on_bom_and_nel)
{
	static const char *names[] = { "bom-between-spaces", "nel-runs" };
	struct oracle_file of;
	int found = 0;

	if (tt_oracle_load(tt_oracle_path("cases.bin"), &of))
		cr_skip_test("no oracle data for the cases");
	for (size_t d = 0; d < of.n_docs; d++) {
		const struct oracle_doc *doc = &of.docs[d];

		for (size_t k = 0; k < ACCEL_ARRAY_SIZE(names); k++) {
			const struct oracle_list *j, *r;
			int differ = 0;

			if (doc->name_len != strlen(names[k]) ||
			    memcmp(doc->name, names[k], doc->name_len))
				continue;
			found++;
			for (int enc = 0; enc < 2; enc++) {
				j = &doc->list[ORACLE_LIST(enc, 0, 0)];
				r = &doc->list[ORACLE_LIST(enc, 1, 0)];
				differ |= j->n != r->n ||
					  (j->n &&
					   memcmp(j->ids, r->ids, j->n * 4));
			}
			cr_expect(differ, "%s: js-tiktoken and tiktoken agree",
				  names[k]);
		}
	}
	cr_assert_eq(found, 2);
	tt_oracle_free(&of);
}

/*
 * Random short strings over the characters that steer the split patterns
 * (oracle.mjs randomDocs): every branch of both matchers against both
 * oracles, including special-token fragments and stray invalid bytes.
 */
Test(random, cl100k_js_tiktoken)
{
	check_file("random.bin", 0, 1);
}

Test(random, cl100k_tiktoken)
{
	check_file("random.bin", 0, 0);
}

Test(random, o200k_js_tiktoken)
{
	check_file("random.bin", 1, 1);
}

Test(random, o200k_tiktoken)
{
	check_file("random.bin", 1, 0);
}
