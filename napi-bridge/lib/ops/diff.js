'use strict';
/*
 * The JS surface of the diff ops (engine/ops/diff.c, diff_words.c,
 * apply_patch.c, merge3.c; layouts in diff/diff.h and docs/diff.md):
 * eng.diff / diffWords / applyPatch / merge3 and their Sync twins.
 *
 * Each method checks its arguments (TypeError, code ERR_INVALID_ARG_TYPE or
 * ERR_INVALID_ARG_VALUE: async methods reject, sync ones throw), packs the
 * inputs into one request (the ops take concatenations, lengths in arg[]),
 * runs the generic call()/callSync() and decodes the binary result.
 *
 * Units at the edge: line numbers are 1-based; offsets of diffWords are
 * UTF-16 code units when both inputs were strings, bytes otherwise.
 */

const { typeError } = require('../argerr');
const { checkData, bytesOf, byteLen } = require('./common');
const ALGORITHMS = { myers: 0, minimal: 1, patience: 2, histogram: 3 };
const WS = { all: 1 << 0, amount: 1 << 1, eol: 1 << 2 };
const F_IGNORE_CR_EOL = 1 << 3;
const F_IGNORE_BLANK_LINES = 1 << 4;
const F_INDENT_HEURISTIC = 1 << 5;
const F_FORCE_TEXT = 1 << 6;
const F_NO_TEXT = 1 << 7;
const F_FUNCNAME = 1 << 9;

const MAX_INPUT = 0xfffffff0; /* ACCEL_DIFF_MAX_INPUT */
const HUNKS_MAGIC = 0x31484441; /* "ADH1" */
const WORDS_MAGIC = 0x31574441; /* "ADW1" */
const PATCH_MAGIC = 0x31504441; /* "ADP1" */
const HUNK_STATUS = ['applied', 'offset', 'fuzz', 'rejected', 'already'];
const MERGE_STYLES = { merge: 0, diff3: 1 };
const MERGE_FAVOR = { none: 0, ours: 1, theirs: 2, union: 3 };
const NL = 0x0a;
const TWO32 = 2 ** 32;

/* Concatenates parts (strings or bytes) into one Buffer; returns the lengths. */
function pack(parts) {
	const lens = parts.map(byteLen);
	let total = 0;
	for (const l of lens)
		total += l;
	const buf = Buffer.allocUnsafe(total);
	let off = 0;
	for (let i = 0; i < parts.length; i++) {
		const p = parts[i];
		if (typeof p === 'string')
			off += buf.write(p, off, 'utf8');
		else
			off += bytesOf(p).copy(buf, off);
	}
	return { buf, lens };
}

function checkInt(name, v, min, max) {
	if (v !== undefined && (!Number.isInteger(v) || v < min || v > max))
		throw typeError(`${name} must be an integer in [${min}, ${max}]`,
			v !== undefined && typeof v !== 'number' ?
				'ERR_INVALID_ARG_TYPE' : 'ERR_OUT_OF_RANGE');
}

function checkOneOf(name, v, table) {
	if (v !== undefined && !Object.hasOwn(table, v))
		throw typeError(`${name} must be one of ` +
			Object.keys(table).map((k) => `'${k}'`).join(', '),
			'ERR_INVALID_ARG_VALUE');
}

function checkBool(name, v) {
	if (v !== undefined && typeof v !== 'boolean')
		throw typeError(`${name} must be a boolean`);
}

function checkOptsObject(opts) {
	if (opts === null || typeof opts !== 'object')
		throw typeError('options must be an object');
}

function checkSignal(opts) {
	if (opts.signal !== undefined && !(opts.signal instanceof AbortSignal))
		throw typeError('signal must be an AbortSignal');
}

/* ---- diff ---- */

/* Packs a diff request: { input, args, a, b, format, strings }. */
function diffRequest(a, b, opts) {
	checkData('a', a);
	checkData('b', b);
	checkOptsObject(opts);
	checkOneOf('algorithm', opts.algorithm, ALGORITHMS);
	checkOneOf('ignoreWhitespace', opts.ignoreWhitespace, WS);
	checkOneOf('format', opts.format, { unified: 1, hunks: 1 });
	checkInt('context', opts.context, 0, 0xfffe);
	checkInt('interhunk', opts.interhunk, 0, 0xff);
	checkBool('ignoreBlankLines', opts.ignoreBlankLines);
	checkBool('ignoreCrAtEol', opts.ignoreCrAtEol);
	checkBool('indentHeuristic', opts.indentHeuristic);
	checkBool('text', opts.text);
	checkBool('funcname', opts.funcname);
	for (const k of ['aPath', 'bPath'])
		if (opts[k] !== undefined &&
		    (typeof opts[k] !== 'string' || opts[k] === ''))
			throw typeError(`${k} must be a non-empty string`);
	const format = opts.format ?? 'unified';
	let flags = 0;
	if (opts.ignoreWhitespace !== undefined)
		flags |= WS[opts.ignoreWhitespace];
	if (opts.ignoreCrAtEol)
		flags |= F_IGNORE_CR_EOL;
	if (opts.ignoreBlankLines)
		flags |= F_IGNORE_BLANK_LINES;
	if (opts.indentHeuristic)
		flags |= F_INDENT_HEURISTIC;
	if (opts.text)
		flags |= F_FORCE_TEXT;
	if (opts.funcname)
		flags |= F_FUNCNAME;
	if (format === 'hunks')
		flags |= F_NO_TEXT;
	/* The op wants both paths or none: one given names both sides. */
	const ap = opts.aPath ?? opts.bPath, bp = opts.bPath ?? opts.aPath;
	const parts = ap === undefined ? [a, b] : [a, b, ap, bp];
	const { buf, lens } = pack(parts);
	if (lens[0] > MAX_INPUT || lens[1] > MAX_INPUT)
		throw typeError('diff inputs must be smaller than 4 GiB',
			'ERR_OUT_OF_RANGE');
	const algo = ALGORITHMS[opts.algorithm ?? 'myers'];
	const ctx = opts.context === undefined ? 0 : opts.context + 1;
	const args = [
		BigInt(lens[0]) | BigInt(lens[1]) << 32n,
		ap === undefined ? 0 : BigInt(lens[2]) | BigInt(lens[3]) << 32n,
		BigInt((algo | ctx << 8 | (opts.interhunk ?? 0) << 24) >>> 0) |
			BigInt(flags) << 32n,
	];
	return {
		input: buf,
		args,
		format,
		a: buf.subarray(0, lens[0]),
		b: buf.subarray(lens[0], lens[0] + lens[1]),
	};
}

function u64(buf, off) {
	return buf.readUInt32LE(off) + buf.readUInt32LE(off + 4) * TWO32;
}

function checkHunkBuffer(buf) {
	if (buf.length < 64 || buf.readUInt32LE(0) !== HUNKS_MAGIC)
		throw new Error('diff: result is not a hunk buffer (ADH1)');
}

/*
 * The structured result (format 'hunks'): a view of the op's hunk buffer
 * plus the two inputs. Nothing is decoded until it is read: hunk(i),
 * edit(i) and the iterators read fixed-width records from the view, and a
 * hunk's `lines` are cut from the inputs only when asked for.
 */
class DiffHunks {
	#buf;
	#a;
	#b;
	constructor(buf, a, b) {
		checkHunkBuffer(buf);
		this.#buf = buf;
		this.#a = a;
		this.#b = b;
	}
	get binary() { return (this.#buf.readUInt32LE(8) & 1) === 1; }
	get context() { return this.#buf.readUInt32LE(12); }
	get editCount() { return this.#buf.readUInt32LE(16); }
	get length() { return this.#buf.readUInt32LE(20); }
	get added() { return u64(this.#buf, 32); }
	get removed() { return u64(this.#buf, 40); }
	get oldLineCount() { return this.#buf.readUInt32LE(48); }
	get newLineCount() { return this.#buf.readUInt32LE(52); }
	/** The raw hunk buffer (layout in docs/diff.md). */
	get buffer() { return this.#buf; }

	/* Edit i: a maximal block of removed and/or added lines. */
	edit(i) {
		if (!Number.isInteger(i) || i < 0 || i >= this.editCount)
			throw new RangeError(`edit index ${i} out of range`);
		const o = this.#buf.readUInt32LE(24) + 32 * i, v = this.#buf;
		return {
			oldStart: v.readUInt32LE(o) + 1,
			oldLines: v.readUInt32LE(o + 4),
			newStart: v.readUInt32LE(o + 8) + 1,
			newLines: v.readUInt32LE(o + 12),
			oldByteOffset: v.readUInt32LE(o + 16),
			oldByteLength: v.readUInt32LE(o + 20),
			newByteOffset: v.readUInt32LE(o + 24),
			newByteLength: v.readUInt32LE(o + 28),
		};
	}

	hunk(i) {
		if (!Number.isInteger(i) || i < 0 || i >= this.length)
			throw new RangeError(`hunk index ${i} out of range`);
		return new DiffHunk(this, this.#buf,
			this.#buf.readUInt32LE(28) + 32 * i, this.#a, this.#b);
	}

	*edits() {
		for (let i = 0, n = this.editCount; i < n; i++)
			yield this.edit(i);
	}

	*[Symbol.iterator]() {
		for (let i = 0, n = this.length; i < n; i++)
			yield this.hunk(i);
	}

	toArray() { return Array.from(this); }
}

/* Byte offset of the start of the line after the one starting at p. */
function nextLine(buf, p) {
	const nl = buf.indexOf(NL, p);
	return nl < 0 ? buf.length : nl + 1;
}

/* Byte offset of the start of the line before the one starting at p > 0. */
function prevLine(buf, p) {
	return p < 2 ? 0 : buf.lastIndexOf(NL, p - 2) + 1;
}

function lineObj(type, buf, s, e, oldNo, newNo) {
	const hasNl = e > s && buf[e - 1] === NL;
	const l = { type, content: buf.toString('utf8', s, hasNl ? e - 1 : e) };
	if (oldNo)
		l.oldLineNo = oldNo;
	if (newNo)
		l.newLineNo = newNo;
	if (!hasNl)
		l.noNewline = true;
	return l;
}

/*
 * One hunk. Starts are 1-based like jsdiff's structuredPatch (an empty
 * range names the line it would start at; the unified text writes the line
 * before it, as diff does). `lines` are cut from the inputs on first read:
 * removed lines from the old text, context and added lines from the new one
 * (as git writes them), without their '\n'; noNewline marks a last line
 * that has none.
 */
class DiffHunk {
	#owner;
	#buf;
	#a;
	#b;
	#lines = null;
	constructor(owner, buf, o, a, b) {
		this.#owner = owner;
		this.#buf = buf;
		this.#a = a;
		this.#b = b;
		this.oldStart = buf.readUInt32LE(o) + 1;
		this.oldLines = buf.readUInt32LE(o + 4);
		this.newStart = buf.readUInt32LE(o + 8) + 1;
		this.newLines = buf.readUInt32LE(o + 12);
		this.firstEdit = buf.readUInt32LE(o + 16);
		this.editCount = buf.readUInt32LE(o + 20);
	}

	get lines() {
		if (this.#lines === null)
			this.#lines = this.#decode();
		return this.#lines;
	}

	#decode() {
		const a = this.#a, b = this.#b, out = [];
		const e0 = this.#owner.edit(this.firstEdit);
		let oldNo = this.oldStart, newNo = this.newStart;
		/* Walk back from the first edit to the hunk's first line in b. */
		let p = e0.newByteOffset;
		for (let k = e0.newStart - newNo; k > 0; k--)
			p = prevLine(b, p);
		const context = (untilNew) => {
			while (newNo < untilNew) {
				const e = nextLine(b, p);
				out.push(lineObj('context', b, p, e, oldNo++, newNo++));
				p = e;
			}
		};
		for (let i = 0; i < this.editCount; i++) {
			const ed = i ? this.#owner.edit(this.firstEdit + i) : e0;
			context(ed.newStart);
			let q = ed.oldByteOffset;
			for (let k = 0; k < ed.oldLines; k++) {
				const e = nextLine(a, q);
				out.push(lineObj('remove', a, q, e, oldNo++, 0));
				q = e;
			}
			p = ed.newByteOffset;
			for (let k = 0; k < ed.newLines; k++) {
				const e = nextLine(b, p);
				out.push(lineObj('add', b, p, e, 0, newNo++));
				p = e;
			}
		}
		context(this.newStart + this.newLines);
		return out;
	}
}

function decodeDiff(req, r) {
	const data = r.data || Buffer.alloc(0);
	if (req.format === 'hunks')
		return new DiffHunks(data, req.a, req.b);
	checkHunkBuffer(data);
	return {
		text: data.toString('utf8', r.res),
		added: u64(data, 32),
		removed: u64(data, 40),
		hunks: data.readUInt32LE(20),
		binary: (data.readUInt32LE(8) & 1) === 1,
	};
}

/* ---- diffWords ---- */

/*
 * Converts increasing byte offsets of a UTF-8 buffer into UTF-16 offsets of
 * the string it encodes, walking the bytes once.
 */
class Utf16Cursor {
	constructor(buf) {
		this.buf = buf;
		this.byte = 0;
		this.unit = 0;
	}
	to(off) {
		const buf = this.buf;
		if (off < this.byte) {
			this.byte = 0;
			this.unit = 0;
		}
		let i = this.byte, u = this.unit;
		for (; i < off; i++) {
			const c = buf[i];
			if ((c & 0xc0) !== 0x80)
				u += c >= 0xf0 ? 2 : 1;
		}
		this.byte = i;
		this.unit = u;
		return u;
	}
}

function wordsRequest(a, b, opts) {
	checkData('a', a);
	checkData('b', b);
	checkOptsObject(opts);
	checkOneOf('mode', opts.mode, { words: 1, chars: 1 });
	const { buf, lens } = pack([a, b]);
	if (lens[0] > MAX_INPUT || lens[1] > MAX_INPUT)
		throw typeError('diff inputs must be smaller than 4 GiB',
			'ERR_OUT_OF_RANGE');
	return {
		input: buf,
		args: [BigInt(lens[0]) | BigInt(lens[1]) << 32n,
			opts.mode === 'chars' ? 1 : 0],
		strings: typeof a === 'string' && typeof b === 'string',
		a: typeof a === 'string' ? a : buf.subarray(0, lens[0]),
		b: typeof b === 'string' ? b : buf.subarray(lens[0]),
		ab: buf.subarray(0, lens[0]),
		bb: buf.subarray(lens[0]),
	};
}

/*
 * A word diff: `edits` are ranges of a replaced by ranges of b, in order
 * ({aStart, aEnd, bStart, bEnd}; UTF-16 units for string inputs, bytes
 * otherwise); `changes` is the jsdiff-style list of parts
 * ({value, added, removed}) built on first read.
 */
class WordDiff {
	#req;
	#changes = null;
	constructor(req, buf) {
		if (buf.length < 16 || buf.readUInt32LE(0) !== WORDS_MAGIC)
			throw new Error('diffWords: result is not a words buffer');
		const n = buf.readUInt32LE(4);
		const ca = req.strings ? new Utf16Cursor(req.ab) : null;
		const cb = req.strings ? new Utf16Cursor(req.bb) : null;
		const conv = (c, x) => (c ? c.to(x) : x);
		const edits = new Array(n);
		let aChanged = 0, bChanged = 0;
		for (let i = 0, o = 16; i < n; i++, o += 16) {
			const ao = buf.readUInt32LE(o), al = buf.readUInt32LE(o + 4);
			const bo = buf.readUInt32LE(o + 8), bl = buf.readUInt32LE(o + 12);
			const e = {
				aStart: conv(ca, ao), aEnd: conv(ca, ao + al),
				bStart: conv(cb, bo), bEnd: conv(cb, bo + bl),
			};
			aChanged += e.aEnd - e.aStart;
			bChanged += e.bEnd - e.bStart;
			edits[i] = e;
		}
		this.edits = edits;
		this.aChanged = aChanged;
		this.bChanged = bChanged;
		this.#req = req;
	}

	get changes() {
		if (this.#changes === null)
			this.#changes = this.#build();
		return this.#changes;
	}

	#build() {
		const { a, b } = this.#req;
		const str = (s, x, y) => (typeof s === 'string' ? s.slice(x, y) :
			s.toString('utf8', x, y));
		const len = (s) => s.length;
		const out = [];
		let pa = 0;
		for (const e of this.edits) {
			if (e.aStart > pa)
				out.push({ value: str(a, pa, e.aStart), added: false,
					removed: false });
			if (e.aEnd > e.aStart)
				out.push({ value: str(a, e.aStart, e.aEnd), added: false,
					removed: true });
			if (e.bEnd > e.bStart)
				out.push({ value: str(b, e.bStart, e.bEnd), added: true,
					removed: false });
			pa = e.aEnd;
		}
		if (pa < len(a))
			out.push({ value: str(a, pa, len(a)), added: false,
				removed: false });
		return out;
	}
}

/* ---- applyPatch ---- */

function applyRequest(text, patch, opts) {
	checkData('text', text);
	checkData('patch', patch);
	checkOptsObject(opts);
	checkInt('fuzz', opts.fuzz, 0, 999);
	checkInt('file', opts.file, 0, 0xffffffff);
	checkBool('reverse', opts.reverse);
	checkBool('ignoreWhitespace', opts.ignoreWhitespace);
	checkBool('exactLine', opts.exactLine);
	const { buf, lens } = pack([text, patch]);
	if (lens[0] > MAX_INPUT || lens[1] > MAX_INPUT)
		throw typeError('inputs must be smaller than 4 GiB',
			'ERR_OUT_OF_RANGE');
	const flags = (opts.reverse ? 1 : 0) | (opts.ignoreWhitespace ? 2 : 0) |
		(opts.exactLine ? 4 : 0);
	return {
		input: buf,
		args: [BigInt(lens[0]) | BigInt(lens[1]) << 32n,
			BigInt(opts.file ?? 0) | BigInt(flags) << 32n,
			opts.fuzz === undefined ? 0 : opts.fuzz + 1],
		string: typeof text === 'string',
	};
}

/*
 * Decodes everything out of the result (strings, copies), so applyPatch asks
 * for mode 'copy': the block goes back to the engine at once, not when V8
 * collects a view (a loop of sync calls otherwise fills the result arena).
 */
function decodeApply(req, buf, lib) {
	if (!buf || buf.length < 32 || buf.readUInt32LE(0) !== PATCH_MAGIC)
		throw new Error('applyPatch: result is not an ADP1 buffer');
	const status = buf.readInt32LE(4);
	const toff = buf.readUInt32LE(16), tlen = buf.readUInt32LE(20);
	if (status < 0) {
		const line = buf.readUInt32LE(24);
		const msg = buf.toString('utf8', toff, toff + tlen);
		const err = lib.accelError(status,
			line ? `line ${line}: ${msg.replace(/^line \d+: /, '')}` : msg);
		err.line = line;
		throw err;
	}
	const n = buf.readUInt32LE(8), hunks = new Array(n);
	for (let i = 0, o = 32; i < n; i++, o += 16) {
		const st = buf.readUInt32LE(o);
		hunks[i] = {
			status: HUNK_STATUS[st] ?? `unknown(${st})`,
			offset: buf.readInt32LE(o + 4),
			fuzz: buf.readUInt32LE(o + 8),
			line: buf.readUInt32LE(o + 12),
		};
	}
	return {
		text: req.string ? buf.toString('utf8', toff, toff + tlen) :
			Buffer.from(buf.subarray(toff, toff + tlen)),
		hunks,
		rejected: buf.readUInt32LE(12),
		files: buf.readUInt32LE(28),
	};
}

/* ---- merge3 ---- */

function mergeRequest(base, ours, theirs, opts) {
	checkData('base', base);
	checkData('ours', ours);
	checkData('theirs', theirs);
	checkOptsObject(opts);
	checkOneOf('style', opts.style, MERGE_STYLES);
	checkOneOf('favor', opts.favor, MERGE_FAVOR);
	checkOneOf('algorithm', opts.algorithm, ALGORITHMS);
	checkOneOf('ignoreWhitespace', opts.ignoreWhitespace, WS);
	checkInt('markerSize', opts.markerSize, 1, 255);
	const labels = opts.labels ?? {};
	if (labels === null || typeof labels !== 'object')
		throw typeError('labels must be an object {ours, base, theirs}');
	for (const k of ['ours', 'base', 'theirs'])
		if (labels[k] !== undefined && typeof labels[k] !== 'string')
			throw typeError(`labels.${k} must be a string`);
	const parts = [base, ours, theirs, labels.ours ?? '', labels.base ?? '',
		labels.theirs ?? ''];
	const { buf, lens } = pack(parts);
	for (let i = 0; i < 3; i++)
		if (lens[i] > MAX_INPUT)
			throw typeError('merge inputs must be smaller than 4 GiB',
				'ERR_OUT_OF_RANGE');
	for (let i = 3; i < 6; i++)
		if (lens[i] > 0xffff)
			throw typeError('labels must be shorter than 64 KiB',
				'ERR_OUT_OF_RANGE');
	const ws = opts.ignoreWhitespace === undefined ? 0 :
		WS[opts.ignoreWhitespace];
	const a2 = (MERGE_STYLES[opts.style ?? 'merge'] |
		MERGE_FAVOR[opts.favor ?? 'none'] << 4 |
		(opts.markerSize ?? 0) << 8 |
		ALGORITHMS[opts.algorithm ?? 'myers'] << 16) >>> 0;
	return {
		input: buf,
		args: [BigInt(lens[0]) | BigInt(lens[1]) << 32n,
			BigInt(lens[2]) | BigInt(lens[3]) << 32n |
				BigInt(lens[5]) << 48n,
			BigInt(a2) | BigInt(lens[4]) << 32n | BigInt(ws) << 48n],
		string: typeof base === 'string',
	};
}

function decodeMerge(req, r) {
	const d = r.data;
	return {
		text: req.string ? (d ? d.toString('utf8') : '') :
			(d ? Buffer.from(d) : Buffer.alloc(0)),
		conflicts: r.res,
	};
}

/* ---- install ---- */

/* Runs a request builder; a TypeError becomes a rejection for async forms. */
function asyncCall(fn) {
	try {
		return fn();
	} catch (e) {
		return Promise.reject(e);
	}
}

function install(Engine, lib) {
	const P = Engine.prototype;

	P.diff = function diff(a, b, opts = {}) {
		return asyncCall(() => {
			const req = diffRequest(a, b, opts);
			checkSignal(opts);
			return this.call('diff', req.input, { args: req.args,
				result: 'raw', signal: opts.signal })
				.then((r) => decodeDiff(req, r));
		});
	};
	P.diffSync = function diffSync(a, b, opts = {}) {
		const req = diffRequest(a, b, opts);
		return decodeDiff(req, this.callSync('diff', req.input,
			{ args: req.args, result: 'raw' }));
	};

	P.diffWords = function diffWords(a, b, opts = {}) {
		return asyncCall(() => {
			const req = wordsRequest(a, b, opts);
			checkSignal(opts);
			return this.call('diff_words', req.input, { args: req.args,
				result: 'buffer', signal: opts.signal })
				.then((buf) => new WordDiff(req, buf));
		});
	};
	P.diffWordsSync = function diffWordsSync(a, b, opts = {}) {
		const req = wordsRequest(a, b, opts);
		return new WordDiff(req, this.callSync('diff_words', req.input,
			{ args: req.args, result: 'buffer' }));
	};

	P.applyPatch = function applyPatch(text, patch, opts = {}) {
		return asyncCall(() => {
			const req = applyRequest(text, patch, opts);
			checkSignal(opts);
			return this.call('apply_patch', req.input, { args: req.args,
				result: 'copy', signal: opts.signal })
				.then((buf) => decodeApply(req, buf, lib));
		});
	};
	P.applyPatchSync = function applyPatchSync(text, patch, opts = {}) {
		const req = applyRequest(text, patch, opts);
		return decodeApply(req, this.callSync('apply_patch', req.input,
			{ args: req.args, result: 'copy' }), lib);
	};

	P.merge3 = function merge3(base, ours, theirs, opts = {}) {
		return asyncCall(() => {
			const req = mergeRequest(base, ours, theirs, opts);
			checkSignal(opts);
			return this.call('merge3', req.input, { args: req.args,
				result: 'raw', signal: opts.signal })
				.then((r) => decodeMerge(req, r));
		});
	};
	P.merge3Sync = function merge3Sync(base, ours, theirs, opts = {}) {
		const req = mergeRequest(base, ours, theirs, opts);
		return decodeMerge(req, this.callSync('merge3', req.input,
			{ args: req.args, result: 'raw' }));
	};
}

module.exports = { install, DiffHunks, DiffHunk, WordDiff };
