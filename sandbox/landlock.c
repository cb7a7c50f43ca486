/* SPDX-License-Identifier: MIT */
/*
 * Landlock layer. The ruleset is created and filled once, when the policy is
 * compiled; each child only calls landlock_restrict_self() on it, which costs
 * a few microseconds. Rules attach to inodes, so the compiled policy keeps
 * protecting the objects its paths named at compile time.
 *
 * Landlock only adds rights: a rule on a directory grants its rights to the
 * whole subtree. To take a right away below a root (a denied path, or a
 * read-only path inside a writable root) the right is not granted on the
 * root but on each sibling along the way down ("expansion"). With a mount
 * namespace the sandbox hides denied paths and remounts protected ones
 * read-only instead, so expansion is only needed without one.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "accel_alloc.h"
#include "accel_compiler.h"
#include "sandbox_int.h"

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule	    445
#define SYS_landlock_restrict_self  446
#endif

#define LL_RULE_PATH_BENEATH 1

struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

struct ll_path_beneath_attr {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));

long accel__sbx_ll_create(const void *attr, size_t size, uint32_t flags)
{
	return syscall(SYS_landlock_create_ruleset, attr, size, flags);
}

static uint64_t handled_fs(uint32_t abi)
{
	uint64_t fs = (LL_FS_MAKE_SYM << 1) - 1; /* ABI 1: bits 0..12 */

	if (abi >= 2)
		fs |= LL_FS_REFER;
	if (abi >= 3)
		fs |= LL_FS_TRUNCATE;
	if (abi >= 5)
		fs |= LL_FS_IOCTL_DEV;
	return fs;
}

/* One path the policy gives rights to (mask) for its whole subtree. */
struct spec {
	const char *path;
	size_t len;
	uint64_t mask;
	int grant; /* adds to what encloses it (roots), vs. restricts */
};

struct ll_build {
	struct accel_sandbox *sb;
	struct spec *specs;
	size_t n;
	uint64_t handled;
};

/* True when p lies strictly below the directory anc. */
static int under(const char *p, size_t plen, const char *anc, size_t alen)
{
	if (alen == 1)
		return plen > 1;
	return plen > alen && p[alen] == '/' && memcmp(p, anc, alen) == 0;
}

static int add_rule(struct ll_build *b, const char *path, uint64_t access)
{
	struct ll_path_beneath_attr pb;
	struct accel_sandbox *sb = b->sb;
	struct stat st;
	int fd, ret = 0;

	access &= b->handled;
	if (!access)
		return 0;
	fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
		access &= LL_FS_FILE_BITS;
	pb.allowed_access = access;
	pb.parent_fd = fd;
	if (access && syscall(SYS_landlock_add_rule, sb->ruleset_fd,
			      LL_RULE_PATH_BENEATH, &pb, 0) < 0)
		ret = -errno;
	if (ret || !access) {
		close(fd);
		return ret;
	}
	if (sb->n_llrules == sb->cap_llrules) {
		size_t cap = sb->cap_llrules ? sb->cap_llrules * 2 : 16;
		void *p =
			accel_realloc(sb->llrules, cap * sizeof(*sb->llrules));
		void *f = accel_realloc(sb->ll_fds, cap * sizeof(int));
		void *a = f ? accel_realloc(sb->ll_access,
					    cap * sizeof(uint64_t)) :
			      NULL;

		if (p)
			sb->llrules = p;
		if (f)
			sb->ll_fds = f;
		if (a)
			sb->ll_access = a;
		if (!p || !f || !a) {
			close(fd);
			return -ENOMEM;
		}
		sb->cap_llrules = cap;
	}
	/* Kept for the child's own ruleset (private /tmp), else closed. */
	if (sb->flags & ACCEL_SANDBOX_F_PRIVATE_TMP) {
		sb->ll_fds[sb->n_ll_fds] = fd;
		sb->ll_access[sb->n_ll_fds++] = access;
	} else {
		close(fd);
	}
	sb->llrules[sb->n_llrules].path = accel_strdup(path);
	if (!sb->llrules[sb->n_llrules].path)
		return -ENOMEM;
	sb->llrules[sb->n_llrules++].access = access;
	return 0;
}

/*
 * Indices of the specs strictly below path that have no other spec between
 * them and path. Returns the count written to idx.
 */
static size_t nearest(const struct ll_build *b, const char *path, size_t len,
		      size_t *idx)
{
	size_t n = 0;

	for (size_t i = 0; i < b->n; i++) {
		const struct spec *s = &b->specs[i];
		int inner = 0;

		if (!under(s->path, s->len, path, len))
			continue;
		for (size_t j = 0; j < b->n && !inner; j++) {
			const struct spec *t = &b->specs[j];

			inner = j != i && under(t->path, t->len, path, len) &&
				under(s->path, s->len, t->path, t->len);
		}
		if (!inner)
			idx[n++] = i;
	}
	return n;
}

/*
 * Grants `mask` to path's subtree except the subtrees of the specs below it,
 * which get their own masks. `granted` is what ancestors already grant.
 */
static int expand(struct ll_build *b, const char *path, uint64_t mask,
		  uint64_t granted, int depth)
{
	size_t len = strlen(path), *idx, n;
	uint64_t need = mask & ~granted, common = ~0ull, ok, split;
	int ret = 0;

	if (depth > 64)
		return -ELOOP;
	idx = accel_malloc((b->n + 1) * sizeof(*idx));
	if (!idx)
		return -ENOMEM;
	n = nearest(b, path, len, idx);
	for (size_t i = 0; i < n; i++)
		common &= b->specs[idx[i]].mask | granted;
	ok = need & common;
	split = need & ~common;
	ret = add_rule(b, path, ok);
	granted |= ok;
	if (ret)
		goto out;

	if (!split) {
		for (size_t i = 0; i < n && !ret; i++)
			ret = expand(b, b->specs[idx[i]].path,
				     b->specs[idx[i]].mask, granted, depth + 1);
		goto out;
	}

	/* Some spec below lacks a right we must give: grant it entry by
	 * entry, recursing towards the specs. */
	DIR *d = opendir(path);
	struct dirent *e;
	char child[4096];

	if (!d) {
		ret = errno == EACCES || errno == ENOENT ? 0 : -errno;
		goto out;
	}
	while (!ret && (e = readdir(d))) {
		size_t clen;
		const struct spec *exact = NULL;
		int below = 0;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		clen = (size_t)snprintf(child, sizeof(child), "%s/%s",
					len == 1 ? "" : path, e->d_name);
		if (clen >= sizeof(child))
			continue;
		for (size_t i = 0; i < n; i++) {
			const struct spec *s = &b->specs[idx[i]];

			if (s->len == clen && !memcmp(s->path, child, clen))
				exact = s;
			else if (under(s->path, s->len, child, clen))
				below = 1;
		}
		if (exact)
			ret = expand(b, child, exact->mask, granted, depth + 1);
		else if (below)
			ret = expand(b, child, mask, granted, depth + 1);
		else if (e->d_type != DT_LNK)
			ret = add_rule(b, child, split);
	}
	closedir(d);
out:
	accel_free(idx);
	return ret;
}

static void push(struct spec *specs, size_t *n, const char *path, uint64_t mask,
		 int grant)
{
	/* The same path twice: a restriction beats a grant, two grants
	 * add up. */
	for (size_t i = 0; i < *n; i++) {
		if (strcmp(specs[i].path, path) != 0)
			continue;
		if (grant && specs[i].grant)
			specs[i].mask |= mask;
		else if (!grant) {
			specs[i].mask = specs[i].grant ? mask :
							 specs[i].mask & mask;
			specs[i].grant = 0;
		}
		return;
	}
	specs[*n].path = path;
	specs[*n].len = strlen(path);
	specs[*n].grant = grant;
	specs[(*n)++].mask = mask;
}

static int by_len(const void *a, const void *b)
{
	const struct spec *x = a, *y = b;

	return x->len < y->len ? -1 : x->len > y->len;
}

/*
 * A grant (a readable or writable root, /dev/null) never takes away what an
 * enclosing spec gives: a read root inside a write root stays writable.
 * Processing by increasing length settles ancestors first.
 */
static void settle_grants(struct spec *specs, size_t n)
{
	qsort(specs, n, sizeof(*specs), by_len);
	for (size_t i = 0; i < n; i++) {
		size_t best = n;

		if (!specs[i].grant)
			continue;
		for (size_t j = 0; j < i; j++)
			if (under(specs[i].path, specs[i].len, specs[j].path,
				  specs[j].len) &&
			    (best == n || specs[j].len > specs[best].len))
				best = j;
		if (best < n)
			specs[i].mask |= specs[best].mask;
	}
}

static const char *const dev_files[] = { "/dev/null", "/dev/zero", "/dev/full",
					 "/dev/random", "/dev/urandom" };

int accel__sbx_landlock_compile(struct accel_sandbox *sb)
{
	struct ll_ruleset_attr attr = { 0 };
	struct ll_build b = { .sb = sb };
	size_t attr_size, cap;
	uint64_t all;
	int mnt = !!(sb->layers & ACCEL_SANDBOX_L_MNTNS);
	int ret = 0;

	b.handled = handled_fs(sb->landlock_abi);
	all = b.handled;
	attr.handled_access_fs = b.handled;
	attr_size = 8;
	if (sb->landlock_abi >= 4) {
		attr_size = 16;
		/* No TCP port is allowed: NONE blocks every bind/connect.
		 * LOOPBACK relies on its network namespace instead. */
		if (sb->net == ACCEL_SANDBOX_NET_NONE)
			attr.handled_access_net = LL_NET_BIND_TCP |
						  LL_NET_CONNECT_TCP;
	}
	if (sb->landlock_abi >= 6) {
		attr_size = 24;
		attr.scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;
	}
	memcpy(sb->ll_attr, &attr, sizeof(attr));
	sb->ll_attr_size = attr_size;
	sb->ll_all = all;
	sb->ruleset_fd = (int)accel__sbx_ll_create(&attr, attr_size, 0);
	if (sb->ruleset_fd < 0)
		return -errno;
	fcntl(sb->ruleset_fd, F_SETFD, FD_CLOEXEC);

	cap = sb->n_read + sb->n_write + sb->n_deny + sb->n_readonly +
	      ACCEL_ARRAY_SIZE(dev_files) + 1;
	b.specs = accel_calloc(cap, sizeof(*b.specs));
	if (!b.specs)
		return -ENOMEM;
	for (size_t i = 0; i < sb->n_read; i++)
		push(b.specs, &b.n, sb->read[i], LL_FS_READ_BITS, 1);
	for (size_t i = 0; i < sb->n_write; i++)
		push(b.specs, &b.n, sb->write[i], all, 1);
	for (size_t i = 0; i < ACCEL_ARRAY_SIZE(dev_files); i++)
		push(b.specs, &b.n, dev_files[i],
		     LL_FS_READ_FILE | LL_FS_WRITE_FILE | LL_FS_TRUNCATE, 1);
	/*
	 * Without a mount namespace, denied and protected paths are
	 * enforced here by expansion. Denied directories stay listable
	 * (READ_DIR) so that their ancestors do not lose listing; their
	 * contents are unreadable.
	 */
	if (!mnt) {
		for (size_t i = 0; i < sb->n_deny; i++)
			push(b.specs, &b.n, sb->deny[i], LL_FS_READ_DIR, 0);
		for (size_t i = 0; i < sb->n_readonly; i++)
			push(b.specs, &b.n, sb->readonly[i], LL_FS_READ_BITS,
			     0);
	}
	uint64_t root = 0;

	settle_grants(b.specs, b.n);

	for (size_t i = 0; i < b.n; i++)
		if (b.specs[i].len == 1)
			root = b.specs[i].mask;
	ret = expand(&b, "/", root, 0, 0);
	accel_free(b.specs);
	return ret;
}

/* The compiled rules plus one for the fresh /tmp, in a ruleset of its own. */
static int private_tmp_ruleset(const struct accel_sandbox *sb)
{
	struct ll_path_beneath_attr pb;
	int fd, tmp, ret = 0;

	fd = (int)accel__sbx_ll_create(sb->ll_attr, sb->ll_attr_size, 0);
	if (fd < 0)
		return -errno;
	for (size_t i = 0; i < sb->n_ll_fds && !ret; i++) {
		pb.allowed_access = sb->ll_access[i];
		pb.parent_fd = sb->ll_fds[i];
		if (syscall(SYS_landlock_add_rule, fd, LL_RULE_PATH_BENEATH,
			    &pb, 0) < 0)
			ret = -errno;
	}
	tmp = open("/tmp", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (!ret && tmp < 0)
		ret = -errno;
	if (!ret) {
		pb.allowed_access = sb->ll_all;
		pb.parent_fd = tmp;
		if (syscall(SYS_landlock_add_rule, fd, LL_RULE_PATH_BENEATH,
			    &pb, 0) < 0)
			ret = -errno;
	}
	if (tmp >= 0)
		close(tmp);
	if (!ret && syscall(SYS_landlock_restrict_self, fd, 0) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

int accel__sbx_landlock_child(const struct sbx_child *c)
{
	const struct accel_sandbox *sb = c->sb;

	if (sb->flags & ACCEL_SANDBOX_F_PRIVATE_TMP)
		return private_tmp_ruleset(sb);
	if (syscall(SYS_landlock_restrict_self, sb->ruleset_fd, 0) < 0)
		return -errno;
	return 0;
}
