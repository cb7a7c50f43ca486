/* SPDX-License-Identifier: MIT */
#ifndef ACCEL_DIFF_INT_H
#define ACCEL_DIFF_INT_H

/*
 * Private to diff/: the prepared pair of files every algorithm works on.
 *
 * A file is split into records (lines including their '\n'). Each record
 * gets a class: records that compare equal under the whitespace flags share
 * one class id, so every later comparison is an integer compare. Changed
 * records are marked in rchg[], which has a zero sentinel at index -1 and
 * at index nrec so that scans need no bounds checks (as in xdiff).
 */

#include <stddef.h>
#include <stdint.h>

#include "accel_buf.h"
#include "diff.h"

struct dfile {
	const char *base;
	uint32_t nrec;
	uint32_t *off; /* nrec + 1 record start offsets; last = length */
	uint32_t *ha;  /* class id of each record */
	char *rchg;    /* nrec + 2 bytes, rchg[-1] valid */
};

struct denv {
	struct dfile f1, f2;
	uint32_t ncls;
	uint32_t flags; /* ACCEL_DIFF_* */
	/* Scratch per class, zero between uses (counts of a range). */
	uint32_t *cnt1, *cnt2;
};

/* One change: records [i1, i1 + chg1) of f1 became [i2, i2 + chg2) of f2. */
struct dchange {
	uint32_t i1, i2, chg1, chg2;
	uint32_t ignore; /* only blank lines (ACCEL_DIFF_IGNORE_BLANK_LINES) */
};

static inline uint32_t rec_len(const struct dfile *f, uint32_t i)
{
	return f->off[i + 1] - f->off[i];
}

static inline const char *rec_ptr(const struct dfile *f, uint32_t i)
{
	return f->base + f->off[i];
}

/* lines.c */
int accel__diff_prepare(struct denv *env, const char *a, size_t alen,
			const char *b, size_t blen, uint32_t flags);
/* Same, but records are word or character tokens (accel_diff_words). */
int accel__diff_prepare_tokens(struct denv *env, const char *a, size_t alen,
			       const char *b, size_t blen, uint32_t mode);
void accel__diff_free(struct denv *env);
int accel__diff_is_blank(const char *p, size_t len);
/* 1 when two records are equal under the whitespace flags, 0 if not,
 * -ENOMEM. */
int accel__diff_rec_equal(const char *a, size_t alen, const char *b,
			  size_t blen, uint32_t flags);

/* myers.c: marks rchg for the ranges [s1, e1) x [s2, e2). */
int accel__diff_myers(struct denv *env, uint32_t s1, uint32_t e1, uint32_t s2,
		      uint32_t e2, int need_min);
/* patience.c, histogram.c: same contract. */
int accel__diff_patience(struct denv *env, uint32_t s1, uint32_t e1,
			 uint32_t s2, uint32_t e2);
int accel__diff_histogram(struct denv *env, uint32_t s1, uint32_t e1,
			  uint32_t s2, uint32_t e2);

/* Runs one algorithm over the whole pair (no compaction). */
int accel__diff_run(struct denv *env, uint32_t algorithm);

/* indent.c: slides change groups (git's xdl_change_compact). */
void accel__diff_compact(struct dfile *f, struct dfile *fo, uint32_t flags);

/*
 * Builds the change list from rchg. *out is malloc'ed (NULL when there is
 * no change). Returns the number of changes or -ENOMEM.
 */
long accel__diff_script(const struct denv *env, struct dchange **out);

/*
 * Runs prepare + algorithm + compaction + script in one go (what merge3 and
 * the public entry point share). On success env stays prepared and must be
 * freed by the caller.
 */
long accel__diff_full(struct denv *env, const char *a, size_t alen,
		      const char *b, size_t blen, uint32_t algorithm,
		      uint32_t flags, struct dchange **out);

/* hunks.c */
int accel__diff_hunks_build(const struct denv *env, const struct dchange *ch,
			    long n, uint32_t ctx, uint32_t interhunk,
			    int binary, uint8_t **out, size_t *out_len,
			    uint32_t *n_hunks);

/* unified.c: git's hunk grouping, shared by the hunk buffer. */
long accel__diff_next_hunk(const struct dchange *ch, long n, long first,
			   long ctx, long interhunk, long *last);

#endif
