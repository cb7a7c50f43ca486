'use strict';
// Engine.startSync() and the shared engine of agent-accel/keep-up
// (lib/keep-up/engine.js): lazy start, JS fallback when it cannot start,
// one restart after a death, and no keeping the process alive.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { accel, waitExited } = require('../testlib/helpers.js');
const { killAndWait } = require('../testlib/keepup-helpers.js');
const { codes } = accel;
const { Engine, AccelError } = accel;
const shared = require('../lib/keep-up/engine.js');

const KEEPUP_ENGINE = require.resolve('../lib/keep-up/engine.js');

/* Runs src in a fresh node; the timeout only guards against a hang. */
function runNode(src, env = {}) {
	return spawnSync(process.execPath, ['-e', src], {
		encoding: 'utf8', timeout: 120000,
		env: { ...process.env, ...env },
	});
}

test('startSync: a working engine without a Promise', async () => {
	const eng = Engine.startSync({ sqEntries: 64 });
	assert.equal(eng.state, 'open');
	assert.equal(eng.pingSync(), 0);
	assert.equal(eng.info.sqEntries, 64);
	assert.equal(eng.countTokensSync('hello world', 'cl100k_base'), 2);
	// Async calls work on it too.
	assert.equal(await eng.ping(), 0);
	assert.equal((await eng.echo('x')).toString(), 'x');
	await eng.close();
	assert.equal(eng.state, 'closed');
});

test('startSync: the same option checks and errors as start', () => {
	assert.throws(() => Engine.startSync({ sqEntries: -4 }), TypeError);
	assert.throws(() => Engine.startSync({ spinUs: 'fast' }), TypeError);
	assert.throws(() => Engine.startSync(null), TypeError);
	assert.throws(() => Engine.startSync({ enginePath: '/nonexistent/agent-acceld' }),
		      (e) => {
		assert.ok(e instanceof AccelError);
		assert.equal(e.code, 'ENOENT');
		assert.match(e.message, /nonexistent/);
		return true;
	});
	// Not executable.
	assert.throws(() => Engine.startSync({ enginePath: '/etc/passwd' }),
		      { code: 'EACCES' });
	// Runs, but is not an engine: closes the socket at once.
	assert.throws(() => Engine.startSync({ enginePath: '/bin/true' }), (e) => {
		assert.ok(e instanceof AccelError);
		assert.equal(e.code, 'EACCEL_HANDSHAKE');
		return true;
	});
});

test('start and startSync fail alike for a missing engine', async () => {
	const opts = { enginePath: '/nonexistent/agent-acceld' };
	let sync;
	try {
		Engine.startSync(opts);
	} catch (e) {
		sync = e;
	}
	const async_ = await Engine.start(opts).then(() => null, (e) => e);
	assert.equal(sync.code, async_.code);
	assert.equal(sync.errno, async_.errno);
	assert.equal(sync.message, async_.message);
});

test('a sync call that finds the engine dead marks it dead at once', () => {
	const eng = Engine.startSync();
	killAndWait(eng.pid);
	assert.throws(() => eng.pingSync(), { code: 'EACCEL_ENGINE_DIED' });
	assert.equal(eng.state, 'dead');
});

test('getEngine: started once, shared, then restarted once after a death',
     async () => {
	await shared.resetEngine();
	const a = shared.getEngine();
	assert.ok(a instanceof Engine);
	assert.equal(shared.getEngine(), a);
	assert.equal(a.pingSync(), 0);

	killAndWait(a.pid);
	assert.throws(() => a.pingSync(), { code: 'EACCEL_ENGINE_DIED' });
	const b = shared.getEngine();
	assert.ok(b instanceof Engine);
	assert.notEqual(b, a);
	assert.notEqual(b.pid, a.pid);
	assert.equal(b.pingSync(), 0);

	// A second death: the JS fallbacks from now on.
	killAndWait(b.pid);
	assert.throws(() => b.pingSync(), { code: 'EACCEL_ENGINE_DIED' });
	assert.equal(shared.getEngine(), null);
	assert.equal(shared.engineError().code, 'EACCEL_ENGINE_DIED');
	assert.equal(shared.getEngine(), null);
	await shared.resetEngine();
	assert.ok(shared.getEngine() instanceof Engine);
	await shared.resetEngine();
});

test('withEngine: a death the loop has not seen yet goes to the successor',
     async () => {
	await shared.resetEngine();
	const a = shared.getEngine();
	killAndWait(a.pid);
	// No sync call and no loop turn saw the death: a is still 'open'.
	const seen = [];
	const v = shared.withEngine((e) => {
		seen.push(e);
		return e.pingSync();
	}, () => 'fallback');
	assert.equal(v, 0);
	assert.equal(seen.length, 2);
	assert.equal(seen[0], a);
	assert.notEqual(seen[1], a);
	// Other errors propagate and never reach the fallback.
	assert.throws(() => shared.withEngine(() => {
		throw new RangeError('mine');
	}, () => 'fallback'), RangeError);
	await shared.resetEngine();
});

test('getEngine: null and the reason when the engine cannot start', async () => {
	await shared.resetEngine();
	shared.configureEngine({ enginePath: '/nonexistent/agent-acceld' });
	try {
		assert.equal(shared.getEngine(), null);
		assert.equal(shared.engineError().code, 'ENOENT');
		// A failed start is not retried on every call.
		assert.equal(shared.getEngine(), null);
		assert.equal(shared.withEngine(() => 'engine', () => 'fallback'),
			     'fallback');
		// The drop-ins throw one stable error, its cause the reason.
		const ku = require('agent-accel/keep-up');
		for (const call of [() => ku.countTokens('x', 'gpt-4o'),
				    () => ku.diffUnified('a\n', 'b\n')]) {
			assert.throws(call, (e) => e.code === 'EACCEL_NO_ENGINE' &&
				e.errno === codes.EACCEL_NO_ENGINE &&
				e.cause === shared.engineError());
		}
	} finally {
		shared.configureEngine({});
		await shared.resetEngine();
	}
	assert.ok(shared.getEngine() instanceof Engine);
	await shared.resetEngine();
	assert.throws(() => shared.configureEngine(null), TypeError);
});

test('getEngine: null when the addon cannot load or keep-up is disabled', () => {
	let r = runNode(`
		const s = require(${JSON.stringify(KEEPUP_ENGINE)});
		console.log(JSON.stringify([s.getEngine(), s.engineError().code ?? s.engineError().message]));`,
	{ ACCEL_ADDON: path.join(__dirname, 'no-such-addon.node') });
	assert.equal(r.status, 0, r.stderr);
	let [eng, why] = JSON.parse(r.stdout);
	assert.equal(eng, null);
	assert.equal(why, 'MODULE_NOT_FOUND');
	r = runNode(`
		const s = require(${JSON.stringify(KEEPUP_ENGINE)});
		console.log(JSON.stringify([s.getEngine(), s.engineError().message]));`,
	{ ACCEL_KEEPUP_DISABLE: 'yes' });
	assert.equal(r.status, 0, r.stderr);
	[eng, why] = JSON.parse(r.stdout);
	assert.equal(eng, null);
	assert.match(why, /ACCEL_KEEPUP_DISABLE/);
});

test('a script using the shared engine exits by itself, and so does its engine',
     async () => {
	const r = runNode(`
		const s = require(${JSON.stringify(KEEPUP_ENGINE)});
		const e = s.getEngine();
		e.pingSync();
		e.countTokensSync('exits by itself', 'o200k_base');
		console.log(e.pid);`);
	assert.equal(r.status, 0, r.stderr);
	const pid = Number(r.stdout.trim());
	assert.ok(pid > 0);
	assert.ok(await waitExited(pid), `engine ${pid} still running`);
});
