// SPDX-License-Identifier: MIT
// End to end from Node: the public diff methods of the Node package
// (napi-bridge/lib/ops/diff.js: eng.diffSync / eng.diff, unified text from
// JS strings, and format 'hunks'; eng.applyPatchSync) on real pairs, per
// algorithm, and -- with --peers, the default when no PAIRS file is given --
// the JS peers on the same pairs in the same run: jsdiff (structuredPatch,
// diffLines, applyPatch) and fast-myers-diff, each in a worker of
// bench/diff_peers.mjs terminated after --timeout-s (default 60 s: "gave
// up", as the issue counts it). Every result of ours is checked once per
// pair and algorithm: applyPatch(a, diff(a, b)) == b through the engine.
//
// usage: node --expose-gc bench/diff_node.mjs [PAIRS.txt] [--filter S]
//            [--quick] [--peers] [--timeout-s N] [--out FILE.json]
//   PAIRS.txt  "name<TAB>a<TAB>b" lines (tests/diff/make_pairs.sh); default:
//              the large TypeScript pairs from node_modules, with peers,
//              written to bench/results/diff-node-<UTC stamp>.json
// Environment: ACCEL_ADDON, ACCEL_ENGINE (see napi-bridge/lib/index.js).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { Engine } from '../napi-bridge/lib/index.mjs';
import { Hist, now } from './hist.mjs';
import { runCapped } from './capped.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const NM = path.join(ROOT, 'node_modules');
const ALGS = ['myers', 'minimal', 'patience', 'histogram'];
const PEERS = ['jsdiff.structuredPatch', 'jsdiff.diffLines', 'jsdiff.applyPatch',
	'fast-myers-diff.calcPatch'];

function defaultPairs() {
	const v = (ver, f) => path.join(NM, ver, 'lib', f);
	return [
		['ts55-56/typescript.js', v('typescript-5.5', 'typescript.js'),
			v('typescript', 'typescript.js')],
		['ts54-55/typescript.js (re-indent)', v('typescript-5.4', 'typescript.js'),
			v('typescript-5.5', 'typescript.js')],
		['ts55-56/lib.dom.d.ts', v('typescript-5.5', 'lib.dom.d.ts'),
			v('typescript', 'lib.dom.d.ts')],
		['ts54-55/lib.es5.d.ts', v('typescript-5.4', 'lib.es5.d.ts'),
			v('typescript-5.5', 'lib.es5.d.ts')],
	].filter(([, a, b]) => existsSync(a) && existsSync(b));
}

function peer(a, b, lib, runs, minMs, timeoutS) {
	return runCapped(new URL('./diff_peers.mjs', import.meta.url),
			 { a, b, lib, runs, minMs }, timeoutS);
}

async function measure(fn, runs, minNs, gc, big) {
	const h = new Hist(10000);
	const start = now();
	while (h.n < runs || Number(now() - start) < minNs) {
		const t0 = now();
		await fn();
		h.add(Number(now() - t0));
		if (big)
			gc();
		if (h.n >= 10000)
			break;
	}
	h.finish(Number(now() - start));
	return h;
}

const ms = (ns) => (ns / 1e6).toFixed(ns < 1e7 ? 2 : 1);

async function main() {
	const args = process.argv.slice(2);
	const opt = (k, d) => {
		const i = args.indexOf(k);
		return i >= 0 ? args[i + 1] : d;
	};
	const pairsFile = args[0] && !args[0].startsWith('--') ? args[0] : '';
	const filter = opt('--filter', '');
	const quick = args.includes('--quick');
	const withPeers = args.includes('--peers') || !pairsFile;
	const timeoutS = Number(opt('--timeout-s', 60));
	const stamp = new Date().toISOString().replace(/[-:]/g, '').slice(0, 13) + 'Z';
	const out = opt('--out', pairsFile ? '' :
		path.join(ROOT, 'bench/results', `diff-node-${stamp}.json`));
	const runs = quick ? 1 : 5, minNs = quick ? 0 : 300e6;
	const pairs = pairsFile ?
		readFileSync(pairsFile, 'utf8').split('\n').map((l) => l.split('\t'))
			.filter((p) => p.length >= 3) : defaultPairs();
	// Results are views into the mapping, released when JS drops them:
	// room for several 20 MB texts, and a GC between samples of large
	// pairs when the script runs with --expose-gc.
	const eng = await Engine.start({ resSize: 1 << 30, reqSize: 256 << 20 });
	const gc = globalThis.gc || (() => {});
	const series = [];
	const table = [];
	console.log(`# diff_node ${new Date().toISOString()}, node ${process.version}, ` +
		`load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
	try {
		for (const [name, pa, pb] of pairs) {
			if (filter && !name.includes(filter))
				continue;
			const a = readFileSync(pa, 'utf8'), b = readFileSync(pb, 'utf8');
			const size = Buffer.byteLength(a) + Buffer.byteLength(b);
			const big = size > 1e6;
			const row = { pair: name, bytes: size, ours: {}, peers: {} };
			for (const alg of ALGS) {
				if (alg === 'minimal' && quick && a.length > 2e6)
					continue;
				const d = eng.diffSync(a, b, { algorithm: alg });
				if (d.text && eng.applyPatchSync(a, d.text).text !== b)
					throw new Error(`${name} ${alg}: apply(diff(a, b), a) != b`);
				const p50 = {};
				const modes = {
					sync: () => eng.diffSync(a, b, { algorithm: alg }),
					async: () => eng.diff(a, b, { algorithm: alg }),
					'hunks-sync': () => eng.diffSync(a, b,
						{ algorithm: alg, format: 'hunks' }),
				};
				for (const [mode, fn] of Object.entries(modes)) {
					const h = await measure(fn, runs, minNs, gc, big);
					p50[mode] = h.pct(0.5);
					series.push(h.toJSON({
						id: `node.diff.engine.${mode}.${alg}.${name}`,
						label: `engine diff ${mode}`, group: name, pair: name,
						alg, impl: `engine.${mode}`, size,
						added: d.added, removed: d.removed,
					}));
				}
				row.ours[alg] = { p50: p50.sync, p99: series.at(-3).p99_ns,
					asyncP50: p50.async, hunksP50: p50['hunks-sync'],
					changed: d.added + d.removed };
				console.log(`${name.padEnd(36)} ours ${alg.padEnd(9)} sync p50 ` +
					`${ms(p50.sync).padStart(8)} ms  async ${ms(p50.async).padStart(8)} ms  ` +
					`hunks ${ms(p50['hunks-sync']).padStart(8)} ms  ` +
					`(+${d.added} -${d.removed})`);
			}
			{
				const d = eng.diffSync(a, b).text;
				const h = await measure(() => eng.applyPatchSync(a, d), runs,
					minNs, gc, big);
				series.push(h.toJSON({ id: `node.diff.engine.apply.${name}`,
					label: 'engine applyPatch sync', group: name, pair: name,
					impl: 'engine.applyPatch', size }));
				row.ours.apply = { p50: h.pct(0.5) };
				console.log(`${name.padEnd(36)} ours applyPatchSync      p50 ` +
					`${ms(h.pct(0.5)).padStart(8)} ms`);
			}
			if (withPeers)
				for (const lib of PEERS) {
					const r = await peer(a, b, lib, quick || big ? 1 : 5,
						quick || big ? 0 : 300, timeoutS);
					let shown;
					if (r.gaveUp)
						shown = `gave up (> ${timeoutS} s)`;
					else if (r.error)
						shown = `error: ${r.error}`;
					else {
						const ref = lib === 'jsdiff.applyPatch' ?
							row.ours.apply.p50 : row.ours.myers.p50;
						shown = `p50 ${ms(r.p50_ns).padStart(8)} ms  ` +
							`= ${(r.p50_ns / ref).toFixed(1)}x ours ` +
							(lib === 'jsdiff.applyPatch' ? '(applyPatchSync)' :
								'(myers sync)');
					}
					row.peers[lib] = r.gaveUp ? { gaveUp: true, timeoutS } :
						r.error ? { error: r.error } : { p50: r.p50_ns };
					console.log(`${name.padEnd(36)} ${lib.padEnd(28)} ${shown}`);
					series.push({ ...r, id: `node.diff.${lib}.${name}`, label: lib,
						group: name, pair: name, impl: lib, size,
						gave_up: !!r.gaveUp, timeout_s: timeoutS });
				}
			table.push(row);
		}
	} finally {
		await eng.close();
	}
	if (out) {
		mkdirSync(path.dirname(out), { recursive: true });
		writeFileSync(out, JSON.stringify({ bench: 'diff-node', node: process.version,
			date: new Date().toISOString(), table, series }, null, 1));
		console.log(`# wrote ${out}`);
	}
}

await main();
