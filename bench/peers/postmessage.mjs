// SPDX-License-Identifier: MIT
// Peer: a worker_threads round trip with postMessage, the stock way to move
// work off the main thread. One message at a time (the latency a caller
// sees), 256 in flight (throughput), and echo of 64 B .. 16 MiB as a
// structured-clone copy of a Uint8Array each way.
import { Worker } from 'node:worker_threads';
import { measure, measureInflight, sizeName, ECHO_SIZES } from '../hist.mjs';

export async function run({ it, payload }) {
	const w = new Worker(new URL('./pm_worker.mjs', import.meta.url));
	await new Promise((resolve) => w.once('online', resolve));
	const waiting = new Map();
	let next = 0;
	w.on('message', (m) => {
		const id = typeof m === 'number' ? m : m.id;
		const resolve = waiting.get(id);
		waiting.delete(id);
		resolve(m);
	});
	const call = (msg, id) => new Promise((resolve) => {
		waiting.set(id, resolve);
		w.postMessage(msg);
	});
	const ping = () => { const id = next++; return call(id, id); };

	const out = [];
	let h = await measure(it(200000), it(20000), ping);
	out.push(h.toJSON({ id: 'peer.postmessage', label: 'worker_threads postMessage round trip', group: 'peer', side: 'peer' }));
	h = await measureInflight(it(200000), it(20000), 256, ping);
	out.push(h.toJSON({ id: 'peer.postmessage.inflight256', label: 'postMessage, 256 in flight', group: 'peer', side: 'peer' }));

	for (const size of ECHO_SIZES) {
		const n = echoIters(size);
		// Its own ArrayBuffer: cloning a view clones the whole buffer
		// behind it, which here would be 16 MiB every time.
		const buf = new Uint8Array(size);
		buf.set(payload.subarray(0, size));
		h = await measure(it(n), it(n / 10), async () => {
			const id = next++;
			const m = await call({ id, buf }, id);
			if (m.buf.length !== size) throw new Error('postMessage echo: wrong length');
		});
		out.push(h.toJSON({ id: `peer.postmessage.echo.${sizeName(size)}`, label: `postMessage echo ${sizeName(size)} B (structured clone)`, group: 'echo-peer', side: 'peer', size }));
	}
	await w.terminate();
	return out;
}

export function echoIters(size) {
	return size <= 4096 ? 20000 : size <= 65536 ? 5000 : size <= 1 << 20 ? 500 : 40;
}
