/* SPDX-License-Identifier: MIT */
/*
 * tokens_bench: in-process tokenizer throughput on real files.
 *
 * usage: tokens_bench DATA_DIR FILE... [--repeat N]
 *   DATA_DIR holds cl100k_base.tiktoken and o200k_base.tiktoken
 *   (scripts/tokenizer-data.sh). For each encoding prints load time, count
 *   and encode MB/s over the concatenation of the files (best of N runs),
 *   then the pathological inputs: 1 MB of one repeated character, of
 *   spaces, of newlines mixed with spaces, and of one CJK character.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "accel_alloc.h"
#include "accel_err.h"
#include "tokenizer.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
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
	*len += (size_t)n;
	fclose(f);
	return buf;
}

/* Best time of `repeat` runs of count (encode when ids is not NULL). */
static double timed(const struct accel_tokenizer *tok, const char *s,
		    size_t n, struct accel_tokenizer_ids *ids, int repeat,
		    uint64_t *tokens)
{
	struct accel_tokenizer_mode m = { 0 };
	double best = 1e30;

	for (int r = 0; r < repeat; r++) {
		double t0 = now();
		int ret;

		if (ids) {
			ids->len = 0;
			ret = accel_tokenizer_encode(tok, s, n, &m, ids);
			*tokens = ids->len;
		} else {
			ret = accel_tokenizer_count(tok, s, n, &m, tokens);
		}
		if (ret < 0) {
			fprintf(stderr, "tokens_bench: %s\n",
				accel_strerror(ret));
			exit(1);
		}
		if (now() - t0 < best)
			best = now() - t0;
	}
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
	t = timed(tok, s, n, NULL, 3, &tokens);
	printf("  pathological %-22s %8zu bytes %8.2f ms  %7llu tokens\n",
	       name, n, t * 1e3, (unsigned long long)tokens);
	free(s);
}

int main(int argc, char **argv)
{
	static const char *encs[] = { "cl100k_base", "o200k_base" };
	struct accel_tokenizer_ids ids = { 0 };
	char *text = NULL, path[4096];
	size_t len = 0;
	int repeat = 5, nfiles = 0;

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
		text = slurp(argv[k], text, &len);
		nfiles++;
	}
	printf("corpus: %d files, %.2f MB\n", nfiles, len / 1e6);
	for (unsigned e = 0; e < 2; e++) {
		struct accel_tokenizer *tok;
		uint64_t tokens;
		double t0, t;
		int ret;

		snprintf(path, sizeof(path), "%s/%s.tiktoken", argv[1],
			 encs[e]);
		t0 = now();
		ret = accel_tokenizer_load(
			path, (uint32_t)accel_tokenizer_encoding_from_name(encs[e]),
			&tok);
		if (ret < 0) {
			fprintf(stderr, "tokens_bench: %s: %s\n", path,
				accel_strerror(ret));
			return 1;
		}
		printf("%s: load %.1f ms\n", encs[e], (now() - t0) * 1e3);
		t = timed(tok, text, len, NULL, repeat, &tokens);
		printf("  count  %8.1f MB/s  %llu tokens\n", len / t / 1e6,
		       (unsigned long long)tokens);
		t = timed(tok, text, len, &ids, repeat, &tokens);
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
