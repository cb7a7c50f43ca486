/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the symbol index snapshot loader (symbols/snapshot.c),
 * which also drives every upsert buffer inside the snapshot through the
 * upsert validator. A loaded index must then answer queries and save.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "symbols.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct accel_symbols *idx;
	static char out[1 << 16];
	struct accel_symbols_query q = { .text = "aB", .text_len = 2 };
	struct accel_symbols_stats st;

	uint8_t *copy;
	int ret;

	if (accel_symbols_create(NULL, &idx))
		return 0;
	/*
	 * Mutations would almost never get past the XXH3 checksum, so the
	 * target seals its input first (length and checksum in the header):
	 * the structure behind the checksum is what needs fuzzing. Checksum
	 * rejection itself is covered by tests/symbols.
	 */
	copy = malloc(size ? size : 1);
	if (!copy)
		abort();
	memcpy(copy, data, size);
	if (size >= 64 && !memcmp(copy, "ACCSYMSN", 8)) {
		uint64_t total = size, sum = XXH3_64bits(copy + 64, size - 64);

		memcpy(copy + 16, &total, 8);
		memcpy(copy + 24, &sum, 8);
	}
	ret = accel_symbols_load_buf(idx, copy, size);
	free(copy);
	if (ret > 0) {
		accel_symbols_query(idx, &q, out, sizeof(out), NULL);
		q.text = "init";
		q.text_len = 4;
		accel_symbols_query(idx, &q, out, sizeof(out), NULL);
		accel_symbols_query_files(idx, &q, out, sizeof(out), NULL);
	} else {
		/* A failed load leaves the index empty. */
		accel_symbols_stats(idx, &st);
		if (st.files || st.symbols || st.import_edges)
			abort();
	}
	accel_symbols_destroy(idx);
	return 0;
}
