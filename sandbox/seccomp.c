/* SPDX-License-Identifier: MIT */
/*
 * seccomp layer. libseccomp builds the filter once per compiled policy and
 * exports it as raw BPF; the child installs it with one seccomp(2) call,
 * the last step before exec.
 *
 * The filter allows by default and denies a list of syscalls that a shell
 * command has no business making (ptrace, the mount family, bpf, module
 * loading, io_uring, ...), socket families the network policy forbids,
 * namespace creation and TIOCSTI-style ioctls. With user notification the
 * denial goes through the engine (SECCOMP_RET_USER_NOTIF), which records
 * what was attempted and answers with an error, so the result can list it;
 * without it the filter returns the error itself.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "accel_alloc.h"
#include "sandbox_int.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif

/* Denied outright: no sandboxed command needs these. */
static const char *const blocked[] = {
	"ptrace",
	"process_vm_readv",
	"process_vm_writev",
	"bpf",
	"perf_event_open",
	"keyctl",
	"add_key",
	"request_key",
	"kexec_load",
	"kexec_file_load",
	"init_module",
	"finit_module",
	"delete_module",
	"io_uring_setup",
	"io_uring_enter",
	"io_uring_register",
	"mount",
	"umount2",
	"pivot_root",
	"move_mount",
	"open_tree",
	"fsopen",
	"fsconfig",
	"fsmount",
	"fspick",
	"mount_setattr",
	"unshare",
	"setns",
	"userfaultfd",
	"acct",
	"swapon",
	"swapoff",
	"reboot",
	"syslog",
	"iopl",
	"ioperm",
	"quotactl",
	"quotactl_fd",
	"nfsservctl",
	"vhangup",
	"pidfd_getfd",
	"name_to_handle_at",
	"open_by_handle_at",
	"fanotify_init",
	"chroot",
	"kcmp",
	"uselib",
	"settimeofday",
	"clock_settime",
	"clock_adjtime",
	"adjtimex",
	"lookup_dcookie",
};

static const uint64_t ns_bits[] = {
	CLONE_NEWUSER, CLONE_NEWNS,  CLONE_NEWPID,    CLONE_NEWNET,
	CLONE_NEWIPC,  CLONE_NEWUTS, CLONE_NEWCGROUP, CLONE_NEWTIME,
};

/* ioctls that inject input into or reconfigure the controlling tty. */
static const uint64_t bad_ioctls[] = { TIOCSTI, TIOCLINUX };

static int add_rules(scmp_filter_ctx ctx, uint32_t deny, uint32_t net,
		     int launcher)
{
	int ret = 0;

	for (size_t i = 0; i < sizeof(blocked) / sizeof(*blocked); i++) {
		int nr = seccomp_syscall_resolve_name(blocked[i]);

		if (nr == __NR_SCMP_ERROR)
			continue;
		/* The launcher's per-exec child mounts its /proc with one
		 * exact flag word; from a command, Landlock (which forbids
		 * every mount to a restricted task) and the missing
		 * capability refuse that call too. */
		if (launcher && nr == SCMP_SYS(mount))
			ret = seccomp_rule_add(
				ctx, deny, nr, 1,
				SCMP_A3(SCMP_CMP_NE, SBX_LAUNCHER_PROC_FLAGS));
		else
			ret = seccomp_rule_add(ctx, deny, nr, 0);
		if (ret)
			return ret;
	}
	/* glibc falls back from clone3 to clone on ENOSYS, and clone's flags
	 * can be inspected, unlike clone3's struct in memory. */
	ret = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3),
			       0);
	for (size_t i = 0; !ret && i < sizeof(ns_bits) / sizeof(*ns_bits);
	     i++) {
		uint64_t mask = ns_bits[i];

		/* The launcher's program lets clone(CLONE_NEWPID, NEWNS,
		 * NEWIPC) through when it comes with CLONE_PARENT: that is
		 * the launcher starting a command's process. A command has
		 * no capability left in its user namespace (noroot,
		 * no_new_privs), so the kernel refuses the same call from it
		 * with EPERM; only the report of that one flag combination
		 * is lost. */
		if (launcher &&
		    (ns_bits[i] == CLONE_NEWPID || ns_bits[i] == CLONE_NEWNS ||
		     ns_bits[i] == CLONE_NEWIPC))
			mask |= CLONE_PARENT;
		ret = seccomp_rule_add(ctx, deny, SCMP_SYS(clone), 1,
				       SCMP_A0(SCMP_CMP_MASKED_EQ, mask,
					       ns_bits[i]));
	}
	for (size_t i = 0; !ret && i < 2; i++)
		ret = seccomp_rule_add(ctx, deny, SCMP_SYS(ioctl), 1,
				       SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu,
					       bad_ioctls[i]));
	if (ret)
		return ret;

	if (net == ACCEL_SANDBOX_NET_NONE) {
		/* A 64-bit compare: garbage in the upper half is denied too,
		 * which errs on the safe side. */
		ret = seccomp_rule_add(ctx, deny, SCMP_SYS(socket), 1,
				       SCMP_A0(SCMP_CMP_NE, AF_UNIX));
		if (!ret)
			ret = seccomp_rule_add(ctx, deny, SCMP_SYS(socketpair),
					       1,
					       SCMP_A0(SCMP_CMP_NE, AF_UNIX));
		return ret;
	}
	/* LOOPBACK and FULL: IP, netlink (getaddrinfo, ip) and Unix only;
	 * no raw IP. The kernel reads the family as an int, so compare the
	 * low 32 bits. */
	for (uint64_t fam = 0; !ret && fam < AF_MAX; fam++) {
		if (fam == AF_UNIX || fam == AF_INET || fam == AF_INET6 ||
		    fam == AF_NETLINK)
			continue;
		ret = seccomp_rule_add(ctx, deny, SCMP_SYS(socket), 1,
				       SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffu,
					       fam));
	}
	for (int f = 0; !ret && f < 2; f++)
		ret = seccomp_rule_add(ctx, deny, SCMP_SYS(socket), 2,
				       SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffu,
					       f ? AF_INET6 : AF_INET),
				       SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf,
					       SOCK_RAW));
	return ret;
}

static int build(struct accel_sandbox *sb, int launcher, struct sock_fprog *out)
{
	uint32_t deny = sb->notify ? SCMP_ACT_NOTIFY : SCMP_ACT_ERRNO(EPERM);
	scmp_filter_ctx ctx;
	struct stat st;
	int fd = -1, ret;
	void *buf = NULL;

	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return -ENOMEM;
	/* The child sets no_new_privs itself, in its own step. Foreign
	 * architectures (int 0x80, x32) kill the process. */
	ret = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (!ret)
		ret = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
				       SCMP_ACT_KILL_PROCESS);
	/* A binary tree of syscall numbers instead of a linear list: fewer
	 * instructions run per syscall of the command. */
	if (!ret)
		ret = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (!ret)
		ret = add_rules(ctx, deny, sb->net, launcher);
	if (!ret && sb->notify && (sb->flags & ACCEL_SANDBOX_F_TRACE_WRITES))
		ret = accel__sbx_trace_rules(ctx);
	if (ret)
		goto out;
	fd = memfd_create("accel-seccomp", MFD_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	ret = seccomp_export_bpf(ctx, fd);
	if (ret)
		goto out;
	if (fstat(fd, &st) < 0 || st.st_size <= 0 ||
	    st.st_size % sizeof(struct sock_filter)) {
		ret = -EINVAL;
		goto out;
	}
	buf = accel_malloc((size_t)st.st_size);
	if (!buf) {
		ret = -ENOMEM;
		goto out;
	}
	if (pread(fd, buf, (size_t)st.st_size, 0) != st.st_size) {
		ret = -EIO;
		goto out;
	}
	out->filter = buf;
	out->len = (unsigned short)(st.st_size / sizeof(struct sock_filter));
	buf = NULL;
out:
	accel_free(buf);
	if (fd >= 0)
		close(fd);
	seccomp_release(ctx);
	return ret;
}

int accel__sbx_seccomp_compile(struct accel_sandbox *sb)
{
	int ret = build(sb, 0, &sb->prog);

	if (!ret && accel__sbx_zygote_eligible(sb)) {
		ret = build(sb, 1, &sb->zprog);
		sb->zygote_ok = !ret;
	}
	return ret;
}

/* Installs the filter and, with notification, hands the listener over. */
int accel__sbx_seccomp_child(const struct sbx_child *c)
{
	const struct accel_sandbox *sb = c->sb;
	unsigned flags = sb->notify ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0;
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct msghdr msg = { 0 };
	struct cmsghdr *cm;
	struct iovec iov;
	char byte = 'L';
	long fd;

	fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &sb->prog);
	if (fd < 0)
		return -errno;
	if (!sb->notify)
		return 0;
	iov.iov_base = &byte;
	iov.iov_len = 1;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf;
	msg.msg_controllen = sizeof(cbuf);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &(int){ (int)fd }, sizeof(int));
	if (sendmsg(c->report_fd, &msg, MSG_NOSIGNAL) != 1)
		return -errno;
	/* The listener is close-on-exec; the command never sees it. */
	return 0;
}

static const char *family_name(uint64_t fam)
{
	switch (fam & 0xffffffffu) {
	case AF_INET:
		return "AF_INET";
	case AF_INET6:
		return "AF_INET6";
	case AF_PACKET:
		return "AF_PACKET";
	case AF_NETLINK:
		return "AF_NETLINK";
	case AF_UNIX:
		return "AF_UNIX";
	default:
		return NULL;
	}
}

static const char *type_name(uint64_t type)
{
	switch (type & 0xf) {
	case SOCK_STREAM:
		return "SOCK_STREAM";
	case SOCK_DGRAM:
		return "SOCK_DGRAM";
	case SOCK_RAW:
		return "SOCK_RAW";
	case SOCK_SEQPACKET:
		return "SOCK_SEQPACKET";
	default:
		return "?";
	}
}

static void describe(struct accel_sandbox_violation *v,
		     const struct seccomp_notif *req, const char *n)
{
	const char *fam;

	v->nr = req->data.nr;
	v->pid = (int32_t)req->pid;
	for (int i = 0; i < 3; i++)
		v->args[i] = req->data.args[i];
	if (!strcmp(n, "socket") || !strcmp(n, "socketpair")) {
		v->kind = ACCEL_SANDBOX_V_SOCKET;
		fam = family_name(req->data.args[0]);
		if (fam)
			snprintf(v->what, sizeof(v->what), "%s(%s, %s)", n, fam,
				 type_name(req->data.args[1]));
		else
			snprintf(v->what, sizeof(v->what), "%s(%llu, %s)", n,
				 (unsigned long long)req->data.args[0],
				 type_name(req->data.args[1]));
	} else if (!strcmp(n, "clone") || !strcmp(n, "unshare") ||
		   !strcmp(n, "setns")) {
		v->kind = ACCEL_SANDBOX_V_NAMESPACE;
		snprintf(v->what, sizeof(v->what), "%s(0x%llx)", n,
			 (unsigned long long)req->data.args[0]);
	} else if (!strcmp(n, "ioctl")) {
		v->kind = ACCEL_SANDBOX_V_IOCTL;
		snprintf(v->what, sizeof(v->what), "ioctl(%s)",
			 (req->data.args[1] & 0xffffffffu) == TIOCSTI ?
				 "TIOCSTI" :
				 "TIOCLINUX");
	} else {
		v->kind = ACCEL_SANDBOX_V_SYSCALL;
		snprintf(v->what, sizeof(v->what), "%s", n);
	}
}

static void record_res(void *arg, const struct accel_sandbox_violation *v)
{
	struct accel_sandbox_result *res = arg;

	res->flags |= ACCEL_SANDBOX_R_VIOLATIONS;
	if (res->n_violations < ACCEL_SANDBOX_MAX_VIOLATIONS)
		res->violations[res->n_violations++] = *v;
	else
		res->violations_dropped++;
}

int accel__sbx_seccomp_handle(const struct accel_sandbox *sb, int listener,
			      struct accel_sandbox_result *res,
			      sbx_record_fn record, void *arg)
{
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;
	struct accel_sandbox_violation v = { 0 };
	char *name;
	int traced;

	memset(&req, 0, sizeof(req));
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
		return -errno; /* ENOENT: the caller died meanwhile */
	name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, req.data.nr);
	memset(&resp, 0, sizeof(resp));
	resp.id = req.id;
	v.nr = req.data.nr;
	v.pid = (int32_t)req.pid;
	for (int i = 0; i < 3; i++)
		v.args[i] = req.data.args[i];
	traced = accel__sbx_trace_check(sb, &req, name ? name : "?", &v);
	if (traced) {
		/* A traced write: the kernel decides, we only watched. */
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	} else {
		describe(&v, &req, name ? name : "?");
		resp.error = v.kind == ACCEL_SANDBOX_V_SOCKET ? -EACCES :
								-EPERM;
	}
	free(name);
	/* Recorded before the answer lets the caller run on (and exit). */
	if (traced != 1) {
		if (record)
			record(arg, &v);
		else
			record_res(res, &v);
	}
	/* ENOENT here means the target was killed; nothing to answer. */
	ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
	return 0;
}
