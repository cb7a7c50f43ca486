/* SPDX-License-Identifier: MIT */
/*
 * zstd through reusable contexts. The wrapper's job is to add nothing to the
 * library's cost: one-shot calls go straight from the caller's source to the
 * caller's destination (ZSTD_compress2 / ZSTD_decompressDCtx), parameters are
 * re-applied on the existing context (no allocation once a level has been
 * used), and zstd's error codes are mapped onto our stable ones.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <string.h>

#define ZDICT_STATIC_LINKING_ONLY
#include <zdict.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "accel_alloc.h"
#include "accel_err.h"
#include "context_int.h"

struct accel_context_dict {
	ZSTD_CDict *cdict;
	ZSTD_DDict *ddict;
	uint32_t id;
	int level;
};

/*
 * Maps a zstd error to our codes. Truncation shows up as srcSize_wrong in
 * one-shot decompression; everything the decoder rejects in the middle of a
 * frame is "corrupt".
 */
int accel__context_zstd_err(size_t ret)
{
	switch (ZSTD_getErrorCode(ret)) {
	case ZSTD_error_prefix_unknown:
		return -ACCEL_E_ZSTD_NOT_FRAME;
	case ZSTD_error_srcSize_wrong:
		return -ACCEL_E_ZSTD_TRUNCATED;
	case ZSTD_error_checksum_wrong:
		return -ACCEL_E_ZSTD_CHECKSUM;
	case ZSTD_error_dictionary_wrong:
	case ZSTD_error_dictionary_corrupted:
		return -ACCEL_E_ZSTD_DICT_MISMATCH;
	case ZSTD_error_dstSize_tooSmall:
		return -ACCEL_E_ZSTD_DST_SMALL;
	case ZSTD_error_memory_allocation:
		return -ENOMEM;
	case ZSTD_error_parameter_unsupported:
	case ZSTD_error_parameter_outOfBound:
	case ZSTD_error_parameter_combination_unsupported:
	case ZSTD_error_stage_wrong:
		return -ACCEL_E_BAD_ARG;
	case ZSTD_error_corruption_detected:
	case ZSTD_error_frameParameter_unsupported:
	case ZSTD_error_frameParameter_windowTooLarge:
	case ZSTD_error_literals_headerWrong:
	case ZSTD_error_tableLog_tooLarge:
	case ZSTD_error_maxSymbolValue_tooLarge:
	case ZSTD_error_maxSymbolValue_tooSmall:
		return -ACCEL_E_ZSTD_CORRUPT;
	default:
		return -ACCEL_E_ZSTD_LIB;
	}
}

int accel_context_zstd_create(const struct accel_context_zstd_opts *opts,
			      struct accel_context_zstd **out)
{
	struct accel_context_zstd *z;

	if (opts && (opts->resv[0] || opts->resv[1]))
		return -ACCEL_E_BAD_ARG;
	z = accel_calloc(1, sizeof(*z));
	if (!z)
		return -ENOMEM;
	z->c = ZSTD_createCCtx();
	if (!z->c)
		goto err_free;
	z->d = ZSTD_createDCtx();
	if (!z->d)
		goto err_cctx;
	*out = z;
	return 0;

err_cctx:
	ZSTD_freeCCtx(z->c);
err_free:
	accel_free(z);
	return -ENOMEM;
}

void accel_context_zstd_destroy(struct accel_context_zstd *z)
{
	if (!z)
		return;
	ZSTD_freeCCtx(z->c);
	ZSTD_freeDCtx(z->d);
	accel_free(z);
}

size_t accel_context_zstd_bound(size_t src_len)
{
	size_t b = ZSTD_compressBound(src_len);

	return ZSTD_isError(b) ? 0 : b;
}

/*
 * Applies level, checksum and dictionary to the compression context for the
 * next frame. Resetting parameters is a few stores; the context keeps its
 * tables, so this does not allocate once a level has been seen.
 */
static int cctx_setup(struct accel_context_zstd *z, int level,
		      const struct accel_context_dict *dict, uint32_t flags)
{
	size_t r;

	if (flags & ~ACCEL_CONTEXT_ZF_NO_CHECKSUM)
		return -ACCEL_E_BAD_ARG;
	if (level == 0)
		level = ACCEL_CONTEXT_LEVEL_DEFAULT;
	if (level < ACCEL_CONTEXT_LEVEL_MIN || level > ACCEL_CONTEXT_LEVEL_MAX)
		return -ACCEL_E_BAD_ARG;
	ZSTD_CCtx_reset(z->c, ZSTD_reset_session_and_parameters);
	r = ZSTD_CCtx_setParameter(z->c, ZSTD_c_checksumFlag,
				   !(flags & ACCEL_CONTEXT_ZF_NO_CHECKSUM));
	if (ZSTD_isError(r))
		return accel__context_zstd_err(r);
	if (dict) {
		/* The level is the one the dictionary was digested for. */
		r = ZSTD_CCtx_refCDict(z->c, dict->cdict);
	} else {
		r = ZSTD_CCtx_setParameter(z->c, ZSTD_c_compressionLevel,
					   level);
	}
	if (ZSTD_isError(r))
		return accel__context_zstd_err(r);
	return 0;
}

ssize_t accel_context_zstd_compress(struct accel_context_zstd *z, void *dst,
				    size_t dst_cap, const void *src,
				    size_t src_len, int level,
				    const struct accel_context_dict *dict,
				    uint32_t flags)
{
	size_t r;
	int ret;

	z->streaming = 0;
	ret = cctx_setup(z, level, dict, flags);
	if (ret < 0)
		return ret;
	r = ZSTD_compress2(z->c, dst, dst_cap, src, src_len);
	if (ZSTD_isError(r))
		return accel__context_zstd_err(r);
	if (r > SSIZE_MAX)
		return -ACCEL_E_TOO_LARGE;
	return (ssize_t)r;
}

/*
 * The one-shot decoder uses a dictionary the context references (from a
 * stream) ahead of none at all, so a stream's dictionary is dropped before a
 * one-shot call.
 */
static void dctx_clear(struct accel_context_zstd *z)
{
	if (z->dctx_ref) {
		ZSTD_DCtx_reset(z->d, ZSTD_reset_session_and_parameters);
		z->dctx_ref = 0;
	}
}

ssize_t accel_context_zstd_decompress(struct accel_context_zstd *z, void *dst,
				      size_t dst_cap, const void *src,
				      size_t src_len,
				      const struct accel_context_dict *dict)
{
	size_t r;

	z->streaming = 0;
	if (src_len == 0)
		return -ACCEL_E_ZSTD_NOT_FRAME;
	dctx_clear(z);
	if (dict)
		r = ZSTD_decompress_usingDDict(z->d, dst, dst_cap, src, src_len,
					       dict->ddict);
	else
		r = ZSTD_decompressDCtx(z->d, dst, dst_cap, src, src_len);
	if (ZSTD_isError(r))
		return accel__context_zstd_err(r);
	if (r > SSIZE_MAX)
		return -ACCEL_E_TOO_LARGE;
	return (ssize_t)r;
}

/* 1 for a zstd frame magic, 2 for a skippable frame's, 0 otherwise. */
static int frame_kind(const void *src, size_t len)
{
	const unsigned char *p = src;
	uint32_t magic;

	if (len < 4)
		return 0;
	magic = p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
	if (magic == ZSTD_MAGICNUMBER)
		return 1;
	if ((magic & ZSTD_MAGIC_SKIPPABLE_MASK) == ZSTD_MAGIC_SKIPPABLE_START)
		return 2;
	return 0;
}

int accel_context_zstd_content_size(const void *src, size_t src_len,
				    uint64_t *size)
{
	unsigned long long cs = ZSTD_getFrameContentSize(src, src_len);

	if (cs == ZSTD_CONTENTSIZE_ERROR) {
		/* Foreign bytes, or a zstd header that is short or broken. */
		if (src_len < 4)
			return -ACCEL_E_ZSTD_TRUNCATED;
		if (!frame_kind(src, src_len))
			return -ACCEL_E_ZSTD_NOT_FRAME;
		return src_len < 18 /* ZSTD_FRAMEHEADERSIZE_MAX */ ?
			       -ACCEL_E_ZSTD_TRUNCATED :
			       -ACCEL_E_ZSTD_CORRUPT;
	}
	/* A skippable frame "records" 0; what follows it is unknown. */
	if (cs == ZSTD_CONTENTSIZE_UNKNOWN || frame_kind(src, src_len) == 2)
		return 0;
	*size = cs;
	return 1;
}

/*
 * Decodes src into a buffer that doubles until the output fits or max_out is
 * reached. This re-runs the one-shot decoder rather than switching to the
 * streaming one: the two accept slightly different sets of malformed frames
 * (the streaming decoder also enforces the frame's window size), and the
 * allocating call must accept exactly what accel_context_zstd_decompress()
 * accepts. A failed attempt stops once dst is full, so the total work is
 * bounded by about twice that of the final, successful run.
 */
static ssize_t decompress_grow(struct accel_context_zstd *z, const void *src,
			       size_t src_len,
			       const struct accel_context_dict *dict,
			       size_t max_out, size_t cap, void **out)
{
	void *buf = NULL, *nb;
	ssize_t n;

	if (cap < 4096)
		cap = 4096;
	for (;;) {
		if (cap > max_out)
			cap = max_out;
		nb = accel_realloc(buf, cap ? cap : 1);
		if (!nb) {
			n = -ENOMEM;
			break;
		}
		buf = nb;
		n = accel_context_zstd_decompress(z, buf, cap, src, src_len,
						  dict);
		if (n != -ACCEL_E_ZSTD_DST_SMALL)
			break;
		if (cap >= max_out) {
			n = -ACCEL_E_ZSTD_TOO_LARGE;
			break;
		}
		cap = cap > max_out / 2 ? max_out : cap * 2;
	}
	if (n < 0) {
		accel_free(buf);
		return n;
	}
	*out = buf;
	return n;
}

ssize_t accel_context_zstd_decompress_alloc(
	struct accel_context_zstd *z, const void *src, size_t src_len,
	const struct accel_context_dict *dict, size_t max_out, void **out)
{
	uint64_t cs = 0;
	ssize_t n;
	void *buf;
	int ret;

	z->streaming = 0;
	if (src_len == 0)
		return -ACCEL_E_ZSTD_NOT_FRAME;
	if (max_out > SSIZE_MAX)
		max_out = SSIZE_MAX;
	ret = accel_context_zstd_content_size(src, src_len, &cs);
	if (ret < 0)
		return ret;
	/*
	 * Fast path: a single frame that records its size and is within the
	 * limit decompresses in one call into an exact buffer. If there is
	 * more after it (concatenated frames) the call fails with
	 * dst_small and we fall back to a growing buffer.
	 */
	if (ret == 1 && cs > max_out)
		return -ACCEL_E_ZSTD_TOO_LARGE;
	if (ret == 1) {
		buf = accel_malloc(cs ? cs : 1);
		if (!buf)
			return -ENOMEM;
		n = accel_context_zstd_decompress(z, buf, cs, src, src_len,
						  dict);
		if (n >= 0) {
			*out = buf;
			return n;
		}
		accel_free(buf);
		if (n != -ACCEL_E_ZSTD_DST_SMALL)
			return n;
	}
	return decompress_grow(z, src, src_len, dict, max_out,
			       ret == 1 && cs ? cs * 2 : src_len * 4, out);
}

int accel_context_zstd_stream_begin(struct accel_context_zstd *z, int mode,
				    int level,
				    const struct accel_context_dict *dict,
				    uint64_t pledged_size, uint32_t flags)
{
	size_t r;
	int ret;

	z->streaming = 0;
	if (mode == ACCEL_CONTEXT_STREAM_COMPRESS) {
		ret = cctx_setup(z, level, dict, flags);
		if (ret < 0)
			return ret;
		if (pledged_size != UINT64_MAX) {
			r = ZSTD_CCtx_setPledgedSrcSize(z->c, pledged_size);
			if (ZSTD_isError(r))
				return accel__context_zstd_err(r);
		}
	} else if (mode == ACCEL_CONTEXT_STREAM_DECOMPRESS) {
		if (flags)
			return -ACCEL_E_BAD_ARG;
		ZSTD_DCtx_reset(z->d, ZSTD_reset_session_and_parameters);
		z->dctx_ref = 1;
		if (dict) {
			r = ZSTD_DCtx_refDDict(z->d, dict->ddict);
			if (ZSTD_isError(r))
				return accel__context_zstd_err(r);
		}
	} else {
		return -ACCEL_E_BAD_ARG;
	}
	z->streaming = mode;
	return 0;
}

int accel_context_zstd_stream_step(struct accel_context_zstd *z,
				   struct accel_context_buf *in,
				   struct accel_context_buf *out, int end)
{
	ZSTD_inBuffer ib;
	ZSTD_outBuffer ob;
	size_t r;

	if (!z->streaming || in->pos > in->size || out->pos > out->size)
		return -ACCEL_E_BAD_ARG;
	ib = (ZSTD_inBuffer){ in->ptr, in->size, in->pos };
	ob = (ZSTD_outBuffer){ out->ptr, out->size, out->pos };
	if (z->streaming == ACCEL_CONTEXT_STREAM_COMPRESS)
		r = ZSTD_compressStream2(z->c, &ob, &ib,
					 end ? ZSTD_e_end : ZSTD_e_continue);
	else
		r = ZSTD_decompressStream(z->d, &ob, &ib);
	in->pos = ib.pos;
	out->pos = ob.pos;
	if (ZSTD_isError(r)) {
		z->streaming = 0;
		return accel__context_zstd_err(r);
	}
	if (r == 0)
		return 0;
	return r > INT_MAX ? INT_MAX : (int)r;
}

size_t accel_context_dict_default_size(size_t sample_bytes)
{
	size_t cap = sample_bytes / 8;

	if (cap < ACCEL_CONTEXT_DICT_MIN_DEFAULT)
		return ACCEL_CONTEXT_DICT_MIN_DEFAULT;
	if (cap > ACCEL_CONTEXT_DICT_MAX_DEFAULT)
		return ACCEL_CONTEXT_DICT_MAX_DEFAULT;
	return cap;
}

ssize_t accel_context_dict_train(void *dict, size_t dict_cap,
				 const void *samples, const size_t *sizes,
				 unsigned n_samples)
{
	size_t r;

	if (!dict || dict_cap < 256 || !samples || !sizes || !n_samples)
		return -ACCEL_E_BAD_ARG;
	r = ZDICT_trainFromBuffer(dict, dict_cap, samples, sizes, n_samples);
	if (ZDICT_isError(r))
		return -ACCEL_E_ZSTD_TRAIN;
	return (ssize_t)r;
}

int accel_context_dict_load(const void *dict, size_t len, int level,
			    struct accel_context_dict **out)
{
	struct accel_context_dict *d;

	if (level == 0)
		level = ACCEL_CONTEXT_LEVEL_DEFAULT;
	if (level < ACCEL_CONTEXT_LEVEL_MIN || level > ACCEL_CONTEXT_LEVEL_MAX)
		return -ACCEL_E_BAD_ARG;
	if (!dict || len < 8)
		return -ACCEL_E_ZSTD_BAD_DICT;
	d = accel_calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->cdict = ZSTD_createCDict(dict, len, level);
	d->ddict = ZSTD_createDDict(dict, len);
	if (!d->cdict || !d->ddict) {
		/*
		 * Both copy and parse the bytes. Any buffer is accepted as a
		 * raw-content dictionary, so a NULL here means a zstd
		 * dictionary header (magic 0xEC30A437) with broken tables;
		 * running out of memory would also land here and is far
		 * rarer than a bad file.
		 */
		ZSTD_freeCDict(d->cdict);
		ZSTD_freeDDict(d->ddict);
		accel_free(d);
		return -ACCEL_E_ZSTD_BAD_DICT;
	}
	d->id = ZSTD_getDictID_fromDict(dict, len);
	d->level = level;
	*out = d;
	return 0;
}

uint32_t accel_context_dict_id(const struct accel_context_dict *d)
{
	return d->id;
}

void accel_context_dict_destroy(struct accel_context_dict *d)
{
	if (!d)
		return;
	ZSTD_freeCDict(d->cdict);
	ZSTD_freeDDict(d->ddict);
	accel_free(d);
}
