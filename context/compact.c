/* SPDX-License-Identifier: MIT */
/*
 * The compaction planner. It never edits text: it returns, per input index,
 * what to do with the message, and for a cut message the byte ranges to keep,
 * with the exact token count of the text the runtime will build from them.
 * Everything is decided by counts, priorities and indices, so the same input
 * always gives the same plan (docs/context.md states the policy).
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "accel_alloc.h"
#include "accel_compiler.h"
#include "accel_err.h"
#include "context_int.h"

static const char default_marker[] = "\n[...]\n";

/* The plan is also the wire layout of the compact op: pin it. */
_Static_assert(sizeof(struct accel_context_plan) == 32, "plan header");
_Static_assert(offsetof(struct accel_context_plan, n) == 8, "plan.n");
_Static_assert(offsetof(struct accel_context_plan, total_before) == 16,
	       "plan.total_before");
_Static_assert(offsetof(struct accel_context_plan, total_after) == 24,
	       "plan.total_after");
_Static_assert(sizeof(struct accel_context_plan_entry) == 32, "plan entry");
_Static_assert(offsetof(struct accel_context_plan_entry, action) == 4,
	       "entry.action");
_Static_assert(offsetof(struct accel_context_plan_entry, tokens_before) == 8,
	       "entry.tokens_before");
_Static_assert(offsetof(struct accel_context_plan_entry, head_len) == 16,
	       "entry.head_len");
_Static_assert(offsetof(struct accel_context_plan_entry, dup_of) == 24,
	       "entry.dup_of");

struct msg_state {
	const char *text;
	size_t len;
	void *owned; /* text fetched from the store */
	uint64_t tokens;
	int32_t prio; /* raised to the group's highest by dedup */
	int pinned;
};

struct planner {
	const struct accel_context_compact_opts *o;
	const char *marker;
	size_t marker_len;
	char *scratch; /* head + marker + tail of a cut candidate */
	size_t scratch_cap;
};

static int count(const struct planner *p, const char *text, size_t len,
		 uint64_t *n)
{
	int ret = p->o->count(p->o->count_arg, text, len, n);

	return ret < 0 ? ret : 0;
}

/* Fetches a keyed message's text from the store into a private buffer. */
static int resolve(const struct accel_context_compact_opts *o,
		   const struct accel_context_msg *m, struct msg_state *s)
{
	uint64_t raw;
	ssize_t n;

	if (!(m->flags & ACCEL_CONTEXT_MSG_HAS_KEY)) {
		if (!m->text && m->len)
			return -ACCEL_E_COMPACT_NO_TEXT;
		s->text = m->text ? m->text : "";
		s->len = m->len;
		return 0;
	}
	if (!o->store || !o->zstd ||
	    !accel_context_store_has(o->store, &m->key, &raw))
		return -ACCEL_E_COMPACT_NO_TEXT;
	s->owned = accel_malloc(raw ? raw : 1);
	if (!s->owned)
		return -ENOMEM;
	n = accel_context_store_get(o->store, o->zstd, &m->key, s->owned, raw);
	if (n < 0)
		return n == -ACCEL_E_NOT_FOUND ? -ACCEL_E_COMPACT_NO_TEXT :
						 (int)n;
	s->text = s->owned;
	s->len = (size_t)n;
	return 0;
}

static int is_cont(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

/*
 * Builds head + marker + tail for `keep` kept bytes (split evenly between
 * head and tail, moved to UTF-8 character boundaries) and counts it.
 */
static int try_cut(struct planner *p, const char *s, size_t len, size_t keep,
		   size_t *head, size_t *tail_off, uint64_t *n)
{
	size_t h = keep / 2, t = len - (keep - keep / 2);
	size_t total;

	while (h > 0 && is_cont((unsigned char)s[h]))
		h--;
	while (t < len && is_cont((unsigned char)s[t]))
		t++;
	total = h + p->marker_len + (len - t);
	if (total > p->scratch_cap) {
		char *b = accel_realloc(p->scratch, total);

		if (!b)
			return -ENOMEM;
		p->scratch = b;
		p->scratch_cap = total;
	}
	memcpy(p->scratch, s, h);
	memcpy(p->scratch + h, p->marker, p->marker_len);
	memcpy(p->scratch + h + p->marker_len, s + t, len - t);
	*head = h;
	*tail_off = t;
	return count(p, p->scratch, total, n);
}

/*
 * How far a cut may move to land on a line break: a fifth of the kept part,
 * at most 64 bytes, so that snapping costs little of the budget.
 */
static size_t snap_window(size_t kept)
{
	return ACCEL_MIN(kept / 5, (size_t)64);
}

/*
 * Finds a cut of s (which has `tokens` tokens) whose text has at most
 * `target` tokens, keeping as many bytes as a binary search over the kept
 * length finds (token counts grow with kept bytes almost monotonically;
 * whatever is returned is counted exactly). Then prefers line boundaries
 * when that still fits. Returns 1 with the cut filled in, 0 when not even
 * the bare marker fits, negative on error.
 */
static int find_cut(struct planner *p, const char *s, size_t len,
		    uint64_t tokens, uint64_t target, size_t *head,
		    size_t *tail_off, uint64_t *after)
{
	size_t lo = 0, hi, h, t;
	uint64_t n;
	int ret;

	ret = try_cut(p, s, len, 0, head, tail_off, after);
	if (ret < 0)
		return ret;
	if (*after > target)
		return 0;
	/*
	 * Upper bound for the search: twice the bytes the average token
	 * length predicts (plus slack), so a small target on a huge message
	 * costs counts of about target tokens, not of the whole message.
	 */
	hi = len ? len - 1 : 0;
	if (tokens) {
		unsigned __int128 est =
			(unsigned __int128)len * target * 2 / tokens;

		if (est + 256 < hi)
			hi = (size_t)est + 256;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo + 1) / 2;

		ret = try_cut(p, s, len, mid, &h, &t, &n);
		if (ret < 0)
			return ret;
		if (n <= target)
			lo = mid;
		else
			hi = mid - 1;
	}
	ret = try_cut(p, s, len, lo, head, tail_off, after);
	if (ret < 0)
		return ret;

	/*
	 * Snap to lines: end the head after its last newline and start the
	 * tail after its first one, if each is within snap_window() of the
	 * cut. Removing bytes nearly always lowers the count; it is
	 * recounted and used only when it still fits.
	 */
	h = *head;
	t = *tail_off;
	for (size_t i = h; i > h - snap_window(h) && i > 0; i--) {
		if (s[i - 1] == '\n') {
			h = i;
			break;
		}
	}
	for (size_t i = t; i < t + snap_window(len - t) && i < len; i++) {
		if (i > 0 && s[i - 1] == '\n') {
			t = i;
			break;
		}
	}
	if (h != *head || t != *tail_off) {
		size_t total = h + p->marker_len + (len - t);

		/* The scratch holds a longer cut already; rebuild in place. */
		memcpy(p->scratch, s, h);
		memcpy(p->scratch + h, p->marker, p->marker_len);
		memcpy(p->scratch + h + p->marker_len, s + t, len - t);
		ret = count(p, p->scratch, total, &n);
		if (ret < 0)
			return ret;
		if (n <= target) {
			*head = h;
			*tail_off = t;
			*after = n;
		}
	}
	return 1;
}

/* Eviction order: lowest priority, then tool output, then oldest. */
struct evict {
	int32_t prio;
	uint32_t rank;
	uint32_t index;
};

static int evict_cmp(const void *a, const void *b)
{
	const struct evict *x = a, *y = b;

	if (x->prio != y->prio)
		return x->prio < y->prio ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/*
 * Collapses identical messages (role, kind and bytes) of at least min_bytes
 * onto the last copy. Pinned copies are kept; the survivor inherits the
 * group's highest priority so that collapsing never makes content more
 * likely to be evicted.
 */
static int collapse(const struct accel_context_msg *msgs, uint32_t n,
		    struct msg_state *st, uint32_t min_bytes,
		    struct accel_context_plan_entry *e)
{
	size_t cap = 16;
	uint32_t *slot;
	uint64_t *hash;

	while (cap < (size_t)n * 2)
		cap *= 2;
	slot = accel_malloc(cap * sizeof(*slot));
	hash = accel_malloc(cap * sizeof(*hash));
	if (!slot || !hash) {
		accel_free(slot);
		accel_free(hash);
		return -ENOMEM;
	}
	memset(slot, 0xff, cap * sizeof(*slot));
	for (uint32_t i = n; i-- > 0;) {
		uint64_t h;
		size_t j;

		if (st[i].len < min_bytes)
			continue;
		h = XXH3_64bits_withSeed(st[i].text, st[i].len,
					 ((uint64_t)msgs[i].role << 32) |
						 msgs[i].kind);
		for (j = h & (cap - 1); slot[j] != UINT32_MAX;
		     j = (j + 1) & (cap - 1)) {
			uint32_t k = slot[j];

			if (hash[j] == h && msgs[k].role == msgs[i].role &&
			    msgs[k].kind == msgs[i].kind &&
			    st[k].len == st[i].len &&
			    !memcmp(st[k].text, st[i].text, st[i].len))
				break;
		}
		if (slot[j] == UINT32_MAX) {
			slot[j] = i;
			hash[j] = h;
			continue;
		}
		if (st[i].pinned)
			continue;
		e[i].action = ACCEL_CONTEXT_DEDUP;
		e[i].dup_of = slot[j];
		if (st[i].prio > st[slot[j]].prio)
			st[slot[j]].prio = st[i].prio;
	}
	accel_free(slot);
	accel_free(hash);
	return 0;
}

int accel_context_compact(const struct accel_context_msg *msgs, uint32_t n,
			  const struct accel_context_compact_opts *o,
			  struct accel_context_plan *plan,
			  struct accel_context_plan_entry *e)
{
	struct planner p = { .o = o };
	struct msg_state *st = NULL;
	struct evict *ev = NULL;
	uint64_t ovh, total = 0, pinned = 0, min_keep;
	uint32_t dedup_min, nev = 0;
	int ret = 0;

	if (!o || !o->count || (n && (!msgs || !e)) || !plan || o->resv[0] ||
	    o->resv[1])
		return -ACCEL_E_BAD_ARG;
	p.marker = o->marker ? o->marker : default_marker;
	p.marker_len = o->marker ? o->marker_len : sizeof(default_marker) - 1;
	ovh = o->msg_overhead;
	min_keep = o->min_keep_tokens ? o->min_keep_tokens : 32;
	dedup_min = o->dedup_min_bytes ? o->dedup_min_bytes : 64;

	st = accel_calloc(n ? n : 1, sizeof(*st));
	ev = accel_calloc(n ? n : 1, sizeof(*ev));
	if (!st || !ev) {
		ret = -ENOMEM;
		goto out;
	}

	/* 1. Resolve and count every message. */
	for (uint32_t i = 0; i < n; i++) {
		ret = resolve(o, &msgs[i], &st[i]);
		if (ret < 0)
			goto out;
		if (st[i].len > UINT32_MAX) {
			ret = -ACCEL_E_TOO_LARGE;
			goto out;
		}
		ret = count(&p, st[i].text, st[i].len, &st[i].tokens);
		if (ret < 0)
			goto out;
		if (st[i].tokens > UINT32_MAX) {
			ret = -ACCEL_E_COMPACT_COUNT;
			goto out;
		}
		st[i].prio = msgs[i].priority;
		st[i].pinned = (msgs[i].flags & ACCEL_CONTEXT_MSG_PINNED) ||
			       (o->preserve_last &&
				i >= n - ACCEL_MIN(n, o->preserve_last));
		e[i] = (struct accel_context_plan_entry){
			.index = i,
			.action = ACCEL_CONTEXT_KEEP,
			.tokens_before = (uint32_t)st[i].tokens,
			.tokens_after = (uint32_t)st[i].tokens,
			.head_len = (uint32_t)st[i].len,
			.tail_off = (uint32_t)st[i].len,
			.dup_of = UINT32_MAX,
		};
	}
	*plan = (struct accel_context_plan){
		.magic = ACCEL_CONTEXT_PLAN_MAGIC,
		.version = ACCEL_CONTEXT_PLAN_VERSION,
		.n = n,
	};
	for (uint32_t i = 0; i < n; i++)
		plan->total_before += st[i].tokens + ovh;

	/* 2. Collapse duplicates. */
	if (dedup_min != UINT32_MAX) {
		ret = collapse(msgs, n, st, dedup_min, e);
		if (ret < 0)
			goto out;
	}

	for (uint32_t i = 0; i < n; i++) {
		if (e[i].action == ACCEL_CONTEXT_DEDUP) {
			e[i].tokens_after = 0;
			e[i].head_len = e[i].tail_off = 0;
			continue;
		}
		total += st[i].tokens + ovh;
		if (st[i].pinned)
			pinned += st[i].tokens + ovh;
		else
			ev[nev++] = (struct evict){
				st[i].prio,
				msgs[i].kind == ACCEL_CONTEXT_KIND_TOOL_OUTPUT ?
					0 :
					1,
				i
			};
	}
	if (pinned > o->budget) {
		ret = -ACCEL_E_COMPACT_PINNED;
		goto out;
	}

	/* 3. Evict in order until the plan fits; cut the last one if it can. */
	qsort(ev, nev, sizeof(*ev), evict_cmp);
	for (uint32_t k = 0; k < nev && total > o->budget; k++) {
		uint32_t i = ev[k].index;
		uint64_t excess = total - o->budget, after;
		size_t head, tail;

		if (!(msgs[i].flags & ACCEL_CONTEXT_MSG_NO_TRUNC) &&
		    st[i].tokens > excess &&
		    st[i].tokens - excess >= min_keep) {
			ret = find_cut(&p, st[i].text, st[i].len, st[i].tokens,
				       st[i].tokens - excess, &head, &tail,
				       &after);
			if (ret < 0)
				goto out;
			if (ret == 1) {
				e[i].action = ACCEL_CONTEXT_TRUNCATE;
				e[i].tokens_after = (uint32_t)after;
				e[i].head_len = (uint32_t)head;
				e[i].tail_off = (uint32_t)tail;
				total = total - st[i].tokens + after;
				ret = 0;
				continue;
			}
		}
		e[i].action = ACCEL_CONTEXT_DROP;
		e[i].tokens_after = 0;
		e[i].head_len = e[i].tail_off = 0;
		total -= st[i].tokens + ovh;
	}
	ret = 0;
	for (uint32_t i = 0; i < n; i++)
		if (e[i].action == ACCEL_CONTEXT_KEEP ||
		    e[i].action == ACCEL_CONTEXT_TRUNCATE)
			plan->n_kept++;
	plan->total_after = total;

out:
	if (st)
		for (uint32_t i = 0; i < n; i++)
			accel_free(st[i].owned);
	accel_free(st);
	accel_free(ev);
	accel_free(p.scratch);
	return ret;
}

int accel_context_select_recent(
	const struct accel_context_recent_msg *msgs, uint32_t n,
	const struct accel_context_seg *segs, uint32_t n_segs,
	uint64_t max_tokens, uint32_t preserve_last,
	accel_context_count_fn count_fn, void *count_arg, uint32_t *selected,
	uint64_t *tokens, struct accel_context_recent *res)
{
	uint64_t *tk = tokens, remaining, preserved = 0;
	uint32_t first_old, ns = 0;
	int ret = 0;

	if (!count_fn || !res || (n && (!msgs || !selected)))
		return -ACCEL_E_BAD_ARG;
	if (!tk) {
		tk = accel_malloc((n ? n : 1) * sizeof(*tk));
		if (!tk)
			return -ENOMEM;
	}
	*res = (struct accel_context_recent){ .truncated = UINT32_MAX };
	for (uint32_t i = 0; i < n; i++) {
		const struct accel_context_recent_msg *m = &msgs[i];
		uint64_t t = m->extra_tokens, c;

		if (m->first_seg > n_segs ||
		    m->n_segs > n_segs - m->first_seg) {
			ret = -ACCEL_E_BAD_ARG;
			goto out;
		}
		for (uint32_t k = 0; k < m->n_segs; k++) {
			const struct accel_context_seg *sg =
				&segs[m->first_seg + k];

			ret = count_fn(count_arg, sg->text, sg->len, &c);
			if (ret < 0)
				goto out;
			t += c;
		}
		tk[i] = t;
		res->total_tokens += t;
	}
	ret = 0;
	first_old = n - ACCEL_MIN(n, preserve_last);
	for (uint32_t i = first_old; i < n; i++)
		preserved += tk[i];
	remaining = preserved < max_tokens ? max_tokens - preserved : 0;

	/*
	 * Newest first over the older messages; selected[] is filled from the
	 * back of the older part and shifted into place at the end so that
	 * indices come out ascending without a sort.
	 */
	for (uint32_t i = first_old; i-- > 0;) {
		if (tk[i] <= remaining) {
			remaining -= tk[i];
			res->selected_tokens += tk[i];
			selected[n - 1 - ns++] = i;
			continue;
		}
		if (remaining > 50) {
			res->truncated = i;
			res->truncate_tokens = remaining;
			selected[n - 1 - ns++] = i;
		}
		break;
	}
	if (ns)
		memmove(selected, selected + n - ns, ns * sizeof(*selected));
	for (uint32_t i = first_old; i < n; i++)
		selected[ns++] = i;
	res->selected_tokens += preserved;
	res->n_selected = ns;
out:
	if (tk != tokens)
		accel_free(tk);
	return ret;
}
