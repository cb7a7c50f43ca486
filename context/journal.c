/* SPDX-License-Identifier: MIT */
/*
 * The event journal behind keep-up's StorageEngine.
 *
 * Appends are group-committed: each appender encodes its record into the
 * pending batch under the lock and takes the next sequence number; the first
 * appender that finds no flush running becomes the leader, takes the whole
 * batch, writes it with one io_uring write and a linked fdatasync outside the
 * lock, publishes the new durable sequence and wakes the others. Appenders
 * that arrived meanwhile formed the next batch and one of them leads it. So
 * N concurrent appends cost about one fdatasync, not N, and every append
 * returns only once its own record is durable.
 *
 * Crash safety rests on two facts: batches are written strictly one after
 * another at the end of the last segment, and a batch is acknowledged only
 * after its fdatasync. A crash can therefore leave only a torn tail of the
 * last segment (unacknowledged records), which open() detects (short record,
 * bad magic, bad checksum or a sequence gap) and cuts.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <liburing.h>
#include <xxhash.h>

#include "accel_alloc.h"
#include "accel_compiler.h"
#include "accel_err.h"
#include "accel_le.h"
#include "context_int.h"

/*
 * Event record: a 32-byte header then stored_len payload bytes, all
 * little-endian: magic u32, flags u8 (bit 0: payload is a zstd frame),
 * pad[3] zero, seq u64, raw_len u32, stored_len u32, check u64 =
 * XXH3_64(payload, seed = XXH3_64(header bytes [0, 24))).
 */
#define REC_MAGIC    0x524a5841u /* "AXJR" */
#define REC_HDR	     32
#define REC_ZSTD     1u
#define META_MAGIC   0x4d4a5841u /* "AXJM" */
#define META_LEN     24
#define CKPT_MAGIC   0x4b435841u /* "AXCK" */
#define CKPT_HDR     24
#define CKPT_ID_MAX  100
#define SEG_NAME_FMT "events-%020" PRIu64 ".log"

/*
 * A sparse index of a segment: one (seq, offset) pair at least every
 * IDX_STRIDE bytes, so that a replay from a recent seq reads the tail of a
 * segment, not all of it.
 */
#define IDX_STRIDE (64u << 10)

struct idx_entry {
	uint64_t seq, off;
};

struct segment {
	uint64_t first; /* sequence of its first record */
	uint64_t size;	/* bytes written or reserved by the running flush */
	int fd;
	struct idx_entry *idx;
	size_t nidx, cidx;
};

/* Notes that the record `seq` starts at `off`, if a stride has passed. */
static void idx_note(struct segment *s, uint64_t seq, uint64_t off)
{
	if (s->nidx && off - s->idx[s->nidx - 1].off < IDX_STRIDE)
		return;
	if (s->nidx == s->cidx) {
		size_t c = s->cidx ? s->cidx * 2 : 16;
		struct idx_entry *e = accel_realloc(s->idx, c * sizeof(*e));

		if (!e)
			return; /* the index is only a hint */
		s->idx = e;
		s->cidx = c;
	}
	s->idx[s->nidx++] = (struct idx_entry){ seq, off };
}

/* Offset of the last indexed record at or before `seq`, and its seq. */
static uint64_t idx_find(const struct segment *s, uint64_t seq,
			 uint64_t *at_seq)
{
	size_t lo = 0, hi = s->nidx;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->idx[mid].seq <= seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo) {
		*at_seq = s->first;
		return 0;
	}
	*at_seq = s->idx[lo - 1].seq;
	return s->idx[lo - 1].off;
}

struct accel_context_journal {
	pthread_mutex_t lock;
	pthread_cond_t durable_cv;
	int dirfd, ckdirfd, lockfd;
	int level;
	uint32_t compress_min;
	uint64_t seg_max;

	struct segment *segs;
	size_t nsegs, segs_cap;
	uint64_t next_seq;
	uint64_t durable_seq;
	uint64_t floor;

	/* The batch being formed, and whether a leader is flushing one. */
	unsigned char *pend;
	size_t pend_len, pend_cap;
	uint64_t pend_last;
	int flushing;
	int failed;

	/* One ring; the flush leader and checkpoint writers take ring_lock. */
	pthread_mutex_t ring_lock;
	struct io_uring ring;
	pthread_mutex_t ckpt_lock;

	uint64_t appends, syncs, torn_bytes;
};

static uint64_t rec_check(const unsigned char *h, const void *payload,
			  size_t len)
{
	return XXH3_64bits_withSeed(payload, len, XXH3_64bits(h, 24));
}

/* Writes a whole small file through the ring (caller holds ring_lock). */
static int ring_write_all(struct accel_context_journal *j, int fd,
			  struct iovec *iov, int n, int sync)
{
	return accel__context_ring_write(&j->ring, fd, iov, n, 0, sync);
}

/* ---- segments --------------------------------------------------------- */

static int seg_push(struct accel_context_journal *j, uint64_t first, int fd,
		    uint64_t size)
{
	if (j->nsegs == j->segs_cap) {
		size_t cap = j->segs_cap ? j->segs_cap * 2 : 8;
		struct segment *s = accel_realloc(j->segs, cap * sizeof(*s));

		if (!s)
			return -ENOMEM;
		j->segs = s;
		j->segs_cap = cap;
	}
	j->segs[j->nsegs++] = (struct segment){ first, size, fd, NULL, 0, 0 };
	return 0;
}

/* Creates an empty segment starting at `first` and makes its name durable. */
static int seg_create(struct accel_context_journal *j, uint64_t first)
{
	char name[64];
	int fd, ret;

	snprintf(name, sizeof(name), SEG_NAME_FMT, first);
	fd = openat(j->dirfd, name, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
		    0644);
	if (fd < 0)
		return -errno;
	if (fsync(j->dirfd) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	ret = seg_push(j, first, fd, 0);
	if (ret < 0)
		close(fd);
	return ret;
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Scans one segment. Sets *good to the length of its valid prefix and
 * *last to the sequence of its last valid record (first - 1 if none).
 */
static int seg_scan(struct segment *seg, uint64_t *good, uint64_t *last,
		    uint64_t *size)
{
	int fd = seg->fd;
	uint64_t first = seg->first;
	struct stat sb;
	unsigned char *buf;
	size_t off = 0, len;
	uint64_t expect = first;

	if (fstat(fd, &sb) < 0)
		return -errno;
	len = (size_t)sb.st_size;
	*size = len;
	buf = accel_malloc(len ? len : 1);
	if (!buf)
		return -ENOMEM;
	if (len && pread(fd, buf, len, 0) != (ssize_t)len) {
		accel_free(buf);
		return -EIO;
	}
	while (len - off >= REC_HDR) {
		const unsigned char *h = buf + off;
		uint32_t stored = accel_le32(h + 20);

		if (accel_le32(h) != REC_MAGIC || (h[4] & ~REC_ZSTD) || h[5] ||
		    h[6] || h[7] || accel_le64(h + 8) != expect ||
		    stored > len - off - REC_HDR ||
		    rec_check(h, h + REC_HDR, stored) != accel_le64(h + 24))
			break;
		idx_note(seg, expect, off);
		off += REC_HDR + stored;
		expect++;
	}
	accel_free(buf);
	*good = off;
	*last = expect - 1;
	return 0;
}

static int load_meta(struct accel_context_journal *j)
{
	unsigned char m[META_LEN];
	int fd = openat(j->dirfd, "meta", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	j->floor = 1;
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	n = pread(fd, m, sizeof(m), 0);
	close(fd);
	if (n != META_LEN || accel_le32(m) != META_MAGIC ||
	    accel_le64(m + 16) != XXH3_64bits(m, 16))
		return -ACCEL_E_JOURNAL_CORRUPT;
	j->floor = accel_le64(m + 8);
	return 0;
}

/* Finds, orders and checks the segments; cuts a torn tail. */
static int load_segments(struct accel_context_journal *j)
{
	uint64_t *firsts = NULL, prev_last = 0;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int fd, ret = 0;

	fd = openat(j->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		uint64_t first;
		char tail;

		if (strncmp(de->d_name, "events-", 7))
			continue;
		if (sscanf(de->d_name, "events-%20" SCNu64 ".lo%c", &first,
			   &tail) != 2 ||
		    tail != 'g' || strlen(de->d_name) != 31 || first == 0) {
			ret = -ACCEL_E_JOURNAL_BAD_FILE;
			goto out;
		}
		if (n == cap) {
			uint64_t *f;

			cap = cap ? cap * 2 : 16;
			f = accel_realloc(firsts, cap * sizeof(*f));
			if (!f) {
				ret = -ENOMEM;
				goto out;
			}
			firsts = f;
		}
		firsts[n++] = first;
	}
	if (n)
		qsort(firsts, n, sizeof(*firsts), u64_cmp);
	for (size_t i = 0; i < n; i++) {
		uint64_t good = 0, last = 0, size = 0;
		char name[64];

		snprintf(name, sizeof(name), SEG_NAME_FMT, firsts[i]);
		fd = openat(j->dirfd, name, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			ret = -errno;
			goto out;
		}
		ret = seg_push(j, firsts[i], fd, 0);
		if (ret < 0) {
			close(fd);
			goto out;
		}
		/* Segments continue each other without gaps. */
		if (i > 0 && firsts[i] != prev_last + 1) {
			ret = -ACCEL_E_JOURNAL_CORRUPT;
			goto out;
		}
		ret = seg_scan(&j->segs[j->nsegs - 1], &good, &last, &size);
		if (ret < 0)
			goto out;
		if (good < size) {
			/* Damage anywhere but at the very end is not a tear. */
			if (i + 1 < n) {
				ret = -ACCEL_E_JOURNAL_CORRUPT;
				goto out;
			}
			if (ftruncate(fd, (off_t)good) < 0 ||
			    fdatasync(fd) < 0) {
				ret = -errno;
				goto out;
			}
			j->torn_bytes = size - good;
		}
		j->segs[j->nsegs - 1].size = good;
		prev_last = last;
	}
	if (n) {
		j->next_seq = prev_last + 1;
	} else {
		j->next_seq = j->floor;
		ret = seg_create(j, j->next_seq);
	}
	if (j->floor > j->next_seq)
		j->floor = j->next_seq;
	j->durable_seq = j->next_seq - 1;
out:
	closedir(d);
	accel_free(firsts);
	return ret;
}

int accel_context_journal_create(const struct accel_context_journal_opts *o,
				 struct accel_context_journal **out)
{
	struct accel_context_journal *j;
	int ret;

	if (!o || !o->root || o->resv[0] || o->resv[1] ||
	    o->level < ACCEL_CONTEXT_LEVEL_MIN ||
	    o->level > ACCEL_CONTEXT_LEVEL_MAX)
		return -ACCEL_E_BAD_ARG;
	j = accel_calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->dirfd = j->ckdirfd = j->lockfd = -1;
	j->level = o->level;
	j->compress_min = o->compress_min ? o->compress_min : 256;
	j->seg_max = o->segment_bytes ? o->segment_bytes : 64ull << 20;
	pthread_mutex_init(&j->lock, NULL);
	pthread_cond_init(&j->durable_cv, NULL);
	pthread_mutex_init(&j->ring_lock, NULL);
	pthread_mutex_init(&j->ckpt_lock, NULL);
	ret = io_uring_queue_init(8, &j->ring, 0);
	if (ret < 0) {
		pthread_mutex_destroy(&j->lock);
		pthread_cond_destroy(&j->durable_cv);
		pthread_mutex_destroy(&j->ring_lock);
		pthread_mutex_destroy(&j->ckpt_lock);
		accel_free(j);
		return ret;
	}
	if (mkdir(o->root, 0755) < 0 && errno != EEXIST) {
		ret = -errno;
		goto err;
	}
	j->dirfd = open(o->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (j->dirfd < 0) {
		ret = -errno;
		goto err;
	}
	j->lockfd =
		openat(j->dirfd, "LOCK", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (j->lockfd < 0) {
		ret = -errno;
		goto err;
	}
	/*
	 * flock locks belong to the open file description: a second journal
	 * in this process conflicts like one in another process, and the
	 * kernel drops the lock when a killed holder's files are closed.
	 */
	if (flock(j->lockfd, LOCK_EX | LOCK_NB) < 0) {
		ret = errno == EWOULDBLOCK ? -ACCEL_E_JOURNAL_LOCKED : -errno;
		goto err;
	}
	if (mkdirat(j->dirfd, "checkpoints", 0755) < 0 && errno != EEXIST) {
		ret = -errno;
		goto err;
	}
	j->ckdirfd = openat(j->dirfd, "checkpoints",
			    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (j->ckdirfd < 0) {
		ret = -errno;
		goto err;
	}
	ret = load_meta(j);
	if (ret < 0)
		goto err;
	ret = load_segments(j);
	if (ret < 0)
		goto err;
	*out = j;
	return 0;
err:
	accel_context_journal_destroy(j);
	return ret;
}

void accel_context_journal_destroy(struct accel_context_journal *j)
{
	if (!j)
		return;
	for (size_t i = 0; i < j->nsegs; i++) {
		close(j->segs[i].fd);
		accel_free(j->segs[i].idx);
	}
	accel_free(j->segs);
	accel_free(j->pend);
	if (j->ckdirfd >= 0)
		close(j->ckdirfd);
	if (j->lockfd >= 0)
		close(j->lockfd);
	if (j->dirfd >= 0)
		close(j->dirfd);
	io_uring_queue_exit(&j->ring);
	pthread_mutex_destroy(&j->lock);
	pthread_cond_destroy(&j->durable_cv);
	pthread_mutex_destroy(&j->ring_lock);
	pthread_mutex_destroy(&j->ckpt_lock);
	accel_free(j);
}

/* ---- append (group commit) -------------------------------------------- */

/*
 * Leads one flush: takes the pending batch, writes and syncs it outside the
 * lock, publishes it. Called and returns with j->lock held.
 */
static void flush_batch(struct accel_context_journal *j)
{
	unsigned char *buf = j->pend;
	size_t len = j->pend_len;
	uint64_t last = j->pend_last, off;
	struct segment *seg;
	struct iovec iov;
	int fd, ret = 0;

	j->flushing = 1;
	j->pend = NULL;
	j->pend_len = j->pend_cap = 0;

	/* Roll to a new segment at a batch boundary once this one is full. */
	seg = &j->segs[j->nsegs - 1];
	if (seg->size && seg->size + len > j->seg_max)
		ret = seg_create(j, j->durable_seq + 1);
	seg = &j->segs[j->nsegs - 1];
	fd = seg->fd;
	off = seg->size;
	seg->size += len;
	pthread_mutex_unlock(&j->lock);

	if (!ret) {
		iov = (struct iovec){ buf, len };
		pthread_mutex_lock(&j->ring_lock);
		ret = accel__context_ring_write(&j->ring, fd, &iov, 1, off, 1);
		pthread_mutex_unlock(&j->ring_lock);
	}

	pthread_mutex_lock(&j->lock);
	if (!ret) {
		/* Index the batch's records (the segment is still the last). */
		seg = &j->segs[j->nsegs - 1];
		for (size_t o = 0; o < len;
		     o += REC_HDR + accel_le32(buf + o + 20))
			idx_note(seg, accel_le64(buf + o + 8), off + o);
	}
	accel_free(buf);
	if (ret < 0) {
		/*
		 * The segment may now end in part of this batch. Refuse
		 * further appends rather than write after it; reopening cuts
		 * the tail.
		 */
		j->failed = ret;
	} else {
		j->durable_seq = last;
		j->syncs++;
	}
	j->flushing = 0;
	pthread_cond_broadcast(&j->durable_cv);
}

int accel_context_journal_append(struct accel_context_journal *j,
				 struct accel_context_zstd *z, const void *data,
				 size_t len, uint64_t *seq_out)
{
	unsigned char h[REC_HDR], *zbuf = NULL;
	const void *payload = data;
	size_t stored = len, need;
	uint64_t seq;
	uint8_t flags = 0;
	int ret;

	if (len > UINT32_MAX)
		return -ACCEL_E_TOO_LARGE;
	/* Compress outside the lock; keep it only if it is smaller. */
	if (z && j->level && len >= j->compress_min) {
		size_t cap = accel_context_zstd_bound(len);
		ssize_t n;

		zbuf = accel_malloc(cap);
		if (!zbuf)
			return -ENOMEM;
		n = accel_context_zstd_compress(z, zbuf, cap, data, len,
						j->level, NULL,
						ACCEL_CONTEXT_ZF_NO_CHECKSUM);
		if (n > 0 && (size_t)n < len) {
			payload = zbuf;
			stored = (size_t)n;
			flags = REC_ZSTD;
		}
	}

	pthread_mutex_lock(&j->lock);
	if (j->failed) {
		ret = j->failed;
		goto out_unlock;
	}
	need = j->pend_len + REC_HDR + stored;
	if (need > j->pend_cap) {
		size_t cap = ACCEL_MAX(need, j->pend_cap * 2);
		unsigned char *p = accel_realloc(j->pend, cap);

		if (!p) {
			ret = -ENOMEM;
			goto out_unlock;
		}
		j->pend = p;
		j->pend_cap = cap;
	}
	seq = j->next_seq++;
	memset(h, 0, sizeof(h));
	accel_put_le32(h, REC_MAGIC);
	h[4] = flags;
	accel_put_le64(h + 8, seq);
	accel_put_le32(h + 16, (uint32_t)len);
	accel_put_le32(h + 20, (uint32_t)stored);
	accel_put_le64(h + 24, rec_check(h, payload, stored));
	memcpy(j->pend + j->pend_len, h, REC_HDR);
	memcpy(j->pend + j->pend_len + REC_HDR, payload, stored);
	j->pend_len = need;
	j->pend_last = seq;
	j->appends++;

	while (j->durable_seq < seq && !j->failed) {
		if (!j->flushing && j->pend_len)
			flush_batch(j);
		else
			pthread_cond_wait(&j->durable_cv, &j->lock);
	}
	ret = j->durable_seq >= seq ? 0 : j->failed;
	if (!ret)
		*seq_out = seq;
out_unlock:
	pthread_mutex_unlock(&j->lock);
	accel_free(zbuf);
	return ret;
}

/* ---- replay and prune ------------------------------------------------- */

/* What a replay reads of one segment: [start, end) through its own fd. */
struct seg_view {
	int fd;
	uint64_t start, end;
};

int64_t accel_context_journal_replay(struct accel_context_journal *j,
				     struct accel_context_zstd *z,
				     uint64_t from, uint64_t limit,
				     accel_context_event_fn fn, void *arg)
{
	struct accel_context_zstd *own = NULL;
	struct seg_view *snap = NULL;
	size_t nsnap = 0;
	uint64_t durable, floor_seq, start_seq;
	unsigned char *buf = NULL, *raw = NULL;
	size_t raw_cap = 0;
	int64_t done = 0;
	int ret = 0, stop = 0;

	/*
	 * Snapshot the segments (with their own fds, so that a concurrent
	 * prune cannot close one under us) and what is durable now.
	 */
	pthread_mutex_lock(&j->lock);
	durable = j->durable_seq;
	floor_seq = j->floor;
	snap = accel_malloc((j->nsegs ? j->nsegs : 1) * sizeof(*snap));
	if (snap) {
		for (size_t i = 0; i < j->nsegs; i++) {
			uint64_t next = i + 1 < j->nsegs ?
						j->segs[i + 1].first :
						UINT64_MAX;

			if (next <= from || next <= floor_seq)
				continue;
			snap[nsnap].start = idx_find(&j->segs[i],
						     ACCEL_MAX(from, floor_seq),
						     &start_seq);
			snap[nsnap].end = j->segs[i].size;
			snap[nsnap].fd = dup(j->segs[i].fd);
			if (snap[nsnap].fd < 0)
				break;
			nsnap++;
		}
	}
	pthread_mutex_unlock(&j->lock);
	if (!snap)
		return -ENOMEM;
	if (from < floor_seq)
		from = floor_seq;

	for (size_t i = 0; i < nsnap && !ret && !stop; i++) {
		/* Read from the indexed record at or before `from` on. */
		size_t start = (size_t)snap[i].start, off = 0;
		size_t len = (size_t)(snap[i].end - snap[i].start);

		accel_free(buf);
		buf = accel_malloc(len ? len : 1);
		if (!buf) {
			ret = -ENOMEM;
			break;
		}
		if (len &&
		    pread(snap[i].fd, buf, len, (off_t)start) != (ssize_t)len) {
			ret = -EIO;
			break;
		}
		while (len - off >= REC_HDR) {
			const unsigned char *h = buf + off;
			uint64_t seq = accel_le64(h + 8);
			uint32_t rl = accel_le32(h + 16),
				 sl = accel_le32(h + 20);
			const void *p = h + REC_HDR;

			if (seq > durable)
				break;
			/* Durable records were checked on open or written
			 * by us; a mismatch now means the disk changed. */
			if (accel_le32(h) != REC_MAGIC ||
			    sl > len - off - REC_HDR ||
			    rec_check(h, p, sl) != accel_le64(h + 24)) {
				ret = -ACCEL_E_JOURNAL_CORRUPT;
				break;
			}
			off += REC_HDR + sl;
			if (seq < from)
				continue;
			if (h[4] & REC_ZSTD) {
				ssize_t n;

				if (!z && !own &&
				    accel_context_zstd_create(NULL, &own) < 0) {
					ret = -ENOMEM;
					break;
				}
				if (rl > raw_cap) {
					accel_free(raw);
					raw = accel_malloc(rl);
					raw_cap = raw ? rl : 0;
					if (!raw) {
						ret = -ENOMEM;
						break;
					}
				}
				n = accel_context_zstd_decompress(
					z ? z : own, raw, rl, p, sl, NULL);
				if (n != (ssize_t)rl) {
					ret = -ACCEL_E_JOURNAL_CORRUPT;
					break;
				}
				p = raw;
			}
			ret = fn(arg, seq, p, rl);
			if (ret)
				break;
			done++;
			if (limit && (uint64_t)done == limit) {
				stop = 1;
				break;
			}
		}
	}
	for (size_t i = 0; i < nsnap; i++)
		close(snap[i].fd);
	accel_free(snap);
	accel_free(buf);
	accel_free(raw);
	accel_context_zstd_destroy(own);
	return ret ? ret : done;
}

/* Writes `name` in dirfd atomically: temporary, fdatasync, rename, fsync. */
static int write_atomic(struct accel_context_journal *j, int dirfd,
			const char *name, struct iovec *iov, int n)
{
	char tmp[256];
	int fd, ret;

	snprintf(tmp, sizeof(tmp), ".tmp-%s", name);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	pthread_mutex_lock(&j->ring_lock);
	ret = ring_write_all(j, fd, iov, n, 1);
	pthread_mutex_unlock(&j->ring_lock);
	close(fd);
	if (!ret && renameat(dirfd, tmp, dirfd, name) < 0)
		ret = -errno;
	if (!ret && fsync(dirfd) < 0)
		ret = -errno;
	if (ret)
		unlinkat(dirfd, tmp, 0);
	return ret;
}

int64_t accel_context_journal_prune(struct accel_context_journal *j,
				    uint64_t before)
{
	unsigned char m[META_LEN];
	struct iovec iov = { m, sizeof(m) };
	uint64_t floor_new, removed;
	size_t drop = 0;
	int ret;

	pthread_mutex_lock(&j->lock);
	floor_new = ACCEL_MIN(before, j->next_seq);
	if (floor_new <= j->floor) {
		pthread_mutex_unlock(&j->lock);
		return 0;
	}
	removed = floor_new - j->floor;
	memset(m, 0, sizeof(m));
	accel_put_le32(m, META_MAGIC);
	accel_put_le32(m + 4, 1);
	accel_put_le64(m + 8, floor_new);
	accel_put_le64(m + 16, XXH3_64bits(m, 16));
	ret = write_atomic(j, j->dirfd, "meta", &iov, 1);
	if (ret < 0) {
		pthread_mutex_unlock(&j->lock);
		return ret;
	}
	j->floor = floor_new;
	/* Delete whole segments below the floor; never the last one. */
	while (drop + 1 < j->nsegs && j->segs[drop + 1].first <= floor_new) {
		char name[64];

		snprintf(name, sizeof(name), SEG_NAME_FMT, j->segs[drop].first);
		unlinkat(j->dirfd, name, 0);
		close(j->segs[drop].fd);
		accel_free(j->segs[drop].idx);
		drop++;
	}
	if (drop) {
		memmove(j->segs, j->segs + drop,
			(j->nsegs - drop) * sizeof(*j->segs));
		j->nsegs -= drop;
		fsync(j->dirfd);
	}
	pthread_mutex_unlock(&j->lock);
	return (int64_t)removed;
}

/* ---- checkpoints ------------------------------------------------------ */

static int ckpt_name(char *name, const void *id, size_t id_len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = id;

	if (!id || !id_len || id_len > CKPT_ID_MAX)
		return -ACCEL_E_CHECKPOINT_ID;
	for (size_t i = 0; i < id_len; i++) {
		name[2 * i] = hex[p[i] >> 4];
		name[2 * i + 1] = hex[p[i] & 15];
	}
	name[2 * id_len] = 0;
	return 0;
}

int accel_context_journal_save(struct accel_context_journal *j, const void *id,
			       size_t id_len, const void *data, size_t len)
{
	char name[2 * CKPT_ID_MAX + 1];
	unsigned char h[CKPT_HDR];
	struct iovec iov[2];
	int ret = ckpt_name(name, id, id_len);

	if (ret < 0)
		return ret;
	memset(h, 0, sizeof(h));
	accel_put_le32(h, CKPT_MAGIC);
	accel_put_le64(h + 8, len);
	accel_put_le64(h + 16,
		       XXH3_64bits_withSeed(data, len, XXH3_64bits(h, 16)));
	iov[0] = (struct iovec){ h, sizeof(h) };
	iov[1] = (struct iovec){ (void *)data, len };
	/* One saver at a time: they share the temporary name per id. */
	pthread_mutex_lock(&j->ckpt_lock);
	ret = write_atomic(j, j->ckdirfd, name, iov, len ? 2 : 1);
	pthread_mutex_unlock(&j->ckpt_lock);
	return ret;
}

ssize_t accel_context_journal_load(struct accel_context_journal *j,
				   const void *id, size_t id_len, void **out)
{
	char name[2 * CKPT_ID_MAX + 1];
	unsigned char h[CKPT_HDR];
	struct stat sb;
	uint64_t len;
	void *buf;
	int fd, ret = ckpt_name(name, id, id_len);

	if (ret < 0)
		return ret;
	fd = openat(j->ckdirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ACCEL_E_NOT_FOUND : -errno;
	if (fstat(fd, &sb) < 0 || sb.st_size < CKPT_HDR ||
	    pread(fd, h, sizeof(h), 0) != CKPT_HDR ||
	    accel_le32(h) != CKPT_MAGIC ||
	    (len = accel_le64(h + 8)) != (uint64_t)sb.st_size - CKPT_HDR) {
		close(fd);
		return -ACCEL_E_CHECKPOINT_CORRUPT;
	}
	buf = accel_malloc(len ? len : 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	if ((len && pread(fd, buf, len, CKPT_HDR) != (ssize_t)len) ||
	    XXH3_64bits_withSeed(buf, len, XXH3_64bits(h, 16)) !=
		    accel_le64(h + 16)) {
		close(fd);
		accel_free(buf);
		return -ACCEL_E_CHECKPOINT_CORRUPT;
	}
	close(fd);
	*out = buf;
	return (ssize_t)len;
}

int accel_context_journal_delete(struct accel_context_journal *j,
				 const void *id, size_t id_len)
{
	char name[2 * CKPT_ID_MAX + 1];
	int ret = ckpt_name(name, id, id_len);

	if (ret < 0)
		return ret;
	pthread_mutex_lock(&j->ckpt_lock);
	if (unlinkat(j->ckdirfd, name, 0) < 0) {
		ret = errno == ENOENT ? 0 : -errno;
	} else {
		ret = fsync(j->ckdirfd) < 0 ? -errno : 1;
	}
	pthread_mutex_unlock(&j->ckpt_lock);
	return ret;
}

void accel_context_journal_stats(struct accel_context_journal *j,
				 struct accel_context_journal_stats *s)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_lock(&j->lock);
	s->next_seq = j->next_seq;
	s->first_seq = j->floor;
	s->appends = j->appends;
	s->syncs = j->syncs;
	s->segments = j->nsegs;
	s->torn_bytes = j->torn_bytes;
	pthread_mutex_unlock(&j->lock);
}
