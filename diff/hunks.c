/* SPDX-License-Identifier: MIT */
/*
 * The hunk buffer: the structured result of a diff as fixed-width
 * little-endian records (layout in diff.h), so that the engine can put it
 * in the shared arena and JavaScript can read it with a DataView without
 * parsing or copying.
 */
#include <errno.h>
#include <string.h>

#include "accel_alloc.h"
#include "accel_compiler.h"
#include "diff_int.h"

static inline void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

int accel__diff_hunks_build(const struct denv *env, const struct dchange *ch,
			    long n, uint32_t ctx, uint32_t interhunk,
			    int binary, uint8_t **out, size_t *out_len,
			    uint32_t *n_hunks)
{
	const struct dfile *f1 = &env->f1, *f2 = &env->f2;
	long first = 0, last, n_edits = 0, nh = 0;
	uint64_t added = 0, removed = 0;
	size_t size;
	uint8_t *buf, *e, *h;

	/* First pass: how many edits and hunks survive the grouping. */
	while ((first = accel__diff_next_hunk(ch, n, first, ctx, interhunk,
					      &last)) >= 0) {
		n_edits += last - first + 1;
		nh++;
		first = last + 1;
	}
	size = ACCEL_DIFF_HUNKS_HEADER +
	       (size_t)n_edits * ACCEL_DIFF_EDIT_SIZE +
	       (size_t)nh * ACCEL_DIFF_HUNK_SIZE;
	buf = accel_calloc(1, size);
	if (!buf)
		return -ENOMEM;
	e = buf + ACCEL_DIFF_HUNKS_HEADER;
	h = e + (size_t)n_edits * ACCEL_DIFF_EDIT_SIZE;
	first = 0;
	n_edits = 0;
	while ((first = accel__diff_next_hunk(ch, n, first, ctx, interhunk,
					      &last)) >= 0) {
		uint32_t s1, s2, e1, e2;

		s1 = ch[first].i1 > ctx ? ch[first].i1 - ctx : 0;
		s2 = ch[first].i2 > ctx ? ch[first].i2 - ctx : 0;
		e1 = (uint32_t)ACCEL_MIN(
			(uint64_t)ch[last].i1 + ch[last].chg1 + ctx, f1->nrec);
		e2 = (uint32_t)ACCEL_MIN(
			(uint64_t)ch[last].i2 + ch[last].chg2 + ctx, f2->nrec);
		put32(h + 0, s1);
		put32(h + 4, e1 - s1);
		put32(h + 8, s2);
		put32(h + 12, e2 - s2);
		put32(h + 16, (uint32_t)n_edits);
		put32(h + 20, (uint32_t)(last - first + 1));
		h += ACCEL_DIFF_HUNK_SIZE;
		for (long k = first; k <= last; k++) {
			const struct dchange *c = &ch[k];

			put32(e + 0, c->i1);
			put32(e + 4, c->chg1);
			put32(e + 8, c->i2);
			put32(e + 12, c->chg2);
			put32(e + 16, f1->off[c->i1]);
			put32(e + 20,
			      f1->off[c->i1 + c->chg1] - f1->off[c->i1]);
			put32(e + 24, f2->off[c->i2]);
			put32(e + 28,
			      f2->off[c->i2 + c->chg2] - f2->off[c->i2]);
			e += ACCEL_DIFF_EDIT_SIZE;
			added += c->chg2;
			removed += c->chg1;
			n_edits++;
		}
		first = last + 1;
	}
	put32(buf + 0, ACCEL_DIFF_HUNKS_MAGIC);
	buf[4] = ACCEL_DIFF_HUNKS_VERSION;
	buf[6] = ACCEL_DIFF_HUNKS_HEADER;
	put32(buf + 8, binary ? ACCEL_DIFF_HUNKS_F_BINARY : 0);
	put32(buf + 12, ctx);
	put32(buf + 16, (uint32_t)n_edits);
	put32(buf + 20, (uint32_t)nh);
	put32(buf + 24, ACCEL_DIFF_HUNKS_HEADER);
	put32(buf + 28, ACCEL_DIFF_HUNKS_HEADER +
				(uint32_t)n_edits * ACCEL_DIFF_EDIT_SIZE);
	put64(buf + 32, added);
	put64(buf + 40, removed);
	put32(buf + 48, f1->nrec);
	put32(buf + 52, f2->nrec);
	*out = buf;
	*out_len = size;
	if (n_hunks)
		*n_hunks = (uint32_t)nh;
	return 0;
}
