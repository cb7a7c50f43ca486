/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "accel_compiler.h"
#include "engine_int.h"

/*
 * The engine's request decoder against arbitrary bytes: the input becomes
 * whatever a hostile client can write into its mapping (submission entries
 * with any op, flags, offsets and lengths; the submission and release ring
 * tails; release offsets; request-arena bytes). The engine must answer with
 * completions whose results lie inside the result arena, or drop the
 * session; it must never crash, hang or touch memory outside the mapping.
 *
 * Layout of a fuzz input: u32 sq_tail, u32 rq_tail, then up to 8 SQEs of 64
 * bytes, then up to 16 release offsets (u64), then arena bytes.
 */

static struct accel_engine eng;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct accel_shm_params p = { .sq_entries = 8,
				      .cq_count = 1,
				      .req_size = 1 << 20,
				      .res_size = 1 << 20 };
	struct accel_thread t = { .slot = 0 };
	struct accel_session *s;
	struct accel_ring_hdr *sq, *rq;
	struct accel_ring cq;
	uint32_t sq_tail = 0, rq_tail = 0;
	size_t n;

	eng.o.space_wait_ns = 0;
	if (accel__session_create_local(&eng, &p, &s) < 0)
		abort();
	sq = (void *)(s->base + s->l.sq_off);
	rq = (void *)(s->base + s->l.rq_off);
	accel_ring_init(&cq, s->base + s->l.cq_off, s->l.cq_entries,
			sizeof(struct accel_cqe), 0);

	if (size >= 8) {
		memcpy(&sq_tail, data, 4);
		memcpy(&rq_tail, data + 4, 4);
		data += 8;
		size -= 8;
	}
	n = ACCEL_MIN(size, 8 * sizeof(struct accel_sqe));
	memcpy(sq + 1, data, n); /* entries follow the ring header */
	data += n;
	size -= n;
	n = ACCEL_MIN(size, 16 * sizeof(uint64_t));
	memcpy(rq + 1, data, n);
	data += n;
	size -= n;
	memcpy(s->base + s->l.req_off, data, ACCEL_MIN(size, s->l.req_size));

	sq->tail = sq_tail;
	rq->tail = rq_tail;
	for (int turn = 0; turn < 4 && !atomic_load(&s->dead); turn++) {
		int64_t avail;

		accel__session_poll(s, &t);
		avail = accel_ring_avail(&cq);
		if (avail < 0)
			abort(); /* the engine never posts beyond the ring */
		while (avail-- > 0) {
			const struct accel_cqe *c = accel_ring_next_entry(&cq);

			if ((c->flags & ACCEL_CQE_F_RESULT) &&
			    !accel_range_ok(c->out_off, c->out_len,
					    s->l.res_off, s->l.res_size))
				abort();
			if (!(c->flags & ACCEL_CQE_F_RESULT) && c->out_len)
				abort();
		}
		accel_ring_consumed(&cq);
	}
	accel__thread_fini(&t);
	accel__session_destroy_local(s);
	return 0;
}
