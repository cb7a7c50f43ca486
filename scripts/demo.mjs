#!/usr/bin/env node
// agent-accel demo: drives every op through the Node bridge on real inputs
// (files from node_modules and the system) and prints results and latencies.
// Run by scripts/demo.sh after the build; `node scripts/demo.mjs` works alone.
import { createRequire } from 'node:module';
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { Engine } = require(path.join(repo, 'napi-bridge'));
const nm = (p) => path.join(repo, 'node_modules', p);

const fmtUs = (ns) => `${(Number(ns) / 1000).toFixed(2)} µs`;
const fmtMs = (ns) => `${(Number(ns) / 1e6).toFixed(2)} ms`;
const now = () => process.hrtime.bigint();

/* p50/p99 of n runs of fn (sync or async), in ns. */
async function latency(n, fn) {
	const t = new Array(n);
	for (let i = 0; i < n; i++) {
		const t0 = now();
		const r = fn(i);
		if (r && typeof r.then === 'function')
			await r;
		t[i] = Number(now() - t0);
	}
	t.sort((a, b) => a - b);
	return { p50: t[Math.floor(n * 0.5)], p99: t[Math.floor(n * 0.99)] };
}

function row(name, what, lat) {
	const l = lat ? `p50 ${fmtUs(lat.p50).padStart(12)}  p99 ${fmtUs(lat.p99).padStart(12)}` : '';
	console.log(`  ${name.padEnd(22)} ${String(what).padEnd(46)} ${l}`);
}

function section(title) {
	console.log(`\n${title}`);
}

const eng = await Engine.start();
const { ops } = require(path.join(repo, 'napi-bridge'));
console.log(`agent-accel engine pid ${eng.pid}, ops: ${Object.keys(ops).join(' ')}`);

// ---- the spine: ping, echo, stats
section('spine (round trips through the shared-memory rings)');
row('pingSync', 'no-op, waits on this thread', await latency(20000, () => eng.pingSync()));
row('ping', 'no-op, one at a time', await latency(20000, () => eng.ping()));
{
	const n = 1_000_000, t0 = now();
	await eng.pingMany(n);
	const s = Number(now() - t0) / 1e9;
	row('pingMany', `${n} no-ops, batched: ${(n / s / 1e6).toFixed(2)} M ops/s`);
}
for (const size of [64, 64 << 10, 1 << 20]) {
	const buf = Buffer.alloc(size, 0x61);
	let view;
	const lat = await latency(size > 65536 ? 200 : 5000, async () => { view = await eng.echo(buf); });
	row(`echo ${size} B`, `result viewed in place: ${eng.isMapped(view)}`, lat);
}

// ---- diff: consecutive versions of a real file
section('diff (typescript 5.4 -> 5.5, lib/lib.dom.d.ts)');
const domA = readFileSync(nm('typescript-5.4/lib/lib.dom.d.ts'), 'utf8');
const domB = readFileSync(nm('typescript-5.5/lib/lib.dom.d.ts'), 'utf8');
let ud;
for (const algorithm of ['myers', 'patience', 'histogram']) {
	const lat = await latency(5, () => { ud = eng.diffSync(domA, domB, { algorithm, aPath: 'lib.dom.d.ts', bPath: 'lib.dom.d.ts' }); });
	row(`diffSync ${algorithm}`, `+${ud.added} -${ud.removed} in ${ud.hunks} hunks`, lat);
}
{
	let res;
	const lat = await latency(5, () => { res = eng.applyPatchSync(domA, ud.text); });
	row('applyPatchSync', `round trip equal: ${res.text === domB}, rejected ${res.rejected}`, lat);
	const base = 'a\nb\nc\nd\n', ours = 'a\nB\nc\nd\n', theirs = 'a\nb\nc\nD\n';
	const m = eng.merge3Sync(base, ours, theirs);
	row('merge3Sync', `clean merge: ${JSON.stringify(m.text)}, conflicts ${m.conflicts}`);
	const w = await eng.diffWords('the quick brown fox', 'the quick red fox');
	row('diffWords', `${JSON.stringify(w).slice(0, 44)}`);
}

// ---- tokens: exact BPE counts
section('tokens (cl100k_base, o200k_base; tiktoken-exact)');
const tsjs = readFileSync(nm('typescript/lib/typescript.js'), 'utf8').slice(0, 4 << 20);
for (const enc of ['cl100k_base', 'o200k_base']) {
	let n;
	const lat = await latency(3, () => { n = eng.countTokensSync(tsjs, enc); });
	const mbs = (Buffer.byteLength(tsjs) / 1e6) / (lat.p50 / 1e9);
	row(`countTokensSync ${enc.slice(0, 6)}`, `${n} tokens in 4 MiB of typescript.js: ${mbs.toFixed(0)} MB/s`, lat);
}
{
	const text = 'Hello, agent! 你好，世界 🌍';
	const ids = eng.encodeSync(text, 'o200k_base');
	row('encodeSync/decodeSync', `${ids.length} ids, round trip ${eng.decodeSync(ids, 'o200k_base') === text}`,
	    await latency(5000, () => eng.countTokensSync(text, 'o200k_base')));
	row('isWithinLimitSync', `4 MiB within 1000 tokens: ${eng.isWithinLimitSync(tsjs, 1000, 'cl100k_base')}`);
}

// ---- context: zstd, dictionaries, the store, the compaction plan
section('context (zstd, store, compaction)');
{
	const data = Buffer.from(tsjs);
	let frame;
	const lat = await latency(5, () => { frame = eng.compressSync(data, { level: 3 }); });
	row('compressSync', `4 MiB -> ${frame.length} B (ratio ${(data.length / frame.length).toFixed(2)})`, lat);
	const back = eng.decompressSync(frame);
	row('decompressSync', `round trip equal: ${back.equals(data)}`);
	const key = eng.store.putSync(data);
	eng.store.putSync(data);
	const st = eng.store.statsSync();
	row('store.put x2', `key ${key.slice(0, 12)}..., ${JSON.stringify(st).slice(0, 40)}`);
	const lic = readFileSync('/usr/share/common-licenses/GPL-3', 'utf8').split('\n\n');
	const messages = lic.slice(0, 60).map((text, i) => ({ role: i % 2 ? 'assistant' : 'user', text, pinned: i === 0 }));
	const plan = eng.compactSync(messages, { budget: 2000, encoding: 'o200k_base', preserveLast: 4 });
	row('compactSync', `${messages.length} messages, ${plan.totalBefore} -> ${plan.totalAfter} tokens, keep ${plan.kept}`);
}

// ---- symbols: index a real package with universal-ctags, then query
section('symbols (workspace index of node_modules/lodash with universal-ctags)');
{
	let last = 0;
	const t0 = now();
	const ws = await eng.symbols.indexWorkspace(nm('lodash'), {
		onProgress(done, total) {
			if (process.stdout.isTTY && (done - last >= 100 || done === total)) {
				last = done;
				process.stdout.write(`\r  indexing ${done}/${total} files`);
			}
		},
	});
	if (process.stdout.isTTY)
		process.stdout.write('\x1b[2K\r');
	row('indexWorkspace', `${ws.filesIndexed} files, ${ws.symbols} symbols in ${fmtMs(now() - t0)}`);
	for (const q of ['debounce', 'gTC', 'isArrLike', 'thrtle']) {
		let hits;
		const lat = await latency(2000, () => { hits = eng.symbols.querySync(q, { limit: 20 }); });
		const top = hits[0] ? `${hits[0].symbol.name} (${path.basename(hits[0].symbol.file)}:${hits[0].symbol.line})` : '-';
		row(`querySync '${q}'`, `${hits.length} hits, top ${top}`, lat);
	}
	const s = eng.symbols.statsSync();
	row('symbols.stats', JSON.stringify(s).slice(0, 46));
}

// ---- exec: a command under kernel isolation
section('exec (Landlock, seccomp, namespaces)');
{
	const dir = mkdtempSync(path.join(tmpdir(), 'accel-demo-'));
	writeFileSync(path.join(dir, 'in.txt'), 'hello from the sandbox\n');
	const r = await eng.exec({ argv: ['/bin/sh', '-c', 'cat in.txt; echo ok > out.txt; echo x > /etc/accel-demo'],
		cwd: dir, policy: { write: [dir], network: 'none' }, timeoutMs: 10000 });
	row('exec sh -c ...', `exit ${r.exitCode}, stdout ${JSON.stringify(r.stdout.trim())}`);
	row('', `stderr ${JSON.stringify(r.stderr.trim()).slice(0, 44)}`);
	row('', `layers ${Object.entries(r.layers ?? {}).filter(([, v]) => v).map(([k]) => k).join(',').slice(0, 40)}`);
	row('exec /bin/true', 'full policy, spawn to exit',
	    await latency(50, () => eng.exec({ argv: ['/bin/true'], policy: { network: 'none' } })));
	rmSync(dir, { recursive: true, force: true });
}

// ---- stats: what the engine measured
section('engine stats (service time inside the engine)');
const st = await eng.stats();
for (const [op, m] of Object.entries(st.ops))
	if (m.count)
		console.log(`  ${op.padEnd(14)} ${String(m.count).padStart(9)} calls  p50 ${fmtUs(m.p50_ns).padStart(12)}  p99 ${fmtUs(m.p99_ns).padStart(12)}  p999 ${fmtUs(m.p999_ns).padStart(12)}`);
await eng.close();
