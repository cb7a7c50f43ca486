// Runs a peer's measurement in a worker thread with a time cap, so that a
// library that goes quadratic on a real input is recorded as having given up
// instead of stalling the whole run. Resolves to the worker's first message,
// { gaveUp: true } past the cap, or { error } if the worker threw.
import { Worker } from 'node:worker_threads';

export function runCapped(url, workerData, capS) {
	return new Promise((resolve) => {
		const w = new Worker(url, { workerData });
		const timer = setTimeout(() => {
			w.terminate();
			resolve({ gaveUp: true });
		}, capS * 1000);
		w.once('message', (m) => {
			clearTimeout(timer);
			w.terminate();
			resolve(m);
		});
		w.once('error', (e) => {
			clearTimeout(timer);
			resolve({ error: String(e) });
		});
	});
}
