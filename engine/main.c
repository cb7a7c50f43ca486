/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <liburing.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "accel_err.h"
#include "accel_time.h"
#include "engine_int.h"

/*
 * agent-acceld: the engine process. The main thread owns the epoll set that
 * watches the listening socket (daemon mode), every session socket (EOF:
 * the client is gone), a signalfd (SIGTERM/SIGINT: clean shutdown) and an
 * eventfd by which sessions say they ended. Each session has its own poller
 * thread; the worker pool is shared.
 */

#define EV_SIGNAL UINT64_MAX
#define EV_LISTEN (UINT64_MAX - 1)
#define EV_WAKE	  (UINT64_MAX - 2)

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: agent-acceld (--fd N | --socket PATH) [options]\n"
		"\n"
		"The agent-accel engine. Clients map one shared-memory session "
		"each and\nsubmit requests through lock-free rings.\n"
		"\n"
		"Modes:\n"
		"  --fd N            private engine for one client: N is a "
		"connected Unix\n"
		"                    socket (a socketpair end); exits when the "
		"client goes\n"
		"  --socket PATH     daemon: listen on PATH (mode 0600), serve "
		"clients of\n"
		"                    the same uid, each with its own mapping\n"
		"\n"
		"Options:\n"
		"  --workers N       worker threads (default: one per core)\n"
		"  --spin-us N       poller spin before sleeping, microseconds "
		"(default 50)\n"
		"  --max-sessions N  daemon: most clients at once (default "
		"4096)\n"
		"  --max-arena-mb N  largest arena a client may ask for "
		"(default 1024)\n"
		"  --space-wait-ms N how long a worker waits for result space "
		"(default 2000)\n"
		"  -v, --verbose     log sessions\n"
		"  -h, --help        this text\n"
		"  --version         protocol and build version\n"
		"\n"
		"SIGTERM or SIGINT shut the engine down cleanly: sessions are "
		"cancelled\nand freed, the socket is removed.\n");
}

static void probe_uring(struct accel_engine *e)
{
	static const struct {
		int op;
		const char *name;
	} want[] = {
		{ IORING_OP_READ, "read" },
		{ IORING_OP_WRITE, "write" },
		{ IORING_OP_POLL_ADD, "poll" },
		{ IORING_OP_TIMEOUT, "timeout" },
		{ IORING_OP_ASYNC_CANCEL, "cancel" },
		{ IORING_OP_SPLICE, "splice" },
		{ IORING_OP_OPENAT, "openat" },
		{ IORING_OP_STATX, "statx" },
		{ IORING_OP_FSYNC, "fsync" },
	};
	struct io_uring_probe *p = io_uring_get_probe();
	size_t len = 0;

	if (!p) {
		snprintf(e->uring_info, sizeof(e->uring_info), "unavailable");
		accel__log("io_uring probe failed: workers use blocking calls");
		return;
	}
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		if (!io_uring_opcode_supported(p, want[i].op))
			continue;
		len += (size_t)snprintf(e->uring_info + len,
					sizeof(e->uring_info) - len, "%s%s",
					len ? "," : "", want[i].name);
	}
	io_uring_free_probe(p);
	accel__debug("io_uring opcodes: %s", e->uring_info);
}

static int listen_on(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char tmp[sizeof(sa.sun_path)];
	mode_t old;
	int s, ret;

	if (strlen(path) >= sizeof(sa.sun_path) ||
	    snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid()) >=
		    (int)sizeof(tmp))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0)
		return -errno;
	/* A stale socket from a dead engine is replaced; a live one is not. */
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(s);
		return -EADDRINUSE;
	}
	/*
	 * Bind and listen under a temporary name, then rename: the path
	 * appears only once it accepts connections, so a client that starts
	 * the daemon and waits for the path never connects too early.
	 */
	strcpy(sa.sun_path, tmp);
	unlink(tmp);
	old = umask(0177);
	ret = bind(s, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (ret < 0 || chmod(tmp, 0600) < 0 || listen(s, 128) < 0 ||
	    rename(tmp, path) < 0) {
		ret = -errno;
		unlink(tmp);
		close(s);
		return ret;
	}
	return s;
}

static void accept_clients(struct accel_engine *e, int lfd)
{
	for (;;) {
		struct ucred cred;
		socklen_t len = sizeof(cred);
		int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (c < 0)
			return;
		if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
		    cred.uid != geteuid()) {
			struct accel_welcome w = {
				.magic = ACCEL_WELCOME_MAGIC,
				.version_major = ACCEL_PROTO_MAJOR,
				.version_minor = ACCEL_PROTO_MINOR,
				.status = -ACCEL_E_PEER_CRED,
			};

			snprintf(w.message, sizeof(w.message),
				 "engine serves uid %u only", geteuid());
			accel__log("refused a client of uid %u",
				   (unsigned)cred.uid);
			accel_sock_send(c, &w, sizeof(w), -1);
			close(c);
			continue;
		}
		accel__session_start(e, c);
	}
}

/* The main thread's EOF watch: finds the session by id, under the lock. */
static void session_gone(struct accel_engine *e, uint64_t id)
{
	pthread_mutex_lock(&e->lock);
	for (struct accel_session *s = e->sessions; s; s = s->next) {
		if (s->id == id) {
			accel__session_kill(s, NULL);
			break;
		}
	}
	pthread_mutex_unlock(&e->lock);
}

static void kill_all(struct accel_engine *e)
{
	pthread_mutex_lock(&e->lock);
	for (struct accel_session *s = e->sessions; s; s = s->next)
		accel__session_kill(s, NULL);
	pthread_mutex_unlock(&e->lock);
}

static int add_fd(int epfd, int fd, uint64_t data)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = data };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

int main(int argc, char **argv)
{
	int wakefd;
	static const struct option longopts[] = {
		{ "fd", required_argument, NULL, 'f' },
		{ "socket", required_argument, NULL, 's' },
		{ "workers", required_argument, NULL, 'w' },
		{ "spin-us", required_argument, NULL, 'p' },
		{ "max-sessions", required_argument, NULL, 'm' },
		{ "max-arena-mb", required_argument, NULL, 'a' },
		{ "space-wait-ms", required_argument, NULL, 'W' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	struct accel_engine e = { 0 };
	const char *sock_path = NULL;
	int fd = -1, lfd = -1, sfd, opt, ret, had_session = 0;
	sigset_t mask, blocked;
	long n;

	e.o.workers = 0;
	e.o.spin_ns = 50000;
	e.o.max_sessions = 4096;
	e.o.max_arena = ACCEL_SHM_MAX_ARENA;
	e.o.space_wait_ns = 2000000000ull;
	while ((opt = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		char *end = NULL;

		n = -1;
		if (optarg) {
			errno = 0;
			n = strtol(optarg, &end, 10);
			if (opt != 's' && (errno || *end || n < 0)) {
				fprintf(stderr,
					"agent-acceld: bad number '%s'\n",
					optarg);
				return 2;
			}
		}
		switch (opt) {
		case 'f':
			fd = (int)n;
			break;
		case 's':
			sock_path = optarg;
			break;
		case 'w':
			e.o.workers = (uint32_t)n;
			break;
		case 'p':
			e.o.spin_ns = (uint64_t)n * 1000;
			break;
		case 'm':
			e.o.max_sessions = (uint32_t)n;
			break;
		case 'a':
			e.o.max_arena = (uint64_t)n << 20;
			break;
		case 'W':
			e.o.space_wait_ns = (uint64_t)n * 1000000;
			break;
		case 'v':
			accel__log_verbose(1);
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("agent-acceld protocol %u.%u\n",
			       ACCEL_PROTO_MAJOR, ACCEL_PROTO_MINOR);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if ((fd < 0) == !sock_path) {
		usage(stderr);
		return 2;
	}
	if (!e.o.workers) {
		n = sysconf(_SC_NPROCESSORS_ONLN);
		e.o.workers = n > 0 ? (uint32_t)n : 1;
	}
	if (e.o.workers > ACCEL_SHM_MAX_CQS - 1)
		e.o.workers = ACCEL_SHM_MAX_CQS - 1;
	e.o.verbose = accel__log_verbose(-1);
	e.t_start = accel_now_ns();
	pthread_mutex_init(&e.lock, NULL);
	pthread_cond_init(&e.sessions_cond, NULL);

	/* Signals arrive through the signalfd; every thread blocks them. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	/*
	 * SIGCHLD is blocked too, and read by nobody: commands are reaped
	 * through their pidfds. Their parents are threads that block every
	 * signal, so the kernel does not drop an exit's SIGCHLD as ignored
	 * but queues it for the process, and it woke this thread to discard
	 * it: a wake-up at every command's exit, just as the worker that
	 * reaps it needs the CPU. Blocked by every thread, it stays pending.
	 */
	blocked = mask;
	sigaddset(&blocked, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &blocked, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	accel__engine_set_wakefd(wakefd);
	e.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (sfd < 0 || wakefd < 0 || e.epfd < 0) {
		accel__log("startup: %s", strerror(errno));
		return 1;
	}
	add_fd(e.epfd, sfd, EV_SIGNAL);
	add_fd(e.epfd, wakefd, EV_WAKE);

	probe_uring(&e);
	ret = accel__pool_create(&e, e.o.workers, &e.pool);
	if (ret < 0) {
		accel__log("worker pool: %s", accel_strerror(ret));
		return 1;
	}
	e.nworkers = e.o.workers;

	if (fd >= 0) {
		/* Private engine: die with the parent even if the fd leaks. */
		e.private_mode = 1;
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
			accel__log("--fd %d: %s", fd, strerror(errno));
			return 2;
		}
		ret = accel__session_start(&e, fd);
		if (ret < 0) {
			accel__log("session: %s", accel_strerror(ret));
			return 1;
		}
		had_session = 1;
	} else {
		lfd = listen_on(sock_path);
		if (lfd < 0) {
			accel__log("listen on %s: %s", sock_path,
				   accel_strerror(lfd));
			return 1;
		}
		add_fd(e.epfd, lfd, EV_LISTEN);
		accel__log("listening on %s (%u workers)", sock_path,
			   e.nworkers);
	}

	for (;;) {
		struct epoll_event evs[64];
		int nev = epoll_wait(e.epfd, evs, 64, -1);

		if (nev < 0 && errno != EINTR)
			break;
		for (int i = 0; i < nev; i++) {
			uint64_t d = evs[i].data.u64;

			if (d == EV_SIGNAL) {
				struct signalfd_siginfo si;

				if (read(sfd, &si, sizeof(si)) > 0)
					accel__debug("signal %u: shutting down",
						     si.ssi_signo);
				atomic_store(&e.shutting_down, 1);
			} else if (d == EV_LISTEN) {
				accept_clients(&e, lfd);
			} else if (d == EV_WAKE) {
				uint64_t v;

				if (read(wakefd, &v, sizeof(v)) < 0)
					accel__debug("wake read failed");
			} else {
				/* The client closed or died. */
				epoll_ctl(e.epfd, EPOLL_CTL_DEL, -1, NULL);
				session_gone(&e, d);
			}
		}
		if (atomic_load(&e.shutting_down))
			break;
		if (e.private_mode && had_session) {
			pthread_mutex_lock(&e.lock);
			n = e.nsessions;
			pthread_mutex_unlock(&e.lock);
			if (n == 0)
				break;
		}
	}

	/* Clean shutdown: no new clients, cancel and free every session. */
	if (lfd >= 0) {
		close(lfd);
		unlink(sock_path);
	}
	kill_all(&e);
	pthread_mutex_lock(&e.lock);
	while (e.nsessions) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 5;
		if (pthread_cond_timedwait(&e.sessions_cond, &e.lock, &ts)) {
			accel__log("%u sessions did not end in 5 s",
				   e.nsessions);
			break;
		}
	}
	pthread_mutex_unlock(&e.lock);
	accel__pool_destroy(e.pool);
	accel__debug("engine stopped");
	return 0;
}
