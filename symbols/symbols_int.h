/* SPDX-License-Identifier: MIT */
#ifndef ACCEL_SYMBOLS_INT_H
#define ACCEL_SYMBOLS_INT_H

#include <assert.h>
#include <pthread.h>
#include <stdint.h>

#include "symbols.h"

/*
 * Private structures of the symbol index. Everything here is guarded by
 * accel_symbols.lock (readers: queries, stats, save; writer: the short apply
 * section of an update). Writers are also serialised by wlock, so a writer
 * may read the tables without the rwlock while it prepares an update.
 */

/*
 * Capacity for need elements: at least an eighth more than cap (so appends
 * stay amortised O(1)), rounded up to gran (a power of 2). An eighth, not
 * a doubling: the tables are sized close to what they hold, and stats
 * report capacities.
 */
static inline uint64_t accel__grow_cap(uint64_t cap, uint64_t need,
				       uint64_t gran)
{
	uint64_t c = cap + cap / 8;

	if (c < need)
		c = need;
	return (c + gran - 1) & ~(gran - 1);
}

/* ------------------------------------------------------------ interner */

struct istr {
	uint32_t off; /* into arena */
	uint32_t len;
	uint32_t refs; /* 0 = free slot (on the free list) */
	uint32_t hash; /* low 32 bits of XXH3-64 */
};

/*
 * Refcounted string interner: ids are dense, 0 means "none", freed ids are
 * reused. Bytes live in one arena; a freed string leaves garbage that
 * stats report (the arena is compacted by a snapshot reload).
 */
struct intern {
	char *arena;
	uint64_t arena_len, arena_cap, garbage;
	struct istr *ent; /* ent[0] unused */
	uint32_t nent, ent_cap;
	uint32_t *table; /* open addressing: id, 0 empty, UINT32_MAX dead */
	uint32_t mask;	 /* table size - 1 */
	uint32_t used;	 /* live + dead slots in table */
	uint32_t live;
	uint32_t free_head; /* free ids chained through istr.off */
};

int accel__intern_init(struct intern *in);
void accel__intern_fini(struct intern *in);
uint64_t accel__intern_hash(const char *s, uint32_t len);
/* Returns the id or 0. */
uint32_t accel__intern_find(const struct intern *in, const char *s,
			    uint32_t len, uint64_t h);
/*
 * Takes a reference on s, inserting it when missing. Returns the id (> 0)
 * and sets *fresh when it was inserted, or a negative error.
 */
int64_t accel__intern_get(struct intern *in, const char *s, uint32_t len,
			  uint64_t h, int *fresh);
/* Drops a reference; returns 1 when the string was freed. */
int accel__intern_put(struct intern *in, uint32_t id);
/* Makes room for n more strings / bytes so that gets cannot fail. */
int accel__intern_reserve(struct intern *in, uint32_t n, uint64_t bytes);
uint64_t accel__intern_bytes(const struct intern *in);

static inline const char *intern_str(const struct intern *in, uint32_t id)
{
	return in->arena + in->ent[id].off;
}

static inline uint32_t intern_len(const struct intern *in, uint32_t id)
{
	return in->ent[id].len;
}

/* -------------------------------------------------------------- filter */

/*
 * Character classes for the pre-filter: a-z (case-folded) 0-25, digits
 * 26-35, '_' 36, '$' 37, '-' 38, '.' 39, other ASCII 40, non-ASCII 41.
 * One bitset over name ids per class, one per letter and case (for smart
 * case), and one per bit of the names' ordered-pair signatures (see
 * filter.c). A query ANDs the rows of its characters and pairs word by
 * word as it scans, so it only ever looks at names that hold every query
 * character and every ordered pair, and builds no intermediate set.
 */
#define FILTER_NCLASS	42
#define FILTER_NCASED	58 /* bits 0-25 A-Z, 32-57 a-z */
#define FILTER_PAIR_ROW (FILTER_NCLASS + FILTER_NCASED)
#define FILTER_NSETS	(FILTER_PAIR_ROW + PAIR_SIG_BITS)
#define PAIR_SIG_BITS	512
#define FILTER_NPC	40 /* classes that take part in ordered pairs */

struct filter {
	uint64_t *bits;	 /* FILTER_NSETS rows of nwords words */
	uint64_t *sum;	 /* per row, bit w: word w of the row is not 0 */
	uint32_t nwords; /* per row: capacity / 64 */
	uint32_t resv;
	uint64_t pop[FILTER_NSETS]; /* names in each set */
};

/* A scan over the names that hold a set of classes (see filter.c). */
struct filter_scan {
	const uint64_t *row[FILTER_NSETS]; /* rarest first */
	const uint64_t *sum[FILTER_NSETS];
	uint32_t nrow;
	uint32_t nsum;
	uint32_t sw;   /* next summary word */
	uint32_t base; /* id of bit 0 of cur */
	uint64_t scur; /* words of summary word sw - 1 not yet read */
	uint64_t cur;  /* candidates of the current word not yet read */
};

/* Signature of a name's ordered class pairs (see filter.c). */
struct pair_sig {
	uint64_t w[PAIR_SIG_BITS / 64];
};

extern const uint8_t accel__char_class[256];
int accel__filter_init(struct filter *f);
void accel__filter_fini(struct filter *f);
/* Classes of s; *cased (if not NULL) gets its letters by case. */
uint64_t accel__filter_mask(const char *s, uint32_t len, uint64_t *cased);
/* Makes room for ids below cap, so that adds cannot fail. */
int accel__filter_reserve(struct filter *f, uint32_t cap);
void accel__filter_add(struct filter *f, uint32_t id, uint64_t mask,
		       uint64_t cased, const struct pair_sig *sig);
void accel__filter_del(struct filter *f, uint32_t id, uint64_t mask,
		       uint64_t cased, const struct pair_sig *sig);
void accel__pair_sig(const char *s, uint32_t len, struct pair_sig *sig);
/*
 * The pairs a query demands: (q[i], q[j]) for every i < j with
 * gmin <= j - i <= gmax. A subsequence match holds every such pair, not
 * only the adjacent ones, and the far pairs are what reject the long names
 * that hold the letters in a scrambled order. gmin 1 for the query itself,
 * 2 for its swap variants (a swap breaks only one adjacent pair).
 */
#define PAIR_MAX_GAP 16
void accel__pair_sig_query(const uint8_t *q, uint32_t len, unsigned gmin,
			   unsigned gmax, struct pair_sig *sig);
/*
 * Starts a scan over the names holding every class of mask, every cased
 * letter of cased and every pair bit of sig; accel__filter_next() then
 * fills ids with up to max of them, in ascending order, and returns how
 * many (0 at the end). The scan reads the filter: the caller holds the
 * index's read lock throughout.
 */
void accel__filter_scan_init(const struct filter *f, uint64_t mask,
			     uint64_t cased, const struct pair_sig *sig,
			     struct filter_scan *s);
uint32_t accel__filter_next(struct filter_scan *s, uint32_t *ids, uint32_t max);
uint64_t accel__filter_bytes(const struct filter *f);

/* --------------------------------------------------------------- score */

#define SCORE_MAX_QUERY ACCEL_SYMBOLS_MAX_QUERY

/* A prepared query pattern. */
struct pattern {
	uint8_t fold[SCORE_MAX_QUERY];	/* ASCII-lowercased bytes */
	uint8_t exact[SCORE_MAX_QUERY]; /* 1: must match this byte exactly */
	uint8_t orig[SCORE_MAX_QUERY];
	uint32_t len;
	uint64_t mask;	       /* filter classes */
	uint64_t cased;	       /* letters that must match in this case */
	struct pair_sig pairs; /* ordered pairs (see filter) */
};

void accel__pattern_init(struct pattern *p, const uint8_t *s, uint32_t len,
			 unsigned case_mode);

/* Scratch for the optimal (Smith-Waterman) scorer. */
struct score_scratch {
	int16_t *h;
	uint8_t *c;
	size_t cap;
};

/*
 * fzf v1: greedy forward scan, backward shrink, one-pass score. Returns 1
 * with *score (and positions when pos != NULL) on a match, 0 otherwise.
 */
int accel__score_v1(const struct pattern *p, const uint8_t *t, uint32_t n,
		    int32_t *score, uint16_t *pos);
#if defined(__x86_64__)
/*
 * The fast paths accel__score_v1 picks from at start-up, for tests:
 * SSE2 for names of 1..64 bytes, AVX-512BW for 1..256 (p->len <= n); the
 * AVX-512 one returns -1 when the CPU lacks AVX-512BW.
 */
int accel__score_v1_sse2(const struct pattern *p, const uint8_t *t, uint32_t n,
			 int32_t *score, uint16_t *pos);
int accel__score_v1_avx512(const struct pattern *p, const uint8_t *t,
			   uint32_t n, int32_t *score, uint16_t *pos);
#endif
/* The byte-at-a-time v1, the reference the fast path is tested against. */
int accel__score_v1_ref(const struct pattern *p, const uint8_t *t, uint32_t n,
			int32_t *score, uint16_t *pos);
/*
 * fzf v2: optimal alignment under the same scoring. Same contract; falls
 * back to v1 for very long names.
 */
int accel__score_v2(const struct pattern *p, const uint8_t *t, uint32_t n,
		    struct score_scratch *sc, int32_t *score, uint16_t *pos);
void accel__score_scratch_fini(struct score_scratch *sc);

/*
 * Humps of a name: word starts (start, after a delimiter, camelCase, digit
 * runs). accel__score_cover counts the matched positions that are humps;
 * a match that covers every hump of a name ("gTC" on getTypeChecker, "cP"
 * on createProgram) is what a user typing initials means, and gets
 * SCORE_COVER_BONUS on top of the fzf score.
 */
#define SCORE_COVER_BONUS 24
uint32_t accel__score_humps(const uint8_t *t, uint32_t n);
uint32_t accel__score_cover(const struct pattern *p, const uint8_t *t,
			    const uint16_t *pos);

/* An upper bound of any fzf score of p (without SCORE_COVER_BONUS). */
void accel__score_bound(const struct pattern *p, int32_t *ub);

/* Match tiers, best last. */
#define TIER_FUZZY	1
#define TIER_PREFIX	2
#define TIER_EXACT_FOLD 3
#define TIER_EXACT	4
int accel__score_tier(const struct pattern *p, const uint8_t *t, uint32_t n);
/*
 * Combines a tier, an fzf score, how many symbols share the name and the
 * name length into one int32 (in that order of precedence).
 */
int32_t accel__score_compose(int tier, int32_t fzf, uint32_t len,
			     uint32_t count);

/* --------------------------------------------------------------- index */

#define NIL UINT32_MAX

/*
 * A symbol slot, 32 bytes. Positions are packed into one word next to the
 * kind when they fit the common shape (column below 512, a range of fewer
 * than 1024 lines ending before column 128): every symbol ctags gives on
 * the npm corpus does. Others keep their column, end line and end column
 * in a side table (struct sym_wide) that the word then indexes.
 */
struct sym {
	uint32_t name;	     /* names interner id */
	uint32_t file;	     /* files interner id */
	uint32_t container;  /* strs interner id, 0 = none */
	uint32_t detail;     /* strs interner id, 0 = none */
	uint32_t next, prev; /* chain of symbols with the same name */
	uint32_t line;
	uint32_t pos; /* SYM_* fields below */
};

static_assert(sizeof(struct sym) == 32, "two slots a cache line");

#define SYM_KIND_MASK  0x1fu /* bits 0-4: kind (ACCEL_SYMBOLS_KIND_MAX 26) */
#define SYM_WIDE       0x20u /* bit 5: bits 6-31 index the side table */
#define SYM_COL_SHIFT  6     /* bits 6-14: column */
#define SYM_COL_MAX    511u
#define SYM_DL_SHIFT   15 /* bits 15-24: end line - line */
#define SYM_DL_MAX     1023u
#define SYM_ECOL_SHIFT 25 /* bits 25-31: end column */
#define SYM_ECOL_MAX   127u
#define SYM_WIDE_SHIFT 6
#define SYM_WIDE_MAX   ((1u << 26) - 1)

static_assert(ACCEL_SYMBOLS_KIND_MAX <= SYM_KIND_MASK, "kind fits");

/* Positions of a slot that do not fit its word. */
struct sym_wide {
	uint32_t col; /* next free entry while on the free list */
	uint32_t end_line, end_col;
};

static inline unsigned sym_kind(const struct sym *y)
{
	return y->pos & SYM_KIND_MASK;
}

/* 1 when a symbol's positions fit the packed form. */
static inline int sym_fits(uint32_t line, uint32_t col, uint32_t end_line,
			   uint32_t end_col)
{
	return col <= SYM_COL_MAX && end_line >= line &&
	       end_line - line <= SYM_DL_MAX && end_col <= SYM_ECOL_MAX;
}

struct name_ext {
	uint32_t head;	/* first symbol slot with this name, NIL = none */
	uint32_t kinds; /* superset of the kinds of its symbols */
	uint32_t count;
	uint32_t humps; /* word starts in the name (accel__score_humps) */
};

struct file_ext {
	uint32_t *slots; /* symbol slots of this file */
	uint32_t nslots;
	uint32_t resv;
	uint64_t hash; /* content hash given with the upsert */
	uint64_t mask; /* filter classes of the path (file finder) */
};

/*
 * What screening a name needs, in 32 bytes: its first CARD_TEXT bytes (the
 * whole name for most identifiers; for longer ones, where its bytes sit in
 * the arena), its length, hump count and popularity. A fuzzy query reads
 * only the cards of the names the filter lets through, prefetched ahead
 * (and the arena bytes of long ones, a step later); the interner's
 * entries and name_ext are touched only for the few names that match.
 * Cards are 32-byte aligned, and the bit-parallel matcher's 32-byte reads
 * of text stay inside the card.
 */
#define CARD_TEXT 28
#define CARD_LONG 0xff /* len: longer than CARD_TEXT, bytes in the arena */

struct name_card {
	union {
		uint8_t text[CARD_TEXT]; /* zero padded */

		struct {
			uint32_t off; /* names arena offset (stable) */
			uint32_t len;
		} far;
	} u;

	uint8_t len;	/* name length, or CARD_LONG */
	uint8_t humps;	/* min(humps, 255) */
	uint16_t count; /* min(symbols with the name, 65535) */
};

static_assert(sizeof(struct name_card) == 32, "two cards a cache line");

struct imports;

struct accel_symbols {
	pthread_rwlock_t lock;
	pthread_mutex_t wlock;

	struct intern names;
	struct name_ext *nx;	 /* by name id */
	struct name_card *cards; /* by name id, 64-byte aligned */
	void *cards_mem;	 /* the allocation cards lives in */
	uint32_t nx_cap, cards_cap;
	struct filter filter;

	struct intern files; /* paths */
	struct file_ext *fx; /* by file id */
	uint32_t fx_cap;

	struct intern strs; /* containers and details */

	struct sym *syms;
	uint32_t nsyms_slots, syms_cap;
	uint32_t free_slot; /* chained through sym.next */
	uint64_t live_syms;

	struct sym_wide *wide; /* entry 0 unused */
	uint32_t nwide, wide_cap;
	uint32_t wide_free; /* chained through sym_wide.col, 0 = none */

	struct imports *imp;
};

/* A symbol's column, end line and end column. */
static inline void sym_pos(const struct accel_symbols *idx, const struct sym *y,
			   uint32_t *col, uint32_t *end_line, uint32_t *end_col)
{
	if (y->pos & SYM_WIDE) {
		const struct sym_wide *w = &idx->wide[y->pos >> SYM_WIDE_SHIFT];

		*col = w->col;
		*end_line = w->end_line;
		*end_col = w->end_col;
		return;
	}
	*col = (y->pos >> SYM_COL_SHIFT) & SYM_COL_MAX;
	*end_line = y->line + ((y->pos >> SYM_DL_SHIFT) & SYM_DL_MAX);
	*end_col = y->pos >> SYM_ECOL_SHIFT;
}

static inline uint32_t sym_col(const struct accel_symbols *idx,
			       const struct sym *y)
{
	uint32_t col, el, ec;

	sym_pos(idx, y, &col, &el, &ec);
	return col;
}

/* imports.c */
int accel__imports_create(struct imports **out);
void accel__imports_destroy(struct imports *g);
uint64_t accel__imports_bytes(const struct imports *g, uint64_t *nodes,
			      uint64_t *edges);
/* Drops every edge (caller holds the write lock). */
void accel__imports_clear(struct imports *g);
/* Calls fn for every file with imports (snapshot). Under the read lock. */
int accel__imports_each(const struct imports *g,
			int (*fn)(void *arg, const char *file, uint32_t flen,
				  const char *const *imp, const uint32_t *lens,
				  uint32_t n),
			void *arg);

/* Heap bytes of the index by part (capacities); caller holds the lock. */
struct sym_bytes {
	uint64_t self;	     /* struct accel_symbols */
	uint64_t slots;	     /* symbol slots */
	uint64_t wide;	     /* out-of-line positions */
	uint64_t file_slots; /* each file's list of its slots */
	uint64_t file_ext;   /* per file id */
	uint64_t files;	     /* path interner */
	uint64_t names;	     /* name interner */
	uint64_t name_ext;   /* per name id */
	uint64_t cards;
	uint64_t filter;
	uint64_t strs; /* container and detail interner */
	uint64_t imports;
	uint64_t total;
};

void accel__symbols_bytes(const struct accel_symbols *idx, struct sym_bytes *b);

/* index.c: validation shared with the snapshot loader. */
int accel__symbols_validate(const void *buf, size_t len);

/* utf8 */
int accel__utf8_valid(const uint8_t *s, size_t len);

#endif
