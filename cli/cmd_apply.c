/* SPDX-License-Identifier: MIT */
/*
 * agent-accel apply FILE PATCH: applies a unified patch like GNU patch
 * (offset search, fuzz, per-hunk report), in-process by the diff library
 * (diff/diff_cli.h has the options and exit statuses).
 */
#include "cli.h"
#include "diff_cli.h"

int accel_cmd_apply(int argc, char **argv)
{
	return accel_diff_cli_apply(argc, argv);
}
