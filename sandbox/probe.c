/* SPDX-License-Identifier: MIT */
/*
 * Kernel feature probe, run once per process. Each layer is tried for real
 * (a throwaway child unshares each namespace and mounts what the sandbox
 * child will mount), because sysctls, LSMs and container runtimes can refuse
 * what the kernel config says is there.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox_int.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

static struct accel_sandbox_features features;
static pthread_once_t probe_once = PTHREAD_ONCE_INIT;

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -EIO;
}

/*
 * Runs in a forked child: tries each namespace the way the sandbox child
 * will use it and returns the layer bits that worked. With a user namespace
 * the others are tried inside it (that is how the unprivileged path works);
 * without one, as the caller's own credentials (root).
 */
static uint32_t probe_ns_child(void)
{
	uint32_t ok = 0;
	char map[48];
	uid_t uid = geteuid();
	gid_t gid = getegid();
	pid_t pid;
	int st;

	if (unshare(CLONE_NEWUSER) == 0) {
		snprintf(map, sizeof(map), "%u %u 1", uid, uid);
		if (write_file("/proc/self/setgroups", "deny") == 0 &&
		    write_file("/proc/self/uid_map", map) == 0) {
			snprintf(map, sizeof(map), "%u %u 1", gid, gid);
			if (write_file("/proc/self/gid_map", map) == 0)
				ok |= ACCEL_SANDBOX_L_USERNS;
		}
	}
	if (unshare(CLONE_NEWIPC) == 0)
		ok |= ACCEL_SANDBOX_L_IPCNS;
	if (unshare(CLONE_NEWUTS) == 0)
		ok |= ACCEL_SANDBOX_L_UTSNS;
	if (unshare(CLONE_NEWNET) == 0)
		ok |= ACCEL_SANDBOX_L_NETNS;
	if (unshare(CLONE_NEWNS) == 0) {
		/* The hide step mounts a tmpfs; make sure that is allowed. */
		if (!(ok & ACCEL_SANDBOX_L_USERNS))
			mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
		if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV,
			  "size=4k") == 0)
			ok |= ACCEL_SANDBOX_L_MNTNS;
	}
	if (unshare(CLONE_NEWPID) == 0) {
		/* The pid namespace is only usable if its proc can be mounted
		 * (otherwise /proc shows the host's processes). */
		pid = fork();
		if (pid == 0) {
			if (!(ok & ACCEL_SANDBOX_L_MNTNS))
				_exit(0);
			_exit(mount("proc", "/proc", "proc",
				    MS_NOSUID | MS_NODEV | MS_NOEXEC,
				    NULL) == 0 ?
				      1 :
				      0);
		}
		if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
		    WEXITSTATUS(st) == 1)
			ok |= ACCEL_SANDBOX_L_PIDNS;
	}
	return ok;
}

static uint32_t probe_ns(void)
{
	int pfd[2];
	uint32_t ok = 0;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return 0;
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return 0;
	}
	if (pid == 0) {
		close(pfd[0]);
		ok = probe_ns_child();
		if (write(pfd[1], &ok, sizeof(ok)) != sizeof(ok))
			_exit(1);
		_exit(0);
	}
	close(pfd[1]);
	if (read(pfd[0], &ok, sizeof(ok)) != sizeof(ok))
		ok = 0;
	close(pfd[0]);
	waitpid(pid, NULL, 0);
	return ok;
}

/* True when the comma-separated list holds name ("cpu" is not "cpuset"). */
static int has_token(const char *list, const char *name)
{
	size_t n = strlen(name);

	while (*list) {
		size_t l = strcspn(list, ",");

		if (l == n && !strncmp(list, name, n))
			return 1;
		list += l + (list[l] == ',');
	}
	return 0;
}

/* Finds our own cgroup in a hierarchy ("0::/x" for v2, "4:memory:/x"). */
static int own_cgroup(const char *controller, char *out, size_t len)
{
	char line[512];
	FILE *f = fopen("/proc/self/cgroup", "re");
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		char *c1 = strchr(line, ':'), *c2, *path;

		if (!c1 || !(c2 = strchr(c1 + 1, ':')))
			continue;
		*c2 = '\0';
		path = c2 + 1;
		path[strcspn(path, "\n")] = '\0';
		if (controller ? has_token(c1 + 1, controller) :
				 c1[1] == '\0') {
			snprintf(out, len, "%s", path);
			found = 1;
		}
	}
	fclose(f);
	return found;
}

/*
 * A cgroup directory is usable when we can create a child in it. It must
 * also accept processes: in v2 a cgroup with processes cannot have child
 * cgroups with controllers, but a controller-less child (kill and tracking
 * only) works.
 */
static void probe_cgroup_dir(const char *mnt, const char *controller, char *out,
			     size_t len)
{
	char rel[256], dir[512], probe[600];
	struct statfs sfs;

	out[0] = '\0';
	if (!own_cgroup(controller, rel, sizeof(rel)))
		return;
	if (controller == NULL &&
	    (statfs(mnt, &sfs) < 0 || sfs.f_type != CGROUP2_SUPER_MAGIC))
		return;
	snprintf(dir, sizeof(dir), "%s%s", mnt, strcmp(rel, "/") ? rel : "");
	snprintf(probe, sizeof(probe), "%s/accel-probe-%d", dir, getpid());
	if (mkdir(probe, 0700) < 0)
		return;
	rmdir(probe);
	if (strlen(dir) < len)
		snprintf(out, len, "%s", dir);
}

static void probe_uring(void)
{
	struct io_uring_probe *p = io_uring_get_probe();

	if (!p)
		return;
	features.io_uring =
		io_uring_opcode_supported(p, IORING_OP_READ) &&
		io_uring_opcode_supported(p, IORING_OP_POLL_ADD) &&
		io_uring_opcode_supported(p, IORING_OP_TIMEOUT) &&
		io_uring_opcode_supported(p, IORING_OP_ASYNC_CANCEL);
	io_uring_free_probe(p);
}

static void probe_all(void)
{
	uint32_t action = SECCOMP_RET_USER_NOTIF;
	long abi;

	features.uid = geteuid();
	features.gid = getegid();
	features.layers |= ACCEL_SANDBOX_L_RLIMITS | ACCEL_SANDBOX_L_PDEATHSIG |
			   ACCEL_SANDBOX_L_NO_NEW_PRIVS;

	abi = accel__sbx_ll_create(NULL, 0, 1 /* VERSION */);
	if (abi > 0) {
		features.landlock_abi = (uint32_t)abi;
		features.layers |= ACCEL_SANDBOX_L_LANDLOCK_FS;
		if (abi >= 4)
			features.layers |= ACCEL_SANDBOX_L_LANDLOCK_NET;
		if (abi >= 6)
			features.layers |= ACCEL_SANDBOX_L_LANDLOCK_SCOPE;
	}
	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 0) {
		features.layers |= ACCEL_SANDBOX_L_SECCOMP;
		if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0,
			    &action) == 0)
			features.layers |= ACCEL_SANDBOX_L_SECCOMP_NOTIFY;
	}
	features.layers |= probe_ns();
	/* Without a user namespace only root may use the others. */
	if (!(features.layers & ACCEL_SANDBOX_L_USERNS) && features.uid != 0)
		features.layers &= ~ACCEL_SANDBOX_L_ALL_NS;
	/* Dropping root's capabilities across exec needs CAP_SETPCAP, which
	 * we have as root or inside our own user namespace. */
	if ((features.layers & ACCEL_SANDBOX_L_USERNS) || features.uid == 0)
		features.layers |= ACCEL_SANDBOX_L_NOROOT;

	probe_cgroup_dir("/sys/fs/cgroup/unified", NULL, features.cgroup_v2,
			 sizeof(features.cgroup_v2));
	if (!features.cgroup_v2[0])
		probe_cgroup_dir("/sys/fs/cgroup", NULL, features.cgroup_v2,
				 sizeof(features.cgroup_v2));
	probe_cgroup_dir("/sys/fs/cgroup/pids", "pids", features.cgroup_v1_pids,
			 sizeof(features.cgroup_v1_pids));
	probe_cgroup_dir("/sys/fs/cgroup/memory", "memory",
			 features.cgroup_v1_memory,
			 sizeof(features.cgroup_v1_memory));
	probe_cgroup_dir("/sys/fs/cgroup/cpu", "cpu", features.cgroup_v1_cpu,
			 sizeof(features.cgroup_v1_cpu));
	if (features.cgroup_v2[0])
		features.cgroup_version = 2;
	else if (features.cgroup_v1_pids[0] || features.cgroup_v1_memory[0])
		features.cgroup_version = 1;
	if (features.cgroup_version)
		features.layers |= ACCEL_SANDBOX_L_CGROUP;
	accel__sbx_cgroup_sweep(features.cgroup_v2);
	accel__sbx_cgroup_sweep(features.cgroup_v1_pids);
	accel__sbx_cgroup_sweep(features.cgroup_v1_memory);
	accel__sbx_cgroup_sweep(features.cgroup_v1_cpu);
	probe_uring();
}

const struct accel_sandbox_features *accel_sandbox_probe(void)
{
	pthread_once(&probe_once, probe_all);
	return &features;
}

/*
 * A pidfd of this process, which the child polls once right after setting
 * PR_SET_PDEATHSIG: if the engine died before that, the death signal would
 * never come. Reopened after fork (the pid changed).
 */
static pthread_mutex_t pidfd_lock = PTHREAD_MUTEX_INITIALIZER;
static int self_pidfd = -1;
static pid_t self_pid;

int accel__sbx_parent_pidfd(void)
{
	pid_t pid = getpid();
	int fd;

	pthread_mutex_lock(&pidfd_lock);
	if (self_pidfd < 0 || self_pid != pid) {
		if (self_pidfd >= 0 && self_pid != pid)
			close(self_pidfd);
		self_pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
		if (self_pidfd >= 0)
			fcntl(self_pidfd, F_SETFD, FD_CLOEXEC);
		self_pid = pid;
	}
	fd = self_pidfd;
	pthread_mutex_unlock(&pidfd_lock);
	return fd;
}

static const char *const layer_names[] = {
	"userns",	  "pidns",   "mntns",	       "ipcns",
	"utsns",	  "netns",   "landlock-fs",    "landlock-net",
	"landlock-scope", "seccomp", "seccomp-notify", "no-new-privs",
	"noroot",	  "cgroup",  "rlimits",	       "pdeathsig",
};

const char *accel_sandbox_layer_name(uint32_t layer)
{
	for (unsigned i = 0; i < sizeof(layer_names) / sizeof(*layer_names);
	     i++)
		if (layer == (1u << i))
			return layer_names[i];
	return "?";
}

static const char *const step_names[] = {
	"none",	    "clone",   "pdeathsig", "fds",  "rlimits", "cgroup",
	"idmap",    "mounts",  "netns",	    "cwd",  "noroot",  "no-new-privs",
	"landlock", "seccomp", "signals",   "exec",
};

const char *accel_sandbox_step_name(uint32_t step)
{
	if (step < sizeof(step_names) / sizeof(*step_names))
		return step_names[step];
	return "?";
}
