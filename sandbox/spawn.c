/* SPDX-License-Identifier: MIT */
/*
 * The vfork-style child. clone(CLONE_VM | CLONE_VFORK) shares the parent's
 * memory and suspends the calling thread until the child execs or exits, so
 * the child reads its plan straight from the parent's stack and writes a
 * failing step's number and errno back the same way (the trick glibc's
 * posix_spawn uses). Nothing is copied, and no page tables are duplicated.
 *
 * The steps run in a fixed order, each a handful of syscalls over data the
 * compiled policy prepared:
 *
 *   pdeathsig, fds, rlimits, cgroup, idmap, mounts, netns, cwd, noroot,
 *   no_new_privs, landlock, signals, seccomp, exec.
 *
 * Rules for this file: the child shares the parent's memory and TLS, so it
 * must not call malloc, stdio or anything taking a lock, and must leave the
 * parent's data alone except for c->step and c->err.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox_int.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#define SECBIT_NOROOT_		       (1 << 0)
#define SECBIT_NOROOT_LOCKED_	       (1 << 1)
#define SECBIT_NO_SETUID_FIXUP_	       (1 << 2)
#define SECBIT_NO_SETUID_FIXUP_LOCKED_ (1 << 3)

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* Size of the child's stack; the steps are shallow. */
#define CHILD_STACK (64 * 1024)

static __attribute__((noreturn)) void fail(struct sbx_child *c, uint32_t step,
					   int err)
{
	c->step = step;
	c->err = err < 0 ? -err : err;
	_exit(127);
}

/* Moves fd out of the 0..2 range so the dup2s cannot clobber it. */
static int lift(int fd)
{
	if (fd < 0 || fd > 2)
		return fd;
	return fcntl(fd, F_DUPFD_CLOEXEC, 3);
}

int accel__sbx_setup_fds(const struct sbx_child *c)
{
	int in = lift(c->fd_in), out = lift(c->fd_out), err = lift(c->fd_err);

	if (in < 0 || out < 0 || err < 0)
		return -errno;
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		return -errno;
	/* Every other inherited fd closes on exec: the engine's sockets,
	 * rings and other sandboxes' pipes must not leak. We still use a
	 * few (ruleset, report socket) until then. */
	if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		return -errno;
	return 0;
}

/* Resets caught signals to default before unblocking them, so that a
 * signal arriving now cannot run one of the engine's handlers here. */
static int reset_signals(void)
{
	struct sigaction sa;
	sigset_t none;

	for (int sig = 1; sig < _NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		if (sigaction(sig, NULL, &sa) < 0)
			continue;
		if (sa.sa_handler == SIG_IGN || sa.sa_handler == SIG_DFL)
			continue;
		sa.sa_handler = SIG_DFL;
		sa.sa_flags = 0;
		sigemptyset(&sa.sa_mask);
		sigaction(sig, &sa, NULL);
	}
	/* SIGPIPE ignored by the engine would be inherited: restore it. */
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	return sigprocmask(SIG_SETMASK, &none, NULL) < 0 ? -errno : 0;
}

/* execvpe without allocation: argv[0] searched in the sandbox's PATH. */
int accel__sbx_exec_search(const struct sbx_child *c)
{
	const char *file = c->argv[0], *p = c->path_env;
	size_t flen = strlen(file);
	int seen_eacces = 0;

	if (strchr(file, '/')) {
		execve(file, c->argv, c->envp);
		return -errno;
	}
	if (!p || !*p)
		p = "/usr/local/bin:/usr/bin:/bin";
	while (*p) {
		const char *end = strchrnul(p, ':');
		size_t dlen = (size_t)(end - p);

		if (dlen + 1 + flen + 1 <= PATH_MAX) {
			char *b = c->pathbuf;

			memcpy(b, dlen ? p : ".", dlen ? dlen : 1);
			b += dlen ? dlen : 1;
			*b++ = '/';
			memcpy(b, file, flen + 1);
			execve(c->pathbuf, c->argv, c->envp);
			if (errno == EACCES)
				seen_eacces = 1;
			else if (errno != ENOENT && errno != ENOTDIR)
				return -errno;
		}
		p = *end ? end + 1 : end;
	}
	return seen_eacces ? -EACCES : -ENOENT;
}

static int child_main(void *arg)
{
	struct sbx_child *c = arg;
	const struct accel_sandbox *sb = c->sb;
	struct pollfd pfd;
	int ret;

	/* If the engine dies from here on, so do we (and with a pid
	 * namespace, everything we start). If it died before the prctl,
	 * its pidfd is already readable. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		fail(c, ACCEL_SANDBOX_STEP_PDEATHSIG, errno);
	if (c->parent_pidfd >= 0) {
		pfd.fd = c->parent_pidfd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 0) != 0)
			fail(c, ACCEL_SANDBOX_STEP_PDEATHSIG, ESRCH);
	}

	ret = accel__sbx_setup_fds(c);
	if (ret)
		fail(c, ACCEL_SANDBOX_STEP_FDS, ret);
	/* A new session: no controlling terminal to open or inject into,
	 * and a process group the no-pid-namespace path can kill. */
	if (setsid() < 0)
		fail(c, ACCEL_SANDBOX_STEP_FDS, errno);

	for (int i = 0; i < sb->n_rl; i++)
		if (setrlimit(sb->rl[i].resource, &sb->rl[i].lim) < 0)
			fail(c, ACCEL_SANDBOX_STEP_RLIMITS, errno);

	for (int i = 0; i < c->n_cg; i++)
		if (write(c->cg_fds[i], "0", 1) != 1)
			fail(c, ACCEL_SANDBOX_STEP_CGROUP, errno);

	if (sb->layers & ACCEL_SANDBOX_L_USERNS) {
		ret = accel__sbx_idmap_child(c);
		if (ret)
			fail(c, ACCEL_SANDBOX_STEP_IDMAP, ret);
	}
	if (sb->layers & ACCEL_SANDBOX_L_MNTNS) {
		ret = accel__sbx_mounts_child(c);
		if (ret)
			fail(c, ACCEL_SANDBOX_STEP_MOUNTS, ret);
	}
	if (sb->layers & ACCEL_SANDBOX_L_NETNS) {
		ret = accel__sbx_netns_child(c);
		if (ret)
			fail(c, ACCEL_SANDBOX_STEP_NETNS, ret);
	}
	if (chdir(c->cwd) < 0)
		fail(c, ACCEL_SANDBOX_STEP_CWD, errno);

	/* Root (real, or in our user namespace) keeps no capabilities across
	 * exec, and setuid binaries do not change that. */
	if ((sb->layers & ACCEL_SANDBOX_L_NOROOT) &&
	    prctl(PR_SET_SECUREBITS,
		  SECBIT_NOROOT_ | SECBIT_NOROOT_LOCKED_ |
			  SECBIT_NO_SETUID_FIXUP_ |
			  SECBIT_NO_SETUID_FIXUP_LOCKED_,
		  0, 0, 0) < 0)
		fail(c, ACCEL_SANDBOX_STEP_NOROOT, errno);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		fail(c, ACCEL_SANDBOX_STEP_NO_NEW_PRIVS, errno);
	if (sb->ruleset_fd >= 0) {
		ret = accel__sbx_landlock_child(c);
		if (ret)
			fail(c, ACCEL_SANDBOX_STEP_LANDLOCK, ret);
	}
	ret = reset_signals();
	if (ret)
		fail(c, ACCEL_SANDBOX_STEP_SIGNALS, ret);
	if (sb->prog.len) {
		ret = accel__sbx_seccomp_child(c);
		if (ret)
			fail(c, ACCEL_SANDBOX_STEP_SECCOMP, ret);
	}
	ret = accel__sbx_exec_search(c);
	fail(c, ACCEL_SANDBOX_STEP_EXEC, ret);
}

#if defined(__x86_64__)
/*
 * clone3() with a new stack needs a trampoline: the child returns from the
 * syscall on a stack with no frame to return to. This calls fn(arg) there
 * and exits with its result. fn and arg ride in r8/r9, which the syscall
 * preserves (it clobbers only rax, rcx and r11).
 */
struct clone_args_ {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal;
	uint64_t stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

long accel__sbx_clone3_vm(struct clone_args_ *args, size_t size,
			  int (*fn)(void *), void *arg);
__asm__(".text\n"
	".globl accel__sbx_clone3_vm\n"
	".type accel__sbx_clone3_vm,@function\n"
	"accel__sbx_clone3_vm:\n"
	"	mov %rdx, %r8\n"
	"	mov %rcx, %r9\n"
	"	mov $435, %eax\n" /* __NR_clone3 */
	"	syscall\n"
	"	test %rax, %rax\n"
	"	jnz 1f\n"
	"	xor %ebp, %ebp\n"
	"	mov %r9, %rdi\n"
	"	call *%r8\n"
	"	mov %eax, %edi\n"
	"	mov $60, %eax\n" /* __NR_exit */
	"	syscall\n"
	"	hlt\n"
	"1:	ret\n"
	".size accel__sbx_clone3_vm, .-accel__sbx_clone3_vm\n");
#endif

/*
 * Starts the child. Returns 0 with *pidfd and *pid set once the child has
 * exec'd; or -errno when clone failed (c->step = CLONE); or 0 with c->step
 * set when a step failed (the child has exited; the caller reaps it).
 *
 * With a cgroup v2 directory (c->cgroup_fd), clone3's CLONE_INTO_CGROUP
 * starts the child inside it: migrating a running task instead (a write to
 * cgroup.procs) takes the cgroup threadgroup lock for writing, which waits
 * for an RCU grace period and cost 1-16 ms per exec on a loaded host.
 */
int accel__sbx_clone(struct sbx_child *c, int *pidfd, pid_t *pid)
{
	sigset_t all, old;
	char *stack;
	int fd = -1;
	pid_t p;

	stack = mmap(NULL, CHILD_STACK, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		return -errno;
	SBX_UNPOISON(stack, CHILD_STACK);
	c->step = ACCEL_SANDBOX_STEP_NONE;
	c->err = 0;
	/* No signal handler may run in the child while it shares our
	 * memory; it unblocks after resetting them. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
#if defined(__x86_64__)
	if (c->cgroup_fd >= 0) {
		struct clone_args_ args = { 0 };
		long r;

		args.flags = CLONE_VM | CLONE_VFORK | CLONE_PIDFD |
			     CLONE_INTO_CGROUP | c->sb->clone_ns;
		args.pidfd = (uint64_t)(uintptr_t)&fd;
		args.exit_signal = SIGCHLD;
		args.stack = (uint64_t)(uintptr_t)stack;
		args.stack_size = CHILD_STACK;
		args.cgroup = (uint64_t)c->cgroup_fd;
		r = accel__sbx_clone3_vm(&args, sizeof(args), child_main, c);
		p = r < 0 ? -1 : (pid_t)r;
		errno = r < 0 ? (int)-r : 0;
	} else
#endif
		p = clone(child_main, stack + CHILD_STACK,
			  (int)(CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD |
				c->sb->clone_ns),
			  c, &fd);
	int saved = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	munmap(stack, CHILD_STACK);
	if (p < 0) {
		c->step = ACCEL_SANDBOX_STEP_CLONE;
		c->err = saved;
		return -saved;
	}
	*pidfd = fd;
	*pid = p;
	return 0;
}
