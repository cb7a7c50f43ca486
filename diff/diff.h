/* SPDX-License-Identifier: MIT */
#ifndef ACCEL_DIFF_H
#define ACCEL_DIFF_H

#include <stddef.h>
#include <stdint.h>

#include "accel_err.h" /* the -ACCEL_E_* codes returned here */

/*
 * Line diff, word diff, patch apply and 3-way merge over caller memory.
 *
 * Every function here is pure: it reads the caller's buffers, keeps no
 * global state and is safe to call from any number of threads at once. The
 * only allocations are the working arrays of one call and the result buffers
 * it hands back, which the caller frees with accel_free() (common/
 * accel_alloc.h) or the matching *_free() function.
 *
 * Inputs are byte strings; a "line" ends after '\n' (the last line may lack
 * it). Inputs must be smaller than 4 GiB (ACCEL_DIFF_MAX_INPUT) because the
 * binary layouts carry 32-bit offsets; larger inputs get -ACCEL_E_TOO_LARGE.
 * Memory is linear in the number of lines: a 1M-line input needs tens of MB,
 * never a quadratic table.
 */

#define ACCEL_DIFF_MAX_INPUT 0xfffffff0u

/* accel_diff_opts.algorithm */
enum accel_diff_algorithm {
	/* Myers with git's cost bounds: near-minimal, never gives up. */
	ACCEL_DIFF_MYERS = 0,
	/* Myers without cost bounds: the minimal edit script (diff --minimal). */
	ACCEL_DIFF_MINIMAL = 1,
	/* Patience diff: anchors on lines unique to both sides. */
	ACCEL_DIFF_PATIENCE = 2,
	/* Histogram diff: anchors on the rarest common lines (git's). */
	ACCEL_DIFF_HISTOGRAM = 3,
};

/* accel_diff_opts.flags */
#define ACCEL_DIFF_IGNORE_WS_ALL      (1u << 0) /* -w: ignore all whitespace */
#define ACCEL_DIFF_IGNORE_WS_CHANGE   (1u << 1) /* -b: amount of whitespace */
#define ACCEL_DIFF_IGNORE_WS_EOL      (1u << 2) /* whitespace at end of line */
#define ACCEL_DIFF_IGNORE_CR_EOL      (1u << 3) /* a CR before the LF */
#define ACCEL_DIFF_IGNORE_BLANK_LINES (1u << 4) /* hide blank-only changes */
#define ACCEL_DIFF_INDENT_HEURISTIC   (1u << 5) /* git's slider placement */
#define ACCEL_DIFF_FORCE_TEXT	      (1u << 6) /* diff even when binary */
#define ACCEL_DIFF_NO_TEXT	      (1u << 7) /* hunks only, no unified text */
#define ACCEL_DIFF_NO_HUNKS	      (1u << 8) /* text only, no hunk buffer */
/* git's function line after "@@ ... @@" (default rule: a line starting
 * with a letter, '_' or '$'; see docs/diff.md). */
#define ACCEL_DIFF_FUNCNAME  (1u << 9)
#define ACCEL_DIFF_FLAGS_ALL 0x3ffu

/*
 * Options of one diff. A NULL options pointer means: Myers, no ignore
 * flags, 3 lines of context, no paths. Without paths the "--- a/..." /
 * "+++ b/..." header lines are left out and the text starts at the first
 * "@@" line.
 */
struct accel_diff_opts {
	uint32_t algorithm; /* enum accel_diff_algorithm */
	uint32_t flags;	    /* ACCEL_DIFF_* */
	int32_t context;    /* context lines; < 0 means the default 3 */
	uint32_t interhunk; /* extra lines that still join two hunks */
	/*
	 * Paths for the "--- a/<a_path>" / "+++ b/<b_path>" headers. NULL
	 * leaves the header out. A path of "/dev/null" is written as is
	 * (file creation / deletion).
	 */
	const char *a_path;
	const char *b_path;
};

/*
 * The hunk buffer (ACCEL_DIFF_HUNKS_*): one malloc'ed block of fixed-width
 * little-endian fields, meant to be handed to JavaScript as is and decoded
 * lazily with a DataView. Layout (byte offsets):
 *
 *   header, 64 bytes:
 *     0  u32 magic       ACCEL_DIFF_HUNKS_MAGIC ("ADH1" little-endian)
 *     4  u16 version     ACCEL_DIFF_HUNKS_VERSION
 *     6  u16 header_size 64
 *     8  u32 flags       bit 0: inputs were binary, nothing was diffed
 *    12  u32 context     context lines used to group hunks
 *    16  u32 n_edits
 *    20  u32 n_hunks
 *    24  u32 edits_off   byte offset of the edit table (64)
 *    28  u32 hunks_off   byte offset of the hunk table
 *    32  u64 added       lines added (sum of b_count over edits)
 *    40  u64 removed     lines removed (sum of a_count over edits)
 *    48  u32 a_lines     lines in a
 *    52  u32 b_lines     lines in b
 *    56  u64 resv        zero
 *
 *   edit table, n_edits records of 32 bytes, in order: one maximal block
 *   of removed and/or added lines each. Lines are 0-based; a_line is where
 *   the block starts in a (for a pure insertion: the line before which b's
 *   lines go), likewise b_line. Byte ranges point into the inputs.
 *     0  u32 a_line    4 u32 a_count   8 u32 b_line   12 u32 b_count
 *    16  u32 a_off    20 u32 a_len    24 u32 b_off    28 u32 b_len
 *
 *   hunk table, n_hunks records of 32 bytes: the unified-diff hunks, each
 *   a run of edits plus context. Lines 0-based.
 *     0  u32 a_start   4 u32 a_count   8 u32 b_start  12 u32 b_count
 *    16  u32 first_edit  20 u32 n_edits  24 u64 resv (zero)
 *
 * With ACCEL_DIFF_IGNORE_BLANK_LINES, edits that only add or remove blank
 * lines are dropped from both tables unless a hunk of other edits covers
 * them (as git does).
 */
#define ACCEL_DIFF_HUNKS_MAGIC	  0x31484441u /* "ADH1" */
#define ACCEL_DIFF_HUNKS_VERSION  1
#define ACCEL_DIFF_HUNKS_HEADER	  64
#define ACCEL_DIFF_EDIT_SIZE	  32
#define ACCEL_DIFF_HUNK_SIZE	  32
#define ACCEL_DIFF_HUNKS_F_BINARY 1u

/* Result of accel_diff(). Release with accel_diff_result_free(). */
struct accel_diff_result {
	uint8_t *hunks; /* hunk buffer, NULL with ACCEL_DIFF_NO_HUNKS */
	size_t hunks_len;
	char *text;	  /* unified text, NUL-terminated; NULL with NO_TEXT */
	size_t text_len;  /* 0 when the inputs are equal */
	uint64_t added;	  /* lines added */
	uint64_t removed; /* lines removed */
	uint32_t n_hunks;
	uint32_t binary; /* 1: an input is binary and was not diffed */
};

/*
 * Returns 1 when buf looks binary the way git decides it: a NUL byte in the
 * first 8000 bytes. Never allocates.
 */
int accel_diff_is_binary(const char *buf, size_t len);

/*
 * Diffs a against b. Fills *res (zeroed first). Binary inputs (either side)
 * are not diffed unless ACCEL_DIFF_FORCE_TEXT: res->binary is 1, the hunk
 * buffer has the binary flag and no edits, and the text is git's
 * "Binary files a/x and b/y differ\n" line when the inputs differ.
 *
 * Returns 0 on success; -ACCEL_E_DIFF_BAD_OPTS for an unknown algorithm or
 * flag, -ACCEL_E_TOO_LARGE for an input over ACCEL_DIFF_MAX_INPUT, -ENOMEM.
 * On failure *res holds nothing to free.
 */
int accel_diff(const char *a, size_t alen, const char *b, size_t blen,
	       const struct accel_diff_opts *opts,
	       struct accel_diff_result *res);

/* Frees the buffers of a result and zeroes it. Accepts NULL. */
void accel_diff_result_free(struct accel_diff_result *res);

/*
 * Word- and character-level diff of two texts (typically the removed and
 * the added lines of one hunk), for highlighting. Tokens are runs of word
 * characters ([A-Za-z0-9_] and any byte >= 0x80), runs of whitespace and
 * single other bytes (ACCEL_DIFF_WORDS), or UTF-8 code points
 * (ACCEL_DIFF_CHARS). The token sequences are diffed with Myers.
 *
 * The result is one malloc'ed buffer:
 *   header, 16 bytes: u32 magic ACCEL_DIFF_WORDS_MAGIC ("ADW1"),
 *     u32 n (edit records), u32 a_changed_bytes, u32 b_changed_bytes
 *   n records of 16 bytes, in order: u32 a_off, u32 a_len, u32 b_off,
 *     u32 b_len: a range of a replaced by a range of b (one length may be 0).
 * Returns 0 with *out / *out_len set; -ACCEL_E_DIFF_BAD_OPTS,
 * -ACCEL_E_TOO_LARGE or -ENOMEM.
 */
#define ACCEL_DIFF_WORDS       0
#define ACCEL_DIFF_CHARS       1
#define ACCEL_DIFF_WORDS_MAGIC 0x31574441u /* "ADW1" */
int accel_diff_words(const char *a, size_t alen, const char *b, size_t blen,
		     uint32_t mode, uint8_t **out, size_t *out_len);

/*
 * Patches.
 *
 * accel_patch_parse() reads a unified patch (single or multi-file: git's
 * "diff --git" form, plain "---"/"+++" pairs, leading text that is not part
 * of a file section is skipped) into a private representation. It follows
 * GNU patch on the body of a hunk: the "@@ -a,b +c,d @@" counts decide how
 * many lines belong to the hunk; an empty line counts as an empty context
 * line; "\ No newline at end of file" marks the line before it; lines after
 * the counted ones are ignored as trailing garbage. A hunk that ends before
 * its counts are reached, or holds a line that cannot be part of a hunk, is
 * a malformed patch: the call fails with -ACCEL_E_DIFF_PATCH_MALFORMED and
 * err (when non-NULL) names the 1-based line and the reason.
 */
struct accel_patch;

struct accel_patch_error {
	uint32_t line;	   /* 1-based line of the patch, 0 when none */
	char message[120]; /* NUL-terminated reason */
};

int accel_patch_parse(const char *patch, size_t len, struct accel_patch **out,
		      struct accel_patch_error *err);
void accel_patch_destroy(struct accel_patch *p);

/* Number of file sections in a parsed patch (>= 1). */
uint32_t accel_patch_nfiles(const struct accel_patch *p);

/*
 * Paths of file section i as written after "--- " and "+++ " with the
 * timestamp and any a/ b/ prefix removed ("/dev/null" kept). NULL when i is
 * out of range. Valid until accel_patch_destroy().
 */
const char *accel_patch_old_path(const struct accel_patch *p, uint32_t i);
const char *accel_patch_new_path(const struct accel_patch *p, uint32_t i);
uint32_t accel_patch_nhunks(const struct accel_patch *p, uint32_t i);

/* accel_patch_apply_opts.flags */
#define ACCEL_PATCH_REVERSE   (1u << 0) /* apply the patch backwards */
#define ACCEL_PATCH_IGNORE_WS (1u << 1) /* -l: loose whitespace match */
#define ACCEL_PATCH_NO_OFFSET (1u << 2) /* only at the stated line */

struct accel_patch_apply_opts {
	/*
	 * Largest number of context lines that may be ignored at each end of
	 * a hunk that does not match as a whole (GNU patch's --fuzz). < 0
	 * means the default 2.
	 */
	int32_t fuzz;
	uint32_t flags;
};

/* Per-hunk outcome, in the order of the patch. */
enum accel_patch_hunk_status {
	ACCEL_PATCH_HUNK_APPLIED = 0,  /* at the stated line */
	ACCEL_PATCH_HUNK_OFFSET = 1,   /* at another line (offset != 0) */
	ACCEL_PATCH_HUNK_FUZZ = 2,     /* with fuzz (maybe at an offset too) */
	ACCEL_PATCH_HUNK_REJECTED = 3, /* context not found */
	ACCEL_PATCH_HUNK_ALREADY = 4,  /* reversed patch found; not applied */
};

/*
 * One hunk's result, 16 bytes, fixed-width little-endian so that the array
 * can be handed to JavaScript as is.
 */
struct accel_patch_hunk_result {
	uint32_t status; /* enum accel_patch_hunk_status */
	int32_t offset;	 /* lines between stated and actual position */
	uint32_t fuzz;	 /* context lines ignored */
	uint32_t line; /* 1-based line in the output where it went (0 rejected) */
};

struct accel_patch_result {
	char *text; /* the patched text (malloc'ed), also when hunks failed */
	size_t text_len;
	struct accel_patch_hunk_result *hunks; /* malloc'ed, n_hunks entries */
	uint32_t n_hunks;
	uint32_t n_rejected;
};

/*
 * Applies file section `file` of p to text. Each hunk is searched for at its
 * stated line (shifted by the offset of the hunks before it), then at
 * growing distances before and after, then with fuzz 1..opts->fuzz, like
 * GNU patch. Line endings: when the file has CRLF lines and the patch does
 * not (or the other way round) lines match with the CR ignored and added
 * lines take the file's ending.
 *
 * Returns the number of rejected hunks (>= 0; res->text holds the text with
 * the other hunks applied), or -ACCEL_E_BAD_ARG, -ACCEL_E_TOO_LARGE,
 * -ENOMEM. Free res with accel_patch_result_free().
 */
int accel_patch_apply(const struct accel_patch *p, uint32_t file,
		      const char *text, size_t len,
		      const struct accel_patch_apply_opts *opts,
		      struct accel_patch_result *res);
void accel_patch_result_free(struct accel_patch_result *res);

/*
 * Three-way merge like `git merge-file`: the changes from base to ours and
 * from base to theirs are combined; overlapping different changes become
 * conflicts, written between marker lines of marker_size (default 7)
 * characters: "<<<<<<< ours_label", (diff3 style: "||||||| base_label",
 * base lines), "=======", ">>>>>>> theirs_label". Merge style refines
 * conflicts to the lines that really differ and joins conflicts separated
 * by up to three lines (or by lines without letters or digits), as git's
 * default ("zealous alnum") level does; diff3 style keeps whole conflicts.
 */
#define ACCEL_MERGE_STYLE_MERGE	 0
#define ACCEL_MERGE_STYLE_DIFF3	 1
#define ACCEL_MERGE_FAVOR_NONE	 0
#define ACCEL_MERGE_FAVOR_OURS	 1
#define ACCEL_MERGE_FAVOR_THEIRS 2
#define ACCEL_MERGE_FAVOR_UNION	 3

struct accel_merge_opts {
	uint32_t style;	      /* ACCEL_MERGE_STYLE_* */
	uint32_t favor;	      /* ACCEL_MERGE_FAVOR_* */
	uint32_t marker_size; /* 0: 7 */
	uint32_t algorithm;   /* enum accel_diff_algorithm for the two diffs */
	uint32_t flags;	      /* ACCEL_DIFF_IGNORE_* only */
	const char *ours_label; /* NULL: no label after the marker */
	const char *base_label;
	const char *theirs_label;
};

/*
 * Merges. On success returns the number of conflicts (>= 0) and sets *out
 * (malloc'ed, free with accel_free()) and *out_len. Returns
 * -ACCEL_E_DIFF_BAD_OPTS, -ACCEL_E_TOO_LARGE or -ENOMEM.
 */
int accel_merge3(const char *base, size_t base_len, const char *ours,
		 size_t ours_len, const char *theirs, size_t theirs_len,
		 const struct accel_merge_opts *opts, char **out,
		 size_t *out_len);

#endif
