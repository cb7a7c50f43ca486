// SPDX-License-Identifier: MIT
//
// Node's own compressors on the corpus the C bench uses: gzip (zlib) and
// brotli, ratio and MB/s, on the 10.6 MB text corpus and on ~1 KB chat-like
// JSON messages one at a time. Compare with `context_bench` (zstd through
// accel_context and libzstd directly on the same bytes).
//
//   node bench/context_peers.mjs [--bench build/bench/context_bench] [--quick]
//
// The bench binary writes the corpus (`--dump DIR`), so both sides measure
// exactly the same input. Each figure is the best of several runs.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import zlib from 'node:zlib';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const bi = args.indexOf('--bench');
const bench = bi >= 0 ? args[bi + 1] : 'build/bench/context_bench';
const runs = quick ? 2 : 5;

const dir = mkdtempSync(join(tmpdir(), 'accel-ctx-peers-'));
try {
	execFileSync(bench, ['--dump', dir], { stdio: 'inherit' });
} catch (e) {
	console.error(`context_peers: cannot run ${bench} --dump (build it with ` +
		'`ninja -C <build> context_bench`, or pass --bench PATH)');
	process.exit(1);
}
const corpus = readFileSync(join(dir, 'corpus.bin'));
const msgBuf = readFileSync(join(dir, 'messages.bin'));
const sizeLines = readFileSync(join(dir, 'messages.sizes'), 'utf8').trim().split('\n');
rmSync(dir, { recursive: true });

const [ntrain, ntest] = sizeLines[0].split(' ').map(Number);
const sizes = sizeLines.slice(1).map(Number);
let off = 0;
const msgs = [];
for (let i = 0; i < ntrain + ntest; i++) {
	msgs.push(msgBuf.subarray(off, off + sizes[i]));
	off += sizes[i];
}
const heldOut = msgs.slice(ntrain);

function best(fn) {
	let bestNs = Infinity, out;
	for (let r = 0; r < runs; r++) {
		const t0 = process.hrtime.bigint();
		out = fn();
		const ns = Number(process.hrtime.bigint() - t0);
		if (ns < bestNs) bestNs = ns;
	}
	return { ns: bestNs, out };
}

const mbs = (bytes, ns) => (bytes / 1e6 / (ns / 1e9)).toFixed(1);

const peers = [
	['gzip -6', (b) => zlib.gzipSync(b), (b) => zlib.gunzipSync(b)],
	['gzip -1', (b) => zlib.gzipSync(b, { level: 1 }), (b) => zlib.gunzipSync(b)],
	['brotli q5', (b) => zlib.brotliCompressSync(b, {
		params: {
			[zlib.constants.BROTLI_PARAM_QUALITY]: 5,
			[zlib.constants.BROTLI_PARAM_SIZE_HINT]: b.length,
			[zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT,
		},
	}), (b) => zlib.brotliDecompressSync(b)],
	['brotli q11', (b) => zlib.brotliCompressSync(b, {
		params: {
			[zlib.constants.BROTLI_PARAM_QUALITY]: 11,
			[zlib.constants.BROTLI_PARAM_SIZE_HINT]: b.length,
			[zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT,
		},
	}), (b) => zlib.brotliDecompressSync(b)],
];

console.log(`node ${process.version}, zlib ${process.versions.zlib}, brotli ${process.versions.brotli}`);
console.log(`\n== Node zlib on ${(corpus.length / 1e6).toFixed(2)} MB of real text (best of ${runs}) ==`);
console.log('peer'.padEnd(12), 'comp MB/s'.padStart(10), 'dec MB/s'.padStart(10), 'ratio'.padStart(8));
for (const [name, comp, dec] of peers) {
	// brotli q11 on 10 MB takes tens of seconds a run: one run is enough
	// to see where it stands.
	const slow = name === 'brotli q11';
	const c = slow ? (() => {
		const t0 = process.hrtime.bigint();
		const out = comp(corpus);
		return { ns: Number(process.hrtime.bigint() - t0), out };
	})() : best(() => comp(corpus));
	const d = best(() => dec(c.out));
	if (Buffer.compare(d.out, corpus) !== 0) throw new Error(`${name} round trip`);
	console.log(name.padEnd(12), mbs(corpus.length, c.ns).padStart(10),
		mbs(corpus.length, d.ns).padStart(10),
		(corpus.length / c.out.length).toFixed(3).padStart(8), slow ? '(1 run)' : '');
}

const raw = heldOut.reduce((a, m) => a + m.length, 0);
console.log(`\n== ~1 KB chat JSON messages, one at a time: ${heldOut.length} held-out (${(raw / 1e6).toFixed(2)} MB) ==`);
console.log('peer'.padEnd(12), 'comp MB/s'.padStart(10), 'dec MB/s'.padStart(10), 'ratio'.padStart(8));
for (const [name, comp, dec] of peers) {
	const c = best(() => heldOut.map(comp));
	const total = c.out.reduce((a, b) => a + b.length, 0);
	const d = best(() => c.out.map(dec));
	for (let i = 0; i < heldOut.length; i++)
		if (Buffer.compare(d.out[i], heldOut[i]) !== 0) throw new Error(`${name} round trip`);
	console.log(name.padEnd(12), mbs(raw, c.ns).padStart(10), mbs(raw, d.ns).padStart(10),
		(raw / total).toFixed(3).padStart(8));
}

// zstd through the engine, synchronously from Node, once the engine serves
// the `context` op (engine/ops/context.c): same corpus, same messages.
async function throughEngine() {
	let Engine;
	try {
		({ Engine } = createRequire(import.meta.url)('../napi-bridge/lib/index.js'));
	} catch (e) {
		console.log(`\n(zstd through the engine: skipped, addon not built: ${e.message.split('\n')[0]})`);
		return;
	}
	let eng;
	try {
		eng = await Engine.start({ reqSize: 64 << 20, resSize: 64 << 20 });
		eng.callSync('context', Buffer.from('probe'), { args: [1, 3, 0], result: 'copy' });
	} catch (e) {
		console.log(`\n(zstd through the engine: skipped: ${e.code || ''} ${e.message})`);
		if (eng) await eng.close();
		return;
	}
	const chunk = 4 << 20;
	console.log(`\n== zstd through the engine (callSync 'context', ${chunk >> 20} MB requests, level 3) ==`);
	const c = best(() => {
		const out = [];
		for (let off = 0; off < corpus.length; off += chunk)
			out.push(eng.callSync('context', corpus.subarray(off, off + chunk), { args: [1, 3, 0], result: 'copy' }));
		return out;
	});
	const total = c.out.reduce((a, b) => a + b.length, 0);
	const d = best(() => c.out.map((f) => eng.callSync('context', f, { args: [2, 0, 0], result: 'copy' })));
	if (Buffer.compare(Buffer.concat(d.out), corpus) !== 0) throw new Error('engine round trip');
	console.log('engine zstd'.padEnd(12), mbs(corpus.length, c.ns).padStart(10),
		mbs(corpus.length, d.ns).padStart(10), (corpus.length / total).toFixed(3).padStart(8));
	const m = best(() => heldOut.map((x) => eng.callSync('context', x, { args: [1, 3, 0], result: 'copy' })));
	const mt = m.out.reduce((a, b) => a + b.length, 0);
	console.log('engine, ~1 KB messages one call each:', mbs(raw, m.ns), 'MB/s, ratio', (raw / mt).toFixed(3));
	await eng.close();
}
await throughEngine();
