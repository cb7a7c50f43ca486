/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <grp.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "accel_err.h"
#include "client.h"
#include "exec_request.h"
#include "proc_probe.h"
#include "sandbox.h"

/*
 * The exec op (engine/ops/exec.c) through the real agent-acceld and the C
 * client: commands, exit codes and signals, tree kills on timeout, cancel
 * and engine death (checked by scanning /proc for a marker argv), malformed
 * requests of every kind, the filesystem policy, the policy cache.
 */

static void put32(uint8_t *p, uint32_t v)
{
	accel_exec_put32(p, v);
}

static uint32_t get32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* Encodes a request (client/exec_request.h); *len gets its size. */
static uint8_t *build(const struct accel_exec_spec *s, size_t *len)
{
	size_t n = accel_exec_encode(s, NULL, 0);
	uint8_t *b = malloc(n);

	cr_assert(n && b);
	cr_assert_eq(accel_exec_encode(s, b, n), n);
	*len = n;
	return b;
}

static struct accel_client *client_start(void)
{
	struct accel_client_opts o = { .engine_path = ACCEL_ENGINE_BIN,
				       .workers = 2 };
	struct accel_client *c;

	cr_assert_eq(accel_client_spawn(&o, &c), 0);
	return c;
}

static void submit(struct accel_client *c, uint16_t op, const void *in,
		   size_t len, uint64_t ud, uint64_t arg0, uint64_t *in_off)
{
	struct accel_sqe *q;
	void *p;

	*in_off = 0;
	if (len) {
		cr_assert_eq(accel_client_alloc(c, len, in_off, &p), 0);
		memcpy(p, in, len);
	}
	q = accel_client_sqe(c);
	cr_assert_not_null(q);
	q->op = op;
	q->user_data = ud;
	q->in_off = *in_off;
	q->in_len = len;
	q->arg[0] = arg0;
	cr_assert_eq(accel_client_submit(c), 1);
}

/* A finished exec: res and a private copy of the result block. */
struct done {
	int32_t res;
	uint8_t *blk;
	size_t len;
	int progress;	    /* progress completions seen */
	char streamed[256]; /* their stdout bytes, truncated */
	size_t streamed_len;
};

/* Waits for the final completion of ud; other completions are dropped. */
static struct done wait_done(struct accel_client *c, uint64_t ud)
{
	struct done d = { 0 };
	struct accel_cqe cq[16];

	for (;;) {
		int n;

		cr_assert_geq(accel_client_wait(c, -1), 0);
		n = accel_client_reap(c, cq, 16);
		cr_assert_geq(n, 0);
		for (int i = 0; i < n; i++) {
			const uint8_t *p = accel_client_result(c, &cq[i]);
			int fin = !(cq[i].flags & ACCEL_CQE_F_MORE);

			if (cq[i].user_data == ud && !fin && p &&
			    cq[i].out_len >= 16) {
				size_t l = cq[i].out_len - 16;

				d.progress++;
				if (get64(p) == 0 &&
				    d.streamed_len + l < sizeof(d.streamed)) {
					memcpy(d.streamed + d.streamed_len,
					       p + 16, l);
					d.streamed_len += l;
				}
			}
			if (cq[i].user_data == ud && fin) {
				d.res = cq[i].res;
				if (p) {
					d.blk = malloc(cq[i].out_len);
					memcpy(d.blk, p, cq[i].out_len);
					d.len = cq[i].out_len;
				}
			}
			if (p)
				accel_client_release(c, cq[i].out_off);
			if (cq[i].user_data == ud && fin)
				return d;
		}
	}
}

static struct done run(struct accel_client *c, const struct accel_exec_spec *s)
{
	static uint64_t ud = 1000;
	uint64_t off;
	size_t len;
	uint8_t *b = build(s, &len);
	struct done d;

	submit(c, ACCEL_EXEC_OP, b, len, ++ud, 0, &off);
	d = wait_done(c, ud);
	accel_client_free(c, off);
	free(b);
	return d;
}

/* The status of a run, dropping any result block (an error's detail). */
static int32_t run_res(struct accel_client *c, const struct accel_exec_spec *s)
{
	struct done d = run(c, s);

	free(d.blk);
	return d.res;
}

/* Raw request bytes, for the malformed cases. */
static int32_t run_raw(struct accel_client *c, const void *in, size_t len)
{
	static uint64_t ud = 500000;
	uint64_t off;
	struct done d;

	submit(c, ACCEL_EXEC_OP, in, len, ++ud, 0, &off);
	d = wait_done(c, ud);
	accel_client_free(c, off);
	free(d.blk);
	return d.res;
}

static int32_t r_exit(const struct done *d)
{
	return (int32_t)get32(d->blk + 8);
}

static int32_t r_signal(const struct done *d)
{
	return (int32_t)get32(d->blk + 12);
}

static uint32_t r_flags(const struct done *d)
{
	return get32(d->blk + 16);
}

/* Stream 0 (stdout) or 1 (stderr) as a NUL-terminated copy. */
static char *r_stream(const struct done *d, int s)
{
	const uint8_t *e = d->blk + 80 + 32 * s;
	uint32_t off = get32(e), len = get32(e + 4);
	char *out = malloc(len + 1);

	cr_assert_leq((uint64_t)off + len, d->len);
	memcpy(out, d->blk + off, len);
	out[len] = 0;
	return out;
}

/* Number of processes whose command line contains marker. */
static int count_marker(const char *marker)
{
	DIR *dir = opendir("/proc");
	struct dirent *e;
	int n = 0;

	cr_assert_not_null(dir);
	while ((e = readdir(dir))) {
		char path[300], buf[4096];
		ssize_t r;
		int fd;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		r = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (r <= 0)
			continue;
		for (ssize_t i = 0; i < r; i++)
			if (!buf[i])
				buf[i] = ' ';
		buf[r] = 0;
		if (strstr(buf, marker))
			n++;
	}
	closedir(dir);
	return n;
}

/* Polls until count_marker() equals want or 20 s passed; returns the count. */
static int await_marker(const char *marker, int want_zero)
{
	int n = 0;

	for (int i = 0; i < 2000; i++) {
		n = count_marker(marker);
		if (want_zero ? n == 0 : n > 0)
			break;
		usleep(10000);
	}
	return n;
}

/*
 * A unique sleep duration as marker: "sleep 7<pid>.<n>" runs in a daemon
 * that double-forks and calls setsid, plus the top shell's own sleep.
 */
static void marker_script(char *marker, size_t mlen, char *script, size_t slen)
{
	static int seq;

	snprintf(marker, mlen, "7%d.%d", (int)getpid(), ++seq);
	snprintf(script, slen,
		 "(setsid sh -c 'sleep %s & sleep %s' &) ; "
		 "trap '' TERM; echo started; sleep %s",
		 marker, marker, marker);
}

TestSuite(exec, .timeout = 120);

Test(exec, echo_hi)
{
	struct accel_client *c = client_start();
	const char *argv[] = { "echo", "hi", NULL };
	struct accel_exec_spec s = { .lists[ACCEL_EXEC_S_ARGV] = argv };
	struct done d = run(c, &s);
	char *out;

	cr_assert_geq(d.res, 0, "res %d (%s)", d.res, accel_strerror(d.res));
	cr_assert_not_null(d.blk);
	cr_assert_eq(get32(d.blk), ACCEL_SANDBOX_WIRE_MAGIC);
	cr_assert_eq(r_exit(&d), 0);
	cr_assert_eq(r_signal(&d), 0);
	out = r_stream(&d, 0);
	cr_assert_str_eq(out, "hi\n");
	free(out);
	/* Layers in force are reported (seccomp is on every Linux here). */
	cr_assert(get32(d.blk + 20) & ACCEL_SANDBOX_L_SECCOMP);
	free(d.blk);
	accel_client_destroy(c);
}

Test(exec, exit_codes_signals_stdin_and_env)
{
	struct accel_client *c = client_start();
	const char *a1[] = { "sh", "-c", "exit 42", NULL };
	const char *a2[] = { "sh", "-c", "kill -SEGV $$", NULL };
	const char *a3[] = { "sh", "-c", "wc -c; echo \"$FOO/${SECRET:-none}\"",
			     NULL };
	const char *env[] = { "SECRET=hunter2", "PATH=/usr/bin:/bin", NULL };
	const char *set[] = { "FOO=bar", NULL };
	struct accel_exec_spec s = { .lists[ACCEL_EXEC_S_ARGV] = a1 };
	struct done d = run(c, &s);
	char *out;

	cr_assert_eq(d.res, 0);
	cr_assert_eq(r_exit(&d), 42);
	free(d.blk);
	/* pid 1 of a pid namespace ignores its own SEGV: no pidns here. */
	s.lists[ACCEL_EXEC_S_ARGV] = a2;
	s.disabled = ACCEL_SANDBOX_L_PIDNS;
	d = run(c, &s);
	s.disabled = 0;
	cr_assert_geq(d.res, 0);
	cr_assert_eq(r_exit(&d), -1);
	cr_assert_eq(r_signal(&d), SIGSEGV);
	free(d.blk);
	/* stdin from a real file; SECRET is not on the default allowlist. */
	int fd = open("/usr/include/stdio.h", O_RDONLY);
	struct stat st;

	cr_assert_geq(fd, 0);
	fstat(fd, &st);
	char *data = malloc(st.st_size);
	cr_assert_eq(read(fd, data, st.st_size), st.st_size);
	close(fd);
	s.lists[ACCEL_EXEC_S_ARGV] = a3;
	s.lists[ACCEL_EXEC_S_ENV] = env;
	s.lists[ACCEL_EXEC_S_ENV_SET] = set;
	s.stdin_data = data;
	s.stdin_len = st.st_size;
	d = run(c, &s);
	cr_assert_geq(d.res, 0);
	out = r_stream(&d, 0);
	char want[64];
	snprintf(want, sizeof(want), "%lld\nbar/none\n", (long long)st.st_size);
	cr_assert_str_eq(out, want);
	free(out);
	free(d.blk);
	free(data);
	accel_client_destroy(c);
}

Test(exec, streaming_chunks_as_progress)
{
	struct accel_client *c = client_start();
	const char *argv[] = {
		"sh", "-c",
		"for i in 1 2 3 4; do echo chunk$i; sleep 0.05; done", NULL
	};
	struct accel_exec_spec s = { .lists[ACCEL_EXEC_S_ARGV] = argv,
				     .flags = 1u << 1 };
	struct done d = run(c, &s);
	char *out;

	cr_assert_geq(d.res, 0);
	out = r_stream(&d, 0);
	cr_assert_str_eq(out, "chunk1\nchunk2\nchunk3\nchunk4\n");
	/* Separate writes 50 ms apart arrive as separate chunks. */
	cr_assert_geq(d.progress, 2);
	cr_assert_eq(d.streamed_len, strlen(out));
	cr_assert_eq(memcmp(d.streamed, out, d.streamed_len), 0);
	free(out);
	free(d.blk);
	accel_client_destroy(c);
}

Test(exec, timeout_kills_double_forked_tree)
{
	struct accel_client *c = client_start();
	char marker[64], script[512];
	const char *argv[] = { "sh", "-c", script, NULL };
	struct accel_exec_spec s = { .lists[ACCEL_EXEC_S_ARGV] = argv,
				     .timeout_ms = 300,
				     .grace_ms = 100 };
	struct done d;

	marker_script(marker, sizeof(marker), script, sizeof(script));
	d = run(c, &s);
	cr_assert_geq(d.res, 0);
	cr_assert(r_flags(&d) & ACCEL_SANDBOX_R_TIMED_OUT);
	cr_assert_eq(r_exit(&d), -1);
	/* The script got as far as starting its daemon. */
	char *o = r_stream(&d, 0);
	cr_assert_str_eq(o, "started\n");
	free(o);
	cr_assert_eq(await_marker(marker, 1), 0, "sandboxed processes left");
	free(d.blk);
	accel_client_destroy(c);
}

Test(exec, cancel_by_op0_kills_tree)
{
	struct accel_client *c = client_start();
	char marker[64], script[512];
	const char *argv[] = { "sh", "-c", script, NULL };
	struct accel_exec_spec s = { .lists[ACCEL_EXEC_S_ARGV] = argv,
				     .grace_ms = 100 };
	uint64_t off, coff;
	size_t len;
	uint8_t *b;
	struct done d;

	marker_script(marker, sizeof(marker), script, sizeof(script));
	b = build(&s, &len);
	submit(c, ACCEL_EXEC_OP, b, len, 77, 0, &off);
	cr_assert_gt(await_marker(marker, 0), 0, "command did not start");
	submit(c, ACCEL_OP_CANCEL, NULL, 0, 78, 77, &coff);
	d = wait_done(c, 77);
	cr_assert_geq(d.res, 0);
	cr_assert(r_flags(&d) & ACCEL_SANDBOX_R_CANCELLED);
	cr_assert_eq(await_marker(marker, 1), 0, "sandboxed processes left");
	accel_client_free(c, off);
	free(b);
	free(d.blk);
	accel_client_destroy(c);
}

/*
 * Each exec's pipes, pidfd and mount namespace are let go after its result
 * is posted (accel_op_defer): after 30 more execs the engine holds no more
 * fds than after the first (one of whose may still have been in use).
 */
Test(exec, command_fds_closed_after_each_result)
{
	struct accel_client *c = client_start();
	const char *argv[] = { "/bin/sh", "-c", "echo out; echo err >&2",
			       NULL };
	struct accel_exec_spec s = { .lists[ACCEL_EXEC_S_ARGV] = argv };
	pid_t pid = accel_client_engine_pid(c);
	struct done d;
	int base, now = -1;

	d = run(c, &s);
	cr_assert_geq(d.res, 0);
	free(d.blk);
	base = proc_fd_count(pid);
	cr_assert_gt(base, 0);
	for (int i = 0; i < 30; i++) {
		d = run(c, &s);
		cr_assert_geq(d.res, 0);
		cr_assert_eq(get32(d.blk + 8), 0, "exit code");
		free(d.blk);
	}
	/* The last one's cleanup may still be running. */
	for (int i = 0; i < 200 && (now = proc_fd_count(pid)) > base; i++)
		usleep(10000);
	cr_assert_leq(now, base, "the engine holds %d fds, %d after one exec",
		      now, base);
	accel_client_destroy(c);
}

Test(exec, engine_kill9_leaves_no_sandboxed_process)
{
	struct accel_client *c = client_start();
	char marker[64], script[512];
	const char *argv[] = { "sh", "-c", script, NULL };
	struct accel_exec_spec s = { .lists[ACCEL_EXEC_S_ARGV] = argv };
	uint64_t off;
	size_t len;
	uint8_t *b;
	pid_t pid = accel_client_engine_pid(c);

	marker_script(marker, sizeof(marker), script, sizeof(script));
	b = build(&s, &len);
	submit(c, ACCEL_EXEC_OP, b, len, 5, 0, &off);
	/* The top sleep and the daemon's two. */
	for (int i = 0; i < 2000 && count_marker(marker) < 3; i++)
		usleep(10000);
	cr_assert_geq(count_marker(marker), 3, "command did not start");
	/* The engine's children: the command's pid 1 and, where a launcher
	 * runs, the launcher and its warm child. None may outlive it. */
	pid_t kids[64];
	int nk = proc_children(pid, kids, 64), left = 0;

	cr_assert_geq(nk, 1);
	cr_assert_eq(kill(pid, SIGKILL), 0);
	cr_assert_eq(accel_client_wait(c, -1), -ACCEL_E_ENGINE_DIED);
	cr_assert_eq(await_marker(marker, 1), 0, "sandboxed processes left");
	for (int t = 0; t < 500; t++) {
		left = 0;
		for (int i = 0; i < nk; i++)
			left += proc_running(kids[i]);
		if (!left)
			break;
		usleep(10000);
	}
	cr_assert_eq(left, 0, "%d of the engine's %d children outlived it",
		     left, nk);
	free(b);
	accel_client_destroy(c);
}

/*
 * A client that goes away mid-exec: a daemon engine (which outlives the
 * session) sees EOF, cancels the session's jobs and so kills the tree.
 */
Test(exec, session_end_kills_tree_daemon_survives)
{
	char sock[108], marker[64], script[512];
	const char *argv[] = { "sh", "-c", script, NULL };
	struct accel_exec_spec s = { .lists[ACCEL_EXEC_S_ARGV] = argv,
				     .grace_ms = 100 };
	struct accel_client *c, *c2;
	uint64_t off;
	size_t len;
	uint8_t *b;
	pid_t d;
	int st;

	snprintf(sock, sizeof(sock), "/tmp/accel-exec-%d.sock", (int)getpid());
	unlink(sock);
	d = fork();
	cr_assert_geq(d, 0);
	if (d == 0) {
		execl(ACCEL_ENGINE_BIN, ACCEL_ENGINE_BIN, "--socket", sock,
		      "--workers", "2", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 500 && access(sock, F_OK); i++)
		usleep(10000);
	cr_assert_eq(accel_client_connect(sock, NULL, &c), 0);
	marker_script(marker, sizeof(marker), script, sizeof(script));
	b = build(&s, &len);
	submit(c, ACCEL_EXEC_OP, b, len, 9, 0, &off);
	for (int i = 0; i < 2000 && count_marker(marker) < 3; i++)
		usleep(10000);
	cr_assert_geq(count_marker(marker), 3, "command did not start");
	accel_client_destroy(c);
	cr_assert_eq(await_marker(marker, 1), 0, "sandboxed processes left");
	/* The daemon still serves execs. */
	cr_assert_eq(accel_client_connect(sock, NULL, &c2), 0);
	const char *t[] = { "/bin/true", NULL };
	struct accel_exec_spec s2 = { .lists[ACCEL_EXEC_S_ARGV] = t };
	struct done dn = run(c2, &s2);
	cr_assert_geq(dn.res, 0);
	cr_assert_eq(r_exit(&dn), 0);
	free(dn.blk);
	accel_client_destroy(c2);
	kill(d, SIGTERM);
	waitpid(d, &st, 0);
	unlink(sock);
	free(b);
}

Test(exec, write_outside_writable_roots_fails)
{
	struct accel_client *c = client_start();
	char in[] = "/tmp/accel-exec-in-XXXXXX",
	     out[] = "/tmp/accel-exec-out-XXXXXX";
	char script[512], path[600];
	const char *argv[] = { "sh", "-c", script, NULL };
	const char *write[] = { in, NULL };
	struct accel_exec_spec s = { .lists[ACCEL_EXEC_S_ARGV] = argv,
				     .lists[ACCEL_EXEC_S_WRITE] = write };
	struct stat st;
	struct done d;

	cr_assert_not_null(mkdtemp(in));
	cr_assert_not_null(mkdtemp(out));
	snprintf(script, sizeof(script),
		 "echo inside > %s/ok; echo outside > %s/bad; echo $?", in,
		 out);
	d = run(c, &s);
	cr_assert_geq(d.res, 0);
	snprintf(path, sizeof(path), "%s/ok", in);
	cr_assert_eq(stat(path, &st), 0, "write inside the root failed");
	snprintf(path, sizeof(path), "%s/bad", out);
	cr_assert_neq(stat(path, &st), 0, "write outside the root succeeded");
	cr_assert_eq(errno, ENOENT);
	char *o = r_stream(&d, 0);
	cr_assert_str_neq(o, "0\n");
	free(o);
	free(d.blk);
	snprintf(path, sizeof(path), "%s/ok", in);
	unlink(path);
	rmdir(in);
	rmdir(out);
	accel_client_destroy(c);
}

Test(exec, policy_cache_hit_on_second_exec)
{
	struct accel_client *c = client_start();
	const char *argv[] = { "/bin/true", NULL };
	const char *w1[] = { "/tmp", NULL };
	struct accel_exec_spec s = { .lists[ACCEL_EXEC_S_ARGV] = argv };
	struct done d;

	d = run(c, &s);
	cr_assert_eq(d.res, 0, "first exec compiles the policy");
	free(d.blk);
	d = run(c, &s);
	cr_assert_eq(d.res, 1, "second exec hits the cache");
	free(d.blk);
	/* Another policy compiles; the first one is still cached. */
	s.lists[ACCEL_EXEC_S_WRITE] = w1;
	d = run(c, &s);
	cr_assert_eq(d.res, 0);
	free(d.blk);
	s.lists[ACCEL_EXEC_S_WRITE] = NULL;
	d = run(c, &s);
	cr_assert_eq(d.res, 1);
	free(d.blk);
	/* Fresh policy requested: compiled again, and cached again. */
	s.flags = 1u << 3;
	d = run(c, &s);
	cr_assert_eq(d.res, 0);
	free(d.blk);
	s.flags = 0;
	d = run(c, &s);
	cr_assert_eq(d.res, 1);
	free(d.blk);
	/* 40 distinct policies (more than the cache holds) all run. */
	for (int i = 0; i < 40; i++) {
		s.timeout_ms = 0;
		s.disabled = (uint32_t)i << 16; /* unused layer bits */
		d = run(c, &s);
		cr_assert_eq(d.res < 0 ? d.res : 0, 0);
		free(d.blk);
	}
	accel_client_destroy(c);
}

Test(exec, spawn_failures_have_clear_codes)
{
	struct accel_client *c = client_start();
	const char *missing[] = { "/nonexistent/bin/x", NULL };
	const char *noexec[] = { "/etc/passwd", NULL };
	const char *t[] = { "/bin/true", NULL };
	const char *req[] = { "/bin/true", NULL };
	struct accel_exec_spec s = { .lists[ACCEL_EXEC_S_ARGV] = missing };
	struct done d = run(c, &s);

	cr_assert_eq(d.res, -ACCEL_E_SANDBOX_NOT_FOUND);
	/* The error's detail names the sandbox step that failed. */
	cr_assert(d.blk && memmem(d.blk, d.len, "sandbox step 'exec'", 19),
		  "detail: %.*s", (int)d.len, d.blk ? (char *)d.blk : "");
	free(d.blk);
	s.lists[ACCEL_EXEC_S_ARGV] = noexec;
	cr_assert_eq(run_res(c, &s), -ACCEL_E_SANDBOX_NOT_EXEC);
	s.lists[ACCEL_EXEC_S_ARGV] = t;
	s.cwd = "/nonexistent-dir";
	cr_assert_eq(run_res(c, &s), -ACCEL_E_SANDBOX_CWD);
	s.cwd = "relative";
	cr_assert_eq(run_res(c, &s), -ACCEL_E_SANDBOX_CWD);
	s.cwd = NULL;
	s.lists[ACCEL_EXEC_S_ARGV] = NULL;
	cr_assert_eq(run_res(c, &s), -ACCEL_E_SANDBOX_ARGV);
	/* A required layer that the policy disables cannot be had. */
	s.lists[ACCEL_EXEC_S_ARGV] = req;
	s.required = ACCEL_SANDBOX_L_PIDNS;
	s.disabled = ACCEL_SANDBOX_L_PIDNS;
	cr_assert_eq(run_res(c, &s), -ACCEL_E_SANDBOX_LAYER_MISSING);
	s.required = s.disabled = 0;
	s.net = 3;
	cr_assert_eq(run_res(c, &s), -ACCEL_E_SANDBOX_POLICY);
	s.net = 0;
	const char *rel[] = { "relative/root", NULL };
	s.lists[ACCEL_EXEC_S_WRITE] = rel;
	cr_assert_eq(run_res(c, &s), -ACCEL_E_SANDBOX_PATH);
	accel_client_destroy(c);
}

/* Mutates a copy of a valid request with f and expects code. */
#define BAD(code, ...)                                                     \
	do {                                                               \
		uint8_t *m = malloc(len + 64);                             \
		size_t ml = len;                                           \
		memcpy(m, good, len);                                      \
		__VA_ARGS__;                                               \
		int32_t r = run_raw(c, m, ml);                             \
		cr_expect_eq(r, code, "line %d: got %d (%s)", __LINE__, r, \
			     accel_strerror(r));                           \
		free(m);                                                   \
	} while (0)

Test(exec, malformed_requests_get_errors_never_a_crash)
{
	struct accel_client *c = client_start();
	const char *argv[] = { "/bin/true", NULL };
	const char *env[] = { "A=b", NULL };
	const char *rd[] = { "/usr", NULL };
	struct accel_exec_spec s = { .lists[ACCEL_EXEC_S_ARGV] = argv,
				     .lists[ACCEL_EXEC_S_ENV] = env,
				     .lists[ACCEL_EXEC_S_READ] = rd,
				     .cwd = "/usr",
				     .stdin_data = "x",
				     .stdin_len = 1 };
	size_t len;
	uint8_t *good = build(&s, &len);
	const int E = -ACCEL_E_BAD_REQUEST;
	uint8_t *a = good + 112 + 16 * ACCEL_EXEC_S_ARGV,
		*cw = good + 112 + 16 * ACCEL_EXEC_S_CWD;
	(void)a;
	(void)cw;

	int32_t r0 = run_raw(c, good, len);
	cr_assert_eq(r0, 0, "valid request: %d (%s)", r0, accel_strerror(r0));
	BAD(E, ml = 0);
	BAD(E, ml = 4);
	BAD(E, ml = ACCEL_EXEC_HDR - 1);
	BAD(E, m[0] ^= 1);
	BAD(-ACCEL_E_VERSION, m[4] = 2);
	BAD(E, put32(m + 4, 1 | 273u << 16));
	BAD(E, m[8] = 0x10);
	BAD(-ACCEL_E_RESERVED, m[104] = 1);
	BAD(-ACCEL_E_RESERVED, m[112 + 16 * ACCEL_EXEC_S_ARGV + 12] = 1);
	/* Section past the end, before the header, wrapping 32 bits. */
	BAD(E, put32(m + 112 + 16 * ACCEL_EXEC_S_ARGV + 4, (uint32_t)len));
	BAD(E, put32(m + 112 + 16 * ACCEL_EXEC_S_ARGV, 8));
	BAD(E, put32(m + 112 + 16 * ACCEL_EXEC_S_ARGV, 0xfffffff0u);
	    put32(m + 112 + 16 * ACCEL_EXEC_S_ARGV + 4, 0x20));
	BAD(E, put32(m + 112 + 16 * ACCEL_EXEC_S_STDIN, (uint32_t)len));
	BAD(E, put32(m + 112 + 16 * ACCEL_EXEC_S_CWD + 8, 1));
	BAD(E, put32(m + 112 + 16 * ACCEL_EXEC_S_STDIN + 8, 1));
	/* strv contents: count/lengths that do not match, NUL bytes. */
	BAD(-ACCEL_E_SANDBOX_ARGV,
	    put32(m + 112 + 16 * ACCEL_EXEC_S_ARGV + 8, 2));
	BAD(-ACCEL_E_SANDBOX_ARGV,
	    put32(m + 112 + 16 * ACCEL_EXEC_S_ARGV + 8, 0xffffffff));
	BAD(-ACCEL_E_SANDBOX_ARGV,
	    put32(m + get32(m + 112 + 16 * ACCEL_EXEC_S_ARGV), 0xfffffff0u));
	BAD(-ACCEL_E_SANDBOX_ARGV,
	    m[get32(m + 112 + 16 * ACCEL_EXEC_S_ARGV) + 5] = 0);
	BAD(-ACCEL_E_SANDBOX_ENV,
	    m[get32(m + 112 + 16 * ACCEL_EXEC_S_ENV) + 5] = 0);
	BAD(-ACCEL_E_SANDBOX_ENV,
	    put32(m + 112 + 16 * ACCEL_EXEC_S_ENV + 8, 0));
	BAD(-ACCEL_E_SANDBOX_POLICY,
	    put32(m + 112 + 16 * ACCEL_EXEC_S_READ + 8, 3));
	BAD(-ACCEL_E_SANDBOX_POLICY,
	    m[get32(m + 112 + 16 * ACCEL_EXEC_S_READ) + 5] = 0);
	BAD(-ACCEL_E_SANDBOX_CWD,
	    m[get32(m + 112 + 16 * ACCEL_EXEC_S_CWD)] = 0);
	/* Bytes appended past the sections are ignored, not misread (and
	 * the policy is the cached one). */
	BAD(1, memset(m + len, 0xff, 64); ml = len + 64);

	/*
	 * Random corruption of the header and section table: every request
	 * gets some completion and the engine stays up. The command is
	 * /bin/true whatever the mutation makes of it.
	 */
	srand(12345);
	for (int i = 0; i < 600; i++) {
		uint8_t *m = malloc(len);
		int n = 1 + rand() % 4;

		memcpy(m, good, len);
		for (int k = 0; k < n; k++)
			m[rand() % ACCEL_EXEC_HDR] = (uint8_t)rand();
		run_raw(c, m, len);
		free(m);
	}
	uint64_t off;
	submit(c, 1, NULL, 0, 999999, 0, &off);
	cr_assert_eq(wait_done(c, 999999).res, 0, "engine alive after fuzzing");
	free(good);
	accel_client_destroy(c);
}

/*
 * The engine running as an unprivileged user (uid 65534 when the test runs
 * as root; the test's own user otherwise): it still sandboxes commands with
 * the layers that user can get, reports them honestly, and the key escapes
 * stay blocked.
 */

/* The namespace layers and the /proc/self/ns names that show them. */
static const struct {
	uint32_t layer;
	const char *ns;
} ns_layers[] = {
	{ ACCEL_SANDBOX_L_USERNS, "user" }, { ACCEL_SANDBOX_L_PIDNS, "pid" },
	{ ACCEL_SANDBOX_L_MNTNS, "mnt" },   { ACCEL_SANDBOX_L_IPCNS, "ipc" },
	{ ACCEL_SANDBOX_L_UTSNS, "uts" },   { ACCEL_SANDBOX_L_NETNS, "net" },
};

static void drop_to_nobody(void)
{
	if (geteuid() != 0)
		return;
	cr_assert_eq(setgroups(0, NULL), 0);
	cr_assert_eq(setresgid(65534, 65534, 65534), 0);
	cr_assert_eq(setresuid(65534, 65534, 65534), 0);
	cr_assert_neq(geteuid(), 0);
	/* A uid change made us non-dumpable, which a fresh exec (the
	 * engine) is not: without this our own probe could not write
	 * /proc/self/uid_map and would miss the user namespace. */
	cr_assert_eq(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), 0);
}

/* A directory under /tmp that the unprivileged user owns. */
static void own_dir(char *tmpl)
{
	cr_assert_not_null(mkdtemp(tmpl));
	if (geteuid() == 0)
		cr_assert_eq(chown(tmpl, 65534, 65534), 0);
}

/* A line of "name value" pairs of /proc/self/status, e.g. "Seccomp:". */
static long status_field(const char *text, const char *name)
{
	const char *p = strstr(text, name);

	cr_assert_not_null(p, "%s missing in: %s", name, text);
	return strtol(p + strlen(name), NULL, 10);
}

Test(exec, unprivileged_engine_sandboxes_and_reports_honestly)
{
	char in[] = "/tmp/accel-exec-np-in-XXXXXX",
	     out[] = "/tmp/accel-exec-np-out-XXXXXX";
	char secret[300], bad[300], ok[300], script[2048], mine[64];
	const char *sh[] = { "/bin/bash", "-c", script, NULL };
	const char *wr[] = { in, NULL }, *deny[] = { secret, NULL };
	struct accel_exec_spec s = { .lists[ACCEL_EXEC_S_ARGV] = sh,
				     .lists[ACCEL_EXEC_S_WRITE] = wr,
				     .lists[ACCEL_EXEC_S_DENY] = deny,
				     .cwd = in };
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	struct accel_client *c;
	struct done d;
	struct stat st;
	uint32_t layers;
	char *o;
	int lfd, fd;

	/* Planted as the user the engine will run as: only the sandbox
	 * stands between the command and these files. */
	own_dir(in);
	own_dir(out);
	drop_to_nobody();
	snprintf(secret, sizeof(secret), "%s/secret", out);
	snprintf(bad, sizeof(bad), "%s/bad", out);
	snprintf(ok, sizeof(ok), "%s/ok", in);
	fd = open(secret, O_WRONLY | O_CREAT | O_EXCL, 0644);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "s3cr3t-np-6b1f\n", 15), 15);
	close(fd);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	cr_assert_geq(lfd, 0);
	cr_assert_eq(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(lfd, 8), 0);
	cr_assert_eq(getsockname(lfd, (struct sockaddr *)&sa, &sl), 0);

	/* The engine inherits this process's uid. */
	c = client_start();
	snprintf(mine, sizeof(mine), "/proc/%d/status",
		 (int)accel_client_engine_pid(c));
	fd = open(mine, O_RDONLY);
	cr_assert_geq(fd, 0);
	char est[4096];
	ssize_t n = read(fd, est, sizeof(est) - 1);
	close(fd);
	cr_assert_gt(n, 0);
	est[n] = 0;
	cr_assert_neq(status_field(est, "\nUid:"), 0, "engine runs as root");

	snprintf(script, sizeof(script),
		 "for n in user pid mnt ipc uts net; do "
		 "echo \"ns $n $(readlink /proc/self/ns/$n)\"; done; "
		 "grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status; "
		 "echo in > %s && echo wrote-in; "
		 "echo out > %s && echo wrote-out; "
		 "cat %s && echo read-secret; "
		 "echo x > /dev/tcp/127.0.0.1/%d && echo connected; "
		 "echo done",
		 ok, bad, secret, (int)ntohs(sa.sin_port));
	d = run(c, &s);
	cr_assert_geq(d.res, 0, "res %d (%s)", d.res, accel_strerror(d.res));
	cr_assert_not_null(d.blk);
	o = r_stream(&d, 0);
	layers = get32(d.blk + 20);

	/* It ran to the end and could write where it may. */
	cr_assert(strstr(o, "wrote-in\n") && strstr(o, "done\n"), "out: %s", o);
	cr_assert_eq(stat(ok, &st), 0);
	/* The escapes failed and left nothing behind. */
	cr_assert_null(strstr(o, "wrote-out"), "out: %s", o);
	cr_assert_neq(stat(bad, &st), 0, "write outside the roots");
	cr_assert_null(strstr(o, "read-secret"), "out: %s", o);
	cr_assert_null(strstr(o, "s3cr3t"), "denied bytes in the output");
	cr_assert_null(strstr(o, "connected"), "out: %s", o);
	cr_assert_lt(accept(lfd, NULL, NULL), 0, "connection reached the host");
	cr_assert_eq(errno, EAGAIN);

	/* Each namespace is claimed exactly when the command was in a new
	 * one; seccomp and no_new_privs exactly when /proc says so. */
	for (size_t i = 0; i < sizeof(ns_layers) / sizeof(ns_layers[0]); i++) {
		char key[32], self[64], path[64];
		const char *p;
		ssize_t l;

		snprintf(path, sizeof(path), "/proc/self/ns/%s",
			 ns_layers[i].ns);
		l = readlink(path, self, sizeof(self) - 1);
		cr_assert_gt(l, 0);
		self[l] = 0;
		snprintf(key, sizeof(key), "ns %s ", ns_layers[i].ns);
		p = strstr(o, key);
		cr_assert_not_null(p, "out: %s", o);
		p += strlen(key);
		int same = !strncmp(p, self, (size_t)l) && p[l] == '\n';
		cr_assert_eq(!(layers & ns_layers[i].layer), same,
			     "%s: reported %d, command saw %.*s, engine %s",
			     ns_layers[i].ns, !!(layers & ns_layers[i].layer),
			     (int)strcspn(p, "\n"), p, self);
	}
	cr_assert_eq(status_field(o, "Seccomp:") == 2,
		     !!(layers & ACCEL_SANDBOX_L_SECCOMP));
	cr_assert_eq(status_field(o, "NoNewPrivs:") == 1,
		     !!(layers & ACCEL_SANDBOX_L_NO_NEW_PRIVS));
	/* Layers in force and layers missing do not overlap, and what the
	 * result claims is what the library probes for this user. */
	cr_assert_eq(layers & get32(d.blk + 44), 0);
	cr_assert_eq(layers & ~accel_sandbox_probe()->layers, 0,
		     "layers %#x, probe %#x", layers,
		     accel_sandbox_probe()->layers);
	cr_log_info("unprivileged engine layers: %#x, missing %#x", layers,
		    get32(d.blk + 44));
	free(o);
	free(d.blk);
	accel_client_destroy(c);
	close(lfd);
	unlink(ok);
	unlink(secret);
	rmdir(in);
	rmdir(out);
}
