'use strict';
/*
 * agent-accel for Node: the Engine class over the Node-API addon.
 *
 * The addon (src/) owns the shared-memory session; this file owns the JS
 * side of every call: a slot table of pending calls, the queue of calls
 * waiting for ring or arena room, AbortSignal handling, error objects.
 * docs/node.md describes the API and how an op adds its method.
 */

const { typeError } = require('./argerr');
const fs = require('node:fs');
const ERRNO = require('node:os').constants.errno;
const path = require('node:path');
const { spawn } = require('node:child_process');

const REPO = path.resolve(__dirname, '..', '..');
const ADDON_PATH = process.env.ACCEL_ADDON ||
	path.join(REPO, 'build', 'napi-bridge', 'agent_accel.node');
const ENGINE_PATH = path.join(REPO, 'build', 'engine', 'agent-acceld');

const native = require(ADDON_PATH);
const K = native.constants;

/* Error codes: errno names and EACCEL_* from common/errors/*.def. */
const codeByNum = new Map();
const codes = Object.create(null);
for (const [num, code, message] of native.errorTable()) {
	codeByNum.set(num, { code, message });
	codes[code] = num;
}
Object.freeze(codes);

class AccelError extends Error {
	constructor(code, errno, message, detail) {
		super(detail ? `${message}: ${detail}` : message);
		this.name = 'AccelError';
		this.code = code;
		this.errno = errno;
		if (detail !== undefined)
			this.detail = detail;
	}
}

/* The error for a negative status (cqe.res or a transport code). */
function accelError(res, detail) {
	const num = res < 0 ? -res : res;
	const e = codeByNum.get(num);
	return new AccelError(e ? e.code : 'EACCEL_UNKNOWN', num,
			      e ? e.message : `unknown error ${num}`, detail);
}
native.setErrorFactory((code) => accelError(code));

const ERR_ENGINE_DIED = -codes.EACCEL_ENGINE_DIED;
const ERR_CLOSED = -codes.EACCEL_CLOSED;
const ERR_BAD_ARG = -codes.EACCEL_BAD_ARG;
const ERR_BAD_OP = -codes.EACCEL_BAD_OP;
const EAGAIN = -K.EAGAIN;
const ENOSPC = -K.ENOSPC;
const F_MORE = K.CQE_F_MORE;

class AbortError extends Error {
	constructor(reason) {
		super('The operation was aborted', reason !== undefined ?
		      { cause: reason } : undefined);
		this.name = 'AbortError';
		this.code = 'ABORT_ERR';
	}
}

/* Result modes of call(): how a completion becomes the promise's value. */
const MODES = {
	none: K.KIND_NONE, /* cqe.res, a number */
	buffer: K.KIND_VIEW, /* Buffer viewing the mapping (zero copy) */
	copy: K.KIND_COPY, /* Buffer copied out of the mapping */
	string: K.KIND_STRING, /* UTF-8 decoded string */
	json: K.KIND_STRING, /* JSON.parse of the result */
	raw: K.KIND_VIEW, /* { res, data: Buffer | null } */
};

const EMPTY = Buffer.alloc(0);
const META_CAP = 1024; /* completions per batch handed to JS */

function isInput(v) {
	return v === undefined || v === null || typeof v === 'string' ||
		ArrayBuffer.isView(v) || v instanceof ArrayBuffer ||
		v instanceof SharedArrayBuffer;
}

/* The addon takes views and ArrayBuffers; a SharedArrayBuffer goes as a view. */
function norm(v) {
	return v instanceof SharedArrayBuffer ? new Uint8Array(v) : v;
}

function isArg(v) {
	return v === undefined || typeof v === 'bigint' ||
		(typeof v === 'number' && Number.isInteger(v));
}

/* Turns a completion into the value the caller asked for. */
function finish(mode, res, v) {
	switch (mode) {
	case 'none':
		return res;
	case 'buffer':
	case 'copy':
		return v === undefined ? EMPTY : v;
	case 'string':
		return v === undefined ? '' : v;
	case 'json':
		return JSON.parse(v === undefined ? 'null' : v);
	default:
		return { res, data: v === undefined ? null : v };
	}
}

/* One async call: pending in a slot, or queued until there is room. */
class Call {
	constructor(op, mode, input, a0, a1, a2, signal, onProgress, waitOnAbort) {
		this.op = op;
		this.kind = MODES[mode];
		this.mode = mode;
		this.input = input;
		this.a0 = a0;
		this.a1 = a1;
		this.a2 = a2;
		this.slot = -1;
		this.aborted = false;
		this.waitOnAbort = waitOnAbort === true;
		this.cancelling = false; /* aborted, waiting for the op to stop */
		this.onProgress = onProgress;
		this.signal = signal;
		this.onAbort = null;
		this.resolve = null;
		this.reject = null;
	}
}

function checkOpts(opts) {
	if (opts === undefined)
		return null;
	if (opts === null || typeof opts !== 'object')
		return 'options must be an object';
	const { args, signal, result, onProgress, waitOnAbort } = opts;
	if (args !== undefined) {
		if (!Array.isArray(args) || args.length > 3 ||
		    !args.every(isArg))
			return 'args must be an array of up to 3 integers ' +
				'(Number or BigInt)';
	}
	if (signal !== undefined && !(signal instanceof AbortSignal))
		return 'signal must be an AbortSignal';
	if (result !== undefined && !Object.hasOwn(MODES, result))
		return `result must be one of ${Object.keys(MODES).join(', ')}`;
	if (onProgress !== undefined && typeof onProgress !== 'function')
		return 'onProgress must be a function';
	if (waitOnAbort !== undefined && typeof waitOnAbort !== 'boolean')
		return 'waitOnAbort must be a boolean';
	return null;
}

/* The options of the built-in async methods: only a signal. */
function checkSignalOpts(opts) {
	if (opts === null || typeof opts !== 'object')
		return 'options must be an object';
	if (opts.signal !== undefined && !(opts.signal instanceof AbortSignal))
		return 'signal must be an AbortSignal';
	return null;
}

function opId(op) {
	if (typeof op === 'number' && Number.isInteger(op) && op > 0 &&
	    op <= 0xffff)
		return op;
	if (typeof op === 'string' && Object.hasOwn(native.ops, op))
		return native.ops[op];
	return -1;
}

function checkPositive(name, v, max) {
	if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > max))
		throw typeError(`${name} must be an integer in [0, ${max}]`);
}

function checkStartOpts(opts) {
	if (opts === null || typeof opts !== 'object')
		throw typeError('options must be an object');
	checkPositive('sqEntries', opts.sqEntries, 65536);
	checkPositive('reqSize', opts.reqSize, 2 ** 30);
	checkPositive('resSize', opts.resSize, 2 ** 30);
	checkPositive('spinUs', opts.spinUs, 1e7);
	checkPositive('syncSpinUs', opts.syncSpinUs, 1e7);
	checkPositive('workers', opts.workers, 1024);
	checkPositive('engineSpinUs', opts.engineSpinUs, 1e7);
	checkPositive('handshakeTimeoutMs', opts.handshakeTimeoutMs, 3600000);
	checkPositive('viewLimitPct', opts.viewLimitPct, 100);
	if (opts.enginePath !== undefined && typeof opts.enginePath !== 'string')
		throw typeError('enginePath must be a string');
}

/* The addon's attach options out of start()/connect() options. */
function attachOpts(opts) {
	return {
		sqEntries: opts.sqEntries,
		reqSize: opts.reqSize,
		resSize: opts.resSize,
		spinUs: opts.spinUs,
		syncSpinUs: opts.syncSpinUs,
		handshakeTimeoutMs: opts.handshakeTimeoutMs,
		viewLimitPct: opts.viewLimitPct,
	};
}

/*
 * Spawns agent-acceld with one end of a new socketpair as its fd 3. The
 * child is unref'ed: it never keeps this process alive. Returns {child,
 * sock (our end, for attach), exited (settles on 'exit' or 'error'),
 * spawnError() (the 'error' event's error, once exited settled),
 * enginePath}.
 */
function spawnEngine(opts) {
	const enginePath = opts.enginePath || process.env.ACCEL_ENGINE ||
		ENGINE_PATH;
	const args = ['--fd', '3'];
	if (opts.workers)
		args.push('--workers', String(opts.workers));
	if (opts.engineSpinUs !== undefined)
		args.push('--spin-us', String(opts.engineSpinUs));
	const [mine, theirs] = native.socketpair();
	let child;
	try {
		child = spawn(enginePath, args, {
			stdio: ['ignore', 'inherit', 'inherit', theirs],
		});
	} catch (e) {
		native.closeFd(mine);
		throw e;
	} finally {
		native.closeFd(theirs);
	}
	let spawnError = null;
	const exited = new Promise((resolve) => {
		child.once('error', (e) => {
			spawnError = e;
			resolve();
		});
		child.once('exit', () => resolve());
	});
	child.unref();
	return { child, sock: mine, exited, enginePath,
		 spawnError: () => spawnError };
}

/*
 * The error a failed spawn is about to emit, found without waiting for it
 * (child_process reports ENOENT and EACCES only on the next tick): what
 * execve would say about the path.
 */
function spawnFailure(enginePath) {
	let code = 'ENOENT';
	let errno = -ERRNO.ENOENT;
	if (enginePath.includes('/')) {
		try {
			fs.accessSync(enginePath, fs.constants.X_OK);
			code = 'EACCES';
			errno = -ERRNO.EACCES;
		} catch (e) {
			code = e.code;
			errno = e.errno;
		}
	}
	const e = new Error(`spawn ${enginePath} ${code}`);
	e.code = code;
	e.errno = errno;
	e.syscall = `spawn ${enginePath}`;
	e.path = enginePath;
	return e;
}

/* start()'s error: the spawn's, a handshake hang-up, or the attach's own. */
function startError(sp, e, spawnError) {
	if (spawnError) {
		const err = new AccelError(spawnError.code || 'EACCEL_HANDSHAKE',
			spawnError.errno ? -spawnError.errno :
			codes.EACCEL_HANDSHAKE,
			`cannot start the engine ${sp.enginePath}: ` +
			spawnError.message);
		err.cause = spawnError;
		return err;
	}
	/* It ran but hung up: not an engine, or a broken one. */
	if (e.code === 'EPIPE' || e.code === 'ECONNRESET' ||
	    e.code === 'EACCEL_CLOSED') {
		const err = new AccelError('EACCEL_HANDSHAKE',
			codes.EACCEL_HANDSHAKE,
			`the engine ${sp.enginePath} closed the session ` +
			`during the handshake (${e.code})`);
		err.cause = e;
		return err;
	}
	return e;
}

const kInit = Symbol('init');
const OP_PING = native.ops.ping;
const OP_ECHO = native.ops.echo;
const OP_STATS = native.ops.stats;

class Engine {
	#h = null;
	#meta = new Int32Array(3 * META_CAP + 1);
	#pending = []; /* slot -> Call */
	#free = []; /* free slots */
	#backlog = []; /* Calls waiting for SQ or arena room */
	#backlogHead = 0;
	#flushQueued = false;
	#state = 'open'; /* 'open' | 'closed' | 'dead' */
	#deathCode = 0;
	#child = null;
	#childExit = null;
	#pingChain = Promise.resolve();
	#flush = () => {
		this.#flushQueued = false;
		if (this.#h !== null && this.#state === 'open')
			native.flush(this.#h);
	};

	constructor(token) {
		if (token !== kInit)
			throw new TypeError('use Engine.start() or Engine.connect()');
	}

	/*
	 * Spawns a private engine over a socketpair and connects to it. The
	 * engine exits when this Engine is closed or this process goes.
	 */
	static async start(opts = {}) {
		checkStartOpts(opts);
		const sp = spawnEngine(opts);
		const eng = new Engine(kInit);
		eng.#child = sp.child;
		eng.#childExit = sp.exited;
		try {
			await eng.#attach(native.attach, sp.sock, opts);
		} catch (e) {
			/* After the kill, 'exit' or 'error' settles exited. */
			sp.child.ref();
			sp.child.kill('SIGKILL');
			await sp.exited;
			throw startError(sp, e, sp.spawnError());
		}
		return eng;
	}

	/*
	 * start() without a Promise: the handshake runs on this thread and
	 * blocks it until the engine answers (a few milliseconds; at most
	 * handshakeTimeoutMs). Same options and errors as start(). For
	 * synchronous APIs that start their engine on first use; anything that
	 * can await should use start().
	 */
	static startSync(opts = {}) {
		checkStartOpts(opts);
		const sp = spawnEngine(opts);
		const eng = new Engine(kInit);
		eng.#child = sp.child;
		eng.#childExit = sp.exited;
		try {
			eng.#h = native.attachSync(sp.sock, attachOpts(opts),
				eng.#meta, (n, vals) => eng.#onBatch(n, vals),
				(code) => eng.#onDeath(code));
		} catch (e) {
			/*
			 * A child that never started has no pid, and kill()
			 * must not run then: its handle would signal pid 0,
			 * this whole process group. A started one is reaped
			 * by libuv later.
			 */
			if (sp.child.pid === undefined)
				throw startError(sp, e, spawnFailure(sp.enginePath));
			sp.child.kill('SIGKILL');
			throw startError(sp, e, null);
		}
		return eng;
	}

	/* Connects to a daemon engine (agent-acceld --socket PATH). */
	static async connect(socketPath, opts = {}) {
		if (typeof socketPath !== 'string' || socketPath === '')
			throw typeError('socketPath must be a non-empty string');
		checkStartOpts(opts);
		const eng = new Engine(kInit);
		await eng.#attach(native.connect, socketPath, opts);
		return eng;
	}

	async #attach(fn, target, opts) {
		this.#h = await fn(target, attachOpts(opts), this.#meta,
			(n, vals) => this.#onBatch(n, vals),
			(code) => this.#onDeath(code));
	}

	/* The engine's pid, its session layout and this client's settings. */
	get info() {
		return native.info(this.#h);
	}

	get pid() {
		return native.info(this.#h).enginePid;
	}

	/* 'open', 'closed' or 'dead' (the engine died). */
	get state() {
		return this.#state;
	}

	/* The op table: name -> wire id (engine/ops/ops.def). */
	static get ops() {
		return native.ops;
	}

	/* Resolves with cqe.res (0) once the engine answered. */
	ping(opts) {
		if (opts === undefined)
			return this.#start(OP_PING, 'none', undefined);
		const bad = checkSignalOpts(opts);
		return bad ? Promise.reject(typeError(bad)) :
			this.#start(OP_PING, 'none', undefined, undefined, undefined,
				    undefined, opts.signal);
	}

	pingSync() {
		return this.callSync('ping', undefined, { result: 'none' });
	}

	/* n no-op pings submitted in ring-sized batches; resolves with n. */
	pingMany(n) {
		if (!Number.isSafeInteger(n) || n < 0)
			return Promise.reject(typeError(
				'n must be a non-negative safe integer'));
		const run = () => {
			if (this.#state !== 'open')
				return Promise.reject(this.#stateError());
			return native.pingMany(this.#h, n);
		};
		/* One pingMany at a time in the addon: chain them. */
		const p = this.#pingChain.then(run, run);
		this.#pingChain = p.catch(() => {});
		return p;
	}

	/* Resolves to a Buffer that views the engine's result (no copy). */
	echo(data, opts) {
		if (data === undefined || data === null || !isInput(data))
			return Promise.reject(typeError('echo expects a string, ' +
				'Buffer, TypedArray, DataView or ArrayBuffer'));
		const bad = opts === undefined ? null : checkSignalOpts(opts);
		return bad ? Promise.reject(typeError(bad)) :
			this.#start(OP_ECHO, 'buffer', norm(data), undefined,
				    undefined, undefined, opts && opts.signal);
	}

	echoSync(data) {
		if (data === undefined || data === null || !isInput(data))
			throw typeError('echoSync expects a string, Buffer, ' +
				'TypedArray, DataView or ArrayBuffer');
		return this.callSync('echo', data, { result: 'buffer' });
	}

	/* The engine's stats document (engine, session, per-op latencies). */
	stats(opts) {
		const bad = opts === undefined ? null : checkSignalOpts(opts);
		return bad ? Promise.reject(typeError(bad)) :
			this.#start(OP_STATS, 'json', undefined, undefined,
				    undefined, undefined, opts && opts.signal);
	}

	statsSync() {
		return this.callSync('stats', undefined, { result: 'json' });
	}

	/*
	 * The generic call every op method is built on. op: a name from
	 * Engine.ops or a wire id; input: string (sent as UTF-8), bytes, or
	 * undefined; opts.args: up to three 64-bit integers (sqe.arg[]);
	 * opts.result: see MODES; opts.signal: AbortSignal; opts.onProgress:
	 * (res, value) for completions flagged MORE; opts.waitOnAbort: on
	 * abort, cancel the op and reject only once the engine says it has
	 * stopped, with the op's value (if it gave one) as err.result.
	 */
	call(op, input, opts) {
		const id = opId(op);
		if (id < 0)
			return Promise.reject(typeof op === 'string' ?
				accelError(ERR_BAD_OP, op) :
				typeError('op must be an op name or id'));
		if (!isInput(input))
			return Promise.reject(typeError('input must be a string, ' +
				'Buffer, TypedArray, DataView, ArrayBuffer or undefined'));
		const bad = checkOpts(opts);
		if (bad)
			return Promise.reject(typeError(bad));
		if (opts === undefined)
			return this.#start(id, 'buffer', norm(input));
		const args = opts.args;
		return this.#start(id, opts.result || 'buffer', norm(input),
				   args && args[0], args && args[1], args && args[2],
				   opts.signal, opts.onProgress, opts.waitOnAbort);
	}

	/* Every async call after its arguments were checked. */
	#start(id, mode, input, a0, a1, a2, signal, onProgress, waitOnAbort) {
		if (this.#state !== 'open')
			return Promise.reject(this.#stateError());
		if (signal !== undefined && signal.aborted)
			return Promise.reject(new AbortError(signal.reason));
		const c = new Call(id, mode, input, a0, a1, a2, signal, onProgress,
				   waitOnAbort);
		const p = new Promise((resolve, reject) => {
			c.resolve = resolve;
			c.reject = reject;
		});
		if (signal !== undefined) {
			c.onAbort = () => this.#abort(c);
			signal.addEventListener('abort', c.onAbort, { once: true });
		}
		if (this.#backlog.length > this.#backlogHead || !this.#submit(c))
			this.#backlog.push(c);
		return p;
	}

	/*
	 * Runs op on this thread and returns its value (same modes as call()).
	 * Throws an AccelError when the op fails.
	 */
	callSync(op, input, opts) {
		const id = opId(op);
		if (id < 0) {
			if (typeof op === 'string')
				throw accelError(ERR_BAD_OP, op);
			throw typeError('op must be an op name or id');
		}
		if (!isInput(input))
			throw typeError('input must be a string, Buffer, ' +
				'TypedArray, DataView, ArrayBuffer or undefined');
		if (opts !== undefined) {
			const bad = checkOpts(opts);
			if (bad)
				throw typeError(bad);
			if (opts.signal !== undefined)
				throw typeError('sync calls take no signal');
		}
		if (this.#state !== 'open')
			throw this.#stateError();
		const mode = (opts && opts.result) || 'buffer';
		const args = opts && opts.args;
		const inp = norm(input);
		let v;
		try {
			v = args ? native.callSync(this.#h, id, MODES[mode], inp,
						   args[0], args[1], args[2]) :
				native.callSync(this.#h, id, MODES[mode], inp);
		} catch (e) {
			/*
			 * A sync wait sees the engine's death before the event
			 * loop does: the state says so at once, so that a
			 * program that never yields can tell.
			 */
			if (e.errno === -ERR_ENGINE_DIED)
				this.#onDeath(ERR_ENGINE_DIED);
			throw e;
		}
		const res = this.#meta[3 * META_CAP];
		if (res < 0)
			throw accelError(res, v);
		return finish(mode, res, v);
	}

	/*
	 * Ends the session: pending calls reject with EACCEL_CLOSED, a private
	 * engine exits. Result Buffers stay valid. Resolves once a private
	 * engine has exited.
	 */
	async close() {
		if (this.#state === 'open') {
			this.#state = 'closed';
			this.#failAll(ERR_CLOSED);
			native.close(this.#h);
		}
		if (this.#child) {
			const child = this.#child;
			if (child.exitCode === null && child.signalCode === null) {
				child.ref();
				const t = setTimeout(() => child.kill('SIGKILL'), 2000);
				await this.#childExit;
				clearTimeout(t);
			}
		}
	}

	/* Debug: true when buf's bytes lie inside this session's mapping. */
	isMapped(buf) {
		if (!ArrayBuffer.isView(buf))
			throw typeError('isMapped expects a Buffer or TypedArray');
		return native.isMapped(this.#h, buf);
	}

	#stateError() {
		return accelError(this.#state === 'dead' ? this.#deathCode :
				  ERR_CLOSED);
	}

	/* Stages c in the SQ; false when there is no room (queue it). */
	#submit(c) {
		const slot = this.#free.length ? this.#free.pop() :
			this.#pending.length;
		const r = c.a0 === undefined && c.a1 === undefined &&
			c.a2 === undefined ?
			native.submit(this.#h, c.op, slot, c.kind, c.input) :
			native.submit(this.#h, c.op, slot, c.kind, c.input,
				      c.a0, c.a1, c.a2);
		if (r === 0) {
			c.slot = slot;
			c.input = undefined;
			this.#pending[slot] = c;
			if (!this.#flushQueued) {
				this.#flushQueued = true;
				queueMicrotask(this.#flush);
			}
			return true;
		}
		if (slot === this.#pending.length)
			this.#pending.push(undefined);
		this.#free.push(slot);
		if (r === EAGAIN || r === ENOSPC)
			return false;
		this.#settle(c, accelError(r));
		return true;
	}

	/* Submits queued calls while there is room, in order. */
	#drainBacklog() {
		const q = this.#backlog;
		let i = this.#backlogHead;
		while (i < q.length && this.#state === 'open') {
			const c = q[i];
			if (!c.aborted && !this.#submit(c))
				break;
			q[i++] = undefined;
		}
		if (i >= q.length) {
			q.length = 0;
			i = 0;
		} else if (i > 4096 && i * 2 > q.length) {
			q.splice(0, i);
			i = 0;
		}
		this.#backlogHead = i;
	}

	#settle(c, err, value) {
		if (c.onAbort) {
			c.signal.removeEventListener('abort', c.onAbort);
			c.onAbort = null;
		}
		if (err)
			c.reject(err);
		else
			c.resolve(value);
	}

	#abort(c) {
		if (c.aborted || c.cancelling)
			return;
		if (c.waitOnAbort && c.slot >= 0 && this.#state === 'open') {
			/* The final completion settles it (#onBatch). */
			c.cancelling = true;
			c.onAbort = null;
			if (native.cancel(this.#h, c.slot) && !this.#flushQueued) {
				this.#flushQueued = true;
				queueMicrotask(this.#flush);
			}
			return;
		}
		c.aborted = true;
		c.onAbort = null;
		c.reject(new AbortError(c.signal.reason));
		/* Still in the engine: cancel it and swallow its completion. */
		if (c.slot >= 0 && this.#state === 'open') {
			if (native.abandon(this.#h, c.slot) && !this.#flushQueued) {
				this.#flushQueued = true;
				queueMicrotask(this.#flush);
			}
		}
	}

	/* One reap batch from the addon: n [slot, res, flags] triples. */
	#onBatch(n, vals) {
		const meta = this.#meta;
		const pending = this.#pending;
		for (let i = 0; i < n; i++) {
			const slot = meta[3 * i];
			const res = meta[3 * i + 1];
			const c = pending[slot];
			if (c === undefined)
				continue;
			const v = vals === undefined ? undefined : vals[i];
			if (meta[3 * i + 2] & F_MORE) {
				if (!c.aborted && c.onProgress)
					this.#progress(c, res, v);
				continue;
			}
			pending[slot] = undefined;
			this.#free.push(slot);
			if (c.aborted)
				continue;
			if (c.cancelling) {
				this.#settle(c, this.#stopped(c, res, v));
				continue;
			}
			if (res < 0) {
				this.#settle(c, accelError(res, v));
				continue;
			}
			let value;
			try {
				value = finish(c.mode, res, v);
			} catch (e) {
				this.#settle(c, accelError(-codes.EACCEL_PROTOCOL,
							   e.message));
				continue;
			}
			this.#settle(c, null, value);
		}
		if (this.#backlog.length > this.#backlogHead)
			this.#drainBacklog();
	}

	/*
	 * The AbortError of a waitOnAbort call, once its op has stopped: the
	 * op's value as err.result, or its error as err.opError.
	 */
	#stopped(c, res, v) {
		const err = new AbortError(c.signal.reason);
		if (res < 0) {
			err.opError = accelError(res, v);
		} else {
			try {
				err.result = finish(c.mode, res, v);
			} catch (e) {
				err.opError = e;
			}
		}
		return err;
	}

	#progress(c, res, v) {
		try {
			c.onProgress(res, v);
		} catch (e) {
			process.nextTick(() => { throw e; });
		}
	}

	/* Every pending and queued call fails with code. */
	#failAll(code) {
		const pending = this.#pending;
		this.#pending = [];
		this.#free = [];
		const q = this.#backlog.slice(this.#backlogHead);
		this.#backlog = [];
		this.#backlogHead = 0;
		for (const c of pending)
			if (c !== undefined && !c.aborted)
				this.#settle(c, accelError(code));
		for (const c of q)
			if (c !== undefined && !c.aborted)
				this.#settle(c, accelError(code));
	}

	#onDeath(code) {
		if (this.#state !== 'open')
			return;
		this.#state = 'dead';
		this.#deathCode = code;
		this.#failAll(code);
		/* A protocol error leaves a live but broken engine behind. */
		if (this.#child && this.#child.exitCode === null)
			this.#child.kill('SIGKILL');
	}
}

/* The op modules' methods (lib/ops/): diff, tokens, context, symbols, ... */
require('./ops')(Engine, { AccelError, AbortError, accelError, codes });

module.exports = {
	Engine,
	AccelError,
	AbortError,
	codes,
	ops: native.ops,
	errorName(code) {
		const e = codeByNum.get(code < 0 ? -code : code);
		return e ? e.code : undefined;
	},
	addonPath: ADDON_PATH,
	enginePath: ENGINE_PATH,
};
