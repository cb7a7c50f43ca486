/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accel_err.h"
#include "cli.h"
#include "client.h"

/*
 * agent-accel stats: the engine's per-op counters and latency percentiles,
 * from a daemon (--socket or $ACCEL_SOCKET) or from a private engine this
 * command starts (useful only to check that the engine runs).
 */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: agent-accel stats [--socket PATH] [--json]\n"
		"\n"
		"Prints the engine's per-op counters and service-time "
		"percentiles.\n"
		"  --socket PATH  a daemon's socket (default: $ACCEL_SOCKET; "
		"without\n"
		"                 either, a private engine is started)\n"
		"  --json         print the stats op's JSON document as is\n");
}

/* Reads "key":number after p; returns the number or 0. */
static unsigned long long num(const char *p, const char *end, const char *key)
{
	char pat[64];
	const char *q;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	q = memmem(p, (size_t)(end - p), pat, strlen(pat));
	return q ? strtoull(q + strlen(pat), NULL, 10) : 0;
}

static void print_table(const char *doc, size_t len)
{
	const char *end = doc + len, *ops = memmem(doc, len, "\"ops\":{", 7);
	const char *p;

	printf("engine pid %llu, %llu workers, %llu sessions, up %llu ms\n\n",
	       num(doc, end, "pid"), num(doc, end, "workers"),
	       num(doc, end, "sessions"), num(doc, end, "uptime_ms"));
	printf("%-14s %12s %8s %10s %10s %10s %10s\n", "op", "count", "errors",
	       "p50", "p99", "p999", "max");
	for (p = ops ? ops + 7 : end; p < end && *p == '"';) {
		const char *name = p + 1, *name_end = strchr(name, '"');
		const char *obj_end = name_end ? strchr(name_end, '}') : NULL;

		if (!obj_end)
			break;
		printf("%-14.*s %12llu %8llu %8.2fus %8.2fus %8.2fus %8.2fus\n",
		       (int)(name_end - name), name,
		       num(name_end, obj_end, "count"),
		       num(name_end, obj_end, "errors"),
		       num(name_end, obj_end, "p50_ns") / 1e3,
		       num(name_end, obj_end, "p99_ns") / 1e3,
		       num(name_end, obj_end, "p999_ns") / 1e3,
		       num(name_end, obj_end, "max_ns") / 1e3);
		p = obj_end + 1;
		if (*p == ',')
			p++;
	}
}

int accel_cmd_stats(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *sock = getenv("ACCEL_SOCKET");
	struct accel_client *c;
	struct accel_sqe *q;
	struct accel_cqe cqe;
	const char *doc;
	int json = 0, opt, ret;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			sock = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	ret = sock ? accel_client_connect(sock, NULL, &c) :
		     accel_client_spawn(NULL, &c);
	if (ret < 0) {
		fprintf(stderr, "agent-accel stats: %s%s%s\n",
			sock ? sock : "starting an engine", ": ",
			accel_strerror(ret));
		return 1;
	}
	q = accel_client_sqe(c);
	q->op = 3;
	accel_client_submit(c);
	while ((ret = accel_client_reap(c, &cqe, 1)) == 0) {
		ret = accel_client_wait(c, 5000000000ll);
		if (ret != 1)
			break;
	}
	if (ret < 0 || ret == 0 || cqe.res < 0) {
		fprintf(stderr, "agent-accel stats: %s\n",
			accel_strerror(ret < 0	? ret :
				       ret == 0 ? -ACCEL_E_TIMEOUT :
						  cqe.res));
		accel_client_destroy(c);
		return 1;
	}
	doc = accel_client_result(c, &cqe);
	if (json)
		printf("%.*s\n", (int)cqe.out_len, doc);
	else
		print_table(doc, cqe.out_len);
	accel_client_release(c, cqe.out_off);
	accel_client_destroy(c);
	return 0;
}
