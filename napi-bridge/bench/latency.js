'use strict';
// Round-trip latency and throughput of the Node bridge, for tuning spinUs
// and checking the issue-2 targets. Not a test: numbers depend on the host.
//
//   node napi-bridge/bench/latency.js [--json] [--quick]
//   node napi-bridge/bench/latency.js --pings
//
// Prints p50/p99/p999 in microseconds and ops/s; --json prints one JSON
// document instead. The project-wide harness (bench/) runs the comparisons
// with postMessage, Atomics.wait, sockets and piscina.
const v8 = require('node:v8');
const vm = require('node:vm');
const { Engine } = require('../lib/index.js');

/*
 * Results are views whose blocks return when V8 collects them: collect
 * between runs, so that each echo size starts with an empty result arena
 * (otherwise views past viewLimitPct are copied, see docs/node.md).
 */
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');
const settle = async () => {
	gc();
	await new Promise((r) => setImmediate(r));
	await new Promise((r) => setImmediate(r));
};

const args = new Set(process.argv.slice(2));
const QUICK = args.has('--quick');
const SCALE = QUICK ? 0.1 : 1;
const now = process.hrtime.bigint;

function summary(ns) {
	const a = Float64Array.from(ns).sort();
	const q = (p) => a[Math.min(a.length - 1, Math.floor(a.length * p))] / 1e3;
	return { n: a.length, p50: q(0.5), p99: q(0.99), p999: q(0.999) };
}

async function asyncPing(eng, n) {
	const lat = new Float64Array(n);
	for (let i = 0; i < n; i++) {
		const t = now();
		await eng.ping();
		lat[i] = Number(now() - t);
	}
	return summary(lat);
}

function syncPing(eng, n) {
	const lat = new Float64Array(n);
	for (let i = 0; i < n; i++) {
		const t = now();
		eng.pingSync();
		lat[i] = Number(now() - t);
	}
	return summary(lat);
}

/* depth calls in flight at all times; latency of each, and throughput. */
async function inFlight(eng, depth, n) {
	const lat = [];
	let started = 0;
	const t0 = now();
	async function lane() {
		while (started < n) {
			started++;
			const t = now();
			await eng.ping();
			lat.push(Number(now() - t));
		}
	}
	await Promise.all(Array.from({ length: depth }, lane));
	const secs = Number(now() - t0) / 1e9;
	return { ...summary(lat), opsPerSec: n / secs };
}

/* Promise-per-call batches: n calls made in one tick, awaited together. */
async function promiseBatches(eng, batch, rounds) {
	const t0 = now();
	for (let r = 0; r < rounds; r++) {
		const ps = new Array(batch);
		for (let i = 0; i < batch; i++)
			ps[i] = eng.ping();
		await Promise.all(ps);
	}
	return { batch, opsPerSec: (batch * rounds) / (Number(now() - t0) / 1e9) };
}

async function pingMany(eng, n) {
	const t0 = now();
	await eng.pingMany(n);
	return { n, opsPerSec: n / (Number(now() - t0) / 1e9) };
}

async function echoSizes(eng) {
	const out = [];
	for (const size of [64, 4096, 65536, 1 << 20, 16 << 20]) {
		const buf = Buffer.alloc(size, 7);
		const n = Math.max(20, Math.floor((size >= 1 << 20 ? 100 : 5000) * SCALE));
		const lat = new Float64Array(n), slat = new Float64Array(n);
		await settle();
		const copied0 = eng.info.viewsCopied;
		for (let i = 0; i < n; i++) {
			const t = now();
			await eng.echo(buf);
			lat[i] = Number(now() - t);
		}
		const copied1 = eng.info.viewsCopied;
		await settle();
		/* A sync loop never yields: its views return only afterwards. */
		for (let i = 0; i < n; i++) {
			const t = now();
			eng.echoSync(buf);
			slat[i] = Number(now() - t);
			if ((i & 7) === 7)
				gc();
		}
		out.push({ size, async: summary(lat), sync: summary(slat),
			   asyncCopied: copied1 - copied0,
			   syncCopied: eng.info.viewsCopied - copied1 });
	}
	return out;
}

/* --pings: the ping paths only, the two spin settings alternated. */
async function pingsOnly() {
	for (const spinUs of [50, 0, 50, 0]) {
		const eng = await Engine.start({ spinUs });
		await asyncPing(eng, 2000);
		const a = await asyncPing(eng, 20000);
		const s = syncPing(eng, 50000);
		const m = await pingMany(eng, 2e6);
		const inf = eng.info;
		console.log(`spinUs=${spinUs}: async ping p50 ${a.p50.toFixed(2)} p99 ` +
			    `${a.p99.toFixed(2)} us | pingSync p50 ${s.p50.toFixed(2)} ` +
			    `p99 ${s.p99.toFixed(2)} us | pingMany ` +
			    `${(m.opsPerSec / 1e6).toFixed(2)} M ops/s | window now ` +
			    `${inf.spinEffUs} us, ${inf.spinHits} hits, ` +
			    `${inf.spinMisses} misses`);
		await eng.close();
	}
}

async function main() {
	if (args.has('--pings'))
		return pingsOnly();
	const res = { node: process.version, results: {} };
	for (const spinUs of [50, 20, 0]) {
		const eng = await Engine.start({ spinUs });
		await asyncPing(eng, 2000); /* warm up */
		res.results[`spinUs=${spinUs}`] = {
			asyncPing: await asyncPing(eng, Math.floor(50000 * SCALE)),
			pingSync: syncPing(eng, Math.floor(200000 * SCALE)),
			inFlight256: await inFlight(eng, 256, Math.floor(500000 * SCALE)),
		};
		await eng.close();
	}
	const eng = await Engine.start();
	res.results.promiseBatch1024 = await promiseBatches(eng, 1024, Math.floor(500 * SCALE));
	res.results.pingMany = await pingMany(eng, Math.floor(20e6 * SCALE));
	res.results.echo = await echoSizes(eng);
	await eng.close();

	if (args.has('--json')) {
		console.log(JSON.stringify(res, null, 1));
		return;
	}
	const f = (s) => `p50 ${s.p50.toFixed(2)}  p99 ${s.p99.toFixed(2)}  p999 ${s.p999.toFixed(2)} us`;
	for (const [k, v] of Object.entries(res.results)) {
		if (k.startsWith('spinUs')) {
			console.log(`${k}: async ping ${f(v.asyncPing)}`);
			console.log(`${k}: pingSync   ${f(v.pingSync)}`);
			console.log(`${k}: 256 in flight ${f(v.inFlight256)}  ${(v.inFlight256.opsPerSec / 1e6).toFixed(2)} M ops/s`);
		}
	}
	console.log(`Promise.all of 1024 pings: ${(res.results.promiseBatch1024.opsPerSec / 1e6).toFixed(2)} M ops/s`);
	console.log(`pingMany: ${(res.results.pingMany.opsPerSec / 1e6).toFixed(2)} M ops/s`);
	for (const e of res.results.echo)
		console.log(`echo ${e.size} B: async ${f(e.async)} | sync ${f(e.sync)}` +
			    ` (copied: ${e.asyncCopied} async, ${e.syncCopied} sync)`);
}

main().catch((e) => {
	console.error(e);
	process.exit(1);
});
