'use strict';
// Engine death, close(), abort, backpressure, buffer lifetime.
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { accel, gcUntil, tick, waitExited } = require('../testlib/helpers.js');
const { Engine, AccelError, AbortError } = accel;

function isCode(code) {
	return (e) => {
		assert.ok(e instanceof AccelError, `expected AccelError, got ${e}`);
		assert.equal(e.code, code);
		assert.equal(e.errno, accel.codes[code]);
		return true;
	};
}

test('kill -9 under load: every pending call rejects with EACCEL_ENGINE_DIED',
     async () => {
	const eng = await Engine.start({ sqEntries: 256 });
	// More calls than the ring holds: some are queued in JS.
	const payload = crypto.randomBytes(4096);
	const calls = [];
	for (let i = 0; i < 5000; i++)
		calls.push(i % 2 ? eng.ping() : eng.echo(payload));
	const many = eng.pingMany(50_000_000);
	// Let the load start, then kill the engine in the middle of it.
	await eng.ping();
	process.kill(eng.pid, 'SIGKILL');
	const results = await Promise.allSettled([...calls, many]);
	let died = 0;
	for (const r of results) {
		if (r.status === 'rejected') {
			isCode('EACCEL_ENGINE_DIED')(r.reason);
			died++;
		}
	}
	assert.ok(died > 0, 'the kill caught calls in flight');
	await assert.rejects(many, isCode('EACCEL_ENGINE_DIED'));
	assert.equal(eng.state, 'dead');
	// After the death every call fails the same way, async and sync.
	await assert.rejects(eng.ping(), isCode('EACCEL_ENGINE_DIED'));
	assert.throws(() => eng.pingSync(), isCode('EACCEL_ENGINE_DIED'));
	await eng.close();
	// A new engine works.
	const eng2 = await Engine.start();
	assert.equal(await eng2.ping(), 0);
	assert.equal((await eng2.echo('again')).toString(), 'again');
	await eng2.close();
});

test('a sync call returns EACCEL_ENGINE_DIED when the engine dies', async () => {
	const eng = await Engine.start();
	eng.pingSync();
	process.kill(eng.pid, 'SIGKILL');
	// Until the loop has seen the EOF, the sync call itself detects it.
	assert.throws(() => {
		for (;;)
			eng.echoSync('x');
	}, isCode('EACCEL_ENGINE_DIED'));
	await tick();
	await assert.rejects(eng.ping(), isCode('EACCEL_ENGINE_DIED'));
	await eng.close();
});

test('close() rejects pending calls with EACCEL_CLOSED', async () => {
	const eng = await Engine.start();
	const calls = Array.from({ length: 2000 }, (_, i) => eng.echo(`c${i}`));
	const many = eng.pingMany(10_000_000);
	const closing = eng.close();
	for (const r of await Promise.allSettled(calls))
		if (r.status === 'rejected')
			isCode('EACCEL_CLOSED')(r.reason);
	await assert.rejects(many, isCode('EACCEL_CLOSED'));
	await closing;
	assert.equal(eng.state, 'closed');
	await assert.rejects(eng.ping(), isCode('EACCEL_CLOSED'));
	assert.throws(() => eng.statsSync(), isCode('EACCEL_CLOSED'));
	await eng.close(); // idempotent
});

test('AbortSignal rejects at once with AbortError and cancels', async () => {
	const eng = await Engine.start();
	const before = await eng.stats();
	// Already aborted: never submitted.
	const ac0 = new AbortController();
	ac0.abort();
	await assert.rejects(eng.echo('x', { signal: ac0.signal }), (e) => {
		assert.ok(e instanceof AbortError);
		assert.equal(e.name, 'AbortError');
		return true;
	});
	// Aborted while in flight or queued: many calls, abort them all.
	const ac = new AbortController();
	const big = crypto.randomBytes(1 << 20);
	require('node:events').setMaxListeners(1000, ac.signal);
	const calls = Array.from({ length: 200 }, () =>
		eng.echo(big, { signal: ac.signal }));
	ac.abort(new Error('user gave up'));
	const settled = await Promise.allSettled(calls);
	for (const r of settled) {
		assert.equal(r.status, 'rejected');
		assert.equal(r.reason.name, 'AbortError');
		assert.equal(r.reason.cause.message, 'user gave up');
	}
	// The engine still works and the aborted results were released.
	assert.equal((await eng.echo('after')).toString(), 'after');
	const ok = await gcUntil(async () => {
		const st = await eng.stats();
		return st.session.res_used <= before.session.res_used &&
			st.session.in_flight === 0;
	});
	assert.ok(ok, 'result arena back to its baseline after aborts');
	// An abort after completion changes nothing.
	const ac2 = new AbortController();
	assert.equal((await eng.echo('done', { signal: ac2.signal })).toString(), 'done');
	ac2.abort();
	await eng.close();
});

test('backpressure: 20,000 calls with an 8-entry ring all complete', async () => {
	const eng = await Engine.start({ sqEntries: 8, reqSize: 1 << 20 });
	assert.equal(eng.info.sqEntries, 8);
	const n = 20000;
	const calls = [];
	for (let i = 0; i < n; i++)
		calls.push(i % 3 ? eng.ping() : eng.echo(`m${i}`));
	const res = await Promise.all(calls);
	for (let i = 0; i < n; i++) {
		if (i % 3)
			assert.equal(res[i], 0);
		else
			assert.equal(res[i].toString(), `m${i}`);
	}
	await eng.close();
});

test('backpressure: a full request arena queues calls, never fails them', async () => {
	// 1 MiB arena, 64 x 256 KiB in flight: most wait for room.
	const eng = await Engine.start({ reqSize: 1 << 20 });
	const inputs = Array.from({ length: 64 }, () => crypto.randomBytes(256 << 10));
	const outs = await Promise.all(inputs.map((b) => eng.echo(b)));
	outs.forEach((o, i) => assert.ok(o.equals(inputs[i])));
	// Sync calls wait for room as well.
	const pend = inputs.slice(0, 8).map((b) => eng.echo(b));
	assert.ok(eng.echoSync(inputs[9]).equals(inputs[9]));
	await Promise.all(pend);
	// Larger than the whole arena: a clear error, not a hang.
	await assert.rejects(eng.echo(Buffer.alloc(2 << 20)), isCode('EACCEL_TOO_LARGE'));
	assert.throws(() => eng.echoSync(Buffer.alloc(2 << 20)), isCode('EACCEL_TOO_LARGE'));
	await eng.close();
});

test('result Buffers outlive close() and return their blocks when collected',
     async () => {
	const eng = await Engine.start();
	const base = (await eng.stats()).session.res_used;
	let held = [];
	for (let i = 0; i < 100; i++)
		held.push(await eng.echo(crypto.randomBytes(10000)));
	const copies = held.map((b) => Buffer.from(b));
	const during = (await eng.stats()).session.res_used;
	assert.ok(during >= base + 100 * 10000, `res_used ${during} holds the views`);
	// Dropped and collected: the engine gets the blocks back.
	held = null;
	const back = await gcUntil(async () =>
		(await eng.stats()).session.res_used <= base);
	assert.ok(back, 'result arena usage returned to its baseline');

	// Views stay readable after close().
	const keep = [];
	for (let i = 0; i < 20; i++)
		keep.push(await eng.echo(copies[i]));
	await eng.close();
	keep.forEach((b, i) => assert.ok(b.equals(copies[i])));
	assert.ok(eng.isMapped(keep[0]));
});

test('result Buffers outlive the engine death', async () => {
	const eng = await Engine.start();
	const data = crypto.randomBytes(50000);
	const view = await eng.echo(data);
	process.kill(eng.pid, 'SIGKILL');
	await assert.rejects(async () => {
		for (;;)
			await eng.ping();
	}, isCode('EACCEL_ENGINE_DIED'));
	assert.ok(view.equals(data));
	await eng.close();
});

test('views past viewLimitPct are copied, so held Buffers cannot starve the engine',
     async () => {
	const eng = await Engine.start({ resSize: 1 << 20, viewLimitPct: 50 });
	const held = [];
	const inputs = Array.from({ length: 40 }, () => crypto.randomBytes(60000));
	for (const b of inputs)
		held.push(await eng.echo(b));
	held.forEach((b, i) => assert.ok(b.equals(inputs[i])));
	const info = eng.info;
	assert.ok(info.viewBytes <= info.viewLimit);
	assert.ok(info.viewsCopied > 0);
	assert.ok(eng.isMapped(held[0]));
	assert.equal(eng.isMapped(held[39]), false);
	// 40 x 60 KB is more than the 1 MiB arena: only the copies made it fit.
	assert.ok(40 * 60000 > info.resSize);
	await eng.close();
});

test('an Engine in a worker thread: terminate() with calls pending is clean',
     async () => {
	const { Worker } = require('node:worker_threads');
	const src = `
		const { Engine } = require(${JSON.stringify(require.resolve('../lib/index.js'))});
		const { parentPort } = require('node:worker_threads');
		(async () => {
			const e = await Engine.start();
			for (let i = 0; i < 2000; i++)
				e.echo('w' + i).catch(() => {});
			const b = await e.echo('from worker');
			parentPort.postMessage({ text: b.toString(), pid: e.pid });
		})();`;
	for (let i = 0; i < 3; i++) {
		const w = new Worker(src, { eval: true });
		const msg = await new Promise((resolve, reject) => {
			w.once('message', resolve);
			w.once('error', reject);
		});
		assert.equal(msg.text, 'from worker');
		await w.terminate();
	}
	const eng = await Engine.start();
	assert.equal(await eng.ping(), 0);
	await eng.close();
});

test('an idle Engine does not keep the process alive, and its engine exits with it',
     async () => {
	const { spawnSync } = require('node:child_process');
	const src = `
		const { Engine } = require(${JSON.stringify(require.resolve('../lib/index.js'))});
		Engine.start().then(async (e) => {
			await e.ping();
			const b = await e.echo('kept');
			console.log(e.pid);
			globalThis.keep = [e, b];   // never closed
		});`;
	// The timeout only guards against a hang; it is not a measurement.
	const r = spawnSync(process.execPath, ['-e', src], { encoding: 'utf8', timeout: 120000 });
	assert.equal(r.status, 0, r.stderr);
	const pid = Number(r.stdout.trim());
	assert.ok(pid > 0);
	// The engine saw EOF on its socket: it exits (or is a zombie awaiting
	// its new parent's wait).
	assert.ok(await waitExited(pid), `engine ${pid} still running`);
});
