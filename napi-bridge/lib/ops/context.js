'use strict';
/*
 * The JS surface of the context ops (engine/ops/context.c, op 64; and
 * engine/ops/eventlog.c, op 65; wire layouts in docs/context.md):
 *
 *   eng.compress / decompress          zstd frames (levels, checksums, dicts)
 *   eng.trainDictionary / loadDictionary  a Dictionary loaded once in the engine
 *   eng.store.put / get / has / delete / stats  content-addressed blocks
 *   eng.compact / applyPlan            the budget-driven compaction plan
 *   eng.selectRecent                   keep-up's compressContext selection
 *   eng.eventlog.open -> Journal       keep-up's StorageEngine
 *
 * Every async method takes {signal} and has a ...Sync twin that runs on the
 * calling thread. Arguments are checked here: bad ones are TypeErrors
 * (RangeErrors for numbers out of range); async methods reject with them,
 * sync ones throw. Failures of the op are AccelErrors with stable codes
 * (EACCEL_ZSTD_CORRUPT, EACCEL_COMPACT_PINNED, ...).
 *
 * Offsets into JS strings: the engine works on UTF-8 bytes; plan entries of
 * string messages also carry `head` / `tailStart` in UTF-16 units (JS string
 * indices), converted here.
 */

const { typeError, rangeError } = require('../argerr');
const { isBytes, checkData, bytesOf, byteLen, facade } = require('./common');
const OP_CONTEXT = 'context';
const OP_EVENTLOG = 'eventlog';

/* context sub-commands (arg[0] bits 0-7). */
const C_COMPRESS = 1;
const C_DECOMPRESS = 2;
const C_DICT_TRAIN = 3;
const C_DICT_LOAD = 4;
const C_DICT_FREE = 5;
const C_PUT = 6;
const C_GET = 7;
const C_HAS = 8;
const C_DELETE = 9;
const C_STATS = 10;
const C_COMPACT = 11;
const C_SELECT = 12;

/* eventlog sub-commands. */
const J_OPEN = 1;
const J_CLOSE = 2;
const J_APPEND = 3;
const J_REPLAY = 4;
const J_PRUNE = 5;
const J_SAVE = 6;
const J_LOAD = 7;
const J_DELETE = 8;

const ZF_NO_CHECKSUM = 1;
const TWO32 = 4294967296;
const CREQ_MAGIC = 0x51455243;
const PLAN_MAGIC = 0x4e4c5043;
const NO_INDEX = 0xffffffff;
const ENCODINGS = { cl100k_base: 1, o200k_base: 2 };
const ROLES = { system: 0, user: 1, assistant: 2, tool: 3 };
const KINDS = { text: 0, tool_call: 1, tool_output: 2 };
const ACTIONS = ['keep', 'drop', 'truncate', 'dedup'];
const MSG_PINNED = 1;
const MSG_HAS_KEY = 2;
const MSG_NO_TRUNC = 4;
const DEFAULT_MARKER = '\n[...]\n';
/* A replay record's flag: the op stopped early, ask again from seq + 1. */
const REPLAY_F_MORE = 1;

function checkOpts(opts) {
	if (opts === undefined)
		return {};
	if (opts === null || typeof opts !== 'object')
		throw typeError('options must be an object');
	return opts;
}

function checkInt(name, v, min, max, dflt) {
	if (v === undefined)
		return dflt;
	if (typeof v !== 'number' || !Number.isInteger(v))
		throw typeError(`${name} must be an integer`);
	if (v < min || v > max)
		throw rangeError(`${name} must be in [${min}, ${max}]`);
	return v;
}

function checkSeq(name, v) {
	if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0)
		return BigInt(v);
	if (typeof v === 'bigint' && v >= 0n && v < (1n << 64n))
		return v;
	throw typeError(`${name} must be a non-negative integer or bigint`);
}

function encodingId(v) {
	if (v === undefined)
		return ENCODINGS.o200k_base;
	if (typeof v !== 'string' || !Object.hasOwn(ENCODINGS, v))
		throw typeError("encoding must be 'cl100k_base' or 'o200k_base'");
	return ENCODINGS[v];
}

/*
 * Runs one request described by prep(): async rejects with its argument
 * errors, sync throws them. prep returns {op, input, args, mode, decode}.
 */
function runAsync(eng, signal, prep) {
	let r;
	try {
		r = prep();
	} catch (e) {
		return Promise.reject(e);
	}
	const p = eng.call(r.op, r.input, { args: r.args, result: r.mode,
					    signal });
	return r.decode ? p.then(r.decode, r.fail) :
		(r.fail ? p.catch(r.fail) : p);
}

function runSync(eng, prep) {
	const r = prep();
	let v;
	try {
		v = eng.callSync(r.op, r.input, { args: r.args, result: r.mode });
	} catch (e) {
		if (r.fail)
			return r.fail(e);
		throw e;
	}
	return r.decode ? r.decode(v) : v;
}

function signalOf(opts) {
	if (opts.signal !== undefined && !(opts.signal instanceof AbortSignal))
		throw typeError('signal must be an AbortSignal');
	return opts.signal;
}

/* Defines name (async) and nameSync on obj from one prep(...args). */
function pair(obj, name, prep, optsAt) {
	obj[name] = function (...a) {
		let signal;
		try {
			signal = signalOf(checkOpts(a[optsAt]));
		} catch (e) {
			return Promise.reject(e);
		}
		return runAsync(this.engine || this, signal,
				() => prep.apply(this, a));
	};
	obj[name + 'Sync'] = function (...a) {
		return runSync(this.engine || this, () => prep.apply(this, a));
	};
}

/* -------------------------------------------------------- dictionaries */

const dictOwner = new WeakMap(); /* Dictionary -> engine */
/* Frees the engine's copy when a Dictionary is collected without free(). */
const dictGc = new FinalizationRegistry(({ eng, handle }) => {
	eng.call(OP_CONTEXT, undefined, { args: [C_DICT_FREE, handle],
					  result: 'none' }).catch(() => {});
});

/*
 * A trained or loaded zstd dictionary, digested once in the engine (handles
 * are per engine session, at most 64 at once). `bytes` is the dictionary
 * itself (save it to load it again with loadDictionary()).
 */
class Dictionary {
	#handle;
	constructor(eng, handle, bytes) {
		this.#handle = handle;
		this.bytes = bytes;
		dictOwner.set(this, eng);
		dictGc.register(this, { eng, handle }, this);
	}

	get handle() {
		return this.#handle;
	}

	get size() {
		return this.bytes.length;
	}

	/* Releases the engine's copy; the object is unusable afterwards. */
	free(opts) {
		const eng = dictOwner.get(this);
		const h = this.#handle;
		if (h === 0)
			return Promise.resolve();
		this.#handle = 0;
		dictGc.unregister(this);
		return eng.call(OP_CONTEXT, undefined, {
			args: [C_DICT_FREE, h], result: 'none',
			signal: opts && opts.signal,
		}).then(() => undefined, (e) => {
			if (eng.state !== 'open')
				return undefined; /* the session took it along */
			throw e;
		});
	}

	freeSync() {
		const eng = dictOwner.get(this);
		const h = this.#handle;
		if (h === 0)
			return;
		this.#handle = 0;
		dictGc.unregister(this);
		if (eng.state === 'open')
			eng.callSync(OP_CONTEXT, undefined, {
				args: [C_DICT_FREE, h], result: 'none' });
	}
}

function dictHandle(eng, d) {
	if (d === undefined || d === null)
		return 0;
	if (!(d instanceof Dictionary))
		throw typeError('dict must be a Dictionary from trainDictionary() ' +
				'or loadDictionary()');
	if (dictOwner.get(d) !== eng)
		throw typeError('dict belongs to another Engine');
	if (d.handle === 0)
		throw typeError('dict was freed');
	return d.handle;
}

/* --------------------------------------------------------------- store */

const KEY_RE = /^[0-9a-fA-F]{32}$/;

/*
 * Keys are XXH3-128 of the block's bytes in XXH128's canonical form (the
 * high 64 bits first, big-endian): a 32-hex-digit string or those 16 bytes.
 * The wire carries lo then hi, each little-endian: the reverse byte order.
 */
function keyToWire(k) {
	let b;
	if (typeof k === 'string') {
		if (!KEY_RE.test(k))
			throw typeError('key must be 32 hex digits or 16 bytes');
		b = Buffer.from(k, 'hex');
	} else if (ArrayBuffer.isView(k) && k.byteLength === 16) {
		b = Buffer.from(bytesOf(k));
	} else {
		throw typeError('key must be 32 hex digits or 16 bytes');
	}
	return b.reverse();
}

function keyFromWire(buf) {
	return Buffer.from(buf.subarray(0, 16)).reverse().toString('hex');
}

const STORE_STATS = ['blocks', 'rawBytes', 'storedBytes', 'refs', 'puts',
	'dedupHits', 'gets', 'deletes', 'fileBytes', 'loadedRecords',
	'tornBytes'];

function decodeStoreStats(buf) {
	const o = {};
	STORE_STATS.forEach((k, i) => {
		o[k] = Number(buf.readBigUInt64LE(8 * i));
	});
	return o;
}

function notFound(dflt) {
	return (e) => {
		if (e && e.code === 'EACCEL_NOT_FOUND')
			return dflt;
		throw e;
	};
}

/* eng.store: the session's block store (memory only, deduplicated). */
class Store {
	constructor(eng) {
		this.engine = eng;
	}
}

/* put(data) -> key (32 hex digits). A block already held gains a reference. */
pair(Store.prototype, 'put', function (data) {
	checkData('data', data);
	return { op: OP_CONTEXT, input: data, args: [C_PUT], mode: 'raw',
		 decode: (r) => keyFromWire(r.data) };
}, 1);

/* get(key) -> Buffer (a view of the engine's result), or null when not held. */
pair(Store.prototype, 'get', function (key) {
	return { op: OP_CONTEXT, input: keyToWire(key), args: [C_GET],
		 mode: 'buffer', fail: notFound(null) };
}, 1);

/* has(key) -> boolean. */
pair(Store.prototype, 'has', function (key) {
	return { op: OP_CONTEXT, input: keyToWire(key), args: [C_HAS],
		 mode: 'raw', decode: (r) => r.res === 1 };
}, 1);

/* size(key) -> the block's uncompressed size, or null when not held. */
pair(Store.prototype, 'size', function (key) {
	return { op: OP_CONTEXT, input: keyToWire(key), args: [C_HAS],
		 mode: 'raw', decode: (r) => r.res === 1 ?
			 Number(r.data.readBigUInt64LE(0)) : null };
}, 1);

/* delete(key) -> references left (0: gone), or null when it was not held. */
pair(Store.prototype, 'delete', function (key) {
	return { op: OP_CONTEXT, input: keyToWire(key), args: [C_DELETE],
		 mode: 'none', fail: notFound(null) };
}, 1);

pair(Store.prototype, 'stats', function () {
	return { op: OP_CONTEXT, input: undefined, args: [C_STATS],
		 mode: 'copy', decode: decodeStoreStats };
}, 0);

/* ---------------------------------------------------------- compaction */

function roleId(r, i) {
	if (r === undefined)
		return ROLES.user;
	if (typeof r === 'string' && Object.hasOwn(ROLES, r))
		return ROLES[r];
	if (typeof r === 'number' && Number.isInteger(r) && r >= 0 &&
	    r < TWO32)
		return r;
	throw typeError(`messages[${i}].role must be 'system', 'user', ` +
			"'assistant', 'tool' or a non-negative integer");
}

function kindId(k, role, i) {
	if (k === undefined)
		return role === ROLES.tool ? KINDS.tool_output : KINDS.text;
	if (typeof k === 'string' && Object.hasOwn(KINDS, k))
		return KINDS[k];
	if (typeof k === 'number' && Number.isInteger(k) && k >= 0 &&
	    k < TWO32)
		return k;
	throw typeError(`messages[${i}].kind must be 'text', 'tool_call', ` +
			"'tool_output' or a non-negative integer");
}

/* The text of a message: `text`, else `content` (string or bytes). */
function msgText(m) {
	return m.text !== undefined ? m.text : m.content;
}

/*
 * Encodes a compact request (docs/context.md): a 48-byte header, n 48-byte
 * messages, the marker, then the text area. Returns the request and, per
 * message, the text's byte offset in it (-1 for keyed messages).
 */
function encodeCompact(messages, o) {
	if (!Array.isArray(messages))
		throw typeError('messages must be an array');
	const n = messages.length;
	if (n > 0xffffffff)
		throw rangeError('too many messages');
	const budget = o.budget;
	if (typeof budget !== 'number' || !Number.isSafeInteger(budget) ||
	    budget < 0)
		throw typeError('budget must be a non-negative safe integer');
	const overhead = checkInt('msgOverhead', o.msgOverhead, 0, 0xffffffff, 0);
	const preserve = checkInt('preserveLast', o.preserveLast, 0, 0xffffffff, 0);
	const minKeep = checkInt('minKeepTokens', o.minKeepTokens, 0, 0xffffffff, 0);
	let dedup;
	if (o.dedupMinBytes === false || o.dedupMinBytes === Infinity)
		dedup = 0xffffffff;
	else
		dedup = checkInt('dedupMinBytes', o.dedupMinBytes, 0, 0xffffffff, 0);
	const marker = o.marker === undefined ? '' : o.marker;
	if (typeof marker !== 'string')
		throw typeError('marker must be a string');
	const mlen = Buffer.byteLength(marker, 'utf8');
	const lens = new Array(n);
	let total = 48 + 48 * n + mlen;
	for (let i = 0; i < n; i++) {
		const m = messages[i];
		if (m === null || typeof m !== 'object')
			throw typeError(`messages[${i}] must be an object`);
		if (m.key !== undefined) {
			keyToWire(m.key);
			lens[i] = -1;
			continue;
		}
		const t = msgText(m);
		if (typeof t !== 'string' && !isBytes(t))
			throw typeError(`messages[${i}] needs text (or content): ` +
					'a string or bytes, or a store key');
		lens[i] = byteLen(t);
		total += lens[i];
	}
	const buf = Buffer.allocUnsafe(total);
	buf.writeUInt32LE(CREQ_MAGIC, 0);
	buf.writeUInt32LE(n, 4);
	buf.writeBigUInt64LE(BigInt(budget), 8);
	buf.writeUInt32LE(overhead, 16);
	buf.writeUInt32LE(preserve, 20);
	buf.writeUInt32LE(minKeep, 24);
	buf.writeUInt32LE(dedup, 28);
	buf.writeUInt32LE(mlen, 32);
	buf.fill(0, 36, 48);
	const textBase = 48 + 48 * n + mlen;
	buf.write(marker, 48 + 48 * n, mlen, 'utf8');
	const offs = new Float64Array(n);
	let off = 0;
	for (let i = 0; i < n; i++) {
		const m = messages[i];
		const r = 48 + 48 * i;
		const role = roleId(m.role, i);
		const prio = checkInt(`messages[${i}].priority`, m.priority,
				      -0x80000000, 0x7fffffff, 0);
		let flags = (m.pinned ? MSG_PINNED : 0) |
			(m.noTruncate ? MSG_NO_TRUNC : 0);
		buf.writeUInt32LE(role, r);
		buf.writeUInt32LE(kindId(m.kind, role, i), r + 4);
		buf.writeInt32LE(prio, r + 8);
		if (lens[i] < 0) {
			flags |= MSG_HAS_KEY;
			buf.writeUInt32LE(flags, r + 12);
			buf.fill(0, r + 16, r + 32);
			keyToWire(m.key).copy(buf, r + 32);
			offs[i] = -1;
			continue;
		}
		const t = msgText(m);
		if (typeof t === 'string')
			buf.write(t, textBase + off, lens[i], 'utf8');
		else
			bytesOf(t).copy(buf, textBase + off);
		buf.writeUInt32LE(flags, r + 12);
		buf.writeBigUInt64LE(BigInt(off), r + 16);
		buf.writeBigUInt64LE(BigInt(lens[i]), r + 24);
		buf.fill(0, r + 32, r + 48);
		offs[i] = textBase + off;
		off += lens[i];
	}
	return { buf, offs, marker: marker === '' ? DEFAULT_MARKER : marker };
}

/* UTF-16 units of the UTF-8 bytes buf[start, end) (cuts fall on characters). */
function utf16Units(buf, start, end) {
	let n = 0;
	for (let i = start; i < end; i++) {
		const b = buf[i];
		if ((b & 0xc0) !== 0x80)
			n += b >= 0xf0 ? 2 : 1;
	}
	return n;
}

function decodePlan(res, req, messages) {
	if (res.length < 32 || res.readUInt32LE(0) !== PLAN_MAGIC ||
	    res.readUInt16LE(4) !== 1)
		throw typeError('the engine returned a malformed plan');
	const n = res.readUInt32LE(8);
	const entries = new Array(n);
	const keep = [];
	for (let i = 0; i < n; i++) {
		const o = 32 + 32 * i;
		const index = res.readUInt32LE(o);
		const action = ACTIONS[res[o + 4]];
		const e = {
			index,
			action,
			tokensBefore: res.readUInt32LE(o + 8),
			tokensAfter: res.readUInt32LE(o + 12),
		};
		if (action === 'keep' || action === 'truncate')
			keep.push(index);
		if (action === 'dedup')
			e.dupOf = res.readUInt32LE(o + 24);
		if (action === 'truncate') {
			e.headBytes = res.readUInt32LE(o + 16);
			e.tailOffBytes = res.readUInt32LE(o + 20);
			const start = req.offs[index];
			if (start >= 0) {
				const t = msgText(messages[index]);
				const len = byteLen(t);
				if (typeof t === 'string' && len === t.length) {
					e.head = e.headBytes;
					e.tailStart = e.tailOffBytes;
				} else {
					e.head = utf16Units(req.buf, start,
							    start + e.headBytes);
					e.tailStart = e.head + utf16Units(req.buf,
						start + e.headBytes,
						start + e.tailOffBytes);
				}
			}
		}
		entries[i] = e;
	}
	keep.sort((a, b) => a - b);
	return {
		totalBefore: Number(res.readBigUInt64LE(16)),
		totalAfter: Number(res.readBigUInt64LE(24)),
		kept: res.readUInt32LE(12),
		keep,
		marker: req.marker,
		entries,
	};
}

/* ------------------------------------------------- keep-up's selection */

/*
 * selectRecent: keep-up's compressContext selection. A message is
 * {role, content?, toolCalls?, toolResults?, result?}; its tokens are its
 * content's, + 50 per tool call of an assistant message, + those of
 * JSON.stringify of each tool result (and of `result` for a tool message).
 */
function encodeSelect(messages, maxTokens) {
	if (!Array.isArray(messages))
		throw typeError('messages must be an array');
	if (typeof maxTokens !== 'number' || !Number.isSafeInteger(maxTokens) ||
	    maxTokens < 0)
		throw typeError('maxTokens must be a non-negative safe integer');
	const n = messages.length;
	const segs = [];
	const extra = new Array(n);
	const first = new Array(n);
	for (let i = 0; i < n; i++) {
		const m = messages[i];
		if (m === null || typeof m !== 'object')
			throw typeError(`messages[${i}] must be an object`);
		first[i] = segs.length;
		if (m.content !== undefined && m.content !== null) {
			if (typeof m.content !== 'string')
				throw typeError(`messages[${i}].content must be a string`);
			segs.push(m.content);
		}
		extra[i] = 0;
		if (m.role === 'assistant' && Array.isArray(m.toolCalls))
			extra[i] = 50 * m.toolCalls.length;
		if (Array.isArray(m.toolResults))
			for (const tr of m.toolResults)
				segs.push(JSON.stringify(tr) ?? '');
		if (m.role === 'tool' && m.result !== undefined)
			segs.push(JSON.stringify(m.result) ?? '');
	}
	const lens = segs.map((s) => Buffer.byteLength(s, 'utf8'));
	const head = 16 + 16 * n + 16 * segs.length;
	const buf = Buffer.allocUnsafe(head + lens.reduce((a, b) => a + b, 0));
	buf.writeUInt32LE(n, 0);
	buf.writeUInt32LE(segs.length, 4);
	buf.writeBigUInt64LE(BigInt(maxTokens), 8);
	for (let i = 0; i < n; i++) {
		const o = 16 + 16 * i;
		const next = i + 1 < n ? first[i + 1] : segs.length;
		buf.writeUInt32LE(first[i], o);
		buf.writeUInt32LE(next - first[i], o + 4);
		buf.writeBigUInt64LE(BigInt(extra[i]), o + 8);
	}
	let off = 0;
	for (let s = 0; s < segs.length; s++) {
		const o = 16 + 16 * n + 16 * s;
		buf.writeBigUInt64LE(BigInt(off), o);
		buf.writeBigUInt64LE(BigInt(lens[s]), o + 8);
		buf.write(segs[s], head + off, lens[s], 'utf8');
		off += lens[s];
	}
	return buf;
}

function decodeSelect(buf, n) {
	const nsel = buf.readUInt32LE(0);
	const trunc = buf.readUInt32LE(4);
	const tokens = new Array(n);
	for (let i = 0; i < n; i++)
		tokens[i] = Number(buf.readBigUInt64LE(32 + 8 * i));
	const sel = new Array(nsel);
	for (let i = 0; i < nsel; i++)
		sel[i] = buf.readUInt32LE(32 + 8 * n + 4 * i);
	return {
		selectedIndices: sel,
		truncatedIndex: trunc === NO_INDEX ? -1 : trunc,
		truncateTokens: Number(buf.readBigUInt64LE(8)),
		selectedTokens: Number(buf.readBigUInt64LE(16)),
		totalTokens: Number(buf.readBigUInt64LE(24)),
		tokens,
	};
}

/* ------------------------------------------------------------ eventlog */

function idBytes(id) {
	if (typeof id === 'string' || ArrayBuffer.isView(id))
		return bytesOf(id);
	throw typeError('checkpoint id must be a string or bytes');
}

const journalGc = new FinalizationRegistry(({ eng, handle }) => {
	eng.call(OP_EVENTLOG, undefined, { args: [J_CLOSE, handle],
					   result: 'none' }).catch(() => {});
});

/*
 * An open event journal (keep-up's StorageEngine) in a root directory:
 * durable appends with sequence numbers from 1, replay, prune and atomic
 * checkpoints. One per root directory across processes (EACCEL_JOURNAL_LOCKED).
 */
class Journal {
	#handle;
	constructor(eng, handle, root) {
		this.engine = eng;
		this.root = root;
		this.#handle = handle;
		journalGc.register(this, { eng, handle }, this);
	}

	get handle() {
		if (this.#handle === 0)
			throw typeError('the journal is closed');
		return this.#handle;
	}

	get closed() {
		return this.#handle === 0;
	}

	close(opts) {
		const h = this.#handle;
		if (h === 0)
			return Promise.resolve();
		this.#handle = 0;
		journalGc.unregister(this);
		return this.engine.call(OP_EVENTLOG, undefined, {
			args: [J_CLOSE, h], result: 'none',
			signal: opts && opts.signal,
		}).then(() => undefined, (e) => {
			if (this.engine.state !== 'open')
				return undefined;
			throw e;
		});
	}

	closeSync() {
		const h = this.#handle;
		if (h === 0)
			return;
		this.#handle = 0;
		journalGc.unregister(this);
		if (this.engine.state === 'open')
			this.engine.callSync(OP_EVENTLOG, undefined, {
				args: [J_CLOSE, h], result: 'none' });
	}
}

/* append(data) -> bigint seq, once the event is on disk (fdatasync). */
pair(Journal.prototype, 'append', function (data) {
	checkData('data', data);
	return { op: OP_EVENTLOG, input: data, args: [J_APPEND, this.handle],
		 mode: 'copy', decode: (b) => b.readBigUInt64LE(0) };
}, 1);

/* prune(before) -> bigint: events removed (those below `before`). */
pair(Journal.prototype, 'prune', function (before) {
	const b = checkSeq('before', before);
	return { op: OP_EVENTLOG, input: undefined,
		 args: [J_PRUNE, this.handle, b], mode: 'none',
		 decode: (n) => BigInt(n) };
}, 1);

/* saveCheckpoint(id, data): atomic replace (temp + fdatasync + rename). */
pair(Journal.prototype, 'saveCheckpoint', function (id, data) {
	const idb = idBytes(id);
	checkData('data', data);
	const d = bytesOf(data);
	const buf = Buffer.allocUnsafe(4 + idb.length + d.length);
	buf.writeUInt32LE(idb.length, 0);
	idb.copy(buf, 4);
	d.copy(buf, 4 + idb.length);
	return { op: OP_EVENTLOG, input: buf, args: [J_SAVE, this.handle],
		 mode: 'none', decode: () => undefined };
}, 2);

/* loadCheckpoint(id) -> Buffer, or null when there is none. */
pair(Journal.prototype, 'loadCheckpoint', function (id) {
	return { op: OP_EVENTLOG, input: idBytes(id),
		 args: [J_LOAD, this.handle], mode: 'buffer',
		 fail: notFound(null) };
}, 1);

/* deleteCheckpoint(id) -> true when one was removed. */
pair(Journal.prototype, 'deleteCheckpoint', function (id) {
	return { op: OP_EVENTLOG, input: idBytes(id),
		 args: [J_DELETE, this.handle], mode: 'none',
		 decode: (r) => r === 1 };
}, 1);

function replayPrep(j, from, limit, withSeq) {
	const f = checkSeq('from', from);
	const lim = limit === undefined ? 0 :
		checkInt('limit', limit, 0, 2 ** 53 - 1, 0);
	if (lim >= 2 ** 48)
		throw rangeError('limit must be below 2^48');
	return { f, lim, withSeq, h: j.handle };
}

/* One replay request: arg[0] carries the limit in bits 8-63. */
function replayArgs(p, from, got) {
	const lim = p.lim ? p.lim - got : 0;
	return [J_REPLAY + lim * 256, p.h, from];
}

/*
 * The records of one reply, and where to ask again: the op stops early once
 * a reply would take more than half the result arena, and then flags its
 * last record with REPLAY_F_MORE. Returns the next seq, or -1n when done.
 */
function replayChunk(p, r, acc) {
	let off = 0;
	let last = -1n;
	let flags = 0;
	for (let i = 0; i < r.res; i++) {
		const len = r.data.readUInt32LE(off + 8);
		last = r.data.readBigUInt64LE(off);
		flags = r.data.readUInt32LE(off + 12);
		const data = r.data.subarray(off + 16, off + 16 + len);
		acc.push(p.withSeq ? { seq: last, data } : data);
		off += 16 + ((len + 7) & ~7);
	}
	const more = (flags & REPLAY_F_MORE) !== 0 &&
		(p.lim === 0 || acc.length < p.lim);
	return more ? last + 1n : -1n;
}

function replayAsync(j, from, limit, opts, withSeq) {
	let p;
	let signal;
	try {
		signal = signalOf(checkOpts(opts));
		p = replayPrep(j, from, limit, withSeq);
	} catch (e) {
		return Promise.reject(e);
	}
	const acc = [];
	const step = (f) => j.engine.call(OP_EVENTLOG, undefined, {
		args: replayArgs(p, f, acc.length), result: 'raw', signal,
	}).then((r) => {
		const next = replayChunk(p, r, acc);
		return next < 0n ? acc : step(next);
	});
	return step(p.f);
}

function replaySync(j, from, limit, withSeq) {
	const p = replayPrep(j, from, limit, withSeq);
	const acc = [];
	for (let f = p.f; f >= 0n;) {
		const r = j.engine.callSync(OP_EVENTLOG, undefined, {
			args: replayArgs(p, f, acc.length), result: 'raw' });
		f = replayChunk(p, r, acc);
	}
	return acc;
}

Object.assign(Journal.prototype, {
	/* replay(from, limit?) -> Buffer[]: events with seq >= from, in order. */
	replay(from, limit, opts) {
		return replayAsync(this, from, limit, opts, false);
	},
	replaySync(from, limit) {
		return replaySync(this, from, limit, false);
	},
	/* The same as {seq, data} pairs. */
	replayEntries(from, limit, opts) {
		return replayAsync(this, from, limit, opts, true);
	},
	replayEntriesSync(from, limit) {
		return replaySync(this, from, limit, true);
	},
});

/* eng.eventlog: opens journals. */
class EventLog {
	constructor(eng) {
		this.engine = eng;
	}
}

/* open(root, {level}) -> Journal. level: zstd level for events >= 256 B (0: none). */
pair(EventLog.prototype, 'open', function (root, opts) {
	if (typeof root !== 'string' || root === '' || root.includes('\0'))
		throw typeError('root must be a non-empty path string');
	const o = checkOpts(opts);
	const level = checkInt('level', o.level, -7, 22, 0);
	const eng = this.engine;
	return { op: OP_EVENTLOG, input: root,
		 args: [J_OPEN, level >>> 0], mode: 'none',
		 decode: (h) => new Journal(eng, h, root) };
}, 1);

/* ------------------------------------------------------------- install */

function install(Engine) {
	const proto = Engine.prototype;

	/*
	 * compress(data, {level = 3, checksum = true, dict}) -> Buffer: one
	 * zstd frame, a view of the engine's result.
	 */
	pair(proto, 'compress', function (data, opts) {
		checkData('data', data);
		const o = checkOpts(opts);
		const level = checkInt('level', o.level, -7, 22, 3);
		if (o.checksum !== undefined && typeof o.checksum !== 'boolean')
			throw typeError('checksum must be a boolean');
		const flags = o.checksum === false ? ZF_NO_CHECKSUM : 0;
		return { op: OP_CONTEXT, input: data,
			 args: [C_COMPRESS, (level >>> 0) + flags * TWO32,
				dictHandle(this, o.dict)],
			 mode: 'buffer' };
	}, 1);

	/*
	 * decompress(frame, {dict, maxOutput = 1 GiB}) -> Buffer. A corrupt
	 * frame is EACCEL_ZSTD_CORRUPT / _CHECKSUM / _NOT_FRAME / _TRUNCATED,
	 * a frame made with a dictionary that was not given
	 * EACCEL_ZSTD_DICT_MISMATCH, output past maxOutput EACCEL_ZSTD_TOO_LARGE.
	 */
	pair(proto, 'decompress', function (frame, opts) {
		checkData('frame', frame);
		const o = checkOpts(opts);
		const max = checkInt('maxOutput', o.maxOutput, 1, 2 ** 31 - 1, 0);
		return { op: OP_CONTEXT, input: frame,
			 args: [C_DECOMPRESS, max, dictHandle(this, o.dict)],
			 mode: 'buffer' };
	}, 1);

	/*
	 * trainDictionary(samples, {size, level = 3}) -> Dictionary
	 * (ZDICT over the samples, then loaded once in the engine). The default
	 * size is an eighth of the sample bytes, between 4 KiB and 512 KiB
	 * (the engine picks it; docs/context.md has the measurements).
	 */
	const trainPrep = function (samples, opts) {
		if (!Array.isArray(samples) || samples.length === 0)
			throw typeError('samples must be a non-empty array');
		const o = checkOpts(opts);
		/* 0: the engine's default for these samples */
		const size = checkInt('size', o.size, 256, 2 ** 31 - 1, 0);
		const level = checkInt('level', o.level, -7, 22, 3);
		const n = samples.length;
		let total = 4 + 4 * n;
		const lens = new Array(n);
		for (let i = 0; i < n; i++) {
			const s = samples[i];
			if (typeof s !== 'string' && !isBytes(s))
				throw typeError(`samples[${i}] must be a string or bytes`);
			lens[i] = byteLen(s);
			total += lens[i];
		}
		const buf = Buffer.allocUnsafe(total);
		buf.writeUInt32LE(n, 0);
		let off = 4 + 4 * n;
		for (let i = 0; i < n; i++) {
			buf.writeUInt32LE(lens[i], 4 + 4 * i);
			const s = samples[i];
			if (typeof s === 'string')
				buf.write(s, off, lens[i], 'utf8');
			else
				bytesOf(s).copy(buf, off);
			off += lens[i];
		}
		return { buf, size, level };
	};
	proto.trainDictionary = function (samples, opts) {
		let t;
		let signal;
		try {
			signal = signalOf(checkOpts(opts));
			t = trainPrep(samples, opts);
		} catch (e) {
			return Promise.reject(e);
		}
		return this.call(OP_CONTEXT, t.buf, {
			args: [C_DICT_TRAIN, t.size], result: 'copy', signal,
		}).then((d) => this.loadDictionary(d, { level: t.level, signal }));
	};
	proto.trainDictionarySync = function (samples, opts) {
		const t = trainPrep(samples, opts);
		const d = this.callSync(OP_CONTEXT, t.buf, {
			args: [C_DICT_TRAIN, t.size], result: 'copy' });
		return this.loadDictionarySync(d, { level: t.level });
	};

	/* loadDictionary(bytes, {level = 3}) -> Dictionary. */
	pair(proto, 'loadDictionary', function (bytes, opts) {
		if (!isBytes(bytes))
			throw typeError('dictionary must be bytes');
		const o = checkOpts(opts);
		const level = checkInt('level', o.level, -7, 22, 3);
		const copy = Buffer.from(bytesOf(bytes));
		return { op: OP_CONTEXT, input: copy,
			 args: [C_DICT_LOAD, level >>> 0], mode: 'none',
			 decode: (h) => new Dictionary(this, h, copy) };
	}, 1);

	/*
	 * compact(messages, {budget, encoding, preserveLast, msgOverhead,
	 * minKeepTokens, dedupMinBytes, marker, allowSpecial}) -> the plan.
	 */
	pair(proto, 'compact', function (messages, opts) {
		const o = checkOpts(opts);
		if (o.budget === undefined)
			throw typeError('options.budget is required');
		const enc = encodingId(o.encoding);
		const req = encodeCompact(messages, o);
		return { op: OP_CONTEXT, input: req.buf,
			 args: [C_COMPACT, enc, o.allowSpecial ? 1 : 0],
			 mode: 'buffer',
			 decode: (res) => decodePlan(res, req, messages) };
	}, 1);

	/*
	 * selectRecent(messages, maxTokens, preserveLastN, {encoding,
	 * allowSpecial}) -> keep-up's compressContext selection.
	 */
	pair(proto, 'selectRecent', function (messages, maxTokens, preserve,
					      opts) {
		const o = checkOpts(opts);
		const enc = encodingId(o.encoding);
		const pl = checkInt('preserveLastN', preserve, 0, 0xffffffff, 0);
		const buf = encodeSelect(messages, maxTokens);
		const n = messages.length;
		return { op: OP_CONTEXT, input: buf,
			 args: [C_SELECT, enc,
				pl + (o.allowSpecial ? TWO32 : 0)],
			 mode: 'buffer', decode: (r) => decodeSelect(r, n) };
	}, 3);

	/*
	 * applyPlan(messages, plan) -> the kept messages in order: the
	 * caller's own objects, and for the cut one a shallow copy whose text
	 * (or content) is head + marker + tail. Keyed messages that were cut
	 * are read back from the store.
	 */
	proto.applyPlan = function (messages, plan) {
		if (!Array.isArray(messages) || plan === null ||
		    typeof plan !== 'object' || !Array.isArray(plan.entries))
			throw typeError('applyPlan(messages, plan)');
		const out = [];
		for (const e of plan.entries) {
			if (e.action === 'keep') {
				out.push({ i: e.index, m: messages[e.index] });
			} else if (e.action === 'truncate') {
				const m = messages[e.index];
				let t;
				let field = m.text !== undefined ? 'text' : 'content';
				let head = e.head;
				let tail = e.tailStart;
				if (m.key !== undefined) {
					t = bytesOf(this.store.getSync(m.key));
					field = 'text';
				} else {
					t = msgText(m);
				}
				let cut;
				if (typeof t === 'string') {
					cut = t.slice(0, head) + plan.marker + t.slice(tail);
				} else {
					const b = bytesOf(t);
					cut = b.toString('utf8', 0, e.headBytes) +
						plan.marker +
						b.toString('utf8', e.tailOffBytes);
				}
				out.push({ i: e.index, m: { ...m, [field]: cut } });
			}
		}
		out.sort((a, b) => a.i - b.i);
		return out.map((x) => x.m);
	};

	Object.defineProperty(proto, 'store', {
		get: facade(new WeakMap(), Store), configurable: true });
	Object.defineProperty(proto, 'eventlog', {
		get: facade(new WeakMap(), EventLog), configurable: true });
}

module.exports = { install, Dictionary, Journal, Store, EventLog };
