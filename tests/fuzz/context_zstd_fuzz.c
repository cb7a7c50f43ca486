/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the zstd wrapper's decoders. Arbitrary bytes must never
 * crash, read or write out of bounds, or allocate beyond the limit given;
 * the one-shot, allocating and streaming decoders must agree; and what the
 * wrapper compresses must come back unchanged.
 *
 * Byte 0 picks options: bit 0 decode with the built-in raw dictionary, bits
 * 1-3 the streaming step size. The rest is the frame.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "accel_alloc.h"
#include "accel_err.h"
#include "context.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OUT_CAP (256 * 1024)

static struct accel_context_zstd *z;
static struct accel_context_dict *dict;
static unsigned char *out, *out2;

static void init(void)
{
	static const char d[] =
		"{\"id\":\"msg_000000\",\"role\":\"assistant\",\"turn\":0,"
		"\"content\":\"Permission is hereby granted, free of charge, "
		"to any person obtaining a copy of this software\"}";

	if (accel_context_zstd_create(NULL, &z) < 0 ||
	    accel_context_dict_load(d, sizeof(d) - 1, 3, &dict) < 0)
		abort();
	out = malloc(OUT_CAP);
	out2 = malloc(OUT_CAP);
	if (!out || !out2)
		abort();
}

/* Streams src through the decoder in `step`-byte pieces. */
static ssize_t stream(const uint8_t *src, size_t len, size_t step,
		      const struct accel_context_dict *d)
{
	struct accel_context_buf o = { out2, OUT_CAP, 0 };
	size_t ip = 0;
	int r = 1;

	if (accel_context_zstd_stream_begin(z, ACCEL_CONTEXT_STREAM_DECOMPRESS,
					    0, d, UINT64_MAX, 0) < 0)
		abort();
	while (ip < len) {
		size_t n = len - ip < step ? len - ip : step;
		struct accel_context_buf in = { (void *)(src + ip), n, 0 };

		r = accel_context_zstd_stream_step(z, &in, &o, 0);
		if (r < 0)
			return r;
		ip += in.pos;
		if (o.pos == OUT_CAP)
			return -ACCEL_E_ZSTD_DST_SMALL;
	}
	return r == 0 ? (ssize_t)o.pos : -ACCEL_E_ZSTD_TRUNCATED;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct accel_context_dict *d;
	ssize_t one, all, st;
	uint64_t cs;
	void *buf = NULL;

	if (!z)
		init();
	if (size < 1)
		return 0;
	d = (data[0] & 1) ? dict : NULL;
	data++;
	size--;

	one = accel_context_zstd_decompress(z, out, OUT_CAP, data, size, d);
	(void)accel_context_zstd_content_size(data, size, &cs);
	all = accel_context_zstd_decompress_alloc(z, data, size, d, OUT_CAP,
						  &buf);
	if (one >= 0) {
		/* Whatever one call accepts, the others return identically. */
		if (all != one || memcmp(buf, out, (size_t)one))
			abort();
		st = stream(data, size, 1 + ((data[-1] >> 1) & 7) * 97, d);
		if (st >= 0 && (st != one || memcmp(out2, out, (size_t)one)))
			abort();
	} else if (one != -ACCEL_E_ZSTD_DST_SMALL && all >= 0) {
		abort();
	}
	if (all >= 0)
		accel_free(buf);

	/* Round trip of the raw bytes through the compressor. */
	if (size <= OUT_CAP / 2) {
		size_t cap = accel_context_zstd_bound(size);
		unsigned char *c = malloc(cap);
		ssize_t n = accel_context_zstd_compress(z, c, cap, data, size,
							1, d, 0);

		if (n < 0 ||
		    accel_context_zstd_decompress(z, out, OUT_CAP, c, (size_t)n,
						  d) != (ssize_t)size ||
		    memcmp(out, data, size))
			abort();
		free(c);
	}
	return 0;
}
