/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "accel_err.h"
#include "fixture.h"

static char ts_dir[256];

static int copy(const char *from, const char *to)
{
	FILE *a = fopen(from, "rb"), *b;
	char buf[65536];
	size_t n;

	if (!a)
		return -1;
	b = fopen(to, "wb");
	if (!b) {
		fclose(a);
		return -1;
	}
	while ((n = fread(buf, 1, sizeof(buf), a)) > 0)
		fwrite(buf, 1, n, b);
	fclose(a);
	fclose(b);
	return 0;
}

const char *fx_ts_dir(void)
{
	static const char *const files[] = { "typescript.d.ts",
					     "lib.es5.d.ts" };
	char from[512], to[512];

	if (ts_dir[0])
		return ts_dir;
	snprintf(ts_dir, sizeof(ts_dir), "/tmp/accel-sym-test-XXXXXX");
	if (!mkdtemp(ts_dir))
		return NULL;
	for (size_t i = 0; i < 2; i++) {
		snprintf(from, sizeof(from),
			 "%s/node_modules/typescript/lib/%s", ACCEL_SOURCE_DIR,
			 files[i]);
		snprintf(to, sizeof(to), "%s/%s", ts_dir, files[i]);
		if (copy(from, to)) {
			ts_dir[0] = 0;
			return NULL;
		}
	}
	return ts_dir;
}

struct accel_symbols *fx_ts_index(void)
{
	struct accel_symbols *idx;
	struct accel_symbols_ws_opts o = { 0 };
	struct accel_symbols_ws_result r;

	if (access("/usr/bin/ctags", X_OK))
		return NULL;
	o.root = fx_ts_dir();
	if (!o.root || accel_symbols_create(NULL, &idx))
		return NULL;
	if (accel_symbols_index_workspace(idx, &o, &r) || r.symbols < 1000) {
		accel_symbols_destroy(idx);
		return NULL;
	}
	return idx;
}

void *fx_query(struct accel_symbols *idx, const char *text, uint32_t limit,
	       uint32_t mode, uint32_t case_mode, uint32_t kinds,
	       const char *prefix)
{
	struct accel_symbols_query q = { 0 };
	size_t need = 0;
	void *out;
	int ret;

	q.text = text;
	q.text_len = (uint32_t)strlen(text);
	q.limit = limit;
	q.mode = mode;
	q.case_mode = case_mode;
	q.kinds = kinds;
	q.path_prefix = prefix;
	q.path_prefix_len = prefix ? (uint32_t)strlen(prefix) : 0;
	/*
	 * Size first, then the query; the index may change in between (the
	 * concurrency test), so grow and retry until a run fits.
	 */
	ret = accel_symbols_query(idx, &q, NULL, 0, &need);
	for (int tries = 0; ret == -ACCEL_E_NO_SPACE && tries < 100; tries++) {
		out = malloc(need);
		if (!out)
			return NULL;
		ret = accel_symbols_query(idx, &q, out, need, &need);
		if (ret > 0)
			return out;
		free(out);
	}
	return NULL;
}

const char *fx_name(const void *res, uint32_t i)
{
	static char buf[4200];
	const struct accel_symbols_result_hdr *h = res;
	const struct accel_symbols_hit *x;

	buf[0] = 0;
	if (!res || i >= h->count)
		return buf;
	x = accel_symbols_result_hit(res, i);
	memcpy(buf, accel_symbols_result_str(res, x->name_off), x->name_len);
	buf[x->name_len] = 0;
	return buf;
}

int fx_rank(const void *res, const char *name)
{
	const struct accel_symbols_result_hdr *h = res;
	char prev[4200] = "";
	int rank = -1;

	if (!res)
		return -1;
	for (uint32_t i = 0; i < h->count; i++) {
		const char *n = fx_name(res, i);

		if (i && !strcmp(n, prev))
			continue;
		rank++;
		if (!strcmp(n, name))
			return rank;
		snprintf(prev, sizeof(prev), "%s", n);
	}
	return -1;
}

uint64_t fx_rand(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* Splits a snapshot into its file blocks (format in symbols/snapshot.c). */
int fx_files_of(struct accel_symbols *idx, struct fx_files *out)
{
	char path[] = "/tmp/accel-sym-fx-XXXXXX";
	FILE *f;
	long n;
	uint8_t *b;
	size_t off = 64, cap = 0;
	int fd = mkstemp(path);

	memset(out, 0, sizeof(*out));
	if (fd < 0)
		return -1;
	close(fd);
	if (accel_symbols_save(idx, path)) {
		unlink(path);
		return -1;
	}
	f = fopen(path, "rb");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	b = malloc((size_t)n);
	if (fread(b, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(b);
		return -1;
	}
	fclose(f);
	unlink(path);
	while (off + 8 <= (size_t)n) {
		uint32_t type, len;

		memcpy(&type, b + off, 4);
		memcpy(&len, b + off + 4, 4);
		off += 8;
		if (type == 1) {
			if (out->n == cap) {
				cap = cap ? cap * 2 : 64;
				out->buf =
					realloc(out->buf, cap * sizeof(void *));
				out->len =
					realloc(out->len, cap * sizeof(size_t));
			}
			out->buf[out->n] = malloc(len);
			memcpy(out->buf[out->n], b + off, len);
			out->len[out->n++] = len;
		}
		off += (len + 7) & ~7u;
	}
	free(b);
	return 0;
}

void fx_files_free(struct fx_files *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->buf[i]);
	free(f->buf);
	free(f->len);
	memset(f, 0, sizeof(*f));
}
