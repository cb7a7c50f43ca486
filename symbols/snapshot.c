/* SPDX-License-Identifier: MIT */
/*
 * Snapshots: the index's files (as upsert buffers) and import lists in one
 * file, checksummed with XXH3-64. Loading maps the file, checks the header
 * and the checksum before reading any record, then replays the records
 * through the ordinary upsert path, which validates every field again; so a
 * corrupt snapshot is an error and an empty index, never a crash.
 *
 * Layout (little-endian):
 *   0  char     magic[8]   "ACCSYMSN"
 *   8  uint32   version    1
 *  12  uint32   hdr_size   64
 *  16  uint64   total_len  whole file
 *  24  uint64   checksum   XXH3-64 of bytes [64, total_len)
 *  32  uint32   nfiles
 *  36  uint32   nimports
 *  40  uint8    resv[24]   zero
 *  64  blocks: uint32 type (1 file, 2 imports), uint32 len, payload,
 *      zero padding to 8 bytes.
 * A file payload is an upsert buffer; an imports payload is uint32 file_len,
 * uint32 n, file bytes, then n times (uint32 len, bytes).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "accel_alloc.h"
#include "accel_buf.h"
#include "accel_compiler.h"
#include "accel_err.h"
#include "accel_le.h"
#include "symbols_int.h"

#define SNAP_MAGIC   "ACCSYMSN"
#define SNAP_VERSION 1
#define SNAP_HDR     64
#define BLK_FILE     1
#define BLK_IMPORTS  2

static int buf_u32(struct accel_buf *b, uint32_t v)
{
	return accel_buf_put(b, &v, 4);
}

static int buf_pad(struct accel_buf *b)
{
	static const uint8_t z[8];

	return accel_buf_put(b, z, ACCEL_ALIGN_UP(b->len, (size_t)8) - b->len);
}

/* Re-encodes one file of the index as an upsert buffer block. */
static int save_file(struct accel_symbols *idx, uint32_t fid,
		     struct accel_buf *b)
{
	const struct file_ext *f = &idx->fx[fid];
	uint64_t strings = intern_len(&idx->files, fid);
	struct accel_symbols_file_hdr h;
	size_t start, rec0, str0;
	uint32_t sp = 0;

	for (uint32_t i = 0; i < f->nslots; i++) {
		const struct sym *y = &idx->syms[f->slots[i]];

		strings += intern_len(&idx->names, y->name);
		if (y->container)
			strings += intern_len(&idx->strs, y->container);
		if (y->detail)
			strings += intern_len(&idx->strs, y->detail);
	}
	if (strings > UINT32_MAX)
		return -ACCEL_E_SYM_TOO_MANY;
	if (buf_u32(b, BLK_FILE) ||
	    buf_u32(b, (uint32_t)(sizeof(h) + f->nslots * 48ull + strings)))
		return -ENOMEM;
	memset(&h, 0, sizeof(h));
	h.magic = ACCEL_SYMBOLS_FILE_MAGIC;
	h.version = ACCEL_SYMBOLS_FILE_VERSION;
	h.nsyms = f->nslots;
	h.strings_len = (uint32_t)strings;
	h.content_hash = f->hash;
	h.path_off = 0;
	h.path_len = intern_len(&idx->files, fid);
	start = b->len;
	if (accel_buf_reserve(b, sizeof(h) + f->nslots * 48ull + strings))
		return -ENOMEM;
	memcpy(b->p + start, &h, sizeof(h));
	rec0 = start + sizeof(h);
	str0 = rec0 + (size_t)f->nslots * 48;
	memcpy(b->p + str0, intern_str(&idx->files, fid), h.path_len);
	sp = h.path_len;
	for (uint32_t i = 0; i < f->nslots; i++) {
		const struct sym *y = &idx->syms[f->slots[i]];
		struct accel_symbols_rec r;

		memset(&r, 0, sizeof(r));
		r.name_off = sp;
		r.name_len = intern_len(&idx->names, y->name);
		memcpy(b->p + str0 + sp, intern_str(&idx->names, y->name),
		       r.name_len);
		sp += r.name_len;
		if (y->container) {
			r.container_off = sp;
			r.container_len = intern_len(&idx->strs, y->container);
			memcpy(b->p + str0 + sp,
			       intern_str(&idx->strs, y->container),
			       r.container_len);
			sp += r.container_len;
		}
		if (y->detail) {
			r.detail_off = sp;
			r.detail_len = intern_len(&idx->strs, y->detail);
			memcpy(b->p + str0 + sp,
			       intern_str(&idx->strs, y->detail), r.detail_len);
			sp += r.detail_len;
		}
		r.line = y->line;
		sym_pos(idx, y, &r.col, &r.end_line, &r.end_col);
		r.kind = (uint16_t)sym_kind(y);
		memcpy(b->p + rec0 + (size_t)i * 48, &r, sizeof(r));
	}
	b->len = str0 + sp;
	return buf_pad(b);
}

struct imp_arg {
	struct accel_buf *b;
	uint32_t n;
};

static int save_imports(void *arg, const char *file, uint32_t flen,
			const char *const *imp, const uint32_t *lens,
			uint32_t n)
{
	struct imp_arg *a = arg;
	uint64_t len = 8 + (uint64_t)flen;

	for (uint32_t i = 0; i < n; i++)
		len += 4 + (uint64_t)lens[i];
	if (len > UINT32_MAX)
		return -ACCEL_E_SYM_TOO_MANY;
	if (buf_u32(a->b, BLK_IMPORTS) || buf_u32(a->b, (uint32_t)len) ||
	    buf_u32(a->b, flen) || buf_u32(a->b, n) ||
	    accel_buf_put(a->b, file, flen))
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		if (buf_u32(a->b, lens[i]) ||
		    accel_buf_put(a->b, imp[i], lens[i]))
			return -ENOMEM;
	a->n++;
	return buf_pad(a->b);
}

int accel_symbols_save(struct accel_symbols *idx, const char *path)
{
	struct accel_buf b = { 0 };
	struct imp_arg ia = { &b, 0 };
	uint32_t nfiles = 0;
	uint64_t sum;
	char tmp[4200];
	size_t off;
	int fd, ret;

	if (!idx || !path ||
	    snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ACCEL_E_BAD_ARG;
	if (accel_buf_reserve(&b, SNAP_HDR))
		return -ENOMEM;
	memset(b.p, 0, SNAP_HDR);
	b.len = SNAP_HDR;
	pthread_rwlock_rdlock(&idx->lock);
	ret = 0;
	for (uint32_t f = 1; f < idx->files.nent && !ret; f++) {
		if (!idx->files.ent[f].refs)
			continue;
		ret = save_file(idx, f, &b);
		nfiles++;
	}
	if (!ret)
		ret = accel__imports_each(idx->imp, save_imports, &ia);
	pthread_rwlock_unlock(&idx->lock);
	if (ret)
		goto out;
	sum = XXH3_64bits(b.p + SNAP_HDR, b.len - SNAP_HDR);
	memcpy(b.p, SNAP_MAGIC, 8);
	{
		uint32_t v = SNAP_VERSION, hs = SNAP_HDR;
		uint64_t tl = b.len;

		memcpy(b.p + 8, &v, 4);
		memcpy(b.p + 12, &hs, 4);
		memcpy(b.p + 16, &tl, 8);
		memcpy(b.p + 24, &sum, 8);
		memcpy(b.p + 32, &nfiles, 4);
		memcpy(b.p + 36, &ia.n, 4);
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	for (off = 0; off < b.len;) {
		ssize_t w = write(fd, b.p + off, b.len - off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		off += (size_t)w;
	}
	if (!ret && fsync(fd))
		ret = -errno;
	close(fd);
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
out:
	accel_free(b.p);
	return ret;
}

/* Empties the index (after a failed load). */
static void clear_all(struct accel_symbols *idx)
{
	for (;;) {
		char path[ACCEL_SYMBOLS_MAX_PATH];
		uint32_t len = 0, f;

		pthread_rwlock_rdlock(&idx->lock);
		for (f = 1; f < idx->files.nent; f++)
			if (idx->files.ent[f].refs)
				break;
		if (f < idx->files.nent) {
			len = intern_len(&idx->files, f);
			memcpy(path, intern_str(&idx->files, f), len);
		}
		pthread_rwlock_unlock(&idx->lock);
		if (!len)
			break;
		accel_symbols_remove(idx, path, len);
	}
	pthread_mutex_lock(&idx->wlock);
	pthread_rwlock_wrlock(&idx->lock);
	accel__imports_clear(idx->imp);
	pthread_rwlock_unlock(&idx->lock);
	pthread_mutex_unlock(&idx->wlock);
}

static int load_blocks(struct accel_symbols *idx, const uint8_t *p,
		       uint64_t len, uint32_t nfiles, uint32_t nimports)
{
	uint64_t off = SNAP_HDR;
	uint32_t files = 0, imps = 0;

	while (off < len) {
		uint32_t type, blen;
		const uint8_t *pl;

		if (len - off < 8)
			return -ACCEL_E_SYM_SNAP_CORRUPT;
		type = accel_le32(p + off);
		blen = accel_le32(p + off + 4);
		off += 8;
		if (blen > len - off)
			return -ACCEL_E_SYM_SNAP_CORRUPT;
		pl = p + off;
		if (type == BLK_FILE) {
			if (accel_symbols_upsert(idx, pl, blen) < 0)
				return -ACCEL_E_SYM_SNAP_CORRUPT;
			files++;
		} else if (type == BLK_IMPORTS) {
			const char *vp[1024];
			uint32_t vl[1024];
			const char **pv = vp;
			uint32_t *lv = vl, flen, n;
			uint64_t q;
			int ret;

			if (blen < 8)
				return -ACCEL_E_SYM_SNAP_CORRUPT;
			flen = accel_le32(pl);
			n = accel_le32(pl + 4);
			if (flen > blen - 8 || n > (blen - 8 - flen) / 4)
				return -ACCEL_E_SYM_SNAP_CORRUPT;
			if (n > 1024) {
				pv = accel_malloc(n * sizeof(*pv));
				lv = accel_malloc(n * sizeof(*lv));
				if (!pv || !lv) {
					if (pv != vp)
						accel_free(pv);
					if (lv != vl)
						accel_free(lv);
					return -ENOMEM;
				}
			}
			q = 8 + (uint64_t)flen;
			ret = 0;
			for (uint32_t i = 0; i < n && !ret; i++) {
				if (blen - q < 4) {
					ret = -ACCEL_E_SYM_SNAP_CORRUPT;
					break;
				}
				lv[i] = accel_le32(pl + q);
				q += 4;
				if (lv[i] > blen - q) {
					ret = -ACCEL_E_SYM_SNAP_CORRUPT;
					break;
				}
				pv[i] = (const char *)pl + q;
				q += lv[i];
			}
			if (!ret && q != blen)
				ret = -ACCEL_E_SYM_SNAP_CORRUPT;
			if (!ret &&
			    accel_symbols_imports_set(idx, (const char *)pl + 8,
						      flen, pv, lv, n) < 0)
				ret = -ACCEL_E_SYM_SNAP_CORRUPT;
			if (pv != vp)
				accel_free(pv);
			if (lv != vl)
				accel_free(lv);
			if (ret)
				return ret;
			imps++;
		} else {
			return -ACCEL_E_SYM_SNAP_CORRUPT;
		}
		off += ACCEL_ALIGN_UP((uint64_t)blen, (uint64_t)8);
	}
	if (off != len || files != nfiles || imps != nimports)
		return -ACCEL_E_SYM_SNAP_CORRUPT;
	return (int)files;
}

static int load_mem(struct accel_symbols *idx, const uint8_t *p, size_t len)
{
	uint32_t version, hs, nfiles, nimports;
	uint64_t total, sum;
	struct accel_symbols_stats st;
	int ret;

	accel_symbols_stats(idx, &st);
	if (st.files || st.import_files)
		return -ACCEL_E_BAD_ARG;
	if (len < SNAP_HDR || memcmp(p, SNAP_MAGIC, 8))
		return -ACCEL_E_SYM_SNAP_MAGIC;
	version = accel_le32(p + 8);
	hs = accel_le32(p + 12);
	if (version != SNAP_VERSION)
		return -ACCEL_E_SYM_SNAP_VERSION;
	memcpy(&total, p + 16, 8);
	memcpy(&sum, p + 24, 8);
	nfiles = accel_le32(p + 32);
	nimports = accel_le32(p + 36);
	if (hs != SNAP_HDR || total != len)
		return -ACCEL_E_SYM_SNAP_CORRUPT;
	for (int i = 40; i < SNAP_HDR; i++)
		if (p[i])
			return -ACCEL_E_SYM_SNAP_CORRUPT;
	if (XXH3_64bits(p + SNAP_HDR, len - SNAP_HDR) != sum)
		return -ACCEL_E_SYM_SNAP_CORRUPT;
	ret = load_blocks(idx, p, len, nfiles, nimports);
	if (ret < 0)
		clear_all(idx);
	return ret;
}

int accel_symbols_load_buf(struct accel_symbols *idx, const void *buf,
			   size_t len)
{
	uint8_t *copy;
	int ret;

	if (!idx || (!buf && len))
		return -ACCEL_E_BAD_ARG;
	if (!((uintptr_t)buf & 7))
		return load_mem(idx, buf, len);
	/* Records are read as structs: give them 8-byte alignment. */
	copy = accel_malloc(len);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, buf, len);
	ret = load_mem(idx, copy, len);
	accel_free(copy);
	return ret;
}

int accel_symbols_load(struct accel_symbols *idx, const char *path)
{
	struct stat st;
	void *p;
	int fd, ret;

	if (!idx || !path)
		return -ACCEL_E_BAD_ARG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	if (st.st_size < SNAP_HDR) {
		close(fd);
		return -ACCEL_E_SYM_SNAP_MAGIC;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -errno;
	madvise(p, (size_t)st.st_size, MADV_SEQUENTIAL);
	ret = load_mem(idx, p, (size_t)st.st_size);
	munmap(p, (size_t)st.st_size);
	return ret;
}
