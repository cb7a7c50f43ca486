// SPDX-License-Identifier: MIT
// Peer: a piscina task (the popular worker pool), with piscina's defaults
// (threads = available parallelism, Atomics on): one task at a time and 256
// in flight.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measure, measureInflight } from '../hist.mjs';

const require = createRequire(import.meta.url);

export async function run({ it }) {
	const Piscina = require('piscina');
	const pool = new Piscina({ filename: fileURLToPath(new URL('./piscina_task.cjs', import.meta.url)) });
	// package.json is not in piscina's exports: read it next to main.
	const pkg = join(dirname(require.resolve('piscina')), '..', 'package.json');
	const version = JSON.parse(readFileSync(pkg, 'utf8')).version;
	const out = [];
	let h = await measure(it(200000), it(20000), (i) => pool.run(i));
	out.push(h.toJSON({ id: 'peer.piscina', label: `piscina ${version} task, one at a time`, group: 'peer', side: 'peer', threads: pool.threads.length }));
	h = await measureInflight(it(200000), it(20000), 256, (i) => pool.run(i));
	out.push(h.toJSON({ id: 'peer.piscina.inflight256', label: `piscina ${version} task, 256 in flight`, group: 'peer', side: 'peer', threads: pool.threads.length }));
	await pool.destroy();
	return out;
}
