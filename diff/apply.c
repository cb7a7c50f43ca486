/* SPDX-License-Identifier: MIT */
/*
 * Unified patch parser and applier, following GNU patch where it matters
 * to people who feed it patches written by tools or models:
 *
 *  - the "@@ -a,b +c,d @@" counts decide where a hunk ends; an empty line
 *    in a hunk is an empty context line (mailers strip the space); lines
 *    after the counted ones are garbage between hunks and are skipped;
 *  - a hunk that ends before its counts are met is an error naming the
 *    patch line, never a guess;
 *  - a hunk is looked for at its stated line shifted by the offset of the
 *    previous hunk, then alternately after and before it, then again with
 *    1..fuzz context lines ignored at each end;
 *  - lines compare without their line ending, so a CRLF file takes an LF
 *    patch and the other way round; added lines get the file's ending.
 *
 * The patch text is parsed once into arrays that point into it; the caller
 * keeps the patch alive while the accel_patch exists.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "accel_alloc.h"
#include "accel_compiler.h"
#include "accel_err.h"
#include "diff_int.h"

struct pline {
	const char *p; /* text after the tag, without the line ending */
	uint32_t len;
	char tag;     /* ' ', '-', '+' */
	uint8_t nonl; /* "\ No newline at end of file" follows */
	uint8_t cr;   /* the patch line ended in CRLF */
};

struct phunk {
	uint32_t old_start, old_count, new_start, new_count;
	uint32_t first, n; /* lines */
};

struct pfile {
	char *old_path, *new_path;
	uint32_t first, n; /* hunks */
};

struct accel_patch {
	struct pline *lines;
	uint32_t nlines, cap_lines;
	struct phunk *hunks;
	uint32_t nhunks, cap_hunks;
	struct pfile *files;
	uint32_t nfiles, cap_files;
};

#define GROW(arr, n, cap)                                                     \
	({                                                                    \
		int _r = 0;                                                   \
		if ((n) == (cap)) {                                           \
			uint32_t _c = (cap) ? (cap)*2 : 16;                   \
			void *_p = accel_realloc((arr), _c * sizeof(*(arr))); \
			if (_p) {                                             \
				(arr) = _p;                                   \
				(cap) = _c;                                   \
			} else {                                              \
				_r = -ENOMEM;                                 \
			}                                                     \
		}                                                             \
		_r;                                                           \
	})

static int fail(struct accel_patch_error *err, uint32_t line, const char *msg)
{
	if (err) {
		err->line = line;
		snprintf(err->message, sizeof(err->message), "line %u: %s",
			 line, msg);
	}
	return -ACCEL_E_DIFF_PATCH_MALFORMED;
}

/* Line reader over the patch text. */
struct reader {
	const char *p, *end;
	uint32_t lineno;
};

/* Returns the next line (with its '\n') or NULL at the end. */
static const char *next_line(struct reader *r, uint32_t *len)
{
	const char *s = r->p, *nl;

	if (s >= r->end)
		return NULL;
	nl = memchr(s, '\n', (size_t)(r->end - s));
	r->p = nl ? nl + 1 : r->end;
	*len = (uint32_t)(r->p - s);
	r->lineno++;
	return s;
}

static uint32_t strip_eol(const char *s, uint32_t len, uint8_t *cr)
{
	*cr = 0;
	/* A CR is part of the line ending only in front of the LF. */
	if (len && s[len - 1] == '\n') {
		len--;
		if (len && s[len - 1] == '\r') {
			len--;
			*cr = 1;
		}
	}
	return len;
}

/*
 * Copies the path of a "--- " / "+++ " line: up to a tab (timestamp) or the
 * end of the line, with a leading "a/" or "b/" removed.
 */
static char *header_path(const char *s, uint32_t len, char prefix)
{
	uint32_t n = 0;
	char *out;
	uint8_t cr;

	len = strip_eol(s, len, &cr);
	while (n < len && s[n] != '\t')
		n++;
	while (n && s[n - 1] == ' ')
		n--;
	if (n > 2 && s[0] == prefix && s[1] == '/') {
		s += 2;
		n -= 2;
	}
	out = accel_malloc((size_t)n + 1);
	if (out) {
		memcpy(out, s, n);
		out[n] = 0;
	}
	return out;
}

static int parse_num(const char **s, const char *end, uint32_t *v)
{
	uint64_t x = 0;
	const char *p = *s;

	if (p >= end || *p < '0' || *p > '9')
		return -1;
	while (p < end && *p >= '0' && *p <= '9') {
		x = x * 10 + (uint64_t)(*p++ - '0');
		if (x > UINT32_MAX)
			return -1;
	}
	*v = (uint32_t)x;
	*s = p;
	return 0;
}

/* "@@ -a[,b] +c[,d] @@" */
static int parse_hunk_header(const char *s, uint32_t len, struct phunk *h)
{
	const char *p = s + 4, *end = s + len;

	h->old_count = h->new_count = 1;
	if (parse_num(&p, end, &h->old_start))
		return -1;
	if (p < end && *p == ',') {
		p++;
		if (parse_num(&p, end, &h->old_count))
			return -1;
	}
	if (end - p < 2 || p[0] != ' ' || p[1] != '+')
		return -1;
	p += 2;
	if (parse_num(&p, end, &h->new_start))
		return -1;
	if (p < end && *p == ',') {
		p++;
		if (parse_num(&p, end, &h->new_count))
			return -1;
	}
	if (end - p < 3 || memcmp(p, " @@", 3))
		return -1;
	return 0;
}

static int add_file(struct accel_patch *pt, char *oldp, char *newp)
{
	if (GROW(pt->files, pt->nfiles, pt->cap_files)) {
		accel_free(oldp);
		accel_free(newp);
		return -ENOMEM;
	}
	pt->files[pt->nfiles++] = (struct pfile){ oldp, newp, pt->nhunks, 0 };
	return 0;
}

/*
 * "\ No newline at end of file": the line's '\n' was added by the diff, so
 * a CR before it is content, not a line ending.
 */
static void mark_nonl(struct pline *pl)
{
	if (!pl->nonl && pl->cr) {
		pl->cr = 0;
		pl->len++;
	}
	pl->nonl = 1;
}

static int parse_body(struct accel_patch *pt, struct reader *r, struct phunk *h,
		      uint32_t hdr_line, struct accel_patch_error *err)
{
	uint32_t old_left = h->old_count, new_left = h->new_count, len;
	const char *s;
	char msg[100];

	h->first = pt->nlines;
	h->n = 0;
	while (old_left || new_left) {
		struct pline pl;

		s = next_line(r, &len);
		if (!s) {
			snprintf(
				msg, sizeof(msg),
				"hunk of line %u ends early: %u old and %u new "
				"lines missing",
				hdr_line, old_left, new_left);
			return fail(err, r->lineno + 1, msg);
		}
		if (s[0] == '\\' && h->n) {
			mark_nonl(&pt->lines[pt->nlines - 1]);
			continue;
		}
		pl.len = strip_eol(s, len, &pl.cr);
		pl.nonl = 0;
		if (pl.len == 0) {
			/* An empty line: an empty context line. */
			pl.tag = ' ';
			pl.p = s;
		} else {
			pl.tag = s[0];
			pl.p = s + 1;
			pl.len--;
		}
		if (pl.tag == ' ' && old_left && new_left) {
			old_left--;
			new_left--;
		} else if (pl.tag == '-' && old_left) {
			old_left--;
		} else if (pl.tag == '+' && new_left) {
			new_left--;
		} else {
			if (pl.tag == ' ' || pl.tag == '-' || pl.tag == '+')
				snprintf(msg, sizeof(msg),
					 "'%c' line beyond the counts of the "
					 "hunk at line %u",
					 pl.tag, hdr_line);
			else
				snprintf(msg, sizeof(msg),
					 "unexpected line in the hunk of line "
					 "%u (%u old and %u new lines missing)",
					 hdr_line, old_left, new_left);
			return fail(err, r->lineno, msg);
		}
		if (GROW(pt->lines, pt->nlines, pt->cap_lines))
			return -ENOMEM;
		pt->lines[pt->nlines++] = pl;
		h->n++;
	}
	/* A no-newline marker right after the last counted line. */
	if (r->p < r->end && r->p[0] == '\\' && h->n) {
		next_line(r, &len);
		mark_nonl(&pt->lines[pt->nlines - 1]);
	}
	return 0;
}

int accel_patch_parse(const char *patch, size_t len, struct accel_patch **out,
		      struct accel_patch_error *err)
{
	struct accel_patch *pt;
	struct reader r = { patch, patch + len, 0 };
	const char *s;
	uint32_t l;
	int ret = 0;

	*out = NULL;
	if (err) {
		err->line = 0;
		err->message[0] = 0;
	}
	if (len > ACCEL_DIFF_MAX_INPUT)
		return -ACCEL_E_TOO_LARGE;
	pt = accel_calloc(1, sizeof(*pt));
	if (!pt)
		return -ENOMEM;
	while ((s = next_line(&r, &l))) {
		if (l >= 4 && !memcmp(s, "--- ", 4) && r.p < r.end &&
		    r.end - r.p >= 4 && !memcmp(r.p, "+++ ", 4)) {
			char *oldp = header_path(s + 4, l - 4, 'a'), *newp;

			s = next_line(&r, &l);
			newp = header_path(s + 4, l - 4, 'b');
			if (!oldp || !newp) {
				accel_free(oldp);
				accel_free(newp);
				ret = -ENOMEM;
				goto err;
			}
			ret = add_file(pt, oldp, newp);
			if (ret)
				goto err;
		} else if (l >= 4 && !memcmp(s, "@@ -", 4)) {
			struct phunk h;
			uint32_t hdr = r.lineno;

			if (parse_hunk_header(s, l, &h)) {
				ret = fail(err, hdr, "bad hunk header");
				goto err;
			}
			if (!pt->nfiles) {
				/* Hunks without file headers: one file. */
				char *a = accel_strdup(""),
				     *b = accel_strdup("");

				if (!a || !b) {
					accel_free(a);
					accel_free(b);
					ret = -ENOMEM;
					goto err;
				}
				ret = add_file(pt, a, b);
				if (ret)
					goto err;
			}
			ret = parse_body(pt, &r, &h, hdr, err);
			if (ret)
				goto err;
			if (GROW(pt->hunks, pt->nhunks, pt->cap_hunks)) {
				ret = -ENOMEM;
				goto err;
			}
			pt->hunks[pt->nhunks++] = h;
			pt->files[pt->nfiles - 1].n++;
		}
		/* Anything else (diff --git, index, mode lines, mail text)
		 * is not part of a hunk and is skipped. */
	}
	if (!pt->nhunks) {
		if (err) {
			err->line = 0;
			snprintf(err->message, sizeof(err->message),
				 "no hunk found in the patch");
		}
		ret = -ACCEL_E_DIFF_PATCH_EMPTY;
		goto err;
	}
	*out = pt;
	return 0;
err:
	accel_patch_destroy(pt);
	return ret;
}

void accel_patch_destroy(struct accel_patch *p)
{
	if (!p)
		return;
	for (uint32_t i = 0; i < p->nfiles; i++) {
		accel_free(p->files[i].old_path);
		accel_free(p->files[i].new_path);
	}
	accel_free(p->files);
	accel_free(p->hunks);
	accel_free(p->lines);
	accel_free(p);
}

uint32_t accel_patch_nfiles(const struct accel_patch *p)
{
	return p->nfiles;
}

const char *accel_patch_old_path(const struct accel_patch *p, uint32_t i)
{
	return i < p->nfiles ? p->files[i].old_path : NULL;
}

const char *accel_patch_new_path(const struct accel_patch *p, uint32_t i)
{
	return i < p->nfiles ? p->files[i].new_path : NULL;
}

uint32_t accel_patch_nhunks(const struct accel_patch *p, uint32_t i)
{
	return i < p->nfiles ? p->files[i].n : 0;
}

/* The file being patched, split into lines. */
struct tfile {
	const char *base;
	uint32_t n;
	uint32_t *off; /* n + 1 */
	int crlf;      /* the file's lines end in CRLF */
};

static uint32_t tline(const struct tfile *t, uint32_t i, const char **p)
{
	uint32_t len = t->off[i + 1] - t->off[i];
	uint8_t cr;

	*p = t->base + t->off[i];
	return strip_eol(*p, len, &cr);
}

static int ws_equal(const char *a, uint32_t al, const char *b, uint32_t bl)
{
	uint32_t i = 0, j = 0;

	/* patch -l: any run of blanks matches any other run. */
	for (;;) {
		int sa = i < al && (a[i] == ' ' || a[i] == '\t');
		int sb = j < bl && (b[j] == ' ' || b[j] == '\t');

		if (sa || sb) {
			while (i < al && (a[i] == ' ' || a[i] == '\t'))
				i++;
			while (j < bl && (b[j] == ' ' || b[j] == '\t'))
				j++;
			if (!(sa && sb) && i < al && j < bl)
				return 0;
			continue;
		}
		if (i == al || j == bl)
			return i == al && j == bl;
		if (a[i++] != b[j++])
			return 0;
	}
}

/*
 * Does the hunk's old side, without `pre` leading and `suf` trailing
 * lines, match the file at line `at`?
 */
static int match_at(const struct tfile *t, const struct pline *pl,
		    const uint32_t *idx, uint32_t nold, uint32_t pre,
		    uint32_t suf, uint32_t at, uint32_t flags)
{
	if ((uint64_t)at + (nold - pre - suf) > t->n)
		return 0;
	for (uint32_t k = pre; k < nold - suf; k++) {
		const struct pline *q = &pl[idx[k]];
		const char *fp;
		uint32_t fl = tline(t, at + k - pre, &fp);

		if (flags & ACCEL_PATCH_IGNORE_WS) {
			if (!ws_equal(fp, fl, q->p, q->len))
				return 0;
		} else if (fl != q->len || memcmp(fp, q->p, fl)) {
			return 0;
		}
	}
	return 1;
}

/*
 * Searches from `guess` outwards, after first, never before `lo`. Returns
 * the line or -1.
 */
static long locate(const struct tfile *t, const struct pline *pl,
		   const uint32_t *idx, uint32_t nold, uint32_t pre,
		   uint32_t suf, long guess, long lo, uint32_t flags)
{
	long span = nold - pre - suf, hi = (long)t->n - span;

	if (hi < lo)
		return -1;
	if (guess < lo)
		guess = lo;
	if (guess > hi)
		guess = hi;
	if (flags & ACCEL_PATCH_NO_OFFSET)
		return match_at(t, pl, idx, nold, pre, suf, (uint32_t)guess,
				flags) ?
			       guess :
			       -1;
	for (long d = 0; guess + d <= hi || guess - d >= lo; d++) {
		if (guess + d <= hi && match_at(t, pl, idx, nold, pre, suf,
						(uint32_t)(guess + d), flags))
			return guess + d;
		if (d && guess - d >= lo &&
		    match_at(t, pl, idx, nold, pre, suf, (uint32_t)(guess - d),
			     flags))
			return guess - d;
	}
	return -1;
}

/*
 * Line endings of added lines: as written in the patch, unless the hunk's
 * matched lines show that the patch and the file disagree consistently
 * (an LF patch on CRLF lines: 1, add CRs; a CRLF patch on LF lines: 0,
 * strip them). Returns -1 for "as in the patch", so that a patch made from
 * the exact file, mixed endings included, applies byte for byte.
 */
static int eol_mode(const struct tfile *t, const struct pline *pl,
		    const uint32_t *idx, uint32_t nold, uint32_t pre,
		    uint32_t suf, uint32_t at)
{
	uint32_t nm = 0, fcr = 0, pcr = 0;

	for (uint32_t k = pre; k + suf < nold; k++, nm++) {
		uint32_t i = at + k - pre;
		uint32_t e = t->off[i + 1];

		pcr += pl[idx[k]].cr;
		fcr += e - t->off[i] >= 2 && t->base[e - 1] == '\n' &&
		       t->base[e - 2] == '\r';
	}
	if (!nm)
		return -1;
	if (pcr == 0 && fcr == nm)
		return 1;
	if (pcr == nm && fcr == 0)
		return 0;
	return -1;
}

/* True when a hunk changes nothing (its two sides are equal). */
static int same_sides(const struct pline *pl, const uint32_t *oi, uint32_t no,
		      const uint32_t *ni, uint32_t nn)
{
	if (no != nn)
		return 0;
	for (uint32_t k = 0; k < no; k++) {
		const struct pline *a = &pl[oi[k]], *b = &pl[ni[k]];

		if (a->len != b->len || memcmp(a->p, b->p, a->len))
			return 0;
	}
	return 1;
}

static int put_line(struct accel_buf *o, const char *p, uint32_t len, int nl,
		    int crlf)
{
	if (accel_buf_reserve(o, (size_t)len + 2))
		return -ENOMEM;
	memcpy(o->p + o->len, p, len);
	o->len += len;
	if (nl) {
		if (crlf)
			o->p[o->len++] = '\r';
		o->p[o->len++] = '\n';
	}
	return 0;
}

int accel_patch_apply(const struct accel_patch *p, uint32_t file,
		      const char *text, size_t len,
		      const struct accel_patch_apply_opts *uopts,
		      struct accel_patch_result *res)
{
	struct accel_patch_apply_opts opts = { .fuzz = -1 };
	const struct pfile *pf;
	struct tfile t = { 0 };
	struct accel_buf o = { 0 };
	uint32_t *oldidx = NULL, *newidx = NULL, maxn = 0, copied = 0;
	uint32_t out_lines = 0;
	long delta = 0, lo = 0;
	int ret = -ENOMEM, rev, lf_lines = 0, crlf_lines = 0;

	memset(res, 0, sizeof(*res));
	if (uopts)
		opts = *uopts;
	if (opts.fuzz < 0)
		opts.fuzz = 2;
	if (!p || file >= p->nfiles)
		return -ACCEL_E_DIFF_PATCH_FILE;
	if (len > ACCEL_DIFF_MAX_INPUT)
		return -ACCEL_E_TOO_LARGE;
	rev = !!(opts.flags & ACCEL_PATCH_REVERSE);
	pf = &p->files[file];

	/* Split the file and learn its line ending. */
	{
		const char *q = text, *end = text + len;
		uint32_t n = 0;

		while (q < end) {
			const char *nl = memchr(q, '\n', (size_t)(end - q));

			n++;
			q = nl ? nl + 1 : end;
		}
		t.base = text;
		t.n = n;
		t.off = accel_malloc(((size_t)n + 1) * sizeof(*t.off));
		if (!t.off)
			goto out;
		q = text;
		for (uint32_t i = 0; i < n; i++) {
			const char *nl = memchr(q, '\n', (size_t)(end - q));

			t.off[i] = (uint32_t)(q - text);
			if (nl && nl > q && nl[-1] == '\r')
				crlf_lines++;
			else if (nl)
				lf_lines++;
			q = nl ? nl + 1 : end;
		}
		t.off[n] = (uint32_t)len;
		t.crlf = crlf_lines > lf_lines;
	}
	for (uint32_t h = 0; h < pf->n; h++)
		maxn = ACCEL_MAX(maxn, p->hunks[pf->first + h].n);
	oldidx = accel_malloc(((size_t)maxn + 1) * sizeof(*oldidx));
	newidx = accel_malloc(((size_t)maxn + 1) * sizeof(*newidx));
	res->hunks = accel_calloc(pf->n ? pf->n : 1, sizeof(*res->hunks));
	if (!oldidx || !newidx || !res->hunks)
		goto out;
	res->n_hunks = pf->n;

	for (uint32_t h = 0; h < pf->n; h++) {
		const struct phunk *hk = &p->hunks[pf->first + h];
		const struct pline *pl = p->lines + hk->first;
		struct accel_patch_hunk_result *hr = &res->hunks[h];
		uint32_t nold = 0, nnew = 0, lead = 0, trail = 0, stated;
		char del = rev ? '+' : '-', add = rev ? '-' : '+';
		long where = -1, guess;
		int already = 0;
		uint32_t fz, pre = 0, suf = 0;
		int crlf_out;

		for (uint32_t k = 0; k < hk->n; k++) {
			if (pl[k].tag != add)
				oldidx[nold++] = k;
			if (pl[k].tag != del)
				newidx[nnew++] = k;
		}
		while (lead < nold && pl[oldidx[lead]].tag == ' ')
			lead++;
		while (trail < nold - lead &&
		       pl[oldidx[nold - 1 - trail]].tag == ' ')
			trail++;
		stated = rev ? hk->new_start : hk->old_start;
		/* "-5,0" inserts after line 5; "-5,2" starts at line 5. */
		guess = (long)(nold ? (stated ? stated - 1 : 0) : stated) +
			delta;
		for (fz = 0; fz <= (uint32_t)opts.fuzz; fz++) {
			pre = ACCEL_MIN(fz, lead);
			suf = ACCEL_MIN(fz, trail);
			/* More fuzz than context changes nothing. */
			if (fz && fz > ACCEL_MAX(lead, trail))
				break;
			where = locate(&t, pl, oldidx, nold, pre, suf,
				       guess + pre, lo, opts.flags);
			if (where >= 0)
				break;
			/*
			 * Before any fuzz, as GNU patch does: when the new
			 * side is there as a whole and differs from the old,
			 * the hunk was applied already; fuzz would apply it
			 * a second time somewhere else.
			 */
			if (!fz && nnew &&
			    !same_sides(pl, oldidx, nold, newidx, nnew) &&
			    locate(&t, pl, newidx, nnew, 0, 0, guess, lo,
				   opts.flags) >= 0) {
				already = 1;
				break;
			}
		}
		if (where < 0) {
			hr->status = already ? ACCEL_PATCH_HUNK_ALREADY :
					       ACCEL_PATCH_HUNK_REJECTED;
			res->n_rejected++;
			continue;
		}
		/*
		 * The hunk covers file lines [start, start + nold): `where`
		 * is where its fuzz-trimmed middle matched. Ignored leading
		 * context that would fall before the file start or into the
		 * previous hunk is skipped.
		 */
		{
			long start = where - pre;
			uint32_t skip = 0, last_keep = 0, end_old, ctx_seen = 0;
			long stated0 = (long)(nold ? (stated ? stated - 1 : 0) :
						     stated);

			if (start < (long)copied) {
				skip = (uint32_t)((long)copied - start);
				start = (long)copied;
			}
			end_old = (uint32_t)start + (nold - skip);
			for (uint32_t k = 0; k < hk->n; k++)
				if (pl[k].tag != del)
					last_keep = k;
			if (accel_buf_put(&o, text + t.off[copied],
					  t.off[start] - t.off[copied]))
				goto out;
			out_lines += (uint32_t)start - copied;
			copied = (uint32_t)start;
			hr->line = out_lines + 1;
			crlf_out = eol_mode(&t, pl, oldidx, nold, pre, suf,
					    (uint32_t)where);
			for (uint32_t k = 0; k < hk->n; k++) {
				const struct pline *q = &pl[k];

				if (q->tag == ' ' && ctx_seen++ < skip)
					continue;
				if (q->tag == del) {
					copied++;
					continue;
				}
				if (q->tag == ' ') {
					/* Context keeps the file's bytes;
					 * ignored suffix context past the end
					 * of the file does not exist. */
					if (copied >= t.n)
						continue;
					if (accel_buf_put(
						    &o, text + t.off[copied],
						    t.off[copied + 1] -
							    t.off[copied]))
						goto out;
					copied++;
					out_lines++;
					continue;
				}
				/*
				 * An added line ends without newline only
				 * when the patch says so and it ends the
				 * result.
				 */
				if (put_line(&o, q->p, q->len,
					     !(q->nonl && k == last_keep &&
					       end_old >= t.n),
					     crlf_out < 0 ? q->cr : crlf_out))
					goto out;
				out_lines++;
			}
			if (copied > t.n)
				copied = t.n;
			/*
			 * A kept last line without newline that now has
			 * lines after it gets one.
			 */
			if (copied < t.n && o.len && o.p[o.len - 1] != '\n' &&
			    accel_buf_put(&o, t.crlf ? "\r\n" : "\n",
					  t.crlf ? 2 : 1))
				goto out;
			hr->offset = (int32_t)(where - pre - stated0);
			hr->fuzz = ACCEL_MAX(pre, suf);
			hr->status = hr->fuzz	? ACCEL_PATCH_HUNK_FUZZ :
				     hr->offset ? ACCEL_PATCH_HUNK_OFFSET :
						  ACCEL_PATCH_HUNK_APPLIED;
			delta = where - pre - stated0;
			lo = (long)copied;
		}
	}
	if (copied < t.n &&
	    accel_buf_put(&o, text + t.off[copied], len - t.off[copied]))
		goto out;
	if (!o.p && accel_buf_reserve(&o, 1))
		goto out;
	res->text = o.p;
	res->text_len = o.len;
	o.p = NULL;
	ret = (int)res->n_rejected;
out:
	accel_free(t.off);
	accel_free(oldidx);
	accel_free(newidx);
	accel_free(o.p);
	if (ret < 0) {
		accel_free(res->hunks);
		memset(res, 0, sizeof(*res));
	}
	return ret;
}

void accel_patch_result_free(struct accel_patch_result *res)
{
	if (!res)
		return;
	accel_free(res->text);
	accel_free(res->hunks);
	memset(res, 0, sizeof(*res));
}
