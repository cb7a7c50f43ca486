// Tokenizer bench from Node: count and encode MB/s of agent-accel (through
// the engine: eng.countTokensSync / encodeSync), js-tiktoken, tiktoken (Rust
// core in WASM) and gpt-tokenizer on the same real corpus, in one run, and
// the time each takes on pathological inputs. agent-accel is loaded from
// napi-bridge/lib (ACCEL_ADDON / ACCEL_ENGINE select the build); when it
// cannot start, the peers are measured alone.
//
// usage: node bench/tokens_peers.mjs [--corpus FILE.bin] [--repeat N]
//        [--patho-bytes N] [--patho-cap-ms N] [FILE...]
//   --corpus: a corpus written by tests/tokenizer/oracle.mjs (the parity
//   corpus), otherwise the FILEs, otherwise a default set of real files,
//   cut into 64 KiB documents (one call per document for every tokenizer).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tiktoken } from 'js-tiktoken/lite';
import cl100kJs from 'js-tiktoken/ranks/cl100k_base';
import o200kJs from 'js-tiktoken/ranks/o200k_base';
import { get_encoding } from 'tiktoken';
import * as gptCl100k from 'gpt-tokenizer/encoding/cl100k_base';
import * as gptO200k from 'gpt-tokenizer/encoding/o200k_base';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
	const i = args.indexOf(name);
	if (i < 0) return dflt;
	const v = args[i + 1];
	args.splice(i, 2);
	return v;
};
const corpusFile = opt('--corpus', null);
const repeat = Number(opt('--repeat', 3));
const pathoBytes = Number(opt('--patho-bytes', 100000));
const pathoCapMs = Number(opt('--patho-cap-ms', 20000));

// Documents of the parity corpus (format in tests/tokenizer/oracle.mjs).
function readCorpus(file) {
	const b = fs.readFileSync(file);
	if (b.subarray(0, 8).toString() !== 'TOKORCL1') throw new Error(`${file}: not a corpus`);
	const n = b.readUInt32LE(8);
	const docs = [];
	let off = 12;
	for (let d = 0; d < n; d++) {
		const nl = b.readUInt32LE(off); off += 4 + nl;
		const tl = b.readUInt32LE(off); off += 4;
		docs.push(b.subarray(off, off + tl)); off += tl;
		for (let k = 0; k < 8; k++) {
			const c = b.readUInt32LE(off); off += 4;
			if (c !== 0xffffffff) off += 4 * c;
		}
	}
	return docs;
}

const defaults = [
	'node_modules/typescript/lib/typescript.js',
	'node_modules/typescript/lib/lib.dom.d.ts',
	'node_modules/typescript/lib/zh-cn/diagnosticMessages.generated.json',
	'node_modules/typescript/lib/ja/diagnosticMessages.generated.json',
	'package-lock.json',
	'/usr/share/common-licenses/GPL-3',
].map((p) => (p.startsWith('/') ? p : path.join(root, p)));

const dec = new TextDecoder('utf-8', { ignoreBOM: true });
function cut(buf, max = 65536) {
	const out = [];
	for (let off = 0; off < buf.length; off += max) out.push(buf.subarray(off, off + max));
	return out;
}
const bufs = corpusFile ? readCorpus(corpusFile) :
	(args.length ? args : defaults).flatMap((p) => cut(fs.readFileSync(p)));
const texts = bufs.map((b) => dec.decode(b));
const bytes = bufs.reduce((s, b) => s + b.length, 0);

const peers = {
	cl100k_base: {
		'js-tiktoken': (() => { const t = new Tiktoken(cl100kJs); return { count: (s) => t.encode(s, [], []).length, encode: (s) => t.encode(s, [], []) }; })(),
		'tiktoken (WASM)': (() => { const t = get_encoding('cl100k_base'); return { count: (s) => t.encode_ordinary(s).length, encode: (s) => t.encode_ordinary(s) }; })(),
		'gpt-tokenizer': { count: (s) => gptCl100k.countTokens(s), encode: (s) => gptCl100k.encode(s, { disallowedSpecial: new Set() }) },
	},
	o200k_base: {
		'js-tiktoken': (() => { const t = new Tiktoken(o200kJs); return { count: (s) => t.encode(s, [], []).length, encode: (s) => t.encode(s, [], []) }; })(),
		'tiktoken (WASM)': (() => { const t = get_encoding('o200k_base'); return { count: (s) => t.encode_ordinary(s).length, encode: (s) => t.encode_ordinary(s) }; })(),
		'gpt-tokenizer': { count: (s) => gptO200k.countTokens(s), encode: (s) => gptO200k.encode(s, { disallowedSpecial: new Set() }) },
	},
};

let eng = null;
try {
	const mod = await import(path.join(root, 'napi-bridge/lib/index.js'));
	eng = await (mod.Engine ?? mod.default.Engine).start();
	for (const enc of Object.keys(peers)) {
		const o = { disallowedSpecial: [] };
		peers[enc] = {
			'agent-accel': { count: (s) => eng.countTokensSync(s, enc, o), encode: (s) => eng.encodeSync(s, enc, o) },
			...peers[enc],
		};
	}
} catch (e) {
	console.log(`agent-accel: not measured (${e.message})`);
}

function best(f) {
	let t = Infinity, r;
	for (let k = 0; k < repeat; k++) {
		const t0 = process.hrtime.bigint();
		r = f();
		const dt = Number(process.hrtime.bigint() - t0) / 1e9;
		if (dt < t) t = dt;
	}
	return [t, r];
}

console.log(`corpus: ${texts.length} documents, ${(bytes / 1e6).toFixed(2)} MB; best of ${repeat}`);
for (const [enc, list] of Object.entries(peers)) {
	for (const [name, p] of Object.entries(list)) {
		const [tc, n] = best(() => texts.reduce((s, t) => s + p.count(t), 0));
		const [te] = best(() => texts.reduce((s, t) => s + p.encode(t).length, 0));
		console.log(`${enc} ${name.padEnd(16)} count ${(bytes / tc / 1e6).toFixed(2).padStart(7)} MB/s  encode ${(bytes / te / 1e6).toFixed(2).padStart(7)} MB/s  ${n} tokens`);
	}
}

// Pathological inputs, once each. A peer whose time on a prefix says the
// whole input would pass the cap gets a quadratic estimate instead.
const units = { "'-'": '-', "'a'": 'a', "' '": ' ', "'\\n  '": '\n  ', "'\\u4e00'": '\u4e00' };
console.log(`pathological: ${pathoBytes} bytes of each unit (cap ${pathoCapMs} ms)`);
for (const [enc, list] of Object.entries(peers)) {
	for (const [uname, u] of Object.entries(units)) {
		const s = u.repeat(Math.floor(pathoBytes / Buffer.byteLength(u)));
		const row = [];
		for (const [name, p] of Object.entries(list)) {
			// Probe growing prefixes (x4) while they stay fast; when the
			// next step would pass the cap, extrapolate quadratically.
			let len = 1000, ms = 0;
			for (;;) {
				const t0 = performance.now();
				p.count(s.slice(0, len));
				ms = performance.now() - t0;
				if (len >= s.length) break;
				const next = Math.min(s.length, len * 4);
				if (ms * (next / len) ** 2 > pathoCapMs) break;
				len = next;
			}
			row.push(len >= s.length ? `${name} ${ms.toFixed(1)} ms` :
				`${name} >${(ms * (s.length / len) ** 2 / 1000).toFixed(1)} s (est.)`);
		}
		console.log(`${enc} ${uname.padEnd(9)} ${row.join('  ')}`);
	}
}
if (eng) await eng.close();
