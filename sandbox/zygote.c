/* SPDX-License-Identifier: MIT */
/*
 * The pre-forked launcher ("zygote"): a small process per compiled policy
 * (a few when execs run concurrently) that has entered the policy's user,
 * mount and uts namespaces, hidden the denied paths, set noroot,
 * no_new_privs and non-dumpable, and installed the seccomp filter once.
 *
 * The launcher keeps one warm child: a clone of itself (sharing its memory,
 * like vfork) already in fresh pid, mount and ipc namespaces with its own
 * /proc mounted, blocked on the control socket. A request wakes that child
 * directly; it does the per-exec steps (fds, process group, rlimits, cwd,
 * Landlock) and execs, becoming the command's pid 1. The launcher sleeps
 * until the child has exec'd, then warms the next, while the command runs.
 *
 *   engine                                 launcher / warm child W
 *   ------                                 -----------------------
 *                                          clone(VM|PARENT|NEWPID|NEWNS|
 *                                                NEWIPC|CHILD_CLEARTID) = W
 *                                          W: pdeathsig, mount /proc,
 *                                             recvmsg(ctl) ...
 *   socketpair xs (per exec)
 *   sendmsg(ctl, request, [xs,in,out,err]) -> W: read argv/env/cwd
 *   recvmsg(xs) <- spawned + pidfd, mntns   W: sendmsg(xs)
 *                                           W: fds, setpgid, rlimits,
 *                                              chdir, landlock, exec
 *                                           (or W: failed step on xs)
 *   ... drive, kill and reap through the pidfd, as for a direct spawn ...
 *   reaped: a failed step on xs, or none (xs closed on exec)
 *                                          launcher (woken by the kernel
 *                                          clearing W's tid at exec):
 *                                          clone the next W
 *
 * CLONE_PARENT makes each command a child of the engine, so the engine
 * reaps it, gets its rusage, and the command's PR_SET_PDEATHSIG fires when
 * the engine dies, as on the direct path; the launcher never waits for
 * anything but its warm child. The death signal follows the thread that is
 * the parent, so launchers are started by one library thread that lives as
 * long as the process ("the parent thread"), never by a caller's thread
 * that may exit while commands of the policy still run.
 *
 * The launcher is started with a raw clone (fork semantics) from whatever
 * thread spawns first; it only makes system calls (the engine's other
 * threads may hold libc locks): no malloc, no stdio. It and its warm child
 * exit when the engine asks (a stop request, which the warm child answers
 * with its pidfd so that the engine can reap it), when the engine's end of
 * the control socket closes, or when the engine dies.
 *
 * Seccomp notifications of all execs of a policy arrive on the launcher's
 * one listener; a thread of the engine answers them and routes each record
 * to its exec by the caller's pid namespace (one per exec).
 *
 * docs/sandbox.md ("The launcher") has the argument why a command cannot
 * reach the launcher or the commands that run after it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "accel_alloc.h"
#include "sandbox_int.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#define PIDFD_GET_PID_NAMESPACE_ _IO(0xFF, 5) /* Linux 6.11 */
#define SECBIT_NOROOT_ALL	 0xf /* NOROOT, NO_SETUID_FIXUP, both locked */

#define Z_MAGIC	     0x5a425341u /* "ASBZ" */
#define Z_INLINE     (48 * 1024) /* payload sent in the request itself */
#define Z_PTRS	     4096	 /* argv+env pointers without an mmap */
#define Z_STACK	     (64 * 1024)
#define Z_START_MS   5000
#define Z_ROUTE_WAIT 2000 /* ms a notification waits for its exec */

/* engine -> launcher, on the control socket, with 4 fds: xs, 0, 1, 2. */
struct zreq {
	uint32_t magic;
	uint32_t n_argv, n_env;
	uint32_t len;  /* payload: cwd, argv, env; each NUL-terminated */
	uint32_t inl;  /* payload follows in this message, else on xs */
	uint32_t stop; /* no command: the warm child exits (only xs comes) */
};

enum {
	Z_READY = 1,
	Z_SPAWNED = 2,
	Z_FAILED = 3,
	Z_BYE = 4,
};

/* launcher -> engine: ready (control socket, with the listener); on xs:
 * spawned, with the pidfd whenever a child was created and, after a
 * successful exec, the command's mount namespace. */
struct zmsg {
	uint32_t kind;
	uint32_t step; /* ACCEL_SANDBOX_STEP_* that failed, 0 */
	int32_t err;
	int32_t resv;
};

struct sbx_zexec {
	struct sbx_zexec *next, *prev;
	int pidfd;   /* -1 while spawning */
	uint64_t ns; /* pid namespace inode, 0 until looked up */
	uint32_t n, dropped;
	struct accel_sandbox_violation v[ACCEL_SANDBOX_MAX_VIOLATIONS];
};

struct sbx_zygote {
	const struct accel_sandbox *sb;
	pid_t owner; /* the process that started it */
	pid_t pid;
	int pidfd, ctl, listener, wake[2];
	int have_thr, dead;
	atomic_int busy; /* requests in progress */
	pthread_t thr;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct sbx_zexec head; /* live execs (routing) */
};

int accel__sbx_zygote_eligible(const struct accel_sandbox *sb)
{
	uint32_t need = ACCEL_SANDBOX_L_USERNS | ACCEL_SANDBOX_L_PIDNS |
			ACCEL_SANDBOX_L_MNTNS;

	/* A per-exec cgroup or private /tmp needs per-exec setup the
	 * launcher cannot do after its filter, and a network namespace
	 * (loopback) would be shared by the policy's concurrent execs
	 * (a fresh one per exec costs ~0.6 ms): those take the direct path. */
	return (sb->layers & need) == need &&
	       !(sb->layers &
		 (ACCEL_SANDBOX_L_CGROUP | ACCEL_SANDBOX_L_NETNS)) &&
	       !(sb->flags &
		 (ACCEL_SANDBOX_F_PRIVATE_TMP | ACCEL_SANDBOX_F_NO_LAUNCHER));
}

/* --- helpers used on both sides ---------------------------------------- */

static int send_msg(int sock, const void *m, size_t len, const int *fds,
		    int nfd)
{
	char cbuf[CMSG_SPACE(4 * sizeof(int))];
	struct iovec iov = { (void *)m, len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	if (nfd > 0) {
		memset(cbuf, 0, sizeof(cbuf));
		msg.msg_control = cbuf;
		msg.msg_controllen = CMSG_SPACE((size_t)nfd * sizeof(int));
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN((size_t)nfd * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, (size_t)nfd * sizeof(int));
	}
	for (;;) {
		ssize_t n = sendmsg(sock, &msg, MSG_NOSIGNAL);

		if (n == (ssize_t)len)
			return 0;
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 ? -errno : -EIO;
	}
}

/* Receives one zmsg and up to two fds (-1 for each that did not come). */
static int recv_zmsg(int sock, struct zmsg *m, int *fd, int *fd2)
{
	char cbuf[CMSG_SPACE(2 * sizeof(int))];
	int got[2] = { -1, -1 };
	struct iovec iov = { m, sizeof(*m) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;
	ssize_t n;

	msg.msg_control = cbuf;
	msg.msg_controllen = sizeof(cbuf);
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	for (cm = CMSG_FIRSTHDR(&msg); n > 0 && cm; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_type == SCM_RIGHTS &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(int)))
			memcpy(got, CMSG_DATA(cm),
			       cm->cmsg_len >= CMSG_LEN(2 * sizeof(int)) ?
				       2 * sizeof(int) :
				       sizeof(int));
	if (n != (ssize_t)sizeof(*m) || !fd2) {
		if (got[1] >= 0)
			close(got[1]);
		got[1] = -1;
	}
	if (n != (ssize_t)sizeof(*m)) {
		if (got[0] >= 0)
			close(got[0]);
		got[0] = -1;
	}
	*fd = got[0];
	if (fd2)
		*fd2 = got[1];
	return n == (ssize_t)sizeof(*m) ? 0 : n < 0 ? -errno : -EPIPE;
}

int accel__sbx_zygote_failed(int outcome, uint32_t *step, int *err)
{
	struct zmsg m;
	ssize_t n;

	do
		n = recv(outcome, &m, sizeof(m), MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(m) || m.kind != Z_FAILED || !m.step)
		return 0;
	*step = m.step;
	*err = m.err;
	return 1;
}

static int rw_full(int fd, void *buf, size_t len, int wr)
{
	char *p = buf;

	while (len) {
		ssize_t n = wr ? write(fd, p, len) : read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* --- the launcher process ------------------------------------------------ */

/*
 * Shared by the launcher and its one warm child (CLONE_VM), untouched in
 * the engine. The launcher sleeps while a warm child lives, so only one of
 * them runs here at a time: they share errno and these buffers safely.
 */
static char zsmall[Z_INLINE];
static char *zptrs[Z_PTRS];
static char zpath[PATH_MAX];
/* The warm child's tid word: 1 from clone until the kernel clears it when
 * the child execs or exits (CLONE_CHILD_CLEARTID), waking the launcher. */
static pid_t zlive;
static int zctl; /* the control socket (in the child's copy of the table) */
/* Set by the warm child before it exits: the engine said stop. */
static volatile int zstop;
/* Big payloads and pointer arrays the child mapped; the launcher unmaps
 * them once the child has exec'd (they are in its memory too). */
static void *zmap[2];
static size_t zmap_len[2];

static long zfutex(pid_t *word, int op, pid_t val)
{
	/* Not FUTEX_PRIVATE_FLAG: the kernel's CLONE_CHILD_CLEARTID wake is
	 * a shared-futex wake. */
	return syscall(SYS_futex, word, op, val, NULL, NULL, 0);
}

static __attribute__((noreturn)) void zchild_fail(struct sbx_child *c,
						  uint32_t step, int err)
{
	struct zmsg m = { .kind = Z_FAILED, .step = step };

	m.err = err < 0 ? -err : err;
	if (c->report_fd >= 0)
		send_msg(c->report_fd, &m, sizeof(m), NULL, 0);
	_exit(127);
}

/* Splits the payload into cwd, argv and envp; 0 or -EINVAL. */
static int zparse(const struct zreq *rq, char *buf, char **ptrs,
		  struct sbx_child *c)
{
	char *p = buf, *end = buf + rq->len;
	uint32_t n = rq->n_argv + rq->n_env;

	for (uint32_t i = 0; i <= n; i++) {
		char *z = p < end ? memchr(p, '\0', (size_t)(end - p)) : NULL;

		if (!z)
			return -EINVAL;
		if (i == 0)
			c->cwd = p;
		else if (i <= rq->n_argv)
			ptrs[i - 1] = p;
		else
			ptrs[i] = p; /* env after argv's NULL */
		p = z + 1;
	}
	if (p != end || !rq->n_argv)
		return -EINVAL;
	ptrs[rq->n_argv] = NULL;
	ptrs[n + 1] = NULL;
	c->argv = ptrs;
	c->envp = ptrs + rq->n_argv + 1;
	c->path_env = NULL;
	for (uint32_t i = 0; i < rq->n_env; i++)
		if (!strncmp(c->envp[i], "PATH=", 5))
			c->path_env = c->envp[i] + 5;
	return 0;
}

/*
 * Receives one request on ctl into c: its fds (xs, 0, 1, 2) and payload.
 * Returns 0, 1 for a stop request, -1 when the engine is gone; anything
 * malformed (a bug in the engine, the only other end) is dropped and the
 * next request read.
 */
static int zreceive(int ctl, struct sbx_child *c)
{
	for (;;) {
		struct zreq rq;
		struct iovec iov[2] = { { &rq, sizeof(rq) },
					{ zsmall, Z_INLINE } };
		char cbuf[CMSG_SPACE(4 * sizeof(int))];
		struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };
		struct cmsghdr *cm;
		int fds[4] = { -1, -1, -1, -1 }, nfd = 0;
		char *buf = zsmall, **ptrs = zptrs;
		ssize_t n;

		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		n = recvmsg(ctl, &msg, MSG_CMSG_CLOEXEC);
		if (n == 0)
			return -1;
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
			if (cm->cmsg_type != SCM_RIGHTS)
				continue;
			nfd = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			memcpy(fds, CMSG_DATA(cm),
			       (size_t)(nfd > 4 ? 4 : nfd) * sizeof(int));
		}
		if (nfd < 1 || n < (ssize_t)sizeof(rq) || rq.magic != Z_MAGIC ||
		    (msg.msg_flags & (MSG_CTRUNC | MSG_TRUNC)))
			goto drop;
		c->report_fd = fds[0];
		if (rq.stop)
			return nfd == 1 ? 1 : -1;
		if (nfd != 4 || (rq.inl && (size_t)n != sizeof(rq) + rq.len) ||
		    rq.n_argv > (1u << 20) || rq.n_env > (1u << 20))
			goto drop;
		if (!rq.inl) {
			buf = mmap(NULL, rq.len, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (buf == MAP_FAILED)
				goto drop;
			zmap[0] = buf;
			zmap_len[0] = rq.len;
			if (rw_full(fds[0], buf, rq.len, 0))
				goto drop;
		}
		if (rq.n_argv + rq.n_env + 2 > Z_PTRS) {
			zmap_len[1] =
				(rq.n_argv + rq.n_env + 2) * sizeof(char *);
			ptrs = mmap(NULL, zmap_len[1], PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (ptrs == MAP_FAILED)
				goto drop;
			zmap[1] = ptrs;
		}
		if (zparse(&rq, buf, ptrs, c))
			goto drop;
		c->fd_in = fds[1];
		c->fd_out = fds[2];
		c->fd_err = fds[3];
		return 0;
drop:
		for (int i = 0; i < 4; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		c->report_fd = -1;
		for (int i = 0; i < 2; i++) {
			if (zmap[i] && zmap[i] != MAP_FAILED)
				munmap(zmap[i], zmap_len[i]);
			zmap[i] = NULL;
		}
	}
}

/*
 * The warm child: cloned by the launcher ahead of any request, already in
 * the exec's fresh pid, mount and ipc namespaces (it is the command's pid
 * 1) with its own /proc mounted. It takes the next request off the control
 * socket itself, so a request wakes the process that runs the command, and
 * the clone and mount are paid while nothing waits for them. Shares the
 * launcher's memory until exec; has its own copy of its fd table.
 *
 * Answers on the request's socket: Z_SPAWNED with its pidfd (the engine
 * reaps it; it is the engine's child through CLONE_PARENT) and mount
 * namespace first, then either Z_FAILED with the step, or nothing: the
 * socket closes on a successful exec (close-on-exec).
 */
static int zwarm_main(void *arg)
{
	struct sbx_child *c = arg;
	const struct accel_sandbox *sb = c->sb;
	struct pollfd pfd = { c->parent_pidfd, POLLIN, 0 };
	struct zmsg m = { .kind = Z_SPAWNED };
	uint32_t wstep = 0;
	int werr = 0, out[2] = { -1, -1 }, ret;

	/* Our parent is the engine's thread that started the launcher: if
	 * the engine dies from here on, so do we (and, as pid 1, everything
	 * we start). If it died before the prctl, its pidfd says so. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) {
		wstep = ACCEL_SANDBOX_STEP_PDEATHSIG;
		werr = errno;
	} else if (c->parent_pidfd >= 0 && poll(&pfd, 1, 0) != 0) {
		wstep = ACCEL_SANDBOX_STEP_PDEATHSIG;
		werr = ESRCH;
	} else if (mount("proc", "/proc", "proc", SBX_LAUNCHER_PROC_FLAGS,
			 NULL) < 0) {
		/* Our own /proc, for our own pid namespace: /proc/self is
		 * getpid(), and nothing outside this exec is listed. */
		wstep = ACCEL_SANDBOX_STEP_MOUNTS;
		werr = errno;
	} else {
		/*
		 * For the engine: our pidfd, and a reference to our mount
		 * namespace, which it drops off the hot path (the last
		 * reference's teardown waits for an RCU grace period, which
		 * would otherwise sit between the command's exit and the
		 * engine seeing it). Both close on exec.
		 */
		out[1] = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	}
	/* Without a pidfd nobody could reap us: the engine then sees the
	 * socket close without an answer and takes the direct path. */
	out[0] = (int)syscall(SYS_pidfd_open, getpid(), 0);
	ret = zreceive(zctl, c);
	if (ret || out[0] < 0) {
		if (ret > 0 && out[0] >= 0) {
			/* Stop: give the engine our pidfd to reap us. */
			m.kind = Z_BYE;
			send_msg(c->report_fd, &m, sizeof(m), out, 1);
		}
		zstop = ret != 0;
		_exit(ret ? 0 : 127);
	}
	send_msg(c->report_fd, &m, sizeof(m), out, 1 + (out[1] >= 0));
	close(out[0]);
	if (out[1] >= 0)
		close(out[1]);
	if (wstep)
		zchild_fail(c, wstep, werr);
	ret = accel__sbx_setup_fds(c);
	if (ret)
		zchild_fail(c, ACCEL_SANDBOX_STEP_FDS, ret);
	/* A process group of our own (kill(0) reaches only our tree), in
	 * the launcher's session, which has no controlling terminal. Not
	 * setsid(): it creates a scheduler autogroup, measured at 0.07 to
	 * 1.6 ms (p50) per exec on the loaded test VM. */
	if (setpgid(0, 0) < 0)
		zchild_fail(c, ACCEL_SANDBOX_STEP_FDS, errno);
	for (int i = 0; i < sb->n_rl; i++)
		if (setrlimit(sb->rl[i].resource, &sb->rl[i].lim) < 0)
			zchild_fail(c, ACCEL_SANDBOX_STEP_RLIMITS, errno);
	if (chdir(c->cwd) < 0)
		zchild_fail(c, ACCEL_SANDBOX_STEP_CWD, errno);
	/* Its own Landlock domain: sibling of every other exec's, so that
	 * ptrace-class access (/proc/PID/mem, environ) between commands and
	 * to the launcher (which has none) is refused. */
	if (sb->ruleset_fd >= 0 &&
	    syscall(SYS_landlock_restrict_self, sb->ruleset_fd, 0) < 0)
		zchild_fail(c, ACCEL_SANDBOX_STEP_LANDLOCK, errno);
	ret = accel__sbx_exec_search(c);
	zchild_fail(c, ACCEL_SANDBOX_STEP_EXEC, ret);
}

/*
 * Keeps one warm child ready: clones it, sleeps until it has exec'd or
 * exited, unmaps what it mapped, and clones the next. Exits when the
 * engine is gone or asked to stop.
 */
static __attribute__((noreturn)) void zloop(const struct accel_sandbox *zsb,
					    int ctl)
{
	char *stack = mmap(NULL, Z_STACK, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	static struct sbx_child c;
	struct pollfd pfd;
	pid_t v;

	if (stack == MAP_FAILED)
		_exit(1);
	SBX_UNPOISON(stack, Z_STACK);
	for (;;) {
		memset(&c, 0, sizeof(c));
		c.sb = zsb;
		zctl = ctl;
		c.report_fd = -1;
		c.parent_pidfd = zsb->zparent_pidfd;
		c.cgroup_fd = -1;
		c.pathbuf = zpath;
		zlive = 1;
		/* The exit signal comes from our own (SIGCHLD), to the
		 * engine. */
		if (clone(zwarm_main, stack + Z_STACK,
			  CLONE_VM | CLONE_PARENT | CLONE_NEWPID | CLONE_NEWNS |
				  CLONE_CHILD_CLEARTID |
				  (zsb->layers & ACCEL_SANDBOX_L_IPCNS ?
					   CLONE_NEWIPC :
					   0),
			  &c, NULL, NULL, &zlive) < 0) {
			/* Out of processes or memory: say so to the next
			 * request (no child to reap), then try again. */
			struct zmsg m = { .kind = Z_SPAWNED,
					  .step = ACCEL_SANDBOX_STEP_CLONE,
					  .err = errno };
			int r = zreceive(ctl, &c);

			if (r == 0) {
				send_msg(c.report_fd, &m, sizeof(m), NULL, 0);
				close(c.fd_in);
				close(c.fd_out);
				close(c.fd_err);
			}
			if (c.report_fd >= 0)
				close(c.report_fd);
			if (r != 0)
				break;
			zlive = 0;
		}
		while ((v = __atomic_load_n(&zlive, __ATOMIC_ACQUIRE)) != 0)
			zfutex(&zlive, FUTEX_WAIT, v);
		/* The child has exec'd or exited: its stack and buffers are
		 * free, and its copies of the command's stdio closed. */
		for (int i = 0; i < 2; i++) {
			if (zmap[i] && zmap[i] != MAP_FAILED)
				munmap(zmap[i], zmap_len[i]);
			zmap[i] = NULL;
		}
		if (zstop)
			break;
		/* The engine died (its thread's death signal took the
		 * child): do not warm another. */
		pfd = (struct pollfd){ ctl, 0, 0 };
		if (poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLHUP | POLLERR)))
			break;
		if (c.parent_pidfd >= 0) {
			pfd = (struct pollfd){ c.parent_pidfd, POLLIN, 0 };
			if (poll(&pfd, 1, 0) != 0)
				break;
		}
	}
	_exit(0);
}

/* Keeps only ctl (as 3), the Landlock ruleset (4) and the engine's pidfd
 * (5); stdio on /dev/null. */
static int zfds(struct accel_sandbox *zsb, int *ctl, int ppfd)
{
	int a = fcntl(*ctl, F_DUPFD, 16), b = -1, e = -1, null;

	if (a < 0)
		return -errno;
	if (zsb->ruleset_fd >= 0 &&
	    (b = fcntl(zsb->ruleset_fd, F_DUPFD, 16)) < 0)
		return -errno;
	if (ppfd >= 0 && (e = fcntl(ppfd, F_DUPFD, 16)) < 0)
		return -errno;
	if (dup2(a, 3) < 0 || (b >= 0 && dup2(b, 4) < 0) ||
	    (e >= 0 && dup2(e, 5) < 0))
		return -errno;
	*ctl = 3;
	zsb->ruleset_fd = b >= 0 ? 4 : -1;
	zsb->zparent_pidfd = e >= 0 ? 5 : -1;
	if (syscall(SYS_close_range, 6, ~0U, 0) < 0)
		return -errno;
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0)
		return -errno;
	for (int i = 0; i < 3; i++)
		if (dup2(null, i) < 0)
			return -errno;
	if (null > 2)
		close(null);
	return 0;
}

static __attribute__((noreturn)) void zmain(const struct accel_sandbox *sb,
					    int ctl, int ppfd)
{
	struct accel_sandbox zsb = *sb;
	struct sbx_child c = { 0 };
	struct zmsg m = { .kind = Z_READY };
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;
	int lfd = -1, ret;

	ret = zfds(&zsb, &ctl, ppfd);
	if (ret)
		goto fail_fds;
	/* A session without a controlling terminal, for us and every
	 * command (they only make their own process groups). */
	if (setsid() < 0) {
		ret = -errno;
		goto fail_fds;
	}
	/* The engine's handlers mean nothing here; nothing is blocked. */
	for (int sig = 1; sig < _NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	c.sb = &zsb;
	/* Each child mounts the /proc of its own pid namespace. */
	c.no_proc = 1;
	m.step = ACCEL_SANDBOX_STEP_IDMAP;
	if ((zsb.layers & ACCEL_SANDBOX_L_USERNS) &&
	    (ret = accel__sbx_idmap_child(&c)))
		goto fail;
	m.step = ACCEL_SANDBOX_STEP_MOUNTS;
	if ((ret = accel__sbx_mounts_child(&c)))
		goto fail;
	m.step = ACCEL_SANDBOX_STEP_NETNS;
	if ((zsb.layers & ACCEL_SANDBOX_L_NETNS) &&
	    (ret = accel__sbx_netns_child(&c)))
		goto fail;
	m.step = ACCEL_SANDBOX_STEP_CWD;
	if (chdir("/") < 0)
		goto fail_errno;
	/* Caps stay ours (the per-exec clone needs CAP_SYS_ADMIN in the
	 * user namespace); exec gives none to the commands. */
	m.step = ACCEL_SANDBOX_STEP_NOROOT;
	if ((zsb.layers & ACCEL_SANDBOX_L_NOROOT) &&
	    prctl(PR_SET_SECUREBITS, SECBIT_NOROOT_ALL, 0, 0, 0) < 0)
		goto fail_errno;
	m.step = ACCEL_SANDBOX_STEP_NO_NEW_PRIVS;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		goto fail_errno;
	m.step = ACCEL_SANDBOX_STEP_SECCOMP;
	if (zsb.zprog.len) {
		lfd = (int)syscall(
			SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			zsb.notify ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0,
			&zsb.zprog);
		if (lfd < 0)
			goto fail_errno;
		if (!zsb.notify)
			lfd = -1;
	}
	m.step = 0;
	if (send_msg(ctl, &m, sizeof(m), &lfd, lfd >= 0) < 0)
		_exit(1);
	if (lfd >= 0)
		close(lfd);
	zloop(&zsb, ctl);
fail_errno:
	ret = -errno;
fail:
	m.err = -ret;
	send_msg(ctl, &m, sizeof(m), NULL, 0);
	_exit(127);
fail_fds:
	m.step = ACCEL_SANDBOX_STEP_FDS;
	goto fail;
}

/* --- the engine side ------------------------------------------------------ */

static uint64_t ns_of_pid(pid_t pid)
{
	char path[64], link[64];
	unsigned long long ino = 0;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)pid);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return 0;
	link[n] = '\0';
	if (sscanf(link, "pid:[%llu]", &ino) != 1)
		return 0;
	return ino;
}

static uint64_t ns_of_pidfd(int pidfd)
{
	struct stat st;
	char path[64], line[128];
	FILE *f;
	int fd = ioctl(pidfd, PIDFD_GET_PID_NAMESPACE_, 0), pid = 0;

	if (fd >= 0) {
		uint64_t ino = fstat(fd, &st) == 0 ? (uint64_t)st.st_ino : 0;

		close(fd);
		return ino;
	}
	/* Before Linux 6.11: the pid from fdinfo, then its /proc entry. */
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Pid: %d", &pid) == 1)
			break;
	fclose(f);
	return pid > 0 ? ns_of_pid(pid) : 0;
}

/* Files a violation under the exec whose pid namespace the caller is in.
 * An exec still being spawned may not have its pidfd yet: wait for it. */
static void route(void *arg, const struct accel_sandbox_violation *v)
{
	struct sbx_zygote *zy = arg;
	uint64_t ns = ns_of_pid(v->pid);
	struct timespec dl;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += Z_ROUTE_WAIT / 1000;
	pthread_mutex_lock(&zy->lock);
	while (ns) {
		int pending = 0;

		for (struct sbx_zexec *x = zy->head.next; x != &zy->head;
		     x = x->next) {
			if (x->pidfd < 0) {
				pending++;
				continue;
			}
			if (!x->ns)
				x->ns = ns_of_pidfd(x->pidfd);
			if (x->ns != ns)
				continue;
			if (x->n < ACCEL_SANDBOX_MAX_VIOLATIONS)
				x->v[x->n++] = *v;
			else
				x->dropped++;
			goto out;
		}
		if (!pending ||
		    pthread_cond_timedwait(&zy->cond, &zy->lock, &dl))
			break;
	}
out:
	pthread_mutex_unlock(&zy->lock);
}

static void *notify_main(void *arg)
{
	struct sbx_zygote *zy = arg;

	for (;;) {
		struct pollfd pfd[2] = { { zy->listener, POLLIN, 0 },
					 { zy->wake[0], POLLIN, 0 } };

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents)
			break;
		if (pfd[0].revents & POLLIN)
			accel__sbx_seccomp_handle(zy->sb, zy->listener, NULL,
						  route, zy);
		else if (pfd[0].revents)
			break; /* the launcher and its commands are gone */
	}
	return NULL;
}

/*
 * Asks the launcher's warm child to exit and reaps it: it is our child
 * (CLONE_PARENT), and only it knows its pid. The launcher then exits too.
 */
static void zy_stop_warm(struct sbx_zygote *zy)
{
	struct zreq rq = { .magic = Z_MAGIC, .stop = 1 };
	struct pollfd pfd;
	struct zmsg m;
	siginfo_t si;
	int xs[2], fd = -1;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, xs) < 0)
		return;
	if (send_msg(zy->ctl, &rq, sizeof(rq), &xs[1], 1) == 0) {
		pfd = (struct pollfd){ xs[0], POLLIN, 0 };
		close(xs[1]);
		xs[1] = -1;
		if (poll(&pfd, 1, Z_START_MS) == 1 &&
		    recv_zmsg(xs[0], &m, &fd, NULL) == 0 && m.kind == Z_BYE &&
		    fd >= 0)
			syscall(SYS_waitid, P_PIDFD, fd, &si, WEXITED, NULL);
		if (fd >= 0)
			close(fd);
	}
	for (int i = 0; i < 2; i++)
		if (xs[i] >= 0)
			close(xs[i]);
}

static void zy_free(struct sbx_zygote *zy)
{
	if (zy->ctl >= 0) {
		zy_stop_warm(zy);
		close(zy->ctl);
	}
	if (zy->have_thr) {
		if (write(zy->wake[1], "x", 1) != 1)
			(void)0;
		pthread_join(zy->thr, NULL);
	}
	if (zy->pidfd >= 0) {
		siginfo_t si;

		/* Closing ctl made it exit; as pid 1 it took the rest. */
		syscall(SYS_waitid, P_PIDFD, zy->pidfd, &si, WEXITED, NULL);
		close(zy->pidfd);
	}
	if (zy->listener >= 0)
		close(zy->listener);
	for (int i = 0; i < 2; i++)
		if (zy->wake[i] >= 0)
			close(zy->wake[i]);
	pthread_mutex_destroy(&zy->lock);
	pthread_cond_destroy(&zy->cond);
	accel_free(zy);
}

/* The parent thread: forks launchers on request, lives until exit. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pid_t owner; /* process the thread runs in (fork resets it) */
	const struct accel_sandbox *sb;
	int ctl, ppfd;
	int busy; /* a requester owns the slot until it read its result */
	int pending, done; /* request posted / answered */
	long pid;
	int pidfd, err;
} zp = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

static void *zp_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&zp.lock);
	for (;;) {
		while (!zp.pending)
			pthread_cond_wait(&zp.cond, &zp.lock);
		zp.pidfd = -1;
		/* All signals are blocked on this thread: none of the
		 * engine's handlers can run in the child before it resets
		 * them. */
		/* Pid and ipc namespaces are per exec (the child's clone). */
		zp.pid = syscall(
			SYS_clone,
			(unsigned long)(zp.sb->clone_ns &
					~(CLONE_NEWPID | CLONE_NEWIPC)) |
				CLONE_PIDFD | SIGCHLD,
			NULL, &zp.pidfd, NULL, NULL);
		if (zp.pid == 0)
			zmain(zp.sb, zp.ctl, zp.ppfd);
		zp.err = errno;
		zp.pending = 0;
		zp.done = 1;
		pthread_cond_broadcast(&zp.cond);
	}
	return NULL;
}

/* In a forked child the parent thread is gone, and the condition
 * variable still counts it as a waiter: start both afresh. */
static void zp_atfork_child(void)
{
	pthread_mutex_init(&zp.lock, NULL);
	pthread_cond_init(&zp.cond, NULL);
	zp.owner = 0;
	zp.busy = zp.pending = zp.done = 0;
}

static pthread_once_t zp_once = PTHREAD_ONCE_INIT;

static void zp_init(void)
{
	pthread_atfork(NULL, NULL, zp_atfork_child);
}

/* Forks a launcher for sb from the parent thread; returns its pid. */
static long zp_fork(const struct accel_sandbox *sb, int ctl, int *pidfd)
{
	pthread_attr_t attr;
	pthread_t t;
	sigset_t all, old;
	long pid;

	pthread_once(&zp_once, zp_init);
	pthread_mutex_lock(&zp.lock);
	if (zp.owner != getpid()) {
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&attr, 128 * 1024);
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		if (pthread_create(&t, &attr, zp_main, NULL) == 0) {
			zp.owner = getpid();
			zp.busy = zp.pending = zp.done = 0;
		}
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		pthread_attr_destroy(&attr);
		if (zp.owner != getpid()) {
			pthread_mutex_unlock(&zp.lock);
			return -EAGAIN;
		}
	}
	/*
	 * One request at a time, and the slot stays ours until we have read
	 * the answer: another requester must neither post over our request
	 * nor take our launcher's pid.
	 */
	while (zp.busy)
		pthread_cond_wait(&zp.cond, &zp.lock);
	zp.busy = 1;
	zp.sb = sb;
	zp.ctl = ctl;
	zp.ppfd = accel__sbx_parent_pidfd();
	zp.done = 0;
	zp.pending = 1;
	pthread_cond_broadcast(&zp.cond);
	while (!zp.done)
		pthread_cond_wait(&zp.cond, &zp.lock);
	pid = zp.pid < 0 ? -zp.err : zp.pid;
	*pidfd = zp.pidfd;
	zp.done = 0;
	zp.busy = 0;
	pthread_cond_broadcast(&zp.cond);
	pthread_mutex_unlock(&zp.lock);
	return pid;
}

static struct sbx_zygote *zygote_start(const struct accel_sandbox *sb)
{
	struct sbx_zygote *zy = accel_calloc(1, sizeof(*zy));
	struct pollfd pfd;
	struct zmsg m;
	sigset_t all, old;
	int sv[2], pidfd = -1, lfd = -1;
	long pid;

	if (!zy)
		return NULL;
	zy->sb = sb;
	zy->pidfd = zy->ctl = zy->listener = zy->wake[0] = zy->wake[1] = -1;
	zy->head.next = zy->head.prev = &zy->head;
	pthread_mutex_init(&zy->lock, NULL);
	pthread_cond_init(&zy->cond, NULL);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		goto fail;
	pid = zp_fork(sb, sv[1], &pidfd);
	close(sv[1]);
	zy->ctl = sv[0];
	if (pid < 0)
		goto fail;
	zy->pid = (pid_t)pid;
	zy->pidfd = pidfd;
	zy->owner = getpid();
	pfd = (struct pollfd){ zy->ctl, POLLIN, 0 };
	if (poll(&pfd, 1, Z_START_MS) != 1 ||
	    recv_zmsg(zy->ctl, &m, &lfd, NULL) || m.kind != Z_READY || m.step) {
		if (lfd >= 0)
			close(lfd);
		syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
		goto fail;
	}
	zy->listener = lfd;
	if (lfd >= 0) {
		pthread_attr_t attr;

		if (pipe2(zy->wake, O_CLOEXEC) < 0)
			goto fail;
		pthread_attr_init(&attr);
		pthread_attr_setstacksize(&attr, 256 * 1024);
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		zy->have_thr =
			pthread_create(&zy->thr, &attr, notify_main, zy) == 0;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		pthread_attr_destroy(&attr);
		if (!zy->have_thr)
			goto fail;
	}
	return zy;
fail:
	zy_free(zy);
	return NULL;
}

/* Drops our copies of a launcher inherited through fork (the parent still
 * holds its own); its memory is only our copy of the parent's. */
static void zy_forget(struct sbx_zygote *zy)
{
	close(zy->ctl);
	close(zy->pidfd);
	if (zy->listener >= 0)
		close(zy->listener);
}

/*
 * Launchers per policy: two per CPU. A launcher sits blocked (vfork) while
 * its child prepares and starts the exec; a second one overlaps that wait.
 * With one per CPU, 16 concurrent execs ran at 693/s, with two 1348/s
 * (2-CPU VM, load 8). Computed once (sysconf reads /sys each time).
 */
static int zy_max(void)
{
	static atomic_int max;
	int m = atomic_load(&max);

	if (!m) {
		long cpus = 2 * sysconf(_SC_NPROCESSORS_ONLN);

		m = cpus < 1		     ? 1 :
		    cpus > SBX_MAX_LAUNCHERS ? SBX_MAX_LAUNCHERS :
					       (int)cpus;
		atomic_store(&max, m);
	}
	return m;
}

struct sbx_zygote *accel__sbx_zygote_get(const struct accel_sandbox *csb)
{
	/* Launchers are lazily started state of an otherwise immutable
	 * policy, guarded by zlock. */
	struct accel_sandbox *sb = (struct accel_sandbox *)csb;
	struct sbx_zygote *zy = NULL;

	if (!sb->zygote_ok)
		return NULL;
	pthread_mutex_lock(&sb->zlock);
	if (sb->n_zy && sb->zy[0]->owner != getpid()) {
		for (int i = 0; i < sb->n_zy; i++)
			zy_forget(sb->zy[i]);
		sb->n_zy = 0;
		sb->zy_failed = 0;
	}
	/* The least busy live launcher; a new one while all are busy (one
	 * launcher serves one request at a time), up to two per CPU. */
	for (int i = 0; i < sb->n_zy; i++)
		if (!sb->zy[i]->dead && (!zy || atomic_load(&sb->zy[i]->busy) <
							atomic_load(&zy->busy)))
			zy = sb->zy[i];
	if ((!zy || atomic_load(&zy->busy) > 0) && sb->n_zy < zy_max() &&
	    !sb->zy_failed) {
		struct sbx_zygote *nz = zygote_start(sb);

		if (nz)
			zy = sb->zy[sb->n_zy++] = nz;
		else
			sb->zy_failed = 1;
	}
	if (zy)
		atomic_fetch_add(&zy->busy, 1);
	pthread_mutex_unlock(&sb->zlock);
	return zy;
}

void accel__sbx_zygote_put(struct sbx_zygote *zy)
{
	atomic_fetch_sub(&zy->busy, 1);
}

void accel__sbx_zygote_stop(struct accel_sandbox *sb)
{
	for (int i = 0; i < sb->n_zy; i++) {
		if (sb->zy[i]->owner != getpid())
			zy_forget(sb->zy[i]);
		else
			zy_free(sb->zy[i]);
	}
	sb->n_zy = 0;
}

static void zx_unlink(struct sbx_zygote *zy, struct sbx_zexec *zx)
{
	pthread_mutex_lock(&zy->lock);
	zx->prev->next = zx->next;
	zx->next->prev = zx->prev;
	pthread_mutex_unlock(&zy->lock);
}

int accel__sbx_zygote_spawn(struct sbx_zygote *zy, struct sbx_child *c,
			    int *pidfd, int *mntns, int *outcome,
			    struct sbx_zexec **zxp)
{
	struct zreq rq = { .magic = Z_MAGIC };
	struct sbx_zexec *zx = NULL;
	struct zmsg m;
	size_t len = strlen(c->cwd) + 1, off;
	char *buf;
	int xs[2], fds[4], fd = -1, ret;

	for (; c->argv[rq.n_argv]; rq.n_argv++)
		len += strlen(c->argv[rq.n_argv]) + 1;
	for (; c->envp[rq.n_env]; rq.n_env++)
		len += strlen(c->envp[rq.n_env]) + 1;
	if (len > UINT32_MAX)
		return -E2BIG;
	rq.len = (uint32_t)len;
	rq.inl = len <= Z_INLINE;
	buf = accel_malloc(sizeof(rq) + len);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, &rq, sizeof(rq));
	off = sizeof(rq);
#define PUT(s)                              \
	do {                                \
		size_t l_ = strlen(s) + 1;  \
		memcpy(buf + off, (s), l_); \
		off += l_;                  \
	} while (0)
	PUT(c->cwd);
	for (uint32_t i = 0; i < rq.n_argv; i++)
		PUT(c->argv[i]);
	for (uint32_t i = 0; i < rq.n_env; i++)
		PUT(c->envp[i]);
#undef PUT
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, xs) < 0) {
		accel_free(buf);
		return -errno;
	}
	if (zy->listener >= 0) {
		zx = accel_calloc(1, sizeof(*zx));
		if (!zx) {
			ret = -ENOMEM;
			goto out;
		}
		zx->pidfd = -1;
		pthread_mutex_lock(&zy->lock);
		zx->next = &zy->head;
		zx->prev = zy->head.prev;
		zy->head.prev->next = zx;
		zy->head.prev = zx;
		pthread_mutex_unlock(&zy->lock);
	}
	fds[0] = xs[1];
	fds[1] = c->fd_in;
	fds[2] = c->fd_out;
	fds[3] = c->fd_err;
	ret = send_msg(zy->ctl, buf, rq.inl ? sizeof(rq) + len : sizeof(rq),
		       fds, 4);
	close(xs[1]);
	xs[1] = -1;
	if (!ret && !rq.inl)
		ret = rw_full(xs[0], buf + sizeof(rq), len, 1);
	if (!ret)
		ret = recv_zmsg(xs[0], &m, &fd, mntns);
	if (!ret && (m.kind != Z_SPAWNED || (fd < 0 && !m.step)))
		ret = -EPROTO;
	if (ret) {
		/* The launcher is gone (or broke): callers go direct. */
		zy->dead = 1;
		ret = -EPIPE;
		goto out;
	}
	*pidfd = fd;
	if (m.step) {
		c->step = m.step;
		c->err = m.err;
		goto out;
	}
	/* The outcome comes later: the socket closes when the exec happens
	 * (close-on-exec), or a failed step arrives first. The caller reads
	 * it once the command is reaped (accel__sbx_zygote_failed), instead
	 * of waking up for it now, while the command starts. */
	*outcome = xs[0];
	xs[0] = -1;
	if (zx) {
		pthread_mutex_lock(&zy->lock);
		zx->pidfd = fd;
		pthread_cond_broadcast(&zy->cond);
		pthread_mutex_unlock(&zy->lock);
	}
	*zxp = zx;
	zx = NULL;
out:
	if (zx) {
		zx_unlink(zy, zx);
		accel_free(zx);
	}
	if (xs[0] >= 0)
		close(xs[0]);
	accel_free(buf);
	return ret;
}

void accel__sbx_zexec_collect(struct sbx_zygote *zy, struct sbx_zexec *zx,
			      struct accel_sandbox_result *res)
{
	pthread_mutex_lock(&zy->lock);
	for (uint32_t i = 0; i < zx->n; i++) {
		if (res->n_violations < ACCEL_SANDBOX_MAX_VIOLATIONS)
			res->violations[res->n_violations++] = zx->v[i];
		else
			res->violations_dropped++;
	}
	res->violations_dropped += zx->dropped;
	if (zx->n || zx->dropped)
		res->flags |= ACCEL_SANDBOX_R_VIOLATIONS;
	zx->n = zx->dropped = 0;
	pthread_mutex_unlock(&zy->lock);
}

void accel__sbx_zexec_free(struct sbx_zygote *zy, struct sbx_zexec *zx)
{
	if (!zx)
		return;
	zx_unlink(zy, zx);
	accel_free(zx);
}
