/* SPDX-License-Identifier: MIT */
#ifndef ACCEL_TEST_PROC_PROBE_H
#define ACCEL_TEST_PROC_PROBE_H

/*
 * What /proc says about a process, for tests that check which processes
 * exist after an exec, a kill or a teardown. pid 0 means this process.
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

/* The children of every thread of pid, zombies included; returns how many
 * were stored in out. */
static inline int proc_children(pid_t pid, pid_t *out, int max)
{
	char path[300];
	struct dirent *e;
	DIR *d;
	int n = 0;

	if (!pid)
		pid = getpid();
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	while (d && (e = readdir(d))) {
		FILE *f;
		int k;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/children",
			 (int)pid, e->d_name);
		f = fopen(path, "r");
		while (f && n < max && fscanf(f, "%d", &k) == 1)
			out[n++] = k;
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	return n;
}

/* True while pid exists and is not a zombie. */
static inline int proc_running(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] != 'Z';
}

/* Open fds of pid. */
static inline int proc_fd_count(pid_t pid)
{
	char path[64];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	while (d && (e = readdir(d)))
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

#endif
