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
const { isBytes, bytesOf } = require('../ops/common');

/* Event and checkpoint data are bytes, as keep-up's are (no strings). */
function bytes(name, v) {
	if (!isBytes(v))
		throw typeError(`${name} must be a Buffer, TypedArray or ArrayBuffer`);
	return bytesOf(v);
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

	/* opts: compressionLevel (zstd, 0 off), engine (one's own Engine). */
	constructor(rootDir, opts = {}) {
		if (typeof rootDir !== 'string' || rootDir === '' ||
		    rootDir.includes('\0'))
			throw typeError('rootDir must be a non-empty path string');
		const o = opts ?? {};
		const level = o.compressionLevel ?? 0;
		const root = path.resolve(rootDir.normalize('NFC'));
		this.#journal = engineOf(o).eventlog.openSync(root, { level });
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
	 * Events with seq >= from, at most limit of them, as copies (a view
	 * would pin the engine's result block). The journal's replay pages
	 * through replies larger than half the result arena by itself.
	 */
	replayEvents(from, limit) {
		const f = seqArg('from', from);
		if (limit !== undefined && limit !== null &&
		    (!Number.isSafeInteger(limit) || limit < 0))
			throw typeError('limit must be a non-negative integer',
				'ERR_INVALID_ARG_VALUE');
		if (limit === 0)
			return [];
		const evs = this.#j().replaySync(f, limit ?? undefined);
		return evs.map((v) => Buffer.from(v));
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
