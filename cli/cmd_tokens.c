/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accel_alloc.h"
#include "accel_err.h"
#include "cli.h"
#include "tokenizer.h"

/*
 * agent-accel tokens FILE...: exact token counts (or ids) of files, run
 * in-process by the tokenizer library (tokenizer/tokenizer.h); the engine's
 * tokens_* ops serve the same code to Node. Rank files come from --data,
 * $ACCEL_TOKENIZER_DATA or the build's default (ACCEL_TOKENIZER_DATA_DIR).
 * Exit status: 0, 1 on an error, 3 when --limit is passed by some file.
 */

#ifndef ACCEL_TOKENIZER_DATA_DIR
#define ACCEL_TOKENIZER_DATA_DIR "data/tokenizer"
#endif

static void usage(FILE *f)
{
	fprintf(f,
		"usage: agent-accel tokens [options] FILE... (- for stdin)\n"
		"\n"
		"Counts the tokens of each file, as tiktoken would.\n"
		"  --encoding E    o200k_base (default) or cl100k_base\n"
		"  --dialect D     tiktoken (default) or js-tiktoken\n"
		"  --special S     text (default: special-token text is "
		"ordinary text),\n"
		"                  all (encoded as special tokens) or error\n"
		"  --replace-invalid  invalid UTF-8 as U+FFFD (what JS "
		"tokenizers see)\n"
		"  --limit N       stop counting past N; exit 3 if a file "
		"has more\n"
		"  --ids           print the token ids instead of the count\n"
		"  --data DIR      directory of the .tiktoken rank files\n");
}

int accel_cmd_tokens(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "encoding", required_argument, NULL, 'e' },
		{ "dialect", required_argument, NULL, 'D' },
		{ "special", required_argument, NULL, 's' },
		{ "replace-invalid", no_argument, NULL, 'r' },
		{ "limit", required_argument, NULL, 'l' },
		{ "ids", no_argument, NULL, 'i' },
		{ "data", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct accel_tokenizer_opts o = { .encoding =
						  ACCEL_TOKENIZER_O200K_BASE };
	struct accel_tokenizer_mode m = { 0 };
	struct accel_tokenizer_ids ids = { 0 };
	struct accel_tokenizer *tok;
	const char *data = getenv("ACCEL_TOKENIZER_DATA");
	char path[4096];
	long long limit = -1;
	int print_ids = 0, status = 0, opt, ret;

	if (!data)
		data = ACCEL_TOKENIZER_DATA_DIR;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'e':
			ret = accel_tokenizer_encoding_from_name(optarg);
			if (ret < 0) {
				fprintf(stderr,
					"agent-accel tokens: unknown "
					"encoding %s\n",
					optarg);
				return 2;
			}
			o.encoding = (uint32_t)ret;
			break;
		case 'D':
			if (!strcmp(optarg, "js-tiktoken")) {
				o.flags |= ACCEL_TOKENIZER_JS_DIALECT;
			} else if (strcmp(optarg, "tiktoken")) {
				usage(stderr);
				return 2;
			}
			break;
		case 's':
			if (!strcmp(optarg, "all")) {
				m.allowed_special = ACCEL_TOKENIZER_SPECIAL_ALL;
			} else if (!strcmp(optarg, "error")) {
				m.disallowed_special =
					ACCEL_TOKENIZER_SPECIAL_ALL;
			} else if (strcmp(optarg, "text")) {
				usage(stderr);
				return 2;
			}
			break;
		case 'r':
			m.flags |= ACCEL_TOKENIZER_REPLACE_INVALID;
			break;
		case 'l':
			limit = atoll(optarg);
			if (limit < 0) {
				usage(stderr);
				return 2;
			}
			break;
		case 'i':
			print_ids = 1;
			break;
		case 'd':
			data = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	snprintf(path, sizeof(path), "%s/%s.tiktoken", data,
		 accel_tokenizer_encoding_name(o.encoding));
	o.rank_file = path;
	ret = accel_tokenizer_create(&o, &tok);
	if (ret < 0) {
		fprintf(stderr, "agent-accel tokens: %s: %s\n", path,
			accel_strerror(ret));
		return 1;
	}
	for (int k = optind; k < argc; k++) {
		size_t len;
		uint64_t n;
		char *text = accel_cli_read_all(argv[k], &len);

		if (!text) {
			fprintf(stderr, "agent-accel tokens: cannot read %s\n",
				argv[k]);
			status = 1;
			continue;
		}
		if (print_ids) {
			ids.len = 0;
			ret = accel_tokenizer_encode(tok, text, len, &m, &ids);
			n = ids.len;
		} else if (limit >= 0) {
			ret = accel_tokenizer_within_limit(tok, text, len, &m,
							   (uint64_t)limit, &n);
		} else {
			ret = accel_tokenizer_count(tok, text, len, &m, &n);
		}
		free(text);
		if (ret < 0) {
			fprintf(stderr, "agent-accel tokens: %s: %s\n", argv[k],
				accel_strerror(ret));
			status = 1;
			continue;
		}
		if (print_ids) {
			for (size_t j = 0; j < ids.len; j++)
				printf(j ? " %u" : "%u", ids.ids[j]);
			printf("\n");
		} else if (limit >= 0 && ret == 0) {
			printf(">%lld\t%s\n", limit, argv[k]);
			if (!status)
				status = 3;
		} else {
			printf("%llu\t%s\n", (unsigned long long)n, argv[k]);
		}
	}
	accel_free(ids.ids);
	accel_tokenizer_destroy(tok);
	return status;
}
