/* SPDX-License-Identifier: MIT */
/*
 * Workspace indexing runs universal-ctags under the sandbox: the result
 * reports the layers in force, and a stand-in ctags (ctags_probe.c) that
 * tries to read a planted file outside the readable roots, read /etc,
 * write into the workspace, open a socket and run a binary from outside
 * the roots is refused each time, while it can read the workspace.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "accel_err.h"
#include "fixture.h"
#include "sandbox.h"

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

static void copy_file(const char *from, const char *to, mode_t mode)
{
	FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
	char buf[65536];
	size_t n;

	cr_assert(a && b, "%s -> %s", from, to);
	while ((n = fread(buf, 1, sizeof(buf), a)))
		fwrite(buf, 1, n, b);
	fclose(a);
	fclose(b);
	chmod(to, mode);
}

/* The name the probe printed for label ("<label>_ok", "_denied"), or NULL. */
static const char *outcome(struct accel_symbols *idx, const char *label)
{
	static char got[64];
	char q[64];
	void *res;

	for (int ok = 0; ok < 2; ok++) {
		snprintf(q, sizeof(q), "%s_%s", label, ok ? "ok" : "denied");
		res = fx_query(idx, q, 1, ACCEL_SYMBOLS_MODE_EXACT,
			       ACCEL_SYMBOLS_CASE_RESPECT, 0, NULL);
		if (fx_name(res, 0)[0]) {
			snprintf(got, sizeof(got), "%s", fx_name(res, 0));
			free(res);
			return got;
		}
		free(res);
	}
	return NULL;
}

/* The layers this machine can give that the ctags policy asks for. */
static uint32_t expected_layers(void)
{
	const uint32_t want =
		ACCEL_SANDBOX_L_LANDLOCK_FS | ACCEL_SANDBOX_L_SECCOMP |
		ACCEL_SANDBOX_L_NO_NEW_PRIVS | ACCEL_SANDBOX_L_RLIMITS |
		ACCEL_SANDBOX_L_MNTNS | ACCEL_SANDBOX_L_PIDNS;

	return accel_sandbox_probe()->layers & want;
}

Test(symbols_sandbox, ctags_cannot_reach_outside_its_roots, .timeout = 120)
{
	char ws[] = "/var/tmp/accel-sym-sb-XXXXXX";
	char out[] = "/var/tmp/accel-sym-secret-XXXXXX";
	char path[512], probe[4096];
	struct accel_symbols *idx;
	struct accel_symbols_ws_opts o = { 0 };
	struct accel_symbols_ws_result r;

	if (!(accel_sandbox_probe()->layers & ACCEL_SANDBOX_L_LANDLOCK_FS))
		cr_skip_test("no Landlock: reads are not confined here");
	cr_assert_not_null(mkdtemp(ws));
	cr_assert_not_null(mkdtemp(out));
	snprintf(path, sizeof(path), "%s/secret.txt", out);
	put(path, "planted secret\n");
	snprintf(path, sizeof(path), "%s/true", out);
	copy_file("/usr/bin/true", path, 0755);
	snprintf(path, sizeof(path), "%s/data.txt", ws);
	put(path, "inside the workspace\n");
	snprintf(probe, sizeof(probe),
		 "read inside %s/data.txt\n"
		 "read secret %s/secret.txt\n"
		 "read etc /etc/hostname\n"
		 "write create %s/created.txt\n"
		 "net socket\n"
		 "spawn outside %s/true\n"
		 "spawn usr /usr/bin/true\n",
		 ws, out, ws, out);
	snprintf(path, sizeof(path), "%s/probe.txt", ws);
	put(path, probe);

	cr_assert_eq(accel_symbols_create(NULL, &idx), 0);
	o.root = ws;
	o.ctags = ACCEL_CTAGS_PROBE;
	cr_assert_eq(accel_symbols_index_workspace(idx, &o, &r), 0);
	cr_assert_eq(r.files_indexed, 2);

	/* The control: the workspace and /usr are there. */
	cr_assert_str_eq(outcome(idx, "inside"), "inside_ok");
	cr_assert_str_eq(outcome(idx, "usr"), "usr_ok");
	/* Everything else is not. */
	cr_assert_str_eq(outcome(idx, "secret"), "secret_denied");
	cr_assert_str_eq(outcome(idx, "etc"), "etc_denied");
	cr_assert_str_eq(outcome(idx, "create"), "create_denied");
	cr_assert_str_eq(outcome(idx, "socket"), "socket_denied");
	cr_assert_str_eq(outcome(idx, "outside"), "outside_denied");
	snprintf(path, sizeof(path), "%s/created.txt", ws);
	cr_assert_neq(access(path, F_OK), 0, "ctags wrote into the workspace");

	/* The result says what was in force. */
	cr_assert_eq(r.sandbox_layers & expected_layers(), expected_layers(),
		     "layers %#llx", (unsigned long long)r.sandbox_layers);
	cr_assert_eq(r.sandbox_layers_missing, 0);
	accel_symbols_destroy(idx);

	snprintf(path, sizeof(path), "rm -rf '%s' '%s'", ws, out);
	cr_assert_eq(system(path), 0);
}

/* The real ctags, sandboxed, on real code, with the private /tmp. */
Test(symbols_sandbox, real_ctags_reports_layers, .timeout = 120)
{
	char ws[] = "/var/tmp/accel-sym-sb-XXXXXX", path[512];
	struct accel_symbols *idx;
	struct accel_symbols_ws_opts o = { 0 };
	struct accel_symbols_ws_result r;
	void *res;

	if (access("/usr/bin/ctags", X_OK))
		cr_skip_test("universal-ctags missing");
	cr_assert_not_null(mkdtemp(ws));
	snprintf(path, sizeof(path), "%s/debounce.js", ws);
	copy_file(ACCEL_SOURCE_DIR "/node_modules/lodash/debounce.js", path,
		  0644);
	cr_assert_eq(accel_symbols_create(NULL, &idx), 0);
	o.root = ws;
	cr_assert_eq(accel_symbols_index_workspace(idx, &o, &r), 0);
	cr_assert_eq(r.files_indexed, 1);
	cr_assert_gt(r.symbols, 3);
	res = fx_query(idx, "debounce", 5, ACCEL_SYMBOLS_MODE_EXACT, 0, 0,
		       NULL);
	cr_assert_str_eq(fx_name(res, 0), "debounce");
	free(res);
	cr_assert_eq(r.sandbox_layers & expected_layers(), expected_layers(),
		     "layers %#llx", (unsigned long long)r.sandbox_layers);
	cr_assert_eq(r.sandbox_violations, 0);
	accel_symbols_destroy(idx);

	/* A ctags that does not exist is a clear error. */
	cr_assert_eq(accel_symbols_create(NULL, &idx), 0);
	o.ctags = "/nonexistent/ctags";
	cr_assert_eq(accel_symbols_index_workspace(idx, &o, &r),
		     -ACCEL_E_SYM_CTAGS);
	accel_symbols_destroy(idx);
	snprintf(path, sizeof(path), "rm -rf '%s'", ws);
	cr_assert_eq(system(path), 0);
}
