// SPDX-License-Identifier: MIT
// The context ops end to end from Node (napi-bridge/lib/ops/context.js):
// zstd through the engine against Node's zlib gzip and brotli on the same
// real text in one run (ratio, MB/s), a trained dictionary against none on
// ~1 KB chat-like JSON messages, and the per-call cost of the small ops
// (store put/get, a compaction plan, durable journal appends).
//
//   node bench/context_node.mjs [--quick] [--out FILE.json]
//
// Corpus: node_modules/typescript/lib/typescript.js + lib.dom.d.ts + every
// /usr/share/doc/*/copyright (what bench/context_bench.c reads). Messages:
// ~1 KB JSON objects cut from that text, 10,000 to train, 2,000 held out.
// Figures are the best of several runs (the machine is shared), decoded
// output is checked against the input once per peer.
// Environment: ACCEL_ENGINE, ACCEL_ADDON (napi-bridge/lib/index.js).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { Hist, now } from './hist.mjs';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const RANKS = join(REPO, 'node_modules/gpt-tokenizer/data');
process.env.ACCEL_RANK_DIR ??= RANKS;
process.env.ACCEL_TOKENIZER_DATA ??= RANKS;
const { Engine } = await import('../napi-bridge/lib/index.mjs');

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const oi = args.indexOf('--out');
const stamp = new Date().toISOString().replace(/[-:]/g, '').slice(0, 13) + 'Z';
const outFile = oi >= 0 ? args[oi + 1] :
	join(REPO, 'bench/results', `context-node-${stamp}.json`);
const runs = quick ? 2 : 5;

/* The copyright files of /usr/share/doc in name order, up to want bytes. */
function copyrights(want) {
	const out = [];
	let used = 0;
	for (const d of readdirSync('/usr/share/doc').filter((n) => !n.startsWith('.')).sort()) {
		if (used >= want)
			break;
		let f;
		try {
			f = readFileSync(join('/usr/share/doc', d, 'copyright'));
		} catch {
			continue; /* not every package has one */
		}
		f = f.subarray(0, want - used);
		out.push(f);
		used += f.length;
	}
	return Buffer.concat(out);
}

/* bench/context_bench.c's corpus: 10.6 MB of typescript.js, lib.dom.d.ts, prose. */
const TS = join(REPO, 'node_modules/typescript/lib');
const CORPUS_BYTES = 10600 * 1000;
const head = Buffer.concat([readFileSync(join(TS, 'typescript.js')),
	readFileSync(join(TS, 'lib.dom.d.ts'))]).subarray(0, CORPUS_BYTES);
const corpus = Buffer.concat([head, copyrights(CORPUS_BYTES - head.length)]);

/* JSON-escapes bytes the way tests/context/corpus.c does. */
function escape(b) {
	const out = [];
	for (const c of b) {
		if (c === 0x22 || c === 0x5c)
			out.push(0x5c, c);
		else if (c === 0x0a)
			out.push(0x5c, 0x6e);
		else if (c === 0x09)
			out.push(0x5c, 0x74);
		else if (c < 0x20)
			out.push(...Buffer.from(`\\u${c.toString(16).padStart(4, '0')}`));
		else
			out.push(c);
	}
	return Buffer.from(out);
}

/* tests/context/corpus.c's corpus_messages(): ~1 KB chat JSON, same bytes. */
function chatMessages(n) {
	const roles = ['user', 'assistant', 'tool'];
	const text = copyrights(16 << 20);
	const tl = text.length;
	const out = [];
	let pos = 0;
	for (let i = 0; i < n; i++) {
		const want = 600 + (i * 7919) % 500;
		if (pos + want + 200 > tl)
			pos = (i * 104729) % Math.floor(tl / 2);
		let take = want;
		while (take < want + 200 && pos + take < tl && text[pos + take - 1] !== 0x0a)
			take++;
		out.push(Buffer.concat([
			Buffer.from(`{"id":"msg_${String(i).padStart(6, '0')}","role":"${roles[i % 3]}",` +
				`"turn":${Math.floor(i / 2)},"content":"`),
			escape(text.subarray(pos, pos + take)), Buffer.from('"}')]));
		pos += take;
	}
	return out;
}
const msgs = chatMessages(12000);
const train = msgs.slice(0, 10000);
const held = msgs.slice(10000);
const heldBytes = held.reduce((a, m) => a + m.length, 0);

function best(fn, n = runs) {
	let bestNs = Infinity;
	let out;
	for (let r = 0; r < n; r++) {
		const t0 = now();
		out = fn();
		const ns = Number(now() - t0);
		if (ns < bestNs)
			bestNs = ns;
	}
	return { ns: bestNs, out };
}

async function bestAsync(fn, n = runs) {
	let bestNs = Infinity;
	let out;
	for (let r = 0; r < n; r++) {
		const t0 = now();
		out = await fn();
		const ns = Number(now() - t0);
		if (ns < bestNs)
			bestNs = ns;
	}
	return { ns: bestNs, out };
}

const mbs = (bytes, ns) => +(bytes / 1e6 / (ns / 1e9)).toFixed(1);
const sum = (a) => a.reduce((x, b) => x + b.length, 0);
const same = (a, b) => {
	if (Buffer.compare(Buffer.concat(a), Buffer.concat(b)) !== 0)
		throw new Error('round trip differs');
};

const eng = await Engine.start({ reqSize: 128 << 20, resSize: 512 << 20 });
const result = {
	node: process.version, zlib: process.versions.zlib, brotli: process.versions.brotli,
	load: readFileSync('/proc/loadavg', 'utf8').trim(),
	corpus_bytes: corpus.length, messages: { train: train.length, held_out: held.length,
		bytes: heldBytes },
	corpus: {}, messages_results: {}, small_ops: {},
};

// ---- 1. the corpus in 4 MiB requests (and whole), every peer in turn.
const CH = 4 << 20;
const chunks = [];
for (let off = 0; off < corpus.length; off += CH)
	chunks.push(corpus.subarray(off, off + CH));

const brotli = (q) => (b) => zlib.brotliCompressSync(b, { params: {
	[zlib.constants.BROTLI_PARAM_QUALITY]: q,
	[zlib.constants.BROTLI_PARAM_SIZE_HINT]: b.length,
	[zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT,
} });
const peers = [
	['zstd -1 engine sync', (b) => Buffer.from(eng.compressSync(b, { level: 1 })),
		(f) => Buffer.from(eng.decompressSync(f))],
	['zstd -3 engine sync', (b) => Buffer.from(eng.compressSync(b, { level: 3 })),
		(f) => Buffer.from(eng.decompressSync(f))],
	['zstd -3 engine views', (b) => eng.compressSync(b, { level: 3 }),
		(f) => eng.decompressSync(f)],
	['zstd -9 engine sync', (b) => Buffer.from(eng.compressSync(b, { level: 9 })),
		(f) => Buffer.from(eng.decompressSync(f))],
	['gzip -6', (b) => zlib.gzipSync(b), (b) => zlib.gunzipSync(b)],
	['gzip -1', (b) => zlib.gzipSync(b, { level: 1 }), (b) => zlib.gunzipSync(b)],
	['brotli q5', brotli(5), (b) => zlib.brotliDecompressSync(b)],
];
for (const [name, comp, dec] of peers) {
	const c = best(() => chunks.map(comp));
	const d = best(() => c.out.map(dec));
	same(d.out, chunks);
	result.corpus[name] = { comp_mbs: mbs(corpus.length, c.ns),
		dec_mbs: mbs(corpus.length, d.ns), ratio: +(corpus.length / sum(c.out)).toFixed(3) };
}
// Async: all chunks in flight at once (the engine's workers share them).
{
	const c = await bestAsync(() => Promise.all(chunks.map((b) => eng.compress(b, { level: 3 }))));
	const d = await bestAsync(() => Promise.all(c.out.map((f) => eng.decompress(f))));
	same(d.out, chunks);
	result.corpus['zstd -3 engine async x' + chunks.length] = {
		comp_mbs: mbs(corpus.length, c.ns), dec_mbs: mbs(corpus.length, d.ns),
		ratio: +(corpus.length / sum(c.out)).toFixed(3) };
	// One request of the whole corpus.
	const w = best(() => Buffer.from(eng.compressSync(corpus)));
	const wd = best(() => eng.decompressSync(w.out));
	same([wd.out], [corpus]);
	result.corpus['zstd -3 engine sync, one request'] = {
		comp_mbs: mbs(corpus.length, w.ns), dec_mbs: mbs(corpus.length, wd.ns),
		ratio: +(corpus.length / w.out.length).toFixed(3) };
}

// ---- 2. ~1 KB messages, one call each: dictionary against none.
// The dictionary with trainDictionary's defaults (size from the samples),
// and one of zstd's usual 110 KiB for comparison.
const t0 = now();
const dict = eng.trainDictionarySync(train);
const trainMs = Number(now() - t0) / 1e6;
const dict110 = eng.trainDictionarySync(train, { size: 110 * 1024 });
const dictName = `zstd -3 engine + ${Math.round(dict.size / 1024)} KiB dict (default)`;
const mpeers = [
	['zstd -3 engine', (m) => eng.compressSync(m), (f) => eng.decompressSync(f)],
	[dictName, (m) => eng.compressSync(m, { dict }),
		(f) => eng.decompressSync(f, { dict })],
	['zstd -3 engine + 110 KiB dict', (m) => eng.compressSync(m, { dict: dict110 }),
		(f) => eng.decompressSync(f, { dict: dict110 })],
	['gzip -6', (m) => zlib.gzipSync(m), (b) => zlib.gunzipSync(b)],
	['brotli q5', brotli(5), (b) => zlib.brotliDecompressSync(b)],
	['brotli q11', brotli(11), (b) => zlib.brotliDecompressSync(b)],
];
for (const [name, comp, dec] of mpeers) {
	const c = best(() => held.map((m) => Buffer.from(comp(m))));
	const d = best(() => c.out.map((f) => Buffer.from(dec(f))));
	same(d.out, held);
	const h = new Hist(held.length);
	for (const m of held) {
		const a = now();
		comp(m);
		h.add(Number(now() - a));
	}
	h.finish(0);
	result.messages_results[name] = { comp_mbs: mbs(heldBytes, c.ns),
		dec_mbs: mbs(heldBytes, d.ns), ratio: +(heldBytes / sum(c.out)).toFixed(3),
		comp_p50_us: +(h.pct(0.5) / 1e3).toFixed(2), comp_p99_us: +(h.pct(0.99) / 1e3).toFixed(2) };
}
result.messages_results.dict_train_ms = +trainMs.toFixed(1);
result.messages_results.dict_bytes = dict.size;
result.messages_results.dict_gain = +(result.messages_results[dictName].ratio /
	result.messages_results['zstd -3 engine'].ratio).toFixed(3);
result.messages_results.dict_gain_110k = +(result.messages_results['zstd -3 engine + 110 KiB dict'].ratio /
	result.messages_results['zstd -3 engine'].ratio).toFixed(3);
dict.freeSync();
dict110.freeSync();

// ---- 3. small ops, sync, one at a time: p50 / p99 per call.
/* Each call is followed by a pingSync: the transport in the same machine state. */
function lat(name, n, fn) {
	const h = new Hist(n);
	const p = new Hist(n);
	for (let i = 0; i < n; i++) {
		const a = now();
		fn(i);
		const b = now();
		h.add(Number(b - a));
		eng.pingSync();
		p.add(Number(now() - b));
	}
	h.finish(0);
	p.finish(0);
	result.small_ops[name] = { n, p50_us: +(h.pct(0.5) / 1e3).toFixed(2),
		p99_us: +(h.pct(0.99) / 1e3).toFixed(2),
		ping_p50_us: +(p.pct(0.5) / 1e3).toFixed(2) };
}
lat('pingSync (transport)', held.length, () => eng.pingSync());
const keys = held.map((m) => eng.store.putSync(m));
lat('store.putSync (dup, ~1 KB)', held.length, (i) => eng.store.putSync(held[i]));
lat('store.getSync (~1 KB)', held.length, (i) => eng.store.getSync(keys[i]));
lat('store.hasSync', held.length, (i) => eng.store.hasSync(keys[i]));
const conv = held.slice(0, 200).map((m, i) => ({ role: ['user', 'assistant', 'tool'][i % 3],
	text: m.toString(), pinned: i === 0 }));
const convTokens = eng.compactSync(conv, { budget: 1e12 }).totalBefore;
lat(`compactSync (200 msgs, ${convTokens} tokens, budget 1/3)`, quick ? 20 : 100,
    () => eng.compactSync(conv, { budget: Math.floor(convTokens / 3), preserveLast: 4 }));
lat('compactSync (200 msgs, fits)', quick ? 20 : 100,
    () => eng.compactSync(conv, { budget: 1e12 }));
const root = mkdtempSync(join(tmpdir(), 'accel-ctx-node-'));
try {
	const j = eng.eventlog.openSync(root);
	lat('eventlog appendSync (~1 KB, fdatasync each)', quick ? 50 : 300,
	    (i) => j.appendSync(held[i]));
	for (const conc of [16, 64]) {
		const n = quick ? 256 : 1024;
		const t = now();
		for (let i = 0; i < n; i += conc)
			await Promise.all(held.slice(i, i + conc).map((m) => j.append(m)));
		result.small_ops[`eventlog append x${conc} in flight`] = {
			n, appends_per_s: Math.round(n / (Number(now() - t) / 1e9)) };
	}
	const r = best(() => j.replaySync(1n), 3);
	result.small_ops['eventlog replaySync all'] = { events: r.out.length,
		ms: +(r.ns / 1e6).toFixed(2) };
	j.closeSync();
} finally {
	rmSync(root, { recursive: true, force: true });
}
await eng.close();

// ---- report
console.log(`node ${process.version}, load ${result.load}`);
console.log(`\n== ${(corpus.length / 1e6).toFixed(2)} MB of real text in ${CH >> 20} MiB requests, best of ${runs} ==`);
console.log('peer'.padEnd(36), 'comp MB/s'.padStart(10), 'dec MB/s'.padStart(10), 'ratio'.padStart(8));
for (const [k, v] of Object.entries(result.corpus))
	console.log(k.padEnd(36), String(v.comp_mbs).padStart(10), String(v.dec_mbs).padStart(10),
		String(v.ratio).padStart(8));
console.log(`\n== ${held.length} held-out ~1 KB chat JSON messages, one call each ==`);
console.log('peer'.padEnd(36), 'comp MB/s'.padStart(10), 'dec MB/s'.padStart(10), 'ratio'.padStart(8),
	'p50 us'.padStart(8), 'p99 us'.padStart(8));
for (const [k, v] of Object.entries(result.messages_results))
	if (typeof v === 'object')
		console.log(k.padEnd(36), String(v.comp_mbs).padStart(10), String(v.dec_mbs).padStart(10),
			String(v.ratio).padStart(8), String(v.comp_p50_us).padStart(8),
			String(v.comp_p99_us).padStart(8));
console.log(`default dictionary: ${result.messages_results.dict_bytes} bytes, trained in ` +
	`${result.messages_results.dict_train_ms} ms, ratio gain ${result.messages_results.dict_gain}x ` +
	`(110 KiB: ${result.messages_results.dict_gain_110k}x)`);
console.log('\n== small ops from Node, sync ==');
for (const [k, v] of Object.entries(result.small_ops))
	console.log(k.padEnd(52), JSON.stringify(v));
mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, JSON.stringify(result, null, 1) + '\n');
console.log(`\n-> ${outFile}`);
