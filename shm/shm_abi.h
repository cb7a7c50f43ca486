/* SPDX-License-Identifier: MIT */
#ifndef ACCEL_SHM_ABI_H
#define ACCEL_SHM_ABI_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The session mapping and the handshake, as they are on the wire.
 *
 * One memfd per session, made and sized by the engine, sealed against grow
 * and shrink, passed to the client with SCM_RIGHTS. Layout (all offsets from
 * the start of the mapping, every region 4 KiB aligned):
 *
 *   0        header (struct accel_shm_hdr), one page
 *   bell_off two doorbells: [0] wakes the engine, [1] wakes the client
 *   sq_off   submission ring: accel_ring_hdr + sq_entries * accel_sqe
 *   rq_off   release ring:    accel_ring_hdr + rq_entries * uint64_t
 *   cq_off   cq_count completion rings, cq_stride bytes apart:
 *            accel_ring_hdr + cq_entries * accel_cqe each
 *   req_off  request arena: blocks the client allocates for inputs
 *   res_off  result arena: blocks the engine allocates for results
 *
 * The header is written by the engine before the fd is passed and is only a
 * description for the client: the engine never reads it back, it keeps its
 * own copy of every offset and size.
 */

/* Entry sizes of the rings (struct accel_sqe / accel_cqe in ring_abi.h). */
#define ACCEL_SQE_SIZE	    64
#define ACCEL_CQE_SIZE	    32
#define ACCEL_RING_HDR_SIZE 128

#define ACCEL_SHM_MAGIC	  0x314d48534c434341ull /* "ACCLSHM1" */
#define ACCEL_PROTO_MAJOR 1
#define ACCEL_PROTO_MINOR 0

struct accel_shm_hdr {
	uint64_t magic;
	uint16_t version_major;
	uint16_t version_minor;
	uint32_t hdr_size; /* sizeof(struct accel_shm_hdr) */
	uint64_t map_size; /* bytes of the whole mapping */
	uint32_t flags;	   /* none defined: zero */
	uint32_t engine_pid;
	uint32_t sq_entries; /* power of two */
	uint32_t rq_entries; /* power of two */
	uint32_t cq_entries; /* power of two, per completion ring */
	uint32_t cq_count;   /* completion rings: one per engine thread */
	uint64_t bell_off;
	uint64_t sq_off;
	uint64_t rq_off;
	uint64_t cq_off;
	uint64_t cq_stride;
	uint64_t req_off;
	uint64_t req_size; /* power of two */
	uint64_t res_off;
	uint64_t res_size;  /* power of two */
	uint32_t block_min; /* smallest arena block, power of two */
	uint32_t resv0;
	uint64_t resv[16];
};

static_assert(sizeof(struct accel_shm_hdr) == 256, "shm hdr size");
static_assert(offsetof(struct accel_shm_hdr, magic) == 0, "hdr.magic");
static_assert(offsetof(struct accel_shm_hdr, version_major) == 8, "hdr.major");
static_assert(offsetof(struct accel_shm_hdr, version_minor) == 10, "hdr.minor");
static_assert(offsetof(struct accel_shm_hdr, hdr_size) == 12, "hdr.hdr_size");
static_assert(offsetof(struct accel_shm_hdr, map_size) == 16, "hdr.map_size");
static_assert(offsetof(struct accel_shm_hdr, flags) == 24, "hdr.flags");
static_assert(offsetof(struct accel_shm_hdr, engine_pid) == 28, "hdr.pid");
static_assert(offsetof(struct accel_shm_hdr, sq_entries) == 32,
	      "hdr.sq_entries");
static_assert(offsetof(struct accel_shm_hdr, rq_entries) == 36,
	      "hdr.rq_entries");
static_assert(offsetof(struct accel_shm_hdr, cq_entries) == 40,
	      "hdr.cq_entries");
static_assert(offsetof(struct accel_shm_hdr, cq_count) == 44, "hdr.cq_count");
static_assert(offsetof(struct accel_shm_hdr, bell_off) == 48, "hdr.bell_off");
static_assert(offsetof(struct accel_shm_hdr, sq_off) == 56, "hdr.sq_off");
static_assert(offsetof(struct accel_shm_hdr, rq_off) == 64, "hdr.rq_off");
static_assert(offsetof(struct accel_shm_hdr, cq_off) == 72, "hdr.cq_off");
static_assert(offsetof(struct accel_shm_hdr, cq_stride) == 80, "hdr.cq_stride");
static_assert(offsetof(struct accel_shm_hdr, req_off) == 88, "hdr.req_off");
static_assert(offsetof(struct accel_shm_hdr, req_size) == 96, "hdr.req_size");
static_assert(offsetof(struct accel_shm_hdr, res_off) == 104, "hdr.res_off");
static_assert(offsetof(struct accel_shm_hdr, res_size) == 112, "hdr.res_size");
static_assert(offsetof(struct accel_shm_hdr, block_min) == 120,
	      "hdr.block_min");
static_assert(offsetof(struct accel_shm_hdr, resv) == 128, "hdr.resv");

/* Doorbell indices in the bell region. */
#define ACCEL_BELL_ENGINE 0
#define ACCEL_BELL_CLIENT 1

/*
 * Handshake, over the session's Unix stream socket. The client sends a hello
 * (with its eventfd attached by SCM_RIGHTS when flags has
 * ACCEL_HELLO_F_EVENTFD); the engine answers with a welcome (with the memfd
 * attached when status is 0). After that the socket carries nothing: its EOF
 * tells either side that the other is gone.
 *
 * Sizes in the hello are requests; zero means the engine's default, and the
 * engine clamps them to its limits. The welcome's header in the mapping says
 * what was granted.
 */
#define ACCEL_HELLO_MAGIC   0x4f4c4c4548434341ull /* "ACCHELLO" */
#define ACCEL_WELCOME_MAGIC 0x4d4f434c45434341ull /* "ACCELCOM" */

#define ACCEL_HELLO_F_EVENTFD (1u << 0)

struct accel_hello {
	uint64_t magic;
	uint16_t version_major;
	uint16_t version_minor;
	uint32_t flags;
	uint32_t sq_entries;
	uint32_t resv0;
	uint64_t req_size;
	uint64_t res_size;
	uint64_t resv[4];
};

static_assert(sizeof(struct accel_hello) == 72, "hello size");
static_assert(offsetof(struct accel_hello, magic) == 0, "hello.magic");
static_assert(offsetof(struct accel_hello, version_major) == 8, "hello.major");
static_assert(offsetof(struct accel_hello, version_minor) == 10, "hello.minor");
static_assert(offsetof(struct accel_hello, flags) == 12, "hello.flags");
static_assert(offsetof(struct accel_hello, sq_entries) == 16, "hello.sq");
static_assert(offsetof(struct accel_hello, req_size) == 24, "hello.req_size");
static_assert(offsetof(struct accel_hello, res_size) == 32, "hello.res_size");
static_assert(offsetof(struct accel_hello, resv) == 40, "hello.resv");

struct accel_welcome {
	uint64_t magic;
	uint16_t version_major;
	uint16_t version_minor;
	int32_t status; /* 0, or -ACCEL_E_* with message set */
	uint64_t map_size;
	char message[128]; /* NUL-terminated reason when status != 0 */
};

static_assert(sizeof(struct accel_welcome) == 152, "welcome size");
static_assert(offsetof(struct accel_welcome, status) == 12, "welcome.status");
static_assert(offsetof(struct accel_welcome, map_size) == 16, "welcome.map");
static_assert(offsetof(struct accel_welcome, message) == 24, "welcome.msg");

#endif
