/* SPDX-License-Identifier: MIT */
/*
 * accel_sandbox_strv_unpack() on hostile bytes. Input: a little-endian
 * uint32_t string count, then the packed vector. Accepted vectors must
 * round-trip (pack them again: the same bytes) and hold no NUL; rejected
 * ones must carry exactly the caller's error code.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "accel_alloc.h"
#include "accel_err.h"
#include "sandbox.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t count;
	char **v;
	int ret;

	if (size < 4)
		return 0;
	memcpy(&count, data, 4);
	count %= 4096;
	ret = accel_sandbox_strv_unpack(data + 4, size - 4, count,
					-ACCEL_E_SANDBOX_ENV, &v);
	if (ret == -ENOMEM)
		return 0;
	if (ret) {
		if (ret != -ACCEL_E_SANDBOX_ENV)
			abort();
		return 0;
	}
	size_t off = 4;
	for (uint32_t i = 0; i < count; i++) {
		uint32_t l;
		size_t sl = strlen(v[i]);

		memcpy(&l, data + off, 4);
		if (l != sl || memcmp(data + off + 4, v[i], sl))
			abort();
		off += 4 + sl;
	}
	if (v[count] != NULL || off != size)
		abort();
	accel_free(v);
	return 0;
}
