'use strict';
// agent-accel/keep-up StorageEngine (lib/keep-up/storage.js) over the
// engine's event journal: bigint sequence numbers from 1, replay / limit /
// prune, reopen, checkpoints and keep-up's id rules, one engine per root
// (same process and another process), zstd-compressed records, a torn tail
// cut on open, replay past the result arena (paged), and a SIGKILL of the
// engine in the middle of thousands of appends from a child process.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const { keepUp, payload, tmpDir } = require('../testlib/keepup-helpers.js');
const { Engine } = require('../lib/index.js');

const ku = keepUp();
const dirs = [];

function root(tag) {
	const d = tmpDir(`storage-${tag}`);
	dirs.push(d);
	return d;
}

test.after(() => {
	for (const d of dirs)
		fs.rmSync(d, { recursive: true, force: true });
});

test('append, replay, limit, prune, reopen', () => {
	const r = root('basic');
	let s = new ku.StorageEngine(r);
	const seqs = [];
	for (let i = 1; i <= 10; i++)
		seqs.push(s.appendEvent(Buffer.from(`event ${i}`)));
	assert.deepEqual(seqs, [1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n, 10n]);
	const all = s.replayEvents(0n);
	assert.equal(all.length, 10);
	assert.ok(all.every((b) => b instanceof Uint8Array));
	assert.equal(Buffer.from(all[9]).toString(), 'event 10');
	assert.deepEqual(s.replayEvents(4n, 2).map(String),
		['event 4', 'event 5']);
	assert.deepEqual(s.replayEvents(11n), []);
	assert.deepEqual(s.replayEvents(1n, 0), []);
	assert.equal(s.pruneEvents(4n), 3n);
	assert.equal(s.pruneEvents(4n), 0n);
	assert.equal(Buffer.from(s.replayEvents(0n)[0]).toString(), 'event 4');
	/* Empty events and typed arrays are events too. */
	assert.equal(s.appendEvent(new Uint8Array(0)), 11n);
	assert.equal(s.appendEvent(new Uint16Array([0x4241])), 12n);
	assert.throws(() => s.appendEvent('text'),
		{ code: 'ERR_INVALID_ARG_TYPE' });
	assert.throws(() => s.replayEvents(-1n), { code: 'ERR_OUT_OF_RANGE' });
	s.close();
	assert.throws(() => s.appendEvent(Buffer.alloc(1)), /closed/);
	s = new ku.StorageEngine(r);
	assert.equal(s.appendEvent(Buffer.from('after reopen')), 13n);
	const back = s.replayEvents(10n).map((b) => Buffer.from(b).toString());
	assert.deepEqual(back, ['event 10', '', 'AB', 'after reopen']);
	s.close();
});

test('checkpoints: save, replace, load, delete, id rules', () => {
	const s = new ku.StorageEngine(root('ckpt'));
	const data = fs.readFileSync(require.resolve('typescript/package.json',
		{ paths: [path.join(__dirname, '..', '..')] }));
	assert.equal(s.loadCheckpoint('ckpt_1.full.msgpack'), null);
	s.saveCheckpoint('ckpt_1.full.msgpack', data);
	assert.deepEqual(Buffer.from(s.loadCheckpoint('ckpt_1.full.msgpack')),
		data);
	s.saveCheckpoint('ckpt_1.full.msgpack', Buffer.from('v2'));
	assert.equal(String(s.loadCheckpoint('ckpt_1.full.msgpack')), 'v2');
	assert.equal(s.deleteCheckpoint('ckpt_1.full.msgpack'), true);
	assert.equal(s.deleteCheckpoint('ckpt_1.full.msgpack'), false);
	assert.equal(s.loadCheckpoint('ckpt_1.full.msgpack'), null);
	for (const [id, re] of [['', /empty/], ['a/b', /separators/],
		['a\\b', /separators/], ['a..b', /parent traversal/]])
		assert.throws(() => s.saveCheckpoint(id, data),
			{ code: 'ERR_INVALID_ARG_VALUE', message: re });
	s.close();
});

test('a second engine on one root is refused, also from another process',
	() => {
		const r = root('lock');
		const s = new ku.StorageEngine(r);
		assert.throws(() => new ku.StorageEngine(r),
			{ code: 'EACCEL_JOURNAL_LOCKED',
				message: /another storage engine/ });
		const child = spawnSync(process.execPath, ['-e', `
			const { keepUp } = require(${JSON.stringify(
		require.resolve('../testlib/keepup-helpers.js'))});
			try { new (keepUp().StorageEngine)(${JSON.stringify(r)}); }
			catch (e) { process.stdout.write(e.code); }`],
		{ env: process.env, encoding: 'utf8' });
		assert.equal(child.stdout, 'EACCEL_JOURNAL_LOCKED');
		s.close();
		new ku.StorageEngine(r).close();
	});

test('zstd-compressed records read back; a torn tail is cut on open', () => {
	const r = root('zstd');
	let s = new ku.StorageEngine(r, { compressionLevel: 3 });
	const text = fs.readFileSync(require.resolve('typescript/lib/lib.dom.d.ts',
		{ paths: [path.join(__dirname, '..', '..')] }));
	const events = [];
	for (let off = 0; off + 4096 <= text.length && events.length < 50;
		off += 4096)
		events.push(text.subarray(off, off + 4096));
	for (const e of events)
		s.appendEvent(e);
	s.close();
	const logs = fs.readdirSync(r).filter((n) => n.startsWith('events-'));
	const size = logs.reduce((a, n) => a + fs.statSync(path.join(r, n))
		.size, 0);
	assert.ok(size < events.length * 4096,
		`stored ${size} bytes for ${events.length * 4096}`);
	/* A crash in the middle of a write: garbage after the last record. */
	fs.appendFileSync(path.join(r, logs[logs.length - 1]),
		Buffer.from('AXJR torn record'));
	s = new ku.StorageEngine(r);
	assert.deepEqual(s.replayEvents(1n).map((b) => Buffer.from(b)), events);
	assert.equal(s.appendEvent(Buffer.from('next')), BigInt(events.length + 1));
	s.close();
});

test('replay larger than the result arena comes back whole (paged)',
	async () => {
		const eng = Engine.startSync({ resSize: 4 << 20 });
		try {
			const s = new ku.StorageEngine(root('paged'), { engine: eng });
			const n = 40;
			for (let i = 0; i < n; i++)
				s.appendEvent(Buffer.alloc(256 * 1024, i));
			const all = s.replayEvents(1n);
			assert.equal(all.length, n);
			for (let i = 0; i < n; i++) {
				assert.equal(all[i].length, 256 * 1024);
				assert.ok(all[i].every((b) => b === i), `event ${i + 1}`);
			}
			assert.equal(s.replayEvents(5n, 30).length, 30);
			/* One event larger than any reply: a clear error. */
			s.appendEvent(Buffer.alloc(3 << 20, 7));
			assert.throws(() => s.replayEvents(1n), (e) =>
				e.code === 'EACCEL_TOO_LARGE' &&
				/event 41 is 3145728 bytes/.test(e.detail));
			assert.equal(s.replayEvents(1n, 40).length, 40);
			s.close();
		} finally {
			await eng.close();
		}
	});

/* Lines of a child's stdout as they come. */
function lines(child, onLine) {
	let buf = '';
	child.stdout.setEncoding('utf8');
	child.stdout.on('data', (d) => {
		buf += d;
		let i;
		while ((i = buf.indexOf('\n')) >= 0) {
			onLine(buf.slice(0, i));
			buf = buf.slice(i + 1);
		}
	});
}

test('kill -9 of the engine mid-appends: every ack is there, nothing else',
	async () => {
		const r = root('crash');
		const planned = 20000;
		const killAt = 2000;
		const child = spawn(process.execPath,
			[require.resolve('../testlib/keepup-appender.js'), r,
				String(planned)], { stdio: ['ignore', 'pipe', 'inherit'] });
		let enginePid = 0;
		let acked = 0n;
		let error = null;
		lines(child, (l) => {
			const [k, v] = l.split(' ');
			if (k === 'engine')
				enginePid = Number(v);
			else if (k === 'ack') {
				assert.equal(BigInt(v), acked + 1n);
				acked = BigInt(v);
				if (acked === BigInt(killAt))
					process.kill(enginePid, 'SIGKILL');
			} else if (k === 'error')
				error = v;
		});
		const code = await new Promise((resolve) => child.on('exit',
			resolve));
		assert.equal(code, 3, 'the child saw its engine die');
		assert.equal(error, 'EACCEL_ENGINE_DIED');
		assert.ok(acked >= BigInt(killAt) && acked < BigInt(planned));
		const s = new ku.StorageEngine(r);
		const back = s.replayEvents(1n);
		/* Acknowledged: all there. At most the one in flight besides. */
		assert.ok(back.length === Number(acked) ||
			back.length === Number(acked) + 1,
		`${back.length} events after ${acked} acks`);
		for (let i = 0; i < back.length; i++)
			assert.ok(Buffer.from(back[i]).equals(payload(i + 1)),
				`event ${i + 1}`);
		assert.equal(s.appendEvent(Buffer.from('x')),
			BigInt(back.length + 1));
		s.close();
	});
