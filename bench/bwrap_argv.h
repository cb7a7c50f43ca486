/* SPDX-License-Identifier: MIT */
#ifndef ACCEL_BENCH_BWRAP_ARGV_H
#define ACCEL_BENCH_BWRAP_ARGV_H

/*
 * bubblewrap with the flags closest to the sandbox's full policy, for the
 * spawn bench (exec_bench): read-only root, workdir
 * writable and the cwd, new user/pid/ipc/uts namespaces (and the network
 * namespace when net), fresh /proc and /dev, a new session, killed with its
 * parent. bwrap installs no seccomp filter or Landlock rules of its own.
 * Fills a (at least 20 + argc + 1 entries) and returns how many it wrote
 * before the terminating NULL.
 */
static inline int accel_bwrap_argv(const char **a, const char *workdir, int net,
				   const char *const *argv)
{
	static const char *const head[] = {
		"/usr/bin/bwrap",
		"--ro-bind",
		"/",
		"/",
		"--bind",
		NULL,
		NULL,
		"--dev",
		"/dev",
		"--proc",
		"/proc",
		"--unshare-user",
		"--unshare-pid",
		"--unshare-ipc",
		"--unshare-uts",
	};
	int n = 0;

	for (unsigned i = 0; i < sizeof(head) / sizeof(head[0]); i++)
		a[n++] = head[i] ? head[i] : workdir;
	if (net)
		a[n++] = "--unshare-net";
	a[n++] = "--new-session";
	a[n++] = "--die-with-parent";
	a[n++] = "--chdir";
	a[n++] = workdir;
	a[n++] = "--";
	for (int i = 0; argv[i]; i++)
		a[n++] = argv[i];
	a[n] = NULL;
	return n;
}

#endif
