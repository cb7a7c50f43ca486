/* SPDX-License-Identifier: MIT */
/* zstd wrapper: round trips at several levels, streaming, dictionaries, and
 * that every kind of broken frame gives its own clear error. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <zstd.h>

#include "accel_alloc.h"
#include "accel_err.h"
#include "context.h"
#include "corpus.h"

static struct accel_context_zstd *z;

static void setup(void)
{
	cr_assert_eq(accel_context_zstd_create(NULL, &z), 0);
}

static void teardown(void)
{
	accel_context_zstd_destroy(z);
	z = NULL;
}

TestSuite(context_zstd, .init = setup, .fini = teardown);

static unsigned char *load_dom(size_t *len)
{
	unsigned char *b =
		corpus_read(corpus_nm("typescript/lib/lib.dom.d.ts"), len);

	if (!b)
		cr_skip_test("node_modules/typescript missing (npm ci first)");
	return b;
}

/* Compresses with our wrapper, checks the frame with libzstd itself, and
 * decompresses it again with the wrapper. Returns the frame size. */
static size_t roundtrip(const unsigned char *src, size_t len, int level)
{
	size_t cap = accel_context_zstd_bound(len);
	unsigned char *c = malloc(cap), *d = malloc(len + 1);
	ssize_t n, m;

	n = accel_context_zstd_compress(z, c, cap, src, len, level, NULL, 0);
	cr_assert_gt(n, 0, "level %d: %s", level, accel_strerror((int)n));
	/* Interop: the library's own decoder reads our frame. */
	cr_assert_eq(ZSTD_decompress(d, len + 1, c, (size_t)n), len);
	cr_assert_eq(memcmp(d, src, len), 0);
	memset(d, 0, len);
	m = accel_context_zstd_decompress(z, d, len, c, (size_t)n, NULL);
	cr_assert_eq(m, (ssize_t)len);
	cr_assert_eq(memcmp(d, src, len), 0);
	free(c);
	free(d);
	return (size_t)n;
}

Test(context_zstd, levels_roundtrip_real_file)
{
	size_t len, s1, s3, s19;
	unsigned char *src = load_dom(&len);

	s1 = roundtrip(src, len, 1);
	s3 = roundtrip(src, len, 0);
	roundtrip(src, len, -5);
	/* Level 19 on a 256 KB slice keeps the test quick. */
	s19 = roundtrip(src, 256 * 1024, 19);
	cr_assert_lt(s3, s1, "level 3 (%zu) should beat level 1 (%zu)", s3, s1);
	cr_assert_lt(s19, 256 * 1024 / 4);
	free(src);
}

Test(context_zstd, empty_and_tiny_inputs)
{
	unsigned char c[64], d[8];
	ssize_t n;

	n = accel_context_zstd_compress(z, c, sizeof(c), "", 0, 3, NULL, 0);
	cr_assert_gt(n, 0);
	cr_assert_eq(accel_context_zstd_decompress(z, d, sizeof(d), c,
						   (size_t)n, NULL),
		     0);
	n = accel_context_zstd_compress(z, c, sizeof(c), "x", 1, 3, NULL, 0);
	cr_assert_eq(accel_context_zstd_decompress(z, d, sizeof(d), c,
						   (size_t)n, NULL),
		     1);
	cr_assert_eq(d[0], 'x');
}

Test(context_zstd, library_frames_decode)
{
	size_t len, cap;
	unsigned char *src = load_dom(&len), *c, *d;
	size_t n;

	cap = ZSTD_compressBound(len);
	c = malloc(cap);
	d = malloc(len);
	n = ZSTD_compress(c, cap, src, len, 5);
	cr_assert(!ZSTD_isError(n));
	cr_assert_eq(accel_context_zstd_decompress(z, d, len, c, n, NULL),
		     (ssize_t)len);
	cr_assert_eq(memcmp(d, src, len), 0);
	free(src);
	free(c);
	free(d);
}

Test(context_zstd, bad_arguments)
{
	unsigned char c[128];

	cr_assert_eq(accel_context_zstd_compress(z, c, sizeof(c), "abc", 3, 23,
						 NULL, 0),
		     -ACCEL_E_BAD_ARG);
	cr_assert_eq(accel_context_zstd_compress(z, c, sizeof(c), "abc", 3, 3,
						 NULL, 1u << 7),
		     -ACCEL_E_BAD_ARG);
	cr_assert_eq(accel_context_zstd_compress(z, c, 4, "abc", 3, 3, NULL, 0),
		     -ACCEL_E_ZSTD_DST_SMALL);
}

/* A frame of real text for the corruption tests. */
static unsigned char *frame_of_text(size_t *flen, unsigned char **text,
				    size_t *tlen)
{
	size_t cap;
	unsigned char *c;
	ssize_t n;

	*text = corpus_text(64 * 1024, tlen);
	cr_assert_not_null(*text, "no /usr/share/doc text");
	cap = accel_context_zstd_bound(*tlen);
	c = malloc(cap);
	n = accel_context_zstd_compress(z, c, cap, *text, *tlen, 3, NULL, 0);
	cr_assert_gt(n, 0);
	*flen = (size_t)n;
	return c;
}

Test(context_zstd, corrupt_frames_give_clear_errors)
{
	size_t flen, tlen;
	unsigned char *text, *c = frame_of_text(&flen, &text, &tlen);
	unsigned char *d = malloc(tlen);
	ssize_t r;

	/* Last 4 bytes are the XXH64 content checksum. */
	c[flen - 1] ^= 0x55;
	r = accel_context_zstd_decompress(z, d, tlen, c, flen, NULL);
	cr_assert_eq(r, -ACCEL_E_ZSTD_CHECKSUM, "got %zd", r);
	c[flen - 1] ^= 0x55;

	/* Cut short. */
	r = accel_context_zstd_decompress(z, d, tlen, c, flen - 10, NULL);
	cr_assert_eq(r, -ACCEL_E_ZSTD_TRUNCATED, "got %zd (%s)", r,
		     accel_strerror((int)r));

	/* Not zstd at all. */
	r = accel_context_zstd_decompress(z, d, tlen, text, 1000, NULL);
	cr_assert_eq(r, -ACCEL_E_ZSTD_NOT_FRAME);
	r = accel_context_zstd_decompress(z, d, tlen, c, 0, NULL);
	cr_assert_eq(r, -ACCEL_E_ZSTD_NOT_FRAME);

	/* Output too small. */
	r = accel_context_zstd_decompress(z, d, tlen - 1, c, flen, NULL);
	cr_assert_eq(r, -ACCEL_E_ZSTD_DST_SMALL);

	/*
	 * Flip bytes all over the body: every result must be an error or the
	 * exact original (a flip in a spot zstd does not read), never other
	 * bytes with success.
	 */
	for (size_t i = 20; i < flen - 4; i += 97) {
		c[i] ^= 0xa5;
		r = accel_context_zstd_decompress(z, d, tlen, c, flen, NULL);
		if (r >= 0) {
			cr_assert_eq(r, (ssize_t)tlen);
			cr_assert_eq(memcmp(d, text, tlen), 0, "flip at %zu",
				     i);
		} else {
			cr_assert(r == -ACCEL_E_ZSTD_CORRUPT ||
					  r == -ACCEL_E_ZSTD_CHECKSUM ||
					  r == -ACCEL_E_ZSTD_DST_SMALL ||
					  r == -ACCEL_E_ZSTD_TRUNCATED,
				  "flip at %zu: %s", i, accel_strerror((int)r));
			cr_assert_not_null(accel_errname((int)r));
		}
		c[i] ^= 0xa5;
	}
	free(c);
	free(d);
	free(text);
}

Test(context_zstd, content_size_and_alloc)
{
	size_t flen, tlen;
	unsigned char *text, *c = frame_of_text(&flen, &text, &tlen);
	uint64_t cs = 0;
	void *out = NULL;
	ssize_t r;

	cr_assert_eq(accel_context_zstd_content_size(c, flen, &cs), 1);
	cr_assert_eq(cs, tlen);
	cr_assert_eq(accel_context_zstd_content_size(text, 100, &cs),
		     -ACCEL_E_ZSTD_NOT_FRAME);
	cr_assert_eq(accel_context_zstd_content_size(c, 5, &cs),
		     -ACCEL_E_ZSTD_TRUNCATED);

	r = accel_context_zstd_decompress_alloc(z, c, flen, NULL, 1u << 30,
						&out);
	cr_assert_eq(r, (ssize_t)tlen);
	cr_assert_eq(memcmp(out, text, tlen), 0);
	accel_free(out);

	/* The limit is honoured before anything is allocated. */
	cr_assert_eq(accel_context_zstd_decompress_alloc(z, c, flen, NULL,
							 tlen - 1, &out),
		     -ACCEL_E_ZSTD_TOO_LARGE);
	free(c);
	free(text);
}

/* Streams src through the wrapper in chunk-sized pieces on both sides. */
static size_t stream_compress(const unsigned char *src, size_t len,
			      size_t chunk, unsigned char *dst, size_t cap,
			      uint64_t pledged)
{
	struct accel_context_buf out = { dst, 0, 0 };
	size_t off = 0;
	int r;

	cr_assert_eq(accel_context_zstd_stream_begin(
			     z, ACCEL_CONTEXT_STREAM_COMPRESS, 3, NULL, pledged,
			     0),
		     0);
	for (;;) {
		size_t n = len - off < chunk ? len - off : chunk;
		struct accel_context_buf in = { (void *)(src + off), n, 0 };
		int end = off + n == len;

		do {
			out.size = out.pos + chunk < cap ? out.pos + chunk :
							   cap;
			r = accel_context_zstd_stream_step(z, &in, &out, end);
			cr_assert_geq(r, 0, "%s", accel_strerror(r));
		} while (in.pos < in.size || (end && r > 0));
		off += n;
		if (end)
			break;
	}
	return out.pos;
}

Test(context_zstd, streaming_large_input)
{
	size_t len, flen, cap;
	unsigned char *src =
		corpus_read(corpus_nm("typescript/lib/typescript.js"), &len);
	unsigned char *c, *d;
	uint64_t cs;
	void *out = NULL;
	int r;

	if (!src)
		cr_skip_test("node_modules/typescript missing");
	cap = accel_context_zstd_bound(len);
	c = malloc(cap);
	d = malloc(len);

	/* Unknown size: the frame does not record it. */
	flen = stream_compress(src, len, 64 * 1024, c, cap, UINT64_MAX);
	cr_assert_eq(accel_context_zstd_content_size(c, flen, &cs), 0);
	cr_assert_eq(accel_context_zstd_decompress(z, d, len, c, flen, NULL),
		     (ssize_t)len);
	cr_assert_eq(memcmp(d, src, len), 0);
	cr_assert_eq(accel_context_zstd_decompress_alloc(z, c, flen, NULL,
							 SIZE_MAX, &out),
		     (ssize_t)len);
	cr_assert_eq(memcmp(out, src, len), 0);
	accel_free(out);
	cr_assert_eq(accel_context_zstd_decompress_alloc(z, c, flen, NULL,
							 len / 3, &out),
		     -ACCEL_E_ZSTD_TOO_LARGE);

	/* Decompress as a stream, 4 KB of input and 16 KB of output a step. */
	{
		size_t ip = 0;
		struct accel_context_buf o = { d, 0, 0 };

		cr_assert_eq(accel_context_zstd_stream_begin(
				     z, ACCEL_CONTEXT_STREAM_DECOMPRESS, 0,
				     NULL, UINT64_MAX, 0),
			     0);
		r = 1;
		while (ip < flen || r > 0) {
			size_t n = flen - ip < 4096 ? flen - ip : 4096;
			struct accel_context_buf in = { c + ip, n, 0 };

			o.size = o.pos + 16384 < len ? o.pos + 16384 : len;
			r = accel_context_zstd_stream_step(z, &in, &o, 0);
			cr_assert_geq(r, 0);
			ip += in.pos;
			if (r == 0 && ip == flen)
				break;
		}
		cr_assert_eq(o.pos, len);
		cr_assert_eq(memcmp(d, src, len), 0);
	}

	/* Pledged size: recorded in the header. */
	flen = stream_compress(src, len, 1 << 20, c, cap, len);
	cr_assert_eq(accel_context_zstd_content_size(c, flen, &cs), 1);
	cr_assert_eq(cs, len);
	free(src);
	free(c);
	free(d);
}

Test(context_zstd, concatenated_frames)
{
	size_t tlen;
	unsigned char *text = corpus_text(100000, &tlen), *c, *d;
	size_t cap = accel_context_zstd_bound(tlen) * 2, half = tlen / 2;
	ssize_t a, b;
	void *out;

	cr_assert_not_null(text);
	c = malloc(cap);
	d = malloc(tlen);
	a = accel_context_zstd_compress(z, c, cap, text, half, 3, NULL, 0);
	b = accel_context_zstd_compress(z, c + a, cap - (size_t)a, text + half,
					tlen - half, 1, NULL, 0);
	cr_assert(a > 0 && b > 0);
	cr_assert_eq(accel_context_zstd_decompress(z, d, tlen, c,
						   (size_t)(a + b), NULL),
		     (ssize_t)tlen);
	cr_assert_eq(memcmp(d, text, tlen), 0);
	/* The first frame records only its own size: the alloc path must
	 * notice the second frame and still return everything. */
	cr_assert_eq(accel_context_zstd_decompress_alloc(z, c, (size_t)(a + b),
							 NULL, tlen, &out),
		     (ssize_t)tlen);
	cr_assert_eq(memcmp(out, text, tlen), 0);
	accel_free(out);
	free(text);
	free(c);
	free(d);
}

Test(context_zstd, dictionary_on_chat_messages, .timeout = 120)
{
	enum {
		NTRAIN = 2000,
		NTEST = 300
	};

	size_t sizes[NTRAIN + NTEST], total, off = 0, plain = 0, withd = 0;
	unsigned char *msgs = corpus_messages(NTRAIN + NTEST, sizes, &total);
	unsigned char dictbuf[64 * 1024], c[4096], d[4096];
	struct accel_context_dict *dict;
	ssize_t dl;

	cr_assert_not_null(msgs);
	dl = accel_context_dict_train(dictbuf, sizeof(dictbuf), msgs, sizes,
				      NTRAIN);
	cr_assert_gt(dl, 0, "%s", accel_strerror((int)dl));
	cr_assert_eq(accel_context_dict_load(dictbuf, (size_t)dl, 3, &dict), 0);
	cr_assert_neq(accel_context_dict_id(dict), 0);

	for (unsigned i = 0; i < NTRAIN; i++)
		off += sizes[i];
	/* Held-out messages: not in the training set. */
	for (unsigned i = NTRAIN; i < NTRAIN + NTEST; i++) {
		const unsigned char *m = msgs + off;
		ssize_t p, q;

		p = accel_context_zstd_compress(z, c, sizeof(c), m, sizes[i], 3,
						NULL, 0);
		q = accel_context_zstd_compress(z, c, sizeof(c), m, sizes[i], 3,
						dict, 0);
		cr_assert(p > 0 && q > 0);
		plain += (size_t)p;
		withd += (size_t)q;
		cr_assert_eq(accel_context_zstd_decompress(z, d, sizeof(d), c,
							   (size_t)q, dict),
			     (ssize_t)sizes[i]);
		cr_assert_eq(memcmp(d, m, sizes[i]), 0);
		/* Without the dictionary the frame cannot be read. */
		cr_assert_eq(accel_context_zstd_decompress(z, d, sizeof(d), c,
							   (size_t)q, NULL),
			     -ACCEL_E_ZSTD_DICT_MISMATCH);
		off += sizes[i];
	}
	cr_log_info("held-out chat messages: plain %zu B, dict %zu B", plain,
		    withd);
	cr_assert_lt(withd, plain, "a trained dictionary must help");
	accel_context_dict_destroy(dict);
	free(msgs);
}

/*
 * The default dictionary size follows the samples (an eighth of their
 * bytes, within [4 KiB, 512 KiB]) and, on held-out chat messages, a
 * dictionary of that size compresses better than one of zstd's usual
 * 110 KiB trained on the same samples.
 */
Test(context_zstd, default_dictionary_size, .timeout = 120)
{
	enum {
		NTRAIN = 2500,
		NTEST = 300
	};

	size_t sizes[NTRAIN + NTEST], total, train = 0, cap;
	size_t small = 0, dflt = 0;
	unsigned char *msgs = corpus_messages(NTRAIN + NTEST, sizes, &total);
	unsigned char *dictbuf, c[4096];
	struct accel_context_dict *d110, *dd;
	ssize_t l110, ld;

	cr_assert_eq(accel_context_dict_default_size(0), 4096);
	cr_assert_eq(accel_context_dict_default_size(8 * 4096 - 1), 4096);
	cr_assert_eq(accel_context_dict_default_size(1000000), 125000);
	cr_assert_eq(accel_context_dict_default_size(8u << 20), 512 * 1024);
	cr_assert_eq(accel_context_dict_default_size(SIZE_MAX), 512 * 1024);

	cr_assert_not_null(msgs);
	for (unsigned i = 0; i < NTRAIN; i++)
		train += sizes[i];
	cap = accel_context_dict_default_size(train);
	cr_assert_gt(cap, 110 * 1024, "%zu sample bytes", train);
	dictbuf = malloc(cap);
	l110 = accel_context_dict_train(dictbuf, 110 * 1024, msgs, sizes,
					NTRAIN);
	cr_assert_gt(l110, 0);
	cr_assert_eq(accel_context_dict_load(dictbuf, (size_t)l110, 3, &d110),
		     0);
	ld = accel_context_dict_train(dictbuf, cap, msgs, sizes, NTRAIN);
	cr_assert_gt(ld, 110 * 1024);
	cr_assert_leq((size_t)ld, cap);
	cr_assert_eq(accel_context_dict_load(dictbuf, (size_t)ld, 3, &dd), 0);
	/* Held-out messages: the ones after the training set. */
	for (unsigned i = NTRAIN, off = (unsigned)train; i < NTRAIN + NTEST;
	     off += (unsigned)sizes[i++]) {
		ssize_t a = accel_context_zstd_compress(
			z, c, sizeof(c), msgs + off, sizes[i], 3, d110, 0);
		ssize_t b = accel_context_zstd_compress(
			z, c, sizeof(c), msgs + off, sizes[i], 3, dd, 0);

		cr_assert(a > 0 && b > 0);
		small += (size_t)a;
		dflt += (size_t)b;
	}
	cr_log_info("held-out: 110 KiB dictionary %zu B, default (%zd B) %zu B",
		    small, ld, dflt);
	cr_assert_lt(dflt, small);
	accel_context_dict_destroy(d110);
	accel_context_dict_destroy(dd);
	free(dictbuf);
	free(msgs);
}

Test(context_zstd, dictionary_errors)
{
	static const unsigned char broken[64] = { 0x37, 0xa4, 0x30, 0xec, 1 };
	struct accel_context_dict *d = NULL;
	size_t sz[2] = { 10, 10 };
	unsigned char buf[1024];

	cr_assert_eq(accel_context_dict_load(broken, sizeof(broken), 3, &d),
		     -ACCEL_E_ZSTD_BAD_DICT);
	cr_assert_eq(accel_context_dict_train(buf, sizeof(buf),
					      "aaaaaaaaaabbbbbbbbbb", sz, 2),
		     -ACCEL_E_ZSTD_TRAIN);
	/* A raw-content dictionary (any bytes) is valid, with id 0. */
	cr_assert_eq(accel_context_dict_load("some shared prefix text", 23, 0,
					     &d),
		     0);
	cr_assert_eq(accel_context_dict_id(d), 0);
	accel_context_dict_destroy(d);
	accel_context_dict_destroy(NULL);
}
