// SPDX-License-Identifier: MIT
// Where the time of countTokensSync goes, pass by pass: the text of
// bench/tokens_node.mjs (>= 10 MB, 64 KiB documents) counted N times in a
// row through one engine; for each pass the MB/s (all documents, those of
// at most 64 KiB that the engine runs inline on its poller, and the larger
// ones it hands to a worker), Node's CPU time, and each engine thread's CPU
// time (/proc/PID/task/TID/schedstat) and minor faults. The first pass
// starts with the engine's caches of merged pieces empty.
//
// usage: node bench/tokens_passes.mjs [--passes N] [--enc cl100k_base,o200k_base]
//            [--workers N] [--mb N]
// Environment: ACCEL_ADDON, ACCEL_ENGINE (which may be a wrapper script,
// e.g. valgrind --tool=callgrind --separate-threads=yes
// --toggle-collect=accel_tokenizer_count: run with --passes 1 and 2 and
// subtract for the second pass's instructions).
import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { corpus } from './tokens_node.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (k, d) => {
	const i = args.indexOf(k);
	return i >= 0 ? args[i + 1] : d;
};
process.env.ACCEL_TOKENIZER_DATA ??= path.join(ROOT, 'node_modules/gpt-tokenizer/data');

/* CPU ns and minor faults of each thread of process pid. */
function threads(pid) {
	const m = {};
	for (const t of readdirSync(`/proc/${pid}/task`)) {
		const st = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
		const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
		m[t] = {
			ns: Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`,
				'utf8').split(' ')[0]),
			minflt: Number(f[7]),
		};
	}
	return m;
}

function delta(a, b) {
	return Object.keys(b).map((t) => {
		const x = a[t] ?? { ns: 0, minflt: 0 };
		return { tid: t, ms: (b[t].ns - x.ns) / 1e6,
			faults: b[t].minflt - x.minflt };
	}).filter((d) => d.ms >= 0.5 || d.faults > 0);
}

const { Engine } = await import('../napi-bridge/lib/index.mjs');
const workers = Number(opt('--workers', 0));
const eng = await Engine.start(workers ? { workers } : {});
const { docs, bytes } = corpus(Number(opt('--mb', 10)));
const big = docs.map((d) => Buffer.byteLength(d) > 65536);
const bigBytes = docs.reduce((s, d, i) => s + (big[i] ? Buffer.byteLength(d) : 0), 0);
/* the engine: the child process the bridge started */
const epid = Number(execFileSync('pgrep', ['-P', String(process.pid)])
	.toString().trim().split('\n')[0]);
const mbps = (b, ns) => (b / ns * 1e3).toFixed(1);
console.log(`# tokens_passes, load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}; ` +
	`${docs.length} documents, ${(bytes / 1e6).toFixed(2)} MB, ` +
	`${big.filter(Boolean).length} of them > 64 KiB (${(bigBytes / 1e6).toFixed(2)} MB)`);
for (const enc of opt('--enc', 'cl100k_base,o200k_base').split(',')) {
	eng.countTokensSync('warm up', enc);
	for (let pass = 1; pass <= Number(opt('--passes', 3)); pass++) {
		let small = 0n, large = 0n;
		const s0 = threads(epid);
		const c0 = process.cpuUsage();
		const t0 = process.hrtime.bigint();
		for (let i = 0; i < docs.length; i++) {
			const s = process.hrtime.bigint();
			eng.countTokensSync(docs[i], enc, { disallowedSpecial: [] });
			const e = process.hrtime.bigint() - s;
			if (big[i])
				large += e;
			else
				small += e;
		}
		const ns = Number(process.hrtime.bigint() - t0);
		const c = process.cpuUsage(c0);
		const th = delta(s0, threads(epid));
		const engMs = th.reduce((s, d) => s + d.ms, 0);
		console.log(`${enc} pass ${pass}: ${mbps(bytes, ns)} MB/s ` +
			`(<= 64 KiB ${mbps(bytes - bigBytes, Number(small))}, ` +
			`> 64 KiB ${mbps(bigBytes, Number(large))}); wall ` +
			`${(ns / 1e6).toFixed(0)} ms, node CPU ` +
			`${((c.user + c.system) / 1e3).toFixed(0)} ms, engine CPU ` +
			`${engMs.toFixed(0)} ms [${th.map((d) =>
				`${d.tid}: ${d.ms.toFixed(0)} ms ${d.faults} faults`).join(', ')}]`);
	}
}
await eng.close();
