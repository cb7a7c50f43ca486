/* SPDX-License-Identifier: MIT */
#ifndef ACCEL_SBX_TEST_H
#define ACCEL_SBX_TEST_H

/*
 * Helpers shared by the sandbox tests. Criterion forks each test, so a test
 * may drop privileges, plant files and change its environment freely; the
 * feature probe runs inside each test process (after any drop), so it sees
 * the credentials the test runs with.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "accel_compiler.h"
#include "accel_err.h"
#include "sandbox.h"

#define NOBODY 65534

/* Temp tree: <root>/w (writable root), <root>/out (outside every root but
 * readable), <root>/secret (denied), each world-accessible so that a test
 * that drops to nobody can use it. */
struct tree {
	char root[128], w[160], out[160], secret[160];
};

static inline void tree_make(struct tree *t)
{
	snprintf(t->root, sizeof(t->root), "/tmp/accel-sbx-XXXXXX");
	cr_assert_not_null(mkdtemp(t->root));
	chmod(t->root, 0755);
	snprintf(t->w, sizeof(t->w), "%s/w", t->root);
	snprintf(t->out, sizeof(t->out), "%s/out", t->root);
	snprintf(t->secret, sizeof(t->secret), "%s/secret", t->root);
	cr_assert_eq(mkdir(t->w, 0777), 0);
	cr_assert_eq(mkdir(t->out, 0777), 0);
	cr_assert_eq(mkdir(t->secret, 0777), 0);
	chmod(t->w, 0777);
	chmod(t->out, 0777);
	chmod(t->secret, 0777);
}

static inline void tree_rm(struct tree *t)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->root);
	if (system(cmd) != 0)
		cr_log_warn("could not remove %s", t->root);
}

static inline void write_file(const char *path, const char *s, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	cr_assert_geq(fd, 0, "open %s: %s", path, strerror(errno));
	cr_assert_eq(write(fd, s, strlen(s)), (ssize_t)strlen(s));
	close(fd);
	chmod(path, mode);
}

/* Reads a whole small file into buf ("" when missing). */
static inline void read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = 0;

	buf[0] = '\0';
	if (fd < 0)
		return;
	n = read(fd, buf, len - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
}

static inline int exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* Hands the tree to nobody, so a test that dropped can still clean up. */
static inline void tree_give(struct tree *t)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "chown -R %d:%d '%s'", NOBODY, NOBODY,
		 t->root);
	cr_assert_eq(system(cmd), 0);
}

/* Drops to nobody for the rest of the (forked) test. */
static inline void drop_to_nobody(void)
{
	cr_assert_eq(setgroups(0, NULL), 0);
	cr_assert_eq(setresgid(NOBODY, NOBODY, NOBODY), 0);
	cr_assert_eq(setresuid(NOBODY, NOBODY, NOBODY), 0);
	/* Changing credentials made us non-dumpable, which hands
	 * /proc/self/uid_map to root; a user who logged in as nobody would
	 * be dumpable. */
	cr_assert_eq(prctl(PR_SET_DUMPABLE, 1), 0);
}

static inline struct accel_sandbox *
compile(const struct accel_sandbox_policy *p)
{
	struct accel_sandbox *sb = NULL;
	int ret = accel_sandbox_policy_compile(p, &sb);

	cr_assert_eq(ret, 0, "compile: %s", accel_strerror(ret));
	return sb;
}

/* Runs sh -c script; returns the run's status, fills res. */
static inline int sh(const struct accel_sandbox *sb, const char *script,
		     struct accel_sandbox_result *res, uint64_t timeout_ms)
{
	const char *argv[] = { "/bin/sh", "-c", script, NULL };
	extern char **environ;
	struct accel_sandbox_exec req = { 0 };

	req.argv = argv;
	req.env = (const char *const *)environ;
	req.timeout_ms = timeout_ms;
	req.kill_grace_ms = 200;
	return accel_sandbox_run(sb, &req, NULL, res);
}

static inline const char *out0(const struct accel_sandbox_result *r)
{
	return r->out[0].data ? r->out[0].data : "";
}

static inline const char *out1(const struct accel_sandbox_result *r)
{
	return r->out[1].data ? r->out[1].data : "";
}

/* Number of live processes whose command line contains marker. */
static inline int count_marked(const char *marker)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char path[300], buf[4096];
		ssize_t len;
		int fd;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (len <= 0)
			continue;
		for (ssize_t i = 0; i < len; i++)
			if (!buf[i])
				buf[i] = ' ';
		buf[len] = '\0';
		if (strstr(buf, marker))
			n++;
	}
	closedir(d);
	return n;
}

/* Waits up to ms for no marked process to be left; returns how many are. */
static inline int wait_unmarked(const char *marker, int ms)
{
	int n = count_marked(marker);

	for (int i = 0; i < ms / 10 && n > 0; i++) {
		usleep(10000);
		n = count_marked(marker);
	}
	return n;
}

static inline uint32_t ns_layers(void)
{
	return accel_sandbox_probe()->layers & ACCEL_SANDBOX_L_ALL_NS;
}

#endif
