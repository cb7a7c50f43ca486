/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the context store's file loader. The input is a store file
 * (header and records). It is opened through a memfd, as a real file would
 * be: loading must never crash, must cut exactly the invalid tail, and a get
 * of any key the file names must return either an error or bytes that hash
 * to that key (never a wrong block).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "accel_err.h"
#include "context.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define GET_CAP (1u << 20)

static struct accel_context_zstd *z;
static unsigned char *out;

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct accel_context_store_opts o = { 0 };
	struct accel_context_store_stats s;
	struct accel_context_store *st;
	char path[64];
	int fd, ret;

	if (!z) {
		if (accel_context_zstd_create(NULL, &z) < 0)
			abort();
		out = malloc(GET_CAP);
	}
	fd = memfd_create("store", MFD_CLOEXEC);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	o.path = path;
	ret = accel_context_store_create(&o, &st);
	if (ret < 0) {
		if (ret != -ACCEL_E_STORE_BAD_FILE &&
		    ret != -ACCEL_E_STORE_DICT)
			abort();
		close(fd);
		return 0;
	}
	accel_context_store_stats(st, &s);
	if (size && s.file_bytes + s.torn_bytes != size)
		abort();
	if ((uint64_t)lseek(fd, 0, SEEK_END) != s.file_bytes)
		abort();

	/* Probe every key-shaped field in the input. */
	for (size_t off = 0; off + 24 <= size; off++) {
		struct accel_context_key k = { le64(data + off),
					       le64(data + off + 8) };
		struct accel_context_key got;
		uint64_t raw;
		ssize_t n;

		if (!accel_context_store_has(st, &k, &raw) || raw > GET_CAP)
			continue;
		n = accel_context_store_get(st, z, &k, out, GET_CAP);
		if (n < 0)
			continue;
		got = accel_context_key_of(out, (size_t)n);
		if (got.lo != k.lo || got.hi != k.hi)
			abort();
	}
	accel_context_store_destroy(st);
	close(fd);
	return 0;
}
