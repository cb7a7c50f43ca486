// SPDX-License-Identifier: MIT
// Tokenizer from Node through the public methods of the Node package
// (napi-bridge/lib/ops/tokens.js) against js-tiktoken, tiktoken (WASM) and
// gpt-tokenizer, in one run, on the same real text:
//   1. count and encode MB/s on >= 10 MB of real text cut into 64 KiB
//      documents (one call per document), both encodings; ours sync
//      (countTokensSync / encodeSync) and async (await countTokens);
//   2. per-call latency (p50 / p99) on chat-sized messages (~1 KB slices of
//      the same text): ours sync and async against the peers;
//   3. pathological inputs (100,000 x '-', 100,000 spaces, 100,000 CJK
//      characters; ours also at 1 MB): time per call, peers in a worker
//      terminated after --cap-s (default 20 s: "gave up").
// Every peer's count is compared with ours on the corpus (parity column).
//
// usage: node bench/tokens_node.mjs [--mb N] [--cap-s N] [--quick]
//            [--sync-spin-us N] [--out FILE.json]   (default bench/results/tokens-node-<stamp>.json)
//   --ours-only: only agent-accel's rows (repeat runs on a noisy machine).
//        node bench/tokens_node.mjs --dump-corpus FILE [--mb N]
//            writes the corpus as one file (documents concatenated) for
//            tokens_bench and callgrind, and exits.
// Environment: ACCEL_ADDON, ACCEL_ENGINE; ACCEL_TOKENIZER_DATA defaults to
// node_modules/gpt-tokenizer/data.
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { Hist, now } from './hist.mjs';
import { runCapped } from './capped.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const NM = path.join(ROOT, 'node_modules');
const ENCODINGS = ['cl100k_base', 'o200k_base'];

async function loadPeers(enc) {
	const { getEncoding } = await import('js-tiktoken');
	const { get_encoding } = await import('tiktoken');
	const gpt = await import(`gpt-tokenizer/encoding/${enc}`);
	const js = getEncoding(enc);
	const wasm = get_encoding(enc);
	const none = new Set();
	return {
		'js-tiktoken': { count: (s) => js.encode(s, [], []).length,
			encode: (s) => js.encode(s, [], []) },
		'tiktoken (WASM)': { count: (s) => wasm.encode_ordinary(s).length,
			encode: (s) => wasm.encode_ordinary(s) },
		'gpt-tokenizer': {
			count: (s) => gpt.countTokens(s, { disallowedSpecial: none }),
			encode: (s) => gpt.encode(s, { disallowedSpecial: none }) },
	};
}

/* Worker: one pathological call of one peer, reports its time. */
async function worker() {
	const { peer, enc, text, what } = workerData;
	const peers = await loadPeers(enc);
	const t0 = now();
	const n = peers[peer][what](text);
	parentPort.postMessage({ ns: Number(now() - t0),
		n: typeof n === 'number' ? n : n.length });
}

function inWorker(data, capS) {
	return runCapped(new URL(import.meta.url), data, capS);
}

/* >= mb MB of real text: code, prose, JSON, CJK; 64 KiB documents. */
export function corpus(mb) {
	const files = [
		'typescript/lib/typescript.js', 'typescript/lib/lib.dom.d.ts',
		'typescript/lib/zh-cn/diagnosticMessages.generated.json',
		'typescript/lib/ja/diagnosticMessages.generated.json',
		'typescript/lib/ko/diagnosticMessages.generated.json',
		'typescript/lib/ru/diagnosticMessages.generated.json',
		'lodash/lodash.js', 'react-dom/cjs/react-dom.development.js',
		'diff/README.md',
	].map((f) => path.join(NM, f));
	files.push('/usr/share/common-licenses/GPL-3',
		'/usr/share/common-licenses/Apache-2.0', path.join(ROOT, 'package-lock.json'));
	/* the smaller kinds first so that every kind is in the corpus */
	const texts = files.filter(existsSync).map((f) => readFileSync(f, 'utf8'))
		.sort((x, y) => x.length - y.length);
	const docs = [];
	let bytes = 0;
	const want = mb * 1e6;
	for (let round = 0; bytes < want && round < 4; round++)
		for (const t of texts)
			for (let i = 0; i < t.length && bytes < want; i += 65536) {
				const d = t.slice(i, i + 65536);
				docs.push(d);
				bytes += Buffer.byteLength(d);
			}
	return { docs, bytes };
}

function mbps(bytes, ns) {
	return bytes / (ns / 1e9) / 1e6;
}

async function main() {
	const args = process.argv.slice(2);
	const opt = (k, d) => {
		const i = args.indexOf(k);
		return i >= 0 ? args[i + 1] : d;
	};
	const quick = args.includes('--quick');
	const oursOnly = args.includes('--ours-only');
	const mb = Number(opt('--mb', quick ? 2 : 10));
	const capS = Number(opt('--cap-s', 20));
	const stamp = new Date().toISOString().replace(/[-:]/g, '').slice(0, 13) + 'Z';
	const out = opt('--out', path.join(ROOT, 'bench/results', `tokens-node-${stamp}.json`));
	const dump = opt('--dump-corpus', undefined);
	if (dump !== undefined) {
		const { docs, bytes } = corpus(mb);
		writeFileSync(dump, docs.join(''));
		console.log(`# wrote ${docs.length} documents, ${bytes} bytes to ${dump}`);
		return;
	}
	process.env.ACCEL_TOKENIZER_DATA ??= path.join(NM, 'gpt-tokenizer/data');
	const { Engine } = await import('../napi-bridge/lib/index.mjs');
	/* --sync-spin-us: how long sync calls spin before sleeping on the futex */
	const spin = opt('--sync-spin-us', undefined);
	const eng = await Engine.start(spin === undefined ? {} :
		{ syncSpinUs: Number(spin) });
	const { docs, bytes } = corpus(mb);
	const result = { bench: 'tokens-node', node: process.version,
		date: new Date().toISOString(), ours_only: oursOnly, sync_spin_us: spin ?? 'default', corpus_bytes: bytes, docs: docs.length,
		load: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
		throughput: [], latency: [], pathological: [] };
	console.log(`# tokens_node ${result.date}, node ${process.version}, load ${result.load}`);
	console.log(`# corpus: ${docs.length} documents, ${(bytes / 1e6).toFixed(2)} MB`);
	try {
		for (const enc of ENCODINGS) {
			const peers = await loadPeers(enc);
			eng.countTokensSync('warm up', enc);
			/*
			 * ours first: the reference counts. This first pass is
			 * timed too: the engine's per-thread caches of merged
			 * pieces start without this text's pieces (the rows
			 * below count the same documents again).
			 */
			const tFirst = now();
			const ref = docs.map((d) => eng.countTokensSync(d, enc,
				{ disallowedSpecial: [] }));
			const firstMbps = mbps(bytes, Number(now() - tFirst));
			result.throughput.push({ encoding: enc,
				impl: 'agent-accel sync, first pass', count_mbps: firstMbps });
			const total = ref.reduce((s, n) => s + n, 0);
			const impls = {
				'agent-accel sync': {
					count: (s) => eng.countTokensSync(s, enc, { disallowedSpecial: [] }),
					encode: (s) => eng.encodeSync(s, enc, { disallowedSpecial: [] }) },
				'agent-accel async': {
					count: (s) => eng.countTokens(s, enc, { disallowedSpecial: [] }),
					encode: (s) => eng.encode(s, enc, { disallowedSpecial: [] }) },
				...(oursOnly ? {} : peers),
			};
			console.log(`\n${enc}: ${total} tokens; first pass (cold caches) ` +
				`countTokensSync ${firstMbps.toFixed(2)} MB/s`);
			console.log(`${'impl'.padEnd(20)} ${'count MB/s'.padStart(11)} ` +
				`${'encode MB/s'.padStart(12)} ${'vs ours(count)'.padStart(15)}  parity`);
			let oursCount = 0;
			for (const [name, fn] of Object.entries(impls)) {
				const row = { encoding: enc, impl: name };
				for (const what of ['count', 'encode']) {
					let mism = 0;
					const t0 = now();
					for (let i = 0; i < docs.length; i++) {
						let r = fn[what](docs[i]);
						if (r instanceof Promise)
							r = await r;
						const n = typeof r === 'number' ? r : r.length;
						if (n !== ref[i])
							mism++;
					}
					const ns = Number(now() - t0);
					row[`${what}_mbps`] = mbps(bytes, ns);
					row[`${what}_mismatched_docs`] = mism;
				}
				if (name === 'agent-accel sync')
					oursCount = row.count_mbps;
				result.throughput.push(row);
				const par = row.count_mismatched_docs + row.encode_mismatched_docs;
				console.log(`${name.padEnd(20)} ${row.count_mbps.toFixed(2).padStart(11)} ` +
					`${row.encode_mbps.toFixed(2).padStart(12)} ` +
					`${(oursCount / row.count_mbps).toFixed(1).padStart(14)}x  ` +
					`${par ? `${par} docs differ` : 'all equal'}`);
			}

			/* per-call latency on ~1 KB messages */
			const msgs = [];
			for (let i = 0; msgs.length < (quick ? 500 : 3000); i++) {
				const d = docs[i % docs.length];
				const off = (i * 7919) % Math.max(1, d.length - 1024);
				msgs.push(d.slice(off, off + 1024));
			}
			const lat = {
				'agent-accel countTokensSync': (s) =>
					eng.countTokensSync(s, enc, { disallowedSpecial: [] }),
				'agent-accel await countTokens': (s) =>
					eng.countTokens(s, enc, { disallowedSpecial: [] }),
				'agent-accel isWithinLimitSync(100)': (s) =>
					eng.isWithinLimitSync(s, 100, enc, { disallowedSpecial: [] }),
				'agent-accel encodeSync': (s) =>
					eng.encodeSync(s, enc, { disallowedSpecial: [] }),
				...(oursOnly ? {} : {
					'js-tiktoken count': peers['js-tiktoken'].count,
					'tiktoken (WASM) count': peers['tiktoken (WASM)'].count,
					'gpt-tokenizer count': peers['gpt-tokenizer'].count,
				}),
			};
			/* the ring round trip: pingSync, then a 12-byte message */
			{
				const h = new Hist(20000);
				for (let k = 0; k < 20000; k++) {
					const s = now();
					eng.pingSync();
					h.add(Number(now() - s));
				}
				h.finish(0);
				result.latency.push({ encoding: enc, impl: 'pingSync (reference)',
					p50_ns: h.pct(0.5), p99_ns: h.pct(0.99), max_ns: h.pct(1) });
				console.log(`\n${enc}: pingSync() p50 ${(h.pct(0.5) / 1e3).toFixed(2)} us` +
					`  p99 ${(h.pct(0.99) / 1e3).toFixed(2)} us`);
			}
			{
				const h = new Hist(20000);
				const t0 = now();
				for (let k = 0; k < 20000; k++) {
					const s = now();
					eng.countTokensSync('hello world!', enc);
					h.add(Number(now() - s));
				}
				h.finish(Number(now() - t0));
				result.latency.push({ encoding: enc, impl: 'agent-accel countTokensSync 12 B',
					p50_ns: h.pct(0.5), p99_ns: h.pct(0.99), max_ns: h.pct(1) });
				console.log(`${enc}: countTokensSync('hello world!') p50 ` +
					`${(h.pct(0.5) / 1e3).toFixed(2)} us  p99 ${(h.pct(0.99) / 1e3).toFixed(2)} us`);
			}
			console.log(`\n${enc}: per call on ${msgs.length} messages of ~1 KB`);
			for (const [name, fn] of Object.entries(lat)) {
				const h = new Hist(msgs.length);
				const t0 = now();
				for (const m of msgs) {
					const s = now();
					const r = fn(m);
					if (r instanceof Promise)
						await r;
					h.add(Number(now() - s));
				}
				h.finish(Number(now() - t0));
				const j = h.toJSON({ id: `node.tokens.${enc}.${name}`, label: name,
					group: enc });
				result.latency.push({ encoding: enc, impl: name, p50_ns: j.p50_ns,
					p99_ns: j.p99_ns, max_ns: j.max_ns });
				console.log(`  ${name.padEnd(36)} p50 ${(j.p50_ns / 1e3).toFixed(1).padStart(8)} us` +
					`  p99 ${(j.p99_ns / 1e3).toFixed(1).padStart(8)} us`);
			}
		}

		/* pathological inputs */
		const N = 100000;
		const patho = {
			[`${N} x '-'`]: '-'.repeat(N),
			[`${N} spaces + x`]: ' '.repeat(N) + 'x',
			[`${N} CJK`]: '的一是在不了有和人这中大为上个国我以要他'.repeat(N / 20),
			['1 MB x \'-\'']: '-'.repeat(1 << 20),
			['1 MB spaces + x']: ' '.repeat(1 << 20) + 'x',
			['1 MB CJK']: '的一是在不了有和人这中大为上个国我以要他'.repeat((1 << 20) / 60),
			['1 MB \\t\\n mix']: ' \t\n  \n\t'.repeat((1 << 20) / 7),
		};
		console.log(`\npathological (ms per count; peers capped at ${capS} s)`);
		for (const enc of ENCODINGS)
			for (const [name, text] of Object.entries(patho)) {
				const h = new Hist(20);
				let n = 0;
				for (let k = 0; k < (quick ? 3 : 9); k++) {
					const s = now();
					n = eng.countTokensSync(text, enc);
					h.add(Number(now() - s));
				}
				h.finish(0);
				const row = { encoding: enc, input: name,
					bytes: Buffer.byteLength(text), tokens: n,
					ours_p50_ms: h.pct(0.5) / 1e6, ours_max_ms: h.pct(1) / 1e6,
					peers: {} };
				let line = `${enc} ${name.padEnd(18)} ours ${row.ours_p50_ms.toFixed(2).padStart(8)} ms`;
				if (!name.startsWith('1 MB') && !quick && !oursOnly)
					for (const peer of ['js-tiktoken', 'tiktoken (WASM)', 'gpt-tokenizer']) {
						const r = await inWorker({ peer, enc, text, what: 'count' }, capS);
						row.peers[peer] = r.gaveUp ? { gaveUp: true, capS } :
							r.error ? { error: r.error } :
								{ ms: r.ns / 1e6, equal: r.n === n };
						line += r.gaveUp ? ` | ${peer} gave up` : r.error ? ` | ${peer} error` :
							` | ${peer} ${(r.ns / 1e6).toFixed(0)} ms${r.n === n ? '' : ' (count differs!)'}`;
					}
				result.pathological.push(row);
				console.log(line);
			}
	} finally {
		await eng.close();
	}
	mkdirSync(path.dirname(out), { recursive: true });
	writeFileSync(out, JSON.stringify(result, null, 1));
	console.log(`# wrote ${out}`);
}

/* Run as a script (bench/tokens_passes.mjs imports corpus() only). */
if (!isMainThread)
	await worker();
else if (path.resolve(process.argv[1] ?? '') === fileURLToPath(import.meta.url))
	await main();
