/* SPDX-License-Identifier: MIT */
/*
 * Per-exec work: preparing the child's plan (env, cwd, pipes, cgroup),
 * spawning, and the driver that runs the command to its end through the
 * caller's io_uring or a poll(2) loop. Both drivers feed one state machine:
 * output chunks, seccomp notifications, the exit of the top process, and
 * the clock (timeout, kill grace, cancellation, drain).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <liburing.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "accel_alloc.h"
#include "accel_compiler.h"
#include "accel_err.h"
#include "accel_time.h"
#include "sandbox_int.h"

#define DEFAULT_CAP	 (64u * 1024)
#define MAX_CAP		 (1u << 30)
#define DEFAULT_GRACE_MS 2000
#define DEFAULT_POLL_MS	 50
#define READ_CHUNK	 (64 * 1024)
/* After the top process exits without a pid namespace: how long to wait
 * for the (killed) rest of the tree to close the pipes. */
#define DRAIN_MS 500
/* The kernel's per-string limit for argv and env (MAX_ARG_STRLEN). */
#define ARG_STRLEN_MAX (32 * 4096)

/* user_data of the driver's SQEs: a tag in the high bits, the kind low. */
#define UD_TAG	0xacce5b0000000000ull
#define UD_MASK 0xffffffffff000000ull

enum {
	K_OUT0,
	K_OUT1,
	K_PIDFD,
	K_LISTENER,
	K_STDIN,
	K_TIMEOUT,
	K_N
};

struct accel_sandbox_proc {
	const struct accel_sandbox *sb;
	pid_t pid;
	int pidfd;
	int out_fd[2];	 /* read ends; out_fd[1] is -1 when merged */
	int in_fd;	 /* write end while stdin bytes remain, else -1 */
	char *stdin_buf; /* the bytes not yet written */
	size_t stdin_off, stdin_len;
	int listener; /* seccomp notification fd, or -1 */
	int mntns; /* the exec's mount namespace, released in the background */
	int outcome; /* launcher: the exec's outcome, read once reaped */
	/* Started by the policy's launcher (still our child); violations
	 * arrive through the launcher's routing entry zx. */
	struct sbx_zygote *zy;
	struct sbx_zexec *zx;
	struct sbx_cgroup cg;
	uint32_t layers;
	uint64_t start_ns;
	uint64_t timeout_ms, grace_ms, max_output;
	struct sbx_capture cap[2];
	char *rbuf[2];
	atomic_int kill_req;
	/* driver state */
	int exited, reaped, eof[2];
	uint64_t term_ns, kill_ns, drain_until;
	uint32_t rflags;
	siginfo_t si;
	struct rusage ru;
};

/* --- preparing the plan -------------------------------------------------- */

static int name_allowed(const struct accel_sandbox *sb, const char *kv)
{
	size_t nl = strcspn(kv, "=");

	for (size_t i = 0; i < sb->n_env_allow; i++) {
		const char *a = sb->env_allow[i];
		size_t al = strlen(a);

		if (al && a[al - 1] == '*') {
			if (nl >= al - 1 && !memcmp(kv, a, al - 1))
				return 1;
		} else if (al == nl && !memcmp(kv, a, nl)) {
			return 1;
		}
	}
	return 0;
}

static int same_name(const char *a, const char *b)
{
	size_t n = strcspn(a, "=");

	return !strncmp(a, b, n) && b[n] == '=';
}

/*
 * Builds the child's environment: allowed names from env, then env_set
 * overriding by name. Returns a malloc'ed NULL-terminated array of borrowed
 * strings, and *bytes for the ARG_MAX check.
 */
static int build_env(const struct accel_sandbox *sb,
		     const struct accel_sandbox_exec *req, char ***out,
		     size_t *bytes)
{
	size_t n_env = 0, n_set = 0, n = 0;
	char **v;

	for (; req->env && req->env[n_env]; n_env++)
		;
	for (; req->env_set && req->env_set[n_set]; n_set++)
		if (!strchr(req->env_set[n_set], '=') ||
		    req->env_set[n_set][0] == '=')
			return -ACCEL_E_SANDBOX_ENV;
	v = accel_malloc((n_env + n_set + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	*bytes = 0;
	for (size_t i = 0; i < n_env; i++) {
		const char *e = req->env[i];
		int overridden = 0;

		if (!strchr(e, '=') || !name_allowed(sb, e))
			continue;
		for (size_t j = 0; j < n_set && !overridden; j++)
			overridden = same_name(req->env_set[j], e);
		if (!overridden)
			v[n++] = (char *)e;
	}
	for (size_t j = 0; j < n_set; j++)
		v[n++] = (char *)req->env_set[j];
	v[n] = NULL;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(v[i]) + 1;

		if (l > ARG_STRLEN_MAX) {
			accel_free(v);
			return -ACCEL_E_SANDBOX_ENV;
		}
		*bytes += l + sizeof(char *);
	}
	*out = v;
	return 0;
}

static int path_within(const char *p, const char *root)
{
	size_t rl = strlen(root);

	if (rl == 1)
		return 1;
	return !strncmp(p, root, rl) && (p[rl] == '\0' || p[rl] == '/');
}

/* The cwd must exist, be inside a readable or writable root and not in a
 * denied path. Resolved so that symlinks cannot point elsewhere. */
static int check_cwd(const struct accel_sandbox *sb, const char *cwd, char *buf)
{
	int ok = 0;

	if (!cwd || cwd[0] != '/' || !realpath(cwd, buf))
		return -ACCEL_E_SANDBOX_CWD;
	for (size_t i = 0; i < sb->n_read && !ok; i++)
		ok = path_within(buf, sb->read[i]);
	for (size_t i = 0; i < sb->n_write && !ok; i++)
		ok = path_within(buf, sb->write[i]);
	for (size_t i = 0; i < sb->n_deny && ok; i++)
		ok = !path_within(buf, sb->deny[i]);
	return ok ? 0 : -ACCEL_E_SANDBOX_CWD;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Writes what fits without blocking; ignores a reader that went away. */
static void feed_stdin(struct accel_sandbox_proc *p)
{
	sigset_t pipe_set, old;
	struct timespec zero = { 0, 0 };

	/* EPIPE must not kill the engine with SIGPIPE: block it for the
	 * write and swallow a pending one (the classic recipe). */
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	while (p->stdin_off < p->stdin_len) {
		ssize_t n = write(p->in_fd, p->stdin_buf + p->stdin_off,
				  p->stdin_len - p->stdin_off);
		if (n > 0) {
			p->stdin_off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		p->stdin_off = p->stdin_len; /* EPIPE or error: give up */
	}
	if (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
		(void)0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (p->stdin_off == p->stdin_len) {
		close_fd(&p->in_fd);
		accel_free(p->stdin_buf);
		p->stdin_buf = NULL;
	}
}

static int setup_stdin(struct accel_sandbox_proc *p,
		       const struct accel_sandbox_exec *req, int *child_in)
{
	int fds[2];

	if (!req->stdin_len) {
		*child_in = open("/dev/null", O_RDONLY | O_CLOEXEC);
		return *child_in < 0 ? -errno : 0;
	}
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	*child_in = fds[0];
	p->in_fd = fds[1];
	/* Most stdin fits the pipe: written now, before the child even
	 * exists, and the driver never sees it. */
	if (req->stdin_len > 65536)
		fcntl(p->in_fd, F_SETPIPE_SZ,
		      req->stdin_len > 1048576 ? 1048576 : req->stdin_len);
	fcntl(p->in_fd, F_SETFL, O_NONBLOCK);
	p->stdin_buf = accel_malloc(req->stdin_len);
	if (!p->stdin_buf)
		return -ENOMEM;
	memcpy(p->stdin_buf, req->stdin_data, req->stdin_len);
	p->stdin_len = req->stdin_len;
	feed_stdin(p);
	return 0;
}

static int recv_listener(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))], byte;
	struct iovec iov = { &byte, 1 };
	struct msghdr msg = { 0 };
	struct cmsghdr *cm;
	int fd = -1;

	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf;
	msg.msg_controllen = sizeof(cbuf);
	if (recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) != 1)
		return -EPROTO;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -EPROTO;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

static int step_error(uint32_t step, int err)
{
	switch (step) {
	case ACCEL_SANDBOX_STEP_EXEC:
		if (err == ENOENT || err == ENOTDIR)
			return -ACCEL_E_SANDBOX_NOT_FOUND;
		if (err == E2BIG)
			return -ACCEL_E_SANDBOX_ARGV;
		return -ACCEL_E_SANDBOX_NOT_EXEC;
	case ACCEL_SANDBOX_STEP_CWD:
		return -ACCEL_E_SANDBOX_CWD;
	case ACCEL_SANDBOX_STEP_CGROUP:
		return -ACCEL_E_SANDBOX_CGROUP;
	case ACCEL_SANDBOX_STEP_CLONE:
		return -ACCEL_E_SANDBOX_SPAWN;
	default:
		return -ACCEL_E_SANDBOX_SETUP;
	}
}

static void fail_result(struct accel_sandbox_result *res, uint32_t layers,
			uint32_t missing, uint32_t step, int err)
{
	if (!res)
		return;
	memset(res, 0, offsetof(struct accel_sandbox_result, violations));
	res->exit_code = -1;
	res->layers = layers;
	res->layers_missing = missing;
	res->failed_step = step;
	res->failed_errno = err;
}

static void proc_free(struct accel_sandbox_proc *p)
{
	for (int i = 0; i < 2; i++) {
		close_fd(&p->out_fd[i]);
		accel__sbx_capture_free(&p->cap[i]);
		accel_free(p->rbuf[i]);
	}
	close_fd(&p->in_fd);
	close_fd(&p->listener);
	close_fd(&p->pidfd);
	close_fd(&p->outcome);
	if (p->zx)
		accel__sbx_zexec_free(p->zy, p->zx);
	accel__sbx_cgroup_destroy(&p->cg);
	accel__sbx_release_mntns(p->mntns);
	accel_free(p->stdin_buf);
	accel_free(p);
}

int accel_sandbox_spawn(const struct accel_sandbox *sb,
			const struct accel_sandbox_exec *req,
			struct accel_sandbox_proc **out,
			struct accel_sandbox_result *res)
{
	struct accel_sandbox_proc *p;
	struct sbx_child c = { 0 };
	char cwd[PATH_MAX], pathbuf[PATH_MAX];
	char **envp = NULL;
	size_t bytes = 0;
	int pipes[2][2] = { { -1, -1 }, { -1, -1 } }, child_in = -1;
	int report[2] = { -1, -1 };
	uint32_t head, tail;
	int merged = !!(req->flags & ACCEL_SANDBOX_X_MERGE_OUTPUT);
	int ret;

	*out = NULL;
	if (req->stdin_len && !req->stdin_data) {
		fail_result(res, sb->layers, sb->missing, 0, EINVAL);
		return -EINVAL;
	}
	if (!req->argv || !req->argv[0] || !req->argv[0][0]) {
		fail_result(res, sb->layers, sb->missing, 0, EINVAL);
		return -ACCEL_E_SANDBOX_ARGV;
	}
	for (size_t i = 0; req->argv[i]; i++) {
		size_t l = strlen(req->argv[i]) + 1;

		bytes += l + sizeof(char *);
		if (l > ARG_STRLEN_MAX) {
			fail_result(res, sb->layers, sb->missing, 0, E2BIG);
			return -ACCEL_E_SANDBOX_ARGV;
		}
	}
	p = accel_calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->sb = sb;
	p->pidfd = p->in_fd = p->listener = p->mntns = p->outcome = -1;
	p->cg.v2_fd = -1;
	p->out_fd[0] = p->out_fd[1] = -1;
	p->start_ns = accel_now_ns();
	p->layers = sb->layers;
	p->timeout_ms = req->timeout_ms;
	p->grace_ms = req->kill_grace_ms ? req->kill_grace_ms :
					   DEFAULT_GRACE_MS;
	p->max_output = req->max_output_bytes;
	head = req->head_bytes || req->tail_bytes ? req->head_bytes :
						    DEFAULT_CAP;
	tail = req->head_bytes || req->tail_bytes ? req->tail_bytes :
						    DEFAULT_CAP;
	/* The kept bytes must fit the result's 32-bit lengths. */
	head = ACCEL_MIN(head, MAX_CAP);
	tail = ACCEL_MIN(tail, MAX_CAP);

	{
		size_t env_bytes = 0;

		ret = build_env(sb, req, &envp, &env_bytes);
		if (ret)
			goto err;
		if (bytes + env_bytes > (size_t)sysconf(_SC_ARG_MAX) / 2) {
			ret = -ACCEL_E_SANDBOX_ARGV;
			goto err;
		}
	}
	ret = check_cwd(
		sb, req->cwd ? req->cwd : (sb->n_write ? sb->write[0] : "/"),
		cwd);
	if (ret)
		goto err;

	for (int i = 0; i < 2 - merged; i++) {
		if (pipe2(pipes[i], O_CLOEXEC) < 0) {
			ret = -errno;
			goto err;
		}
		p->out_fd[i] = pipes[i][0];
		ret = accel__sbx_capture_init(&p->cap[i], head, tail);
		if (!ret && !(p->rbuf[i] = accel_malloc(READ_CHUNK)))
			ret = -ENOMEM;
		if (ret)
			goto err;
	}
	ret = setup_stdin(p, req, &child_in);
	if (ret)
		goto err;
	if (sb->layers & ACCEL_SANDBOX_L_CGROUP) {
		ret = accel__sbx_cgroup_create(sb, &p->cg);
		if (ret) {
			ret = -ACCEL_E_SANDBOX_CGROUP;
			goto err;
		}
	}
	c.sb = sb;
	c.fd_in = child_in;
	c.fd_out = pipes[0][1];
	c.fd_err = merged ? pipes[0][1] : pipes[1][1];
	c.parent_pidfd = accel__sbx_parent_pidfd();
	c.n_cg = p->cg.n_procs;
	c.cgroup_fd = p->cg.version ? p->cg.v2_fd : -1;
	for (int i = 0; i < c.n_cg; i++)
		c.cg_fds[i] = p->cg.procs_fd[i];
	c.cwd = cwd;
	c.argv = (char *const *)req->argv;
	c.envp = envp;
	c.pathbuf = pathbuf;
	for (size_t i = 0; envp[i]; i++)
		if (!strncmp(envp[i], "PATH=", 5))
			c.path_env = envp[i] + 5;

	p->zy = accel__sbx_zygote_get(sb);
	if (p->zy) {
		ret = accel__sbx_zygote_spawn(p->zy, &c, &p->pidfd, &p->mntns,
					      &p->outcome, &p->zx);
		accel__sbx_zygote_put(p->zy);
		if (ret != -EPIPE)
			goto spawned;
		/* The launcher died: this exec (and the next) go direct. */
		p->zy = NULL;
		c.step = ACCEL_SANDBOX_STEP_NONE;
		c.err = 0;
	}
	if (sb->notify &&
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, report) < 0) {
		ret = -errno;
		goto err;
	}
	c.report_fd = report[1];
	ret = accel__sbx_clone(&c, &p->pidfd, &p->pid);
	if (ret && c.cgroup_fd >= 0 &&
	    (ret == -ENOSYS || ret == -EINVAL || ret == -E2BIG)) {
		/* No clone3 or CLONE_INTO_CGROUP (before Linux 5.7): the
		 * child joins by writing cgroup.procs instead. */
		char procs[400];

		snprintf(procs, sizeof(procs), "%s/cgroup.procs", p->cg.dir[0]);
		p->cg.procs_fd[p->cg.n_procs] =
			open(procs, O_WRONLY | O_CLOEXEC);
		if (p->cg.procs_fd[p->cg.n_procs] >= 0) {
			c.cg_fds[c.n_cg++] = p->cg.procs_fd[p->cg.n_procs++];
			c.cgroup_fd = -1;
			ret = accel__sbx_clone(&c, &p->pidfd, &p->pid);
		}
	}
spawned:
	close_fd(&child_in);
	close_fd(&pipes[0][1]);
	close_fd(&pipes[1][1]);
	close_fd(&report[1]);
	if (ret == 0 && c.step != ACCEL_SANDBOX_STEP_NONE) {
		/* The child reported a failed step and exited: reap it. */
		siginfo_t si;

		if (p->pidfd >= 0)
			syscall(SYS_waitid, P_PIDFD, p->pidfd, &si, WEXITED,
				NULL);
		ret = step_error(c.step, c.err);
	} else if (ret) {
		ret = step_error(ACCEL_SANDBOX_STEP_CLONE, c.err);
	}
	if (ret) {
		fail_result(res, sb->layers, sb->missing, c.step, c.err);
		goto err;
	}
	if ((sb->layers & ACCEL_SANDBOX_L_MNTNS) && !p->zy)
		p->mntns = accel__sbx_hold_mntns(p->pidfd, p->pid);
	for (int i = 0; i < c.n_cg; i++)
		close_fd(&p->cg.procs_fd[i]);
	p->cg.n_procs = 0;
	close_fd(&p->cg.v2_fd);
	if (sb->notify && !p->zy) {
		p->listener = recv_listener(report[0]);
		if (p->listener < 0)
			p->layers &= ~ACCEL_SANDBOX_L_SECCOMP_NOTIFY;
	} else if (sb->notify && !p->zx) {
		p->layers &= ~ACCEL_SANDBOX_L_SECCOMP_NOTIFY;
	}
	close_fd(&report[0]);
	accel_free(envp);
	*out = p;
	return 0;
err:
	if (res && c.step == ACCEL_SANDBOX_STEP_NONE)
		fail_result(res, sb->layers, sb->missing, 0, 0);
	close_fd(&child_in);
	close_fd(&pipes[0][1]);
	close_fd(&pipes[1][1]);
	close_fd(&report[0]);
	close_fd(&report[1]);
	accel_free(envp);
	proc_free(p);
	return ret;
}

int accel_sandbox_proc_pidfd(const struct accel_sandbox_proc *p)
{
	return p->pidfd;
}

/* --- the state machine ---------------------------------------------------- */

static void kill_tree(struct accel_sandbox_proc *p, int sig)
{
	if (!p->reaped) {
		if (p->layers & ACCEL_SANDBOX_L_PIDNS)
			/* SIGKILL to the namespace's init kills all of it;
			 * SIGTERM reaches it only if it has a handler. */
			syscall(SYS_pidfd_send_signal, p->pidfd, sig, NULL, 0);
		else if (p->pid > 0)
			kill(-p->pid, sig);
	}
	if (p->cg.version)
		accel__sbx_cgroup_kill(&p->cg, sig);
}

/* Starts the SIGTERM → grace → SIGKILL sequence (once). */
static void terminate(struct accel_sandbox_proc *p, uint32_t why, uint64_t now,
		      int hard)
{
	p->rflags |= why;
	if (!p->term_ns) {
		p->term_ns = now;
		if (!hard)
			kill_tree(p, SIGTERM);
	}
	if (hard && !p->kill_ns) {
		p->kill_ns = now;
		kill_tree(p, SIGKILL);
	}
}

static void on_data(struct accel_sandbox_proc *p,
		    const struct accel_sandbox_drive_opts *o, int s, size_t n)
{
	if (o && o->on_output)
		o->on_output(o->arg, s, p->rbuf[s], n);
	accel__sbx_capture_add(&p->cap[s], p->rbuf[s], n);
	if (p->max_output && p->cap[0].total + p->cap[1].total > p->max_output)
		terminate(p, ACCEL_SANDBOX_R_OUTPUT_LIMIT, accel_now_ns(), 1);
}

static void on_exit_(struct accel_sandbox_proc *p, uint64_t now)
{
	/* The tree dies with its top process: without a pid namespace we
	 * kill the group (while the zombie still pins its pgid) and the
	 * cgroup, then drain the pipes for a bounded time. */
	if (!(p->layers & ACCEL_SANDBOX_L_PIDNS) && p->pid > 0) {
		kill(-p->pid, SIGKILL);
		if (p->cg.version)
			accel__sbx_cgroup_kill(&p->cg, SIGKILL);
		p->drain_until = now + DRAIN_MS * 1000000ull;
	}
	syscall(SYS_waitid, P_PIDFD, p->pidfd, &p->si, WEXITED, &p->ru);
	p->exited = p->reaped = 1;
	if (p->cg.version) /* catch late forks of the dying tree */
		accel__sbx_cgroup_kill(&p->cg, SIGKILL);
}

/* Runs the clock. Returns ms until it next needs to run. */
static uint64_t on_tick(struct accel_sandbox_proc *p,
			const struct accel_sandbox_drive_opts *o, uint64_t now)
{
	uint64_t poll_ms = o && o->poll_ms ? o->poll_ms : DEFAULT_POLL_MS;
	uint64_t next = now + poll_ms * 1000000ull;

	if (!p->exited) {
		if (atomic_load(&p->kill_req) ||
		    (o && o->cancelled && o->cancelled(o->arg)))
			terminate(p, ACCEL_SANDBOX_R_CANCELLED, now, 0);
		if (p->timeout_ms) {
			uint64_t dl = p->start_ns + p->timeout_ms * 1000000ull;

			if (now >= dl)
				terminate(p, ACCEL_SANDBOX_R_TIMED_OUT, now, 0);
			else if (dl < next)
				next = dl;
		}
		if (p->term_ns && !p->kill_ns) {
			uint64_t kl = p->term_ns + p->grace_ms * 1000000ull;

			if (now >= kl)
				terminate(p, 0, now, 1);
			else if (kl < next)
				next = kl;
		}
	}
	if (p->drain_until && p->drain_until < next)
		next = p->drain_until;
	return next > now ? (next - now + 999999) / 1000000 : 0;
}

static int finished(const struct accel_sandbox_proc *p, uint64_t now)
{
	if (!p->exited)
		return 0;
	if ((p->out_fd[0] < 0 || p->eof[0]) && (p->out_fd[1] < 0 || p->eof[1]))
		return 1;
	return p->drain_until && now >= p->drain_until;
}

static void fill_result(struct accel_sandbox_proc *p,
			struct accel_sandbox_result *res)
{
	uint64_t peak = 0;

	res->flags |= p->rflags;
	res->layers = p->layers;
	res->layers_missing = p->sb->missing | (p->sb->layers & ~p->layers);
	res->landlock_abi = (p->layers & ACCEL_SANDBOX_L_LANDLOCK_FS) ?
				    p->sb->landlock_abi :
				    0;
	res->wall_ns = accel_now_ns() - p->start_ns;
	res->user_ns = (uint64_t)p->ru.ru_utime.tv_sec * 1000000000ull +
		       (uint64_t)p->ru.ru_utime.tv_usec * 1000ull;
	res->sys_ns = (uint64_t)p->ru.ru_stime.tv_sec * 1000000000ull +
		      (uint64_t)p->ru.ru_stime.tv_usec * 1000ull;
	res->peak_rss_bytes = (uint64_t)p->ru.ru_maxrss * 1024ull;
	if (p->cg.version) {
		peak = accel__sbx_cgroup_peak(&p->cg);
		if (peak > res->peak_rss_bytes)
			res->peak_rss_bytes = peak;
		res->flags |= accel__sbx_cgroup_events(&p->cg);
	}
	if (p->si.si_code == CLD_EXITED) {
		res->exit_code = p->si.si_status;
	} else {
		res->exit_code = -1;
		res->term_signal = p->si.si_status;
	}
	for (int i = 0; i < 2; i++)
		if (p->cap[i].active)
			accel__sbx_capture_finish(&p->cap[i], &res->out[i]);
	if (p->zx)
		accel__sbx_zexec_collect(p->zy, p->zx, res);
}

/* --- the poll(2) driver ---------------------------------------------------- */

static int drive_poll(struct accel_sandbox_proc *p,
		      const struct accel_sandbox_drive_opts *o,
		      struct accel_sandbox_result *res)
{
	for (;;) {
		struct pollfd pfd[K_N];
		int kind[K_N], n = 0;
		uint64_t now = accel_now_ns(), wait_ms;

		wait_ms = on_tick(p, o, now);
		if (finished(p, now))
			return 0;
		for (int s = 0; s < 2; s++) {
			if (p->out_fd[s] >= 0 && !p->eof[s]) {
				pfd[n] = (struct pollfd){ p->out_fd[s], POLLIN,
							  0 };
				kind[n++] = K_OUT0 + s;
			}
		}
		if (!p->exited) {
			pfd[n] = (struct pollfd){ p->pidfd, POLLIN, 0 };
			kind[n++] = K_PIDFD;
		}
		if (p->listener >= 0) {
			pfd[n] = (struct pollfd){ p->listener, POLLIN, 0 };
			kind[n++] = K_LISTENER;
		}
		if (p->in_fd >= 0) {
			pfd[n] = (struct pollfd){ p->in_fd, POLLOUT, 0 };
			kind[n++] = K_STDIN;
		}
		if (poll(pfd, (nfds_t)n, (int)wait_ms) < 0 && errno != EINTR)
			return -errno;
		now = accel_now_ns();
		for (int i = 0; i < n; i++) {
			short r = pfd[i].revents;

			if (!r)
				continue;
			switch (kind[i]) {
			case K_OUT0:
			case K_OUT1: {
				int s = kind[i] - K_OUT0;
				ssize_t got = read(p->out_fd[s], p->rbuf[s],
						   READ_CHUNK);
				if (got > 0)
					on_data(p, o, s, (size_t)got);
				else if (got == 0 || errno != EINTR)
					p->eof[s] = 1;
				break;
			}
			case K_PIDFD:
				on_exit_(p, now);
				break;
			case K_LISTENER:
				if ((r & POLLIN) &&
				    accel__sbx_seccomp_handle(p->sb,
							      p->listener, res,
							      NULL, NULL) == 0)
					break;
				if (r & (POLLHUP | POLLERR))
					close_fd(&p->listener);
				break;
			case K_STDIN:
				feed_stdin(p);
				break;
			}
		}
	}
}

/* --- the io_uring driver --------------------------------------------------- */

struct uring_state {
	struct io_uring *ring;
	const struct accel_sandbox_drive_opts *o;
	int inflight[K_N];
	struct __kernel_timespec ts;
};

static struct io_uring_sqe *get_sqe(struct io_uring *ring)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe) {
		io_uring_submit(ring);
		sqe = io_uring_get_sqe(ring);
	}
	return sqe;
}

static int arm(struct accel_sandbox_proc *p, struct uring_state *u, int k,
	       uint64_t wait_ms)
{
	struct io_uring_sqe *sqe;

	if (u->inflight[k])
		return 0;
	sqe = get_sqe(u->ring);
	if (!sqe)
		return -EBUSY;
	switch (k) {
	case K_OUT0:
	case K_OUT1:
		io_uring_prep_read(sqe, p->out_fd[k - K_OUT0],
				   p->rbuf[k - K_OUT0], READ_CHUNK, 0);
		/* Pipes ignore the offset; -1 says "current position". */
		sqe->off = (uint64_t)-1;
		break;
	case K_PIDFD:
		io_uring_prep_poll_add(sqe, p->pidfd, POLLIN);
		break;
	case K_LISTENER:
		io_uring_prep_poll_add(sqe, p->listener, POLLIN);
		break;
	case K_STDIN:
		io_uring_prep_poll_add(sqe, p->in_fd, POLLOUT);
		break;
	case K_TIMEOUT:
		u->ts.tv_sec = (long long)(wait_ms / 1000);
		u->ts.tv_nsec = (long long)(wait_ms % 1000) * 1000000;
		io_uring_prep_timeout(sqe, &u->ts, 0, 0);
		break;
	}
	io_uring_sqe_set_data64(sqe, UD_TAG | (uint64_t)k);
	u->inflight[k] = 1;
	return 0;
}

static void uring_cqe(struct accel_sandbox_proc *p, struct uring_state *u,
		      struct accel_sandbox_result *res, int k, int32_t r)
{
	uint64_t now = accel_now_ns();

	u->inflight[k] = 0;
	switch (k) {
	case K_OUT0:
	case K_OUT1:
		if (r > 0)
			on_data(p, u->o, k - K_OUT0, (size_t)r);
		else if (r != -EINTR && r != -EAGAIN && r != -ECANCELED)
			p->eof[k - K_OUT0] = 1;
		break;
	case K_PIDFD:
		if (r > 0 && !p->exited)
			on_exit_(p, now);
		break;
	case K_LISTENER:
		if (r > 0 && (r & POLLIN) &&
		    accel__sbx_seccomp_handle(p->sb, p->listener, res, NULL,
					      NULL) == 0)
			break;
		if (r < 0 || (r & (POLLHUP | POLLERR)))
			close_fd(&p->listener);
		break;
	case K_STDIN:
		if (r > 0)
			feed_stdin(p);
		else
			close_fd(&p->in_fd);
		break;
	}
}

/* Cancels our in-flight SQEs and waits for their completions: the reads
 * point into buffers that are about to be freed. */
static int uring_quiesce(struct accel_sandbox_proc *p, struct uring_state *u,
			 struct accel_sandbox_result *res)
{
	struct io_uring_cqe *cqe;
	int pending = 0, busy, ret;

	for (int k = 0; k < K_N; k++) {
		struct io_uring_sqe *sqe;

		if (!u->inflight[k])
			continue;
		sqe = get_sqe(u->ring);
		if (!sqe)
			return -EBUSY;
		io_uring_prep_cancel64(sqe, UD_TAG | (uint64_t)k, 0);
		io_uring_sqe_set_data64(sqe, UD_TAG | K_N);
		pending++;
	}
	for (;;) {
		busy = pending;
		for (int k = 0; k < K_N; k++)
			busy |= u->inflight[k];
		if (!busy)
			return 0;
		ret = io_uring_submit_and_wait(u->ring, 1);
		if (ret < 0 && ret != -EINTR)
			return ret;
		while (io_uring_peek_cqe(u->ring, &cqe) == 0) {
			uint64_t ud = io_uring_cqe_get_data64(cqe);
			int32_t r = cqe->res;
			uint32_t fl = cqe->flags;

			io_uring_cqe_seen(u->ring, cqe);
			if ((ud & UD_MASK) != UD_TAG) {
				if (u->o->foreign_cqe)
					u->o->foreign_cqe(u->o->arg, ud, r, fl);
			} else if ((ud & 0xff) == K_N) {
				pending--;
			} else if ((ud & 0xff) < K_N) {
				/* Late data is still output: keep it. */
				uring_cqe(p, u, res, (int)(ud & 0xff), r);
			}
		}
	}
}

static int drive_uring(struct accel_sandbox_proc *p,
		       const struct accel_sandbox_drive_opts *o,
		       struct accel_sandbox_result *res)
{
	struct uring_state u = { .ring = o->ring, .o = o };
	struct io_uring_cqe *cqe;
	int ret = 0;

	for (;;) {
		uint64_t now = accel_now_ns(), wait_ms;

		wait_ms = on_tick(p, o, now);
		if (finished(p, now))
			break;
		for (int s = 0; s < 2 && !ret; s++)
			if (p->out_fd[s] >= 0 && !p->eof[s])
				ret = arm(p, &u, K_OUT0 + s, 0);
		if (!ret && !p->exited)
			ret = arm(p, &u, K_PIDFD, 0);
		if (!ret && p->listener >= 0)
			ret = arm(p, &u, K_LISTENER, 0);
		if (!ret && p->in_fd >= 0)
			ret = arm(p, &u, K_STDIN, 0);
		if (!ret)
			ret = arm(p, &u, K_TIMEOUT, wait_ms ? wait_ms : 1);
		if (ret)
			break;
		ret = io_uring_submit_and_wait(u.ring, 1);
		if (ret < 0 && ret != -EINTR && ret != -ETIME)
			break;
		ret = 0;
		while (io_uring_peek_cqe(u.ring, &cqe) == 0) {
			uint64_t ud = io_uring_cqe_get_data64(cqe);
			int32_t r = cqe->res;
			uint32_t fl = cqe->flags;

			io_uring_cqe_seen(u.ring, cqe);
			if ((ud & UD_MASK) != UD_TAG) {
				if (o->foreign_cqe)
					o->foreign_cqe(o->arg, ud, r, fl);
				continue;
			}
			if ((ud & 0xff) < K_N)
				uring_cqe(p, &u, res, (int)(ud & 0xff), r);
		}
	}
	if (ret) /* the ring failed: do not leave the tree behind */
		terminate(p, ACCEL_SANDBOX_R_CANCELLED, accel_now_ns(), 1);
	int qret = uring_quiesce(p, &u, res);
	return ret ? ret : qret;
}

/* --- public entry points --------------------------------------------------- */

int accel_sandbox_proc_drive(struct accel_sandbox_proc *p,
			     const struct accel_sandbox_drive_opts *opts,
			     struct accel_sandbox_result *res)
{
	int ret;

	memset(res, 0, sizeof(*res));
	if (opts && opts->ring && accel_sandbox_probe()->io_uring)
		ret = drive_uring(p, opts, res);
	else
		ret = drive_poll(p, opts, res);
	if (!p->exited) {
		/* Driver error: the tree must still go. */
		terminate(p, ACCEL_SANDBOX_R_CANCELLED, accel_now_ns(), 1);
		on_exit_(p, accel_now_ns());
	}
	fill_result(p, res);
	if (ret == 0 && p->outcome >= 0 && p->reaped) {
		uint32_t step;
		int err;

		/* Through a launcher: a step before the exec failed, and the
		 * child exited with 127. Reported as accel_sandbox_spawn()
		 * reports it on the direct path. */
		if (accel__sbx_zygote_failed(p->outcome, &step, &err)) {
			/* As from a failed spawn: no output to free. */
			accel_sandbox_result_free(res);
			memset(res->out, 0, sizeof(res->out));
			res->failed_step = step;
			res->failed_errno = err;
			res->exit_code = -1;
			ret = step_error(step, err);
		}
	}
	return ret;
}

void accel_sandbox_proc_kill(struct accel_sandbox_proc *p)
{
	atomic_store(&p->kill_req, 1);
}

void accel_sandbox_proc_destroy(struct accel_sandbox_proc *p)
{
	if (!p)
		return;
	if (!p->reaped) {
		kill_tree(p, SIGKILL);
		syscall(SYS_waitid, P_PIDFD, p->pidfd, &p->si, WEXITED, NULL);
		p->reaped = 1;
	}
	if (p->cg.version) {
		accel__sbx_cgroup_kill(&p->cg, SIGKILL);
		for (int i = 0; i < 100 && !accel__sbx_cgroup_empty(&p->cg);
		     i++)
			usleep(1000);
	}
	proc_free(p);
}

int accel_sandbox_run(const struct accel_sandbox *sb,
		      const struct accel_sandbox_exec *req,
		      const struct accel_sandbox_drive_opts *opts,
		      struct accel_sandbox_result *res)
{
	struct accel_sandbox_proc *p;
	int ret;

	ret = accel_sandbox_spawn(sb, req, &p, res);
	if (ret) {
		if (res)
			memset(res->out, 0, sizeof(res->out));
		return ret;
	}
	ret = accel_sandbox_proc_drive(p, opts, res);
	accel_sandbox_proc_destroy(p);
	return ret;
}

void accel_sandbox_result_free(struct accel_sandbox_result *res)
{
	for (int i = 0; i < 2; i++) {
		accel_free(res->out[i].data);
		res->out[i].data = NULL;
	}
}
