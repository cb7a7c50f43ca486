/* SPDX-License-Identifier: MIT */
/*
 * Snapshots: a round trip gives an index that answers exactly as the
 * original; a corrupt, truncated, foreign or old-format file is a clear
 * error and leaves the index empty, never a crash.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accel_err.h"
#include "fixture.h"
#include "test_file.h"

static void spit(const char *path, const char *b, size_t len)
{
	FILE *f = fopen(path, "wb");

	cr_assert_not_null(f);
	cr_assert_eq(fwrite(b, 1, len, f), len);
	fclose(f);
}

static void assert_empty(struct accel_symbols *idx)
{
	struct accel_symbols_stats st;

	accel_symbols_stats(idx, &st);
	cr_assert_eq(st.symbols, 0);
	cr_assert_eq(st.files, 0);
	cr_assert_eq(st.import_edges, 0);
}

Test(symbols_snapshot, round_trip_and_corruption, .timeout = 120)
{
	struct accel_symbols *idx = fx_ts_index(), *back;
	char path[] = "/tmp/accel-sym-snap-XXXXXX";
	const char *imps[] = { "lib.es5.d.ts", "node.d.ts" };
	static const char *const qs[] = { "gTC", "SyntaxKind", "crtPrgm",
					  "getTypeChekcer", "e" };
	struct accel_symbols_stats a, b;
	char *buf;
	size_t len;
	int fd;

	if (!idx)
		cr_skip_test("node_modules/typescript or ctags missing");
	cr_assert_eq(accel_symbols_imports_set(idx, "typescript.d.ts", 15, imps,
					       NULL, 2),
		     2);
	fd = mkstemp(path);
	close(fd);
	cr_assert_eq(accel_symbols_save(idx, path), 0);
	cr_assert_eq(accel_symbols_create(NULL, &back), 0);
	cr_assert_eq(accel_symbols_load(back, path), 2);
	accel_symbols_stats(idx, &a);
	accel_symbols_stats(back, &b);
	cr_assert_eq(a.symbols, b.symbols);
	cr_assert_eq(a.files, b.files);
	cr_assert_eq(a.names, b.names);
	cr_assert_eq(b.import_edges, 2);
	for (size_t i = 0; i < sizeof(qs) / sizeof(*qs); i++) {
		void *ra = fx_query(idx, qs[i], 30, 0, 0, 0, NULL);
		void *rb = fx_query(back, qs[i], 30, 0, 0, 0, NULL);

		cr_assert_eq(memcmp(ra, rb,
				    ((struct accel_symbols_result_hdr *)ra)
					    ->total_len),
			     0, "%s", qs[i]);
		free(ra);
		free(rb);
	}
	/* Loading into a non-empty index is refused. */
	cr_assert_eq(accel_symbols_load(back, path), -ACCEL_E_BAD_ARG);
	accel_symbols_destroy(back);

	buf = tread(path, &len);
	/* A flipped byte in the body: checksum. */
	buf[len / 2] ^= 0x40;
	spit(path, buf, len);
	accel_symbols_create(NULL, &back);
	cr_assert_eq(accel_symbols_load(back, path), -ACCEL_E_SYM_SNAP_CORRUPT);
	assert_empty(back);
	buf[len / 2] ^= 0x40;
	/* Truncated. */
	spit(path, buf, len - 100);
	cr_assert_eq(accel_symbols_load(back, path), -ACCEL_E_SYM_SNAP_CORRUPT);
	assert_empty(back);
	/* An older (or newer) format version. */
	buf[8] = 0;
	spit(path, buf, len);
	cr_assert_eq(accel_symbols_load(back, path), -ACCEL_E_SYM_SNAP_VERSION);
	buf[8] = 1;
	/* Not a snapshot at all. */
	spit(path,
	     "hello world, not a snapshot at all, just some text....."
	     "..........",
	     66);
	cr_assert_eq(accel_symbols_load(back, path), -ACCEL_E_SYM_SNAP_MAGIC);
	spit(path, "", 0);
	cr_assert_eq(accel_symbols_load(back, path), -ACCEL_E_SYM_SNAP_MAGIC);
	unlink(path);
	cr_assert_eq(accel_symbols_load(back, path), -ENOENT);
	assert_empty(back);
	/* The intact bytes still load (from memory, unaligned too). */
	{
		char *shifted = malloc(len + 1);

		memcpy(shifted + 1, buf, len);
		cr_assert_eq(accel_symbols_load_buf(back, shifted + 1, len), 2);
		free(shifted);
	}
	accel_symbols_stats(back, &b);
	cr_assert_eq(a.symbols, b.symbols);
	free(buf);
	accel_symbols_destroy(back);
	accel_symbols_destroy(idx);
}
