/* SPDX-License-Identifier: MIT */
/*
 * Workspace indexing: .gitignore rules (patterns, directories, anchors,
 * negation), ctags extraction of real files, unchanged files skipped by
 * content hash, vanished files removed, progress reported.
 */
#include <criterion/criterion.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "accel_err.h"
#include "fixture.h"

static void put(const char *dir, const char *rel, const char *text)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	f = fopen(p, "w");
	cr_assert_not_null(f, "%s", p);
	fputs(text, f);
	fclose(f);
}

static void cp_real(const char *dir, const char *rel, const char *src)
{
	char from[512], cmd[1200];

	snprintf(from, sizeof(from), "%s/%s", ACCEL_SOURCE_DIR, src);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s/%s'", from, dir, rel);
	cr_assert_eq(system(cmd), 0);
}

struct prog {
	uint64_t calls, done, total;
};

static void on_progress(void *arg, uint64_t done, uint64_t total)
{
	struct prog *p = arg;

	cr_assert_leq(done, total);
	cr_assert_geq(done, p->done);
	p->calls++;
	p->done = done;
	p->total = total;
}

static int known(struct accel_symbols *idx, const char *dir, const char *rel)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	return accel_symbols_file_hash(idx, p, strlen(p), NULL);
}

Test(symbols_workspace, gitignore_hash_skip_and_removal, .timeout = 120)
{
	char dir[] = "/tmp/accel-sym-ws-XXXXXX", sub[600];
	struct accel_symbols *idx;
	struct accel_symbols_ws_opts o = { 0 };
	struct accel_symbols_ws_result r;
	struct prog pr = { 0 };
	void *res;

	if (access("/usr/bin/ctags", X_OK))
		cr_skip_test("universal-ctags missing");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/src", dir);
	mkdir(sub, 0755);
	snprintf(sub, sizeof(sub), "%s/build", dir);
	mkdir(sub, 0755);
	snprintf(sub, sizeof(sub), "%s/src/gen", dir);
	mkdir(sub, 0755);
	cp_real(dir, "src/lodash.js", "node_modules/lodash/debounce.js");
	cp_real(dir, "src/diff.js", "node_modules/diff/dist/diff.js");
	put(dir, "src/keep.log", "function keptLogFunction() {}\n");
	put(dir, "src/drop.log", "function droppedLogFunction() {}\n");
	put(dir, "build/out.js", "function builtOutputFunction() {}\n");
	put(dir, "src/gen/x.js", "function generatedFunction() {}\n");
	put(dir, "src/bin.js", "function binary\0File() {}\n");
	put(dir, ".gitignore", "# generated\n*.log\n!keep.log\nbuild/\n");
	put(dir, "src/.gitignore", "/gen\n");

	cr_assert_eq(accel_symbols_create(NULL, &idx), 0);
	o.root = dir;
	o.progress = on_progress;
	o.progress_arg = &pr;
	cr_assert_eq(accel_symbols_index_workspace(idx, &o, &r), 0);
	/* lodash.js, diff.js, keep.log (ctags skips .log), bin.js and the
	 * two .gitignore files are candidates; build/, gen/ and drop.log
	 * are ignored. */
	cr_assert_eq(known(idx, dir, "src/lodash.js"), 1);
	cr_assert_eq(known(idx, dir, "src/diff.js"), 1);
	cr_assert_eq(known(idx, dir, "src/drop.log"), 0);
	cr_assert_eq(known(idx, dir, "build/out.js"), 0);
	cr_assert_eq(known(idx, dir, "src/gen/x.js"), 0);
	cr_assert_gt(r.symbols, 100);
	cr_assert_eq(pr.done, pr.total);
	cr_assert_eq(pr.total, r.files_seen);
	cr_assert_gt(pr.calls, 0);
	res = fx_query(idx, "debounce", 5, ACCEL_SYMBOLS_MODE_EXACT, 0, 0,
		       NULL);
	cr_assert_str_eq(fx_name(res, 0), "debounce");
	cr_assert_gt(accel_symbols_result_hit(res, 0)->line, 0);
	cr_assert_gt(accel_symbols_result_hit(res, 0)->col, 0);
	free(res);

	/* Nothing changed: every file is skipped by its hash. */
	pr.done = 0;
	cr_assert_eq(accel_symbols_index_workspace(idx, &o, &r), 0);
	cr_assert_eq(r.files_indexed, 0);
	cr_assert_gt(r.files_unchanged, 1);

	/* One edit, one removal. */
	put(dir, "src/diff.js", "function replacementOnly() { return 1; }\n");
	snprintf(sub, sizeof(sub), "%s/src/lodash.js", dir);
	unlink(sub);
	pr.done = 0;
	cr_assert_eq(accel_symbols_index_workspace(idx, &o, &r), 0);
	cr_assert_eq(r.files_indexed, 1);
	cr_assert_eq(r.files_removed, 1);
	cr_assert_eq(known(idx, dir, "src/lodash.js"), 0);
	res = fx_query(idx, "replacementOnly", 5, 0, 0, 0, NULL);
	cr_assert_str_eq(fx_name(res, 0), "replacementOnly");
	free(res);
	res = fx_query(idx, "debounce", 5, ACCEL_SYMBOLS_MODE_EXACT, 0, 0,
		       NULL);
	cr_assert_eq(((struct accel_symbols_result_hdr *)res)->count, 0);
	free(res);

	/* A missing ctags is a clear error. */
	put(dir, "src/new.js", "function brandNew() {}\n");
	o.ctags = "/nonexistent/ctags";
	pr.done = 0;
	cr_assert_eq(accel_symbols_index_workspace(idx, &o, &r),
		     -ACCEL_E_SYM_CTAGS);
	accel_symbols_destroy(idx);
	snprintf(sub, sizeof(sub), "rm -rf '%s'", dir);
	cr_assert_eq(system(sub), 0);
}

/* Reads through an io_uring give the same index as plain reads. */
Test(symbols_workspace, io_uring_reads_equal_plain_reads, .timeout = 120)
{
	struct accel_symbols *a, *b;
	struct accel_symbols_ws_opts o = { 0 };
	struct accel_symbols_ws_result ra, rb;
	struct accel_symbols_stats sa, sb;
	struct io_uring ring;
	const char *dir = fx_ts_dir();

	if (access("/usr/bin/ctags", X_OK) || !dir)
		cr_skip_test("universal-ctags or node_modules missing");
	if (io_uring_queue_init(64, &ring, 0))
		cr_skip_test("io_uring unavailable");
	cr_assert_eq(accel_symbols_create(NULL, &a), 0);
	cr_assert_eq(accel_symbols_create(NULL, &b), 0);
	o.root = dir;
	cr_assert_eq(accel_symbols_index_workspace(a, &o, &ra), 0);
	o.ring = &ring;
	cr_assert_eq(accel_symbols_index_workspace(b, &o, &rb), 0);
	cr_assert_eq(ra.files_indexed, rb.files_indexed);
	cr_assert_eq(ra.symbols, rb.symbols);
	cr_assert_eq(rb.errors, 0);
	accel_symbols_stats(a, &sa);
	accel_symbols_stats(b, &sb);
	cr_assert_eq(sa.symbols, sb.symbols);
	cr_assert_eq(sa.names, sb.names);
	/* Same content hashes: the second pass through the ring skips all. */
	cr_assert_eq(accel_symbols_index_workspace(b, &o, &rb), 0);
	cr_assert_eq(rb.files_indexed, 0);
	cr_assert_eq(rb.files_unchanged, ra.files_indexed);
	io_uring_queue_exit(&ring);
	accel_symbols_destroy(a);
	accel_symbols_destroy(b);
}
