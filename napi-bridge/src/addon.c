/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "accel_alloc.h"
#include "accel_err.h"
#include "bridge.h"

/*
 * The N-API surface of the addon: argument checks and conversions, one call
 * into the bridge (session.c), errors mapped back. The JS package
 * (lib/index.js) is the only intended caller; every function still checks
 * its arguments, since any JS may call it.
 */

#define NAPI_CALL(env, call)             \
	do {                             \
		if ((call) != napi_ok) { \
			throw_last(env); \
			return NULL;     \
		}                        \
	} while (0)

/* Per addon instance (one per env). */
struct addon {
	napi_ref error_factory; /* JS: code -> AccelError */
	/*
	 * Socket ends made by socketpair() and not yet closed or attached:
	 * closeFd() and attach() accept only these, so that no JS can make the
	 * addon close or take over an fd it does not own.
	 */
	int *fds;
	size_t nfds, cap_fds;
};

static struct addon *addon_of(napi_env env)
{
	struct addon *a = NULL;

	napi_get_instance_data(env, (void **)&a);
	return a;
}

static int fd_track(struct addon *a, int fd)
{
	if (a->nfds == a->cap_fds) {
		size_t cap = a->cap_fds ? a->cap_fds * 2 : 8;
		int *p = accel_realloc(a->fds, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		a->fds = p;
		a->cap_fds = cap;
	}
	a->fds[a->nfds++] = fd;
	return 0;
}

/* Removes fd from the tracked set; returns 0, or -1 when it is not ours. */
static int fd_untrack(struct addon *a, int fd)
{
	for (size_t i = 0; i < a->nfds; i++) {
		if (a->fds[i] == fd) {
			a->fds[i] = a->fds[--a->nfds];
			return 0;
		}
	}
	return -1;
}

static const napi_type_tag bridge_tag = { 0x61636365, 0x6c2d6e6170692d62ull };

static void throw_last(napi_env env)
{
	const napi_extended_error_info *info = NULL;
	bool pending = false;

	napi_is_exception_pending(env, &pending);
	if (pending)
		return;
	napi_get_last_error_info(env, &info);
	napi_throw_error(env, "EACCEL_NAPI",
			 info && info->error_message ? info->error_message :
						       "Node-API call failed");
}

static napi_value type_error(napi_env env, const char *msg)
{
	napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
	return NULL;
}

/* The error name as JS sees it: "EACCEL_<NAME>" or the errno name. */
static void code_name(int code, char *buf, size_t len)
{
	const char *name = accel_errname(code);
	int num = code < 0 ? -code : code;

	if (!name)
		snprintf(buf, len, "EACCEL_UNKNOWN");
	else if (num < ACCEL_E_BASE)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "EACCEL_%s", name);
}

napi_value br_make_error(napi_env env, int code)
{
	struct addon *a = NULL;
	napi_value err, msg, name, fn, arg, errno_v;
	char cname[96];

	napi_get_instance_data(env, (void **)&a);
	if (a && a->error_factory &&
	    napi_get_reference_value(env, a->error_factory, &fn) == napi_ok &&
	    fn) {
		napi_value recv;

		napi_get_undefined(env, &recv);
		napi_create_int32(env, code, &arg);
		if (napi_call_function(env, recv, fn, 1, &arg, &err) == napi_ok)
			return err;
	}
	code_name(code, cname, sizeof(cname));
	napi_create_string_utf8(env, accel_strerror(code), NAPI_AUTO_LENGTH,
				&msg);
	napi_create_string_utf8(env, cname, NAPI_AUTO_LENGTH, &name);
	napi_create_error(env, name, msg, &err);
	napi_create_int32(env, code < 0 ? -code : code, &errno_v);
	napi_set_named_property(env, err, "errno", errno_v);
	return err;
}

static napi_value throw_code(napi_env env, int code)
{
	napi_throw(env, br_make_error(env, code));
	return NULL;
}

static struct bridge *get_bridge(napi_env env, napi_value v)
{
	bool ok = false;
	void *p = NULL;
	napi_valuetype t;

	if (napi_typeof(env, v, &t) != napi_ok || t != napi_external ||
	    napi_check_object_type_tag(env, v, &bridge_tag, &ok) != napi_ok ||
	    !ok || napi_get_value_external(env, v, &p) != napi_ok || !p) {
		type_error(env, "not an agent-accel engine handle");
		return NULL;
	}
	return p;
}

static int get_u32(napi_env env, napi_value v, uint32_t max, uint32_t *out)
{
	napi_valuetype t;
	double d;

	if (napi_typeof(env, v, &t) != napi_ok || t != napi_number ||
	    napi_get_value_double(env, v, &d) != napi_ok || !(d >= 0) ||
	    d > max || d != (double)(uint32_t)d)
		return -1;
	*out = (uint32_t)d;
	return 0;
}

/*
 * An op argument: undefined (0), an integer Number in [-2^63, 2^64) or a
 * BigInt that fits 64 bits. Negative values are stored two's complement.
 */
static int get_arg(napi_env env, napi_value v, uint64_t *out)
{
	napi_valuetype t;
	bool lossless;
	double d;

	if (napi_typeof(env, v, &t) != napi_ok)
		return -1;
	switch (t) {
	case napi_undefined:
		*out = 0;
		return 0;
	case napi_number:
		napi_get_value_double(env, v, &d);
		if (d != d || d != (double)(int64_t)d) {
			if (d >= 9223372036854775808.0 &&
			    d < 18446744073709551616.0 &&
			    d == (double)(uint64_t)d) {
				*out = (uint64_t)d;
				return 0;
			}
			return -1;
		}
		*out = (uint64_t)(int64_t)d;
		return 0;
	case napi_bigint:
		if (napi_get_value_bigint_uint64(env, v, out, &lossless) !=
		    napi_ok)
			return -1;
		if (!lossless) {
			int64_t s;

			napi_get_value_bigint_int64(env, v, &s, &lossless);
			if (!lossless)
				return -1;
			*out = (uint64_t)s;
		}
		return 0;
	default:
		return -1;
	}
}

static int get_args(napi_env env, napi_value *argv, uint64_t arg[3])
{
	for (int i = 0; i < 3; i++)
		if (get_arg(env, argv[i], &arg[i]) < 0)
			return -1;
	return 0;
}

/* Request input: nothing, a string (encoded as UTF-8) or bytes. */
struct input {
	napi_value str; /* non-NULL: a string of units UTF-16 units */
	size_t units;
	const void *p; /* or bytes: len of them at p */
	size_t len;
};

static size_t typed_elem_size(napi_typedarray_type t)
{
	switch (t) {
	case napi_int16_array:
	case napi_uint16_array:
		return 2;
	case napi_int32_array:
	case napi_uint32_array:
	case napi_float32_array:
		return 4;
	case napi_float64_array:
	case napi_bigint64_array:
	case napi_biguint64_array:
		return 8;
	default:
		return 1;
	}
}

static int get_input(napi_env env, napi_value v, struct input *in)
{
	napi_valuetype t;
	bool is = false;

	memset(in, 0, sizeof(*in));
	if (napi_typeof(env, v, &t) != napi_ok)
		return -1;
	if (t == napi_undefined || t == napi_null)
		return 0;
	if (t == napi_string) {
		/*
		 * The length in UTF-16 units costs nothing; the UTF-8 length
		 * would be a pass over the string (stage_input()).
		 */
		in->str = v;
		return napi_get_value_string_utf16(env, v, NULL, 0,
						   &in->units) == napi_ok ?
			       0 :
			       -1;
	}
	if (t != napi_object)
		return -1;
	if (napi_is_typedarray(env, v, &is) == napi_ok && is) {
		napi_typedarray_type tt;
		napi_value ab;
		size_t n, off;
		void *data;

		if (napi_get_typedarray_info(env, v, &tt, &n, &data, &ab,
					     &off) != napi_ok)
			return -1;
		in->p = data;
		in->len = n * typed_elem_size(tt);
		return 0;
	}
	if (napi_is_dataview(env, v, &is) == napi_ok && is) {
		napi_value ab;
		size_t off;
		void *data;

		if (napi_get_dataview_info(env, v, &in->len, &data, &ab,
					   &off) != napi_ok)
			return -1;
		in->p = data;
		return 0;
	}
	if (napi_is_arraybuffer(env, v, &is) == napi_ok && is) {
		void *data;

		if (napi_get_arraybuffer_info(env, v, &data, &in->len) !=
		    napi_ok)
			return -1;
		in->p = data;
		return 0;
	}
	return -1;
}

/*
 * A string straight into a request block as UTF-8, in one pass when the
 * worst case (3 bytes a UTF-16 unit) fits the arena: the block is then
 * trimmed to what was written. Otherwise the exact size is measured first.
 */
static int stage_string(napi_env env, struct bridge *b, const struct input *in,
			uint64_t *off, uint64_t *len)
{
	size_t worst = in->units * 3, n, w;
	void *p;
	int ret;

	if (!in->units)
		return 0;
	ret = accel_client_alloc(b->c, worst + 1, off, &p);
	if (ret == 0) {
		napi_get_value_string_utf8(env, in->str, p, worst + 1, &w);
		accel_client_trim(b->c, *off, w);
		*len = w;
		return 0;
	}
	if (ret != -ENOSPC && ret != -ACCEL_E_TOO_LARGE)
		return ret;
	napi_get_value_string_utf8(env, in->str, NULL, 0, &n);
	/* napi writes a NUL after the string: one byte more. */
	ret = accel_client_alloc(b->c, n + 1, off, &p);
	if (ret < 0)
		return ret;
	napi_get_value_string_utf8(env, in->str, p, n + 1, &w);
	*len = w;
	return 0;
}

/*
 * Writes the input straight into a request block (the one copy of the
 * design). Returns 0 with *off set (0: no input), -ENOSPC when the arena is
 * full now, -ACCEL_E_TOO_LARGE when it never fits.
 */
static int stage_input(napi_env env, struct bridge *b, const struct input *in,
		       uint64_t *off, uint64_t *len)
{
	void *p;
	int ret;

	*off = 0;
	*len = 0;
	if (in->str)
		return stage_string(env, b, in, off, len);
	if (!in->len)
		return 0;
	ret = accel_client_alloc(b->c, in->len, off, &p);
	if (ret < 0)
		return ret;
	memcpy(p, in->p, in->len);
	*len = in->len;
	return 0;
}

static int session_code(const struct bridge *b)
{
	return b->dead ? -ACCEL_E_ENGINE_DIED : -ACCEL_E_CLOSED;
}

/*
 * submit(h, op, slot, kind, input, a0, a1, a2) -> 0 | -code
 * Stages one async request; JS publishes the tick's batch with flush().
 * -EAGAIN (SQ full) and -ENOSPC (arena full) ask JS to queue the call.
 */
static napi_value js_submit(napi_env env, napi_callback_info info)
{
	napi_value argv[8], r;
	size_t argc = 8;
	struct bridge *b;
	uint32_t op, slot, kind;
	uint64_t arg[3], off, len;
	struct input in;
	int ret;

	NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
	if (argc < 5)
		return type_error(env, "submit: missing arguments");
	while (argc < 8)
		napi_get_undefined(env, &argv[argc++]);
	b = get_bridge(env, argv[0]);
	if (!b)
		return NULL;
	if (get_u32(env, argv[1], UINT16_MAX, &op) < 0 ||
	    get_u32(env, argv[2], BR_MAX_SLOTS - 1, &slot) < 0 ||
	    get_u32(env, argv[3], BR_KIND_COPY, &kind) < 0)
		return type_error(env, "submit: bad op, slot or kind");
	if (get_input(env, argv[4], &in) < 0)
		return type_error(env, "input must be a string, Buffer, "
				       "TypedArray, DataView, ArrayBuffer or "
				       "undefined");
	if (get_args(env, argv + 5, arg) < 0)
		return type_error(env, "op arguments must be integers "
				       "(Number or BigInt, 64 bits)");
	if (b->closed) {
		ret = session_code(b);
		goto out;
	}
	ret = br_slot_reserve(b, slot);
	if (ret < 0)
		goto out;
	ret = stage_input(env, b, &in, &off, &len);
	if (ret == -ENOSPC && !b->inflight && !b->unpublished)
		ret = -ACCEL_E_NO_SPACE; /* nothing will free room */
	if (ret < 0)
		goto out;
	ret = br_prepare(b, (uint16_t)op, ((uint64_t)slot << 2) | kind, off,
			 len, arg);
	if (ret < 0 && off)
		accel_client_free(b->c, off);
out:
	if (ret == -EAGAIN || ret == -ENOSPC)
		b->js_blocked = 1;
	NAPI_CALL(env, napi_create_int32(env, ret, &r));
	return r;
}

/* flush(h) -> number published | -code */
static napi_value js_flush(napi_env env, napi_callback_info info)
{
	napi_value argv[1], r;
	size_t argc = 1;
	struct bridge *b;

	NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
	if (argc < 1)
		return type_error(env, "flush: missing handle");
	b = get_bridge(env, argv[0]);
	if (!b)
		return NULL;
	NAPI_CALL(env, napi_create_int32(env, br_flush(b), &r));
	return r;
}

/*
 * abandon(h, slot) / cancel(h, slot) -> true when a cancel request was
 * staged. abandon swallows the call's completion; cancel delivers it.
 */
static napi_value slot_cancel(napi_env env, napi_callback_info info,
			      int (*fn)(struct bridge *, uint32_t))
{
	napi_value argv[2], r;
	size_t argc = 2;
	struct bridge *b;
	uint32_t slot;

	NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
	if (argc < 2)
		return type_error(env, "cancel: missing arguments");
	b = get_bridge(env, argv[0]);
	if (!b)
		return NULL;
	if (get_u32(env, argv[1], BR_MAX_SLOTS - 1, &slot) < 0)
		return type_error(env, "cancel: bad slot");
	NAPI_CALL(env, napi_get_boolean(env, fn(b, slot), &r));
	return r;
}

static napi_value js_abandon(napi_env env, napi_callback_info info)
{
	return slot_cancel(env, info, br_abandon);
}

static napi_value js_cancel(napi_env env, napi_callback_info info)
{
	return slot_cancel(env, info, br_cancel);
}

/*
 * callSync(h, op, kind, input, a0, a1, a2) -> value | undefined
 * Runs the request on this thread; the status (cqe.res) is written to the
 * last element of the shared Int32Array. Throws on transport errors only.
 */
static napi_value js_call_sync(napi_env env, napi_callback_info info)
{
	napi_value argv[7], v;
	size_t argc = 7;
	struct bridge *b;
	uint32_t op, kind;
	uint64_t arg[3], off, len;
	struct accel_cqe cqe;
	struct input in;
	int32_t res;
	int ret;

	NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
	if (argc < 3)
		return type_error(env, "callSync: missing arguments");
	while (argc < 7)
		napi_get_undefined(env, &argv[argc++]);
	b = get_bridge(env, argv[0]);
	if (!b)
		return NULL;
	if (get_u32(env, argv[1], UINT16_MAX, &op) < 0 ||
	    get_u32(env, argv[2], BR_KIND_COPY, &kind) < 0)
		return type_error(env, "callSync: bad op or kind");
	if (get_input(env, argv[3], &in) < 0)
		return type_error(env, "input must be a string, Buffer, "
				       "TypedArray, DataView, ArrayBuffer or "
				       "undefined");
	if (get_args(env, argv + 4, arg) < 0)
		return type_error(env, "op arguments must be integers "
				       "(Number or BigInt, 64 bits)");
	if (b->closed)
		return throw_code(env, session_code(b));
	/* Wait for room: completions of other calls free request blocks. */
	for (;;) {
		ret = stage_input(env, b, &in, &off, &len);
		if (ret != -ENOSPC)
			break;
		if (!b->inflight && !b->unpublished) {
			ret = -ACCEL_E_NO_SPACE;
			break;
		}
		ret = br_wait_some(b);
		if (ret < 0)
			break;
	}
	if (ret < 0)
		return throw_code(env, ret);
	ret = br_call_sync(b, (uint16_t)op, off, len, arg, &cqe);
	if (ret < 0)
		return throw_code(env, ret);
	res = cqe.res;
	v = br_result_value(b, &cqe, kind, &res);
	if (b->meta)
		b->meta[3 * b->meta_cap] = res;
	if (!v)
		napi_get_undefined(env, &v);
	return v;
}

/* pingMany(h, n) -> Promise<n>: n pings submitted in ring-sized batches */
static napi_value js_ping_many(napi_env env, napi_callback_info info)
{
	napi_value argv[2], promise;
	napi_deferred d;
	size_t argc = 2;
	struct bridge *b;
	double n;
	int ret;

	NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
	if (argc < 2)
		return type_error(env, "pingMany: missing arguments");
	b = get_bridge(env, argv[0]);
	if (!b)
		return NULL;
	if (napi_get_value_double(env, argv[1], &n) != napi_ok || !(n >= 0) ||
	    n > 9007199254740991.0 || n != (double)(uint64_t)n)
		return type_error(env, "pingMany: n must be a non-negative "
				       "integer");
	NAPI_CALL(env, napi_create_promise(env, &d, &promise));
	ret = br_ping_many(b, (uint64_t)n, d);
	if (ret < 0)
		napi_reject_deferred(env, d, br_make_error(env, ret));
	return promise;
}

/* close(h): ends the session; result Buffers stay valid. */
static napi_value js_close(napi_env env, napi_callback_info info)
{
	napi_value argv[1];
	size_t argc = 1;
	struct bridge *b;

	NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
	if (argc < 1)
		return type_error(env, "close: missing handle");
	b = get_bridge(env, argv[0]);
	if (!b)
		return NULL;
	br_close(b);
	return NULL;
}

/* isMapped(h, buf): true when buf's bytes lie in this session's mapping. */
static napi_value js_is_mapped(napi_env env, napi_callback_info info)
{
	napi_value argv[2], r;
	size_t argc = 2;
	struct bridge *b;
	struct input in;
	uintptr_t p;

	NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
	if (argc < 2)
		return type_error(env, "isMapped: missing arguments");
	b = get_bridge(env, argv[0]);
	if (!b)
		return NULL;
	if (get_input(env, argv[1], &in) < 0 || in.str)
		return type_error(env, "isMapped: expects bytes");
	p = (uintptr_t)in.p;
	NAPI_CALL(env, napi_get_boolean(env,
					in.p && p >= b->map_lo &&
						p + in.len <= b->map_hi,
					&r));
	return r;
}

static void set_num(napi_env env, napi_value obj, const char *key, double v)
{
	napi_value n;

	napi_create_double(env, v, &n);
	napi_set_named_property(env, obj, key, n);
}

/* info(h) -> { enginePid, sqEntries, cqCount, cqEntries, reqSize, ... } */
static napi_value js_info(napi_env env, napi_callback_info info)
{
	const struct accel_shm_layout *l;
	napi_value argv[1], o;
	size_t argc = 1;
	struct bridge *b;

	NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
	if (argc < 1)
		return type_error(env, "info: missing handle");
	b = get_bridge(env, argv[0]);
	if (!b)
		return NULL;
	l = accel_client_layout(b->c);
	NAPI_CALL(env, napi_create_object(env, &o));
	set_num(env, o, "enginePid", accel_client_engine_pid(b->c));
	set_num(env, o, "sqEntries", l->sq_entries);
	set_num(env, o, "cqCount", l->cq_count);
	set_num(env, o, "cqEntries", l->cq_entries);
	set_num(env, o, "reqSize", (double)l->req_size);
	set_num(env, o, "resSize", (double)l->res_size);
	set_num(env, o, "mapSize", (double)l->map_size);
	set_num(env, o, "inflight", (double)b->inflight);
	set_num(env, o, "spinUs", (double)b->spin_ns / 1000.0);
	set_num(env, o, "spinEffUs", (double)b->spin_eff / 1000.0);
	set_num(env, o, "spinHits", (double)b->spin_hits);
	set_num(env, o, "spinMisses", (double)b->spin_misses);
	set_num(env, o, "syncSpinEffUs",
		(double)accel_client_spin_ns(b->c) / 1000.0);
	set_num(env, o, "viewBytes", (double)b->view_bytes);
	set_num(env, o, "viewLimit", (double)b->view_limit);
	set_num(env, o, "viewsCopied", (double)b->views_copied);
	return o;
}

/* socketpair() -> [mine, theirs]: both close-on-exec */
static napi_value js_socketpair(napi_env env, napi_callback_info info)
{
	napi_value arr, v;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return throw_code(env, -errno);
	if (fd_track(addon_of(env), sv[0]) < 0) {
		close(sv[0]);
		close(sv[1]);
		return throw_code(env, -ENOMEM);
	}
	if (fd_track(addon_of(env), sv[1]) < 0) {
		fd_untrack(addon_of(env), sv[0]);
		close(sv[0]);
		close(sv[1]);
		return throw_code(env, -ENOMEM);
	}
	NAPI_CALL(env, napi_create_array_with_length(env, 2, &arr));
	for (uint32_t i = 0; i < 2; i++) {
		NAPI_CALL(env, napi_create_int32(env, sv[i], &v));
		NAPI_CALL(env, napi_set_element(env, arr, i, v));
	}
	return arr;
}

/* closeFd(fd): closes a socketpair end this addon made. */
static napi_value js_close_fd(napi_env env, napi_callback_info info)
{
	napi_value argv[1];
	size_t argc = 1;
	uint32_t fd;

	NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
	if (argc < 1 || get_u32(env, argv[0], INT32_MAX, &fd) < 0 ||
	    fd_untrack(addon_of(env), (int)fd) < 0)
		return type_error(env, "closeFd: not a socket made by "
				       "socketpair()");
	close((int)fd);
	return NULL;
}

/* The handshake runs on the thread pool: it waits for the engine. */
struct attach_work {
	napi_async_work work;
	napi_deferred d;
	napi_ref meta, batch_cb, death_cb;
	int sock;   /* attach: our socket end; connect: -1 */
	char *path; /* connect: the daemon's socket */
	struct accel_client_opts o;
	struct br_opts bo;
	struct accel_client *c;
	int ret;
};

static void attach_execute(napi_env env, void *data)
{
	struct attach_work *w = data;

	if (w->path)
		w->ret = accel_client_connect(w->path, &w->o, &w->c);
	else
		w->ret = accel_client_attach(w->sock, 0, &w->o, &w->c);
}

static void bridge_finalize(napi_env env, void *data, void *hint)
{
	struct bridge *b = data;

	/* Unreachable without close(): end the session now. */
	if (!b->closed && !b->env_gone)
		br_close(b);
	br_unref(b);
}

/*
 * Makes the bridge of a finished handshake and its JS handle in *ext.
 * Returns 0, or a negative code (the client is then closed).
 */
static int attach_bridge(napi_env env, struct attach_work *w, napi_value meta,
			 napi_value bcb, napi_value dcb, napi_value *ext)
{
	struct bridge *b;
	int ret;

	ret = br_create(env, w->c, &w->bo, meta, bcb, dcb, &b);
	if (ret < 0)
		return ret;
	if (napi_create_external(env, b, bridge_finalize, NULL, ext) !=
	    napi_ok) {
		br_close(b);
		br_unref(b);
		return -ENOMEM;
	}
	napi_type_tag_object(env, *ext, &bridge_tag);
	return 0;
}

static void attach_free(napi_env env, struct attach_work *w)
{
	if (w->meta) {
		napi_delete_reference(env, w->meta);
		napi_delete_reference(env, w->batch_cb);
		napi_delete_reference(env, w->death_cb);
	}
	accel_free(w->path);
	accel_free(w);
}

static void attach_complete(napi_env env, napi_status status, void *data)
{
	struct attach_work *w = data;
	napi_value meta, bcb, dcb, ext;
	int ret = w->ret;

	napi_get_reference_value(env, w->meta, &meta);
	napi_get_reference_value(env, w->batch_cb, &bcb);
	napi_get_reference_value(env, w->death_cb, &dcb);
	if (ret >= 0)
		ret = attach_bridge(env, w, meta, bcb, dcb, &ext);
	if (ret < 0)
		napi_reject_deferred(env, w->d, br_make_error(env, ret));
	else
		napi_resolve_deferred(env, w->d, ext);
	napi_delete_async_work(env, w->work);
	attach_free(env, w);
}

static int opt_u64(napi_env env, napi_value o, const char *key, uint64_t max,
		   uint64_t *out)
{
	napi_value v;
	napi_valuetype t;
	double d;
	bool has = false;

	if (napi_has_named_property(env, o, key, &has) != napi_ok || !has)
		return 0;
	napi_get_named_property(env, o, key, &v);
	napi_typeof(env, v, &t);
	if (t == napi_undefined)
		return 0;
	if (t != napi_number || napi_get_value_double(env, v, &d) != napi_ok ||
	    !(d >= 0) || d > (double)max || d != (double)(uint64_t)d)
		return -1;
	*out = (uint64_t)d;
	return 0;
}

/* Discards the JS value of a thrown error: the caller returns NULL. */
static struct attach_work *bad(napi_value thrown)
{
	(void)thrown;
	return NULL;
}

/*
 * Checks the arguments of attach(fd, opts, meta, batchCb, deathCb) /
 * connect(path, ...) into a new attach_work. opts: sqEntries, reqSize,
 * resSize, spinUs (event-loop spin window), syncSpinUs (sync wait spin),
 * handshakeTimeoutMs, viewLimitPct. Returns NULL with a JS exception
 * pending on bad arguments. From here the work owns attach's socket, also
 * on failure.
 */
static struct attach_work *attach_args(napi_env env, napi_value *argv,
				       size_t argc, int connect)
{
	struct attach_work *w;
	uint64_t sq = 0, req = 0, res = 0, spin = 50, sspin = 50, hs = 0;
	uint64_t vpct = 50;
	napi_typedarray_type mtype;
	napi_valuetype t;
	size_t mlen;
	bool is;

	if (argc < 5)
		return bad(type_error(env, "attach: missing arguments"));
	napi_typeof(env, argv[1], &t);
	if (t != napi_object)
		return bad(type_error(env, "attach: opts must be an object"));
	if (opt_u64(env, argv[1], "sqEntries", ACCEL_SHM_MAX_SQ, &sq) < 0 ||
	    opt_u64(env, argv[1], "reqSize", ACCEL_SHM_MAX_ARENA, &req) < 0 ||
	    opt_u64(env, argv[1], "resSize", ACCEL_SHM_MAX_ARENA, &res) < 0 ||
	    opt_u64(env, argv[1], "spinUs", 10000000, &spin) < 0 ||
	    opt_u64(env, argv[1], "syncSpinUs", 10000000, &sspin) < 0 ||
	    opt_u64(env, argv[1], "handshakeTimeoutMs", 3600000, &hs) < 0 ||
	    opt_u64(env, argv[1], "viewLimitPct", 100, &vpct) < 0)
		return bad(type_error(env, "attach: bad option value"));
	if (napi_is_typedarray(env, argv[2], &is) != napi_ok || !is ||
	    napi_get_typedarray_info(env, argv[2], &mtype, &mlen, NULL, NULL,
				     NULL) != napi_ok ||
	    mtype != napi_int32_array || mlen < 3 * 16 + 1)
		return bad(type_error(env,
				      "attach: meta must be an Int32Array of "
				      "at least 49 elements"));
	napi_typeof(env, argv[3], &t);
	if (t != napi_function)
		return bad(type_error(env, "attach: batch callback"));
	napi_typeof(env, argv[4], &t);
	if (t != napi_function)
		return bad(type_error(env, "attach: death callback"));

	w = accel_calloc(1, sizeof(*w));
	if (!w)
		return bad(throw_code(env, -ENOMEM));
	w->sock = -1;
	if (connect) {
		size_t len;

		napi_typeof(env, argv[0], &t);
		if (t != napi_string ||
		    napi_get_value_string_utf8(env, argv[0], NULL, 0, &len) !=
			    napi_ok ||
		    len == 0) {
			accel_free(w);
			return bad(type_error(env, "connect: path must be a "
						   "non-empty string"));
		}
		w->path = accel_malloc(len + 1);
		if (!w->path) {
			accel_free(w);
			return bad(throw_code(env, -ENOMEM));
		}
		napi_get_value_string_utf8(env, argv[0], w->path, len + 1,
					   &len);
	} else {
		uint32_t fd;

		if (get_u32(env, argv[0], INT32_MAX, &fd) < 0 ||
		    fd_untrack(addon_of(env), (int)fd) < 0) {
			accel_free(w);
			return bad(type_error(env,
					      "attach: not a socket made by "
					      "socketpair()"));
		}
		w->sock = (int)fd;
	}
	w->o.flags = ACCEL_CLIENT_F_EVENTFD;
	w->o.sq_entries = (uint32_t)sq;
	w->o.req_size = req;
	w->o.res_size = res;
	w->o.spin_ns = sspin ? sspin * 1000 : 1; /* 0 means default there */
	w->o.handshake_timeout_ms = (uint32_t)hs;
	w->bo.spin_ns = spin * 1000;
	w->bo.view_pct = (uint32_t)vpct;
#define ACCEL_OP(id, name)          \
	if (!strcmp(#name, "ping")) \
		w->bo.ping_op = id;
#include "ops.def"
#undef ACCEL_OP
	return w;
}

/* attach(...) / connect(...): Promise<handle>, the handshake on the pool. */
static napi_value attach_or_connect(napi_env env, napi_callback_info info,
				    int connect)
{
	napi_value argv[5], promise, name;
	size_t argc = 5;
	struct attach_work *w;

	NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
	w = attach_args(env, argv, argc, connect);
	if (!w)
		return NULL;
	napi_create_reference(env, argv[2], 1, &w->meta);
	napi_create_reference(env, argv[3], 1, &w->batch_cb);
	napi_create_reference(env, argv[4], 1, &w->death_cb);
	napi_create_promise(env, &w->d, &promise);
	napi_create_string_utf8(env, "agent-accel:handshake", NAPI_AUTO_LENGTH,
				&name);
	if (napi_create_async_work(env, NULL, name, attach_execute,
				   attach_complete, w, &w->work) != napi_ok ||
	    napi_queue_async_work(env, w->work) != napi_ok) {
		/* Nothing ran: reject now (the socket is still ours). */
		if (w->sock >= 0)
			close(w->sock);
		napi_reject_deferred(env, w->d, br_make_error(env, -ENOMEM));
		attach_free(env, w);
	}
	return promise;
}

/*
 * attachSync(...) / connectSync(...): the handle, with the handshake on the
 * calling thread. It blocks JS until the engine answers or
 * handshakeTimeoutMs passes: for callers that cannot await (a synchronous
 * API that starts its engine on first use).
 */
static napi_value attach_or_connect_sync(napi_env env, napi_callback_info info,
					 int connect)
{
	napi_value argv[5], ext = NULL;
	size_t argc = 5;
	struct attach_work *w;
	int ret;

	NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
	w = attach_args(env, argv, argc, connect);
	if (!w)
		return NULL;
	attach_execute(env, w);
	ret = w->ret;
	if (ret >= 0)
		ret = attach_bridge(env, w, argv[2], argv[3], argv[4], &ext);
	attach_free(env, w);
	if (ret < 0)
		return throw_code(env, ret);
	return ext;
}

static napi_value js_attach(napi_env env, napi_callback_info info)
{
	return attach_or_connect(env, info, 0);
}

static napi_value js_connect(napi_env env, napi_callback_info info)
{
	return attach_or_connect(env, info, 1);
}

static napi_value js_attach_sync(napi_env env, napi_callback_info info)
{
	return attach_or_connect_sync(env, info, 0);
}

static napi_value js_connect_sync(napi_env env, napi_callback_info info)
{
	return attach_or_connect_sync(env, info, 1);
}

/*
 * errorTable() -> [[errno, code, message], ...]: every errno with a name
 * and every agent-accel code, straight from common/errors/ (through
 * accel_errname), so a new code needs no addon change.
 */
static napi_value js_error_table(napi_env env, napi_callback_info info)
{
	napi_value arr, row, v;
	uint32_t n = 0;
	char name[96];

	NAPI_CALL(env, napi_create_array(env, &arr));
	for (int code = 1; code < 10000; code++) {
		if (!accel_errname(code))
			continue;
		code_name(code, name, sizeof(name));
		NAPI_CALL(env, napi_create_array_with_length(env, 3, &row));
		napi_create_int32(env, code, &v);
		napi_set_element(env, row, 0, v);
		napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &v);
		napi_set_element(env, row, 1, v);
		napi_create_string_utf8(env, accel_strerror(code),
					NAPI_AUTO_LENGTH, &v);
		napi_set_element(env, row, 2, v);
		napi_set_element(env, arr, n++, row);
	}
	return arr;
}

/* setErrorFactory(fn): fn(code) builds the JS error for a -code. */
static napi_value js_set_error_factory(napi_env env, napi_callback_info info)
{
	struct addon *a = NULL;
	napi_value argv[1];
	size_t argc = 1;
	napi_valuetype t;

	NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
	if (argc < 1 || napi_typeof(env, argv[0], &t) != napi_ok ||
	    t != napi_function)
		return type_error(env, "setErrorFactory: expects a function");
	napi_get_instance_data(env, (void **)&a);
	if (a->error_factory)
		napi_delete_reference(env, a->error_factory);
	napi_create_reference(env, argv[0], 1, &a->error_factory);
	return NULL;
}

static void addon_finalize(napi_env env, void *data, void *hint)
{
	struct addon *a = data;

	if (a->error_factory)
		napi_delete_reference(env, a->error_factory);
	for (size_t i = 0; i < a->nfds; i++)
		close(a->fds[i]);
	accel_free(a->fds);
	accel_free(a);
}

static void set_int(napi_env env, napi_value obj, const char *key, int64_t v)
{
	napi_value n;

	napi_create_int64(env, v, &n);
	napi_set_named_property(env, obj, key, n);
}

NAPI_MODULE_INIT()
{
	static const struct {
		const char *name;
		napi_callback fn;
	} fns[] = {
		{ "submit", js_submit },
		{ "flush", js_flush },
		{ "abandon", js_abandon },
		{ "cancel", js_cancel },
		{ "callSync", js_call_sync },
		{ "pingMany", js_ping_many },
		{ "close", js_close },
		{ "isMapped", js_is_mapped },
		{ "info", js_info },
		{ "socketpair", js_socketpair },
		{ "closeFd", js_close_fd },
		{ "attach", js_attach },
		{ "connect", js_connect },
		{ "attachSync", js_attach_sync },
		{ "connectSync", js_connect_sync },
		{ "errorTable", js_error_table },
		{ "setErrorFactory", js_set_error_factory },
	};
	struct addon *a;
	napi_value fn, ops, k;

	a = accel_calloc(1, sizeof(*a));
	if (!a ||
	    napi_set_instance_data(env, a, addon_finalize, NULL) != napi_ok)
		return NULL;
	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		NAPI_CALL(env, napi_create_function(env, fns[i].name,
						    NAPI_AUTO_LENGTH, fns[i].fn,
						    NULL, &fn));
		NAPI_CALL(env, napi_set_named_property(env, exports,
						       fns[i].name, fn));
	}
	/* The op table, from engine/ops/ops.def: name -> wire id. */
	NAPI_CALL(env, napi_create_object(env, &ops));
#define ACCEL_OP(id, name) set_int(env, ops, #name, id);
#include "ops.def"
#undef ACCEL_OP
	NAPI_CALL(env, napi_set_named_property(env, exports, "ops", ops));
	NAPI_CALL(env, napi_create_object(env, &k));
	set_int(env, k, "KIND_NONE", BR_KIND_NONE);
	set_int(env, k, "KIND_VIEW", BR_KIND_VIEW);
	set_int(env, k, "KIND_STRING", BR_KIND_STRING);
	set_int(env, k, "KIND_COPY", BR_KIND_COPY);
	set_int(env, k, "CQE_F_RESULT", ACCEL_CQE_F_RESULT);
	set_int(env, k, "CQE_F_MORE", ACCEL_CQE_F_MORE);
	set_int(env, k, "EAGAIN", EAGAIN);
	set_int(env, k, "ENOSPC", ENOSPC);
	set_int(env, k, "PROTO_MAJOR", ACCEL_PROTO_MAJOR);
	set_int(env, k, "PROTO_MINOR", ACCEL_PROTO_MINOR);
	NAPI_CALL(env, napi_set_named_property(env, exports, "constants", k));
	return exports;
}
