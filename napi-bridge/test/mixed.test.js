'use strict';
// A seeded random mix of everything at once through a small ring and arena:
// async and sync calls, aborts, pingMany, held and dropped views. Every call
// must settle exactly as asked; nothing may leak in the result arena.
const test = require('node:test');
const assert = require('node:assert/strict');
const { accel, gcUntil } = require('../testlib/helpers.js');
const { Engine } = accel;

/* xorshift32: the same sequence on every run. */
function rng(seed) {
	let x = seed >>> 0 || 1;
	return () => {
		x ^= x << 13;
		x ^= x >>> 17;
		x ^= x << 5;
		return (x >>> 0) / 4294967296;
	};
}

for (const spinUs of [50, 0]) {
	test(`random mix of calls, aborts and sync waits (spinUs ${spinUs})`, async () => {
		// Results are as large as inputs: twice reqSize of result
		// space, half of it for held views (docs/node.md, sizing).
		const eng = await Engine.start({ spinUs, sqEntries: 32, reqSize: 1 << 20,
						 resSize: 4 << 20, viewLimitPct: 50 });
		const base = (await eng.stats()).session.res_used;
		const rand = rng(0xacce1 + spinUs);
		const checks = [];
		let held = [];
		let aborted = 0, synced = 0;
		for (let round = 0; round < 300; round++) {
			const n = 1 + Math.floor(rand() * 60);
			for (let i = 0; i < n; i++) {
				const r = rand();
				const len = Math.floor(rand() * (r < 0.05 ? 200000 : 3000));
				const tag = `${round}:${i}:`;
				const data = tag + 'x'.repeat(len);
				if (r < 0.15) {
					const ac = new AbortController();
					const p = eng.echo(data, { signal: ac.signal });
					if (rand() < 0.5)
						ac.abort();
					else
						queueMicrotask(() => ac.abort());
					checks.push(p.then((b) => {
						assert.equal(b.toString(), data);
					}, (e) => {
						assert.equal(e.name, 'AbortError');
						aborted++;
					}));
				} else if (r < 0.25) {
					assert.equal(eng.echoSync(data).toString(), data);
					synced++;
				} else if (r < 0.3) {
					checks.push(eng.pingMany(1 + Math.floor(rand() * 500))
						.then((k) => assert.ok(k > 0)));
				} else if (r < 0.35) {
					assert.equal(eng.pingSync(), 0);
				} else if (r < 0.6) {
					checks.push(eng.ping().then((v) => assert.equal(v, 0)));
				} else {
					const mode = r < 0.8 ? 'buffer' : 'string';
					checks.push(eng.call('echo', data, { result: mode }).then((v) => {
						assert.equal(v.toString(), data);
						if (mode === 'buffer' && rand() < 0.3)
							held.push(v);
					}));
				}
			}
			if (round % 50 === 49)
				await Promise.all(checks.splice(0));
			if (held.length > 40)
				held = held.slice(20);
		}
		await Promise.all(checks);
		assert.ok(synced > 0 && aborted > 0, `synced ${synced}, aborted ${aborted}`);
		held = null;
		const back = await gcUntil(async () => {
			const st = await eng.stats();
			return st.session.res_used <= base && st.session.in_flight === 0;
		});
		assert.ok(back, 'result arena back to its baseline, nothing in flight');
		assert.equal(eng.info.inflight, 0);
		await eng.close();
	});
}
