'use strict';
// agent-accel/keep-up createSandbox (lib/keep-up/sandbox.js): keep-up's
// sandbox-rs object. Config checks and the roots of each fsIsolation mode,
// evaluateFileAction / read / write / list on real paths (symlink escapes:
// directory links, dangling links, chains, '..'), execute under the same
// roots, network modes (an allowlist runs without network and says so),
// output past 64 KiB, cancellation that leaves no process behind.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { keepUp, marker, procsWith, until, tmpDir } =
	require('../testlib/keepup-helpers.js');
const { loopbackServer } = require('../testlib/helpers.js');

const ku = keepUp();
let ws;
let outside;

test.before(() => {
	ws = tmpDir('sandbox');
	outside = fs.realpathSync(fs.mkdtempSync('/var/tmp/keepup-out-'));
	fs.mkdirSync(path.join(ws, 'src'));
	fs.writeFileSync(path.join(ws, 'src', 'a.txt'), 'alpha');
	fs.writeFileSync(path.join(outside, 'secret'), 'secret');
	fs.symlinkSync(outside, path.join(ws, 'out-dir'));
	fs.symlinkSync(path.join(outside, 'new-file'), path.join(ws, 'dangling'));
	fs.symlinkSync(path.join(ws, 'out-dir'), path.join(ws, 'chain'));
	fs.symlinkSync('src/a.txt', path.join(ws, 'inner-link'));
});
test.after(() => {
	fs.rmSync(ws, { recursive: true, force: true });
	fs.rmSync(outside, { recursive: true, force: true });
});

function workspace(extra = {}) {
	return ku.createSandbox({ networkAccess: 'none',
		fsIsolation: 'workspace', workingDirectory: ws, ...extra });
}

test('config: modes, roots and clear errors', () => {
	const bad = { code: 'ERR_INVALID_ARG_VALUE' };
	assert.throws(() => ku.createSandbox({ networkAccess: 'lan',
		fsIsolation: 'none' }), bad);
	assert.throws(() => ku.createSandbox({ networkAccess: 'none',
		fsIsolation: 'jail' }), bad);
	assert.throws(() => ku.createSandbox({ networkAccess: 'none',
		fsIsolation: 'workspace' }), /workingDirectory is required/);
	assert.deepEqual(workspace().policy.roots, [ws]);
	const temp = ku.createSandbox({ networkAccess: 'none',
		fsIsolation: 'temp', workingDirectory: ws }).policy;
	assert.deepEqual(temp.roots, [fs.realpathSync(os.tmpdir()), ws]);
	assert.equal(ku.createSandbox({ networkAccess: 'full',
		fsIsolation: 'none' }).policy.roots, null);
	const full = ku.createSandbox({ networkAccess: 'none',
		fsIsolation: 'full', workingDirectory: ws }).policy;
	assert.deepEqual(full.roots, [ws]);
	/* ws is under /tmp: a fresh /tmp would hide it. */
	assert.equal(full.privateTmp, false);
	/* Explicit roots win over fsIsolation, as in keep-up (blanks dropped). */
	const ex = ku.createSandbox({ networkAccess: 'none',
		fsIsolation: 'workspace', workingDirectory: ws,
		allowedRoots: [outside, ' ', path.join(ws, 'out-dir')] }).policy;
	assert.deepEqual(ex.roots, [outside]);
	assert.equal(ex.fsIsolation, 'none');
	const allow = ku.createSandbox({ networkAccess: 'allowlist',
		allowedHosts: ['api.example.com'], fsIsolation: 'none' });
	assert.equal(allow.network, 'none');
	assert.match(allow.policy.notes[0], /not enforced per host/);
});

test('evaluateFileAction decides on the real path', () => {
	const sb = workspace();
	const allow = { decision: 'allow' };
	assert.deepEqual(sb.evaluateFileAction(path.join(ws, 'src/a.txt'),
		'read'), allow);
	assert.deepEqual(sb.evaluateFileAction(path.join(ws, 'new/deep/f'),
		'create'), allow);
	assert.deepEqual(sb.evaluateFileAction(path.join(ws, 'inner-link'),
		'write'), allow);
	for (const [p, real] of [
		['/etc/passwd', '/etc/passwd'],
		[path.join(ws, 'out-dir', 'secret'), path.join(outside, 'secret')],
		[path.join(ws, 'dangling'), path.join(outside, 'new-file')],
		[path.join(ws, 'chain', 'x'), path.join(outside, 'x')],
		[path.join(ws, '..', path.basename(outside)), null],
		[path.join(ws, 'src', '..', '..'), null],
	]) {
		const d = sb.evaluateFileAction(p, 'write');
		assert.equal(d.decision, 'deny', p);
		assert.match(d.reason, /^path denied: .*\(path outside allowed roots\)$/);
		if (real)
			assert.ok(d.reason.includes(real), d.reason);
	}
	/* Relative paths are taken from the process's cwd. */
	const rel = path.relative(process.cwd(), path.join(ws, 'src/a.txt'));
	assert.deepEqual(sb.evaluateFileAction(rel, 'read'), allow);
	assert.throws(() => sb.evaluateFileAction(ws, 'chmod'),
		{ code: 'ERR_INVALID_ARG_VALUE', message: /unknown action intent/ });
	/* fsIsolation 'none' allows everything, as keep-up. */
	const open = ku.createSandbox({ networkAccess: 'none',
		fsIsolation: 'none' });
	assert.deepEqual(open.evaluateFileAction('/etc/passwd', 'read'), allow);
	/* 'full' without a workingDirectory allows nothing. */
	const closed = ku.createSandbox({ networkAccess: 'none',
		fsIsolation: 'full' });
	assert.equal(closed.evaluateFileAction(ws, 'read').decision, 'deny');
});

test('read, write and list obey the roots; escapes change nothing', () => {
	const sb = workspace();
	sb.write(path.join(ws, 'src', 'b.txt'), Buffer.from('bravo'));
	sb.write(path.join(ws, 'src', 'b.txt'), 'bra');
	assert.equal(sb.read(path.join(ws, 'src', 'b.txt')).toString(), 'bra');
	assert.equal(sb.read(path.join(ws, 'inner-link')).toString(), 'alpha');
	assert.deepEqual(sb.list(path.join(ws, 'src')),
		[path.join(ws, 'src', 'a.txt'), path.join(ws, 'src', 'b.txt')]);
	const denied = { code: 'ERR_ACCESS_DENIED' };
	assert.throws(() => sb.read(path.join(ws, 'out-dir', 'secret')), denied);
	assert.throws(() => sb.read('/etc/hostname'), denied);
	assert.throws(() => sb.list(path.join(ws, 'chain')), denied);
	assert.throws(() => sb.write(path.join(ws, 'out-dir', 'secret'), 'x'),
		denied);
	assert.throws(() => sb.write(path.join(ws, 'dangling'), 'x'), denied);
	assert.equal(fs.readFileSync(path.join(outside, 'secret'), 'utf8'),
		'secret');
	assert.equal(fs.existsSync(path.join(outside, 'new-file')), false);
	/* A missing parent is an error of the file system, not a decision. */
	assert.throws(() => sb.write(path.join(ws, 'no', 'dir', 'f'), 'x'),
		{ code: 'ENOENT' });
});

test('execute: argv without a shell, env forms, stdin, cwd checks',
	async () => {
		const sb = workspace();
		const r = await sb.execute('/bin/sh', ['-c',
			'printf "%s|%s|%s|" "$1" "$A" "$B"; cat; pwd', 'x', 'a b;c'],
		{ env: [{ key: 'A', value: '1' }], stdin: 'from stdin\n' });
		assert.equal(r.exitCode, 0);
		assert.equal(r.stdout, `a b;c|1||from stdin\n${ws}\n`);
		const o = await sb.execute('/usr/bin/env', [],
			{ env: { B: '2' }, cwd: path.join(ws, 'src') });
		assert.match(o.stdout, /^B=2$/m);
		await assert.rejects(sb.execute('/bin/true', [], { cwd: outside }),
			{ code: 'ERR_ACCESS_DENIED' });
		await assert.rejects(sb.execute('no-such-command-k2', []),
			{ code: 'EACCEL_SANDBOX_NOT_FOUND' });
	});

test('execute writes only inside the roots; full has a private /tmp',
	async () => {
		const sb = workspace();
		const r = await sb.execute('/bin/sh', ['-c',
			`echo in > ok.txt; echo out > ${outside}/w; ` +
			`echo dl > ${ws}/dangling; echo done`]);
		assert.equal(r.stdout, 'done\n');
		assert.equal(fs.readFileSync(path.join(ws, 'ok.txt'), 'utf8'),
			'in\n');
		assert.equal(fs.existsSync(path.join(outside, 'w')), false);
		assert.equal(fs.existsSync(path.join(outside, 'new-file')), false);
		const name = `keepup-private-${marker()}`;
		const full = ku.createSandbox({ networkAccess: 'none',
			fsIsolation: 'full', workingDirectory: outside });
		assert.equal(full.policy.privateTmp, true);
		const f = await full.execute('/bin/sh', ['-c',
			`echo t > /tmp/${name} && cat /tmp/${name}`]);
		assert.equal(f.stdout, 't\n');
		assert.equal(fs.existsSync(path.join('/tmp', name)), false);
	});

test('network: none and allowlist have none, full reaches the host',
	async (t) => {
		const { port } = await loopbackServer(t, 'pong\n');
		const script = `exec 3<>/dev/tcp/127.0.0.1/${port} && cat <&3`;
		const full = await ku.createSandbox({ networkAccess: 'full',
			fsIsolation: 'none' }).execute('/bin/bash', ['-c', script]);
		assert.equal(full.stdout, 'pong\n');
		assert.equal(full.network, 'full');
		assert.deepEqual(full.notes, []);
		for (const mode of ['none', 'allowlist']) {
			const r = await ku.createSandbox({ networkAccess: mode,
				allowedHosts: ['127.0.0.1'], fsIsolation: 'none' })
				.execute('/bin/bash', ['-c', script]);
			assert.notEqual(r.exitCode, 0, mode);
			assert.equal(r.stdout, '');
			assert.equal(r.network, 'none');
			assert.equal(r.notes.length, mode === 'allowlist' ? 1 : 0);
			assert.ok(r.violations.some((v) => v.kind === 'socket'));
		}
	});

test('output past 64 KiB streams; caps are per stream', async () => {
	const sb = workspace();
	let streamed = 0;
	const r = await sb.execute('/bin/sh', ['-c',
		'head -c 2000000 /dev/urandom | od -An -v -tx1'], {
		maxOutputBytes: 8 << 20,
		onOutput: (s, chunk) => {
			streamed += chunk.length;
		},
	});
	assert.equal(r.exitCode, 0);
	assert.equal(r.truncated, false);
	assert.equal(r.stdout.length, 2000000 * 3 + 2000000 / 16);
	assert.ok(streamed > 64 * 1024);
	const small = await sb.execute('/bin/sh', ['-c', 'seq 1 100000'],
		{ maxOutputBytes: 70000 });
	assert.equal(small.stdout.length, 70000);
	assert.equal(small.truncated, true);
});

test('cancellation kills the whole tree', async () => {
	const sb = workspace();
	const m = marker();
	const ac = new AbortController();
	const p = sb.execute('/bin/sh', ['-c',
		`(setsid sleep ${m} &) ; sleep ${m}`], { signal: ac.signal });
	const started = await until(() => procsWith(m).length >= 3);
	ac.abort();
	await assert.rejects(p, { name: 'AbortError' });
	assert.ok(started, 'the sleepers did not start');
	assert.ok(await until(() => procsWith(m).length === 0),
		`left behind: ${procsWith(m)}`);
	const t = await sb.execute('/bin/sh', ['-c', `sleep ${m}`],
		{ timeoutMs: 200 });
	assert.equal(t.timedOut, true);
	assert.equal(t.exitCode, -1);
});
