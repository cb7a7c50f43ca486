/* SPDX-License-Identifier: MIT */
/*
 * zstd through accel_context against the zstd library called directly, on
 * the same real corpus, at the same levels; and a trained dictionary against
 * none on ~1 KB chat-like JSON messages.
 *
 *   context_bench [--quick] [--dump DIR]
 *
 * A last section measures the event journal's durable appends with 1, 4 and
 * 16 threads (group commit).
 *
 * The corpus is typescript.js + lib.dom.d.ts from node_modules, then the
 * /usr/share/doc copyright files, up to 10.6 MB. --dump writes it and the
 * messages to DIR (corpus.bin, messages.bin, messages.sizes) so that
 * bench/context_peers.mjs measures Node's gzip and brotli on the very same
 * bytes. Each figure is the best of several runs (least disturbed by the
 * other tenants of a shared VM).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pthread.h>
#include <unistd.h>

#define ZDICT_STATIC_LINKING_ONLY
#include <zdict.h>
#include <zstd.h>

#include "accel_err.h"
#include "context.h"
#include "corpus.h"

#define CORPUS_BYTES (10600u * 1000u)
#define NTRAIN	     10000
#define NTEST	     2000

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *what, long r)
{
	fprintf(stderr, "context_bench: %s: %s\n", what,
		r < 0 ? accel_strerror((int)r) : "failed");
	exit(1);
}

static unsigned char *build_corpus(size_t *len)
{
	static const char *const files[] = { "typescript/lib/typescript.js",
					     "typescript/lib/lib.dom.d.ts" };
	unsigned char *out = malloc(CORPUS_BYTES), *t;
	size_t used = 0, n;

	for (size_t i = 0; i < 2; i++) {
		t = corpus_read(corpus_nm(files[i]), &n);
		if (!t)
			die("node_modules/typescript missing", 0);
		if (n > CORPUS_BYTES - used)
			n = CORPUS_BYTES - used;
		memcpy(out + used, t, n);
		used += n;
		free(t);
	}
	t = corpus_text(CORPUS_BYTES - used, &n);
	if (t) {
		memcpy(out + used, t, n);
		used += n;
		free(t);
	}
	*len = used;
	return out;
}

static int runs = 5;

/* Best wall time of `runs` runs of fn; fn returns its output size. */
#define BEST(var, size_var, expr)                      \
	do {                                           \
		var = UINT64_MAX;                      \
		for (int r_ = 0; r_ < runs; r_++) {    \
			uint64_t t0_ = now_ns();       \
			size_var = (expr);             \
			uint64_t t1_ = now_ns() - t0_; \
			if (t1_ < var)                 \
				var = t1_;             \
		}                                      \
	} while (0)

static double mbs(size_t bytes, uint64_t ns)
{
	return (double)bytes / 1e6 / ((double)ns / 1e9);
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/*
 * Library and wrapper alternate run by run on the same input and the same
 * frame, so that a burst of load from another tenant hits both sides alike;
 * each side keeps its best run.
 */
static void big_corpus(const unsigned char *src, size_t len)
{
	static const int levels[] = { 1, 3, 9 };
	struct accel_context_zstd *z;
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	ZSTD_DCtx *dc = ZSTD_createDCtx();
	size_t cap = ZSTD_compressBound(len);
	unsigned char *c = malloc(cap), *d = malloc(len);

	if (accel_context_zstd_create(NULL, &z) < 0)
		die("zstd_create", -1);
	printf("\n== zstd on %.2f MB of real text (best of %d, alternating) "
	       "==\n",
	       len / 1e6, runs);
	printf("%-6s %-9s %11s %11s %11s %11s %7s\n", "level", "checksum",
	       "lib comp", "accel comp", "lib dec", "accel dec", "ratio");
	for (size_t li = 0; li < sizeof(levels) / sizeof(levels[0]); li++) {
		for (int ck = 0; ck <= 1; ck++) {
			int lv = levels[li];
			uint64_t lc = UINT64_MAX, ac = UINT64_MAX;
			uint64_t ld = UINT64_MAX, ad = UINT64_MAX, t;
			size_t n = 0, m;
			ssize_t r;

			ZSTD_CCtx_reset(cc, ZSTD_reset_session_and_parameters);
			ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, lv);
			ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, ck);
			for (int i = 0; i < runs; i++) {
				t = now_ns();
				n = ZSTD_compress2(cc, c, cap, src, len);
				lc = min_u64(lc, now_ns() - t);
				t = now_ns();
				r = accel_context_zstd_compress(
					z, c, cap, src, len, lv, NULL,
					ck ? 0 : ACCEL_CONTEXT_ZF_NO_CHECKSUM);
				ac = min_u64(ac, now_ns() - t);
				if (r != (ssize_t)n)
					die("wrapper frame size differs", r);
			}
			for (int i = 0; i < runs; i++) {
				t = now_ns();
				m = ZSTD_decompressDCtx(dc, d, len, c, n);
				ld = min_u64(ld, now_ns() - t);
				t = now_ns();
				r = accel_context_zstd_decompress(z, d, len, c,
								  n, NULL);
				ad = min_u64(ad, now_ns() - t);
				if (m != len || r != (ssize_t)len)
					die("round trip", r);
			}
			if (memcmp(d, src, len))
				die("round trip content", 0);
			printf("%-6d %-9s %11.1f %11.1f %11.1f %11.1f %7.3f\n",
			       lv, ck ? "xxh64" : "none", mbs(len, lc),
			       mbs(len, ac), mbs(len, ld), mbs(len, ad),
			       (double)len / n);
		}
	}
	printf("(MB/s of uncompressed bytes; lib = ZSTD_compress2 / "
	       "ZSTD_decompressDCtx on a reused context)\n");
	accel_context_zstd_destroy(z);
	ZSTD_freeCCtx(cc);
	ZSTD_freeDCtx(dc);
	free(c);
	free(d);
}

struct msgset {
	const unsigned char *buf;
	const size_t *sizes;
	unsigned n;
	size_t bytes;
};

/* Compresses every message of s one at a time; returns the total size. */
static size_t msgs_accel(struct accel_context_zstd *z, const struct msgset *s,
			 const struct accel_context_dict *dict,
			 unsigned char *c, size_t cap)
{
	const unsigned char *p = s->buf;
	size_t total = 0;

	for (unsigned i = 0; i < s->n; i++) {
		ssize_t r = accel_context_zstd_compress(
			z, c, cap, p, s->sizes[i], 3, dict,
			ACCEL_CONTEXT_ZF_NO_CHECKSUM);

		if (r < 0)
			die("compress", r);
		total += (size_t)r;
		p += s->sizes[i];
	}
	return total;
}

static size_t msgs_lib(ZSTD_CCtx *cc, const struct msgset *s,
		       const ZSTD_CDict *cd, unsigned char *c, size_t cap)
{
	const unsigned char *p = s->buf;
	size_t total = 0;

	for (unsigned i = 0; i < s->n; i++) {
		size_t r =
			cd ? ZSTD_compress_usingCDict(cc, c, cap, p,
						      s->sizes[i], cd) :
			     ZSTD_compressCCtx(cc, c, cap, p, s->sizes[i], 3);

		total += r;
		p += s->sizes[i];
	}
	return total;
}

static size_t msgs_decode(struct accel_context_zstd *z, const struct msgset *s,
			  const struct accel_context_dict *dict,
			  const unsigned char *frames, const size_t *flen,
			  unsigned char *d)
{
	size_t total = 0;

	for (unsigned i = 0; i < s->n; i++) {
		ssize_t r = accel_context_zstd_decompress(z, d, 8192, frames,
							  flen[i], dict);

		if (r != (ssize_t)s->sizes[i])
			die("decompress", r);
		total += (size_t)r;
		frames += flen[i];
	}
	return total;
}

/* dict_cap 0: accel_context_dict_default_size() of the training bytes. */
static void messages(const unsigned char *buf, const size_t *sizes,
		     size_t dict_cap)
{
	size_t train_bytes = 0;
	unsigned char *dictbuf, c[16384];
	struct accel_context_dict *dict;
	struct accel_context_zstd *z;
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	struct msgset test;
	uint64_t t0, tp, td, tlp, tld, tdec_p, tdec_d;
	size_t plain = 0, withd = 0, lplain = 0, lwithd = 0;
	ssize_t dl;

	for (unsigned i = 0; i < NTRAIN; i++)
		train_bytes += sizes[i];
	if (!dict_cap)
		dict_cap = accel_context_dict_default_size(train_bytes);
	dictbuf = malloc(dict_cap);
	test = (struct msgset){ buf + train_bytes, sizes + NTRAIN, NTEST, 0 };
	for (unsigned i = 0; i < NTEST; i++)
		test.bytes += test.sizes[i];
	if (accel_context_zstd_create(NULL, &z) < 0)
		die("zstd_create", -1);

	t0 = now_ns();
	dl = accel_context_dict_train(dictbuf, dict_cap, buf, sizes, NTRAIN);
	if (dl < 0)
		die("train", dl);
	printf("\n== ~1 KB chat JSON messages: %u held-out (%.2f MB), "
	       "dictionary %zd B trained on %u in %.2f s ==\n",
	       NTEST, test.bytes / 1e6, dl, NTRAIN, (now_ns() - t0) / 1e9);
	if (accel_context_dict_load(dictbuf, (size_t)dl, 3, &dict) < 0)
		die("dict_load", -1);

	BEST(tp, plain, msgs_accel(z, &test, NULL, c, sizeof(c)));
	BEST(td, withd, msgs_accel(z, &test, dict, c, sizeof(c)));
	{
		ZSTD_CDict *cd = ZSTD_createCDict(dictbuf, (size_t)dl, 3);

		BEST(tlp, lplain, msgs_lib(cc, &test, NULL, c, sizeof(c)));
		BEST(tld, lwithd, msgs_lib(cc, &test, cd, c, sizeof(c)));
		ZSTD_freeCDict(cd);
	}
	/* Decode speed: frames of each kind laid out back to back. */
	{
		unsigned char *fp = malloc(plain + 64),
			      *fd = malloc(withd + 64);
		size_t *lp = malloc(NTEST * sizeof(size_t));
		size_t *ld = malloc(NTEST * sizeof(size_t));
		const unsigned char *p = test.buf;
		size_t op = 0, od = 0, x;
		unsigned char d[8192];

		for (unsigned i = 0; i < NTEST; i++) {
			lp[i] = (size_t)accel_context_zstd_compress(
				z, fp + op, plain + 64 - op, p, test.sizes[i],
				3, NULL, ACCEL_CONTEXT_ZF_NO_CHECKSUM);
			ld[i] = (size_t)accel_context_zstd_compress(
				z, fd + od, withd + 64 - od, p, test.sizes[i],
				3, dict, ACCEL_CONTEXT_ZF_NO_CHECKSUM);
			op += lp[i];
			od += ld[i];
			p += test.sizes[i];
		}
		BEST(tdec_p, x, msgs_decode(z, &test, NULL, fp, lp, d));
		BEST(tdec_d, x, msgs_decode(z, &test, dict, fd, ld, d));
		(void)x;
		free(fp);
		free(fd);
		free(lp);
		free(ld);
	}
	printf("%-30s %10s %10s %8s\n", "path (level 3, per message)",
	       "comp MB/s", "dec MB/s", "ratio");
	printf("%-30s %10.1f %10s %8.3f\n", "libzstd, no dictionary",
	       mbs(test.bytes, tlp), "-", (double)test.bytes / lplain);
	printf("%-30s %10.1f %10.1f %8.3f\n", "accel_context, no dictionary",
	       mbs(test.bytes, tp), mbs(test.bytes, tdec_p),
	       (double)test.bytes / plain);
	printf("%-30s %10.1f %10s %8.3f\n", "libzstd, dictionary",
	       mbs(test.bytes, tld), "-", (double)test.bytes / lwithd);
	printf("%-30s %10.1f %10.1f %8.3f\n", "accel_context, dictionary",
	       mbs(test.bytes, td), mbs(test.bytes, tdec_d),
	       (double)test.bytes / withd);
	printf("dictionary ratio gain: %.2fx\n", (double)plain / withd);
	accel_context_dict_destroy(dict);
	accel_context_zstd_destroy(z);
	ZSTD_freeCCtx(cc);
	free(dictbuf);
}

struct jworker {
	struct accel_context_journal *j;
	const unsigned char *src;
	size_t src_len;
	unsigned n, t;
};

static void *jworker_main(void *arg)
{
	struct jworker *w = arg;
	struct accel_context_zstd *z;

	if (accel_context_zstd_create(NULL, &z) < 0)
		die("zstd_create", -1);
	for (unsigned i = 0; i < w->n; i++) {
		/* ~1 KB events taken from the corpus. */
		size_t off = ((size_t)w->t * 1000003 + (size_t)i * 7919) %
			     (w->src_len - 2048);
		uint64_t seq;
		int r = accel_context_journal_append(w->j, z, w->src + off,
						     600 + i % 800, &seq);

		if (r < 0)
			die("append", r);
	}
	accel_context_zstd_destroy(z);
	return NULL;
}

/*
 * Durable appends per second with 1..16 appending threads: every append
 * waits for its fdatasync, and group commit lets concurrent appends share
 * one. Runs in a fresh directory under $TMPDIR (or /tmp); the numbers are
 * those of that file system's fdatasync.
 */
static void journal(const unsigned char *src, size_t len)
{
	static const unsigned threads[] = { 1, 4, 16 };
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";

	printf("\n== event journal: durable appends of ~1 KB events (%s) ==\n",
	       tmp);
	printf("%-8s %10s %12s %16s\n", "threads", "appends", "appends/s",
	       "appends/fdatasync");
	for (size_t k = 0; k < sizeof(threads) / sizeof(threads[0]); k++) {
		struct accel_context_journal_opts o = { .level = 3 };
		struct accel_context_journal_stats s;
		struct accel_context_journal *j;
		struct jworker w[16];
		pthread_t th[16];
		char root[256], cmd[300];
		unsigned nt = threads[k], per = 2400 / nt;
		uint64_t t0, ns;
		int r;

		snprintf(root, sizeof(root), "%s/accel-jbench-XXXXXX", tmp);
		if (!mkdtemp(root))
			die("mkdtemp", 0);
		o.root = root;
		r = accel_context_journal_create(&o, &j);
		if (r < 0)
			die("journal_create", r);
		t0 = now_ns();
		for (unsigned t = 0; t < nt; t++) {
			w[t] = (struct jworker){ j, src, len, per, t };
			pthread_create(&th[t], NULL, jworker_main, &w[t]);
		}
		for (unsigned t = 0; t < nt; t++)
			pthread_join(th[t], NULL);
		ns = now_ns() - t0;
		accel_context_journal_stats(j, &s);
		printf("%-8u %10lu %12.0f %16.2f\n", nt,
		       (unsigned long)s.appends, s.appends / (ns / 1e9),
		       (double)s.appends / (double)s.syncs);
		accel_context_journal_destroy(j);
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", root);
	}
}

static void dump(const char *dir, const unsigned char *corpus, size_t clen,
		 const unsigned char *msgs, const size_t *sizes, size_t mlen)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/corpus.bin", dir);
	f = fopen(path, "wb");
	if (!f || fwrite(corpus, 1, clen, f) != clen)
		die(path, 0);
	fclose(f);
	snprintf(path, sizeof(path), "%s/messages.bin", dir);
	f = fopen(path, "wb");
	if (!f || fwrite(msgs, 1, mlen, f) != mlen)
		die(path, 0);
	fclose(f);
	snprintf(path, sizeof(path), "%s/messages.sizes", dir);
	f = fopen(path, "w");
	if (!f)
		die(path, 0);
	fprintf(f, "%u %u\n", NTRAIN, NTEST);
	for (unsigned i = 0; i < NTRAIN + NTEST; i++)
		fprintf(f, "%zu\n", sizes[i]);
	fclose(f);
}

int main(int argc, char **argv)
{
	static size_t sizes[NTRAIN + NTEST];
	const char *dump_dir = NULL;
	unsigned char *corpus, *msgs;
	size_t clen, mlen;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick"))
			runs = 2;
		else if (!strcmp(argv[i], "--dump") && i + 1 < argc)
			dump_dir = argv[++i];
		else {
			fprintf(stderr, "usage: %s [--quick] [--dump DIR]\n",
				argv[0]);
			return 2;
		}
	}
	corpus = build_corpus(&clen);
	msgs = corpus_messages(NTRAIN + NTEST, sizes, &mlen);
	if (!msgs)
		die("no /usr/share/doc text", 0);
	if (dump_dir) {
		dump(dump_dir, corpus, clen, msgs, sizes, mlen);
		return 0;
	}
	printf("zstd %s, corpus %zu bytes\n", ZSTD_versionString(), clen);
	big_corpus(corpus, clen);
	/* zstd's suggested dictionary size, and the default for the samples. */
	messages(msgs, sizes, 110 * 1024);
	messages(msgs, sizes, 0);
	journal(corpus, clen);
	free(corpus);
	free(msgs);
	return 0;
}
