/* SPDX-License-Identifier: MIT */
/*
 * Writes the seed requests of the exec_request fuzz target into DIR, encoded
 * by client/exec_request.h: every section used, each flag, empty and default
 * lists, and a few near misses (short, wrong version, reserved bits set).
 *
 *   exec_request_seeds tests/fuzz/corpus/exec_request
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec_request.h"

static int write_seed(const char *dir, const char *name, const void *p,
		      size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/seed_%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n) {
		perror(path);
		return -1;
	}
	return fclose(f);
}

/* Encodes s, cut to cut bytes (0: all), with the u32 at at (0: none) set
 * to val, as seed_<name>. */
static int seed(const char *dir, const char *name,
		const struct accel_exec_spec *s, size_t cut, size_t at,
		uint32_t val)
{
	size_t n = accel_exec_encode(s, NULL, 0);
	uint8_t *b = malloc(n);
	int ret;

	if (!b)
		return -1;
	accel_exec_encode(s, b, n);
	if (at)
		accel_exec_put32(b + at, val);
	ret = write_seed(dir, name, b, cut ? cut : n);
	free(b);
	return ret;
}

int main(int argc, char **argv)
{
	static const char *const t[] = { "/bin/true", NULL };
	static const char *const sh[] = { "/bin/sh", "-c", "echo hi >&2",
					  NULL };
	static const char *const rd[] = { "/usr", "/etc", NULL };
	static const char *const wr[] = { "/tmp/work", NULL };
	static const char *const deny[] = { "/root/.ssh", "**/.env", NULL };
	static const char *const ro[] = { "/tmp/work/.git/hooks", NULL };
	static const char *const allow[] = { "PATH", "HOME", "LANG", NULL };
	static const char *const env[] = { "PATH=/usr/bin:/bin", "HOME=/",
					   NULL };
	static const char *const set[] = { "FOO=bar", NULL };
	static const char *const empty[] = { "", NULL };
	struct accel_exec_spec s = { .lists[ACCEL_EXEC_S_ARGV] = t };
	const char *dir;
	int bad = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	dir = argv[1];
	bad |= seed(dir, "true", &s, 0, 0, 0);
	s.lists[ACCEL_EXEC_S_ARGV] = sh;
	s.flags = ACCEL_EXEC_X_MERGE | ACCEL_EXEC_X_STREAM;
	s.timeout_ms = 30000;
	s.grace_ms = 500;
	bad |= seed(dir, "merge_stream", &s, 0, 0, 0);
	s.lists[ACCEL_EXEC_S_READ] = rd;
	s.lists[ACCEL_EXEC_S_WRITE] = wr;
	s.lists[ACCEL_EXEC_S_DENY] = deny;
	s.lists[ACCEL_EXEC_S_READONLY] = ro;
	s.lists[ACCEL_EXEC_S_ENV_ALLOW] = allow;
	s.lists[ACCEL_EXEC_S_ENV] = env;
	s.lists[ACCEL_EXEC_S_ENV_SET] = set;
	s.cwd = "/tmp/work";
	s.stdin_data = "line one\nline two\n";
	s.stdin_len = 18;
	s.flags = ACCEL_EXEC_X_ENV_ALLOW | ACCEL_EXEC_X_FRESH_POLICY;
	s.net = 1;
	s.pflags = 1;
	s.required = 1u << 9;
	s.disabled = 1u << 3;
	s.cpu_percent = 50;
	s.mem_bytes = 256u << 20;
	s.pids_max = 64;
	s.cpu_ms = 10000;
	s.fsize_bytes = 1u << 30;
	s.nofile = 256;
	s.max_output_bytes = 1u << 20;
	s.head_bytes = 4096;
	s.tail_bytes = 4096;
	bad |= seed(dir, "every_section", &s, 0, 0, 0);
	/* An empty string in a list, an empty cwd, no stdin. */
	s.lists[ACCEL_EXEC_S_ENV_SET] = empty;
	s.cwd = NULL;
	s.stdin_len = 0;
	bad |= seed(dir, "empty_strings", &s, 0, 0, 0);
	/* Near misses, one check each. */
	bad |= seed(dir, "short", &s, ACCEL_EXEC_HDR - 1, 0, 0);
	bad |= seed(dir, "version2", &s, 0, 4, 2 | ACCEL_EXEC_HDR << 16);
	bad |= seed(dir, "reserved", &s, 0, 104, 1);
	bad |= seed(dir, "sect_reserved", &s, 0, 112 + 16 * 5 + 12, 1);
	bad |= seed(dir, "sect_past_end", &s, 0, 112 + 16 * 5 + 4, 0xffffu);
	bad |= seed(dir, "argv_count", &s, 0, 112 + 16 * 5 + 8, 7);
	return bad ? 1 : 0;
}
