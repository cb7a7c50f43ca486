'use strict';
/*
 * The JS surface of the symbols op (engine/ops/symbols.c, op 80; layouts in
 * docs/symbols.md): the engine session's symbol index and import graph.
 *
 *   eng.symbols.upsertFile / removeFile / query / queryFiles / stats /
 *               save / load / indexWorkspace
 *   eng.imports.set / remove / dependencies / dependents / cycles
 *
 * every one with a ...Sync twin (sync forms are what keep-up calls on every
 * LLM turn). A symbol is {name, kind, file, line, column, endLine,
 * endColumn, container?, detail?}: 1-based positions (0 = unknown), `kind`
 * an LSP SymbolKind name ('Function'; input matched case-insensitively, also
 * universal-ctags kind names and LSP numbers; other names are "unknown" and
 * come back as 'Variable'), `container` a dotted path.
 * Query hits carry `positions`: the matched characters of the name as
 * UTF-16 indices (the engine's UTF-8 byte offsets, converted here).
 */

const { typeError, rangeError } = require('../argerr');
const { facade } = require('./common');
const OP = 'symbols';

const CMD_UPSERT = 1;
const CMD_REMOVE = 2;
const CMD_QUERY = 3;
const CMD_QUERY_FILES = 4;
const CMD_STATS = 5;
const CMD_IMPORTS_SET = 6;
const CMD_IMPORTS_QUERY = 7;
const CMD_SAVE = 8;
const CMD_LOAD = 9;
const CMD_INDEX = 10;

const FILE_MAGIC = 0x4d595341; /* "ASYM" */
const RESULT_MAGIC = 0x52595341; /* "ASYR" */
const IMPORTS_MAGIC = 0x524d4941; /* "AIMR" */
const HDR = 32;
const REC = 48;
const HIT = 64;
const MAX_FILE_SYMBOLS = 1 << 20;
const TWO32 = 4294967296;
const LE = require('node:os').endianness() === 'LE';

/* LSP SymbolKind names, index = kind number. */
const KIND_NAMES = [undefined, 'File', 'Module', 'Namespace', 'Package',
	'Class', 'Method', 'Property', 'Field', 'Constructor', 'Enum',
	'Interface', 'Function', 'Variable', 'Constant', 'String', 'Number',
	'Boolean', 'Array', 'Object', 'Key', 'Null', 'EnumMember', 'Struct',
	'Event', 'Operator', 'TypeParameter'];

/*
 * Lower-case name -> kind: the LSP names, then universal-ctags' kind names
 * (the table of symbols/index.c, accel_symbols_kind_from_name()).
 */
const KIND_BY_NAME = new Map();
KIND_NAMES.forEach((n, k) => n && KIND_BY_NAME.set(n.toLowerCase(), k));
for (const [n, k] of [['function', 12], ['method', 6], ['class', 5],
	['variable', 13], ['constant', 14], ['property', 7], ['field', 8],
	['member', 8], ['macro', 14], ['enumerator', 22], ['enum', 10],
	['struct', 23], ['union', 23], ['typedef', 26], ['alias', 26],
	['interface', 11], ['namespace', 3], ['module', 2], ['package', 4],
	['prototype', 12], ['externvar', 13], ['local', 13],
	['parameter', 26], ['getter', 6], ['setter', 6], ['generator', 12],
	['object', 19], ['array', 18], ['string', 15], ['number', 16],
	['boolean', 17], ['null', 21], ['label', 13], ['id', 13],
	['section', 2], ['subsection', 2], ['subsubsection', 2],
	['chapter', 2], ['heading1', 2], ['heading2', 2], ['heading3', 2],
	['selector', 13], ['type', 26], ['singletonmethod', 6],
	['subroutine', 12], ['procedure', 12], ['trait', 11],
	['implementation', 5], ['constructor', 9], ['event', 24],
	['operator', 25], ['key', 20], ['file', 1], ['enumconstant', 22]])
	if (!KIND_BY_NAME.has(n))
		KIND_BY_NAME.set(n, k);

const MODES = { fuzzy: 0, prefix: 1, exact: 2 };
const CASES = { smart: 0, ignore: 1, respect: 2 };
const WHICH = { dependencies: 0, dependents: 1, cycle: 2 };

function checkOpts(opts) {
	if (opts === undefined)
		return {};
	if (opts === null || typeof opts !== 'object')
		throw typeError('options must be an object');
	if (opts.signal !== undefined && !(opts.signal instanceof AbortSignal))
		throw typeError('signal must be an AbortSignal');
	return opts;
}

function checkPath(name, p) {
	if (typeof p !== 'string' || p === '')
		throw typeError(`${name} must be a non-empty string`);
	return p;
}

/* Kind name as given -> number: skips the lower-casing on repeats. */
const kindCache = new Map();

/*
 * Kind name (case-insensitive, LSP or ctags) or number -> LSP number. i is
 * the symbol's index (for the message) or a label string. With lenient, a
 * name nobody knows (ctags has hundreds: "l4subsection") is 0, "unknown",
 * which the index stores as Variable, as its own workspace indexer does.
 */
function kindOf(k, i, lenient) {
	if (typeof k === 'string') {
		let v = kindCache.get(k);
		if (v === undefined) {
			v = KIND_BY_NAME.get(k.toLowerCase());
			if (v !== undefined && kindCache.size < 4096)
				kindCache.set(k, v);
		}
		if (v !== undefined)
			return v;
		if (lenient)
			return 0;
	} else if (typeof k === 'number' && Number.isInteger(k) && k >= 0 &&
		   k <= 26) {
		return k;
	} else if (k === undefined || k === null) {
		return 0;
	}
	throw typeError(`${typeof i === 'number' ? `symbols[${i}].kind` : i}: ` +
			`unknown symbol kind ${JSON.stringify(k)}`);
}

function posInt(v, field, i) {
	if (v === undefined || v === null)
		return 0;
	if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 ||
	    v >= TWO32)
		throw typeError(`symbols[${i}].${field} must be a non-negative ` +
				'integer');
	return v;
}

function optStr(v, field, i) {
	if (v === undefined || v === null || v === '')
		return '';
	if (typeof v !== 'string')
		throw typeError(`symbols[${i}].${field} must be a string`);
	return v;
}

/* A reusable scratch buffer for sync encodes (async ones own theirs). */
let scratch = Buffer.allocUnsafe(1 << 16);

function bufFor(size, sync) {
	if (!sync)
		return Buffer.allocUnsafe(size);
	if (scratch.length < size)
		scratch = Buffer.allocUnsafe(Math.max(size, 2 * scratch.length));
	return scratch;
}

/*
 * Encodes an upsert buffer (docs/symbols.md): header, 48-byte records, then
 * the strings. Containers and details repeat within a file (every member of
 * a class), so each distinct one is written once.
 */
function encodeUpsert(path, symbols, opts, sync) {
	checkPath('path', path);
	if (!Array.isArray(symbols))
		throw typeError('symbols must be an array');
	const n = symbols.length;
	if (n > MAX_FILE_SYMBOLS)
		throw rangeError(`at most ${MAX_FILE_SYMBOLS} symbols per file`);
	let hash = 0n;
	if (opts.contentHash !== undefined) {
		if (typeof opts.contentHash !== 'bigint' || opts.contentHash < 0n ||
		    opts.contentHash >= (1n << 64n))
			throw typeError('contentHash must be a 64-bit unsigned bigint');
		hash = opts.contentHash;
	}
	/* Upper bound: 3 UTF-8 bytes per UTF-16 unit. */
	let bound = 3 * path.length;
	for (let i = 0; i < n; i++) {
		const s = symbols[i];
		if (s === null || typeof s !== 'object')
			throw typeError(`symbols[${i}] must be an object`);
		if (typeof s.name !== 'string')
			throw typeError(`symbols[${i}].name must be a string`);
		bound += 3 * s.name.length;
		if (typeof s.container === 'string')
			bound += 3 * s.container.length;
		if (typeof s.detail === 'string')
			bound += 3 * s.detail.length;
	}
	const strBase = HDR + REC * n;
	const buf = bufFor(strBase + bound, sync);
	/* Records through a 32-bit view (bufFor's buffers are 8-aligned). */
	const u32 = LE && buf.byteOffset % 4 === 0 ?
		new Uint32Array(buf.buffer, buf.byteOffset, strBase >>> 2) : null;
	let so = buf.utf8Write(path, strBase); /* the path comes first */
	const pathLen = so;
	/* Distinct containers / details, as off + len * 2^32. */
	const seen = new Map();
	const shared = (str) => {
		let v = seen.get(str);
		if (v === undefined) {
			const len = buf.utf8Write(str, strBase + so);
			v = so + len * TWO32;
			so += len;
			seen.set(str, v);
		}
		return v;
	};
	for (let i = 0; i < n; i++) {
		const s = symbols[i];
		const r = HDR + REC * i;
		const nl = buf.utf8Write(s.name, strBase + so);
		/* An empty string's offset must be 0 (the engine says why). */
		const no = nl ? so : 0;
		so += nl;
		const c = optStr(s.container, 'container', i);
		const d = optStr(s.detail, 'detail', i);
		const cv = c === '' ? 0 : shared(c);
		const dv = d === '' ? 0 : shared(d);
		const line = posInt(s.line, 'line', i);
		const col = posInt(s.column, 'column', i);
		const eline = posInt(s.endLine, 'endLine', i);
		const ecol = posInt(s.endColumn, 'endColumn', i);
		const kind = kindOf(s.kind, i, true);
		if (u32 !== null) {
			const w = r >>> 2;
			u32[w] = no;
			u32[w + 1] = nl;
			u32[w + 2] = cv % TWO32;
			u32[w + 3] = Math.floor(cv / TWO32);
			u32[w + 4] = dv % TWO32;
			u32[w + 5] = Math.floor(dv / TWO32);
			u32[w + 6] = line;
			u32[w + 7] = col;
			u32[w + 8] = eline;
			u32[w + 9] = ecol;
			u32[w + 10] = kind; /* kind u16, flags u16 = 0 */
			u32[w + 11] = 0;
			continue;
		}
		buf.writeUInt32LE(no, r);
		buf.writeUInt32LE(nl, r + 4);
		buf.writeUInt32LE(cv % TWO32, r + 8);
		buf.writeUInt32LE(Math.floor(cv / TWO32), r + 12);
		buf.writeUInt32LE(dv % TWO32, r + 16);
		buf.writeUInt32LE(Math.floor(dv / TWO32), r + 20);
		buf.writeUInt32LE(line, r + 24);
		buf.writeUInt32LE(col, r + 28);
		buf.writeUInt32LE(eline, r + 32);
		buf.writeUInt32LE(ecol, r + 36);
		buf.writeUInt16LE(kind, r + 40);
		buf.writeUInt16LE(0, r + 42);
		buf.writeUInt32LE(0, r + 44);
	}
	buf.writeUInt32LE(FILE_MAGIC, 0);
	buf.writeUInt16LE(1, 4);
	buf.writeUInt16LE(0, 6);
	buf.writeUInt32LE(n, 8);
	buf.writeUInt32LE(so, 12);
	buf.writeUInt32LE(0, 16);
	buf.writeUInt32LE(pathLen, 20);
	buf.writeBigUInt64LE(hash, 24);
	return buf.subarray(0, strBase + so);
}

/* UTF-16 index of each byte offset in pos (increasing) into the UTF-8 name. */
function toUtf16(buf, start, end, pos) {
	const out = new Array(pos.length);
	let u = 0;
	let j = 0;
	for (let i = start; i < end && j < pos.length; i++) {
		while (j < pos.length && pos[j] === i - start)
			out[j++] = u;
		const b = buf[i];
		if ((b & 0xc0) !== 0x80)
			u += b >= 0xf0 ? 2 : 1;
	}
	while (j < pos.length)
		out[j++] = u;
	return out;
}

function decodeHits(buf, files) {
	if (buf.length < HDR || buf.readUInt32LE(0) !== RESULT_MAGIC ||
	    buf.readUInt16LE(4) !== 1)
		throw typeError('the engine returned a malformed query result');
	const count = buf.readUInt32LE(8);
	const posOff = buf.readUInt32LE(16);
	const strOff = buf.readUInt32LE(20);
	const out = new Array(count);
	let lastFileOff = -1;
	let lastFile = '';
	for (let i = 0; i < count; i++) {
		const h = HDR + HIT * i;
		const npos = buf.readUInt16LE(h + 6);
		const nameOff = strOff + buf.readUInt32LE(h + 8);
		const nameLen = buf.readUInt32LE(h + 12);
		const name = buf.utf8Slice(nameOff, nameOff + nameLen);
		const pi = posOff + 2 * buf.readUInt32LE(h + 56);
		let positions = new Array(npos);
		for (let k = 0; k < npos; k++)
			positions[k] = buf.readUInt16LE(pi + 2 * k);
		if (name.length !== nameLen)
			positions = toUtf16(buf, nameOff, nameOff + nameLen,
					    positions);
		const typo = (buf.readUInt32LE(h + 60) & 1) === 1;
		if (files) {
			out[i] = { file: name, score: buf.readInt32LE(h), positions };
			if (typo)
				out[i].typo = true;
			continue;
		}
		const fo = buf.readUInt32LE(h + 16);
		if (fo !== lastFileOff) {
			lastFileOff = fo;
			lastFile = buf.utf8Slice(strOff + fo, strOff + fo +
						 buf.readUInt32LE(h + 20));
		}
		const sym = {
			name,
			kind: KIND_NAMES[buf.readUInt16LE(h + 4)] || 'Variable',
			file: lastFile,
			line: buf.readUInt32LE(h + 40),
			column: buf.readUInt32LE(h + 44),
			endLine: buf.readUInt32LE(h + 48),
			endColumn: buf.readUInt32LE(h + 52),
		};
		const cl = buf.readUInt32LE(h + 28);
		if (cl) {
			const co = strOff + buf.readUInt32LE(h + 24);
			sym.container = buf.utf8Slice(co, co + cl);
		}
		const dl = buf.readUInt32LE(h + 36);
		if (dl) {
			const d = strOff + buf.readUInt32LE(h + 32);
			sym.detail = buf.utf8Slice(d, d + dl);
		}
		out[i] = { symbol: sym, score: buf.readInt32LE(h), positions };
		if (typo)
			out[i].typo = true;
	}
	return out;
}

/*
 * A query request: input = query text ‖ path prefix, arg[1] = limit |
 * mode << 16 | case << 20 | flags << 24 | prefix bytes << 32, arg[2] =
 * kind mask. Returns null for a blank query (answered [] without a call).
 */
function queryReq(q, opts, files) {
	if (typeof q !== 'string')
		throw typeError('query must be a string');
	const o = checkOpts(opts);
	let limit = 20;
	if (o.limit !== undefined) {
		if (typeof o.limit !== 'number' || !Number.isInteger(o.limit))
			throw typeError('limit must be an integer');
		if (o.limit < 1 || o.limit > 1000)
			throw rangeError('limit must be in [1, 1000]');
		limit = o.limit;
	}
	const mode = o.mode === undefined ? 0 : MODES[o.mode];
	if (mode === undefined || !Object.hasOwn(MODES, o.mode ?? 'fuzzy'))
		throw typeError("mode must be 'fuzzy', 'prefix' or 'exact'");
	const cs = o.case === undefined ? 0 : CASES[o.case];
	if (cs === undefined || !Object.hasOwn(CASES, o.case ?? 'smart'))
		throw typeError("case must be 'smart', 'ignore' or 'respect'");
	let kinds = 0;
	if (o.kinds !== undefined && o.kinds !== null) {
		if (!Array.isArray(o.kinds))
			throw typeError('kinds must be an array of kind names');
		for (const k of o.kinds) {
			const v = kindOf(k, 'kinds');
			if (v === 0)
				throw typeError(`kinds: unknown symbol kind ${
					JSON.stringify(k)}`);
			kinds |= 1 << v;
		}
	}
	const prefix = o.pathPrefix === undefined ? '' : o.pathPrefix;
	if (typeof prefix !== 'string')
		throw typeError('pathPrefix must be a string');
	if (o.typo !== undefined && typeof o.typo !== 'boolean')
		throw typeError('typo must be a boolean');
	if (q.trim() === '')
		return null;
	const plen = Buffer.byteLength(prefix, 'utf8');
	const flags = o.typo === false ? 1 : 0;
	return {
		input: plen ? q + prefix : q,
		args: [files ? CMD_QUERY_FILES : CMD_QUERY,
			limit + mode * 65536 + cs * 1048576 + flags * 16777216 +
			plen * TWO32, kinds >>> 0],
	};
}

const STATS = ['symbols', 'files', 'names', 'bytes', 'stringGarbage',
	'importFiles', 'importEdges'];
const WS = ['filesSeen', 'filesIndexed', 'filesUnchanged', 'filesRemoved',
	'symbols', 'errors', 'sandboxLayers', 'sandboxLayersMissing',
	'sandboxViolations'];

function u64s(buf, keys) {
	const o = {};
	keys.forEach((k, i) => {
		o[k] = Number(buf.readBigUInt64LE(8 * i));
	});
	return o;
}

function encodeImports(file, imports, sync) {
	checkPath('file', file);
	if (!Array.isArray(imports))
		throw typeError('imports must be an array of strings');
	let bound = 8 + 3 * file.length;
	for (let i = 0; i < imports.length; i++) {
		if (typeof imports[i] !== 'string' || imports[i] === '')
			throw typeError(`imports[${i}] must be a non-empty string`);
		bound += 4 + 3 * imports[i].length;
	}
	const buf = bufFor(bound, sync);
	const fl = buf.utf8Write(file, 8);
	buf.writeUInt32LE(fl, 0);
	buf.writeUInt32LE(imports.length, 4);
	let off = 8 + fl;
	for (const s of imports) {
		const l = buf.utf8Write(s, off + 4);
		buf.writeUInt32LE(l, off);
		off += 4 + l;
	}
	return buf.subarray(0, off);
}

function decodeImports(buf) {
	if (buf.length < 16 || buf.readUInt32LE(0) !== IMPORTS_MAGIC)
		throw typeError('the engine returned a malformed imports result');
	const n = buf.readUInt32LE(4);
	const so = buf.readUInt32LE(8);
	const out = new Array(n);
	for (let i = 0; i < n; i++) {
		const e = 16 + 16 * i;
		const off = so + buf.readUInt32LE(e);
		out[i] = {
			file: buf.utf8Slice(off, off + buf.readUInt32LE(e + 4)),
			depth: buf.readUInt32LE(e + 8),
		};
	}
	return out;
}

/*
 * Runs prep's request async (with the options' signal) or sync. Decoders
 * that copy everything out of the result ask for mode 'copy': the block
 * goes back to the engine at once instead of when V8 collects a view,
 * which in a loop of sync queries otherwise fills the result arena.
 */
function defPair(proto, name, optsAt, prep) {
	proto[name] = function (...a) {
		let r;
		let signal;
		try {
			signal = checkOpts(a[optsAt]).signal;
			r = prep.call(this, a, false);
		} catch (e) {
			return Promise.reject(e);
		}
		if (r.value !== undefined)
			return Promise.resolve(r.value);
		const p = this.engine.call(OP, r.input, { args: r.args,
			result: r.mode, signal, onProgress: r.onProgress });
		return r.decode ? p.then(r.decode) : p;
	};
	proto[name + 'Sync'] = function (...a) {
		const r = prep.call(this, a, true);
		if (r.value !== undefined)
			return r.value;
		const v = this.engine.callSync(OP, r.input, { args: r.args,
			result: r.mode });
		return r.decode ? r.decode(v) : v;
	};
}

/* eng.symbols */
class Symbols {
	constructor(eng) {
		this.engine = eng;
	}
}

const SP = Symbols.prototype;

/*
 * upsertFile(path, symbols, {contentHash}) -> symbols now held for the file.
 * Replaces every symbol of the file; the symbols' own `file` fields are
 * ignored (the path names the file).
 */
defPair(SP, 'upsertFile', 2, function ([path, symbols, opts], sync) {
	const o = checkOpts(opts);
	return { input: encodeUpsert(path, symbols, o, sync), args: [CMD_UPSERT],
		 mode: 'none' };
});

/*
 * removeFile(path, {imports = false}) -> true when the file was known
 * (unknown: false, a no-op). imports: true also drops its import edges.
 */
defPair(SP, 'removeFile', 1, function ([path, opts]) {
	checkPath('path', path);
	const o = checkOpts(opts);
	return { input: path, args: [CMD_REMOVE, o.imports ? 1 : 0],
		 mode: 'none', decode: (r) => r === 1 };
});

/*
 * query(q, {limit = 20, kinds, pathPrefix, mode = 'fuzzy', case = 'smart',
 * typo = true}) -> [{symbol, score, positions, typo?}], best first. A blank
 * query returns [].
 */
defPair(SP, 'query', 1, function ([q, opts]) {
	const r = queryReq(q, opts, false);
	if (r === null)
		return { value: [] };
	return { input: r.input, args: r.args, mode: 'copy',
		 decode: (b) => decodeHits(b, false) };
});

/* queryFiles(q, opts) -> [{file, score, positions}]: the file finder. */
defPair(SP, 'queryFiles', 1, function ([q, opts]) {
	const r = queryReq(q, opts, true);
	if (r === null)
		return { value: [] };
	return { input: r.input, args: r.args, mode: 'copy',
		 decode: (b) => decodeHits(b, true) };
});

/* stats() -> {symbols, files, names, bytes, stringGarbage, importFiles, importEdges}. */
defPair(SP, 'stats', 0, function () {
	return { input: undefined, args: [CMD_STATS], mode: 'copy',
		 decode: (b) => u64s(b, STATS) };
});

/* save(path): snapshot (path.tmp, fsync, rename). */
defPair(SP, 'save', 1, function ([path]) {
	checkPath('path', path);
	return { input: path, args: [CMD_SAVE], mode: 'none',
		 decode: () => undefined };
});

/* load(path) -> files loaded. The index must be empty. */
defPair(SP, 'load', 1, function ([path]) {
	checkPath('path', path);
	return { input: path, args: [CMD_LOAD], mode: 'none' };
});

/*
 * indexWorkspace(root, {onProgress(done, total), signal}) -> {filesSeen,
 * filesIndexed, filesUnchanged, filesRemoved, symbols, errors,
 * sandboxLayers, sandboxLayersMissing, sandboxViolations}: walks root
 * (honouring .gitignore), runs universal-ctags under the sandbox on changed
 * files, upserts. sandbox* are the sandbox layer bits (sandbox.h
 * ACCEL_SANDBOX_L_*) ctags ran under and lacked, and the syscalls it was
 * denied. Progress arrives per batch of files (lossy: some may be skipped).
 */
defPair(SP, 'indexWorkspace', 1, function ([root, opts]) {
	checkPath('root', root);
	const o = checkOpts(opts);
	if (o.onProgress !== undefined && typeof o.onProgress !== 'function')
		throw typeError('onProgress must be a function');
	const cb = o.onProgress;
	return {
		input: root, args: [CMD_INDEX], mode: 'copy',
		onProgress: cb && ((res, v) => {
			if (v && v.length >= 16)
				cb(Number(v.readBigUInt64LE(0)),
				   Number(v.readBigUInt64LE(8)));
		}),
		decode: (b) => u64s(b, WS),
	};
});

/* eng.imports: the import graph. */
class Imports {
	constructor(eng) {
		this.engine = eng;
	}
}

const IP = Imports.prototype;

/* set(file, imports) -> distinct imports now recorded for file. */
defPair(IP, 'set', 2, function ([file, imports], sync) {
	return { input: encodeImports(file, imports, sync),
		 args: [CMD_IMPORTS_SET], mode: 'none' };
});

/* remove(file): drops the file's own imports (it stays a target of others). */
defPair(IP, 'remove', 1, function ([file], sync) {
	return { input: encodeImports(file, [], sync),
		 args: [CMD_IMPORTS_SET], mode: 'none',
		 decode: () => undefined };
});

function walk(which) {
	return function ([file, opts]) {
		checkPath('file', file);
		const o = checkOpts(opts);
		let depth = 1;
		if (o.transitive === true)
			depth = 0;
		if (o.depth !== undefined) {
			if (!Number.isInteger(o.depth) || o.depth < 0 ||
			    o.depth > 0xffffff)
				throw typeError('depth must be an integer in ' +
						'[0, 16777215] (0: unlimited)');
			depth = o.depth;
		}
		if (which === WHICH.cycle)
			depth = 0;
		return { input: file, args: [CMD_IMPORTS_QUERY,
			which + depth * 256], mode: 'copy',
			decode: decodeImports };
	};
}

/*
 * dependencies / dependents(file, {transitive = false, depth}) ->
 * [{file, depth}] breadth-first (depth 1 = direct; transitive walks
 * everything, or up to depth). An unknown file gives [].
 */
defPair(IP, 'dependencies', 1, walk(WHICH.dependencies));
defPair(IP, 'dependents', 1, walk(WHICH.dependents));
/* cycles(file) -> [{file, depth}]: the other files on an import cycle with it. */
defPair(IP, 'cycles', 1, walk(WHICH.cycle));

function install(Engine) {
	Object.defineProperty(Engine.prototype, 'symbols', {
		get: facade(new WeakMap(), Symbols), configurable: true });
	Object.defineProperty(Engine.prototype, 'imports', {
		get: facade(new WeakMap(), Imports), configurable: true });
}

module.exports = { install, KIND_NAMES, kindOf, Symbols, Imports };
