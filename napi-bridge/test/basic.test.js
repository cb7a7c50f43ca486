'use strict';
// ping, echo (sizes, strings, real files), stats, zero-copy views, sync forms.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const crypto = require('node:crypto');
const { accel, realFiles } = require('../testlib/helpers.js');
const { Engine } = accel;

let eng;
test.before(async () => {
	// Room for several 16 MiB results held at once.
	eng = await Engine.start({ resSize: 256 << 20 });
});
test.after(async () => {
	await eng.close();
});

test('ping resolves with 0, async and sync', async () => {
	assert.equal(await eng.ping(), 0);
	assert.equal(eng.pingSync(), 0);
	const all = await Promise.all(Array.from({ length: 1000 }, () => eng.ping()));
	assert.equal(all.length, 1000);
	assert.ok(all.every((r) => r === 0));
});

test('pingMany counts every ping', async () => {
	assert.equal(await eng.pingMany(0), 0);
	assert.equal(await eng.pingMany(1), 1);
	assert.equal(await eng.pingMany(100000), 100000);
	// Concurrent pingMany calls are chained, each resolves with its own n.
	const [a, b] = await Promise.all([eng.pingMany(5000), eng.pingMany(7000)]);
	assert.equal(a, 5000);
	assert.equal(b, 7000);
	const st = await eng.stats();
	assert.ok(st.ops.ping.count >= 112001, `ping count ${st.ops.ping.count}`);
});

const SIZES = [0, 1, 63, 64, 255, 256, 257, 4095, 4096, 65537, 1 << 20,
	(1 << 20) + 3, 16 << 20];

for (const size of SIZES) {
	test(`echo ${size} bytes returns the same bytes, viewing the mapping`,
	     async () => {
		const input = crypto.randomBytes(size);
		const out = await eng.echo(input);
		assert.ok(Buffer.isBuffer(out));
		assert.equal(out.length, size);
		assert.ok(out.equals(input));
		if (size > 0)
			assert.ok(eng.isMapped(out), 'result is a view of the mapping');
		const outSync = eng.echoSync(input);
		assert.ok(outSync.equals(input));
		if (size > 0)
			assert.ok(eng.isMapped(outSync));
	});
}

test('echo of strings sends UTF-8 (non-ASCII, astral, lone surrogates)',
     async () => {
	const strs = ['', 'a', 'héllo wörld', 'Ελληνικά κείμενα', '日本語のテキスト',
		'emoji 🚀🧪 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢', 'x'.repeat(100000) + 'ü',
		'lone \ud800 surrogate'];
	for (const s of strs) {
		const out = await eng.echo(s);
		assert.ok(out.equals(Buffer.from(s, 'utf8')), JSON.stringify(s.slice(0, 40)));
		assert.equal(eng.echoSync(s).toString('utf8'), Buffer.from(s).toString());
	}
});

test('a string whose worst-case UTF-8 size exceeds the request arena',
     async () => {
	/*
	 * A string goes in in one pass when 3 bytes a UTF-16 unit fit;
	 * 600,000 units (1.8 MB worst case) in a 1 MiB arena take the
	 * measured path, and the trimmed blocks of the fast path leave room.
	 */
	const small = await Engine.start({ reqSize: 1 << 20 });
	try {
		const ascii = 'ab'.repeat(300000);
		assert.ok(small.echoSync(ascii).equals(Buffer.from(ascii)));
		assert.ok((await small.echo(ascii)).equals(Buffer.from(ascii)));
		const mixed = 'żółw 🐢 '.repeat(20000);
		for (let i = 0; i < 50; i++)
			assert.ok(small.echoSync(mixed).equals(Buffer.from(mixed)));
		const over = 'x'.repeat((1 << 20) + 1);
		assert.throws(() => small.echoSync(over),
			      { code: 'EACCEL_TOO_LARGE' });
	} finally {
		await small.close();
	}
});

test('echo of real files (node_modules, /usr/include)', async () => {
	const files = realFiles();
	assert.ok(files.length > 0);
	for (const f of files) {
		const data = fs.readFileSync(f);
		const [a, b] = await Promise.all([eng.echo(data), eng.echo(data.toString('utf8'))]);
		assert.ok(a.equals(data), f);
		assert.ok(b.equals(Buffer.from(data.toString('utf8'))), f);
		assert.ok(eng.echoSync(data).equals(data), f);
	}
});

test('echo accepts every byte container', async () => {
	const bytes = Buffer.from('0123456789abcdef');
	const u16 = new Uint16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + 16));
	const sub = new Uint8Array(bytes.buffer, bytes.byteOffset + 4, 6);
	const dv = new DataView(bytes.buffer, bytes.byteOffset + 2, 4);
	const ab = new Uint8Array(bytes).buffer;
	assert.equal((await eng.echo(u16)).toString(), '0123456789abcdef');
	assert.equal((await eng.echo(sub)).toString(), '456789');
	assert.equal((await eng.echo(dv)).toString(), '2345');
	assert.equal((await eng.echo(ab)).toString(), '0123456789abcdef');
	const sab = new SharedArrayBuffer(3);
	new Uint8Array(sab).set([65, 66, 67]);
	assert.equal(eng.echoSync(sab).toString(), 'ABC');
});

test('results of many concurrent echoes are not mixed up', async () => {
	const inputs = Array.from({ length: 3000 }, (_, i) =>
		crypto.randomBytes(i % 700));
	const outs = await Promise.all(inputs.map((b) => eng.echo(b)));
	outs.forEach((o, i) => assert.ok(o.equals(inputs[i]), `echo ${i}`));
});

test('stats returns the engine document', async () => {
	const st = await eng.stats();
	assert.equal(st.engine.pid, eng.pid);
	assert.equal(typeof st.session.res_used, 'number');
	assert.ok(st.ops.echo.count > 0);
	const st2 = eng.statsSync();
	assert.equal(st2.engine.pid, eng.pid);
	assert.ok(st2.ops.ping.count >= st.ops.ping.count);
});

test('the generic call covers every result mode', async () => {
	assert.equal(await eng.call('ping', undefined, { result: 'none' }), 0);
	assert.equal(await eng.call(Engine.ops.echo, 'abc', { result: 'string' }), 'abc');
	const copy = await eng.call('echo', 'abc', { result: 'copy' });
	assert.equal(copy.toString(), 'abc');
	assert.equal(eng.isMapped(copy), false);
	const raw = await eng.call('echo', 'xyz', { result: 'raw' });
	assert.equal(raw.data.toString(), 'xyz');
	assert.equal(raw.res >= 0, true);
	assert.deepEqual(await eng.call('echo', '{"a":[1,2]}', { result: 'json' }), { a: [1, 2] });
	assert.equal(eng.callSync('echo', 'q', { result: 'string' }), 'q');
	assert.equal(eng.callSync('ping', null, { result: 'none', args: [0n, 1, -1] }), 0);
});

test('sync calls stash async completions and deliver them later', async () => {
	const asyncs = Array.from({ length: 500 }, (_, i) => eng.echo(`a${i}`));
	// Published by this sync call; their completions are stashed by it.
	for (let i = 0; i < 200; i++)
		assert.equal(eng.echoSync(`s${i}`).toString(), `s${i}`);
	const outs = await Promise.all(asyncs);
	outs.forEach((o, i) => assert.equal(o.toString(), `a${i}`));
});

test('the ESM entry exports the same Engine', async () => {
	const m = await import('../lib/index.mjs');
	assert.equal(m.Engine, Engine);
	assert.equal(m.default.codes.EACCEL_ENGINE_DIED, 1008);
});

test('the eventfd path alone delivers everything (spinUs: 0)', async () => {
	const e = await Engine.start({ spinUs: 0 });
	assert.equal(e.info.spinEffUs, 0);
	for (let i = 0; i < 200; i++)
		assert.equal(await e.ping(), 0);
	const outs = await Promise.all(Array.from({ length: 2000 }, (_, i) =>
		i % 2 ? e.ping() : e.echo(`ev${i}`)));
	outs.forEach((o, i) => assert.equal(i % 2 ? o : o.toString(), i % 2 ? 0 : `ev${i}`));
	assert.equal(await e.pingMany(50000), 50000);
	assert.equal(e.info.spinHits, 0);
	await e.close();
});
