/* SPDX-License-Identifier: MIT */
/*
 * tokens_bench: in-process tokenizer throughput on real files.
 *
 * usage: tokens_bench DATA_DIR FILE... [--repeat N] [--split KIB]
 *                     [--encoding NAME] [--count-only [--warm]] [--no-shared]
 *   DATA_DIR holds cl100k_base.tiktoken and o200k_base.tiktoken
 *   (scripts/tokenizer-data.sh). A FILE may be a parity corpus written by
 *   tests/tokenizer/oracle.mjs ("TOKORCL1"): its documents are used. For
 *   each encoding prints load time, count and encode MB/s with one call per
 *   document (best of N runs), then the pathological inputs: 1 MB of one
 *   repeated character, of spaces, of newlines mixed with spaces, and of
 *   one CJK character. --split cuts each plain file into documents of
 *   KIB KiB (at a UTF-8 character boundary), as bench/tokens_node.mjs does
 *   with 64 KiB; --encoding runs one encoding; --count-only runs only the
 *   corpus count with a cold cache (for callgrind
 *   --toggle-collect=accel_tokenizer_count), or with --warm all runs in the
 *   calling thread (callgrind --dump-before=one_pass: the second dump is
 *   a warm pass).
 *   Count runs twice: each run in a new thread (the per-thread level of
 *   the cache of merged pieces starts empty: "cold"; the process-wide
 *   level keeps what earlier runs put there), then all in one thread
 *   ("warm"). --no-shared turns the process-wide level off, so that every
 *   cold run starts from nothing. After each count the last run's cache
 *   lookups are printed (hits per level, misses = merges of cached sizes).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "accel_alloc.h"
#include "accel_err.h"
#include "tok_int.h"
#include "tokenizer.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Documents: [start, end) offsets into the text. */
static size_t *doc_off;
static size_t n_docs;

static void add_doc(size_t start)
{
	doc_off = realloc(doc_off, (n_docs + 2) * sizeof(*doc_off));
	if (!doc_off)
		exit(1);
	doc_off[n_docs++] = start;
}

static uint32_t rd32(const char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/*
 * Keeps only the document texts of a parity corpus file held in
 * buf[base, *len): the names and oracle id lists are dropped.
 */
static void corpus_docs(char *buf, size_t base, size_t *len)
{
	size_t off = base + 12, o = base, end = *len;
	uint32_t n = rd32(buf + base + 8);

	for (uint32_t d = 0; d < n && off + 8 <= end; d++) {
		uint32_t tl;

		off += 4 + rd32(buf + off);
		tl = rd32(buf + off);
		off += 4;
		add_doc(o);
		memmove(buf + o, buf + off, tl);
		o += tl;
		off += tl;
		for (int k = 0; k < 8; k++) {
			uint32_t c = rd32(buf + off);

			off += 4 + (c == UINT32_MAX ? 0 : (size_t)c * 4);
		}
	}
	*len = o;
}

/* Documents of plain files: 0 keeps a file whole. */
static size_t split_bytes;

/* Adds the documents of the plain text buf[start, end). */
static void add_plain(const char *buf, size_t start, size_t end)
{
	size_t d = start;

	while (d < end) {
		size_t e = split_bytes && end - d > split_bytes ?
				   d + split_bytes :
				   end;

		/* Never cut inside a UTF-8 sequence. */
		while (e < end && ((unsigned char)buf[e] & 0xc0) == 0x80)
			e++;
		add_doc(d);
		d = e;
	}
}

static char *slurp(const char *path, char *buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	long n;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET)) {
		fprintf(stderr, "tokens_bench: cannot read %s\n", path);
		exit(1);
	}
	buf = realloc(buf, *len + (size_t)n + 1);
	if (!buf || fread(buf + *len, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "tokens_bench: cannot read %s\n", path);
		exit(1);
	}
	fclose(f);
	if (n >= 12 && !memcmp(buf + *len, "TOKORCL1", 8)) {
		size_t end = *len + (size_t)n;

		corpus_docs(buf, *len, &end);
		*len = end;
	} else {
		add_plain(buf, *len, *len + (size_t)n);
		*len += (size_t)n;
	}
	return buf;
}

/* One pass over the text (or its documents); returns the seconds taken. */
struct pass {
	const struct accel_tokenizer *tok;
	const char *s;
	size_t n;
	int docs;
	struct accel_tokenizer_ids *ids; /* NULL: count */
	uint64_t tokens;
	double secs;
	struct accel__tok_cache_stats st0, st1; /* before, after */
};

/* The cache lookups of the last timed() run. */
static struct accel__tok_cache_stats last0, last1;

static void print_cache(void)
{
	printf("         cache: %llu local hits, %llu shared hits, %llu "
	       "misses; shared level %llu records, %.2f MB\n",
	       (unsigned long long)(last1.local_hits - last0.local_hits),
	       (unsigned long long)(last1.shared_hits - last0.shared_hits),
	       (unsigned long long)(last1.misses - last0.misses),
	       (unsigned long long)last1.shared_records,
	       last1.shared_bytes / 1e6);
}

static void *one_pass(void *arg)
{
	struct pass *p = arg;
	struct accel_tokenizer_mode m = { 0 };
	double t0 = now();
	int ret = 0;

	p->tokens = 0;
	if (p->ids)
		p->ids->len = 0;
	accel__tok_cache_stats(&p->st0);
	for (size_t d = 0; d < (p->docs ? n_docs : 1) && ret >= 0; d++) {
		size_t a = p->docs ? doc_off[d] : 0;
		size_t b = p->docs ? doc_off[d + 1] : p->n;
		uint64_t c = 0;

		if (p->ids)
			ret = accel_tokenizer_encode(p->tok, p->s + a, b - a,
						     &m, p->ids);
		else
			ret = accel_tokenizer_count(p->tok, p->s + a, b - a, &m,
						    &c);
		p->tokens += c;
	}
	if (p->ids)
		p->tokens = p->ids->len;
	if (ret < 0) {
		fprintf(stderr, "tokens_bench: %s\n", accel_strerror(ret));
		exit(1);
	}
	p->secs = now() - t0;
	accel__tok_cache_stats(&p->st1);
	return NULL;
}

/*
 * Best time of `repeat` runs of count (encode when ids is not NULL). The
 * tokenizer keeps a per-thread cache of merged pieces: warm runs reuse the
 * calling thread's, each cold run starts in a new thread with an empty one.
 */
static double timed(const struct accel_tokenizer *tok, const char *s, size_t n,
		    int docs, struct accel_tokenizer_ids *ids, int repeat,
		    int cold, uint64_t *tokens)
{
	struct pass p = { .tok = tok, .s = s, .n = n, .docs = docs, .ids = ids };
	double best = 1e30;

	for (int r = 0; r < repeat; r++) {
		pthread_t th;

		if (!cold)
			one_pass(&p);
		else if (pthread_create(&th, NULL, one_pass, &p) ||
			 pthread_join(th, NULL))
			exit(1);
		if (p.secs < best)
			best = p.secs;
	}
	*tokens = p.tokens;
	last0 = p.st0;
	last1 = p.st1;
	return best;
}

static void pathological(const struct accel_tokenizer *tok, const char *name,
			 const char *unit, size_t size)
{
	size_t ul = strlen(unit), n = 0;
	char *s = malloc(size + ul);
	uint64_t tokens;
	double t;

	while (n + ul <= size) {
		memcpy(s + n, unit, ul);
		n += ul;
	}
	t = timed(tok, s, n, 0, NULL, 3, 1, &tokens);
	printf("  pathological %-22s %8zu bytes %8.2f ms  %7llu tokens\n", name,
	       n, t * 1e3, (unsigned long long)tokens);
	free(s);
}

int main(int argc, char **argv)
{
	static const char *encs[] = { "cl100k_base", "o200k_base" };
	struct accel_tokenizer_ids ids = { 0 };
	char *text = NULL, path[4096];
	size_t len = 0;
	int repeat = 5, nfiles = 0, count_only = 0, warm = 0;
	const char *only = NULL;

	if (argc < 3) {
		fprintf(stderr, "usage: tokens_bench DATA_DIR FILE... "
				"[--repeat N]\n");
		return 2;
	}
	for (int k = 2; k < argc; k++) {
		if (!strcmp(argv[k], "--repeat") && k + 1 < argc) {
			repeat = atoi(argv[++k]);
			continue;
		}
		if (!strcmp(argv[k], "--split") && k + 1 < argc) {
			split_bytes = (size_t)atoi(argv[++k]) * 1024;
			continue;
		}
		if (!strcmp(argv[k], "--encoding") && k + 1 < argc) {
			only = argv[++k];
			continue;
		}
		if (!strcmp(argv[k], "--count-only")) {
			count_only = 1;
			continue;
		}
		if (!strcmp(argv[k], "--warm")) {
			warm = 1;
			continue;
		}
		if (!strcmp(argv[k], "--no-shared")) {
			accel__tok_cache_use_shared(0);
			continue;
		}
		argv[nfiles++ + 2] = argv[k];
	}
	/* Files after the options: --split applies to all of them. */
	for (int k = 0; k < nfiles; k++)
		text = slurp(argv[k + 2], text, &len);
	if (nfiles)
		doc_off[n_docs] = len;
	if (!nfiles) {
		fprintf(stderr, "tokens_bench: no FILE\n");
		return 2;
	}
	printf("corpus: %d files, %zu documents, %.2f MB\n", nfiles, n_docs,
	       len / 1e6);
	for (unsigned e = 0; e < 2; e++) {
		struct accel_tokenizer *tok;
		uint64_t tokens;
		double t0, t;
		int ret;

		if (only && strcmp(only, encs[e]))
			continue;
		snprintf(path, sizeof(path), "%s/%s.tiktoken", argv[1],
			 encs[e]);
		t0 = now();
		ret = accel_tokenizer_load(
			path,
			(uint32_t)accel_tokenizer_encoding_from_name(encs[e]),
			&tok);
		if (ret < 0) {
			fprintf(stderr, "tokens_bench: %s: %s\n", path,
				accel_strerror(ret));
			return 1;
		}
		printf("%s: load %.1f ms\n", encs[e], (now() - t0) * 1e3);
		if (count_only && warm) {
			/* All runs in this thread: the first fills the cache. */
			t = timed(tok, text, len, 1, NULL, repeat, 0, &tokens);
			printf("  count  %8.1f MB/s  %llu tokens (warm cache)\n",
			       len / t / 1e6, (unsigned long long)tokens);
			print_cache();
			accel_tokenizer_destroy(tok);
			continue;
		}
		t = timed(tok, text, len, 1, NULL, repeat, 1, &tokens);
		printf("  count  %8.1f MB/s  %llu tokens (cold cache)\n",
		       len / t / 1e6, (unsigned long long)tokens);
		print_cache();
		if (count_only) {
			accel_tokenizer_destroy(tok);
			continue;
		}
		t = timed(tok, text, len, 1, NULL, repeat, 0, &tokens);
		printf("  count  %8.1f MB/s  %llu tokens (warm cache)\n",
		       len / t / 1e6, (unsigned long long)tokens);
		t = timed(tok, text, len, 1, &ids, repeat, 1, &tokens);
		printf("  encode %8.1f MB/s  %llu tokens\n", len / t / 1e6,
		       (unsigned long long)tokens);
		pathological(tok, "'-' x 1M", "-", 1 << 20);
		pathological(tok, "'a' x 1M", "a", 1 << 20);
		pathological(tok, "' ' x 1M", " ", 1 << 20);
		pathological(tok, "'\\n  ' x 1M", "\n  ", 1 << 20);
		pathological(tok, "'\\u4e00' x 1M", "\xe4\xb8\x80", 1 << 20);
		pathological(tok, "'1' x 1M", "1", 1 << 20);
		accel_tokenizer_destroy(tok);
	}
	accel_free(ids.ids);
	free(text);
	return 0;
}
