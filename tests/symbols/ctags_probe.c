/* SPDX-License-Identifier: MIT */
/*
 * A stand-in for universal-ctags that probes the sandbox it runs in, for
 * test_symbols_sandbox.c. It takes ctags' arguments (and ignores them),
 * reads the file list from stdin like `ctags -L -`, and for every listed
 * file reads its lines as commands:
 *
 *   read PATH     open PATH for reading
 *   write PATH    create PATH
 *   net           open a TCP socket
 *   spawn PATH    exec PATH (must not be possible outside the roots)
 *
 * For each command it prints one ctags JSON tag named after the command's
 * label and outcome ("secret_denied", "inside_ok", ...), so that the test
 * reads the outcome back through the index.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static void tag(const char *file, int line, const char *label, int ok)
{
	printf("{\"_type\": \"tag\", \"name\": \"%s_%s\", \"path\": \"%s\", "
	       "\"line\": %d, \"kind\": \"variable\"}\n",
	       label, ok ? "ok" : "denied", file, line);
}

static int try_read(const char *path)
{
	char b[16];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, b, sizeof(b));
	close(fd);
	return n > 0;
}

static int try_write(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);

	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

static int try_net(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

static int try_spawn(const char *path)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return 0;
	if (!pid) {
		execl(path, path, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		return 0;
	return WIFEXITED(st) && WEXITSTATUS(st) != 127;
}

int main(void)
{
	char file[4096], line[4096], label[64], arg[4096];

	while (fgets(file, sizeof(file), stdin)) {
		FILE *f;
		int no = 0;

		file[strcspn(file, "\n")] = 0;
		f = fopen(file, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			char cmd[16];
			int n;

			no++;
			arg[0] = 0;
			n = sscanf(line, "%15s %63s %4095s", cmd, label, arg);
			if (n < 2)
				continue;
			if (!strcmp(cmd, "read"))
				tag(file, no, label, try_read(arg));
			else if (!strcmp(cmd, "write"))
				tag(file, no, label, try_write(arg));
			else if (!strcmp(cmd, "net"))
				tag(file, no, label, try_net());
			else if (!strcmp(cmd, "spawn"))
				tag(file, no, label, try_spawn(arg));
		}
		fclose(f);
	}
	return 0;
}
