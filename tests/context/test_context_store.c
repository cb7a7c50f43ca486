/* SPDX-License-Identifier: MIT */
/* Content-addressed store: dedup and reference counts, persistence through
 * io_uring, torn tails, tampered records, locking and threads. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <liburing.h>
#include <xxhash.h>

#include "accel_err.h"
#include "context.h"
#include "context_int.h"
#include "corpus.h"

static struct accel_context_zstd *z;
static char dir[64];
static char path[128];

static void setup(void)
{
	cr_assert_eq(accel_context_zstd_create(NULL, &z), 0);
	strcpy(dir, "/tmp/accel-ctx-store-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/store.bin", dir);
}

static void teardown(void)
{
	accel_context_zstd_destroy(z);
	unlink(path);
	rmdir(dir);
}

TestSuite(context_store, .init = setup, .fini = teardown);

/* Real blocks: the chat messages of the corpus. */
struct blocks {
	unsigned n;
	size_t sizes[512];
	size_t offs[512];
	unsigned char *buf;
};

static void load_blocks(struct blocks *b, unsigned n)
{
	size_t total, off = 0;

	b->n = n;
	b->buf = corpus_messages(n, b->sizes, &total);
	cr_assert_not_null(b->buf, "no /usr/share/doc text");
	for (unsigned i = 0; i < n; i++) {
		b->offs[i] = off;
		off += b->sizes[i];
	}
}

static const unsigned char *blk(const struct blocks *b, unsigned i)
{
	return b->buf + b->offs[i];
}

static void expect_block(struct accel_context_store *st,
			 const struct accel_context_key *k,
			 const unsigned char *want, size_t len)
{
	unsigned char out[8192];
	uint64_t raw = 0;

	cr_assert_eq(accel_context_store_has(st, k, &raw), 1);
	cr_assert_eq(raw, len);
	cr_assert_eq(accel_context_store_get(st, z, k, out, sizeof(out)),
		     (ssize_t)len);
	cr_assert_eq(memcmp(out, want, len), 0);
}

Test(context_store, put_get_dedup_delete_in_memory)
{
	struct accel_context_store *st;
	struct accel_context_store_stats s;
	struct accel_context_key k[64], k2;
	struct blocks b;
	unsigned char out[8192];

	load_blocks(&b, 64);
	cr_assert_eq(accel_context_store_create(NULL, &st), 0);
	for (unsigned i = 0; i < 64; i++) {
		cr_assert_eq(accel_context_store_put(st, z, blk(&b, i),
						     b.sizes[i], &k[i]),
			     1);
		struct accel_context_key want =
			accel_context_key_of(blk(&b, i), b.sizes[i]);
		cr_assert(k[i].lo == want.lo && k[i].hi == want.hi);
	}
	/* Same content again: no new block, one more reference. */
	cr_assert_eq(
		accel_context_store_put(st, z, blk(&b, 5), b.sizes[5], &k2), 0);
	cr_assert(k2.lo == k[5].lo && k2.hi == k[5].hi);
	accel_context_store_stats(st, &s);
	cr_assert_eq(s.blocks, 64);
	cr_assert_eq(s.refs, 65);
	cr_assert_eq(s.puts, 65);
	cr_assert_eq(s.dedup_hits, 1);
	cr_assert_lt(s.stored_bytes, s.raw_bytes);

	for (unsigned i = 0; i < 64; i++)
		expect_block(st, &k[i], blk(&b, i), b.sizes[i]);

	cr_assert_eq(accel_context_store_get(st, z, &k[0], out, 10),
		     -ACCEL_E_ZSTD_DST_SMALL);
	cr_assert_eq(accel_context_store_delete(st, &k[5]), 1);
	expect_block(st, &k[5], blk(&b, 5), b.sizes[5]);
	cr_assert_eq(accel_context_store_delete(st, &k[5]), 0);
	cr_assert_eq(accel_context_store_has(st, &k[5], NULL), 0);
	cr_assert_eq(accel_context_store_get(st, z, &k[5], out, sizeof(out)),
		     -ACCEL_E_NOT_FOUND);
	cr_assert_eq(accel_context_store_delete(st, &k[5]), -ACCEL_E_NOT_FOUND);
	accel_context_store_stats(st, &s);
	cr_assert_eq(s.blocks, 63);
	cr_assert_eq(s.file_bytes, 0);
	accel_context_store_destroy(st);
	free(b.buf);
}

Test(context_store, persists_and_reloads)
{
	struct accel_context_store_opts o = { .path = path };
	struct accel_context_store *st;
	struct accel_context_store_stats s;
	struct accel_context_key k[200], kd;
	struct blocks b;

	load_blocks(&b, 200);
	cr_assert_eq(accel_context_store_create(&o, &st), 0);
	for (unsigned i = 0; i < 200; i++)
		cr_assert_geq(accel_context_store_put(st, z, blk(&b, i),
						      b.sizes[i], &k[i]),
			      0);
	accel_context_store_put(st, z, blk(&b, 7), b.sizes[7], &kd);
	accel_context_store_delete(st, &k[3]);
	accel_context_store_delete(st, &k[7]);
	accel_context_store_stats(st, &s);
	cr_assert_gt(s.file_bytes, 32);
	accel_context_store_destroy(st);

	cr_assert_eq(accel_context_store_create(&o, &st), 0);
	accel_context_store_stats(st, &s);
	cr_assert_eq(s.torn_bytes, 0);
	cr_assert_eq(s.loaded_records, 200 + 1 + 2);
	cr_assert_eq(s.blocks, 199);
	cr_assert_eq(accel_context_store_has(st, &k[3], NULL), 0);
	for (unsigned i = 0; i < 200; i++)
		if (i != 3)
			expect_block(st, &k[i], blk(&b, i), b.sizes[i]);
	/* k[7] had two references; one is left. */
	cr_assert_eq(accel_context_store_delete(st, &k[7]), 0);
	accel_context_store_destroy(st);
	free(b.buf);
}

static off_t file_size(void)
{
	struct stat sb;

	cr_assert_eq(stat(path, &sb), 0);
	return sb.st_size;
}

Test(context_store, torn_tail_is_cut_and_reported)
{
	struct accel_context_store_opts o = { .path = path };
	struct accel_context_store *st;
	struct accel_context_store_stats s;
	struct accel_context_key k[50], kn;
	struct blocks b;
	off_t before_last, full;

	load_blocks(&b, 51);
	cr_assert_eq(accel_context_store_create(&o, &st), 0);
	for (unsigned i = 0; i < 49; i++)
		accel_context_store_put(st, z, blk(&b, i), b.sizes[i], &k[i]);
	accel_context_store_stats(st, &s);
	before_last = (off_t)s.file_bytes;
	accel_context_store_put(st, z, blk(&b, 49), b.sizes[49], &k[49]);
	accel_context_store_destroy(st);
	full = file_size();

	/* Every cut inside the last record loses exactly that record. */
	for (off_t cut = full - 1; cut > before_last; cut -= 37) {
		cr_assert_eq(truncate(path, cut), 0);
		cr_assert_eq(accel_context_store_create(&o, &st), 0);
		accel_context_store_stats(st, &s);
		cr_assert_eq(s.torn_bytes, (uint64_t)(cut - before_last));
		cr_assert_eq(s.blocks, 49);
		cr_assert_eq(accel_context_store_has(st, &k[49], NULL), 0);
		expect_block(st, &k[48], blk(&b, 48), b.sizes[48]);
		accel_context_store_destroy(st);
		cr_assert_eq(file_size(), before_last, "tail not cut");
	}

	/* Garbage after good records is reported, and appends continue. */
	{
		int fd = open(path, O_WRONLY | O_APPEND);
		size_t len;
		unsigned char *junk = corpus_text(3000, &len);

		cr_assert_eq(write(fd, junk, len), (ssize_t)len);
		close(fd);
		free(junk);
		cr_assert_eq(accel_context_store_create(&o, &st), 0);
		accel_context_store_stats(st, &s);
		cr_assert_eq(s.torn_bytes, len);
		cr_assert_eq(accel_context_store_put(st, z, blk(&b, 50),
						     b.sizes[50], &kn),
			     1);
		accel_context_store_destroy(st);
		cr_assert_eq(accel_context_store_create(&o, &st), 0);
		accel_context_store_stats(st, &s);
		cr_assert_eq(s.torn_bytes, 0);
		cr_assert_eq(s.blocks, 50);
		expect_block(st, &kn, blk(&b, 50), b.sizes[50]);
		accel_context_store_destroy(st);
	}
	free(b.buf);
}

/*
 * A record whose checksum is valid but whose payload decodes to other bytes
 * than its key names (a hostile or buggy writer) is refused by get, never
 * returned.
 */
Test(context_store, wrong_block_never_returned)
{
	struct accel_context_store_opts o = { .path = path };
	struct accel_context_store *st;
	struct accel_context_key k0, k1, fake;
	unsigned char out[8192], h[STORE_REC_HDR];
	struct blocks b;
	off_t full;
	int fd;

	load_blocks(&b, 2);
	cr_assert_eq(accel_context_store_create(&o, &st), 0);
	accel_context_store_put(st, z, blk(&b, 0), b.sizes[0], &k0);
	accel_context_store_put(st, z, blk(&b, 1), b.sizes[1], &k1);
	accel_context_store_destroy(st);
	full = file_size();

	/* Re-key the first record (at offset 32): it now claims to be block
	 * "fake" (one key bit off) but holds block 0's bytes. Its checksum is
	 * fixed up, so only the key check on get can catch it. */
	fd = open(path, O_RDWR);
	cr_assert_eq(pread(fd, h, sizeof(h), 32), (ssize_t)sizeof(h));
	fake = (struct accel_context_key){ k0.lo ^ 1, k0.hi };
	for (int i = 0; i < 8; i++)
		h[8 + i] = (unsigned char)(fake.lo >> (8 * i));
	{
		uint32_t comp = h[28] | h[29] << 8 | h[30] << 16 |
				(uint32_t)h[31] << 24;
		unsigned char *payload = malloc(comp);
		uint64_t check;

		cr_assert_eq(pread(fd, payload, comp, 32 + STORE_REC_HDR),
			     (ssize_t)comp);
		check = XXH3_64bits_withSeed(payload, comp, XXH3_64bits(h, 32));
		for (int i = 0; i < 8; i++)
			h[32 + i] = (unsigned char)(check >> (8 * i));
		free(payload);
	}
	cr_assert_eq(pwrite(fd, h, sizeof(h), 32), (ssize_t)sizeof(h));
	close(fd);

	cr_assert_eq(accel_context_store_create(&o, &st), 0);
	cr_assert_eq(accel_context_store_has(st, &fake, NULL), 1);
	cr_assert_eq(accel_context_store_get(st, z, &fake, out, sizeof(out)),
		     -ACCEL_E_STORE_CORRUPT);
	expect_block(st, &k1, blk(&b, 1), b.sizes[1]);
	accel_context_store_destroy(st);
	cr_assert_eq(file_size(), full);

	/* A flipped payload byte fails the record check: the tail from that
	 * record on is cut and reported. */
	fd = open(path, O_RDWR);
	cr_assert_eq(pread(fd, h, 1, 32 + STORE_REC_HDR + 5), 1);
	h[0] ^= 0x10;
	cr_assert_eq(pwrite(fd, h, 1, 32 + STORE_REC_HDR + 5), 1);
	close(fd);
	{
		struct accel_context_store_stats s;

		cr_assert_eq(accel_context_store_create(&o, &st), 0);
		accel_context_store_stats(st, &s);
		cr_assert_eq(s.blocks, 0);
		cr_assert_eq(s.torn_bytes, (uint64_t)(full - 32));
		accel_context_store_destroy(st);
	}
	free(b.buf);
}

Test(context_store, file_errors)
{
	struct accel_context_store_opts o = { .path = path };
	struct accel_context_store *st, *st2;
	struct accel_context_dict *d;
	int fd;

	cr_assert_eq(accel_context_store_create(&o, &st), 0);
	cr_assert_eq(accel_context_store_create(&o, &st2),
		     -ACCEL_E_STORE_LOCKED);
	accel_context_store_destroy(st);

	/* A file written without a dictionary refuses one. */
	{
		size_t tl;
		unsigned char *t = corpus_text(200000, &tl), dict[16384];
		size_t sizes[200];
		ssize_t dl;

		for (int i = 0; i < 200; i++)
			sizes[i] = 1000;
		dl = accel_context_dict_train(dict, sizeof(dict), t, sizes,
					      200);
		cr_assert_gt(dl, 0);
		cr_assert_eq(accel_context_dict_load(dict, (size_t)dl, 3, &d),
			     0);
		free(t);
	}
	o.dict = d;
	cr_assert_eq(accel_context_store_create(&o, &st), -ACCEL_E_STORE_DICT);
	accel_context_dict_destroy(d);

	/* Not a store file. */
	fd = open(path, O_WRONLY | O_TRUNC);
	cr_assert_eq(write(fd, "#!/bin/sh\necho this is not a store file\n",
			   40),
		     40);
	close(fd);
	o.dict = NULL;
	cr_assert_eq(accel_context_store_create(&o, &st),
		     -ACCEL_E_STORE_BAD_FILE);
	o.flags = 1u << 9;
	cr_assert_eq(accel_context_store_create(&o, &st), -ACCEL_E_BAD_ARG);
}

Test(context_store, dictionary_sync_and_callers_ring)
{
	struct io_uring ring;
	struct accel_context_store_opts o = { .path = path,
					      .flags = ACCEL_CONTEXT_STORE_SYNC,
					      .ring = &ring };
	struct accel_context_store *st;
	struct accel_context_store_stats s1, s2;
	struct accel_context_dict *d;
	struct accel_context_key k[300];
	unsigned char dict[32768];
	struct blocks b;
	ssize_t dl;

	load_blocks(&b, 300);
	dl = accel_context_dict_train(dict, sizeof(dict), b.buf, b.sizes, 200);
	cr_assert_gt(dl, 0);
	cr_assert_eq(accel_context_dict_load(dict, (size_t)dl, 3, &d), 0);
	cr_assert_eq(io_uring_queue_init(8, &ring, 0), 0);
	o.dict = d;
	cr_assert_eq(accel_context_store_create(&o, &st), 0);
	for (unsigned i = 200; i < 300; i++)
		cr_assert_eq(accel_context_store_put(st, z, blk(&b, i),
						     b.sizes[i], &k[i]),
			     1);
	accel_context_store_stats(st, &s1);
	accel_context_store_destroy(st);
	cr_assert_eq(accel_context_store_create(&o, &st), 0);
	accel_context_store_stats(st, &s2);
	cr_assert_eq(s2.stored_bytes, s1.stored_bytes);
	for (unsigned i = 200; i < 300; i++)
		expect_block(st, &k[i], blk(&b, i), b.sizes[i]);
	accel_context_store_destroy(st);
	io_uring_queue_exit(&ring);
	accel_context_dict_destroy(d);
	free(b.buf);
}

struct worker {
	struct accel_context_store *st;
	const struct blocks *b;
	unsigned seed;
	int errors;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct accel_context_zstd *tz;
	unsigned char out[8192];

	if (accel_context_zstd_create(NULL, &tz) < 0) {
		w->errors++;
		return NULL;
	}
	for (unsigned r = 0; r < 400; r++) {
		unsigned i = (w->seed + r * 31) % w->b->n;
		struct accel_context_key k;
		ssize_t n;

		if (accel_context_store_put(w->st, tz, blk(w->b, i),
					    w->b->sizes[i], &k) < 0)
			w->errors++;
		n = accel_context_store_get(w->st, tz, &k, out, sizeof(out));
		if (n != (ssize_t)w->b->sizes[i] ||
		    memcmp(out, blk(w->b, i), (size_t)n))
			w->errors++;
	}
	accel_context_zstd_destroy(tz);
	return NULL;
}

Test(context_store, concurrent_puts_and_gets)
{
	struct accel_context_store_opts o = { .path = path };
	struct accel_context_store *st;
	struct accel_context_store_stats s;
	struct worker w[4];
	pthread_t t[4];
	struct blocks b;

	load_blocks(&b, 97);
	cr_assert_eq(accel_context_store_create(&o, &st), 0);
	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){ st, &b, (unsigned)i * 13, 0 };
		pthread_create(&t[i], NULL, worker_main, &w[i]);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		cr_assert_eq(w[i].errors, 0);
	}
	accel_context_store_stats(st, &s);
	cr_assert_eq(s.blocks, 97);
	cr_assert_eq(s.refs, 1600);
	cr_assert_eq(s.dedup_hits, 1600 - 97);
	accel_context_store_destroy(st);
	/* The log replays to the same state. */
	cr_assert_eq(accel_context_store_create(&o, &st), 0);
	accel_context_store_stats(st, &s);
	cr_assert_eq(s.blocks, 97);
	cr_assert_eq(s.refs, 1600);
	accel_context_store_destroy(st);
	free(b.buf);
}

Test(context_store, rewrite_compacts_the_log)
{
	struct accel_context_store_opts o = { .path = path };
	struct accel_context_store *st, *st2;
	struct accel_context_store_stats s1, s2;
	struct accel_context_key k[120], kd;
	struct blocks b;

	load_blocks(&b, 120);
	cr_assert_eq(accel_context_store_create(&o, &st), 0);
	for (unsigned i = 0; i < 120; i++)
		accel_context_store_put(st, z, blk(&b, i), b.sizes[i], &k[i]);
	/* Extra references on some, deletes of most. */
	for (unsigned i = 0; i < 120; i += 10)
		accel_context_store_put(st, z, blk(&b, i), b.sizes[i], &kd);
	for (unsigned i = 0; i < 120; i++)
		if (i % 3)
			accel_context_store_delete(st, &k[i]);
	accel_context_store_stats(st, &s1);
	cr_assert_eq(accel_context_store_rewrite(st), 0);
	accel_context_store_stats(st, &s2);
	cr_assert_lt(s2.file_bytes, s1.file_bytes / 2);
	cr_assert_eq(file_size(), (off_t)s2.file_bytes);
	/* Still locked, still appendable, same content. */
	cr_assert_eq(accel_context_store_create(&o, &st2),
		     -ACCEL_E_STORE_LOCKED);
	cr_assert_eq(accel_context_store_put(st, z, blk(&b, 1), b.sizes[1],
					     &k[1]),
		     1);
	accel_context_store_destroy(st);

	cr_assert_eq(accel_context_store_create(&o, &st), 0);
	accel_context_store_stats(st, &s2);
	cr_assert_eq(s2.torn_bytes, 0);
	cr_assert_eq(s2.blocks, s1.blocks + 1);
	cr_assert_eq(s2.refs, s1.refs + 1);
	for (unsigned i = 0; i < 120; i++) {
		/* Kept: never deleted, re-put, or with a second reference. */
		if (i % 3 == 0 || i % 10 == 0 || i == 1)
			expect_block(st, &k[i], blk(&b, i), b.sizes[i]);
		else
			cr_assert_eq(accel_context_store_has(st, &k[i], NULL),
				     0);
	}
	/* Block 0 had two references: both survived the rewrite. */
	cr_assert_eq(accel_context_store_delete(st, &k[0]), 1);
	accel_context_store_destroy(st);
	free(b.buf);

	{
		struct accel_context_store *mem;

		cr_assert_eq(accel_context_store_create(NULL, &mem), 0);
		cr_assert_eq(accel_context_store_rewrite(mem),
			     -ACCEL_E_BAD_ARG);
		accel_context_store_destroy(mem);
	}
}
