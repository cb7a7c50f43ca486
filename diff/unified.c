/* SPDX-License-Identifier: MIT */
/*
 * The public line diff: runs an algorithm, builds the change list, groups
 * changes into hunks the way git's xemit.c does and writes unified text.
 */
#include <errno.h>
#include <string.h>

#include "accel_alloc.h"
#include "accel_compiler.h"
#include "accel_err.h"
#include "diff_int.h"

int accel__diff_run(struct denv *env, uint32_t algorithm)
{
	uint32_t n1 = env->f1.nrec, n2 = env->f2.nrec;

	switch (algorithm) {
	case ACCEL_DIFF_MYERS:
		return accel__diff_myers(env, 0, n1, 0, n2, 0);
	case ACCEL_DIFF_MINIMAL:
		return accel__diff_myers(env, 0, n1, 0, n2, 1);
	case ACCEL_DIFF_PATIENCE:
		return accel__diff_patience(env, 0, n1, 0, n2);
	case ACCEL_DIFF_HISTOGRAM:
		return accel__diff_histogram(env, 0, n1, 0, n2);
	}
	return -ACCEL_E_DIFF_BAD_OPTS;
}

long accel__diff_script(const struct denv *env, struct dchange **out)
{
	const char *r1 = env->f1.rchg, *r2 = env->f2.rchg;
	uint32_t n1 = env->f1.nrec, n2 = env->f2.nrec;
	uint32_t i1 = 0, i2 = 0;
	size_t n = 0, cap = 0;
	struct dchange *ch = NULL, *tmp;

	*out = NULL;
	/* Unchanged records pair up one to one, so one forward walk works. */
	while (i1 < n1 || i2 < n2) {
		uint32_t s1 = i1, s2 = i2;

		if (!r1[i1] && !r2[i2]) {
			i1++;
			i2++;
			continue;
		}
		while (r1[i1])
			i1++;
		while (r2[i2])
			i2++;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			tmp = accel_realloc(ch, cap * sizeof(*ch));
			if (!tmp) {
				accel_free(ch);
				return -ENOMEM;
			}
			ch = tmp;
		}
		ch[n++] = (struct dchange){ s1, s2, i1 - s1, i2 - s2, 0 };
	}
	*out = ch;
	return (long)n;
}

long accel__diff_full(struct denv *env, const char *a, size_t alen,
		      const char *b, size_t blen, uint32_t algorithm,
		      uint32_t flags, struct dchange **out)
{
	long n;
	int ret;

	*out = NULL;
	ret = accel__diff_prepare(env, a, alen, b, blen, flags);
	if (ret)
		return ret;
	ret = accel__diff_run(env, algorithm);
	if (ret)
		goto err;
	accel__diff_compact(&env->f1, &env->f2, flags);
	accel__diff_compact(&env->f2, &env->f1, flags);
	n = accel__diff_script(env, out);
	if (n < 0) {
		ret = (int)n;
		goto err;
	}
	return n;
err:
	accel__diff_free(env);
	return ret;
}

static int range_blank(const struct dfile *f, uint32_t s, uint32_t n)
{
	for (uint32_t i = s; i < s + n; i++)
		if (!accel__diff_is_blank(rec_ptr(f, i), rec_len(f, i)))
			return 0;
	return 1;
}

/*
 * Finds the hunk that starts at change `first` (or later: leading changes
 * marked ignore are skipped when far from others). Returns the index of the
 * hunk's first change, or -1 when none is left; *last is its last change.
 * The rules are git's xdl_get_hunk(): changes closer than 2 * ctx +
 * interhunk lines join, and blank-only changes join only when near a real
 * one.
 */
long accel__diff_next_hunk(const struct dchange *ch, long n, long first,
			   long ctx, long interhunk, long *last)
{
	long max_common = 2 * ctx + interhunk, max_ignorable = ctx;
	long lx, xp, x;
	unsigned long ignored = 0;

	for (xp = first; xp < n && ch[xp].ignore; xp++) {
		x = xp + 1;
		if (x == n ||
		    (long)ch[x].i1 - (long)(ch[xp].i1 + ch[xp].chg1) >=
			    max_ignorable)
			first = x;
	}
	if (first >= n)
		return -1;
	lx = first;
	for (xp = first, x = xp + 1; x < n; xp = x, x++) {
		long distance =
			(long)ch[x].i1 - (long)(ch[xp].i1 + ch[xp].chg1);

		if (distance > max_common)
			break;
		if (distance < max_ignorable && (!ch[x].ignore || lx == xp)) {
			lx = x;
			ignored = 0;
		} else if (distance < max_ignorable && ch[x].ignore) {
			ignored += ch[x].chg2;
		} else if (lx != xp &&
			   (long)(ch[x].i1 + ignored) -
					   (long)(ch[lx].i1 + ch[lx].chg1) >
				   max_common) {
			break;
		} else if (!ch[x].ignore) {
			lx = x;
			ignored = 0;
		} else {
			ignored += ch[x].chg2;
		}
	}
	*last = lx;
	return first;
}

static char *put_num(char *p, uint32_t v)
{
	char tmp[10];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static char *put_range(char *p, uint32_t s, uint32_t c)
{
	/* "start,count"; a count of 1 is implied; an empty range names the
	 * line before it. */
	p = put_num(p, c ? s + 1 : s);
	if (c != 1) {
		*p++ = ',';
		p = put_num(p, c);
	}
	return p;
}

static int put_lines(struct accel_buf *o, const struct dfile *f, char tag,
		     uint32_t s, uint32_t e)
{
	static const char nonl[] = "\n\\ No newline at end of file\n";

	if (s >= e)
		return 0;
	if (accel_buf_reserve(o, (size_t)(f->off[e] - f->off[s]) +
					 (size_t)(e - s) + sizeof(nonl)))
		return -ENOMEM;
	for (uint32_t i = s; i < e; i++) {
		uint32_t len = rec_len(f, i);
		char *p = o->p + o->len;

		*p++ = tag;
		memcpy(p, rec_ptr(f, i), len);
		o->len += 1 + len;
	}
	if (f->off[e] > 0 && e == f->nrec && f->base[f->off[e] - 1] != '\n') {
		memcpy(o->p + o->len, nonl, sizeof(nonl) - 1);
		o->len += sizeof(nonl) - 1;
	}
	return 0;
}

static int put_header(struct accel_buf *o, const struct accel_diff_opts *opts)
{
	const char *a = opts->a_path, *b = opts->b_path;
	int dn;

	if (!a || !b)
		return 0;
	if (accel_buf_reserve(o, strlen(a) + strlen(b) + 16))
		return -ENOMEM;
	dn = !strcmp(a, "/dev/null");
	accel_buf_put(o, dn ? "--- " : "--- a/", dn ? 4 : 6);
	accel_buf_put(o, a, strlen(a));
	dn = !strcmp(b, "/dev/null");
	accel_buf_put(o, dn ? "\n+++ " : "\n+++ b/", dn ? 5 : 7);
	accel_buf_put(o, b, strlen(b));
	accel_buf_put(o, "\n", 1);
	return 0;
}

/*
 * The "function line" git prints after "@@ ... @@": the nearest line above
 * the hunk that starts with a letter, '_' or '$' (git's default when no
 * diff driver applies), cut to 80 bytes, trailing whitespace removed. The
 * search stops at the previous hunk's start; when it finds nothing the
 * previous hunk's line is kept (git does the same).
 */
struct func_line {
	size_t len;
	char buf[80];
};

static void find_func(const struct dfile *f, long start, long limit,
		      struct func_line *fl)
{
	for (long l = start; l > limit && l >= 0; l--) {
		const unsigned char *r =
			(const unsigned char *)rec_ptr(f, (uint32_t)l);
		size_t len = rec_len(f, (uint32_t)l);

		if (!len || !((r[0] >= 'a' && r[0] <= 'z') ||
			      (r[0] >= 'A' && r[0] <= 'Z') || r[0] == '_' ||
			      r[0] == '$'))
			continue;
		if (len > sizeof(fl->buf))
			len = sizeof(fl->buf);
		while (len && (r[len - 1] == ' ' || r[len - 1] == '\t' ||
			       r[len - 1] == '\n' || r[len - 1] == '\r' ||
			       r[len - 1] == '\v' || r[len - 1] == '\f'))
			len--;
		memcpy(fl->buf, r, len);
		fl->len = len;
		return;
	}
}

static int write_text(const struct denv *env, const struct dchange *ch, long n,
		      long ctx, long interhunk,
		      const struct accel_diff_opts *opts, struct accel_buf *o)
{
	const struct dfile *f1 = &env->f1, *f2 = &env->f2;
	long first = 0, last, func_prev = -1;
	struct func_line fl = { 0 };
	int ret;

	while ((first = accel__diff_next_hunk(ch, n, first, ctx, interhunk,
					      &last)) >= 0) {
		uint32_t s1, s2, e1, e2, i2;
		char hdr[64 + sizeof(fl.buf)], *p = hdr;

		if (o->len == 0 && (ret = put_header(o, opts)))
			return ret;
		s1 = ch[first].i1 > ctx ? ch[first].i1 - (uint32_t)ctx : 0;
		s2 = ch[first].i2 > ctx ? ch[first].i2 - (uint32_t)ctx : 0;
		e1 = (uint32_t)ACCEL_MIN((long)(ch[last].i1 + ch[last].chg1) +
						 ctx,
					 (long)f1->nrec);
		e2 = (uint32_t)ACCEL_MIN((long)(ch[last].i2 + ch[last].chg2) +
						 ctx,
					 (long)f2->nrec);
		memcpy(p, "@@ -", 4);
		p = put_range(p + 4, s1, e1 - s1);
		memcpy(p, " +", 2);
		p = put_range(p + 2, s2, e2 - s2);
		memcpy(p, " @@", 3);
		p += 3;
		if (opts->flags & ACCEL_DIFF_FUNCNAME) {
			find_func(f1, (long)s1 - 1, func_prev, &fl);
			func_prev = (long)s1 - 1;
			if (fl.len) {
				*p++ = ' ';
				memcpy(p, fl.buf, fl.len);
				p += fl.len;
			}
		}
		*p++ = '\n';
		if (accel_buf_put(o, hdr, (size_t)(p - hdr)))
			return -ENOMEM;
		/* Context comes from b, as git emits it (it matters when
		 * whitespace is ignored). */
		i2 = s2;
		for (long k = first; k <= last; k++) {
			const struct dchange *c = &ch[k];

			if (put_lines(o, f2, ' ', i2, c->i2) ||
			    put_lines(o, f1, '-', c->i1, c->i1 + c->chg1) ||
			    put_lines(o, f2, '+', c->i2, c->i2 + c->chg2))
				return -ENOMEM;
			i2 = c->i2 + c->chg2;
		}
		if (put_lines(o, f2, ' ', i2, e2))
			return -ENOMEM;
		first = last + 1;
	}
	return 0;
}

/* One side of a "Binary files" line: "a/PATH", "/dev/null" as it is, or
 * just "a" without a path. */
static int put_side(struct accel_buf *o, char side, const char *path)
{
	const char pre[2] = { side, '/' };
	int dev_null = path && !strcmp(path, "/dev/null");

	return accel_buf_put(o, pre,
			     dev_null ? 0 :
			     path     ? 2 :
					1) |
	       accel_buf_put(o, path ? path : "", path ? strlen(path) : 0);
}

static int binary_result(const char *a, size_t alen, const char *b, size_t blen,
			 const struct accel_diff_opts *opts,
			 struct accel_diff_result *res)
{
	struct accel_buf o = { 0 };
	int ret = 0;

	res->binary = 1;
	if (!(opts->flags & ACCEL_DIFF_NO_TEXT) &&
	    (alen != blen || memcmp(a, b, alen))) {
		ret |= accel_buf_put(&o, "Binary files ", 13);
		ret |= put_side(&o, 'a', opts->a_path);
		ret |= accel_buf_put(&o, " and ", 5);
		ret |= put_side(&o, 'b', opts->b_path);
		ret |= accel_buf_put(&o, " differ\n", 8);
	}
	if (!(opts->flags & ACCEL_DIFF_NO_TEXT)) {
		if (ret || accel_buf_reserve(&o, 1)) {
			accel_free(o.p);
			return -ENOMEM;
		}
		o.p[o.len] = 0;
	}
	res->text = o.p;
	res->text_len = o.len;
	return 0;
}

int accel_diff(const char *a, size_t alen, const char *b, size_t blen,
	       const struct accel_diff_opts *uopts,
	       struct accel_diff_result *res)
{
	struct accel_diff_opts opts = { 0 };
	struct denv env;
	struct dchange *ch = NULL;
	struct accel_buf o = { 0 };
	long n, ctx, first = 0, last;
	int ret, binary = 0;

	memset(res, 0, sizeof(*res));
	if (uopts)
		opts = *uopts;
	else
		opts.context = -1;
	if (opts.algorithm > ACCEL_DIFF_HISTOGRAM ||
	    (opts.flags & ~ACCEL_DIFF_FLAGS_ALL))
		return -ACCEL_E_DIFF_BAD_OPTS;
	if (alen > ACCEL_DIFF_MAX_INPUT || blen > ACCEL_DIFF_MAX_INPUT)
		return -ACCEL_E_TOO_LARGE;
	ctx = opts.context < 0 ? 3 : opts.context;

	if (!(opts.flags & ACCEL_DIFF_FORCE_TEXT) &&
	    (accel_diff_is_binary(a, alen) || accel_diff_is_binary(b, blen))) {
		binary = 1;
		ret = binary_result(a, alen, b, blen, &opts, res);
		if (ret)
			return ret;
		/* An empty prepared pair gives a hunk buffer without edits. */
		ret = accel__diff_prepare(&env, "", 0, "", 0, 0);
		if (ret)
			goto err;
		n = 0;
	} else {
		n = accel__diff_full(&env, a, alen, b, blen, opts.algorithm,
				     opts.flags, &ch);
		if (n < 0)
			return (int)n;
	}
	if (opts.flags & ACCEL_DIFF_IGNORE_BLANK_LINES)
		for (long k = 0; k < n; k++)
			ch[k].ignore =
				range_blank(&env.f1, ch[k].i1, ch[k].chg1) &&
				range_blank(&env.f2, ch[k].i2, ch[k].chg2);
	/* Counts cover the changes that end up in hunks. */
	while ((first = accel__diff_next_hunk(ch, n, first, ctx, opts.interhunk,
					      &last)) >= 0) {
		for (long k = first; k <= last; k++) {
			res->added += ch[k].chg2;
			res->removed += ch[k].chg1;
		}
		res->n_hunks++;
		first = last + 1;
	}
	if (!binary && !(opts.flags & ACCEL_DIFF_NO_TEXT)) {
		if (accel_buf_reserve(&o, 4096) ||
		    (ret = write_text(&env, ch, n, ctx, opts.interhunk, &opts,
				      &o))) {
			ret = -ENOMEM;
			goto err_env;
		}
		/* NUL-terminated for C callers (not counted in text_len). */
		if (accel_buf_reserve(&o, 1)) {
			ret = -ENOMEM;
			goto err_env;
		}
		o.p[o.len] = 0;
		res->text = o.p;
		res->text_len = o.len;
		o.p = NULL;
	}
	if (!(opts.flags & ACCEL_DIFF_NO_HUNKS)) {
		ret = accel__diff_hunks_build(&env, ch, n, (uint32_t)ctx,
					      opts.interhunk, binary,
					      &res->hunks, &res->hunks_len,
					      NULL);
		if (ret)
			goto err_env;
	}
	accel_free(ch);
	accel__diff_free(&env);
	return 0;
err_env:
	accel__diff_free(&env);
err:
	accel_free(ch);
	accel_free(o.p);
	accel_diff_result_free(res);
	return ret;
}

void accel_diff_result_free(struct accel_diff_result *res)
{
	if (!res)
		return;
	accel_free(res->hunks);
	accel_free(res->text);
	memset(res, 0, sizeof(*res));
}
