/* SPDX-License-Identifier: MIT */
#ifndef ACCEL_CONTEXT_H
#define ACCEL_CONTEXT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * The context module: what an agent runtime needs to live inside a token
 * budget.
 *
 *   - zstd compression through reusable per-thread contexts, with levels,
 *     frame checksums, streaming for large inputs and trained dictionaries
 *     (accel_context_zstd_*, accel_context_dict_*);
 *   - a content-addressed store of blocks keyed by XXH3-128, kept
 *     compressed in memory and optionally persisted to an append-only file
 *     written through io_uring (accel_context_store_*);
 *   - a compaction planner that, given messages and a token budget, returns
 *     a deterministic plan that fits (accel_context_compact), and keep-up's
 *     compressContext selection (accel_context_select_recent);
 *   - a durable event journal with checkpoints, keep-up's StorageEngine
 *     (accel_context_journal_*; its errors are in
 *     common/errors/keepup.def, 1600-1699).
 *
 * Errors are negative: -errno or -ACCEL_E_* from common/errors/context.def
 * (1400-1499). accel_strerror() gives the message.
 *
 * Every function works on caller memory; nothing here allocates on the hot
 * paths (one-shot compress/decompress into a caller buffer) except where a
 * comment says so.
 */

struct io_uring;

/* ------------------------------------------------------------------------ */
/* Compression                                                               */
/* ------------------------------------------------------------------------ */

/*
 * A reusable pair of zstd contexts (one compression, one decompression) plus
 * streaming state. NOT thread-safe: create one per thread (the engine keeps
 * one per worker in the op's per-thread state) and reuse it; creating one
 * costs a few hundred KB the first time a level is used.
 */
struct accel_context_zstd;

/* A trained or loaded dictionary, digested once for both directions. */
struct accel_context_dict;

/* Level range accepted everywhere a level is taken. 0 means the default. */
#define ACCEL_CONTEXT_LEVEL_DEFAULT 3
#define ACCEL_CONTEXT_LEVEL_MIN	    (-7)
#define ACCEL_CONTEXT_LEVEL_MAX	    22

/* Flags of accel_context_zstd_compress() and streams. */
/* Write no XXH64 content checksum into the frame (default: write one). */
#define ACCEL_CONTEXT_ZF_NO_CHECKSUM (1u << 0)

struct accel_context_zstd_opts {
	/* Reserved, must be zero. */
	uint64_t resv[2];
};

/*
 * Creates a context. opts may be NULL. Returns 0 with *out set, -ENOMEM.
 * Allocates.
 */
int accel_context_zstd_create(const struct accel_context_zstd_opts *opts,
			      struct accel_context_zstd **out);

/* Frees the context. Accepts NULL. */
void accel_context_zstd_destroy(struct accel_context_zstd *z);

/*
 * Worst-case compressed size of src_len bytes (ZSTD_compressBound). Size the
 * destination of accel_context_zstd_compress() with it and the call cannot
 * fail for lack of room. Returns 0 when src_len is too large for zstd.
 */
size_t accel_context_zstd_bound(size_t src_len);

/*
 * Compresses src into one zstd frame written directly into dst (no
 * intermediate copy). level 0 means ACCEL_CONTEXT_LEVEL_DEFAULT; dict may be
 * NULL, otherwise the frame is compressed with the dictionary at the level it
 * was loaded with (level is then ignored). The frame records the content
 * size and, unless ACCEL_CONTEXT_ZF_NO_CHECKSUM, an XXH64 checksum of the
 * content.
 *
 * Returns the frame size (>= 0), -ACCEL_E_ZSTD_DST_SMALL when dst_cap is too
 * small (it never is with accel_context_zstd_bound()), -ACCEL_E_BAD_ARG for a
 * level out of range or unknown flags. Does not allocate once the context
 * has compressed at this level before.
 */
ssize_t accel_context_zstd_compress(struct accel_context_zstd *z, void *dst,
				    size_t dst_cap, const void *src,
				    size_t src_len, int level,
				    const struct accel_context_dict *dict,
				    uint32_t flags);

/*
 * Decompresses every zstd frame in src (concatenated frames are joined) into
 * dst. dict may be NULL; a frame that names a dictionary needs the one with
 * that id.
 *
 * Returns the decompressed size, or: -ACCEL_E_ZSTD_NOT_FRAME (not zstd),
 * -ACCEL_E_ZSTD_TRUNCATED (input ends inside a frame), -ACCEL_E_ZSTD_CHECKSUM
 * (content checksum mismatch), -ACCEL_E_ZSTD_CORRUPT (any other corruption),
 * -ACCEL_E_ZSTD_DICT_MISMATCH (missing or wrong dictionary),
 * -ACCEL_E_ZSTD_DST_SMALL (dst_cap too small; see
 * accel_context_zstd_content_size()). On error the contents of dst are
 * unspecified. Never reads outside src or writes outside dst.
 */
ssize_t accel_context_zstd_decompress(struct accel_context_zstd *z, void *dst,
				      size_t dst_cap, const void *src,
				      size_t src_len,
				      const struct accel_context_dict *dict);

/*
 * Reads the content size recorded in the first frame's header. Returns 1 and
 * sets *size when it is recorded, 0 when the frame does not record it
 * (streamed frames, or a skippable frame first), or a negative error as for decompress when src does not
 * start with a valid frame header. The size is a claim of the (possibly
 * hostile) producer: cap allocations by your own limit.
 */
int accel_context_zstd_content_size(const void *src, size_t src_len,
				    uint64_t *size);

/*
 * Decompresses src into a buffer allocated with accel_malloc(), growing it
 * as needed (frames that do not record their size are decoded into a buffer
 * that doubles, at most about twice the work of one decode); it accepts
 * exactly what accel_context_zstd_decompress() accepts. Fails with
 * -ACCEL_E_ZSTD_TOO_LARGE once the output would exceed max_out bytes. On
 * success returns the size and sets *out (free with accel_free()).
 */
ssize_t accel_context_zstd_decompress_alloc(
	struct accel_context_zstd *z, const void *src, size_t src_len,
	const struct accel_context_dict *dict, size_t max_out, void **out);

/*
 * Streaming, for inputs that do not fit in memory at once. A context runs one
 * stream at a time; a one-shot call on the same context ends the stream.
 *
 * begin:   starts a compression (ACCEL_CONTEXT_STREAM_COMPRESS) or
 *          decompression stream. pledged_size is the total input size of a
 *          compression stream if known (it is then recorded in the frame
 *          header and checked), or UINT64_MAX.
 * step:    consumes input from *in (advancing in->pos) and produces output
 *          into *out (advancing out->pos). For compression, end != 0 means
 *          this is the last input; call again with the same end until it
 *          returns 0. Returns 0 when a compression stream with end set is
 *          fully flushed, or when a decompression stream completed a frame
 *          and flushed it; > 0 when more calls are needed (more output room
 *          or more input); negative on error (codes as for decompress).
 *
 * A decompression stream that ends with step() never having returned 0 was
 * truncated; the caller decides that when its input is exhausted.
 */
#define ACCEL_CONTEXT_STREAM_COMPRESS	1
#define ACCEL_CONTEXT_STREAM_DECOMPRESS 2

struct accel_context_buf {
	void *ptr;
	size_t size;
	size_t pos;
};

int accel_context_zstd_stream_begin(struct accel_context_zstd *z, int mode,
				    int level,
				    const struct accel_context_dict *dict,
				    uint64_t pledged_size, uint32_t flags);
int accel_context_zstd_stream_step(struct accel_context_zstd *z,
				   struct accel_context_buf *in,
				   struct accel_context_buf *out, int end);

/*
 * The dictionary capacity used when the caller gives none: an eighth of the
 * sample bytes, at least 4 KiB and at most 512 KiB (ACCEL_CONTEXT_DICT_*).
 * zstd's own default is 110 KiB whatever the samples; on ~1 KB chat JSON
 * messages, measured on held-out messages (docs/context.md), a dictionary
 * larger than that keeps paying off as long as it stays well below the
 * sample bytes, while one near their size is worse than a small one.
 */
#define ACCEL_CONTEXT_DICT_MIN_DEFAULT (4u << 10)
#define ACCEL_CONTEXT_DICT_MAX_DEFAULT (512u << 10)
size_t accel_context_dict_default_size(size_t sample_bytes);

/*
 * Trains a dictionary from samples (ZDICT_trainFromBuffer): samples are
 * n_samples buffers laid out back to back in `samples`, sizes[i] bytes each.
 * Writes at most dict_cap bytes into dict (see
 * accel_context_dict_default_size() for a good size).
 *
 * Returns the dictionary size, -ACCEL_E_ZSTD_TRAIN when the samples cannot
 * produce one (too few, too small or too uniform), -ACCEL_E_BAD_ARG.
 * Allocates; takes seconds on megabytes of samples.
 */
ssize_t accel_context_dict_train(void *dict, size_t dict_cap,
				 const void *samples, const size_t *sizes,
				 unsigned n_samples);

/*
 * Digests a dictionary once for compression at `level` (0: default) and for
 * decompression. The bytes are copied; the caller may free them. Returns 0
 * with *out set, -ACCEL_E_ZSTD_BAD_DICT, -ENOMEM. The result is immutable
 * and may be used by any number of threads at once.
 */
int accel_context_dict_load(const void *dict, size_t len, int level,
			    struct accel_context_dict **out);

/* The dictionary's id as recorded in frames (0 for a raw content dict). */
uint32_t accel_context_dict_id(const struct accel_context_dict *d);

/* Frees a dictionary. Accepts NULL. No stream may still use it. */
void accel_context_dict_destroy(struct accel_context_dict *d);

/* ------------------------------------------------------------------------ */
/* Content-addressed store                                                   */
/* ------------------------------------------------------------------------ */

/*
 * A block's key: XXH3-128 of its uncompressed bytes (seed 0). On the wire and
 * in files it is 16 bytes: lo then hi, each little-endian.
 */
struct accel_context_key {
	uint64_t lo;
	uint64_t hi;
};

/* Computes the key of len bytes at data. */
struct accel_context_key accel_context_key_of(const void *data, size_t len);

struct accel_context_store;

/* opts->flags */
/* fdatasync the file after every write that changes it (durable put). */
#define ACCEL_CONTEXT_STORE_SYNC (1u << 0)

struct accel_context_store_opts {
	/*
	 * File to persist to, or NULL for a memory-only store. The file is
	 * created when missing, loaded when present, and locked (flock) so
	 * that a second store on it fails with -ACCEL_E_STORE_LOCKED.
	 */
	const char *path;
	/* Compression level of blocks; 0 = default. */
	int level;
	uint32_t flags;
	/*
	 * Optional dictionary blocks are compressed with (borrowed: it must
	 * outlive the store). A file remembers the dictionary id it was
	 * written with and refuses another (-ACCEL_E_STORE_DICT).
	 */
	const struct accel_context_dict *dict;
	/*
	 * Optional ring used for file writes. The store submits to it only
	 * while holding its own lock, so the caller must not use the ring
	 * from another thread at the same time. NULL: the store creates and
	 * owns a small ring.
	 */
	struct io_uring *ring;
	uint64_t resv[2];
};

/* What loading a file found; see accel_context_store_stats(). */
struct accel_context_store_stats {
	uint64_t blocks;       /* distinct blocks held */
	uint64_t raw_bytes;    /* their uncompressed size */
	uint64_t stored_bytes; /* their compressed size in memory */
	uint64_t refs;	       /* sum of reference counts */
	uint64_t puts;	       /* put calls since create */
	uint64_t dedup_hits;   /* puts that found the block already held */
	uint64_t gets;
	uint64_t deletes;
	uint64_t file_bytes;	 /* valid length of the file, 0 if none */
	uint64_t loaded_records; /* records replayed on open */
	uint64_t torn_bytes;	 /* bytes cut from a torn or corrupt tail */
	uint64_t resv[5];
};

/*
 * Creates a store. With opts->path, replays the file: every record is
 * checked (XXH3-64 over header and payload); the first record that is
 * incomplete or fails its check ends the replay, the file is truncated there
 * and the number of bytes cut is reported in stats.torn_bytes. Returns 0 with
 * *out set, -ACCEL_E_STORE_BAD_FILE (not a store file), -ACCEL_E_STORE_DICT,
 * -ACCEL_E_STORE_LOCKED, -errno. Allocates.
 *
 * A store is thread-safe: any number of threads may call put/get/has/delete
 * at once, each with its own accel_context_zstd.
 */
int accel_context_store_create(const struct accel_context_store_opts *opts,
			       struct accel_context_store **out);

/* Closes the file (after a final fdatasync) and frees all blocks. NULL ok. */
void accel_context_store_destroy(struct accel_context_store *st);

/*
 * Stores len bytes and sets *key. If the block is already held its reference
 * count goes up and nothing is compressed or stored again (dedup). With a
 * file, returns once the record is written (and synced with
 * ACCEL_CONTEXT_STORE_SYNC). Returns 1 when the block was new, 0 when it was
 * a duplicate, negative on error (the store is then unchanged).
 */
int accel_context_store_put(struct accel_context_store *st,
			    struct accel_context_zstd *z, const void *data,
			    size_t len, struct accel_context_key *key);

/*
 * Returns 1 and sets *raw_len (may be NULL) when the block is held, 0 when
 * not. Never fails.
 */
int accel_context_store_has(struct accel_context_store *st,
			    const struct accel_context_key *key,
			    uint64_t *raw_len);

/*
 * Decompresses the block into dst and returns its size. The result is
 * verified against the key before it is returned, so a wrong block is never
 * returned: a block that fails gives -ACCEL_E_STORE_CORRUPT. Other errors:
 * -ACCEL_E_NOT_FOUND, -ACCEL_E_ZSTD_DST_SMALL (query the size with has()).
 */
ssize_t accel_context_store_get(struct accel_context_store *st,
				struct accel_context_zstd *z,
				const struct accel_context_key *key, void *dst,
				size_t dst_cap);

/*
 * Drops one reference. Returns the references left (0: the block is gone),
 * -ACCEL_E_NOT_FOUND when the block is not held, or an I/O error.
 */
int accel_context_store_delete(struct accel_context_store *st,
			       const struct accel_context_key *key);

/* Fills *stats with a consistent snapshot. */
void accel_context_store_stats(struct accel_context_store *st,
			       struct accel_context_store_stats *stats);

/*
 * Compacts the file: the log keeps deleted blocks and every REF/DEL record
 * until this rewrites it to one PUT per held block plus one REF per extra
 * reference (PATH.tmp, fdatasync, rename, directory fsync; the new file is
 * locked before the rename). Blocks every other call while it runs. A crash
 * leaves either the old file or the new one. Returns 0, -ACCEL_E_BAD_ARG for
 * a memory-only store, or an I/O error (the old file then stays in use).
 */
int accel_context_store_rewrite(struct accel_context_store *st);

/* ------------------------------------------------------------------------ */
/* Compaction plan                                                           */
/* ------------------------------------------------------------------------ */

/*
 * Token counter the planner calls for exact counts: sets *n to the number of
 * tokens of len bytes at text and returns 0, or returns a negative error
 * (which aborts the plan). Typically a thin wrapper around the tokenizer's
 * count function for one encoding. Must be deterministic.
 */
typedef int (*accel_context_count_fn)(void *arg, const char *text, size_t len,
				      uint64_t *n);

/* Message roles (free for the caller to use; the planner only compares). */
#define ACCEL_CONTEXT_ROLE_SYSTEM    0
#define ACCEL_CONTEXT_ROLE_USER	     1
#define ACCEL_CONTEXT_ROLE_ASSISTANT 2
#define ACCEL_CONTEXT_ROLE_TOOL	     3

/* Message kinds. Tool output goes first at equal priority. */
#define ACCEL_CONTEXT_KIND_TEXT	       0
#define ACCEL_CONTEXT_KIND_TOOL_CALL   1
#define ACCEL_CONTEXT_KIND_TOOL_OUTPUT 2

/* accel_context_msg.flags */
#define ACCEL_CONTEXT_MSG_PINNED   (1u << 0) /* never dropped or cut */
#define ACCEL_CONTEXT_MSG_HAS_KEY  (1u << 1) /* text is in the store */
#define ACCEL_CONTEXT_MSG_NO_TRUNC (1u << 2) /* drop rather than cut */

struct accel_context_msg {
	const char *text; /* ignored with ACCEL_CONTEXT_MSG_HAS_KEY */
	size_t len;
	struct accel_context_key key;
	uint32_t role;
	uint32_t kind;
	/* Higher survives longer. Ties: tool output first, then oldest. */
	int32_t priority;
	uint32_t flags;
};

struct accel_context_compact_opts {
	uint64_t budget; /* token budget of the whole plan */
	/* Tokens added per kept message (chat framing); 0 for none. */
	uint32_t msg_overhead;
	/*
	 * The last preserve_last messages are treated as pinned.
	 */
	uint32_t preserve_last;
	/*
	 * A message is cut rather than dropped only if at least this many
	 * of its tokens would remain; 0 means 32.
	 */
	uint32_t min_keep_tokens;
	/*
	 * Identical messages (same role, kind and bytes) at least this long
	 * are collapsed onto the last copy; 0 means 64 bytes. UINT32_MAX
	 * disables collapsing.
	 */
	uint32_t dedup_min_bytes;
	/* Elision marker put between head and tail; NULL: "\n[...]\n". */
	const char *marker;
	size_t marker_len;
	accel_context_count_fn count;
	void *count_arg;
	/* Resolves ACCEL_CONTEXT_MSG_HAS_KEY messages; may be NULL if none. */
	struct accel_context_store *store;
	struct accel_context_zstd *zstd;
	uint64_t resv[2];
};

/* accel_context_plan_entry.action */
#define ACCEL_CONTEXT_KEEP     0
#define ACCEL_CONTEXT_DROP     1
#define ACCEL_CONTEXT_TRUNCATE 2
#define ACCEL_CONTEXT_DEDUP    3 /* dropped as a copy of entry dup_of */

/*
 * One plan entry per input message, in input order; a fixed-width
 * little-endian record (32 bytes), also the wire layout of the compact op.
 * A truncated message becomes
 *   text[0, head_len) + marker + text[tail_off, len)
 * and that exact text has tokens_after tokens. tokens_after is 0 for dropped
 * messages; msg_overhead is not included in either count.
 */
struct accel_context_plan_entry {
	uint32_t index;
	uint8_t action;
	uint8_t pad[3];
	uint32_t tokens_before;
	uint32_t tokens_after;
	uint32_t head_len;
	uint32_t tail_off;
	uint32_t dup_of; /* UINT32_MAX unless action is DEDUP */
	uint32_t resv;
};

/* The plan's header (32 bytes), followed on the wire by n entries. */
struct accel_context_plan {
	uint32_t magic; /* ACCEL_CONTEXT_PLAN_MAGIC */
	uint16_t version;
	uint16_t pad;
	uint32_t n;	       /* entries (== input messages) */
	uint32_t n_kept;       /* KEEP + TRUNCATE entries */
	uint64_t total_before; /* all messages, with overhead */
	uint64_t total_after;  /* the plan, with overhead; <= budget */
};

#define ACCEL_CONTEXT_PLAN_MAGIC   0x4e4c5043u /* "CPLN" */
#define ACCEL_CONTEXT_PLAN_VERSION 1

/*
 * Plans how to fit n messages into opts->budget tokens. entries must hold n
 * entries; entry i describes msgs[i]. Deterministic: the same input gives
 * the same plan. The policy (docs/context.md):
 *
 *   1. count every message exactly (opts->count);
 *   2. collapse duplicates onto their last copy (pinned copies stay);
 *   3. while over budget, take unpinned messages in eviction order (lowest
 *      priority, then tool output, then oldest) and drop each, except that
 *      the last one needed is cut to head + marker + tail when at least
 *      min_keep_tokens of it would remain.
 *
 * Returns 0, -ACCEL_E_COMPACT_PINNED when pinned (and preserved) messages
 * alone exceed the budget, -ACCEL_E_COMPACT_NO_TEXT, -ACCEL_E_COMPACT_COUNT
 * or the counter's own error. Allocates scratch proportional to n and to
 * the largest message it cuts.
 */
int accel_context_compact(const struct accel_context_msg *msgs, uint32_t n,
			  const struct accel_context_compact_opts *opts,
			  struct accel_context_plan *plan,
			  struct accel_context_plan_entry *entries);

/*
 * keep-up's compressContext selection (the keep-up drop-in of issue 7), so
 * that its synchronous call maps onto one engine request:
 *
 *   the last preserve_last messages are always kept; older ones are added
 *   newest first while they fit in what remains of max_tokens; the first
 *   that does not fit is to be cut to the remaining budget when more than 50
 *   tokens remain, and the scan stops there.
 *
 * A message's tokens are the sum of the counts of its segments (its content,
 * then JSON.stringify of each tool result or result, each counted alone)
 * plus extra_tokens (50 per tool call of an assistant message). The text cut
 * itself (about 4 characters a token, at the last '.' or newline past 70%)
 * is done by the caller in its own string units; this only says which
 * message and to how many tokens.
 */
struct accel_context_seg {
	const char *text;
	size_t len;
};

struct accel_context_recent_msg {
	uint32_t first_seg; /* index of its first segment in segs[] */
	uint32_t n_segs;
	uint64_t extra_tokens;
};

struct accel_context_recent {
	uint32_t n_selected;	  /* entries written to selected[] */
	uint32_t truncated;	  /* index to cut, or UINT32_MAX */
	uint64_t truncate_tokens; /* budget left for it (> 50) */
	uint64_t selected_tokens; /* sum over selected[] except truncated */
	uint64_t total_tokens;	  /* sum over all messages */
};

/*
 * Fills selected[] (room for n) with the chosen input indices in ascending
 * order, the truncated one included, and *res. Each message's token count
 * is written to tokens[i] when tokens is not NULL. Returns 0,
 * -ACCEL_E_BAD_ARG (a segment range outside segs), or the counter's error.
 */
int accel_context_select_recent(const struct accel_context_recent_msg *msgs,
				uint32_t n,
				const struct accel_context_seg *segs,
				uint32_t n_segs, uint64_t max_tokens,
				uint32_t preserve_last,
				accel_context_count_fn count, void *count_arg,
				uint32_t *selected, uint64_t *tokens,
				struct accel_context_recent *res);

/* ------------------------------------------------------------------------ */
/* Event journal (keep-up's StorageEngine)                                   */
/* ------------------------------------------------------------------------ */

/*
 * A durable, checksummed, append-only event log with checkpoints, in one
 * root directory (docs/context.md has the layout):
 *
 *   ROOT/LOCK                  flock'ed while a journal is open
 *   ROOT/events-<seq>.log      log segments, named by their first sequence
 *   ROOT/meta                  the prune floor (written by write + rename)
 *   ROOT/checkpoints/<hex id>  one file per checkpoint (write + rename)
 *
 * Events get sequence numbers 1, 2, 3, ... with no gaps. An append returns
 * only once its record is on disk (fdatasync); appends from several threads
 * that overlap share one write and one fdatasync (group commit). Records are
 * checked with XXH3-64 and optionally zstd-compressed. On open, a torn tail
 * (a crash in the middle of a write) is detected and cut; damage before the
 * tail is refused. Writes go through io_uring.
 *
 * Thread-safe: any number of threads may append, replay and use checkpoints
 * at once. Errors from common/errors/keepup.def (1600-1699).
 */
struct accel_context_journal;

struct accel_context_journal_opts {
	const char *root; /* directory; created if missing */
	/*
	 * zstd level for event payloads of at least compress_min bytes
	 * (0 means 256); 0 stores every payload raw. A payload is stored
	 * compressed only when that makes it smaller.
	 */
	int level;
	uint32_t compress_min;
	/* Start a new segment once the current one reaches this; 0: 64 MiB. */
	uint64_t segment_bytes;
	uint64_t resv[2];
};

struct accel_context_journal_stats {
	uint64_t next_seq;   /* sequence the next append gets */
	uint64_t first_seq;  /* lowest sequence not pruned */
	uint64_t appends;    /* appends since open */
	uint64_t syncs;	     /* write + fdatasync batches since open */
	uint64_t segments;   /* segment files */
	uint64_t torn_bytes; /* bytes cut from the tail on open */
	uint64_t resv[4];
};

/*
 * Opens (creating when needed) the journal in opts->root. Returns 0 with *out
 * set, -ACCEL_E_JOURNAL_LOCKED when another journal (in this or another
 * process) has the directory open, -ACCEL_E_JOURNAL_CORRUPT when a record
 * before the last segment's tail is damaged, -errno. Allocates.
 */
int accel_context_journal_create(const struct accel_context_journal_opts *o,
				 struct accel_context_journal **out);

/* Closes the journal and releases the directory. Accepts NULL. */
void accel_context_journal_destroy(struct accel_context_journal *j);

/*
 * Appends one event and sets *seq. Blocks until the event is durable. z (a
 * per-thread context) is used to compress; NULL stores the payload raw.
 * Returns 0 or a negative error; after an I/O error the journal refuses
 * further appends with that error (the log may be torn; reopen to cut it).
 */
int accel_context_journal_append(struct accel_context_journal *j,
				 struct accel_context_zstd *z, const void *data,
				 size_t len, uint64_t *seq);

/*
 * Calls fn for each durable event with from <= seq, in order, at most limit
 * of them (0: no limit). The data pointer is valid during the call only.
 * fn returning non-zero stops the replay with that value. Returns the
 * number of events passed to fn, fn's non-zero value, or a negative error.
 */
typedef int (*accel_context_event_fn)(void *arg, uint64_t seq, const void *data,
				      size_t len);
int64_t accel_context_journal_replay(struct accel_context_journal *j,
				     struct accel_context_zstd *z,
				     uint64_t from, uint64_t limit,
				     accel_context_event_fn fn, void *arg);

/*
 * Removes every event with seq < before and returns how many were removed
 * (0 when none). Whole segments below the new floor are deleted; the floor
 * itself is recorded atomically.
 */
int64_t accel_context_journal_prune(struct accel_context_journal *j,
				    uint64_t before);

/*
 * Checkpoints: opaque blobs by id (1..100 bytes, any bytes). save replaces
 * atomically (write to a temporary, fdatasync, rename, fsync the directory);
 * load returns the size and a buffer from accel_malloc() in *out, or
 * -ACCEL_E_NOT_FOUND, -ACCEL_E_CHECKPOINT_CORRUPT; delete returns 1 when it
 * removed one, 0 when there was none.
 */
int accel_context_journal_save(struct accel_context_journal *j, const void *id,
			       size_t id_len, const void *data, size_t len);
ssize_t accel_context_journal_load(struct accel_context_journal *j,
				   const void *id, size_t id_len, void **out);
int accel_context_journal_delete(struct accel_context_journal *j,
				 const void *id, size_t id_len);

void accel_context_journal_stats(struct accel_context_journal *j,
				 struct accel_context_journal_stats *s);

#endif
