/* SPDX-License-Identifier: MIT */
/*
 * A Unix-socket echo server: the "write a small C daemon and talk to it
 * over a socket" path that a Node user would pick instead of agent-accel.
 * The round-trip harness measures request/response over it from Node
 * (bench/peers/unix_socket.mjs) and from C (rt_bench --echo-socket).
 *
 * Every byte a client sends comes straight back: the request/response
 * framing is the client's business (it sends n bytes and reads until n came
 * back). One thread per connection with blocking I/O, which is the cheapest
 * shape for one-at-a-time round trips: no epoll hop between read and write.
 *
 *	echo_server --socket PATH
 *
 * prints "ready" on stdout once it listens, and exits on SIGTERM/SIGINT or
 * when its parent goes away, removing the socket file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define BUF_SIZE (256 * 1024)

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static void *serve(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char *buf = malloc(BUF_SIZE);

	while (buf) {
		ssize_t r = read(fd, buf, BUF_SIZE);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || write_all(fd, buf, (size_t)r) < 0)
			break;
	}
	free(buf);
	close(fd);
	return NULL;
}

static int listen_on(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "echo_server: socket path too long\n");
		return -1;
	}
	strcpy(sa.sun_path, path);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	unlink(path);
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(s, 64) < 0) {
		perror("echo_server: bind/listen");
		close(s);
		return -1;
	}
	return s;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	const char *path = NULL;
	pthread_attr_t attr;
	pid_t parent = getppid();
	int ls;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--socket") && i + 1 < argc) {
			path = argv[++i];
		} else {
			fprintf(stderr,
				"usage: echo_server --socket PATH\n"
				"Echoes every byte back on each connection.\n");
			return strcmp(argv[i], "--help") ? 2 : 0;
		}
	}
	if (!path) {
		fprintf(stderr, "echo_server: --socket PATH is required\n");
		return 2;
	}
	/* No SA_RESTART: a signal must interrupt poll() so that we exit. */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	ls = listen_on(path);
	if (ls < 0)
		return 1;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	printf("ready\n");
	fflush(stdout);

	while (!stop) {
		struct pollfd p = { .fd = ls, .events = POLLIN };
		pthread_t t;
		int fd;

		/* Wake up now and then to notice that our parent is gone. */
		if (poll(&p, 1, 200) <= 0) {
			if (getppid() != parent)
				break;
			continue;
		}
		fd = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		if (pthread_create(&t, &attr, serve, (void *)(intptr_t)fd))
			close(fd);
	}
	close(ls);
	unlink(path);
	return 0;
}
