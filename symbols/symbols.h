/* SPDX-License-Identifier: MIT */
#ifndef ACCEL_SYMBOLS_H
#define ACCEL_SYMBOLS_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Symbol index and import graph.
 *
 * An index holds the symbols of many files (name, LSP kind, container,
 * detail, 1-based range) and answers fuzzy, prefix and exact queries over
 * symbol names and over file paths. It is fed the way an LSP client learns
 * symbols: accel_symbols_upsert() replaces every symbol of one file,
 * accel_symbols_remove() drops a file. Both cost time proportional to the
 * file, not to the index.
 *
 * The same object holds an import graph: accel_symbols_imports_set() replaces
 * the imports of one file; queries walk dependencies or dependents
 * breadth-first with a depth limit and report import cycles.
 *
 * Thread safety: every function may be called from any number of threads at
 * once on the same index. Queries run concurrently with each other; an update
 * prepares its records without holding the index lock and then takes it for a
 * short section whose length is proportional to the file, so a query waits at
 * most for one such section and always sees a file either fully before or
 * fully after an update (never half a file).
 *
 * Strings are UTF-8 (checked on input). Match positions and lengths are byte
 * offsets into the UTF-8 name; for ASCII names (nearly all identifiers) they
 * equal UTF-16 indices, and the Node bridge converts the rest.
 *
 * Errors: negative -errno or -ACCEL_E_SYM_* / -ACCEL_E_* (common/accel_err.h,
 * range 1500-1599 in common/errors/symbols.def).
 */

struct accel_symbols;
struct io_uring;

/* ---------------------------------------------------------------- kinds */

/*
 * Symbol kinds are LSP SymbolKind numbers (1 = File ... 26 =
 * TypeParameter). 0 is accepted on input and means "unknown" (stored as
 * Variable). Kind filters are bit masks: bit k selects kind k.
 */
#define ACCEL_SYMBOLS_KIND_MAX	  26
#define ACCEL_SYMBOLS_KIND_BIT(k) (1u << (k))

/*
 * Returns the LSP kind number for an LSP kind name, matched
 * case-insensitively ("function", "Method", "enummember"), or for a
 * universal-ctags kind name ("macro", "enumerator", "member", ...); 0 when
 * the name is unknown. len is the byte length of name.
 */
int accel_symbols_kind_from_name(const char *name, size_t len);

/* Returns the LSP name of a kind ("Function"), or NULL when out of range. */
const char *accel_symbols_kind_name(unsigned kind);

/* ------------------------------------------------------- create, destroy */

struct accel_symbols_opts {
	uint32_t flags; /* must be 0 */
	uint32_t resv;	/* must be 0 */
};

/*
 * Creates an empty index. opts may be NULL. Returns 0 with *out set, or
 * -ENOMEM, -ACCEL_E_BAD_ARG (non-zero flags/resv).
 */
int accel_symbols_create(const struct accel_symbols_opts *opts,
			 struct accel_symbols **out);

/* Frees the index. Accepts NULL. No call may be running on it. */
void accel_symbols_destroy(struct accel_symbols *idx);

/* ---------------------------------------------------- upsert encoding */

/*
 * The upsert buffer: the symbols of one file, fixed-width little-endian
 * fields, laid out as
 *
 *     struct accel_symbols_file_hdr   (32 bytes)
 *     struct accel_symbols_rec        [nsyms] (48 bytes each)
 *     uint8_t strings[strings_len]    (UTF-8, no terminators needed)
 *
 * and nothing else: the buffer length must be exactly
 * 32 + 48 * nsyms + strings_len. Every *_off is relative to the start of
 * the string section; a string with length 0 is absent (container, detail)
 * and its offset must be 0. Node encodes this straight into the request
 * arena; docs/symbols.md has the byte table.
 */
#define ACCEL_SYMBOLS_FILE_MAGIC       0x4d595341u /* "ASYM" */
#define ACCEL_SYMBOLS_FILE_VERSION     1
#define ACCEL_SYMBOLS_MAX_FILE_SYMBOLS (1u << 20)
#define ACCEL_SYMBOLS_MAX_NAME	       4096
#define ACCEL_SYMBOLS_MAX_PATH	       4096
#define ACCEL_SYMBOLS_MAX_STRING       65535
#define ACCEL_SYMBOLS_MAX_QUERY	       256

struct accel_symbols_file_hdr {
	uint32_t magic;	  /* ACCEL_SYMBOLS_FILE_MAGIC */
	uint16_t version; /* ACCEL_SYMBOLS_FILE_VERSION */
	uint16_t flags;	  /* 0 */
	uint32_t nsyms;	  /* <= ACCEL_SYMBOLS_MAX_FILE_SYMBOLS */
	uint32_t strings_len;
	uint32_t path_off;     /* the file path, in the string section */
	uint32_t path_len;     /* 1..ACCEL_SYMBOLS_MAX_PATH */
	uint64_t content_hash; /* caller's XXH3 of the file, or 0 */
};

static_assert(sizeof(struct accel_symbols_file_hdr) == 32, "file hdr");
static_assert(offsetof(struct accel_symbols_file_hdr, nsyms) == 8, "nsyms");
static_assert(offsetof(struct accel_symbols_file_hdr, path_off) == 16, "p");
static_assert(offsetof(struct accel_symbols_file_hdr, content_hash) == 24,
	      "hash");

struct accel_symbols_rec {
	uint32_t name_off;
	uint32_t name_len;	/* 1..ACCEL_SYMBOLS_MAX_NAME */
	uint32_t container_off; /* dotted path ("ts.server.Project") */
	uint32_t container_len; /* 0..ACCEL_SYMBOLS_MAX_STRING */
	uint32_t detail_off;	/* signature or type, free text */
	uint32_t detail_len;	/* 0..ACCEL_SYMBOLS_MAX_STRING */
	uint32_t line;		/* 1-based; 0 = unknown */
	uint32_t col;		/* 1-based; 0 = unknown */
	uint32_t end_line;
	uint32_t end_col;
	uint16_t kind;	/* LSP SymbolKind 0..26 */
	uint16_t flags; /* 0 */
	uint32_t resv;	/* 0 */
};

static_assert(sizeof(struct accel_symbols_rec) == 48, "rec");
static_assert(offsetof(struct accel_symbols_rec, line) == 24, "line");
static_assert(offsetof(struct accel_symbols_rec, kind) == 40, "kind");

/* One symbol as C callers describe it to accel_symbols_encode(). */
struct accel_symbol {
	const char *name;      /* NUL-terminated */
	const char *container; /* NULL or "" for none */
	const char *detail;    /* NULL or "" for none */
	uint32_t kind, line, col, end_line, end_col;
};

/*
 * Encodes the symbols of file `path` into a new upsert buffer. Returns 0
 * with *buf (accel_malloc'ed, caller frees with accel_free) and *len set,
 * or -ENOMEM / -ACCEL_E_SYM_* for strings that break the limits. The
 * buffer is validated again by accel_symbols_upsert().
 */
int accel_symbols_encode(const char *path, const struct accel_symbol *syms,
			 size_t n, uint64_t content_hash, void **buf,
			 size_t *len);

/*
 * Replaces all symbols of the file named in buf (see above). buf must be
 * private memory that nobody writes during the call (engine ops use
 * ACCEL_OPF_COPY_IN). Returns the number of symbols now held for the file,
 * or -ACCEL_E_SYM_BAD_ENCODING, -ACCEL_E_SYM_EMPTY_NAME,
 * -ACCEL_E_SYM_NAME_TOO_LONG, -ACCEL_E_SYM_BAD_UTF8, -ACCEL_E_SYM_TOO_MANY,
 * -ACCEL_E_SYM_BAD_KIND, -ACCEL_E_SYM_BAD_PATH, -ACCEL_E_SYM_STRING_TOO_LONG,
 * -ENOMEM. On error the index is unchanged. An upsert with nsyms == 0 keeps
 * the file known with no symbols. Allocates.
 */
int accel_symbols_upsert(struct accel_symbols *idx, const void *buf,
			 size_t len);

/*
 * Removes a file's symbols and the file itself. Returns 1 when the file was
 * known, 0 when it was not (a no-op), -ACCEL_E_SYM_BAD_PATH. Does not touch
 * the import graph (see accel_symbols_imports_remove()).
 */
int accel_symbols_remove(struct accel_symbols *idx, const char *path,
			 size_t path_len);

/*
 * Returns the content hash given with the file's last upsert in *hash, 1
 * when the file is known, 0 when not. Used to skip unchanged files.
 */
int accel_symbols_file_hash(struct accel_symbols *idx, const char *path,
			    size_t path_len, uint64_t *hash);

/* ------------------------------------------------------------- queries */

#define ACCEL_SYMBOLS_MODE_FUZZY  0 /* fzf-style ranking, typo tolerant */
#define ACCEL_SYMBOLS_MODE_PREFIX 1 /* names starting with the query */
#define ACCEL_SYMBOLS_MODE_EXACT  2 /* names equal to the query */

/* SMART is fzf's smart case: ignore case unless the query has a capital. */
#define ACCEL_SYMBOLS_CASE_SMART   0
#define ACCEL_SYMBOLS_CASE_IGNORE  1
#define ACCEL_SYMBOLS_CASE_RESPECT 2

#define ACCEL_SYMBOLS_QF_NO_TYPO (1u << 0) /* never try swapped/missing */

struct accel_symbols_query {
	const char *text;   /* UTF-8; blanks are ignored */
	uint32_t text_len;  /* <= ACCEL_SYMBOLS_MAX_QUERY */
	uint32_t limit;	    /* 0 = 20; at most 1000 */
	uint32_t mode;	    /* ACCEL_SYMBOLS_MODE_* */
	uint32_t case_mode; /* ACCEL_SYMBOLS_CASE_* */
	uint32_t kinds;	    /* ACCEL_SYMBOLS_KIND_BIT mask; 0 = all kinds */
	uint32_t flags;	    /* ACCEL_SYMBOLS_QF_* */
	const char *path_prefix; /* only files under this prefix; NULL = all */
	uint32_t path_prefix_len;
	uint32_t resv; /* 0 */
};

/*
 * The query result, written into the caller's buffer:
 *
 *     struct accel_symbols_result_hdr            (32 bytes)
 *     struct accel_symbols_hit      [count]      (64 bytes each)
 *     uint16_t positions[npos]                   (match byte offsets)
 *     uint8_t strings[]                          (names, paths, ...)
 *
 * Hits are best first. String offsets are relative to strings_off, and
 * strings are not NUL-terminated. A hit's match positions are
 * positions[pos_idx .. pos_idx + npos), strictly increasing byte offsets
 * into its name. Ties in score are broken by name, then path, then line,
 * then column, so the order is deterministic.
 */
#define ACCEL_SYMBOLS_RESULT_MAGIC   0x52595341u /* "ASYR" */
#define ACCEL_SYMBOLS_RESULT_VERSION 1

struct accel_symbols_result_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t flags;		/* bit 0: typo-tolerant matches were added */
	uint32_t count;		/* hits */
	uint32_t matched;	/* names (or files) past the pre-filters */
	uint32_t positions_off; /* from the start of the buffer */
	uint32_t strings_off;	/* from the start of the buffer */
	uint32_t total_len;	/* bytes used in the buffer */
	uint32_t resv;
};

static_assert(sizeof(struct accel_symbols_result_hdr) == 32, "res hdr");

#define ACCEL_SYMBOLS_HIT_TYPO (1u << 0) /* matched with a typo allowance */

struct accel_symbols_hit {
	int32_t score; /* higher is better; comparable within one query */
	uint16_t kind;
	uint16_t npos;
	uint32_t name_off, name_len;
	uint32_t file_off, file_len;
	uint32_t container_off, container_len;
	uint32_t detail_off, detail_len;
	uint32_t line, col, end_line, end_col;
	uint32_t pos_idx;
	uint32_t flags; /* ACCEL_SYMBOLS_HIT_* */
};

static_assert(sizeof(struct accel_symbols_hit) == 64, "hit");
static_assert(offsetof(struct accel_symbols_hit, line) == 40, "hit line");

/*
 * Runs a symbol query. Returns the number of bytes written to out (>= 32),
 * or -ACCEL_E_NO_SPACE when cap is too small (then *needed, if not NULL,
 * holds the size that fits this result; a retry with that size succeeds
 * unless the index changed meanwhile), -ACCEL_E_SYM_BAD_QUERY,
 * -ACCEL_E_BAD_ARG, -ENOMEM. A blank query returns an empty result.
 * Takes the index's read lock; allocates scratch memory.
 */
int accel_symbols_query(struct accel_symbols *idx,
			const struct accel_symbols_query *q, void *out,
			size_t cap, size_t *needed);

/*
 * The same fuzzy ranking over file paths (a file finder). kinds is
 * ignored; path_prefix applies. Hits have kind 1 (File), name = file = the
 * path, no range.
 */
int accel_symbols_query_files(struct accel_symbols *idx,
			      const struct accel_symbols_query *q, void *out,
			      size_t cap, size_t *needed);

/* Helpers for C readers of a result buffer (no copies). */
static inline const struct accel_symbols_hit *
accel_symbols_result_hit(const void *res, uint32_t i)
{
	return (const struct accel_symbols_hit
			*)((const char *)res +
			   sizeof(struct accel_symbols_result_hdr)) +
	       i;
}

static inline const char *accel_symbols_result_str(const void *res,
						   uint32_t off)
{
	const struct accel_symbols_result_hdr *h =
		(const struct accel_symbols_result_hdr *)res;

	return (const char *)res + h->strings_off + off;
}

static inline const uint16_t *accel_symbols_result_pos(const void *res,
						       uint32_t idx)
{
	const struct accel_symbols_result_hdr *h =
		(const struct accel_symbols_result_hdr *)res;

	return (const uint16_t *)((const char *)res + h->positions_off) + idx;
}

/* --------------------------------------------------------------- stats */

struct accel_symbols_stats {
	uint64_t symbols;	 /* symbols held */
	uint64_t files;		 /* files known (with or without symbols) */
	uint64_t names;		 /* distinct names */
	uint64_t bytes;		 /* heap bytes held by the index (all tables) */
	uint64_t string_garbage; /* arena bytes of freed strings */
	uint64_t import_files;	 /* nodes in the import graph */
	uint64_t import_edges;
};

/* Fills *st. Takes the read lock briefly. Returns 0. */
int accel_symbols_stats(struct accel_symbols *idx,
			struct accel_symbols_stats *st);

/* ---------------------------------------------------------- snapshots */

/*
 * A snapshot holds every file (path, content hash, symbols) and the import
 * graph. Format: a 64-byte header (magic "ACCSYMSN", format version, sizes,
 * XXH3-64 of everything after the header) followed by upsert buffers and
 * import blocks; docs/symbols.md has the layout.
 *
 * accel_symbols_save() writes path.tmp, fsyncs and renames it over path.
 * Returns 0, or -errno.
 */
int accel_symbols_save(struct accel_symbols *idx, const char *path);

/*
 * Loads a snapshot into an EMPTY index (mmap, checksum, then a rebuild from
 * the records). Returns the number of files loaded, or
 * -ACCEL_E_SYM_SNAP_MAGIC, -ACCEL_E_SYM_SNAP_VERSION,
 * -ACCEL_E_SYM_SNAP_CORRUPT (the index is then left empty: rebuild it),
 * -ACCEL_E_BAD_ARG (index not empty), -errno from open/mmap.
 */
int accel_symbols_load(struct accel_symbols *idx, const char *path);

/* The same from memory (used by the fuzz target). */
int accel_symbols_load_buf(struct accel_symbols *idx, const void *buf,
			   size_t len);

/* -------------------------------------------------------- import graph */

/*
 * Replaces the imports of `file` with imports[0..n) (resolved paths; each
 * lens[i] bytes, or strlen when lens is NULL). Duplicates are kept once.
 * Returns the number of distinct imports, or -ACCEL_E_SYM_BAD_PATH,
 * -ACCEL_E_SYM_BAD_UTF8, -ENOMEM. Cost: proportional to the old and new
 * imports of the file (plus the dependents lists of the targets).
 */
int accel_symbols_imports_set(struct accel_symbols *idx, const char *file,
			      size_t file_len, const char *const *imports,
			      const uint32_t *lens, size_t n);

/* Removes the file's imports (it stays a target of others). 1/0 as remove. */
int accel_symbols_imports_remove(struct accel_symbols *idx, const char *file,
				 size_t file_len);

#define ACCEL_SYMBOLS_IMPORTS	 0 /* what the file imports (dependencies) */
#define ACCEL_SYMBOLS_DEPENDENTS 1 /* who imports the file */
#define ACCEL_SYMBOLS_CYCLE	 2 /* files on an import cycle with the file */

/*
 * Walks the graph from `file` breadth-first. depth: 1 = direct edges only,
 * 0 = unlimited (transitive). The start file is not listed (a CYCLE query
 * lists the other members of its strongly connected component, in BFS
 * order). The result:
 *
 *     uint32_t magic "AIMR"; uint32_t count; uint32_t strings_off;
 *     uint32_t total_len;
 *     struct { uint32_t off, len, depth, resv; } entries[count];
 *     uint8_t strings[];
 *
 * Entries of one depth are in the order edges were added. Returns the bytes
 * written, -ACCEL_E_NO_SPACE (with *needed), or -ACCEL_E_BAD_ARG. An
 * unknown file gives an empty list.
 */
#define ACCEL_SYMBOLS_IMPORTS_MAGIC 0x524d4941u /* "AIMR" */
int accel_symbols_imports_query(struct accel_symbols *idx, const char *file,
				size_t file_len, unsigned which, unsigned depth,
				void *out, size_t cap, size_t *needed);

/* ----------------------------------------------------------- workspace */

struct accel_symbols_ws_opts {
	const char *root; /* directory to index */
	/*
	 * Optional: the worker's ring; file contents are read through it.
	 * NULL reads with plain pread.
	 */
	struct io_uring *ring;
	const char *ctags; /* path of universal-ctags; NULL = "ctags" */
	/* Called after each batch; may be NULL. */
	void (*progress)(void *arg, uint64_t done, uint64_t total);
	void *progress_arg;
	uint32_t max_file_bytes; /* skip larger files; 0 = 64 MiB */
	uint32_t flags;		 /* 0 */
	/* Per ctags batch: timeout (0 = 300 s) and JSON output budget
	 * (0 = 1 GiB); past either, indexing fails with SYM_CTAGS. */
	uint32_t ctags_timeout_ms;
	uint32_t resv;
	uint64_t ctags_max_output;
};

struct accel_symbols_ws_result {
	uint64_t files_seen;	  /* candidate files after .gitignore */
	uint64_t files_indexed;	  /* extracted and upserted */
	uint64_t files_unchanged; /* skipped: same XXH3 as last time */
	uint64_t files_removed;	  /* known files that no longer exist */
	uint64_t symbols;	  /* symbols upserted */
	uint64_t errors;	  /* files that could not be read or parsed */
	/* The sandbox ctags ran under (0 when no file needed ctags): the
	 * ACCEL_SANDBOX_L_* layers in force, those this kernel could not
	 * give, and the syscalls it denied and reported. */
	uint64_t sandbox_layers;
	uint64_t sandbox_layers_missing;
	uint64_t sandbox_violations;
};

/*
 * Indexes a directory tree: walks it honouring .gitignore files (and
 * skipping .git), reads each file, hashes it with XXH3, skips files whose
 * hash equals the one stored for them, runs universal-ctags on the changed
 * ones (in batches, JSON output), converts tags to symbols (ctags kinds to
 * LSP kinds, scope to container, column from the tag pattern) and upserts
 * them. Files indexed earlier under root that are gone are removed.
 * Paths in the index are "root/relative" with root as given (trailing
 * slashes dropped). Blocks; allocates.
 *
 * ctags runs under the sandbox (sandbox/sandbox.h, docs/symbols.md): it
 * can read root, its own directory, /usr, /lib, /lib64, /etc/ld.so.cache,
 * /dev/null and /dev/urandom, and nothing else; no network; its temporary
 * file goes to a private /tmp (or a scratch directory removed afterwards
 * when root is under /tmp); per batch a timeout, an output budget and
 * memory, file-size and CPU limits. res->sandbox_* report the layers.
 *
 * Returns 0 with *res filled (res may be NULL), -ACCEL_E_SYM_CTAGS when
 * ctags cannot be found, fails, times out or exceeds its output budget,
 * -ACCEL_E_SANDBOX_* when the sandbox cannot start it, or -errno.
 */
int accel_symbols_index_workspace(struct accel_symbols *idx,
				  const struct accel_symbols_ws_opts *opts,
				  struct accel_symbols_ws_result *res);

#endif
