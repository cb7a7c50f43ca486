/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "corpus.h"

#ifndef ACCEL_SOURCE_DIR
#define ACCEL_SOURCE_DIR "."
#endif

unsigned char *corpus_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	struct stat sb;

	if (!f)
		return NULL;
	if (fstat(fileno(f), &sb) < 0 || !S_ISREG(sb.st_mode)) {
		fclose(f);
		return NULL;
	}
	buf = malloc((size_t)sb.st_size + 1);
	if (buf && fread(buf, 1, (size_t)sb.st_size, f) != (size_t)sb.st_size) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (buf) {
		buf[sb.st_size] = 0;
		*len = (size_t)sb.st_size;
	}
	return buf;
}

const char *corpus_nm(const char *rel)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/node_modules/%s", ACCEL_SOURCE_DIR,
		 rel);
	return path;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

unsigned char *corpus_text(size_t want, size_t *len)
{
	DIR *d = opendir("/usr/share/doc");
	char **names = NULL;
	size_t nn = 0, cap = 0, used = 0;
	unsigned char *out;
	struct dirent *de;

	if (!d)
		return NULL;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (nn == cap) {
			cap = cap ? cap * 2 : 256;
			names = realloc(names, cap * sizeof(*names));
		}
		names[nn++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, nn, sizeof(*names), name_cmp);
	out = malloc(want + 1);
	for (size_t i = 0; i < nn && used < want; i++) {
		char path[4096];
		unsigned char *f;
		size_t fl;

		snprintf(path, sizeof(path), "/usr/share/doc/%s/copyright",
			 names[i]);
		f = corpus_read(path, &fl);
		if (!f)
			continue;
		if (fl > want - used)
			fl = want - used;
		memcpy(out + used, f, fl);
		used += fl;
		free(f);
	}
	for (size_t i = 0; i < nn; i++)
		free(names[i]);
	free(names);
	if (!used) {
		free(out);
		return NULL;
	}
	*len = used;
	return out;
}

/* Appends s[0, n) JSON-escaped. */
static size_t json_escape(char *dst, const unsigned char *s, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\') {
			dst[o++] = '\\';
			dst[o++] = (char)c;
		} else if (c == '\n') {
			dst[o++] = '\\';
			dst[o++] = 'n';
		} else if (c == '\t') {
			dst[o++] = '\\';
			dst[o++] = 't';
		} else if (c < 0x20) {
			o += (size_t)sprintf(dst + o, "\\u%04x", c);
		} else {
			dst[o++] = (char)c;
		}
	}
	return o;
}

unsigned char *corpus_messages(unsigned n, size_t *sizes, size_t *total)
{
	static const char *const roles[] = { "user", "assistant", "tool" };
	size_t tl, pos = 0, used = 0;
	unsigned char *text = corpus_text(16u << 20, &tl);
	char *out;

	if (!text)
		return NULL;
	out = malloc((size_t)n * 8192);
	for (unsigned i = 0; i < n; i++) {
		/* 600..1100 bytes of text, ending at a line break. */
		size_t want = 600 + (i * 7919u) % 500, take;
		size_t start = used;

		if (pos + want + 200 > tl)
			pos = (i * 104729u) % (tl / 2);
		take = want;
		while (take < want + 200 && pos + take < tl &&
		       text[pos + take - 1] != '\n')
			take++;
		used += (size_t)sprintf(out + used,
					"{\"id\":\"msg_%06u\",\"role\":\"%s\","
					"\"turn\":%u,\"content\":\"",
					i, roles[i % 3], i / 2);
		used += json_escape(out + used, text + pos, take);
		used += (size_t)sprintf(out + used, "\"}");
		sizes[i] = used - start;
		pos += take;
	}
	free(text);
	*total = used;
	return (unsigned char *)out;
}
