'use strict';
/*
 * keep-up's symbol index addon (@ku0/symbol-index-rs: createSymbolIndex())
 * and its ImportGraph, over the shared engine's index (eng.symbols,
 * eng.imports; docs/symbols.md). Every method is synchronous.
 *
 * The engine holds one index per session and every SymbolIndex and
 * ImportGraph of the process shares the session: each instance keeps its
 * files under its own path prefix ("ku:<n>:"), queries filter on it, and
 * results come back without it. Counts for stats() are kept here (one
 * number per file) because the session's own counts cover every instance.
 * An instance that is garbage collected has its files removed.
 *
 * After an engine death (getEngine() gives a new engine) an instance's
 * files are gone with the old engine: it continues empty.
 */

const nodePath = require('node:path');
const { getEngine, noEngine } = require('./engine');
const { kindOf, KIND_NAMES } = require('../ops/symbols');

const MAX_LIMIT = 1000; /* the engine's largest top-k */
let nextId = 1;

function checkPath(name, p) {
	if (typeof p !== 'string' || p === '')
		throw new TypeError(`${name} must be a non-empty string`);
}

/* Files of collected instances go; the held value never names the instance. */
const cleanup = new FinalizationRegistry(({ eng, prefix, files, imports }) => {
	if (eng.state !== 'open')
		return;
	for (const f of files.keys())
		eng.symbols.removeFile(prefix + f).catch(() => {});
	for (const f of imports)
		eng.imports.remove(prefix + f).catch(() => {});
});

/* The engine and prefix an instance works in, rebound after a death. */
class Space {
	constructor(owner) {
		this.prefix = `ku:${nextId++}:`;
		this.eng = null;
		this.files = new Map(); /* path -> symbols held */
		this.imports = new Set(); /* files with recorded imports */
		this.owner = new WeakRef(owner);
	}

	engine() {
		const e = getEngine();
		if (e === null)
			throw noEngine('symbol index');
		if (e !== this.eng) {
			if (this.eng !== null)
				cleanup.unregister(this);
			/* A new engine has none of our files. */
			this.eng = e;
			this.files.clear();
			this.imports.clear();
			const o = this.owner.deref();
			if (o !== undefined)
				cleanup.register(o, { eng: e, prefix: this.prefix,
					files: this.files, imports: this.imports }, this);
		}
		return e;
	}

	/* fn(engine), once more on a successor when the engine just died. */
	run(fn) {
		try {
			return fn(this.engine());
		} catch (err) {
			if (err === null || typeof err !== 'object' ||
			    err.code !== 'EACCEL_ENGINE_DIED')
				throw err;
		}
		return fn(this.engine());
	}
}

/* keep-up's normalize_path: backslashes become slashes. */
function normSymbolPath(p) {
	return p.includes('\\') ? p.replace(/\\/g, '/') : p;
}

class SymbolIndex {
	#space = new Space(this);
	/* LSP kind number -> the spelling this caller uses ('class'). */
	#spelling = new Array(KIND_NAMES.length);

	/* Replaces the file's symbols; an empty list removes the file. */
	updateFile(path, symbols) {
		checkPath('path', path);
		if (!Array.isArray(symbols))
			throw new TypeError('symbols must be an array');
		const p = normSymbolPath(path);
		if (symbols.length === 0) {
			this.removeFile(p);
			return;
		}
		for (const s of symbols) {
			if (s !== null && typeof s === 'object' &&
			    typeof s.kind === 'string') {
				const k = kindOf(s.kind, 0, true);
				if (k !== 0 && this.#spelling[k] !== s.kind)
					this.#spelling[k] = s.kind;
			}
		}
		const sp = this.#space;
		sp.run((e) => {
			const n = e.symbols.upsertFileSync(sp.prefix + p, symbols);
			sp.files.set(p, n);
		});
	}

	/* Drops the file's symbols; an unknown file is a no-op. */
	removeFile(path) {
		checkPath('path', path);
		const p = normSymbolPath(path);
		const sp = this.#space;
		sp.run((e) => {
			if (sp.files.delete(p))
				e.symbols.removeFileSync(sp.prefix + p);
		});
	}

	/*
	 * query(q, {limit = 20, kinds}) -> [{symbol, score}], best first. A
	 * blank query gives []; kinds are matched case-insensitively and a
	 * kind nobody knows matches nothing. At most 1000 hits.
	 */
	query(query, options) {
		if (typeof query !== 'string')
			throw new TypeError('query must be a string');
		let limit = 20;
		let kinds;
		if (options !== undefined && options !== null) {
			if (typeof options !== 'object')
				throw new TypeError('options must be an object');
			if (options.limit !== undefined && options.limit !== null) {
				if (typeof options.limit !== 'number' ||
				    !(options.limit >= 0))
					throw new TypeError('limit must be a ' +
							    'non-negative number');
				limit = Math.min(Math.trunc(options.limit), MAX_LIMIT);
			}
			if (options.kinds !== undefined && options.kinds !== null) {
				if (!Array.isArray(options.kinds))
					throw new TypeError('kinds must be an array of ' +
							    'strings');
				kinds = options.kinds.filter((k) =>
					typeof k === 'string' &&
					kindOf(k, 0, true) !== 0);
				if (kinds.length === 0)
					return [];
			}
		}
		if (limit === 0 || query.trim() === '')
			return [];
		const sp = this.#space;
		const hits = sp.run((e) => e.symbols.querySync(query,
			{ limit, kinds, pathPrefix: sp.prefix }));
		const cut = sp.prefix.length;
		const out = new Array(hits.length);
		for (let i = 0; i < hits.length; i++) {
			const s = hits[i].symbol;
			s.file = s.file.slice(cut);
			const k = kindOf(s.kind, 0, true);
			if (this.#spelling[k] !== undefined)
				s.kind = this.#spelling[k];
			out[i] = { symbol: s, score: hits[i].score };
		}
		return out;
	}

	/* {symbolCount, fileCount} of this index. */
	stats() {
		const sp = this.#space;
		sp.engine();
		let n = 0;
		for (const c of sp.files.values())
			n += c;
		return { symbolCount: n, fileCount: sp.files.size };
	}
}

/* keep-up's ImportGraph normalises paths with path.resolve. */
function normImportPath(p) {
	return nodePath.resolve(p);
}

/*
 * keep-up's ImportGraph: which files a file imports, and which import it
 * (directly, or transitively breadth-first).
 */
class ImportGraph {
	#space = new Space(this);

	/* Replaces the file's resolved imports. */
	updateFileImports(filePath, imports) {
		checkPath('filePath', filePath);
		if (!Array.isArray(imports))
			throw new TypeError('imports must be an array of strings');
		const f = normImportPath(filePath);
		const sp = this.#space;
		const list = imports.map((x, i) => {
			checkPath(`imports[${i}]`, x);
			return sp.prefix + normImportPath(x);
		});
		sp.run((e) => {
			e.imports.setSync(sp.prefix + f, list);
			sp.imports.add(f);
		});
	}

	/* Forgets the file's imports (it stays a target of others). */
	removeFile(filePath) {
		checkPath('filePath', filePath);
		const f = normImportPath(filePath);
		const sp = this.#space;
		sp.run((e) => {
			if (sp.imports.delete(f))
				e.imports.removeSync(sp.prefix + f);
		});
	}

	/*
	 * The files that import filePath: directly, or (transitive = true)
	 * breadth-first over importers of importers. As in keep-up, a file on
	 * an import cycle is among its own transitive dependents.
	 */
	getDependents(filePath, transitive = true) {
		checkPath('filePath', filePath);
		const f = normImportPath(filePath);
		const sp = this.#space;
		const cut = sp.prefix.length;
		return sp.run((e) => {
			const deps = e.imports.dependentsSync(sp.prefix + f,
				{ transitive: transitive !== false });
			const out = deps.map((d) => d.file.slice(cut));
			if (transitive === false || deps.length === 0 ||
			    out.includes(f))
				return out;
			/* On a cycle: an importer of f is something f imports. */
			const mine = e.imports.dependenciesSync(sp.prefix + f);
			const at = new Map(deps.map((d) => [d.file, d.depth]));
			let depth = 0;
			for (const m of mine) {
				if (m.file === sp.prefix + f)
					depth = 1;
				else if (at.has(m.file) &&
					 (depth === 0 || at.get(m.file) + 1 < depth))
					depth = at.get(m.file) + 1;
			}
			if (depth === 0)
				return out;
			let i = 0;
			while (i < deps.length && deps[i].depth < depth)
				i++;
			out.splice(i, 0, f);
			return out;
		});
	}

	/* The files filePath imports. */
	getImports(filePath) {
		checkPath('filePath', filePath);
		const f = normImportPath(filePath);
		const sp = this.#space;
		const cut = sp.prefix.length;
		return sp.run((e) => e.imports.dependenciesSync(sp.prefix + f)
			.map((d) => d.file.slice(cut)));
	}
}

/* keep-up's createSymbolIndex(): a new index, or null without an engine. */
function createSymbolIndex() {
	return getEngine() === null ? null : new SymbolIndex();
}

/* An ImportGraph on the engine, or null without one. */
function createImportGraph() {
	return getEngine() === null ? null : new ImportGraph();
}

module.exports = { createSymbolIndex, createImportGraph, SymbolIndex,
		   ImportGraph };
