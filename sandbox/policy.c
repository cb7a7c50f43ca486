/* SPDX-License-Identifier: MIT */
/*
 * Policy compilation: validate and resolve the caller's policy, decide which
 * layers apply on this kernel, and build everything that can be built once
 * (Landlock ruleset, seccomp BPF, mount plan, id maps, rlimits).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "accel_alloc.h"
#include "accel_err.h"
#include "sandbox_int.h"

/* Bounds of the compile-time walk that expands "DIR/ ** /NAME" denies. */
#define GLOB_MAX_DEPTH	 24
#define GLOB_MAX_ENTRIES 200000
#define GLOB_MAX_MATCHES 256

static const char *const default_env_allow[] = {
	"PATH", "HOME", "USER", "LOGNAME", "SHELL",
	"TERM", "LANG", "LC_*", "TZ",	   "TMPDIR",
};

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		accel_free(v[i]);
	accel_free(v);
}

void accel_sandbox_destroy(struct accel_sandbox *sb)
{
	if (!sb)
		return;
	accel__sbx_zygote_stop(sb);
	pthread_mutex_destroy(&sb->zlock);
	accel_free(sb->zprog.filter);
	if (sb->ruleset_fd >= 0)
		close(sb->ruleset_fd);
	accel_free(sb->prog.filter);
	for (size_t i = 0; i < sb->n_mounts; i++)
		accel_free(sb->mounts[i].path);
	accel_free(sb->mounts);
	for (size_t i = 0; i < sb->n_llrules; i++)
		accel_free(sb->llrules[i].path);
	accel_free(sb->llrules);
	for (size_t i = 0; i < sb->n_ll_fds; i++)
		close(sb->ll_fds[i]);
	accel_free(sb->ll_fds);
	accel_free(sb->ll_access);
	free_list(sb->env_allow, sb->n_env_allow);
	free_list(sb->read, sb->n_read);
	free_list(sb->write, sb->n_write);
	free_list(sb->deny, sb->n_deny);
	free_list(sb->readonly, sb->n_readonly);
	accel_free(sb);
}

uint32_t accel_sandbox_layers(const struct accel_sandbox *sb)
{
	return sb->layers;
}

uint32_t accel_sandbox_layers_missing(const struct accel_sandbox *sb)
{
	return sb->missing;
}

/* Appends a malloc'ed string to a growable list. */
static int list_add(char ***v, size_t *n, size_t *cap, char *s)
{
	if (!s)
		return -ENOMEM;
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 8;
		char **p = accel_realloc(*v, c * sizeof(**v));

		if (!p) {
			accel_free(s);
			return -ENOMEM;
		}
		*v = p;
		*cap = c;
	}
	(*v)[(*n)++] = s;
	return 0;
}

/* Resolves each path; missing ones are an error unless optional. */
static int resolve(const char *const *in, size_t n, int optional, char ***out,
		   size_t *n_out)
{
	size_t cap = 0;
	int ret;

	*out = NULL;
	*n_out = 0;
	for (size_t i = 0; i < n; i++) {
		char buf[PATH_MAX];

		if (!in[i] || in[i][0] != '/')
			return -ACCEL_E_SANDBOX_PATH;
		if (!realpath(in[i], buf)) {
			if (optional && (errno == ENOENT || errno == ENOTDIR))
				continue;
			return -ACCEL_E_SANDBOX_PATH;
		}
		ret = list_add(out, n_out, &cap, accel_strdup(buf));
		if (ret)
			return ret;
	}
	return 0;
}

struct glob_walk {
	const char *name;
	size_t entries;
	char ***out;
	size_t *n, *cap;
};

static int glob_walk(struct glob_walk *g, char *path, size_t len, int depth)
{
	DIR *d;
	struct dirent *e;
	int ret = 0;

	if (depth > GLOB_MAX_DEPTH)
		return 0;
	d = opendir(path);
	if (!d)
		return 0;
	while (!ret && (e = readdir(d)) && g->entries < GLOB_MAX_ENTRIES &&
	       *g->n < GLOB_MAX_MATCHES) {
		size_t nl = strlen(e->d_name);

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		g->entries++;
		if (len + 1 + nl >= PATH_MAX)
			continue;
		path[len] = '/';
		memcpy(path + len + 1, e->d_name, nl + 1);
		if (!strcmp(e->d_name, g->name) && e->d_type != DT_LNK)
			ret = list_add(g->out, g->n, g->cap,
				       accel_strdup(path));
		else if (e->d_type == DT_DIR)
			ret = glob_walk(g, path, len + 1 + nl, depth + 1);
		path[len] = '\0';
	}
	closedir(d);
	return ret;
}

/* Denied paths: plain paths resolved, "DIR/ ** /NAME" expanded by a walk. */
static int resolve_deny(const struct accel_sandbox_policy *p,
			struct accel_sandbox *sb)
{
	size_t cap = 0;
	int ret = 0;

	for (size_t i = 0; !ret && i < p->n_deny; i++) {
		const char *d = p->deny[i], *star;
		char buf[PATH_MAX], dir[PATH_MAX];

		if (!d || d[0] != '/')
			return -ACCEL_E_SANDBOX_PATH;
		star = strstr(d, "/**/");
		if (star) {
			struct glob_walk g = { .name = star + 4,
					       .out = &sb->deny,
					       .n = &sb->n_deny,
					       .cap = &cap };
			size_t dl = (size_t)(star - d);

			if (!*g.name || strchr(g.name, '/') || dl >= PATH_MAX)
				return -ACCEL_E_SANDBOX_POLICY;
			memcpy(dir, d, dl);
			dir[dl] = '\0';
			if (!realpath(dl ? dir : "/", buf))
				continue;
			ret = glob_walk(&g, buf, strlen(buf), 0);
			continue;
		}
		if (!realpath(d, buf))
			continue;
		ret = list_add(&sb->deny, &sb->n_deny, &cap, accel_strdup(buf));
	}
	return ret;
}

static uint32_t choose_layers(const struct accel_sandbox_policy *p,
			      const struct accel_sandbox_features *f)
{
	uint32_t want = f->layers & ~p->disabled;
	int cg_mem, cg_pids;

	/* Without a user namespace only root may use the others, and only
	 * root has capabilities for noroot to drop (and CAP_SETPCAP to). */
	if (!(want & ACCEL_SANDBOX_L_USERNS) && f->uid != 0)
		want &= ~(ACCEL_SANDBOX_L_ALL_NS | ACCEL_SANDBOX_L_NOROOT);
	/* A private /proc needs the mount namespace. */
	if (!(want & ACCEL_SANDBOX_L_MNTNS))
		want &= ~ACCEL_SANDBOX_L_PIDNS;
	/* Fresh network namespaces cost ~0.6 ms each; NONE is enforced by
	 * seccomp (no socket but AF_UNIX) and Landlock (no TCP) instead. */
	if (!(p->net == ACCEL_SANDBOX_NET_LOOPBACK ||
	      (p->net == ACCEL_SANDBOX_NET_NONE &&
	       (p->flags & ACCEL_SANDBOX_F_NETNS_FOR_NONE))))
		want &= ~ACCEL_SANDBOX_L_NETNS;
	if (p->net != ACCEL_SANDBOX_NET_NONE)
		want &= ~ACCEL_SANDBOX_L_LANDLOCK_NET;
	if (!(want & ACCEL_SANDBOX_L_LANDLOCK_FS))
		want &= ~(ACCEL_SANDBOX_L_LANDLOCK_NET |
			  ACCEL_SANDBOX_L_LANDLOCK_SCOPE);
	if ((p->flags & ACCEL_SANDBOX_F_NO_NOTIFY) ||
	    !(want & ACCEL_SANDBOX_L_SECCOMP))
		want &= ~ACCEL_SANDBOX_L_SECCOMP_NOTIFY;
	/* A cgroup per exec only when it buys something: limits the
	 * controllers can enforce, or tracking a tree that has no pid
	 * namespace to die with. */
	cg_mem = p->mem_bytes && f->cgroup_v1_memory[0];
	cg_pids = p->pids_max && f->cgroup_v1_pids[0];
	if (!(cg_mem || cg_pids || (p->cpu_percent && f->cgroup_v1_cpu[0]) ||
	      ((p->mem_bytes || p->pids_max || p->cpu_percent) &&
	       f->cgroup_v2[0]) ||
	      !(want & ACCEL_SANDBOX_L_PIDNS)))
		want &= ~ACCEL_SANDBOX_L_CGROUP;
	return want;
}

/* What the policy asks for on an ideal kernel; compared with what the
 * probe found, it gives the missing layers. */
static uint32_t wanted_layers(const struct accel_sandbox_policy *p)
{
	uint32_t w = ((ACCEL_SANDBOX_L_PDEATHSIG << 1) - 1) & ~p->disabled;

	if (!(p->net == ACCEL_SANDBOX_NET_LOOPBACK ||
	      (p->net == ACCEL_SANDBOX_NET_NONE &&
	       (p->flags & ACCEL_SANDBOX_F_NETNS_FOR_NONE))))
		w &= ~ACCEL_SANDBOX_L_NETNS;
	if (p->net != ACCEL_SANDBOX_NET_NONE)
		w &= ~ACCEL_SANDBOX_L_LANDLOCK_NET;
	if (p->flags & ACCEL_SANDBOX_F_NO_NOTIFY)
		w &= ~ACCEL_SANDBOX_L_SECCOMP_NOTIFY;
	if (!p->mem_bytes && !p->pids_max && !p->cpu_percent)
		w &= ~ACCEL_SANDBOX_L_CGROUP;
	/* Disabling a layer also gives up what depends on it. */
	if (!(w & ACCEL_SANDBOX_L_LANDLOCK_FS))
		w &= ~(ACCEL_SANDBOX_L_LANDLOCK_NET |
		       ACCEL_SANDBOX_L_LANDLOCK_SCOPE);
	if (!(w & ACCEL_SANDBOX_L_SECCOMP))
		w &= ~ACCEL_SANDBOX_L_SECCOMP_NOTIFY;
	if (!(w & ACCEL_SANDBOX_L_MNTNS))
		w &= ~ACCEL_SANDBOX_L_PIDNS;
	if (!(w & ACCEL_SANDBOX_L_USERNS) && accel_sandbox_probe()->uid != 0)
		w &= ~(ACCEL_SANDBOX_L_ALL_NS | ACCEL_SANDBOX_L_NOROOT);
	return w;
}

static uint32_t clone_flags(uint32_t layers)
{
	uint32_t f = 0;

	if (layers & ACCEL_SANDBOX_L_USERNS)
		f |= CLONE_NEWUSER;
	if (layers & ACCEL_SANDBOX_L_PIDNS)
		f |= CLONE_NEWPID;
	if (layers & ACCEL_SANDBOX_L_MNTNS)
		f |= CLONE_NEWNS;
	if (layers & ACCEL_SANDBOX_L_IPCNS)
		f |= CLONE_NEWIPC;
	if (layers & ACCEL_SANDBOX_L_UTSNS)
		f |= CLONE_NEWUTS;
	if (layers & ACCEL_SANDBOX_L_NETNS)
		f |= CLONE_NEWNET;
	return f;
}

static void add_rlimit(struct accel_sandbox *sb, int res, uint64_t v)
{
	sb->rl[sb->n_rl].resource = res;
	sb->rl[sb->n_rl].lim.rlim_cur = (rlim_t)v;
	sb->rl[sb->n_rl].lim.rlim_max = (rlim_t)v;
	sb->n_rl++;
}

int accel_sandbox_policy_compile(const struct accel_sandbox_policy *p,
				 struct accel_sandbox **out)
{
	const struct accel_sandbox_features *f = accel_sandbox_probe();
	static const char *const root[] = { "/" };
	struct accel_sandbox *sb;
	size_t cap = 0;
	int ret;

	*out = NULL;
	if (p->net > ACCEL_SANDBOX_NET_FULL || (p->n_read && !p->read) ||
	    (p->n_write && !p->write) || (p->n_deny && !p->deny) ||
	    (p->n_readonly && !p->readonly) ||
	    (p->n_env_allow && !p->env_allow) || p->resv ||
	    p->cpu_percent > 100000)
		return -ACCEL_E_SANDBOX_POLICY;
	sb = accel_calloc(1, sizeof(*sb));
	if (!sb)
		return -ENOMEM;
	sb->ruleset_fd = -1;
	pthread_mutex_init(&sb->zlock, NULL);
	sb->net = p->net;
	sb->flags = p->flags;
	sb->mem_bytes = p->mem_bytes;
	sb->pids_max = p->pids_max;
	sb->cpu_percent = p->cpu_percent;
	sb->landlock_abi = f->landlock_abi;

	ret = resolve(p->n_read ? p->read : root, p->n_read ? p->n_read : 1, 0,
		      &sb->read, &sb->n_read);
	if (!ret)
		ret = resolve(p->write, p->n_write, 0, &sb->write,
			      &sb->n_write);
	if (!ret)
		ret = resolve(p->readonly, p->n_readonly, 1, &sb->readonly,
			      &sb->n_readonly);
	if (!ret)
		ret = resolve_deny(p, sb);
	if (ret)
		goto err;
	for (size_t i = 0; i < p->n_env_allow; i++) {
		ret = list_add(&sb->env_allow, &sb->n_env_allow, &cap,
			       accel_strdup(p->env_allow[i]));
		if (ret)
			goto err;
	}
	if (!p->n_env_allow) {
		for (size_t i = 0;
		     i < sizeof(default_env_allow) / sizeof(*default_env_allow);
		     i++) {
			ret = list_add(&sb->env_allow, &sb->n_env_allow, &cap,
				       accel_strdup(default_env_allow[i]));
			if (ret)
				goto err;
		}
	}

	sb->layers = choose_layers(p, f);
	sb->missing = wanted_layers(p) & ~sb->layers;
	if (p->flags & ACCEL_SANDBOX_F_PRIVATE_TMP) {
		if (!(sb->layers & ACCEL_SANDBOX_L_MNTNS)) {
			sb->flags &= ~ACCEL_SANDBOX_F_PRIVATE_TMP;
		} else {
			/* A root under /tmp would vanish under the tmpfs. */
			for (size_t i = 0; i < sb->n_write; i++)
				if (!strncmp(sb->write[i], "/tmp/", 5) ||
				    !strcmp(sb->write[i], "/tmp")) {
					ret = -ACCEL_E_SANDBOX_POLICY;
					goto err;
				}
		}
	}
	if (p->required & ~sb->layers) {
		ret = -ACCEL_E_SANDBOX_LAYER_MISSING;
		goto err;
	}
	sb->clone_ns = clone_flags(sb->layers);
	snprintf(sb->uid_map, sizeof(sb->uid_map), "%u %u 1", f->uid, f->uid);
	snprintf(sb->gid_map, sizeof(sb->gid_map), "%u %u 1", f->gid, f->gid);

	add_rlimit(sb, RLIMIT_CORE, 0);
	if (p->cpu_ms)
		add_rlimit(sb, RLIMIT_CPU, (p->cpu_ms + 999) / 1000);
	if (p->fsize_bytes)
		add_rlimit(sb, RLIMIT_FSIZE, p->fsize_bytes);
	if (p->nofile)
		add_rlimit(sb, RLIMIT_NOFILE, p->nofile);
	/* Without a memory cgroup, bound the address space instead (coarser:
	 * it counts reservations, not use). */
	if (p->mem_bytes && !f->cgroup_v1_memory[0])
		add_rlimit(sb, RLIMIT_AS, p->mem_bytes);
	/* RLIMIT_NPROC counts per user (per user namespace) and never binds
	 * root, so the pids controller is preferred. */
	if (p->pids_max && !f->cgroup_v1_pids[0])
		add_rlimit(sb, RLIMIT_NPROC, p->pids_max);

	if (sb->layers & ACCEL_SANDBOX_L_MNTNS) {
		ret = accel__sbx_mounts_compile(sb);
		if (ret)
			goto err;
	}
	if (sb->layers & ACCEL_SANDBOX_L_LANDLOCK_FS) {
		ret = accel__sbx_landlock_compile(sb);
		if (ret)
			goto err;
	}
	if (sb->layers & ACCEL_SANDBOX_L_SECCOMP) {
		sb->notify = !!(sb->layers & ACCEL_SANDBOX_L_SECCOMP_NOTIFY);
		ret = accel__sbx_seccomp_compile(sb);
		if (ret)
			goto err;
	} else {
		sb->zygote_ok = accel__sbx_zygote_eligible(sb);
	}
	*out = sb;
	return 0;
err:
	accel_sandbox_destroy(sb);
	return ret < 0 ? ret : -ACCEL_E_SANDBOX_POLICY;
}

static void dprint_list(int fd, const char *title, char **v, size_t n)
{
	dprintf(fd, "%s:", title);
	if (!n)
		dprintf(fd, " (none)");
	for (size_t i = 0; i < n; i++)
		dprintf(fd, " %s", v[i]);
	dprintf(fd, "\n");
}

static const char *const net_names[] = { "none", "loopback", "full" };

int accel_sandbox_explain(const struct accel_sandbox *sb, int fd)
{
	const struct accel_sandbox_features *f = accel_sandbox_probe();
	static const char *const kinds[] = { "hide-dir",  "hide-file",
					     "read-only", "tmpfs",
					     "proc",	  "pin" };

	dprintf(fd, "kernel: landlock ABI %u, cgroup v%u, io_uring %s\n",
		f->landlock_abi, f->cgroup_version, f->io_uring ? "yes" : "no");
	dprintf(fd, "layers:\n");
	for (uint32_t b = 1; b <= ACCEL_SANDBOX_L_PDEATHSIG; b <<= 1)
		dprintf(fd, "  %-15s %s\n", accel_sandbox_layer_name(b),
			(sb->layers & b) ? "in force" :
			(f->layers & b) ? "available, not used by this policy" :
					  "ABSENT on this kernel/process");
	dprintf(fd, "network: %s\n", net_names[sb->net]);
	dprint_list(fd, "read", sb->read, sb->n_read);
	dprint_list(fd, "write", sb->write, sb->n_write);
	dprint_list(fd, "deny", sb->deny, sb->n_deny);
	dprint_list(fd, "read-only", sb->readonly, sb->n_readonly);
	dprint_list(fd, "env allow", sb->env_allow, sb->n_env_allow);
	dprintf(fd, "mounts:\n");
	for (size_t i = 0; i < sb->n_mounts; i++)
		dprintf(fd, "  %-9s %s\n", kinds[sb->mounts[i].kind],
			sb->mounts[i].path);
	dprintf(fd, "landlock rules (%zu):\n", sb->n_llrules);
	for (size_t i = 0; i < sb->n_llrules; i++)
		dprintf(fd, "  0x%05llx %s\n",
			(unsigned long long)sb->llrules[i].access,
			sb->llrules[i].path);
	if (sb->flags & ACCEL_SANDBOX_F_PRIVATE_TMP)
		dprintf(fd, "  0x%05llx /tmp (the exec's own tmpfs)\n",
			(unsigned long long)sb->ll_all);
	dprintf(fd, "launcher: %s\n",
		sb->zygote_ok ?
			"pre-forked per policy (namespaces, mounts, seccomp "
			"set up once; per exec a fork into fresh pid and "
			"mount namespaces)" :
			"none: each exec sets up every layer itself");
	dprintf(fd, "seccomp: %u BPF instructions, denials %s\n", sb->prog.len,
		sb->notify ? "reported (user notification)" :
			     "return EPERM silently");
	for (int i = 0; i < sb->n_rl; i++)
		dprintf(fd, "rlimit %d = %llu\n", sb->rl[i].resource,
			(unsigned long long)sb->rl[i].lim.rlim_cur);
	return 0;
}
