/* SPDX-License-Identifier: MIT */
/*
 * The planner with the real tokenizer (cl100k_base from gpt-tokenizer's
 * rank file): plans on real text are applied and recounted with BPE, whose
 * counts are not additive across a cut, and they must still fit exactly.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "accel_err.h"
#include "context.h"
#include "corpus.h"
#include "tokenizer.h"

static struct accel_tokenizer *tok;

static void setup(void)
{
	struct accel_tokenizer_opts o = {
		.encoding = ACCEL_TOKENIZER_CL100K_BASE,
		.rank_file =
			corpus_nm("gpt-tokenizer/data/cl100k_base.tiktoken"),
	};

	if (accel_tokenizer_create(&o, &tok) < 0)
		tok = NULL;
}

static void teardown(void)
{
	accel_tokenizer_destroy(tok);
}

TestSuite(context_tokens, .init = setup, .fini = teardown);

/* Special-token text counts as ordinary text, as in a chat transcript. */
static int bpe_count(void *arg, const char *text, size_t len, uint64_t *n)
{
	static const struct accel_tokenizer_mode plain = { 0, 0, 0, 0 };

	return accel_tokenizer_count(arg, text, len, &plain, n);
}

static uint64_t bpe(const char *s, size_t len)
{
	uint64_t n;

	cr_assert_eq(bpe_count(tok, s, len, &n), 0);
	return n;
}

Test(context_tokens, plans_fit_under_bpe)
{
	enum {
		N = 200
	};

	size_t sizes[N], total, off = 0, dl;
	unsigned char *buf = corpus_messages(N, sizes, &total);
	unsigned char *dom =
		corpus_read(corpus_nm("typescript/lib/lib.dom.d.ts"), &dl);
	struct accel_context_msg m[N];
	struct accel_context_plan p;
	struct accel_context_plan_entry e[N];
	struct accel_context_compact_opts o = { .count = bpe_count,
						.msg_overhead = 4 };
	uint64_t all = 0;

	if (!tok || !dom)
		cr_skip_test(
			"node_modules (gpt-tokenizer, typescript) missing");
	cr_assert_not_null(buf);
	o.count_arg = tok;
	for (int i = 0; i < N; i++) {
		m[i] = (struct accel_context_msg){
			.text = (const char *)buf + off,
			.len = sizes[i],
			.role = 1 + i % 3,
		};
		off += sizes[i];
	}
	/* A large tool output: 200 KB of TypeScript declarations. */
	m[150].text = (const char *)dom;
	m[150].len = 200000;
	m[150].kind = ACCEL_CONTEXT_KIND_TOOL_OUTPUT;
	m[150].priority = 1;
	m[0].flags = ACCEL_CONTEXT_MSG_PINNED;
	for (int i = 0; i < N; i++)
		all += bpe(m[i].text, m[i].len) + 4;

	for (uint64_t budget = all / 20; budget < all; budget += all / 7) {
		uint64_t sum = 0;

		o.budget = budget;
		cr_assert_eq(accel_context_compact(m, N, &o, &p, e), 0);
		cr_assert_eq(p.total_before, all);
		cr_assert_leq(p.total_after, budget);
		cr_assert_eq(e[0].action, ACCEL_CONTEXT_KEEP);
		for (int i = 0; i < N; i++) {
			const char *t = m[i].text;

			if (e[i].action == ACCEL_CONTEXT_KEEP) {
				cr_assert_eq(e[i].tokens_after,
					     bpe(t, m[i].len));
			} else if (e[i].action == ACCEL_CONTEXT_TRUNCATE) {
				size_t h = e[i].head_len, to = e[i].tail_off;
				size_t len = h + 7 + (m[i].len - to);
				char *b = malloc(len);

				memcpy(b, t, h);
				memcpy(b + h, "\n[...]\n", 7);
				memcpy(b + h + 7, t + to, m[i].len - to);
				cr_assert_eq(e[i].tokens_after, bpe(b, len));
				free(b);
			} else {
				continue;
			}
			sum += e[i].tokens_after + 4;
		}
		cr_assert_eq(sum, p.total_after);
		/* A cut fills the budget to within a few tokens. */
		cr_assert_geq(p.total_after + 40, budget);
	}
	free(buf);
	free(dom);
}
