// SPDX-License-Identifier: MIT
// The other end of the postMessage round trip: sends every message back.
import { parentPort } from 'node:worker_threads';

parentPort.on('message', (m) => parentPort.postMessage(m));
