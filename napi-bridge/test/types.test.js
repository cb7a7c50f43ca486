'use strict';
// The TypeScript typings: a typed usage file compiles with strict tsc, and
// each @ts-expect-error in it (misuse) is still an error.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { REPO } = require('../testlib/helpers.js');

const TSC = path.join(REPO, 'node_modules/typescript/bin/tsc');

test('index.d.ts type-checks a typed usage file', (t) => {
	if (!fs.existsSync(TSC)) {
		t.skip(`typescript not installed at ${TSC} (npm ci at the repo root)`);
		return;
	}
	let out = '';
	try {
		out = execFileSync(process.execPath,
			[TSC, '-p', path.join(__dirname, 'tsconfig.json')],
			{ encoding: 'utf8' });
	} catch (e) {
		assert.fail(`tsc failed:\n${e.stdout}${e.stderr}`);
	}
	assert.equal(out.trim(), '');
});

test('the typings declare every runtime export', () => {
	const accel = require('../lib/index.js');
	const dts = fs.readFileSync(path.join(__dirname, '../lib/index.d.ts'), 'utf8');
	for (const name of Object.keys(accel))
		assert.match(dts, new RegExp(`export declare (class|const|function) ${name}\\b`), name);
	for (const m of ['ping', 'pingSync', 'pingMany', 'echo', 'echoSync', 'stats',
		'statsSync', 'call', 'callSync', 'close', 'isMapped'])
		assert.equal(typeof accel.Engine.prototype[m], 'function', m);
});
