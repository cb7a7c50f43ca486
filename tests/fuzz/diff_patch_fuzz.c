/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the unified patch parser and applier, and the diff that
 * produces patches. Input: byte 0 picks options (bits 0-1 fuzz level, bit 2
 * reverse, bit 3 loose whitespace, bits 4-5 diff algorithm); the rest is
 * "text NUL patch" (no NUL: all patch, empty text).
 *
 * Properties: parsing and applying arbitrary bytes never crash or read out
 * of bounds; a parsed patch has hunks and per-hunk results that add up; and
 * for any two byte strings, applying diff(text, patch bytes) to text gives
 * the patch bytes back (the round trip every algorithm must keep).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "accel_alloc.h"
#include "accel_err.h"
#include "diff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void roundtrip(const char *a, size_t alen, const char *b, size_t blen,
		      uint32_t alg)
{
	struct accel_diff_opts o = { .algorithm = alg,
				     .flags = ACCEL_DIFF_FORCE_TEXT,
				     .context = (int32_t)(alen % 4),
				     .a_path = "f",
				     .b_path = "f" };
	struct accel_diff_result r;
	struct accel_patch *p;
	struct accel_patch_result ar;

	if (accel_diff(a, alen, b, blen, &o, &r))
		abort();
	if (r.text_len) {
		if (accel_patch_parse(r.text, r.text_len, &p, NULL))
			abort();
		if (accel_patch_apply(p, 0, a, alen, NULL, &ar) != 0)
			abort();
		if (ar.text_len != blen || memcmp(ar.text, b, blen))
			abort();
		accel_patch_result_free(&ar);
		accel_patch_destroy(p);
	} else if (alen != blen || memcmp(a, b, alen)) {
		abort();
	}
	accel_diff_result_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = "", *patch;
	size_t tlen = 0, plen;
	struct accel_patch *p;
	struct accel_patch_error err;
	struct accel_patch_apply_opts o;
	const uint8_t *nul;
	uint8_t opt;
	int ret;

	if (size < 1 || size > (1 << 16))
		return 0;
	opt = data[0];
	patch = (const char *)data + 1;
	plen = size - 1;
	nul = memchr(patch, 0, plen);
	if (nul) {
		text = patch;
		tlen = (size_t)((const char *)nul - patch);
		patch = (const char *)nul + 1;
		plen -= tlen + 1;
	}
	o.fuzz = opt & 3;
	o.flags = ((opt & 4) ? ACCEL_PATCH_REVERSE : 0) |
		  ((opt & 8) ? ACCEL_PATCH_IGNORE_WS : 0);
	ret = accel_patch_parse(patch, plen, &p, &err);
	if (ret == 0) {
		uint32_t nf = accel_patch_nfiles(p);

		if (!nf)
			abort();
		for (uint32_t f = 0; f < nf && f < 4; f++) {
			struct accel_patch_result r;
			uint32_t rej = 0;

			ret = accel_patch_apply(p, f, text, tlen, &o, &r);
			if (ret < 0)
				abort();
			if (r.n_hunks != accel_patch_nhunks(p, f) ||
			    (uint32_t)ret != r.n_rejected || !r.text)
				abort();
			for (uint32_t k = 0; k < r.n_hunks; k++)
				rej += r.hunks[k].status >=
				       ACCEL_PATCH_HUNK_REJECTED;
			if (rej != r.n_rejected)
				abort();
			accel_patch_result_free(&r);
		}
		accel_patch_destroy(p);
	} else if (ret == -ACCEL_E_DIFF_PATCH_MALFORMED) {
		if (!err.line || strncmp(err.message, "line ", 5))
			abort();
	} else if (ret != -ACCEL_E_DIFF_PATCH_EMPTY) {
		abort();
	}
	roundtrip(text, tlen, patch, plen, (opt >> 4) & 3);
	return 0;
}
