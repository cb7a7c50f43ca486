/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "accel_err.h"
#include "shm.h"

/* The session mapping: layout, sealing, header checks and the arena. */

Test(shm_layout, defaults_are_ordered_and_aligned)
{
	struct accel_shm_params p = { .cq_count = 3 };
	struct accel_shm_layout l;

	cr_assert_eq(accel_shm_layout(&p, &l), 0);
	cr_assert_eq(l.sq_entries, ACCEL_SHM_DEFAULT_SQ);
	cr_assert_eq(l.cq_count, 3);
	cr_assert_eq(l.req_size, ACCEL_SHM_DEFAULT_ARENA);
	/* Regions follow each other, page aligned, without overlap. */
	cr_assert_geq(l.bell_off, 4096);
	/* two 64-byte doorbells */
	cr_assert_geq(l.sq_off, l.bell_off + 128);
	cr_assert_geq(l.rq_off,
		      l.sq_off + ACCEL_RING_HDR_SIZE +
			      (uint64_t)l.sq_entries * ACCEL_SQE_SIZE);
	cr_assert_geq(l.cq_off, l.rq_off + ACCEL_RING_HDR_SIZE +
					(uint64_t)l.rq_entries * 8);
	cr_assert_geq(l.cq_stride,
		      ACCEL_RING_HDR_SIZE +
			      (uint64_t)l.cq_entries * ACCEL_CQE_SIZE);
	cr_assert_geq(l.req_off, l.cq_off + 3 * l.cq_stride);
	cr_assert_eq(l.res_off, l.req_off + l.req_size);
	cr_assert_eq(l.map_size, l.res_off + l.res_size);
	cr_assert_eq(l.sq_off % 4096, 0);
	cr_assert_eq(l.rq_off % 4096, 0);
	cr_assert_eq(l.cq_off % 4096, 0);
	cr_assert_eq(l.req_off % 4096, 0);
}

Test(shm_layout, rounds_up_and_refuses_out_of_range)
{
	struct accel_shm_params p = { .sq_entries = 1000,
				      .req_size = 3 << 20,
				      .res_size = 1 };
	struct accel_shm_layout l;

	cr_assert_eq(accel_shm_layout(&p, &l), 0);
	cr_assert_eq(l.sq_entries, 1024);
	cr_assert_eq(l.req_size, 4 << 20);
	cr_assert_eq(l.res_size, ACCEL_SHM_MIN_ARENA);
	p.sq_entries = ACCEL_SHM_MAX_SQ + 1;
	cr_assert_eq(accel_shm_layout(&p, &l), -ACCEL_E_BAD_ARG);
	p.sq_entries = 8;
	p.res_size = ACCEL_SHM_MAX_ARENA + 1;
	cr_assert_eq(accel_shm_layout(&p, &l), -ACCEL_E_BAD_ARG);
	p.res_size = 0;
	p.cq_count = ACCEL_SHM_MAX_CQS + 1;
	cr_assert_eq(accel_shm_layout(&p, &l), -ACCEL_E_BAD_ARG);
}

static void make(struct accel_shm_layout *l, int *fd, void **base)
{
	struct accel_shm_params p = { .sq_entries = 64,
				      .cq_count = 2,
				      .req_size = 1 << 20,
				      .res_size = 1 << 20 };

	cr_assert_eq(accel_shm_layout(&p, l), 0);
	cr_assert_eq(accel_shm_create(l, 1234, fd, base), 0);
}

Test(shm_map, client_sees_the_engine_layout_and_seals_hold)
{
	struct accel_shm_layout l, lc;
	void *base, *cbase;
	int fd;

	make(&l, &fd, &base);
	cr_assert_eq(accel_shm_map(fd, &lc, &cbase), 0);
	cr_assert_eq(memcmp(&l, &lc, sizeof(l)), 0);
	cr_assert_eq(((struct accel_shm_hdr *)cbase)->engine_pid, 1234);
	/* Both views are the same memory. */
	((char *)base)[l.req_off] = 'x';
	cr_assert_eq(((char *)cbase)[l.req_off], 'x');
	/* Sealed: the client can neither shrink nor grow it. */
	cr_assert_eq(ftruncate(fd, 4096), -1);
	cr_assert_eq(errno, EPERM);
	cr_assert_eq(ftruncate(fd, (off_t)l.map_size * 2), -1);
	cr_assert_eq(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), -1);
	accel_shm_unmap(cbase, &lc);
	accel_shm_unmap(base, &l);
	close(fd);
}

Test(shm_map, damaged_headers_are_refused)
{
	struct accel_shm_layout l, lc;
	struct accel_shm_hdr *h;
	void *base, *cbase;
	int fd;

	make(&l, &fd, &base);
	h = base;
	h->magic ^= 1;
	cr_assert_eq(accel_shm_map(fd, &lc, &cbase), -ACCEL_E_BAD_MAGIC);
	h->magic ^= 1;
	h->version_major++;
	cr_assert_eq(accel_shm_map(fd, &lc, &cbase), -ACCEL_E_VERSION);
	h->version_major--;
	h->req_off += 4096;
	cr_assert_eq(accel_shm_map(fd, &lc, &cbase), -ACCEL_E_PROTOCOL);
	h->req_off -= 4096;
	h->sq_entries = 0xffffffffu;
	cr_assert_eq(accel_shm_map(fd, &lc, &cbase), -ACCEL_E_PROTOCOL);
	accel_shm_unmap(base, &l);
	close(fd);
}

Test(shm_map, unsealed_fd_is_refused)
{
	struct accel_shm_layout l;
	void *base;
	int fd = memfd_create("plain", MFD_CLOEXEC);

	cr_assert_geq(fd, 0);
	cr_assert_eq(ftruncate(fd, 1 << 20), 0);
	cr_assert_eq(accel_shm_map(fd, &l, &base), -ACCEL_E_PROTOCOL);
	close(fd);
}

/* The arena against a model: random sizes, random frees, full merge. */
Test(shm_arena, random_alloc_free_never_overlaps_and_merges_back)
{
	enum {
		N = 4096
	};

	const uint64_t base = 1 << 20, size = 8 << 20;
	static uint64_t off[N], len[N];
	static uint8_t owner[(8 << 20) / 256];
	struct accel_arena *a;
	unsigned seed = 42;

	cr_assert_eq(accel_arena_create(base, size, 256, &a), 0);
	memset(owner, 0, sizeof(owner));
	for (int round = 0; round < 20000; round++) {
		int i = rand_r(&seed) % N;

		if (len[i]) {
			uint64_t bs = accel_arena_block_size(a, off[i]);

			cr_assert_geq(bs, len[i]);
			for (uint64_t g = (off[i] - base) / 256;
			     g < (off[i] - base + bs) / 256; g++)
				owner[g] = 0;
			cr_assert_eq(accel_arena_free(a, off[i]), 0);
			len[i] = 0;
			continue;
		}
		len[i] = 1 + (uint64_t)(rand_r(&seed) % 70000);
		if (accel_arena_alloc(a, len[i], &off[i]) < 0) {
			len[i] = 0;
			continue;
		}
		cr_assert_geq(off[i], base);
		cr_assert_leq(off[i] + len[i], base + size);
		for (uint64_t g = (off[i] - base) / 256;
		     g <
		     (off[i] - base + accel_arena_block_size(a, off[i])) / 256;
		     g++) {
			cr_assert_eq(owner[g], 0, "blocks overlap");
			owner[g] = 1;
		}
	}
	for (int i = 0; i < N; i++)
		if (len[i])
			cr_assert_eq(accel_arena_free(a, off[i]), 0);
	cr_assert_eq(accel_arena_used(a), 0);
	cr_assert_eq(accel_arena_blocks(a), 0);
	/* Everything merged back: the whole region is one block again. */
	cr_assert_eq(accel_arena_alloc(a, size, &off[0]), 0);
	cr_assert_eq(off[0], base);
	accel_arena_destroy(a);
}

Test(shm_arena, bogus_and_double_frees_change_nothing)
{
	struct accel_arena *a;
	uint64_t o1, o2;

	cr_assert_eq(accel_arena_create(0, 1 << 20, 256, &a), 0);
	cr_assert_eq(accel_arena_alloc(a, 100, &o1), 0);
	cr_assert_eq(accel_arena_alloc(a, 100, &o2), 0);
	cr_assert_eq(accel_arena_free(a, o1 + 1), -EINVAL);
	cr_assert_eq(accel_arena_free(a, o1 + 256 * 100), -EINVAL);
	cr_assert_eq(accel_arena_free(a, 1ull << 40), -EINVAL);
	cr_assert_eq(accel_arena_free(a, o1), 0);
	cr_assert_eq(accel_arena_free(a, o1), -EINVAL);
	cr_assert_eq(accel_arena_blocks(a), 1);
	cr_assert_eq(accel_arena_block_size(a, o2), 256);
	cr_assert_eq(accel_arena_alloc(a, 0, &o1), -EINVAL);
	cr_assert_eq(accel_arena_alloc(a, (1 << 20) + 1, &o1),
		     -ACCEL_E_TOO_LARGE);
	cr_assert_eq(accel_arena_alloc(a, 1 << 20, &o1), -ENOSPC);
	accel_arena_destroy(a);
}

Test(shm_arena, trim_returns_the_unused_tail)
{
	struct accel_arena *a;
	uint64_t o, o2;

	cr_assert_eq(accel_arena_create(0, 1 << 20, 256, &a), 0);
	cr_assert_eq(accel_arena_alloc(a, 1 << 20, &o), 0);
	cr_assert_eq(accel_arena_trim(a, o, 1000), 0);
	cr_assert_eq(accel_arena_block_size(a, o), 1024);
	cr_assert_eq(accel_arena_used(a), 1024);
	/* The freed upper half is usable at once. */
	cr_assert_eq(accel_arena_alloc(a, 512 << 10, &o2), 0);
	cr_assert_eq(o2, 512 << 10);
	cr_assert_eq(accel_arena_free(a, o), 0);
	cr_assert_eq(accel_arena_free(a, o2), 0);
	cr_assert_eq(accel_arena_alloc(a, 1 << 20, &o), 0);
	accel_arena_destroy(a);
}
