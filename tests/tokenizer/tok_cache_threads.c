/* SPDX-License-Identifier: MIT */
/*
 * tok_cache_threads: several threads count and encode the same real text
 * at once through one tokenizer per encoding, so that they fill the
 * process-wide level of the cache of merged pieces (tok_cache.c) together
 * and read each other's records while others are still inserting.
 *
 *   round 1: THREADS threads, each over every document starting at its
 *            own offset; all start together. Counts and ids must equal
 *            the reference, computed first with the shared level off.
 *   round 2: THREADS new threads (empty per-thread levels) count again:
 *            every piece they look up was put in the shared level in
 *            round 1, so each must have shared hits and no miss at all.
 *
 * A plain program rather than a Criterion test so that the TSan build can
 * run it (label tsan; Criterion cannot start under ThreadSanitizer). Needs
 * TOK_DATA_DIR (the rank files); the text comes from node_modules and
 * /usr/share, as PROJECT_ROOT says. Exit status 0 when everything held.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accel_alloc.h"
#include "accel_err.h"
#include "tok_int.h"
#include "tokenizer.h"

#define THREADS	  4
#define DOC_BYTES (16 << 10)
/* Per file: enough for a few thousand distinct pieces, quick under TSan. */
#define FILE_BYTES (160 << 10)

static const char *const files[] = {
	PROJECT_ROOT "/node_modules/typescript/lib/lib.dom.d.ts",
	PROJECT_ROOT
	"/node_modules/typescript/lib/zh-cn/diagnosticMessages.generated.json",
	PROJECT_ROOT
	"/node_modules/typescript/lib/ru/diagnosticMessages.generated.json",
	"/usr/share/common-licenses/GPL-3",
};

struct doc {
	const uint8_t *p;
	size_t n;
	uint64_t count;			/* reference */
	struct accel_tokenizer_ids ids; /* reference */
};

static struct doc docs[64];
static size_t n_docs;
static pthread_barrier_t start;
static int failed;

#define CHECK(cond, ...)                                                \
	do {                                                            \
		if (!(cond)) {                                          \
			fprintf(stderr, "tok_cache_threads: ");         \
			fprintf(stderr, __VA_ARGS__);                   \
			fputc('\n', stderr);                            \
			__atomic_store_n(&failed, 1, __ATOMIC_SEQ_CST); \
		}                                                       \
	} while (0)

struct worker {
	const struct accel_tokenizer *tok;
	size_t first; /* first document */
	int encode;   /* also encode and compare ids */
	struct accel__tok_cache_stats st;
};

/* Reads up to max bytes of path, cut back to a UTF-8 character start. */
static uint8_t *read_text(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b;
	size_t n;

	if (!f)
		return NULL;
	b = malloc(max);
	n = b ? fread(b, 1, max, f) : 0;
	fclose(f);
	while (n == max && n && (b[n - 1] & 0xc0) == 0x80)
		n--;
	if (n == max && n && b[n - 1] >= 0xc0)
		n--;
	*len = n;
	return b;
}

/* Cuts t[0, n) into documents of about DOC_BYTES at character starts. */
static void cut(const uint8_t *t, size_t n)
{
	size_t a = 0;

	while (a < n && n_docs < sizeof(docs) / sizeof(docs[0])) {
		size_t b = a + DOC_BYTES < n ? a + DOC_BYTES : n;

		while (b < n && (t[b] & 0xc0) == 0x80)
			b++;
		docs[n_docs++] = (struct doc){ .p = t + a, .n = b - a };
		a = b;
	}
}

static void *work(void *arg)
{
	struct worker *w = arg;
	struct accel_tokenizer_ids ids = { 0 };

	pthread_barrier_wait(&start);
	for (size_t k = 0; k < n_docs; k++) {
		const struct doc *d = &docs[(w->first + k) % n_docs];
		uint64_t c = 0;
		int ret;

		ret = accel_tokenizer_count(w->tok, d->p, d->n, NULL, &c);
		CHECK(ret == 0 && c == d->count,
		      "count of document %zu: %d, %llu tokens, want %llu",
		      (size_t)(d - docs), ret, (unsigned long long)c,
		      (unsigned long long)d->count);
		if (!w->encode)
			continue;
		ids.len = 0;
		ret = accel_tokenizer_encode(w->tok, d->p, d->n, NULL, &ids);
		CHECK(ret == 0 && ids.len == d->ids.len &&
			      !memcmp(ids.ids, d->ids.ids, ids.len * 4),
		      "ids of document %zu differ", (size_t)(d - docs));
	}
	accel__tok_cache_stats(&w->st);
	accel_free(ids.ids);
	return NULL;
}

static void *reference(void *arg)
{
	const struct accel_tokenizer *tok = arg;

	for (size_t k = 0; k < n_docs; k++) {
		struct doc *d = &docs[k];

		d->ids.len = 0;
		CHECK(accel_tokenizer_encode(tok, d->p, d->n, NULL, &d->ids) ==
			      0,
		      "reference encode of document %zu", k);
		d->count = d->ids.len;
	}
	return NULL;
}

/* Runs work() in THREADS threads that start together; w gets their stats. */
static void run_round(const struct accel_tokenizer *tok, int encode,
		      struct worker *w)
{
	pthread_t th[THREADS];

	pthread_barrier_init(&start, NULL, THREADS);
	for (int k = 0; k < THREADS; k++) {
		w[k] = (struct worker){ .tok = tok,
					.first = k * n_docs / THREADS,
					.encode = encode };
		if (pthread_create(&th[k], NULL, work, &w[k])) {
			fprintf(stderr, "tok_cache_threads: pthread_create\n");
			exit(1);
		}
	}
	for (int k = 0; k < THREADS; k++)
		pthread_join(th[k], NULL);
	pthread_barrier_destroy(&start);
}

static int one_encoding(const char *dir, uint32_t enc)
{
	const char *name = accel_tokenizer_encoding_name(enc);
	struct worker w1[THREADS], w2[THREADS];
	struct accel_tokenizer *tok;
	uint64_t shared1 = 0, shared2 = 0, misses1 = 0;
	char path[4096];
	pthread_t th;
	int ret;

	snprintf(path, sizeof(path), "%s/%s.tiktoken", dir, name);
	ret = accel_tokenizer_load(path, enc, &tok);
	if (ret < 0) {
		fprintf(stderr, "tok_cache_threads: %s: %s\n", path,
			accel_strerror(ret));
		return -1;
	}
	/* The reference: one thread, the per-thread level alone. */
	accel__tok_cache_use_shared(0);
	if (pthread_create(&th, NULL, reference, tok)) {
		fprintf(stderr, "tok_cache_threads: pthread_create\n");
		exit(1);
	}
	pthread_join(th, NULL);
	accel__tok_cache_use_shared(1);

	run_round(tok, 1, w1);
	run_round(tok, 0, w2);
	for (int k = 0; k < THREADS; k++) {
		shared1 += w1[k].st.shared_hits;
		misses1 += w1[k].st.misses;
		shared2 += w2[k].st.shared_hits;
		CHECK(w2[k].st.misses == 0,
		      "%s round 2 thread %d: %llu misses (the shared level "
		      "should hold every piece)",
		      name, k, (unsigned long long)w2[k].st.misses);
		CHECK(w2[k].st.shared_hits > 0,
		      "%s round 2 thread %d: no shared hit", name, k);
	}
	printf("%s: %zu documents; round 1: %llu shared hits, %llu misses; "
	       "round 2: %llu shared hits; shared level %llu records, "
	       "%llu bytes\n",
	       name, n_docs, (unsigned long long)shared1,
	       (unsigned long long)misses1, (unsigned long long)shared2,
	       (unsigned long long)w2[0].st.shared_records,
	       (unsigned long long)w2[0].st.shared_bytes);
	CHECK(w2[0].st.shared_records > 0, "%s: empty shared level", name);
	accel_tokenizer_destroy(tok);
	return 0;
}

int main(void)
{
	const char *dir = getenv("TOK_DATA_DIR");
	uint8_t *text[sizeof(files) / sizeof(files[0])];

	if (!dir) {
		fprintf(stderr, "tok_cache_threads: TOK_DATA_DIR is not set\n");
		return 2;
	}
	for (size_t k = 0; k < sizeof(files) / sizeof(files[0]); k++) {
		size_t n;

		text[k] = read_text(files[k], FILE_BYTES, &n);
		if (!text[k]) {
			fprintf(stderr, "tok_cache_threads: cannot read %s\n",
				files[k]);
			return 2;
		}
		cut(text[k], n);
	}
	if (one_encoding(dir, ACCEL_TOKENIZER_CL100K_BASE) < 0 ||
	    one_encoding(dir, ACCEL_TOKENIZER_O200K_BASE) < 0)
		return 1;
	for (size_t k = 0; k < n_docs; k++)
		accel_free(docs[k].ids.ids);
	for (size_t k = 0; k < sizeof(files) / sizeof(files[0]); k++)
		free(text[k]);
	if (failed)
		return 1;
	printf("tok_cache_threads: all counts and ids exact\n");
	return 0;
}
