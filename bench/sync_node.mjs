// SPDX-License-Identifier: MIT
// Sync calls from Node with and without a CPU-bound neighbour: pingSync and
// countTokensSync of 1 KB of real code, p50/p99/p999 in microseconds, each
// engine build given on the command line measured in turn, rounds
// alternated, so that two builds (say, before and after a change to the
// client's wait) are compared in one run on the same machine state.
//
//   node bench/sync_node.mjs [--rounds N] [--calls N] [--hog]
//        [BUILD_DIR ...]          (default: build)
//
// --hog runs one busy-looping child process for the whole run: the case of
// a machine where the engine's poller and the calling thread cannot both
// have a core. Prints one line per build, round and series.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureSync } from './hist.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (k, d) => {
	const i = args.indexOf(k);
	return i >= 0 ? Number(args[i + 1]) : d;
};
const rounds = opt('--rounds', 3);
const calls = opt('--calls', 3000);
const builds = args.filter((a, i) => !a.startsWith('--') &&
	!['--rounds', '--calls'].includes(args[i - 1]));
if (builds.length === 0)
	builds.push('build');

const text = readFileSync(path.join(ROOT, 'node_modules/lodash/debounce.js'),
	'utf8').slice(0, 1024);

/* One build in a child process: the addon is loaded once per process. */
function child(build) {
	const dir = path.resolve(ROOT, build);
	const env = {
		...process.env,
		ACCEL_ENGINE: path.join(dir, 'engine/agent-acceld'),
		ACCEL_ADDON: path.join(dir, 'napi-bridge/agent_accel.node'),
	};
	const r = spawn(process.execPath, [fileURLToPath(import.meta.url),
		'--child', String(calls)], { env, stdio: ['ignore', 'pipe', 'inherit'] });
	let out = '';
	r.stdout.on('data', (d) => { out += d; });
	return new Promise((resolve, reject) => r.on('exit', (code) =>
		code === 0 ? resolve(JSON.parse(out)) :
			reject(new Error(`${build}: exit ${code}`))));
}

if (args[0] === '--child') {
	const require = createRequire(import.meta.url);
	const { Engine } = require(path.join(ROOT, 'napi-bridge/lib/index.js'));
	const n = Number(args[1]);
	const eng = Engine.startSync();
	const us = (h) => ({ p50_us: h.pct(0.5) / 1e3, p99_us: h.pct(0.99) / 1e3,
		p999_us: h.pct(0.999) / 1e3 });
	const res = {
		pingSync: us(measureSync(n, n / 10, () => eng.pingSync())),
		countTokensSync: us(measureSync(n, n / 10,
			() => eng.countTokensSync(text, 'o200k_base'))),
	};
	const cpu = process.cpuUsage();
	res.cpuMs = (cpu.user + cpu.system) / 1000;
	await eng.close();
	process.stdout.write(JSON.stringify(res));
} else {
	const hog = args.includes('--hog') ?
		spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' }) : null;
	try {
		for (let r = 0; r < rounds; r++) {
			for (const b of builds) {
				const res = await child(b);
				for (const k of ['pingSync', 'countTokensSync']) {
					const h = res[k];
					console.log(`${b} round ${r + 1} ${k.padEnd(16)} p50 ` +
						`${h.p50_us.toFixed(1)} p99 ${h.p99_us.toFixed(1)} ` +
						`p999 ${h.p999_us.toFixed(1)} µs`);
				}
				console.log(`${b} round ${r + 1} cpu ${res.cpuMs.toFixed(0)} ms`);
			}
		}
	} finally {
		if (hog)
			hog.kill('SIGKILL');
	}
}
