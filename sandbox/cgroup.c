/* SPDX-License-Identifier: MIT */
/*
 * cgroup layer: one cgroup per exec, created only when the policy needs it
 * (memory or pids limits, or tracking the tree when there is no pid
 * namespace). cgroup v2 is used for tracking and killing (cgroup.kill) and
 * for limits when its controllers are enabled; on hybrid hosts the v1 pids
 * and memory controllers carry the limits. The child joins each cgroup by
 * writing "0" to a cgroup.procs fd the parent opened, before it can fork.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox_int.h"

static atomic_uint cg_seq;

/*
 * Directories whose rmdir still found a dying process: retried on the next
 * create. Bounded; beyond it they wait for the next process's sweep.
 */
#define MAX_STALE 32
static pthread_mutex_t stale_lock = PTHREAD_MUTEX_INITIALIZER;
static char stale[MAX_STALE][320];
static int n_stale;

static void stale_add(const char *dir)
{
	pthread_mutex_lock(&stale_lock);
	if (n_stale < MAX_STALE)
		snprintf(stale[n_stale++], sizeof(stale[0]), "%s", dir);
	pthread_mutex_unlock(&stale_lock);
}

static void stale_retry(void)
{
	pthread_mutex_lock(&stale_lock);
	for (int i = 0; i < n_stale;) {
		if (rmdir(stale[i]) == 0 || errno == ENOENT) {
			memcpy(stale[i], stale[--n_stale], sizeof(stale[0]));
			continue;
		}
		i++;
	}
	pthread_mutex_unlock(&stale_lock);
}

/*
 * Removes accel-sbx-<pid>-<n> cgroups left by an engine that died (kill -9
 * gives it no chance to clean up; its sandboxed processes died with it).
 */
void accel__sbx_cgroup_sweep(const char *parent)
{
	struct dirent *e;
	DIR *d;

	if (!parent[0] || !(d = opendir(parent)))
		return;
	while ((e = readdir(d))) {
		char path[600];
		long pid;

		if (strncmp(e->d_name, "accel-sbx-", 10))
			continue;
		pid = strtol(e->d_name + 10, NULL, 10);
		if (pid <= 0 || (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
			continue;
		snprintf(path, sizeof(path), "%s/%s", parent, e->d_name);
		rmdir(path);
	}
	closedir(d);
}

static int write_at(const char *dir, const char *file, const char *val)
{
	char path[400];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static ssize_t read_at(const char *dir, const char *file, char *buf, size_t len)
{
	char path[400];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return n;
}

static int has_controller(const char *dir, const char *name)
{
	char buf[256];

	if (read_at(dir, "cgroup.subtree_control", buf, sizeof(buf)) <= 0)
		return 0;
	return strstr(buf, name) != NULL;
}

/* Creates <parent>/<name> and opens its cgroup.procs for the child. */
static int make(struct sbx_cgroup *cg, const char *parent, const char *name,
		uint32_t what)
{
	char path[400];
	int fd;

	cg->what[cg->n_dir] = what;
	snprintf(cg->dir[cg->n_dir], sizeof(cg->dir[0]), "%s/%s", parent, name);
	if (mkdir(cg->dir[cg->n_dir], 0755) < 0)
		return -errno;
	cg->n_dir++;
	snprintf(path, sizeof(path), "%s/cgroup.procs", cg->dir[cg->n_dir - 1]);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	cg->procs_fd[cg->n_procs++] = fd;
	return 0;
}

int accel__sbx_cgroup_create(const struct accel_sandbox *sb,
			     struct sbx_cgroup *cg)
{
	const struct accel_sandbox_features *f = accel_sandbox_probe();
	char name[64], val[32];
	int ret = 0, v2_mem = 0, v2_pids = 0, v2_cpu = 0;

	memset(cg, 0, sizeof(*cg));
	cg->v2_fd = -1;
	stale_retry();
	snprintf(name, sizeof(name), "accel-sbx-%d-%u", getpid(),
		 atomic_fetch_add(&cg_seq, 1));
	if (f->cgroup_v2[0]) {
		v2_mem = sb->mem_bytes &&
			 has_controller(f->cgroup_v2, "memory");
		v2_pids = sb->pids_max && has_controller(f->cgroup_v2, "pids");
		v2_cpu = sb->cpu_percent && has_controller(f->cgroup_v2, "cpu");
		ret = make(cg, f->cgroup_v2, name,
			   SBX_CG_V2 | (v2_mem ? SBX_CG_MEM : 0) |
				   (v2_pids ? SBX_CG_PIDS : 0) |
				   (v2_cpu ? SBX_CG_CPU : 0));
		if (ret)
			goto err;
		cg->version = 2;
#if defined(__x86_64__)
		/* The child starts inside it (clone3); no procs write. */
		cg->v2_fd =
			open(cg->dir[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (cg->v2_fd >= 0) {
			close(cg->procs_fd[--cg->n_procs]);
			cg->procs_fd[cg->n_procs] = -1;
		}
#endif
		if (v2_mem) {
			snprintf(val, sizeof(val), "%llu",
				 (unsigned long long)sb->mem_bytes);
			ret = write_at(cg->dir[0], "memory.max", val);
			if (!ret)
				ret = write_at(cg->dir[0], "memory.swap.max",
					       "0");
			if (ret == -ENOENT)
				ret = 0;
		}
		if (!ret && v2_cpu) {
			/* quota per 100 ms period */
			snprintf(val, sizeof(val), "%llu 100000",
				 (unsigned long long)sb->cpu_percent * 1000);
			ret = write_at(cg->dir[0], "cpu.max", val);
		}
		if (!ret && v2_pids) {
			snprintf(val, sizeof(val), "%llu",
				 (unsigned long long)sb->pids_max);
			ret = write_at(cg->dir[0], "pids.max", val);
		}
		if (ret)
			goto err;
	}
	if (sb->pids_max && !v2_pids && f->cgroup_v1_pids[0]) {
		ret = make(cg, f->cgroup_v1_pids, name, SBX_CG_PIDS);
		if (!ret) {
			snprintf(val, sizeof(val), "%llu",
				 (unsigned long long)sb->pids_max);
			ret = write_at(cg->dir[cg->n_dir - 1], "pids.max", val);
		}
		if (ret)
			goto err;
		if (!cg->version)
			cg->version = 1;
	}
	if (sb->cpu_percent && !v2_cpu && f->cgroup_v1_cpu[0]) {
		ret = make(cg, f->cgroup_v1_cpu, name, SBX_CG_CPU);
		if (!ret)
			ret = write_at(cg->dir[cg->n_dir - 1],
				       "cpu.cfs_period_us", "100000");
		if (!ret) {
			snprintf(val, sizeof(val), "%llu",
				 (unsigned long long)sb->cpu_percent * 1000);
			ret = write_at(cg->dir[cg->n_dir - 1],
				       "cpu.cfs_quota_us", val);
		}
		if (ret)
			goto err;
		if (!cg->version)
			cg->version = 1;
	}
	if (sb->mem_bytes && !v2_mem && f->cgroup_v1_memory[0]) {
		ret = make(cg, f->cgroup_v1_memory, name, SBX_CG_MEM);
		if (!ret) {
			snprintf(val, sizeof(val), "%llu",
				 (unsigned long long)sb->mem_bytes);
			ret = write_at(cg->dir[cg->n_dir - 1],
				       "memory.limit_in_bytes", val);
			/* Without swap accounting memsw is absent; swap
			 * then also counts against nothing, which is the
			 * host's choice. */
			if (!ret && write_at(cg->dir[cg->n_dir - 1],
					     "memory.memsw.limit_in_bytes",
					     val) == -EINVAL)
				ret = -EINVAL;
		}
		if (ret)
			goto err;
		if (!cg->version)
			cg->version = 1;
	}
	return 0;
err:
	accel__sbx_cgroup_destroy(cg);
	return ret;
}

/* Signals every process listed in dir/cgroup.procs; returns how many. */
static int signal_procs(const char *dir, int sig)
{
	char path[400], buf[4096];
	int fd, count = 0;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	/* A pid list longer than the buffer is read in pieces; a pid cut in
	 * two is signalled on the next pass of the caller's loop. */
	while ((n = read(fd, buf, sizeof(buf) - 1)) > 0) {
		char *p = buf, *end;

		buf[n] = '\0';
		while (*p) {
			long pid = strtol(p, &end, 10);

			if (end == p)
				break;
			if (pid > 0 && kill((pid_t)pid, sig) == 0)
				count++;
			p = end;
			while (*p == '\n')
				p++;
		}
	}
	close(fd);
	return count;
}

void accel__sbx_cgroup_kill(const struct sbx_cgroup *cg, int sig)
{
	char buf[128];

	/* v2 says whether anyone is left; usually nobody is. */
	if (cg->version == 2 &&
	    read_at(cg->dir[0], "cgroup.events", buf, sizeof(buf)) > 0 &&
	    strstr(buf, "populated 0"))
		return;
	if (cg->version == 2 && sig == SIGKILL &&
	    write_at(cg->dir[0], "cgroup.kill", "1") == 0)
		return;
	/*
	 * v1 has no atomic kill: a fork bomb can add processes while we
	 * signal. The pids limit bounds it, and repeated passes catch the
	 * stragglers.
	 */
	for (int pass = 0; pass < 16; pass++) {
		int n = 0;

		for (int i = 0; i < cg->n_dir; i++)
			n += signal_procs(cg->dir[i], sig);
		if (!n || sig != SIGKILL)
			break;
	}
}

int accel__sbx_cgroup_empty(const struct sbx_cgroup *cg)
{
	char buf[256];

	for (int i = 0; i < cg->n_dir; i++) {
		ssize_t n =
			read_at(cg->dir[i], "cgroup.procs", buf, sizeof(buf));
		if (n > 0)
			return 0;
	}
	return 1;
}

uint64_t accel__sbx_cgroup_peak(const struct sbx_cgroup *cg)
{
	char buf[64];

	for (int i = 0; i < cg->n_dir; i++) {
		if (!(cg->what[i] & SBX_CG_MEM))
			continue;
		if (read_at(cg->dir[i],
			    (cg->what[i] & SBX_CG_V2) ?
				    "memory.peak" :
				    "memory.max_usage_in_bytes",
			    buf, sizeof(buf)) > 0)
			return strtoull(buf, NULL, 10);
	}
	return 0;
}

static uint64_t field(const char *dir, const char *file, const char *key)
{
	char buf[1024], *p;

	if (read_at(dir, file, buf, sizeof(buf)) <= 0)
		return 0;
	p = strstr(buf, key);
	if (!p)
		return 0;
	return strtoull(p + strlen(key), NULL, 10);
}

/* ACCEL_SANDBOX_R_OOM / _PIDS_LIMIT when a limit was hit. */
uint32_t accel__sbx_cgroup_events(const struct sbx_cgroup *cg)
{
	uint32_t flags = 0;

	for (int i = 0; i < cg->n_dir; i++) {
		int v2 = !!(cg->what[i] & SBX_CG_V2);

		if ((cg->what[i] & SBX_CG_MEM) &&
		    (field(cg->dir[i],
			   v2 ? "memory.events" : "memory.oom_control",
			   "oom_kill ") ||
		     (!v2 && field(cg->dir[i], "memory.failcnt", ""))))
			flags |= ACCEL_SANDBOX_R_OOM;
		if ((cg->what[i] & SBX_CG_PIDS) &&
		    field(cg->dir[i], "pids.events", "max "))
			flags |= ACCEL_SANDBOX_R_PIDS_LIMIT;
	}
	return flags;
}

void accel__sbx_cgroup_destroy(struct sbx_cgroup *cg)
{
	for (int i = 0; i < cg->n_procs; i++)
		close(cg->procs_fd[i]);
	cg->n_procs = 0;
	if (cg->v2_fd >= 0)
		close(cg->v2_fd);
	cg->v2_fd = -1;
	/* rmdir fails with EBUSY while a dying process is still listed;
	 * the caller killed and reaped, so this settles quickly. */
	for (int i = cg->n_dir - 1; i >= 0; i--) {
		int tries = 0;

		while (rmdir(cg->dir[i]) < 0 && errno == EBUSY && tries < 50) {
			usleep(1000);
			tries++;
		}
		if (tries == 50)
			stale_add(cg->dir[i]);
	}
	cg->n_dir = 0;
	cg->version = 0;
}
