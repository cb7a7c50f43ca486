/* SPDX-License-Identifier: MIT */
/*
 * Content-addressed block store.
 *
 * Blocks live in a chained hash table keyed by XXH3-128 of their content,
 * each one allocation holding the entry and the zstd frame. Identical puts
 * share one block and bump its reference count. A reader-writer lock guards
 * the table: gets decompress under the read lock (many at once), puts
 * compress outside any lock and take the write lock only to link the block
 * and append its record.
 *
 * Persistence is an append-only log (docs/context.md has the byte layout):
 * a 32-byte file header, then records PUT (with the compressed payload), REF
 * (one more reference to a held block) and DEL (one fewer). Each record
 * carries an XXH3-64 over its header and payload. Replay stops at the first
 * record that is short or fails its check; that tail is cut and reported.
 * Every get re-hashes the decompressed bytes against the key, so a block that
 * passed the record check but does not match its key is refused, never
 * returned.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <liburing.h>
#include <xxhash.h>

#include "accel_alloc.h"
#include "accel_err.h"
#include "accel_le.h"
#include "context_int.h"

struct block {
	struct block *next;
	struct accel_context_key key;
	uint32_t raw_len;
	uint32_t comp_len;
	uint64_t refs;
	unsigned char data[];
};

struct accel_context_store {
	pthread_rwlock_t lock;
	struct block **buckets;
	size_t nbuckets; /* power of two */
	uint64_t blocks;
	uint64_t raw_bytes;
	uint64_t stored_bytes;
	uint64_t refs;

	int level;
	uint32_t flags;
	const struct accel_context_dict *dict;

	/* File state; fd < 0 for a memory-only store. */
	int fd;
	char *path;
	uint64_t file_end;
	struct io_uring *ring;
	struct io_uring own_ring;
	int owns_ring;
	uint64_t loaded_records;
	uint64_t torn_bytes;

	_Atomic uint64_t puts;
	_Atomic uint64_t dedup_hits;
	_Atomic uint64_t gets;
	_Atomic uint64_t deletes;
};

struct accel_context_key accel_context_key_of(const void *data, size_t len)
{
	XXH128_hash_t h = XXH3_128bits(data, len);

	return (struct accel_context_key){ h.low64, h.high64 };
}

static size_t bucket_of(const struct accel_context_store *st,
			const struct accel_context_key *key)
{
	/* The key is already a strong hash; its low bits index directly. */
	return (size_t)key->lo & (st->nbuckets - 1);
}

static struct block *lookup(const struct accel_context_store *st,
			    const struct accel_context_key *key)
{
	struct block *b = st->buckets[bucket_of(st, key)];

	while (b && (b->key.lo != key->lo || b->key.hi != key->hi))
		b = b->next;
	return b;
}

/* Doubles the table when it is full. Failing to grow is harmless. */
static void maybe_grow(struct accel_context_store *st)
{
	size_t n = st->nbuckets * 2;
	struct block **nb;

	if (st->blocks < st->nbuckets)
		return;
	nb = accel_calloc(n, sizeof(*nb));
	if (!nb)
		return;
	for (size_t i = 0; i < st->nbuckets; i++) {
		struct block *b = st->buckets[i], *next;

		for (; b; b = next) {
			next = b->next;
			b->next = nb[(size_t)b->key.lo & (n - 1)];
			nb[(size_t)b->key.lo & (n - 1)] = b;
		}
	}
	accel_free(st->buckets);
	st->buckets = nb;
	st->nbuckets = n;
}

static void link_block(struct accel_context_store *st, struct block *b)
{
	size_t i;

	maybe_grow(st);
	i = bucket_of(st, &b->key);
	b->next = st->buckets[i];
	st->buckets[i] = b;
	st->blocks++;
	st->raw_bytes += b->raw_len;
	st->stored_bytes += b->comp_len;
	st->refs += b->refs;
}

static void unlink_block(struct accel_context_store *st, struct block *b)
{
	struct block **pp = &st->buckets[bucket_of(st, &b->key)];

	while (*pp != b)
		pp = &(*pp)->next;
	*pp = b->next;
	st->blocks--;
	st->raw_bytes -= b->raw_len;
	st->stored_bytes -= b->comp_len;
}

/* ---- file format ------------------------------------------------------ */

static void encode_file_header(unsigned char h[STORE_FILE_HDR], uint32_t dict)
{
	memset(h, 0, STORE_FILE_HDR);
	accel_put_le32(h + 0, STORE_FILE_MAGIC);
	accel_put_le32(h + 4, STORE_FILE_VERSION);
	accel_put_le32(h + 8, STORE_FILE_HDR);
	accel_put_le32(h + 12, dict);
	accel_put_le64(h + 24, XXH3_64bits(h, 24));
}

static void encode_record(unsigned char h[STORE_REC_HDR], unsigned type,
			  const struct accel_context_key *key, uint32_t raw_len,
			  const void *payload, uint32_t comp_len)
{
	memset(h, 0, STORE_REC_HDR);
	accel_put_le32(h + 0, STORE_REC_MAGIC);
	h[4] = (unsigned char)type;
	accel_put_le64(h + 8, key->lo);
	accel_put_le64(h + 16, key->hi);
	accel_put_le32(h + 24, raw_len);
	accel_put_le32(h + 28, comp_len);
	accel_put_le64(h + 32, XXH3_64bits_withSeed(payload, comp_len,
						    XXH3_64bits(h, 32)));
}

/*
 * Appends one record. On failure the file is cut back to where it was, so a
 * half-written record never precedes a later good one.
 */
static int append_record(struct accel_context_store *st, unsigned type,
			 const struct accel_context_key *key, uint32_t raw_len,
			 const void *payload, uint32_t comp_len)
{
	unsigned char h[STORE_REC_HDR];
	struct iovec iov[2];
	int ret;

	if (st->fd < 0)
		return 0;
	encode_record(h, type, key, raw_len, payload, comp_len);
	iov[0] = (struct iovec){ h, sizeof(h) };
	iov[1] = (struct iovec){ (void *)payload, comp_len };
	ret = accel__context_ring_write(st->ring, st->fd, iov, comp_len ? 2 : 1,
					st->file_end,
					st->flags & ACCEL_CONTEXT_STORE_SYNC);
	if (ret < 0) {
		if (ftruncate(st->fd, (off_t)st->file_end) < 0) {
			/*
			 * The tail is now torn; the next open cuts it. Keep
			 * the original error for the caller.
			 */
		}
		return ret;
	}
	st->file_end += sizeof(h) + comp_len;
	return 0;
}

/* Replays one record; returns 0 or -ENOMEM. Inconsistent records are no-ops. */
static int replay_one(struct accel_context_store *st, unsigned type,
		      const struct accel_context_key *key, uint32_t raw_len,
		      const unsigned char *payload, uint32_t comp_len)
{
	struct block *b = lookup(st, key);

	switch (type) {
	case STORE_REC_PUT:
		if (b) {
			b->refs++;
			st->refs++;
			return 0;
		}
		b = accel_malloc(sizeof(*b) + comp_len);
		if (!b)
			return -ENOMEM;
		b->key = *key;
		b->raw_len = raw_len;
		b->comp_len = comp_len;
		b->refs = 1;
		memcpy(b->data, payload, comp_len);
		link_block(st, b);
		return 0;
	case STORE_REC_REF:
		if (b) {
			b->refs++;
			st->refs++;
		}
		return 0;
	case STORE_REC_DEL:
		if (b) {
			b->refs--;
			st->refs--;
			if (!b->refs) {
				unlink_block(st, b);
				accel_free(b);
			}
		}
		return 0;
	}
	return 0;
}

int accel__context_store_replay(struct accel_context_store *st,
				const unsigned char *buf, size_t len,
				size_t *good)
{
	size_t off = 0;
	int ret;

	for (;;) {
		const unsigned char *h = buf + off;
		struct accel_context_key key;
		uint32_t raw_len, comp_len;
		unsigned type;

		if (len - off < STORE_REC_HDR)
			break;
		if (accel_le32(h) != STORE_REC_MAGIC)
			break;
		type = h[4];
		if (type < STORE_REC_PUT || type > STORE_REC_DEL || h[5] ||
		    h[6] || h[7])
			break;
		key.lo = accel_le64(h + 8);
		key.hi = accel_le64(h + 16);
		raw_len = accel_le32(h + 24);
		comp_len = accel_le32(h + 28);
		if ((type == STORE_REC_PUT) != (comp_len != 0))
			break;
		if (comp_len > len - off - STORE_REC_HDR)
			break;
		if (XXH3_64bits_withSeed(h + STORE_REC_HDR, comp_len,
					 XXH3_64bits(h, 32)) !=
		    accel_le64(h + 32))
			break;
		ret = replay_one(st, type, &key, raw_len, h + STORE_REC_HDR,
				 comp_len);
		if (ret < 0)
			return ret;
		off += STORE_REC_HDR + comp_len;
		st->loaded_records++;
	}
	*good = off;
	return 0;
}

/* Opens, locks and replays the file; creates it with a header if empty. */
static int open_file(struct accel_context_store *st, const char *path)
{
	unsigned char hdr[STORE_FILE_HDR];
	uint32_t dict_id = st->dict ? accel_context_dict_id(st->dict) : 0;
	struct stat sb;
	size_t good = 0;
	int ret;

	st->path = accel_strdup(path);
	if (!st->path)
		return -ENOMEM;
	st->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (st->fd < 0)
		return -errno;
	if (flock(st->fd, LOCK_EX | LOCK_NB) < 0)
		return errno == EWOULDBLOCK ? -ACCEL_E_STORE_LOCKED : -errno;
	if (fstat(st->fd, &sb) < 0)
		return -errno;
	if (!S_ISREG(sb.st_mode))
		return -ACCEL_E_STORE_BAD_FILE;
	if (sb.st_size == 0) {
		struct iovec iov = { hdr, sizeof(hdr) };

		encode_file_header(hdr, dict_id);
		ret = accel__context_ring_write(st->ring, st->fd, &iov, 1, 0,
						0);
		if (ret < 0)
			return ret;
		st->file_end = STORE_FILE_HDR;
		return fdatasync(st->fd) < 0 ? -errno : 0;
	}
	if (sb.st_size < STORE_FILE_HDR)
		return -ACCEL_E_STORE_BAD_FILE;
	if (pread(st->fd, hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr))
		return -ACCEL_E_STORE_BAD_FILE;
	if (accel_le32(hdr) != STORE_FILE_MAGIC ||
	    accel_le32(hdr + 4) != STORE_FILE_VERSION ||
	    accel_le32(hdr + 8) != STORE_FILE_HDR ||
	    accel_le64(hdr + 24) != XXH3_64bits(hdr, 24))
		return -ACCEL_E_STORE_BAD_FILE;
	if (accel_le32(hdr + 12) != dict_id)
		return -ACCEL_E_STORE_DICT;
	if (sb.st_size > STORE_FILE_HDR) {
		size_t len = (size_t)sb.st_size;
		unsigned char *map;

		map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, st->fd, 0);
		if (map == MAP_FAILED)
			return -errno;
		ret = accel__context_store_replay(st, map + STORE_FILE_HDR,
						  len - STORE_FILE_HDR, &good);
		munmap(map, len);
		if (ret < 0)
			return ret;
	}
	st->file_end = STORE_FILE_HDR + good;
	if (st->file_end < (uint64_t)sb.st_size) {
		st->torn_bytes = (uint64_t)sb.st_size - st->file_end;
		if (ftruncate(st->fd, (off_t)st->file_end) < 0 ||
		    fdatasync(st->fd) < 0)
			return -errno;
	}
	return 0;
}

int accel_context_store_create(const struct accel_context_store_opts *opts,
			       struct accel_context_store **out)
{
	static const struct accel_context_store_opts defaults;
	struct accel_context_store *st;
	int ret;

	if (!opts)
		opts = &defaults;
	if (opts->resv[0] || opts->resv[1] ||
	    (opts->flags & ~ACCEL_CONTEXT_STORE_SYNC))
		return -ACCEL_E_BAD_ARG;
	if (opts->level < ACCEL_CONTEXT_LEVEL_MIN ||
	    opts->level > ACCEL_CONTEXT_LEVEL_MAX)
		return -ACCEL_E_BAD_ARG;
	st = accel_calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->fd = -1;
	st->level = opts->level;
	st->flags = opts->flags;
	st->dict = opts->dict;
	st->nbuckets = 64;
	st->buckets = accel_calloc(st->nbuckets, sizeof(*st->buckets));
	if (!st->buckets) {
		accel_free(st);
		return -ENOMEM;
	}
	ret = pthread_rwlock_init(&st->lock, NULL);
	if (ret) {
		accel_free(st->buckets);
		accel_free(st);
		return -ret;
	}
	if (opts->path) {
		if (opts->ring) {
			st->ring = opts->ring;
		} else {
			ret = io_uring_queue_init(4, &st->own_ring, 0);
			if (ret < 0)
				goto err_destroy;
			st->ring = &st->own_ring;
			st->owns_ring = 1;
		}
		ret = open_file(st, opts->path);
		if (ret < 0)
			goto err_destroy;
	}
	*out = st;
	return 0;

err_destroy:
	accel_context_store_destroy(st);
	return ret;
}

void accel_context_store_destroy(struct accel_context_store *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->nbuckets; i++) {
		struct block *b = st->buckets[i], *next;

		for (; b; b = next) {
			next = b->next;
			accel_free(b);
		}
	}
	accel_free(st->buckets);
	if (st->fd >= 0) {
		/* Best effort: every put already returned after its write. */
		(void)fdatasync(st->fd);
		close(st->fd);
	}
	if (st->owns_ring)
		io_uring_queue_exit(&st->own_ring);
	accel_free(st->path);
	pthread_rwlock_destroy(&st->lock);
	accel_free(st);
}

/* Adds a reference to a held block (write lock held). */
static int add_ref(struct accel_context_store *st, struct block *b)
{
	int ret =
		append_record(st, STORE_REC_REF, &b->key, b->raw_len, NULL, 0);

	if (ret < 0)
		return ret;
	b->refs++;
	st->refs++;
	atomic_fetch_add_explicit(&st->dedup_hits, 1, memory_order_relaxed);
	return 0;
}

int accel_context_store_put(struct accel_context_store *st,
			    struct accel_context_zstd *z, const void *data,
			    size_t len, struct accel_context_key *key)
{
	struct accel_context_key k;
	struct block *b, *nb;
	size_t bound;
	ssize_t n;
	int ret;

	if (len > UINT32_MAX)
		return -ACCEL_E_TOO_LARGE;
	k = accel_context_key_of(data, len);
	atomic_fetch_add_explicit(&st->puts, 1, memory_order_relaxed);

	pthread_rwlock_wrlock(&st->lock);
	b = lookup(st, &k);
	if (b) {
		ret = add_ref(st, b);
		pthread_rwlock_unlock(&st->lock);
		if (ret < 0)
			return ret;
		*key = k;
		return 0;
	}
	pthread_rwlock_unlock(&st->lock);

	/* Compress outside the lock, straight into the block's allocation. */
	bound = accel_context_zstd_bound(len);
	nb = accel_malloc(sizeof(*nb) + bound);
	if (!nb)
		return -ENOMEM;
	n = accel_context_zstd_compress(z, nb->data, bound, data, len,
					st->level, st->dict,
					ACCEL_CONTEXT_ZF_NO_CHECKSUM);
	if (n < 0) {
		accel_free(nb);
		return (int)n;
	}
	/* Give back the unused worst-case tail; the block stays in place. */
	b = accel_realloc(nb, sizeof(*nb) + (size_t)n);
	if (b)
		nb = b;
	nb->key = k;
	nb->raw_len = (uint32_t)len;
	nb->comp_len = (uint32_t)n;
	nb->refs = 1;

	pthread_rwlock_wrlock(&st->lock);
	b = lookup(st, &k);
	if (b) {
		/* Another thread stored the same content meanwhile. */
		ret = add_ref(st, b);
		pthread_rwlock_unlock(&st->lock);
		accel_free(nb);
		if (ret < 0)
			return ret;
		*key = k;
		return 0;
	}
	ret = append_record(st, STORE_REC_PUT, &k, nb->raw_len, nb->data,
			    nb->comp_len);
	if (ret < 0) {
		pthread_rwlock_unlock(&st->lock);
		accel_free(nb);
		return ret;
	}
	link_block(st, nb);
	pthread_rwlock_unlock(&st->lock);
	*key = k;
	return 1;
}

int accel_context_store_has(struct accel_context_store *st,
			    const struct accel_context_key *key,
			    uint64_t *raw_len)
{
	struct block *b;

	pthread_rwlock_rdlock(&st->lock);
	b = lookup(st, key);
	if (b && raw_len)
		*raw_len = b->raw_len;
	pthread_rwlock_unlock(&st->lock);
	return b != NULL;
}

ssize_t accel_context_store_get(struct accel_context_store *st,
				struct accel_context_zstd *z,
				const struct accel_context_key *key, void *dst,
				size_t dst_cap)
{
	struct accel_context_key got;
	struct block *b;
	ssize_t n;

	atomic_fetch_add_explicit(&st->gets, 1, memory_order_relaxed);
	pthread_rwlock_rdlock(&st->lock);
	b = lookup(st, key);
	if (!b) {
		n = -ACCEL_E_NOT_FOUND;
	} else if (dst_cap < b->raw_len) {
		n = -ACCEL_E_ZSTD_DST_SMALL;
	} else {
		/*
		 * Decompress under the read lock: a concurrent delete needs
		 * the write lock, so the frame cannot be freed under us.
		 */
		n = accel_context_zstd_decompress(z, dst, b->raw_len, b->data,
						  b->comp_len, st->dict);
		if (n < 0 || (size_t)n != b->raw_len)
			n = -ACCEL_E_STORE_CORRUPT;
	}
	pthread_rwlock_unlock(&st->lock);
	if (n < 0)
		return n;
	got = accel_context_key_of(dst, (size_t)n);
	if (got.lo != key->lo || got.hi != key->hi)
		return -ACCEL_E_STORE_CORRUPT;
	return n;
}

int accel_context_store_delete(struct accel_context_store *st,
			       const struct accel_context_key *key)
{
	struct block *b;
	int ret;

	atomic_fetch_add_explicit(&st->deletes, 1, memory_order_relaxed);
	pthread_rwlock_wrlock(&st->lock);
	b = lookup(st, key);
	if (!b) {
		ret = -ACCEL_E_NOT_FOUND;
		goto out;
	}
	ret = append_record(st, STORE_REC_DEL, key, b->raw_len, NULL, 0);
	if (ret < 0)
		goto out;
	b->refs--;
	st->refs--;
	ret = b->refs > INT_MAX ? INT_MAX : (int)b->refs;
	if (!b->refs) {
		unlink_block(st, b);
		accel_free(b);
	}
out:
	pthread_rwlock_unlock(&st->lock);
	return ret;
}

void accel_context_store_stats(struct accel_context_store *st,
			       struct accel_context_store_stats *s)
{
	memset(s, 0, sizeof(*s));
	pthread_rwlock_rdlock(&st->lock);
	s->blocks = st->blocks;
	s->raw_bytes = st->raw_bytes;
	s->stored_bytes = st->stored_bytes;
	s->refs = st->refs;
	s->file_bytes = st->fd >= 0 ? st->file_end : 0;
	s->loaded_records = st->loaded_records;
	s->torn_bytes = st->torn_bytes;
	pthread_rwlock_unlock(&st->lock);
	s->puts = atomic_load_explicit(&st->puts, memory_order_relaxed);
	s->dedup_hits =
		atomic_load_explicit(&st->dedup_hits, memory_order_relaxed);
	s->gets = atomic_load_explicit(&st->gets, memory_order_relaxed);
	s->deletes = atomic_load_explicit(&st->deletes, memory_order_relaxed);
}

/*
 * Writes every held block as one PUT record (plus a REF record per extra
 * reference) to PATH.tmp, syncs it and renames it over the file. The new
 * file is locked before the rename, so no other store can open it in
 * between; a crash before the rename leaves the old file as it was.
 */
int accel_context_store_rewrite(struct accel_context_store *st)
{
	unsigned char hdr[STORE_FILE_HDR];
	char *tmp = NULL, *dir, *slash;
	struct iovec iov[64 * 2];
	unsigned char(*h)[STORE_REC_HDR] = NULL;
	uint64_t off = 0;
	int fd = -1, dfd, n = 0, ret = 0;

	if (st->fd < 0)
		return -ACCEL_E_BAD_ARG;
	h = accel_malloc(64 * sizeof(*h));
	tmp = accel_malloc(strlen(st->path) + 5);
	if (!h || !tmp) {
		ret = -ENOMEM;
		goto out_free;
	}
	strcpy(tmp, st->path);
	strcat(tmp, ".tmp");

	pthread_rwlock_wrlock(&st->lock);
	fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		ret = -errno;
		goto out_unlock;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		ret = -errno;
		close(fd);
		goto out_unlock;
	}
	encode_file_header(hdr, st->dict ? accel_context_dict_id(st->dict) : 0);
	iov[0] = (struct iovec){ hdr, sizeof(hdr) };
	ret = accel__context_ring_write(st->ring, fd, iov, 1, 0, 0);
	off = STORE_FILE_HDR;
	/* Batches of up to 64 records per write. */
	for (size_t i = 0; !ret && i < st->nbuckets; i++) {
		for (struct block *b = st->buckets[i]; b && !ret; b = b->next) {
			for (uint64_t r = 0; r < b->refs && !ret; r++) {
				int put = r == 0;
				uint32_t cl = put ? b->comp_len : 0;

				encode_record(h[n],
					      put ? STORE_REC_PUT :
						    STORE_REC_REF,
					      &b->key, b->raw_len,
					      put ? b->data : NULL, cl);
				iov[2 * n] =
					(struct iovec){ h[n], STORE_REC_HDR };
				iov[2 * n + 1] =
					(struct iovec){ put ? b->data : NULL,
							cl };
				n++;
				if (n == 64) {
					size_t len = 0;

					for (int k = 0; k < 2 * n; k++)
						len += iov[k].iov_len;
					ret = accel__context_ring_write(
						st->ring, fd, iov, 2 * n, off,
						0);
					off += len;
					n = 0;
				}
			}
		}
	}
	if (!ret && n) {
		size_t len = 0;

		for (int k = 0; k < 2 * n; k++)
			len += iov[k].iov_len;
		ret = accel__context_ring_write(st->ring, fd, iov, 2 * n, off,
						0);
		off += len;
	}
	if (!ret && fdatasync(fd) < 0)
		ret = -errno;
	if (!ret && rename(tmp, st->path) < 0)
		ret = -errno;
	if (ret) {
		unlink(tmp);
		close(fd);
		goto out_unlock;
	}
	/* Make the rename durable: fsync the directory. */
	dir = accel_strdup(st->path);
	if (dir) {
		slash = strrchr(dir, '/');
		if (slash)
			*(slash == dir ? slash + 1 : slash) = 0;
		dfd = open(slash ? dir : ".",
			   O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			(void)fsync(dfd);
			close(dfd);
		}
		accel_free(dir);
	}
	close(st->fd);
	st->fd = fd;
	st->file_end = off;
out_unlock:
	pthread_rwlock_unlock(&st->lock);
out_free:
	accel_free(h);
	accel_free(tmp);
	return ret;
}
