/* SPDX-License-Identifier: MIT */
/*
 * agent-accel exec: run one command under the sandbox, for people. Output is
 * streamed as it comes; a summary of what the sandbox did goes to stderr.
 * Exit status follows timeout(1): the command's own status, 128+signal when
 * it was killed, 124 on timeout, 125 when the sandbox itself failed, 126
 * when the command cannot run, 127 when it is not found.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <liburing.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accel_err.h"
#include "cli.h"
#include "sandbox.h"

extern char **environ;

#define MAX_LIST 64

struct list {
	const char *v[MAX_LIST];
	size_t n;
};

static void help(FILE *f)
{
	fprintf(f,
		"usage: agent-accel exec [options] -- command [args...]\n"
		"\n"
		"Runs the command under kernel isolation: namespaces, Landlock, "
		"seccomp,\nno_new_privs, rlimits and cgroups where available. "
		"The filesystem is\nread-only unless --write says otherwise; "
		"secrets in the environment are\nnot passed on unless --env "
		"allows them.\n"
		"\n"
		"  --read DIR        readable root (repeatable; default: /)\n"
		"  --write DIR       writable root (repeatable)\n"
		"  --deny PATH       hide PATH (repeatable; DIR/**/NAME hides "
		"every NAME\n"
		"                    under DIR)\n"
		"  --readonly PATH   keep PATH read-only inside a writable "
		"root\n"
		"  --net MODE        none (default) | loopback | full\n"
		"  --timeout T       kill the whole tree after T (30s, 500ms, "
		"2m)\n"
		"  --grace T         SIGTERM-to-SIGKILL delay (default 2s)\n"
		"  --cwd DIR         working directory (default: first "
		"--write, else /)\n"
		"  --env NAME        pass NAME from our environment (NAME* "
		"for a prefix)\n"
		"  --set NAME=VALUE  set a variable\n"
		"  --stdin FILE      feed FILE ('-': our stdin) to the command "
		"(default:\n                    /dev/null)\n"
		"  --mem BYTES       memory limit (K/M/G suffixes)\n"
		"  --pids N          process limit\n"
		"  --cpu SECONDS     CPU time limit\n"
		"  --cpu-percent N   CPU bandwidth, percent of one CPU (cgroup)\n"
		"  --private-tmp     fresh /tmp\n"
		"  --trace-writes    report writes attempted outside the "
		"writable roots\n"
		"  --require LAYER   fail unless LAYER is in force "
		"(repeatable)\n"
		"  --disable LAYER   do not use LAYER (repeatable)\n"
		"  --cap BYTES       bytes kept of each stream's head and "
		"tail (default 64K)\n"
		"  --no-uring        drive the command with poll(2) instead "
		"of io_uring\n"
		"  --explain         print the effective policy and the "
		"layers this\n"
		"                    kernel supports (and run the command "
		"if one is given)\n"
		"  -q, --quiet       no summary on stderr\n"
		"  -h, --help        this text\n"
		"\n"
		"Layers: userns pidns mntns ipcns utsns netns landlock-fs "
		"landlock-net\n"
		"landlock-scope seccomp seccomp-notify no-new-privs noroot "
		"cgroup rlimits\npdeathsig\n");
}

/* "30s", "500ms", "2m", "1h", or plain seconds. Returns ms or -1. */
static long long parse_duration(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || v < 0)
		return -1;
	if (!*end || !strcmp(end, "s"))
		return (long long)(v * 1000);
	if (!strcmp(end, "ms"))
		return (long long)v;
	if (!strcmp(end, "m"))
		return (long long)(v * 60000);
	if (!strcmp(end, "h"))
		return (long long)(v * 3600000);
	return -1;
}

static long long parse_size(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || v < 0)
		return -1;
	switch (*end) {
	case 'k':
	case 'K':
		v *= 1024;
		break;
	case 'm':
	case 'M':
		v *= 1024 * 1024;
		break;
	case 'g':
	case 'G':
		v *= 1024.0 * 1024 * 1024;
		break;
	case '\0':
		break;
	default:
		return -1;
	}
	return (long long)v;
}

static int parse_layer(const char *s, uint32_t *mask)
{
	for (uint32_t b = 1; b <= ACCEL_SANDBOX_L_PDEATHSIG; b <<= 1) {
		if (!strcmp(accel_sandbox_layer_name(b), s)) {
			*mask |= b;
			return 0;
		}
	}
	return -1;
}

static int push(struct list *l, const char *s)
{
	if (l->n == MAX_LIST - 1) {
		fprintf(stderr, "agent-accel exec: too many list entries\n");
		return -1;
	}
	l->v[l->n++] = s;
	return 0;
}

static void on_output(void *arg, int stream, const void *data, size_t len)
{
	int merged = *(int *)arg;
	int fd = (stream == 1 && !merged) ? 2 : 1;
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static int cancelled(void *arg)
{
	(void)arg;
	return interrupted;
}

static void summary(const struct accel_sandbox_result *r)
{
	if (r->layers_missing) {
		fprintf(stderr, "agent-accel: WARNING: layers missing here:");
		for (uint32_t b = 1; b <= ACCEL_SANDBOX_L_PDEATHSIG; b <<= 1)
			if (r->layers_missing & b)
				fprintf(stderr, " %s",
					accel_sandbox_layer_name(b));
		fprintf(stderr, "\n");
	}
	fprintf(stderr, "agent-accel: ");
	if (r->flags & ACCEL_SANDBOX_R_TIMED_OUT)
		fprintf(stderr, "timed out, tree killed; ");
	if (r->flags & ACCEL_SANDBOX_R_CANCELLED)
		fprintf(stderr, "cancelled, tree killed; ");
	if (r->flags & ACCEL_SANDBOX_R_OUTPUT_LIMIT)
		fprintf(stderr, "output limit reached; ");
	if (r->flags & ACCEL_SANDBOX_R_OOM)
		fprintf(stderr, "memory limit reached; ");
	if (r->flags & ACCEL_SANDBOX_R_PIDS_LIMIT)
		fprintf(stderr, "process limit reached; ");
	if (r->term_signal)
		fprintf(stderr, "killed by signal %d", r->term_signal);
	else
		fprintf(stderr, "exit %d", r->exit_code);
	fprintf(stderr, ", %.1f ms wall, %.1f ms cpu, peak rss %llu KiB\n",
		r->wall_ns / 1e6, (r->user_ns + r->sys_ns) / 1e6,
		(unsigned long long)(r->peak_rss_bytes / 1024));
	for (uint32_t i = 0; i < r->n_violations; i++)
		fprintf(stderr, "agent-accel: denied %s (pid %d)\n",
			r->violations[i].what, r->violations[i].pid);
	if (r->violations_dropped)
		fprintf(stderr, "agent-accel: ... and %u more denials\n",
			r->violations_dropped);
	for (int i = 0; i < 2; i++)
		if (r->out[i].elided)
			fprintf(stderr,
				"agent-accel: %s: %llu bytes in the middle "
				"not kept\n",
				i ? "stderr" : "stdout",
				(unsigned long long)r->out[i].elided);
}

static int exit_status(int ret, const struct accel_sandbox_result *r)
{
	if (ret == -ACCEL_E_SANDBOX_NOT_FOUND)
		return 127;
	if (ret == -ACCEL_E_SANDBOX_NOT_EXEC)
		return 126;
	if (ret)
		return 125;
	if (r->flags & ACCEL_SANDBOX_R_TIMED_OUT)
		return 124;
	if (r->term_signal)
		return 128 + r->term_signal;
	return r->exit_code;
}

int accel_cmd_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "read", required_argument, NULL, 'r' },
		{ "write", required_argument, NULL, 'w' },
		{ "deny", required_argument, NULL, 'd' },
		{ "readonly", required_argument, NULL, 'R' },
		{ "net", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "grace", required_argument, NULL, 'g' },
		{ "cwd", required_argument, NULL, 'c' },
		{ "env", required_argument, NULL, 'e' },
		{ "set", required_argument, NULL, 's' },
		{ "stdin", required_argument, NULL, 'I' },
		{ "mem", required_argument, NULL, 'M' },
		{ "pids", required_argument, NULL, 'P' },
		{ "cpu", required_argument, NULL, 'C' },
		{ "cpu-percent", required_argument, NULL, 'B' },
		{ "private-tmp", no_argument, NULL, 'T' },
		{ "trace-writes", no_argument, NULL, 'W' },
		{ "require", required_argument, NULL, 'q' + 256 },
		{ "disable", required_argument, NULL, 'D' },
		{ "cap", required_argument, NULL, 'k' },
		{ "no-uring", no_argument, NULL, 'U' },
		{ "explain", no_argument, NULL, 'x' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct list rd = { 0 }, wr = { 0 }, dn = { 0 }, ro = { 0 }, env = { 0 },
		    set = { 0 };
	struct accel_sandbox_policy pol = { 0 };
	struct accel_sandbox_exec req = { 0 };
	struct accel_sandbox_drive_opts dopts = { 0 };
	struct accel_sandbox_result res;
	struct accel_sandbox *sb = NULL;
	struct io_uring ring;
	int explain = 0, quiet = 0, use_uring = 1, have_ring = 0, merged = 0;
	const char *stdin_path = NULL;
	char *input = NULL;
	long long v;
	int c, ret;

	pol.net = ACCEL_SANDBOX_NET_NONE;
	/* One command per policy: a launcher would only cost its start. */
	pol.flags = ACCEL_SANDBOX_F_NO_LAUNCHER;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+qh", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (push(&rd, optarg))
				return 2;
			break;
		case 'w':
			if (push(&wr, optarg))
				return 2;
			break;
		case 'd':
			if (push(&dn, optarg))
				return 2;
			break;
		case 'R':
			if (push(&ro, optarg))
				return 2;
			break;
		case 'e':
			if (push(&env, optarg))
				return 2;
			break;
		case 's':
			if (!strchr(optarg, '=') || push(&set, optarg)) {
				fprintf(stderr, "agent-accel exec: --set "
						"wants NAME=VALUE\n");
				return 2;
			}
			break;
		case 'n':
			if (!strcmp(optarg, "none"))
				pol.net = ACCEL_SANDBOX_NET_NONE;
			else if (!strcmp(optarg, "loopback"))
				pol.net = ACCEL_SANDBOX_NET_LOOPBACK;
			else if (!strcmp(optarg, "full"))
				pol.net = ACCEL_SANDBOX_NET_FULL;
			else {
				fprintf(stderr, "agent-accel exec: --net is "
						"none, loopback or full\n");
				return 2;
			}
			break;
		case 't':
		case 'g':
			v = parse_duration(optarg);
			if (v < 0) {
				fprintf(stderr,
					"agent-accel exec: bad "
					"duration '%s'\n",
					optarg);
				return 2;
			}
			if (c == 't')
				req.timeout_ms = (uint64_t)v;
			else
				req.kill_grace_ms = (uint64_t)(v ? v : 1);
			break;
		case 'c':
			req.cwd = optarg;
			break;
		case 'I':
			stdin_path = optarg;
			break;
		case 'M':
		case 'k':
			v = parse_size(optarg);
			if (v < 0) {
				fprintf(stderr,
					"agent-accel exec: bad size "
					"'%s'\n",
					optarg);
				return 2;
			}
			if (c == 'M')
				pol.mem_bytes = (uint64_t)v;
			else
				req.head_bytes = req.tail_bytes = (uint32_t)v;
			break;
		case 'P':
			pol.pids_max = strtoull(optarg, NULL, 10);
			break;
		case 'C':
			pol.cpu_ms = strtoull(optarg, NULL, 10) * 1000;
			break;
		case 'B':
			pol.cpu_percent = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'T':
			pol.flags |= ACCEL_SANDBOX_F_PRIVATE_TMP;
			break;
		case 'W':
			pol.flags |= ACCEL_SANDBOX_F_TRACE_WRITES;
			break;
		case 'q' + 256:
		case 'D':
			if (parse_layer(optarg, c == 'D' ? &pol.disabled :
							   &pol.required)) {
				fprintf(stderr,
					"agent-accel exec: unknown "
					"layer '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'U':
			use_uring = 0;
			break;
		case 'x':
			explain = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			help(stdout);
			return 0;
		default:
			help(stderr);
			return 2;
		}
	}
	if (optind >= argc && !explain) {
		help(stderr);
		return 2;
	}
	pol.read = rd.v;
	pol.n_read = rd.n;
	pol.write = wr.v;
	pol.n_write = wr.n;
	pol.deny = dn.v;
	pol.n_deny = dn.n;
	pol.readonly = ro.v;
	pol.n_readonly = ro.n;
	if (env.n) {
		/* PATH is always wanted; the rest is the user's list. */
		push(&env, "PATH");
		pol.env_allow = env.v;
		pol.n_env_allow = env.n;
	}
	ret = accel_sandbox_policy_compile(&pol, &sb);
	if (ret) {
		fprintf(stderr, "agent-accel exec: policy: %s\n",
			accel_strerror(ret));
		for (uint32_t b = 1; ret == -ACCEL_E_SANDBOX_LAYER_MISSING &&
				     b <= ACCEL_SANDBOX_L_PDEATHSIG;
		     b <<= 1)
			if ((pol.required & b) &&
			    !(accel_sandbox_probe()->layers & b))
				fprintf(stderr,
					"agent-accel exec: absent here: %s\n",
					accel_sandbox_layer_name(b));
		return 125;
	}
	if (explain) {
		accel_sandbox_explain(sb, 1);
		if (optind >= argc) {
			accel_sandbox_destroy(sb);
			return 0;
		}
	}

	if (stdin_path) {
		input = accel_cli_read_all(stdin_path, &req.stdin_len);
		if (!input) {
			fprintf(stderr, "agent-accel exec: --stdin %s: %s\n",
				stdin_path, strerror(errno));
			accel_sandbox_destroy(sb);
			return 2;
		}
		req.stdin_data = input;
	}
	set.v[set.n] = NULL;
	req.argv = (const char *const *)(argv + optind);
	req.env = (const char *const *)environ;
	req.env_set = set.n ? set.v : NULL;
	if (use_uring && io_uring_queue_init(16, &ring, 0) == 0) {
		have_ring = 1;
		dopts.ring = &ring;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	dopts.on_output = on_output;
	dopts.cancelled = cancelled;
	dopts.arg = &merged;
	ret = accel_sandbox_run(sb, &req, &dopts, &res);
	if (ret) {
		fprintf(stderr, "agent-accel exec: %s", accel_strerror(ret));
		if (res.failed_step)
			fprintf(stderr, " (step %s: %s)",
				accel_sandbox_step_name(res.failed_step),
				strerror(res.failed_errno));
		fprintf(stderr, "\n");
	} else if (!quiet) {
		summary(&res);
	}
	c = exit_status(ret, &res);
	accel_sandbox_result_free(&res);
	if (have_ring)
		io_uring_queue_exit(&ring);
	accel_sandbox_destroy(sb);
	free(input);
	return c;
}
