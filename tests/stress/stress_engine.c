/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "accel_err.h"
#include "client.h"

/*
 * A daemon engine under load from several client threads at once (one
 * session each) plus a churn of clients that vanish with requests in flight.
 * Every request must complete exactly once, every echo must return its
 * bytes, and the engine must shut down cleanly on SIGTERM (exit 0). Built
 * with ACCEL_TSAN the engine is instrumented and halts (exit 66) on a race.
 * ACCEL_STRESS_N scales the requests per thread (default 200,000).
 */

#define CLIENTS	 3
#define MAX_ECHO (200 << 10)

static char sock_path[108];
static atomic_int failures;

#define FAIL(...)                                               \
	do {                                                    \
		fprintf(stderr, "stress_engine: " __VA_ARGS__); \
		fputc('\n', stderr);                            \
		atomic_fetch_add(&failures, 1);                 \
	} while (0)

struct worker {
	unsigned seed;
	uint64_t n;
	uint64_t done;
};

static void *client_thread(void *arg)
{
	struct worker *w = arg;
	struct accel_client *c;
	uint8_t *seen, *in;
	uint64_t in_off, sent = 0, got = 0;

	if (accel_client_connect(sock_path, NULL, &c) < 0) {
		FAIL("connect failed");
		return NULL;
	}
	seen = calloc(w->n, 1);
	if (!seen ||
	    accel_client_alloc(c, MAX_ECHO, &in_off, (void **)&in) < 0) {
		FAIL("setup failed");
		return NULL;
	}
	/* The input pattern: byte k is k * 131 + 7 (mod 256). */
	for (uint32_t k = 0; k < MAX_ECHO; k++)
		in[k] = (uint8_t)(k * 131 + 7);
	while (got < w->n) {
		struct accel_cqe cqe[64];
		struct accel_sqe *q;
		int n;

		while (sent < w->n && (q = accel_client_sqe(c))) {
			unsigned r = (unsigned)rand_r(&w->seed);

			q->user_data = sent;
			switch (r % 16) {
			case 0: /* cancel something recent (or nothing) */
				q->op = ACCEL_OP_CANCEL;
				q->arg[0] = sent > 10 ? sent - 1 - r % 10 : 0;
				break;
			case 1:
				q->op = 3; /* stats */
				break;
			case 2:
			case 3:
			case 4:
				q->op = 2; /* echo: inline or on a worker */
				q->in_off = in_off;
				q->in_len = 1 + (r >> 4) % MAX_ECHO;
				break;
			default:
				q->op = 1; /* ping */
			}
			sent++;
		}
		if (accel_client_submit(c) < 0) {
			FAIL("engine died under load");
			break;
		}
		n = accel_client_reap(c, cqe, 64);
		if (n < 0) {
			FAIL("completion ring protocol error");
			break;
		}
		if (n == 0) {
			int ret = accel_client_wait(c, 30ll * 1000000000);

			if (ret != 1) {
				FAIL("waiting for completions: %s",
				     ret ? accel_strerror(ret) :
					   "none in 30 s");
				break;
			}
		}
		for (int i = 0; i < n; i++) {
			const uint8_t *out = accel_client_result(c, &cqe[i]);
			uint64_t ud = cqe[i].user_data;

			if (ud >= w->n || seen[ud]++) {
				FAIL("completion %llu twice or unknown",
				     (unsigned long long)ud);
				continue;
			}
			got++;
			if (cqe[i].res < 0 &&
			    cqe[i].res != -ACCEL_E_CANCELLED &&
			    cqe[i].res != -ACCEL_E_NOT_FOUND)
				FAIL("request %llu failed: %s",
				     (unsigned long long)ud,
				     accel_strerror(cqe[i].res));
			if (out && cqe[i].res > 0 && cqe[i].out_len > 1 &&
			    out[0] == 7 &&
			    out[cqe[i].out_len - 1] !=
				    (uint8_t)((cqe[i].out_len - 1) * 131 + 7))
				FAIL("echo %llu corrupted",
				     (unsigned long long)ud);
			if (cqe[i].flags & ACCEL_CQE_F_RESULT)
				accel_client_release(c, cqe[i].out_off);
		}
	}
	w->done = got;
	free(seen);
	accel_client_destroy(c);
	return NULL;
}

/* Clients that close with requests still queued and running. */
static void *churn_thread(void *arg)
{
	for (int round = 0; round < 60; round++) {
		struct accel_client *c;
		uint64_t off;
		void *p;

		if (accel_client_connect(sock_path, NULL, &c) < 0) {
			FAIL("churn connect failed");
			return NULL;
		}
		if (accel_client_alloc(c, MAX_ECHO, &off, &p) == 0) {
			struct accel_sqe *q;

			while ((q = accel_client_sqe(c))) {
				q->op = 2;
				q->in_off = off;
				q->in_len = MAX_ECHO;
			}
			accel_client_submit(c);
		}
		accel_client_destroy(c);
	}
	return arg;
}

int main(void)
{
	const char *e = getenv("ACCEL_STRESS_N");
	struct worker w[CLIENTS];
	pthread_t t[CLIENTS + 1];
	int status, passed = 0;
	pid_t pid;

	snprintf(sock_path, sizeof(sock_path), "/tmp/accel-stress-%d.sock",
		 (int)getpid());
	pid = fork();
	if (pid == 0) {
		execl(ACCEL_ENGINE_BIN, ACCEL_ENGINE_BIN, "--socket", sock_path,
		      "--workers", "2", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 1000 && access(sock_path, F_OK); i++)
		usleep(10000);
	for (int i = 0; i < CLIENTS; i++) {
		w[i].seed = 17 + (unsigned)i;
		w[i].n = e ? strtoull(e, NULL, 10) / 10 : 200000;
		w[i].done = 0;
		pthread_create(&t[i], NULL, client_thread, &w[i]);
	}
	pthread_create(&t[CLIENTS], NULL, churn_thread, NULL);
	for (int i = 0; i <= CLIENTS; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < CLIENTS; i++) {
		if (w[i].done == w[i].n)
			passed++;
		else
			FAIL("client %d: %llu of %llu completions", i,
			     (unsigned long long)w[i].done,
			     (unsigned long long)w[i].n);
	}
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		passed++;
	else
		FAIL("engine did not shut down cleanly (status %d)", status);
	unlink(sock_path);
	/* Any failure logged above fails the run even if every count held. */
	if (atomic_load(&failures) && passed == CLIENTS + 1)
		passed--;
	printf("%d passed, %d failed\n", passed, CLIENTS + 1 - passed);
	return passed == CLIENTS + 1 ? 0 : 1;
}
