// SPDX-License-Identifier: MIT
// Spawn -> exit from Node: the engine's exec op (engine/ops/exec.c) through
// eng.exec, under the full policy (network none, one writable work
// directory as cwd, every namespace, Landlock, seccomp) and without
// namespaces, against child_process.spawn and execFile (no sandbox) and
// bubblewrap spawned by child_process.spawn (the same flags as
// bench/exec_bench.c) of the same commands, in one run. Latency of
// one call at a time (the cases interleaved in rounds, so that drift of the
// shared machine hits them alike), then throughput with 2 and 16 calls in
// flight.
//
// usage: node bench/exec_node.mjs [--n 200] [--rounds 4] [--total 400]
//            [--workers N] [--out FILE.json]
// Environment: ACCEL_ADDON, ACCEL_ENGINE (see napi-bridge/lib/index.js).
// The machine is a shared 2-core VM: compare ratios within one run.
import { spawn, execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine } from '../napi-bridge/lib/index.mjs';
import { Hist, now, measureInflight } from './hist.mjs';

const args = process.argv.slice(2);
function opt(name, def) {
	const i = args.indexOf(`--${name}`);
	return i < 0 ? def : args[i + 1];
}
const N = Number(opt('n', 200));
const ROUNDS = Number(opt('rounds', 4));
const TOTAL = Number(opt('total', 400));
const WORKERS = opt('workers', undefined);
const HERE = dirname(fileURLToPath(import.meta.url));
const stamp = new Date().toISOString().replace(/[-:]/g, '').slice(0, 13) + 'Z';
const OUT = opt('out', join(HERE, 'results', `exec-node-${stamp}.json`));

const eng = await Engine.start(WORKERS ? { workers: Number(WORKERS) } : {});

const CMDS = {
	true: ['/bin/true'],
	echo: ['/bin/sh', '-c', 'echo hi'],
};
// The C bench's policies: writable work directory (also the cwd), network
// none; the second without namespaces.
const WORK = mkdtempSync(join(tmpdir(), 'accel-exec-node-'));
const FULL = { write: [WORK], network: 'none' };
const NONS = { ...FULL, disableLayers: ['namespaces'] };
const HAVE_BWRAP = existsSync('/usr/bin/bwrap');

// bubblewrap with the flags closest to the full policy (bench/exec_bench.c).
function bwrapArgv(argv, net) {
	return ['/usr/bin/bwrap', '--ro-bind', '/', '/', '--bind', WORK, WORK,
		'--dev', '/dev', '--proc', '/proc', '--unshare-user', '--unshare-pid',
		'--unshare-ipc', '--unshare-uts', ...(net ? ['--unshare-net'] : []),
		'--new-session', '--die-with-parent', '--chdir', WORK, '--', ...argv];
}

function viaSpawn(argv) {
	return new Promise((resolve, reject) => {
		const c = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
		let out = '';
		c.stdout.on('data', (d) => { out += d; });
		c.on('error', reject);
		c.on('close', (code) => resolve({ code, out }));
	});
}

function viaExecFile(argv) {
	return new Promise((resolve, reject) => {
		execFile(argv[0], argv.slice(1), (err, stdout) => {
			if (err) reject(err);
			else resolve({ code: 0, out: stdout });
		});
	});
}

function check(name, r, argv) {
	const code = r.exitCode ?? r.code;
	const out = r.stdout ?? r.out;
	if (code !== 0 || out !== (argv.length > 1 ? 'hi\n' : ''))
		throw new Error(`${name}: exit ${code}, output ${JSON.stringify(out)}`);
}

const CASES = [];
for (const [cmd, argv] of Object.entries(CMDS)) {
	CASES.push({ id: `spawn/${cmd}`, label: `child_process.spawn ${cmd}`,
		fn: () => viaSpawn(argv), argv });
	CASES.push({ id: `execFile/${cmd}`, label: `execFile ${cmd}`,
		fn: () => viaExecFile(argv), argv });
	CASES.push({ id: `exec-full/${cmd}`, label: `eng.exec ${cmd}, full policy`,
		fn: () => eng.exec({ argv, cwd: WORK, policy: FULL }), argv });
	CASES.push({ id: `exec-nons/${cmd}`, label: `eng.exec ${cmd}, no namespaces`,
		fn: () => eng.exec({ argv, cwd: WORK, policy: NONS }), argv });
	if (HAVE_BWRAP) {
		CASES.push({ id: `bwrap/${cmd}`, label: `spawn bwrap ${cmd}, no netns`,
			fn: () => viaSpawn(bwrapArgv(argv, false)), argv });
		CASES.push({ id: `bwrap-net/${cmd}`, label: `spawn bwrap ${cmd}, netns`,
			fn: () => viaSpawn(bwrapArgv(argv, true)), argv });
	}
}

// Warm-up: compiles and caches both policies, checks every case once.
for (const c of CASES)
	for (let i = 0; i < 10; i++)
		check(c.id, await c.fn(), c.argv);
const layers = await eng.exec({ argv: ['/bin/true'], cwd: WORK, policy: FULL });

const hists = new Map(CASES.map((c) => [c.id, new Hist(N * ROUNDS)]));
const walls = new Map(CASES.map((c) => [c.id, 0]));
for (let r = 0; r < ROUNDS; r++)
	for (const c of CASES) {
		const h = hists.get(c.id);
		const t0 = now();
		for (let i = 0; i < N; i++) {
			const t = now();
			await c.fn();
			h.add(Number(now() - t));
		}
		walls.set(c.id, walls.get(c.id) + Number(now() - t0));
	}

const series = [];
for (const c of CASES)
	series.push(hists.get(c.id).finish(walls.get(c.id)).toJSON({
		id: c.id, label: c.label, group: 'exec-latency' }));

// Throughput: `depth` calls in flight until TOTAL completed.
const TP = [
	{ id: 'spawn/true', fn: () => viaSpawn(CMDS.true) },
	{ id: 'exec-full/true', fn: () => eng.exec({ argv: CMDS.true, cwd: WORK, policy: FULL }) },
	{ id: 'exec-nons/true', fn: () => eng.exec({ argv: CMDS.true, cwd: WORK, policy: NONS }) },
	...(HAVE_BWRAP ? [{ id: 'bwrap/true', fn: () => viaSpawn(bwrapArgv(CMDS.true, false)) }] : []),
];
for (const depth of [2, 16])
	for (const t of TP) {
		const h = await measureInflight(TOTAL, 8, depth, t.fn);
		series.push(h.toJSON({ id: `${t.id}@${depth}`,
			label: `${t.id}, ${depth} in flight`, group: 'exec-throughput',
			batch: depth }));
	}

const st = await eng.stats();
await eng.close();
rmSync(WORK, { recursive: true, force: true });

const doc = {
	bench: 'exec_node',
	when: new Date().toISOString(),
	node: process.version,
	machine: 'shared 2-core VM',
	engine_workers: st.engine.workers,
	n: N, rounds: ROUNDS, total: TOTAL,
	layers_full: Object.keys(layers.layers).filter((k) => layers.layers[k]),
	landlock_abi: layers.landlockAbi,
	series,
};
mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(OUT, JSON.stringify(doc, null, 1));

const us = (ns) => (ns / 1000).toFixed(0).padStart(7);
const base = (id) => series.find((s) => s.id === id);
console.log(`exec from Node, ${N * ROUNDS} sequential calls per case ` +
	`(${ROUNDS} interleaved rounds), engine workers ${st.engine.workers}, ` +
	`load ${series[0].load1}`);
console.log('case                                   p50 us  p99 us  x spawn p50');
for (const s of series.filter((x) => x.group === 'exec-latency')) {
	const cmd = s.id.split('/')[1];
	const ratio = s.p50_ns / base(`spawn/${cmd}`).p50_ns;
	console.log(`${s.label.padEnd(38)}${us(s.p50_ns)} ${us(s.p99_ns)}   ${ratio.toFixed(2)}`);
}
console.log(`\nthroughput, ${TOTAL} execs of /bin/true`);
console.log('case                                   execs/s  p50 us  p99 us');
for (const s of series.filter((x) => x.group === 'exec-throughput'))
	console.log(`${s.label.padEnd(38)}${s.ops_per_s.toFixed(0).padStart(8)}${us(s.p50_ns)} ${us(s.p99_ns)}`);
console.log(`\nwrote ${OUT}`);
