// SPDX-License-Identifier: MIT
// agent-accel/keep-up from Node, every function synchronous as keep-up calls
// it, against the JS the runtime uses without its addons, in one run on the
// same real inputs:
//   tokenizer  countTokens / countTokensBatch / estimateJsonTokens /
//              compressContext vs js-tiktoken (+ keep-up's selection in JS);
//              compressPayloadZstd / decompressPayloadZstd vs node:zlib gzip
//              (Node 20 has no zstd);
//   diff       diffLines / diffUnified / createTwoFilesPatch / applyPatch /
//              reversePatch vs jsdiff 8 on file versions from git history;
//   symbols    query / updateFile vs a Map + linear scan with keep-up's
//              scoring (tokens, prefixes, trigrams), on universal-ctags
//              symbols of real packages, queries bench/symbols_queries.tsv;
//              ImportGraph.getDependents vs keep-up's Map-based BFS.
// p50 / p99 / p999 per series; JSON (bench/hist.mjs fields) and a markdown
// table (bench/results/keepup-node-<stamp>.{json,md}).
//
//   node bench/keepup_node.mjs [--reps N] [--quick] [--dirs D1,D2]
//        [--sync-spin-us N] [--engine-spin-us N] [--out F.json]
//
// The spin options go to the shared engine's start (configureEngine): a
// sync call spins that long before it sleeps on the futex, and on a loaded
// machine a futex wake costs ~100 µs (docs/node.md, Tuning).
//
// Environment: ACCEL_ENGINE, ACCEL_ADDON (napi-bridge/lib/index.js).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { measureSync } from './hist.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const NM = path.join(ROOT, 'node_modules');
const require = createRequire(import.meta.url);
const ku = require(path.join(ROOT, 'napi-bridge/lib/keep-up/index.js'));
const jsdiff = require(path.join(NM, 'diff'));
const { getEncoding } = require(path.join(NM, 'js-tiktoken'));

const args = process.argv.slice(2);
const opt = (k, d) => {
	const i = args.indexOf(k);
	return i >= 0 ? args[i + 1] : d;
};
const quick = args.includes('--quick');
const reps = Number(opt('--reps', quick ? 1 : 3));
const dirs = opt('--dirs', ['typescript/lib', 'lodash', 'diff/lib', '@types/node',
	'js-tiktoken/dist'].map((d) => path.join(NM, d)).join(',')).split(',');
const stamp = new Date().toISOString().replace(/[-:]/g, '').slice(0, 13) + 'Z';
const out = opt('--out', path.join(ROOT, 'bench/results', `keepup-node-${stamp}.json`));

const engOpts = {};
if (opt('--sync-spin-us') !== undefined)
	engOpts.syncSpinUs = Number(opt('--sync-spin-us'));
if (opt('--engine-spin-us') !== undefined)
	engOpts.engineSpinUs = Number(opt('--engine-spin-us'));
ku.configureEngine(engOpts);
const eng = ku.getEngine();
if (eng === null)
	throw new Error(`no engine: ${ku.engineError()}`);

const rows = [];
const series = [];
/* One series: ours and the peer's recorders, with their common label. */
function record(group, fn, size, ours, peer, peerName, extra = {}) {
	const id = `${group}.${fn}`;
	series.push(ours.toJSON({ id: `${id}.ours`, label: `${fn} (agent-accel)`, group, size, ...extra }));
	if (peer)
		series.push(peer.toJSON({ id: `${id}.peer`, label: `${fn} (${peerName})`, group, size, ...extra }));
	const us = (h, q) => h.pct(q) / 1e3;
	const row = { group, fn, input: extra.input ?? '', n: ours.n,
		ours: [us(ours, 0.5), us(ours, 0.99), us(ours, 0.999)],
		peerName, peer: peer ? [us(peer, 0.5), us(peer, 0.99), us(peer, 0.999)] : null };
	rows.push(row);
	const f = (v) => v.toFixed(v < 10 ? 2 : v < 1000 ? 1 : 0);
	console.log(`${id.padEnd(34)} ours p50 ${f(row.ours[0])} p99 ${f(row.ours[1])} p999 ${f(row.ours[2])} µs` +
		(peer ? ` | ${peerName} p50 ${f(row.peer[0])} p99 ${f(row.peer[1])} p999 ${f(row.peer[2])} µs` : ''));
}

/* Runs fn over inputs `times` times each, as one series. */
function over(inputs, times, fn) {
	const n = inputs.length * times;
	return measureSync(n, Math.min(n, 50), (i) => fn(inputs[i % inputs.length]));
}

// ------------------------------------------------------------- inputs

function read(rel) {
	return readFileSync(path.join(NM, rel), 'utf8');
}
const TEXT = [read('typescript/README.md'), read('diff/README.md'),
	read('lodash/lodash.js'), read('typescript/lib/lib.dom.d.ts').slice(0, 400000)].join('\n');

/* Chat-sized messages: 200 slices of 200-2000 characters of real text. */
function messages(n, seed) {
	let x = seed;
	const rnd = () => ((x = (x * 1103515245 + 12345) >>> 0) / 2 ** 32);
	const msgs = [];
	for (let i = 0; i < n; i++) {
		const at = Math.floor(rnd() * (TEXT.length - 3000));
		const m = { role: ['user', 'assistant', 'tool'][i % 3],
			content: TEXT.slice(at, at + 200 + Math.floor(rnd() * 1800)) };
		if (m.role === 'assistant' && rnd() < 0.3)
			m.toolCalls = [{ id: `c${i}`, name: 'read', arguments: { path: 'x' } }];
		if (m.role === 'tool')
			m.result = { ok: true, lines: TEXT.slice(at, at + 400).split('\n') };
		msgs.push(m);
	}
	return msgs;
}

function git(...a) {
	return execFileSync('git', ['-C', ROOT, ...a], { encoding: 'utf8', maxBuffer: 1 << 28 });
}

/* (old, new) versions of files the repository's first commits modified. */
function historyPairs(max) {
	const revs = git('rev-list', '--reverse', 'HEAD').trim().split('\n').slice(1, 200);
	const pairs = [];
	for (const r of revs) {
		for (const f of git('diff-tree', '--no-commit-id', '-r', '--name-only',
			'--diff-filter=M', r).trim().split('\n').filter(Boolean).slice(0, 4)) {
			const a = git('show', `${r}^:${f}`), b = git('show', `${r}:${f}`);
			if (a.length < 300000)
				pairs.push({ f, a, b });
			if (pairs.length >= max)
				return pairs;
		}
	}
	return pairs;
}

// ------------------------------------------------------------ tokenizer

function benchTokens() {
	const js = { o200k_base: getEncoding('o200k_base'), cl100k_base: getEncoding('cl100k_base') };
	const count = (s, enc) => js[enc].encode(s, 'all').length;
	const msgs = messages(400, 7);
	const texts = msgs.map((m) => m.content);
	const bytes = texts.reduce((s, t) => s + t.length, 0) / texts.length;
	for (const [model, enc] of [['gpt-4o', 'o200k_base'], ['gpt-4', 'cl100k_base']]) {
		const o = over(texts, reps * 3, (t) => ku.countTokens(t, model));
		const p = over(texts, reps, (t) => count(t, enc));
		record('tokens', `countTokens ${model}`, Math.round(bytes), o, p, 'js-tiktoken',
		       { input: `400 messages, mean ${Math.round(bytes)} chars` });
	}
	const batches = [];
	for (let i = 0; i + 50 <= texts.length; i += 50)
		batches.push(texts.slice(i, i + 50));
	record('tokens', 'countTokensBatch x50', 50,
	       over(batches, reps * 3, (b) => ku.countTokensBatch(b, 'gpt-4o')),
	       over(batches, reps, (b) => b.map((t) => count(t, 'o200k_base'))), 'js-tiktoken',
	       { input: '50 messages per call' });
	const docs = ['typescript/package.json', 'diff/package.json', 'lodash/package.json',
		'js-tiktoken/package.json'].map((f) => JSON.parse(read(f)));
	docs.push(...msgs.filter((m) => m.result).slice(0, 30).map((m) => m.result));
	record('tokens', 'estimateJsonTokens', 0,
	       over(docs, reps * 20, (v) => ku.estimateJsonTokens(v, 'gpt-4o')),
	       over(docs, reps * 5, (v) => count(JSON.stringify(v), 'o200k_base')), 'js-tiktoken',
	       { input: 'package.json files, tool results' });

	/* keep-up's selection in JS, counting with js-tiktoken. */
	const msgTokens = (m) => (m.content ? count(m.content, 'o200k_base') : 0) +
		(m.role === 'assistant' && m.toolCalls ? 50 * m.toolCalls.length : 0) +
		(m.role === 'tool' && m.result !== undefined ? count(JSON.stringify(m.result), 'o200k_base') : 0);
	const jsCompress = (ms, max, keep) => {
		const start = Math.max(0, ms.length - keep);
		let avail = max;
		for (let i = start; i < ms.length; i++)
			avail -= msgTokens(ms[i]);
		avail = Math.max(0, avail);
		const sel = [];
		let used = 0;
		for (let i = start - 1; i >= 0; i--) {
			const t = msgTokens(ms[i]);
			if (used + t > avail)
				break;
			used += t;
			sel.push(i);
		}
		return sel;
	};
	const convs = [messages(200, 11), messages(200, 12), messages(200, 13)];
	record('tokens', 'compressContext 200 msgs', 200,
	       over(convs, reps * 5, (c) => ku.compressContext(c, 16000, 4, 'gpt-4o')),
	       over(convs, reps, (c) => jsCompress(c, 16000, 4)), 'JS + js-tiktoken',
	       { input: '200 messages, budget 16000, keep last 4' });

	const payloads = docs.slice(0, 4).concat([{ text: TEXT.slice(0, 200000) }]);
	record('tokens', 'compressPayloadZstd', 0,
	       over(payloads, reps * 10, (v) => ku.compressPayloadZstd(v, 64)),
	       over(payloads, reps * 10, (v) => zlib.gzipSync(JSON.stringify(v))), 'zlib gzip',
	       { input: 'package.json files + 200 KB text' });
	const frames = payloads.map((v) => ku.compressPayloadZstd(v, 64).data);
	const gz = payloads.map((v) => zlib.gzipSync(JSON.stringify(v)));
	record('tokens', 'decompressPayloadZstd', 0,
	       over(frames, reps * 10, (f) => ku.decompressPayloadZstd(f)),
	       over(gz, reps * 10, (f) => zlib.gunzipSync(f)), 'zlib gunzip');
}

// ----------------------------------------------------------------- diff

function benchDiff() {
	const pairs = historyPairs(quick ? 40 : 150);
	const kb = pairs.reduce((s, p) => s + p.a.length, 0) / pairs.length / 1024;
	const input = `${pairs.length} file versions from git history, mean ${kb.toFixed(1)} KiB`;
	record('diff', 'diffLines', 0,
	       over(pairs, reps, (p) => ku.diffLines(p.a, p.b)),
	       over(pairs, reps, (p) => jsdiff.structuredPatch('original', 'modified', p.a, p.b,
			undefined, undefined, { context: 4 })), 'jsdiff structuredPatch', { input });
	record('diff', 'diffUnified', 0,
	       over(pairs, reps, (p) => ku.diffUnified(p.a, p.b)),
	       over(pairs, reps, (p) => jsdiff.createTwoFilesPatch('original', 'modified', p.a, p.b,
			undefined, undefined, { context: 4 })), 'jsdiff', { input });
	record('diff', 'createTwoFilesPatch', 0,
	       over(pairs, reps, (p) => ku.createTwoFilesPatch(p.f, p.f, p.a, p.b)),
	       over(pairs, reps, (p) => jsdiff.createTwoFilesPatch(p.f, p.f, p.a, p.b)), 'jsdiff', { input });
	const patched = pairs.map((p) => ({ ...p, patch: jsdiff.createTwoFilesPatch(p.f, p.f, p.a, p.b) }));
	record('diff', 'applyPatch', 0,
	       over(patched, reps, (p) => ku.applyPatch(p.a, p.patch)),
	       over(patched, reps, (p) => jsdiff.applyPatch(p.a, p.patch)), 'jsdiff', { input });
	record('diff', 'reversePatch', 0,
	       over(patched, reps * 3, (p) => ku.reversePatch(p.patch)),
	       over(patched, reps, (p) => jsdiff.formatPatch(jsdiff.reversePatch(jsdiff.parsePatch(p.patch)))),
	       'jsdiff parse+reverse+format', { input });
}

// -------------------------------------------------------------- symbols

function ctagsSymbols() {
	const files = [];
	const walk = (d) => {
		for (const e of readdirSync(d, { withFileTypes: true })) {
			const p = path.join(d, e.name);
			if (e.isDirectory())
				walk(p);
			else if (e.isFile() && /\.(js|ts|mjs|cjs)$/.test(e.name))
				files.push(p);
		}
	};
	for (const d of dirs)
		if (existsSync(d))
			walk(d);
	const by = new Map();
	for (let i = 0; i < files.length; i += 500) {
		const txt = execFileSync('ctags', ['--output-format=json', '--fields=+n+e+K+Z+S',
			'--sort=no', '-f', '-', '-L', '-'], { input: files.slice(i, i + 500).join('\n'),
			maxBuffer: 1 << 30, stdio: ['pipe', 'pipe', 'ignore'] }).toString();
		for (const l of txt.split('\n')) {
			if (!l.startsWith('{'))
				continue;
			const t = JSON.parse(l);
			if (t._type !== 'tag' || !t.name)
				continue;
			if (!by.has(t.path))
				by.set(t.path, []);
			by.get(t.path).push({ name: t.name, kind: t.kind, file: t.path, line: t.line,
				column: 1, endLine: t.end || t.line, endColumn: 1,
				container: t.scope, detail: t.signature });
		}
	}
	return by;
}

/* keep-up's normalisation: camelCase and separators -> lower-case words. */
function normalize(s) {
	return s.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[^A-Za-z0-9]+/g, ' ')
		.trim().toLowerCase();
}
function trigrams(s) {
	const a = s.replace(/[^a-z0-9]/g, '');
	const t = new Set();
	for (let i = 0; i + 3 <= a.length; i++)
		t.add(a.slice(i, i + 3));
	return t;
}

/* The JS peer: Map(file -> entries) and a linear scan with keep-up's scoring. */
class LinearIndex {
	files = new Map();
	updateFile(f, syms) {
		this.files.set(f, syms.map((s) => {
			const n = normalize(s.name);
			return { s, n, c: s.container ? normalize(s.container) : '', g: trigrams(n) };
		}));
	}
	query(q, limit = 20) {
		const nq = normalize(q);
		const toks = [...new Set(nq.split(' ').filter((t) => t.length >= 2))];
		if (!toks.length)
			return [];
		const qg = trigrams(nq);
		const st = (t, x) => (x === t ? 6 : x.startsWith(t) ? 4 : x.includes(t) ? 2 : 0);
		const top = [];
		for (const list of this.files.values()) {
			for (const e of list) {
				let sc = 0;
				for (const t of toks)
					sc += 2 * st(t, e.n) + (e.c ? st(t, e.c) : 0);
				for (const g of qg)
					if (e.g.has(g))
						sc++;
				if (sc === 0)
					continue;
				if (top.length < limit || sc > top[top.length - 1].score) {
					top.push({ symbol: e.s, score: sc });
					top.sort((x, y) => y.score - x.score);
					if (top.length > limit)
						top.pop();
				}
			}
		}
		return top;
	}
}

/* keep-up's ImportGraph, as the JS peer. */
class JsImportGraph {
	imports = new Map();
	dependents = new Map();
	updateFileImports(f, list) {
		this.imports.set(f, new Set(list));
		for (const d of list) {
			if (!this.dependents.has(d))
				this.dependents.set(d, new Set());
			this.dependents.get(d).add(f);
		}
	}
	getDependents(f) {
		const seen = new Set();
		const q = [...(this.dependents.get(f) ?? [])];
		for (let i = 0; i < q.length; i++) {
			if (seen.has(q[i]))
				continue;
			seen.add(q[i]);
			for (const n of this.dependents.get(q[i]) ?? [])
				if (!seen.has(n))
					q.push(n);
		}
		return [...seen];
	}
}

function benchSymbols() {
	const corpus = ctagsSymbols();
	let nsym = 0;
	for (const s of corpus.values())
		nsym += s.length;
	const input = `${nsym} ctags symbols in ${corpus.size} files`;
	console.log(`# symbols: ${input}`);
	const ours = ku.createSymbolIndex();
	const peer = new LinearIndex();
	for (const [f, s] of corpus) {
		ours.updateFile(f, s);
		peer.updateFile(f, s);
	}
	const queries = readFileSync(path.join(ROOT, 'bench/symbols_queries.tsv'), 'utf8')
		.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split('\t')[1]);
	record('symbols', 'query', nsym,
	       over(queries, reps * 3, (q) => ours.query(q)),
	       over(queries, 1, (q) => peer.query(q)), 'Map + linear scan',
	       { input: `${input}; ${queries.length} queries` });
	/* Re-indexing one file, as after an edit: the 200 biggest files. */
	const big = [...corpus].sort((x, y) => y[1].length - x[1].length).slice(0, 200);
	record('symbols', 'updateFile', nsym,
	       over(big, reps, ([f, s]) => ours.updateFile(f, s)),
	       over(big, reps, ([f, s]) => peer.updateFile(f, s)), 'Map + linear scan',
	       { input: `the 200 largest files, mean ${Math.round(big.reduce((a, b) => a + b[1].length, 0) / big.length)} symbols` });

	/* typescript's lib reference graph, plus every d.ts under @types. */
	const g = ku.createImportGraph();
	const jg = new JsImportGraph();
	const libDir = path.join(NM, 'typescript/lib');
	const nodes = [];
	for (const f of readdirSync(libDir).filter((x) => /^lib\..*\.d\.ts$/.test(x))) {
		const refs = [...readFileSync(path.join(libDir, f), 'utf8')
			.matchAll(/\/\/\/ <reference lib="([^"]+)" \/>/g)]
			.map((m) => path.join(libDir, `lib.${m[1].toLowerCase()}.d.ts`));
		const p = path.join(libDir, f);
		g.updateFileImports(p, refs);
		jg.updateFileImports(p, refs);
		nodes.push(p);
	}
	record('symbols', 'getDependents', nodes.length,
	       over(nodes, reps * 10, (f) => g.getDependents(f)),
	       over(nodes, reps * 10, (f) => jg.getDependents(f)), 'Map BFS (keep-up ImportGraph)',
	       { input: `typescript lib reference graph, ${nodes.length} files` });
}

// ----------------------------------------------------------------- main

const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const loadStart = load();
console.log(`# load average at start: ${loadStart}; reps ${reps}; engine ${JSON.stringify(engOpts)}`);
const pingH = measureSync(5000, 500, () => eng.pingSync());
record('engine', 'pingSync (round trip)', 0, pingH, null, '');
benchTokens();
benchDiff();
benchSymbols();
const loadEnd = load();
console.log(`# load average at end: ${loadEnd}`);

const md = ['| group | function | input | n | ours p50 / p99 / p999 µs | peer | peer p50 / p99 / p999 µs | p50 ratio |',
	'|---|---|---|---|---|---|---|---|'];
const f = (v) => v.toFixed(v < 10 ? 2 : v < 1000 ? 1 : 0);
for (const r of rows)
	md.push(`| ${r.group} | ${r.fn} | ${r.input} | ${r.n} | ${r.ours.map(f).join(' / ')} | ` +
		`${r.peerName} | ${r.peer ? r.peer.map(f).join(' / ') : ''} | ` +
		`${r.peer ? `${(r.peer[0] / r.ours[0]).toFixed(1)}x` : ''} |`);
const mdText = `# agent-accel/keep-up vs the JS fallbacks (${stamp})\n\n` +
	`Node ${process.version}; load average ${loadStart} at start, ${loadEnd} at end; ` +
	`reps ${reps}; engine options ${JSON.stringify(engOpts)}. ` +
	`p50 ratio = peer p50 / ours p50.\n\n${md.join('\n')}\n`;
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({ node: process.version, engine: engOpts, load_start: loadStart,
	load_end: loadEnd, reps, rows, series }, null, 1));
writeFileSync(out.replace(/\.json$/, '.md'), mdText);
console.log(mdText);
console.log(`# wrote ${out}`);
