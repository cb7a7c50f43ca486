/* SPDX-License-Identifier: MIT */
/*
 * diff_bench: our line diff against git's own diff code on real file pairs.
 *
 * For every pair of tests/diff/make_pairs.sh's pairs.txt and every
 * algorithm it times, in this process:
 *   ours          accel_diff(): unified text + hunk buffer
 *   libgit2.cb    git_diff_buffers() with hunk and line callbacks (the
 *                 cheapest way to get all of xdiff's result out of libgit2)
 *   libgit2.patch git_patch_from_buffers() + git_patch_to_buf() (text)
 * and, as whole processes, `git diff --no-index` with the same algorithm.
 * libgit2 1.5 has no histogram option, so histogram is compared with the
 * git process only. Neither side uses the indent heuristic (libgit2's
 * default); our unified text equals git's for these options (tests/diff).
 *
 * Each (pair, algorithm, implementation) runs until it has --min-runs
 * samples and --min-ms of samples, then p50/p99 are reported. Output: a
 * table on stdout and JSON series (bench/hist.h) in --out.
 *
 * usage: diff_bench --pairs FILE [--out FILE.json] [--filter SUBSTR]
 *                   [--min-runs N] [--min-ms MS] [--no-git]
 *                   [--minimal-max BYTES]
 */
#define _GNU_SOURCE
#include <git2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "accel_alloc.h"
#include "diff.h"
#include "hist.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * CPU time of this process, plus the CPU time of the child that the last
 * git process run reported: on a shared VM the wall time of one sample
 * depends on the other tenants, the CPU time much less, so both are kept.
 */
static uint64_t child_cpu_ns;

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec +
	       child_cpu_ns;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	p = malloc((size_t)n + 1);
	if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
		free(p);
		p = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return p;
}

struct cfg {
	int min_runs;
	uint64_t min_ns;
	int git;
	size_t minimal_max;
};

struct job {
	const char *a, *b, *pa, *pb;
	size_t alen, blen;
	uint32_t alg;
	uint64_t lines; /* added + removed, for the cross-check */
};

static const char *alg_name[] = { "myers", "minimal", "patience", "histogram" };

static int run_ours(struct job *j)
{
	struct accel_diff_opts o = {
		.algorithm = j->alg, .context = 3, .a_path = "a", .b_path = "b"
	};
	struct accel_diff_result r;
	int ret = accel_diff(j->a, j->alen, j->b, j->blen, &o, &r);

	if (ret)
		return ret;
	j->lines = r.added + r.removed;
	accel_diff_result_free(&r);
	return 0;
}

static void git_opts(git_diff_options *o, uint32_t alg)
{
	git_diff_options_init(o, GIT_DIFF_OPTIONS_VERSION);
	o->context_lines = 3;
	if (alg == ACCEL_DIFF_MINIMAL)
		o->flags |= GIT_DIFF_MINIMAL;
	if (alg == ACCEL_DIFF_PATIENCE)
		o->flags |= GIT_DIFF_PATIENCE;
}

static int line_cb(const git_diff_delta *d, const git_diff_hunk *h,
		   const git_diff_line *l, void *payload)
{
	uint64_t *n = payload;

	if (l->origin == GIT_DIFF_LINE_ADDITION ||
	    l->origin == GIT_DIFF_LINE_DELETION)
		(*n)++;
	return 0;
}

static int hunk_cb(const git_diff_delta *d, const git_diff_hunk *h,
		   void *payload)
{
	return 0;
}

static int run_git_cb(struct job *j)
{
	git_diff_options o;
	uint64_t n = 0;
	int ret;

	git_opts(&o, j->alg);
	ret = git_diff_buffers(j->a, j->alen, "a", j->b, j->blen, "b", &o, NULL,
			       NULL, hunk_cb, line_cb, &n);
	j->lines = n;
	return ret;
}

static int run_git_patch(struct job *j)
{
	git_diff_options o;
	git_patch *p = NULL;
	git_buf buf = { 0 };
	size_t ctx, add, del;
	int ret;

	git_opts(&o, j->alg);
	ret = git_patch_from_buffers(&p, j->a, j->alen, "a", j->b, j->blen, "b",
				     &o);
	if (!ret)
		ret = git_patch_to_buf(&buf, p);
	if (!ret && !git_patch_line_stats(&ctx, &add, &del, p))
		j->lines = add + del;
	git_buf_dispose(&buf);
	git_patch_free(p);
	return ret;
}

static int run_git_process(struct job *j)
{
	static const char *opt[] = { "--diff-algorithm=myers", "--minimal",
				     "--patience", "--histogram" };
	pid_t pid = fork();
	struct rusage ru;
	int st;

	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 1);
		execlp("git", "git", "diff", "--no-index", "--no-color",
		       "--no-ext-diff", "--no-indent-heuristic", opt[j->alg],
		       j->pa, j->pb, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || wait4(pid, &st, 0, &ru) < 0)
		return -1;
	child_cpu_ns +=
		(uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) *
			1000000000ull +
		(uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ull;
	/* git diff exits 1 when the files differ. */
	return WIFEXITED(st) && WEXITSTATUS(st) <= 1 ? 0 : -1;
}

static int measure(const struct cfg *c, int (*fn)(struct job *), struct job *j,
		   struct accel_hist *h, struct accel_hist *hc)
{
	uint64_t t0 = now_ns(), spent = 0;

	accel_hist_reset(h);
	accel_hist_reset(hc);
	while ((int)h->n < c->min_runs || spent < c->min_ns) {
		uint64_t s = now_ns(), sc = cpu_ns();

		if (fn(j))
			return -1;
		accel_hist_add(h, now_ns() - s);
		accel_hist_add(hc, cpu_ns() - sc);
		spent = now_ns() - t0;
		if (h->n == h->cap)
			break;
	}
	accel_hist_finish(h, now_ns() - t0, 0);
	accel_hist_finish(hc, now_ns() - t0, 0);
	return 0;
}

int main(int argc, char **argv)
{
	struct cfg c = { .min_runs = 5,
			 .min_ns = 1000000000ull,
			 .git = 1,
			 .minimal_max = (size_t)-1 };
	const char *pairs = NULL, *out = NULL, *filter = NULL;
	char line[4200];
	FILE *pf, *jf = NULL;
	struct accel_hist h, hc;
	int first = 1;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--pairs") && i + 1 < argc)
			pairs = argv[++i];
		else if (!strcmp(argv[i], "--out") && i + 1 < argc)
			out = argv[++i];
		else if (!strcmp(argv[i], "--filter") && i + 1 < argc)
			filter = argv[++i];
		else if (!strcmp(argv[i], "--min-runs") && i + 1 < argc)
			c.min_runs = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--min-ms") && i + 1 < argc)
			c.min_ns = strtoull(argv[++i], NULL, 10) * 1000000ull;
		else if (!strcmp(argv[i], "--minimal-max") && i + 1 < argc)
			c.minimal_max = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--no-git"))
			c.git = 0;
		else {
			fprintf(stderr, "usage: see the comment at the top of "
					"bench/diff_bench.c\n");
			return 2;
		}
	}
	if (!pairs || !(pf = fopen(pairs, "r"))) {
		fprintf(stderr, "diff_bench: --pairs FILE (make_pairs.sh)\n");
		return 2;
	}
	if (out && !(jf = fopen(out, "w"))) {
		perror(out);
		return 1;
	}
	git_libgit2_init();
	if (accel_hist_init(&h, 100000) || accel_hist_init(&hc, 100000))
		return 1;
	if (jf)
		fprintf(jf, "{\"bench\": \"diff\", \"series\": [\n");
	printf("p50 in ms, wall and CPU time of one diff (git: the whole "
	       "process, CPU of the child)\n");
	printf("%-40s %-9s %9s %9s | %9s %9s | %9s %9s | %9s %9s | %5s\n",
	       "pair", "alg", "ours", "ours cpu", "lg2cb", "cpu", "lg2pt",
	       "cpu", "git proc", "cpu", "cpu x");
	printf("(lg2cb: git_diff_buffers with callbacks; lg2pt: "
	       "git_patch_from_buffers + git_patch_to_buf;\n cpu x: our CPU "
	       "time over the faster libgit2 path's)\n");
	while (fgets(line, sizeof(line), pf)) {
		char *s = line, *name, *pa, *pb;
		struct job j = { 0 };

		line[strcspn(line, "\n")] = 0;
		name = strsep(&s, "\t");
		pa = strsep(&s, "\t");
		pb = strsep(&s, "\t");
		if (!name || !pa || !pb || (filter && !strstr(name, filter)))
			continue;
		j.pa = pa;
		j.pb = pb;
		j.a = slurp(pa, &j.alen);
		j.b = slurp(pb, &j.blen);
		if (!j.a || !j.b) {
			fprintf(stderr, "diff_bench: cannot read %s\n", name);
			return 1;
		}
		for (uint32_t alg = 0; alg <= ACCEL_DIFF_HISTOGRAM; alg++) {
			static const char *impl[] = { "ours", "libgit2.cb",
						      "libgit2.patch",
						      "git.process" };
			int (*fn[])(struct job *) = { run_ours, run_git_cb,
						      run_git_patch,
						      run_git_process };
			uint64_t p50[4] = { 0 }, cpu[4] = { 0 },
				 lines[4] = { 0 };
			uint64_t lg2;

			if (alg == ACCEL_DIFF_MINIMAL &&
			    (j.alen > c.minimal_max || j.blen > c.minimal_max))
				continue;
			j.alg = alg;
			for (int k = 0; k < 4; k++) {
				char id[400], extra[600];

				if ((k == 1 || k == 2) &&
				    alg == ACCEL_DIFF_HISTOGRAM)
					continue;
				if (k == 3 && !c.git)
					continue;
				j.lines = 0;
				if (measure(&c, fn[k], &j, &h, &hc)) {
					fprintf(stderr, "%s %s %s failed\n",
						name, alg_name[alg], impl[k]);
					continue;
				}
				p50[k] = accel_hist_pct(&h, 0.5);
				cpu[k] = accel_hist_pct(&hc, 0.5);
				lines[k] = j.lines;
				if (!jf)
					continue;
				snprintf(id, sizeof(id), "c.diff.%s.%s.%s",
					 impl[k], alg_name[alg], name);
				snprintf(extra, sizeof(extra),
					 "\"pair\": \"%s\", \"alg\": \"%s\", "
					 "\"impl\": \"%s\", \"a_bytes\": %zu, "
					 "\"b_bytes\": %zu, \"changed_lines\": "
					 "%llu, \"cpu_p50_ns\": %llu, "
					 "\"cpu_p99_ns\": %llu",
					 name, alg_name[alg], impl[k], j.alen,
					 j.blen, (unsigned long long)j.lines,
					 (unsigned long long)cpu[k],
					 (unsigned long long)accel_hist_pct(
						 &hc, 0.99));
				fprintf(jf, "%s", first ? "" : ",\n");
				accel_hist_json(jf, &h, id, impl[k], name,
						j.alen + j.blen, 1, extra);
				first = 0;
			}
			/* Ours against libgit2's faster entry point, in CPU
			 * time (the wall time depends on the other tenants). */
			lg2 = cpu[1] && cpu[2] && cpu[2] < cpu[1] ? cpu[2] :
								    cpu[1];
			printf("%-40.40s %-9s %9.3f %9.3f | %9.3f %9.3f | "
			       "%9.3f %9.3f | %9.2f %9.2f | %5.2f%s\n",
			       strlen(name) > 40 ? name + strlen(name) - 40 :
						   name,
			       alg_name[alg], p50[0] / 1e6, cpu[0] / 1e6,
			       p50[1] / 1e6, cpu[1] / 1e6, p50[2] / 1e6,
			       cpu[2] / 1e6, p50[3] / 1e6, cpu[3] / 1e6,
			       lg2 ? (double)cpu[0] / (double)lg2 : 0,
			       lines[1] && lines[1] != lines[0] ?
				       "  (edit count differs)" :
				       "");
			fflush(stdout);
		}
		free((void *)j.a);
		free((void *)j.b);
	}
	if (jf) {
		fprintf(jf, "\n]}\n");
		fclose(jf);
	}
	fclose(pf);
	accel_hist_destroy(&h);
	accel_hist_destroy(&hc);
	git_libgit2_shutdown();
	return 0;
}
