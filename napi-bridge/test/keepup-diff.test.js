'use strict';
// agent-accel/keep-up: the diff-rs interface through the public module.
// keep-up's own diff-rs test cases, then the formats and errors issue 7
// names. Parity with jsdiff on real inputs is keepup-parity.test.js.
const test = require('node:test');
const assert = require('node:assert/strict');
const ku = require('agent-accel/keep-up');

const { applyPatch, createTwoFilesPatch, diffLines, diffUnified, reversePatch } = ku;

test('keep-up: diffLines finds a single line change', () => {
	const hunks = diffLines('hello\nworld\n', 'hello\nplanet\n');
	assert.equal(hunks.length, 1);
	const removes = hunks[0].lines.filter((l) => l.type === 'remove');
	const adds = hunks[0].lines.filter((l) => l.type === 'add');
	assert.deepEqual(removes.map((l) => l.content), ['world']);
	assert.deepEqual(adds.map((l) => l.content), ['planet']);
});

test('keep-up: identical and empty texts give no hunks', () => {
	assert.deepEqual(diffLines('same\ncontent\n', 'same\ncontent\n'), []);
	assert.deepEqual(diffLines('', ''), []);
});

test('keep-up: diffLines tracks 1-based line numbers', () => {
	const [hunk] = diffLines('a\nb\nc\n', 'a\nx\nc\n');
	assert.deepEqual(hunk, {
		oldStart: 1, oldLines: 3, newStart: 1, newLines: 3,
		lines: [
			{ type: 'context', content: 'a', oldLineNo: 1, newLineNo: 1 },
			{ type: 'remove', content: 'b', oldLineNo: 2 },
			{ type: 'add', content: 'x', newLineNo: 2 },
			{ type: 'context', content: 'c', oldLineNo: 3, newLineNo: 3 },
		],
	});
});

test('diffLines: 4 lines of context, hunks split beyond 8 equal lines', () => {
	const old = Array.from({ length: 40 }, (_, i) => `line${i + 1}`).join('\n') + '\n';
	const cur = old.replace('line5\n', 'five\n').replace('line30\n', 'thirty\n');
	const hunks = diffLines(old, cur);
	assert.equal(hunks.length, 2);
	assert.deepEqual([hunks[0].oldStart, hunks[0].oldLines], [1, 9]);
	assert.deepEqual([hunks[1].oldStart, hunks[1].oldLines], [26, 9]);
	assert.equal(hunks[1].lines[0].content, 'line26');
	// No "\ No newline" pseudo-lines: a missing final newline is not a line.
	const h = diffLines('a\nb', 'a\nc');
	assert.deepEqual(h[0].lines.map((l) => l.type + l.content),
			 ['contexta', 'removeb', 'addc']);
});

test('keep-up: diffUnified writes the unified format with context', () => {
	const r = diffUnified('line1\nline2\nline3\n', 'line1\nmodified\nline3\n');
	assert.equal(r, '===================================================================\n' +
		'--- original\n+++ modified\n@@ -1,3 +1,3 @@\n line1\n-line2\n+modified\n line3\n');
	const lines = `${Array.from({ length: 20 }, (_, i) => `line${i + 1}`).join('\n')}\n`;
	const modified = lines.replace('line10', 'changed');
	const small = diffUnified(lines, modified, 1);
	const large = diffUnified(lines, modified, 5);
	assert.ok(large.length > small.length);
	assert.match(small, /^@@ -9,3 \+9,3 @@$/m);
	assert.match(large, /^@@ -5,11 \+5,11 @@$/m);
	assert.match(diffUnified(lines, modified), /^@@ -6,9 \+6,9 @@$/m);
	assert.throws(() => diffUnified('a', 'b', { context: 2 }), TypeError);
	assert.throws(() => diffUnified('a', 'b', -1), TypeError);
});

test('keep-up: createTwoFilesPatch writes headers, and Index: for one name', () => {
	const r = createTwoFilesPatch('old.txt', 'new.txt', 'content\n', 'modified\n',
				      '2024-01-01', '2024-01-02');
	assert.equal(r, '===================================================================\n' +
		'--- old.txt\t2024-01-01\n+++ new.txt\t2024-01-02\n' +
		'@@ -1,1 +1,1 @@\n-content\n+modified\n');
	const same = createTwoFilesPatch('file.txt', 'file.txt', 'a\n', 'b\n');
	assert.ok(same.startsWith('Index: file.txt\n====='));
	// Empty ranges name the line before them; missing final newlines are marked.
	assert.equal(createTwoFilesPatch('a', 'b', '', 'x\ny'),
		'===================================================================\n' +
		'--- a\n+++ b\n@@ -0,0 +1,2 @@\n+x\n+y\n\\ No newline at end of file\n');
	// Context as an options object or as the addon's number.
	const t = 'a\nb\nc\nd\ne\n';
	const u = 'a\nb\nX\nd\ne\n';
	assert.equal(createTwoFilesPatch('f', 'f', t, u, undefined, undefined, { context: 0 }),
		     createTwoFilesPatch('f', 'f', t, u, undefined, undefined, 0));
	assert.match(createTwoFilesPatch('f', 'f', t, u, undefined, undefined, 0),
		     /@@ -3,1 \+3,1 @@\n-c\n\+X\n$/);
	// Options it does not implement are refused, not ignored.
	assert.throws(() => createTwoFilesPatch('f', 'f', t, u, undefined, undefined,
						{ ignoreWhitespace: true }), TypeError);
	assert.throws(() => createTwoFilesPatch('f', 'f', t, u, undefined, undefined,
						() => {}), TypeError);
});

test('keep-up: applyPatch applies a valid patch; roundtrip', () => {
	const original = 'line1\nline2\nline3\n';
	const patch = '--- a\n+++ b\n@@ -1,3 +1,3 @@\n line1\n-line2\n+modified\n line3\n';
	assert.equal(applyPatch(original, patch), 'line1\nmodified\nline3\n');
	const a = 'hello\nworld\nfoo\nbar\n';
	const b = 'hello\nplanet\nfoo\nbaz\n';
	assert.equal(applyPatch(a, createTwoFilesPatch('a', 'b', a, b)), b);
	// A hunk that moved is found (as jsdiff does).
	assert.equal(applyPatch('new top\n' + original, patch),
		     'new top\nline1\nmodified\nline3\n');
	// A patch of equal texts: headers, no hunk: nothing to do.
	assert.equal(applyPatch(a, createTwoFilesPatch('a', 'a', a, a)), a);
});

test('applyPatch: clear errors with stable codes', () => {
	assert.throws(() => applyPatch('content', 'not a valid patch'), (e) => {
		assert.equal(e.code, 'EACCEL_DIFF_PATCH_EMPTY');
		assert.equal(e.errno, 1203);
		assert.match(e.message, /no file section or hunk/);
		return true;
	});
	assert.throws(() => applyPatch('content\n',
		'--- a\n+++ b\n@@ -1,x +1,1 @@\n-content\n+new\n'), (e) => {
		assert.equal(e.code, 'EACCEL_DIFF_PATCH_MALFORMED');
		assert.match(e.message, /line 3/);
		return true;
	});
	const two = '--- a\n+++ b\n@@ -1,1 +1,1 @@\n-one\n+ONE\n@@ -5,1 +5,1 @@\n-absent\n+x\n';
	assert.throws(() => applyPatch('one\n2\n3\n4\nfive\n', two), (e) => {
		assert.equal(e.code, 'EACCEL_DIFF_PATCH_REJECTED');
		assert.equal(e.errno, 1205);
		assert.deepEqual(e.rejectedHunks, [2]);
		assert.match(e.message, /1 of 2 \(hunk 2\)/);
		return true;
	});
	assert.throws(() => applyPatch(5, 'x'), TypeError);
});

test('keep-up: reversePatch swaps additions and removals', () => {
	const patch = '--- a\n+++ b\n@@ -1,2 +1,2 @@\n-old\n+new\n context\n';
	const reversed = reversePatch(patch);
	assert.equal(reversed, '--- b\n+++ a\n@@ -1,2 +1,2 @@\n-new\n+old\n context\n');
	assert.equal(applyPatch('new\ncontext\n', reversed), 'old\ncontext\n');
	assert.equal(reversePatch(reversed), patch);
});

test('reversePatch: text that is not a patch comes back unchanged', () => {
	for (const t of ['not a patch', '', '@@ nope @@\n', 'line\n-x\n+y\n'])
		assert.equal(reversePatch(t), t);
});

test('reversePatch undoes real patches, with missing final newlines', () => {
	const a = 'one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\nten';
	const b = 'zero\none\n2\nthree\nfour\nfive\nsix\nseven\neight\nnine\nTEN\n';
	for (const ctx of [0, 1, 3, 4]) {
		const p = createTwoFilesPatch('x', 'x', a, b, 'h1', 'h2', { context: ctx });
		assert.equal(applyPatch(a, p), b);
		const r = reversePatch(p);
		assert.equal(applyPatch(b, r), a, `context ${ctx}`);
		assert.match(r, /^--- x\th2\n\+\+\+ x\th1$/m);
	}
});

test('loadNativeBinding: diff-rs\'s binding object', () => {
	const b = ku.loadNativeBinding();
	assert.ok(b);
	assert.equal(b.diffUnified('a\n', 'b\n', 4), diffUnified('a\n', 'b\n'));
	assert.equal(b.createTwoFilesPatch('o', 'n', 'a\n', 'b\n', undefined, undefined, 1),
		     createTwoFilesPatch('o', 'n', 'a\n', 'b\n', undefined, undefined, { context: 1 }));
});
