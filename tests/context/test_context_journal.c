/* SPDX-License-Identifier: MIT */
/*
 * Event journal (keep-up's StorageEngine): sequence numbers, replay, prune,
 * checkpoints, locking, torn tails, group commit, and a writer killed with
 * SIGKILL in the middle of thousands of appends.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "accel_alloc.h"
#include "accel_err.h"
#include "context.h"
#include "corpus.h"

static char root[64];
static unsigned char *text;
static size_t text_len;

static void setup(void)
{
	strcpy(root, "/tmp/accel-journal-XXXXXX");
	cr_assert_not_null(mkdtemp(root));
	text = corpus_text(2u << 20, &text_len);
	cr_assert_not_null(text, "no /usr/share/doc text");
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", root);
	free(text);
}

TestSuite(context_journal, .init = setup, .fini = teardown);

/*
 * Event (t, c): a header naming it, then a slice of real text whose length
 * and offset depend on (t, c) -- from 20 bytes (stored raw) to a few KB
 * (stored compressed).
 */
static size_t event_of(unsigned t, unsigned c, unsigned char *buf)
{
	size_t len = 20 + ((size_t)t * 7919 + (size_t)c * 104729) % 3000;
	size_t off =
		((size_t)t * 1000003 + (size_t)c * 7919) % (text_len - 4000);
	int h = snprintf((char *)buf, 64, "t=%u c=%u\n", t, c);

	memcpy(buf + h, text + off, len);
	return (size_t)h + len;
}

static struct accel_context_journal *open_j(int level, uint64_t seg_bytes)
{
	struct accel_context_journal_opts o = { .root = root,
						.level = level,
						.segment_bytes = seg_bytes };
	struct accel_context_journal *j;
	int r = accel_context_journal_create(&o, &j);

	cr_assert_eq(r, 0, "open: %s", accel_strerror(r));
	return j;
}

struct collect {
	uint64_t n;
	uint64_t seqs[20000];
	unsigned t[20000], c[20000];
	int bad;
};

/* Checks each replayed event against event_of() and records it. */
static int collect_fn(void *arg, uint64_t seq, const void *data, size_t len)
{
	struct collect *col = arg;
	unsigned char want[4096];
	unsigned t, c;

	if (sscanf(data, "t=%u c=%u\n", &t, &c) != 2 || col->n >= 20000 ||
	    event_of(t, c, want) != len || memcmp(want, data, len)) {
		col->bad++;
		return 0;
	}
	col->seqs[col->n] = seq;
	col->t[col->n] = t;
	col->c[col->n] = c;
	col->n++;
	return 0;
}

static struct collect col;

Test(context_journal, append_replay_reopen)
{
	struct accel_context_journal *j = open_j(3, 0);
	struct accel_context_zstd *z;
	struct accel_context_journal_stats s;
	unsigned char ev[4096];
	uint64_t seq;

	cr_assert_eq(accel_context_zstd_create(NULL, &z), 0);
	for (unsigned c = 0; c < 1000; c++) {
		size_t n = event_of(0, c, ev);

		cr_assert_eq(accel_context_journal_append(j, c % 2 ? z : NULL,
							  ev, n, &seq),
			     0);
		cr_assert_eq(seq, c + 1);
	}
	cr_assert_eq(accel_context_journal_replay(j, z, 1, 0, collect_fn, &col),
		     1000);
	cr_assert_eq(col.bad, 0);
	for (unsigned i = 0; i < 1000; i++)
		cr_assert(col.seqs[i] == i + 1 && col.c[i] == i);
	col.n = 0;
	cr_assert_eq(accel_context_journal_replay(j, NULL, 500, 10, collect_fn,
						  &col),
		     10);
	cr_assert(col.seqs[0] == 500 && col.seqs[9] == 509);
	accel_context_journal_destroy(j);

	j = open_j(3, 0);
	accel_context_journal_stats(j, &s);
	cr_assert_eq(s.next_seq, 1001);
	cr_assert_eq(s.torn_bytes, 0);
	col.n = 0;
	cr_assert_eq(accel_context_journal_replay(j, NULL, 990, 0, collect_fn,
						  &col),
		     11);
	cr_assert_eq(col.bad, 0);
	/* Replays start exactly at `from` wherever the segment index
	 * lands (an entry every 64 KB). */
	for (uint64_t from = 1; from <= 1001; from += 37) {
		col.n = 0;
		cr_assert_eq(accel_context_journal_replay(j, NULL, from, 2,
							  collect_fn, &col),
			     from <= 999 ? 2 : 1001 - from);
		if (col.n)
			cr_assert_eq(col.seqs[0], from);
	}
	cr_assert_eq(accel_context_journal_append(j, z, "after reopen", 12,
						  &seq),
		     0);
	cr_assert_eq(seq, 1001);
	accel_context_journal_destroy(j);
	accel_context_zstd_destroy(z);
}

Test(context_journal, prune_segments_and_floor)
{
	struct accel_context_journal *j = open_j(0, 64 * 1024);
	struct accel_context_journal_stats s1, s2;
	unsigned char ev[4096];
	uint64_t seq;

	for (unsigned c = 0; c < 600; c++)
		cr_assert_eq(accel_context_journal_append(
				     j, NULL, ev, event_of(1, c, ev), &seq),
			     0);
	accel_context_journal_stats(j, &s1);
	cr_assert_gt(s1.segments, 5, "64 KB segments must roll");
	cr_assert_eq(accel_context_journal_prune(j, 300), 299);
	cr_assert_eq(accel_context_journal_prune(j, 300), 0);
	cr_assert_eq(accel_context_journal_prune(j, 100), 0);
	accel_context_journal_stats(j, &s2);
	cr_assert_eq(s2.first_seq, 300);
	cr_assert_lt(s2.segments, s1.segments, "whole segments deleted");
	col.n = 0;
	cr_assert_eq(accel_context_journal_replay(j, NULL, 1, 0, collect_fn,
						  &col),
		     301);
	cr_assert_eq(col.seqs[0], 300);
	cr_assert_eq(col.c[0], 299);
	accel_context_journal_destroy(j);

	/* The floor survives a reopen; pruning past the end clamps. */
	j = open_j(0, 64 * 1024);
	accel_context_journal_stats(j, &s2);
	cr_assert_eq(s2.first_seq, 300);
	cr_assert_eq(accel_context_journal_prune(j, 1000000), 301);
	col.n = 0;
	cr_assert_eq(accel_context_journal_replay(j, NULL, 1, 0, collect_fn,
						  &col),
		     0);
	cr_assert_eq(accel_context_journal_append(j, NULL, "x", 1, &seq), 0);
	cr_assert_eq(seq, 601);
	accel_context_journal_destroy(j);
}

Test(context_journal, checkpoints)
{
	struct accel_context_journal *j = open_j(0, 0);
	static const unsigned char bin_id[] = { 0, 0xff, '/', '.', '.' };
	char path[256];
	void *out;
	ssize_t n;
	int fd;

	cr_assert_eq(
		accel_context_journal_save(j, "session-1", 9, text, 100000), 0);
	n = accel_context_journal_load(j, "session-1", 9, &out);
	cr_assert_eq(n, 100000);
	cr_assert_eq(memcmp(out, text, 100000), 0);
	accel_free(out);
	/* Replaced atomically. */
	cr_assert_eq(
		accel_context_journal_save(j, "session-1", 9, text + 7, 10), 0);
	n = accel_context_journal_load(j, "session-1", 9, &out);
	cr_assert_eq(n, 10);
	cr_assert_eq(memcmp(out, text + 7, 10), 0);
	accel_free(out);
	/* Any bytes make an id; path characters do not escape. */
	cr_assert_eq(accel_context_journal_save(j, bin_id, sizeof(bin_id), "",
						0),
		     0);
	cr_assert_eq(
		accel_context_journal_load(j, bin_id, sizeof(bin_id), &out), 0);
	accel_free(out);
	cr_assert_eq(accel_context_journal_load(j, "nope", 4, &out),
		     -ACCEL_E_NOT_FOUND);
	cr_assert_eq(accel_context_journal_save(j, "", 0, "x", 1),
		     -ACCEL_E_CHECKPOINT_ID);
	cr_assert_eq(accel_context_journal_save(j, text, 101, "x", 1),
		     -ACCEL_E_CHECKPOINT_ID);

	/* A flipped byte is caught. */
	snprintf(path, sizeof(path), "%s/checkpoints/%s", root,
		 "73657373696f6e2d31"); /* hex of "session-1" */
	fd = open(path, O_RDWR);
	cr_assert_geq(fd, 0);
	cr_assert_eq(pwrite(fd, "X", 1, 24 + 3), 1);
	close(fd);
	cr_assert_eq(accel_context_journal_load(j, "session-1", 9, &out),
		     -ACCEL_E_CHECKPOINT_CORRUPT);

	cr_assert_eq(accel_context_journal_delete(j, "session-1", 9), 1);
	cr_assert_eq(accel_context_journal_delete(j, "session-1", 9), 0);
	accel_context_journal_destroy(j);
}

Test(context_journal, one_engine_per_root)
{
	struct accel_context_journal_opts o = { .root = root };
	struct accel_context_journal *j = open_j(0, 0), *j2;

	cr_assert_eq(accel_context_journal_create(&o, &j2),
		     -ACCEL_E_JOURNAL_LOCKED);
	accel_context_journal_destroy(j);
	cr_assert_eq(accel_context_journal_create(&o, &j2), 0);
	accel_context_journal_destroy(j2);
}

static char *seg_path(uint64_t first)
{
	static char p[256];

	snprintf(p, sizeof(p), "%s/events-%020lu.log", root,
		 (unsigned long)first);
	return p;
}

Test(context_journal, torn_tail_cut_damage_refused)
{
	struct accel_context_journal *j = open_j(3, 0);
	struct accel_context_journal_stats s;
	struct accel_context_zstd *z;
	unsigned char ev[4096];
	struct stat sb;
	uint64_t seq;
	off_t full;

	cr_assert_eq(accel_context_zstd_create(NULL, &z), 0);
	for (unsigned c = 0; c < 50; c++)
		accel_context_journal_append(j, z, ev, event_of(2, c, ev),
					     &seq);
	accel_context_journal_destroy(j);
	cr_assert_eq(stat(seg_path(1), &sb), 0);
	full = sb.st_size;

	/* Cut into the last record: it is gone, the rest stays. */
	cr_assert_eq(truncate(seg_path(1), full - 5), 0);
	j = open_j(3, 0);
	accel_context_journal_stats(j, &s);
	cr_assert_eq(s.next_seq, 50);
	cr_assert_gt(s.torn_bytes, 0);
	col.n = 0;
	cr_assert_eq(accel_context_journal_replay(j, z, 1, 0, collect_fn, &col),
		     49);
	cr_assert_eq(col.bad, 0);
	/* Appends continue where the good log ends. */
	cr_assert_eq(accel_context_journal_append(j, z, ev, event_of(2, 49, ev),
						  &seq),
		     0);
	cr_assert_eq(seq, 50);
	accel_context_journal_destroy(j);

	/* Garbage after the tail (a batch that never reached the disk in
	 * full) is cut. */
	{
		int fd = open(seg_path(1), O_WRONLY | O_APPEND);

		cr_assert_eq(write(fd, text, 777), 777);
		close(fd);
	}
	j = open_j(3, 0);
	accel_context_journal_stats(j, &s);
	cr_assert_eq(s.torn_bytes, 777);
	cr_assert_eq(s.next_seq, 51);
	accel_context_journal_destroy(j);

	/* Damage in a segment that is not the last is not a tear. */
	{
		struct accel_context_journal_opts o = { .root = root };
		int fd = open(seg_path(51), O_RDWR | O_CREAT, 0644);

		close(fd);
		fd = open(seg_path(1), O_RDWR);
		cr_assert_eq(pwrite(fd, "zz", 2, 100), 2);
		close(fd);
		cr_assert_eq(accel_context_journal_create(&o, &j),
			     -ACCEL_E_JOURNAL_CORRUPT);
	}
	accel_context_zstd_destroy(z);
}

struct appender {
	struct accel_context_journal *j;
	unsigned t, n;
	int wfd; /* pipe for acknowledgements, or -1 */
	int errors;
};

static void *appender_main(void *arg)
{
	struct appender *a = arg;
	struct accel_context_zstd *z;
	unsigned char ev[4096];

	if (accel_context_zstd_create(NULL, &z) < 0) {
		a->errors++;
		return NULL;
	}
	for (unsigned c = 0; c < a->n; c++) {
		uint64_t seq, ack[2];

		if (accel_context_journal_append(
			    a->j, z, ev, event_of(a->t, c, ev), &seq) < 0) {
			a->errors++;
			break;
		}
		if (a->wfd >= 0) {
			/* 16 bytes < PIPE_BUF: written whole or not at all. */
			ack[0] = (uint64_t)a->t << 32 | c;
			ack[1] = seq;
			if (write(a->wfd, ack, sizeof(ack)) != sizeof(ack))
				a->errors++;
		}
	}
	accel_context_zstd_destroy(z);
	return NULL;
}

Test(context_journal, group_commit_from_threads)
{
	struct accel_context_journal *j = open_j(3, 0);
	struct accel_context_journal_stats s;
	struct appender a[4];
	pthread_t th[4];
	unsigned next[4] = { 0 };

	for (unsigned t = 0; t < 4; t++) {
		a[t] = (struct appender){ j, t, 250, -1, 0 };
		pthread_create(&th[t], NULL, appender_main, &a[t]);
	}
	for (unsigned t = 0; t < 4; t++) {
		pthread_join(th[t], NULL);
		cr_assert_eq(a[t].errors, 0);
	}
	accel_context_journal_stats(j, &s);
	cr_assert_eq(s.appends, 1000);
	cr_log_info("1000 appends from 4 threads: %lu fdatasyncs",
		    (unsigned long)s.syncs);
	cr_assert_lt(s.syncs, s.appends, "concurrent appends share syncs");
	col.n = 0;
	cr_assert_eq(accel_context_journal_replay(j, NULL, 1, 0, collect_fn,
						  &col),
		     1000);
	cr_assert_eq(col.bad, 0);
	/* Seqs 1..1000 without gaps; each thread's events in its order. */
	for (unsigned i = 0; i < 1000; i++) {
		cr_assert_eq(col.seqs[i], i + 1);
		cr_assert_eq(col.c[i], next[col.t[i]]++);
	}
	accel_context_journal_destroy(j);
}

/*
 * A child process appends from 4 threads and reports each acknowledged
 * append (thread, counter, seq) through a pipe. The parent kills it with
 * SIGKILL once thousands are acknowledged, reopens the journal and checks:
 * every acknowledged event is there with its seq; seqs run 1..N without
 * gaps; every event present is one a thread really appended (right bytes,
 * each at most once, per thread a prefix of its sequence).
 */
Test(context_journal, kill9_mid_appends, .timeout = 240)
{
	enum {
		ACKS_BEFORE_KILL = 3000
	};

	static uint64_t acks[200000][2];
	size_t nacks = 0;
	int p[2], status;
	unsigned have[4] = { 0 };
	pid_t pid;

	cr_assert_eq(pipe(p), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct accel_context_journal_opts o = {
			.root = root, .level = 3, .segment_bytes = 256 * 1024
		};
		struct accel_context_journal *j;
		struct appender a[4];
		pthread_t th[4];

		close(p[0]);
		if (accel_context_journal_create(&o, &j) < 0)
			_exit(3);
		for (unsigned t = 0; t < 4; t++) {
			a[t] = (struct appender){ j, t, 1000000, p[1], 0 };
			pthread_create(&th[t], NULL, appender_main, &a[t]);
		}
		for (unsigned t = 0; t < 4; t++)
			pthread_join(th[t], NULL);
		_exit(4); /* never reached before the kill */
	}
	close(p[1]);
	while (nacks < ACKS_BEFORE_KILL) {
		ssize_t r = read(p[0], acks[nacks], sizeof(acks[0]));

		cr_assert_eq(r, (ssize_t)sizeof(acks[0]), "child died early");
		nacks++;
	}
	kill(pid, SIGKILL);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	/* Acks written before the kill are still in the pipe. */
	while (nacks < 200000 && read(p[0], acks[nacks], sizeof(acks[0])) ==
					 (ssize_t)sizeof(acks[0]))
		nacks++;
	close(p[0]);

	{
		struct accel_context_journal *j = open_j(3, 256 * 1024);
		struct accel_context_journal_stats s;
		uint64_t n;

		accel_context_journal_stats(j, &s);
		col.n = 0;
		n = (uint64_t)accel_context_journal_replay(j, NULL, 1, 0,
							   collect_fn, &col);
		cr_log_info("killed after %zu acks; %lu events on disk, "
			    "%lu torn bytes cut, %lu segments",
			    nacks, (unsigned long)n,
			    (unsigned long)s.torn_bytes,
			    (unsigned long)s.segments);
		cr_assert_eq(col.bad, 0, "an event that was never appended");
		cr_assert_eq(n, s.next_seq - 1);
		cr_assert_geq(n, nacks);
		for (uint64_t i = 0; i < n; i++) {
			cr_assert_eq(col.seqs[i], i + 1);
			cr_assert_lt(col.t[i], 4);
			/* Each thread's events: 0, 1, 2, ... once each. */
			cr_assert_eq(col.c[i], have[col.t[i]]++);
		}
		for (size_t k = 0; k < nacks; k++) {
			uint64_t seq = acks[k][1];
			unsigned t = (unsigned)(acks[k][0] >> 32);
			unsigned c = (unsigned)acks[k][0];

			cr_assert_leq(seq, n, "acknowledged event %lu lost",
				      (unsigned long)seq);
			cr_assert(
				col.t[seq - 1] == t && col.c[seq - 1] == c,
				"event at seq %lu is not the acknowledged one",
				(unsigned long)seq);
		}
		accel_context_journal_destroy(j);
	}
}
