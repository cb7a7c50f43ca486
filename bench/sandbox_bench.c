/* SPDX-License-Identifier: MIT */
/*
 * Spawn-to-exit latency of a sandboxed command against the floor (plain
 * posix_spawn) and bubblewrap, measured in one run with the configurations
 * interleaved round by round, so that the shared VM's drift hits all of
 * them alike. Every configuration captures stdout through a pipe and reads
 * it to EOF, as an agent runtime does.
 *
 *   sandbox_bench [iterations] [throughput-execs]
 *
 * Prints p50/p99 in microseconds per configuration and command, the ratio
 * of each p50 to posix_spawn's, the CPU time per exec (this process, its
 * reaped children and the policies' live launchers, user + system; kernel
 * work deferred to kworkers is not in it) and its ratio, then execs/s with
 * 2 and 16 in flight, and the load average before and after.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <pthread.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "accel_time.h"
#include "bwrap_argv.h"
#include "sandbox.h"

extern char **environ;

enum cfg {
	C_POSIX,
	C_FULL,
	C_FULL_URING,
	C_DIRECT,
	C_NONS,
	C_BWRAP,
	C_BWRAP_NET,
	C_N
};

static const char *const cfg_names[C_N] = {
	[C_POSIX] = "posix_spawn",
	[C_FULL] = "accel full policy",
	[C_FULL_URING] = "accel full (io_uring)",
	[C_DIRECT] = "accel full, no launcher",
	[C_NONS] = "accel no namespaces",
	[C_BWRAP] = "bwrap (no netns)",
	[C_BWRAP_NET] = "bwrap --unshare-all",
};

static const char *const true_argv[] = { "/bin/true", NULL };
static const char *const echo_argv[] = { "/bin/sh", "-c", "echo hi", NULL };

static struct accel_sandbox *sb_full, *sb_direct, *sb_nons;
static char workdir[64];
static int have_bwrap;

/* posix_spawn with stdout on a pipe read to EOF; the floor. */
static int run_posix(const char *const *argv)
{
	posix_spawn_file_actions_t fa;
	char buf[4096];
	int fds[2], st;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	if (posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv,
			environ)) {
		posix_spawn_file_actions_destroy(&fa);
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	while (read(fds[0], buf, sizeof(buf)) > 0)
		;
	close(fds[0]);
	waitpid(pid, &st, 0);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* bubblewrap with the flags closest to the full policy (bwrap_argv.h). */
static int run_bwrap(const char *const *argv, int net)
{
	const char *a[40];

	accel_bwrap_argv(a, workdir, net, argv);
	return run_posix(a);
}

static __thread struct io_uring *tl_ring;

static int run_accel(struct accel_sandbox *sb, const char *const *argv,
		     int uring)
{
	struct accel_sandbox_exec req = { .argv = argv, .env = NULL };
	struct accel_sandbox_drive_opts o = { 0 };
	struct accel_sandbox_result r;
	int ret;

	if (uring) {
		if (!tl_ring) {
			tl_ring = malloc(sizeof(*tl_ring));
			if (io_uring_queue_init(8, tl_ring, 0))
				return -1;
		}
		o.ring = tl_ring;
	}
	ret = accel_sandbox_run(sb, &req, &o, &r);
	if (!ret && (r.exit_code != 0 || r.term_signal))
		ret = -1;
	accel_sandbox_result_free(&r);
	return ret;
}

static int run_cfg(int c, const char *const *argv)
{
	switch (c) {
	case C_POSIX:
		return run_posix(argv);
	case C_FULL:
		return run_accel(sb_full, argv, 0);
	case C_FULL_URING:
		return run_accel(sb_full, argv, 1);
	case C_DIRECT:
		return run_accel(sb_direct, argv, 0);
	case C_NONS:
		return run_accel(sb_nons, argv, 0);
	case C_BWRAP:
		return run_bwrap(argv, 0);
	case C_BWRAP_NET:
		return run_bwrap(argv, 1);
	}
	return -1;
}

/* CPU time (ns) of our live children: between runs those are the policies'
 * launchers, whose work is not in RUSAGE_CHILDREN until they are reaped. */
static double live_children_us(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	double ns = 0;

	while (d && (e = readdir(d))) {
		char path[300];
		FILE *f;
		int pid;

		snprintf(path, sizeof(path), "/proc/self/task/%s/children",
			 e->d_name);
		f = e->d_name[0] != '.' ? fopen(path, "r") : NULL;
		while (f && fscanf(f, "%d", &pid) == 1) {
			char sp[64];
			unsigned long long run = 0;
			FILE *s;

			snprintf(sp, sizeof(sp), "/proc/%d/schedstat", pid);
			s = fopen(sp, "r");
			if (s && fscanf(s, "%llu", &run) == 1)
				ns += (double)run;
			if (s)
				fclose(s);
		}
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	return ns / 1e3;
}

/* CPU time of this process, its reaped children and its live launchers, in
 * microseconds: steadier than wall time on a shared, loaded VM. */
static double cpu_us(void)
{
	struct rusage s, c;

	getrusage(RUSAGE_SELF, &s);
	getrusage(RUSAGE_CHILDREN, &c);
	return (s.ru_utime.tv_sec + s.ru_stime.tv_sec + c.ru_utime.tv_sec +
		c.ru_stime.tv_sec) *
		       1e6 +
	       s.ru_utime.tv_usec + s.ru_stime.tv_usec + c.ru_utime.tv_usec +
	       c.ru_stime.tv_usec + live_children_us();
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void latency(const char *label, const char *const *argv, int iters)
{
	uint64_t *t[C_N];
	double p50[C_N], cpu[C_N] = { 0 };

	for (int c = 0; c < C_N; c++)
		t[c] = calloc((size_t)iters, sizeof(uint64_t));
	/* Warm-up: page cache, dentries, the probe. */
	for (int c = 0; c < C_N; c++)
		for (int i = 0; i < 5; i++)
			if ((c != C_BWRAP && c != C_BWRAP_NET) || have_bwrap)
				run_cfg(c, argv);
	for (int i = 0; i < iters; i++) {
		for (int c = 0; c < C_N; c++) {
			uint64_t t0;

			if ((c == C_BWRAP || c == C_BWRAP_NET) && !have_bwrap)
				continue;
			double c0 = cpu_us();

			t0 = accel_now_ns();
			if (run_cfg(c, argv)) {
				fprintf(stderr, "%s failed\n", cfg_names[c]);
				exit(1);
			}
			t[c][i] = accel_now_ns() - t0;
			cpu[c] += cpu_us() - c0;
		}
	}
	printf("\n%s (%d runs each, interleaved)\n", label, iters);
	printf("  %-24s %10s %10s %8s %12s %8s\n", "configuration", "p50 us",
	       "p99 us", "p50/x", "cpu us/exec", "cpu/x");
	for (int c = 0; c < C_N; c++) {
		if ((c == C_BWRAP || c == C_BWRAP_NET) && !have_bwrap)
			continue;
		qsort(t[c], (size_t)iters, sizeof(uint64_t), cmp_u64);
		p50[c] = t[c][iters / 2] / 1e3;
		printf("  %-24s %10.0f %10.0f %7.2fx %12.0f %7.2fx\n",
		       cfg_names[c], p50[c],
		       t[c][(size_t)iters * 99 / 100] / 1e3,
		       p50[c] / p50[C_POSIX], cpu[c] / iters,
		       cpu[c] / cpu[C_POSIX]);
		free(t[c]);
	}
}

struct tp {
	int cfg;
	atomic_int *left;
	int failed;
};

static void *tp_thread(void *arg)
{
	struct tp *tp = arg;

	while (atomic_fetch_sub(tp->left, 1) > 0)
		if (run_cfg(tp->cfg, true_argv))
			tp->failed++;
	return NULL;
}

static void throughput(int cfg, int inflight, int total)
{
	pthread_t th[64];
	struct tp tp[64];
	atomic_int left = total;
	uint64_t t0 = accel_now_ns();
	int failed = 0;

	for (int i = 0; i < inflight; i++) {
		tp[i] = (struct tp){ cfg, &left, 0 };
		pthread_create(&th[i], NULL, tp_thread, &tp[i]);
	}
	for (int i = 0; i < inflight; i++) {
		pthread_join(th[i], NULL);
		failed += tp[i].failed;
	}
	printf("  %-24s %2d in flight: %7.0f execs/s%s\n", cfg_names[cfg],
	       inflight, total / ((accel_now_ns() - t0) / 1e9),
	       failed ? " (FAILURES)" : "");
}

static void print_load(const char *when)
{
	char buf[128] = "";
	FILE *f = fopen("/proc/loadavg", "r");

	if (f && fgets(buf, sizeof(buf), f))
		printf("load average %s: %s", when, buf);
	if (f)
		fclose(f);
}

int main(int argc, char **argv)
{
	int iters = argc > 1 ? atoi(argv[1]) : 200;
	int total = argc > 2 ? atoi(argv[2]) : 400;
	const struct accel_sandbox_features *f = accel_sandbox_probe();
	const char *w[1];
	struct accel_sandbox_policy full = { 0 }, nons = { 0 }, direct;
	int ret;

	snprintf(workdir, sizeof(workdir), "/tmp/accel-bench-XXXXXX");
	if (!mkdtemp(workdir)) {
		perror("mkdtemp");
		return 1;
	}
	w[0] = workdir;
	full.write = w;
	full.n_write = 1;
	full.net = ACCEL_SANDBOX_NET_NONE;
	nons = full;
	nons.disabled = ACCEL_SANDBOX_L_ALL_NS;
	direct = full;
	direct.flags |= ACCEL_SANDBOX_F_NO_LAUNCHER;
	ret = accel_sandbox_policy_compile(&full, &sb_full);
	if (!ret)
		ret = accel_sandbox_policy_compile(&direct, &sb_direct);
	if (!ret)
		ret = accel_sandbox_policy_compile(&nons, &sb_nons);
	if (ret) {
		fprintf(stderr, "policy: %d\n", ret);
		return 1;
	}
	have_bwrap = access("/usr/bin/bwrap", X_OK) == 0;
	printf("kernel: landlock ABI %u; full policy layers:", f->landlock_abi);
	for (uint32_t b = 1; b <= ACCEL_SANDBOX_L_PDEATHSIG; b <<= 1)
		if (accel_sandbox_layers(sb_full) & b)
			printf(" %s", accel_sandbox_layer_name(b));
	printf("\nno-namespace policy layers:");
	for (uint32_t b = 1; b <= ACCEL_SANDBOX_L_PDEATHSIG; b <<= 1)
		if (accel_sandbox_layers(sb_nons) & b)
			printf(" %s", accel_sandbox_layer_name(b));
	printf("\n");

	print_load("before");
	latency("/bin/true", true_argv, iters);
	latency("sh -c 'echo hi'", echo_argv, iters);

	printf("\nthroughput (/bin/true, %d execs)\n", total);
	for (int inflight = 2; inflight <= 16; inflight *= 8) {
		throughput(C_POSIX, inflight, total);
		throughput(C_FULL, inflight, total);
		throughput(C_FULL_URING, inflight, total);
		throughput(C_DIRECT, inflight, total);
		if (have_bwrap)
			throughput(C_BWRAP, inflight, total);
	}
	print_load("after");
	accel_sandbox_destroy(sb_full);
	accel_sandbox_destroy(sb_direct);
	accel_sandbox_destroy(sb_nons);
	rmdir(workdir);
	return 0;
}
