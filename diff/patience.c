/* SPDX-License-Identifier: MIT */
/*
 * Patience diff (Bram Cohen's, as git implements it).
 *
 * In a range, the records that occur exactly once in a and once in b are
 * the candidate anchors. Their longest sequence that is increasing on both
 * sides (patience sorting, O(n log n)) is kept; each anchor is grown over
 * equal neighbours and the gaps between anchors are diffed again. A range
 * without a unique common record falls back to Myers.
 */
#include <errno.h>
#include <string.h>

#include "accel_alloc.h"
#include "accel_compiler.h"
#include "accel_err.h"
#include "diff_int.h"

struct pent {
	uint32_t cls;
	uint32_t line1, line2; /* line2 = UINT32_MAX: not (yet) in b */
	uint32_t cnt1, cnt2;
	uint32_t next; /* bucket chain, + 1 */
};

struct pctx {
	uint32_t *table;
	uint32_t mask;
	struct pent *ent;
	uint32_t nent;
	uint32_t *order; /* candidate entries in a order */
	uint32_t *tails; /* patience piles: entry index of each pile top */
	uint32_t *prev;	 /* predecessor in the LIS, + 1 */
	uint32_t *seq;	 /* the chosen anchors, in order */
};

struct prange {
	uint32_t s1, e1, s2, e2;
};

static inline uint32_t pslot(uint32_t cls, uint32_t mask)
{
	return (cls * 0x9e3779b1u) & mask;
}

static struct pent *lookup(struct pctx *p, uint32_t cls, int add)
{
	uint32_t slot = pslot(cls, p->mask), r;

	for (r = p->table[slot]; r; r = p->ent[r - 1].next)
		if (p->ent[r - 1].cls == cls)
			return &p->ent[r - 1];
	if (!add)
		return NULL;
	r = ++p->nent;
	p->ent[r - 1] =
		(struct pent){ cls, 0, UINT32_MAX, 0, 0, p->table[slot] };
	p->table[slot] = r;
	return &p->ent[r - 1];
}

/* Returns the number of anchors written to p->seq. */
static uint32_t anchors(struct pctx *p, const uint32_t *ha1,
			const uint32_t *ha2, const struct prange *r)
{
	uint32_t n1 = r->e1 - r->s1, cap = 16, nc = 0, npiles = 0;

	while (cap < n1 * 2)
		cap <<= 1;
	p->mask = cap - 1;
	memset(p->table, 0, (size_t)cap * sizeof(*p->table));
	p->nent = 0;
	for (uint32_t i = r->s1; i < r->e1; i++) {
		struct pent *e = lookup(p, ha1[i], 1);

		if (!e->cnt1++)
			e->line1 = i;
	}
	for (uint32_t i = r->s2; i < r->e2; i++) {
		struct pent *e = lookup(p, ha2[i], 0);

		if (e && !e->cnt2++)
			e->line2 = i;
	}
	/* Unique on both sides, in a order (entries were made in a order). */
	for (uint32_t k = 0; k < p->nent; k++)
		if (p->ent[k].cnt1 == 1 && p->ent[k].cnt2 == 1)
			p->order[nc++] = k;
	if (!nc)
		return 0;
	/* Longest increasing subsequence of line2 by patience sorting. */
	for (uint32_t j = 0; j < nc; j++) {
		uint32_t k = p->order[j], lo = 0, hi = npiles;
		uint32_t l2 = p->ent[k].line2;

		while (lo < hi) {
			uint32_t mid = (lo + hi) / 2;

			if (p->ent[p->tails[mid]].line2 < l2)
				lo = mid + 1;
			else
				hi = mid;
		}
		p->prev[k] = lo ? p->tails[lo - 1] + 1 : 0;
		p->tails[lo] = k;
		if (lo == npiles)
			npiles++;
	}
	for (uint32_t k = p->tails[npiles - 1] + 1, i = npiles; k;
	     k = p->prev[k - 1])
		p->seq[--i] = k - 1;
	return npiles;
}

int accel__diff_patience(struct denv *env, uint32_t s1, uint32_t e1,
			 uint32_t s2, uint32_t e2)
{
	const uint32_t *ha1 = env->f1.ha, *ha2 = env->f2.ha;
	struct pctx p = { 0 };
	struct prange *stk = NULL, *tmp;
	size_t nstk = 0, cap = 64;
	uint32_t n1 = e1 - s1, tcap = 16;
	int ret = -ENOMEM;

	while (tcap < n1 * 2)
		tcap <<= 1;
	p.table = accel_malloc((size_t)tcap * sizeof(*p.table));
	p.ent = accel_malloc(((size_t)n1 + 1) * sizeof(*p.ent));
	p.order = accel_malloc(((size_t)n1 + 1) * sizeof(*p.order));
	p.tails = accel_malloc(((size_t)n1 + 1) * sizeof(*p.tails));
	p.prev = accel_malloc(((size_t)n1 + 1) * sizeof(*p.prev));
	p.seq = accel_malloc(((size_t)n1 + 1) * sizeof(*p.seq));
	stk = accel_malloc(cap * sizeof(*stk));
	if (!p.table || !p.ent || !p.order || !p.tails || !p.prev || !p.seq ||
	    !stk)
		goto out;
	stk[nstk++] = (struct prange){ s1, e1, s2, e2 };
	while (nstk) {
		struct prange r = stk[--nstk];
		uint32_t na, l1, l2;

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
		na = anchors(&p, ha1, ha2, &r);
		if (!na) {
			ret = accel__diff_myers(env, r.s1, r.e1, r.s2, r.e2, 0);
			if (ret)
				goto out;
			continue;
		}
		/*
		 * Walk the anchors: grow each over equal records before it
		 * and after the previous one, queue the gap in between.
		 */
		l1 = r.s1;
		l2 = r.s2;
		for (uint32_t k = 0; k <= na; k++) {
			uint32_t n1x, n2x;

			if (k < na) {
				n1x = p.ent[p.seq[k]].line1;
				n2x = p.ent[p.seq[k]].line2;
				while (n1x > l1 && n2x > l2 &&
				       ha1[n1x - 1] == ha2[n2x - 1]) {
					n1x--;
					n2x--;
				}
			} else {
				n1x = r.e1;
				n2x = r.e2;
			}
			while (l1 < n1x && l2 < n2x && ha1[l1] == ha2[l2]) {
				l1++;
				l2++;
			}
			if (n1x > l1 || n2x > l2) {
				if (nstk == cap) {
					cap *= 2;
					tmp = accel_realloc(stk,
							    cap * sizeof(*stk));
					if (!tmp)
						goto out;
					stk = tmp;
				}
				stk[nstk++] =
					(struct prange){ l1, n1x, l2, n2x };
			}
			if (k == na)
				break;
			while (k + 1 < na &&
			       p.ent[p.seq[k + 1]].line1 ==
				       p.ent[p.seq[k]].line1 + 1 &&
			       p.ent[p.seq[k + 1]].line2 ==
				       p.ent[p.seq[k]].line2 + 1)
				k++;
			l1 = p.ent[p.seq[k]].line1 + 1;
			l2 = p.ent[p.seq[k]].line2 + 1;
		}
	}
	ret = 0;
out:
	accel_free(p.table);
	accel_free(p.ent);
	accel_free(p.order);
	accel_free(p.tails);
	accel_free(p.prev);
	accel_free(p.seq);
	accel_free(stk);
	return ret;
}
