'use strict';
/*
 * The JS surface of the tokenizer ops (engine/ops/tokens.c, docs/tokens.md):
 * eng.countTokens / encode / decode / isWithinLimit and their Sync twins.
 *
 * Special tokens work as in tiktoken / js-tiktoken: allowedSpecial and
 * disallowedSpecial are 'all' or arrays of names; the defaults (no special
 * allowed, disallowedSpecial 'all') make special-token text in the input an
 * AccelError EACCEL_TOKENS_SPECIAL; `disallowedSpecial: []` encodes it as
 * ordinary text. countTokens(t) always equals encode(t).length with the
 * same options.
 *
 * Strings are sent as UTF-8 (always valid: lone surrogates become U+FFFD,
 * as in TextEncoder). Bytes are tokenized as given; `replaceInvalid: true`
 * turns invalid UTF-8 into U+FFFD first, which is what a JS tokenizer sees
 * after TextDecoder.
 */
const { typeError } = require('../argerr');
const os = require('node:os');

const ENCODINGS = {
	cl100k_base: {
		id: 1,
		special: ['<|endoftext|>', '<|fim_prefix|>', '<|fim_middle|>',
			'<|fim_suffix|>', '<|endofprompt|>'],
	},
	o200k_base: {
		id: 2,
		special: ['<|endoftext|>', '<|endofprompt|>'],
	},
};
const DIALECTS = { 'tiktoken': 0, 'js-tiktoken': 1 };
const F_JS_DIALECT = 1 << 8;
const F_REPLACE_INVALID = 1 << 9;
const LE = os.endianness() === 'LE';

function checkText(v) {
	if (typeof v !== 'string' && !ArrayBuffer.isView(v) &&
	    !(v instanceof ArrayBuffer))
		throw typeError('text must be a string, Buffer, TypedArray, ' +
			'DataView or ArrayBuffer');
}

function encodingOf(name) {
	if (name === undefined || name === null)
		return ENCODINGS.o200k_base;
	if (typeof name !== 'string')
		throw typeError('encoding must be a string');
	if (!Object.hasOwn(ENCODINGS, name))
		throw typeError(`encoding must be one of ${
			Object.keys(ENCODINGS).join(', ')}`, 'ERR_INVALID_ARG_VALUE');
	return ENCODINGS[name];
}

/* A special-token set ('all' or an array of names) as a bit mask. */
function specialMask(enc, name, v) {
	const all = (1 << enc.special.length) - 1;
	if (v === 'all')
		return all;
	if (v instanceof Set)
		v = [...v];
	if (!Array.isArray(v))
		throw typeError(`${name} must be 'all' or an array of ` +
			'special-token names');
	let m = 0;
	for (const s of v) {
		const i = enc.special.indexOf(s);
		if (i < 0)
			throw typeError(`${name}: ${JSON.stringify(s)} is not a ` +
				`special token of this encoding (${
					enc.special.join(' ')})`, 'ERR_INVALID_ARG_VALUE');
		m |= 1 << i;
	}
	return m;
}

/* arg[0] and arg[1] of the three ops. */
function modeArgs(encoding, opts, forDecode) {
	if (opts === null || typeof opts !== 'object')
		throw typeError('options must be an object');
	const enc = encodingOf(encoding);
	if (opts.dialect !== undefined && !Object.hasOwn(DIALECTS, opts.dialect))
		throw typeError("dialect must be 'tiktoken' or 'js-tiktoken'",
			'ERR_INVALID_ARG_VALUE');
	if (opts.replaceInvalid !== undefined &&
	    typeof opts.replaceInvalid !== 'boolean')
		throw typeError('replaceInvalid must be a boolean');
	if (opts.signal !== undefined && !(opts.signal instanceof AbortSignal))
		throw typeError('signal must be an AbortSignal');
	let a0 = enc.id;
	if (DIALECTS[opts.dialect ?? 'tiktoken'])
		a0 |= F_JS_DIALECT;
	if (forDecode)
		return [a0, 0];
	if (opts.replaceInvalid)
		a0 |= F_REPLACE_INVALID;
	const allowed = specialMask(enc, 'allowedSpecial',
		opts.allowedSpecial ?? []);
	const dis = opts.disallowedSpecial ?? 'all';
	/* tiktoken: 'all' disallows every special token not allowed. */
	const disallowed = dis === 'all' ?
		((1 << enc.special.length) - 1) & ~allowed :
		specialMask(enc, 'disallowedSpecial', dis);
	return [a0, allowed + disallowed * 2 ** 32];
}

/*
 * The ids of an encode result: a Uint32Array over the engine's result
 * block (zero copy) when the block is 4-byte aligned, which the engine's
 * arena gives; otherwise (a copied result from an odd pool offset) a copy.
 */
function idsOf(buf) {
	const n = buf.length >>> 2;
	if (n === 0)
		return new Uint32Array(0);
	if (LE && buf.byteOffset % 4 === 0)
		return new Uint32Array(buf.buffer, buf.byteOffset, n);
	const out = new Uint32Array(n);
	for (let i = 0; i < n; i++)
		out[i] = buf.readUInt32LE(4 * i);
	return out;
}

/* The request bytes of decode(): little-endian u32 ids. */
function idsInput(ids) {
	if (ids instanceof Uint32Array && LE)
		return ids;
	let arr = ids;
	if (!Array.isArray(ids) && !ArrayBuffer.isView(ids))
		throw typeError('ids must be an array of token ids or a ' +
			'Uint32Array');
	if (ArrayBuffer.isView(ids) && !(ids instanceof Uint32Array))
		arr = Array.from(ids);
	const out = Buffer.allocUnsafe(arr.length * 4);
	for (let i = 0; i < arr.length; i++) {
		const v = arr[i];
		if (!Number.isInteger(v) || v < 0 || v > 0xffffffff)
			throw typeError(`ids[${i}] must be an integer in ` +
				'[0, 4294967295]', 'ERR_OUT_OF_RANGE');
		out.writeUInt32LE(v, 4 * i);
	}
	return out;
}

function checkLimit(limit) {
	if (!Number.isSafeInteger(limit) || limit < 0)
		throw typeError('limit must be a non-negative safe integer',
			typeof limit === 'number' ? 'ERR_OUT_OF_RANGE' :
				'ERR_INVALID_ARG_TYPE');
}

function asyncCall(fn) {
	try {
		return fn();
	} catch (e) {
		return Promise.reject(e);
	}
}

function install(Engine) {
	const P = Engine.prototype;

	P.countTokens = function countTokens(text, encoding, opts = {}) {
		return asyncCall(() => {
			checkText(text);
			const a = modeArgs(encoding, opts, false);
			return this.call('tokens_count', text, { args: a,
				result: 'none', signal: opts.signal });
		});
	};
	P.countTokensSync = function countTokensSync(text, encoding, opts = {}) {
		checkText(text);
		return this.callSync('tokens_count', text,
			{ args: modeArgs(encoding, opts, false), result: 'none' });
	};

	P.isWithinLimit = function isWithinLimit(text, limit, encoding,
						 opts = {}) {
		return asyncCall(() => {
			checkText(text);
			checkLimit(limit);
			const a = modeArgs(encoding, opts, false);
			a.push(BigInt(limit) + 1n);
			return this.call('tokens_count', text, { args: a,
				result: 'none', signal: opts.signal })
				.then((n) => (n <= limit ? n : false));
		});
	};
	P.isWithinLimitSync = function isWithinLimitSync(text, limit, encoding,
							 opts = {}) {
		checkText(text);
		checkLimit(limit);
		const a = modeArgs(encoding, opts, false);
		a.push(BigInt(limit) + 1n);
		const n = this.callSync('tokens_count', text,
			{ args: a, result: 'none' });
		return n <= limit ? n : false;
	};

	P.encode = function encode(text, encoding, opts = {}) {
		return asyncCall(() => {
			checkText(text);
			const a = modeArgs(encoding, opts, false);
			return this.call('tokens_encode', text, { args: a,
				result: 'buffer', signal: opts.signal }).then(idsOf);
		});
	};
	P.encodeSync = function encodeSync(text, encoding, opts = {}) {
		checkText(text);
		return idsOf(this.callSync('tokens_encode', text,
			{ args: modeArgs(encoding, opts, false), result: 'buffer' }));
	};

	P.decode = function decode(ids, encoding, opts = {}) {
		return asyncCall(() => {
			const input = idsInput(ids);
			const a = modeArgs(encoding, opts, true);
			return this.call('tokens_decode', input, { args: a,
				result: 'string', signal: opts.signal });
		});
	};
	P.decodeSync = function decodeSync(ids, encoding, opts = {}) {
		const input = idsInput(ids);
		return this.callSync('tokens_decode', input,
			{ args: modeArgs(encoding, opts, true), result: 'string' });
	};
}

module.exports = { install, ENCODINGS };
