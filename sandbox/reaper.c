/* SPDX-License-Identifier: MIT */
/*
 * Deferred mount-namespace teardown, on a few background threads. When the last process of a mount
 * namespace exits, the kernel unmounts its tree and waits for an RCU grace
 * period before the exit completes; on the test VM that wait was the largest
 * single cost of a sandboxed exec (0.7 ms and more under load) and it sits
 * between the command's exit and the engine seeing it. The engine therefore
 * holds a reference to each exec's mount namespace (an nsfs fd) and drops it
 * on a background thread, after the result has been returned.
 *
 * Bounded: with more than MAX_PENDING references queued, the caller closes
 * its own (paying the wait) instead of queueing more.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "sandbox_int.h"

#define MAX_PENDING 64
/* Teardowns mostly wait for a grace period; waiters running at once share
 * one, so a few threads drain the queue several times faster than one. */
#define N_THREADS		 4
#define PIDFD_GET_MNT_NAMESPACE_ _IO(0xFF, 3) /* Linux 6.11 */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pid_t owner;	  /* the process the threads run in (fork resets it) */
static int queue_fd = -1; /* write end of the threads' pipe */
static atomic_int pending;

static void *reaper_main(void *arg)
{
	int rfd = (int)(intptr_t)arg, fd;

	/* The read end is shared by all reaper threads and never closed: a
	 * 4-byte read from a pipe is atomic, so each fd goes to one. */
	for (;;) {
		ssize_t n = read(rfd, &fd, sizeof(fd));

		if (n == sizeof(fd)) {
			close(fd);
			atomic_fetch_sub(&pending, 1);
		} else if (n == 0 || (n < 0 && errno != EINTR)) {
			break;
		}
	}
	return NULL;
}

/* Returns the queue's write end, starting the thread on first use. */
static int queue(void)
{
	pthread_attr_t attr;
	pthread_t t;
	sigset_t all, old;
	int fds[2], ret = -1, started = 0;

	pthread_mutex_lock(&lock);
	if (owner == getpid() && queue_fd >= 0) {
		ret = queue_fd;
		goto out;
	}
	/* After fork the thread is gone: start over (the old pipe end is
	 * shared with the parent; leave it). */
	queue_fd = -1;
	atomic_store(&pending, 0);
	if (pipe2(fds, O_CLOEXEC) < 0)
		goto out;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	/* The thread takes no signals meant for the engine's threads. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (int i = 0; i < N_THREADS; i++)
		started += pthread_create(&t, &attr, reaper_main,
					  (void *)(intptr_t)fds[0]) == 0;
	if (!started) {
		close(fds[0]);
		close(fds[1]);
	} else {
		queue_fd = fds[1];
		owner = getpid();
		ret = queue_fd;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
out:
	pthread_mutex_unlock(&lock);
	return ret;
}

int accel__sbx_hold_mntns(int pidfd, pid_t pid)
{
	char path[64];
	int fd = ioctl(pidfd, PIDFD_GET_MNT_NAMESPACE_, 0);

	if (fd < 0 && (errno == ENOTTY || errno == EINVAL)) {
		snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd >= 0)
		fcntl(fd, F_SETFD, FD_CLOEXEC);
	/* A command that already exited took its namespace with it. */
	return fd < 0 ? -1 : fd;
}

void accel__sbx_release_mntns(int fd)
{
	int q;

	if (fd < 0)
		return;
	if (atomic_fetch_add(&pending, 1) >= MAX_PENDING)
		goto sync;
	q = queue();
	if (q >= 0 && write(q, &fd, sizeof(fd)) == sizeof(fd))
		return;
sync:
	atomic_fetch_sub(&pending, 1);
	close(fd);
}
