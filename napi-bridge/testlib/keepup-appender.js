'use strict';
// Child of keepup-storage.test.js: appends payload(1..n) to a StorageEngine
// on argv[2] through the shared engine, printing "engine <pid>" first and
// "ack <seq>" after each appendEvent returned. Exits when an append fails
// (the test kills the engine with SIGKILL in the middle).
const fs = require('node:fs');
const { keepUp, payload } = require('./keepup-helpers.js');

const ku = keepUp();
const root = process.argv[2];
const n = Number(process.argv[3]);
const s = new ku.StorageEngine(root, { compressionLevel: 3 });
fs.writeSync(1, `engine ${ku.getEngine().pid}\n`);
for (let i = 1; i <= n; i++) {
	let seq;
	try {
		seq = s.appendEvent(payload(i));
	} catch (e) {
		fs.writeSync(1, `error ${e.code}\n`);
		process.exit(3);
	}
	fs.writeSync(1, `ack ${seq}\n`);
}
fs.writeSync(1, 'done\n');
