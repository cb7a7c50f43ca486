'use strict';
/*
 * keep-up's @ku0/storage-engine-rs on agent-accel: new StorageEngine(root)
 * over the engine's event journal (context/journal.c, docs/context.md "The
 * event journal"), synchronous as keep-up calls it:
 *
 *   saveCheckpoint(id, data)          atomic replace (temp, fdatasync, rename)
 *   loadCheckpoint(id) -> Buffer|null
 *   deleteCheckpoint(id) -> boolean
 *   appendEvent(data) -> bigint       seq 1, 2, ...; returns once on disk
 *   replayEvents(from, limit?) -> Buffer[]   events with seq >= from
 *   pruneEvents(before) -> bigint     how many were removed
 *   close()                           releases the root (ours)
 *
 * One engine per root directory at a time, across processes: a second one
 * fails with EACCEL_JOURNAL_LOCKED. Records are XXH3-checksummed; a torn
 * tail is cut when the root is opened again. opts.compressionLevel (zstd,
 * default 0 = off) compresses events of 256 bytes and more when that makes
 * them smaller.
 */

const path = require('node:path');
const { typeError, rangeError } = require('../argerr');

const J_REPLAY = 4;
/* Events per replay request to start with; adapted to the result arena. */
const PAGE_START = 4096;
const PAGE_MAX = 1 << 20;
/* A reply this large may have been cut by the op's own 256 MiB stop. */
const REPLAY_MORE = 128 << 20;

function bytes(name, v) {
	if (Buffer.isBuffer(v))
		return v;
	if (ArrayBuffer.isView(v))
		return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
	if (v instanceof ArrayBuffer)
		return Buffer.from(v);
	throw typeError(`${name} must be a Buffer, TypedArray or ArrayBuffer`);
}

/* keep-up's key rules (no empty id, separator or parent traversal). */
function checkId(id) {
	if (typeof id !== 'string')
		throw typeError('checkpoint id must be a string');
	if (id === '')
		throw typeError('Storage key cannot be empty',
			'ERR_INVALID_ARG_VALUE');
	if (id.includes('/') || id.includes('\\'))
		throw typeError('Storage key cannot contain path separators',
			'ERR_INVALID_ARG_VALUE');
	if (id.includes('..'))
		throw typeError('Storage key cannot contain parent traversal',
			'ERR_INVALID_ARG_VALUE');
	return id;
}

function seqArg(name, v) {
	if (typeof v === 'bigint') {
		if (v < 0n)
			throw rangeError(`${name} must be unsigned`);
		if (v >= 1n << 64n)
			throw rangeError(`${name} exceeds the u64 range`);
		return v;
	}
	if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0)
		return BigInt(v);
	throw typeError(`${name} must be a non-negative bigint`);
}

function engineOf(opts) {
	if (opts.engine)
		return opts.engine;
	return require('./sandbox').acquireEngine();
}

class StorageEngine {
	#journal;
	#eng;
	#page = PAGE_START;

	/* opts: compressionLevel (zstd, 0 off), engine (one's own Engine). */
	constructor(rootDir, opts = {}) {
		if (typeof rootDir !== 'string' || rootDir === '' ||
		    rootDir.includes('\0'))
			throw typeError('rootDir must be a non-empty path string');
		const o = opts ?? {};
		const level = o.compressionLevel ?? 0;
		const root = path.resolve(rootDir.normalize('NFC'));
		this.#eng = engineOf(o);
		this.#journal = this.#eng.eventlog.openSync(root, { level });
		this.rootDir = root;
	}

	get closed() {
		return this.#journal.closed;
	}

	#j() {
		if (this.#journal.closed)
			throw typeError('the storage engine is closed');
		return this.#journal;
	}

	saveCheckpoint(id, data) {
		this.#j().saveCheckpointSync(checkId(id), bytes('data', data));
	}

	loadCheckpoint(id) {
		const v = this.#j().loadCheckpointSync(checkId(id));
		/* A copy: a view would hold the engine's result block. */
		return v === null ? null : Buffer.from(v);
	}

	deleteCheckpoint(id) {
		return this.#j().deleteCheckpointSync(checkId(id));
	}

	appendEvent(data) {
		return this.#j().appendSync(bytes('data', data));
	}

	/*
	 * Pages through the journal: a request asks for #page events; one
	 * whose result does not fit the session's result arena (NO_SPACE) is
	 * asked again with half as many, and a page that fits with room to
	 * spare lets the next one grow.
	 */
	replayEvents(from, limit) {
		let f = seqArg('from', from);
		let want = Infinity;
		if (limit !== undefined && limit !== null) {
			if (!Number.isSafeInteger(limit) || limit < 0)
				throw typeError('limit must be a non-negative ' +
					'integer', 'ERR_INVALID_ARG_VALUE');
			want = limit;
		}
		const j = this.#j();
		const out = [];
		while (out.length < want) {
			const n = Math.min(this.#page, want - out.length);
			let buf;
			try {
				buf = this.#eng.callSync('eventlog', undefined, {
					args: [J_REPLAY + n * 256, j.handle, f],
					result: 'copy',
				});
			} catch (e) {
				if (e.code !== 'EACCEL_NO_SPACE' || n === 1)
					throw e;
				this.#page = Math.max(1, n >> 1);
				continue;
			}
			const got = this.#take(buf, out);
			if (got.count === 0)
				break;
			f = got.last + 1n;
			if (got.count < n && buf.length < REPLAY_MORE)
				break;
			if (buf.length < this.#eng.info.resSize / 8)
				this.#page = Math.min(PAGE_MAX, this.#page * 2);
		}
		return out;
	}

	/* Records {u64 seq, u32 len, u32 0, bytes padded to 8} of one page. */
	#take(buf, out) {
		let count = 0;
		let last = 0n;
		for (let off = 0; off + 16 <= buf.length; count++) {
			last = buf.readBigUInt64LE(off);
			const len = buf.readUInt32LE(off + 8);
			out.push(buf.subarray(off + 16, off + 16 + len));
			off += 16 + ((len + 7) & ~7);
		}
		return { count, last };
	}

	pruneEvents(before) {
		return this.#j().pruneSync(seqArg('before', before));
	}

	close() {
		this.#journal.closeSync();
	}
}

/* keep-up's probe: true when a StorageEngine can be made. */
function isNativeStorageEngineAvailable() {
	return require('./engine').getEngine() !== null;
}

module.exports = { StorageEngine, isNativeStorageEngineAvailable };
