/* SPDX-License-Identifier: MIT */
/*
 * Symbol index bench on a real corpus: the symbols universal-ctags extracts
 * from the trees given on the command line (npm packages in node_modules,
 * /usr/include to scale toward a million).
 *
 *   symbols_bench [--queries FILE] [--dump FILE] [--top1 FILE]
 *                 [--per-query FILE] [--reps N] [--load SNAPSHOT] ROOT...
 *
 * SYMBOLS_BENCH_KEEP=FILE keeps the snapshot the run writes, so later runs
 * can --load it instead of running ctags again.
 *
 * Prints one JSON object: corpus size, ctags extraction time, index build
 * time from encoded files (no ctags), snapshot save/load, bytes used, query
 * latency per category (p50/p99 over reps), top-1 / top-5 hit rates per
 * category (wall clock, and CPU time of the querying thread, which on a
 * shared machine leaves out the time the thread was preempted), and
 * single-file update latency. --dump writes the corpus as TSV
 * (name, kind, path, line, container) for bench/symbols_peers.mjs; --top1
 * writes our top-1 name per query, which the peers script compares with fzf.
 * --per-query writes each query's CPU p50/max (us) and the names that
 * passed the pre-filters, to find the slow ones.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accel_alloc.h"
#include "accel_err.h"
#include "accel_time.h"
#include "hist.h"
#include "symbols.h"
#include "symbols_int.h"

struct query {
	char cat[32];
	char text[260];
	char expect[300];
};

static struct query *queries;
static size_t nq;

static int load_queries(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	size_t cap = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *a, *b, *c;

		line[strcspn(line, "\n")] = 0;
		if (line[0] == '#' || !line[0])
			continue;
		a = strtok(line, "\t");
		b = strtok(NULL, "\t");
		c = strtok(NULL, "\t");
		if (!a || !b || !c)
			continue;
		if (nq == cap) {
			cap = cap ? cap * 2 : 256;
			queries = realloc(queries, cap * sizeof(*queries));
		}
		snprintf(queries[nq].cat, sizeof(queries[nq].cat), "%s", a);
		snprintf(queries[nq].text, sizeof(queries[nq].text), "%s", b);
		snprintf(queries[nq].expect, sizeof(queries[nq].expect), "%s",
			 c);
		nq++;
	}
	fclose(f);
	return 0;
}

static void progress(void *arg, uint64_t done, uint64_t total)
{
	(void)arg;
	fprintf(stderr, "\r  %llu/%llu files", (unsigned long long)done,
		(unsigned long long)total);
	if (done == total)
		fprintf(stderr, "\n");
}

/* Encodes every file of idx as upsert buffers (from the internals). */
struct enc {
	void **buf;
	size_t *len;
	uint32_t *nsyms;
	size_t n;
};

static int encode_all(struct accel_symbols *idx, struct enc *e)
{
	e->buf = calloc(idx->files.nent, sizeof(void *));
	e->len = calloc(idx->files.nent, sizeof(size_t));
	e->nsyms = calloc(idx->files.nent, sizeof(uint32_t));
	e->n = 0;
	for (uint32_t f = 1; f < idx->files.nent; f++) {
		const struct file_ext *fx = &idx->fx[f];
		struct accel_symbol *s;
		char path[ACCEL_SYMBOLS_MAX_PATH + 1];
		char **own;
		uint32_t pl;

		if (!idx->files.ent[f].refs)
			continue;
		s = calloc(fx->nslots + 1, sizeof(*s));
		own = calloc(fx->nslots * 3 + 1, sizeof(char *));
		for (uint32_t i = 0; i < fx->nslots; i++) {
			const struct sym *y = &idx->syms[fx->slots[i]];

			own[3 * i] = strndup(intern_str(&idx->names, y->name),
					     intern_len(&idx->names, y->name));
			s[i].name = own[3 * i];
			if (y->container) {
				own[3 * i + 1] = strndup(
					intern_str(&idx->strs, y->container),
					intern_len(&idx->strs, y->container));
				s[i].container = own[3 * i + 1];
			}
			if (y->detail) {
				own[3 * i + 2] = strndup(
					intern_str(&idx->strs, y->detail),
					intern_len(&idx->strs, y->detail));
				s[i].detail = own[3 * i + 2];
			}
			s[i].kind = sym_kind(y);
			s[i].line = y->line;
			sym_pos(idx, y, &s[i].col, &s[i].end_line,
				&s[i].end_col);
		}
		pl = intern_len(&idx->files, f);
		memcpy(path, intern_str(&idx->files, f), pl);
		path[pl] = 0;
		if (accel_symbols_encode(path, s, fx->nslots, fx->hash,
					 &e->buf[e->n], &e->len[e->n]) == 0) {
			e->nsyms[e->n] = fx->nslots;
			e->n++;
		}
		for (uint32_t i = 0; i < fx->nslots * 3; i++)
			free(own[i]);
		free(own);
		free(s);
	}
	return 0;
}

static void dump_corpus(struct accel_symbols *idx, const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return;
	for (uint32_t s = 0; s < idx->nsyms_slots; s++) {
		const struct sym *y = &idx->syms[s];

		if (!y->name)
			continue;
		fprintf(f, "%.*s\t%s\t%.*s\t%u\t%.*s\n",
			(int)intern_len(&idx->names, y->name),
			intern_str(&idx->names, y->name),
			accel_symbols_kind_name(sym_kind(y)),
			(int)intern_len(&idx->files, y->file),
			intern_str(&idx->files, y->file), y->line,
			y->container ?
				(int)intern_len(&idx->strs, y->container) :
				0,
			y->container ? intern_str(&idx->strs, y->container) :
				       "");
	}
	fclose(f);
}

/* CPU time of this thread: what a query costs, minus time preempted. */
static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Where stats.bytes goes (the same accounting, by part). */
static void print_bytes(struct accel_symbols *idx)
{
	struct sym_bytes b;

	pthread_rwlock_rdlock(&idx->lock);
	accel__symbols_bytes(idx, &b);
	pthread_rwlock_unlock(&idx->lock);
	printf(" \"bytes_by_part\": {\"slots\": %llu, \"wide\": %llu, "
	       "\"file_slots\": %llu, \"file_ext\": %llu, \"files\": %llu, "
	       "\"names\": %llu, \"name_ext\": %llu, \"cards\": %llu, "
	       "\"filter\": %llu, \"strs\": %llu, \"imports\": %llu, "
	       "\"self\": %llu, \"total\": %llu},\n",
	       (unsigned long long)b.slots, (unsigned long long)b.wide,
	       (unsigned long long)b.file_slots, (unsigned long long)b.file_ext,
	       (unsigned long long)b.files, (unsigned long long)b.names,
	       (unsigned long long)b.name_ext, (unsigned long long)b.cards,
	       (unsigned long long)b.filter, (unsigned long long)b.strs,
	       (unsigned long long)b.imports, (unsigned long long)b.self,
	       (unsigned long long)b.total);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	const char *qfile = NULL, *dump = NULL, *top1 = NULL, *load = NULL;
	const char *perq = NULL;
	struct accel_symbols *idx, *idx2;
	struct accel_symbols_stats st;
	struct enc e;
	int reps = 20, first = 1;
	uint64_t t0, ctags_ns, build_ns, save_ns, load_ns;
	char snap[] = "/tmp/accel-symbols-bench-XXXXXX";
	static char out[1 << 22];
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--queries") && i + 1 < argc)
			qfile = argv[++i];
		else if (!strcmp(argv[i], "--dump") && i + 1 < argc)
			dump = argv[++i];
		else if (!strcmp(argv[i], "--top1") && i + 1 < argc)
			top1 = argv[++i];
		else if (!strcmp(argv[i], "--per-query") && i + 1 < argc)
			perq = argv[++i];
		else if (!strcmp(argv[i], "--load") && i + 1 < argc)
			load = argv[++i];
		else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
			reps = atoi(argv[++i]);
		else {
			fprintf(stderr,
				"usage: %s [--queries F] [--dump F] "
				"[--top1 F] [--reps N] ROOT...\n",
				argv[0]);
			return 2;
		}
	}
	if ((i >= argc && !load) || (qfile && load_queries(qfile))) {
		fprintf(stderr, "need ROOT... and a readable --queries file\n");
		return 2;
	}
	if (accel_symbols_create(NULL, &idx))
		return 1;

	/* 1. Extraction: ctags over the trees (what a first index costs). */
	t0 = accel_now_ns();
	for (; i < argc; i++) {
		struct accel_symbols_ws_opts o = { .root = argv[i],
						   .progress = progress };
		struct accel_symbols_ws_result r;
		int ret = accel_symbols_index_workspace(idx, &o, &r);

		fprintf(stderr, "%s: %d, %llu files, %llu symbols\n", argv[i],
			ret, (unsigned long long)r.files_indexed,
			(unsigned long long)r.symbols);
	}
	if (load) {
		int ret = accel_symbols_load(idx, load);

		if (ret < 0) {
			fprintf(stderr, "%s: %s\n", load, accel_strerror(ret));
			return 1;
		}
	}
	ctags_ns = accel_now_ns() - t0;
	if (dump)
		dump_corpus(idx, dump);

	/* 2. Build from encoded files: the index alone, no ctags. */
	encode_all(idx, &e);
	accel_symbols_create(NULL, &idx2);
	t0 = accel_now_ns();
	for (size_t k = 0; k < e.n; k++)
		accel_symbols_upsert(idx2, e.buf[k], e.len[k]);
	build_ns = accel_now_ns() - t0;
	accel_symbols_destroy(idx);
	idx = idx2;
	accel_symbols_stats(idx, &st);

	/* 3. Snapshot. */
	close(mkstemp(snap));
	t0 = accel_now_ns();
	accel_symbols_save(idx, snap);
	save_ns = accel_now_ns() - t0;
	accel_symbols_create(NULL, &idx2);
	t0 = accel_now_ns();
	accel_symbols_load(idx2, snap);
	load_ns = accel_now_ns() - t0;
	accel_symbols_destroy(idx2);
	if (getenv("SYMBOLS_BENCH_KEEP"))
		rename(snap, getenv("SYMBOLS_BENCH_KEEP"));
	unlink(snap);

	printf("{\"corpus\": {\"symbols\": %llu, \"files\": %llu, "
	       "\"names\": %llu, \"bytes\": %llu, \"string_garbage\": %llu},\n",
	       (unsigned long long)st.symbols, (unsigned long long)st.files,
	       (unsigned long long)st.names, (unsigned long long)st.bytes,
	       (unsigned long long)st.string_garbage);
	print_bytes(idx);
	printf(" \"ctags_index_ms\": %.1f, \"build_ms\": %.1f, "
	       "\"snapshot_save_ms\": %.1f, \"snapshot_load_ms\": %.1f,\n",
	       ctags_ns / 1e6, build_ns / 1e6, save_ns / 1e6, load_ns / 1e6);

	/* 4. Queries, per category. */
	if (nq) {
		FILE *tf = top1 ? fopen(top1, "w") : NULL;
		FILE *pf = perq ? fopen(perq, "w") : NULL;
		char cats[16][32];
		int ncat = 0;
		struct accel_hist all, allc;

		for (size_t q = 0; q < nq; q++) {
			int k;

			for (k = 0; k < ncat; k++)
				if (!strcmp(cats[k], queries[q].cat))
					break;
			if (k == ncat && ncat < 16)
				strcpy(cats[ncat++], queries[q].cat);
		}
		accel_hist_init(&all, nq * (size_t)reps);
		accel_hist_init(&allc, nq * (size_t)reps);
		printf(" \"queries\": {");
		for (int k = 0; k < ncat; k++) {
			struct accel_hist h, hc;
			unsigned tot = 0, ok1 = 0, ok5 = 0;

			accel_hist_init(&h, nq * (size_t)reps);
			accel_hist_init(&hc, nq * (size_t)reps);
			for (size_t q = 0; q < nq; q++) {
				struct accel_symbols_query qq = { 0 };
				const struct accel_symbols_result_hdr *rh =
					(const void *)out;
				int got1 = 0, got5 = 0;
				struct accel_hist one;

				if (strcmp(queries[q].cat, cats[k]))
					continue;
				accel_hist_init(&one, (size_t)reps);
				qq.text = queries[q].text;
				qq.text_len = (uint32_t)strlen(qq.text);
				qq.limit = 20;
				for (int r = 0; r < reps; r++) {
					uint64_t ca = cpu_ns(),
						 a = accel_now_ns(), b, cb;

					accel_symbols_query(idx, &qq, out,
							    sizeof(out), NULL);
					b = accel_now_ns();
					cb = cpu_ns();
					accel_hist_add(&h, b - a);
					accel_hist_add(&all, b - a);
					accel_hist_add(&hc, cb - ca);
					accel_hist_add(&allc, cb - ca);
					accel_hist_add(&one, cb - ca);
				}
				accel_hist_finish(&one, 0, 0);
				if (pf)
					fprintf(pf, "%s\t%s\t%.1f\t%.1f\t%u\n",
						queries[q].cat, queries[q].text,
						accel_hist_pct(&one, 0.5) / 1e3,
						accel_hist_pct(&one, 1) / 1e3,
						rh->matched);
				accel_hist_destroy(&one);
				/* Distinct names in rank order. */
				for (uint32_t j = 0, names = 0;
				     j < rh->count && names < 5; j++) {
					const struct accel_symbols_hit *x =
						accel_symbols_result_hit(out,
									 j);
					const char *nm =
						accel_symbols_result_str(
							out, x->name_off);

					if (j &&
					    x->name_len ==
						    accel_symbols_result_hit(
							    out, j - 1)
							    ->name_len &&
					    !memcmp(nm,
						    accel_symbols_result_str(
							    out,
							    accel_symbols_result_hit(
								    out, j - 1)
								    ->name_off),
						    x->name_len))
						continue;
					if (x->name_len ==
						    strlen(queries[q].expect) &&
					    !memcmp(nm, queries[q].expect,
						    x->name_len)) {
						got5 = 1;
						if (!names)
							got1 = 1;
					}
					if (tf && !names)
						fprintf(tf, "%s\t%s\t%.*s\n",
							queries[q].cat,
							queries[q].text,
							(int)x->name_len, nm);
					names++;
				}
				if (tf && !rh->count)
					fprintf(tf, "%s\t%s\t\n",
						queries[q].cat,
						queries[q].text);
				tot++;
				ok1 += got1;
				ok5 += got5;
			}
			accel_hist_finish(&h, 0, 0);
			accel_hist_finish(&hc, 0, 0);
			printf("%s\"%s\": {\"n\": %u, \"p50_us\": %.1f, "
			       "\"p99_us\": %.1f, \"max_us\": %.1f, "
			       "\"cpu_p50_us\": %.1f, \"cpu_p99_us\": %.1f, "
			       "\"top1\": %.3f, \"top5\": %.3f}",
			       first ? "" : ", ", cats[k], tot,
			       accel_hist_pct(&h, 0.5) / 1e3,
			       accel_hist_pct(&h, 0.99) / 1e3,
			       accel_hist_pct(&h, 1) / 1e3,
			       accel_hist_pct(&hc, 0.5) / 1e3,
			       accel_hist_pct(&hc, 0.99) / 1e3,
			       tot ? (double)ok1 / tot : 0,
			       tot ? (double)ok5 / tot : 0);
			first = 0;
			accel_hist_destroy(&h);
			accel_hist_destroy(&hc);
		}
		accel_hist_finish(&all, 0, 0);
		accel_hist_finish(&allc, 0, 0);
		printf(", \"all\": {\"p50_us\": %.1f, \"p99_us\": %.1f, "
		       "\"max_us\": %.1f, \"cpu_p50_us\": %.1f, "
		       "\"cpu_p99_us\": %.1f}},\n",
		       accel_hist_pct(&all, 0.5) / 1e3,
		       accel_hist_pct(&all, 0.99) / 1e3,
		       accel_hist_pct(&all, 1) / 1e3,
		       accel_hist_pct(&allc, 0.5) / 1e3,
		       accel_hist_pct(&allc, 0.99) / 1e3);
		accel_hist_destroy(&all);
		accel_hist_destroy(&allc);
		if (tf)
			fclose(tf);
		if (pf)
			fclose(pf);
	}

	/* 5. Single-file updates: re-upsert files of median and p90 size. */
	{
		uint32_t *sizes = malloc(e.n * sizeof(uint32_t) + 4);
		size_t nz = 0;
		struct accel_hist h;

		for (size_t k = 0; k < e.n; k++)
			if (e.nsyms[k])
				sizes[nz++] = e.nsyms[k];
		qsort(sizes, nz, sizeof(*sizes), cmp_u32);
		printf(" \"update\": {");
		static const char *const lbl[] = { "median", "p90", "p99" };
		static const double at[] = { 0.5, 0.9, 0.99 };

		for (int pi = 0; pi < 3 && nz; pi++) {
			uint32_t want = sizes[(size_t)(at[pi] * (nz - 1))];
			size_t pick = 0;

			for (size_t k = 0; k < e.n; k++)
				if (e.nsyms[k] == want) {
					pick = k;
					break;
				}
			accel_hist_init(&h, 2000);
			for (int r = 0; r < 2000; r++) {
				uint64_t a = accel_now_ns();

				accel_symbols_upsert(idx, e.buf[pick],
						     e.len[pick]);
				accel_hist_add(&h, accel_now_ns() - a);
			}
			accel_hist_finish(&h, 0, 0);
			printf("%s\"%s_file_%u_symbols\": {\"p50_us\": %.1f, "
			       "\"p99_us\": %.1f}",
			       pi ? ", " : "", lbl[pi], want,
			       accel_hist_pct(&h, 0.5) / 1e3,
			       accel_hist_pct(&h, 0.99) / 1e3);
			accel_hist_destroy(&h);
		}
		printf("}}\n");
		free(sizes);
	}
	for (size_t k = 0; k < e.n; k++)
		accel_free(e.buf[k]);
	free(e.buf);
	free(e.len);
	free(e.nsyms);
	accel_symbols_destroy(idx);
	return 0;
}
