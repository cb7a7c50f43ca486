/* SPDX-License-Identifier: MIT */
/*
 * Spawn -> exit through the engine from the C client (issue 3, item 9): the
 * exec op (engine/ops/exec.c) under our full policy and under our policy
 * without namespaces, against plain posix_spawn (no sandbox: the floor),
 * the sandbox library called in this process, with its poll(2) driver and
 * with the io_uring driver the engine's workers use (what the engine adds
 * is the difference), the library without its launcher (the direct path:
 * every step in a vfork-style child per exec), and bubblewrap with the
 * closest flags, for /bin/true and
 * sh -c 'echo hi', in one run. Every case captures stdout through a pipe and
 * reads it to EOF, and checks the exit code and the output.
 *
 * Latency: one call at a time, the cases interleaved in rounds so that the
 * shared machine's drift hits them alike. CPU per exec: user + system time
 * of this process, its reaped children and every live descendant (the
 * engine, the sandbox's launchers) with the children they reaped, so the
 * work is counted wherever it is charged (kernel work deferred to kworkers
 * is not). Throughput: /bin/true with 2 and 16 calls in
 * flight (threads for the process cases, one client with that many requests
 * queued for the engine).
 *
 *   exec_bench [--n 100] [--rounds 4] [--total 400] [--workers 16]
 *              [--spin-us N] [--spread] [--only ID,...] [--out FILE.json]
 *
 * --only times just the listed cases (ids as in the JSON: lib-full,
 * exec-full, ...) next to posix_spawn, and skips throughput: for profiling.
 * --spin-us is the engine poller's spin window (default: the engine's,
 * 50 us); the client's wait spins its own default 50 us. --spread adds a
 * throughput case where each request in flight has its own copy of the full
 * policy (one launcher each instead of one shared).
 *
 * Environment: ACCEL_ENGINE (the agent-acceld binary). Writes JSON series
 * (bench/hist.h) to --out; bench/exec_report.mjs turns them into markdown.
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
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "accel_time.h"
#include "bwrap_argv.h"
#include "client.h"
#include "exec_request.h"
#include "hist.h"
#include "sandbox.h"

extern char **environ;

enum cfg {
	C_POSIX,
	C_LIB_FULL,
	C_LIB_URING,
	C_LIB_DIRECT,
	C_EXEC_FULL,
	C_EXEC_NONS,
	C_EXEC_SPREAD, /* throughput only */
	C_BWRAP,
	C_BWRAP_NET,
	C_N
};

static const struct {
	const char *id, *label;
} cfgs[C_N] = {
	[C_POSIX] = { "posix_spawn", "posix_spawn, no sandbox" },
	[C_LIB_FULL] = { "lib-full", "sandbox library in-process, full" },
	[C_LIB_URING] = { "lib-full-uring",
			  "sandbox library in-process, full, io_uring" },
	[C_LIB_DIRECT] = { "lib-direct",
			   "sandbox library in-process, full, no launcher" },
	[C_EXEC_FULL] = { "exec-full", "engine exec op, full policy" },
	[C_EXEC_NONS] = { "exec-nons", "engine exec op, no namespaces" },
	[C_EXEC_SPREAD] = { "exec-full-spread",
			    "engine exec op, full, a policy per slot" },
	[C_BWRAP] = { "bwrap", "bwrap, no netns" },
	[C_BWRAP_NET] = { "bwrap-net", "bwrap, with netns" },
};

static const char *const true_argv[] = { "/bin/true", NULL };
static const char *const echo_argv[] = { "/bin/sh", "-c", "echo hi", NULL };

static char workdir[64];
static int have_bwrap, spread;
static const char *only; /* --only: comma list of case ids (and posix_spawn) */
static struct accel_sandbox *lib_full, *lib_direct;
static struct accel_client *client;

/*
 * The policies the engine compiles (and caches) for the exec cases. The
 * spread case gives each of the requests in flight its own copy of the full
 * policy (a disabled bit no layer uses tells them apart), so that they do
 * not share one compiled policy.
 */
static struct accel_exec_spec spec_for(int cfg, const char *const *argv,
				       int slot)
{
	static const char *w[2];
	struct accel_exec_spec s = { .cwd = workdir };

	w[0] = workdir;
	s.lists[ACCEL_EXEC_S_WRITE] = w;
	s.lists[ACCEL_EXEC_S_ARGV] = argv;
	s.net = ACCEL_SANDBOX_NET_NONE;
	if (cfg == C_EXEC_NONS)
		s.disabled = ACCEL_SANDBOX_L_ALL_NS;
	if (cfg == C_EXEC_SPREAD)
		s.disabled = (uint32_t)slot << 16;
	return s;
}

/* posix_spawn with stdout on a pipe read to EOF; *out gets a prefix. */
static int run_posix(const char *const *argv, char *out, size_t cap)
{
	posix_spawn_file_actions_t fa;
	char buf[4096];
	size_t got = 0;
	ssize_t r;
	int fds[2], st;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	r = posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (r) {
		close(fds[0]);
		return -(int)r;
	}
	while ((r = read(fds[0], buf, sizeof(buf))) > 0) {
		size_t k = (size_t)r < cap - 1 - got ? (size_t)r :
						       cap - 1 - got;

		memcpy(out + got, buf, k);
		got += k;
	}
	out[got] = 0;
	close(fds[0]);
	if (waitpid(pid, &st, 0) != pid)
		return -errno;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* bubblewrap with the flags closest to the full policy (bwrap_argv.h). */
static int run_bwrap(const char *const *argv, int net, char *out, size_t cap)
{
	const char *a[40];

	accel_bwrap_argv(a, workdir, net, argv);
	return run_posix(a, out, cap);
}

/* The io_uring the engine's workers drive commands with, one per thread. */
static __thread struct io_uring *tl_ring;

static int run_lib(struct accel_sandbox *sb, const char *const *argv, int uring,
		   char *out, size_t cap)
{
	struct accel_sandbox_exec x = { .argv = argv, .cwd = workdir };
	struct accel_sandbox_drive_opts o = { 0 };
	struct accel_sandbox_result r;
	int ret;

	if (uring && !tl_ring) {
		tl_ring = malloc(sizeof(*tl_ring));
		if (!tl_ring || io_uring_queue_init(8, tl_ring, 0))
			return -1;
	}
	o.ring = uring ? tl_ring : NULL;

	memset(&r, 0, sizeof(r));
	ret = accel_sandbox_run(sb, &x, &o, &r);

	if (ret == 0) {
		size_t k = r.out[0].len < cap - 1 ? r.out[0].len : cap - 1;

		memcpy(out, r.out[0].data, k);
		out[k] = 0;
		if (r.exit_code != 0 || r.term_signal)
			ret = -1;
	}
	accel_sandbox_result_free(&r);
	return ret;
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Queues one exec request; user_data is its input block. */
static int exec_submit(int cfg, const char *const *argv, int slot)
{
	struct accel_exec_spec s = spec_for(cfg, argv, slot);
	size_t n = accel_exec_encode(&s, NULL, 0);
	struct accel_sqe *q;
	uint64_t off;
	void *p;
	int ret;

	ret = accel_client_alloc(client, n, &off, &p);
	if (ret < 0)
		return ret;
	accel_exec_encode(&s, p, n);
	q = accel_client_sqe(client);
	if (!q) {
		accel_client_free(client, off);
		return -ENOSPC;
	}
	q->op = ACCEL_EXEC_OP;
	q->user_data = off;
	q->in_off = off;
	q->in_len = n;
	return 0;
}

/*
 * Checks a final completion (exit 0, stdout copied to out), gives its
 * result and input back. Returns 0 or a negative code.
 */
static int exec_finish(const struct accel_cqe *cq, char *out, size_t cap)
{
	const uint8_t *b = accel_client_result(client, cq);
	int ret = cq->res < 0 ? cq->res : 0;

	if (b && ret == 0) {
		uint32_t off = le32(b + 80), len = le32(b + 84);

		if ((int32_t)le32(b + 8) != 0 ||
		    (uint64_t)off + len > cq->out_len)
			ret = -1;
		else if (out) {
			size_t k = len < cap - 1 ? len : cap - 1;

			memcpy(out, b + off, k);
			out[k] = 0;
		}
	} else if (!b && ret == 0) {
		ret = -1;
	}
	if (b)
		accel_client_release(client, cq->out_off);
	accel_client_free(client, cq->user_data);
	return ret;
}

/* Reaps what is ready; returns final completions seen or an error. */
static int exec_reap(int *failed, char *out, size_t cap)
{
	struct accel_cqe cq[32];
	int n, done = 0;

	n = accel_client_reap(client, cq, 32);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		if (cq[i].flags & ACCEL_CQE_F_MORE) {
			if (cq[i].flags & ACCEL_CQE_F_RESULT)
				accel_client_release(client, cq[i].out_off);
			continue;
		}
		if (exec_finish(&cq[i], out, cap) < 0)
			(*failed)++;
		done++;
	}
	return done;
}

static int run_exec(int cfg, const char *const *argv, char *out, size_t cap)
{
	int failed = 0, ret;

	ret = exec_submit(cfg, argv, 0);
	if (ret == 0)
		ret = accel_client_submit(client) == 1 ? 0 : -1;
	while (ret == 0) {
		ret = accel_client_wait(client, -1);
		if (ret < 0)
			break;
		ret = exec_reap(&failed, out, cap);
		if (ret < 0)
			break;
		if (ret > 0)
			return failed ? -1 : 0;
		ret = 0;
	}
	return ret;
}

static int run_cfg(int c, const char *const *argv, char *out, size_t cap)
{
	switch (c) {
	case C_POSIX:
		return run_posix(argv, out, cap);
	case C_LIB_FULL:
	case C_LIB_URING:
		return run_lib(lib_full, argv, c == C_LIB_URING, out, cap);
	case C_LIB_DIRECT:
		return run_lib(lib_direct, argv, 0, out, cap);
	case C_EXEC_FULL:
	case C_EXEC_NONS:
	case C_EXEC_SPREAD:
		return run_exec(c, argv, out, cap);
	case C_BWRAP:
		return run_bwrap(argv, 0, out, cap);
	case C_BWRAP_NET:
		return run_bwrap(argv, 1, out, cap);
	}
	return -1;
}

static int cfg_on(int c)
{
	return (c != C_BWRAP && c != C_BWRAP_NET) || have_bwrap;
}

/* Whether id is an item of the comma list l. */
static int in_list(const char *l, const char *id)
{
	size_t n = strlen(id);

	for (const char *p = l; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : 0)
		if (!strncmp(p, id, n) && (p[n] == ',' || !p[n]))
			return 1;
	return 0;
}

/* The cases timed one call at a time. */
static int lat_on(int c)
{
	if (only && c != C_POSIX && !in_list(only, cfgs[c].id))
		return 0;
	return c != C_EXEC_SPREAD && cfg_on(c);
}

/*
 * Reads utime + stime + cutime + cstime (us) and the parent of /proc/<pid>;
 * returns -1 when the process is gone.
 */
static double proc_cpu_us(const char *pid, long *ppid)
{
	unsigned long long ut, st, cut, cst;
	char path[300], buf[1024];
	const char *p;
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	ok = fgets(buf, sizeof(buf), f) != NULL;
	fclose(f);
	/* after "pid (comm) ": state, ppid, then utime is field 14 */
	p = ok ? strrchr(buf, ')') : NULL;
	if (!p || sscanf(p + 2,
			 "%*c %ld %*d %*d %*d %*d %*u %*u %*u %*u %*u "
			 "%llu %llu %llu %llu",
			 ppid, &ut, &st, &cut, &cst) != 5)
		return -1;
	return (double)(ut + st + cut + cst) * 1e6 /
	       (double)sysconf(_SC_CLK_TCK);
}

/*
 * CPU time (us) of this process, its reaped children and every live
 * descendant with the children it reaped: the engine, and the sandbox's
 * launchers, which reap the commands themselves. Counted once each: a
 * process's time joins its parent's only when it is reaped. The scan of
 * /proc costs this process time of its own: the snapshot that opens a
 * measured loop (start) reads our own times after the scan, the one that
 * closes it before, so that neither scan is in the difference.
 */
static double self_us(void)
{
	struct rusage s, c;

	getrusage(RUSAGE_SELF, &s);
	getrusage(RUSAGE_CHILDREN, &c);
	return (double)(s.ru_utime.tv_sec + s.ru_stime.tv_sec +
			c.ru_utime.tv_sec + c.ru_stime.tv_sec) *
		       1e6 +
	       (double)(s.ru_utime.tv_usec + s.ru_stime.tv_usec +
			c.ru_utime.tv_usec + c.ru_stime.tv_usec);
}

static double cpu_us(int start)
{
	enum {
		MAXP = 4096
	};

	static long pid[MAXP], ppid[MAXP];
	static double cpu[MAXP];
	static char mine[MAXP];
	struct dirent *e;
	double us = start ? 0 : self_us();
	int n = 0, grew = 1;
	DIR *d;

	d = opendir("/proc");
	while (d && (e = readdir(d)) && n < MAXP) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		cpu[n] = proc_cpu_us(e->d_name, &ppid[n]);
		if (cpu[n] < 0)
			continue;
		pid[n] = atol(e->d_name);
		mine[n] = ppid[n] == (long)getpid();
		n++;
	}
	if (d)
		closedir(d);
	while (grew) {
		grew = 0;
		for (int i = 0; i < n; i++)
			for (int j = 0; j < n && !mine[i]; j++)
				if (mine[j] && ppid[i] == pid[j])
					mine[i] = grew = 1;
	}
	for (int i = 0; i < n; i++)
		if (mine[i])
			us += cpu[i];
	return start ? us + self_us() : us;
}

static double load1(void)
{
	double l = -1;
	FILE *f = fopen("/proc/loadavg", "r");

	if (f) {
		if (fscanf(f, "%lf", &l) != 1)
			l = -1;
		fclose(f);
	}
	return l;
}

struct cmd {
	const char *id, *label;
	const char *const *argv;
	const char *want;
};

static const struct cmd cmds[] = {
	{ "true", "/bin/true", true_argv, "" },
	{ "echo", "sh -c 'echo hi'", echo_argv, "hi\n" },
};

static void latency(FILE *jf, int *first, int n, int rounds)
{
	for (size_t k = 0; k < sizeof(cmds) / sizeof(cmds[0]); k++) {
		const struct cmd *cm = &cmds[k];
		struct accel_hist h[C_N];
		uint64_t wall[C_N] = { 0 };
		double cpu[C_N] = { 0 };
		char out[64];

		for (int c = 0; c < C_N; c++) {
			if (accel_hist_init(&h[c], (size_t)n * rounds)) {
				perror("hist");
				exit(1);
			}
			/* Warm-up; checks the output; caches the policy. */
			for (int i = 0; i < 10 && lat_on(c); i++)
				if (run_cfg(c, cm->argv, out, sizeof(out)) ||
				    strcmp(out, cm->want)) {
					fprintf(stderr, "%s %s: failed (%s)\n",
						cfgs[c].id, cm->id, out);
					exit(1);
				}
		}
		for (int r = 0; r < rounds; r++)
			for (int c = 0; c < C_N; c++) {
				uint64_t t0, t1;
				double c0;

				if (!lat_on(c))
					continue;
				c0 = cpu_us(1);
				t0 = accel_now_ns();
				for (int i = 0; i < n; i++) {
					uint64_t t = accel_now_ns();

					if (run_cfg(c, cm->argv, out,
						    sizeof(out))) {
						fprintf(stderr, "%s failed\n",
							cfgs[c].id);
						exit(1);
					}
					accel_hist_add(&h[c],
						       accel_now_ns() - t);
				}
				t1 = accel_now_ns();
				wall[c] += t1 - t0;
				cpu[c] += cpu_us(0) - c0;
			}
		printf("\n%s, %d calls per case (%d interleaved rounds), load "
		       "%.1f\n",
		       cm->label, n * rounds, rounds, load1());
		printf("  %-36s %9s %9s %7s %11s %7s\n", "case", "p50 us",
		       "p99 us", "p50/x", "cpu us/exec", "cpu/x");
		for (int c = 0; c < C_N; c++) {
			char id[64], extra[160];
			double cpx = cpu[c] / h[c].n;

			if (!lat_on(c)) {
				accel_hist_destroy(&h[c]);
				continue;
			}
			accel_hist_finish(&h[c], wall[c], 0);
			printf("  %-36s %9.0f %9.0f %6.2fx %11.0f %6.2fx\n",
			       cfgs[c].label, accel_hist_pct(&h[c], 0.5) / 1e3,
			       accel_hist_pct(&h[c], 0.99) / 1e3,
			       (double)accel_hist_pct(&h[c], 0.5) /
				       (double)accel_hist_pct(&h[C_POSIX], 0.5),
			       cpx, cpx / (cpu[C_POSIX] / h[C_POSIX].n));
			snprintf(id, sizeof(id), "c.%s/%s", cfgs[c].id, cm->id);
			snprintf(extra, sizeof(extra),
				 "\"cmd\": \"%s\", \"cfg\": \"%s\", "
				 "\"cpu_ns_per_op\": %.0f, \"load1\": %.2f",
				 cm->id, cfgs[c].id, cpx * 1e3, load1());
			fprintf(jf, "%s\n", *first ? "" : ",");
			*first = 0;
			accel_hist_json(jf, &h[c], id, cfgs[c].label,
					"exec-latency", 0, 1, extra);
		}
		for (int c = 0; c < C_N; c++)
			accel_hist_destroy(&h[c]);
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
	char out[64];

	while (atomic_fetch_sub(tp->left, 1) > 0)
		if (run_cfg(tp->cfg, true_argv, out, sizeof(out)))
			tp->failed++;
	return NULL;
}

/* depth threads, each running one process case at a time. */
static int tp_threads(int cfg, int depth, int total)
{
	pthread_t th[64];
	struct tp tp[64];
	atomic_int left = total;
	int failed = 0;

	for (int i = 0; i < depth; i++) {
		tp[i] = (struct tp){ cfg, &left, 0 };
		pthread_create(&th[i], NULL, tp_thread, &tp[i]);
	}
	for (int i = 0; i < depth; i++) {
		pthread_join(th[i], NULL);
		failed += tp[i].failed;
	}
	return failed;
}

/* One client keeping depth exec requests queued until total finished. */
static int tp_engine(int cfg, int depth, int total)
{
	int sent = 0, done = 0, failed = 0, batch;

	while (done < total) {
		for (batch = 0; sent - done < depth && sent < total;
		     batch++, sent++)
			if (exec_submit(cfg, true_argv, sent % depth) < 0)
				break;
		if (batch && accel_client_submit(client) != batch)
			return total;
		if (accel_client_wait(client, -1) < 0)
			return total;
		int n = exec_reap(&failed, NULL, 0);

		if (n < 0)
			return total;
		done += n;
	}
	return failed;
}

static void throughput(FILE *jf, int total)
{
	static const int tp_cfgs[] = { C_POSIX, C_EXEC_FULL, C_EXEC_SPREAD,
				       C_EXEC_NONS, C_BWRAP };

	printf("\nthroughput, %d execs of /bin/true, load %.1f\n", total,
	       load1());
	for (int depth = 2; depth <= 16; depth *= 8)
		for (size_t k = 0; k < sizeof(tp_cfgs) / sizeof(tp_cfgs[0]);
		     k++) {
			int c = tp_cfgs[k], failed;
			struct accel_hist h;
			char id[64], label[96], extra[96];
			uint64_t t0;

			if (!cfg_on(c) || (c == C_EXEC_SPREAD && !spread))
				continue;
			accel_hist_init(&h, 1);
			t0 = accel_now_ns();
			failed = c == C_EXEC_FULL || c == C_EXEC_NONS ||
						 c == C_EXEC_SPREAD ?
					 tp_engine(c, depth, total) :
					 tp_threads(c, depth, total);
			accel_hist_finish(&h, accel_now_ns() - t0,
					  (uint64_t)total);
			printf("  %-36s %2d in flight: %7.0f execs/s%s\n",
			       cfgs[c].label, depth,
			       (double)total * 1e9 / (double)h.wall_ns,
			       failed ? " (FAILURES)" : "");
			snprintf(id, sizeof(id), "c.%s/true@%d", cfgs[c].id,
				 depth);
			snprintf(label, sizeof(label), "%s, %d in flight",
				 cfgs[c].label, depth);
			snprintf(extra, sizeof(extra),
				 "\"cfg\": \"%s\", \"failed\": %d, "
				 "\"load1\": %.2f",
				 cfgs[c].id, failed, load1());
			fprintf(jf, ",\n");
			accel_hist_json(jf, &h, id, label, "exec-throughput", 0,
					(unsigned)depth, extra);
			accel_hist_destroy(&h);
		}
}

static void print_layers(FILE *jf, const char *key, uint32_t layers)
{
	int first = 1;

	fprintf(jf, "\"%s\": [", key);
	printf("%s:", key);
	for (uint32_t b = 1; b <= ACCEL_SANDBOX_L_PDEATHSIG; b <<= 1)
		if (layers & b) {
			fprintf(jf, "%s\"%s\"", first ? "" : ", ",
				accel_sandbox_layer_name(b));
			printf(" %s", accel_sandbox_layer_name(b));
			first = 0;
		}
	fprintf(jf, "], ");
	printf("\n");
}

static const char *opt(int argc, char **argv, const char *name, const char *def)
{
	for (int i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], name))
			return argv[i + 1];
	return def;
}

int main(int argc, char **argv)
{
	int n = atoi(opt(argc, argv, "--n", "100"));
	int rounds = atoi(opt(argc, argv, "--rounds", "4"));
	int total = atoi(opt(argc, argv, "--total", "400"));
	int workers = atoi(opt(argc, argv, "--workers", "16"));
	const char *outp = opt(argc, argv, "--out", "exec-bench.json");
	int spin = atoi(opt(argc, argv, "--spin-us", "0"));

	only = opt(argc, argv, "--only", NULL);
	for (int i = 1; i < argc; i++)
		spread |= !strcmp(argv[i], "--spread");
	struct accel_client_opts co = { .workers = (uint32_t)workers,
					.engine_spin_us = (uint32_t)spin };
	struct accel_sandbox_policy full = { .net = ACCEL_SANDBOX_NET_NONE };
	const char *w[1];
	struct accel_sandbox *nons;
	struct utsname u;
	time_t now = time(NULL);
	char when[32];
	FILE *jf;
	int first = 1, ret;

	snprintf(workdir, sizeof(workdir), "/tmp/accel-exec-bench-XXXXXX");
	if (!mkdtemp(workdir)) {
		perror("mkdtemp");
		return 1;
	}
	w[0] = workdir;
	full.write = w;
	full.n_write = 1;
	ret = accel_sandbox_policy_compile(&full, &lib_full);
	full.flags = ACCEL_SANDBOX_F_NO_LAUNCHER;
	if (!ret)
		ret = accel_sandbox_policy_compile(&full, &lib_direct);
	full.flags = 0;
	full.disabled = ACCEL_SANDBOX_L_ALL_NS;
	if (!ret)
		ret = accel_sandbox_policy_compile(&full, &nons);
	if (ret) {
		fprintf(stderr, "policy: %d\n", ret);
		return 1;
	}
	ret = accel_client_spawn(&co, &client);
	if (ret) {
		fprintf(stderr, "engine: %d (set ACCEL_ENGINE)\n", ret);
		return 1;
	}
	have_bwrap = access("/usr/bin/bwrap", X_OK) == 0;
	jf = fopen(outp, "w");
	if (!jf) {
		perror(outp);
		return 1;
	}
	uname(&u);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	fprintf(jf,
		"{\"bench\": \"exec_c\", \"when\": \"%s\", \"kernel\": \"%s "
		"%s\", \"nproc\": %ld, \"engine_workers\": %d, \"n\": %d, "
		"\"engine_spin_us\": %d, \"rounds\": %d, \"total\": %d, "
		"\"load1_before\": %.2f, "
		"\"landlock_abi\": %u, \"bwrap\": %s, ",
		when, u.sysname, u.release, sysconf(_SC_NPROCESSORS_ONLN),
		workers, n, spin, rounds, total, load1(),
		accel_sandbox_probe()->landlock_abi,
		have_bwrap ? "true" : "false");
	print_layers(jf, "layers_full", accel_sandbox_layers(lib_full));
	print_layers(jf, "layers_nons", accel_sandbox_layers(nons));
	fprintf(jf, "\"series\": [");
	latency(jf, &first, n, rounds);
	if (!only)
		throughput(jf, total);
	fprintf(jf, "\n], \"load1_after\": %.2f}\n", load1());
	fclose(jf);
	accel_client_destroy(client);
	accel_sandbox_destroy(lib_full);
	accel_sandbox_destroy(lib_direct);
	accel_sandbox_destroy(nons);
	rmdir(workdir);
	printf("\njson: %s\n", outp);
	return 0;
}
