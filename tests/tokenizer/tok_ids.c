/* SPDX-License-Identifier: MIT */
/*
 * tok_ids: encodes stdin and prints the ids, one per line. A debugging aid
 * for parity work (diff its output against the oracle script's) and the
 * driver of the oracle comparison scripts.
 *
 * usage: tok_ids ENCODING RANK_FILE [--js] [--replace] [--special]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accel_alloc.h"
#include "accel_err.h"
#include "tokenizer.h"

int main(int argc, char **argv)
{
	struct accel_tokenizer_opts o = { 0 };
	struct accel_tokenizer_mode m = { 0 };
	struct accel_tokenizer_ids ids = { 0 };
	struct accel_tokenizer *tok;
	size_t len = 0, cap = 1 << 20;
	char *buf = malloc(cap);
	int ret;

	if (argc < 3 || !buf) {
		fprintf(stderr, "usage: tok_ids ENCODING RANK_FILE [--js] "
				"[--replace] [--special]\n");
		return 2;
	}
	ret = accel_tokenizer_encoding_from_name(argv[1]);
	if (ret < 0) {
		fprintf(stderr, "tok_ids: %s\n", accel_strerror(ret));
		return 2;
	}
	o.encoding = (uint32_t)ret;
	o.rank_file = argv[2];
	for (int k = 3; k < argc; k++) {
		if (!strcmp(argv[k], "--js"))
			o.flags |= ACCEL_TOKENIZER_JS_DIALECT;
		else if (!strcmp(argv[k], "--replace"))
			m.flags |= ACCEL_TOKENIZER_REPLACE_INVALID;
		else if (!strcmp(argv[k], "--special"))
			m.allowed_special = ACCEL_TOKENIZER_SPECIAL_ALL;
	}
	ret = accel_tokenizer_create(&o, &tok);
	if (ret < 0) {
		fprintf(stderr, "tok_ids: load: %s\n", accel_strerror(ret));
		return 1;
	}
	for (;;) {
		size_t r = fread(buf + len, 1, cap - len, stdin);

		len += r;
		if (len < cap)
			break;
		cap *= 2;
		buf = realloc(buf, cap);
		if (!buf)
			return 1;
	}
	ret = accel_tokenizer_encode(tok, buf, len, &m, &ids);
	if (ret < 0) {
		fprintf(stderr, "tok_ids: encode: %s\n", accel_strerror(ret));
		return 1;
	}
	for (size_t k = 0; k < ids.len; k++)
		printf("%u\n", ids.ids[k]);
	accel_free(ids.ids);
	accel_tokenizer_destroy(tok);
	free(buf);
	return 0;
}
