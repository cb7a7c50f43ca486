'use strict';
// The symbols op from Node (lib/ops/symbols.js): eng.symbols.* and
// eng.imports.*, fed with what universal-ctags extracts from real packages
// in node_modules.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { accel, REPO } = require('../testlib/helpers.js');
const { Engine, AccelError, AbortError } = accel;

const NM = path.join(REPO, 'node_modules');
const TS_DTS = path.join(NM, 'typescript/lib/typescript.d.ts');
let ctagsOk = true;
try {
	execFileSync('ctags', ['--version'], { stdio: 'ignore' });
} catch {
	ctagsOk = false;
}
const skip = !ctagsOk ? 'universal-ctags is not installed' :
	(!fs.existsSync(TS_DTS) ? 'node_modules/typescript is missing' : false);

/* The tag's column: where its name sits in the line of its pattern. */
function column(tag) {
	const p = tag.pattern;
	if (typeof p !== 'string' || !p.startsWith('/^'))
		return 0;
	const line = p.slice(2).replace(/\$?\/$/, '').replace(/\\([/\\])/g, '$1');
	const i = line.indexOf(tag.name);
	return i < 0 ? 0 : i + 1;
}

/* ctags over files -> Map(file -> keep-up style symbols). */
function ctags(files) {
	const out = execFileSync('ctags', ['--output-format=json',
		'--fields=+n+e+K+Z+S', '--sort=no', '--languages=-JSON', '-f', '-',
		...files], { maxBuffer: 1 << 30 }).toString();
	const by = new Map(files.map((f) => [f, []]));
	for (const l of out.split('\n')) {
		if (!l)
			continue;
		const t = JSON.parse(l);
		if (t._type !== 'tag' || !by.has(t.path))
			continue;
		by.get(t.path).push({
			name: t.name, kind: t.kind, file: t.path, line: t.line,
			column: column(t), endLine: t.end || t.line, endColumn: 0,
			container: t.scope, detail: t.signature,
		});
	}
	return by;
}

function packageFiles(dir, exts, max) {
	const out = [];
	const walk = (d) => {
		for (const e of fs.readdirSync(d, { withFileTypes: true })) {
			const p = path.join(d, e.name);
			if (e.isDirectory())
				walk(p);
			else if (e.isFile() && exts.some((x) => e.name.endsWith(x)))
				out.push(p);
			if (out.length >= max)
				return;
		}
	};
	walk(dir);
	return out.sort();
}

let eng;
let corpus; /* Map file -> symbols */
let total = 0;
test.before(async () => {
	eng = await Engine.start();
	if (skip)
		return;
	const files = [TS_DTS, path.join(NM, 'typescript/lib/lib.es5.d.ts'),
		path.join(NM, 'lodash/lodash.js'),
		...packageFiles(path.join(NM, 'diff/libesm'), ['.js'], 60)];
	corpus = ctags(files);
	for (const [f, syms] of corpus) {
		assert.equal(eng.symbols.upsertFileSync(f, syms), syms.length);
		total += syms.length;
	}
});
test.after(async () => {
	await eng.close();
});

function checkHit(h, q) {
	const s = h.symbol;
	assert.equal(typeof s.name, 'string');
	assert.equal(typeof s.kind, 'string');
	assert.ok(s.line >= 0 && s.column >= 0);
	// Positions increase and, without a typo, spell the query.
	for (let i = 1; i < h.positions.length; i++)
		assert.ok(h.positions[i] > h.positions[i - 1]);
	if (!h.typo && q) {
		const spelled = h.positions.map((p) => s.name[p]).join('').toLowerCase();
		assert.equal(spelled, q.replace(/\s/g, '').toLowerCase());
	}
}

test('the index holds what ctags extracted', { skip }, () => {
	const st = eng.symbols.statsSync();
	assert.equal(st.symbols, total);
	assert.equal(st.files, corpus.size);
	assert.ok(st.names > 1000 && st.bytes > 0);
	assert.ok(total > 5000, `${total} symbols`);
});

test('gTC finds getTypeChecker-like names in typescript\'s symbols', { skip }, async () => {
	const hits = await eng.symbols.query('gTC', { limit: 10 });
	assert.ok(hits.length > 0 && hits.length <= 10);
	const names = hits.map((h) => h.symbol.name);
	assert.ok(names.slice(0, 5).includes('getTypeChecker'), names.join(','));
	for (const h of hits) {
		checkHit(h, 'gTC');
		assert.match(h.symbol.name, /^g.*T.*C/);
	}
	// Scores are best first.
	for (let i = 1; i < hits.length; i++)
		assert.ok(hits[i - 1].score >= hits[i].score);
	const tc = hits.find((h) => h.symbol.name === 'getTypeChecker').symbol;
	assert.equal(tc.file, TS_DTS);
	assert.equal(tc.kind, 'Method');
	assert.equal(tc.container, 'Program'); // ctags' scope
	const src = fs.readFileSync(TS_DTS, 'utf8').split('\n')[tc.line - 1];
	assert.equal(src.slice(tc.column - 1, tc.column - 1 + 14), 'getTypeChecker');
	// sync == async.
	assert.deepEqual(eng.symbols.querySync('gTC', { limit: 10 }), hits);
	// Exact and prefix modes.
	const ex = eng.symbols.querySync('getTypeChecker', { mode: 'exact', limit: 50 });
	assert.ok(ex.length >= 1 && ex.every((h) => h.symbol.name === 'getTypeChecker'));
	const pre = await eng.symbols.query('getType', { mode: 'prefix', limit: 50 });
	assert.ok(pre.length > 1 && pre.every((h) => h.symbol.name.startsWith('getType')));
	// Exact match first in fuzzy mode; a swapped letter still finds it.
	assert.equal(eng.symbols.querySync('createSourceFile')[0].symbol.name, 'createSourceFile');
	const sw = eng.symbols.querySync('getTypeChekcer', { limit: 5 });
	assert.ok(sw.some((h) => h.symbol.name === 'getTypeChecker' && h.typo));
	assert.ok(!eng.symbols.querySync('getTypeChekcer', { limit: 5, typo: false })
		.some((h) => h.symbol.name === 'getTypeChecker'));
});

test('kinds filter, limit, path prefix, blank queries', { skip }, async () => {
	const m = eng.symbols.querySync('get', { kinds: ['method'], limit: 100 });
	assert.ok(m.length > 0 && m.every((h) => h.symbol.kind === 'Method'));
	const fi = eng.symbols.querySync('get', { kinds: ['INTERFACE', 'Function'], limit: 100 });
	assert.ok(fi.every((h) => h.symbol.kind === 'Interface' || h.symbol.kind === 'Function'));
	assert.ok(fi.some((h) => h.symbol.kind === 'Interface'));
	for (const limit of [1, 3, 20, 1000]) {
		const r = await eng.symbols.query('e', { limit });
		assert.ok(r.length <= limit && r.length > 0);
		if (limit < 100)
			assert.equal(r.length, limit);
	}
	assert.equal((await eng.symbols.query('map')).length, 20, 'default limit 20');
	const lod = path.join(NM, 'lodash');
	const under = eng.symbols.querySync('map', { pathPrefix: lod, limit: 50 });
	assert.ok(under.length > 0 && under.every((h) => h.symbol.file.startsWith(lod)));
	for (const q of ['', '   ', '\t\n'])
		assert.deepEqual(await eng.symbols.query(q), []);
	assert.deepEqual(eng.symbols.querySync(''), []);
	assert.deepEqual(eng.symbols.queryFilesSync(' '), []);
	// The file finder.
	const files = eng.symbols.queryFilesSync('lodash', { limit: 3 });
	assert.equal(files[0].file, path.join(lod, 'lodash.js'));
	assert.ok(files[0].positions.length === 6);
});

test('upsert replaces a file\'s symbols; removeFile of an unknown file is a no-op',
     { skip }, async () => {
	const f = '/virtual/src/editor.ts';
	const v1 = [
		{ name: 'OldWidgetFactory', kind: 'Class', file: f, line: 1, column: 1, endLine: 40, endColumn: 2 },
		{ name: 'makeOldWidget', kind: 'method', file: f, line: 3, column: 5, endLine: 9, endColumn: 6, container: 'OldWidgetFactory' },
	];
	const v2 = [
		{ name: 'NewWidgetFactory', kind: 'class', file: f, line: 1, column: 14, endLine: 50, endColumn: 2, detail: 'export class' },
		{ name: 'makeNewWidget', kind: 6, file: f, line: 4, column: 3, endLine: 8, endColumn: 4, container: 'NewWidgetFactory' },
		{ name: 'größeBerechnen', kind: 'Function', file: f, line: 60, column: 1, endLine: 61, endColumn: 1 },
		{ name: 'emoji🙂Handler', kind: 'Function', file: f, line: 70, column: 1, endLine: 71, endColumn: 1 },
	];
	const st0 = eng.symbols.statsSync();
	assert.equal(await eng.symbols.upsertFile(f, v1), 2);
	assert.equal(eng.symbols.querySync('OldWidgetFactory', { mode: 'exact' }).length, 1);
	assert.equal(eng.symbols.upsertFileSync(f, v2), 4);
	assert.deepEqual(eng.symbols.querySync('OldWidgetFactory', { mode: 'exact' }), []);
	const nw = eng.symbols.querySync('makeNewWidget', { mode: 'exact' })[0];
	assert.deepEqual(nw.symbol, { name: 'makeNewWidget', kind: 'Method', file: f, line: 4,
		column: 3, endLine: 8, endColumn: 4, container: 'NewWidgetFactory' });
	assert.equal(eng.symbols.querySync('NewWidgetFactory', { mode: 'exact' })[0].symbol.detail,
		     'export class');
	// Non-ASCII names: positions are UTF-16 indices.
	const g = eng.symbols.querySync('berech', { pathPrefix: '/virtual/' })[0];
	assert.equal(g.symbol.name, 'größeBerechnen');
	assert.equal(g.positions.map((p) => g.symbol.name[p]).join('').toLowerCase(), 'berech');
	const e = eng.symbols.querySync('handler', { pathPrefix: '/virtual/' })[0];
	assert.equal(e.symbol.name, 'emoji🙂Handler');
	assert.deepEqual(e.positions, [7, 8, 9, 10, 11, 12, 13]);
	assert.equal(eng.symbols.statsSync().symbols, st0.symbols + 4);
	// Unknown file: false and nothing changes.
	assert.equal(await eng.symbols.removeFile('/virtual/nope.ts'), false);
	assert.equal(eng.symbols.removeFileSync('/virtual/nope.ts'), false);
	assert.equal(eng.symbols.statsSync().symbols, st0.symbols + 4);
	assert.equal(eng.symbols.removeFileSync(f), true);
	const st1 = eng.symbols.statsSync();
	assert.deepEqual([st1.symbols, st1.files, st1.names], [st0.symbols, st0.files, st0.names]);
	// An empty upsert keeps the file known with no symbols.
	assert.equal(eng.symbols.upsertFileSync(f, []), 0);
	assert.equal(eng.symbols.statsSync().files, st0.files + 1);
	assert.equal(await eng.symbols.removeFile(f), true);
});

test('bad symbols are clear errors; bad arguments TypeErrors', { skip }, async () => {
	const st0 = eng.symbols.statsSync();
	const f = '/virtual/bad.ts';
	assert.throws(() => eng.symbols.upsertFileSync(f, [{ name: '', kind: 'Function' }]),
		      (e) => e instanceof AccelError && e.code === 'EACCEL_SYM_EMPTY_NAME');
	await assert.rejects(eng.symbols.upsertFile(f, [{ name: 'x'.repeat(5000) }]),
			     (e) => e.code === 'EACCEL_SYM_NAME_TOO_LONG');
	const st1 = eng.symbols.statsSync();
	assert.deepEqual([st1.symbols, st1.files, st1.names], [st0.symbols, st0.files, st0.names],
			 'a failed upsert changes nothing');
	const bad = [
		[() => eng.symbols.upsertFileSync('', []), () => eng.symbols.upsertFile('', [])],
		[() => eng.symbols.upsertFileSync(f, null), () => eng.symbols.upsertFile(f, null)],
		[() => eng.symbols.upsertFileSync(f, [null]), () => eng.symbols.upsertFile(f, [null])],
		[() => eng.symbols.upsertFileSync(f, [{ name: 5 }]), () => eng.symbols.upsertFile(f, [{ name: 5 }])],
		[() => eng.symbols.upsertFileSync(f, [{ name: 'a', kind: {} }]),
			() => eng.symbols.upsertFile(f, [{ name: 'a', kind: {} }])],
		[() => eng.symbols.upsertFileSync(f, [{ name: 'a', kind: 27 }]),
			() => eng.symbols.upsertFile(f, [{ name: 'a', kind: 27 }])],
		[() => eng.symbols.upsertFileSync(f, [{ name: 'a', line: -1 }]),
			() => eng.symbols.upsertFile(f, [{ name: 'a', line: -1 }])],
		[() => eng.symbols.querySync(5), () => eng.symbols.query(5)],
		[() => eng.symbols.querySync('a', { limit: 0 }), () => eng.symbols.query('a', { limit: 0 })],
		[() => eng.symbols.querySync('a', { limit: 1001 }), () => eng.symbols.query('a', { limit: 1001 })],
		[() => eng.symbols.querySync('a', { mode: 'regex' }), () => eng.symbols.query('a', { mode: 'regex' })],
		[() => eng.symbols.querySync('a', { kinds: 'Method' }), () => eng.symbols.query('a', { kinds: 'Method' })],
		[() => eng.symbols.querySync('a', { kinds: ['nope'] }), () => eng.symbols.query('a', { kinds: ['nope'] })],
		[() => eng.symbols.querySync('a', 'x'), () => eng.symbols.query('a', 'x')],
		[() => eng.symbols.removeFileSync(null), () => eng.symbols.removeFile(null)],
		[() => eng.imports.setSync('a', 'b'), () => eng.imports.set('a', 'b')],
		[() => eng.imports.setSync('a', ['']), () => eng.imports.set('a', [''])],
		[() => eng.imports.dependentsSync(''), () => eng.imports.dependents('')],
		[() => eng.imports.dependentsSync('a', { depth: -1 }), () => eng.imports.dependents('a', { depth: -1 })],
		[() => eng.symbols.indexWorkspaceSync(1), () => eng.symbols.indexWorkspace(1)],
	];
	for (const [s, a] of bad) {
		assert.throws(s, (e) => e instanceof TypeError || e instanceof RangeError, s.toString());
		await assert.rejects(a(), (e) => e instanceof TypeError || e instanceof RangeError);
	}
	// A kind name nobody knows (ctags has many) is "unknown": a Variable.
	assert.equal(eng.symbols.upsertFileSync(f, [{ name: 'zzUnknownKindSym', kind: 'l4subsection' }]), 1);
	assert.equal(eng.symbols.querySync('zzUnknownKindSym', { mode: 'exact' })[0].symbol.kind, 'Variable');
	assert.equal(eng.symbols.removeFileSync(f), true);
	// Too long a query reaches the engine and comes back as a code.
	assert.throws(() => eng.symbols.querySync('q'.repeat(300)), AccelError);
	assert.equal(eng.pingSync(), 0);
});

test('import graph: typescript\'s lib reference graph', { skip }, async () => {
	const lib = path.join(NM, 'typescript/lib');
	const libs = fs.readdirSync(lib).filter((f) => /^lib\..*\.d\.ts$/.test(f)).sort();
	const refs = new Map();
	for (const f of libs) {
		const src = fs.readFileSync(path.join(lib, f), 'utf8');
		const r = [...src.matchAll(/\/\/\/\s*<reference lib="([^"]+)"/g)]
			.map((m) => `lib.${m[1]}.d.ts`);
		refs.set(f, r);
		assert.equal(await eng.imports.set(f, r), new Set(r).size);
	}
	// Reference oracle: BFS in JS.
	const bfs = (start, next, depthMax) => {
		const seen = new Map([[start, 0]]);
		const q = [start];
		while (q.length) {
			const x = q.shift();
			const d = seen.get(x);
			if (depthMax && d >= depthMax)
				continue;
			for (const y of next(x) || [])
				if (!seen.has(y)) {
					seen.set(y, d + 1);
					q.push(y);
				}
		}
		seen.delete(start);
		return seen;
	};
	const rev = new Map();
	for (const [f, r] of refs)
		for (const t of r)
			rev.set(t, [...(rev.get(t) || []), f]);
	for (const f of ['lib.esnext.d.ts', 'lib.es2020.full.d.ts', 'lib.dom.d.ts']) {
		const deps = eng.imports.dependenciesSync(f, { transitive: true });
		assert.deepEqual(new Map(deps.map((d) => [d.file, d.depth])),
				 bfs(f, (x) => refs.get(x), 0));
		const direct = await eng.imports.dependencies(f);
		assert.deepEqual(direct.map((d) => d.file).sort(), [...new Set(refs.get(f))].sort());
		const two = eng.imports.dependenciesSync(f, { depth: 2 });
		assert.deepEqual(new Map(two.map((d) => [d.file, d.depth])),
				 bfs(f, (x) => refs.get(x), 2));
	}
	const es5 = eng.imports.dependentsSync('lib.es5.d.ts', { transitive: true });
	assert.deepEqual(new Map(es5.map((d) => [d.file, d.depth])),
			 bfs('lib.es5.d.ts', (x) => rev.get(x), 0));
	assert.deepEqual(await eng.imports.cycles('lib.es5.d.ts'), []);
	// A cycle, then removing one edge breaks it.
	eng.imports.setSync('cyc/a.ts', ['cyc/b.ts']);
	eng.imports.setSync('cyc/b.ts', ['cyc/c.ts']);
	eng.imports.setSync('cyc/c.ts', ['cyc/a.ts', 'cyc/b.ts', 'cyc/b.ts']);
	assert.deepEqual(eng.imports.cyclesSync('cyc/a.ts').map((d) => d.file).sort(),
			 ['cyc/b.ts', 'cyc/c.ts']);
	await eng.imports.remove('cyc/c.ts');
	assert.deepEqual(eng.imports.cyclesSync('cyc/a.ts'), []);
	assert.deepEqual(eng.imports.dependentsSync('unknown.ts'), []);
	const st = eng.symbols.statsSync();
	assert.ok(st.importEdges > 0 && st.importFiles >= libs.length);
});

test('save and load a snapshot into a new engine', { skip }, async () => {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-sym-'));
	const snap = path.join(dir, 'index.snap');
	const other = await Engine.start();
	try {
		await eng.symbols.save(snap);
		assert.ok(fs.statSync(snap).size > 0);
		assert.equal(other.symbols.loadSync(snap), eng.symbols.statsSync().files);
		const a = other.symbols.statsSync();
		const b = eng.symbols.statsSync();
		assert.equal(a.symbols, b.symbols);
		assert.equal(a.importEdges, b.importEdges);
		for (const q of ['gTC', 'debounce', 'createSourceFile', 'diffLines'])
			assert.deepEqual(other.symbols.querySync(q), eng.symbols.querySync(q));
		// Loading into a non-empty index, or a corrupt file: codes.
		assert.throws(() => other.symbols.loadSync(snap), AccelError);
		const bad = path.join(dir, 'bad.snap');
		const bytes = fs.readFileSync(snap);
		bytes[bytes.length >> 1] ^= 0xff;
		fs.writeFileSync(bad, bytes);
		const third = await Engine.start();
		try {
			await assert.rejects(third.symbols.load(bad),
					     (e) => e.code === 'EACCEL_SYM_SNAP_CORRUPT');
			assert.equal(third.symbols.statsSync().symbols, 0);
			await assert.rejects(third.symbols.load(path.join(dir, 'missing')),
					     (e) => e.code === 'ENOENT');
		} finally {
			await third.close();
		}
	} finally {
		await other.close();
		fs.rmSync(dir, { recursive: true, force: true });
	}
});

test('indexWorkspace reports progress and skips unchanged files', { skip }, async () => {
	const root = path.join(NM, 'diff');
	const other = await Engine.start();
	try {
		const seen = [];
		const r = await other.symbols.indexWorkspace(root, {
			onProgress: (done, totalFiles) => seen.push([done, totalFiles]),
		});
		assert.ok(r.filesIndexed > 10 && r.symbols > 100, JSON.stringify(r));
		// ctags ran under the sandbox: Landlock fs (1 << 6) and seccomp
		// (1 << 9) in force, nothing the policy wanted missing.
		assert.equal(r.sandboxLayers & ((1 << 6) | (1 << 9)), (1 << 6) | (1 << 9));
		assert.equal(r.sandboxLayersMissing, 0);
		assert.equal(r.filesSeen, r.filesIndexed + r.filesUnchanged + r.errors);
		assert.ok(seen.length >= 1);
		for (const [d, t] of seen)
			assert.ok(d <= t && t === r.filesSeen);
		assert.equal(other.symbols.statsSync().symbols, r.symbols);
		const hits = other.symbols.querySync('diffLines', { mode: 'exact' });
		assert.ok(hits.length > 0 && hits.every((h) => h.symbol.file.startsWith(root + '/')));
		const again = other.symbols.indexWorkspaceSync(root);
		assert.equal(again.filesUnchanged, r.filesIndexed);
		assert.equal(again.filesIndexed, 0);
		// Aborted: an AbortError, and the engine answers afterwards.
		await assert.rejects(other.symbols.indexWorkspace(root, { signal: AbortSignal.abort() }),
				     AbortError);
		const ac = new AbortController();
		const p = other.symbols.indexWorkspace(path.join(NM, 'typescript'), { signal: ac.signal });
		setImmediate(() => ac.abort());
		await assert.rejects(p, AbortError);
		assert.ok(other.symbols.querySync('diffLines').length > 0);
	} finally {
		await other.close();
	}
});

test('AbortSignal on queries; facades are per engine', { skip }, async () => {
	await assert.rejects(eng.symbols.query('gTC', { signal: AbortSignal.abort('x') }),
			     (e) => e instanceof AbortError && e.cause === 'x');
	await assert.rejects(eng.imports.dependents('a', { signal: AbortSignal.abort() }), AbortError);
	assert.equal(eng.symbols, eng.symbols);
	assert.equal(eng.imports, eng.imports);
	assert.ok((await eng.symbols.query('gTC')).length > 0);
});
