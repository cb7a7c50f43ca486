/* SPDX-License-Identifier: MIT */
#ifndef ACCEL_SANDBOX_H
#define ACCEL_SANDBOX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Sandboxed exec: run one command under kernel isolation and report what was
 * enforced and what the command tried.
 *
 * Life cycle:
 *
 *   accel_sandbox_probe()            once per process (cached, thread-safe)
 *   accel_sandbox_policy_compile()   once per policy: opens the Landlock
 *                                    ruleset, builds and exports the seccomp
 *                                    BPF program, plans the mounts
 *   accel_sandbox_spawn()            per command: a vfork-style child applies
 *                                    the precomputed steps and execs
 *   accel_sandbox_proc_drive()       runs the command to completion through
 *                                    the caller's io_uring (or poll(2))
 *   accel_sandbox_proc_destroy()     kills whatever is left and frees
 *
 * accel_sandbox_run() does spawn + drive + destroy in one blocking call.
 *
 * A compiled policy is immutable and may be shared by any number of threads
 * spawning concurrently. A process handle belongs to one thread at a time,
 * except accel_sandbox_proc_kill(), which any thread may call.
 *
 * Layers, in the order the child applies them: file descriptors, rlimits,
 * cgroup, namespaces (user, pid, ipc, uts, mount, and net when the network
 * is "loopback") with denied paths hidden and protected paths remounted
 * read-only, no_new_privs and no root capabilities across exec, Landlock
 * (filesystem, TCP ports, signal and abstract-socket scoping), seccomp last,
 * then exec. A layer the kernel lacks is left out and the result says so
 * (accel_sandbox_result.layers and .layers_missing); a policy can list
 * layers it requires, and compiling it then fails with
 * -ACCEL_E_SANDBOX_LAYER_MISSING instead.
 *
 * Launcher: a policy with user, pid and mount namespaces (and no per-exec
 * cgroup or private /tmp) starts, on its first spawn, a small pre-forked
 * process that holds the namespaces and filters of that policy; each exec
 * is then a fork of it into a fresh pid namespace. It is stopped by
 * accel_sandbox_destroy() and dies with the calling process. With seccomp
 * notification, one thread per launcher answers the notifications.
 *
 * Threads: the library starts four small background threads the first time
 * an exec runs in a mount namespace of its own; they drop the namespaces of
 * finished execs (their teardown waits for an RCU grace period, which would
 * otherwise delay every result). They block all signals.
 *
 * Errors are negative: -errno or -ACCEL_E_SANDBOX_* (common/errors/sandbox.def).
 */

struct io_uring;
struct accel_sandbox;
struct accel_sandbox_proc;

/* Layers (bits of required/disabled masks and of result.layers). */
#define ACCEL_SANDBOX_L_USERNS	       (1u << 0)
#define ACCEL_SANDBOX_L_PIDNS	       (1u << 1)
#define ACCEL_SANDBOX_L_MNTNS	       (1u << 2)
#define ACCEL_SANDBOX_L_IPCNS	       (1u << 3)
#define ACCEL_SANDBOX_L_UTSNS	       (1u << 4)
#define ACCEL_SANDBOX_L_NETNS	       (1u << 5)
#define ACCEL_SANDBOX_L_LANDLOCK_FS    (1u << 6)
#define ACCEL_SANDBOX_L_LANDLOCK_NET   (1u << 7)
#define ACCEL_SANDBOX_L_LANDLOCK_SCOPE (1u << 8)
#define ACCEL_SANDBOX_L_SECCOMP	       (1u << 9)
#define ACCEL_SANDBOX_L_SECCOMP_NOTIFY (1u << 10)
#define ACCEL_SANDBOX_L_NO_NEW_PRIVS   (1u << 11)
#define ACCEL_SANDBOX_L_NOROOT	       (1u << 12)
#define ACCEL_SANDBOX_L_CGROUP	       (1u << 13)
#define ACCEL_SANDBOX_L_RLIMITS	       (1u << 14)
#define ACCEL_SANDBOX_L_PDEATHSIG      (1u << 15)
/* All namespaces; handy for `disabled` when measuring. */
#define ACCEL_SANDBOX_L_ALL_NS                            \
	(ACCEL_SANDBOX_L_USERNS | ACCEL_SANDBOX_L_PIDNS | \
	 ACCEL_SANDBOX_L_MNTNS | ACCEL_SANDBOX_L_IPCNS |  \
	 ACCEL_SANDBOX_L_UTSNS | ACCEL_SANDBOX_L_NETNS)

/* Returns the short name of one layer bit ("landlock-fs"), or "?". */
const char *accel_sandbox_layer_name(uint32_t layer);

/* What this kernel and process allow; filled once by accel_sandbox_probe(). */
struct accel_sandbox_features {
	uint32_t layers;	 /* ACCEL_SANDBOX_L_* usable here */
	uint32_t landlock_abi;	 /* 0 when Landlock is absent or disabled */
	uint32_t cgroup_version; /* 2, 1, or 0 when no writable cgroup */
	uint32_t io_uring; /* 1 when read/poll/timeout opcodes are there */
	uid_t uid;	   /* effective ids at probe time */
	gid_t gid;
	/* Writable cgroup directories we may create children in ("" if none). */
	char cgroup_v2[256];
	char cgroup_v1_pids[256];
	char cgroup_v1_memory[256];
	char cgroup_v1_cpu[256];
};

/*
 * Probes the kernel once (the first call; later calls return the cached
 * answer) and returns it. Thread-safe. The probe forks a short-lived child to
 * try the namespaces; it costs about a millisecond. Never fails: an absent
 * feature is a zero bit.
 */
const struct accel_sandbox_features *accel_sandbox_probe(void);

enum accel_sandbox_net {
	ACCEL_SANDBOX_NET_NONE = 0,	/* no sockets but AF_UNIX */
	ACCEL_SANDBOX_NET_LOOPBACK = 1, /* private network namespace, lo only */
	ACCEL_SANDBOX_NET_FULL = 2,	/* the host network */
};

/* policy.flags */
/* Mount a fresh tmpfs on /tmp (needs the mount namespace); /tmp writable. */
#define ACCEL_SANDBOX_F_PRIVATE_TMP (1u << 0)
/* Report denied syscalls through seccomp user notification (default on). */
#define ACCEL_SANDBOX_F_NO_NOTIFY (1u << 1)
/* Use a network namespace even for NET_NONE (costs ~0.6 ms per exec). */
#define ACCEL_SANDBOX_F_NETNS_FOR_NONE (1u << 2)
/*
 * Report attempts to create, change or remove paths outside the writable
 * roots (or in denied/protected paths) as ACCEL_SANDBOX_V_WRITE violations.
 * Each such syscall (open for writing, mkdir, unlink, rename, ...) makes a
 * round trip through the engine; the kernel's layers still decide. Needs
 * seccomp user notification.
 */
#define ACCEL_SANDBOX_F_TRACE_WRITES (1u << 3)
/*
 * Do not use the policy's pre-forked launcher (docs/sandbox.md, "The
 * launcher"): every exec builds its namespaces and installs its filters
 * itself, as a vfork-style child of the caller. Slower; for comparison
 * and debugging. Policies with F_PRIVATE_TMP or a per-exec cgroup (memory,
 * pids or CPU limits) always take that path.
 */
#define ACCEL_SANDBOX_F_NO_LAUNCHER (1u << 4)

/*
 * A policy as the caller writes it. Path lists are absolute paths; they are
 * resolved (symlinks followed) when the policy is compiled, so the compiled
 * policy protects the objects that were there at that moment. The policy
 * struct and everything it points to may be freed once compile returns.
 */
struct accel_sandbox_policy {
	/* Readable roots. NULL/0 means the whole filesystem ("/"), read-only. */
	const char *const *read;
	size_t n_read;
	/* Writable roots (also readable). */
	const char *const *write;
	size_t n_write;
	/*
	 * Denied paths: hidden even inside readable or writable roots (an
	 * empty read-only directory or file appears in their place). Paths
	 * that do not exist at compile time are ignored. An entry whose last
	 * component is "**" + "/NAME" style glob ("DIR/ ** /NAME", written
	 * without spaces) denies every NAME found under DIR at compile time
	 * (bounded walk, see docs/sandbox.md).
	 */
	const char *const *deny;
	size_t n_deny;
	/* Paths that stay read-only inside writable roots (.git/hooks). */
	const char *const *readonly;
	size_t n_readonly;
	uint32_t net;	/* enum accel_sandbox_net */
	uint32_t flags; /* ACCEL_SANDBOX_F_* */
	/* Layers that must be in force; compile fails when one is missing. */
	uint32_t required;
	/* Layers not to use even when available (benchmarks, debugging). */
	uint32_t disabled;
	/*
	 * Environment variable names passed through from the request's base
	 * environment; a trailing '*' matches a prefix ("LC_*"). NULL means
	 * the default list (PATH HOME USER LOGNAME SHELL TERM LANG LC_* TZ
	 * TMPDIR). Everything else (tokens, keys) is dropped.
	 */
	const char *const *env_allow;
	size_t n_env_allow;
	/* Limits; 0 means unlimited / the default. */
	uint64_t mem_bytes; /* cgroup memory limit, else RLIMIT_AS */
	uint64_t pids_max;  /* cgroup pids.max, else RLIMIT_NPROC */
	uint64_t cpu_ms;    /* RLIMIT_CPU (rounded up to seconds) */
	/* CPU bandwidth in percent of one CPU (cgroup cpu.max, or the v1
	 * cpu controller's CFS quota); 0: unlimited. Needs a cgroup. */
	uint32_t cpu_percent;
	uint32_t resv;	      /* 0 */
	uint64_t fsize_bytes; /* RLIMIT_FSIZE */
	uint64_t nofile;      /* RLIMIT_NOFILE */
};

/*
 * Compiles a policy against the probed features: resolves paths, opens and
 * fills the Landlock ruleset, builds the seccomp program and exports it as
 * BPF, and precomputes the mount plan and uid/gid maps. Costs a few
 * milliseconds; do it once and reuse the result for every exec.
 *
 * Returns 0 with *out set, or -ACCEL_E_SANDBOX_POLICY (bad policy),
 * -ACCEL_E_SANDBOX_PATH (a read/write/readonly root missing or relative),
 * -ACCEL_E_SANDBOX_LAYER_MISSING (policy->required not satisfiable), -ENOMEM.
 */
int accel_sandbox_policy_compile(const struct accel_sandbox_policy *policy,
				 struct accel_sandbox **out);

/* Frees a compiled policy (NULL is fine). No process may still be spawning. */
void accel_sandbox_destroy(struct accel_sandbox *sb);

/* Layers this compiled policy will apply (ACCEL_SANDBOX_L_*). */
uint32_t accel_sandbox_layers(const struct accel_sandbox *sb);

/* Layers the policy wanted but this kernel or process cannot give. */
uint32_t accel_sandbox_layers_missing(const struct accel_sandbox *sb);

/*
 * Writes a human-readable description of the effective policy (resolved
 * roots, Landlock rules, mounts, seccomp rules, layers present and absent)
 * to fd. Returns 0 or -errno.
 */
int accel_sandbox_explain(const struct accel_sandbox *sb, int fd);

/* exec.flags */
/* Capture stdout and stderr through one pipe, in order (stream 0 only). */
#define ACCEL_SANDBOX_X_MERGE_OUTPUT (1u << 0)

/* One command. Everything is borrowed for the duration of the spawn call. */
struct accel_sandbox_exec {
	/* argv[0] is the program; without a '/', it is searched in the
	 * sandbox environment's PATH. NULL-terminated. */
	const char *const *argv;
	/* Base environment, NULL-terminated "NAME=value" (may be NULL). Only
	 * names on the policy's allowlist pass. */
	const char *const *env;
	/* Set after filtering, overriding ("NAME=value"; may be NULL). */
	const char *const *env_set;
	/* Working directory (absolute); NULL means the first writable root,
	 * or "/" when there is none. */
	const char *cwd;
	/* Bytes fed to stdin, then EOF. NULL/0: stdin is /dev/null. */
	const void *stdin_data;
	size_t stdin_len;
	uint64_t timeout_ms;	/* 0: no timeout */
	uint64_t kill_grace_ms; /* SIGTERM→SIGKILL delay; 0 means 2000 */
	/* Bytes kept per stream: the first head_bytes and the last
	 * tail_bytes; the middle is counted, not kept. 0/0 means 64 KiB
	 * each; each is capped at 1 GiB. */
	uint32_t head_bytes;
	uint32_t tail_bytes;
	/* Kill the command once this many output bytes were produced in
	 * total (0: never). */
	uint64_t max_output_bytes;
	uint32_t flags; /* ACCEL_SANDBOX_X_* */
	uint32_t resv;
};

/* result.flags */
#define ACCEL_SANDBOX_R_TIMED_OUT    (1u << 0)
#define ACCEL_SANDBOX_R_CANCELLED    (1u << 1)
#define ACCEL_SANDBOX_R_OUTPUT_LIMIT (1u << 2)
#define ACCEL_SANDBOX_R_OOM	     (1u << 3) /* memory limit reached */
#define ACCEL_SANDBOX_R_PIDS_LIMIT   (1u << 4) /* fork refused by pids limit */
#define ACCEL_SANDBOX_R_VIOLATIONS   (1u << 5) /* see result.violations */

/* Captured output of one stream. */
struct accel_sandbox_output {
	char *data; /* head bytes then tail bytes; malloc'ed, NUL-terminated */
	uint32_t len;	   /* bytes in data */
	uint32_t head_len; /* data[0, head_len) is the head; the rest the tail */
	uint64_t total;	   /* bytes the command wrote */
	uint64_t elided; /* total - len: bytes dropped between head and tail */
};

/* violation.kind */
enum accel_sandbox_violation_kind {
	ACCEL_SANDBOX_V_SYSCALL =
		1,		    /* a blocked syscall (ptrace, mount, ...) */
	ACCEL_SANDBOX_V_SOCKET = 2, /* a socket family the policy forbids */
	ACCEL_SANDBOX_V_NAMESPACE = 3, /* unshare/setns/clone of a namespace */
	ACCEL_SANDBOX_V_IOCTL = 4,     /* TIOCSTI and friends */
	/* A write outside the roots, "mkdir /etc/x" (F_TRACE_WRITES). */
	ACCEL_SANDBOX_V_WRITE = 5,
};

struct accel_sandbox_violation {
	uint32_t kind; /* enum accel_sandbox_violation_kind */
	int32_t nr;    /* syscall number */
	int32_t pid;   /* pid as seen from the engine */
	uint32_t resv;
	uint64_t args[3]; /* first syscall arguments */
	char what[48];	  /* "socket(AF_INET, SOCK_STREAM)", "ptrace" */
};

#define ACCEL_SANDBOX_MAX_VIOLATIONS 64

struct accel_sandbox_result {
	int32_t exit_code;   /* -1 when killed by a signal or never started */
	int32_t term_signal; /* signal that ended it, 0 when it exited */
	uint32_t flags;	     /* ACCEL_SANDBOX_R_* */
	uint32_t layers;     /* ACCEL_SANDBOX_L_* actually in force */
	/* Layers the policy wanted that this kernel or process cannot give:
	 * the loud part of degrading. 0 when nothing is missing. */
	uint32_t layers_missing;
	uint32_t landlock_abi;
	uint32_t n_violations;
	uint32_t violations_dropped; /* beyond ACCEL_SANDBOX_MAX_VIOLATIONS */
	/* When spawn failed in the child: the step (ACCEL_SANDBOX_STEP_*)
	 * and its errno. */
	uint32_t failed_step;
	int32_t failed_errno;
	uint64_t wall_ns;
	uint64_t user_ns; /* CPU time of the tree (reaped processes) */
	uint64_t sys_ns;
	uint64_t peak_rss_bytes; /* cgroup peak when there is one, else the
				    largest process's max RSS */
	struct accel_sandbox_output out[2]; /* stdout (or merged), stderr */
	struct accel_sandbox_violation violations[ACCEL_SANDBOX_MAX_VIOLATIONS];
};

/* The child's steps, reported in result.failed_step. */
enum accel_sandbox_step {
	ACCEL_SANDBOX_STEP_NONE = 0,
	ACCEL_SANDBOX_STEP_CLONE,
	ACCEL_SANDBOX_STEP_PDEATHSIG,
	ACCEL_SANDBOX_STEP_FDS,
	ACCEL_SANDBOX_STEP_RLIMITS,
	ACCEL_SANDBOX_STEP_CGROUP,
	ACCEL_SANDBOX_STEP_IDMAP,
	ACCEL_SANDBOX_STEP_MOUNTS,
	ACCEL_SANDBOX_STEP_NETNS,
	ACCEL_SANDBOX_STEP_CWD,
	ACCEL_SANDBOX_STEP_NOROOT,
	ACCEL_SANDBOX_STEP_NO_NEW_PRIVS,
	ACCEL_SANDBOX_STEP_LANDLOCK,
	ACCEL_SANDBOX_STEP_SECCOMP,
	ACCEL_SANDBOX_STEP_SIGNALS,
	ACCEL_SANDBOX_STEP_EXEC,
};

/* Returns the name of a step ("landlock"), or "?". */
const char *accel_sandbox_step_name(uint32_t step);

/*
 * Starts a command. Blocks only for the vfork-style child's setup (the
 * caller's thread is suspended until the child execs or fails; through a
 * launcher, until its waiting process has taken the command), allocates
 * the handle and its capture buffers.
 *
 * Returns 0 with *out set, or: -ACCEL_E_SANDBOX_ARGV (empty argv, argv+env
 * too large), -ACCEL_E_SANDBOX_CWD, -ACCEL_E_SANDBOX_NOT_FOUND,
 * -ACCEL_E_SANDBOX_NOT_EXEC, -ACCEL_E_SANDBOX_SETUP (a setup step failed;
 * res->failed_step/failed_errno tell which) , -ACCEL_E_SANDBOX_CGROUP, or
 * -errno. On failure, res (when not NULL) is filled with the failure; on
 * success res is untouched. Through a launcher, a step that fails after
 * the process exists (the exec itself: not found, not executable) is
 * reported by accel_sandbox_proc_drive() instead, with the same code and
 * res->failed_step/failed_errno; accel_sandbox_run() returns it the same
 * way either path.
 */
int accel_sandbox_spawn(const struct accel_sandbox *sb,
			const struct accel_sandbox_exec *req,
			struct accel_sandbox_proc **out,
			struct accel_sandbox_result *res);

/* pidfd of the sandbox's top process (for the caller's own polling). */
int accel_sandbox_proc_pidfd(const struct accel_sandbox_proc *p);

/* Options of the driver; all fields optional (zero = default). */
struct accel_sandbox_drive_opts {
	/*
	 * The caller's io_uring: pipe reads, the pidfd poll, the seccomp
	 * listener poll and timeouts become SQEs on it. The driver tags its
	 * user_data; a completion without the tag goes to foreign_cqe (or is
	 * dropped when that is NULL), so the caller should have nothing else
	 * in flight or provide foreign_cqe. NULL: a poll(2) loop.
	 */
	struct io_uring *ring;
	void (*foreign_cqe)(void *arg, uint64_t user_data, int32_t res,
			    uint32_t flags);
	/*
	 * Streaming: called with each chunk as it is read (stream 0 = stdout
	 * or merged, 1 = stderr), before capping. Must not block for long.
	 */
	void (*on_output)(void *arg, int stream, const void *data, size_t len);
	/*
	 * Polled every poll_ms (default 50) and after each event; returning
	 * non-zero cancels the command (SIGTERM, grace, SIGKILL of the tree).
	 */
	int (*cancelled)(void *arg);
	void *arg;
	uint32_t poll_ms;
	uint32_t resv;
};

/*
 * Runs a spawned command to the end: feeds stdin, captures output with the
 * caps, answers seccomp notifications (denying and recording them), enforces
 * the timeout and cancellation by killing the whole tree (SIGTERM, then
 * SIGKILL after the grace period), and reaps. Blocks the calling thread until
 * the top process has exited and the rest of the tree is gone: with a pid
 * namespace it dies with the top process; otherwise the process group and
 * the cgroup are killed and the pipes drained for at most 500 ms.
 *
 * Fills *res and returns 0, or -errno when the ring failed (the tree is
 * killed in that case too), or the code accel_sandbox_spawn() gives for a
 * failed step when a launcher's process failed before its exec (see
 * there). res->out[].data is malloc'ed: free it with
 * accel_sandbox_result_free(). May be called once per handle.
 */
int accel_sandbox_proc_drive(struct accel_sandbox_proc *p,
			     const struct accel_sandbox_drive_opts *opts,
			     struct accel_sandbox_result *res);

/*
 * Asks the driver to cancel (thread-safe, async-signal-safe): the tree gets
 * SIGTERM now and SIGKILL after the grace period.
 */
void accel_sandbox_proc_kill(struct accel_sandbox_proc *p);

/*
 * Kills the tree with SIGKILL if still alive, reaps, removes the cgroup,
 * closes the fds and frees the handle (NULL is fine).
 */
void accel_sandbox_proc_destroy(struct accel_sandbox_proc *p);

/*
 * spawn + drive + destroy. opts may be NULL (a poll(2) loop, no streaming).
 * Returns 0 when the command ran (whatever its exit status: see res), or the
 * negative code of accel_sandbox_spawn/drive. res is always filled; free it
 * with accel_sandbox_result_free().
 */
int accel_sandbox_run(const struct accel_sandbox *sb,
		      const struct accel_sandbox_exec *req,
		      const struct accel_sandbox_drive_opts *opts,
		      struct accel_sandbox_result *res);

/*
 * Unpacks `count` strings from a wire buffer laid out as, for each string, a
 * little-endian uint32_t length followed by that many bytes (no NUL). The
 * whole buffer must be consumed. For the engine's exec op: the buffer must be
 * a private copy (not the shared mapping).
 *
 * Returns 0 with *out set to a NULL-terminated vector in one allocation
 * (free it with accel_free()), `err` (pass -ACCEL_E_SANDBOX_ARGV or
 * -ACCEL_E_SANDBOX_ENV) when a length runs past the buffer, a string holds a
 * NUL byte, one string exceeds 128 KiB or all exceed 2 MiB, or -ENOMEM.
 */
int accel_sandbox_strv_unpack(const void *buf, size_t len, uint32_t count,
			      int err, char ***out);

/*
 * The result as one little-endian block for the wire (the engine's exec op
 * puts it in the result arena; Node reads it in place). Offsets in bytes:
 *
 *   0  u32 magic ACCEL_SANDBOX_WIRE_MAGIC ("ASBR")
 *   4  u16 version (1), u16 header size (160)
 *   8  i32 exit_code (-1: none)       12 i32 term_signal
 *  16  u32 flags (R_*)                20 u32 layers (L_*)
 *  24  u32 landlock_abi               28 u32 failed_step
 *  32  i32 failed_errno               36 u32 n_violations
 *  40  u32 violations_dropped         44 u32 layers_missing
 *  48  u64 wall_ns    56 u64 user_ns  64 u64 sys_ns  72 u64 peak_rss_bytes
 *  80  stream[2], 32 bytes each: u32 data offset (from the block start),
 *      u32 len, u32 head_len, u32 reserved, u64 total, u64 elided
 * 144  u32 violations offset (160)    148 u32 violation size (88)
 * 152  u64 reserved (0)
 * 160  violations, 88 bytes each: u32 kind, i32 nr, i32 pid, u32 reserved,
 *      u64 args[3], char what[48] (NUL-padded)
 * then the stdout bytes, then the stderr bytes (no NUL terminators).
 *
 * Returns the size the block needs; writes it only when len is at least
 * that (call with buf NULL to size it). Never fails.
 */
#define ACCEL_SANDBOX_WIRE_MAGIC     0x52425341u
#define ACCEL_SANDBOX_WIRE_VERSION   1u
#define ACCEL_SANDBOX_WIRE_HDR	     160u
#define ACCEL_SANDBOX_WIRE_VIOLATION 88u
size_t accel_sandbox_result_encode(const struct accel_sandbox_result *res,
				   void *buf, size_t len);

/* Frees the output buffers of a result (the struct itself is the caller's). */
void accel_sandbox_result_free(struct accel_sandbox_result *res);

#endif
