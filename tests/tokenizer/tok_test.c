/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "accel_err.h"
#include "tok_test.h"

uint8_t *tt_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return NULL;
	}
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static int take_u32(const struct oracle_file *of, size_t *off, uint32_t *v)
{
	if (of->size - *off < 4)
		return -1;
	memcpy(v, of->data + *off, 4);
	*off += 4;
	return 0;
}

int tt_oracle_load(const char *path, struct oracle_file *of)
{
	size_t off = 8;
	uint32_t n, v;

	memset(of, 0, sizeof(*of));
	of->data = tt_read_file(path, &of->size);
	if (!of->data || of->size < 12 || memcmp(of->data, "TOKORCL1", 8))
		goto err;
	if (take_u32(of, &off, &n))
		goto err;
	of->docs = calloc(n ? n : 1, sizeof(*of->docs));
	if (!of->docs)
		goto err;
	for (size_t d = 0; d < n; d++) {
		struct oracle_doc *doc = &of->docs[d];

		if (take_u32(of, &off, &v) || of->size - off < v)
			goto err;
		doc->name = (const char *)of->data + off;
		doc->name_len = v;
		off += v;
		if (take_u32(of, &off, &v) || of->size - off < v)
			goto err;
		doc->text = of->data + off;
		doc->len = v;
		off += v;
		for (int k = 0; k < 8; k++) {
			if (take_u32(of, &off, &v))
				goto err;
			doc->list[k].n = v;
			if (v == ORACLE_THREW)
				continue;
			if ((of->size - off) / 4 < v)
				goto err;
			doc->list[k].ids = (const uint32_t *)(of->data + off);
			off += (size_t)v * 4;
		}
		of->n_docs++;
	}
	return 0;
err:
	tt_oracle_free(of);
	return -1;
}

void tt_oracle_free(struct oracle_file *of)
{
	free(of->data);
	free(of->docs);
	memset(of, 0, sizeof(*of));
}

static const char *env_path(const char *var, const char *name, char *buf,
			    size_t len)
{
	const char *dir = getenv(var);

	snprintf(buf, len, "%s/%s", dir ? dir : ".", name);
	return buf;
}

const char *tt_rank_path(const char *enc)
{
	static char buf[4096];
	char name[64];

	snprintf(name, sizeof(name), "%s.tiktoken", enc);
	return env_path("TOK_DATA_DIR", name, buf, sizeof(buf));
}

const char *tt_oracle_path(const char *name)
{
	static char buf[4096];

	return env_path("TOK_ORACLE_DIR", name, buf, sizeof(buf));
}

struct accel_tokenizer *tt_load(int enc, int js)
{
	static const char *names[] = { "cl100k_base", "o200k_base" };
	struct accel_tokenizer_opts o = {
		.encoding = enc ? ACCEL_TOKENIZER_O200K_BASE :
				  ACCEL_TOKENIZER_CL100K_BASE,
		.flags = js ? ACCEL_TOKENIZER_JS_DIALECT : 0,
		.rank_file = tt_rank_path(names[enc]),
	};
	struct accel_tokenizer *tok = NULL;
	int ret = accel_tokenizer_create(&o, &tok);

	cr_assert_eq(ret, 0, "loading %s: %s", o.rank_file,
		     accel_strerror(ret));
	return tok;
}

int tt_same(const struct oracle_doc *d, const struct oracle_list *want,
	    const uint32_t *got, size_t n, char *msg, size_t msg_len)
{
	size_t k = 0;

	/* An empty list has no array (memcmp must not see NULL). */
	if (want->n == n &&
	    (n == 0 || !memcmp(want->ids, got, n * sizeof(*got))))
		return 1;
	while (k < n && k < want->n && got[k] == want->ids[k])
		k++;
	snprintf(msg, msg_len,
		 "%.*s: %zu ids, oracle %u; first difference at %zu: "
		 "got %ld, oracle %ld",
		 (int)d->name_len, d->name, n, want->n, k,
		 k < n ? (long)got[k] : -1L,
		 k < want->n ? (long)want->ids[k] : -1L);
	return 0;
}
