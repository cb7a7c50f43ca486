'use strict';
// agent-accel/keep-up executors (lib/keep-up/exec.js): keep-up's
// ProcessBashExecutor and RustBashExecutor over the engine's exec op.
// Results and exit codes, -1 for signals and start failures, per-stream
// caps on more than 1 MiB of output, the workspace policy, timeouts and
// aborts that kill a double-forked tree (checked by scanning /proc).
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { keepUp, marker, procsWith, until, tmpDir } =
	require('../testlib/keepup-helpers.js');

const ku = keepUp();
let ws;

test.before(() => {
	ws = tmpDir('exec');
});
test.after(() => {
	fs.rmSync(ws, { recursive: true, force: true });
});

test('exit code, stdout, stderr, cwd and env', async () => {
	const ex = new ku.ProcessBashExecutor();
	const r = await ex.execute('echo "$PWD $GREETING"; echo oops >&2; ' +
		'exit 7', { cwd: ws, env: { GREETING: 'hello' } });
	assert.equal(r.exitCode, 7);
	assert.equal(r.stdout, `${ws} hello\n`);
	assert.equal(r.stderr, 'oops\n');
	assert.equal(r.timedOut, false);
	assert.equal(r.truncated, false);
	assert.ok(Number.isInteger(r.durationMs) && r.durationMs >= 0);
	/* The command is a bash -c script: pipes and expansions work. */
	const p = await ex.execute('printf "%s\\n" a b c | wc -l', { cwd: ws });
	assert.equal(p.stdout.trim(), '3');
});

test('death by a signal is exit code -1', async () => {
	const ex = new ku.ProcessBashExecutor();
	/*
	 * The shell is pid 1 of its namespace, which ignores signals it has
	 * no handler for; a fault is delivered anyway.
	 */
	const r = await ex.execute('exec /usr/bin/python3 -c ' +
		'"import ctypes; ctypes.string_at(0)"', { cwd: ws });
	assert.equal(r.exitCode, -1);
	assert.equal(r.timedOut, false);
});

test('a command that cannot start: -1 and the message in stderr',
	async () => {
		const ex = new ku.ProcessBashExecutor();
		const r = await ex.execute('true',
			{ cwd: path.join(ws, 'no-such-dir') });
		assert.equal(r.exitCode, -1);
		assert.match(r.stderr, /does not exist|working directory/);
		const sh = new ku.ProcessBashExecutor('/no/such/shell');
		const s = await sh.execute('true', { cwd: ws });
		assert.equal(s.exitCode, -1);
		assert.match(s.stderr, /not found/);
	});

test('more than 1 MiB of output: capped per stream at maxOutputBytes',
	async () => {
		const ex = new ku.ProcessBashExecutor();
		const big = 'head -c 3000000 /dev/zero | tr "\\0" a; ' +
			'head -c 1500000 /dev/zero | tr "\\0" b >&2';
		/* Default cap: 1 MiB per stream, the head of each. */
		const r = await ex.execute(big, { cwd: ws });
		assert.equal(r.exitCode, 0);
		assert.equal(r.stdout.length, 1024 * 1024);
		assert.equal(r.stderr.length, 1024 * 1024);
		assert.match(r.stdout, /^a+$/);
		assert.match(r.stderr, /^b+$/);
		assert.equal(r.truncated, true);
		/* A larger cap: every byte, nothing truncated. */
		const all = await ex.execute(big, { cwd: ws,
			maxOutputBytes: 4 << 20 });
		assert.equal(all.stdout.length, 3000000);
		assert.equal(all.stderr.length, 1500000);
		assert.equal(all.truncated, false);
		/* Only the stream past the cap counts. */
		const one = await ex.execute('seq 1 100; seq 1 5 >&2',
			{ cwd: ws, maxOutputBytes: 12 });
		assert.equal(one.stdout, '1\n2\n3\n4\n5\n6\n');
		assert.equal(one.stderr, '1\n2\n3\n4\n5\n');
		assert.equal(one.truncated, true);
	});

test('workspace policy: writes land in the cwd, not outside it',
	async () => {
		const outside = fs.mkdtempSync('/var/tmp/keepup-outside-');
		try {
			const ex = new ku.ProcessBashExecutor('/bin/bash',
				{ allowedRoots: [ws] });
			const target = path.join(outside, 'x');
			const r = await ex.execute(`echo in > inside.txt; ` +
				`echo out > ${target}; echo rc=$?`, { cwd: ws });
			assert.equal(fs.readFileSync(path.join(ws, 'inside.txt'),
				'utf8'), 'in\n');
			assert.equal(fs.existsSync(target), false);
			assert.match(r.stdout, /rc=1/);
			/* The default roots (cwd and the temp dir) do not cover it either. */
			const d = await new ku.ProcessBashExecutor().execute(
				`echo out > ${target}`, { cwd: ws });
			assert.notEqual(d.exitCode, 0);
			assert.equal(fs.existsSync(target), false);
		} finally {
			fs.rmSync(outside, { recursive: true, force: true });
		}
	});

test('timeout kills a double-forked sleeper and the whole tree',
	async () => {
		const m = marker();
		const ex = new ku.ProcessBashExecutor();
		const r = await ex.execute(`(setsid sleep ${m} &) ; ` +
			`(sleep ${m} &) ; sleep ${m}`, { cwd: ws, timeoutMs: 300 });
		assert.equal(r.timedOut, true);
		assert.equal(r.exitCode, -1);
		assert.ok(await until(() => procsWith(m).length === 0),
			`left behind: ${procsWith(m)}`);
	});

test('abort mid-run kills the tree; the result says so', async () => {
	const m = marker();
	const ex = new ku.ProcessBashExecutor();
	const ac = new AbortController();
	const p = ex.execute(`echo started; (setsid sleep ${m} &) ; ` +
		`sleep ${m} & sleep ${m}; wait`, { cwd: ws, signal: ac.signal,
		timeoutMs: 600000 });
	/* bash and its three sleepers. */
	const started = await until(() => procsWith(m).length >= 4);
	ac.abort();
	const r = await p;
	/* It returns once the tree is gone, with what it wrote until then. */
	assert.deepEqual(procsWith(m), []);
	assert.ok(started, 'the sleepers did not start');
	assert.equal(r.exitCode, -1);
	assert.equal(r.stdout, 'started\n');
	assert.equal(r.stderr, 'Execution aborted.');
	assert.equal(r.timedOut, false);
});

test('aborted before start: nothing runs', async () => {
	const ex = new ku.ProcessBashExecutor();
	const flag = path.join(ws, 'ran');
	const r = await ex.execute(`touch ${flag}`,
		{ cwd: ws, signal: AbortSignal.abort() });
	assert.equal(r.exitCode, -1);
	assert.equal(r.stderr, 'Execution aborted before start.');
	assert.equal(fs.existsSync(flag), false);
});

test('RustBashExecutor: sandbox config, allowlist said plainly', async () => {
	const ex = new ku.RustBashExecutor({ networkAccess: 'allowlist',
		allowedHosts: ['registry.npmjs.org'], fsIsolation: 'workspace',
		workingDirectory: ws });
	const r = await ex.execute('echo hi > rust.txt; cat rust.txt; ' +
		'exec 3<>/dev/tcp/127.0.0.1/9 && echo connected', {});
	assert.equal(r.stdout, 'hi\n');
	assert.equal(r.network, 'none');
	assert.equal(r.notes.length, 1);
	assert.match(r.notes[0], /allowlist.*without network/);
	assert.match(r.notes[0], /registry\.npmjs\.org/);
	assert.throws(() => new ku.RustBashExecutor({ networkAccess: 'some',
		fsIsolation: 'none' }), { code: 'ERR_INVALID_ARG_VALUE' });
	/* The cwd must be inside the sandbox's roots. */
	const o = await ex.execute('true', { cwd: os.homedir() });
	assert.equal(o.exitCode, -1);
	assert.match(o.stderr, /path denied/);
});
