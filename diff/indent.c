/* SPDX-License-Identifier: MIT */
/*
 * Sliding groups of changed lines ("sliders"), as git's xdl_change_compact().
 *
 * A group of added or removed lines whose first line equals the line after
 * it can slide down by one, and up by one when its last line equals the
 * line before it, without changing the meaning of the diff. Each group is
 * slid as far up as it goes and then down, merging with neighbours it
 * touches; then it is placed:
 *  - aligned with a change in the other file when that is possible (fewer
 *    hunks);
 *  - else, with the indent heuristic, at the position whose two split
 *    points score best (blank lines and indentation around them);
 *  - else as far down as it goes (git's default without the heuristic).
 * Every placement is equivalent; only readability differs. Constants are
 * git's (tuned by Michael Haggerty on a corpus of human-rated diffs), so
 * that our output matches git's.
 */
#include "diff_int.h"

#define MAX_INDENT			    200
#define MAX_BLANKS			    20
#define START_OF_FILE_PENALTY		    1
#define END_OF_FILE_PENALTY		    21
#define TOTAL_BLANK_WEIGHT		    (-30)
#define POST_BLANK_WEIGHT		    6
#define RELATIVE_INDENT_PENALTY		    (-4)
#define RELATIVE_INDENT_WITH_BLANK_PENALTY  10
#define RELATIVE_OUTDENT_PENALTY	    24
#define RELATIVE_OUTDENT_WITH_BLANK_PENALTY 17
#define RELATIVE_DEDENT_PENALTY		    23
#define RELATIVE_DEDENT_WITH_BLANK_PENALTY  17
#define INDENT_WEIGHT			    60
#define INDENT_HEURISTIC_MAX_SLIDING	    100

/* [start, end) of changed lines; empty groups sit above line `start`. */
struct group {
	long start, end;
};

static void group_init(const struct dfile *f, struct group *g)
{
	g->start = g->end = 0;
	while (f->rchg[g->end])
		g->end++;
}

static int group_next(const struct dfile *f, struct group *g)
{
	if (g->end == (long)f->nrec)
		return -1;
	g->start = g->end + 1;
	for (g->end = g->start; f->rchg[g->end]; g->end++)
		;
	return 0;
}

static int group_previous(const struct dfile *f, struct group *g)
{
	if (g->start == 0)
		return -1;
	g->end = g->start - 1;
	for (g->start = g->end; f->rchg[g->start - 1]; g->start--)
		;
	return 0;
}

static int group_slide_down(struct dfile *f, struct group *g)
{
	if (g->end < (long)f->nrec && f->ha[g->start] == f->ha[g->end]) {
		f->rchg[g->start++] = 0;
		f->rchg[g->end++] = 1;
		while (f->rchg[g->end])
			g->end++;
		return 0;
	}
	return -1;
}

static int group_slide_up(struct dfile *f, struct group *g)
{
	if (g->start > 0 && f->ha[g->start - 1] == f->ha[g->end - 1]) {
		f->rchg[--g->start] = 1;
		f->rchg[--g->end] = 0;
		while (f->rchg[g->start - 1])
			g->start--;
		return 0;
	}
	return -1;
}

/* Indentation width of a record (tabs to 8), or -1 when it is blank. */
static int get_indent(const struct dfile *f, long i)
{
	const char *p = rec_ptr(f, (uint32_t)i);
	uint32_t len = rec_len(f, (uint32_t)i);
	int ret = 0;

	for (uint32_t k = 0; k < len; k++) {
		char c = p[k];

		if (!(c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
		      c == '\v' || c == '\f'))
			return ret;
		if (c == ' ')
			ret += 1;
		else if (c == '\t')
			ret += 8 - ret % 8;
		if (ret >= MAX_INDENT)
			return MAX_INDENT;
	}
	return -1;
}

struct split_measurement {
	int end_of_file, indent;
	int pre_blank, pre_indent;
	int post_blank, post_indent;
};

struct split_score {
	int effective_indent, penalty;
};

static void measure_split(const struct dfile *f, long split,
			  struct split_measurement *m)
{
	if (split >= (long)f->nrec) {
		m->end_of_file = 1;
		m->indent = -1;
	} else {
		m->end_of_file = 0;
		m->indent = get_indent(f, split);
	}
	m->pre_blank = 0;
	m->pre_indent = -1;
	for (long i = split - 1; i >= 0; i--) {
		m->pre_indent = get_indent(f, i);
		if (m->pre_indent != -1)
			break;
		if (++m->pre_blank == MAX_BLANKS) {
			m->pre_indent = 0;
			break;
		}
	}
	m->post_blank = 0;
	m->post_indent = -1;
	for (long i = split + 1; i < (long)f->nrec; i++) {
		m->post_indent = get_indent(f, i);
		if (m->post_indent != -1)
			break;
		if (++m->post_blank == MAX_BLANKS) {
			m->post_indent = 0;
			break;
		}
	}
}

static void score_add_split(const struct split_measurement *m,
			    struct split_score *s)
{
	int post_blank, total_blank, indent, any_blanks;

	if (m->pre_indent == -1 && m->pre_blank == 0)
		s->penalty += START_OF_FILE_PENALTY;
	if (m->end_of_file)
		s->penalty += END_OF_FILE_PENALTY;

	/* Blank lines after the split, counting the line right after it. */
	post_blank = (m->indent == -1) ? 1 + m->post_blank : 0;
	total_blank = m->pre_blank + post_blank;
	s->penalty += TOTAL_BLANK_WEIGHT * total_blank;
	s->penalty += POST_BLANK_WEIGHT * post_blank;

	indent = m->indent != -1 ? m->indent : m->post_indent;
	any_blanks = total_blank != 0;
	s->effective_indent += indent;

	if (indent == -1 || m->pre_indent == -1) {
		/* Nothing to compare with. */
	} else if (indent > m->pre_indent) {
		s->penalty += any_blanks ? RELATIVE_INDENT_WITH_BLANK_PENALTY :
					   RELATIVE_INDENT_PENALTY;
	} else if (indent == m->pre_indent) {
		/* Same level as the line before. */
	} else if (m->post_indent != -1 && m->post_indent > indent) {
		/* Outdented, but what follows is deeper: a block start. */
		s->penalty += any_blanks ? RELATIVE_OUTDENT_WITH_BLANK_PENALTY :
					   RELATIVE_OUTDENT_PENALTY;
	} else {
		/* Outdented: probably the end of a block. */
		s->penalty += any_blanks ? RELATIVE_DEDENT_WITH_BLANK_PENALTY :
					   RELATIVE_DEDENT_PENALTY;
	}
}

static int score_cmp(const struct split_score *s1, const struct split_score *s2)
{
	int cmp_indents = (s1->effective_indent > s2->effective_indent) -
			  (s1->effective_indent < s2->effective_indent);

	return INDENT_WEIGHT * cmp_indents + (s1->penalty - s2->penalty);
}

void accel__diff_compact(struct dfile *f, struct dfile *fo, uint32_t flags)
{
	struct group g, go;
	long earliest_end, end_matching_other, groupsize;

	group_init(f, &g);
	group_init(fo, &go);
	for (;;) {
		if (g.end == g.start)
			goto next;

		/*
		 * Slide up as far as possible, then down as far as possible,
		 * until the group stops growing by merging with neighbours.
		 * The group in the other file moves in lock-step.
		 */
		do {
			groupsize = g.end - g.start;
			end_matching_other = -1;
			while (!group_slide_up(f, &g))
				group_previous(fo, &go);
			earliest_end = g.end;
			if (go.end > go.start)
				end_matching_other = g.end;
			for (;;) {
				if (group_slide_down(f, &g))
					break;
				group_next(fo, &go);
				if (go.end > go.start)
					end_matching_other = g.end;
			}
		} while (groupsize != g.end - g.start);

		if (g.end == earliest_end) {
			/* The group cannot move. */
		} else if (end_matching_other != -1) {
			/* Line up with the last matching change in fo. */
			while (go.end == go.start) {
				group_slide_up(f, &g);
				group_previous(fo, &go);
			}
		} else if (flags & ACCEL_DIFF_INDENT_HEURISTIC) {
			long shift, best_shift = -1;
			struct split_score best_score = { 0, 0 };

			shift = earliest_end;
			if (g.end - groupsize - 1 > shift)
				shift = g.end - groupsize - 1;
			if (g.end - INDENT_HEURISTIC_MAX_SLIDING > shift)
				shift = g.end - INDENT_HEURISTIC_MAX_SLIDING;
			for (; shift <= g.end; shift++) {
				struct split_measurement m;
				struct split_score score = { 0, 0 };

				measure_split(f, shift, &m);
				score_add_split(&m, &score);
				measure_split(f, shift - groupsize, &m);
				score_add_split(&m, &score);
				if (best_shift == -1 ||
				    score_cmp(&score, &best_score) <= 0) {
					best_score = score;
					best_shift = shift;
				}
			}
			while (g.end > best_shift) {
				group_slide_up(f, &g);
				group_previous(fo, &go);
			}
		}
next:
		if (group_next(f, &g))
			break;
		group_next(fo, &go);
	}
}
