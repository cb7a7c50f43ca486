'use strict';
// Shared by the keepup-* tests: the public keep-up module
// (agent-accel/keep-up), /proc scans for leftover processes, killing an
// engine, and the deterministic event payloads of the crash test.
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { exited, procsWith } = require('./helpers.js');

/* The public module, as a keep-up runtime requires it. */
function keepUp() {
	return require('agent-accel/keep-up');
}

/* A token no other process has in its command line. */
function marker() {
	return `${3000 + (process.pid % 1000)}.${crypto.randomInt(1e6, 1e7)}`;
}

function sleep(ms) {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

/* Polls until pred() holds; a bounded number of rounds (a deadline, not a timing claim). */
async function until(pred, rounds = 500, ms = 20) {
	for (let i = 0; i < rounds; i++) {
		if (pred())
			return true;
		await sleep(ms);
	}
	return pred();
}

function tmpDir(tag) {
	return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(),
		`keepup-${tag}-`)));
}

/*
 * The payload of the i-th append of the crash test: 1..3000 bytes, every
 * third one compressible text, the others hash bytes.
 */
function payload(i) {
	const h = crypto.createHash('sha256').update(`event ${i}`).digest();
	const len = 1 + (h.readUInt16LE(0) % 3000);
	const out = Buffer.alloc(len);
	if (i % 3 === 0) {
		const line = Buffer.from(`{"seq":${i},"kind":"tool_result",` +
			'"text":"the same words again and again"}\n');
		for (let o = 0; o < len; o += line.length)
			line.copy(out, o);
		return out;
	}
	let block = h;
	for (let o = 0; o < len; o += block.length) {
		block.copy(out, o);
		block = crypto.createHash('sha256').update(block).digest();
	}
	return out;
}

/*
 * SIGKILL is asynchronous: wait (without turning the event loop, so no
 * death callback runs) until the engine is a zombie or gone. Bounded by a
 * number of 1 ms sleeps, not a time limit on the engine.
 */
function killAndWait(pid) {
	process.kill(pid, 'SIGKILL');
	const cell = new Int32Array(new SharedArrayBuffer(4));
	for (let i = 0; i < 10000 && !exited(pid); i++)
		Atomics.wait(cell, 0, 0, 1);
	if (!exited(pid))
		throw new Error(`engine ${pid} survived SIGKILL`);
}

module.exports = { keepUp, killAndWait, marker, procsWith, sleep, until, tmpDir,
	payload };
