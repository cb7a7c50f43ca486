'use strict';
/*
 * keep-up's @ku0/sandbox-rs on agent-accel: createSandbox(config) returns
 * the same object as keep-up's native sandbox (evaluateFileAction, execute,
 * read, write, list), with commands run by the engine's exec op under
 * kernel isolation (docs/sandbox.md) and file calls decided here, on the
 * real path (every symlink resolved, also a dangling one).
 *
 * The roots, as keep-up computes them:
 *   allowedRoots (non-empty)  those roots; fsIsolation is then ignored
 *   fsIsolation 'workspace'   [workingDirectory] (required)
 *   fsIsolation 'temp'        [os.tmpdir(), workingDirectory?]
 *   fsIsolation 'none'        no restriction
 *   fsIsolation 'full'        [workingDirectory?] and a private /tmp for
 *                             commands unless a root is under /tmp
 *                             (keep-up's native code applies no
 *                             restriction at all for 'full'; we never grant
 *                             more than the name asks: docs/keep-up.md)
 * File calls (read, write, list, evaluateFileAction) must resolve inside a
 * root; commands may read everything DAC allows and write only the roots.
 *
 * Network: 'none' and 'full' as named. 'allowlist' runs commands without
 * network (no host filtering exists in the kernel): every result says so
 * in `notes`, and sandbox.network is 'none'.
 */

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { typeError } = require('../argerr');

const NETWORK = ['none', 'allowlist', 'full'];
const ISOLATION = ['none', 'workspace', 'temp', 'full'];
const INTENTS = ['read', 'write', 'create', 'delete', 'rename', 'move'];
const DEFAULT_MAX_OUTPUT = 1024 * 1024;
/* Bytes kept per stream at most: the result must fit the result arena. */
const CAPTURE_MAX = 16 * 1024 * 1024;
const MAX_LINKS = 40;
const ALLOWLIST_NOTE = "networkAccess 'allowlist' is not enforced per " +
	'host: the command ran without network access';

/*
 * The process-wide engine (./engine.js). Throws a clear error when the
 * engine is unavailable: keep-up's createSandbox throws when its addon is
 * missing.
 */
function acquireEngine() {
	const mod = require('./engine');
	const eng = mod.getEngine();
	if (eng !== null)
		return eng;
	const why = mod.engineError();
	const e = new Error('agent-accel/keep-up: the engine is not ' +
		'available' + (why ? `: ${why.message}` : ''));
	e.code = (why && why.code) || 'EACCEL_ENGINE_UNAVAILABLE';
	if (why)
		e.cause = why;
	throw e;
}

function accessDenied(p, reason) {
	const e = new Error(`path denied: ${p} (${reason})`);
	e.code = 'ERR_ACCESS_DENIED';
	e.path = p;
	return e;
}

/*
 * The real path of p: symlinks resolved component by component (lstat +
 * readlink, so a dangling link counts as the place it points to), '.' and
 * '..' taken lexically first as keep-up does. What does not exist is kept
 * as written after the deepest real directory.
 */
function realPath(p, depth = 0) {
	if (depth > MAX_LINKS) {
		const e = new Error(`too many levels of symbolic links: ${p}`);
		e.code = 'ELOOP';
		throw e;
	}
	const parts = path.resolve(p).split('/').filter((s) => s !== '');
	let cur = '/';
	for (let i = 0; i < parts.length; i++) {
		const next = path.join(cur, parts[i]);
		let st;
		try {
			st = fs.lstatSync(next);
		} catch (e) {
			if (e.code === 'ENOENT' || e.code === 'ENOTDIR')
				return path.join(next, ...parts.slice(i + 1));
			throw e;
		}
		if (!st.isSymbolicLink()) {
			cur = next;
			continue;
		}
		const target = path.resolve(cur, fs.readlinkSync(next));
		cur = realPath(target, depth + 1);
	}
	return cur;
}

function within(p, root) {
	return root === '/' || p === root || p.startsWith(root + '/');
}

function strings(name, v) {
	if (v === undefined || v === null)
		return undefined;
	if (!Array.isArray(v) || v.some((s) => typeof s !== 'string'))
		throw typeError(`${name} must be an array of strings`);
	return v;
}

function oneOf(name, v, list) {
	if (typeof v !== 'string' || !list.includes(v))
		throw typeError(`invalid config: unknown ${name}: ${String(v)} ` +
			`(one of ${list.join(', ')})`, 'ERR_INVALID_ARG_VALUE');
	return v;
}

/* The policy of one sandbox, fixed at creation as in keep-up. */
function compile(config) {
	if (config === null || typeof config !== 'object')
		throw typeError('createSandbox(config): config must be an object');
	const network = oneOf('network access', config.networkAccess, NETWORK);
	let iso = oneOf('fs isolation', config.fsIsolation, ISOLATION);
	const hosts = strings('allowedHosts', config.allowedHosts) ?? [];
	const wd = config.workingDirectory;
	if (wd !== undefined && wd !== null &&
	    (typeof wd !== 'string' || wd === ''))
		throw typeError('workingDirectory must be a non-empty string');
	const workdir = wd ? realPath(wd) : null;
	const explicit = (strings('allowedRoots', config.allowedRoots) ?? [])
		.filter((r) => r.trim() !== '');
	let roots;
	if (explicit.length) {
		roots = [...new Set(explicit.map((r) => realPath(r)))].sort();
		iso = 'none';
	} else if (iso === 'workspace') {
		if (!workdir)
			throw typeError('invalid config: workingDirectory is ' +
				"required for fsIsolation 'workspace'",
			'ERR_INVALID_ARG_VALUE');
		roots = [workdir];
	} else if (iso === 'temp') {
		roots = [realPath(os.tmpdir())];
		if (workdir)
			roots.push(workdir);
	} else if (iso === 'full') {
		roots = workdir ? [workdir] : [];
	} else {
		roots = null; /* unrestricted */
	}
	const notes = network === 'allowlist' ? [ALLOWLIST_NOTE +
		(hosts.length ? ` (allowedHosts: ${hosts.join(', ')})` : '')] : [];
	return {
		networkAccess: network,
		network: network === 'full' ? 'full' : 'none',
		allowedHosts: hosts,
		fsIsolation: iso,
		workingDirectory: workdir,
		roots,
		/* A fresh /tmp would hide a root inside it: then none. */
		privateTmp: iso === 'full' &&
			!roots.some((r) => within(r, '/tmp') || within('/tmp', r)),
		notes,
	};
}

class Sandbox {
	#p;
	#eng;

	constructor(config, opts) {
		this.#p = compile(config);
		this.#eng = opts && opts.engine ? opts.engine : acquireEngine();
	}

	/* The effective policy (what commands and file calls really get). */
	get policy() {
		const p = this.#p;
		return {
			networkAccess: p.networkAccess,
			network: p.network,
			allowedHosts: [...p.allowedHosts],
			fsIsolation: p.fsIsolation,
			workingDirectory: p.workingDirectory,
			roots: p.roots === null ? null : [...p.roots],
			privateTmp: p.privateTmp,
			notes: [...p.notes],
		};
	}

	get network() {
		return this.#p.network;
	}

	/* The real path of p when a root holds it; else ERR_ACCESS_DENIED. */
	resolve(p) {
		if (typeof p !== 'string' || p === '' || p.includes('\0'))
			throw typeError('path must be a non-empty string');
		const real = realPath(p);
		const roots = this.#p.roots;
		if (roots !== null && !roots.some((r) => within(real, r)))
			throw accessDenied(real, roots.length ?
				'path outside allowed roots' : 'no allowed roots');
		return real;
	}

	evaluateFileAction(p, intent) {
		if (!INTENTS.includes(intent))
			throw typeError('invalid config: unknown action intent: ' +
				String(intent), 'ERR_INVALID_ARG_VALUE');
		try {
			this.resolve(p);
			return { decision: 'allow' };
		} catch (e) {
			if (e instanceof TypeError)
				throw e;
			return { decision: 'deny', reason: e.message };
		}
	}

	/*
	 * Opens the real path with O_NOFOLLOW and checks, on the open file,
	 * that it is still inside a root: a symlink swapped in between the
	 * decision and the open cannot redirect the call.
	 */
	#open(p, flags) {
		const real = this.resolve(p);
		const fd = fs.openSync(real, flags | fs.constants.O_NOFOLLOW |
			fs.constants.O_CLOEXEC, 0o666);
		try {
			const now = fs.readlinkSync(`/proc/self/fd/${fd}`);
			const roots = this.#p.roots;
			if (roots !== null && !roots.some((r) => within(now, r)))
				throw accessDenied(now, 'path moved outside ' +
					'allowed roots while opening');
		} catch (e) {
			fs.closeSync(fd);
			throw e;
		}
		return { fd, real };
	}

	read(p) {
		const { fd } = this.#open(p, fs.constants.O_RDONLY);
		try {
			return fs.readFileSync(fd);
		} finally {
			fs.closeSync(fd);
		}
	}

	write(p, data) {
		if (typeof data !== 'string' && !ArrayBuffer.isView(data))
			throw typeError('data must be a Buffer, TypedArray or string');
		const { fd } = this.#open(p, fs.constants.O_WRONLY |
			fs.constants.O_CREAT);
		try {
			fs.ftruncateSync(fd, 0);
			const b = typeof data === 'string' ? Buffer.from(data) :
				Buffer.from(data.buffer, data.byteOffset,
					data.byteLength);
			for (let off = 0; off < b.length;)
				off += fs.writeSync(fd, b, off, b.length - off);
		} finally {
			fs.closeSync(fd);
		}
	}

	/* Full paths of the entries, sorted (as keep-up). */
	list(p) {
		const { fd, real } = this.#open(p, fs.constants.O_RDONLY |
			fs.constants.O_DIRECTORY);
		try {
			return fs.readdirSync(`/proc/self/fd/${fd}`)
				.map((n) => path.join(real, n)).sort();
		} finally {
			fs.closeSync(fd);
		}
	}

	/* The cwd of a command: the caller's (inside a root) or the default. */
	#cwd(cwd) {
		if (cwd !== undefined && cwd !== null) {
			if (typeof cwd !== 'string')
				throw typeError('cwd must be a string');
			return this.resolve(cwd);
		}
		const p = this.#p;
		if (p.fsIsolation === 'workspace' || p.fsIsolation === 'temp') {
			if (!p.workingDirectory)
				throw typeError('invalid config: workingDirectory is ' +
					'required for sandboxed execution',
				'ERR_INVALID_ARG_VALUE');
			return this.resolve(p.workingDirectory);
		}
		return p.workingDirectory ?? process.cwd();
	}

	/*
	 * Runs cmd with args (no shell). Options as keep-up (cwd, timeoutMs,
	 * stdin, maxOutputBytes per stream, default 1 MiB, env as an object or
	 * [{key, value}]) plus signal (abort kills the whole tree; once it is
	 * gone the Promise rejects with an AbortError whose result is what the
	 * command wrote until then), onOutput(stream, chunk) and
	 * killGraceMs. Rejects when the command cannot start (code
	 * EACCEL_SANDBOX_NOT_FOUND, ...), as keep-up's native execute does.
	 */
	async execute(cmd, args, opts) {
		if (typeof cmd !== 'string' || cmd === '')
			throw typeError('cmd must be a non-empty string');
		const argv = [cmd, ...(strings('args', args) ?? [])];
		const o = opts ?? {};
		if (typeof o !== 'object')
			throw typeError('options must be an object');
		const cap = o.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
		if (!Number.isSafeInteger(cap) || cap < 0)
			throw typeError('maxOutputBytes must be a non-negative ' +
				'integer', 'ERR_INVALID_ARG_VALUE');
		const keep = Math.min(cap, CAPTURE_MAX);
		const p = this.#p;
		const t0 = Date.now();
		const done = (r) => ({
			exitCode: r.exitCode,
			stdout: r.stdout.subarray(0, keep).toString('utf8'),
			stderr: r.stderr.subarray(0, keep).toString('utf8'),
			durationMs: Date.now() - t0,
			timedOut: r.timedOut,
			truncated: r.stdoutBytes > keep || r.stderrBytes > keep,
			signal: r.signal,
			network: p.network,
			notes: [...p.notes],
			violations: r.violations,
		});
		let r;
		try {
			r = await this.#eng.exec({
				argv,
				cwd: this.#cwd(o.cwd),
				env: envObject(o.env),
				stdin: o.stdin,
				timeoutMs: o.timeoutMs,
				killGraceMs: o.killGraceMs,
				/* keep-up keeps each stream's head; 0/0: 64 KiB. */
				headBytes: Math.max(keep, 1),
				tailBytes: 0,
				policy: {
					write: p.roots ?? ['/'],
					network: p.network,
					privateTmp: p.privateTmp,
				},
				signal: o.signal,
				onOutput: o.onOutput,
				encoding: 'buffer',
			});
		} catch (e) {
			/* Aborted: the tree is gone; e.result, what it did. */
			if (e.name === 'AbortError' && e.result)
				e.result = done(e.result);
			throw e;
		}
		return done(r);
	}
}

/* keep-up passes env as [{key, value}] (native) or an object (wrapper). */
function envObject(env) {
	if (env === undefined || env === null)
		return undefined;
	if (Array.isArray(env)) {
		const o = {};
		for (const kv of env) {
			if (kv === null || typeof kv !== 'object' ||
			    typeof kv.key !== 'string' ||
			    typeof kv.value !== 'string')
				throw typeError('env entries must be {key, value} ' +
					'strings');
			o[kv.key] = kv.value;
		}
		return o;
	}
	if (typeof env !== 'object')
		throw typeError('env must be an object or an array of ' +
			'{key, value}');
	return env;
}

/* opts.engine: an Engine of one's own instead of the shared one. */
function createSandbox(config, opts) {
	return new Sandbox(config, opts);
}

module.exports = { createSandbox, Sandbox, realPath, acquireEngine };
