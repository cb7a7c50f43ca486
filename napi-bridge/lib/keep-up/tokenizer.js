'use strict';
/*
 * keep-up's tokenizer addon (@ku0/tokenizer-rs, NativeTokenizer) over the
 * shared engine: exact BPE counts (cl100k_base, o200k_base), the
 * compressContext selection, zstd payloads. Every function is synchronous,
 * as keep-up calls them. Without an engine (getEngine() null) they throw
 * EACCEL_NO_ENGINE: getNativeTokenizer() returns null then, which is how
 * keep-up learns to use its JS fallback.
 *
 * Units and semantics (docs/keep-up.md):
 *  - A model maps to its encoding as tiktoken's encoding_for_model does;
 *    an encoding name is taken as is; anything else is cl100k_base.
 *  - Counting is tiktoken's encode_with_special_tokens: "<|endoftext|>" in
 *    the text is one token.
 *  - compressContext returns the caller's message objects, except the one
 *    that was cut (a shallow copy with the shortened content).
 */

const { getEngine, noEngine } = require('./engine');

const TOOL_CALL_TOKENS = 50;
const CUT_FLOOR_TOKENS = 50;
const CHARS_PER_TOKEN = 4;
const SPECIAL = { allowedSpecial: 'all' };

/*
 * tiktoken's MODEL_TO_ENCODING / MODEL_PREFIX_TO_ENCODING, for the
 * encodings the engine has. Older models (text-davinci-*, code-*: p50k and
 * r50k) count as cl100k_base, the default for anything unknown.
 */
const MODEL_ENCODING = new Map([
	['gpt-4o', 'o200k_base'], ['gpt-4.1', 'o200k_base'],
	['gpt-4.5', 'o200k_base'], ['gpt-5', 'o200k_base'],
	['o1', 'o200k_base'], ['o3', 'o200k_base'], ['o4-mini', 'o200k_base'],
	['chatgpt-4o-latest', 'o200k_base'], ['gpt-oss', 'o200k_base'],
	['gpt-4', 'cl100k_base'], ['gpt-3.5-turbo', 'cl100k_base'],
	['gpt-3.5', 'cl100k_base'], ['gpt-35-turbo', 'cl100k_base'],
	['text-embedding-ada-002', 'cl100k_base'],
	['text-embedding-3-small', 'cl100k_base'],
	['text-embedding-3-large', 'cl100k_base'],
]);
const PREFIX_ENCODING = [
	['gpt-4o-', 'o200k_base'], ['gpt-4.1-', 'o200k_base'],
	['gpt-4.5-', 'o200k_base'], ['gpt-5-', 'o200k_base'],
	['o1-', 'o200k_base'], ['o3-', 'o200k_base'], ['o4-', 'o200k_base'],
	['chatgpt-4o-', 'o200k_base'], ['gpt-oss-', 'o200k_base'],
	['ft:gpt-4o', 'o200k_base'],
	['gpt-4-', 'cl100k_base'], ['gpt-3.5-turbo-', 'cl100k_base'],
	['gpt-35-turbo-', 'cl100k_base'], ['ft:gpt-4', 'cl100k_base'],
	['ft:gpt-3.5-turbo', 'cl100k_base'],
];
const ENCODINGS = new Set(['cl100k_base', 'o200k_base']);
const encCache = new Map();

/* The encoding the engine counts a model's tokens with. */
function encodingForModel(model) {
	if (typeof model !== 'string')
		return 'cl100k_base';
	let enc = encCache.get(model);
	if (enc !== undefined)
		return enc;
	if (ENCODINGS.has(model)) {
		enc = model;
	} else {
		enc = MODEL_ENCODING.get(model);
		if (enc === undefined) {
			const p = PREFIX_ENCODING.find(([pre]) =>
				model.startsWith(pre));
			enc = p ? p[1] : 'cl100k_base';
		}
	}
	if (encCache.size < 1024)
		encCache.set(model, enc);
	return enc;
}

function engine() {
	const e = getEngine();
	if (e === null)
		throw noEngine('tokenizer');
	return e;
}

function checkString(name, v) {
	if (typeof v !== 'string')
		throw new TypeError(`${name} must be a string`);
}

/* Runs fn on the engine; a death the loop has not seen goes to its successor. */
function onEngine(fn) {
	const e = engine();
	try {
		return fn(e);
	} catch (err) {
		if (err === null || typeof err !== 'object' ||
		    err.code !== 'EACCEL_ENGINE_DIED')
			throw err;
	}
	return fn(engine());
}

function countTokens(text, model) {
	checkString('text', text);
	if (text === '')
		return 0;
	const enc = encodingForModel(model);
	return onEngine((e) => e.countTokensSync(text, enc, SPECIAL));
}

function countTokensBatch(texts, model) {
	if (!Array.isArray(texts))
		throw new TypeError('texts must be an array of strings');
	const enc = encodingForModel(model);
	const out = new Array(texts.length);
	for (let i = 0; i < texts.length; i++) {
		checkString(`texts[${i}]`, texts[i]);
		out[i] = texts[i] === '' ? 0 :
			onEngine((e) => e.countTokensSync(texts[i], enc, SPECIAL));
	}
	return out;
}

/* JSON text of a value; undefined (and functions) as null, like serde. */
function jsonOf(value) {
	return JSON.stringify(value) ?? 'null';
}

function estimateJsonTokens(value, model) {
	return countTokens(jsonOf(value), model);
}

/*
 * keep-up's cut of a message that does not fit: the first budget * 4
 * characters (code points), shortened to the last '.' or newline when that
 * lies past 70% of the cut, then '...'. Text that fits is returned as is.
 */
function truncateText(text, budget) {
	const max = budget * CHARS_PER_TOKEN;
	if (text.length <= max)
		return text;
	/* Code points: cut after the max-th one. */
	let end = 0;
	let n = 0;
	while (n < max && end < text.length) {
		const c = text.charCodeAt(end);
		end += c >= 0xd800 && c < 0xdc00 && end + 1 < text.length ? 2 : 1;
		n++;
	}
	if (end >= text.length)
		return text;
	const cut = text.slice(0, end);
	const at = Math.max(cut.lastIndexOf('.'), cut.lastIndexOf('\n'));
	if (at >= 0 && codePoints(cut, at) > Math.floor(max * 0.7))
		return cut.slice(0, at + 1) + '...';
	return cut + '...';
}

/* Code points in s before UTF-16 index i. */
function codePoints(s, i) {
	let n = 0;
	for (let k = 0; k < i; k++) {
		const c = s.charCodeAt(k);
		if (!(c >= 0xdc00 && c < 0xe000 && k > 0 &&
		      s.charCodeAt(k - 1) >= 0xd800 && s.charCodeAt(k - 1) < 0xdc00))
			n++;
	}
	return n;
}

function checkCount(name, v) {
	if (typeof v !== 'number' || !(v >= 0) || v === Infinity)
		throw new TypeError(`${name} must be a non-negative number`);
	return Math.min(Math.trunc(v), 0xffffffff);
}

/*
 * What selectRecent counts for a message: keep-up counts a tool result by
 * its `result` field alone, so the results go in as those values.
 */
function forSelect(messages) {
	let out = messages;
	for (let i = 0; i < messages.length; i++) {
		const m = messages[i];
		if (m === null || typeof m !== 'object')
			throw new TypeError(`messages[${i}] must be an object`);
		if (!Array.isArray(m.toolResults) && m.toolResults !== undefined &&
		    m.toolResults !== null)
			throw new TypeError(`messages[${i}].toolResults must be an array`);
		if (m.toolResults && m.toolResults.length) {
			if (out === messages)
				out = messages.slice();
			out[i] = { ...m, toolResults: m.toolResults.map((r, k) => {
				if (r === null || typeof r !== 'object')
					throw new TypeError(`messages[${i}].toolResults[${k}] ` +
							    'must be an object');
				return r.result === undefined ? null : r.result;
			}) };
		}
	}
	return out;
}

/*
 * compressContext(messages, maxTokens, preserveLastN, model?): keep-up's
 * selection. The last preserveLastN messages stay; older ones are taken
 * newest first while they fit in what is left of maxTokens; the first that
 * does not fit is cut to the rest of the budget when more than 50 tokens
 * are left, and the scan ends there.
 */
function compressContext(messages, maxTokens, preserveLastN, model) {
	if (!Array.isArray(messages))
		throw new TypeError('messages must be an array');
	const max = checkCount('maxTokens', maxTokens);
	const keep = checkCount('preserveLastN', preserveLastN);
	const n = messages.length;
	if (n === 0)
		return { messages, totalTokens: 0, removedCount: 0,
			 compressionRatio: 0, selectedIndices: [] };
	const enc = encodingForModel(model ?? 'cl100k_base');
	const input = forSelect(messages);
	const sel = onEngine((e) => e.selectRecentSync(input, max, keep,
		{ encoding: enc, allowSpecial: true }));
	const tokens = sel.tokens;
	const indices = sel.selectedIndices;
	const out = [];
	const kept = [];
	let total = 0;
	for (const i of indices) {
		const m = messages[i];
		if (i !== sel.truncatedIndex) {
			out.push(m);
			kept.push(i);
			total += tokens[i];
			continue;
		}
		/* The cut: only a message with content, only when it counts. */
		if (typeof m.content !== 'string')
			continue;
		const text = truncateText(m.content, sel.truncateTokens);
		if (text === '')
			continue;
		/*
		 * Short enough in characters (the tokens that did not fit
		 * were its tool calls or results): kept whole, uncopied.
		 */
		if (text === m.content) {
			out.push(m);
			kept.push(i);
			total += tokens[i];
			continue;
		}
		const t = tokens[i] - countTokens(m.content, enc) +
			countTokens(text, enc);
		if (t <= 0)
			continue;
		out.push({ ...m, content: text });
		kept.push(i);
		total += t;
	}
	return {
		messages: out,
		totalTokens: total,
		removedCount: n - out.length,
		compressionRatio: 1 - out.length / n,
		selectedIndices: kept,
	};
}

/*
 * compressPayloadZstd(value, minBytes, level = 3): zstd of the value's JSON
 * text, or null when that text is shorter than minBytes or compression
 * would not make it smaller. level is clamped to [1, 22].
 */
function compressPayloadZstd(value, minBytes, level) {
	const min = checkCount('minBytes', minBytes);
	let lv = 3;
	if (level !== undefined && level !== null) {
		if (typeof level !== 'number' || Number.isNaN(level))
			throw new TypeError('level must be a number');
		lv = Math.min(22, Math.max(1, Math.trunc(level)));
	}
	const json = JSON.stringify(value);
	if (json === undefined)
		return null;
	const raw = Buffer.from(json, 'utf8');
	if (min > 0 && raw.length < min)
		return null;
	const frame = onEngine((e) => e.compressSync(raw, { level: lv }));
	if (frame.length >= raw.length)
		return null;
	/* A copy: payloads are kept, and views would pin the result arena. */
	const data = new Uint8Array(frame);
	return {
		data,
		originalBytes: raw.length,
		compressedBytes: data.length,
		compressionRatio: raw.length === 0 ? 0 : data.length / raw.length,
		encoding: 'zstd',
	};
}

/* The JSON bytes of a compressPayloadZstd frame; null for a bad frame. */
function decompressPayloadZstd(data) {
	if (!(data instanceof Uint8Array))
		throw new TypeError('data must be a Uint8Array');
	let out;
	try {
		out = onEngine((e) => e.decompressSync(data));
	} catch (err) {
		if (typeof err.code === 'string' &&
		    err.code.startsWith('EACCEL_ZSTD_'))
			return null;
		throw err;
	}
	return new Uint8Array(out);
}

const tokenizer = Object.freeze({
	countTokens,
	countTokensBatch,
	estimateJsonTokens,
	compressContext,
	compressPayloadZstd,
	decompressPayloadZstd,
});

/* keep-up's getNativeTokenizer(): this object, or null without an engine. */
function getNativeTokenizer() {
	return getEngine() === null ? null : tokenizer;
}

module.exports = {
	countTokens,
	countTokensBatch,
	estimateJsonTokens,
	compressContext,
	compressPayloadZstd,
	decompressPayloadZstd,
	encodingForModel,
	getNativeTokenizer,
};
