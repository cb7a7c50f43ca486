/* SPDX-License-Identifier: MIT */
/*
 * The agent-accel command line as a user runs it: each case spawns the
 * built binary with real files (npm packages in node_modules, system files)
 * and checks its output, the files it writes and its exit status.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_file.h"

extern char **environ;

#define NM ACCEL_SOURCE_DIR "/node_modules/"

struct run {
	int status; /* exit status, or 128 + signal */
	char *out, *err;
	size_t out_len;
};

static char dir[] = "/tmp/accel-cli-test-XXXXXX";

static void setup(void)
{
	cr_assert_not_null(mkdtemp(dir));
	setenv("ACCEL_ENGINE", ACCEL_ENGINE_BIN, 1);
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(cli, .init = setup, .fini = teardown, .timeout = 120);

/* Runs agent-accel with argv (NULL-ended), stdin from in (or /dev/null). */
static struct run cli(const char *in, const char *const *args)
{
	char out[256], err[256];
	const char *argv[32] = { ACCEL_CLI_BIN };
	posix_spawn_file_actions_t fa;
	struct run r = { 0 };
	pid_t pid;
	int st, n = 1;

	while (*args)
		argv[n++] = *args++;
	argv[n] = NULL;
	snprintf(out, sizeof(out), "%s/.out", dir);
	snprintf(err, sizeof(err), "%s/.err", dir);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, in ? in : "/dev/null",
					 O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, out,
					 O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_addopen(&fa, 2, err,
					 O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert_eq(posix_spawn(&pid, ACCEL_CLI_BIN, &fa, NULL,
				 (char *const *)argv, environ),
		     0);
	posix_spawn_file_actions_destroy(&fa);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	r.out = tread(out, &r.out_len);
	r.err = tread(err, NULL);
	return r;
}

#define CLI(in, ...) cli(in, (const char *const[]){ __VA_ARGS__, NULL })

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

static char *path_in(const char *name)
{
	static char p[8][256];
	static int k;
	char *s = p[k++ % 8];

	snprintf(s, sizeof(p[0]), "%s/%s", dir, name);
	return s;
}

Test(cli, help_lists_every_command)
{
	struct run r = CLI(NULL, "--help");

	cr_assert_eq(r.status, 0, "%s", r.err);
	for (const char *c = "exec\0stats\0symbols\0diff\0apply\0tokens\0"; *c;
	     c += strlen(c) + 1)
		cr_expect_not_null(strstr(r.out, c), "help lacks %s", c);
	run_free(&r);
	r = CLI(NULL, "no-such-command");
	cr_assert_eq(r.status, 2);
	cr_assert_neq(r.err[0], 0, "no word on a bad command");
	run_free(&r);
}

Test(cli, exec_feeds_stdin_and_maps_exit_status)
{
	const char *file = "/usr/include/stdio.h";
	struct stat st;
	struct run r;

	cr_assert_eq(stat(file, &st), 0);
	r = CLI(file, "exec", "-q", "--stdin", "-", "--", "wc", "-c");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(strtoll(r.out, NULL, 10), st.st_size);
	run_free(&r);
	r = CLI(NULL, "exec", "-q", "--stdin", file, "--", "wc", "-c");
	cr_assert_eq(strtoll(r.out, NULL, 10), st.st_size);
	run_free(&r);
	r = CLI(NULL, "exec", "-q", "--stdin", "/nonexistent/x", "--", "cat");
	cr_assert_eq(r.status, 2);
	cr_assert_not_null(strstr(r.err, "/nonexistent/x"), "%s", r.err);
	run_free(&r);

	r = CLI(NULL, "exec", "-q", "--", "sh", "-c", "exit 7");
	cr_assert_eq(r.status, 7);
	run_free(&r);
	r = CLI(NULL, "exec", "-q", "--", "/nonexistent/binary");
	cr_assert_eq(r.status, 127, "%s", r.err);
	run_free(&r);
	r = CLI(NULL, "exec", "-q", "--timeout", "200ms", "--grace", "100ms",
		"--", "sleep", "30");
	cr_assert_eq(r.status, 124);
	run_free(&r);
}

Test(cli, exec_writes_only_inside_write_roots)
{
	char *in = path_in("in"), *outside = path_in("outside.txt");
	char script[512];
	struct run r;

	cr_assert_eq(mkdir(in, 0700), 0);
	snprintf(script, sizeof(script),
		 "echo a > %s/inside.txt; echo b > %s; echo done", in, outside);
	r = CLI(NULL, "exec", "-q", "--write", in, "--", "sh", "-c", script);
	cr_assert_str_eq(r.out, "done\n", "%s", r.err);
	run_free(&r);
	cr_assert_eq(access(path_in("in/inside.txt"), F_OK), 0);
	cr_assert_neq(access(outside, F_OK), 0, "wrote outside its roots");

	r = CLI(NULL, "exec", "--explain");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_not_null(strstr(r.out, "landlock"), "%s", r.out);
	run_free(&r);
}

/* diff of two real builds of one source, then apply it both ways. */
Test(cli, diff_then_apply_round_trips)
{
	const char *a = NM "diff/libcjs/patch/create.js";
	const char *b = NM "diff/libesm/patch/create.js";
	char *patch = path_in("p.diff"), *fwd = path_in("fwd.js"),
	     *back = path_in("back.js");
	char *want_a, *want_b, *got;
	FILE *f;
	struct run r;

	r = CLI(NULL, "diff", a, b);
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert(strncmp(r.out, "--- ", 4) == 0, "%.80s", r.out);
	f = fopen(patch, "wb");
	cr_assert_eq(fwrite(r.out, 1, r.out_len, f), r.out_len);
	fclose(f);
	run_free(&r);

	r = CLI(NULL, "apply", "-s", "-o", fwd, a, patch);
	cr_assert_eq(r.status, 0, "%s", r.err);
	run_free(&r);
	r = CLI(NULL, "apply", "-s", "-R", "-o", back, b, patch);
	cr_assert_eq(r.status, 0, "%s", r.err);
	run_free(&r);

	want_a = tread(a, NULL);
	want_b = tread(b, NULL);
	got = tread(fwd, NULL);
	cr_assert_str_eq(got, want_b);
	free(got);
	got = tread(back, NULL);
	cr_assert_str_eq(got, want_a);
	free(got);
	free(want_a);
	free(want_b);

	r = CLI(NULL, "diff", a, a);
	cr_assert_eq(r.status, 0);
	cr_assert_eq(r.out_len, 0);
	run_free(&r);
	r = CLI(NULL, "apply", "-s", "-o", fwd, a, "/etc/hostname");
	cr_assert_eq(r.status, 2, "not a patch, yet: %s", r.err);
	run_free(&r);
}

Test(cli, tokens_count_equals_ids_and_limit_stops)
{
	const char *file = NM "lodash/debounce.js";
	struct run r = CLI(NULL, "tokens", "--ids", file);
	long ids = 0, count;

	cr_assert_eq(r.status, 0, "%s", r.err);
	for (char *p = r.out; (p = strpbrk(p, "0123456789")); ids++)
		p += strspn(p, "0123456789");
	run_free(&r);
	r = CLI(NULL, "tokens", file);
	cr_assert_eq(r.status, 0, "%s", r.err);
	count = strtol(r.out, NULL, 10);
	cr_assert_gt(count, 100);
	cr_assert_eq(count, ids, "count %ld, ids %ld", count, ids);
	run_free(&r);
	r = CLI(file, "tokens", "-");
	cr_assert_eq(strtol(r.out, NULL, 10), count);
	run_free(&r);
	r = CLI(NULL, "tokens", "--limit", "10", file);
	cr_assert_eq(r.status, 3);
	run_free(&r);
	r = CLI(NULL, "tokens", "--encoding", "p50k", file);
	cr_assert_eq(r.status, 2);
	run_free(&r);
}

Test(cli, symbols_index_then_query)
{
	char *db = path_in("sym.db");
	struct run r = CLI(NULL, "symbols", "index", NM "diff/libesm/patch",
			   "--db", db);

	cr_assert_eq(r.status, 0, "%s", r.err);
	run_free(&r);
	r = CLI(NULL, "symbols", "query", "structuredPatch", "--db", db,
		"--limit", "3");
	cr_assert_eq(r.status, 0, "%s", r.err);
	/* The exact name ranks first: the first line names it. */
	cr_assert_not_null(strstr(r.out, " structuredPatch "), "%s", r.out);
	cr_assert(strstr(r.out, " structuredPatch ") < strchr(r.out, '\n'),
		  "%s", r.out);
	run_free(&r);
	r = CLI(NULL, "symbols", "query", "sP", "--db", db, "--limit", "20");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_not_null(strstr(r.out, "structuredPatch"), "%s", r.out);
	run_free(&r);
}

Test(cli, stats_from_a_private_engine)
{
	struct run r = CLI(NULL, "stats", "--json");

	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(r.out[0], '{', "%s", r.out);
	cr_assert_not_null(strstr(r.out, "\"ops\""), "%s", r.out);
	run_free(&r);
}
