/* SPDX-License-Identifier: MIT */
/*
 * Myers' O(ND) difference algorithm, linear-space divide and conquer, with
 * the cost bounds git's xdiff uses so that huge inputs finish in bounded
 * time without giving up:
 *
 *  - records that occur in only one file cannot be part of a common
 *    subsequence and are marked changed up front; records with very many
 *    matches that sit inside runs of such records are dropped too (this one
 *    is a heuristic: it is skipped for the minimal algorithm);
 *  - past XDL_HEUR_MIN_COST edits, a diagonal that reached far along with a
 *    long snake is taken as the split point;
 *  - past mxcost (about the square root of the input) edits the furthest
 *    reaching diagonal is taken as the split point.
 *
 * A split point is always on a valid path, so the result is always a
 * correct edit script; the bounds only make it less than minimal on
 * pathological inputs. The constants are git's so that our scripts equal
 * git's and `git merge-file` results can be reproduced exactly.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "accel_alloc.h"
#include "accel_compiler.h"
#include "accel_err.h"
#include "diff_int.h"

#define MAX_EQLIMIT    1024
#define SIMSCAN_WINDOW 100
#define KPDIS_RUN      4
#define K_HEUR	       4
#define SNAKE_CNT      20
#define HEUR_MIN_COST  256
#define MAX_COST_MIN   256
#define KV_MAX	       INT32_MAX

static long bogosqrt(long n)
{
	long i;

	/* Integer square root approximation by shifts, as xdiff does. */
	for (i = 1; n > 0; n >>= 2)
		i <<= 1;
	return i;
}

struct split {
	long i1, i2;
	int min_lo, min_hi;
};

struct mctx {
	const uint32_t *ha1, *ha2;
	const uint32_t *ri1, *ri2; /* reduced index -> record index */
	char *rchg1, *rchg2;
	int32_t *kvdf, *kvdb;
	long mxcost;
};

/*
 * The diagonals where the forward and backward paths can meet in this
 * round: [lo, lo + *span], or none (a lo no d can reach, span 0).
 */
static inline long overlap(long check, long fmin, long fmax, long bmin,
			   long bmax, unsigned long *span)
{
	long lo = ACCEL_MAX(fmin, bmin), hi = ACCEL_MIN(fmax, bmax);

	if (!check || lo > hi) {
		*span = 0;
		return LONG_MAX / 2;
	}
	*span = (unsigned long)(hi - lo);
	return lo;
}

/*
 * Finds the middle snake of the box [off1, lim1) x [off2, lim2), or, when
 * the cost bounds trigger, a good enough split point. Both ends of the box
 * differ (the caller trimmed equal ends).
 */
static void find_split(const struct mctx *m, long off1, long lim1, long off2,
		       long lim2, int need_min, struct split *spl)
{
	const uint32_t *ha1 = m->ha1, *ha2 = m->ha2;
	int32_t *kvdf = m->kvdf, *kvdb = m->kvdb;
	long dmin = off1 - lim2, dmax = lim1 - off2;
	long fmid = off1 - off2, bmid = lim1 - lim2;
	long odd = (fmid - bmid) & 1;
	long fmin = fmid, fmax = fmid, bmin = bmid, bmax = bmid;
	long ec, d, i1, i2, prev1, best, dd, v, k, olo;
	unsigned long ospan;

	kvdf[fmid] = (int32_t)off1;
	kvdb[bmid] = (int32_t)lim1;

	for (ec = 1;; ec++) {
		int got_snake = 0;

		/*
		 * Grow the forward diagonal range by one on each side, or
		 * shrink it where it would leave the box. The slot just
		 * outside is set to a value that loses every comparison.
		 */
		if (fmin > dmin)
			kvdf[--fmin - 1] = -1;
		else
			++fmin;
		if (fmax < dmax)
			kvdf[++fmax + 1] = -1;
		else
			--fmax;

		/*
		 * The hot loop. Per diagonal: one bound for the snake (i2 <
		 * lim2 is i1 < lim2 + d) and one unsigned compare for "d is
		 * inside the backward range".
		 */
		olo = overlap(odd, fmin, fmax, bmin, bmax, &ospan);
		for (d = fmax; d >= fmin; d -= 2) {
			long a = kvdf[d - 1], b = kvdf[d + 1];

			i1 = a >= b ? a + 1 : b;
			/* Most diagonals have no snake: test once, cheaply. */
			if (i1 < lim1 && i1 - d < lim2 &&
			    ha1[i1] == ha2[i1 - d]) {
				long snake_lim = ACCEL_MIN(lim1, lim2 + d);

				prev1 = i1;
				do
					i1++;
				while (i1 < snake_lim &&
				       ha1[i1] == ha2[i1 - d]);
				if (i1 - prev1 > SNAKE_CNT)
					got_snake = 1;
			}
			i2 = i1 - d;
			kvdf[d] = (int32_t)i1;
			if ((unsigned long)(d - olo) <= ospan &&
			    kvdb[d] <= i1) {
				spl->i1 = i1;
				spl->i2 = i2;
				spl->min_lo = spl->min_hi = 1;
				return;
			}
		}

		if (bmin > dmin)
			kvdb[--bmin - 1] = KV_MAX;
		else
			++bmin;
		if (bmax < dmax)
			kvdb[++bmax + 1] = KV_MAX;
		else
			--bmax;

		olo = overlap(!odd, fmin, fmax, bmin, bmax, &ospan);
		for (d = bmax; d >= bmin; d -= 2) {
			long a = kvdb[d - 1], b = kvdb[d + 1];

			i1 = a < b ? a : b - 1;
			if (i1 > off1 && i1 - d > off2 &&
			    ha1[i1 - 1] == ha2[i1 - 1 - d]) {
				long snake_lim = ACCEL_MAX(off1, off2 + d);

				prev1 = i1;
				do
					i1--;
				while (i1 > snake_lim &&
				       ha1[i1 - 1] == ha2[i1 - 1 - d]);
				if (prev1 - i1 > SNAKE_CNT)
					got_snake = 1;
			}
			i2 = i1 - d;
			kvdb[d] = (int32_t)i1;
			if ((unsigned long)(d - olo) <= ospan &&
			    i1 <= kvdf[d]) {
				spl->i1 = i1;
				spl->i2 = i2;
				spl->min_lo = spl->min_hi = 1;
				return;
			}
		}

		if (need_min)
			continue;

		/*
		 * Past the trigger cost, with a long snake seen in this round,
		 * take the diagonal that got furthest from the corner
		 * (penalised by its distance from the middle diagonal) when it
		 * ends in a snake of SNAKE_CNT records.
		 */
		if (got_snake && ec > HEUR_MIN_COST) {
			for (best = 0, d = fmax; d >= fmin; d -= 2) {
				dd = d > fmid ? d - fmid : fmid - d;
				i1 = kvdf[d];
				i2 = i1 - d;
				v = (i1 - off1) + (i2 - off2) - dd;
				if (v > K_HEUR * ec && v > best &&
				    off1 + SNAKE_CNT <= i1 && i1 < lim1 &&
				    off2 + SNAKE_CNT <= i2 && i2 < lim2) {
					for (k = 1; ha1[i1 - k] == ha2[i2 - k];
					     k++) {
						if (k == SNAKE_CNT) {
							best = v;
							spl->i1 = i1;
							spl->i2 = i2;
							break;
						}
					}
				}
			}
			if (best > 0) {
				spl->min_lo = 1;
				spl->min_hi = 0;
				return;
			}
			for (best = 0, d = bmax; d >= bmin; d -= 2) {
				dd = d > bmid ? d - bmid : bmid - d;
				i1 = kvdb[d];
				i2 = i1 - d;
				v = (lim1 - i1) + (lim2 - i2) - dd;
				if (v > K_HEUR * ec && v > best && off1 < i1 &&
				    i1 <= lim1 - SNAKE_CNT && off2 < i2 &&
				    i2 <= lim2 - SNAKE_CNT) {
					for (k = 0; ha1[i1 + k] == ha2[i2 + k];
					     k++) {
						if (k == SNAKE_CNT - 1) {
							best = v;
							spl->i1 = i1;
							spl->i2 = i2;
							break;
						}
					}
				}
			}
			if (best > 0) {
				spl->min_lo = 0;
				spl->min_hi = 1;
				return;
			}
		}

		/*
		 * Too expensive: split at the furthest reaching point of
		 * either direction, measured by i1 + i2.
		 */
		if (ec >= m->mxcost) {
			long fbest = -1, fbest1 = -1;
			long bbest = LONG_MAX, bbest1 = LONG_MAX;

			for (d = fmax; d >= fmin; d -= 2) {
				i1 = ACCEL_MIN((long)kvdf[d], lim1);
				i2 = i1 - d;
				if (lim2 < i2) {
					i1 = lim2 + d;
					i2 = lim2;
				}
				if (fbest < i1 + i2) {
					fbest = i1 + i2;
					fbest1 = i1;
				}
			}
			for (d = bmax; d >= bmin; d -= 2) {
				i1 = ACCEL_MAX(off1, (long)kvdb[d]);
				i2 = i1 - d;
				if (i2 < off2) {
					i1 = off2 + d;
					i2 = off2;
				}
				if (i1 + i2 < bbest) {
					bbest = i1 + i2;
					bbest1 = i1;
				}
			}
			if ((lim1 + lim2) - bbest < fbest - (off1 + off2)) {
				spl->i1 = fbest1;
				spl->i2 = fbest - fbest1;
				spl->min_lo = 1;
				spl->min_hi = 0;
			} else {
				spl->i1 = bbest1;
				spl->i2 = bbest - bbest1;
				spl->min_lo = 0;
				spl->min_hi = 1;
			}
			return;
		}
	}
}

struct box {
	long off1, lim1, off2, lim2;
	int need_min;
};

/*
 * Divide and conquer over the reduced records. The recursion of xdiff's
 * xdl_recs_cmp() is replaced by an explicit stack: the two halves of a
 * split are independent, and a deep split chain on a hostile input must
 * not overflow a worker thread's stack.
 */
static int recs_cmp(const struct mctx *m, long n1, long n2, int need_min)
{
	struct box *stk, *tmp;
	size_t nstk = 0, cap = 64;
	const uint32_t *ha1 = m->ha1, *ha2 = m->ha2;

	stk = accel_malloc(cap * sizeof(*stk));
	if (!stk)
		return -ENOMEM;
	stk[nstk++] = (struct box){ 0, n1, 0, n2, need_min };
	while (nstk) {
		struct box b = stk[--nstk];
		struct split spl;

		while (b.off1 < b.lim1 && b.off2 < b.lim2 &&
		       ha1[b.off1] == ha2[b.off2]) {
			b.off1++;
			b.off2++;
		}
		while (b.off1 < b.lim1 && b.off2 < b.lim2 &&
		       ha1[b.lim1 - 1] == ha2[b.lim2 - 1]) {
			b.lim1--;
			b.lim2--;
		}
		if (b.off1 == b.lim1) {
			for (long i = b.off2; i < b.lim2; i++)
				m->rchg2[m->ri2[i]] = 1;
			continue;
		}
		if (b.off2 == b.lim2) {
			for (long i = b.off1; i < b.lim1; i++)
				m->rchg1[m->ri1[i]] = 1;
			continue;
		}
		find_split(m, b.off1, b.lim1, b.off2, b.lim2, b.need_min, &spl);
		if (nstk + 2 > cap) {
			cap *= 2;
			tmp = accel_realloc(stk, cap * sizeof(*stk));
			if (!tmp) {
				accel_free(stk);
				return -ENOMEM;
			}
			stk = tmp;
		}
		/* Push the upper half last so that it is done first. */
		stk[nstk++] = (struct box){ spl.i1, b.lim1, spl.i2, b.lim2,
					    spl.min_hi };
		stk[nstk++] = (struct box){ b.off1, spl.i1, b.off2, spl.i2,
					    spl.min_lo };
	}
	accel_free(stk);
	return 0;
}

/*
 * Decides whether a record with many matches (dis[i] == 2) is dropped: only
 * when it sits in a run dominated by records without any match, within a
 * window of SIMSCAN_WINDOW records (xdiff's xdl_clean_mmatch()).
 */
static int clean_mmatch(const char *dis, long i, long s, long e)
{
	long r, rdis0, rpdis0, rdis1, rpdis1;

	if (i - s > SIMSCAN_WINDOW)
		s = i - SIMSCAN_WINDOW;
	if (e - i > SIMSCAN_WINDOW)
		e = i + SIMSCAN_WINDOW;
	for (r = 1, rdis0 = 0, rpdis0 = 1; (i - r) >= s; r++) {
		if (!dis[i - r])
			rdis0++;
		else if (dis[i - r] == 2)
			rpdis0++;
		else
			break;
	}
	if (rdis0 == 0)
		return 0;
	for (r = 1, rdis1 = 0, rpdis1 = 1; (i + r) <= e; r++) {
		if (!dis[i + r])
			rdis1++;
		else if (dis[i + r] == 2)
			rpdis1++;
		else
			break;
	}
	if (rdis1 == 0)
		return 0;
	rdis1 += rdis0;
	rpdis1 += rpdis0;
	return rpdis1 * KPDIS_RUN < (rpdis1 + rdis1);
}

/*
 * Builds the reduced view of one side: records of [ds, de] that can take
 * part in a common subsequence. The others are marked changed.
 */
static uint32_t reduce(const struct dfile *f, long s, long ds, long de,
		       const uint32_t *cnt_other, long nrec, int need_min,
		       char *dis, uint32_t *rindex, uint32_t *rha)
{
	long mlim = bogosqrt(nrec);
	uint32_t n = 0;

	if (mlim > MAX_EQLIMIT)
		mlim = MAX_EQLIMIT;
	for (long i = ds; i <= de; i++) {
		uint32_t nm = cnt_other[f->ha[s + i]];

		dis[i] = nm == 0 ? 0 : nm >= (uint32_t)mlim ? 2 : 1;
	}
	for (long i = ds; i <= de; i++) {
		if (dis[i] == 1 ||
		    (dis[i] == 2 &&
		     (need_min || !clean_mmatch(dis, i, ds, de)))) {
			rindex[n] = (uint32_t)(s + i);
			rha[n] = f->ha[s + i];
			n++;
		} else {
			f->rchg[s + i] = 1;
		}
	}
	return n;
}

int accel__diff_myers(struct denv *env, uint32_t s1, uint32_t e1, uint32_t s2,
		      uint32_t e2, int need_min)
{
	const uint32_t *ha1 = env->f1.ha, *ha2 = env->f2.ha;
	long n1 = (long)e1 - s1, n2 = (long)e2 - s2;
	long pre = 0, suf = 0, lim, nreff1, nreff2, ndiags;
	struct mctx m;
	char *dis;
	uint32_t *idx;
	int32_t *kvd;
	int ret = -ENOMEM;

	/* Common prefix and suffix are never part of a change. */
	lim = ACCEL_MIN(n1, n2);
	while (pre < lim && ha1[s1 + pre] == ha2[s2 + pre])
		pre++;
	lim -= pre;
	while (suf < lim && ha1[e1 - 1 - suf] == ha2[e2 - 1 - suf])
		suf++;
	if (pre + suf == n1 || pre + suf == n2) {
		for (long i = s1 + pre; i < (long)e1 - suf; i++)
			env->f1.rchg[i] = 1;
		for (long i = s2 + pre; i < (long)e2 - suf; i++)
			env->f2.rchg[i] = 1;
		return 0;
	}

	/* Occurrence counts over the whole range, as xdiff counts them. */
	for (uint32_t i = s1; i < e1; i++)
		env->cnt1[ha1[i]]++;
	for (uint32_t i = s2; i < e2; i++)
		env->cnt2[ha2[i]]++;

	dis = accel_malloc((size_t)n1 + (size_t)n2 + 2);
	idx = accel_malloc(((size_t)n1 + (size_t)n2) * 2 * sizeof(*idx) + 8);
	if (!dis || !idx)
		goto out;
	nreff1 = reduce(&env->f1, s1, pre, n1 - suf - 1, env->cnt2, n1,
			need_min, dis, idx, idx + n1);
	nreff2 = reduce(&env->f2, s2, pre, n2 - suf - 1, env->cnt1, n2,
			need_min, dis + n1 + 1, idx + 2 * n1,
			idx + 2 * n1 + n2);

	ndiags = nreff1 + nreff2 + 3;
	kvd = accel_malloc((size_t)(2 * ndiags + 2) * sizeof(*kvd));
	if (!kvd)
		goto out;
	m.ha1 = idx + n1;
	m.ri1 = idx;
	m.ha2 = idx + 2 * n1 + n2;
	m.ri2 = idx + 2 * n1;
	m.rchg1 = env->f1.rchg;
	m.rchg2 = env->f2.rchg;
	m.kvdf = kvd + nreff2 + 1;
	m.kvdb = kvd + ndiags + nreff2 + 1;
	m.mxcost = bogosqrt(ndiags);
	if (m.mxcost < MAX_COST_MIN)
		m.mxcost = MAX_COST_MIN;
	ret = recs_cmp(&m, nreff1, nreff2, need_min);
	accel_free(kvd);
out:
	for (uint32_t i = s1; i < e1; i++)
		env->cnt1[ha1[i]] = 0;
	for (uint32_t i = s2; i < e2; i++)
		env->cnt2[ha2[i]] = 0;
	accel_free(dis);
	accel_free(idx);
	return ret;
}
