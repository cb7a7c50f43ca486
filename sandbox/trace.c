/* SPDX-License-Identifier: MIT */
/*
 * Write tracing (ACCEL_SANDBOX_F_TRACE_WRITES): syscalls that create, modify
 * or remove a path go through the engine by seccomp user notification. The
 * engine reads the path from the command's memory, resolves it against the
 * command's cwd or dirfd, records it when it lies outside the writable roots
 * (or in a denied or protected path), and lets the kernel carry on
 * (SECCOMP_USER_NOTIF_FLAG_CONTINUE): Landlock and the mounts still decide.
 * Nothing is granted here, so a path changed between our read and the
 * kernel's is only a wrong report, never a hole.
 *
 * The resolution is lexical ("..", ".", no symlinks): a report, not a check.
 * Each traced call costs a round trip through the engine, hence opt-in.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "sandbox_int.h"

/* Which argument holds a dirfd (-1: none, AT_FDCWD) and which the path. */
struct traced {
	const char *name;
	int dirfd, path;
	int dirfd2, path2; /* a second path (rename's old name), or -1 */
};

static const struct traced traced[] = {
	{ "creat", -1, 0, -1, -1 },    { "mkdir", -1, 0, -1, -1 },
	{ "mkdirat", 0, 1, -1, -1 },   { "unlink", -1, 0, -1, -1 },
	{ "unlinkat", 0, 1, -1, -1 },  { "rmdir", -1, 0, -1, -1 },
	{ "rename", -1, 1, -1, 0 },    { "renameat", 2, 3, 0, 1 },
	{ "renameat2", 2, 3, 0, 1 },   { "link", -1, 1, -1, -1 },
	{ "linkat", 2, 3, -1, -1 },    { "symlink", -1, 1, -1, -1 },
	{ "symlinkat", 1, 2, -1, -1 }, { "truncate", -1, 0, -1, -1 },
	{ "mknod", -1, 0, -1, -1 },    { "mknodat", 0, 1, -1, -1 },
	{ "open", -1, 0, -1, -1 },     { "openat", 0, 1, -1, -1 },
	{ "openat2", 0, 1, -1, -1 },   { "chmod", -1, 0, -1, -1 },
	{ "fchmodat", 0, 1, -1, -1 },
};

/* open/openat notify only when the flags ask for writing or creating. */
static const uint64_t write_flags[] = { O_WRONLY, O_RDWR, O_CREAT, O_TRUNC };

int accel__sbx_trace_rules(void *filter)
{
	scmp_filter_ctx ctx = filter;
	int ret = 0;

	for (size_t i = 0; !ret && i < sizeof(traced) / sizeof(*traced); i++) {
		int nr = seccomp_syscall_resolve_name(traced[i].name);

		if (nr == __NR_SCMP_ERROR)
			continue;
		if (!strcmp(traced[i].name, "open") ||
		    !strcmp(traced[i].name, "openat")) {
			unsigned arg = traced[i].path + 1;

			for (size_t f = 0; !ret && f < 4; f++)
				ret = seccomp_rule_add(
					ctx, SCMP_ACT_NOTIFY, nr, 1,
					SCMP_CMP(arg, SCMP_CMP_MASKED_EQ,
						 write_flags[f],
						 write_flags[f]));
		} else {
			ret = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 0);
		}
	}
	return ret;
}

/* Reads a NUL-terminated string from the target, page by page. */
static int read_remote(pid_t pid, uint64_t addr, char *buf, size_t len)
{
	size_t got = 0;

	while (got < len - 1) {
		size_t page = 4096 - (size_t)((addr + got) & 4095);
		size_t want = ACCEL_MIN(page, len - 1 - got);
		struct iovec l = { buf + got, want };
		struct iovec r = { (void *)(uintptr_t)(addr + got), want };
		ssize_t n = process_vm_readv(pid, &l, 1, &r, 1, 0);

		if (n <= 0)
			return -1;
		if (memchr(buf + got, '\0', (size_t)n))
			return 0;
		got += (size_t)n;
	}
	buf[len - 1] = '\0';
	return 0;
}

/* Joins base and rel and folds "." and ".." lexically, in place. */
static void normalize(char *out, size_t len, const char *base, const char *rel)
{
	char tmp[PATH_MAX * 2];
	size_t o = 0;
	const char *p;

	if (rel[0] == '/')
		snprintf(tmp, sizeof(tmp), "%s", rel);
	else
		snprintf(tmp, sizeof(tmp), "%s/%s", base, rel);
	p = tmp;
	out[0] = '\0';
	while (*p) {
		size_t l;

		while (*p == '/')
			p++;
		l = strcspn(p, "/");
		if (!l)
			break;
		if (l == 1 && p[0] == '.') {
			/* skip */
		} else if (l == 2 && p[0] == '.' && p[1] == '.') {
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
		} else if (o + 1 + l < len) {
			out[o++] = '/';
			memcpy(out + o, p, l);
			o += l;
		}
		p += l;
	}
	if (!o)
		out[o++] = '/';
	out[o] = '\0';
}

static int within(const char *p, const char *root)
{
	size_t rl = strlen(root);

	if (rl == 1)
		return 1;
	return !strncmp(p, root, rl) && (p[rl] == '\0' || p[rl] == '/');
}

static int path_allowed(const struct accel_sandbox *sb, const char *p)
{
	int ok = !strncmp(p, "/dev/", 5) ||
		 ((sb->flags & ACCEL_SANDBOX_F_PRIVATE_TMP) &&
		  within(p, "/tmp"));

	for (size_t i = 0; i < sb->n_write && !ok; i++)
		ok = within(p, sb->write[i]);
	for (size_t i = 0; i < sb->n_readonly && ok; i++)
		ok = !within(p, sb->readonly[i]);
	for (size_t i = 0; i < sb->n_deny && ok; i++)
		ok = !within(p, sb->deny[i]);
	return ok;
}

/* Resolves one path argument; 1 when it is outside what may be written. */
static int check_one(const struct accel_sandbox *sb,
		     const struct seccomp_notif *req, int dirfd_arg,
		     int path_arg, char *out, size_t len)
{
	char rel[PATH_MAX], base[PATH_MAX], link[64];
	int dirfd = dirfd_arg < 0 ? AT_FDCWD : (int)req->data.args[dirfd_arg];
	ssize_t n;

	if (read_remote((pid_t)req->pid, req->data.args[path_arg], rel,
			sizeof(rel)) < 0)
		return 0;
	base[0] = '\0';
	if (rel[0] != '/') {
		if (dirfd == AT_FDCWD)
			snprintf(link, sizeof(link), "/proc/%u/cwd", req->pid);
		else
			snprintf(link, sizeof(link), "/proc/%u/fd/%d", req->pid,
				 dirfd);
		n = readlink(link, base, sizeof(base) - 1);
		if (n < 0)
			return 0;
		base[n] = '\0';
	}
	normalize(out, len, base[0] ? base : "/", rel);
	return !path_allowed(sb, out);
}

int accel__sbx_trace_check(const struct accel_sandbox *sb,
			   const struct seccomp_notif *req, const char *name,
			   struct accel_sandbox_violation *v)
{
	const struct traced *t = NULL;
	char path[PATH_MAX];
	int hit;

	if (!(sb->flags & ACCEL_SANDBOX_F_TRACE_WRITES))
		return 0;
	for (size_t i = 0; i < sizeof(traced) / sizeof(*traced) && !t; i++)
		if (!strcmp(traced[i].name, name))
			t = &traced[i];
	if (!t)
		return 0;
	hit = check_one(sb, req, t->dirfd, t->path, path, sizeof(path));
	if (!hit && t->path2 >= 0)
		hit = check_one(sb, req, t->dirfd2, t->path2, path,
				sizeof(path));
	if (!hit)
		return 1;
	v->kind = ACCEL_SANDBOX_V_WRITE;
	/* Keep the end of a long path: it names the file. */
	{
		size_t pl = strlen(path),
		       room = sizeof(v->what) - 1 - strlen(name) - 1;

		snprintf(v->what, sizeof(v->what), "%s %.*s", name, (int)room,
			 pl > room ? path + pl - room : path);
	}
	return 2;
}
