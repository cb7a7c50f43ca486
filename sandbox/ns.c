/* SPDX-License-Identifier: MIT */
/*
 * Namespace layer: the uid/gid maps, the mount plan and the loopback
 * interface. The namespaces themselves come from clone()'s flags (spawn.c);
 * here is what the child does inside them, planned at compile time so that
 * the child only issues mount(2) calls with ready-made arguments.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "accel_alloc.h"
#include "sandbox_int.h"

/*
 * Flags of the mount under path that a bind remount inside a user
 * namespace must repeat: the kernel refuses to clear locked nosuid, nodev,
 * noexec, read-only or atime flags.
 */
static unsigned long keep_flags(const char *path)
{
	struct statvfs sv;
	unsigned long f = 0;

	if (statvfs(path, &sv) < 0)
		return 0;
	if (sv.f_flag & ST_NOSUID)
		f |= MS_NOSUID;
	if (sv.f_flag & ST_NODEV)
		f |= MS_NODEV;
	if (sv.f_flag & ST_NOEXEC)
		f |= MS_NOEXEC;
	if (sv.f_flag & ST_NOATIME)
		f |= MS_NOATIME;
	if (sv.f_flag & ST_NODIRATIME)
		f |= MS_NODIRATIME;
	if (sv.f_flag & ST_RELATIME)
		f |= MS_RELATIME;
	return f;
}

static int plan(struct accel_sandbox *sb, uint32_t kind, const char *path)
{
	struct sbx_mount *m = &sb->mounts[sb->n_mounts];

	m->kind = kind;
	m->keep = keep_flags(kind == SBX_MNT_HIDE_FILE ? "/dev/null" : path);
	m->path = accel_strdup(path);
	if (!m->path)
		return -ENOMEM;
	sb->n_mounts++;
	return 0;
}

static int planned(const struct accel_sandbox *sb, const char *path)
{
	for (size_t i = 0; i < sb->n_mounts; i++)
		if (!strcmp(sb->mounts[i].path, path))
			return 1;
	return 0;
}

/*
 * A read-only bind of W/.git/hooks does not stop `mv W/.git W/old; mkdir -p
 * W/.git/hooks`: a directory holding a mount point can be renamed. Pinning
 * every directory between the writable root and the protected path (a bind
 * mount of itself, still writable) makes such renames fail with EBUSY.
 */
static int pin_ancestors(struct accel_sandbox *sb, const char *path)
{
	char buf[4096];
	size_t root = 0, len = strlen(path);
	int ret = 0;

	if (len >= sizeof(buf))
		return -ENAMETOOLONG;
	for (size_t i = 0; i < sb->n_write; i++) {
		size_t wl = strlen(sb->write[i]);

		if (wl > root && !strncmp(path, sb->write[i], wl) &&
		    path[wl] == '/')
			root = wl;
	}
	if (!root)
		return 0;
	memcpy(buf, path, len + 1);
	for (size_t i = root + 1; !ret && i < len; i++) {
		if (buf[i] != '/')
			continue;
		buf[i] = '\0';
		if (!planned(sb, buf))
			ret = plan(sb, SBX_MNT_PIN, buf);
		buf[i] = '/';
	}
	return ret;
}

int accel__sbx_mounts_compile(struct accel_sandbox *sb)
{
	size_t cap = 2 + sb->n_deny + sb->n_readonly;
	struct stat st;
	int ret = 0;

	/* Pins: at most one per path component of each protected path. */
	for (size_t i = 0; i < sb->n_readonly; i++)
		for (const char *c = sb->readonly[i]; *c; c++)
			cap += *c == '/';
	sb->mounts = accel_calloc(cap, sizeof(*sb->mounts));
	if (!sb->mounts)
		return -ENOMEM;
	if (sb->flags & ACCEL_SANDBOX_F_PRIVATE_TMP)
		ret = plan(sb, SBX_MNT_TMP, "/tmp");
	for (size_t i = 0; !ret && i < sb->n_readonly; i++)
		ret = pin_ancestors(sb, sb->readonly[i]);
	for (size_t i = 0; !ret && i < sb->n_readonly; i++)
		ret = plan(sb, SBX_MNT_RO_BIND, sb->readonly[i]);
	/* Hidden last among the paths, so that a denied path inside a
	 * read-only one is still hidden. */
	for (size_t i = 0; !ret && i < sb->n_deny; i++) {
		if (stat(sb->deny[i], &st) < 0)
			continue;
		ret = plan(sb,
			   S_ISDIR(st.st_mode) ? SBX_MNT_HIDE_DIR :
						 SBX_MNT_HIDE_FILE,
			   sb->deny[i]);
	}
	if (!ret && (sb->layers & ACCEL_SANDBOX_L_PIDNS))
		ret = plan(sb, SBX_MNT_PROC, "/proc");
	return ret;
}

static int write_all(const char *path, const char *s)
{
	size_t len = strlen(s);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, len);
	if (n < 0)
		n = -errno;
	close(fd);
	return n == (ssize_t)len ? 0 : (n < 0 ? (int)n : -EIO);
}

/* Maps our uid and gid onto themselves: the command sees the same ids. */
int accel__sbx_idmap_child(const struct sbx_child *c)
{
	int ret = write_all("/proc/self/setgroups", "deny");

	if (!ret)
		ret = write_all("/proc/self/uid_map", c->sb->uid_map);
	if (!ret)
		ret = write_all("/proc/self/gid_map", c->sb->gid_map);
	return ret;
}

static int do_mount(const struct sbx_child *c, const struct sbx_mount *m)
{
	const unsigned long lock = MS_NOSUID | MS_NODEV | MS_NOEXEC;

	switch (m->kind) {
	case SBX_MNT_HIDE_DIR:
		return mount("tmpfs", m->path, "tmpfs", MS_RDONLY | lock,
			     "size=4k,nr_inodes=2,mode=000");
	case SBX_MNT_HIDE_FILE:
		if (mount("/dev/null", m->path, NULL, MS_BIND, NULL) < 0)
			return -1;
		/* nodev makes opening the bound device fail with EACCES. */
		return mount(NULL, m->path, NULL,
			     MS_BIND | MS_REMOUNT | MS_RDONLY | lock | m->keep,
			     NULL);
	case SBX_MNT_RO_BIND:
		if (mount(m->path, m->path, NULL, MS_BIND | MS_REC, NULL) < 0)
			return -1;
		return mount(NULL, m->path, NULL,
			     MS_BIND | MS_REMOUNT | MS_RDONLY | m->keep, NULL);
	case SBX_MNT_TMP:
		return mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV,
			     "mode=1777");
	case SBX_MNT_PROC:
		return mount("proc", "/proc", "proc", lock, NULL);
	case SBX_MNT_PIN:
		return mount(m->path, m->path, NULL, MS_BIND, NULL);
	}
	errno = EINVAL;
	return -1;
}

int accel__sbx_mounts_child(const struct sbx_child *c)
{
	const struct accel_sandbox *sb = c->sb;

	/*
	 * In a new user namespace the copied mounts are already slaves of
	 * the host's (the kernel converts shared to slave), so nothing we do
	 * propagates back. Without one (root), make that so.
	 */
	if (!(sb->layers & ACCEL_SANDBOX_L_USERNS) &&
	    mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		return -errno;
	for (size_t i = 0; i < sb->n_mounts; i++) {
		if (c->no_proc && sb->mounts[i].kind == SBX_MNT_PROC)
			continue;
		if (do_mount(c, &sb->mounts[i]) < 0)
			return -errno;
	}
	return 0;
}

/* A fresh network namespace has only "lo", and it is down. */
int accel__sbx_netns_child(const struct sbx_child *c)
{
	struct ifreq ifr;
	int s, ret = 0;

	if (c->sb->net != ACCEL_SANDBOX_NET_LOOPBACK)
		return 0;
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, "lo", 3);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		ret = -errno;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (!ret && ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		ret = -errno;
	close(s);
	return ret;
}
