/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "accel_compiler.h"
#include "accel_err.h"
#include "shm.h"

#define PAGE 4096ull

static uint64_t pow2_ceil(uint64_t v)
{
	uint64_t p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

int accel_shm_layout(const struct accel_shm_params *p,
		     struct accel_shm_layout *l)
{
	uint64_t off, sq, req, res;
	uint32_t cqs;

	sq = p->sq_entries ? p->sq_entries : ACCEL_SHM_DEFAULT_SQ;
	cqs = p->cq_count ? p->cq_count : 1;
	req = p->req_size ? p->req_size : ACCEL_SHM_DEFAULT_ARENA;
	res = p->res_size ? p->res_size : ACCEL_SHM_DEFAULT_ARENA;
	if (sq > ACCEL_SHM_MAX_SQ || cqs > ACCEL_SHM_MAX_CQS ||
	    req > ACCEL_SHM_MAX_ARENA || res > ACCEL_SHM_MAX_ARENA)
		return -ACCEL_E_BAD_ARG;
	sq = pow2_ceil(ACCEL_MAX(sq, 8));
	req = pow2_ceil(ACCEL_MAX(req, ACCEL_SHM_MIN_ARENA));
	res = pow2_ceil(ACCEL_MAX(res, ACCEL_SHM_MIN_ARENA));

	memset(l, 0, sizeof(*l));
	l->sq_entries = (uint32_t)sq;
	/*
	 * Every in-flight request can leave one result to release, and the
	 * engine never has more than cq_entries requests outstanding, so a
	 * release ring as large as a completion ring never overflows for a
	 * client that releases what it reaps.
	 */
	l->cq_entries = (uint32_t)sq;
	/*
	 * Releases follow garbage collection, not the request rate: a client
	 * may drop thousands of result views at once. 4096 entries at least
	 * (32 KiB), so that small submission rings do not mean a small
	 * release ring.
	 */
	l->rq_entries = (uint32_t)ACCEL_MAX(sq * 2, 4096);
	l->cq_count = cqs;
	l->block_min = ACCEL_SHM_BLOCK_MIN;

	off = PAGE; /* the header page */
	l->bell_off = off;
	off += PAGE;
	l->sq_off = off;
	off = ACCEL_ALIGN_UP(off + ACCEL_RING_HDR_SIZE + sq * ACCEL_SQE_SIZE,
			     PAGE);
	l->rq_off = off;
	off = ACCEL_ALIGN_UP(
		off + ACCEL_RING_HDR_SIZE + (uint64_t)l->rq_entries * 8, PAGE);
	l->cq_off = off;
	l->cq_stride = ACCEL_ALIGN_UP(
		ACCEL_RING_HDR_SIZE + (uint64_t)l->cq_entries * ACCEL_CQE_SIZE,
		PAGE);
	off += l->cq_stride * cqs;
	l->req_off = off;
	l->req_size = req;
	off += req;
	l->res_off = off;
	l->res_size = res;
	off += res;
	l->map_size = off;
	return 0;
}

static void write_header(struct accel_shm_hdr *h,
			 const struct accel_shm_layout *l, uint32_t pid)
{
	memset(h, 0, sizeof(*h));
	h->magic = ACCEL_SHM_MAGIC;
	h->version_major = ACCEL_PROTO_MAJOR;
	h->version_minor = ACCEL_PROTO_MINOR;
	h->hdr_size = sizeof(*h);
	h->map_size = l->map_size;
	h->engine_pid = pid;
	h->sq_entries = l->sq_entries;
	h->rq_entries = l->rq_entries;
	h->cq_entries = l->cq_entries;
	h->cq_count = l->cq_count;
	h->bell_off = l->bell_off;
	h->sq_off = l->sq_off;
	h->rq_off = l->rq_off;
	h->cq_off = l->cq_off;
	h->cq_stride = l->cq_stride;
	h->req_off = l->req_off;
	h->req_size = l->req_size;
	h->res_off = l->res_off;
	h->res_size = l->res_size;
	h->block_min = l->block_min;
}

int accel_shm_create(const struct accel_shm_layout *l, uint32_t engine_pid,
		     int *fd_out, void **base_out)
{
	void *base;
	int fd, ret;

	fd = memfd_create("agent-accel", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)l->map_size) < 0)
		goto err_close;
	/*
	 * Sealed against grow and shrink: a client cannot make the engine's
	 * mapping fault by truncating the file under it (SIGBUS).
	 */
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) <
	    0)
		goto err_close;
	base = mmap(NULL, l->map_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		    0);
	if (base == MAP_FAILED)
		goto err_close;
	write_header(base, l, engine_pid);
	*fd_out = fd;
	*base_out = base;
	return 0;

err_close:
	ret = -errno;
	close(fd);
	return ret;
}

int accel_shm_map(int fd, struct accel_shm_layout *l, void **base_out)
{
	const int need = F_SEAL_SHRINK | F_SEAL_GROW;
	struct accel_shm_params p;
	struct accel_shm_hdr h;
	struct stat st;
	void *base;
	int seals, ret;

	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0)
		return -errno;
	if ((seals & need) != need)
		return -ACCEL_E_PROTOCOL;
	if (fstat(fd, &st) < 0)
		return -errno;
	if ((uint64_t)st.st_size < PAGE)
		return -ACCEL_E_PROTOCOL;
	if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h))
		return -ACCEL_E_PROTOCOL;
	if (h.magic != ACCEL_SHM_MAGIC)
		return -ACCEL_E_BAD_MAGIC;
	if (h.version_major != ACCEL_PROTO_MAJOR)
		return -ACCEL_E_VERSION;

	p.sq_entries = h.sq_entries;
	p.cq_count = h.cq_count;
	p.req_size = h.req_size;
	p.res_size = h.res_size;
	ret = accel_shm_layout(&p, l);
	if (ret < 0)
		return -ACCEL_E_PROTOCOL;
	if (l->map_size != h.map_size || l->map_size != (uint64_t)st.st_size ||
	    l->sq_entries != h.sq_entries || l->cq_entries != h.cq_entries ||
	    l->rq_entries != h.rq_entries || l->req_size != h.req_size ||
	    l->res_size != h.res_size || l->sq_off != h.sq_off ||
	    l->cq_off != h.cq_off || l->rq_off != h.rq_off ||
	    l->req_off != h.req_off || l->res_off != h.res_off ||
	    l->bell_off != h.bell_off || l->cq_stride != h.cq_stride)
		return -ACCEL_E_PROTOCOL;

	base = mmap(NULL, l->map_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		    0);
	if (base == MAP_FAILED)
		return -errno;
	*base_out = base;
	return 0;
}

void accel_shm_unmap(void *base, const struct accel_shm_layout *l)
{
	if (base)
		munmap(base, l->map_size);
}
