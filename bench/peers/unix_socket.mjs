// SPDX-License-Identifier: MIT
// Peer: request/response over a Unix socket to the C echo server
// (bench/echo_server.c): 8-byte requests one at a time, and echo of
// 64 B .. 16 MiB (the reply is complete when as many bytes came back).
import net from 'node:net';
import { measure, sizeName, ECHO_SIZES } from '../hist.mjs';
import { echoIters } from './postmessage.mjs';

export async function run({ it, payload, echoSocket }) {
	const sock = net.createConnection(echoSocket);
	await new Promise((resolve, reject) => {
		sock.once('connect', resolve);
		sock.once('error', reject);
	});
	sock.setNoDelay?.(true);
	let want = 0, got = 0, done = null;
	sock.on('data', (chunk) => {
		got += chunk.length;
		if (got >= want && done) {
			const d = done;
			done = null;
			d();
		}
	});
	const call = (buf) => new Promise((resolve) => {
		want = buf.length;
		got = 0;
		done = resolve;
		sock.write(buf);
	});

	const out = [];
	const req = Buffer.alloc(8);
	let h = await measure(it(200000), it(20000), (i) => {
		req.writeUInt32LE(i, 0);
		return call(req);
	});
	out.push(h.toJSON({ id: 'peer.unix', label: 'Unix socket request/response to a C echo server, 8 B', group: 'peer', side: 'peer', size: 8 }));
	for (const size of ECHO_SIZES) {
		const n = echoIters(size);
		const buf = payload.subarray(0, size);
		h = await measure(it(n), it(n / 10), () => call(buf));
		out.push(h.toJSON({ id: `peer.unix.echo.${sizeName(size)}`, label: `Unix socket echo ${sizeName(size)} B`, group: 'echo-peer', side: 'peer', size }));
	}
	sock.destroy();
	return out;
}
