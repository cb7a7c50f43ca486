/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "accel_alloc.h"
#include "accel_compiler.h"
#include "accel_err.h"
#include "accel_time.h"
#include "client.h"
#include "ring.h"

#ifndef ACCEL_ENGINE_DEFAULT_PATH
#define ACCEL_ENGINE_DEFAULT_PATH "agent-acceld"
#endif

extern char **environ;

struct accel_client {
	int sock;
	int evfd;
	pid_t child;
	int dead;
	int proto_err; /* sticky: the engine broke the protocol */
	void *base;
	struct accel_shm_layout l;
	struct accel_arena *req; /* our request blocks */
	struct accel_ring sq, rq;
	struct accel_ring *cq; /* l.cq_count views */
	uint32_t cq_next;      /* round-robin start of the next reap */
	struct accel_bell *engine_bell, *client_bell;
	struct accel_spin spin; /* before a wait sleeps (adapts) */
	/* Releases that did not fit in the release ring yet. */
	uint64_t *pend;
	size_t npend, cap_pend;
};

static int handshake(struct accel_client *c, const struct accel_client_opts *o)
{
	struct accel_hello h;
	struct accel_welcome w;
	struct timeval tv;
	uint32_t ms = o->handshake_timeout_ms ? o->handshake_timeout_ms : 10000;
	int memfd = -1, ret;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	setsockopt(c->sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));

	memset(&h, 0, sizeof(h));
	h.magic = ACCEL_HELLO_MAGIC;
	h.version_major = ACCEL_PROTO_MAJOR;
	h.version_minor = ACCEL_PROTO_MINOR;
	h.flags = c->evfd >= 0 ? ACCEL_HELLO_F_EVENTFD : 0;
	h.sq_entries = o->sq_entries;
	h.req_size = o->req_size;
	h.res_size = o->res_size;
	ret = accel_sock_send(c->sock, &h, sizeof(h), c->evfd);
	/*
	 * An engine that refuses us (wrong uid, busy) answers and closes at
	 * once, which can fail our send: its welcome still says why.
	 */
	if (accel_sock_recv(c->sock, &w, sizeof(w), &memfd) < 0)
		return ret < 0 ? ret : -ACCEL_E_HANDSHAKE;
	if (w.magic != ACCEL_WELCOME_MAGIC) {
		ret = -ACCEL_E_BAD_MAGIC;
		goto out;
	}
	if (w.status < 0) {
		ret = w.status;
		goto out;
	}
	if (w.version_major != ACCEL_PROTO_MAJOR) {
		ret = -ACCEL_E_VERSION;
		goto out;
	}
	if (memfd < 0) {
		ret = -ACCEL_E_HANDSHAKE;
		goto out;
	}
	ret = accel_shm_map(memfd, &c->l, &c->base);
out:
	if (memfd >= 0)
		close(memfd);
	/* After the handshake the socket only carries EOF: no timeout. */
	tv.tv_sec = 0;
	tv.tv_usec = 0;
	setsockopt(c->sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return ret;
}

static int setup_views(struct accel_client *c)
{
	uint8_t *b = c->base;
	int ret;

	ret = accel_arena_create(c->l.req_off, c->l.req_size, c->l.block_min,
				 &c->req);
	if (ret < 0)
		return ret;
	c->cq = accel_calloc(c->l.cq_count, sizeof(*c->cq));
	if (!c->cq)
		return -ENOMEM;
	accel_ring_init(&c->sq, b + c->l.sq_off, c->l.sq_entries,
			sizeof(struct accel_sqe), 1);
	accel_ring_init(&c->rq, b + c->l.rq_off, c->l.rq_entries,
			sizeof(uint64_t), 1);
	for (uint32_t i = 0; i < c->l.cq_count; i++)
		accel_ring_init(&c->cq[i], b + c->l.cq_off + i * c->l.cq_stride,
				c->l.cq_entries, sizeof(struct accel_cqe), 0);
	c->engine_bell =
		(struct accel_bell *)(b + c->l.bell_off) + ACCEL_BELL_ENGINE;
	c->client_bell =
		(struct accel_bell *)(b + c->l.bell_off) + ACCEL_BELL_CLIENT;
	return 0;
}

int accel_client_attach(int sock, pid_t child,
			const struct accel_client_opts *o,
			struct accel_client **out)
{
	static const struct accel_client_opts defaults;
	struct accel_client *c;
	int ret;

	if (!o)
		o = &defaults;
	c = accel_calloc(1, sizeof(*c));
	if (!c) {
		close(sock);
		return -ENOMEM;
	}
	c->sock = sock;
	c->child = child;
	c->evfd = -1;
	accel_spin_init(&c->spin, o->spin_ns ? o->spin_ns : 50000);
	if (o->flags & ACCEL_CLIENT_F_EVENTFD) {
		c->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (c->evfd < 0) {
			ret = -errno;
			goto err;
		}
	}
	ret = handshake(c, o);
	if (ret < 0)
		goto err;
	ret = setup_views(c);
	if (ret < 0)
		goto err;
	*out = c;
	return 0;
err:
	accel_client_destroy(c);
	return ret;
}

int accel_client_spawn(const struct accel_client_opts *o,
		       struct accel_client **out)
{
	static const struct accel_client_opts defaults;
	posix_spawn_file_actions_t fa;
	char workers[16], spin[16];
	const char *path;
	char *argv[10];
	int sv[2], argc = 0, ret;
	pid_t pid;

	if (!o)
		o = &defaults;
	path = o->engine_path ? o->engine_path : getenv("ACCEL_ENGINE");
	if (!path)
		path = ACCEL_ENGINE_DEFAULT_PATH;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;

	argv[argc++] = (char *)path;
	argv[argc++] = "--fd";
	argv[argc++] = "3";
	if (o->workers) {
		snprintf(workers, sizeof(workers), "%u", o->workers);
		argv[argc++] = "--workers";
		argv[argc++] = workers;
	}
	if (o->engine_spin_us) {
		snprintf(spin, sizeof(spin), "%u", o->engine_spin_us);
		argv[argc++] = "--spin-us";
		argv[argc++] = spin;
	}
	argv[argc] = NULL;

	/* dup2 clears close-on-exec on the engine's end, fd 3. */
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, sv[1], 3);
	ret = posix_spawn(&pid, path, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(sv[1]);
	if (ret) {
		close(sv[0]);
		return -ret;
	}
	return accel_client_attach(sv[0], pid, o, out);
}

int accel_client_connect(const char *path, const struct accel_client_opts *o,
			 struct accel_client **out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s, ret;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		ret = -errno;
		close(s);
		return ret;
	}
	return accel_client_attach(s, 0, o, out);
}

static void reap_child(pid_t pid)
{
	uint64_t deadline = accel_now_ns() + 2000000000ull;
	struct timespec ts = { 0, 1000000 };

	while (waitpid(pid, NULL, WNOHANG) == 0) {
		if (accel_now_ns() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			return;
		}
		nanosleep(&ts, NULL);
	}
}

void accel_client_shutdown(struct accel_client *c)
{
	if (c->sock >= 0)
		close(c->sock);
	c->sock = -1;
	c->dead = 1;
	if (c->child > 0)
		reap_child(c->child);
	c->child = 0;
}

void accel_client_destroy(struct accel_client *c)
{
	if (!c)
		return;
	accel_client_shutdown(c);
	if (c->evfd >= 0)
		close(c->evfd);
	accel_shm_unmap(c->base, &c->l);
	accel_arena_destroy(c->req);
	accel_free(c->cq);
	accel_free(c->pend);
	accel_free(c);
}

int accel_client_alloc(struct accel_client *c, uint64_t len, uint64_t *off,
		       void **ptr)
{
	int ret = accel_arena_alloc(c->req, len, off);

	if (ret < 0)
		return ret;
	*ptr = (uint8_t *)c->base + *off;
	return 0;
}

int accel_client_trim(struct accel_client *c, uint64_t off, uint64_t len)
{
	return accel_arena_trim(c->req, off, len);
}

void accel_client_free(struct accel_client *c, uint64_t off)
{
	accel_arena_free(c->req, off);
}

struct accel_sqe *accel_client_sqe(struct accel_client *c)
{
	struct accel_sqe *sqe;
	int64_t space = accel_ring_space(&c->sq);

	if (space <= 0) {
		if (space < 0)
			c->proto_err = (int)space;
		return NULL;
	}
	sqe = accel_ring_next_slot(&c->sq);
	memset(sqe, 0, sizeof(*sqe));
	return sqe;
}

/* Posts releases that did not fit earlier. Returns how many were posted. */
static unsigned flush_releases(struct accel_client *c)
{
	unsigned n = 0;

	while (c->npend && accel_ring_space(&c->rq) > 0) {
		*(uint64_t *)accel_ring_next_slot(&c->rq) = c->pend[--c->npend];
		n++;
	}
	return n;
}

int accel_client_submit(struct accel_client *c)
{
	uint32_t n = c->sq.local - accel_load_relaxed(&c->sq.hdr->tail);

	if (c->dead)
		return c->sock < 0 ? -ACCEL_E_CLOSED : -ACCEL_E_ENGINE_DIED;
	/* Kept-back releases go too, with their own wake-up: the engine may
	 * be asleep waiting for exactly that space. */
	if (c->npend)
		accel_client_flush_releases(c);
	if (n) {
		accel_ring_publish(&c->sq);
		accel_bell_notify(c->engine_bell, -1);
	}
	return (int)n;
}

int accel_client_ready(struct accel_client *c)
{
	for (uint32_t i = 0; i < c->l.cq_count; i++)
		if (accel_ring_avail(&c->cq[i]) != 0)
			return 1;
	return 0;
}

int accel_client_reap(struct accel_client *c, struct accel_cqe *cqes,
		      unsigned max)
{
	unsigned got = 0;

	/* Kept-back releases go out whenever the client comes by. */
	if (c->npend)
		accel_client_flush_releases(c);

	for (uint32_t k = 0; k < c->l.cq_count && got < max; k++) {
		struct accel_ring *r = &c->cq[(c->cq_next + k) % c->l.cq_count];
		int64_t avail = accel_ring_avail(r);

		if (avail < 0) {
			c->proto_err = (int)avail;
			return (int)avail;
		}
		if (!avail)
			continue;
		while (avail-- > 0 && got < max)
			memcpy(&cqes[got++], accel_ring_next_entry(r),
			       sizeof(*cqes));
		accel_ring_consumed(r);
	}
	c->cq_next++;
	return (int)got;
}

static int ready_cb(void *arg)
{
	struct accel_client *c = arg;

	/*
	 * The engine may be waiting for result space that kept-back releases
	 * would give it: post them while we wait.
	 */
	if (c->npend)
		accel_client_flush_releases(c);
	return accel_client_ready(c) || c->dead;
}

/*
 * The spin before a wait sleeps adapts (accel_bell_spin()) as the bridge's
 * event-loop window does (docs/node.md, Tuning). When the engine's thread
 * and this one share a core, spinning only delays the answer; when the op
 * is long, it only burns the CPU.
 */
int accel_client_wait(struct accel_client *c, int64_t timeout_ns)
{
	const int64_t slice = 50000000; /* liveness check interval */
	uint64_t start = accel_now_ns();
	int ret;

	ret = accel_bell_spin(c->client_bell, ready_cb, c, &c->spin,
			      timeout_ns);
	if (ret == 1)
		return c->dead && !accel_client_ready(c) ?
			       -ACCEL_E_ENGINE_DIED :
			       1;
	for (;;) {
		int64_t left = slice;

		if (timeout_ns >= 0) {
			int64_t rest =
				timeout_ns - (int64_t)(accel_now_ns() - start);

			if (rest <= 0)
				return accel_client_ready(c);
			left = ACCEL_MIN(left, rest);
		}
		ret = accel_bell_wait(c->client_bell, ready_cb, c, 0, left);
		if (ret == 1)
			accel_spin_woke(&c->spin);
		if (ret == 1)
			return c->dead && !accel_client_ready(c) ?
				       -ACCEL_E_ENGINE_DIED :
				       1;
		if (!accel_client_alive(c))
			return accel_client_ready(c) ? 1 : -ACCEL_E_ENGINE_DIED;
	}
}

uint64_t accel_client_spin_ns(const struct accel_client *c)
{
	return c->spin.eff_ns;
}

const void *accel_client_result(struct accel_client *c,
				const struct accel_cqe *cqe)
{
	if (!(cqe->flags & ACCEL_CQE_F_RESULT))
		return NULL;
	if (!accel_range_ok(cqe->out_off, cqe->out_len, c->l.res_off,
			    c->l.res_size))
		return NULL;
	return (const uint8_t *)c->base + cqe->out_off;
}

size_t accel_client_flush_releases(struct accel_client *c)
{
	if (c->sock < 0)
		return 0;
	if (c->npend && flush_releases(c)) {
		accel_ring_publish(&c->rq);
		accel_bell_notify(c->engine_bell, -1);
	}
	return c->npend;
}

int accel_client_status(const struct accel_client *c)
{
	if (c->proto_err)
		return c->proto_err;
	if (c->sock < 0)
		return -ACCEL_E_CLOSED;
	return c->dead ? -ACCEL_E_ENGINE_DIED : 0;
}

int accel_client_release(struct accel_client *c, uint64_t out_off)
{
	if (c->sock < 0)
		return 0; /* session over: the engine freed everything */
	if (c->npend == 0 && accel_ring_space(&c->rq) > 0) {
		*(uint64_t *)accel_ring_next_slot(&c->rq) = out_off;
		accel_ring_publish(&c->rq);
		accel_bell_notify(c->engine_bell, -1);
		return 0;
	}
	if (c->npend == c->cap_pend) {
		size_t cap = c->cap_pend ? c->cap_pend * 2 : 256;
		uint64_t *p = accel_realloc(c->pend, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		c->pend = p;
		c->cap_pend = cap;
	}
	c->pend[c->npend++] = out_off;
	accel_client_flush_releases(c);
	return 0;
}

int accel_client_eventfd(const struct accel_client *c)
{
	return c->evfd;
}

void accel_client_arm(struct accel_client *c, int on)
{
	accel_bell_arm(c->client_bell, on);
}

void accel_client_drain_eventfd(struct accel_client *c)
{
	uint64_t v;

	if (c->evfd >= 0)
		while (read(c->evfd, &v, sizeof(v)) == sizeof(v))
			;
	accel_bell_rearm(c->client_bell);
}

int accel_client_sockfd(const struct accel_client *c)
{
	return c->sock;
}

int accel_client_alive(struct accel_client *c)
{
	struct pollfd p = { .fd = c->sock, .events = POLLIN | POLLRDHUP };
	char b;

	if (c->dead || c->sock < 0)
		return 0;
	if (poll(&p, 1, 0) <= 0)
		return 1;
	/* The engine never sends after the welcome: readable means EOF. */
	if ((p.revents & (POLLHUP | POLLRDHUP | POLLERR)) ||
	    recv(c->sock, &b, 1, MSG_DONTWAIT | MSG_PEEK) <= 0)
		c->dead = 1;
	return !c->dead;
}

void *accel_client_base(const struct accel_client *c)
{
	return c->base;
}

const struct accel_shm_layout *accel_client_layout(const struct accel_client *c)
{
	return &c->l;
}

pid_t accel_client_engine_pid(const struct accel_client *c)
{
	return (pid_t)((const struct accel_shm_hdr *)c->base)->engine_pid;
}
