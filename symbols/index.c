/* SPDX-License-Identifier: MIT */
/*
 * The index proper: per-file upserts and removals, symbol slots chained by
 * name, kinds, the upsert encoding and stats.
 *
 * An update validates and hashes its input without any lock, then takes the
 * writer mutex (writers are serialised), looks its strings up while
 * queries go on, and takes the rwlock for writing only for the apply
 * section: reserve what the strings not yet interned need (so nothing
 * after it can fail, and tables grow by what the index gains), link
 * the new symbols, unlink the old ones. Its length is proportional to the
 * file. New symbols are linked before old ones are dropped so that names
 * the file keeps are never freed and re-added to the filter bitmaps.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "accel_alloc.h"
#include "accel_compiler.h"
#include "accel_err.h"
#include "symbols_int.h"

/* ----------------------------------------------------------------- kinds */

static const char *const lsp_kinds[ACCEL_SYMBOLS_KIND_MAX + 1] = {
	NULL,	    "File",	     "Module",	   "Namespace", "Package",
	"Class",    "Method",	     "Property",   "Field",	"Constructor",
	"Enum",	    "Interface",     "Function",   "Variable",	"Constant",
	"String",   "Number",	     "Boolean",	   "Array",	"Object",
	"Key",	    "Null",	     "EnumMember", "Struct",	"Event",
	"Operator", "TypeParameter",
};

/* universal-ctags kind names (all parsers we meet) to LSP kinds. */
static const struct {
	const char *name;
	uint8_t kind;
} ctags_kinds[] = {
	{ "function", 12 },	{ "method", 6 },
	{ "class", 5 },		{ "variable", 13 },
	{ "constant", 14 },	{ "property", 7 },
	{ "field", 8 },		{ "member", 8 },
	{ "macro", 14 },	{ "enumerator", 22 },
	{ "enum", 10 },		{ "struct", 23 },
	{ "union", 23 },	{ "typedef", 26 },
	{ "alias", 26 },	{ "interface", 11 },
	{ "namespace", 3 },	{ "module", 2 },
	{ "package", 4 },	{ "prototype", 12 },
	{ "externvar", 13 },	{ "local", 13 },
	{ "parameter", 26 },	{ "getter", 6 },
	{ "setter", 6 },	{ "generator", 12 },
	{ "object", 19 },	{ "array", 18 },
	{ "string", 15 },	{ "number", 16 },
	{ "boolean", 17 },	{ "null", 21 },
	{ "label", 13 },	{ "id", 13 },
	{ "section", 2 },	{ "subsection", 2 },
	{ "subsubsection", 2 }, { "chapter", 2 },
	{ "heading1", 2 },	{ "heading2", 2 },
	{ "heading3", 2 },	{ "selector", 13 },
	{ "type", 26 },		{ "singletonMethod", 6 },
	{ "subroutine", 12 },	{ "procedure", 12 },
	{ "trait", 11 },	{ "implementation", 5 },
	{ "constructor", 9 },	{ "event", 24 },
	{ "operator", 25 },	{ "key", 20 },
	{ "file", 1 },		{ "enumConstant", 22 },
};

static int ieq(const char *a, size_t alen, const char *b)
{
	size_t i;

	for (i = 0; i < alen && b[i]; i++) {
		char x = a[i], y = b[i];

		if (x >= 'A' && x <= 'Z')
			x += 32;
		if (y >= 'A' && y <= 'Z')
			y += 32;
		if (x != y)
			return 0;
	}
	return i == alen && !b[i];
}

int accel_symbols_kind_from_name(const char *name, size_t len)
{
	if (!name)
		return 0;
	for (unsigned k = 1; k <= ACCEL_SYMBOLS_KIND_MAX; k++)
		if (ieq(name, len, lsp_kinds[k]))
			return (int)k;
	for (size_t i = 0; i < sizeof(ctags_kinds) / sizeof(ctags_kinds[0]);
	     i++)
		if (ieq(name, len, ctags_kinds[i].name))
			return ctags_kinds[i].kind;
	return 0;
}

const char *accel_symbols_kind_name(unsigned kind)
{
	return kind >= 1 && kind <= ACCEL_SYMBOLS_KIND_MAX ? lsp_kinds[kind] :
							     NULL;
}

/* ----------------------------------------------------------------- utf8 */

int accel__utf8_valid(const uint8_t *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint8_t c = s[i];
		uint32_t cp;
		int n;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (len - i <= (size_t)n)
			return 0;
		for (int k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		/* Overlong forms, surrogates and values past U+10FFFF. */
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return 0;
		i += (size_t)n + 1;
	}
	return 1;
}

/* ------------------------------------------------------- create, destroy */

int accel_symbols_create(const struct accel_symbols_opts *opts,
			 struct accel_symbols **out)
{
	struct accel_symbols *idx;
	pthread_rwlockattr_t ra;
	int ret = -ENOMEM;

	if (opts && (opts->flags || opts->resv))
		return -ACCEL_E_BAD_ARG;
	idx = accel_calloc(1, sizeof(*idx));
	if (!idx)
		return -ENOMEM;
	if (accel__intern_init(&idx->names))
		goto err_free;
	if (accel__intern_init(&idx->files))
		goto err_names;
	if (accel__intern_init(&idx->strs))
		goto err_files;
	if (accel__filter_init(&idx->filter))
		goto err_strs;
	if (accel__imports_create(&idx->imp))
		goto err_filter;
	/*
	 * Writer preference: a steady stream of queries must not starve an
	 * update, and an update's section is short.
	 */
	pthread_rwlockattr_init(&ra);
	pthread_rwlockattr_setkind_np(
		&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	ret = -pthread_rwlock_init(&idx->lock, &ra);
	pthread_rwlockattr_destroy(&ra);
	if (ret)
		goto err_imp;
	pthread_mutex_init(&idx->wlock, NULL);
	idx->free_slot = NIL;
	idx->nwide = 1; /* entry 0 unused */
	*out = idx;
	return 0;
err_imp:
	accel__imports_destroy(idx->imp);
err_filter:
	accel__filter_fini(&idx->filter);
err_strs:
	accel__intern_fini(&idx->strs);
err_files:
	accel__intern_fini(&idx->files);
err_names:
	accel__intern_fini(&idx->names);
err_free:
	accel_free(idx);
	return ret;
}

void accel_symbols_destroy(struct accel_symbols *idx)
{
	if (!idx)
		return;
	for (uint32_t f = 1; f < idx->files.nent; f++)
		if (idx->files.ent[f].refs)
			accel_free(idx->fx[f].slots);
	accel__imports_destroy(idx->imp);
	accel__filter_fini(&idx->filter);
	accel__intern_fini(&idx->strs);
	accel__intern_fini(&idx->files);
	accel__intern_fini(&idx->names);
	accel_free(idx->nx);
	accel_free(idx->cards_mem);
	accel_free(idx->fx);
	accel_free(idx->syms);
	accel_free(idx->wide);
	pthread_rwlock_destroy(&idx->lock);
	pthread_mutex_destroy(&idx->wlock);
	accel_free(idx);
}

/* ------------------------------------------------------------- encoding */

static int put_str(uint8_t *strings, uint32_t *pos, const char *s,
		   uint32_t *off, uint32_t *len)
{
	size_t n = s ? strlen(s) : 0;

	*off = 0;
	*len = (uint32_t)n;
	if (!n)
		return 0;
	*off = *pos;
	memcpy(strings + *pos, s, n);
	*pos += (uint32_t)n;
	return 0;
}

int accel_symbols_encode(const char *path, const struct accel_symbol *syms,
			 size_t n, uint64_t content_hash, void **buf,
			 size_t *len)
{
	struct accel_symbols_file_hdr *h;
	struct accel_symbols_rec *r;
	uint64_t strings = 0, total;
	uint32_t pos = 0;
	uint8_t *b, *str;
	size_t plen;

	if (!path || !buf || !len || (n && !syms))
		return -ACCEL_E_BAD_ARG;
	if (n > ACCEL_SYMBOLS_MAX_FILE_SYMBOLS)
		return -ACCEL_E_SYM_TOO_MANY;
	plen = strlen(path);
	if (!plen || plen > ACCEL_SYMBOLS_MAX_PATH)
		return -ACCEL_E_SYM_BAD_PATH;
	strings = plen;
	for (size_t i = 0; i < n; i++) {
		size_t nl = syms[i].name ? strlen(syms[i].name) : 0;
		size_t cl = syms[i].container ? strlen(syms[i].container) : 0;
		size_t dl = syms[i].detail ? strlen(syms[i].detail) : 0;

		if (!nl)
			return -ACCEL_E_SYM_EMPTY_NAME;
		if (nl > ACCEL_SYMBOLS_MAX_NAME)
			return -ACCEL_E_SYM_NAME_TOO_LONG;
		if (cl > ACCEL_SYMBOLS_MAX_STRING ||
		    dl > ACCEL_SYMBOLS_MAX_STRING)
			return -ACCEL_E_SYM_STRING_TOO_LONG;
		strings += nl + cl + dl;
	}
	total = sizeof(*h) + (uint64_t)n * sizeof(*r) + strings;
	if (strings > UINT32_MAX || total > UINT32_MAX)
		return -ACCEL_E_SYM_TOO_MANY;
	b = accel_malloc(total);
	if (!b)
		return -ENOMEM;
	h = (struct accel_symbols_file_hdr *)b;
	r = (struct accel_symbols_rec *)(h + 1);
	str = (uint8_t *)(r + n);
	memset(h, 0, sizeof(*h));
	h->magic = ACCEL_SYMBOLS_FILE_MAGIC;
	h->version = ACCEL_SYMBOLS_FILE_VERSION;
	h->nsyms = (uint32_t)n;
	h->strings_len = (uint32_t)strings;
	h->content_hash = content_hash;
	put_str(str, &pos, path, &h->path_off, &h->path_len);
	for (size_t i = 0; i < n; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		put_str(str, &pos, syms[i].name, &r[i].name_off,
			&r[i].name_len);
		put_str(str, &pos, syms[i].container, &r[i].container_off,
			&r[i].container_len);
		put_str(str, &pos, syms[i].detail, &r[i].detail_off,
			&r[i].detail_len);
		r[i].kind = (uint16_t)syms[i].kind;
		r[i].line = syms[i].line;
		r[i].col = syms[i].col;
		r[i].end_line = syms[i].end_line;
		r[i].end_col = syms[i].end_col;
	}
	*buf = b;
	*len = (size_t)total;
	return 0;
}

static int str_ok(const uint8_t *strings, uint32_t slen, uint32_t off,
		  uint32_t len, uint32_t max, int empty_err, int long_err)
{
	if (!len)
		return off ? -ACCEL_E_SYM_BAD_ENCODING : empty_err;
	if (len > max)
		return long_err;
	if (off > slen || len > slen - off)
		return -ACCEL_E_SYM_BAD_ENCODING;
	if (!accel__utf8_valid(strings + off, len))
		return -ACCEL_E_SYM_BAD_UTF8;
	return 0;
}

int accel__symbols_validate(const void *buf, size_t len)
{
	const struct accel_symbols_file_hdr *h = buf;
	const struct accel_symbols_rec *r;
	const uint8_t *strings;
	uint64_t need;
	int ret;

	if (!buf || len < sizeof(*h))
		return -ACCEL_E_SYM_BAD_ENCODING;
	if (h->magic != ACCEL_SYMBOLS_FILE_MAGIC ||
	    h->version != ACCEL_SYMBOLS_FILE_VERSION || h->flags)
		return -ACCEL_E_SYM_BAD_ENCODING;
	if (h->nsyms > ACCEL_SYMBOLS_MAX_FILE_SYMBOLS)
		return -ACCEL_E_SYM_TOO_MANY;
	need = sizeof(*h) + (uint64_t)h->nsyms * sizeof(*r) + h->strings_len;
	if (need != len)
		return -ACCEL_E_SYM_BAD_ENCODING;
	r = (const struct accel_symbols_rec *)(h + 1);
	strings = (const uint8_t *)(r + h->nsyms);
	ret = str_ok(strings, h->strings_len, h->path_off, h->path_len,
		     ACCEL_SYMBOLS_MAX_PATH, -ACCEL_E_SYM_BAD_PATH,
		     -ACCEL_E_SYM_BAD_PATH);
	if (ret)
		return ret;
	for (uint32_t i = 0; i < h->nsyms; i++) {
		if (r[i].flags || r[i].resv)
			return -ACCEL_E_SYM_BAD_ENCODING;
		if (r[i].kind > ACCEL_SYMBOLS_KIND_MAX)
			return -ACCEL_E_SYM_BAD_KIND;
		ret = str_ok(strings, h->strings_len, r[i].name_off,
			     r[i].name_len, ACCEL_SYMBOLS_MAX_NAME,
			     -ACCEL_E_SYM_EMPTY_NAME,
			     -ACCEL_E_SYM_NAME_TOO_LONG);
		if (ret)
			return ret;
		ret = str_ok(strings, h->strings_len, r[i].container_off,
			     r[i].container_len, ACCEL_SYMBOLS_MAX_STRING, 0,
			     -ACCEL_E_SYM_STRING_TOO_LONG);
		if (ret)
			return ret;
		ret = str_ok(strings, h->strings_len, r[i].detail_off,
			     r[i].detail_len, ACCEL_SYMBOLS_MAX_STRING, 0,
			     -ACCEL_E_SYM_STRING_TOO_LONG);
		if (ret)
			return ret;
	}
	return 0;
}

/* ------------------------------------------------------------- updates */

static int grow(void **p, uint32_t *cap, uint64_t need, size_t elem)
{
	uint64_t c;
	void *n;

	if (need <= *cap)
		return 0;
	c = accel__grow_cap(*cap, need, 64);
	if (c > (1ull << 31))
		return -ACCEL_E_SYM_INDEX_FULL;
	n = accel_realloc(*p, c * elem);
	if (!n)
		return -ENOMEM;
	*p = n;
	*cap = (uint32_t)c;
	return 0;
}

/*
 * grow() for the name cards, which must not straddle cache lines: the
 * allocation gets 64 bytes of slack and the cards start at the first
 * 64-byte aligned address in it. Growing copies the cards over.
 */
static int grow_cards(struct accel_symbols *idx, uint64_t need)
{
	struct name_card *cards;
	uint64_t c;
	void *mem;

	if (need <= idx->cards_cap)
		return 0;
	c = accel__grow_cap(idx->cards_cap, need, 64);
	if (c > (1ull << 31))
		return -ACCEL_E_SYM_INDEX_FULL;
	mem = accel_malloc(c * sizeof(*cards) + 64);
	if (!mem)
		return -ENOMEM;
	cards = (struct name_card *)ACCEL_ALIGN_UP((uintptr_t)mem,
						   (uintptr_t)64);
	if (idx->cards_cap)
		memcpy(cards, idx->cards,
		       (size_t)idx->cards_cap * sizeof(*cards));
	accel_free(idx->cards_mem);
	idx->cards_mem = mem;
	idx->cards = cards;
	idx->cards_cap = (uint32_t)c;
	return 0;
}

static void card_init(struct name_card *k, const struct intern *in, uint32_t id,
		      uint32_t humps)
{
	const char *s = intern_str(in, id);
	uint32_t len = intern_len(in, id);

	memset(k, 0, sizeof(*k));
	if (len <= CARD_TEXT) {
		memcpy(k->u.text, s, len);
		k->len = (uint8_t)len;
	} else {
		k->u.far.off = in->ent[id].off;
		k->u.far.len = len;
		k->len = CARD_LONG;
	}
	k->humps = (uint8_t)(humps < 255 ? humps : 255);
}

static void card_count(struct name_card *k, uint32_t count)
{
	k->count = (uint16_t)(count < 65535 ? count : 65535);
}

/* Drops one symbol slot: unlink from its name chain, release strings. */
static void drop_slot(struct accel_symbols *idx, uint32_t s)
{
	struct sym *y = &idx->syms[s];
	struct name_ext *x = &idx->nx[y->name];

	if (y->prev != NIL)
		idx->syms[y->prev].next = y->next;
	else
		x->head = y->next;
	if (y->next != NIL)
		idx->syms[y->next].prev = y->prev;
	if (!--x->count)
		x->kinds = 0;
	card_count(&idx->cards[y->name], x->count);
	if (idx->names.ent[y->name].refs == 1) {
		/* The last reference: the name leaves the filter. */
		const char *ns = intern_str(&idx->names, y->name);
		uint32_t nl = intern_len(&idx->names, y->name);
		struct pair_sig sig;
		uint64_t mask, cased;

		/* Recomputed rather than kept: 16 bytes a name saved. */
		mask = accel__filter_mask(ns, nl, &cased);
		accel__pair_sig(ns, nl, &sig);
		accel__filter_del(&idx->filter, y->name, mask, cased, &sig);
	}
	accel__intern_put(&idx->names, y->name);
	if (y->container)
		accel__intern_put(&idx->strs, y->container);
	if (y->detail)
		accel__intern_put(&idx->strs, y->detail);
	if (y->pos & SYM_WIDE) {
		uint32_t w = y->pos >> SYM_WIDE_SHIFT;

		idx->wide[w].col = idx->wide_free;
		idx->wide_free = w;
	}
	y->next = idx->free_slot;
	y->name = 0;
	idx->free_slot = s;
	idx->live_syms--;
}

/*
 * Room for k more side-table entries (free ones are reused first, so this
 * may over-reserve by what the free list holds).
 */
static int grow_wide(struct accel_symbols *idx, uint32_t k)
{
	uint64_t need = (uint64_t)idx->nwide + k;
	struct sym_wide *w;
	uint64_t c;

	if (need <= idx->wide_cap)
		return 0;
	if (need > (uint64_t)SYM_WIDE_MAX + 1)
		return -ACCEL_E_SYM_INDEX_FULL;
	c = accel__grow_cap(idx->wide_cap, need, 64);
	if (c > (uint64_t)SYM_WIDE_MAX + 1)
		c = (uint64_t)SYM_WIDE_MAX + 1;
	w = accel_realloc(idx->wide, c * sizeof(*w));
	if (!w)
		return -ENOMEM;
	idx->wide = w;
	idx->wide_cap = (uint32_t)c;
	return 0;
}

/* The pos word of a record (taking a side-table entry when needed). */
static uint32_t set_pos(struct accel_symbols *idx,
			const struct accel_symbols_rec *r)
{
	uint32_t kind = r->kind ? r->kind : 13, w;

	if (sym_fits(r->line, r->col, r->end_line, r->end_col))
		return kind | r->col << SYM_COL_SHIFT |
		       (r->end_line - r->line) << SYM_DL_SHIFT |
		       r->end_col << SYM_ECOL_SHIFT;
	if (idx->wide_free) {
		w = idx->wide_free;
		idx->wide_free = idx->wide[w].col;
	} else {
		w = idx->nwide++;
	}
	idx->wide[w].col = r->col;
	idx->wide[w].end_line = r->end_line;
	idx->wide[w].end_col = r->end_col;
	return kind | SYM_WIDE | w << SYM_WIDE_SHIFT;
}

struct prep {
	uint64_t *hn, *hc, *hd; /* name, container, detail hashes */
	uint32_t *in, *ic, *id; /* their ids when already interned, or 0 */
	uint32_t *slots;
	uint64_t name_bytes, str_bytes; /* of the strings not interned yet */
	uint32_t new_names, new_strs;	/* at most this many inserts */
	uint32_t nwide; /* symbols whose positions need the side table */
};

/*
 * Looks up every string of the update (the caller holds the writer mutex:
 * the tables cannot change, and readers may go on). What is found is only
 * referenced by the apply section; what is not is what the reservations
 * are sized by, so the tables grow by what the index really gains.
 */
static void prep_find(struct accel_symbols *idx, struct prep *pp,
		      const struct accel_symbols_rec *r, const char *strings,
		      uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		pp->in[i] = accel__intern_find(&idx->names,
					       strings + r[i].name_off,
					       r[i].name_len, pp->hn[i]);
		if (!pp->in[i]) {
			pp->new_names++;
			pp->name_bytes += r[i].name_len;
		}
		pp->ic[i] = 0;
		if (r[i].container_len) {
			pp->ic[i] = accel__intern_find(
				&idx->strs, strings + r[i].container_off,
				r[i].container_len, pp->hc[i]);
			if (!pp->ic[i]) {
				pp->new_strs++;
				pp->str_bytes += r[i].container_len;
			}
		}
		pp->id[i] = 0;
		if (r[i].detail_len) {
			pp->id[i] = accel__intern_find(
				&idx->strs, strings + r[i].detail_off,
				r[i].detail_len, pp->hd[i]);
			if (!pp->id[i]) {
				pp->new_strs++;
				pp->str_bytes += r[i].detail_len;
			}
		}
	}
}

/* A reference on string i of the update, found by prep_find or not. */
static uint32_t intern_ref(struct intern *in, uint32_t found, const char *s,
			   uint32_t len, uint64_t h, int *fresh)
{
	*fresh = 0;
	if (found) {
		in->ent[found].refs++;
		return found;
	}
	/* Cannot fail: the apply section reserved room for it. */
	return (uint32_t)accel__intern_get(in, s, len, h, fresh);
}

static void prep_free(struct prep *pp)
{
	accel_free(pp->hn);
	accel_free(pp->slots);
}

int accel_symbols_upsert(struct accel_symbols *idx, const void *buf, size_t len)
{
	const struct accel_symbols_file_hdr *h = buf;
	const struct accel_symbols_rec *r;
	const char *strings, *path;
	struct prep pp = { 0 };
	uint32_t n, fid, *old = NULL, nold = 0;
	uint64_t ph;
	int64_t got;
	int ret, fresh;

	if (!idx)
		return -ACCEL_E_BAD_ARG;
	ret = accel__symbols_validate(buf, len);
	if (ret)
		return ret;
	n = h->nsyms;
	r = (const struct accel_symbols_rec *)(h + 1);
	strings = (const char *)(r + n);
	path = strings + h->path_off;

	/* Hash everything before taking any lock. */
	pp.hn = accel_malloc((size_t)n * 3 * (sizeof(uint64_t) + 4) + 8);
	pp.slots = accel_malloc((size_t)n * sizeof(uint32_t) + 4);
	if (!pp.hn || !pp.slots) {
		prep_free(&pp);
		return -ENOMEM;
	}
	pp.hc = pp.hn + n;
	pp.hd = pp.hc + n;
	pp.in = (uint32_t *)(pp.hd + n);
	pp.ic = pp.in + n;
	pp.id = pp.ic + n;
	for (uint32_t i = 0; i < n; i++) {
		pp.hn[i] = accel__intern_hash(strings + r[i].name_off,
					      r[i].name_len);
		pp.hc[i] =
			r[i].container_len ?
				accel__intern_hash(strings + r[i].container_off,
						   r[i].container_len) :
				0;
		pp.hd[i] = r[i].detail_len ?
				   accel__intern_hash(strings + r[i].detail_off,
						      r[i].detail_len) :
				   0;
		if (!sym_fits(r[i].line, r[i].col, r[i].end_line, r[i].end_col))
			pp.nwide++;
	}
	ph = accel__intern_hash(path, h->path_len);

	pthread_mutex_lock(&idx->wlock);
	prep_find(idx, &pp, r, strings, n);
	pthread_rwlock_wrlock(&idx->lock);
	/* Reserve: after this block nothing can fail. */
	ret = accel__intern_reserve(&idx->names, pp.new_names, pp.name_bytes);
	if (!ret)
		ret = accel__intern_reserve(&idx->strs, pp.new_strs,
					    pp.str_bytes);
	if (!ret)
		ret = accel__intern_reserve(&idx->files, 1, h->path_len);
	if (!ret)
		ret = grow((void **)&idx->nx, &idx->nx_cap,
			   (uint64_t)idx->names.nent + pp.new_names,
			   sizeof(*idx->nx));
	if (!ret)
		ret = grow_cards(idx, (uint64_t)idx->names.nent + pp.new_names);
	if (!ret)
		ret = accel__filter_reserve(
			&idx->filter,
			(uint32_t)(idx->names.nent + pp.new_names));
	if (!ret)
		ret = grow((void **)&idx->fx, &idx->fx_cap,
			   (uint64_t)idx->files.nent + 1, sizeof(*idx->fx));
	if (!ret)
		ret = grow((void **)&idx->syms, &idx->syms_cap,
			   (uint64_t)idx->nsyms_slots + n, sizeof(*idx->syms));
	if (!ret && pp.nwide)
		ret = grow_wide(idx, pp.nwide);
	if (ret)
		goto out_unlock;

	fid = accel__intern_find(&idx->files, path, h->path_len, ph);
	if (!fid) {
		got = accel__intern_get(&idx->files, path, h->path_len, ph,
					&fresh);
		fid = (uint32_t)got;
		memset(&idx->fx[fid], 0, sizeof(idx->fx[fid]));
		idx->fx[fid].mask = accel__filter_mask(path, h->path_len, NULL);
	}
	old = idx->fx[fid].slots;
	nold = idx->fx[fid].nslots;

	for (uint32_t i = 0; i < n; i++) {
		uint32_t s, nid;
		struct sym *y;
		struct name_ext *x;
		struct pair_sig sig;
		uint64_t mask, cased;

		nid = intern_ref(&idx->names, pp.in[i], strings + r[i].name_off,
				 r[i].name_len, pp.hn[i], &fresh);
		x = &idx->nx[nid];
		if (fresh) {
			mask = accel__filter_mask(strings + r[i].name_off,
						  r[i].name_len, &cased);
			x->head = NIL;
			x->kinds = 0;
			x->count = 0;
			x->humps = accel__score_humps((const uint8_t *)strings +
							      r[i].name_off,
						      r[i].name_len);
			card_init(&idx->cards[nid], &idx->names, nid, x->humps);
			accel__pair_sig(strings + r[i].name_off, r[i].name_len,
					&sig);
			accel__filter_add(&idx->filter, nid, mask, cased, &sig);
		}
		if (idx->free_slot != NIL) {
			s = idx->free_slot;
			idx->free_slot = idx->syms[s].next;
		} else {
			s = idx->nsyms_slots++;
		}
		y = &idx->syms[s];
		memset(y, 0, sizeof(*y));
		y->name = nid;
		y->file = fid;
		y->line = r[i].line;
		y->pos = set_pos(idx, &r[i]);
		if (r[i].container_len)
			y->container = intern_ref(&idx->strs, pp.ic[i],
						  strings + r[i].container_off,
						  r[i].container_len, pp.hc[i],
						  &fresh);
		if (r[i].detail_len)
			y->detail = intern_ref(&idx->strs, pp.id[i],
					       strings + r[i].detail_off,
					       r[i].detail_len, pp.hd[i],
					       &fresh);
		y->prev = NIL;
		y->next = x->head;
		if (x->head != NIL)
			idx->syms[x->head].prev = s;
		x->head = s;
		x->count++;
		card_count(&idx->cards[nid], x->count);
		x->kinds |= ACCEL_SYMBOLS_KIND_BIT(sym_kind(y));
		pp.slots[i] = s;
	}
	idx->live_syms += n;
	for (uint32_t i = 0; i < nold; i++)
		drop_slot(idx, old[i]);
	idx->fx[fid].slots = pp.slots;
	idx->fx[fid].nslots = n;
	idx->fx[fid].hash = h->content_hash;
	pp.slots = old; /* freed below, outside the lock */
	ret = (int)n;
out_unlock:
	pthread_rwlock_unlock(&idx->lock);
	pthread_mutex_unlock(&idx->wlock);
	prep_free(&pp);
	return ret;
}

int accel_symbols_remove(struct accel_symbols *idx, const char *path,
			 size_t path_len)
{
	uint32_t fid, *old = NULL;
	uint64_t ph;

	if (!idx || !path || !path_len || path_len > ACCEL_SYMBOLS_MAX_PATH)
		return -ACCEL_E_SYM_BAD_PATH;
	ph = accel__intern_hash(path, (uint32_t)path_len);
	pthread_mutex_lock(&idx->wlock);
	pthread_rwlock_wrlock(&idx->lock);
	fid = accel__intern_find(&idx->files, path, (uint32_t)path_len, ph);
	if (fid) {
		struct file_ext *f = &idx->fx[fid];

		for (uint32_t i = 0; i < f->nslots; i++)
			drop_slot(idx, f->slots[i]);
		old = f->slots;
		memset(f, 0, sizeof(*f));
		accel__intern_put(&idx->files, fid);
	}
	pthread_rwlock_unlock(&idx->lock);
	pthread_mutex_unlock(&idx->wlock);
	accel_free(old);
	return fid ? 1 : 0;
}

int accel_symbols_file_hash(struct accel_symbols *idx, const char *path,
			    size_t path_len, uint64_t *hash)
{
	uint32_t fid;

	if (!idx || !path || !path_len || path_len > ACCEL_SYMBOLS_MAX_PATH)
		return -ACCEL_E_SYM_BAD_PATH;
	pthread_rwlock_rdlock(&idx->lock);
	fid = accel__intern_find(&idx->files, path, (uint32_t)path_len,
				 accel__intern_hash(path, (uint32_t)path_len));
	if (fid && hash)
		*hash = idx->fx[fid].hash;
	pthread_rwlock_unlock(&idx->lock);
	return fid ? 1 : 0;
}

void accel__symbols_bytes(const struct accel_symbols *idx, struct sym_bytes *b)
{
	uint64_t nodes, edges;

	memset(b, 0, sizeof(*b));
	b->self = sizeof(*idx);
	b->slots = (uint64_t)idx->syms_cap * sizeof(*idx->syms);
	b->wide = (uint64_t)idx->wide_cap * sizeof(*idx->wide);
	for (uint32_t f = 1; f < idx->files.nent; f++)
		if (idx->files.ent[f].refs)
			b->file_slots +=
				(uint64_t)idx->fx[f].nslots * sizeof(uint32_t) +
				4;
	b->file_ext = (uint64_t)idx->fx_cap * sizeof(*idx->fx);
	b->files = accel__intern_bytes(&idx->files);
	b->names = accel__intern_bytes(&idx->names);
	b->name_ext = (uint64_t)idx->nx_cap * sizeof(*idx->nx);
	b->cards = (uint64_t)idx->cards_cap * sizeof(*idx->cards) + 64;
	b->filter = accel__filter_bytes(&idx->filter);
	b->strs = accel__intern_bytes(&idx->strs);
	b->imports = accel__imports_bytes(idx->imp, &nodes, &edges);
	b->total = b->self + b->slots + b->wide + b->file_slots + b->file_ext +
		   b->files + b->names + b->name_ext + b->cards + b->filter +
		   b->strs + b->imports;
}

int accel_symbols_stats(struct accel_symbols *idx,
			struct accel_symbols_stats *st)
{
	struct sym_bytes b;

	if (!idx || !st)
		return -ACCEL_E_BAD_ARG;
	memset(st, 0, sizeof(*st));
	pthread_rwlock_rdlock(&idx->lock);
	accel__symbols_bytes(idx, &b);
	accel__imports_bytes(idx->imp, &st->import_files, &st->import_edges);
	st->bytes = b.total;
	st->symbols = idx->live_syms;
	st->files = idx->files.live;
	st->names = idx->names.live;
	st->string_garbage =
		idx->names.garbage + idx->strs.garbage + idx->files.garbage;
	pthread_rwlock_unlock(&idx->lock);
	return 0;
}
