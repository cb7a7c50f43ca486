/* SPDX-License-Identifier: MIT */
/*
 * Command-line front ends of the diff library (see diff_cli.h). Options
 * follow git diff, GNU patch and git merge-file where they overlap, so that
 * people and scripts need nothing new.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "accel_alloc.h"
#include "accel_err.h"
#include "diff.h"
#include "diff_cli.h"

/* Reads a whole file ("-" is stdin). Returns 0 or -errno. */
static int slurp(const char *path, char **out, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	size_t cap = 1 << 16, n = 0, r;
	char *p, *tmp;

	if (!f)
		return -errno;
	p = accel_malloc(cap);
	if (!p)
		goto nomem;
	while ((r = fread(p + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap) {
			cap *= 2;
			tmp = accel_realloc(p, cap);
			if (!tmp)
				goto nomem;
			p = tmp;
		}
	}
	if (ferror(f)) {
		int e = errno ? errno : EIO;

		accel_free(p);
		if (f != stdin)
			fclose(f);
		return -e;
	}
	if (f != stdin)
		fclose(f);
	*out = p;
	*len = n;
	return 0;
nomem:
	accel_free(p);
	if (f != stdin)
		fclose(f);
	return -ENOMEM;
}

/* Writes a file through a temporary name and rename(2). */
static int spill(const char *path, const char *p, size_t len)
{
	char tmp[4096];
	FILE *f;
	struct stat st;

	if (!strcmp(path, "-"))
		return fwrite(p, 1, len, stdout) == len ? 0 : -EIO;
	if (snprintf(tmp, sizeof(tmp), "%s.accel-tmp", path) >=
	    (int)sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "wb");
	if (!f)
		return -errno;
	if (fwrite(p, 1, len, f) != len || fclose(f)) {
		unlink(tmp);
		return -EIO;
	}
	/* Keep the mode of the file being replaced. */
	if (!stat(path, &st))
		chmod(tmp, st.st_mode & 07777);
	if (rename(tmp, path)) {
		int e = errno;

		unlink(tmp);
		return -e;
	}
	return 0;
}

static int parse_algorithm(const char *s)
{
	static const char *const names[] = { "myers", "minimal", "patience",
					     "histogram" };

	for (int i = 0; i < 4; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

int accel_diff_cli_diff(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "algorithm", required_argument, NULL, 'a' },
		{ "unified", required_argument, NULL, 'U' },
		{ "ignore-all-space", no_argument, NULL, 'w' },
		{ "ignore-space-change", no_argument, NULL, 'b' },
		{ "ignore-space-at-eol", no_argument, NULL, 1 },
		{ "ignore-cr-at-eol", no_argument, NULL, 2 },
		{ "ignore-blank-lines", no_argument, NULL, 3 },
		{ "indent-heuristic", no_argument, NULL, 4 },
		{ "function-context-line", no_argument, NULL, 5 },
		{ "text", no_argument, NULL, 6 },
		{ "stat", no_argument, NULL, 7 },
		{ "minimal", no_argument, NULL, 8 },
		{ "patience", no_argument, NULL, 9 },
		{ "histogram", no_argument, NULL, 10 },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct accel_diff_opts o = { .context = 3 };
	struct accel_diff_result r;
	char *a = NULL, *b = NULL;
	size_t alen, blen;
	int c, stat_only = 0, ret, status = 2;

	optind = 0; /* glibc: full re-initialisation */
	while ((c = getopt_long(argc, argv, "a:U:wbh", lo, NULL)) != -1) {
		switch (c) {
		case 'a':
			if ((ret = parse_algorithm(optarg)) < 0) {
				fprintf(stderr, "diff: unknown algorithm %s\n",
					optarg);
				return 2;
			}
			o.algorithm = (uint32_t)ret;
			break;
		case 'U':
			o.context = atoi(optarg);
			break;
		case 'w':
			o.flags |= ACCEL_DIFF_IGNORE_WS_ALL;
			break;
		case 'b':
			o.flags |= ACCEL_DIFF_IGNORE_WS_CHANGE;
			break;
		case 1:
			o.flags |= ACCEL_DIFF_IGNORE_WS_EOL;
			break;
		case 2:
			o.flags |= ACCEL_DIFF_IGNORE_CR_EOL;
			break;
		case 3:
			o.flags |= ACCEL_DIFF_IGNORE_BLANK_LINES;
			break;
		case 4:
			o.flags |= ACCEL_DIFF_INDENT_HEURISTIC;
			break;
		case 5:
			o.flags |= ACCEL_DIFF_FUNCNAME;
			break;
		case 6:
			o.flags |= ACCEL_DIFF_FORCE_TEXT;
			break;
		case 7:
			stat_only = 1;
			break;
		case 8:
		case 9:
		case 10:
			o.algorithm = (uint32_t)(c - 7);
			break;
		case 'h':
			printf("usage: agent-accel diff [options] A B\n"
			       "  -a, --algorithm myers|minimal|patience|"
			       "histogram (also --minimal, --patience,\n"
			       "      --histogram)\n"
			       "  -U, --unified N          context lines "
			       "(default 3)\n"
			       "  -w, -b, --ignore-space-at-eol, "
			       "--ignore-cr-at-eol, --ignore-blank-lines\n"
			       "  --indent-heuristic       git's slider "
			       "placement\n"
			       "  --function-context-line  git's function "
			       "line after @@\n"
			       "  --text                   diff binary "
			       "files as text\n"
			       "  --stat                   only the counts\n"
			       "Exit: 0 equal, 1 different, 2 trouble.\n");
			return 0;
		default:
			return 2;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: agent-accel diff [options] A B\n");
		return 2;
	}
	if ((ret = slurp(argv[optind], &a, &alen)) ||
	    (ret = slurp(argv[optind + 1], &b, &blen))) {
		fprintf(stderr, "diff: %s\n", accel_strerror(ret));
		goto out;
	}
	o.a_path = argv[optind];
	o.b_path = argv[optind + 1];
	if (stat_only)
		o.flags |= ACCEL_DIFF_NO_TEXT | ACCEL_DIFF_NO_HUNKS;
	ret = accel_diff(a, alen, b, blen, &o, &r);
	if (ret) {
		fprintf(stderr, "diff: %s\n", accel_strerror(ret));
		goto out;
	}
	if (stat_only)
		printf("%llu insertions(+), %llu deletions(-), %u hunks%s\n",
		       (unsigned long long)r.added,
		       (unsigned long long)r.removed, r.n_hunks,
		       r.binary ? " (binary)" : "");
	else if (r.text_len)
		fwrite(r.text, 1, r.text_len, stdout);
	status = alen != blen || memcmp(a, b, alen) ? 1 : 0;
	accel_diff_result_free(&r);
out:
	accel_free(a);
	accel_free(b);
	return status;
}

static const char *const hunk_word[] = { "succeeded", "succeeded", "succeeded",
					 "FAILED", "already applied" };

int accel_diff_cli_apply(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "fuzz", required_argument, NULL, 'F' },
		{ "reverse", no_argument, NULL, 'R' },
		{ "ignore-whitespace", no_argument, NULL, 'l' },
		{ "output", required_argument, NULL, 'o' },
		{ "dry-run", no_argument, NULL, 1 },
		{ "file-index", required_argument, NULL, 2 },
		{ "quiet", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct accel_patch_apply_opts o = { .fuzz = -1 };
	struct accel_patch_error e;
	struct accel_patch_result r = { 0 };
	struct accel_patch *p = NULL;
	const char *output = NULL;
	char *text = NULL, *patch = NULL;
	size_t tlen, plen;
	uint32_t file = 0;
	int c, dry = 0, quiet = 0, ret, status = 2;

	optind = 0; /* glibc: full re-initialisation */
	while ((c = getopt_long(argc, argv, "F:Rlo:sh", lo, NULL)) != -1) {
		switch (c) {
		case 'F':
			o.fuzz = atoi(optarg);
			break;
		case 'R':
			o.flags |= ACCEL_PATCH_REVERSE;
			break;
		case 'l':
			o.flags |= ACCEL_PATCH_IGNORE_WS;
			break;
		case 'o':
			output = optarg;
			break;
		case 1:
			dry = 1;
			break;
		case 2:
			file = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 's':
			quiet = 1;
			break;
		case 'h':
			printf("usage: agent-accel apply [options] FILE PATCH\n"
			       "  -F, --fuzz N        context lines that may "
			       "be ignored (default 2)\n"
			       "  -R, --reverse       apply backwards\n"
			       "  -l, --ignore-whitespace\n"
			       "  -o, --output OUT    write OUT instead of "
			       "FILE (- for stdout)\n"
			       "  --dry-run           report only\n"
			       "  --file-index N      file section of a "
			       "multi-file patch (default 0)\n"
			       "  -s, --quiet         no per-hunk report\n"
			       "Exit: 0 applied, 1 hunks rejected, 2 "
			       "trouble.\n");
			return 0;
		default:
			return 2;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: agent-accel apply [options] FILE "
				"PATCH\n");
		return 2;
	}
	if ((ret = slurp(argv[optind + 1], &patch, &plen))) {
		fprintf(stderr, "apply: %s: %s\n", argv[optind + 1],
			accel_strerror(ret));
		goto out;
	}
	ret = slurp(argv[optind], &text, &tlen);
	if (ret == -ENOENT) {
		/* A patch may create the file. */
		text = NULL;
		tlen = 0;
	} else if (ret) {
		fprintf(stderr, "apply: %s: %s\n", argv[optind],
			accel_strerror(ret));
		goto out;
	}
	ret = accel_patch_parse(patch, plen, &p, &e);
	if (ret) {
		fprintf(stderr, "apply: %s: %s\n", argv[optind + 1],
			e.message[0] ? e.message : accel_strerror(ret));
		goto out;
	}
	ret = accel_patch_apply(p, file, text ? text : "", tlen, &o, &r);
	if (ret < 0) {
		fprintf(stderr, "apply: %s\n", accel_strerror(ret));
		goto out;
	}
	for (uint32_t k = 0; !quiet && k < r.n_hunks; k++) {
		const struct accel_patch_hunk_result *h = &r.hunks[k];

		if (h->status == ACCEL_PATCH_HUNK_APPLIED)
			continue;
		fprintf(stderr, "Hunk #%u %s", k + 1, hunk_word[h->status]);
		if (h->line)
			fprintf(stderr, " at %u", h->line);
		if (h->fuzz)
			fprintf(stderr, " with fuzz %u", h->fuzz);
		if (h->offset)
			fprintf(stderr, " (offset %d line%s)", h->offset,
				h->offset == 1 || h->offset == -1 ? "" : "s");
		fprintf(stderr, ".\n");
	}
	status = r.n_rejected ? 1 : 0;
	if (!dry) {
		ret = spill(output ? output : argv[optind], r.text, r.text_len);
		if (ret) {
			fprintf(stderr, "apply: cannot write: %s\n",
				accel_strerror(ret));
			status = 2;
		}
	}
out:
	accel_patch_result_free(&r);
	accel_patch_destroy(p);
	accel_free(text);
	accel_free(patch);
	return status;
}

int accel_diff_cli_merge(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "diff3", no_argument, NULL, 1 },
		{ "ours", no_argument, NULL, 2 },
		{ "theirs", no_argument, NULL, 3 },
		{ "union", no_argument, NULL, 4 },
		{ "marker-size", required_argument, NULL, 5 },
		{ "stdout", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct accel_merge_opts o = { 0 };
	const char *label[3] = { NULL, NULL, NULL };
	char *f[3] = { NULL, NULL, NULL }, *out = NULL;
	size_t len[3], out_len;
	int c, nl = 0, to_stdout = 0, ret, status = 255;

	optind = 0; /* glibc: full re-initialisation */
	while ((c = getopt_long(argc, argv, "L:ph", lo, NULL)) != -1) {
		switch (c) {
		case 'L':
			if (nl < 3)
				label[nl++] = optarg;
			break;
		case 1:
			o.style = ACCEL_MERGE_STYLE_DIFF3;
			break;
		case 2:
		case 3:
		case 4:
			o.favor = (uint32_t)(c - 1);
			break;
		case 5:
			o.marker_size = (uint32_t)atoi(optarg);
			break;
		case 'p':
			to_stdout = 1;
			break;
		case 'h':
			printf("usage: agent-accel merge [options] OURS BASE "
			       "THEIRS\n"
			       "  -p, --stdout      print instead of "
			       "overwriting OURS\n"
			       "  -L LABEL          labels of ours, base, "
			       "theirs (up to 3)\n"
			       "  --diff3           show the base in "
			       "conflicts\n"
			       "  --ours, --theirs, --union\n"
			       "  --marker-size N\n"
			       "Exit: the number of conflicts (max 127), "
			       "255 on trouble.\n");
			return 0;
		default:
			return 255;
		}
	}
	if (argc - optind != 3) {
		fprintf(stderr, "usage: agent-accel merge [options] OURS BASE "
				"THEIRS\n");
		return 255;
	}
	for (int i = 0; i < 3; i++) {
		ret = slurp(argv[optind + i], &f[i], &len[i]);
		if (ret) {
			fprintf(stderr, "merge: %s: %s\n", argv[optind + i],
				accel_strerror(ret));
			goto out;
		}
	}
	/* git merge-file labels the markers with the file names. */
	o.ours_label = label[0] ? label[0] : argv[optind];
	o.base_label = label[1] ? label[1] : argv[optind + 1];
	o.theirs_label = label[2] ? label[2] : argv[optind + 2];
	ret = accel_merge3(f[1], len[1], f[0], len[0], f[2], len[2], &o, &out,
			   &out_len);
	if (ret < 0) {
		fprintf(stderr, "merge: %s\n", accel_strerror(ret));
		goto out;
	}
	status = ret > 127 ? 127 : ret;
	ret = spill(to_stdout ? "-" : argv[optind], out, out_len);
	if (ret) {
		fprintf(stderr, "merge: cannot write: %s\n",
			accel_strerror(ret));
		status = 255;
	}
out:
	for (int i = 0; i < 3; i++)
		accel_free(f[i]);
	accel_free(out);
	return status;
}
