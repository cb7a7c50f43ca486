// SPDX-License-Identifier: MIT
// End to end from Node: the engine's `diff` op (engine/ops/diff.c) on the
// pairs of tests/diff/make_pairs.sh, through the Node bridge, sync
// (callSync) and async (call), per algorithm; the result (hunk buffer +
// unified text, viewed in the mapping) is checked once per pair and
// algorithm by applying the text with the engine's `apply_patch` op and
// comparing with b. Compare with bench/diff_peers.mjs (jsdiff,
// fast-myers-diff) on the same pairs.
//
// usage: node --expose-gc bench/diff_node.mjs PAIRS.txt [--filter S] [--quick]
//            [--out FILE.json]
// Environment: ACCEL_ADDON, ACCEL_ENGINE (see napi-bridge/lib/index.js).
import { readFileSync, writeFileSync } from 'node:fs';
import { Engine } from '../napi-bridge/lib/index.mjs';
import { Hist, now } from './hist.mjs';

const ALGS = ['myers', 'minimal', 'patience', 'histogram'];

function diffArgs(a, b, alg) {
	// arg0: a_len | b_len << 32; arg1: no paths; arg2: algorithm |
	// (context + 1) << 8 (engine/ops/diff.c).
	return [BigInt(a.length) | (BigInt(b.length) << 32n), 0n,
		BigInt(alg) | (4n << 8n)];
}

function check(eng, a, b, r, name, alg) {
	const h = r.data;
	const dv = new DataView(h.buffer, h.byteOffset, h.byteLength);
	if (dv.getUint32(0, true) !== 0x31484441)
		throw new Error(`${name}: bad hunk buffer magic`);
	const text = h.subarray(r.res);
	if (!text.length) {
		if (!a.equals(b)) throw new Error(`${name}: no text for different inputs`);
		return;
	}
	const inp = Buffer.concat([a, text]);
	const ap = eng.callSync('apply_patch', inp, {
		result: 'raw',
		args: [BigInt(a.length) | (BigInt(text.length) << 32n), 0n, 0n],
	});
	const av = new DataView(ap.data.buffer, ap.data.byteOffset, ap.data.byteLength);
	const off = av.getUint32(16, true), len = av.getUint32(20, true);
	if (ap.res !== 0 || !ap.data.subarray(off, off + len).equals(b))
		throw new Error(`${name} ${ALGS[alg]}: apply(diff(a, b), a) != b through the engine`);
}

async function main() {
	const args = process.argv.slice(2);
	const opt = (k, d) => {
		const i = args.indexOf(k);
		return i >= 0 ? args[i + 1] : d;
	};
	const filter = opt('--filter', '');
	const quick = args.includes('--quick');
	const out = opt('--out', '');
	const runs = quick ? 1 : 5, minNs = quick ? 0 : 300e6;
	// Results are views into the mapping, released when JS drops them:
	// room for several 20 MB texts, and a GC between samples when the
	// script runs with --expose-gc.
	const eng = await Engine.start({ resSize: 1 << 30, reqSize: 256 << 20 });
	const gc = globalThis.gc || (() => {});
	const series = [];
	console.log(`${'pair'.padEnd(44)} ${'alg'.padEnd(9)} ${'sync p50'.padStart(11)} ${'async p50'.padStart(11)}`);
	try {
		for (const line of readFileSync(args[0], 'utf8').split('\n')) {
			const [name, pa, pb] = line.split('\t');
			if (!pb || (filter && !name.includes(filter))) continue;
			const a = readFileSync(pa), b = readFileSync(pb);
			const input = Buffer.concat([a, b]);
			for (let alg = 0; alg < ALGS.length; alg++) {
				if (alg === 1 && quick && a.length > 2e6) continue;
				const o = { result: 'raw', args: diffArgs(a, b, alg) };
				check(eng, a, b, eng.callSync('diff', input, o), name, alg);
				const p50 = {};
				for (const mode of ['sync', 'async']) {
					const h = new Hist(10000);
					const start = now();
					while (h.n < runs || Number(now() - start) < minNs) {
						const t0 = now();
						if (mode === 'sync') eng.callSync('diff', input, o);
						else await eng.call('diff', input, o);
						h.add(Number(now() - t0));
						if (input.length > 1e6) gc();
						if (h.n >= 10000) break;
					}
					h.finish(Number(now() - start));
					p50[mode] = h.pct(0.5);
					series.push(h.toJSON({
						id: `node.diff.engine.${mode}.${ALGS[alg]}.${name}`,
						label: `engine diff ${mode}`, group: name, pair: name,
						alg: ALGS[alg], impl: `engine.${mode}`,
						size: a.length + b.length,
					}));
				}
				const shown = name.length > 44 ? name.slice(-44) : name;
				console.log(`${shown.padEnd(44)} ${ALGS[alg].padEnd(9)} ` +
					`${(p50.sync / 1e6).toFixed(3).padStart(9)}ms ` +
					`${(p50.async / 1e6).toFixed(3).padStart(9)}ms`);
			}
		}
	} finally {
		await eng.close();
	}
	if (out) writeFileSync(out, JSON.stringify({ bench: 'diff-node', series }, null, 1));
}

await main();
