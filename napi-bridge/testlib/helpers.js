'use strict';
// Shared by the bridge tests. The engine and addon come from
// $ACCEL_ENGINE / $ACCEL_ADDON, else from <repo>/build (see lib/index.js).
const v8 = require('node:v8');
const vm = require('node:vm');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const accel = require('../lib/index.js');

const REPO = path.resolve(__dirname, '..', '..');

/* A real gc() even without --expose-gc on the command line. */
function getGc() {
	if (typeof global.gc === 'function')
		return global.gc;
	v8.setFlagsFromString('--expose-gc');
	return vm.runInNewContext('gc');
}

function tick() {
	return new Promise((resolve) => setImmediate(resolve));
}

/*
 * Collects garbage until pred() holds, letting the buffers' finalizers
 * (which Node runs from setImmediate after a GC) and the engine catch up.
 * Bounded by a number of rounds, not by time.
 */
async function gcUntil(pred, rounds = 200) {
	const gc = getGc();
	for (let i = 0; i < rounds; i++) {
		if (await pred())
			return true;
		gc();
		await tick();
		await tick();
	}
	return pred();
}

/* Real inputs from the machine: headers, node_modules files. */
function realFiles() {
	const cands = [
		path.join(REPO, 'node_modules/typescript/lib/lib.dom.d.ts'),
		path.join(REPO, 'node_modules/lodash/lodash.js'),
		'/usr/include/stdio.h',
		'/usr/include/linux/io_uring.h',
		path.join(REPO, 'node_modules/js-tiktoken/package.json'),
	];
	return cands.filter((f) => fs.existsSync(f));
}

/* True once pid has exited: gone, or a zombie awaiting its parent's wait. */
function exited(pid) {
	try {
		return fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
			.split(') ')[1][0] === 'Z';
	} catch {
		return true;
	}
}

/* Waits (turning the event loop) until pid has exited; false if it hasn't. */
async function waitExited(pid, tries = 2000) {
	for (let i = 0; i < tries && !exited(pid); i++)
		await new Promise((res) => setTimeout(res, 5));
	return exited(pid);
}

/* Pids (other than ours) whose command line contains s. */
function procsWith(s) {
	const out = [];
	for (const d of fs.readdirSync('/proc')) {
		if (!/^\d+$/.test(d) || Number(d) === process.pid)
			continue;
		let cmd;
		try {
			cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'latin1');
		} catch {
			continue;
		}
		if (cmd.includes(s))
			out.push(Number(d));
	}
	return out;
}

/*
 * A TCP server on 127.0.0.1 that counts its connections and writes reply
 * to each; closed when test t ends. Returns its port and the count so far.
 */
async function loopbackServer(t, reply = '') {
	let conns = 0;
	const srv = net.createServer((s) => {
		conns++;
		s.end(reply);
	});
	await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
	t.after(() => srv.close());
	return { port: srv.address().port, conns: () => conns };
}

module.exports = { accel, getGc, tick, gcUntil, realFiles, REPO, exited,
		   waitExited, procsWith, loopbackServer };
