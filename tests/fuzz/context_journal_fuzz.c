/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the event journal's loader. The input becomes the log
 * (byte 0 chooses where it is split into two segment files, or keeps one).
 * Opening must never crash; it either refuses the directory with a clear
 * error or loads a valid prefix, cuts the rest of the last segment, and then
 * replays exactly next_seq - 1 events in order. With bit 7 of byte 0 set, an
 * append must then continue at next_seq and replay back unchanged.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "accel_err.h"
#include "context.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[64];

struct check {
	uint64_t next, n;
	const char *want;
	size_t want_len;
	int bad;
};

static int check_fn(void *arg, uint64_t seq, const void *p, size_t len)
{
	struct check *c = arg;

	if (seq != c->next)
		c->bad = 1;
	if (c->want && (len != c->want_len || memcmp(p, c->want, len)))
		c->bad = 1;
	c->next++;
	c->n++;
	return 0;
}

static void put_file(const char *name, const uint8_t *p, size_t n)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", root, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || (n && write(fd, p, n) != (ssize_t)n))
		abort();
	close(fd);
}

/* Empties the root between inputs (files only; checkpoints/ stays). */
static void clean(void)
{
	DIR *d = opendir(root);
	struct dirent *e;

	if (!d)
		abort();
	while ((e = readdir(d)))
		if (e->d_type == DT_REG)
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct accel_context_journal_opts o = { 0 };
	struct accel_context_journal_stats s;
	struct accel_context_journal *j;
	struct check c = { .next = 1 };
	size_t split;
	int ret;

	if (!root[0]) {
		strcpy(root, "/tmp/accel-jfuzz-XXXXXX");
		if (!mkdtemp(root))
			abort();
	}
	if (size < 1)
		return 0;
	clean();
	split = size > 1 ? (data[0] & 0x7f) * (size - 1) / 127 : 0;
	if (split == 0 || split == size - 1) {
		put_file("events-00000000000000000001.log", data + 1, size - 1);
	} else {
		/* The second segment's name: the seq after the first's last
		 * record if the split is on a boundary, else a guess. */
		put_file("events-00000000000000000001.log", data + 1, split);
		put_file("events-00000000000000000002.log", data + 1 + split,
			 size - 1 - split);
	}
	o.root = root;
	o.level = 1;
	ret = accel_context_journal_create(&o, &j);
	if (ret < 0) {
		if (ret != -ACCEL_E_JOURNAL_CORRUPT &&
		    ret != -ACCEL_E_JOURNAL_BAD_FILE)
			abort();
		return 0;
	}
	accel_context_journal_stats(j, &s);
	if (accel_context_journal_replay(j, NULL, 1, 0, check_fn, &c) !=
		    (int64_t)(s.next_seq - 1) ||
	    c.bad)
		abort();
	if (data[0] & 0x80) {
		static const char ev[] = "fuzz append after load";
		uint64_t seq;

		if (accel_context_journal_append(j, NULL, ev, sizeof(ev) - 1,
						 &seq) < 0 ||
		    seq != s.next_seq)
			abort();
		c = (struct check){ .next = seq,
				    .want = ev,
				    .want_len = sizeof(ev) - 1 };
		if (accel_context_journal_replay(j, NULL, seq, 0, check_fn,
						 &c) != 1 ||
		    c.bad)
			abort();
	}
	accel_context_journal_destroy(j);
	return 0;
}
