// SPDX-License-Identifier: MIT
// The other end of the SharedArrayBuffer ping-pong. Slot 0 carries the
// request counter (main -> worker), slot 1 the answer (worker -> main); each
// side sleeps in Atomics.wait until the other stores and notifies. -1 stops.
import { workerData } from 'node:worker_threads';

const a = new Int32Array(workerData.sab);
let seen = 0;
for (;;) {
	let v;
	while ((v = Atomics.load(a, 0)) === seen) Atomics.wait(a, 0, seen);
	seen = v;
	if (v === -1) break;
	Atomics.store(a, 1, v);
	Atomics.notify(a, 1, 1);
}
