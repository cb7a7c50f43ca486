/* SPDX-License-Identifier: MIT */
/*
 * Round trips through the C client (issue 2, item 11), the C half of the
 * harness that bench/run.sh drives:
 *
 *   c.ping.sync        one ping at a time, waiting on the calling thread
 *   c.ping.inflight256 256 pings kept in flight (latency and throughput)
 *   c.batch.N          N pings written as N SQEs and published with one
 *                      store, N = 1 .. 256; the sample is the whole batch
 *   c.echo.*.S         echo of S = 64 B .. 16 MiB, split into the submit-side
 *                      copy into the arena (copy_in), the ring round trip
 *                      including the engine's work (rt), taking the zero-copy
 *                      view of the result (view) and the whole client-side
 *                      cost (total); copy_out is a reference: what copying
 *                      the result out would add (it is not part of total)
 *   c.floor.spin       two C processes ping-ponging one cache line, busy
 *                      polling: the hardware floor of any shared-memory
 *                      round trip on this machine
 *   c.floor.futex      the same with both sides sleeping on a futex: the
 *                      price of a cross-process wake-up each way
 *   c.peer.unix        request/response over a Unix socket to echo_server
 *                      (with --echo-socket)
 *   c.spin.S.clientC.gapG  ping against an engine started with
 *                      --spin-us S, the client spinning C us before it
 *                      sleeps, back to back (G = 0) or after G us of think
 *                      time, with the engine's CPU use: the spin's price
 *
 * Timing is clock_gettime(CLOCK_MONOTONIC) (vDSO); every series is warmed up
 * first. The output is one JSON document (see bench/hist.h) that
 * bench/report.mjs merges with the Node half.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <linux/futex.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "accel_compiler.h"
#include "accel_err.h"
#include "accel_time.h"
#include "client.h"
#include "hist.h"

/* Op ids from engine/ops/ops.def. */
#define OP_PING	 1
#define OP_ECHO	 2
#define OP_STATS 3

#define MAX_BATCH 256
#define INFLIGHT  256

struct opts {
	const char *json;
	const char *engine;
	const char *echo_socket;
	const char *payload;
	const char *only;
	double scale;
	uint32_t spin_us;
	uint32_t workers;
	uint64_t client_spin_ns;
};

struct bench {
	struct opts o;
	struct accel_client *c;
	FILE *out;
	int nseries;
	/* Real bytes to echo: source files concatenated up to 16 MiB. */
	uint8_t *src;
	size_t src_len;
};

static void die(const char *what, int err)
{
	fprintf(stderr, "rt_bench: %s: %s\n", what,
		err < 0 ? accel_strerror(err) : strerror(err));
	exit(1);
}

static size_t iters(const struct bench *b, size_t n)
{
	size_t k = (size_t)((double)n * b->o.scale);

	return k < 20 ? 20 : k;
}

static size_t warmup(size_t n)
{
	size_t w = n / 10;

	return w < 10 ? 10 : w > 20000 ? 20000 : w;
}

/*
 * The machine is shared: each series carries the 1-minute load average and
 * the number of runnable tasks when it was written, so that a noisy series
 * can be told from a slow path.
 */
static void load_now(double *load1, int *running)
{
	FILE *f = fopen("/proc/loadavg", "r");

	*load1 = -1;
	*running = -1;
	if (!f)
		return;
	if (fscanf(f, "%lf %*f %*f %d/", load1, running) != 2) {
		*load1 = -1;
		*running = -1;
	}
	fclose(f);
}

static void emit(struct bench *b, const struct accel_hist *h, const char *id,
		 const char *label, const char *group, uint64_t size,
		 unsigned batch, const char *extra)
{
	char more[256];
	double load1;
	int running;

	load_now(&load1, &running);
	snprintf(more, sizeof(more), "\"load1\": %.2f, \"runnable\": %d%s%s",
		 load1, running, extra ? ", " : "", extra ? extra : "");
	fprintf(b->out, "%s\n    ", b->nseries++ ? "," : "");
	accel_hist_json(b->out, h, id, label, group, size, batch, more);
	fprintf(stderr, "  %-26s p50 %9.2f us  p99 %9.2f us  p999 %9.2f us\n",
		id, accel_hist_pct(h, 0.5) / 1e3, accel_hist_pct(h, 0.99) / 1e3,
		accel_hist_pct(h, 0.999) / 1e3);
}

/*
 * Waits for and copies out at least one completion. Failed completions end
 * the bench: a benchmark of errors measures nothing.
 */
static int reap_some(struct accel_client *c, struct accel_cqe *cqes,
		     unsigned max)
{
	for (;;) {
		int n = accel_client_reap(c, cqes, max);

		if (n < 0)
			die("reap", n);
		if (n > 0) {
			for (int i = 0; i < n; i++)
				if (cqes[i].res < 0)
					die("completion", cqes[i].res);
			return n;
		}
		n = accel_client_wait(c, -1);
		if (n < 0)
			die("wait", n);
	}
}

/* Gives back a result block that a ping should not carry, if it does. */
static void drop_result(struct accel_client *c, const struct accel_cqe *cqe)
{
	if (cqe->flags & ACCEL_CQE_F_RESULT)
		accel_client_release(c, cqe->out_off);
}

static void queue_ping(struct accel_client *c, uint64_t user_data)
{
	struct accel_sqe *sqe = accel_client_sqe(c);

	if (!sqe)
		die("sqe", -ENOSPC);
	sqe->op = OP_PING;
	sqe->user_data = user_data;
}

static void submit(struct accel_client *c)
{
	int ret = accel_client_submit(c);

	if (ret < 0)
		die("submit", ret);
}

static void bench_ping_sync(struct bench *b)
{
	size_t n = iters(b, 200000), w = warmup(n);
	struct accel_cqe cqe;
	struct accel_hist h;
	uint64_t start = 0;

	if (accel_hist_init(&h, n) < 0)
		die("hist", -ENOMEM);
	for (size_t i = 0; i < w + n; i++) {
		uint64_t t0;

		if (i == w)
			start = accel_now_ns();
		t0 = accel_now_ns();
		queue_ping(b->c, i);
		submit(b->c);
		reap_some(b->c, &cqe, 1);
		if (i >= w)
			accel_hist_add(&h, accel_now_ns() - t0);
		drop_result(b->c, &cqe);
	}
	accel_hist_finish(&h, accel_now_ns() - start, 0);
	emit(b, &h, "c.ping.sync", "C ping, one at a time", "ping", 0, 1, NULL);
	accel_hist_destroy(&h);
}

/*
 * Keeps INFLIGHT pings outstanding: every reaped completion is replaced by a
 * new request, and the new requests of one reap go out with one publish.
 * The latency of a ping is from its submission to its reap, so it includes
 * the queueing behind the other 255.
 */
static void bench_ping_inflight(struct bench *b)
{
	size_t n = iters(b, 400000), w = warmup(n), total = w + n;
	uint64_t sent_at[INFLIGHT], start = 0;
	struct accel_cqe cqes[64];
	size_t sent = 0, done = 0;
	struct accel_hist h;

	if (accel_hist_init(&h, n) < 0)
		die("hist", -ENOMEM);
	for (unsigned k = 0; k < INFLIGHT && sent < total; k++, sent++) {
		sent_at[k] = accel_now_ns();
		queue_ping(b->c, k);
	}
	submit(b->c);
	while (done < total) {
		int got = reap_some(b->c, cqes, 64);
		uint64_t now = accel_now_ns();

		for (int i = 0; i < got; i++) {
			uint64_t slot = cqes[i].user_data;

			if (slot >= INFLIGHT)
				die("user_data", -ACCEL_E_PROTOCOL);
			if (done == w)
				start = now;
			if (done >= w)
				accel_hist_add(&h, now - sent_at[slot]);
			done++;
			drop_result(b->c, &cqes[i]);
			if (sent < total) {
				sent_at[slot] = now;
				queue_ping(b->c, slot);
				sent++;
			}
		}
		submit(b->c);
	}
	accel_hist_finish(&h, accel_now_ns() - start, 0);
	emit(b, &h, "c.ping.inflight256", "C ping, 256 in flight", "ping", 0, 1,
	     NULL);
	accel_hist_destroy(&h);
}

/* N SQEs, one publish, wait for all N: the sample is the whole batch. */
static void bench_batch(struct bench *b, unsigned batch)
{
	size_t n = iters(b, batch >= 64 ? 4000 : 200000 / batch), w = warmup(n);
	struct accel_cqe cqes[MAX_BATCH];
	struct accel_hist h;
	uint64_t start = 0;
	char id[32], label[64];

	if (accel_hist_init(&h, n) < 0)
		die("hist", -ENOMEM);
	for (size_t i = 0; i < w + n; i++) {
		uint64_t t0;
		unsigned got = 0;

		if (i == w)
			start = accel_now_ns();
		t0 = accel_now_ns();
		for (unsigned k = 0; k < batch; k++)
			queue_ping(b->c, k);
		submit(b->c);
		while (got < batch) {
			int r = reap_some(b->c, cqes, MAX_BATCH);

			for (int k = 0; k < r; k++)
				drop_result(b->c, &cqes[k]);
			got += (unsigned)r;
		}
		if (i >= w)
			accel_hist_add(&h, accel_now_ns() - t0);
	}
	accel_hist_finish(&h, accel_now_ns() - start, (uint64_t)n * batch);
	snprintf(id, sizeof(id), "c.batch.%u", batch);
	snprintf(label, sizeof(label), "C batch of %u pings, one publish",
		 batch);
	emit(b, &h, id, label, "batch", 0, batch, NULL);
	accel_hist_destroy(&h);
}

/*
 * The engine's own count and mean time of an op, from the stats op's JSON
 * document ("ops": {"echo": {"count": N, ..., "mean_ns": M, ...}}). Returns
 * 0, or -1 when the document does not say.
 */
static int engine_op_time(struct bench *b, const char *op, double *count,
			  double *mean)
{
	struct accel_sqe *sqe = accel_client_sqe(b->c);
	char key[64], *doc;
	struct accel_cqe cqe;
	const char *res, *p, *q;
	int ret = -1;

	if (!sqe)
		die("sqe", -ENOSPC);
	sqe->op = OP_STATS;
	sqe->user_data = UINT64_MAX;
	submit(b->c);
	reap_some(b->c, &cqe, 1);
	res = accel_client_result(b->c, &cqe);
	if (!res)
		return -1;
	doc = strndup(res, cqe.out_len);
	accel_client_release(b->c, cqe.out_off);
	if (!doc)
		return -1;
	snprintf(key, sizeof(key), "\"%s\":{", op);
	p = strstr(doc, "\"ops\":");
	p = p ? strstr(p, key) : NULL;
	if (p) {
		q = strstr(p, "\"count\":");
		p = strstr(p, "\"mean_ns\":");
		if (p && q) {
			*count = atof(q + 8);
			*mean = atof(p + 10);
			ret = 0;
		}
	}
	free(doc);
	return ret;
}

static const char *size_name(uint64_t size, char *buf, size_t len)
{
	if (size >= (1u << 20))
		snprintf(buf, len, "%lluM", (unsigned long long)(size >> 20));
	else if (size >= 1024)
		snprintf(buf, len, "%lluK", (unsigned long long)(size >> 10));
	else
		snprintf(buf, len, "%llu", (unsigned long long)size);
	return buf;
}

/*
 * One echo of size bytes, timed in stages:
 *   t0 alloc + copy into the request arena  t1
 *      submit, engine echoes, reap          t2
 *      take the result view                 t3
 *      release result, free input           t4
 */
static void bench_echo(struct bench *b, uint64_t size, size_t base_iters)
{
	size_t n = iters(b, base_iters), w = warmup(n);
	struct accel_hist copy_in, rt, view, total, copy_out;
	uint8_t *priv = malloc(size);
	char sz[16], id[48], label[64], engine[64] = "";
	double c0 = 0, m0 = 0, c1 = 0, m1 = 0;
	int have_stats = 0;
	uint64_t start = 0;

	if (!priv || accel_hist_init(&copy_in, n) < 0 ||
	    accel_hist_init(&rt, n) < 0 || accel_hist_init(&view, n) < 0 ||
	    accel_hist_init(&total, n) < 0 || accel_hist_init(&copy_out, n) < 0)
		die("hist", -ENOMEM);
	for (size_t i = 0; i < w + n; i++) {
		uint64_t t0, t1, t2, t3, t4, off, ref = 0;
		const uint8_t *res;
		struct accel_cqe cqe;
		struct accel_sqe *sqe;
		void *p;
		int ret;

		if (i == w) {
			have_stats = !engine_op_time(b, "echo", &c0, &m0);
			start = accel_now_ns();
		}
		t0 = accel_now_ns();
		ret = accel_client_alloc(b->c, size, &off, &p);
		if (ret < 0)
			die("alloc", ret);
		memcpy(p, b->src + (i * 4096) % (b->src_len - size + 1), size);
		t1 = accel_now_ns();
		sqe = accel_client_sqe(b->c);
		if (!sqe)
			die("sqe", -ENOSPC);
		sqe->op = OP_ECHO;
		sqe->user_data = i;
		sqe->in_off = off;
		sqe->in_len = size;
		submit(b->c);
		reap_some(b->c, &cqe, 1);
		t2 = accel_now_ns();
		res = accel_client_result(b->c, &cqe);
		t3 = accel_now_ns();
		if (!res || cqe.out_len != size)
			die("echo result", -ACCEL_E_PROTOCOL);
		/* The echo must be right, or its timing means nothing. */
		if (i == 0 && memcmp(res, p, size))
			die("echo bytes differ", -ACCEL_E_PROTOCOL);
		/*
		 * Reference only, outside the timed stages: a sample of what a
		 * copying return path would have to add.
		 */
		if (i >= w && (i - w) % 4 == 0) {
			uint64_t r0 = accel_now_ns();

			memcpy(priv, res, size);
			ref = accel_now_ns() - r0;
			accel_hist_add(&copy_out, ref);
		}
		accel_client_release(b->c, cqe.out_off);
		accel_client_free(b->c, off);
		t4 = accel_now_ns();
		if (i >= w) {
			accel_hist_add(&copy_in, t1 - t0);
			accel_hist_add(&rt, t2 - t1);
			accel_hist_add(&view, t3 - t2);
			accel_hist_add(&total, t4 - t0 - ref);
		}
	}
	accel_hist_finish(&total, accel_now_ns() - start, 0);
	if (have_stats && !engine_op_time(b, "echo", &c1, &m1) && c1 > c0)
		snprintf(engine, sizeof(engine), ", \"engine_mean_ns\": %.1f",
			 (c1 * m1 - c0 * m0) / (c1 - c0));
	accel_hist_finish(&copy_in, total.wall_ns, n);
	accel_hist_finish(&rt, total.wall_ns, n);
	accel_hist_finish(&view, total.wall_ns, n);
	accel_hist_finish(&copy_out, 0, 0);

	size_name(size, sz, sizeof(sz));

	struct {
		struct accel_hist *h;
		const char *stage, *what;
	} st[] = {
		{ &total, "total", "whole client-side round trip" },
		{ &copy_in, "copy_in", "alloc + copy into the arena" },
		{ &rt, "rt", "ring round trip incl. engine copy" },
		{ &view, "view", "result view (the way back)" },
		{ &copy_out, "copy_out", "reference: copying the result out" },
	};

	for (size_t k = 0; k < ACCEL_ARRAY_SIZE(st); k++) {
		char extra[128];

		snprintf(id, sizeof(id), "c.echo.%s.%s", st[k].stage, sz);
		snprintf(label, sizeof(label), "C echo %s B: %s", sz,
			 st[k].what);
		snprintf(extra, sizeof(extra), "\"stage\": \"%s\"%s",
			 st[k].stage, st[k].h == &rt ? engine : "");
		emit(b, st[k].h, id, label, "echo", size, 1, extra);
		accel_hist_destroy(st[k].h);
	}
	free(priv);
}

/*
 * The floor: a parent and a forked child bounce a counter through one
 * shared cache line, both busy polling. Nothing can round-trip between two
 * processes faster on this machine; the ring adds its work on top of this.
 */
static void bench_floor(struct bench *b)
{
	size_t n = iters(b, 200000), w = warmup(n);

	struct line {
		_Alignas(64) _Atomic uint64_t ping;
		_Alignas(64) _Atomic uint64_t pong;
	} * l;
	struct accel_hist h;
	uint64_t start = 0;
	pid_t pid;

	l = mmap(NULL, sizeof(*l), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (l == MAP_FAILED)
		die("mmap", -errno);
	atomic_init(&l->ping, 0);
	atomic_init(&l->pong, 0);
	pid = fork();
	if (pid < 0)
		die("fork", -errno);
	if (pid == 0) {
		uint64_t seen = 0;

		while (seen != UINT64_MAX) {
			uint64_t v;

			while ((v = atomic_load_explicit(
					&l->ping, memory_order_acquire)) ==
			       seen)
				accel_cpu_relax();
			seen = v;
			atomic_store_explicit(&l->pong, v,
					      memory_order_release);
		}
		_exit(0);
	}
	if (accel_hist_init(&h, n) < 0)
		die("hist", -ENOMEM);
	for (uint64_t i = 1; i <= w + n; i++) {
		uint64_t t0;

		if (i == w + 1)
			start = accel_now_ns();
		t0 = accel_now_ns();
		atomic_store_explicit(&l->ping, i, memory_order_release);
		while (atomic_load_explicit(&l->pong, memory_order_acquire) !=
		       i)
			accel_cpu_relax();
		if (i > w)
			accel_hist_add(&h, accel_now_ns() - t0);
	}
	accel_hist_finish(&h, accel_now_ns() - start, 0);
	atomic_store_explicit(&l->ping, UINT64_MAX, memory_order_release);
	waitpid(pid, NULL, 0);
	munmap(l, sizeof(*l));
	emit(b, &h, "c.floor.spin",
	     "C floor: two processes, one cache line, busy poll", "floor", 0, 1,
	     NULL);
	accel_hist_destroy(&h);
}

static void futex_wait32(_Atomic uint32_t *addr, uint32_t val)
{
	syscall(SYS_futex, addr, FUTEX_WAIT, val, NULL, NULL, 0);
}

static void futex_wake32(_Atomic uint32_t *addr)
{
	syscall(SYS_futex, addr, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/*
 * The sleeping floor: the same ping-pong as bench_floor, but each side
 * sleeps on a futex until the other stores and wakes it (no spinning at
 * all). Its latency is the price of one cross-process wake-up in each
 * direction, which any path that lets a side sleep pays.
 */
static void bench_floor_futex(struct bench *b)
{
	size_t n = iters(b, 200000), w = warmup(n);

	struct line {
		_Alignas(64) _Atomic uint32_t ping;
		_Alignas(64) _Atomic uint32_t pong;
	} * l;
	struct accel_hist h;
	uint64_t start = 0;
	pid_t pid;

	l = mmap(NULL, sizeof(*l), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (l == MAP_FAILED)
		die("mmap", -errno);
	atomic_init(&l->ping, 0);
	atomic_init(&l->pong, 0);
	pid = fork();
	if (pid < 0)
		die("fork", -errno);
	if (pid == 0) {
		uint32_t seen = 0;

		while (seen != UINT32_MAX) {
			uint32_t v;

			while ((v = atomic_load(&l->ping)) == seen)
				futex_wait32(&l->ping, seen);
			seen = v;
			atomic_store(&l->pong, v);
			futex_wake32(&l->pong);
		}
		_exit(0);
	}
	if (accel_hist_init(&h, n) < 0)
		die("hist", -ENOMEM);
	for (uint32_t i = 1; i <= w + n; i++) {
		uint64_t t0;
		uint32_t v;

		if (i == w + 1)
			start = accel_now_ns();
		t0 = accel_now_ns();
		atomic_store(&l->ping, i);
		futex_wake32(&l->ping);
		while ((v = atomic_load(&l->pong)) != i)
			futex_wait32(&l->pong, v);
		if (i > w)
			accel_hist_add(&h, accel_now_ns() - t0);
	}
	accel_hist_finish(&h, accel_now_ns() - start, 0);
	atomic_store(&l->ping, UINT32_MAX);
	futex_wake32(&l->ping);
	waitpid(pid, NULL, 0);
	munmap(l, sizeof(*l));
	emit(b, &h, "c.floor.futex",
	     "C floor: two processes, futex wait/wake, no spin", "floor", 0, 1,
	     NULL);
	accel_hist_destroy(&h);
}

static int io_full(int fd, void *p, size_t len, int wr)
{
	uint8_t *q = p;

	while (len) {
		ssize_t r = wr ? write(fd, q, len) : read(fd, q, len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		q += r;
		len -= (size_t)r;
	}
	return 0;
}

/* CPU time (user + system) a process has used, in nanoseconds, or 0. */
static uint64_t proc_cpu_ns(pid_t pid)
{
	unsigned long long ut = 0, st = 0;
	char path[64], buf[1024], *p;
	ssize_t r;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return 0;
	buf[r] = 0;
	/* Fields after the command name, which may contain spaces. */
	p = strrchr(buf, ')');
	if (!p ||
	    sscanf(p + 2,
		   "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
		   &st) != 2)
		return 0;
	return (ut + st) * (1000000000ull / (uint64_t)sysconf(_SC_CLK_TCK));
}

/*
 * The spin windows against latency and CPU: for each engine --spin-us value
 * and two client spins (accel_client_wait()'s default 50 us, and 1 ns: sleep
 * at once), a fresh engine answers pings sent back to back and pings sent
 * after 100 us of client think time (longer than most windows, so the poller
 * has gone to sleep on its futex and must be woken). engine_cpu is the share
 * of one core the engine burnt meanwhile. On a machine with more runnable
 * tasks than cores, two sides that both spin are the case to watch.
 */
static void bench_spin(struct bench *b)
{
	static const uint32_t spins[] = { 1, 5, 20, 50, 200 };
	/* Client spin: accel_client_wait()'s default, and (almost) none. */
	static const uint64_t cspins[] = { 50000, 1 };
	static const uint64_t gaps[] = { 0, 100000 };
	size_t n = iters(b, 10000), w = warmup(n);
	struct accel_hist h;

	if (accel_hist_init(&h, n) < 0)
		die("hist", -ENOMEM);
	for (size_t k = 0; k < ACCEL_ARRAY_SIZE(spins) * 2; k++) {
		struct accel_client_opts co = { 0 };
		uint64_t cspin = cspins[k % 2];
		struct accel_client *c;
		int ret;

		co.engine_path = b->o.engine;
		co.workers = b->o.workers;
		co.engine_spin_us = spins[k / 2];
		co.spin_ns = cspin;
		ret = accel_client_spawn(&co, &c);
		if (ret < 0)
			die("spawn engine", ret);
		for (size_t g = 0; g < ACCEL_ARRAY_SIZE(gaps); g++) {
			pid_t pid = accel_client_engine_pid(c);
			uint64_t start = 0, cpu0 = 0;
			char id[64], label[128], extra[128];
			struct accel_cqe cqe;

			accel_hist_reset(&h);
			for (size_t i = 0; i < w + n; i++) {
				uint64_t t0;

				if (i == w) {
					start = accel_now_ns();
					cpu0 = proc_cpu_ns(pid);
				}
				/* Think time, awake: only the engine may sleep. */
				for (t0 = accel_now_ns();
				     accel_now_ns() - t0 < gaps[g];)
					accel_cpu_relax();
				t0 = accel_now_ns();
				queue_ping(c, i);
				submit(c);
				reap_some(c, &cqe, 1);
				if (i >= w)
					accel_hist_add(&h, accel_now_ns() - t0);
				drop_result(c, &cqe);
			}
			accel_hist_finish(&h, accel_now_ns() - start, 0);
			snprintf(id, sizeof(id), "c.spin.%u.client%llu.gap%llu",
				 spins[k / 2],
				 (unsigned long long)(cspin / 1000),
				 (unsigned long long)(gaps[g] / 1000));
			snprintf(
				label, sizeof(label),
				"C ping, engine spin %u us, client spin %llu us, "
				"%llu us think time",
				spins[k / 2],
				(unsigned long long)(cspin / 1000),
				(unsigned long long)(gaps[g] / 1000));
			snprintf(extra, sizeof(extra),
				 "\"spin_us\": %u, \"client_spin_us\": %llu, "
				 "\"gap_us\": %llu, \"engine_cpu\": %.3f",
				 spins[k / 2],
				 (unsigned long long)(cspin / 1000),
				 (unsigned long long)(gaps[g] / 1000),
				 (double)(proc_cpu_ns(pid) - cpu0) /
					 (double)h.wall_ns);
			emit(b, &h, id, label, "spin", 0, 1, extra);
		}
		accel_client_destroy(c);
	}
	accel_hist_destroy(&h);
}

/* 8-byte request/response over a Unix socket to bench/echo_server. */
static void bench_unix(struct bench *b)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n = iters(b, 200000), w = warmup(n);
	struct accel_hist h;
	uint64_t start = 0, msg, back;
	int s;

	if (strlen(b->o.echo_socket) >= sizeof(sa.sun_path))
		die("echo socket path", -ENAMETOOLONG);
	strcpy(sa.sun_path, b->o.echo_socket);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("connect echo_server", -errno);
	if (accel_hist_init(&h, n) < 0)
		die("hist", -ENOMEM);
	for (size_t i = 0; i < w + n; i++) {
		uint64_t t0;

		if (i == w)
			start = accel_now_ns();
		msg = i;
		t0 = accel_now_ns();
		if (io_full(s, &msg, sizeof(msg), 1) ||
		    io_full(s, &back, sizeof(back), 0))
			die("echo_server io", -EIO);
		if (i >= w)
			accel_hist_add(&h, accel_now_ns() - t0);
		if (back != msg)
			die("echo_server answer", -ACCEL_E_PROTOCOL);
	}
	accel_hist_finish(&h, accel_now_ns() - start, 0);
	close(s);
	emit(b, &h, "c.peer.unix", "C: Unix socket to echo_server, 8 B", "peer",
	     8, 1, NULL);
	accel_hist_destroy(&h);
}

/*
 * Fills the echo source with real bytes: the files named in the
 * colon-separated list, concatenated and repeated up to 16 MiB.
 */
static void load_payload(struct bench *b)
{
	const size_t want = 16u << 20;
	char *list = strdup(b->o.payload), *save = NULL;
	size_t have = 0;

	b->src = malloc(want);
	if (!list || !b->src)
		die("payload", -ENOMEM);
	for (char *f = strtok_r(list, ":", &save); f && have < want;
	     f = strtok_r(NULL, ":", &save)) {
		int fd = open(f, O_RDONLY | O_CLOEXEC);
		ssize_t r;

		if (fd < 0)
			continue;
		while (have < want &&
		       (r = read(fd, b->src + have, want - have)) > 0)
			have += (size_t)r;
		close(fd);
	}
	free(list);
	if (!have)
		die("payload: no readable file in --payload", -ENOENT);
	for (size_t k = have; k < want; k++)
		b->src[k] = b->src[k - have];
	b->src_len = want;
}

/*
 * One second of pings right after the engine started, unrecorded: its
 * threads finish starting (worker rings, io_uring set-up) and the pages of
 * the mapping are touched, so the first series measures the steady state
 * like the others.
 */
static void settle(struct bench *b)
{
	uint64_t end = accel_now_ns() + 1000000000ull;
	struct accel_cqe cqe;

	for (uint64_t i = 0; accel_now_ns() < end; i++) {
		queue_ping(b->c, i);
		submit(b->c);
		reap_some(b->c, &cqe, 1);
		drop_result(b->c, &cqe);
	}
}

/* True when the part is selected by --only (or --only is not given). */
static int want(const struct bench *b, const char *part)
{
	size_t len = strlen(part);

	for (const char *p = b->o.only; p; p = strchr(p, ',')) {
		if (*p == ',')
			p++;
		if (!strncmp(p, part, len) && (p[len] == ',' || !p[len]))
			return 1;
	}
	return !b->o.only;
}

static uint64_t timer_overhead(void)
{
	struct accel_hist h;
	uint64_t r;

	if (accel_hist_init(&h, 10000) < 0)
		die("hist", -ENOMEM);
	for (int i = 0; i < 10000; i++) {
		uint64_t t0 = accel_now_ns();

		accel_hist_add(&h, accel_now_ns() - t0);
	}
	accel_hist_finish(&h, 0, 0);
	r = accel_hist_pct(&h, 0.5);
	accel_hist_destroy(&h);
	return r;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: rt_bench [options]\n"
		"  --json FILE         write the results there (default stdout)\n"
		"  --engine PATH       agent-acceld to spawn (default: $ACCEL_ENGINE,\n"
		"                      then the build tree's engine)\n"
		"  --spin-us N         engine poller spin window (default: engine's)\n"
		"  --workers N         engine worker threads (default: engine's)\n"
		"  --client-spin-ns N  accel_client_wait() spin before sleeping\n"
		"                      (default: the client's, 50 us)\n"
		"  --echo-socket PATH  also time a Unix socket to echo_server\n"
		"  --payload F1:F2...  files whose bytes are echoed\n"
		"  --scale X           multiply every iteration count (default 1)\n"
		"  --only A,B,...      run only these parts: floor, ping, batch,\n"
		"                      echo, unix, spin (default: all)\n");
}

static void parse(int argc, char **argv, struct opts *o)
{
	o->scale = 1;
	o->payload = "node_modules/typescript/lib/typescript.js:"
		     "node_modules/typescript/lib/lib.dom.d.ts";
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--help")) {
			usage(stdout);
			exit(0);
		}
		if (!v) {
			usage(stderr);
			exit(2);
		}
		i++;
		if (!strcmp(a, "--json"))
			o->json = v;
		else if (!strcmp(a, "--engine"))
			o->engine = v;
		else if (!strcmp(a, "--echo-socket"))
			o->echo_socket = v;
		else if (!strcmp(a, "--payload"))
			o->payload = v;
		else if (!strcmp(a, "--only"))
			o->only = v;
		else if (!strcmp(a, "--scale"))
			o->scale = atof(v);
		else if (!strcmp(a, "--spin-us"))
			o->spin_us = (uint32_t)atoi(v);
		else if (!strcmp(a, "--workers"))
			o->workers = (uint32_t)atoi(v);
		else if (!strcmp(a, "--client-spin-ns"))
			o->client_spin_ns = strtoull(v, NULL, 10);
		else {
			usage(stderr);
			exit(2);
		}
	}
	if (o->scale <= 0) {
		fprintf(stderr, "rt_bench: --scale must be > 0\n");
		exit(2);
	}
}

int main(int argc, char **argv)
{
	static const uint64_t sizes[] = { 64, 4096, 65536, 1u << 20,
					  16u << 20 };
	static const size_t size_iters[] = { 50000, 50000, 20000, 2000, 200 };
	struct accel_client_opts co = { 0 };
	struct bench b = { 0 };
	uint64_t t_start = accel_now_ns();
	int ret;

	parse(argc, argv, &b.o);
	signal(SIGPIPE, SIG_IGN);
	load_payload(&b);
	b.out = b.o.json ? fopen(b.o.json, "w") : stdout;
	if (!b.out)
		die(b.o.json, errno);

	co.engine_path = b.o.engine;
	co.workers = b.o.workers;
	co.engine_spin_us = b.o.spin_us;
	co.spin_ns = b.o.client_spin_ns;
	/* 16 MiB in and out with room for the allocator's rounding. */
	co.req_size = 64ull << 20;
	co.res_size = 64ull << 20;
	if (want(&b, "ping") || want(&b, "batch") || want(&b, "echo")) {
		ret = accel_client_spawn(&co, &b.c);
		if (ret < 0)
			die("spawn engine", ret);
		fprintf(stderr, "rt_bench: engine pid %d\n",
			(int)accel_client_engine_pid(b.c));
		settle(&b);
	}

	fprintf(b.out,
		"{\"side\": \"c\", \"timer_overhead_ns\": %llu, "
		"\"engine_spin_us\": %u, \"engine_workers\": %u, "
		"\"client_spin_ns\": %llu, "
		"\"scale\": %g, \"series\": [",
		(unsigned long long)timer_overhead(), b.o.spin_us, b.o.workers,
		(unsigned long long)b.o.client_spin_ns, b.o.scale);

	if (want(&b, "floor")) {
		bench_floor(&b);
		bench_floor_futex(&b);
	}
	if (want(&b, "ping")) {
		bench_ping_sync(&b);
		bench_ping_inflight(&b);
	}
	for (unsigned k = 1; k <= MAX_BATCH && want(&b, "batch"); k *= 2)
		bench_batch(&b, k);
	for (size_t k = 0; k < ACCEL_ARRAY_SIZE(sizes) && want(&b, "echo"); k++)
		bench_echo(&b, sizes[k], size_iters[k]);
	if (b.o.echo_socket && want(&b, "unix"))
		bench_unix(&b);
	if (want(&b, "spin"))
		bench_spin(&b);

	fprintf(b.out, "\n  ], \"elapsed_ns\": %llu}\n",
		(unsigned long long)(accel_now_ns() - t_start));
	if (b.out != stdout)
		fclose(b.out);
	accel_client_destroy(b.c);
	free(b.src);
	return 0;
}
