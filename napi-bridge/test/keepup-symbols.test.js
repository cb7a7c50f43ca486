'use strict';
// agent-accel/keep-up: createSymbolIndex() and ImportGraph, through the
// public module. The behaviours keep-up's own symbol-index-rs tests pin,
// the ones issue 7 names, isolation between instances, real inputs.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { gcUntil, REPO } = require('../testlib/helpers.js');
const { killAndWait } = require('../testlib/keepup-helpers.js');
const ku = require('agent-accel/keep-up');

/* SIGKILL, then wait (without a loop turn) until the engine is gone. */
function sym(name, kind, file, line, extra = {}) {
	return { name, kind, file, line, column: 1, endLine: line, endColumn: 10,
		 ...extra };
}

test('createSymbolIndex returns an index with the four methods', () => {
	const idx = ku.createSymbolIndex();
	assert.ok(idx);
	for (const m of ['updateFile', 'removeFile', 'query', 'stats'])
		assert.equal(typeof idx[m], 'function', m);
	assert.deepEqual(idx.stats(), { symbolCount: 0, fileCount: 0 });
});

test('keep-up: update and query a multi-word query', () => {
	const idx = ku.createSymbolIndex();
	idx.updateFile('src/lsp/symbolGraph.ts',
		       [sym('SymbolGraph', 'class', 'src/lsp/symbolGraph.ts', 1)]);
	idx.updateFile('src/lsp/importGraph.ts',
		       [sym('ImportGraph', 'class', 'src/lsp/importGraph.ts', 1)]);
	const r = idx.query('symbol graph');
	assert.ok(r.length > 0);
	assert.equal(r[0].symbol.name, 'SymbolGraph');
});

test('keep-up: updateFile replaces the previous symbols', () => {
	const idx = ku.createSymbolIndex();
	idx.updateFile('src/foo.ts', [sym('Original', 'class', 'src/foo.ts', 1)]);
	assert.equal(idx.stats().symbolCount, 1);
	idx.updateFile('src/foo.ts', [sym('Updated', 'class', 'src/foo.ts', 2)]);
	assert.equal(idx.stats().symbolCount, 1);
	const r = idx.query('updated');
	assert.equal(r.length, 1);
	assert.equal(r[0].symbol.name, 'Updated');
	assert.equal(r[0].symbol.line, 2);
	assert.deepEqual(idx.query('original'), []);
});

test('keep-up: removeFile clears symbols; unknown files are a no-op', () => {
	const idx = ku.createSymbolIndex();
	idx.updateFile('src/foo.ts', [sym('SymbolGraph', 'class', 'src/foo.ts', 1)]);
	idx.removeFile('src/never-seen.ts');
	assert.deepEqual(idx.stats(), { symbolCount: 1, fileCount: 1 });
	idx.removeFile('src/foo.ts');
	assert.deepEqual(idx.query('symbol'), []);
	assert.equal(idx.stats().symbolCount, 0);
	idx.removeFile('src/foo.ts');
	assert.deepEqual(idx.stats(), { symbolCount: 0, fileCount: 0 });
});

test('keep-up: a fuzzy query with missing letters finds the symbol', () => {
	const idx = ku.createSymbolIndex();
	idx.updateFile('src/foo.ts', [sym('SymbolGraph', 'class', 'src/foo.ts', 1)]);
	const r = idx.query('symblgrph');
	assert.equal(r.length, 1);
	assert.equal(r[0].symbol.name, 'SymbolGraph');
});

test('keep-up: the kinds filter is case-insensitive; kinds come back as given',
     () => {
	const idx = ku.createSymbolIndex();
	idx.updateFile('src/foo.ts', [
		sym('SymbolGraph', 'Class', 'src/foo.ts', 1),
		sym('symbol_graph', 'function', 'src/foo.ts', 5),
	]);
	let r = idx.query('symbol', { kinds: ['class'] });
	assert.equal(r.length, 1);
	assert.equal(r[0].symbol.name, 'SymbolGraph');
	assert.equal(r[0].symbol.kind, 'Class');
	r = idx.query('symbol', { kinds: ['FUNCTION'] });
	assert.deepEqual(r.map((h) => [h.symbol.name, h.symbol.kind]),
			 [['symbol_graph', 'function']]);
	assert.equal(idx.query('symbol', { kinds: ['class', 'function'] }).length, 2);
	// A kind nobody knows matches nothing (keep-up: no symbol has it).
	assert.deepEqual(idx.query('symbol', { kinds: ['gizmo'] }), []);
});

test('blank queries return []; limit is respected; default limit is 20', () => {
	const idx = ku.createSymbolIndex();
	const syms = [];
	for (let i = 0; i < 50; i++)
		syms.push(sym(`handler${i}`, 'function', 'src/h.ts', i + 1));
	idx.updateFile('src/h.ts', syms);
	for (const q of ['', '   ', '\t\n'])
		assert.deepEqual(idx.query(q), []);
	assert.equal(idx.query('handler').length, 20);
	assert.equal(idx.query('handler', { limit: 7 }).length, 7);
	assert.equal(idx.query('handler', { limit: 500 }).length, 50);
	assert.deepEqual(idx.query('handler', { limit: 0 }), []);
	const r = idx.query('handler', { limit: 50 });
	for (let i = 1; i < r.length; i++)
		assert.ok(r[i - 1].score >= r[i].score, 'best first');
	assert.throws(() => idx.query('handler', { limit: -1 }), TypeError);
	assert.throws(() => idx.query(5), TypeError);
});

test('a symbol comes back whole: 1-based positions, container, detail, file',
     () => {
	const idx = ku.createSymbolIndex();
	const s = { name: 'getTokenCount', kind: 'method', file: 'ignored.ts',
		    line: 42, column: 3, endLine: 57, endColumn: 4,
		    container: 'agent.runtime.TokenCounter',
		    detail: '(text: string) => number' };
	idx.updateFile('C:\\repo\\src\\tokens.ts', [s]);
	const [hit] = idx.query('getTokenCount');
	assert.deepEqual(hit.symbol, { ...s, file: 'C:/repo/src/tokens.ts' });
	assert.equal(typeof hit.score, 'number');
	assert.deepEqual(Object.keys(hit).sort(), ['score', 'symbol']);
	// Backslashes and slashes name the same file (keep-up normalises).
	idx.removeFile('C:/repo/src/tokens.ts');
	assert.deepEqual(idx.stats(), { symbolCount: 0, fileCount: 0 });
});

test('updateFile with no symbols removes the file from stats', () => {
	const idx = ku.createSymbolIndex();
	idx.updateFile('a.ts', [sym('Alpha', 'class', 'a.ts', 1)]);
	idx.updateFile('b.ts', [sym('Beta', 'class', 'b.ts', 1),
				sym('Gamma', 'class', 'b.ts', 2)]);
	assert.deepEqual(idx.stats(), { symbolCount: 3, fileCount: 2 });
	idx.updateFile('a.ts', []);
	assert.deepEqual(idx.stats(), { symbolCount: 2, fileCount: 1 });
	assert.deepEqual(idx.query('alpha'), []);
	assert.throws(() => idx.updateFile('a.ts', 'nope'), TypeError);
	assert.throws(() => idx.updateFile('', []), TypeError);
});

test('two indexes do not see each other', () => {
	const a = ku.createSymbolIndex();
	const b = ku.createSymbolIndex();
	a.updateFile('src/x.ts', [sym('WidgetFactory', 'class', 'src/x.ts', 1)]);
	b.updateFile('src/x.ts', [sym('WidgetFactoryB', 'class', 'src/x.ts', 9)]);
	b.updateFile('src/y.ts', [sym('Other', 'class', 'src/y.ts', 1)]);
	assert.deepEqual(a.query('WidgetFactory').map((h) => h.symbol.name),
			 ['WidgetFactory']);
	assert.deepEqual(b.query('WidgetFactory').map((h) => h.symbol.name),
			 ['WidgetFactoryB']);
	assert.deepEqual(a.stats(), { symbolCount: 1, fileCount: 1 });
	assert.deepEqual(b.stats(), { symbolCount: 2, fileCount: 2 });
	a.removeFile('src/x.ts');
	assert.equal(b.query('WidgetFactory').length, 1);
});

/*
 * Real input: the interfaces, functions and declared vars of typescript's
 * lib.es5.d.ts, one file per symbol group, found by a plain scan.
 */
function es5Symbols() {
	const file = path.join(REPO, 'node_modules/typescript/lib/lib.es5.d.ts');
	const lines = fs.readFileSync(file, 'utf8').split('\n');
	const out = [];
	const re = /^(?:declare )?(interface|function|var|type) ([A-Za-z_$][\w$]*)/;
	lines.forEach((l, i) => {
		const m = re.exec(l);
		if (m) {
			const kind = { interface: 'Interface', function: 'Function',
				       var: 'Variable', type: 'TypeParameter' }[m[1]];
			out.push(sym(m[2], kind, file, i + 1,
				     { column: l.indexOf(m[2]) + 1 }));
		}
	});
	return { file, symbols: out };
}

test('real input: lib.es5.d.ts declarations are found by name and initials', () => {
	const { file, symbols } = es5Symbols();
	assert.ok(symbols.length > 100);
	const idx = ku.createSymbolIndex();
	idx.updateFile(file, symbols);
	assert.equal(idx.stats().symbolCount, symbols.length);
	for (const name of ['ReadonlyArray', 'PropertyDescriptor', 'parseInt',
			    'Uint8ClampedArray', 'ArrayBufferConstructor']) {
		const r = idx.query(name, { limit: 5 });
		assert.ok(r.length > 0, name);
		assert.equal(r[0].symbol.name, name);
		const want = symbols.find((s) => s.name === name);
		assert.equal(r[0].symbol.line, want.line);
		assert.equal(r[0].symbol.file, file);
	}
	// Every hit of a kinds-filtered query has that kind.
	for (const h of idx.query('array', { kinds: ['function'], limit: 50 }))
		assert.equal(h.symbol.kind, 'Function');
});

test('a collected index leaves no symbols in the engine', async () => {
	const eng = ku.getEngine();
	// Other tests' indexes are collected meanwhile too: count this one's.
	const probes = () => eng.symbols.querySync('gcProbeSymbol',
		{ mode: 'prefix', limit: 1000 }).length;
	(() => {
		const idx = ku.createSymbolIndex();
		const syms = [];
		for (let i = 0; i < 300; i++)
			syms.push(sym(`gcProbeSymbol${i}`, 'variable', 't.ts', i + 1));
		idx.updateFile('t.ts', syms);
		assert.equal(probes(), 300);
	})();
	assert.ok(await gcUntil(() => probes() === 0),
		  'the engine still holds the collected index\'s symbols');
});

test('ImportGraph: imports, direct and transitive dependents breadth-first', () => {
	const g = ku.createImportGraph();
	assert.ok(g instanceof ku.ImportGraph);
	// app -> (ui, api); ui -> core; api -> core; core -> util
	g.updateFileImports('/p/app.ts', ['/p/ui.ts', '/p/api.ts']);
	g.updateFileImports('/p/ui.ts', ['/p/core.ts']);
	g.updateFileImports('/p/api.ts', ['/p/core.ts']);
	g.updateFileImports('/p/core.ts', ['/p/util.ts']);
	assert.deepEqual(g.getImports('/p/app.ts').sort(), ['/p/api.ts', '/p/ui.ts']);
	assert.deepEqual(g.getImports('/p/util.ts'), []);
	assert.deepEqual(g.getDependents('/p/util.ts', false), ['/p/core.ts']);
	const t = g.getDependents('/p/util.ts');
	assert.equal(t.length, 4);
	assert.equal(t[0], '/p/core.ts');
	assert.deepEqual(t.slice(1, 3).sort(), ['/p/api.ts', '/p/ui.ts']);
	assert.equal(t[3], '/p/app.ts');
	assert.deepEqual(g.getDependents('/p/app.ts'), []);
	assert.deepEqual(g.getDependents('/p/nowhere.ts'), []);
});

test('ImportGraph: updates replace, removeFile keeps the file as a target', () => {
	const g = ku.createImportGraph();
	g.updateFileImports('/q/a.ts', ['/q/b.ts', '/q/b.ts', '/q/c.ts']);
	assert.deepEqual(g.getImports('/q/a.ts').sort(), ['/q/b.ts', '/q/c.ts']);
	g.updateFileImports('/q/a.ts', ['/q/c.ts']);
	assert.deepEqual(g.getDependents('/q/b.ts'), []);
	g.updateFileImports('/q/d.ts', ['/q/a.ts']);
	g.removeFile('/q/a.ts');
	assert.deepEqual(g.getImports('/q/a.ts'), []);
	assert.deepEqual(g.getDependents('/q/c.ts'), []);
	assert.deepEqual(g.getDependents('/q/a.ts'), ['/q/d.ts']);
	g.removeFile('/q/never.ts');
});

test('ImportGraph: paths are resolved like keep-up (path.resolve)', () => {
	const g = ku.createImportGraph();
	g.updateFileImports('src/a.ts', ['src/lib/../b.ts']);
	assert.deepEqual(g.getImports(path.resolve('src/a.ts')),
			 [path.resolve('src/b.ts')]);
	assert.deepEqual(g.getDependents('./src/b.ts'), [path.resolve('src/a.ts')]);
});

test('ImportGraph: a file on a cycle is its own transitive dependent', () => {
	const g = ku.createImportGraph();
	g.updateFileImports('/c/a.ts', ['/c/b.ts']);
	g.updateFileImports('/c/b.ts', ['/c/c.ts']);
	g.updateFileImports('/c/c.ts', ['/c/a.ts']);
	// keep-up: c <- b <- a <- c.
	assert.deepEqual(g.getDependents('/c/c.ts'), ['/c/b.ts', '/c/a.ts', '/c/c.ts']);
	assert.deepEqual(g.getDependents('/c/c.ts', false), ['/c/b.ts']);
	// Not on a cycle: never its own dependent.
	g.updateFileImports('/c/d.ts', ['/c/a.ts']);
	assert.ok(!g.getDependents('/c/d.ts').includes('/c/d.ts'));
	// Two graphs are separate.
	assert.deepEqual(ku.createImportGraph().getDependents('/c/c.ts'), []);
});

test('real input: the /// <reference lib> graph of typescript\'s lib files', () => {
	const dir = path.join(REPO, 'node_modules/typescript/lib');
	const g = ku.createImportGraph();
	const edges = new Map();
	for (const f of fs.readdirSync(dir).filter((f) => /^lib\..*\.d\.ts$/.test(f))) {
		const text = fs.readFileSync(path.join(dir, f), 'utf8');
		const refs = [...text.matchAll(/\/\/\/ <reference lib="([^"]+)" \/>/g)]
			.map((m) => path.join(dir, `lib.${m[1].toLowerCase()}.d.ts`));
		edges.set(path.join(dir, f), refs);
		g.updateFileImports(path.join(dir, f), refs);
	}
	assert.ok(edges.size > 50);
	// The reference answer: a breadth-first walk over a Map, as keep-up does.
	const dependents = new Map();
	for (const [f, refs] of edges)
		for (const r of new Set(refs)) {
			if (!dependents.has(r))
				dependents.set(r, new Set());
			dependents.get(r).add(f);
		}
	for (const f of [...edges.keys()].slice(0, 40)) {
		const seen = new Set();
		const q = [...(dependents.get(f) ?? [])];
		for (let i = 0; i < q.length; i++) {
			if (seen.has(q[i]))
				continue;
			seen.add(q[i]);
			for (const n of dependents.get(q[i]) ?? [])
				if (!seen.has(n))
					q.push(n);
		}
		assert.deepEqual(new Set(g.getDependents(f)), seen, f);
		assert.deepEqual(new Set(g.getImports(f)), new Set(edges.get(f)), f);
	}
});

test('after an engine death an index continues, empty, on the new engine', () => {
	const idx = ku.createSymbolIndex();
	idx.updateFile('src/d.ts', [sym('BeforeDeath', 'class', 'src/d.ts', 1)]);
	const eng = ku.getEngine();
	killAndWait(eng.pid);
	// The first call that meets the dead engine goes to its successor.
	assert.deepEqual(idx.query('BeforeDeath'), []);
	assert.notEqual(ku.getEngine(), eng);
	assert.deepEqual(idx.stats(), { symbolCount: 0, fileCount: 0 });
	idx.updateFile('src/d.ts', [sym('AfterDeath', 'class', 'src/d.ts', 1)]);
	assert.equal(idx.query('AfterDeath')[0].symbol.name, 'AfterDeath');
	assert.deepEqual(idx.stats(), { symbolCount: 1, fileCount: 1 });
});
