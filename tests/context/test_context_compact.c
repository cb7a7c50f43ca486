/* SPDX-License-Identifier: MIT */
/* Compaction planner: every plan is applied the way the runtime applies it
 * and recounted, so "fits the budget" and "exact counts" are checked on the
 * text that would really be sent, not on the planner's own arithmetic. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "accel_err.h"
#include "context.h"
#include "corpus.h"

/*
 * The planner takes any deterministic counter. This one stands in for a BPE
 * tokenizer: a run of ASCII letters or digits is one token per 4 bytes
 * (rounded up), each other non-space ASCII byte is a token, each UTF-8
 * character is a token, and a run of whitespace is one. Like BPE it is not
 * additive across a cut ("ab" + "cd" counts differently from "abcd"), which
 * is what the planner must cope with.
 */
static int is_word(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\n' || c == '\t' || c == '\r';
}

static unsigned calls;

static int test_count(void *arg, const char *text, size_t len, uint64_t *n)
{
	const unsigned char *s = (const unsigned char *)text;
	uint64_t t = 0;

	calls++;
	for (size_t i = 0; i < len;) {
		size_t j = i;

		if (is_word(s[i])) {
			while (j < len && is_word(s[j]))
				j++;
			t += (j - i + 3) / 4;
		} else if (is_space(s[i])) {
			while (j < len && is_space(s[j]))
				j++;
			t++;
		} else {
			j++;
			while (j < len && (s[j] & 0xc0) == 0x80)
				j++;
			t++;
		}
		i = j;
	}
	*n = t;
	return arg ? -77 : 0;
}

static uint64_t cnt(const char *s, size_t len)
{
	uint64_t n;

	test_count(NULL, s, len, &n);
	return n;
}

/* Real messages: the corpus's chat JSON, roles and kinds cycling. */
struct conv {
	unsigned n;
	size_t sizes[400];
	unsigned char *buf;
	struct accel_context_msg m[400];
};

static void load_conv(struct conv *c, unsigned n)
{
	size_t total, off = 0;

	c->n = n;
	c->buf = corpus_messages(n, c->sizes, &total);
	cr_assert_not_null(c->buf, "no /usr/share/doc text");
	for (unsigned i = 0; i < n; i++) {
		c->m[i] = (struct accel_context_msg){
			.text = (const char *)c->buf + off,
			.len = c->sizes[i],
			.role = 1 + i % 3,
			.kind = i % 3 == 2 ? ACCEL_CONTEXT_KIND_TOOL_OUTPUT :
					     ACCEL_CONTEXT_KIND_TEXT,
		};
		off += c->sizes[i];
	}
}

static const char *mtext(const struct accel_context_msg *m)
{
	return m->text;
}

/*
 * Applies the plan like the runtime does, recounts each resulting text and
 * checks every invariant. Returns the recounted total.
 */
static uint64_t check_plan(const struct accel_context_msg *m, uint32_t n,
			   const struct accel_context_compact_opts *o,
			   const struct accel_context_plan *p,
			   const struct accel_context_plan_entry *e)
{
	const char *mk = o->marker ? o->marker : "\n[...]\n";
	size_t mkl = o->marker ? o->marker_len : 7;
	uint64_t total = 0, before = 0;
	uint32_t kept = 0;

	cr_assert_eq(p->magic, ACCEL_CONTEXT_PLAN_MAGIC);
	cr_assert_eq(p->n, n);
	for (uint32_t i = 0; i < n; i++) {
		const char *t = mtext(&m[i]);
		uint64_t c = cnt(t, m[i].len);
		int pinned = (m[i].flags & ACCEL_CONTEXT_MSG_PINNED) ||
			     i + o->preserve_last >= n;

		cr_assert_eq(e[i].index, i);
		cr_assert_eq(e[i].tokens_before, c);
		before += c + o->msg_overhead;
		switch (e[i].action) {
		case ACCEL_CONTEXT_KEEP:
			cr_assert_eq(e[i].tokens_after, c);
			total += c + o->msg_overhead;
			kept++;
			break;
		case ACCEL_CONTEXT_TRUNCATE: {
			size_t h = e[i].head_len, to = e[i].tail_off;
			size_t len = h + mkl + (m[i].len - to);
			char *b = malloc(len + 1);

			cr_assert(!pinned, "pinned message %u cut", i);
			cr_assert(!(m[i].flags & ACCEL_CONTEXT_MSG_NO_TRUNC));
			cr_assert_leq(h, to);
			cr_assert_leq(to, m[i].len);
			/* Cuts fall on UTF-8 character boundaries. */
			cr_assert(to == m[i].len || (t[to] & 0xc0) != 0x80);
			cr_assert(h == 0 || h == m[i].len ||
				  (t[h] & 0xc0) != 0x80);
			memcpy(b, t, h);
			memcpy(b + h, mk, mkl);
			memcpy(b + h + mkl, t + to, m[i].len - to);
			cr_assert_eq(e[i].tokens_after, cnt(b, len),
				     "entry %u: count of applied cut", i);
			cr_assert_lt(e[i].tokens_after, c);
			total += e[i].tokens_after + o->msg_overhead;
			kept++;
			free(b);
			break;
		}
		case ACCEL_CONTEXT_DROP:
			cr_assert(!pinned, "pinned message %u dropped", i);
			cr_assert_eq(e[i].tokens_after, 0);
			break;
		case ACCEL_CONTEXT_DEDUP: {
			uint32_t j = e[i].dup_of;

			cr_assert(!pinned);
			cr_assert_gt(j, i);
			cr_assert_lt(j, n);
			cr_assert_eq(m[j].len, m[i].len);
			cr_assert_eq(memcmp(mtext(&m[j]), t, m[i].len), 0);
			cr_assert_eq(m[j].role, m[i].role);
			break;
		}
		default:
			cr_assert_fail("bad action %u", e[i].action);
		}
	}
	cr_assert_eq(p->total_before, before);
	cr_assert_eq(p->total_after, total);
	cr_assert_eq(p->n_kept, kept);
	cr_assert_leq(total, o->budget);
	return total;
}

static struct accel_context_compact_opts opts(uint64_t budget)
{
	return (struct accel_context_compact_opts){ .budget = budget,
						    .count = test_count };
}

Test(context_compact, everything_fits)
{
	struct conv c;
	struct accel_context_plan p;
	struct accel_context_plan_entry e[50];
	struct accel_context_compact_opts o = opts(UINT32_MAX);

	load_conv(&c, 50);
	o.msg_overhead = 4;
	cr_assert_eq(accel_context_compact(c.m, 50, &o, &p, e), 0);
	check_plan(c.m, 50, &o, &p, e);
	cr_assert_eq(p.n_kept, 50);
	cr_assert_eq(p.total_after, p.total_before);
	free(c.buf);
}

Test(context_compact, over_budget_fits_exactly)
{
	struct conv c;
	struct accel_context_plan p;
	struct accel_context_plan_entry e[120];
	struct accel_context_compact_opts o = opts(0);
	unsigned dropped = 0, cut = 0;

	load_conv(&c, 120);
	o.budget = UINT32_MAX;
	cr_assert_eq(accel_context_compact(c.m, 120, &o, &p, e), 0);
	o.budget = p.total_before / 3;
	o.msg_overhead = 3;
	cr_assert_eq(accel_context_compact(c.m, 120, &o, &p, e), 0);
	check_plan(c.m, 120, &o, &p, e);
	for (int i = 0; i < 120; i++) {
		dropped += e[i].action == ACCEL_CONTEXT_DROP;
		cut += e[i].action == ACCEL_CONTEXT_TRUNCATE;
	}
	cr_assert_gt(dropped, 0);
	cr_assert_leq(cut, 1, "only the last message needed is cut");
	/* Cutting fills the budget closely, not just somewhere below it. */
	cr_assert_geq(p.total_after + 40, o.budget);
	free(c.buf);
}

Test(context_compact, eviction_order)
{
	struct conv c;
	struct accel_context_plan p;
	struct accel_context_plan_entry e[30];
	struct accel_context_compact_opts o = opts(0);
	uint64_t budget = 0;

	load_conv(&c, 30);
	for (int i = 0; i < 30; i++) {
		c.m[i].kind = ACCEL_CONTEXT_KIND_TEXT;
		c.m[i].flags = ACCEL_CONTEXT_MSG_NO_TRUNC;
		c.m[i].priority = i < 10 ? 5 : 0;
	}
	c.m[25].kind = ACCEL_CONTEXT_KIND_TOOL_OUTPUT;
	/* Budget: everything but about four messages' worth. */
	for (int i = 0; i < 30; i++)
		budget += cnt(c.m[i].text, c.m[i].len);
	o.budget = budget - cnt(c.m[10].text, c.m[10].len) * 3;
	cr_assert_eq(accel_context_compact(c.m, 30, &o, &p, e), 0);
	check_plan(c.m, 30, &o, &p, e);
	/* Tool output goes first, then the oldest low-priority messages;
	 * the high-priority ones (0-9) survive. */
	cr_assert_eq(e[25].action, ACCEL_CONTEXT_DROP);
	cr_assert_eq(e[10].action, ACCEL_CONTEXT_DROP);
	for (int i = 0; i < 10; i++)
		cr_assert_eq(e[i].action, ACCEL_CONTEXT_KEEP);
	for (int i = 29; i > 25; i--)
		cr_assert_eq(e[i].action, ACCEL_CONTEXT_KEEP);
	/* Dropped messages form a prefix of the low-priority ones. */
	for (int i = 11; i < 25; i++)
		if (e[i].action == ACCEL_CONTEXT_DROP)
			cr_assert_eq(e[i - 1].action, ACCEL_CONTEXT_DROP);
	free(c.buf);
}

Test(context_compact, pinned_and_preserved_are_never_touched)
{
	struct conv c;
	struct accel_context_plan p;
	struct accel_context_plan_entry e[60];
	struct accel_context_compact_opts o = opts(0);
	uint64_t pinned = 0;

	load_conv(&c, 60);
	for (int i = 0; i < 60; i += 7) {
		c.m[i].flags |= ACCEL_CONTEXT_MSG_PINNED;
		c.m[i].priority = -100;
	}
	o.preserve_last = 4;
	for (int i = 0; i < 60; i++)
		if ((c.m[i].flags & ACCEL_CONTEXT_MSG_PINNED) || i >= 56)
			pinned += cnt(c.m[i].text, c.m[i].len);
	o.budget = pinned + 10;
	cr_assert_eq(accel_context_compact(c.m, 60, &o, &p, e), 0);
	check_plan(c.m, 60, &o, &p, e);
	for (int i = 0; i < 60; i++)
		if ((c.m[i].flags & ACCEL_CONTEXT_MSG_PINNED) || i >= 56)
			cr_assert_eq(e[i].action, ACCEL_CONTEXT_KEEP);

	o.budget = pinned - 1;
	cr_assert_eq(accel_context_compact(c.m, 60, &o, &p, e),
		     -ACCEL_E_COMPACT_PINNED);
	free(c.buf);
}

Test(context_compact, duplicates_collapse_onto_last_copy)
{
	struct conv c;
	struct accel_context_plan p;
	struct accel_context_plan_entry e[40];
	struct accel_context_compact_opts o = opts(UINT32_MAX);

	load_conv(&c, 40);
	/* A tool output repeated three times (a file read again), and a short
	 * "ok" repeated, which is below the collapse threshold. */
	c.m[20] = c.m[2];
	c.m[35] = c.m[2];
	c.m[10].text = "ok";
	c.m[10].len = 2;
	c.m[13] = c.m[10];
	c.m[35].priority = 9;
	cr_assert_eq(accel_context_compact(c.m, 40, &o, &p, e), 0);
	check_plan(c.m, 40, &o, &p, e);
	cr_assert_eq(e[2].action, ACCEL_CONTEXT_DEDUP);
	cr_assert_eq(e[2].dup_of, 35);
	cr_assert_eq(e[20].action, ACCEL_CONTEXT_DEDUP);
	cr_assert_eq(e[35].action, ACCEL_CONTEXT_KEEP);
	cr_assert_eq(e[10].action, ACCEL_CONTEXT_KEEP);
	cr_assert_eq(e[13].action, ACCEL_CONTEXT_KEEP);
	cr_assert_eq(p.n_kept, 38);

	/* A pinned copy stays; disabling collapse keeps all. */
	c.m[20].flags = ACCEL_CONTEXT_MSG_PINNED;
	cr_assert_eq(accel_context_compact(c.m, 40, &o, &p, e), 0);
	cr_assert_eq(e[20].action, ACCEL_CONTEXT_KEEP);
	cr_assert_eq(e[2].action, ACCEL_CONTEXT_DEDUP);
	o.dedup_min_bytes = UINT32_MAX;
	cr_assert_eq(accel_context_compact(c.m, 40, &o, &p, e), 0);
	cr_assert_eq(p.n_kept, 40);
	free(c.buf);
}

Test(context_compact, truncation_keeps_head_and_tail_of_cjk)
{
	size_t len;
	unsigned char *zh = corpus_read(
		corpus_nm(
			"typescript/lib/zh-cn/diagnosticMessages.generated.json"),
		&len);
	struct accel_context_msg m[2];
	struct accel_context_plan p;
	struct accel_context_plan_entry e[2];
	struct accel_context_compact_opts o = opts(0);
	static const char mk[] = "\n… output elided …\n";

	if (!zh)
		cr_skip_test("node_modules/typescript missing");
	m[0] = (struct accel_context_msg){ .text = "Summarise the build log.",
					   .len = 24,
					   .role = ACCEL_CONTEXT_ROLE_USER,
					   .flags = ACCEL_CONTEXT_MSG_PINNED };
	m[1] = (struct accel_context_msg){
		.text = (const char *)zh,
		.len = len,
		.role = ACCEL_CONTEXT_ROLE_TOOL,
		.kind = ACCEL_CONTEXT_KIND_TOOL_OUTPUT
	};
	o.marker = mk;
	o.marker_len = sizeof(mk) - 1;
	for (uint64_t budget = 200; budget < 60000; budget = budget * 3 + 17) {
		o.budget = budget;
		calls = 0;
		cr_assert_eq(accel_context_compact(m, 2, &o, &p, e), 0);
		check_plan(m, 2, &o, &p, e);
		cr_assert_eq(e[1].action, ACCEL_CONTEXT_TRUNCATE);
		cr_assert_gt(e[1].head_len, 0);
		cr_assert_lt(e[1].tail_off, len);
		cr_assert_geq(p.total_after + 50, budget,
			      "budget %lu used only %lu", budget,
			      p.total_after);
		/* The search counts about log2(kept) cuts, not the file
		 * once per byte. */
		cr_assert_lt(calls, 60);
	}
	free(zh);
}

Test(context_compact, deterministic_over_random_budgets)
{
	struct conv c;
	struct accel_context_plan p, q;
	struct accel_context_plan_entry e[300], f[300];
	struct accel_context_compact_opts o = opts(0);
	uint64_t all = 0;
	unsigned seed = 12345;

	load_conv(&c, 300);
	for (int i = 0; i < 300; i++) {
		c.m[i].priority = (int32_t)(i * 2654435761u % 5);
		if (i % 17 == 0)
			c.m[i].flags |= ACCEL_CONTEXT_MSG_PINNED;
		if (i % 11 == 0)
			c.m[i].flags |= ACCEL_CONTEXT_MSG_NO_TRUNC;
		all += cnt(c.m[i].text, c.m[i].len) + 2;
	}
	c.m[100] = c.m[50];
	o.msg_overhead = 2;
	o.preserve_last = 3;
	for (int round = 0; round < 25; round++) {
		int r;

		seed = seed * 1103515245u + 12345u;
		o.budget = all / 4 + seed % (all - all / 4);
		r = accel_context_compact(c.m, 300, &o, &p, e);
		cr_assert_eq(r, 0, "%s", accel_strerror(r));
		check_plan(c.m, 300, &o, &p, e);
		cr_assert_eq(accel_context_compact(c.m, 300, &o, &q, f), 0);
		cr_assert_eq(memcmp(&p, &q, sizeof(p)), 0);
		cr_assert_eq(memcmp(e, f, sizeof(e)), 0);
	}
	free(c.buf);
}

Test(context_compact, messages_from_the_store)
{
	struct conv c;
	struct accel_context_store *st;
	struct accel_context_zstd *z;
	struct accel_context_plan p, q;
	struct accel_context_plan_entry e[40], f[40];
	struct accel_context_msg km[40];
	struct accel_context_compact_opts o = opts(0);

	load_conv(&c, 40);
	cr_assert_eq(accel_context_zstd_create(NULL, &z), 0);
	cr_assert_eq(accel_context_store_create(NULL, &st), 0);
	for (int i = 0; i < 40; i++) {
		km[i] = c.m[i];
		if (i % 2)
			continue;
		cr_assert_geq(accel_context_store_put(st, z, c.m[i].text,
						      c.m[i].len, &km[i].key),
			      0);
		km[i].text = NULL;
		km[i].flags |= ACCEL_CONTEXT_MSG_HAS_KEY;
	}
	o.budget = UINT32_MAX;
	cr_assert_eq(accel_context_compact(c.m, 40, &o, &p, e), 0);
	o.budget = p.total_before / 2;
	cr_assert_eq(accel_context_compact(c.m, 40, &o, &p, e), 0);
	/* Without a store the keyed messages cannot be read. */
	cr_assert_eq(accel_context_compact(km, 40, &o, &q, f),
		     -ACCEL_E_COMPACT_NO_TEXT);
	o.store = st;
	o.zstd = z;
	cr_assert_eq(accel_context_compact(km, 40, &o, &q, f), 0);
	cr_assert_eq(memcmp(&p, &q, sizeof(p)), 0);
	cr_assert_eq(memcmp(e, f, sizeof(e)), 0);
	accel_context_store_destroy(st);
	accel_context_zstd_destroy(z);
	free(c.buf);
}

Test(context_compact, errors)
{
	struct accel_context_msg m = { .text = "hello world", .len = 11 };
	struct accel_context_plan p;
	struct accel_context_plan_entry e;
	struct accel_context_compact_opts o = opts(100);

	o.count_arg = &o; /* test_count fails with -77 when given an arg */
	cr_assert_eq(accel_context_compact(&m, 1, &o, &p, &e), -77);
	o.count_arg = NULL;
	o.count = NULL;
	cr_assert_eq(accel_context_compact(&m, 1, &o, &p, &e),
		     -ACCEL_E_BAD_ARG);
	o = opts(100);
	m.text = NULL;
	cr_assert_eq(accel_context_compact(&m, 1, &o, &p, &e),
		     -ACCEL_E_COMPACT_NO_TEXT);
	cr_assert_eq(accel_context_compact(NULL, 0, &o, &p, NULL), 0);
	cr_assert_eq(p.n, 0);
	cr_assert_eq(p.total_after, 0);
}

/*
 * keep-up's compressContext selection, written the plain way: a list built
 * newest first and reversed, as the TypeScript fallback does it.
 */
static void select_reference(const uint64_t *tk, uint32_t n, uint64_t max,
			     uint32_t keep, uint32_t *sel, uint32_t *nsel,
			     uint32_t *trunc, uint64_t *trunc_tokens)
{
	uint32_t tmp[400], nt = 0, first = n > keep ? n - keep : 0;
	uint64_t used = 0;

	for (uint32_t i = first; i < n; i++)
		used += tk[i];
	*trunc = UINT32_MAX;
	for (int64_t i = (int64_t)first - 1; i >= 0; i--) {
		uint64_t left = max > used ? max - used : 0;

		if (tk[i] <= left) {
			tmp[nt++] = (uint32_t)i;
			used += tk[i];
		} else {
			if (left > 50) {
				*trunc = (uint32_t)i;
				*trunc_tokens = left;
				tmp[nt++] = (uint32_t)i;
			}
			break;
		}
	}
	*nsel = 0;
	while (nt)
		sel[(*nsel)++] = tmp[--nt];
	for (uint32_t i = first; i < n; i++)
		sel[(*nsel)++] = i;
}

Test(context_compact, keepup_select_recent_matches_reference)
{
	struct conv c;
	struct accel_context_seg segs[800];
	struct accel_context_recent_msg rm[300];
	struct accel_context_recent res;
	uint32_t sel[300], ref[300], nref, rtrunc = 0;
	uint64_t tk[300], all = 0, rtt = 0;
	unsigned seed = 99, ns = 0, cuts = 0;

	load_conv(&c, 300);
	/* Every third message is an assistant turn with tool calls and a
	 * second segment (a tool result's JSON). */
	for (uint32_t i = 0; i < 300; i++) {
		rm[i] = (struct accel_context_recent_msg){ ns, 1, 0 };
		segs[ns++] =
			(struct accel_context_seg){ c.m[i].text, c.m[i].len };
		if (i % 3 == 1) {
			segs[ns++] = (struct accel_context_seg){
				c.m[(i + 7) % 300].text, c.m[(i + 7) % 300].len
			};
			rm[i].n_segs = 2;
			rm[i].extra_tokens = 50 * (1 + i % 2);
		}
	}
	for (uint32_t i = 0; i < 300; i++) {
		uint64_t t = rm[i].extra_tokens;

		for (uint32_t k = 0; k < rm[i].n_segs; k++)
			t += cnt(segs[rm[i].first_seg + k].text,
				 segs[rm[i].first_seg + k].len);
		all += t;
	}
	for (int round = 0; round < 60; round++) {
		uint64_t max;
		uint32_t keep;

		seed = seed * 1103515245u + 12345u;
		max = seed % (all + all / 8);
		keep = (seed >> 8) % 12;
		cr_assert_eq(accel_context_select_recent(rm, 300, segs, ns, max,
							 keep, test_count, NULL,
							 sel, tk, &res),
			     0);
		cr_assert_eq(res.total_tokens, all);
		select_reference(tk, 300, max, keep, ref, &nref, &rtrunc, &rtt);
		cr_assert_eq(res.n_selected, nref, "round %d", round);
		cr_assert_eq(memcmp(sel, ref, nref * sizeof(*sel)), 0);
		cr_assert_eq(res.truncated, rtrunc);
		if (rtrunc != UINT32_MAX) {
			cr_assert_eq(res.truncate_tokens, rtt);
			cr_assert_gt(rtt, 50);
			cuts++;
		}
	}
	/* The random budgets exercised both endings of the scan. */
	cr_assert(cuts > 5 && cuts < 55, "%u of 60 rounds cut", cuts);
	/* Preserving more than there is keeps everything. */
	cr_assert_eq(accel_context_select_recent(rm, 300, segs, ns, 0, 1000,
						 test_count, NULL, sel, NULL,
						 &res),
		     0);
	cr_assert_eq(res.n_selected, 300);
	cr_assert_eq(res.selected_tokens, all);
	/* A segment outside the table is refused. */
	rm[5].n_segs = 5000;
	cr_assert_eq(accel_context_select_recent(rm, 300, segs, ns, 100, 0,
						 test_count, NULL, sel, NULL,
						 &res),
		     -ACCEL_E_BAD_ARG);
	free(c.buf);
}
