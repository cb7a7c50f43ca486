'use strict';
// Stable error codes and hostile arguments: TypeErrors or EACCEL_BAD_*,
// never a crash.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { accel } = require('../testlib/helpers.js');
const { Engine, AccelError, codes } = accel;

const native = require(accel.addonPath);

let eng;
test.before(async () => {
	eng = await Engine.start();
});
test.after(async () => {
	await eng.close();
});

test('the code table is the one in common/errors/', () => {
	// Numbers never change (common/errors/core.def).
	assert.equal(codes.EACCEL_INTERNAL, 1000);
	assert.equal(codes.EACCEL_BAD_OP, 1001);
	assert.equal(codes.EACCEL_ENGINE_DIED, 1008);
	assert.equal(codes.EACCEL_CLOSED, 1009);
	assert.equal(codes.EACCEL_CANCELLED, 1010);
	assert.equal(codes.EACCEL_TOO_LARGE, 1013);
	assert.equal(codes.EACCEL_BAD_ARG, 1016);
	assert.equal(codes.ENOENT, 2);
	assert.equal(codes.ENOSPC, 28);
	assert.equal(accel.errorName(-1008), 'EACCEL_ENGINE_DIED');
	assert.equal(accel.errorName(2), 'ENOENT');
	assert.equal(accel.errorName(999999), undefined);
	for (const [name, num] of Object.entries(codes)) {
		assert.match(name, /^E[A-Z0-9_]+$/);
		assert.equal(accel.errorName(num), name);
	}
});

test('an unknown op id is refused by the engine with EACCEL_BAD_OP', async () => {
	await assert.rejects(eng.call(4000, 'x'), (e) => {
		assert.ok(e instanceof AccelError);
		assert.equal(e.code, 'EACCEL_BAD_OP');
		assert.equal(e.errno, 1001);
		assert.equal(typeof e.message, 'string');
		return true;
	});
	assert.throws(() => eng.callSync(4000), { code: 'EACCEL_BAD_OP' });
	// An unknown op name never reaches the engine.
	await assert.rejects(eng.call('no_such_op'), { code: 'EACCEL_BAD_OP' });
	assert.throws(() => eng.callSync('no_such_op'), { code: 'EACCEL_BAD_OP' });
	// The session survives.
	assert.equal(await eng.ping(), 0);
});

test('bad JS arguments give TypeErrors', async () => {
	const bad = [42, true, {}, [], () => 1, Symbol('s'), 10n];
	for (const v of bad) {
		await assert.rejects(eng.echo(v), TypeError, String(typeof v));
		assert.throws(() => eng.echoSync(v), TypeError);
		await assert.rejects(eng.call('echo', v), TypeError);
	}
	await assert.rejects(eng.echo(), TypeError);
	await assert.rejects(eng.call({}), TypeError);
	await assert.rejects(eng.call(-1), TypeError);
	await assert.rejects(eng.call(1.5), TypeError);
	await assert.rejects(eng.call(0x10000), TypeError);
	await assert.rejects(eng.call('ping', undefined, 'opts'), TypeError);
	await assert.rejects(eng.call('ping', undefined, { args: [1.5] }), TypeError);
	await assert.rejects(eng.call('ping', undefined, { args: [1, 2, 3, 4] }), TypeError);
	await assert.rejects(eng.call('ping', undefined, { args: ['1'] }), TypeError);
	await assert.rejects(eng.call('ping', undefined, { result: 'nope' }), TypeError);
	await assert.rejects(eng.call('ping', undefined, { signal: {} }), TypeError);
	await assert.rejects(eng.call('ping', undefined, { onProgress: 1 }), TypeError);
	assert.throws(() => eng.callSync('ping', undefined, { signal: new AbortController().signal }), TypeError);
	await assert.rejects(eng.pingMany(-1), TypeError);
	await assert.rejects(eng.pingMany(1.5), TypeError);
	await assert.rejects(eng.pingMany('3'), TypeError);
	await assert.rejects(Engine.start({ sqEntries: -4 }), TypeError);
	await assert.rejects(Engine.start({ spinUs: 'fast' }), TypeError);
	await assert.rejects(Engine.start(null), TypeError);
	await assert.rejects(Engine.connect(''), TypeError);
	await assert.rejects(Engine.connect(17), TypeError);
	assert.throws(() => new Engine(), TypeError);
	assert.equal(await eng.ping(), 0);
});

test('the addon itself checks what any JS may pass it', async () => {
	const fake = [undefined, null, {}, 1, 'h', Buffer.alloc(8)];
	for (const h of fake) {
		assert.throws(() => native.submit(h, 1, 0, 0), TypeError);
		assert.throws(() => native.flush(h), TypeError);
		assert.throws(() => native.callSync(h, 1, 0), TypeError);
		assert.throws(() => native.close(h), TypeError);
		assert.throws(() => native.info(h), TypeError);
		assert.throws(() => native.abandon(h, 0), TypeError);
		assert.throws(() => native.isMapped(h, Buffer.alloc(1)), TypeError);
		assert.throws(() => native.pingMany(h, 1), TypeError);
	}
	assert.throws(() => native.submit(), TypeError);
	assert.throws(() => native.closeFd(0), TypeError);
	assert.throws(() => native.closeFd(-1), TypeError);
	assert.throws(() => native.closeFd(1), TypeError);
	assert.throws(() => native.closeFd(eng.info.enginePid), TypeError);
	assert.throws(() => native.attach(-5, {}, new Int32Array(100), () => {}, () => {}), TypeError);
	assert.throws(() => native.attach(3, {}, new Float64Array(100), () => {}, () => {}), TypeError);
	assert.throws(() => native.connect('', {}, new Int32Array(100), () => {}, () => {}), TypeError);
	assert.throws(() => native.attach(3, { sqEntries: -1 }, new Int32Array(100), () => {}, () => {}), TypeError);
	// Only sockets the addon made itself can be attached or closed.
	assert.throws(() => native.attach(1, {}, new Int32Array(100), () => {}, () => {}), TypeError);
	const [a, b] = native.socketpair();
	native.closeFd(a);
	native.closeFd(b);
	assert.throws(() => native.closeFd(a), TypeError);
	assert.throws(() => native.setErrorFactory(5), TypeError);
});

test('engine that cannot start: a clear error, not a hang', async () => {
	await assert.rejects(Engine.start({ enginePath: '/nonexistent/agent-acceld' }),
			     (e) => {
		assert.equal(e.code, 'ENOENT');
		assert.match(e.message, /nonexistent/);
		return true;
	});
	// Something that is not an engine: closes the socket at once.
	await assert.rejects(Engine.start({ enginePath: '/bin/true' }), (e) => {
		assert.ok(e instanceof AccelError);
		assert.equal(e.code, 'EACCEL_HANDSHAKE');
		return true;
	});
	await assert.rejects(Engine.connect(path.join(__dirname, 'no-such.sock')),
			     { code: 'ENOENT' });
});

test('daemon mode: connect to agent-acceld --socket', async (t) => {
	const { spawn } = require('node:child_process');
	const os = require('node:os');
	const fs = require('node:fs');
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-'));
	const sock = path.join(dir, 'engine.sock');
	const d = spawn(process.env.ACCEL_ENGINE || accel.enginePath,
			['--socket', sock], { stdio: 'inherit' });
	t.after(() => {
		d.kill('SIGTERM');
		fs.rmSync(dir, { recursive: true, force: true });
	});
	let client;
	for (let i = 0; i < 500 && !client; i++) {
		try {
			client = await Engine.connect(sock);
		} catch (e) {
			if (e.code !== 'ENOENT' && e.code !== 'ECONNREFUSED')
				throw e;
			await new Promise((r) => setTimeout(r, 10));
		}
	}
	assert.ok(client, 'connected to the daemon');
	assert.equal(await client.ping(), 0);
	assert.equal((await client.echo('daemon')).toString(), 'daemon');
	assert.equal(client.statsSync().engine.pid, d.pid);
	await client.close();
});
