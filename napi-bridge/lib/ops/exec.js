'use strict';
/*
 * The JS surface of the exec op (engine/ops/exec.c; wire format in
 * docs/ops.md, "exec (16)"; result block "ASBR" in sandbox/sandbox.h):
 * eng.exec(opts). There is no execSync, by design: a command may run for
 * minutes and must never block the event loop.
 *
 * exec() checks its options (TypeError, code ERR_INVALID_ARG_TYPE or
 * ERR_INVALID_ARG_VALUE; the Promise rejects), encodes one request (header,
 * policy lists, argv, env, cwd, stdin), runs the generic call() and decodes
 * the result block. JS semantics at the edge: exitCode is -1 when the
 * command died by a signal or never started; times are milliseconds.
 */

const { typeError } = require('../argerr');
const { checkData, bytesOf } = require('./common');
const MAGIC = 0x51525841; /* "AXRQ" */
const VERSION = 1;
const HDR = 272;
const SECT_OFF = 112;
const X_MERGE = 1 << 0;
const X_STREAM = 1 << 1;
const X_ENV_ALLOW = 1 << 2;
const X_FRESH_POLICY = 1 << 3;

const RES_MAGIC = 0x52425341; /* "ASBR" */
const RES_HDR = 160;
const VIOL_SIZE = 88;

const NET = { none: 0, loopback: 1, full: 2 };
/* ACCEL_SANDBOX_F_* */
const PF_PRIVATE_TMP = 1 << 0;
const PF_NO_NOTIFY = 1 << 1;
const PF_NETNS_FOR_NONE = 1 << 2;
const PF_TRACE_WRITES = 1 << 3;
/* ACCEL_SANDBOX_R_* */
const R_TIMED_OUT = 1 << 0;
const R_CANCELLED = 1 << 1;
const R_OUTPUT_LIMIT = 1 << 2;
const R_OOM = 1 << 3;
const R_PIDS_LIMIT = 1 << 4;

/* Bit i of the layer masks (ACCEL_SANDBOX_L_*, accel_sandbox_layer_name). */
const LAYERS = [
	'userns', 'pidns', 'mntns', 'ipcns', 'utsns', 'netns', 'landlock-fs',
	'landlock-net', 'landlock-scope', 'seccomp', 'seccomp-notify',
	'no-new-privs', 'noroot', 'cgroup', 'rlimits', 'pdeathsig',
];
const LAYER_BIT = Object.fromEntries(LAYERS.map((n, i) => [n, 1 << i]));
LAYER_BIT.namespaces = 0x3f;
/* enum accel_sandbox_step */
const STEPS = [
	'none', 'clone', 'pdeathsig', 'fds', 'rlimits', 'cgroup', 'idmap',
	'mounts', 'netns', 'cwd', 'noroot', 'no-new-privs', 'landlock',
	'seccomp', 'signals', 'exec',
];
const VIOLATION_KINDS = [undefined, 'syscall', 'socket', 'namespace', 'ioctl',
	'write'];

let signalNames;
function signalName(n) {
	if (!signalNames) {
		signalNames = [];
		const sig = require('node:os').constants.signals;
		for (const k of Object.keys(sig))
			if (signalNames[sig[k]] === undefined)
				signalNames[sig[k]] = k;
	}
	return signalNames[n] ?? `SIG${n}`;
}

function strList(name, v) {
	if (v === undefined || v === null)
		return [];
	if (!Array.isArray(v))
		throw typeError(`${name} must be an array of strings`);
	for (const s of v)
		if (typeof s !== 'string')
			throw typeError(`${name} must be an array of strings`);
	return v;
}

function u64(name, v) {
	if (v === undefined || v === null)
		return 0n;
	if (typeof v === 'bigint') {
		if (v < 0n || v >= 1n << 64n)
			throw typeError(`${name} is out of range`,
				'ERR_INVALID_ARG_VALUE');
		return v;
	}
	if (typeof v !== 'number')
		throw typeError(`${name} must be a number`);
	if (!(v >= 0) || !Number.isFinite(v))
		throw typeError(`${name} must be a non-negative number`,
			'ERR_INVALID_ARG_VALUE');
	return BigInt(Math.ceil(v));
}

function u32(name, v) {
	const b = u64(name, v);
	if (b > 0xffffffffn)
		throw typeError(`${name} is out of range`, 'ERR_INVALID_ARG_VALUE');
	return Number(b);
}

function layerMask(name, v) {
	let m = 0;
	for (const l of strList(name, v)) {
		if (!(l in LAYER_BIT))
			throw typeError(`${name}: unknown layer '${l}' (one of ` +
				`${LAYERS.join(', ')}, namespaces)`,
			'ERR_INVALID_ARG_VALUE');
		m |= LAYER_BIT[l];
	}
	return m >>> 0;
}

/* The strv wire format: u32 length + UTF-8 bytes per string. */
function strvParts(list) {
	const bufs = list.map((s) => Buffer.from(s, 'utf8'));
	let len = 0;
	for (const b of bufs)
		len += 4 + b.length;
	return { bufs, len, count: list.length };
}

function envList(name, env) {
	if (env === undefined || env === null)
		return [];
	if (typeof env !== 'object' || Array.isArray(env))
		throw typeError(`${name} must be an object of strings`);
	const out = [];
	for (const k of Object.keys(env)) {
		const v = env[k];
		if (v === undefined)
			continue;
		if (typeof v !== 'string')
			throw typeError(`${name}.${k} must be a string`);
		out.push(`${k}=${v}`);
	}
	return out;
}

/* An optional byte input: absent is empty. */
function optBytes(name, v) {
	if (v === undefined || v === null)
		return Buffer.alloc(0);
	checkData(name, v);
	return bytesOf(v);
}

/* Builds the request block (docs/ops.md, "exec (16)"). Throws TypeErrors. */
function encodeExec(o) {
	if (o === null || typeof o !== 'object')
		throw typeError('exec options must be an object');
	const argv = strList('argv', o.argv);
	if (!argv.length)
		throw typeError('argv must name a command', 'ERR_INVALID_ARG_VALUE');
	const pol = o.policy ?? {};
	if (typeof pol !== 'object')
		throw typeError('policy must be an object');
	const lim = pol.limits ?? {};
	if (typeof lim !== 'object')
		throw typeError('policy.limits must be an object');
	const net = NET[pol.network ?? 'none'];
	if (net === undefined)
		throw typeError("policy.network must be 'none', 'loopback' or " +
			"'full'", 'ERR_INVALID_ARG_VALUE');
	let pflags = 0;
	if (pol.privateTmp)
		pflags |= PF_PRIVATE_TMP;
	if (pol.reportViolations === false)
		pflags |= PF_NO_NOTIFY;
	if (pol.netnsForNone)
		pflags |= PF_NETNS_FOR_NONE;
	if (pol.traceWrites)
		pflags |= PF_TRACE_WRITES;
	if (o.cwd !== undefined && typeof o.cwd !== 'string')
		throw typeError('cwd must be a string');
	const envAllow = o.envAllow ?? pol.envAllow;
	const baseEnv = o.baseEnv === undefined ? process.env : o.baseEnv;

	let flags = 0;
	if (o.merge)
		flags |= X_MERGE;
	if (o.onOutput !== undefined) {
		if (typeof o.onOutput !== 'function')
			throw typeError('onOutput must be a function');
		flags |= X_STREAM;
	}
	if (envAllow !== undefined && envAllow !== null)
		flags |= X_ENV_ALLOW;
	if (pol.cache === false)
		flags |= X_FRESH_POLICY;

	const sects = [
		strvParts(strList('policy.read', pol.read)),
		strvParts(strList('policy.write', pol.write)),
		strvParts(strList('policy.deny', pol.deny)),
		strvParts(strList('policy.readonly', pol.readonly)),
		strvParts(strList('envAllow', envAllow)),
		strvParts(argv),
		strvParts(envList('baseEnv', baseEnv)),
		strvParts(envList('env', o.env)),
		{ raw: optBytes('cwd', o.cwd), count: 0 },
		{ raw: optBytes('stdin', o.stdin), count: 0 },
	];
	let total = HDR;
	for (const s of sects) {
		if (s.raw)
			s.len = s.raw.length;
		if (total + s.len > 0xffffffff)
			throw typeError('exec request is larger than 4 GiB',
				'ERR_INVALID_ARG_VALUE');
		total += s.len;
	}
	const buf = Buffer.alloc(total);
	buf.writeUInt32LE(MAGIC, 0);
	buf.writeUInt16LE(VERSION, 4);
	buf.writeUInt16LE(HDR, 6);
	buf.writeUInt32LE(flags >>> 0, 8);
	buf.writeUInt32LE(net, 12);
	buf.writeUInt32LE(pflags >>> 0, 16);
	buf.writeUInt32LE(layerMask('policy.requireLayers', pol.requireLayers), 20);
	buf.writeUInt32LE(layerMask('policy.disableLayers', pol.disableLayers), 24);
	buf.writeUInt32LE(u32('limits.cpuPercent', lim.cpuPercent), 28);
	buf.writeBigUInt64LE(u64('limits.memoryBytes', lim.memoryBytes), 32);
	buf.writeBigUInt64LE(u64('limits.pids', lim.pids), 40);
	buf.writeBigUInt64LE(u64('limits.cpuMs', lim.cpuMs), 48);
	buf.writeBigUInt64LE(u64('limits.fileSizeBytes', lim.fileSizeBytes), 56);
	buf.writeBigUInt64LE(u64('limits.nofile', lim.nofile), 64);
	buf.writeBigUInt64LE(u64('timeoutMs', o.timeoutMs), 72);
	buf.writeBigUInt64LE(u64('killGraceMs', o.killGraceMs), 80);
	buf.writeBigUInt64LE(u64('maxOutputBytes', o.maxOutputBytes), 88);
	buf.writeUInt32LE(u32('headBytes', o.headBytes), 96);
	buf.writeUInt32LE(u32('tailBytes', o.tailBytes), 100);
	let off = HDR;
	for (let i = 0; i < sects.length; i++) {
		const s = sects[i];
		const d = SECT_OFF + 16 * i;
		buf.writeUInt32LE(s.len ? off : 0, d);
		buf.writeUInt32LE(s.len, d + 4);
		buf.writeUInt32LE(s.count, d + 8);
		if (s.raw) {
			s.raw.copy(buf, off);
			off += s.raw.length;
			continue;
		}
		for (const b of s.bufs) {
			buf.writeUInt32LE(b.length, off);
			off += 4 + b.copy(buf, off + 4);
		}
	}
	return { buf, flags };
}

function layerNames(mask) {
	const out = {};
	for (let i = 0; i < LAYERS.length; i++)
		out[LAYERS[i]] = (mask & (1 << i)) !== 0;
	return out;
}

function layerList(mask) {
	return LAYERS.filter((_, i) => mask & (1 << i));
}

/* Decodes an "ASBR" block (sandbox.h, accel_sandbox_result_encode). */
function decodeResult(res, b, asBuffer) {
	if (!b || b.length < RES_HDR || b.readUInt32LE(0) !== RES_MAGIC ||
	    b.readUInt16LE(4) !== 1 || b.readUInt16LE(6) !== RES_HDR)
		throw new Error('exec: malformed result block');
	const stream = (at) => {
		const off = b.readUInt32LE(at), len = b.readUInt32LE(at + 4);
		if (off + len > b.length)
			throw new Error('exec: stream outside the result block');
		const data = b.subarray(off, off + len);
		return {
			data: asBuffer ? Buffer.from(data) : data.toString('utf8'),
			headLen: b.readUInt32LE(at + 8),
			total: Number(b.readBigUInt64LE(at + 16)),
			elided: Number(b.readBigUInt64LE(at + 24)),
		};
	};
	const flags = b.readUInt32LE(16);
	const sig = b.readInt32LE(12);
	const out = stream(80), err = stream(112);
	const nv = b.readUInt32LE(36);
	const voff = b.readUInt32LE(144), vsize = b.readUInt32LE(148);
	if (vsize < VIOL_SIZE || voff + nv * vsize > b.length)
		throw new Error('exec: violations outside the result block');
	const violations = [];
	for (let i = 0; i < nv; i++) {
		const p = voff + i * vsize;
		const w = b.subarray(p + 40, p + 88);
		const z = w.indexOf(0);
		violations.push({
			kind: VIOLATION_KINDS[b.readUInt32LE(p)] ?? 'unknown',
			syscall: b.readInt32LE(p + 4),
			pid: b.readInt32LE(p + 8),
			args: [b.readBigUInt64LE(p + 16), b.readBigUInt64LE(p + 24),
				b.readBigUInt64LE(p + 32)],
			what: w.subarray(0, z < 0 ? 48 : z).toString('utf8'),
		});
	}
	const userNs = Number(b.readBigUInt64LE(56));
	const sysNs = Number(b.readBigUInt64LE(64));
	return {
		exitCode: b.readInt32LE(8),
		signal: sig ? signalName(sig) : null,
		timedOut: (flags & R_TIMED_OUT) !== 0,
		cancelled: (flags & R_CANCELLED) !== 0,
		outputLimit: (flags & R_OUTPUT_LIMIT) !== 0,
		oom: (flags & R_OOM) !== 0,
		pidsLimit: (flags & R_PIDS_LIMIT) !== 0,
		stdout: out.data,
		stderr: err.data,
		stdoutElided: out.elided,
		stderrElided: err.elided,
		stdoutBytes: out.total,
		stderrBytes: err.total,
		stdoutHeadLength: out.headLen,
		stderrHeadLength: err.headLen,
		wallMs: Number(b.readBigUInt64LE(48)) / 1e6,
		cpuMs: (userNs + sysNs) / 1e6,
		userMs: userNs / 1e6,
		sysMs: sysNs / 1e6,
		peakRssBytes: Number(b.readBigUInt64LE(72)),
		layers: layerNames(b.readUInt32LE(20)),
		missingLayers: layerList(b.readUInt32LE(44)),
		landlockAbi: b.readUInt32LE(24),
		violations,
		violationsDropped: b.readUInt32LE(40),
		policyCached: (res & 1) !== 0,
	};
}

exports.install = (Engine, lib) => {
	Engine.prototype.exec = function (opts) {
		let req;
		try {
			req = encodeExec(opts);
			if (opts.encoding !== undefined &&
			    opts.encoding !== 'utf8' && opts.encoding !== 'buffer')
				throw typeError("encoding must be 'utf8' or 'buffer'",
					'ERR_INVALID_ARG_VALUE');
		} catch (e) {
			return Promise.reject(e);
		}
		const asBuffer = opts.encoding === 'buffer';
		const cb = opts.onOutput;
		/*
		 * Progress blocks: u64 stream (0 stdout or merged, 1 stderr),
		 * u64 bytes of that stream so far, then the chunk.
		 */
		const onProgress = cb && ((_res, v) => {
			/* The bridge hands progress over as a Buffer (a view). */
			const d = Buffer.isBuffer(v) ? v : v && v.data;
			if (!d || d.length < 16)
				return;
			const s = d.readUInt32LE(0) === 1 ? 'stderr' : 'stdout';
			/* A copy: the view's block goes back to the engine. */
			cb(s, Buffer.from(d.subarray(16)));
		});
		/*
		 * An abort rejects once the engine has killed the whole tree,
		 * with what the command did until then as err.result.
		 */
		return this.call('exec', req.buf, {
			result: 'raw',
			signal: opts.signal,
			onProgress,
			waitOnAbort: true,
		}).then((r) => decodeResult(r.res, r.data, asBuffer), (e) => {
			if (e.name === 'AbortError' && e.result)
				e.result = decodeResult(e.result.res, e.result.data,
							asBuffer);
			throw e;
		});
	};
};

exports.encodeExec = encodeExec;
exports.decodeResult = decodeResult;
exports.LAYERS = LAYERS;
exports.STEPS = STEPS;
