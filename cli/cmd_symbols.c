/* SPDX-License-Identifier: MIT */
/*
 * agent-accel symbols: index a directory with universal-ctags and query it,
 * for people. The index lives in a snapshot file (default: under
 * $XDG_CACHE_HOME or ~/.cache, one per directory), so `index` is
 * incremental (unchanged files are skipped by content hash) and `query`
 * only maps and loads it. This runs the library in-process; the engine op
 * (engine/ops/symbols.c) serves the same index to Node.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "accel_alloc.h"
#include "accel_err.h"
#include "accel_time.h"
#include "cli.h"
#include "sandbox.h"
#include "symbols.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: agent-accel symbols index DIR [--db FILE]\n"
		"       agent-accel symbols query TEXT [--dir DIR | --db FILE]\n"
		"               [--limit N] [--kind NAME]... [--prefix|--exact]\n"
		"               [--files] [--path PREFIX]\n"
		"\n"
		"index  walks DIR (honouring .gitignore), extracts symbols with\n"
		"       universal-ctags and saves the index; files whose content\n"
		"       did not change since the last run are skipped.\n"
		"query  fuzzy-finds symbols (fzf-style ranking: exact, prefix,\n"
		"       initials like gTC, abbreviations, one typo) and prints\n"
		"       score, kind, name, file:line:col.\n"
		"  --db FILE     the snapshot (default: one per DIR in\n"
		"                $XDG_CACHE_HOME/agent-accel or ~/.cache/...)\n"
		"  --dir DIR     the directory indexed (default: .)\n"
		"  --limit N     hits (default 20)\n"
		"  --kind NAME   only this LSP kind (function, class, ...)\n"
		"  --files       match file paths instead of symbols\n"
		"  --path PFX    only files under this path prefix\n");
}

/* Default snapshot path for a directory: keyed by its real path. */
static int default_db(const char *dir, char *out, size_t cap)
{
	char real[PATH_MAX];
	const char *base = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");
	char cache[PATH_MAX - 64];

	if (!realpath(dir, real))
		return -errno;
	if (base && *base)
		snprintf(cache, sizeof(cache), "%s/agent-accel", base);
	else
		snprintf(cache, sizeof(cache), "%s/.cache/agent-accel",
			 home ? home : "/tmp");
	/* mkdir -p of the two levels we may need. */
	{
		char parent[PATH_MAX];
		char *slash;

		snprintf(parent, sizeof(parent), "%s", cache);
		slash = strrchr(parent, '/');
		if (slash) {
			*slash = 0;
			mkdir(parent, 0755);
		}
		mkdir(cache, 0755);
	}
	snprintf(out, cap, "%s/symbols-%016llx.snap", cache,
		 (unsigned long long)XXH3_64bits(real, strlen(real)));
	return 0;
}

static void progress(void *arg, uint64_t done, uint64_t total)
{
	int width = 40,
	    fill = total ? (int)(done * (uint64_t)width / total) : width;

	(void)arg;
	if (!isatty(2))
		return;
	fprintf(stderr, "\r  [%.*s%*s] %llu/%llu files", fill,
		"########################################", width - fill, "",
		(unsigned long long)done, (unsigned long long)total);
	if (done == total)
		fputc('\n', stderr);
}

/* The sandbox ctags ran under, and loudly what it lacked. */
static void print_layers(const struct accel_symbols_ws_result *r)
{
	if (!r->sandbox_layers && !r->sandbox_layers_missing)
		return;
	printf("ctags sandbox:");
	for (uint32_t b = 1; b; b <<= 1)
		if (r->sandbox_layers & b)
			printf(" %s", accel_sandbox_layer_name(b));
	printf("\n");
	if (r->sandbox_layers_missing) {
		fprintf(stderr, "agent-accel symbols: warning: ctags ran "
				"without these sandbox layers:");
		for (uint32_t b = 1; b; b <<= 1)
			if (r->sandbox_layers_missing & b)
				fprintf(stderr, " %s",
					accel_sandbox_layer_name(b));
		fprintf(stderr, "\n");
	}
	if (r->sandbox_violations)
		printf("ctags sandbox: %llu denied syscalls\n",
		       (unsigned long long)r->sandbox_violations);
}

static int cmd_index(const char *dir, const char *db)
{
	struct accel_symbols *idx;
	struct accel_symbols_ws_opts o = { .root = dir, .progress = progress };
	struct accel_symbols_ws_result r;
	struct accel_symbols_stats st;
	uint64_t t0 = accel_now_ns();
	int ret;

	ret = accel_symbols_create(NULL, &idx);
	if (ret)
		goto fail;
	ret = accel_symbols_load(idx, db);
	if (ret < 0 && ret != -ENOENT)
		fprintf(stderr, "agent-accel symbols: %s: %s; rebuilding\n", db,
			accel_strerror(ret));
	if (ret < 0) {
		/* A failed load leaves the index empty: start afresh. */
		accel_symbols_destroy(idx);
		ret = accel_symbols_create(NULL, &idx);
		if (ret)
			goto fail;
	}
	ret = accel_symbols_index_workspace(idx, &o, &r);
	if (ret)
		goto fail_idx;
	ret = accel_symbols_save(idx, db);
	if (ret)
		goto fail_idx;
	accel_symbols_stats(idx, &st);
	print_layers(&r);
	printf("%llu files seen, %llu indexed, %llu unchanged, %llu removed, "
	       "%llu errors\n%llu symbols (%llu names) in %llu files, %.1f MB, "
	       "%.0f ms\nindex: %s\n",
	       (unsigned long long)r.files_seen,
	       (unsigned long long)r.files_indexed,
	       (unsigned long long)r.files_unchanged,
	       (unsigned long long)r.files_removed,
	       (unsigned long long)r.errors, (unsigned long long)st.symbols,
	       (unsigned long long)st.names, (unsigned long long)st.files,
	       st.bytes / 1e6, (accel_now_ns() - t0) / 1e6, db);
	accel_symbols_destroy(idx);
	return 0;
fail_idx:
	accel_symbols_destroy(idx);
fail:
	fprintf(stderr, "agent-accel symbols index: %s\n", accel_strerror(ret));
	return 1;
}

static int cmd_query(const char *db, struct accel_symbols_query *q, int files)
{
	struct accel_symbols *idx;
	const struct accel_symbols_result_hdr *h;
	uint64_t t0, t1;
	size_t need = 1 << 16;
	void *out = NULL;
	int ret;

	ret = accel_symbols_create(NULL, &idx);
	if (!ret)
		ret = accel_symbols_load(idx, db);
	if (ret < 0) {
		fprintf(stderr,
			"agent-accel symbols query: %s: %s (run "
			"'agent-accel symbols index DIR' first)\n",
			db, accel_strerror(ret));
		accel_symbols_destroy(idx);
		return 1;
	}
	t0 = accel_now_ns();
	for (;;) {
		accel_free(out);
		out = accel_malloc(need);
		if (!out) {
			ret = -ENOMEM;
			break;
		}
		ret = files ? accel_symbols_query_files(idx, q, out, need,
							&need) :
			      accel_symbols_query(idx, q, out, need, &need);
		if (ret != -ACCEL_E_NO_SPACE)
			break;
	}
	t1 = accel_now_ns();
	if (ret < 0) {
		fprintf(stderr, "agent-accel symbols query: %s\n",
			accel_strerror(ret));
		accel_free(out);
		accel_symbols_destroy(idx);
		return 1;
	}
	h = out;
	for (uint32_t i = 0; i < h->count; i++) {
		const struct accel_symbols_hit *x =
			accel_symbols_result_hit(out, i);
		const char *kind = accel_symbols_kind_name(x->kind);

		printf("%10d  %-12s %.*s%s%.*s  %.*s:%u:%u%s\n", x->score,
		       kind ? kind : "?", (int)x->container_len,
		       accel_symbols_result_str(out, x->container_off),
		       x->container_len ? "." : "", (int)x->name_len,
		       accel_symbols_result_str(out, x->name_off),
		       (int)x->file_len,
		       accel_symbols_result_str(out, x->file_off), x->line,
		       x->col,
		       (x->flags & ACCEL_SYMBOLS_HIT_TYPO) ? "  (typo)" : "");
	}
	fprintf(stderr, "%u hits of %u matching names, %.1f us\n", h->count,
		h->matched, (t1 - t0) / 1e3);
	accel_free(out);
	accel_symbols_destroy(idx);
	return 0;
}

int accel_cmd_symbols(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "dir", required_argument, NULL, 'D' },
		{ "limit", required_argument, NULL, 'n' },
		{ "kind", required_argument, NULL, 'k' },
		{ "prefix", no_argument, NULL, 'p' },
		{ "exact", no_argument, NULL, 'e' },
		{ "files", no_argument, NULL, 'f' },
		{ "path", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct accel_symbols_query q = { 0 };
	const char *db = NULL, *dir = ".", *verb, *arg;
	char dbbuf[PATH_MAX];
	int c, files = 0, k;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	verb = argv[1];
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, "d:D:n:k:pefP:h", opts, NULL)) !=
	       -1) {
		switch (c) {
		case 'd':
			db = optarg;
			break;
		case 'D':
			dir = optarg;
			break;
		case 'n':
			q.limit = (uint32_t)atoi(optarg);
			break;
		case 'k':
			k = accel_symbols_kind_from_name(optarg,
							 strlen(optarg));
			if (!k) {
				fprintf(stderr, "unknown kind '%s'\n", optarg);
				return 2;
			}
			q.kinds |= ACCEL_SYMBOLS_KIND_BIT(k);
			break;
		case 'p':
			q.mode = ACCEL_SYMBOLS_MODE_PREFIX;
			break;
		case 'e':
			q.mode = ACCEL_SYMBOLS_MODE_EXACT;
			break;
		case 'f':
			files = 1;
			break;
		case 'P':
			q.path_prefix = optarg;
			q.path_prefix_len = (uint32_t)strlen(optarg);
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
	arg = argv[optind];
	if (!strcmp(verb, "index"))
		dir = arg;
	if (!db) {
		int ret = default_db(dir, dbbuf, sizeof(dbbuf));

		if (ret) {
			fprintf(stderr, "agent-accel symbols: %s: %s\n", dir,
				accel_strerror(ret));
			return 1;
		}
		db = dbbuf;
	}
	if (!strcmp(verb, "index"))
		return cmd_index(dir, db);
	if (!strcmp(verb, "query")) {
		q.text = arg;
		q.text_len = (uint32_t)strlen(arg);
		return cmd_query(db, &q, files);
	}
	usage(stderr);
	return 2;
}
