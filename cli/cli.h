/* SPDX-License-Identifier: MIT */
#ifndef ACCEL_CLI_H
#define ACCEL_CLI_H

/*
 * One entry point per subcommand, declared from commands.def. Each gets
 * argv[0] = its own name and returns the process exit status.
 */
#define ACCEL_CMD(name, summary) int accel_cmd_##name(int argc, char **argv);
#include "commands.def"
#undef ACCEL_CMD

#include <stddef.h>

/*
 * Reads all of path ("-": stdin) into a malloc'ed buffer; *len its size.
 * Returns NULL with errno set on failure.
 */
char *accel_cli_read_all(const char *path, size_t *len);

#endif
