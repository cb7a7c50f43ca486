/* SPDX-License-Identifier: MIT */
#ifndef ACCEL_DIFF_CLI_H
#define ACCEL_DIFF_CLI_H

/*
 * The `agent-accel diff`, `agent-accel apply` and `agent-accel merge`
 * subcommands, for people and scripts. They read files, call the library
 * and print; cli/cmd_<name>.c only forwards to them. argv[0] is the
 * subcommand's name. Each returns the process exit status:
 *
 *   diff   0 inputs equal, 1 they differ, 2 trouble (as diff(1))
 *   apply  0 every hunk applied, 1 some rejected (the file is still
 *          written with the others, like GNU patch), 2 trouble (a malformed
 *          patch prints the line and the reason)
 *   merge  the number of conflicts (capped at 127), or 255 on trouble
 *          (git merge-file exits with -1, which is 255 too)
 *
 * Not thread-safe in the sense that they write to stdout/stderr and files;
 * they keep no global state.
 */
int accel_diff_cli_diff(int argc, char **argv);
int accel_diff_cli_apply(int argc, char **argv);
int accel_diff_cli_merge(int argc, char **argv);

#endif
