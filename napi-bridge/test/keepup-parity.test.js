'use strict';
// agent-accel/keep-up against the JS fallbacks keep-up would otherwise use,
// on real inputs: jsdiff 8 (diff) on file versions from this repository's
// git history, js-tiktoken on files from node_modules.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { REPO, realFiles } = require('../testlib/helpers.js');
const ku = require('agent-accel/keep-up');
const jsdiff = require(path.join(REPO, 'node_modules/diff'));
const { getEncoding } = require(path.join(REPO, 'node_modules/js-tiktoken'));

function git(...args) {
	return execFileSync('git', ['-C', REPO, ...args],
			    { encoding: 'utf8', maxBuffer: 1 << 28 });
}

/*
 * (old, new) text pairs: the files each of the repository's first 80
 * commits modified, before and after (fixed history, so a fixed input).
 */
function historyPairs() {
	let revs;
	try {
		revs = git('rev-list', '--reverse', 'HEAD').trim().split('\n').slice(1, 81);
	} catch {
		return [];
	}
	const pairs = [];
	for (const r of revs) {
		const files = git('diff-tree', '--no-commit-id', '-r', '--name-only',
				  '--diff-filter=M', r).trim().split('\n').filter(Boolean);
		for (const f of files.slice(0, 6)) {
			const a = git('show', `${r}^:${f}`);
			const b = git('show', `${r}:${f}`);
			if (a.length < 400000 && b.length < 400000)
				pairs.push({ name: `${r.slice(0, 8)}:${f}`, f, a, b });
		}
	}
	return pairs;
}

const PAIRS = historyPairs();

/* Lines a patch adds or removes. */
function edits(patch) {
	let n = 0;
	for (const l of patch.split('\n'))
		if ((l[0] === '+' && !l.startsWith('+++ ')) ||
		    (l[0] === '-' && !l.startsWith('--- ')))
			n++;
	return n;
}

test('createTwoFilesPatch: jsdiff\'s text; minimal like jsdiff; patches interchangeable',
     (t) => {
	if (PAIRS.length < 50) {
		t.skip('not enough git history here');
		return;
	}
	let same = 0;
	for (const { name, f, a, b } of PAIRS) {
		const ours = ku.createTwoFilesPatch(f, f, a, b, 'old', 'new');
		const theirs = jsdiff.createTwoFilesPatch(f, f, a, b, 'old', 'new');
		if (ours === theirs)
			same++;
		// Headers byte for byte; edit scripts equally short.
		assert.deepEqual(ours.split('\n').slice(0, 4),
				 theirs.split('\n').slice(0, 4), name);
		assert.equal(edits(ours), edits(theirs), name);
		// Each side applies the other's patch.
		assert.equal(jsdiff.applyPatch(a, ours), b, `jsdiff applies ours: ${name}`);
		assert.equal(ku.applyPatch(a, theirs), b, `we apply jsdiff's: ${name}`);
		// Our reverse undoes, read by either.
		const rev = ku.reversePatch(ours);
		assert.equal(ku.applyPatch(b, rev), a, name);
		assert.equal(jsdiff.applyPatch(b, rev), a, name);
	}
	// Where several minimal scripts exist the choice may differ; the text
	// is still the same for most real changes (142 of 151 when written).
	t.diagnostic(`${same} of ${PAIRS.length} patches byte-identical to jsdiff's`);
	assert.ok(same * 10 >= PAIRS.length * 8, `${same} of ${PAIRS.length}`);
});

test('diffUnified and diffLines match jsdiff where the patch text does', (t) => {
	if (PAIRS.length < 50) {
		t.skip('not enough git history here');
		return;
	}
	let checked = 0;
	for (const { name, a, b } of PAIRS) {
		const u = ku.diffUnified(a, b, 2);
		const ju = jsdiff.createTwoFilesPatch('original', 'modified', a, b,
						      undefined, undefined, { context: 2 });
		if (u !== ju)
			continue;
		checked++;
		// keep-up's JS fallback of diffLines: structuredPatch, context 4.
		const sp = jsdiff.structuredPatch('original', 'modified', a, b,
						  undefined, undefined, { context: 4 });
		const want = sp.hunks.map((h) => {
			let o = h.oldStart;
			let n = h.newStart;
			const lines = [];
			for (const l of h.lines) {
				if (l.startsWith('\\'))
					continue;
				const c = l.slice(1);
				if (l[0] === ' ')
					lines.push({ type: 'context', content: c, oldLineNo: o++, newLineNo: n++ });
				else if (l[0] === '-')
					lines.push({ type: 'remove', content: c, oldLineNo: o++ });
				else
					lines.push({ type: 'add', content: c, newLineNo: n++ });
			}
			return { oldStart: h.oldStart, oldLines: h.oldLines,
				 newStart: h.newStart, newLines: h.newLines, lines };
		});
		const got = ku.diffLines(a, b);
		if (JSON.stringify(got) !== JSON.stringify(want)) {
			// The same script at context 2 can still differ at 4
			// only in the choice among minimal scripts.
			assert.equal(got.reduce((s, h) => s + h.lines.filter((l) =>
				l.type !== 'context').length, 0),
			want.reduce((s, h) => s + h.lines.filter((l) =>
				l.type !== 'context').length, 0), name);
		}
	}
	assert.ok(checked > 40, `${checked}`);
});

test('countTokens equals js-tiktoken on real files, both encodings', () => {
	const files = realFiles();
	const extra = ['typescript/lib/lib.es5.d.ts', 'diff/README.md',
		       'typescript/package.json'].map((f) => path.join(REPO, 'node_modules', f));
	const texts = [...files, ...extra].filter((f) => fs.existsSync(f))
		.map((f) => fs.readFileSync(f, 'utf8').slice(0, 400000));
	assert.ok(texts.length >= 5);
	for (const [model, enc] of [['gpt-4o', 'o200k_base'], ['gpt-4', 'cl100k_base']]) {
		const e = getEncoding(enc);
		const want = texts.map((s) => e.encode(s, 'all').length);
		assert.deepEqual(texts.map((s) => ku.countTokens(s, model)), want, model);
		assert.deepEqual(ku.countTokensBatch(texts, model), want, model);
	}
});

test('countTokens equals js-tiktoken on this repository\'s commit messages', () => {
	const msgs = git('log', '--format=%B%x00', '-n', '200').split('\0')
		.map((s) => s.trim()).filter(Boolean);
	const e = getEncoding('o200k_base');
	assert.deepEqual(ku.countTokensBatch(msgs, 'gpt-4o-mini'),
			 msgs.map((s) => e.encode(s, 'all').length));
});
