// SPDX-License-Identifier: MIT
// Peer: a SharedArrayBuffer ping-pong with a worker, both sides sleeping in
// Atomics.wait and waking each other with Atomics.notify. The main thread
// blocks, as a sync call would.
import { Worker } from 'node:worker_threads';
import { measureSync } from '../hist.mjs';

export async function run({ it }) {
	const sab = new SharedArrayBuffer(64);
	const a = new Int32Array(sab);
	const w = new Worker(new URL('./atomics_worker.mjs', import.meta.url), { workerData: { sab } });
	await new Promise((resolve) => w.once('online', resolve));
	let seq = 0;
	const pingpong = () => {
		const v = ++seq;
		Atomics.store(a, 0, v);
		Atomics.notify(a, 0, 1);
		let got;
		while ((got = Atomics.load(a, 1)) !== v) Atomics.wait(a, 1, got);
	};
	const h = measureSync(it(200000), it(20000), pingpong);
	Atomics.store(a, 0, -1);
	Atomics.notify(a, 0, 1);
	await new Promise((resolve) => w.once('exit', resolve));
	return [h.toJSON({ id: 'peer.atomics', label: 'SharedArrayBuffer + Atomics.wait ping-pong with a worker', group: 'peer', side: 'peer' })];
}
