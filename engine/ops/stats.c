/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../engine_int.h"
#include "accel_alloc.h"
#include "accel_err.h"
#include "accel_time.h"

/*
 * stats: a JSON document (UTF-8, no trailing NUL) describing the engine, the
 * calling session and every op's counters and latency percentiles
 * (docs/ops.md has the schema). res is the document's length.
 */

#define STATS_CAP (256u << 10)

static int stats_run(struct accel_op_ctx *ctx, const struct accel_op_req *req)
{
	struct accel_session *s = ctx->s;
	struct accel_engine *e = s->eng;
	uint64_t res_used, res_blocks;
	uint32_t nsessions;
	uint64_t total;
	char *buf;
	int n, m, ret;

	buf = accel_malloc(STATS_CAP);
	if (!buf)
		return -ENOMEM;
	pthread_mutex_lock(&s->res_lock);
	res_used = accel_arena_used(s->res);
	res_blocks = accel_arena_blocks(s->res);
	pthread_mutex_unlock(&s->res_lock);
	pthread_mutex_lock(&e->lock);
	nsessions = e->nsessions;
	total = e->sessions_total;
	pthread_mutex_unlock(&e->lock);

	n = snprintf(
		buf, STATS_CAP,
		"{\"engine\":{\"pid\":%d,\"uptime_ms\":%llu,"
		"\"workers\":%u,\"sessions\":%u,\"sessions_total\":%llu,"
		"\"protocol\":\"%u.%u\",\"spin_ns\":%llu,"
		"\"io_uring\":\"%s\"},"
		"\"session\":{\"id\":%llu,\"sq_entries\":%u,"
		"\"cq_count\":%u,\"req_size\":%llu,\"res_size\":%llu,"
		"\"res_used\":%llu,\"res_blocks\":%llu,\"in_flight\":%u,"
		"\"bad_releases\":%llu},\"ops\":",
		(int)getpid(),
		(unsigned long long)((accel_now_ns() - e->t_start) / 1000000),
		e->nworkers, nsessions, (unsigned long long)total,
		ACCEL_PROTO_MAJOR, ACCEL_PROTO_MINOR,
		(unsigned long long)e->o.spin_ns, e->uring_info,
		(unsigned long long)s->id, s->l.sq_entries, s->l.cq_count,
		(unsigned long long)s->l.req_size,
		(unsigned long long)s->l.res_size, (unsigned long long)res_used,
		(unsigned long long)res_blocks,
		/* this request itself is in flight */
		atomic_load(&s->in_flight) - 1,
		(unsigned long long)atomic_load(&s->bad_releases));
	if (n < 0 || (size_t)n >= STATS_CAP) {
		accel_free(buf);
		return -ACCEL_E_INTERNAL;
	}
	m = accel__metrics_json(buf + n, STATS_CAP - (size_t)n - 1);
	if (m < 0) {
		accel_free(buf);
		return -ACCEL_E_INTERNAL;
	}
	n += m;
	buf[n++] = '}';
	ret = accel_op_result_copy(ctx, buf, (size_t)n);
	accel_free(buf);
	return ret < 0 ? ret : n;
}

const struct accel_op_desc accel_op_stats = {
	.name = "stats",
	.inline_max = ACCEL_OP_INLINE_ALWAYS,
	.run = stats_run,
};
