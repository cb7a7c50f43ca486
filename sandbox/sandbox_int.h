/* SPDX-License-Identifier: MIT */
#ifndef ACCEL_SANDBOX_INT_H
#define ACCEL_SANDBOX_INT_H

/*
 * Private to sandbox/: the compiled policy, the per-exec child plan and the
 * helpers each layer file exports to the others. Functions named
 * accel__sbx_*_child() run in the vfork-style child: they may only make
 * system calls and touch precomputed memory (no malloc, no locks, no stdio).
 */

#include <linux/filter.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>

#include "accel_compiler.h"
#include "sandbox.h"

/*
 * The children's stacks are fresh mmaps that may reuse the range of an
 * exited thread's stack, whose AddressSanitizer poisoning can outlive it:
 * clear it before a child runs there (no-op without ASan).
 */
#if defined(__SANITIZE_ADDRESS__)
#define SBX_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SBX_ASAN 1
#endif
#endif
#ifdef SBX_ASAN
#include <sanitizer/asan_interface.h>
#define SBX_UNPOISON(p, n) __asan_unpoison_memory_region((p), (n))
#else
#define SBX_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/* Landlock uapi, defined here because Debian 12's headers stop at ABI 2. */
#define LL_FS_EXECUTE	       (1ull << 0)
#define LL_FS_WRITE_FILE       (1ull << 1)
#define LL_FS_READ_FILE	       (1ull << 2)
#define LL_FS_READ_DIR	       (1ull << 3)
#define LL_FS_REMOVE_DIR       (1ull << 4)
#define LL_FS_REMOVE_FILE      (1ull << 5)
#define LL_FS_MAKE_CHAR	       (1ull << 6)
#define LL_FS_MAKE_DIR	       (1ull << 7)
#define LL_FS_MAKE_REG	       (1ull << 8)
#define LL_FS_MAKE_SOCK	       (1ull << 9)
#define LL_FS_MAKE_FIFO	       (1ull << 10)
#define LL_FS_MAKE_BLOCK       (1ull << 11)
#define LL_FS_MAKE_SYM	       (1ull << 12)
#define LL_FS_REFER	       (1ull << 13) /* ABI 2 */
#define LL_FS_TRUNCATE	       (1ull << 14) /* ABI 3 */
#define LL_FS_IOCTL_DEV	       (1ull << 15) /* ABI 5 */
#define LL_NET_BIND_TCP	       (1ull << 0)  /* ABI 4 */
#define LL_NET_CONNECT_TCP     (1ull << 1)
#define LL_SCOPE_ABSTRACT_UNIX (1ull << 0) /* ABI 6 */
#define LL_SCOPE_SIGNAL	       (1ull << 1)

/* Rights that make sense on a non-directory. */
#define LL_FS_FILE_BITS                                                        \
	(LL_FS_EXECUTE | LL_FS_WRITE_FILE | LL_FS_READ_FILE | LL_FS_TRUNCATE | \
	 LL_FS_IOCTL_DEV)
#define LL_FS_READ_BITS (LL_FS_EXECUTE | LL_FS_READ_FILE | LL_FS_READ_DIR)

/* One Landlock path rule, kept for --explain. */
struct sbx_llrule {
	char *path;
	uint64_t access;
};

enum sbx_mount_kind {
	SBX_MNT_HIDE_DIR,  /* empty mode-000 read-only tmpfs on a denied dir */
	SBX_MNT_HIDE_FILE, /* /dev/null bound read-only, nodev, on a file */
	SBX_MNT_RO_BIND,   /* bind a protected path on itself, read-only */
	SBX_MNT_TMP,	   /* fresh tmpfs on /tmp */
	SBX_MNT_PROC,	   /* fresh proc for the new pid namespace */
	SBX_MNT_PIN, /* bind a directory on itself: it cannot be renamed */
};

struct sbx_mount {
	uint32_t kind;
	unsigned long keep; /* mount flags of the underlying mount to keep */
	char *path;
};

/* Launchers per policy: two per online CPU, up to this many, started as
 * concurrent spawns need them. */
#define SBX_MAX_LAUNCHERS 4

struct sbx_rlimit {
	int resource;
	struct rlimit lim;
};

struct accel_sandbox {
	uint32_t layers;  /* ACCEL_SANDBOX_L_* this policy applies */
	uint32_t missing; /* wanted by the policy, absent here */
	uint32_t landlock_abi;
	uint32_t net;
	uint32_t flags;
	uint32_t clone_ns;	/* CLONE_NEW* flags for clone() */
	int ruleset_fd;		/* Landlock ruleset, -1 without */
	struct sock_fprog prog; /* exported seccomp BPF */
	int notify;		/* prog returns SECCOMP_RET_USER_NOTIF */
	char uid_map[48];
	char gid_map[48];
	struct sbx_mount *mounts;
	size_t n_mounts;
	struct sbx_rlimit rl[6];
	int n_rl;
	uint64_t mem_bytes;
	uint64_t pids_max;
	uint32_t cpu_percent;
	char **env_allow;
	size_t n_env_allow;
	char **read, **write, **deny, **readonly;
	size_t n_read, n_write, n_deny, n_readonly;
	struct sbx_llrule *llrules;
	size_t n_llrules;
	size_t cap_llrules;
	/*
	 * With a private /tmp the child builds its own ruleset: Landlock
	 * ignores rules on a mount point for the filesystem mounted on it, so
	 * the fresh tmpfs needs a rule on its own root, which exists only in
	 * the child. These are the compiled rules' targets (O_PATH), their
	 * rights, and the ruleset attributes.
	 */
	int *ll_fds;
	uint64_t *ll_access;
	size_t n_ll_fds;
	uint64_t ll_attr[3];
	size_t ll_attr_size;
	uint64_t ll_all;
	/*
	 * The pre-forked launcher (zygote.c), started on the first spawn
	 * when the policy allows one (accel__sbx_zygote_eligible). zprog is
	 * the seccomp program the launcher installs on itself: prog, except
	 * that clone(CLONE_NEWPID) with CLONE_VFORK passes (the launcher's
	 * own per-exec clone; commands have no capability to use it).
	 */
	struct sock_fprog zprog;
	int zygote_ok; /* eligible and zprog built */
	pthread_mutex_t zlock;
	struct sbx_zygote *zy[SBX_MAX_LAUNCHERS];
	int n_zy;
	int zy_failed;	   /* starting one failed: use the direct path */
	int zparent_pidfd; /* in the launcher's copy: the engine's pidfd */
};

/* What the parent hands the child; lives on the parent's stack. */
struct sbx_child {
	const struct accel_sandbox *sb;
	int fd_in, fd_out, fd_err;
	int report_fd;	  /* socket to pass the seccomp listener, or -1 */
	int parent_pidfd; /* readable once the engine has died, or -1 */
	int cg_fds[3];	  /* cgroup.procs to join by writing "0" */
	int n_cg;
	int cgroup_fd; /* v2 directory for CLONE_INTO_CGROUP, or -1 */
	const char *cwd;
	char *const *argv;
	char *const *envp;
	const char *path_env; /* PATH of the sandbox environment */
	int no_proc;	      /* skip the planned /proc mount (launcher) */
	char *pathbuf;	      /* PATH_MAX scratch for the PATH search */
	/* Written by the child, read by the parent after clone returns. */
	volatile uint32_t step;
	volatile int err;
};

/* probe.c */
int accel__sbx_parent_pidfd(void);

/* landlock.c */
int accel__sbx_landlock_compile(struct accel_sandbox *sb);
int accel__sbx_landlock_child(const struct sbx_child *c);
long accel__sbx_ll_create(const void *attr, size_t size, uint32_t flags);

/* seccomp.c */
int accel__sbx_seccomp_compile(struct accel_sandbox *sb);
int accel__sbx_seccomp_child(const struct sbx_child *c);
/* Where a notification's violation goes: the default records into res;
 * the launcher routes it to the exec the calling process belongs to. */
typedef void (*sbx_record_fn)(void *arg,
			      const struct accel_sandbox_violation *v);
/* Receives one notification, records it (before answering, so that the
 * record exists once the caller runs on), denies it (or, for a traced
 * write, lets the kernel decide). With record NULL it goes into res. */
int accel__sbx_seccomp_handle(const struct accel_sandbox *sb, int listener,
			      struct accel_sandbox_result *res,
			      sbx_record_fn record, void *arg);

/* trace.c: write tracing (F_TRACE_WRITES). */
struct seccomp_notif;
int accel__sbx_trace_rules(void *filter);
/* 0: not traced; 1: traced, nothing to report; 2: traced, v filled. */
int accel__sbx_trace_check(const struct accel_sandbox *sb,
			   const struct seccomp_notif *req, const char *name,
			   struct accel_sandbox_violation *v);

/* ns.c */
int accel__sbx_mounts_compile(struct accel_sandbox *sb);
int accel__sbx_idmap_child(const struct sbx_child *c);
int accel__sbx_mounts_child(const struct sbx_child *c);
int accel__sbx_netns_child(const struct sbx_child *c);

/* cgroup.c */
struct sbx_cgroup {
	int version;	  /* 0 none, 1, 2 */
	char dir[4][320]; /* created directories (v2, v1 pids, memory, cpu) */
	uint32_t what[4]; /* SBX_CG_* of each directory */
	int n_dir;
	int procs_fd[4]; /* cgroup.procs of each, for the child */
	int n_procs;
	int v2_fd; /* the v2 directory (clone3 CLONE_INTO_CGROUP), or -1 */
};

#define SBX_CG_V2   (1u << 0)
#define SBX_CG_MEM  (1u << 1) /* memory limit and peak live here */
#define SBX_CG_PIDS (1u << 2) /* pids limit lives here */
#define SBX_CG_CPU  (1u << 3) /* cpu bandwidth limit lives here */
int accel__sbx_cgroup_create(const struct accel_sandbox *sb,
			     struct sbx_cgroup *cg);
void accel__sbx_cgroup_kill(const struct sbx_cgroup *cg, int sig);
int accel__sbx_cgroup_empty(const struct sbx_cgroup *cg);
uint64_t accel__sbx_cgroup_peak(const struct sbx_cgroup *cg);
uint32_t accel__sbx_cgroup_events(const struct sbx_cgroup *cg);
void accel__sbx_cgroup_destroy(struct sbx_cgroup *cg);
void accel__sbx_cgroup_sweep(const char *parent);

/* output.c: head + tail capture of one stream. */
struct sbx_capture {
	char *buf;  /* the head, grown on demand up to head_cap (+1) */
	char *ring; /* the tail: a ring of tail_cap bytes, once needed */
	uint32_t head_cap, tail_cap;
	uint32_t head_len, buf_cap;
	uint64_t total;
	uint64_t tail_written;
	int active; /* the stream exists */
};

int accel__sbx_capture_init(struct sbx_capture *c, uint32_t head,
			    uint32_t tail);
void accel__sbx_capture_add(struct sbx_capture *c, const char *p, size_t n);
/* Moves the capture into out (linearising the tail). */
void accel__sbx_capture_finish(struct sbx_capture *c,
			       struct accel_sandbox_output *out);
void accel__sbx_capture_free(struct sbx_capture *c);

/* reaper.c: hold an exec's mount namespace, drop it off the hot path. */
int accel__sbx_hold_mntns(int pidfd, pid_t pid);
void accel__sbx_release_mntns(int fd);

/* spawn.c */
int accel__sbx_clone(struct sbx_child *c, int *pidfd, pid_t *pid);
int accel__sbx_setup_fds(const struct sbx_child *c);
int accel__sbx_exec_search(const struct sbx_child *c);

/* zygote.c: the per-policy pre-forked launcher. */
/* mount(2) flags of the launcher child's /proc: MS_NOSUID | MS_NODEV |
 * MS_NOEXEC | MS_SILENT, the one flag word its seccomp program lets
 * through (commands are refused by Landlock and capabilities). */
#define SBX_LAUNCHER_PROC_FLAGS (2ul | 4ul | 8ul | 32768ul)
struct sbx_zexec; /* one exec's routing entry for violations */
int accel__sbx_zygote_eligible(const struct accel_sandbox *sb);
/* The least busy running launcher of sb (started on first use), marked
 * busy until accel__sbx_zygote_put(); or NULL: the caller then takes the
 * direct path. */
struct sbx_zygote *accel__sbx_zygote_get(const struct accel_sandbox *sb);
void accel__sbx_zygote_put(struct sbx_zygote *zy);
/*
 * Starts c's command through the launcher. The command is the caller's
 * child (CLONE_PARENT): reap it through *pidfd. Returns 0 with *pidfd (of
 * the command's pid 1), *mntns (its mount namespace, to release off the
 * hot path, or -1), *outcome and *zx set: the process exists and is about
 * to exec, and whether the exec (or a step before it) failed is read from
 * *outcome with accel__sbx_zygote_failed() once it has been reaped. Or 0
 * with c->step/c->err set when no process could be made; or -errno
 * (-EPIPE: the launcher is gone).
 */
int accel__sbx_zygote_spawn(struct sbx_zygote *zy, struct sbx_child *c,
			    int *pidfd, int *mntns, int *outcome,
			    struct sbx_zexec **zx);
/* After the command was reaped: 1 with the step that failed before its
 * exec, 0 when the exec happened. */
int accel__sbx_zygote_failed(int outcome, uint32_t *step, int *err);
/* Moves the exec's violations into res and forgets it. */
void accel__sbx_zexec_collect(struct sbx_zygote *zy, struct sbx_zexec *zx,
			      struct accel_sandbox_result *res);
void accel__sbx_zexec_free(struct sbx_zygote *zy, struct sbx_zexec *zx);
void accel__sbx_zygote_stop(struct accel_sandbox *sb);

#endif
