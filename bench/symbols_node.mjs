// SPDX-License-Identifier: MIT
// The symbol index end to end from Node (napi-bridge/lib/ops/symbols.js):
// eng.symbols.querySync / query against fuzzysort, fzf (npm) and a Map +
// linear subsequence scan on the same real corpus and the same queries, in
// one run: p50/p99 per query category, top-1/top-5 rates against the
// expected names, top-1 agreement with fzf, build time, memory (the index's
// own bytes against each peer's V8 heap growth) and single-file update time.
//
//   node bench/symbols_node.mjs [DIR ...] [--queries F] [--reps N]
//        [--peer-reps N] [--quick] [--out FILE.json]
//
// Corpus: what universal-ctags extracts (the flags of symbols/workspace.c)
// from every regular file under DIRs (default node_modules and
// /usr/lib/node_modules, as bench/symbols_bench.c), skipping .git, symlinks
// and files with a NUL in their first 8 KiB; .gitignore files are not
// honoured (npm packages rarely ship one). Queries: bench/symbols_queries.tsv.
// The peers are the ones of bench/symbols_peers.mjs, written out again here
// because that script does not export them.
// Environment: ACCEL_ENGINE, ACCEL_ADDON (napi-bridge/lib/index.js).
import { execFileSync } from 'node:child_process';
import { closeSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync,
	readSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import fuzzysort from 'fuzzysort';
import { Fzf } from 'fzf';
import { Engine } from '../napi-bridge/lib/index.mjs';
import { Hist, now } from './hist.mjs';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (k, d) => {
	const i = args.indexOf(k);
	return i >= 0 ? args[i + 1] : d;
};
const quick = args.includes('--quick');
const reps = Number(opt('--reps', quick ? 2 : 5));
const peerReps = Number(opt('--peer-reps', 1));
const valued = new Set(['--queries', '--reps', '--peer-reps', '--out']);
const dirs = args.filter((a, i) => !a.startsWith('--') && !valued.has(args[i - 1]));
if (!dirs.length)
	dirs.push(join(REPO, 'node_modules'), '/usr/lib/node_modules');
const stamp = new Date().toISOString().replace(/[-:]/g, '').slice(0, 13) + 'Z';
const outFile = opt('--out', join(REPO, 'bench/results', `symbols-node-${stamp}.json`));

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');
function heapUsed() {
	gc();
	gc();
	return process.memoryUsage().heapUsed;
}

// ------------------------------------------------------------ corpus

function listFiles(root) {
	const out = [];
	const head = Buffer.allocUnsafe(8192);
	const walk = (d) => {
		let ents;
		try {
			ents = readdirSync(d, { withFileTypes: true });
		} catch {
			return;
		}
		for (const e of ents) {
			const p = join(d, e.name);
			if (e.isDirectory()) {
				if (e.name !== '.git')
					walk(p);
			} else if (e.isFile()) {
				const st = lstatSync(p);
				if (st.size === 0 || st.size > 64 << 20)
					continue;
				const fd = openSync(p, 'r');
				const n = readSync(fd, head, 0, 8192, 0);
				closeSync(fd);
				if (!head.subarray(0, n).includes(0))
					out.push(p);
			}
		}
	};
	walk(root);
	return out.sort();
}

function column(t) {
	const p = t.pattern;
	if (typeof p !== 'string' || !p.startsWith('/^'))
		return 0;
	const line = p.slice(2).replace(/\$?\/$/, '').replace(/\\([/\\])/g, '$1');
	const i = line.indexOf(t.name);
	return i < 0 ? 0 : i + 1;
}

/* ctags over files in batches -> Map(file -> symbols). */
function extract(files) {
	const by = new Map();
	const B = 1000;
	for (let i = 0; i < files.length; i += B) {
		const out = execFileSync('ctags', ['--output-format=json',
			'--fields=+n+e+K+Z+S', '--sort=no', '--languages=-JSON',
			'-f', '-', '-L', '-'], { input: files.slice(i, i + B).join('\n'),
			maxBuffer: 1 << 30, stdio: ['pipe', 'pipe', 'ignore'] }).toString();
		for (const l of out.split('\n')) {
			if (!l.startsWith('{'))
				continue;
			let t;
			try {
				t = JSON.parse(l);
			} catch {
				continue;
			}
			if (t._type !== 'tag' || !t.name)
				continue;
			let a = by.get(t.path);
			if (!a)
				by.set(t.path, (a = []));
			a.push({ name: t.name, kind: t.kind, file: t.path, line: t.line,
				column: column(t), endLine: t.end || t.line, endColumn: 0,
				container: t.scope, detail: t.signature });
		}
	}
	return by;
}

function loadQueries(path) {
	return readFileSync(path, 'utf8').split('\n')
		.filter((l) => l && !l.startsWith('#'))
		.map((l) => {
			const [cat, q, expect] = l.split('\t');
			return { cat, q, expect };
		});
}

// ------------------------------------------------------------- peers
// The same three peers as bench/symbols_peers.mjs.

function mapScan(rows) {
	const map = new Map();
	for (const r of rows) {
		const v = map.get(r.name);
		if (v)
			v.push(r);
		else
			map.set(r.name, [r]);
	}
	return (q, limit = 20) => {
		const ql = q.toLowerCase();
		const hits = [];
		for (const [name, syms] of map) {
			const nl = name.toLowerCase();
			let j = 0;
			let first = -1;
			for (let i = 0; i < nl.length && j < ql.length; i++) {
				if (nl[i] === ql[j]) {
					if (first < 0)
						first = i;
					j++;
				}
			}
			if (j < ql.length)
				continue;
			let score = 0;
			if (nl === ql)
				score = 3000;
			else if (nl.startsWith(ql))
				score = 2000;
			score += 1000 - Math.min(999, nl.length + first * 4);
			hits.push({ name, score, syms });
		}
		hits.sort((a, b) => b.score - a.score || (a.name < b.name ? -1 : 1));
		return hits.slice(0, limit).map((h) => h.name);
	};
}

function fuzzysortPeer(rows) {
	for (const r of rows)
		r.prepared = fuzzysort.prepare(r.name);
	return (q, limit = 20) =>
		fuzzysort.go(q, rows, { key: 'prepared', limit }).map((r) => r.obj.name);
}

function fzfPeer(rows) {
	const fzf = new Fzf(rows, { selector: (r) => r.name, limit: 20 });
	return (q) => fzf.find(q).map((r) => r.item.name);
}

function distinct(names) {
	const out = [];
	for (const n of names)
		if (out[out.length - 1] !== n)
			out.push(n);
	return out;
}

/* Runs find over the queries: latency per category, top-1/top-5, top-1 map. */
async function measure(find, queries, n, isAsync, ping) {
	const cats = {};
	const all = new Hist(queries.length * n);
	const ph = new Hist(queries.length * n);
	const top1 = new Map();
	for (const q of queries) {
		const c = (cats[q.cat] ??= { h: new Hist(queries.length * n), n: 0, ok1: 0, ok5: 0 });
		let res;
		for (let r = 0; r < n; r++) {
			const a = now();
			res = isAsync ? await find(q.q) : find(q.q);
			const ns = Number(now() - a);
			c.h.add(ns);
			all.add(ns);
			if (ping) {
				/* The transport alone, in the same machine state. */
				const b = now();
				await ping();
				ph.add(Number(now() - b));
			}
		}
		const names = distinct(res);
		c.n++;
		if (names[0] === q.expect)
			c.ok1++;
		if (names.slice(0, 5).includes(q.expect))
			c.ok5++;
		top1.set(`${q.cat}\t${q.q}`, names[0] ?? '');
	}
	const out = {};
	for (const [k, c] of Object.entries(cats)) {
		c.h.finish(0);
		out[k] = { n: c.n, p50_us: +(c.h.pct(0.5) / 1e3).toFixed(1),
			p99_us: +(c.h.pct(0.99) / 1e3).toFixed(1),
			top1: +(c.ok1 / c.n).toFixed(3), top5: +(c.ok5 / c.n).toFixed(3) };
	}
	all.finish(0);
	out.all = { p50_us: +(all.pct(0.5) / 1e3).toFixed(1), p99_us: +(all.pct(0.99) / 1e3).toFixed(1) };
	if (ping) {
		ph.finish(0);
		out.ping_interleaved = { p50_us: +(ph.pct(0.5) / 1e3).toFixed(2),
			p99_us: +(ph.pct(0.99) / 1e3).toFixed(2) };
	}
	return { out, top1 };
}

function agreement(a, b) {
	let same = 0;
	let n = 0;
	for (const [k, v] of a) {
		if (!b.has(k))
			continue;
		n++;
		if (b.get(k) === v)
			same++;
	}
	return n ? +(same / n).toFixed(3) : null;
}

// -------------------------------------------------------------- run

let queries = loadQueries(opt('--queries', join(REPO, 'bench/symbols_queries.tsv')));
if (quick)
	queries = queries.filter((_, i) => i % 3 === 0);
const load = () => readFileSync('/proc/loadavg', 'utf8').trim();
const result = { node: process.version, load_start: load(), dirs, corpus: {}, ours: {}, peers: {} };

let t = now();
const files = dirs.flatMap(listFiles);
const corpus = extract(files);
const rows = [];
for (const syms of corpus.values())
	for (const s of syms)
		rows.push(s);
result.corpus = { files_listed: files.length, files_with_symbols: corpus.size,
	symbols: rows.length, names: new Set(rows.map((r) => r.name)).size,
	ctags_ms: +(Number(now() - t) / 1e6).toFixed(0) };
console.error(`corpus: ${rows.length} symbols in ${corpus.size} files (${result.corpus.ctags_ms} ms of ctags)`);

const eng = await Engine.start();
t = now();
for (const [f, syms] of corpus)
	eng.symbols.upsertFileSync(f, syms);
const st = eng.symbols.statsSync();
result.ours.build_ms = +(Number(now() - t) / 1e6).toFixed(1);
result.ours.stats = st;
if (st.symbols !== rows.length)
	throw new Error(`index holds ${st.symbols} of ${rows.length} symbols`);

const sync = await measure((q) => eng.symbols.querySync(q, { limit: 20 }).map((h) => h.symbol.name),
	queries, reps, false, () => eng.pingSync());
const asyn = await measure((q) => eng.symbols.query(q, { limit: 20 })
	.then((hs) => hs.map((h) => h.symbol.name)), queries, reps, true, () => eng.ping());
result.ours.sync = sync.out;
result.ours.async = asyn.out;
console.error('ours: done');

// Single-file updates: files at the median, p90, p99 and max symbol count,
// re-upserted with the same symbols (the index stays the same size).
const bySize = [...corpus].sort((a, b) => a[1].length - b[1].length);
result.ours.update = {};
for (const [label, q] of [['p50', 0.5], ['p90', 0.9], ['p99', 0.99], ['max', 1]]) {
	const [f, syms] = bySize[Math.min(bySize.length - 1, Math.floor(q * (bySize.length - 1)))];
	const n = syms.length > 5000 ? 20 : 200;
	const h = new Hist(n);
	for (let i = 0; i < n; i++) {
		const a = now();
		eng.symbols.upsertFileSync(f, syms);
		h.add(Number(now() - a));
	}
	h.finish(0);
	result.ours.update[label] = { symbols: syms.length, p50_us: +(h.pct(0.5) / 1e3).toFixed(1),
		p99_us: +(h.pct(0.99) / 1e3).toFixed(1) };
}
{
	const h = new Hist(5000);
	for (let i = 0; i < 5000; i++) {
		const a = now();
		eng.pingSync();
		h.add(Number(now() - a));
	}
	h.finish(0);
	result.ours.pingSync = { p50_us: +(h.pct(0.5) / 1e3).toFixed(2), p99_us: +(h.pct(0.99) / 1e3).toFixed(2) };
}
await eng.close();

const tops = { ours: sync.top1 };
for (const [name, make] of [['fzf', fzfPeer], ['fuzzysort', fuzzysortPeer], ['map_scan', mapScan]]) {
	const h0 = heapUsed();
	const t0 = now();
	const find = make(rows);
	const buildMs = Number(now() - t0) / 1e6;
	const heap = heapUsed() - h0;
	const m = await measure(find, queries, peerReps, false);
	result.peers[name] = { build_ms: +buildMs.toFixed(1), heap_bytes: heap, queries: m.out };
	tops[name] = m.top1;
	console.error(`${name}: done`);
}
result.ours.top1_agree_fzf = agreement(tops.ours, tops.fzf);
for (const name of ['fuzzysort', 'map_scan'])
	result.peers[name].top1_agree_fzf = agreement(tops[name], tops.fzf);
result.load_end = load();

// ------------------------------------------------------------ report
const cats = Object.keys(result.ours.sync).filter((k) => k !== 'all' && k !== 'ping_interleaved');
console.log(`node ${process.version}; corpus ${rows.length} symbols, ${result.corpus.names} names, ` +
	`${corpus.size} files; ${queries.length} queries; load ${result.load_start} -> ${result.load_end}`);
console.log(`\n${'query p50 / p99 (us), top-1'.padEnd(14)}`);
const line = (label, q) => console.log(label.padEnd(16) + [...cats, 'all'].map((c) =>
	`${c}: ${q[c].p50_us}/${q[c].p99_us}${q[c].top1 !== undefined ? ` ${q[c].top1}` : ''}`).join('  '));
line('ours sync', result.ours.sync);
line('ours async', result.ours.async);
for (const [k, v] of Object.entries(result.peers))
	line(k, v.queries);
console.log('\n' + ['', 'p50 all', 'p99 all', 'build ms', 'memory MB', 'top1=fzf'].map((s) => s.padStart(11)).join(''));
const row = (name, q, b, mem, agree) => console.log(name.padEnd(11) + [q.all.p50_us, q.all.p99_us, b,
	(mem / 1e6).toFixed(1), agree ?? '-'].map((x) => String(x).padStart(11)).join(''));
row('ours sync', result.ours.sync, result.ours.build_ms, st.bytes, result.ours.top1_agree_fzf);
row('ours async', result.ours.async, result.ours.build_ms, st.bytes, result.ours.top1_agree_fzf);
for (const [k, v] of Object.entries(result.peers))
	row(k, v.queries, v.build_ms, v.heap_bytes, v.top1_agree_fzf);
console.log('\nsingle-file upsertFileSync (same symbols again): ' + Object.entries(result.ours.update)
	.map(([k, v]) => `${k} file (${v.symbols} symbols) p50 ${v.p50_us} us`).join(', '));
console.log(`pingSync after the queries: p50 ${result.ours.pingSync.p50_us} us, p99 ${result.ours.pingSync.p99_us} us; ` +
	`interleaved with the queries: sync ping p50 ${result.ours.sync.ping_interleaved.p50_us} us, ` +
	`async ping p50 ${result.ours.async.ping_interleaved.p50_us} us`);
mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, JSON.stringify(result, null, 1) + '\n');
console.log(`-> ${outFile}`);
