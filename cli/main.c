/* SPDX-License-Identifier: MIT */
/*
 * agent-accel: one binary, one subcommand per line of commands.def. This
 * file only dispatches; each subcommand parses its own options and prints
 * its own --help.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

struct cmd {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
};

static const struct cmd cmds[] = {
#define ACCEL_CMD(name, summary) { #name, summary, accel_cmd_##name },
#include "commands.def"
#undef ACCEL_CMD
};

static void usage(FILE *f)
{
	fprintf(f, "usage: agent-accel <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(*cmds); i++)
		fprintf(f, "  %-12s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f, "\nRun 'agent-accel <command> --help' for its options.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(*cmds); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].run(argc - 1, argv + 1);
	fprintf(stderr, "agent-accel: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return 2;
}
