/* SPDX-License-Identifier: MIT */
/*
 * The per-policy launcher (sandbox/zygote.c): each exec gets its own pid
 * namespace and /proc, execs of one policy cannot see, signal or outlive
 * each other, a command cannot reach the launcher, violations are filed
 * under the exec that made them, and a dead launcher is replaced by the
 * direct path.
 */
#include "sbx_test.h"

#include <pthread.h>

#include "proc_probe.h"

/* Pids of this process's children (all threads): the launchers and their
 * warm children, once no command runs. Returns how many were stored. */
static int children(pid_t *out, int max)
{
	return proc_children(0, out, max);
}

/* Whether pid is in this process's pid namespace: launchers are, each
 * launcher's warm child (the next command's pid 1) is not. */
static int in_our_pidns(pid_t pid)
{
	char path[64], a[64] = "", b[64] = "";

	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)pid);
	if (readlink(path, a, sizeof(a) - 1) <= 0 ||
	    readlink("/proc/self/ns/pid", b, sizeof(b) - 1) <= 0)
		return -1;
	return strcmp(a, b) == 0;
}

/* Children that are launchers (want 1) or warm children (want 0). */
static int children_of_kind(pid_t *out, int max, int want)
{
	pid_t all[64];
	int n = children(all, 64), k = 0;

	for (int i = 0; i < n; i++)
		if (in_our_pidns(all[i]) == want && k < max)
			out[k++] = all[i];
	return k;
}

static int launchers(pid_t *out, int max)
{
	return children_of_kind(out, max, 1);
}

/* Warm children, once there are want of them: a launcher clones the
 * next one after its last command started, which may not have happened
 * yet when the command's result is back. Gives up after 10 s. */
static int warm_children(pid_t *out, int max, int want)
{
	int n = 0;

	for (int i = 0; i < 10000; i++) {
		n = children_of_kind(out, max, 0);
		if (n == want)
			break;
		usleep(1000);
	}
	return n;
}

struct lenv {
	struct tree t;
	const char *w[1];
	struct accel_sandbox_policy p;
};

static void lenv_make(struct lenv *e)
{
	memset(e, 0, sizeof(*e));
	tree_make(&e->t);
	e->w[0] = e->t.w;
	e->p.write = e->w;
	e->p.n_write = 1;
	e->p.net = ACCEL_SANDBOX_NET_NONE;
}

static int launcher_expected(void)
{
	uint32_t need = ACCEL_SANDBOX_L_USERNS | ACCEL_SANDBOX_L_PIDNS |
			ACCEL_SANDBOX_L_MNTNS;

	return (ns_layers() & need) == need;
}

Test(sandbox_launcher, one_process_per_policy_gone_after_destroy)
{
	struct lenv e;
	struct accel_sandbox *sb;
	struct accel_sandbox_result r;
	pid_t kids[16];

	if (!launcher_expected())
		cr_skip_test("no user/pid/mount namespaces here");
	lenv_make(&e);
	sb = compile(&e.p);
	cr_expect_eq(children(kids, 16), 0);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(sh(sb, "echo run", &r, 10000), 0);
		cr_expect_str_eq(out0(&r), "run\n");
		accel_sandbox_result_free(&r);
	}
	/* Three execs, one launcher and its warm child (the next exec's
	 * pid 1, in a pid namespace of its own); the commands were all
	 * reaped. */
	cr_expect_eq(launchers(kids, 16), 1);
	cr_expect_eq(warm_children(kids, 16, 1), 1);
	cr_expect_eq(children(kids, 16), 2);
	accel_sandbox_destroy(sb);
	/* Both exited and were reaped: no zombie either. */
	cr_expect_eq(children(kids, 16), 0, "launcher outlived its policy");

	/* F_NO_LAUNCHER: no process stays between execs. */
	e.p.flags |= ACCEL_SANDBOX_F_NO_LAUNCHER;
	sb = compile(&e.p);
	cr_assert_eq(sh(sb, "echo run", &r, 10000), 0);
	cr_expect_str_eq(out0(&r), "run\n");
	accel_sandbox_result_free(&r);
	cr_expect_eq(children(kids, 16), 0);
	accel_sandbox_destroy(sb);
	tree_rm(&e.t);
}

Test(sandbox_launcher, each_exec_has_its_own_pid_ns_and_proc)
{
	char marker[64], script[256];
	struct lenv e;
	struct accel_sandbox *sb;
	struct accel_sandbox_result r;

	lenv_make(&e);
	snprintf(marker, sizeof(marker), "5000.%d", getpid());
	sb = compile(&e.p);
	/* A daemon of the first exec must not be visible to the second. */
	snprintf(script, sizeof(script), "(setsid sleep %s &); echo $$",
		 marker);
	cr_assert_eq(sh(sb, script, &r, 10000), 0);
	cr_expect_str_eq(out0(&r), "1\n");
	accel_sandbox_result_free(&r);
	cr_assert_eq(sh(sb,
			"echo $$; grep NSpid /proc/self/status | wc -w; "
			"ls /proc | grep -c '^[0-9]'",
			&r, 10000),
		     0);
	/* The shell is pid 1; NSpid has one entry per level seen from this
	 * /proc (the command's own namespace only); /proc lists the shell,
	 * its pipeline (grep, ls) and nothing else: no launcher, no sleep. */
	cr_expect_str_eq(out0(&r), "1\n2\n3\n", "got %s", out0(&r));
	accel_sandbox_result_free(&r);
	cr_expect_eq(count_marked(marker), 0);
	accel_sandbox_destroy(sb);
	tree_rm(&e.t);
}

struct bg {
	const struct accel_sandbox *sb;
	const char *script;
	struct accel_sandbox_result r;
	int ret;
};

static void *bg_run(void *arg)
{
	struct bg *b = arg;

	b->ret = sh(b->sb, b->script, &b->r, 20000);
	return NULL;
}

/*
 * A command of a policy tries to kill everything it can (kill -9 -1,
 * every pid in its /proc, its session and group) and to read other
 * processes' environment while another command of the same policy runs:
 * the other command and the launcher are unharmed and the next exec works.
 */
Test(sandbox_launcher, commands_cannot_reach_launcher_or_each_other)
{
	struct lenv e;
	struct accel_sandbox *sb;
	struct accel_sandbox_result r;
	struct bg victim = { 0 };
	pthread_t th;
	char marker[64], script[400];
	pid_t kids[16];
	int n_before;

	lenv_make(&e);
	sb = compile(&e.p);
	cr_assert_eq(sh(sb, "true", &r, 10000), 0); /* start the launcher */
	accel_sandbox_result_free(&r);
	n_before = children(kids, 16);
	snprintf(marker, sizeof(marker), "3000.%d", getpid());
	snprintf(script, sizeof(script), "SECRET_%d=1 exec sleep %s", getpid(),
		 marker);
	victim.sb = sb;
	victim.script = script;
	cr_assert_eq(pthread_create(&th, NULL, bg_run, &victim), 0);
	for (int i = 0; i < 300 && count_marked(marker) < 1; i++)
		usleep(10000);
	cr_assert_eq(count_marked(marker), 1, "victim did not start");

	cr_assert_eq(sh(sb,
			"for p in /proc/[0-9]*; do cat $p/environ; "
			"kill -9 ${p#/proc/}; done 2>/dev/null; "
			"kill -9 -1; kill -9 0",
			&r, 10000),
		     0);
	cr_expect_null(strstr(out0(&r), "SECRET_"), "read another exec's env");
	accel_sandbox_result_free(&r);

	/*
	 * The victim still runs; the launchers it could see still live (a
	 * second one may have started for the concurrent exec) and serve.
	 */
	cr_expect_eq(count_marked(marker), 1, "another exec was killed");
	for (int i = 0; i < n_before; i++)
		cr_expect(proc_running(kids[i]), "launcher %d was killed",
			  (int)kids[i]);
	cr_assert_eq(sh(sb, "echo again", &r, 10000), 0);
	cr_expect_str_eq(out0(&r), "again\n");
	accel_sandbox_result_free(&r);

	/* Killed from outside (SIGKILL: SIGTERM from an ancestor namespace
	 * does not reach a pid 1 without a handler), it is reported so. */
	snprintf(script, sizeof(script), "pkill -9 -f %s", marker);
	cr_expect_neq(system(script), -1);
	pthread_join(th, NULL);
	cr_expect_eq(victim.ret, 0);
	cr_expect_eq(victim.r.term_signal, SIGKILL);
	accel_sandbox_result_free(&victim.r);
	cr_expect_eq(wait_unmarked(marker, 3000), 0);
	accel_sandbox_destroy(sb);
	tree_rm(&e.t);
}

static int has(const struct accel_sandbox_result *r, const char *what)
{
	for (uint32_t i = 0; i < r->n_violations; i++)
		if (strstr(r->violations[i].what, what))
			return 1;
	return 0;
}

/* Two execs of one policy at once, each denied something different: each
 * result lists its own denial and not the other's. */
Test(sandbox_launcher, violations_go_to_their_own_exec)
{
	struct lenv e;
	struct accel_sandbox *sb;
	struct bg a = { 0 }, b = { 0 };
	pthread_t ta, tb;

	lenv_make(&e);
	sb = compile(&e.p);
	if (!(accel_sandbox_layers(sb) & ACCEL_SANDBOX_L_SECCOMP_NOTIFY))
		cr_skip_test("no seccomp user notification");
	a.sb = b.sb = sb;
	a.script = "for i in 1 2 3 4 5; do unshare -m true; sleep 0.05; done";
	b.script = "for i in 1 2 3 4 5; do /usr/bin/python3 -c "
		   "'import socket; socket.socket()' 2>/dev/null; done";
	cr_assert_eq(pthread_create(&ta, NULL, bg_run, &a), 0);
	cr_assert_eq(pthread_create(&tb, NULL, bg_run, &b), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	cr_assert_eq(a.ret, 0);
	cr_assert_eq(b.ret, 0);
	cr_expect(has(&a.r, "unshare"));
	cr_expect_not(has(&a.r, "socket"));
	cr_expect(has(&b.r, "socket(AF_INET"));
	cr_expect_not(has(&b.r, "unshare"));
	for (uint32_t i = 0; i < b.r.n_violations; i++)
		cr_log_info("b: %s", b.r.violations[i].what);
	cr_log_info("b out %s err %s", out0(&b.r), out1(&b.r));
	cr_expect_geq(a.r.n_violations, 5);
	cr_expect_geq(b.r.n_violations, 5);
	accel_sandbox_result_free(&a.r);
	accel_sandbox_result_free(&b.r);
	accel_sandbox_destroy(sb);
	tree_rm(&e.t);
}

/* A timeout on the launcher path still takes double-forked and setsid
 * grandchildren that ignore SIGTERM; the result comes back on time. */
Test(sandbox_launcher, timeout_kills_grandchildren)
{
	struct lenv e;
	struct accel_sandbox *sb;
	struct accel_sandbox_result r;
	char marker[32], script[400];

	lenv_make(&e);
	sb = compile(&e.p);
	snprintf(marker, sizeof(marker), "4000.%d", getpid());
	snprintf(script, sizeof(script),
		 "(sleep %s &); setsid sleep %s & "
		 "(trap '' TERM; exec sleep %s) & exec sleep %s",
		 marker, marker, marker, marker);
	cr_assert_eq(sh(sb, script, &r, 300), 0);
	cr_expect(r.flags & ACCEL_SANDBOX_R_TIMED_OUT);
	cr_expect_lt(r.wall_ns, 5000000000ull);
	cr_expect_eq(wait_unmarked(marker, 3000), 0);
	accel_sandbox_result_free(&r);
	accel_sandbox_destroy(sb);
	tree_rm(&e.t);
}

/* The launcher is killed from outside. Its warm child, already waiting,
 * serves the next exec; the exec after that finds the launcher gone and
 * takes the direct path; the one after that starts a new launcher. All
 * with the same layers, and the orphaned warm child is reaped. */
Test(sandbox_launcher, dead_launcher_is_replaced)
{
	struct lenv e;
	struct accel_sandbox *sb;
	struct accel_sandbox_result r;
	pid_t kids[16];

	if (!launcher_expected())
		cr_skip_test("no user/pid/mount namespaces here");
	lenv_make(&e);
	sb = compile(&e.p);
	cr_assert_eq(sh(sb, "true", &r, 10000), 0);
	cr_expect_eq(r.exit_code, 0);
	accel_sandbox_result_free(&r);
	cr_assert_eq(launchers(kids, 16), 1);
	cr_assert_eq(kill(kids[0], SIGKILL), 0);
	cr_assert_eq(waitpid(kids[0], NULL, 0), kids[0]);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(sh(sb, "echo $$", &r, 10000), 0);
		cr_expect_str_eq(out0(&r), "1\n",
				 "exec %d: exit %d signal %d step %u errno %d "
				 "stderr %s",
				 i, r.exit_code, r.term_signal, r.failed_step,
				 r.failed_errno, out1(&r));
		cr_expect(r.layers & ACCEL_SANDBOX_L_PIDNS);
		cr_expect(r.layers & ACCEL_SANDBOX_L_SECCOMP);
		accel_sandbox_result_free(&r);
	}
	cr_expect_eq(launchers(kids, 16), 1, "no new launcher");
	cr_expect_eq(warm_children(kids, 16, 1), 1);
	cr_expect_eq(children(kids, 16), 2, "a child left unreaped");
	accel_sandbox_destroy(sb);
	cr_expect_eq(children(kids, 16), 0);
	tree_rm(&e.t);
}

/* A process forked after the launcher started gets its own launcher; the
 * parent's keeps serving the parent. */
Test(sandbox_launcher, fork_gets_its_own_launcher)
{
	struct lenv e;
	struct accel_sandbox *sb;
	struct accel_sandbox_result r;
	pid_t child;
	int st;

#ifdef __SANITIZE_ADDRESS__
	/*
	 * Under ASan (GCC 12 here) the forked child once hung at its first
	 * allocation, waiting on an ASan allocator lock that another thread
	 * held at fork() (asan_realloc from pthread_create; once in four
	 * runs). glibc malloc and jemalloc reset their locks at fork.
	 */
	cr_skip_test("fork() of a threaded process is not safe under ASan");
#endif
	lenv_make(&e);
	sb = compile(&e.p);
	cr_assert_eq(sh(sb, "true", &r, 10000), 0);
	accel_sandbox_result_free(&r);
	child = fork();
	cr_assert_geq(child, 0);
	if (child == 0) {
		int ok = sh(sb, "echo child", &r, 10000) == 0 &&
			 !strcmp(out0(&r), "child\n");

		accel_sandbox_destroy(sb);
		_exit(ok ? 0 : 1);
	}
	cr_assert_eq(waitpid(child, &st, 0), child);
	cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	cr_assert_eq(sh(sb, "echo parent", &r, 10000), 0);
	cr_expect_str_eq(out0(&r), "parent\n");
	accel_sandbox_result_free(&r);
	accel_sandbox_destroy(sb);
	tree_rm(&e.t);
}

/* Large argv and env go over the exec socket instead of the request. */
Test(sandbox_launcher, large_argv_and_env)
{
	struct lenv e;
	struct accel_sandbox *sb;
	struct accel_sandbox_result r;
	static char big[100 * 1024], var[64 * 1024];
	const char *argv[] = { "/bin/sh",
			       "-c",
			       "printf %s \"$1\" | wc -c; printf %s \"$BIG\" | "
			       "wc -c",
			       "sh",
			       big,
			       NULL };
	const char *set[] = { var, NULL };
	struct accel_sandbox_exec x = { .argv = argv, .env_set = set };

	lenv_make(&e);
	memset(big, 'a', sizeof(big) - 1);
	memcpy(var, "BIG=", 4);
	memset(var + 4, 'b', sizeof(var) - 5);
	sb = compile(&e.p);
	cr_assert_eq(accel_sandbox_run(sb, &x, NULL, &r), 0);
	cr_expect_str_eq(out0(&r), "102399\n65531\n", "got %s", out0(&r));
	accel_sandbox_result_free(&r);
	accel_sandbox_destroy(sb);
	tree_rm(&e.t);
}

/* Concurrent execs of one policy: every result is its own, and launchers
 * grow to at most two per CPU (four at most), not one per exec. */
Test(sandbox_launcher, concurrent_execs_share_a_small_pool)
{
	struct lenv e;
	struct accel_sandbox *sb;
	struct bg b[8];
	pthread_t th[8];
	char scripts[8][64], want[32];
	pid_t kids[64];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int n;

	if (!launcher_expected())
		cr_skip_test("no user/pid/mount namespaces here");
	lenv_make(&e);
	sb = compile(&e.p);
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 8; i++) {
			snprintf(scripts[i], sizeof(scripts[i]),
				 "echo exec-%d-$$", i);
			b[i] = (struct bg){ .sb = sb, .script = scripts[i] };
			cr_assert_eq(
				pthread_create(&th[i], NULL, bg_run, &b[i]), 0);
		}
		for (int i = 0; i < 8; i++) {
			pthread_join(th[i], NULL);
			cr_expect_eq(b[i].ret, 0);
			snprintf(want, sizeof(want), "exec-%d-1\n", i);
			cr_expect_str_eq(out0(&b[i].r), want);
			accel_sandbox_result_free(&b[i].r);
		}
	}
	n = launchers(kids, 64);
	cr_expect_geq(n, 1);
	cr_expect_leq(n, cpus * 2 > 4 ? 4 : cpus * 2, "%d launchers", n);
	cr_expect_eq(warm_children(kids, 64, n), n);
	accel_sandbox_destroy(sb);
	cr_expect_eq(children(kids, 64), 0);
	tree_rm(&e.t);
}

/*
 * Sixteen policies started at once, each from its own thread: every exec
 * completes, in its own policy (it can write its own root and not the
 * others'). Launchers of distinct policies are forked by one parent thread,
 * one request at a time; two requesters once swapped answers there and one
 * waited forever (bench/exec_bench --spread).
 */
Test(sandbox_launcher, distinct_policies_started_concurrently, .timeout = 120)
{
#define N 16
	struct lenv *e = calloc(N, sizeof(*e));
	struct accel_sandbox *sb[N];
	struct bg b[N];
	pthread_t th[N];
	char scripts[N][512], want[64];

	cr_assert_not_null(e);
	if (!launcher_expected())
		cr_skip_test("no user/pid/mount namespaces here");
	for (int i = 0; i < N; i++) {
		lenv_make(&e[i]);
		sb[i] = compile(&e[i].p);
	}
	for (int i = 0; i < N; i++) {
		snprintf(scripts[i], sizeof(scripts[i]),
			 "echo %d > %s/mine && echo ok-%d; "
			 "echo x > %s/theirs 2>/dev/null || echo denied",
			 i, e[i].t.w, i, e[(i + 1) % N].t.w);
		b[i] = (struct bg){ .sb = sb[i], .script = scripts[i] };
		cr_assert_eq(pthread_create(&th[i], NULL, bg_run, &b[i]), 0);
	}
	for (int i = 0; i < N; i++) {
		char path[200];

		pthread_join(th[i], NULL);
		cr_expect_eq(b[i].ret, 0, "exec %d: %d", i, b[i].ret);
		snprintf(want, sizeof(want), "ok-%d\ndenied\n", i);
		cr_expect_str_eq(out0(&b[i].r), want, "exec %d", i);
		accel_sandbox_result_free(&b[i].r);
		snprintf(path, sizeof(path), "%s/theirs", e[(i + 1) % N].t.w);
		cr_expect_neq(access(path, F_OK), 0, "exec %d wrote %s", i,
			      path);
	}
	for (int i = 0; i < N; i++) {
		accel_sandbox_destroy(sb[i]);
		tree_rm(&e[i].t);
	}
	free(e);
#undef N
}

/* SysV IPC objects an exec leaves behind are gone for the next exec of
 * the same policy (each exec has its own ipc namespace). */
Test(sandbox_launcher, ipc_objects_do_not_carry_over)
{
	struct lenv e;
	struct accel_sandbox *sb;
	struct accel_sandbox_result r;

	if (access("/usr/bin/ipcmk", X_OK) || access("/usr/bin/ipcs", X_OK))
		cr_skip_test("no ipcmk/ipcs");
	lenv_make(&e);
	sb = compile(&e.p);
	if (!(accel_sandbox_layers(sb) & ACCEL_SANDBOX_L_IPCNS))
		cr_skip_test("no ipc namespace");
	cr_assert_eq(sh(sb,
			"ipcmk -M 4096 >/dev/null && ipcmk -Q >/dev/null && "
			"ipcs -m -q | grep -c '^0x'",
			&r, 10000),
		     0);
	cr_expect_str_eq(out0(&r), "2\n", "objects not created: %s", out1(&r));
	accel_sandbox_result_free(&r);
	cr_assert_eq(sh(sb, "ipcs -m -q | grep -c '^0x'", &r, 10000), 0);
	cr_expect_str_eq(out0(&r), "0\n", "carried over: %s", out0(&r));
	accel_sandbox_result_free(&r);
	accel_sandbox_destroy(sb);
	tree_rm(&e.t);
}

/* The launcher's seccomp program lets two exact calls through for its own
 * use: clone with CLONE_NEWPID/NEWNS/NEWIPC plus CLONE_PARENT, and mount with
 * MS_NOSUID|MS_NODEV|MS_NOEXEC|MS_SILENT. From a command the kernel refuses
 * both (no capability; Landlock forbids mounting); nothing is mounted. */
Test(sandbox_launcher, launcher_filter_holes_refused_to_commands)
{
	struct lenv e;
	struct accel_sandbox *sb;
	struct accel_sandbox_result r;
	char script[600], probe[200];

	if (access("/usr/bin/python3", X_OK))
		cr_skip_test("no python3");
	lenv_make(&e);
	snprintf(probe, sizeof(probe), "%s/mnt", e.t.w);
	cr_assert_eq(mkdir(probe, 0777), 0);
	sb = compile(&e.p);
	snprintf(script, sizeof(script),
		 "/usr/bin/python3 -c '\n"
		 "import ctypes, os\n"
		 "l = ctypes.CDLL(None, use_errno=True)\n"
		 "for f in (0x20000000, 0x20000, 0x8000000):\n"
		 "  r = l.syscall(56, f | 0x8000 | 17, 0, 0, 0, 0)\n"
		 "  if r == 0: os._exit(0)\n"
		 "  print(\"clone\", r, ctypes.get_errno())\n"
		 "r = l.mount(b\"none\", b\"%s\", b\"tmpfs\", 0x800e, None)\n"
		 "print(\"mount\", r, ctypes.get_errno())\n"
		 "'",
		 probe);
	cr_assert_eq(sh(sb, script, &r, 20000), 0);
	cr_expect_str_eq(out0(&r),
			 "clone -1 1\nclone -1 1\nclone -1 1\nmount -1 1\n",
			 "got %s / %s", out0(&r), out1(&r));
	/* The filter let them through (no report): the kernel said no. */
	if (r.layers & ACCEL_SANDBOX_L_SECCOMP_NOTIFY) {
		cr_expect_not(has(&r, "clone"));
		cr_expect_not(has(&r, "mount"));
	}
	accel_sandbox_result_free(&r);
	accel_sandbox_destroy(sb);
	/* Nothing was mounted on the probe directory: it is still empty and
	 * removable. */
	cr_expect_eq(rmdir(probe), 0);
	tree_rm(&e.t);
}
