/* SPDX-License-Identifier: MIT */
/*
 * Query execution.
 *
 * Ranking works on distinct names, not symbols: the filter bitmaps give the
 * names that hold every query character; each is screened with the O(n)
 * fzf v1 matcher and the best few (a bounded heap, about 3x the limit) are
 * rescored with the optimal v2 matcher. A name's final score puts its tier
 * first (exact, exact ignoring case, prefix, other), then the fzf score,
 * then shortness. Only then are names expanded to their symbols, which
 * share the name's score and are ordered by path, line and column.
 *
 * When nothing matches well (fewer hits than asked, or no match reaching
 * half the score of a perfect one), the query is retried with one adjacent
 * swap or one deleted character; those matches rank as fuzzy ones with a
 * penalty, so a near-perfect typo beats a scattered subsequence.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "accel_alloc.h"
#include "accel_compiler.h"
#include "accel_err.h"
#include "symbols_int.h"

#define DEFAULT_LIMIT	20
#define MAX_LIMIT	1000
#define TYPO_MIN_LEN	4
#define TYPO_MAX_LEN	32
#define TYPO_PENALTY	24
#define TYPO_WORD_LEN	8
#define TYPO_NEAR_BONUS 48
/* Bound on typo-pass v1 calls, so a pathological query stays bounded. */
#define TYPO_BUDGET (1u << 18)

struct cand {
	int32_t score; /* composed */
	int32_t fzf;   /* its fzf (v1) part, for pruning */
	uint32_t id;   /* name id (or file id) */
	uint8_t tier;
	uint8_t typo; /* 0, or 1 + variant index */
	uint16_t npos;
	uint32_t pos_idx;
};

struct qctx {
	struct accel_symbols *idx;
	const struct accel_symbols_query *q;
	const struct intern *in; /* names or files */
	struct pattern p;
	struct pattern *var; /* typo variants */
	uint32_t nvar, nswap;
	int top_tier;	   /* best tier among regular matches */
	int32_t ub;	   /* fzf score bound without the hump bonus */
	uint32_t best_run; /* longest run of consecutive matches in the best */
	struct cand *heap;
	uint32_t hn, hcap;
	uint64_t matched;
	int32_t best;
	int files; /* a file-finder query */
	struct score_scratch sc;
};

static int name_cmp(const struct intern *in, uint32_t a, uint32_t b)
{
	uint32_t la = intern_len(in, a), lb = intern_len(in, b);
	int c = memcmp(intern_str(in, a), intern_str(in, b), la < lb ? la : lb);

	if (c)
		return c;
	return la < lb ? -1 : la > lb;
}

/* a ranks below b. */
static int worse(const struct qctx *c, const struct cand *a,
		 const struct cand *b)
{
	if (a->score != b->score)
		return a->score < b->score;
	return name_cmp(c->in, a->id, b->id) > 0;
}

static void sift_down(struct qctx *c, uint32_t i)
{
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, w = i;
		struct cand t;

		if (l < c->hn && worse(c, &c->heap[l], &c->heap[w]))
			w = l;
		if (r < c->hn && worse(c, &c->heap[r], &c->heap[w]))
			w = r;
		if (w == i)
			return;
		t = c->heap[i];
		c->heap[i] = c->heap[w];
		c->heap[w] = t;
		i = w;
	}
}

static void push(struct qctx *c, const struct cand *x)
{
	uint32_t i;

	if (c->hn == c->hcap) {
		if (!worse(c, &c->heap[0], x))
			return;
		c->heap[0] = *x;
		sift_down(c, 0);
		return;
	}
	i = c->hn++;
	c->heap[i] = *x;
	while (i) {
		uint32_t up = (i - 1) / 2;
		struct cand t;

		if (!worse(c, &c->heap[i], &c->heap[up]))
			break;
		t = c->heap[i];
		c->heap[i] = c->heap[up];
		c->heap[up] = t;
		i = up;
	}
}

static int sym_ok(const struct accel_symbols *idx,
		  const struct accel_symbols_query *q, const struct sym *y)
{
	if (q->kinds && !(q->kinds & ACCEL_SYMBOLS_KIND_BIT(sym_kind(y))))
		return 0;
	if (q->path_prefix_len) {
		if (intern_len(&idx->files, y->file) < q->path_prefix_len ||
		    memcmp(intern_str(&idx->files, y->file), q->path_prefix,
			   q->path_prefix_len))
			return 0;
	}
	return 1;
}

static int name_ok(const struct accel_symbols *idx,
		   const struct accel_symbols_query *q, uint32_t nid)
{
	if (!q->kinds && !q->path_prefix_len)
		return 1;
	if (q->kinds && !(idx->nx[nid].kinds & q->kinds))
		return 0;
	for (uint32_t s = idx->nx[nid].head; s != NIL; s = idx->syms[s].next)
		if (sym_ok(idx, q, &idx->syms[s]))
			return 1;
	return 0;
}

static int mode_ok(const struct accel_symbols_query *q, int tier)
{
	if (q->mode == ACCEL_SYMBOLS_MODE_EXACT)
		return tier >= (q->case_mode == ACCEL_SYMBOLS_CASE_RESPECT ?
					TIER_EXACT :
					TIER_EXACT_FOLD);
	if (q->mode == ACCEL_SYMBOLS_MODE_PREFIX)
		return tier >= TIER_PREFIX;
	return 1;
}

/* The text a candidate is scored on: a name, or a file's path. */
static const uint8_t *cand_text(const struct qctx *c, uint32_t id, uint32_t *n)
{
	*n = intern_len(c->in, id);
	return (const uint8_t *)intern_str(c->in, id);
}

/* Whether the first query character matches c (the prefix test). */
static inline int prefix_char_ok(const struct pattern *p, uint8_t c)
{
	uint8_t f = (c >= 'A' && c <= 'Z') ? c + 32 : c;

	return f == p->fold[0] && (!p->exact[0] || c == p->orig[0]);
}

/* How many symbols carry a name (popularity); 1 for files. */
static uint32_t cand_count(const struct qctx *c, uint32_t id)
{
	return c->files ? 1 : c->idx->cards[id].count;
}

/* Word starts of a name, from its card unless there are very many. */
static uint32_t cand_humps(const struct qctx *c, uint32_t id)
{
	uint32_t h = c->idx->cards[id].humps;

	return h < 255 ? h : c->idx->nx[id].humps;
}

/* The bytes of a name to screen: its card's copy when it fits. */
static inline const uint8_t *card_text(const struct qctx *c, uint32_t id,
				       uint32_t *n)
{
	const struct name_card *k = &c->idx->cards[id];

	if (k->len != CARD_LONG) {
		*n = k->len;
		return k->u.text;
	}
	*n = k->u.far.len;
	return (const uint8_t *)c->in->arena + k->u.far.off;
}

/* Basename start of a path. */
static uint32_t base_of(const uint8_t *t, uint32_t n)
{
	uint32_t b = n;

	while (b && t[b - 1] != '/')
		b--;
	return b;
}

/*
 * Screens one candidate with v1 and pushes it. For paths the score is the
 * better of the whole path and the basename (which gets a one-match bonus,
 * since that is what a file finder user types). Names are read from their
 * cards (see symbols_int.h): most are rejected by the signature and the
 * matcher without a second cache line.
 */
static void consider(struct qctx *c, uint32_t id)
{
	uint32_t n, b = 0, humps = 0;
	const uint8_t *t;
	struct cand x;
	int32_t s, sb, bonus;
	int full;
	uint16_t pos[SCORE_MAX_QUERY];
	int tier;

	/* Names come from scan_names, past the signature already. */
	t = c->files ? cand_text(c, id, &n) : card_text(c, id, &n);
	if (c->q->mode == ACCEL_SYMBOLS_MODE_EXACT && !c->files &&
	    n != c->p.len)
		return;
	/* Counted before pruning, so the count does not depend on order. */
	c->matched++;
	/*
	 * Once the heap is full of prefix (or better) matches, a name that
	 * cannot be a prefix match is out before it is scored.
	 */
	if ((c->hn == c->hcap && c->heap[0].tier >= TIER_PREFIX) ||
	    c->q->mode == ACCEL_SYMBOLS_MODE_PREFIX) {
		if (n < c->p.len || !prefix_char_ok(&c->p, t[0]))
			return;
	}
	if (!c->files)
		humps = cand_humps(c, id);
	/*
	 * Full heap of fuzzy matches: a name that cannot be a prefix and
	 * whose best conceivable fzf score (every character at a word start,
	 * plus the hump bonus when its hump count allows) stays below the
	 * worst kept score would be rejected anyway.
	 */
	bonus = (humps > 1 && humps <= c->p.len) ? SCORE_COVER_BONUS : 0;
	full = !c->files && c->hn == c->hcap && c->heap[0].tier == TIER_FUZZY &&
	       (n < c->p.len || !prefix_char_ok(&c->p, t[0]));
	if (full && c->ub + bonus < c->heap[0].fzf)
		return;
	if (!accel__score_v1(&c->p, t, n, &s, pos))
		return;
	/* The same with the score it got: most matches stop here. */
	if (full && s + bonus < c->heap[0].fzf)
		return;
	if (!c->files && c->p.len > 1 && humps > 1 &&
	    accel__score_cover(&c->p, t, pos) == humps)
		s += SCORE_COVER_BONUS;
	if (!c->files && s > c->best) {
		uint32_t run = 1, r = 1;

		for (uint32_t i = 1; i < c->p.len; i++) {
			r = pos[i] == pos[i - 1] + 1 ? r + 1 : 1;
			if (r > run)
				run = r;
		}
		c->best_run = run;
	}
	if (c->files) {
		b = base_of(t, n);
		if (accel__score_v1(&c->p, t + b, n - b, &sb, NULL) &&
		    sb + 16 > s)
			s = sb + 16;
		tier = accel__score_tier(&c->p, t + b, n - b);
	} else {
		tier = accel__score_tier(&c->p, t, n);
	}
	if (!mode_ok(c->q, tier))
		return;
	if (!c->files && !name_ok(c->idx, c->q, id))
		return;
	if (s > c->best)
		c->best = s;
	if (tier > c->top_tier)
		c->top_tier = tier;
	x.score = accel__score_compose(tier, s, n, cand_count(c, id));
	x.fzf = s;
	x.id = id;
	x.tier = (uint8_t)tier;
	x.typo = 0;
	x.npos = 0;
	x.pos_idx = 0;
	push(c, &x);
}

/*
 * The candidates the filter gives are scattered over the card array, so
 * each card costs a full memory latency unless it is fetched ahead: cards
 * are prefetched PF_CARD candidates ahead, and PF_TEXT ahead, when the
 * card has arrived, the arena bytes of a long name.
 */
#define PF_CARD 16
#define PF_TEXT 8
#define BATCH	256

/*
 * Always inlined: GCC's local pure-const pass takes a function whose only
 * effect is __builtin_prefetch for a const one and drops the calls.
 */
static inline __attribute__((always_inline)) void
prefetch_ahead(const struct qctx *c, const uint32_t *ids, uint32_t n,
	       uint32_t j)
{
	const struct name_card *x;
	const char *t;

	if (j + PF_CARD < n)
		__builtin_prefetch(&c->idx->cards[ids[j + PF_CARD]], 0, 0);
	if (j + PF_TEXT >= n)
		return;
	x = &c->idx->cards[ids[j + PF_TEXT]];
	if (x->len != CARD_LONG)
		return;
	t = c->in->arena + x->u.far.off;
	__builtin_prefetch(t, 0, 0);
	__builtin_prefetch(t + 63, 0, 0);
}

/* The next batch of candidates, with the first cards on their way. */
static uint32_t next_batch(const struct qctx *c, struct filter_scan *fs,
			   uint32_t *ids)
{
	uint32_t n = accel__filter_next(fs, ids, BATCH);

	for (uint32_t j = 0; j < n && j < PF_CARD; j++)
		__builtin_prefetch(&c->idx->cards[ids[j]], 0, 0);
	return n;
}

static void scan_names(struct qctx *c)
{
	struct filter_scan fs;
	uint32_t ids[BATCH], n;

	accel__filter_scan_init(&c->idx->filter, c->p.mask, c->p.cased,
				&c->p.pairs, &fs);
	while ((n = next_batch(c, &fs, ids)))
		for (uint32_t j = 0; j < n; j++) {
			prefetch_ahead(c, ids, n, j);
			consider(c, ids[j]);
		}
}

/* ---------------------------------------------------------- typo pass */

struct typo_hit {
	uint32_t id;
	int32_t score;
	uint8_t var;
};

static int build_variants(struct qctx *c)
{
	const struct pattern *p = &c->p;
	uint8_t tmp[TYPO_MAX_LEN];
	uint32_t m = p->len, k = 0;

	c->var = accel_malloc(sizeof(*c->var) * 2 * m);
	if (!c->var)
		return -ENOMEM;
	for (uint32_t i = 0; i + 1 < m; i++) {
		if (p->orig[i] == p->orig[i + 1])
			continue;
		memcpy(tmp, p->orig, m);
		tmp[i] = p->orig[i + 1];
		tmp[i + 1] = p->orig[i];
		accel__pattern_init(&c->var[k++], tmp, m, c->q->case_mode);
	}
	c->nswap = k;
	for (uint32_t i = 0; i < m; i++) {
		if (i && p->orig[i] == p->orig[i - 1])
			continue;
		memcpy(tmp, p->orig, i);
		memcpy(tmp + i, p->orig + i + 1, m - i - 1);
		accel__pattern_init(&c->var[k++], tmp, m - 1, c->q->case_mode);
	}
	c->nvar = k;
	return 0;
}

static int by_id(const void *a, const void *b)
{
	const struct typo_hit *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->score > y->score ? -1 : x->score < y->score;
}

struct typo_acc {
	struct typo_hit *v;
	size_t n, cap;
	uint32_t budget;
	int32_t best;
};

/*
 * Tries the variants sel[0..nsel) on every name that holds the classes of
 * cp and the pairs of sig and that the query itself does not match,
 * keeping each name's best variant.
 */
static int typo_scan(struct qctx *c, const struct pattern *cp,
		     const struct pair_sig *sig, const uint32_t *sel,
		     uint32_t nsel, struct typo_acc *a)
{
	struct filter_scan fs;
	uint32_t buf[BATCH], ns;

	accel__filter_scan_init(&c->idx->filter, cp->mask, cp->cased, sig, &fs);
	while (a->budget && (ns = next_batch(c, &fs, buf))) {
		for (uint32_t i = 0; i < ns; i++) {
			uint32_t n;
			const uint8_t *t;
			int32_t s, best = INT32_MIN;
			uint8_t bv = 0;

			prefetch_ahead(c, buf, ns, i);
			t = card_text(c, buf[i], &n);
			for (uint32_t v = 0; v < nsel; v++) {
				const struct pattern *vp = &c->var[sel[v]];

				if (!accel__score_v1(vp, t, n, &s, NULL))
					continue;
				/* One slip from an exact or prefix match
				 * beats any scattered match. */
				if (accel__score_tier(vp, t, n) >= TIER_PREFIX)
					s += TYPO_NEAR_BONUS;
				if (s > best) {
					best = s;
					bv = (uint8_t)sel[v];
				}
			}
			a->budget = a->budget > nsel ? a->budget - nsel : 0;
			if (best == INT32_MIN)
				continue;
			/* Already a regular match: nothing to add. */
			if (accel__score_v1(&c->p, t, n, &s, NULL))
				continue;
			if (a->n == a->cap) {
				size_t nc = a->cap ? a->cap * 2 : 256;
				struct typo_hit *nv =
					accel_realloc(a->v, nc * sizeof(*nv));

				if (!nv)
					return -ENOMEM;
				a->v = nv;
				a->cap = nc;
			}
			a->v[a->n].id = buf[i];
			a->v[a->n].score = best;
			a->v[a->n].var = bv;
			a->n++;
			if (best > a->best)
				a->best = best;
		}
	}
	return 0;
}

/*
 * Swaps first: they keep the query's character set, so their candidates
 * are the query's own. Deletions (an extra or wrong letter typed) widen
 * the set by one class each, so they run only when no swap matched well.
 */
static int typo_pass(struct qctx *c, int32_t ideal)
{
	struct typo_acc a = { .budget = TYPO_BUDGET, .best = INT32_MIN };
	uint32_t sel[2 * TYPO_MAX_LEN];
	int ret;

	ret = build_variants(c);
	if (ret)
		return ret;
	for (uint32_t v = 0; v < c->nswap; v++)
		sel[v] = v;
	if (c->nswap) {
		struct pair_sig gap2;

		/* Pairs two or more apart survive any adjacent swap. */
		accel__pair_sig_query(c->p.orig, c->p.len, 2, PAIR_MAX_GAP,
				      &gap2);
		ret = typo_scan(c, &c->p, &gap2, sel, c->nswap, &a);
		if (ret)
			goto out;
	}
	for (uint32_t v = c->nswap;
	     v < c->nvar && a.budget && a.best < ideal / 2; v++) {
		const struct pattern *vp = &c->var[v];

		ret = typo_scan(c, vp, &vp->pairs, &v, 1, &a);
		if (ret)
			goto out;
	}
	if (a.n)
		qsort(a.v, a.n, sizeof(*a.v), by_id);
	for (size_t i = 0; i < a.n; i++) {
		struct cand x;
		uint32_t n;

		if (i && a.v[i].id == a.v[i - 1].id)
			continue;
		if (!c->files && !name_ok(c->idx, c->q, a.v[i].id))
			continue;
		cand_text(c, a.v[i].id, &n);
		c->matched++;
		x.score = accel__score_compose(TIER_FUZZY,
					       a.v[i].score - TYPO_PENALTY, n,
					       cand_count(c, a.v[i].id));
		x.fzf = a.v[i].score - TYPO_PENALTY;
		x.id = a.v[i].id;
		x.tier = TIER_FUZZY;
		x.typo = (uint8_t)(1 + a.v[i].var);
		x.npos = 0;
		x.pos_idx = 0;
		push(c, &x);
	}
	ret = 1;
out:
	accel_free(a.v);
	return ret;
}

/* ------------------------------------------------------ final ranking */

static void sort_cands(struct qctx *c, struct cand *v, uint32_t n)
{
	/* Insertion sort: n is a few dozen to a few thousand. */
	for (uint32_t i = 1; i < n; i++) {
		struct cand x = v[i];
		uint32_t j = i;

		while (j && worse(c, &v[j - 1], &x)) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
}

/*
 * Rescores the heap's survivors with the optimal matcher, records their
 * match positions, and sorts them best first.
 */
static int rescore(struct qctx *c, uint16_t **posv)
{
	uint16_t *pos =
		accel_malloc((size_t)c->hn * c->p.len * sizeof(uint16_t) + 2);

	if (!pos)
		return -ENOMEM;
	for (uint32_t i = 0; i < c->hn; i++) {
		struct cand *x = &c->heap[i];
		const struct pattern *p = x->typo ? &c->var[x->typo - 1] :
						    &c->p;
		uint32_t n, b = 0;
		const uint8_t *t = cand_text(c, x->id, &n);
		uint16_t *xp = pos + (size_t)i * c->p.len;
		int32_t s = 0, sb;
		uint16_t bp[SCORE_MAX_QUERY];

		x->pos_idx = i * c->p.len;
		x->npos = (uint16_t)p->len;
		if (!accel__score_v2(p, t, n, &c->sc, &s, xp))
			continue; /* cannot happen: v1 matched */
		if (!c->files && !x->typo && p->len > 1 &&
		    cand_humps(c, x->id) > 1 &&
		    accel__score_cover(p, t, xp) == cand_humps(c, x->id))
			s += SCORE_COVER_BONUS;
		if (c->files) {
			b = base_of(t, n);
			if (accel__score_v2(p, t + b, n - b, &c->sc, &sb, bp) &&
			    sb + 16 >= s) {
				s = sb + 16;
				for (uint32_t k = 0; k < p->len; k++)
					xp[k] = (uint16_t)(bp[k] + b);
			}
		}
		if (x->typo) {
			s -= TYPO_PENALTY;
			if (accel__score_tier(p, t, n) >= TIER_PREFIX)
				s += TYPO_NEAR_BONUS;
		}
		x->score = accel__score_compose(x->tier, s, n,
						cand_count(c, x->id));
	}
	sort_cands(c, c->heap, c->hn);
	*posv = pos;
	return 0;
}

/* ----------------------------------------------------------- output */

struct hit_ref {
	uint32_t slot; /* symbol slot, or file id for file queries */
	uint32_t cand;
};

static int hit_cmp(const struct accel_symbols *idx, uint32_t a, uint32_t b)
{
	const struct sym *x = &idx->syms[a], *y = &idx->syms[b];
	uint32_t xc, yc;
	int c;

	if (x->file != y->file) {
		c = name_cmp(&idx->files, x->file, y->file);
		if (c)
			return c;
	}
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	xc = sym_col(idx, x);
	yc = sym_col(idx, y);
	if (xc != yc)
		return xc < yc ? -1 : 1;
	if (sym_kind(x) != sym_kind(y))
		return sym_kind(x) < sym_kind(y) ? -1 : 1;
	/* Same spot, same kind: order by container, then detail. */
	if (x->container != y->container) {
		if (!x->container || !y->container)
			return x->container ? 1 : -1;
		c = name_cmp(&idx->strs, x->container, y->container);
		if (c)
			return c;
	}
	if (x->detail != y->detail) {
		if (!x->detail || !y->detail)
			return x->detail ? 1 : -1;
		return name_cmp(&idx->strs, x->detail, y->detail);
	}
	return 0;
}

static uint32_t str_len_of(const struct intern *in, uint32_t id)
{
	return id ? intern_len(in, id) : 0;
}

static int emit(struct qctx *c, const uint16_t *pos, void *out, size_t cap,
		size_t *needed, uint32_t flags)
{
	struct accel_symbols *idx = c->idx;
	uint32_t limit = c->q->limit ? c->q->limit : DEFAULT_LIMIT;
	struct hit_ref *refs = NULL;
	uint32_t nref = 0, refcap = limit;
	uint32_t *tmp = NULL;
	size_t tcap = 0;
	uint64_t npos = 0, strs = 0, total;
	int ret = 0;

	refs = accel_malloc(refcap * sizeof(*refs));
	if (!refs)
		return -ENOMEM;
	for (uint32_t i = 0; i < c->hn && nref < limit; i++) {
		const struct cand *x = &c->heap[i];
		size_t nt = 0;

		if (c->files) {
			refs[nref].slot = x->id;
			refs[nref++].cand = i;
			continue;
		}
		for (uint32_t s = idx->nx[x->id].head; s != NIL;
		     s = idx->syms[s].next) {
			if (!sym_ok(idx, c->q, &idx->syms[s]))
				continue;
			if (nt == tcap) {
				size_t ncap = tcap ? tcap * 2 : 64;
				uint32_t *nt2 =
					accel_realloc(tmp, ncap * sizeof(*tmp));

				if (!nt2) {
					ret = -ENOMEM;
					goto out;
				}
				tmp = nt2;
				tcap = ncap;
			}
			tmp[nt++] = s;
		}
		/* Same name: order by path, line, column (insertion sort
		 * of a partial selection would be O(n^2); nt is usually
		 * tiny, but a popular name may have thousands). */
		for (uint32_t k = 0; k < nt && nref < limit; k++) {
			uint32_t best = k;

			for (uint32_t j = k + 1; j < nt; j++)
				if (hit_cmp(idx, tmp[j], tmp[best]) < 0)
					best = j;
			if (best != k) {
				uint32_t t = tmp[k];

				tmp[k] = tmp[best];
				tmp[best] = t;
			}
			refs[nref].slot = tmp[k];
			refs[nref++].cand = i;
		}
	}

	/* Sizes. */
	for (uint32_t i = 0; i < nref; i++) {
		const struct cand *x = &c->heap[refs[i].cand];

		npos += x->npos;
		if (c->files) {
			strs += intern_len(&idx->files, refs[i].slot);
		} else {
			const struct sym *y = &idx->syms[refs[i].slot];

			strs += intern_len(&idx->names, y->name) +
				intern_len(&idx->files, y->file) +
				str_len_of(&idx->strs, y->container) +
				str_len_of(&idx->strs, y->detail);
		}
	}
	total = sizeof(struct accel_symbols_result_hdr) +
		(uint64_t)nref * sizeof(struct accel_symbols_hit);
	{
		uint64_t poff = total,
			 soff = ACCEL_ALIGN_UP(poff + npos * 2, (uint64_t)8);
		struct accel_symbols_result_hdr *h = out;
		struct accel_symbols_hit *hv;
		uint16_t *pv;
		uint8_t *sv;
		uint32_t sp = 0, pp = 0;

		total = soff + strs;
		if (needed)
			*needed = (size_t)total;
		if (total > cap || total > UINT32_MAX) {
			ret = -ACCEL_E_NO_SPACE;
			goto out;
		}
		memset(h, 0, sizeof(*h));
		h->magic = ACCEL_SYMBOLS_RESULT_MAGIC;
		h->version = ACCEL_SYMBOLS_RESULT_VERSION;
		h->flags = (uint16_t)flags;
		h->count = nref;
		h->matched = c->matched > UINT32_MAX ? UINT32_MAX :
						       (uint32_t)c->matched;
		h->positions_off = (uint32_t)poff;
		h->strings_off = (uint32_t)soff;
		h->total_len = (uint32_t)total;
		hv = (struct accel_symbols_hit *)(h + 1);
		pv = (uint16_t *)((uint8_t *)out + poff);
		sv = (uint8_t *)out + soff;
		memset((uint8_t *)out + poff + npos * 2, 0,
		       soff - poff - npos * 2);

#define PUT(in, id, off, len)                                        \
	do {                                                         \
		uint32_t l_ = (id) ? intern_len((in), (id)) : 0;     \
		(off) = l_ ? sp : 0;                                 \
		(len) = l_;                                          \
		if (l_)                                              \
			memcpy(sv + sp, intern_str((in), (id)), l_); \
		sp += l_;                                            \
	} while (0)

		for (uint32_t i = 0; i < nref; i++) {
			const struct cand *x = &c->heap[refs[i].cand];
			struct accel_symbols_hit *o = &hv[i];

			memset(o, 0, sizeof(*o));
			o->score = x->score;
			o->npos = x->npos;
			o->pos_idx = pp;
			o->flags = x->typo ? ACCEL_SYMBOLS_HIT_TYPO : 0;
			memcpy(pv + pp, pos + x->pos_idx, (size_t)x->npos * 2);
			pp += x->npos;
			if (c->files) {
				o->kind = 1;
				PUT(&idx->files, refs[i].slot, o->name_off,
				    o->name_len);
				o->file_off = o->name_off;
				o->file_len = o->name_len;
			} else {
				const struct sym *y = &idx->syms[refs[i].slot];

				o->kind = sym_kind(y);
				o->line = y->line;
				sym_pos(idx, y, &o->col, &o->end_line,
					&o->end_col);
				PUT(&idx->names, y->name, o->name_off,
				    o->name_len);
				PUT(&idx->files, y->file, o->file_off,
				    o->file_len);
				PUT(&idx->strs, y->container, o->container_off,
				    o->container_len);
				PUT(&idx->strs, y->detail, o->detail_off,
				    o->detail_len);
			}
		}
#undef PUT
		ret = (int)total;
	}
out:
	accel_free(tmp);
	accel_free(refs);
	return ret;
}

static int write_empty(void *out, size_t cap, size_t *needed)
{
	struct accel_symbols_result_hdr *h = out;

	if (needed)
		*needed = sizeof(*h);
	if (cap < sizeof(*h) || !out)
		return -ACCEL_E_NO_SPACE;
	memset(h, 0, sizeof(*h));
	h->magic = ACCEL_SYMBOLS_RESULT_MAGIC;
	h->version = ACCEL_SYMBOLS_RESULT_VERSION;
	h->positions_off = sizeof(*h);
	h->strings_off = sizeof(*h);
	h->total_len = sizeof(*h);
	return (int)sizeof(*h);
}

static int check_query(const struct accel_symbols_query *q)
{
	if (!q || (q->text_len && !q->text))
		return -ACCEL_E_BAD_ARG;
	if (q->text_len > ACCEL_SYMBOLS_MAX_QUERY ||
	    q->mode > ACCEL_SYMBOLS_MODE_EXACT ||
	    q->case_mode > ACCEL_SYMBOLS_CASE_RESPECT || q->limit > MAX_LIMIT ||
	    q->resv || (q->flags & ~ACCEL_SYMBOLS_QF_NO_TYPO))
		return -ACCEL_E_SYM_BAD_QUERY;
	if (q->path_prefix_len && !q->path_prefix)
		return -ACCEL_E_BAD_ARG;
	return 0;
}

static void scan_file(struct qctx *c, uint32_t fid)
{
	const struct accel_symbols_query *q = c->q;

	if (!c->idx->files.ent[fid].refs)
		return;
	if ((c->idx->fx[fid].mask & c->p.mask) != c->p.mask)
		return;
	if (q->path_prefix_len &&
	    (intern_len(c->in, fid) < q->path_prefix_len ||
	     memcmp(intern_str(c->in, fid), q->path_prefix,
		    q->path_prefix_len)))
		return;
	consider(c, fid);
}

static int run(struct accel_symbols *idx, const struct accel_symbols_query *q,
	       void *out, size_t cap, size_t *needed, int files)
{
	struct qctx *c;
	uint32_t limit;
	uint16_t *pos = NULL;
	uint32_t flags = 0;
	int ret;

	if (!idx)
		return -ACCEL_E_BAD_ARG;
	ret = check_query(q);
	if (ret)
		return ret;
	c = accel_calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->idx = idx;
	c->q = q;
	c->files = files;
	c->in = files ? &idx->files : &idx->names;
	accel__pattern_init(&c->p, (const uint8_t *)q->text, q->text_len,
			    q->case_mode);
	if (!c->p.len) {
		accel_free(c);
		return write_empty(out, cap, needed);
	}
	limit = q->limit ? q->limit : DEFAULT_LIMIT;
	c->hcap = limit + limit / 2 + 8;
	c->heap = accel_malloc(c->hcap * sizeof(*c->heap));
	if (!c->heap) {
		accel_free(c);
		return -ENOMEM;
	}
	c->best = INT32_MIN;
	accel__score_bound(&c->p, &c->ub);

	pthread_rwlock_rdlock(&idx->lock);
	if (files) {
		for (uint32_t f = 1; f < idx->files.nent; f++)
			scan_file(c, f);
	} else {
		scan_names(c);
	}
	/*
	 * Typo tolerance only when the query found nothing good: no exact or
	 * prefix match, and no match reaching half the score the query would
	 * get against itself.
	 */
	if (!files && q->mode == ACCEL_SYMBOLS_MODE_FUZZY &&
	    !(q->flags & ACCEL_SYMBOLS_QF_NO_TYPO) &&
	    c->p.len >= TYPO_MIN_LEN && c->p.len <= TYPO_MAX_LEN &&
	    c->top_tier < TIER_PREFIX) {
		int32_t ideal;

		accel__score_v1(&c->p, c->p.orig, c->p.len, &ideal, NULL);
		/*
		 * A long query whose best match is one long run plus a few
		 * stray letters ("forEachChidl" in forEachChildInJSDoc...) is
		 * a typed word with a slip, not an abbreviation: it gets the
		 * typo pass too.
		 */
		if (c->best < ideal / 2 ||
		    (c->p.len >= TYPO_WORD_LEN && c->best_run + 3 >= c->p.len &&
		     c->best_run < c->p.len)) {
			ret = typo_pass(c, ideal);
			if (ret < 0)
				goto out_unlock;
			flags |= 1;
		}
	}
	ret = rescore(c, &pos);
	if (ret)
		goto out_unlock;
	ret = emit(c, pos, out, cap, needed, flags);
out_unlock:
	pthread_rwlock_unlock(&idx->lock);
	accel_free(pos);
	accel_free(c->var);
	accel_free(c->heap);
	accel__score_scratch_fini(&c->sc);
	accel_free(c);
	return ret;
}

int accel_symbols_query(struct accel_symbols *idx,
			const struct accel_symbols_query *q, void *out,
			size_t cap, size_t *needed)
{
	return run(idx, q, out, cap, needed, 0);
}

int accel_symbols_query_files(struct accel_symbols *idx,
			      const struct accel_symbols_query *q, void *out,
			      size_t cap, size_t *needed)
{
	return run(idx, q, out, cap, needed, 1);
}
