/* SPDX-License-Identifier: MIT */
#ifndef ACCEL_ERR_H
#define ACCEL_ERR_H

/*
 * Stable error codes that cross the process boundary.
 *
 * Inside a process, functions return >= 0 on success and a negative value on
 * failure: either -errno (values below ACCEL_E_BASE) or -ACCEL_E_* (values
 * from ACCEL_E_BASE up). The completion ring carries the same int32_t, like
 * io_uring's cqe->res. Node turns a code into an Error whose `code` is the
 * name ("EACCEL_TIMEOUT", or "ENOENT" for an errno) and whose `errno` is the
 * positive number.
 *
 * Each subsystem owns one range and one file in common/errors/; the numbers
 * never change and are never reused. Messages may improve.
 */

#define ACCEL_E_BASE 1000

enum accel_err {
#define ACCEL_ERR(name, num, msg) ACCEL_E_##name = num,
#include "errors/core.def"
#include "errors/sandbox.def"
#include "errors/diff.def"
#include "errors/tokens.def"
#include "errors/context.def"
#include "errors/symbols.def"
#include "errors/keepup.def"
#undef ACCEL_ERR
};

/*
 * Returns the message for a code (positive or negative; errno values use
 * strerror's text). Never NULL; unknown codes get a generic message. The
 * string is static.
 */
const char *accel_strerror(int code);

/*
 * Returns the stable name of a code without the "EACCEL_" prefix
 * ("TIMEOUT"), the errno name for errno values ("ENOENT"), or NULL when the
 * code is unknown. The string is static.
 */
const char *accel_errname(int code);

#endif
