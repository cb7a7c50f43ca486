/* SPDX-License-Identifier: MIT */
/*
 * Three-way merge with the semantics of `git merge-file` (xdiff's
 * xdl_merge()), so that the same inputs give byte-identical output:
 *
 *  1. diff base->ours and base->theirs (same algorithm, compaction);
 *  2. walk both change lists; a change of one side that does not overlap
 *     a change of the other is taken; overlapping changes that are not
 *     identical become one conflict (touching regions coalesce);
 *  3. merge style only ("zealous alnum" level): each conflict is narrowed
 *     by diffing its two sides against each other, and conflicts separated
 *     by at most three lines, or by lines without any letter or digit, are
 *     joined so that the reader sees fewer, larger conflicts;
 *  4. the output copies ours between the changes, theirs for its own
 *     changes, and marker lines around conflicts, using CRLF markers when
 *     the surrounding lines use CRLF.
 */
#include <errno.h>
#include <string.h>

#include "accel_alloc.h"
#include "accel_compiler.h"
#include "accel_err.h"
#include "diff_int.h"

/* mode: 0 conflict, 1 ours, 2 theirs, 3 both (union), 4 identical. */
struct xm {
	int mode;
	long i0, chg0, i1, chg1, i2, chg2;
};

struct xmv {
	struct xm *v;
	size_t n, cap;
};

static int xmv_push(struct xmv *mv, const struct xm *m)
{
	if (mv->n == mv->cap) {
		size_t cap = mv->cap ? mv->cap * 2 : 32;
		struct xm *v = accel_realloc(mv->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		mv->v = v;
		mv->cap = cap;
	}
	mv->v[mv->n++] = *m;
	return 0;
}

/* Adds a change, coalescing it with the previous one when they touch. */
static int append_merge(struct xmv *mv, int mode, long i0, long chg0, long i1,
			long chg1, long i2, long chg2)
{
	struct xm *m = mv->n ? &mv->v[mv->n - 1] : NULL;

	if (m && (i1 <= m->i1 + m->chg1 || i2 <= m->i2 + m->chg2)) {
		if (mode != m->mode)
			m->mode = 0;
		m->chg0 = i0 + chg0 - m->i0;
		m->chg1 = i1 + chg1 - m->i1;
		m->chg2 = i2 + chg2 - m->i2;
		return 0;
	}
	return xmv_push(mv, &(struct xm){ mode, i0, chg0, i1, chg1, i2, chg2 });
}

struct side {
	struct denv env; /* f1 = base, f2 = this side */
	struct dchange *ch;
	long n;
};

static int lines_equal(const struct dfile *a, long ia, const struct dfile *b,
		       long ib, long count, uint32_t flags)
{
	for (long k = 0; k < count; k++) {
		int eq = accel__diff_rec_equal(rec_ptr(a, (uint32_t)(ia + k)),
					       rec_len(a, (uint32_t)(ia + k)),
					       rec_ptr(b, (uint32_t)(ib + k)),
					       rec_len(b, (uint32_t)(ib + k)),
					       flags);

		if (eq <= 0)
			return eq;
	}
	return 1;
}

static int collect(const struct side *s1, const struct side *s2, uint32_t flags,
		   struct xmv *mv)
{
	const struct dchange *x1 = s1->ch, *x2 = s2->ch;
	const struct dchange *end1 = x1 + s1->n, *end2 = x2 + s2->n;
	int ret;

	while (x1 < end1 && x2 < end2) {
		if ((long)x1->i1 + x1->chg1 < (long)x2->i1) {
			ret = append_merge(mv, 1, x1->i1, x1->chg1, x1->i2,
					   x1->chg2,
					   (long)x2->i2 - x2->i1 + x1->i1,
					   x1->chg1);
			if (ret)
				return ret;
			x1++;
			continue;
		}
		if ((long)x2->i1 + x2->chg1 < (long)x1->i1) {
			ret = append_merge(mv, 2, x2->i1, x2->chg1,
					   (long)x1->i2 - x1->i1 + x2->i1,
					   x2->chg1, x2->i2, x2->chg2);
			if (ret)
				return ret;
			x2++;
			continue;
		}
		if (x1->i1 != x2->i1 || x1->chg1 != x2->chg1 ||
		    x1->chg2 != x2->chg2 ||
		    (ret = lines_equal(&s1->env.f2, x1->i2, &s2->env.f2, x2->i2,
				       x1->chg2, flags)) == 0) {
			/* Overlapping, different: one conflict over both. */
			long off = (long)x1->i1 - x2->i1;
			long ffo = off + (long)x1->chg1 - x2->chg1;
			long i0 = x1->i1, i1 = x1->i2, i2 = x2->i2;
			long chg0, chg1, chg2;

			if (off > 0) {
				i0 -= off;
				i1 -= off;
			} else {
				i2 += off;
			}
			chg0 = (long)x1->i1 + x1->chg1 - i0;
			chg1 = (long)x1->i2 + x1->chg2 - i1;
			chg2 = (long)x2->i2 + x2->chg2 - i2;
			if (ffo < 0) {
				chg0 -= ffo;
				chg1 -= ffo;
			} else {
				chg2 += ffo;
			}
			ret = append_merge(mv, 0, i0, chg0, i1, chg1, i2, chg2);
			if (ret)
				return ret;
		} else if (ret < 0) {
			return ret;
		}
		{
			long e1 = (long)x1->i1 + x1->chg1;
			long e2 = (long)x2->i1 + x2->chg1;

			if (e1 >= e2)
				x2++;
			if (e2 >= e1)
				x1++;
		}
	}
	for (; x1 < end1; x1++) {
		ret = append_merge(mv, 1, x1->i1, x1->chg1, x1->i2, x1->chg2,
				   (long)x1->i1 + s2->env.f2.nrec -
					   s2->env.f1.nrec,
				   x1->chg1);
		if (ret)
			return ret;
	}
	for (; x2 < end2; x2++) {
		ret = append_merge(mv, 2, x2->i1, x2->chg1,
				   (long)x2->i1 + s1->env.f2.nrec -
					   s1->env.f1.nrec,
				   x2->chg1, x2->i2, x2->chg2);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * Narrows every conflict to the lines where ours and theirs really differ
 * by diffing the two sides; identical sides stop being a conflict.
 */
static int refine(const struct side *s1, const struct side *s2,
		  uint32_t algorithm, uint32_t flags, struct xmv *mv)
{
	struct xmv out = { 0 };
	int ret = 0;

	for (size_t k = 0; k < mv->n && !ret; k++) {
		struct xm m = mv->v[k];
		const struct dfile *o = &s1->env.f2, *t = &s2->env.f2;
		struct denv e;
		struct dchange *ch;
		long n;

		if (m.mode || m.chg1 == 0 || m.chg2 == 0) {
			ret = xmv_push(&out, &m);
			continue;
		}
		n = accel__diff_full(&e, rec_ptr(o, (uint32_t)m.i1),
				     o->off[m.i1 + m.chg1] - o->off[m.i1],
				     rec_ptr(t, (uint32_t)m.i2),
				     t->off[m.i2 + m.chg2] - t->off[m.i2],
				     algorithm, flags, &ch);
		if (n < 0) {
			ret = (int)n;
			break;
		}
		if (n == 0) {
			m.mode = 4;
			ret = xmv_push(&out, &m);
		}
		for (long j = 0; j < n && !ret; j++) {
			struct xm r = m;

			r.mode = 0;
			r.i1 = m.i1 + ch[j].i1;
			r.chg1 = ch[j].chg1;
			r.i2 = m.i2 + ch[j].i2;
			r.chg2 = ch[j].chg2;
			ret = xmv_push(&out, &r);
		}
		accel_free(ch);
		accel__diff_free(&e);
	}
	if (ret) {
		accel_free(out.v);
		return ret;
	}
	accel_free(mv->v);
	*mv = out;
	return 0;
}

static int has_alnum(const struct dfile *f, long i, long n)
{
	for (; n > 0; n--, i++) {
		const char *p = rec_ptr(f, (uint32_t)i);

		for (uint32_t k = 0; k < rec_len(f, (uint32_t)i); k++) {
			unsigned char c = (unsigned char)p[k];

			if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
			    (c >= 'A' && c <= 'Z'))
				return 1;
		}
	}
	return 0;
}

/* Joins conflicts separated by at most 3 (or only non-alnum) lines. */
static void simplify(const struct dfile *ours, struct xmv *mv)
{
	size_t w = 0;

	if (!mv->n)
		return;
	for (size_t k = 1; k < mv->n; k++) {
		struct xm *m = &mv->v[w], *nx = &mv->v[k];
		long begin = m->i1 + m->chg1, end = nx->i1;

		if (m->mode != 0 || nx->mode != 0 ||
		    (end - begin > 3 && has_alnum(ours, begin, end - begin))) {
			mv->v[++w] = *nx;
		} else {
			m->chg1 = nx->i1 + nx->chg1 - m->i1;
			m->chg2 = nx->i2 + nx->chg2 - m->i2;
		}
	}
	mv->n = w + 1;
}

/* EOL of line i: 1 CRLF, 0 LF, -1 cannot tell (xdiff's is_eol_crlf()). */
static int eol_crlf(const struct dfile *f, long i)
{
	uint32_t size;

	if (i < (long)f->nrec - 1) {
		size = rec_len(f, (uint32_t)i);
		return size > 1 && rec_ptr(f, (uint32_t)i)[size - 2] == '\r';
	}
	if (!f->nrec)
		return -1;
	size = rec_len(f, (uint32_t)i);
	if (size && rec_ptr(f, (uint32_t)i)[size - 1] == '\n')
		return size > 1 && rec_ptr(f, (uint32_t)i)[size - 2] == '\r';
	if (!i)
		return -1;
	size = rec_len(f, (uint32_t)i - 1);
	return size > 1 && rec_ptr(f, (uint32_t)i - 1)[size - 2] == '\r';
}

static int cr_needed(const struct side *s1, const struct side *s2,
		     const struct xm *m)
{
	int cr = eol_crlf(&s1->env.f2, m->i1 ? m->i1 - 1 : 0);

	if (cr)
		cr = eol_crlf(&s2->env.f2, m->i2 ? m->i2 - 1 : 0);
	if (cr)
		cr = eol_crlf(&s1->env.f1, 0);
	return cr < 0 ? 0 : cr;
}

static int copy_recs(struct accel_buf *o, const struct dfile *f, long i, long n,
		     int needs_cr, int add_nl)
{
	uint32_t last;

	if (n < 1)
		return 0;
	if (accel_buf_put(o, rec_ptr(f, (uint32_t)i),
			  f->off[i + n] - f->off[i]))
		return -ENOMEM;
	last = rec_len(f, (uint32_t)(i + n - 1));
	if (add_nl && (last == 0 ||
		       rec_ptr(f, (uint32_t)(i + n - 1))[last - 1] != '\n')) {
		if (needs_cr && accel_buf_put(o, "\r", 1))
			return -ENOMEM;
		if (accel_buf_put(o, "\n", 1))
			return -ENOMEM;
	}
	return 0;
}

static int marker(struct accel_buf *o, char c, uint32_t size, const char *label,
		  int needs_cr)
{
	if (accel_buf_reserve(o, size + (label ? strlen(label) : 0) + 3))
		return -ENOMEM;
	memset(o->p + o->len, c, size);
	o->len += size;
	if (label) {
		o->p[o->len++] = ' ';
		accel_buf_put(o, label, strlen(label));
	}
	if (needs_cr)
		o->p[o->len++] = '\r';
	o->p[o->len++] = '\n';
	return 0;
}

static int fill(const struct side *s1, const struct side *s2,
		const struct accel_merge_opts *opts, struct xmv *mv,
		struct accel_buf *o, int *conflicts)
{
	const struct dfile *ours = &s1->env.f2, *theirs = &s2->env.f2;
	uint32_t msize = opts->marker_size ? opts->marker_size : 7;
	long i = 0;
	int ret = 0;

	*conflicts = 0;
	for (size_t k = 0; k < mv->n && !ret; k++) {
		struct xm *m = &mv->v[k];

		if (opts->favor && !m->mode)
			m->mode = (int)opts->favor;
		if (m->mode == 0) {
			int cr = cr_needed(s1, s2, m);
			int diff3 = opts->style == ACCEL_MERGE_STYLE_DIFF3;

			(*conflicts)++;
			if (copy_recs(o, ours, i, m->i1 - i, 0, 0) ||
			    marker(o, '<', msize, opts->ours_label, cr) ||
			    copy_recs(o, ours, m->i1, m->chg1, cr, 1) ||
			    (diff3 &&
			     (marker(o, '|', msize, opts->base_label, cr) ||
			      copy_recs(o, &s1->env.f1, m->i0, m->chg0, cr,
					1))) ||
			    marker(o, '=', msize, NULL, cr) ||
			    copy_recs(o, theirs, m->i2, m->chg2, cr, 1) ||
			    marker(o, '>', msize, opts->theirs_label, cr))
				ret = -ENOMEM;
		} else if (m->mode & 3) {
			ret = copy_recs(o, ours, i, m->i1 - i, 0, 0);
			if (!ret && (m->mode & 1))
				ret = copy_recs(o, ours, m->i1, m->chg1,
						cr_needed(s1, s2, m),
						m->mode & 2);
			if (!ret && (m->mode & 2))
				ret = copy_recs(o, theirs, m->i2, m->chg2, 0,
						0);
		} else {
			continue;
		}
		i = m->i1 + m->chg1;
	}
	if (!ret)
		ret = copy_recs(o, ours, i, (long)ours->nrec - i, 0, 0);
	return ret;
}

int accel_merge3(const char *base, size_t base_len, const char *ours,
		 size_t ours_len, const char *theirs, size_t theirs_len,
		 const struct accel_merge_opts *uopts, char **out,
		 size_t *out_len)
{
	struct accel_merge_opts opts = { 0 };
	struct side s1 = { 0 }, s2 = { 0 };
	struct xmv mv = { 0 };
	struct accel_buf o = { 0 };
	int ret, conflicts = 0;

	*out = NULL;
	*out_len = 0;
	if (uopts)
		opts = *uopts;
	if (opts.style > ACCEL_MERGE_STYLE_DIFF3 ||
	    opts.favor > ACCEL_MERGE_FAVOR_UNION ||
	    opts.algorithm > ACCEL_DIFF_HISTOGRAM ||
	    (opts.flags &
	     ~(ACCEL_DIFF_IGNORE_WS_ALL | ACCEL_DIFF_IGNORE_WS_CHANGE |
	       ACCEL_DIFF_IGNORE_WS_EOL | ACCEL_DIFF_IGNORE_CR_EOL)))
		return -ACCEL_E_DIFF_BAD_OPTS;
	s1.n = accel__diff_full(&s1.env, base, base_len, ours, ours_len,
				opts.algorithm, opts.flags, &s1.ch);
	if (s1.n < 0)
		return (int)s1.n;
	s2.n = accel__diff_full(&s2.env, base, base_len, theirs, theirs_len,
				opts.algorithm, opts.flags, &s2.ch);
	if (s2.n < 0) {
		ret = (int)s2.n;
		goto err_s1;
	}
	if (!s1.n || !s2.n) {
		/* One side did not change anything: the other side wins. */
		const char *src = !s1.n ? theirs : ours;
		size_t len = !s1.n ? theirs_len : ours_len;

		ret = accel_buf_put(&o, src, len);
		if (!ret && !o.p)
			ret = accel_buf_reserve(&o, 1);
		goto done;
	}
	ret = collect(&s1, &s2, opts.flags, &mv);
	/*
	 * diff3 output shows the base of each conflict, which has no meaning
	 * for a conflict narrowed by diffing ours against theirs, so only
	 * the merge style refines (git does the same).
	 */
	if (!ret && opts.style == ACCEL_MERGE_STYLE_MERGE) {
		ret = refine(&s1, &s2, opts.algorithm, opts.flags, &mv);
		if (!ret)
			simplify(&s1.env.f2, &mv);
	}
	if (!ret)
		ret = fill(&s1, &s2, &opts, &mv, &o, &conflicts);
	if (!ret && !o.p)
		ret = accel_buf_reserve(&o, 1);
done:
	accel_free(mv.v);
	accel_free(s2.ch);
	accel__diff_free(&s2.env);
err_s1:
	accel_free(s1.ch);
	accel__diff_free(&s1.env);
	if (ret) {
		accel_free(o.p);
		return ret;
	}
	*out = o.p;
	*out_len = o.len;
	return conflicts;
}
