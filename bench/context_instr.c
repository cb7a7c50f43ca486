/* SPDX-License-Identifier: MIT */
/*
 * Instruction counts, not seconds: the wrapper against libzstd on the same
 * inputs, for a shared machine where timings are noisy. Run under callgrind
 * and compare the inclusive counts of the four functions:
 *
 *   valgrind --tool=callgrind --callgrind-out-file=cg.out \
 *	build/bench/context_instr
 *   callgrind_annotate --inclusive=yes cg.out | grep -E 'big_|msgs_'
 *
 * big_*: lib.dom.d.ts (1.3 MB) compressed at level 3 and decompressed;
 * msgs_*: 2,000 ~1 KB chat JSON messages one at a time. Each runs twice
 * after a warm-up of both contexts, so table allocation is not counted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "context.h"
#include "corpus.h"

static unsigned char *src, *dst, *out, *msgs;
static size_t len, cap, sizes[2000], total;
static ZSTD_CCtx *cc;
static ZSTD_DCtx *dc;
static struct accel_context_zstd *z;

__attribute__((noinline)) static void big_lib(void)
{
	size_t n = ZSTD_compressCCtx(cc, dst, cap, src, len, 3);

	ZSTD_decompressDCtx(dc, out, len, dst, n);
}

__attribute__((noinline)) static void big_accel(void)
{
	ssize_t n = accel_context_zstd_compress(z, dst, cap, src, len, 3, NULL,
						ACCEL_CONTEXT_ZF_NO_CHECKSUM);

	accel_context_zstd_decompress(z, out, len, dst, (size_t)n, NULL);
}

__attribute__((noinline)) static void msgs_lib(void)
{
	size_t o = 0;

	for (int i = 0; i < 2000; i++) {
		size_t n =
			ZSTD_compressCCtx(cc, dst, cap, msgs + o, sizes[i], 3);

		ZSTD_decompressDCtx(dc, out, 8192, dst, n);
		o += sizes[i];
	}
}

__attribute__((noinline)) static void msgs_accel(void)
{
	size_t o = 0;

	for (int i = 0; i < 2000; i++) {
		ssize_t n = accel_context_zstd_compress(
			z, dst, cap, msgs + o, sizes[i], 3, NULL,
			ACCEL_CONTEXT_ZF_NO_CHECKSUM);

		accel_context_zstd_decompress(z, out, 8192, dst, (size_t)n,
					      NULL);
		o += sizes[i];
	}
}

int main(void)
{
	src = corpus_read(corpus_nm("typescript/lib/lib.dom.d.ts"), &len);
	msgs = corpus_messages(2000, sizes, &total);
	if (!src || !msgs) {
		fprintf(stderr, "context_instr: corpus missing\n");
		return 1;
	}
	cap = ZSTD_compressBound(len);
	dst = malloc(cap);
	out = malloc(len);
	cc = ZSTD_createCCtx();
	dc = ZSTD_createDCtx();
	if (accel_context_zstd_create(NULL, &z) < 0)
		return 1;
	for (int r = 0; r < 3; r++) {
		big_lib();
		big_accel();
		msgs_lib();
		msgs_accel();
	}
	printf("done\n");
	return 0;
}
