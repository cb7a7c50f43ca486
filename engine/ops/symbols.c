/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "accel_err.h"
#include "op.h"
#include "symbols.h"

/*
 * symbols: the per-session symbol index and import graph (symbols/symbols.h,
 * docs/symbols.md). One op, the command in arg[0] bits 0-7:
 *
 *  1 UPSERT         in: an upsert buffer. res: symbols held for the file.
 *  2 REMOVE         in: path. arg[1] bit 0: also drop its imports.
 *                   res: 1 removed, 0 unknown (a no-op).
 *  3 QUERY          in: query text ‖ path prefix.
 *  4 QUERY_FILES    arg[1]: limit (bits 0-15) | mode (16-19) | case (20-23)
 *                   | flags (24-31) | path prefix length (32-63);
 *                   arg[2]: kind mask. Result: the query result layout;
 *                   res = its length.
 *  5 STATS          result: struct accel_symbols_stats (7 x u64); res = 56.
 *  6 IMPORTS_SET    in: u32 file_len, u32 n, file, n x (u32 len, bytes).
 *                   res: distinct imports.
 *  7 IMPORTS_QUERY  in: file. arg[1]: which (bits 0-7) | depth (8-31).
 *                   Result: the imports result layout; res = its length.
 *  8 SAVE / 9 LOAD  in: snapshot path. res: 0 / files loaded.
 * 10 INDEX          in: workspace root. Progress completions carry files
 *                   done / total. Result: struct accel_symbols_ws_result
 *                   (nine u64, the last three the sandbox ctags ran
 *                   under).
 *
 * Input is copied out of the mapping (ACCEL_OPF_COPY_IN): the upsert
 * validator reads offsets twice. Errors: -ACCEL_E_BAD_REQUEST for a bad
 * command or lengths that do not add up, then whatever the library returns.
 */

enum {
	CMD_UPSERT = 1,
	CMD_REMOVE,
	CMD_QUERY,
	CMD_QUERY_FILES,
	CMD_STATS,
	CMD_IMPORTS_SET,
	CMD_IMPORTS_QUERY,
	CMD_SAVE,
	CMD_LOAD,
	CMD_INDEX,
};

/* A NUL-terminated private copy of the input (paths for save/load/index). */
static char *in_path(const struct accel_op_req *req)
{
	if (!req->in_len || req->in_len > 4096 ||
	    memchr(req->in, 0, req->in_len))
		return NULL;
	return strndup((const char *)req->in, req->in_len);
}

/*
 * Runs a sizing function into the result arena: a first guess, then the
 * exact size the library asked for. The index may grow in between, so a
 * few retries.
 */
static int into_result(struct accel_op_ctx *ctx,
		       int (*fn)(void *arg, void *out, size_t cap,
				 size_t *needed),
		       void *arg, size_t guess)
{
	size_t need = guess;

	for (int tries = 0; tries < 4; tries++) {
		void *out = accel_op_result(ctx, need);
		int ret;

		if (!out)
			return -ACCEL_E_NO_SPACE;
		ret = fn(arg, out, need, &need);
		if (ret >= 0) {
			accel_op_result_trim(ctx, (size_t)ret);
			return ret;
		}
		if (ret != -ACCEL_E_NO_SPACE)
			return ret;
	}
	return -ACCEL_E_NO_SPACE;
}

struct query_arg {
	struct accel_symbols *idx;
	struct accel_symbols_query q;
	int files;
};

static int do_query(void *a, void *out, size_t cap, size_t *needed)
{
	struct query_arg *qa = a;

	return qa->files ?
		       accel_symbols_query_files(qa->idx, &qa->q, out, cap,
						 needed) :
		       accel_symbols_query(qa->idx, &qa->q, out, cap, needed);
}

struct imports_arg {
	struct accel_symbols *idx;
	const char *file;
	size_t len;
	unsigned which, depth;
};

static int do_imports(void *a, void *out, size_t cap, size_t *needed)
{
	struct imports_arg *ia = a;

	return accel_symbols_imports_query(ia->idx, ia->file, ia->len,
					   ia->which, ia->depth, out, cap,
					   needed);
}

static int imports_set(struct accel_symbols *idx,
		       const struct accel_op_req *req)
{
	const uint8_t *p = req->in;
	uint32_t flen, n;
	uint64_t off;
	const char **v;
	uint32_t *lens;
	int ret;

	if (req->in_len < 8)
		return -ACCEL_E_BAD_REQUEST;
	memcpy(&flen, p, 4);
	memcpy(&n, p + 4, 4);
	if (flen > req->in_len - 8 || n > (req->in_len - 8 - flen) / 4)
		return -ACCEL_E_BAD_REQUEST;
	v = calloc(n ? n : 1, sizeof(*v));
	lens = calloc(n ? n : 1, sizeof(*lens));
	if (!v || !lens) {
		ret = -ENOMEM;
		goto out;
	}
	off = 8 + (uint64_t)flen;
	for (uint32_t i = 0; i < n; i++) {
		if (req->in_len - off < 4) {
			ret = -ACCEL_E_BAD_REQUEST;
			goto out;
		}
		memcpy(&lens[i], p + off, 4);
		off += 4;
		if (lens[i] > req->in_len - off) {
			ret = -ACCEL_E_BAD_REQUEST;
			goto out;
		}
		v[i] = (const char *)p + off;
		off += lens[i];
	}
	ret = off == req->in_len ?
		      accel_symbols_imports_set(idx, (const char *)p + 8, flen,
						v, lens, n) :
		      -ACCEL_E_BAD_REQUEST;
out:
	free(v);
	free(lens);
	return ret;
}

static void on_progress(void *arg, uint64_t done, uint64_t total)
{
	/* Lossy by design: a dropped progress completion is harmless. */
	accel_op_progress(arg, done, total, NULL, 0);
}

static int symbols_run(struct accel_op_ctx *ctx, const struct accel_op_req *req)
{
	struct accel_symbols *idx = accel_op_session_state(ctx);
	unsigned cmd = (unsigned)(req->arg[0] & 0xff);
	char *path = NULL;
	int ret;

	if (!idx)
		return -ENOMEM;
	switch (cmd) {
	case CMD_UPSERT:
		return accel_symbols_upsert(idx, req->in, req->in_len);
	case CMD_REMOVE:
		ret = accel_symbols_remove(idx, (const char *)req->in,
					   req->in_len);
		if (ret >= 0 && (req->arg[1] & 1))
			accel_symbols_imports_remove(idx, (const char *)req->in,
						     req->in_len);
		return ret;
	case CMD_QUERY:
	case CMD_QUERY_FILES: {
		struct query_arg qa = { .idx = idx,
					.files = cmd == CMD_QUERY_FILES };
		uint64_t plen = req->arg[1] >> 32;

		if (plen > req->in_len)
			return -ACCEL_E_BAD_REQUEST;
		qa.q.text = (const char *)req->in;
		qa.q.text_len = (uint32_t)(req->in_len - plen);
		qa.q.path_prefix = (const char *)req->in + qa.q.text_len;
		qa.q.path_prefix_len = (uint32_t)plen;
		qa.q.limit = (uint32_t)(req->arg[1] & 0xffff);
		qa.q.mode = (uint32_t)(req->arg[1] >> 16) & 0xf;
		qa.q.case_mode = (uint32_t)(req->arg[1] >> 20) & 0xf;
		qa.q.flags = (uint32_t)(req->arg[1] >> 24) & 0xff;
		qa.q.kinds = (uint32_t)req->arg[2];
		return into_result(ctx, do_query, &qa,
				   32 + (size_t)(qa.q.limit ? qa.q.limit : 20) *
						   (64 + 160));
	}
	case CMD_STATS: {
		struct accel_symbols_stats st;

		accel_symbols_stats(idx, &st);
		ret = accel_op_result_copy(ctx, &st, sizeof(st));
		return ret ? ret : (int)sizeof(st);
	}
	case CMD_IMPORTS_SET:
		return imports_set(idx, req);
	case CMD_IMPORTS_QUERY: {
		struct imports_arg ia = {
			.idx = idx,
			.file = (const char *)req->in,
			.len = req->in_len,
			.which = (unsigned)(req->arg[1] & 0xff),
			.depth = (unsigned)(req->arg[1] >> 8) & 0xffffff,
		};

		return into_result(ctx, do_imports, &ia, 4096);
	}
	case CMD_SAVE:
	case CMD_LOAD:
	case CMD_INDEX:
		path = in_path(req);
		if (!path)
			return -ACCEL_E_BAD_REQUEST;
		if (cmd == CMD_SAVE) {
			ret = accel_symbols_save(idx, path);
		} else if (cmd == CMD_LOAD) {
			ret = accel_symbols_load(idx, path);
		} else {
			struct accel_symbols_ws_opts o = {
				.root = path,
				.ring = accel_op_uring(ctx),
				.progress = on_progress,
				.progress_arg = ctx,
			};
			struct accel_symbols_ws_result r;

			ret = accel_symbols_index_workspace(idx, &o, &r);
			if (!ret)
				ret = accel_op_result_copy(ctx, &r, sizeof(r));
			if (!ret)
				ret = (int)sizeof(r);
		}
		free(path);
		return ret;
	default:
		return -ACCEL_E_BAD_REQUEST;
	}
}

static int symbols_session_init(void **state)
{
	return accel_symbols_create(NULL, (struct accel_symbols **)state);
}

static void symbols_session_fini(void *state)
{
	accel_symbols_destroy(state);
}

/*
 * Queries and updates are short and synchronous on hot paths (keep-up calls
 * them on every LLM turn): inline up to 256 KiB of input. Workspace
 * indexing, snapshots and big upserts go to the pool.
 */
const struct accel_op_desc accel_op_symbols = {
	.name = "symbols",
	.flags = ACCEL_OPF_COPY_IN,
	.inline_max = 256 << 10,
	.run = symbols_run,
	.session_init = symbols_session_init,
	.session_fini = symbols_session_fini,
};
