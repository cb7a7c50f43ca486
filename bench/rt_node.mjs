// SPDX-License-Identifier: MIT
// Round trips from Node (issue 2, item 11): agent-accel through the Node
// bridge, and in the same process, right after, the paths a Node user would
// pick instead (bench/peers/). bench/run.sh runs it; by hand:
//
//   node --expose-gc bench/rt_node.mjs --json out.json \
//        [--echo-socket PATH] [--scale X] [--only ours,postmessage,...]
//
// Series (ids as in the JSON; bench/report.mjs turns them into tables):
//   node.pingSync               eng.pingSync(), waits on the calling thread
//   node.ping                   await eng.ping(), one at a time
//   node.ping.inflight256       eng.ping() with 256 promises in flight
//   node.pingMany.N             await eng.pingMany(N): one sample per batch
//   node.echo[Sync].total.S     await eng.echo(buf) / eng.echoSync(buf)
//   node.echo.copy_in.S         reference: copying S bytes into a Buffer,
//                               what the submit side must pay once
//   node.echo.copy_out.S        reference: Buffer.from(result), what a
//                               copying way back would add
//   peer.*                      bench/peers/*.mjs

import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hist, measure, measureSync, measureInflight, now, sizeName, timerOverheadNs, ECHO_SIZES } from './hist.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const require = createRequire(import.meta.url);

function parseArgs(argv) {
	const o = {
		json: null, echoSocket: null, scale: 1, only: null, spinUs: 0,
		bridge: join(root, 'napi-bridge'),
		payload: [
			join(root, 'node_modules/typescript/lib/typescript.js'),
			join(root, 'node_modules/typescript/lib/lib.dom.d.ts'),
		],
	};
	for (let i = 2; i < argv.length; i++) {
		const a = argv[i], v = argv[i + 1];
		if (a === '--help') {
			console.log('usage: node --expose-gc bench/rt_node.mjs [--json FILE] [--echo-socket PATH] [--scale X]\n' +
				'       [--only ours,postmessage,atomics,unix,piscina] [--spin-us N] [--bridge DIR] [--payload F1:F2]');
			process.exit(0);
		}
		if (v === undefined) throw new Error(`${a} needs a value`);
		i++;
		if (a === '--json') o.json = v;
		else if (a === '--echo-socket') o.echoSocket = v;
		else if (a === '--scale') o.scale = Number(v);
		else if (a === '--only') o.only = v.split(',');
		else if (a === '--spin-us') o.spinUs = Number(v);
		else if (a === '--bridge') o.bridge = resolve(v);
		else if (a === '--payload') o.payload = v.split(':');
		else throw new Error(`unknown option ${a}`);
	}
	if (!(o.scale > 0)) throw new Error('--scale must be > 0');
	return o;
}

// Real bytes to echo: source files concatenated and repeated to 16 MiB.
function loadPayload(files) {
	const want = 16 << 20;
	const parts = [];
	let have = 0;
	for (const f of files) {
		try {
			const b = readFileSync(f);
			parts.push(b);
			have += b.length;
		} catch { /* a missing file just contributes nothing */ }
	}
	if (!have) throw new Error('payload: no readable file');
	const src = Buffer.concat(parts, have);
	const buf = Buffer.allocUnsafe(want);
	for (let off = 0; off < want; off += src.length) src.copy(buf, off, 0, Math.min(src.length, want - off));
	return buf;
}

const gc = globalThis.gc ?? (() => {});

// Runs the GC and yields to the event loop, where Node runs the finalizers
// of external buffers (which give result blocks back to the engine).
async function collect() {
	for (let k = 0; k < 2; k++) {
		gc();
		await new Promise((resolve) => setImmediate(resolve));
	}
}

async function runOurs(o, it, payload, log) {
	const { Engine } = require(o.bridge);
	// The same arenas as rt_bench: 16 MiB in and out with room to spare.
	const opts = { reqSize: 64 << 20, resSize: 64 << 20 };
	if (o.spinUs) opts.engineSpinUs = o.spinUs;
	const eng = await Engine.start(opts);
	const out = [];
	const push = (h, meta) => {
		const s = h.toJSON(meta);
		out.push(s);
		log(s);
	};
	try {
		push(measureSync(it(200000), it(20000), () => eng.pingSync()),
			{ id: 'node.pingSync', label: 'pingSync()', group: 'ping' });
		push(await measure(it(200000), it(20000), () => eng.ping()),
			{ id: 'node.ping', label: 'await ping(), one at a time', group: 'ping' });
		push(await measureInflight(it(400000), it(40000), 256, () => eng.ping()),
			{ id: 'node.ping.inflight256', label: 'ping(), 256 in flight', group: 'ping' });

		for (const n of [1, 16, 256, 4096, 65536]) {
			const iters = it(n >= 4096 ? Math.max(100, 2000000 / n) : 200000 / Math.sqrt(n));
			const h = await measure(iters, Math.ceil(iters / 10), () => eng.pingMany(n));
			h.finish(h.wallNs, h.n * n);
			push(h, { id: `node.pingMany.${n}`, label: `await pingMany(${n})`, group: 'batch', batch: n });
		}

		for (const size of ECHO_SIZES) {
			await echoSeries(eng, it, payload, size, push);
		}
		let stats = null;
		try {
			const s = await eng.stats();
			stats = typeof s === 'string' ? JSON.parse(s) : Buffer.isBuffer(s) ? JSON.parse(s.toString()) : s;
		} catch (e) {
			stats = { error: String(e) };
		}
		return { series: out, engine_stats: stats };
	} finally {
		await eng.close();
	}
}

// The sync path once more with the calling thread spinning before it
// sleeps (syncSpinUs), to show what the spin window buys next to the
// default. A separate engine, so that the main series see the defaults.
async function runOursTuned(o, it, log) {
	const { Engine } = require(o.bridge);
	const opts = { syncSpinUs: 50 };
	if (o.spinUs) opts.engineSpinUs = o.spinUs;
	const eng = await Engine.start(opts);
	try {
		const h = measureSync(it(100000), it(10000), () => eng.pingSync());
		const s = h.toJSON({ id: 'node.pingSync.spin50', label: 'pingSync(), syncSpinUs: 50', group: 'ping' });
		log(s);
		return [s];
	} finally {
		await eng.close();
	}
}

function echoIters(size) {
	return size <= 4096 ? 50000 : size <= 65536 ? 20000 : size <= 1 << 20 ? 2000 : 200;
}

async function echoSeries(eng, it, payload, size, push) {
	const n = it(echoIters(size)), warm = Math.ceil(n / 10);
	const sz = sizeName(size);
	const input = (i) => payload.subarray((i * 4096) % (payload.length - size + 1)).subarray(0, size);
	// Results view the shared result arena until they are collected, and
	// a sync loop never lets the GC's finalizers run. So every gcEvery
	// calls (16 MiB of results), outside the timed region, collect and
	// yield once so that the blocks go back to the engine.
	const block = Math.max(256, 2 ** Math.ceil(Math.log2(size)));
	const gcEvery = Math.max(1, Math.floor((16 << 20) / block));

	// Correctness first: an echo that returns other bytes measures nothing.
	// The results are dropped before timing: each holds arena space.
	{
		const a = await eng.echo(input(0));
		if (!(a instanceof Uint8Array)) throw new Error('echo: not a Buffer');
		if (Buffer.compare(a, input(0)) !== 0) throw new Error(`echo ${sz}: bytes differ`);
		const b = eng.echoSync(input(1));
		if (Buffer.compare(b, input(1)) !== 0) throw new Error(`echoSync ${sz}: bytes differ`);
	}
	await collect();

	const timed = async (label, id, call) => {
		const h = new Hist(n);
		let start = 0n;
		for (let i = 0; i < warm + n; i++) {
			if (i % gcEvery === 0) await collect();
			if (i === warm) start = now();
			const buf = input(i);
			const t0 = now();
			const r = call(buf);
			const res = r && typeof r.then === 'function' ? await r : r;
			const t1 = now();
			if (res.length !== size) throw new Error(`${id}: wrong length`);
			if (i >= warm) h.add(Number(t1 - t0));
		}
		h.finish(Number(now() - start));
		push(h, { id, label, group: 'echo', size, stage: 'total' });
	};
	await timed(`await echo(${sz} B)`, `node.echo.total.${sz}`, (b) => eng.echo(b));
	await collect();
	await timed(`echoSync(${sz} B)`, `node.echoSync.total.${sz}`, (b) => eng.echoSync(b));
	await collect();

	// References: one copy of the input (the submit side's unavoidable
	// copy into the arena), and one copy of a result (what a copying way
	// back would add on top).
	const dst = Buffer.allocUnsafe(size);
	let h = measureSync(n, warm, (i) => input(i).copy(dst));
	push(h, { id: `node.echo.copy_in.${sz}`, label: `reference: copy ${sz} B into a Buffer`, group: 'echo', size, stage: 'copy_in' });
	const res = await eng.echo(input(0));
	const m = Math.ceil(n / 4);
	h = measureSync(m, Math.ceil(m / 10), () => Buffer.from(res));
	push(h, { id: `node.echo.copy_out.${sz}`, label: `reference: Buffer.from(result) of ${sz} B`, group: 'echo', size, stage: 'copy_out' });
	await collect();
}

async function main() {
	const o = parseArgs(process.argv);
	const it = (n) => Math.max(20, Math.round(n * o.scale));
	const payload = loadPayload(o.payload);
	const want = (p) => !o.only || o.only.includes(p);
	const log = (s) => process.stderr.write(`  ${s.id.padEnd(30)} p50 ${(s.p50_ns / 1e3).toFixed(2).padStart(9)} us  p99 ${(s.p99_ns / 1e3).toFixed(2).padStart(9)} us  p999 ${(s.p999_ns / 1e3).toFixed(2).padStart(9)} us  ${(s.ops_per_s / 1e6).toFixed(3)} Mops/s\n`);
	const doc = {
		side: 'node', node: process.version, scale: o.scale, spin_us: o.spinUs,
		timer_overhead_ns: timerOverheadNs(), gc_exposed: !!globalThis.gc,
		series: [], errors: [],
	};
	const t0 = now();
	if (want('ours')) {
		try {
			const r = await runOurs(o, it, payload, log);
			doc.series.push(...r.series);
			doc.engine_stats = r.engine_stats;
			doc.series.push(...await runOursTuned(o, it, log));
		} catch (e) {
			doc.errors.push({ part: 'ours', error: String(e && e.stack || e) });
			process.stderr.write(`rt_node: agent-accel via the bridge failed: ${e && e.stack || e}\n`);
		}
	}
	const peers = [['postmessage', './peers/postmessage.mjs'], ['atomics', './peers/atomics.mjs'],
		['unix', './peers/unix_socket.mjs'], ['piscina', './peers/piscina.mjs']];
	for (const [name, file] of peers) {
		if (!want(name)) continue;
		if (name === 'unix' && !o.echoSocket) {
			doc.errors.push({ part: name, error: 'no --echo-socket given' });
			continue;
		}
		try {
			const mod = await import(file);
			for (const s of await mod.run({ it, payload, echoSocket: o.echoSocket })) {
				doc.series.push(s);
				log(s);
			}
		} catch (e) {
			doc.errors.push({ part: name, error: String(e && e.stack || e) });
			process.stderr.write(`rt_node: peer ${name} failed: ${e && e.stack || e}\n`);
		}
	}
	doc.elapsed_ns = Number(now() - t0);
	const text = JSON.stringify(doc, null, 1);
	if (o.json) writeFileSync(o.json, text);
	else process.stdout.write(text + '\n');
	process.exitCode = doc.errors.length ? 1 : 0;
}

main().catch((e) => {
	process.stderr.write(`rt_node: ${e && e.stack || e}\n`);
	process.exit(2);
});
