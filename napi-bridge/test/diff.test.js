'use strict';
// eng.diff / diffWords / applyPatch / merge3 (lib/ops/diff.js) on real file
// pairs from node_modules: TypeScript 5.4 -> 5.5 -> 5.6 lib files.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync, spawnSync } = require('node:child_process');
const { accel, REPO } = require('../testlib/helpers.js');
const jsdiff = require(path.join(REPO, 'node_modules/diff'));

const NM = path.join(REPO, 'node_modules');
const VERSIONS = ['typescript-5.4', 'typescript-5.5', 'typescript'];
const LIBS = ['lib.dom.d.ts', 'lib.es5.d.ts', 'lib.webworker.d.ts',
	'lib.es2015.core.d.ts', 'lib.es2022.intl.d.ts', 'lib.dom.iterable.d.ts',
	'lib.es2015.iterable.d.ts', 'lib.esnext.d.ts'];
const ALGORITHMS = ['myers', 'minimal', 'patience', 'histogram'];

/* Consecutive versions of each lib file: [name, a, b] as strings. */
function pairs() {
	const out = [];
	for (const lib of LIBS)
		for (let v = 0; v + 1 < VERSIONS.length; v++) {
			const fa = path.join(NM, VERSIONS[v], 'lib', lib);
			const fb = path.join(NM, VERSIONS[v + 1], 'lib', lib);
			if (fs.existsSync(fa) && fs.existsSync(fb))
				out.push([`${VERSIONS[v]}->${VERSIONS[v + 1]}/${lib}`,
					fs.readFileSync(fa, 'utf8'),
					fs.readFileSync(fb, 'utf8')]);
		}
	return out;
}

let eng;
const PAIRS = pairs();

test.before(async () => {
	eng = await accel.Engine.start();
});
test.after(async () => {
	await eng.close();
});

test('the real pairs are there and differ', () => {
	assert.ok(PAIRS.length >= 8, `only ${PAIRS.length} pairs`);
	assert.ok(PAIRS.some(([, a, b]) => a !== b));
});

test('apply(diff(a, b), a) == b for every pair and algorithm, sync and async',
	async () => {
		for (const [name, a, b] of PAIRS)
			for (const algorithm of ALGORITHMS) {
				const d = eng.diffSync(a, b, { algorithm });
				const da = await eng.diff(a, b, { algorithm });
				assert.deepEqual(da, d, `${name} ${algorithm}: async == sync`);
				assert.equal(d.binary, false);
				assert.equal(d.text === '', a === b);
				if (a === b)
					continue;
				const r = eng.applyPatchSync(a, d.text);
				assert.equal(r.rejected, 0, `${name} ${algorithm}`);
				assert.ok(r.hunks.every((h) => h.status === 'applied'));
				assert.equal(r.hunks.length, d.hunks);
				assert.ok(r.text === b, `${name} ${algorithm}: round trip`);
				/* backwards */
				const back = await eng.applyPatch(b, d.text,
					{ reverse: true });
				assert.ok(back.text === a, `${name} ${algorithm}: -R`);
			}
	});

test('added/removed equal the lines of the unified text', () => {
	for (const [name, a, b] of PAIRS) {
		const d = eng.diffSync(a, b, { algorithm: 'histogram' });
		let add = 0, rem = 0;
		for (const l of d.text.split('\n')) {
			if (l.startsWith('+'))
				add++;
			else if (l.startsWith('-'))
				rem++;
		}
		assert.equal(d.added, add, name);
		assert.equal(d.removed, rem, name);
	}
});

test('minimal is no longer than the others', () => {
	for (const [name, a, b] of PAIRS) {
		const min = eng.diffSync(a, b, { algorithm: 'minimal' });
		for (const algorithm of ['myers', 'patience', 'histogram']) {
			const d = eng.diffSync(a, b, { algorithm });
			assert.ok(min.added + min.removed <= d.added + d.removed,
				`${name} ${algorithm}`);
		}
	}
});

/* Rebuilds b from a and the lazily decoded hunks; checks the numbering. */
function rebuild(a, h) {
	const aLines = a.split('\n');
	const out = [];
	let next = 1; /* next 1-based line of a to copy */
	for (const hunk of h) {
		/* oldStart is 1-based also for an empty range (jsdiff's rule) */
		while (next < hunk.oldStart)
			out.push(aLines[next++ - 1]);
		let o = hunk.oldStart, n = hunk.newStart, nOld = 0, nNew = 0;
		for (const l of hunk.lines) {
			if (l.type !== 'add') {
				assert.equal(l.oldLineNo, o++);
				nOld++;
			}
			if (l.type !== 'remove') {
				assert.equal(l.newLineNo, n++);
				nNew++;
				out.push(l.content);
			}
		}
		assert.equal(nOld, hunk.oldLines);
		assert.equal(nNew, hunk.newLines);
		next = hunk.oldStart + hunk.oldLines;
	}
	while (next <= aLines.length)
		out.push(aLines[next++ - 1]);
	return out.join('\n');
}

test("format 'hunks': lazily decoded lines rebuild b, numbers agree", async () => {
	for (const [name, a, b] of PAIRS)
		for (const algorithm of ['myers', 'patience']) {
			const h = eng.diffSync(a, b, { algorithm, format: 'hunks' });
			const u = eng.diffSync(a, b, { algorithm });
			assert.equal(h.length, u.hunks, name);
			assert.equal(h.added, u.added);
			assert.equal(h.removed, u.removed);
			assert.equal(h.oldLineCount, a.split('\n').length -
				(a.endsWith('\n') ? 1 : 0));
			assert.ok(eng.isMapped(h.buffer), 'hunk buffer is a view');
			assert.ok(rebuild(a, h) === b, `${name} ${algorithm}`);
			let add = 0;
			for (const e of h.edits())
				add += e.newLines;
			assert.equal(add, h.added);
			const ha = await eng.diff(a, b, { algorithm, format: 'hunks' });
			assert.deepEqual(ha.toArray().map((x) => x.lines),
				h.toArray().map((x) => x.lines));
		}
});

test('hunk headers of the text match the hunk objects', () => {
	const [, a, b] = PAIRS[0];
	const u = eng.diffSync(a, b, { context: 5 });
	const h = eng.diffSync(a, b, { context: 5, format: 'hunks' });
	const heads = u.text.split('\n').filter((l) => l.startsWith('@@'));
	assert.equal(heads.length, h.length);
	heads.forEach((line, i) => {
		const hk = h.hunk(i);
		const m = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(line);
		const oc = m[2] === undefined ? 1 : +m[2];
		const nc = m[4] === undefined ? 1 : +m[4];
		assert.equal(oc, hk.oldLines);
		assert.equal(nc, hk.newLines);
		/* an empty range names the line before it */
		assert.equal(+m[1], hk.oldLines ? hk.oldStart : hk.oldStart - 1);
		assert.equal(+m[3], hk.newLines ? hk.newStart : hk.newStart - 1);
	});
	assert.equal(h.context, 5);
});

test('jsdiff applyPatch accepts our unified text', () => {
	let n = 0;
	for (const [name, a, b] of PAIRS) {
		if (a.length > 400000 || a === b || n++ > 6)
			continue;
		const d = eng.diffSync(a, b, { aPath: 'lib.d.ts' });
		assert.ok(d.text.startsWith('--- a/lib.d.ts\n+++ b/lib.d.ts\n'));
		assert.equal(jsdiff.applyPatch(a, d.text), b, name);
	}
});

test('git apply --check and GNU patch take our output', (t) => {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-diff-'));
	t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
	const [, a, b] = PAIRS.find(([n]) => n.includes('lib.es5')) || PAIRS[0];
	fs.writeFileSync(path.join(dir, 'f.ts'), a);
	const d = eng.diffSync(a, b, { aPath: 'f.ts', indentHeuristic: true });
	fs.writeFileSync(path.join(dir, 'p.diff'), d.text);
	execFileSync('git', ['apply', '--check', 'p.diff'], { cwd: dir });
	execFileSync('patch', ['-s', '-p1', '-i', 'p.diff'], { cwd: dir });
	assert.ok(fs.readFileSync(path.join(dir, 'f.ts'), 'utf8') === b);
});

test('options: whitespace, context, paths, binary', () => {
	const [, a] = PAIRS[0];
	const reindented = a.replace(/^( +)/gm, '$1$1');
	assert.ok(eng.diffSync(a, reindented).added > 1000);
	const w = eng.diffSync(a, reindented, { ignoreWhitespace: 'all' });
	assert.equal(w.added + w.removed, 0);
	const am = eng.diffSync(a, reindented, { ignoreWhitespace: 'amount' });
	assert.equal(am.added + am.removed, 0, 'git -b: amount of indent too');
	const unindented = eng.diffSync(a, a.replace(/^ +/gm, ''),
		{ ignoreWhitespace: 'amount' });
	assert.ok(unindented.added > 1000, '-b: no whitespace vs some differs');
	const eol = eng.diffSync(a, a.replace(/;$/gm, ';  '), { ignoreWhitespace: 'eol' });
	assert.equal(eol.text, '');
	const crlf = a.replace(/\n/g, '\r\n');
	assert.equal(eng.diffSync(a, crlf, { ignoreCrAtEol: true }).text, '');
	const blank = eng.diffSync(a, a.replace(/\n/, '\n\n\n'), { ignoreBlankLines: true });
	assert.equal(blank.added, 0);
	const c0 = eng.diffSync('1\n2\n3\n4\n5\n', '1\n2\nX\n4\n5\n', { context: 0 });
	assert.equal(c0.text, '@@ -3 +3 @@\n-3\n+X\n');
	const p = eng.diffSync('x\n', 'y\n', { aPath: 'old.txt', bPath: 'new.txt' });
	assert.ok(p.text.startsWith('--- a/old.txt\n+++ b/new.txt\n@@ -1 +1 @@\n'));
	const bin = eng.diffSync(Buffer.from('a\0b'), Buffer.from('a\0c'),
		{ aPath: 'x.bin' });
	assert.equal(bin.binary, true);
	assert.equal(bin.text, 'Binary files a/x.bin and b/x.bin differ\n');
	const forced = eng.diffSync(Buffer.from('a\0b\n'), Buffer.from('a\0c\n'),
		{ text: true });
	assert.equal(forced.binary, false);
	assert.equal(forced.added, 1);
	assert.equal(eng.diffSync('', '').text, '');
	const fromEmpty = eng.diffSync('', 'a\nb\n');
	assert.equal(fromEmpty.text, '@@ -0,0 +1,2 @@\n+a\n+b\n');
	assert.equal(eng.applyPatchSync('', fromEmpty.text).text, 'a\nb\n');
	const fn = eng.diffSync(a, PAIRS[0][2], { funcname: true });
	assert.match(fn.text, /^@@ [^\n]+ @@ \S/m);
});

test('non-ASCII and missing final newline survive the round trip', () => {
	const a = 'héllo\nwörld 🎉\n中文\nlast';
	const b = 'héllo\nWÖRLD 🎉\n中文\nlast!';
	for (const algorithm of ALGORITHMS) {
		const d = eng.diffSync(a, b, { algorithm });
		assert.equal(eng.applyPatchSync(a, d.text).text, b);
		const h = eng.diffSync(a, b, { algorithm, format: 'hunks' });
		const lines = h.hunk(0).lines;
		assert.deepEqual(lines.filter((l) => l.type === 'add')
			.map((l) => l.content), ['WÖRLD 🎉', 'last!']);
		assert.equal(lines.at(-1).noNewline, true);
	}
});

test('diffWords: UTF-16 offsets for strings, bytes for Buffers', async () => {
	const a = 'const naïve = "🎉 party"; // old comment';
	const b = 'const naive = "🎉 party!"; // new comment';
	const w = eng.diffWordsSync(a, b);
	let out = '', pa = 0;
	for (const e of w.edits) {
		out += a.slice(pa, e.aStart) + b.slice(e.bStart, e.bEnd);
		pa = e.aEnd;
	}
	assert.equal(out + a.slice(pa), b);
	const parts = w.changes;
	assert.equal(parts.filter((p) => !p.added).map((p) => p.value).join(''), a);
	assert.equal(parts.filter((p) => !p.removed).map((p) => p.value).join(''), b);
	assert.ok(parts.some((p) => p.removed && p.value === 'naïve'));
	assert.deepEqual(await eng.diffWords(a, b), w);
	const wb = eng.diffWordsSync(Buffer.from(a), Buffer.from(b));
	assert.equal(wb.edits.length, w.edits.length);
	assert.equal(wb.edits[0].aEnd - wb.edits[0].aStart,
		Buffer.byteLength('naïve'));
	const c = eng.diffWordsSync('kitten', 'sitting', { mode: 'chars' });
	assert.equal(c.changes.filter((p) => !p.removed).map((p) => p.value)
		.join(''), 'sitting');
});

test('diffWords on the changed lines of a real pair rebuilds them', () => {
	const [, a, b] = PAIRS.find(([n]) => n.includes('lib.es5')) || PAIRS[0];
	const h = eng.diffSync(a, b, { format: 'hunks' });
	let n = 0;
	for (const hunk of h) {
		const rem = hunk.lines.filter((l) => l.type === 'remove')
			.map((l) => l.content).join('\n');
		const add = hunk.lines.filter((l) => l.type === 'add')
			.map((l) => l.content).join('\n');
		const w = eng.diffWordsSync(rem, add);
		assert.equal(w.changes.filter((p) => !p.removed)
			.map((p) => p.value).join(''), add);
		if (++n > 200)
			break;
	}
	assert.ok(n > 0);
});

test('applyPatch: offsets, fuzz, rejects, Buffers', () => {
	const [, a, b] = PAIRS.find(([n]) => n.includes('lib.es5')) || PAIRS[0];
	const d = eng.diffSync(a, b);
	const shifted = '// one\n// two\n// three\n' + a;
	const r = eng.applyPatchSync(shifted, d.text);
	assert.equal(r.rejected, 0);
	assert.ok(r.hunks.every((h) => h.status === 'offset' && h.offset === 3));
	assert.equal(r.text, '// one\n// two\n// three\n' + b);
	const exact = eng.applyPatchSync(shifted, d.text, { exactLine: true });
	assert.ok(exact.rejected > 0);

	const base = 'a\nb\nc\nd\ne\nf\ng\n';
	const p = eng.diffSync(base, 'a\nb\nc\nD\ne\nf\ng\n').text;
	const fz = eng.applyPatchSync('a\nB\nc\nd\ne\nf\ng\n', p);
	assert.equal(fz.hunks[0].status, 'fuzz');
	/* 'b' is the second leading context line: two lines of fuzz */
	assert.equal(fz.hunks[0].fuzz, 2);
	assert.equal(fz.text, 'a\nB\nc\nD\ne\nf\ng\n');
	const nofz = eng.applyPatchSync('a\nB\nc\nd\ne\nf\ng\n', p, { fuzz: 1 });
	assert.equal(nofz.hunks[0].status, 'rejected');
	assert.equal(nofz.rejected, 1);
	assert.equal(nofz.text, 'a\nB\nc\nd\ne\nf\ng\n');
	const buf = eng.applyPatchSync(Buffer.from(base), p);
	assert.ok(Buffer.isBuffer(buf.text));
	assert.equal(buf.text.toString(), 'a\nb\nc\nD\ne\nf\ng\n');
	const already = eng.applyPatchSync('a\nb\nc\nD\ne\nf\ng\n', p);
	assert.equal(already.hunks[0].status, 'already');
});

test('applyPatch: a malformed patch names the line', async () => {
	const bad = '--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n a\n-b\n';
	assert.throws(() => eng.applyPatchSync('a\nb\nc\n', bad), (e) => {
		assert.ok(e instanceof accel.AccelError);
		assert.equal(e.code, 'EACCEL_DIFF_PATCH_MALFORMED');
		assert.equal(e.errno, accel.codes.EACCEL_DIFF_PATCH_MALFORMED);
		assert.equal(typeof e.line, 'number');
		assert.ok(e.line >= 3 && e.line <= 6, `line ${e.line}`);
		assert.match(e.message, /line \d+/);
		return true;
	});
	await assert.rejects(eng.applyPatch('a\n', 'not a patch\n'),
		{ code: 'EACCEL_DIFF_PATCH_EMPTY' });
	const garbage = '@@ -1,2 +1,2 @@\n a\n?what\n';
	assert.throws(() => eng.applyPatchSync('a\nb\n', garbage),
		{ code: 'EACCEL_DIFF_PATCH_MALFORMED' });
});

test('applyPatch: multi-file patches by file index', () => {
	const p1 = eng.diffSync('x\n', 'y\n', { aPath: 'one' }).text;
	const p2 = eng.diffSync('1\n2\n', '1\n3\n', { aPath: 'two' }).text;
	const r = eng.applyPatchSync('1\n2\n', p1 + p2, { file: 1 });
	assert.equal(r.files, 2);
	assert.equal(r.text, '1\n3\n');
	assert.throws(() => eng.applyPatchSync('x\n', p1 + p2, { file: 5 }),
		{ code: 'EACCEL_DIFF_PATCH_FILE' });
});

test('merge3 equals git merge-file on real three-version cases', (t) => {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-merge-'));
	t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
	let cases = 0, conflicted = 0;
	for (const lib of LIBS) {
		const v = VERSIONS.map((x) => path.join(NM, x, 'lib', lib));
		if (!v.every((f) => fs.existsSync(f)))
			continue;
		/* base 5.5, ours 5.4, theirs 5.6: both sides changed the base */
		const [ours, base, theirs] = v.map((f) => fs.readFileSync(f, 'utf8'));
		for (const style of ['merge', 'diff3']) {
			const files = ['ours', 'base', 'theirs'];
			[ours, base, theirs].forEach((s, i) =>
				fs.writeFileSync(path.join(dir, files[i]), s));
			const args = ['merge-file', '-p', '-L', 'ours', '-L', 'base',
				'-L', 'theirs'];
			if (style === 'diff3')
				args.push('--diff3');
			const g = spawnSync('git', [...args, 'ours', 'base', 'theirs'],
				{ cwd: dir, maxBuffer: 1 << 26, encoding: 'utf8' });
			assert.ok(g.status >= 0 && g.status < 128, g.stderr);
			const m = eng.merge3Sync(base, ours, theirs, { style,
				labels: { ours: 'ours', base: 'base', theirs: 'theirs' } });
			assert.equal(m.conflicts, g.status, `${lib} ${style}`);
			assert.ok(m.text === g.stdout, `${lib} ${style}: text`);
			cases++;
			if (m.conflicts)
				conflicted++;
		}
	}
	assert.ok(cases >= 8);
	t.diagnostic(`${cases} merges, ${conflicted} with conflicts`);
});

test('merge3: clean merge, favor, async == sync, Buffer inputs', async () => {
	const base = 'a\nb\nc\nd\ne\nf\ng\nh\n';
	const ours = 'a\nB\nc\nd\ne\nf\ng\nh\n';
	const theirs = 'a\nb\nc\nd\ne\nf\nG\nh\n';
	const m = eng.merge3Sync(base, ours, theirs);
	assert.deepEqual(m, { text: 'a\nB\nc\nd\ne\nf\nG\nh\n', conflicts: 0 });
	assert.deepEqual(await eng.merge3(base, ours, theirs), m);
	const c = eng.merge3Sync(base, 'a\nX\nc\nd\ne\nf\ng\nh\n', theirs.replace('b', 'Y'));
	assert.equal(c.conflicts, 1);
	assert.match(c.text, /^<<<<<<<\nX\n=======\nY\n>>>>>>>\n/m);
	const o = eng.merge3Sync(base, 'a\nX\nc\nd\ne\nf\ng\nh\n',
		theirs.replace('b', 'Y'), { favor: 'ours' });
	assert.equal(o.conflicts, 0);
	assert.equal(o.text, 'a\nX\nc\nd\ne\nf\nG\nh\n');
	const d3 = eng.merge3Sync(base, 'a\nX\nc\nd\ne\nf\ng\nh\n',
		theirs.replace('b', 'Y'), { style: 'diff3', markerSize: 3 });
	assert.match(d3.text, /^<<<\nX\n\|\|\|\nb\n===\nY\n>>>\n/m);
	const mb = eng.merge3Sync(Buffer.from(base), Buffer.from(ours),
		Buffer.from(theirs));
	assert.ok(Buffer.isBuffer(mb.text));
	assert.equal(mb.text.toString(), m.text);
});

test('bad arguments are TypeErrors: sync throws, async rejects', async () => {
	const bad = [
		[() => eng.diffSync(1, 'b'), 'ERR_INVALID_ARG_TYPE'],
		[() => eng.diffSync('a', null), 'ERR_INVALID_ARG_TYPE'],
		[() => eng.diffSync('a', 'b', { algorithm: 'quick' }), 'ERR_INVALID_ARG_VALUE'],
		[() => eng.diffSync('a', 'b', { context: -1 }), 'ERR_OUT_OF_RANGE'],
		[() => eng.diffSync('a', 'b', { context: 1.5 }), 'ERR_OUT_OF_RANGE'],
		[() => eng.diffSync('a', 'b', { context: '3' }), 'ERR_INVALID_ARG_TYPE'],
		[() => eng.diffSync('a', 'b', { ignoreWhitespace: true }), 'ERR_INVALID_ARG_VALUE'],
		[() => eng.diffSync('a', 'b', { aPath: '' }), 'ERR_INVALID_ARG_TYPE'],
		[() => eng.diffSync('a', 'b', null), 'ERR_INVALID_ARG_TYPE'],
		[() => eng.diffSync('a', 'b', { format: 'json' }), 'ERR_INVALID_ARG_VALUE'],
		[() => eng.diffWordsSync('a', {}), 'ERR_INVALID_ARG_TYPE'],
		[() => eng.diffWordsSync('a', 'b', { mode: 'lines' }), 'ERR_INVALID_ARG_VALUE'],
		[() => eng.applyPatchSync('a', 'b', { fuzz: -1 }), 'ERR_OUT_OF_RANGE'],
		[() => eng.applyPatchSync(undefined, 'b'), 'ERR_INVALID_ARG_TYPE'],
		[() => eng.merge3Sync('a', 'b', 'c', { labels: 'x' }), 'ERR_INVALID_ARG_TYPE'],
		[() => eng.merge3Sync('a', 'b', 'c', { style: 'zdiff3' }), 'ERR_INVALID_ARG_VALUE'],
		[() => eng.merge3Sync('a', 'b', 'c', { labels: { ours: 'x'.repeat(70000) } }), 'ERR_OUT_OF_RANGE'],
	];
	for (const [fn, code] of bad)
		assert.throws(fn, (e) => e instanceof TypeError && e.code === code,
			fn.toString());
	await assert.rejects(eng.diff('a', 5), TypeError);
	await assert.rejects(eng.diff('a', 'b', { signal: 'x' }), TypeError);
	await assert.rejects(eng.applyPatch('a', 'b', { fuzz: 'x' }), TypeError);
	await assert.rejects(eng.merge3('a'), TypeError);
	await assert.rejects(eng.diffWords(), TypeError);
	assert.equal(eng.pingSync(), 0, 'engine still fine');
});

test('AbortSignal: aborted before, and during a large diff', async () => {
	const ac = new AbortController();
	ac.abort(new Error('stop'));
	await assert.rejects(eng.diff('a', 'b', { signal: ac.signal }),
		{ name: 'AbortError', code: 'ABORT_ERR' });
	await assert.rejects(eng.merge3('a', 'b', 'c', { signal: ac.signal }),
		{ name: 'AbortError' });
	const [, a, b] = PAIRS[0];
	const big = a.repeat(4), bigB = b.repeat(4);
	const ac2 = new AbortController();
	const p = eng.diff(big, bigB, { algorithm: 'minimal', signal: ac2.signal });
	ac2.abort();
	await assert.rejects(p, { name: 'AbortError' });
	/* the engine still answers afterwards */
	const d = await eng.diff('x\n', 'y\n');
	assert.equal(d.added, 1);
});

test('typings: strict tsc on a typed usage file', (t) => {
	const tsc = path.join(NM, 'typescript/bin/tsc');
	if (!fs.existsSync(tsc)) {
		t.skip('typescript not installed');
		return;
	}
	try {
		execFileSync(process.execPath, [tsc, '--noEmit', '--strict',
			'--target', 'es2022', '--module', 'commonjs',
			'--moduleResolution', 'node', '--types', 'node',
			'--typeRoots', path.join(NM, '@types'),
			path.join(__dirname, 'typed-ops-diff-tokens.ts')],
		{ encoding: 'utf8' });
	} catch (e) {
		assert.fail(`tsc failed:\n${e.stdout}${e.stderr}`);
	}
});
