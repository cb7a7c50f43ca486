/* SPDX-License-Identifier: MIT */
/*
 * The escape suite (issue 3, item 8). Each case is an attack run inside the
 * sandbox; each asserts that the attack failed AND that nothing outside
 * changed: planted files keep their bytes, planted secrets never appear in
 * the output, test-owned processes and servers saw nothing. Criterion runs
 * every case in its own process.
 */
#include "sbx_test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#define PY "/usr/bin/python3"

/* The default policy of the suite: one writable root, a denied secret
 * directory, protected .git paths in the root, no network. */
struct env {
	struct tree t;
	char git[200], hooks[200], config[200], victim[200], token[64];
	char env_glob[200];
	const char *w[1], *deny[2], *ro[2];
	struct accel_sandbox_policy p;
};

static void env_make(struct env *e)
{
	char path[300];

	memset(e, 0, sizeof(*e));
	tree_make(&e->t);
	snprintf(e->token, sizeof(e->token), "TOKEN-%d-%ld-c0ffee", getpid(),
		 (long)time(NULL));
	snprintf(e->git, sizeof(e->git), "%s/.git", e->t.w);
	snprintf(e->hooks, sizeof(e->hooks), "%s/.git/hooks", e->t.w);
	snprintf(e->config, sizeof(e->config), "%s/.git/config", e->t.w);
	snprintf(e->victim, sizeof(e->victim), "%s/victim", e->t.out);
	cr_assert_eq(mkdir(e->git, 0777), 0);
	cr_assert_eq(mkdir(e->hooks, 0777), 0);
	write_file(e->config, "[core]\n", 0666);
	write_file(e->victim, "original\n", 0666);
	snprintf(path, sizeof(path), "%s/id_rsa", e->t.secret);
	write_file(path, e->token, 0666);
	snprintf(path, sizeof(path), "%s/.env", e->t.w);
	write_file(path, e->token, 0666);
	snprintf(path, sizeof(path), "%s/file", e->t.w);
	write_file(path, "inside\n", 0666);
	e->w[0] = e->t.w;
	e->deny[0] = e->t.secret;
	snprintf(e->env_glob, sizeof(e->env_glob), "%s/**/.env", e->t.w);
	e->deny[1] = e->env_glob;
	e->ro[0] = e->hooks;
	e->ro[1] = e->config;
	e->p.write = e->w;
	e->p.n_write = 1;
	e->p.deny = e->deny;
	e->p.n_deny = 2;
	e->p.readonly = e->ro;
	e->p.n_readonly = 2;
	e->p.net = ACCEL_SANDBOX_NET_NONE;
	/* ctest runs the suite twice: through the policy's launcher and,
	 * with this set, on the direct path. */
	if (getenv("ACCEL_SBX_TEST_NO_LAUNCHER"))
		e->p.flags |= ACCEL_SANDBOX_F_NO_LAUNCHER;
}

static void victim_intact(const struct env *e)
{
	char buf[64];

	read_file(e->victim, buf, sizeof(buf));
	cr_expect_str_eq(buf, "original\n", "outside file changed");
}

static void no_token(const struct env *e, const struct accel_sandbox_result *r)
{
	cr_expect_null(strstr(out0(r), e->token), "secret leaked to stdout");
	cr_expect_null(strstr(out1(r), e->token), "secret leaked to stderr");
}

/* Runs script (printf-style) under the suite's policy. */
static void attack(struct env *e, struct accel_sandbox_result *r,
		   const char *fmt, ...)
{
	struct accel_sandbox *sb = compile(&e->p);
	char script[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(script, sizeof(script), fmt, ap);
	va_end(ap);
	cr_assert_eq(sh(sb, script, r, 20000), 0);
	cr_log_info("stdout: %s\nstderr: %s", out0(r), out1(r));
	accel_sandbox_destroy(sb);
}

static int has_violation(const struct accel_sandbox_result *r, const char *what)
{
	for (uint32_t i = 0; i < r->n_violations; i++)
		if (strstr(r->violations[i].what, what))
			return 1;
	return 0;
}

Test(sandbox_escape, write_outside_roots)
{
	struct env e;
	struct accel_sandbox_result r;
	char path[300];

	env_make(&e);
	attack(&e, &r,
	       "echo pwn > %s/new; echo pwn > %s; rm -f %s; "
	       "touch /etc/accel-escape-%d; echo pwn > /var/tmp/accel-%d; "
	       "echo ok > %s/new && echo inside-ok",
	       e.t.out, e.victim, e.victim, getpid(), getpid(), e.t.w);
	cr_expect_not_null(strstr(out0(&r), "inside-ok"));
	snprintf(path, sizeof(path), "%s/new", e.t.out);
	cr_expect_not(exists(path));
	snprintf(path, sizeof(path), "/etc/accel-escape-%d", getpid());
	cr_expect_not(exists(path));
	snprintf(path, sizeof(path), "/var/tmp/accel-%d", getpid());
	cr_expect_not(exists(path));
	victim_intact(&e);
	accel_sandbox_result_free(&r);
	tree_rm(&e.t);
}

Test(sandbox_escape, write_through_symlink_and_hardlink)
{
	struct env e;
	struct accel_sandbox_result r;
	char planted[300], path[300];

	env_make(&e);
	/* A symlink planted by someone else, and links the attack makes. */
	snprintf(planted, sizeof(planted), "%s/planted", e.t.w);
	cr_assert_eq(symlink(e.victim, planted), 0);
	attack(&e, &r,
	       "cd %s; echo pwn > planted; echo pwn >> planted; "
	       "ln -s %s mine && echo pwn > mine; "
	       "ln %s hard && echo pwn >> hard; "
	       "cp --remove-destination /dev/null planted; true",
	       e.t.w, e.victim, e.victim);
	victim_intact(&e);
	snprintf(path, sizeof(path), "%s/hard", e.t.w);
	cr_expect_not(exists(path), "hardlink to an outside file was made");
	accel_sandbox_result_free(&r);
	tree_rm(&e.t);
}

Test(sandbox_escape, rename_into_and_out_of_root)
{
	struct env e;
	struct accel_sandbox_result r;
	char path[300], buf[64];

	env_make(&e);
	attack(&e, &r, "mv %s/file %s/; mv %s %s/; mv %s %s/victim2; true",
	       e.t.w, e.t.out, e.victim, e.t.w, e.victim, e.t.w);
	snprintf(path, sizeof(path), "%s/file", e.t.w);
	read_file(path, buf, sizeof(buf));
	cr_expect_str_eq(buf, "inside\n");
	snprintf(path, sizeof(path), "%s/file", e.t.out);
	cr_expect_not(exists(path));
	snprintf(path, sizeof(path), "%s/victim", e.t.w);
	cr_expect_not(exists(path));
	victim_intact(&e);
	accel_sandbox_result_free(&r);
	tree_rm(&e.t);
}

Test(sandbox_escape, read_denied_secret)
{
	struct env e;
	struct accel_sandbox_result r;

	env_make(&e);
	attack(&e, &r,
	       "cat %s/id_rsa; cat %s/.env; cat /proc/self/root%s/id_rsa; "
	       "ls -la %s; grep -r TOKEN %s; "
	       "find %s -name id_rsa -exec cat {} \\; ; "
	       "ln -s %s/id_rsa %s/s && cat %s/s; "
	       "cp %s/id_rsa %s/copy; cat %s/copy; "
	       "tar cf - %s 2>/dev/null | strings; true",
	       e.t.secret, e.t.w, e.t.secret, e.t.secret, e.t.root, e.t.root,
	       e.t.secret, e.t.w, e.t.w, e.t.secret, e.t.w, e.t.w, e.t.root);
	no_token(&e, &r);
	/* The attack did run: the readable files were found. */
	cr_expect_not_null(strstr(out0(&r), "[core]"));
	accel_sandbox_result_free(&r);
	tree_rm(&e.t);
}

Test(sandbox_escape, write_protected_paths_in_root)
{
	struct env e;
	struct accel_sandbox_result r;
	char path[300], buf[64];

	env_make(&e);
	attack(&e, &r,
	       "cd %s; echo evil > .git/hooks/pre-commit; "
	       "echo evil >> .git/config; rm -rf .git/hooks; "
	       "mv .git/hooks .git/h2; mv .git .git2; "
	       "mkdir -p .git/hooks; echo evil > .git/hooks/post-checkout; "
	       "chmod 777 .git/hooks; echo made > ok; true",
	       e.t.w);
	snprintf(path, sizeof(path), "%s/pre-commit", e.hooks);
	cr_expect_not(exists(path));
	snprintf(path, sizeof(path), "%s/post-checkout", e.hooks);
	cr_expect_not(exists(path));
	read_file(e.config, buf, sizeof(buf));
	cr_expect_str_eq(buf, "[core]\n");
	cr_expect(exists(e.hooks));
	snprintf(path, sizeof(path), "%s/.git2", e.t.w);
	cr_expect_not(exists(path));
	/* The rest of the root stayed writable. */
	snprintf(path, sizeof(path), "%s/ok", e.t.w);
	cr_expect(exists(path));
	accel_sandbox_result_free(&r);
	tree_rm(&e.t);
}

static int tcp_listener(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(listen(s, 16), 0);
	getsockname(s, (struct sockaddr *)&a, &len);
	*port = ntohs(a.sin_port);
	return s;
}

static int udp_socket(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	getsockname(s, (struct sockaddr *)&a, &len);
	*port = ntohs(a.sin_port);
	return s;
}

Test(sandbox_escape, network_none_blocks_tcp_udp_raw)
{
	struct env e;
	struct accel_sandbox_result r;
	int tport, uport, ts, us;
	char buf[16];

	env_make(&e);
	ts = tcp_listener(&tport);
	us = udp_socket(&uport);
	attack(&e, &r,
	       PY
	       " -c '\n"
	       "import socket\n"
	       "for f, t in ((socket.AF_INET, socket.SOCK_STREAM),"
	       " (socket.AF_INET, socket.SOCK_DGRAM),"
	       " (socket.AF_INET, socket.SOCK_RAW),"
	       " (socket.AF_INET6, socket.SOCK_STREAM),"
	       " (socket.AF_PACKET, socket.SOCK_RAW)):\n"
	       "  try:\n"
	       "    s = socket.socket(f, t)\n"
	       "    s.connect((\"127.0.0.1\", %d)) if t == socket.SOCK_STREAM"
	       " else s.sendto(b\"x\", (\"127.0.0.1\", %d))\n"
	       "    print(\"CONNECTED\", f, t)\n"
	       "  except OSError as x:\n"
	       "    print(\"blocked\", f, t, x.errno)\n"
	       "'",
	       tport, uport);
	cr_expect_null(strstr(out0(&r), "CONNECTED"));
	cr_expect_not_null(strstr(out0(&r), "blocked"));
	cr_expect_lt(accept(ts, NULL, NULL), 0, "the server got a connection");
	cr_expect_lt(recv(us, buf, sizeof(buf), 0), 0, "a datagram arrived");
	/* The report says what was tried. */
	if (r.layers & ACCEL_SANDBOX_L_SECCOMP_NOTIFY) {
		cr_expect(has_violation(&r, "socket(AF_INET, SOCK_STREAM)"));
		cr_expect(has_violation(&r, "socket(AF_INET, SOCK_RAW)"));
		cr_expect(has_violation(&r, "socket(AF_PACKET"));
		cr_expect(r.flags & ACCEL_SANDBOX_R_VIOLATIONS);
	}
	close(ts);
	close(us);
	accel_sandbox_result_free(&r);
	tree_rm(&e.t);
}

Test(sandbox_escape, network_loopback_is_private)
{
	struct env e;
	struct accel_sandbox_result r;
	int tport, ts;

	if (!(ns_layers() & ACCEL_SANDBOX_L_NETNS))
		cr_skip_test("no network namespace");
	env_make(&e);
	e.p.net = ACCEL_SANDBOX_NET_LOOPBACK;
	ts = tcp_listener(&tport);
	attack(&e, &r,
	       PY
	       " -c '\n"
	       "import socket\n"
	       "try:\n"
	       "  socket.create_connection((\"127.0.0.1\", %d), 2)\n"
	       "  print(\"HOST-REACHED\")\n"
	       "except OSError as x:\n"
	       "  print(\"host unreachable\", x.errno)\n"
	       "s = socket.socket(); s.bind((\"127.0.0.1\", 0)); s.listen()\n"
	       "c = socket.create_connection(s.getsockname(), 2)\n"
	       "a, _ = s.accept(); c.send(b\"hi\"); print(\"own\", "
	       "a.recv(2))\n'",
	       tport);
	cr_expect(r.layers & ACCEL_SANDBOX_L_NETNS);
	cr_expect_null(strstr(out0(&r), "HOST-REACHED"));
	cr_expect_not_null(strstr(out0(&r), "own b'hi'"));
	cr_expect_lt(accept(ts, NULL, NULL), 0);
	close(ts);
	accel_sandbox_result_free(&r);
	tree_rm(&e.t);
}

Test(sandbox_escape, abstract_unix_socket_outside)
{
	struct env e;
	struct accel_sandbox_result r;
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char name[64];
	int s;

	if (accel_sandbox_probe()->landlock_abi < 6)
		cr_skip_test("Landlock ABI < 6: no abstract socket scoping");
	env_make(&e);
	snprintf(name, sizeof(name), "accel-test-%d", getpid());
	memcpy(a.sun_path + 1, name, strlen(name));
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	cr_assert_eq(bind(s, (struct sockaddr *)&a,
			  (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
				      1 + strlen(name))),
		     0);
	cr_assert_eq(listen(s, 4), 0);
	attack(&e, &r,
	       PY " -c '\n"
		  "import socket\n"
		  "s = socket.socket(socket.AF_UNIX)\n"
		  "try:\n"
		  "  s.connect(\"\\0%s\"); print(\"CONNECTED\")\n"
		  "except OSError as x:\n"
		  "  print(\"blocked\", x.errno)\n'",
	       name);
	cr_expect_not_null(strstr(out0(&r), "blocked"));
	cr_expect_lt(accept(s, NULL, NULL), 0);
	close(s);
	accel_sandbox_result_free(&r);
	tree_rm(&e.t);
}

/* A process outside the sandbox with a secret in its environment. */
static pid_t outside_helper(const char *token)
{
	pid_t pid = fork();

	if (pid == 0) {
		char env[128];
		char *envp[] = { env, NULL };

		snprintf(env, sizeof(env), "PLANTED=%s", token);
		execle("/bin/sleep", "sleep", "30", (char *)NULL, envp);
		_exit(127);
	}
	cr_assert_gt(pid, 0);
	usleep(50000);
	return pid;
}

Test(sandbox_escape, ptrace_proc_mem_environ_and_signals)
{
	struct env e;
	struct accel_sandbox_result r;
	pid_t helper;
	int st;

	env_make(&e);
	helper = outside_helper(e.token);
	attack(&e, &r,
	       "cat /proc/%d/environ; head -c 64 /proc/%d/mem; "
	       "cat /proc/%d/environ; kill -9 %d; kill -9 %d; kill -STOP %d; "
	       "sleep 5 & " PY " -c '\n"
	       "import ctypes, sys\n"
	       "libc = ctypes.CDLL(None, use_errno=True)\n"
	       "for pid in (%d, %d, int(sys.argv[1])):\n"
	       "  r = libc.ptrace(16, pid, 0, 0)\n"
	       "  print(\"ptrace\", r, ctypes.get_errno())\n"
	       "' $!; kill $!",
	       helper, helper, getppid(), helper, getppid(), helper, helper,
	       getpid());
	no_token(&e, &r);
	cr_expect_null(strstr(out0(&r), "ptrace 0 "), "a ptrace attach worked");
	cr_expect_not_null(strstr(out0(&r), "ptrace -1"));
	/* The helper is alive and was not stopped. */
	cr_expect_eq(waitpid(helper, &st, WNOHANG | WUNTRACED), 0);
	cr_expect_eq(kill(helper, 0), 0);
	if (r.layers & ACCEL_SANDBOX_L_SECCOMP_NOTIFY)
		cr_expect(has_violation(&r, "ptrace"));
	kill(helper, SIGKILL);
	waitpid(helper, NULL, 0);
	accel_sandbox_result_free(&r);
	tree_rm(&e.t);
}

Test(sandbox_escape, mount_unshare_nested_userns)
{
	struct env e;
	struct accel_sandbox_result r;

	env_make(&e);
	attack(&e, &r,
	       "unshare -U true; echo userns=$?; unshare -m true; "
	       "echo mntns=$?; unshare -n true; echo netns=$?; "
	       "mount -t tmpfs none %s; echo mount=$?; "
	       "umount /proc; echo umount=$?; " PY
	       " -c 'import ctypes; l = ctypes.CDLL(None, use_errno=1); "
	       "print(\"nested\", l.unshare(0x10000000), ctypes.get_errno())'",
	       e.t.out);
	cr_expect_null(strstr(out0(&r), "userns=0"));
	cr_expect_null(strstr(out0(&r), "mntns=0"));
	cr_expect_null(strstr(out0(&r), "netns=0"));
	cr_expect_null(strstr(out0(&r), "mount=0"));
	cr_expect_null(strstr(out0(&r), "umount=0"));
	cr_expect_not_null(strstr(out0(&r), "nested -1 1"));
	if (r.layers & ACCEL_SANDBOX_L_SECCOMP_NOTIFY) {
		cr_expect(has_violation(&r, "unshare"));
		cr_expect(has_violation(&r, "mount"));
	}
	accel_sandbox_result_free(&r);
	tree_rm(&e.t);
}

Test(sandbox_escape, setuid_binary_gives_nothing)
{
	struct env e;
	struct accel_sandbox_result r;
	char suid[300], cmd[700];

	env_make(&e);
	snprintf(suid, sizeof(suid), "%s/suid-id", e.t.out);
	snprintf(cmd, sizeof(cmd), "cp /usr/bin/id %s && chmod 4755 %s", suid,
		 suid);
	cr_assert_eq(system(cmd), 0);
	tree_give(&e.t);
	/* The binary stays root-owned and setuid; we become nobody. */
	cr_assert_eq(chown(suid, 0, 0), 0);
	cr_assert_eq(chmod(suid, 04755), 0);
	drop_to_nobody();
	attack(&e, &r, "%s; %s -u", suid, suid);
	cr_expect_null(strstr(out0(&r), "euid=0"));
	cr_expect_not_null(strstr(out0(&r), "uid=65534"));
	accel_sandbox_result_free(&r);
	tree_rm(&e.t);
}

Test(sandbox_escape, tiocsti_and_mknod)
{
	struct env e;
	struct accel_sandbox_result r;
	char path[300];

	env_make(&e);
	attack(&e, &r,
	       "mknod %s/null c 1 3; echo mknod=$?; " PY " -c '\n"
	       "import fcntl, termios\n"
	       "for fd in (0, 1, 2):\n"
	       "  try:\n"
	       "    fcntl.ioctl(fd, termios.TIOCSTI, b\"x\"); print(\"INJECTED\")\n"
	       "  except OSError as x:\n"
	       "    print(\"tiocsti\", x.errno)\n'",
	       e.t.w);
	snprintf(path, sizeof(path), "%s/null", e.t.w);
	cr_expect_not(exists(path));
	cr_expect_null(strstr(out0(&r), "mknod=0"));
	cr_expect_null(strstr(out0(&r), "INJECTED"));
	/* EPERM from the filter, not ENOTTY from the tty layer: the
	 * syscall was stopped before it reached the file. */
	if (r.layers & ACCEL_SANDBOX_L_SECCOMP) {
		cr_expect_not_null(strstr(out0(&r), "tiocsti 1"));
		if (r.layers & ACCEL_SANDBOX_L_SECCOMP_NOTIFY)
			cr_expect(has_violation(&r, "TIOCSTI"));
	}
	accel_sandbox_result_free(&r);
	tree_rm(&e.t);
}

static void fork_bomb(int unprivileged)
{
	struct env e;
	struct accel_sandbox *sb;
	struct accel_sandbox_result r;
	char marker[64];
	const char *argv[] = { "/bin/sh", "-c",
			       "b() { b | b & }; b; sleep 1; echo survived",
			       marker, NULL };
	struct accel_sandbox_exec req = { .argv = argv,
					  .timeout_ms = 3000,
					  .kill_grace_ms = 100 };

	env_make(&e);
	snprintf(marker, sizeof(marker), "bomb-%d", getpid());
	e.p.pids_max = 64;
	if (unprivileged) {
		tree_give(&e.t);
		drop_to_nobody();
	}
	sb = compile(&e.p);
	cr_assert_eq(accel_sandbox_run(sb, &req, NULL, &r), 0);
	cr_log_info("flags 0x%x exit %d sig %d", r.flags, r.exit_code,
		    r.term_signal);
	cr_expect_eq(wait_unmarked(marker, 3000), 0, "bomb processes left");
	if (r.layers & ACCEL_SANDBOX_L_CGROUP)
		cr_expect(r.flags & ACCEL_SANDBOX_R_PIDS_LIMIT);
	accel_sandbox_result_free(&r);
	accel_sandbox_destroy(sb);
	tree_rm(&e.t);
}

Test(sandbox_escape, fork_bomb_bounded)
{
	fork_bomb(0);
}

Test(sandbox_escape, fork_bomb_bounded_unprivileged)
{
	fork_bomb(1);
}

Test(sandbox_escape, memory_bomb_bounded_and_reported)
{
	struct env e;
	struct accel_sandbox *sb;
	struct accel_sandbox_result r;
	const char *argv[] = { PY, "-c",
			       "x = bytearray(1 << 30); print('ALLOCATED')",
			       NULL };
	struct accel_sandbox_exec req = { .argv = argv, .timeout_ms = 20000 };

	env_make(&e);
	e.p.mem_bytes = 64 << 20;
	sb = compile(&e.p);
	cr_assert_eq(accel_sandbox_run(sb, &req, NULL, &r), 0);
	cr_log_info("flags 0x%x exit %d sig %d peak %llu", r.flags, r.exit_code,
		    r.term_signal, (unsigned long long)r.peak_rss_bytes);
	cr_expect_null(strstr(out0(&r), "ALLOCATED"));
	cr_expect_neq(r.exit_code, 0);
	cr_expect_gt(r.peak_rss_bytes, 0);
	cr_expect_leq(r.peak_rss_bytes, 96ull << 20);
	if (r.layers & ACCEL_SANDBOX_L_CGROUP)
		cr_expect(r.flags & ACCEL_SANDBOX_R_OOM);
	accel_sandbox_result_free(&r);
	accel_sandbox_destroy(sb);
	tree_rm(&e.t);
}

Test(sandbox_escape, infinite_output_capped)
{
	struct env e;
	struct accel_sandbox *sb;
	struct accel_sandbox_result r;
	const char *yes[] = { "/usr/bin/yes", "flood", NULL };
	const char *zero[] = { "/bin/cat", "/dev/zero", NULL };
	struct accel_sandbox_exec req = { .argv = yes,
					  .timeout_ms = 1000,
					  .kill_grace_ms = 100,
					  .head_bytes = 4096,
					  .tail_bytes = 4096 };

	env_make(&e);
	sb = compile(&e.p);
	cr_assert_eq(accel_sandbox_run(sb, &req, NULL, &r), 0);
	cr_expect(r.flags & ACCEL_SANDBOX_R_TIMED_OUT);
	cr_expect_eq(r.out[0].len, 8192);
	cr_expect_gt(r.out[0].total, 8192);
	cr_expect_eq(r.out[0].elided, r.out[0].total - 8192);
	cr_expect_eq(strncmp(r.out[0].data, "flood\n", 6), 0);
	accel_sandbox_result_free(&r);

	/* An output budget stops it without waiting for the timeout. */
	req.argv = zero;
	req.timeout_ms = 20000;
	req.max_output_bytes = 8 << 20;
	cr_assert_eq(accel_sandbox_run(sb, &req, NULL, &r), 0);
	cr_expect(r.flags & ACCEL_SANDBOX_R_OUTPUT_LIMIT);
	cr_expect_not(r.flags & ACCEL_SANDBOX_R_TIMED_OUT);
	cr_expect_geq(r.out[0].total, 8 << 20);
	accel_sandbox_result_free(&r);
	accel_sandbox_destroy(sb);
	tree_rm(&e.t);
}

/*
 * The engine is kill -9'ed mid-exec: a forked "engine" runs a tree with
 * double-forked and setsid'ed daemons; once they are all up, we kill it.
 */
static void engine_killed(int unprivileged)
{
	struct env e;
	char marker[64];
	pid_t engine;
	int seen = 0;

	env_make(&e);
	snprintf(marker, sizeof(marker), "2000.%d%d", getpid(), unprivileged);
	if (unprivileged)
		tree_give(&e.t);
	engine = fork();
	cr_assert_geq(engine, 0);
	if (engine == 0) {
		struct accel_sandbox *sb;
		struct accel_sandbox_result r;
		char script[400];

		if (unprivileged)
			drop_to_nobody();
		snprintf(script, sizeof(script),
			 "(sleep %s &); setsid sleep %s & "
			 "(trap '' TERM HUP; exec sleep %s) & sleep %s",
			 marker, marker, marker, marker);
		if (accel_sandbox_policy_compile(&e.p, &sb))
			_exit(3);
		sh(sb, script, &r, 60000);
		_exit(0);
	}
	for (int i = 0; i < 300 && seen < 5; i++) {
		usleep(10000);
		seen = count_marked(marker);
	}
	cr_assert_geq(seen, 5, "tree did not start (%d)", seen);
	kill(engine, SIGKILL);
	waitpid(engine, NULL, 0);
	cr_expect_eq(wait_unmarked(marker, 3000), 0,
		     "sandboxed processes outlived the engine");
	tree_rm(&e.t);
}

Test(sandbox_escape, engine_kill9_leaves_nothing)
{
	if (!(ns_layers() & ACCEL_SANDBOX_L_PIDNS))
		cr_skip_test("no pid namespace: survivors possible");
	engine_killed(0);
}

Test(sandbox_escape, engine_kill9_leaves_nothing_unprivileged)
{
	engine_killed(1);
}

/* With write tracing the report lists each write outside the roots (and
 * into protected paths) while writes inside pass unreported; all the
 * outside writes still fail. */
Test(sandbox_escape, writes_outside_are_reported)
{
	struct env e;
	struct accel_sandbox_result r;
	char want[3][320], path[300];
	int found[3] = { 0 }, inside = 0;

	env_make(&e);
	if (!(accel_sandbox_probe()->layers & ACCEL_SANDBOX_L_SECCOMP_NOTIFY))
		cr_skip_test("no seccomp user notification");
	e.p.flags |= ACCEL_SANDBOX_F_TRACE_WRITES;
	attack(&e, &r,
	       "cd %s; echo ok > inside.txt; mkdir sub; rm inside.txt; "
	       "echo pwn > ../out/new; mkdir /etc/accel-evil-%d; "
	       "echo x > .git/hooks/pre-push; true",
	       e.t.w, getpid());
	snprintf(want[0], sizeof(want[0]), "%s/new", e.t.out);
	snprintf(want[1], sizeof(want[1]), "mkdir /etc/accel-evil-%d",
		 getpid());
	snprintf(want[2], sizeof(want[2]), "%s/pre-push", e.hooks);
	for (uint32_t i = 0; i < r.n_violations; i++) {
		const char *w = r.violations[i].what;

		if (r.violations[i].kind != ACCEL_SANDBOX_V_WRITE)
			continue;
		cr_log_info("violation: %s", w);
		/* what keeps the tail of long paths. */
		for (int k = 0; k < 3; k++) {
			const char *tail = want[k] + strlen(want[k]) -
					   ACCEL_MIN(strlen(want[k]), 20);

			if (strstr(w, tail))
				found[k] = 1;
		}
		if (strstr(w, "inside.txt") || strstr(w, "/sub"))
			inside = 1;
	}
	cr_expect(found[0], "write to %s not reported", want[0]);
	cr_expect(found[1], "%s not reported", want[1]);
	cr_expect(found[2], "write to %s not reported", want[2]);
	cr_expect_not(inside, "a write inside the root was reported");
	/* The writes outside still failed; the ones inside worked. */
	snprintf(path, sizeof(path), "%s/new", e.t.out);
	cr_expect_not(exists(path));
	snprintf(path, sizeof(path), "/etc/accel-evil-%d", getpid());
	cr_expect_not(exists(path));
	snprintf(path, sizeof(path), "%s/sub", e.t.w);
	cr_expect(exists(path));
	accel_sandbox_result_free(&r);
	tree_rm(&e.t);
}
