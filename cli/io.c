/* SPDX-License-Identifier: MIT */
/* Helpers the subcommands share (cli.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

char *accel_cli_read_all(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	size_t cap = 1 << 16, n = 0, r;
	char *buf = malloc(cap), *nb;

	if (!f || !buf)
		goto err;
	while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap) {
			nb = realloc(buf, cap *= 2);
			if (!nb)
				goto err;
			buf = nb;
		}
	}
	if (ferror(f))
		goto err;
	if (f != stdin)
		fclose(f);
	*len = n;
	return buf;
err:
	r = errno ? (size_t)errno : ENOMEM;
	if (f && f != stdin)
		fclose(f);
	free(buf);
	errno = (int)r;
	return NULL;
}
