/* SPDX-License-Identifier: MIT */
/*
 * agent-accel diff A B: git-compatible unified diff of two files, run
 * in-process by the diff library (diff/diff_cli.h has the options and exit
 * statuses); the engine's diff op serves the same code to Node.
 */
#include "cli.h"
#include "diff_cli.h"

int accel_cmd_diff(int argc, char **argv)
{
	return accel_diff_cli_diff(argc, argv);
}
