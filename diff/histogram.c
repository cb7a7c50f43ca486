/* SPDX-License-Identifier: MIT */
/*
 * Histogram diff (JGit's algorithm, as git implements it).
 *
 * For a range of a and b, every record class of a is counted. Walking b,
 * each record that also occurs in a is extended into the longest common
 * run around it; the run whose rarest record is rarest wins (ties: the
 * longer run). That run splits the range and both sides are diffed again.
 * Records occurring more than 64 times in a are never used as anchors; a
 * range whose common records are all that frequent falls back to Myers, a
 * range without any common record is all change.
 *
 * The work list is an explicit stack: the halves are independent and a
 * chain of splits must not grow the C stack.
 */
#include <errno.h>
#include <string.h>

#include "accel_alloc.h"
#include "accel_compiler.h"
#include "accel_err.h"
#include "diff_int.h"

#define MAX_CHAIN 64

struct hrec {
	uint32_t cls;
	uint32_t ptr;  /* first occurrence (lowest line) in a */
	uint32_t cnt;  /* occurrences in a */
	uint32_t next; /* next record in the bucket, + 1 */
};

struct hindex {
	uint32_t *table; /* bucket -> record + 1 */
	uint32_t mask;
	struct hrec *recs;
	uint32_t nrecs;
	uint32_t *next_ptr; /* line - base -> next line of the class + 1 */
	uint32_t *line_rec; /* line - base -> record */
	uint32_t base;
	uint32_t cnt; /* best (lowest) count found so far */
	int has_common;
};

struct region {
	long b1, e1, b2, e2; /* inclusive; b1 < 0: none */
};

static inline uint32_t hslot(uint32_t cls, uint32_t mask)
{
	return (cls * 0x9e3779b1u) & mask;
}

static void scan_a(struct hindex *x, const uint32_t *ha, uint32_t s1,
		   uint32_t e1)
{
	x->nrecs = 0;
	x->base = s1;
	/* Backwards, so that each chain ends up in ascending line order. */
	for (uint32_t p = e1; p-- > s1;) {
		uint32_t c = ha[p], slot = hslot(c, x->mask), r;

		for (r = x->table[slot]; r; r = x->recs[r - 1].next)
			if (x->recs[r - 1].cls == c)
				break;
		if (r) {
			struct hrec *rec = &x->recs[r - 1];

			x->next_ptr[p - s1] = rec->ptr + 1;
			rec->ptr = p;
			if (rec->cnt < UINT32_MAX)
				rec->cnt++;
		} else {
			r = ++x->nrecs;
			x->recs[r - 1] =
				(struct hrec){ c, p, 1, x->table[slot] };
			x->table[slot] = r;
			x->next_ptr[p - s1] = 0;
		}
		x->line_rec[p - s1] = r - 1;
	}
}

static uint32_t try_lcs(struct hindex *x, struct region *lcs,
			const uint32_t *ha1, const uint32_t *ha2, uint32_t bp,
			uint32_t s1, uint32_t e1, uint32_t s2, uint32_t e2)
{
	uint32_t b_next = bp + 1, r;
	uint32_t c = ha2[bp];
	struct hrec *rec;

	for (r = x->table[hslot(c, x->mask)]; r; r = x->recs[r - 1].next)
		if (x->recs[r - 1].cls == c)
			break;
	if (!r)
		return b_next;
	rec = &x->recs[r - 1];
	if (rec->cnt > x->cnt) {
		x->has_common = 1;
		return b_next;
	}
	x->has_common = 1;
	for (uint32_t as = rec->ptr;;) {
		uint32_t np = x->next_ptr[as - x->base];
		uint32_t bs = bp, ae = as, be = bp, rc = rec->cnt;

		while (s1 < as && s2 < bs && ha1[as - 1] == ha2[bs - 1]) {
			as--;
			bs--;
			if (rc > 1)
				rc = ACCEL_MIN(
					rc,
					x->recs[x->line_rec[as - x->base]].cnt);
		}
		while (ae + 1 < e1 && be + 1 < e2 &&
		       ha1[ae + 1] == ha2[be + 1]) {
			ae++;
			be++;
			if (rc > 1)
				rc = ACCEL_MIN(
					rc,
					x->recs[x->line_rec[ae - x->base]].cnt);
		}
		if (b_next <= be)
			b_next = be + 1;
		if (lcs->e1 - lcs->b1 < (long)ae - (long)as || rc < x->cnt) {
			lcs->b1 = as;
			lcs->b2 = bs;
			lcs->e1 = ae;
			lcs->e2 = be;
			x->cnt = rc;
		}
		/* Next occurrence of the class past this run. */
		while (np && np - 1 <= ae)
			np = x->next_ptr[np - 1 - x->base];
		if (!np)
			break;
		as = np - 1;
	}
	return b_next;
}

/*
 * Returns 1 with *lcs set when an anchor run was found, 0 when the range
 * has no common record, -1 when it should fall back to Myers.
 */
static int find_lcs(struct hindex *x, const uint32_t *ha1, const uint32_t *ha2,
		    uint32_t s1, uint32_t e1, uint32_t s2, uint32_t e2,
		    struct region *lcs)
{
	uint32_t n = e1 - s1, cap = 16;

	while (cap < n)
		cap <<= 1;
	x->mask = cap - 1;
	memset(x->table, 0, (size_t)cap * sizeof(*x->table));
	scan_a(x, ha1, s1, e1);
	x->cnt = MAX_CHAIN + 1;
	x->has_common = 0;
	lcs->b1 = lcs->b2 = lcs->e1 = lcs->e2 = -1;
	for (uint32_t bp = s2; bp < e2;)
		bp = try_lcs(x, lcs, ha1, ha2, bp, s1, e1, s2, e2);
	if (x->has_common && x->cnt > MAX_CHAIN)
		return -1;
	return lcs->b1 >= 0;
}

struct range {
	uint32_t s1, e1, s2, e2;
};

int accel__diff_histogram(struct denv *env, uint32_t s1, uint32_t e1,
			  uint32_t s2, uint32_t e2)
{
	const uint32_t *ha1 = env->f1.ha, *ha2 = env->f2.ha;
	struct hindex x = { 0 };
	struct range *stk = NULL, *tmp;
	size_t nstk = 0, cap = 64;
	uint32_t n1, cap1 = 16;
	int ret = -ENOMEM;

	/* Equal ends never take part in a change (JGit trims them too). */
	while (s1 < e1 && s2 < e2 && ha1[s1] == ha2[s2]) {
		s1++;
		s2++;
	}
	while (s1 < e1 && s2 < e2 && ha1[e1 - 1] == ha2[e2 - 1]) {
		e1--;
		e2--;
	}
	n1 = e1 - s1;
	while (cap1 < n1)
		cap1 <<= 1;
	x.table = accel_malloc((size_t)cap1 * sizeof(*x.table));
	x.recs = accel_malloc(((size_t)n1 + 1) * sizeof(*x.recs));
	x.next_ptr = accel_malloc(((size_t)n1 + 1) * sizeof(*x.next_ptr));
	x.line_rec = accel_malloc(((size_t)n1 + 1) * sizeof(*x.line_rec));
	stk = accel_malloc(cap * sizeof(*stk));
	if (!x.table || !x.recs || !x.next_ptr || !x.line_rec || !stk)
		goto out;
	stk[nstk++] = (struct range){ s1, e1, s2, e2 };
	while (nstk) {
		struct range r = stk[--nstk];
		struct region lcs;
		int found;

		if (r.s1 == r.e1) {
			for (uint32_t i = r.s2; i < r.e2; i++)
				env->f2.rchg[i] = 1;
			continue;
		}
		if (r.s2 == r.e2) {
			for (uint32_t i = r.s1; i < r.e1; i++)
				env->f1.rchg[i] = 1;
			continue;
		}
		found = find_lcs(&x, ha1, ha2, r.s1, r.e1, r.s2, r.e2, &lcs);
		if (found < 0) {
			ret = accel__diff_myers(env, r.s1, r.e1, r.s2, r.e2, 0);
			if (ret)
				goto out;
			continue;
		}
		if (!found) {
			for (uint32_t i = r.s1; i < r.e1; i++)
				env->f1.rchg[i] = 1;
			for (uint32_t i = r.s2; i < r.e2; i++)
				env->f2.rchg[i] = 1;
			continue;
		}
		if (nstk + 2 > cap) {
			cap *= 2;
			tmp = accel_realloc(stk, cap * sizeof(*stk));
			if (!tmp)
				goto out;
			stk = tmp;
		}
		stk[nstk++] = (struct range){ (uint32_t)lcs.e1 + 1, r.e1,
					      (uint32_t)lcs.e2 + 1, r.e2 };
		stk[nstk++] = (struct range){ r.s1, (uint32_t)lcs.b1, r.s2,
					      (uint32_t)lcs.b2 };
	}
	ret = 0;
out:
	accel_free(x.table);
	accel_free(x.recs);
	accel_free(x.next_ptr);
	accel_free(x.line_rec);
	accel_free(stk);
	return ret;
}
