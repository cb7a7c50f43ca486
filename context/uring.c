/* SPDX-License-Identifier: MIT */
/*
 * The module's one io_uring write path, shared by the block store and the
 * event journal: a vectored write at an offset, optionally followed by a
 * linked fdatasync, continued until every byte is written.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/uio.h>

#include <liburing.h>

#include "accel_err.h"
#include "context_int.h"

int accel__context_ring_write(struct io_uring *ring, int fd, struct iovec *iov,
			      int iovcnt, uint64_t off, int sync)
{
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	size_t total = 0;
	int ret;

	for (int i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	if (!total && sync) {
		/* Nothing to write: just the sync. */
		sqe = io_uring_get_sqe(ring);
		if (!sqe)
			return -EBUSY;
		io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
		ret = io_uring_submit_and_wait(ring, 1);
		if (ret < 0)
			return ret;
		ret = io_uring_wait_cqe(ring, &cqe);
		if (ret < 0)
			return ret;
		ret = cqe->res;
		io_uring_cqe_seen(ring, cqe);
		return ret < 0 ? ret : 0;
	}
	while (total) {
		int want = sync ? 2 : 1;
		int res[2] = { 0, 0 };

		sqe = io_uring_get_sqe(ring);
		if (!sqe)
			return -EBUSY;
		io_uring_prep_writev(sqe, fd, iov, (unsigned)iovcnt, off);
		sqe->user_data = 1;
		if (sync) {
			/*
			 * Linked: the sync starts only after the write
			 * completed in full; a short write cancels it and
			 * the loop below writes the rest and syncs again.
			 */
			sqe->flags |= IOSQE_IO_LINK;
			sqe = io_uring_get_sqe(ring);
			if (!sqe)
				return -EBUSY;
			io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
			sqe->user_data = 2;
		}
		ret = io_uring_submit_and_wait(ring, (unsigned)want);
		if (ret < 0)
			return ret;
		for (int i = 0; i < want; i++) {
			ret = io_uring_wait_cqe(ring, &cqe);
			if (ret < 0)
				return ret;
			res[cqe->user_data == 2] = cqe->res;
			io_uring_cqe_seen(ring, cqe);
		}
		if (res[0] < 0)
			return res[0];
		if (res[0] == 0)
			return -EIO;
		if (sync && (size_t)res[0] == total && res[1] < 0)
			return res[1];
		total -= (size_t)res[0];
		off += (uint64_t)res[0];
		for (size_t done = (size_t)res[0]; done && iovcnt;) {
			if (done >= iov[0].iov_len) {
				done -= iov[0].iov_len;
				iov++;
				iovcnt--;
			} else {
				iov[0].iov_base =
					(char *)iov[0].iov_base + done;
				iov[0].iov_len -= done;
				done = 0;
			}
		}
	}
	return 0;
}
