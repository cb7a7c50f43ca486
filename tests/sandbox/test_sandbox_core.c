/* SPDX-License-Identifier: MIT */
/*
 * The sandbox's mechanics: spawn, exit status, output capture and caps,
 * stdin, env filtering, timeouts, cancellation, both drivers, error codes,
 * and the unprivileged path.
 */
#include <liburing.h>
#include <pthread.h>

#include "sbx_test.h"

#include <endian.h>

#define PYTHON_SOCKET                                                  \
	"/usr/bin/python3 -c 'import socket\ntry:\n socket.socket()\n" \
	"except OSError: pass'"

Test(sandbox_core, probe_sees_this_kernel)
{
	const struct accel_sandbox_features *f = accel_sandbox_probe();

	cr_log_info("layers 0x%x landlock %u cgroup v%u io_uring %u", f->layers,
		    f->landlock_abi, f->cgroup_version, f->io_uring);
	/* Every layer bit has a name, and the cached answer is stable. */
	for (uint32_t b = 1; b <= ACCEL_SANDBOX_L_PDEATHSIG; b <<= 1)
		cr_expect_str_neq(accel_sandbox_layer_name(b), "?");
	cr_expect_eq(accel_sandbox_probe(), f);
	cr_expect(f->layers & ACCEL_SANDBOX_L_NO_NEW_PRIVS);
}

Test(sandbox_core, echo_and_layers)
{
	struct accel_sandbox_policy p = { 0 };
	struct accel_sandbox *sb = compile(&p);
	struct accel_sandbox_result r;

	cr_assert_eq(sh(sb, "echo hello; echo oops >&2; exit 3", &r, 0), 0);
	cr_expect_eq(r.exit_code, 3);
	cr_expect_eq(r.term_signal, 0);
	cr_expect_str_eq(out0(&r), "hello\n");
	cr_expect_str_eq(out1(&r), "oops\n");
	cr_expect_eq(r.out[0].total, 6);
	cr_expect_eq(r.out[0].elided, 0);
	/* What was in force is what the compiled policy said. */
	cr_expect_eq(r.layers, accel_sandbox_layers(sb));
	if (accel_sandbox_probe()->landlock_abi)
		cr_expect_eq(r.landlock_abi,
			     accel_sandbox_probe()->landlock_abi);
	cr_expect_gt(r.wall_ns, 0);
	accel_sandbox_result_free(&r);
	accel_sandbox_destroy(sb);
}

Test(sandbox_core, merged_output_keeps_order)
{
	struct accel_sandbox_policy p = { 0 };
	struct accel_sandbox *sb = compile(&p);
	const char *argv[] = { "/bin/sh", "-c",
			       "echo 1; echo 2 >&2; echo 3; echo 4 >&2", NULL };
	struct accel_sandbox_exec req = {
		.argv = argv, .flags = ACCEL_SANDBOX_X_MERGE_OUTPUT
	};
	struct accel_sandbox_result r;

	cr_assert_eq(accel_sandbox_run(sb, &req, NULL, &r), 0);
	cr_expect_str_eq(out0(&r), "1\n2\n3\n4\n");
	cr_expect_null(r.out[1].data);
	accel_sandbox_result_free(&r);
	accel_sandbox_destroy(sb);
}

Test(sandbox_core, signal_status_without_pidns)
{
	/* As pid 1 of its namespace a shell cannot be killed by itself, so
	 * the signal path is checked without the pid namespace. */
	struct accel_sandbox_policy p = { .disabled = ACCEL_SANDBOX_L_PIDNS };
	struct accel_sandbox *sb = compile(&p);
	struct accel_sandbox_result r;

	cr_assert_eq(sh(sb, "kill -USR1 $$; sleep 5", &r, 0), 0);
	cr_expect_eq(r.exit_code, -1);
	cr_expect_eq(r.term_signal, SIGUSR1);
	accel_sandbox_result_free(&r);
	accel_sandbox_destroy(sb);
}

/* A real, large input: the C library, fed to cat and read back (more than
 * a pipe holds, so the driver streams the rest while reading the output). */
static void large_stdin(int use_ring)
{
	struct accel_sandbox_policy p = { 0 };
	struct accel_sandbox *sb = compile(&p);
	const char *argv[] = { "/bin/cat", NULL };
	struct accel_sandbox_exec req = { .argv = argv };
	struct accel_sandbox_drive_opts o = { 0 };
	struct accel_sandbox_result r;
	struct io_uring ring;
	const char *path = "/usr/lib/x86_64-linux-gnu/libc.so.6";
	struct stat st;
	char *data;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		cr_skip_test("no %s", path);
	fstat(fd, &st);
	data = malloc((size_t)st.st_size);
	cr_assert_eq(read(fd, data, (size_t)st.st_size), st.st_size);
	close(fd);
	req.stdin_data = data;
	req.stdin_len = (size_t)st.st_size;
	req.head_bytes = (uint32_t)st.st_size;
	req.tail_bytes = 0;
	if (use_ring) {
		cr_assert_eq(io_uring_queue_init(8, &ring, 0), 0);
		o.ring = &ring;
	}
	cr_assert_eq(accel_sandbox_run(sb, &req, &o, &r), 0);
	if (use_ring)
		io_uring_queue_exit(&ring);
	cr_expect_eq(r.exit_code, 0);
	cr_assert_eq(r.out[0].total, (uint64_t)st.st_size);
	cr_assert_eq(r.out[0].len, (uint32_t)st.st_size);
	cr_expect_eq(memcmp(r.out[0].data, data, (size_t)st.st_size), 0);
	free(data);
	accel_sandbox_result_free(&r);
	accel_sandbox_destroy(sb);
}

Test(sandbox_core, large_stdin_round_trip)
{
	large_stdin(0);
}

Test(sandbox_core, large_stdin_round_trip_uring)
{
	if (!accel_sandbox_probe()->io_uring)
		cr_skip_test("io_uring opcodes missing");
	large_stdin(1);
}

Test(sandbox_core, output_cap_keeps_head_and_tail)
{
	struct accel_sandbox_policy p = { 0 };
	struct accel_sandbox *sb = compile(&p);
	const char *argv[] = { "/bin/sh", "-c",
			       "echo START; seq 1 200000; echo END", NULL };
	struct accel_sandbox_exec req = { .argv = argv,
					  .head_bytes = 100,
					  .tail_bytes = 50 };
	struct accel_sandbox_result r;

	cr_assert_eq(accel_sandbox_run(sb, &req, NULL, &r), 0);
	cr_expect_eq(r.out[0].len, 150);
	cr_expect_eq(r.out[0].head_len, 100);
	cr_expect_eq(r.out[0].elided, r.out[0].total - 150);
	cr_expect_eq(strncmp(r.out[0].data, "START\n1\n2\n3\n", 12), 0);
	cr_expect_str_eq(r.out[0].data + 150 - 11, "200000\nEND\n");
	cr_expect_eq(strlen(r.out[0].data), 150);
	accel_sandbox_result_free(&r);
	accel_sandbox_destroy(sb);
}

struct chunks {
	char buf[1 << 16];
	size_t len;
	int calls;
	int foreign;
	int first_had_last; /* the first chunk already held line3 */
};

/* A completion the driver does not own must reach the caller untouched. */
static void foreign(void *arg, uint64_t user_data, int32_t res, uint32_t flags)
{
	struct chunks *c = arg;

	if (user_data == 0x1234 && res == 0)
		c->foreign++;
}

static void collect(void *arg, int stream, const void *data, size_t len)
{
	struct chunks *c = arg;

	if (stream == 0 && c->len + len < sizeof(c->buf)) {
		if (!c->calls)
			c->first_had_last = memmem(data, len, "line3", 5) !=
					    NULL;
		memcpy(c->buf + c->len, data, len);
		c->len += len;
	}
	c->calls++;
}

static void streaming(int use_ring)
{
	struct accel_sandbox_policy p = { 0 };
	struct accel_sandbox *sb = compile(&p);
	const char *argv[] = { "/bin/sh", "-c",
			       "for i in 1 2 3; do echo line$i; sleep 0.2; "
			       "done",
			       NULL };
	struct accel_sandbox_exec req = { .argv = argv };
	struct chunks c = { .len = 0 };
	struct accel_sandbox_drive_opts o = { .on_output = collect, .arg = &c };
	struct accel_sandbox_result r;
	struct io_uring ring;

	if (use_ring) {
		struct io_uring_sqe *sqe;

		cr_assert_eq(io_uring_queue_init(8, &ring, 0), 0);
		o.ring = &ring;
		o.foreign_cqe = foreign;
		sqe = io_uring_get_sqe(&ring);
		io_uring_prep_nop(sqe);
		io_uring_sqe_set_data64(sqe, 0x1234);
	}
	cr_assert_eq(accel_sandbox_run(sb, &req, &o, &r), 0);
	c.buf[c.len] = '\0';
	cr_expect_eq(c.foreign, use_ring ? 1 : 0);
	cr_expect_str_eq(c.buf, "line1\nline2\nline3\n");
	cr_expect_str_eq(out0(&r), c.buf);
	/* Output streams while the command runs: the first chunk came
	 * before the last line was written (0.4 s later). */
	cr_expect_geq(c.calls, 2);
	cr_expect_not(c.first_had_last);
	accel_sandbox_result_free(&r);
	if (use_ring) {
		/* Nothing of ours is left on the ring. */
		struct io_uring_cqe *cqe;

		cr_expect_neq(io_uring_peek_cqe(&ring, &cqe), 0);
		io_uring_queue_exit(&ring);
	}
	accel_sandbox_destroy(sb);
}

Test(sandbox_core, streaming_poll)
{
	streaming(0);
}

Test(sandbox_core, streaming_uring)
{
	if (!accel_sandbox_probe()->io_uring)
		cr_skip_test("io_uring opcodes missing");
	streaming(1);
}

Test(sandbox_core, env_secrets_not_inherited)
{
	struct accel_sandbox_policy p = { 0 };
	struct accel_sandbox *sb = compile(&p);
	const char *env[] = { "PATH=/usr/bin:/bin",
			      "AWS_SECRET_ACCESS_KEY=s3cr3t", "LC_ALL=C",
			      "HOME=/nonexistent", NULL };
	const char *set[] = { "HOME=/h", "EXTRA=1", NULL };
	const char *argv[] = { "env", NULL };
	struct accel_sandbox_exec req = { .argv = argv,
					  .env = env,
					  .env_set = set };
	struct accel_sandbox_result r;

	cr_assert_eq(accel_sandbox_run(sb, &req, NULL, &r), 0);
	cr_expect_null(strstr(out0(&r), "s3cr3t"));
	cr_expect_not_null(strstr(out0(&r), "PATH=/usr/bin:/bin\n"));
	cr_expect_not_null(strstr(out0(&r), "LC_ALL=C\n"));
	cr_expect_not_null(strstr(out0(&r), "HOME=/h\n"));
	cr_expect_null(strstr(out0(&r), "/nonexistent"));
	cr_expect_not_null(strstr(out0(&r), "EXTRA=1\n"));
	accel_sandbox_result_free(&r);
	accel_sandbox_destroy(sb);
}

struct seen {
	const char *marker;
	int alive;
};

/* When the shell says "started", its helpers must be visible: proves the
 * "none left" check below looks at the right processes. */
static void count_started(void *arg, int stream, const void *data, size_t len)
{
	struct seen *s = arg;

	if (stream == 0 && len >= 7 && !memcmp(data, "started", 7)) {
		for (int i = 0; i < 400 && s->alive < 4; i++) {
			usleep(5000);
			s->alive = count_marked(s->marker);
		}
	}
}

static void timeout_kills_tree(uint32_t disabled, int use_ring)
{
	struct seen seen = { 0 };
	struct accel_sandbox_policy p = { .disabled = disabled };
	struct accel_sandbox *sb = compile(&p);
	char marker[64], script[512];
	const char *argv[] = { "/bin/sh", "-c", script, NULL };
	struct accel_sandbox_exec req = { .argv = argv,
					  .timeout_ms = 300,
					  .kill_grace_ms = 200 };
	struct accel_sandbox_drive_opts o = { 0 };
	struct accel_sandbox_result r;
	struct io_uring ring;
	uint64_t t0;

	snprintf(marker, sizeof(marker), "1000.%d%ld", getpid(),
		 (long)time(NULL) % 100000);
	/* A double-forked daemon, a setsid one, one ignoring SIGTERM and
	 * holding the output pipe, and the shell itself. */
	snprintf(script, sizeof(script),
		 "(sleep %s &) ; setsid sleep %s & "
		 "(trap '' TERM; exec sleep %s) & "
		 "trap '' TERM; echo started; sleep %s; echo never",
		 marker, marker, marker, marker);
	if (use_ring) {
		cr_assert_eq(io_uring_queue_init(8, &ring, 0), 0);
		o.ring = &ring;
	}
	seen.marker = marker;
	o.on_output = count_started;
	o.arg = &seen;
	t0 = (uint64_t)time(NULL);
	cr_assert_eq(accel_sandbox_run(sb, &req, &o, &r), 0);
	cr_expect(r.flags & ACCEL_SANDBOX_R_TIMED_OUT);
	cr_expect_eq(r.term_signal, SIGKILL);
	cr_expect_str_eq(out0(&r), "started\n");
	/* The call returned on time (coarse: seconds, no timing claim). */
	cr_expect_leq((uint64_t)time(NULL) - t0, 5);
	/* sh -c itself, three sleeps (the shell's own sleep may not have
	 * started yet). */
	cr_expect_geq(seen.alive, 4, "only %d marked processes seen",
		      seen.alive);
	cr_expect_eq(wait_unmarked(marker, 2000), 0, "processes survived");
	accel_sandbox_result_free(&r);
	if (use_ring)
		io_uring_queue_exit(&ring);
	accel_sandbox_destroy(sb);
}

Test(sandbox_core, timeout_kills_tree_pidns)
{
	if (!(ns_layers() & ACCEL_SANDBOX_L_PIDNS))
		cr_skip_test("no pid namespace");
	timeout_kills_tree(0, 0);
}

Test(sandbox_core, timeout_kills_tree_pidns_uring)
{
	if (!(ns_layers() & ACCEL_SANDBOX_L_PIDNS) ||
	    !accel_sandbox_probe()->io_uring)
		cr_skip_test("no pid namespace or io_uring");
	timeout_kills_tree(0, 1);
}

Test(sandbox_core, timeout_kills_tree_cgroup_only)
{
	if (!accel_sandbox_probe()->cgroup_version)
		cr_skip_test("no writable cgroup");
	timeout_kills_tree(ACCEL_SANDBOX_L_ALL_NS, 0);
}

static void *kill_later(void *arg)
{
	usleep(200000);
	accel_sandbox_proc_kill(arg);
	return NULL;
}

Test(sandbox_core, cancel_from_another_thread)
{
	struct accel_sandbox_policy p = { 0 };
	struct accel_sandbox *sb = compile(&p);
	const char *argv[] = { "/bin/sleep", "30", NULL };
	struct accel_sandbox_exec req = { .argv = argv, .kill_grace_ms = 100 };
	struct accel_sandbox_proc *proc;
	struct accel_sandbox_result r;
	pthread_t t;

	cr_assert_eq(accel_sandbox_spawn(sb, &req, &proc, &r), 0);
	cr_assert_geq(accel_sandbox_proc_pidfd(proc), 0);
	pthread_create(&t, NULL, kill_later, proc);
	cr_assert_eq(accel_sandbox_proc_drive(proc, NULL, &r), 0);
	pthread_join(t, NULL);
	cr_expect(r.flags & ACCEL_SANDBOX_R_CANCELLED);
	cr_expect_neq(r.term_signal, 0);
	accel_sandbox_proc_destroy(proc);
	accel_sandbox_result_free(&r);
	accel_sandbox_destroy(sb);
}

Test(sandbox_core, error_codes)
{
	struct tree t;
	struct accel_sandbox_policy p = { 0 };
	struct accel_sandbox *sb;
	struct accel_sandbox_result r;
	char noexec[200], big[200000];
	const char *missing[] = { "/nonexistent/bin/x", NULL };
	const char *nosuch[] = { "no-such-command-accel", NULL };
	const char *plain[] = { noexec, NULL };
	const char *huge[] = { "/bin/true", big, NULL };
	const char *empty[] = { NULL };
	const char *ok[] = { "/bin/true", NULL };
	const char *badenv[] = { "NOEQUALS", NULL };
	const char *rd[1];
	struct accel_sandbox_exec req = { 0 };

	tree_make(&t);
	rd[0] = t.w;
	snprintf(noexec, sizeof(noexec), "%s/data.txt", t.w);
	write_file(noexec, "not a program\n", 0644);
	sb = compile(&p);

	req.argv = missing;
	cr_expect_eq(accel_sandbox_run(sb, &req, NULL, &r),
		     -ACCEL_E_SANDBOX_NOT_FOUND);
	cr_expect_eq(r.failed_step, ACCEL_SANDBOX_STEP_EXEC);
	cr_expect_eq(r.failed_errno, ENOENT);
	req.argv = nosuch;
	cr_expect_eq(accel_sandbox_run(sb, &req, NULL, &r),
		     -ACCEL_E_SANDBOX_NOT_FOUND);
	req.argv = plain;
	cr_expect_eq(accel_sandbox_run(sb, &req, NULL, &r),
		     -ACCEL_E_SANDBOX_NOT_EXEC);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	req.argv = huge;
	cr_expect_eq(accel_sandbox_run(sb, &req, NULL, &r),
		     -ACCEL_E_SANDBOX_ARGV);
	req.argv = empty;
	cr_expect_eq(accel_sandbox_run(sb, &req, NULL, &r),
		     -ACCEL_E_SANDBOX_ARGV);
	req.argv = ok;
	req.env_set = badenv;
	cr_expect_eq(accel_sandbox_run(sb, &req, NULL, &r),
		     -ACCEL_E_SANDBOX_ENV);
	req.env_set = NULL;
	req.cwd = "/nonexistent-dir";
	cr_expect_eq(accel_sandbox_run(sb, &req, NULL, &r),
		     -ACCEL_E_SANDBOX_CWD);
	req.cwd = "relative";
	cr_expect_eq(accel_sandbox_run(sb, &req, NULL, &r),
		     -ACCEL_E_SANDBOX_CWD);
	accel_sandbox_destroy(sb);

	/* A cwd outside the readable roots. */
	p.read = rd;
	p.n_read = 1;
	sb = compile(&p);
	req.cwd = t.out;
	cr_expect_eq(accel_sandbox_run(sb, &req, NULL, &r),
		     -ACCEL_E_SANDBOX_CWD);
	accel_sandbox_destroy(sb);

	/* Policy errors. */
	{
		struct accel_sandbox_policy bad = { .net = 7 };
		const char *rel[] = { "relative/path" };
		struct accel_sandbox_policy relp = { .write = rel,
						     .n_write = 1 };
		struct accel_sandbox_policy need = {
			.net = ACCEL_SANDBOX_NET_FULL,
			.required = ACCEL_SANDBOX_L_NETNS
		};

		cr_expect_eq(accel_sandbox_policy_compile(&bad, &sb),
			     -ACCEL_E_SANDBOX_POLICY);
		cr_expect_eq(accel_sandbox_policy_compile(&relp, &sb),
			     -ACCEL_E_SANDBOX_PATH);
		cr_expect_eq(accel_sandbox_policy_compile(&need, &sb),
			     -ACCEL_E_SANDBOX_LAYER_MISSING);
		cr_expect_null(sb);
	}
	tree_rm(&t);
}

Test(sandbox_core, strv_unpack)
{
	uint8_t buf[64];
	char **v;
	size_t n = 0;

	/* "ls", "-la" */
	memcpy(buf + n, "\x02\0\0\0ls\x03\0\0\0-la", 13);
	n = 13;
	cr_assert_eq(accel_sandbox_strv_unpack(buf, n, 2, -ACCEL_E_SANDBOX_ARGV,
					       &v),
		     0);
	cr_expect_str_eq(v[0], "ls");
	cr_expect_str_eq(v[1], "-la");
	cr_expect_null(v[2]);
	free(v);
	/* Embedded NUL, a length past the end, trailing bytes, count too
	 * small: each rejected with the caller's code. */
	cr_expect_eq(accel_sandbox_strv_unpack("\x03\0\0\0a\0b", 7, 1,
					       -ACCEL_E_SANDBOX_ARGV, &v),
		     -ACCEL_E_SANDBOX_ARGV);
	cr_expect_eq(accel_sandbox_strv_unpack("\x09\0\0\0ab", 6, 1,
					       -ACCEL_E_SANDBOX_ENV, &v),
		     -ACCEL_E_SANDBOX_ENV);
	cr_expect_eq(accel_sandbox_strv_unpack(buf, n, 1, -ACCEL_E_SANDBOX_ARGV,
					       &v),
		     -ACCEL_E_SANDBOX_ARGV);
	cr_expect_eq(accel_sandbox_strv_unpack("\xff\xff\xff\xff", 4, 1,
					       -ACCEL_E_SANDBOX_ARGV, &v),
		     -ACCEL_E_SANDBOX_ARGV);
}

Test(sandbox_core, unprivileged_user_runs_sandboxed)
{
	struct tree t;
	struct accel_sandbox_policy p = { 0 };
	struct accel_sandbox *sb;
	struct accel_sandbox_result r;
	const char *w[1];
	char script[512], path[256], buf[64];

	tree_make(&t);
	w[0] = t.w;
	p.write = w;
	p.n_write = 1;
	tree_give(&t);
	drop_to_nobody();
	cr_assert_eq(geteuid(), NOBODY);
	if (!(accel_sandbox_probe()->layers & ACCEL_SANDBOX_L_USERNS))
		cr_log_warn("no user namespaces for nobody: namespaces off");
	sb = compile(&p);
	snprintf(script, sizeof(script),
		 "id -u; echo in > %s/inside; echo out > %s/outside", t.w,
		 t.out);
	cr_assert_eq(sh(sb, script, &r, 10000), 0);
	cr_expect_str_eq(out0(&r), "65534\n");
	snprintf(path, sizeof(path), "%s/inside", t.w);
	read_file(path, buf, sizeof(buf));
	cr_expect_str_eq(buf, "in\n");
	snprintf(path, sizeof(path), "%s/outside", t.out);
	cr_expect_not(exists(path));
	cr_expect(r.layers & ACCEL_SANDBOX_L_LANDLOCK_FS);
	cr_expect(r.layers & ACCEL_SANDBOX_L_SECCOMP);
	if (accel_sandbox_probe()->layers & ACCEL_SANDBOX_L_USERNS)
		cr_expect(r.layers & ACCEL_SANDBOX_L_PIDNS);
	accel_sandbox_result_free(&r);
	accel_sandbox_destroy(sb);

	/* A pids limit wants a cgroup; nobody has none delegated here, and
	 * the result must say so rather than degrade silently. */
	p.pids_max = 16;
	sb = compile(&p);
	cr_assert_eq(sh(sb, "true", &r, 10000), 0);
	cr_expect_eq(!!(r.layers_missing & ACCEL_SANDBOX_L_CGROUP),
		     !accel_sandbox_probe()->cgroup_version);
	cr_expect_eq(r.layers_missing, accel_sandbox_layers_missing(sb));
	accel_sandbox_result_free(&r);
	accel_sandbox_destroy(sb);

	/* Without namespaces (a host without user namespaces): Landlock
	 * and seccomp alone, and nothing reported missing for it. */
	p.pids_max = 0;
	p.disabled = ACCEL_SANDBOX_L_ALL_NS;
	sb = compile(&p);
	cr_assert_eq(sh(sb, script, &r, 10000), 0);
	cr_expect_str_eq(out0(&r), "65534\n");
	snprintf(path, sizeof(path), "%s/outside", t.out);
	cr_expect_not(exists(path));
	cr_expect_not(r.layers & ACCEL_SANDBOX_L_ALL_NS);
	cr_expect(r.layers & ACCEL_SANDBOX_L_LANDLOCK_FS);
	cr_expect_eq(r.layers_missing, 0);
	accel_sandbox_result_free(&r);
	accel_sandbox_destroy(sb);
	tree_rm(&t);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return le32toh(v);
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return le64toh(v);
}

Test(sandbox_core, wire_result_layout)
{
	struct accel_sandbox_policy p = { 0 };
	struct accel_sandbox *sb = compile(&p);
	struct accel_sandbox_result r;
	uint8_t *buf;
	size_t need;

	cr_assert_eq(sh(sb, "echo out; echo err >&2; " PYTHON_SOCKET "; exit 5",
			&r, 10000),
		     0);
	need = accel_sandbox_result_encode(&r, NULL, 0);
	cr_assert_eq(need,
		     ACCEL_SANDBOX_WIRE_HDR +
			     r.n_violations * ACCEL_SANDBOX_WIRE_VIOLATION +
			     r.out[0].len + r.out[1].len);
	buf = malloc(need);
	cr_assert_eq(accel_sandbox_result_encode(&r, buf, need), need);
	cr_expect_eq(get32(buf), ACCEL_SANDBOX_WIRE_MAGIC);
	cr_expect_eq(get32(buf + 4), 1 | (160 << 16));
	cr_expect_eq((int32_t)get32(buf + 8), 5);
	cr_expect_eq(get32(buf + 20), r.layers);
	cr_expect_eq(get64(buf + 48), r.wall_ns);
	cr_expect_eq(get32(buf + 36), r.n_violations);
	for (int s = 0; s < 2; s++) {
		const uint8_t *d = buf + 80 + 32 * s;

		cr_expect_eq(get32(d + 4), r.out[s].len);
		cr_expect_eq(
			memcmp(buf + get32(d), r.out[s].data, r.out[s].len), 0);
		cr_expect_eq(get64(d + 16), r.out[s].total);
	}
	cr_expect_eq(memcmp(buf + get32(buf + 80), "out\n", 4), 0);
	if (r.layers & ACCEL_SANDBOX_L_SECCOMP_NOTIFY) {
		cr_assert_geq(r.n_violations, 1);
		cr_expect_eq(get32(buf + 160), ACCEL_SANDBOX_V_SOCKET);
		cr_expect_str_eq((const char *)buf + 160 + 40,
				 r.violations[0].what);
	}
	/* Too small a buffer: nothing written, the size returned. */
	memset(buf, 0xee, need);
	cr_expect_eq(accel_sandbox_result_encode(&r, buf, need - 1), need);
	cr_expect_eq(buf[0], 0xee);
	free(buf);
	accel_sandbox_result_free(&r);
	accel_sandbox_destroy(sb);
}

Test(sandbox_core, private_tmp)
{
	struct accel_sandbox_policy p = { .flags =
						  ACCEL_SANDBOX_F_PRIVATE_TMP };
	struct accel_sandbox *sb;
	struct accel_sandbox_result r;
	char host[64], note[64], script[300];

	if (!(ns_layers() & ACCEL_SANDBOX_L_MNTNS))
		cr_skip_test("no mount namespace");
	snprintf(host, sizeof(host), "/tmp/accel-host-%d", getpid());
	snprintf(note, sizeof(note), "/tmp/accel-note-%d", getpid());
	write_file(host, "host\n", 0644);
	sb = compile(&p);
	snprintf(script, sizeof(script),
		 "echo mine > %s && cat %s; cat %s; "
		 "echo x > /etc/accel-tmp-%d; ls -A /tmp",
		 note, note, host, getpid());
	cr_assert_eq(sh(sb, script, &r, 10000), 0);
	/* Writable and fresh: only its own file, not the host's. */
	snprintf(script, sizeof(script), "mine\n%s\n", note + 5);
	cr_expect_str_eq(out0(&r), script);
	cr_expect_not(exists(note));
	snprintf(script, sizeof(script), "/etc/accel-tmp-%d", getpid());
	cr_expect_not(exists(script));
	unlink(host);
	accel_sandbox_result_free(&r);
	accel_sandbox_destroy(sb);
}

/* The CPU bandwidth limit is in the cgroup the command runs in: it reads
 * its own quota back. */
Test(sandbox_core, cpu_bandwidth_in_cgroup)
{
	struct accel_sandbox_policy p = { .cpu_percent = 20 };
	struct accel_sandbox *sb;
	struct accel_sandbox_result r;

	if (!accel_sandbox_probe()->cgroup_v1_cpu[0])
		cr_skip_test("no writable v1 cpu controller");
	sb = compile(&p);
	cr_assert_eq(
		sh(sb,
		   "d=$(grep -E '^[0-9]+:cpu:' /proc/self/cgroup | "
		   "cut -d: -f3); cat /sys/fs/cgroup/cpu$d/cpu.cfs_quota_us "
		   "/sys/fs/cgroup/cpu$d/cpu.cfs_period_us",
		   &r, 10000),
		0);
	cr_expect_str_eq(out0(&r), "20000\n100000\n", "stderr: %s", out1(&r));
	cr_expect(r.layers & ACCEL_SANDBOX_L_CGROUP);
	accel_sandbox_result_free(&r);
	accel_sandbox_destroy(sb);
}

/* A command that never reads a large stdin: the engine's writes hit a
 * closed pipe, which must cost neither a SIGPIPE nor a hang. */
static void unread_stdin(int use_ring)
{
	struct accel_sandbox_policy p = { 0 };
	struct accel_sandbox *sb = compile(&p);
	const char *argv[] = { "/bin/true", NULL };
	struct accel_sandbox_exec req = { .argv = argv, .timeout_ms = 10000 };
	struct accel_sandbox_drive_opts o = { 0 };
	struct accel_sandbox_result r;
	struct io_uring ring;
	size_t len = 4 << 20;
	char *data = malloc(len);

	memset(data, 'x', len);
	req.stdin_data = data;
	req.stdin_len = len;
	/* Default SIGPIPE disposition: a stray one would kill the test. */
	signal(SIGPIPE, SIG_DFL);
	if (use_ring) {
		cr_assert_eq(io_uring_queue_init(8, &ring, 0), 0);
		o.ring = &ring;
	}
	cr_assert_eq(accel_sandbox_run(sb, &req, &o, &r), 0);
	cr_expect_eq(r.exit_code, 0);
	cr_expect_not(r.flags & ACCEL_SANDBOX_R_TIMED_OUT);
	if (use_ring)
		io_uring_queue_exit(&ring);
	free(data);
	accel_sandbox_result_free(&r);
	accel_sandbox_destroy(sb);
}

Test(sandbox_core, unread_stdin_poll)
{
	unread_stdin(0);
}

Test(sandbox_core, unread_stdin_uring)
{
	if (!accel_sandbox_probe()->io_uring)
		cr_skip_test("io_uring opcodes missing");
	unread_stdin(1);
}
