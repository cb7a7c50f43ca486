// SPDX-License-Identifier: MIT
// The JS peers of bench/diff_bench.c on the same real pairs: jsdiff
// (`diff` package: structuredPatch, diffLines, applyPatch of its own patch)
// and fast-myers-diff (calcPatch over line arrays). Each measurement runs in
// a worker thread that is terminated after --timeout-s (default 60): a
// library that needs longer "gave up", as the issue counts it.
//
// usage: node bench/diff_peers.mjs PAIRS.txt [--filter S] [--quick]
//            [--timeout-s N] [--out FILE.json]
import { readFileSync, writeFileSync } from 'node:fs';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { Hist, now } from './hist.mjs';
import { runCapped } from './capped.mjs';

const LIBS = ['jsdiff.structuredPatch', 'jsdiff.diffLines', 'jsdiff.applyPatch',
	'fast-myers-diff.calcPatch'];

async function runWorker() {
	const { a, b, lib, runs, minMs } = workerData;
	const jsdiff = await import('diff');
	const fmd = await import('fast-myers-diff');
	let fn;
	if (lib === 'jsdiff.structuredPatch') {
		fn = () => jsdiff.structuredPatch('a', 'b', a, b, '', '', { context: 3 });
	} else if (lib === 'jsdiff.diffLines') {
		fn = () => jsdiff.diffLines(a, b);
	} else if (lib === 'jsdiff.applyPatch') {
		const p = jsdiff.createPatch('f', a, b);
		fn = () => {
			if (jsdiff.applyPatch(a, p) !== b) throw new Error('applyPatch mismatch');
		};
	} else {
		const la = a.split('\n'), lb = b.split('\n');
		fn = () => {
			let n = 0;
			for (const _ of fmd.calcPatch(la, lb)) n++;
			return n;
		};
	}
	const h = new Hist(10000);
	const start = now();
	while (h.n < runs || Number(now() - start) < minMs * 1e6) {
		const t0 = now();
		fn();
		h.add(Number(now() - t0));
		if (h.n >= 10000) break;
	}
	h.finish(Number(now() - start));
	parentPort.postMessage(h.toJSON({ id: '', label: lib, group: '' }));
}

function runOne(a, b, lib, runs, minMs, timeoutS) {
	return runCapped(new URL(import.meta.url),
			 { a, b, lib, runs, minMs }, timeoutS);
}

async function main() {
	const args = process.argv.slice(2);
	const pairsFile = args[0];
	const opt = (k, d) => {
		const i = args.indexOf(k);
		return i >= 0 ? args[i + 1] : d;
	};
	const filter = opt('--filter', '');
	const quick = args.includes('--quick');
	const timeoutS = Number(opt('--timeout-s', 60));
	const out = opt('--out', '');
	const series = [];
	console.log(`${'pair'.padEnd(44)} ${'library'.padEnd(28)} p50`);
	for (const line of readFileSync(pairsFile, 'utf8').split('\n')) {
		const [name, pa, pb] = line.split('\t');
		if (!pb || (filter && !name.includes(filter))) continue;
		const a = readFileSync(pa, 'utf8'), b = readFileSync(pb, 'utf8');
		for (const lib of LIBS) {
			const r = await runOne(a, b, lib, quick ? 1 : 5, quick ? 0 : 500, timeoutS);
			let shown;
			if (r.gaveUp) shown = `gave up (> ${timeoutS} s)`;
			else if (r.error) shown = `error: ${r.error}`;
			else shown = `${(r.p50_ns / 1e6).toFixed(2)} ms`;
			console.log(`${name.slice(0, 44).padEnd(44)} ${lib.padEnd(28)} ${shown}`);
			series.push({ ...r, id: `node.diff.${lib}.${name}`, label: lib, group: name,
				pair: name, impl: lib, a_bytes: a.length, b_bytes: b.length });
		}
	}
	if (out) writeFileSync(out, JSON.stringify({ bench: 'diff-peers', series }, null, 1));
}

if (isMainThread) await main();
else await runWorker();
