'use strict';
// agent-accel/keep-up: the tokenizer-rs interface through the public module.
// Counts against js-tiktoken (special tokens counted as such), the model ->
// encoding map, compressContext against a JS reference of keep-up's
// semantics written here, zstd payloads.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const { REPO } = require('../testlib/helpers.js');
const ku = require('agent-accel/keep-up');
const { getEncoding } = require(path.join(REPO, 'node_modules/js-tiktoken'));

const tik = { cl100k_base: getEncoding('cl100k_base'),
	      o200k_base: getEncoding('o200k_base') };
/* js-tiktoken's encode with every special token allowed. */
const ref = (text, enc) => tik[enc].encode(text, 'all').length;

function read(rel) {
	return fs.readFileSync(path.join(REPO, 'node_modules', rel), 'utf8');
}

const TEXTS = [
	read('typescript/README.md'),
	read('diff/README.md'),
	read('js-tiktoken/README.md'),
	read('lodash/lodash.js').slice(0, 60000),
	'Grüße, 世界! 🎉 emoji and ✓ marks\r\n\ttabs',
	'',
];

test('countTokens equals js-tiktoken with special tokens, per model', () => {
	for (const [model, enc] of [['gpt-4o', 'o200k_base'], ['gpt-4', 'cl100k_base'],
				    ['o200k_base', 'o200k_base'],
				    ['cl100k_base', 'cl100k_base']]) {
		for (const t of TEXTS)
			assert.equal(ku.countTokens(t, model), ref(t, enc), `${model}`);
	}
	// "<|endoftext|>" in the text is one token (encode_with_special_tokens).
	assert.equal(ku.countTokens('<|endoftext|>', 'gpt-4'), 1);
	assert.equal(ku.countTokens('a<|endoftext|>b<|endofprompt|>', 'gpt-4o'),
		     ref('a<|endoftext|>b<|endofprompt|>', 'o200k_base'));
	assert.equal(ku.countTokens('', 'gpt-4o'), 0);
	assert.throws(() => ku.countTokens(42, 'gpt-4o'), TypeError);
});

test('models map to encodings as tiktoken encoding_for_model does', () => {
	const cases = {
		'gpt-4o': 'o200k_base', 'gpt-4o-mini': 'o200k_base',
		'gpt-4o-2024-08-06': 'o200k_base', 'o1': 'o200k_base',
		'o1-preview': 'o200k_base', 'o3-mini': 'o200k_base',
		'o4-mini': 'o200k_base', 'gpt-4.1': 'o200k_base',
		'gpt-4.1-nano': 'o200k_base', 'gpt-5': 'o200k_base',
		'chatgpt-4o-latest': 'o200k_base',
		'gpt-4': 'cl100k_base', 'gpt-4-turbo': 'cl100k_base',
		'gpt-4-0613': 'cl100k_base', 'gpt-3.5-turbo': 'cl100k_base',
		'gpt-3.5-turbo-16k': 'cl100k_base', 'gpt-35-turbo': 'cl100k_base',
		'text-embedding-3-small': 'cl100k_base',
		'cl100k_base': 'cl100k_base', 'o200k_base': 'o200k_base',
		'claude-3-opus': 'cl100k_base', 'unknown': 'cl100k_base', '': 'cl100k_base',
	};
	for (const [model, enc] of Object.entries(cases))
		assert.equal(ku.encodingForModel(model), enc, model);
	// The count follows the mapping.
	const t = TEXTS[0];
	assert.equal(ku.countTokens(t, 'gpt-4o-mini'), ref(t, 'o200k_base'));
	assert.equal(ku.countTokens(t, 'some-local-model'), ref(t, 'cl100k_base'));
});

test('countTokensBatch and estimateJsonTokens', () => {
	assert.deepEqual(ku.countTokensBatch(TEXTS, 'gpt-4o'),
			 TEXTS.map((t) => ref(t, 'o200k_base')));
	assert.deepEqual(ku.countTokensBatch([], 'gpt-4o'), []);
	assert.throws(() => ku.countTokensBatch('x', 'gpt-4o'), TypeError);
	assert.throws(() => ku.countTokensBatch(['a', 3], 'gpt-4o'), TypeError);
	const pkg = JSON.parse(read('typescript/package.json'));
	for (const v of [pkg, [1, 2, 3], 'str', 42, null, { nested: { a: [pkg.name] } }])
		assert.equal(ku.estimateJsonTokens(v, 'gpt-4'),
			     ref(JSON.stringify(v), 'cl100k_base'));
	assert.equal(ku.estimateJsonTokens(undefined, 'gpt-4'), ref('null', 'cl100k_base'));
});

/* ---- a JS reference of keep-up's compressContext ---- */

function refMessageTokens(m, enc) {
	let t = typeof m.content === 'string' ? ref(m.content, enc) : 0;
	if (m.role === 'assistant' && Array.isArray(m.toolCalls))
		t += 50 * m.toolCalls.length;
	for (const r of m.toolResults ?? [])
		t += ref(JSON.stringify(r.result) ?? 'null', enc);
	if (m.role === 'tool' && m.result !== undefined)
		t += ref(JSON.stringify(m.result), enc);
	return t;
}

function refTruncate(text, budget) {
	const cps = [...text];
	const max = budget * 4;
	if (cps.length <= max)
		return text;
	const cut = cps.slice(0, max);
	let at = -1;
	for (let i = cut.length - 1; i >= 0; i--)
		if (cut[i] === '.' || cut[i] === '\n') {
			at = i;
			break;
		}
	if (at >= 0 && at > Math.floor(max * 0.7))
		return cut.slice(0, at + 1).join('') + '...';
	return cut.join('') + '...';
}

function refCompress(messages, maxTokens, preserveLastN, enc) {
	const n = messages.length;
	if (n === 0)
		return { messages: [], totalTokens: 0, removedCount: 0,
			 compressionRatio: 0, selectedIndices: [] };
	const start = Math.max(0, n - preserveLastN);
	let preserved = 0;
	for (let i = start; i < n; i++)
		preserved += refMessageTokens(messages[i], enc);
	const avail = Math.max(0, maxTokens - preserved);
	const picked = [];
	let used = 0;
	for (let i = start - 1; i >= 0; i--) {
		const m = messages[i];
		const t = refMessageTokens(m, enc);
		if (used + t <= avail) {
			picked.push({ i, m, t });
			used += t;
			continue;
		}
		const rest = avail - used;
		if (rest > 50 && typeof m.content === 'string') {
			const cut = refTruncate(m.content, rest);
			const cm = { ...m, content: cut };
			const ct = refMessageTokens(cm, enc);
			if (cut !== '' && ct > 0)
				picked.push({ i, m: cm, t: ct });
		}
		break;
	}
	picked.reverse();
	for (let i = start; i < n; i++)
		picked.push({ i, m: messages[i], t: refMessageTokens(messages[i], enc) });
	return {
		messages: picked.map((p) => p.m),
		totalTokens: picked.reduce((a, p) => a + p.t, 0),
		removedCount: n - picked.length,
		compressionRatio: 1 - picked.length / n,
		selectedIndices: picked.map((p) => p.i),
	};
}

/* A conversation from real texts: chunks of READMEs and sources. */
function conversation(seed, n) {
	const src = TEXTS.slice(0, 4).join('\n');
	let x = seed;
	const rnd = () => {
		x = (x * 1103515245 + 12345) >>> 0;
		return x / 2 ** 32;
	};
	const roles = ['user', 'assistant', 'tool', 'system'];
	const out = [];
	for (let i = 0; i < n; i++) {
		const role = i === 0 ? 'system' : roles[Math.floor(rnd() * 3)];
		const at = Math.floor(rnd() * (src.length - 4000));
		const len = Math.floor(rnd() * rnd() * 3500);
		const m = { role, content: src.slice(at, at + len) };
		if (role === 'assistant' && rnd() < 0.4)
			m.toolCalls = [{ id: `c${i}`, name: 'read_file',
					 arguments: { path: `f${i}.ts` } }];
		if (role === 'user' && rnd() < 0.2)
			m.toolResults = [{ callId: `c${i}`, result: { lines: src.slice(at, at + 300).split('\n') } }];
		if (role === 'tool') {
			m.toolName = 'read_file';
			m.result = { ok: true, text: src.slice(at + len, at + len + 500) };
			if (rnd() < 0.3)
				delete m.content;
		}
		out.push(m);
	}
	return out;
}

function checkAgainstRef(msgs, max, keep, model) {
	const enc = ku.encodingForModel(model ?? 'cl100k_base');
	const got = ku.compressContext(msgs, max, keep, model);
	const want = refCompress(msgs, max, keep, enc);
	assert.deepEqual(got.selectedIndices, want.selectedIndices);
	assert.equal(got.totalTokens, want.totalTokens);
	assert.equal(got.removedCount, want.removedCount);
	assert.equal(got.compressionRatio, want.compressionRatio);
	assert.deepEqual(got.messages, want.messages);
	// Identity: every message that was not cut is the caller's own object.
	got.messages.forEach((m, k) => {
		const orig = msgs[got.selectedIndices[k]];
		if (m.content === orig.content)
			assert.equal(m, orig, `message ${got.selectedIndices[k]} was copied`);
		else
			assert.notEqual(m, orig);
	});
	return got;
}

test('compressContext equals the reference on real conversations', () => {
	let cuts = 0;
	let dropped = 0;
	for (let seed = 1; seed <= 12; seed++) {
		const msgs = conversation(seed, 10 + seed * 3);
		for (const [max, keep] of [[500, 2], [2000, 4], [8000, 3], [100000, 1],
					   [60, 1], [0, 2], [3000, 0]]) {
			const r = checkAgainstRef(msgs, max, keep, seed % 2 ? 'gpt-4o' : 'gpt-4');
			if (r.messages.some((m, k) => m !== msgs[r.selectedIndices[k]]))
				cuts++;
			dropped += r.removedCount;
		}
	}
	// The inputs exercised the cut and the dropping, not only "keep all".
	assert.ok(cuts > 5, `cuts ${cuts}`);
	assert.ok(dropped > 50, `dropped ${dropped}`);
});

test('compressContext: the behaviours keep-up defines', () => {
	const long = 'First sentence here. '.repeat(200) + 'tail without a stop';
	const msgs = [
		{ role: 'system', content: long },
		{ role: 'user', content: 'short question' },
		{ role: 'assistant', content: 'calling', toolCalls: [
			{ id: '1', name: 'a', arguments: {} },
			{ id: '2', name: 'b', arguments: { x: 1 } }] },
		{ role: 'tool', toolName: 'a', result: { rows: [1, 2, 3] } },
		{ role: 'user', content: 'last' },
	];
	const enc = 'cl100k_base';
	const t = msgs.map((m) => refMessageTokens(m, enc));
	// Two tool calls are 100 tokens on top of the content.
	assert.equal(t[2], ref('calling', enc) + 100);
	assert.equal(t[3], ref(JSON.stringify({ rows: [1, 2, 3] }), enc));

	// Everything fits: all kept, same objects, nothing removed.
	let r = ku.compressContext(msgs, 1e6, 1);
	assert.deepEqual(r.selectedIndices, [0, 1, 2, 3, 4]);
	r.messages.forEach((m, i) => assert.equal(m, msgs[i]));
	assert.equal(r.removedCount, 0);
	assert.equal(r.compressionRatio, 0);
	assert.equal(r.totalTokens, t.reduce((a, b) => a + b));

	// The last preserveLastN are kept even past the budget.
	r = ku.compressContext(msgs, 0, 3);
	assert.deepEqual(r.selectedIndices, [2, 3, 4]);
	assert.equal(r.totalTokens, t[2] + t[3] + t[4]);
	r = ku.compressContext(msgs, 0, 99);
	assert.deepEqual(r.selectedIndices, [0, 1, 2, 3, 4]);

	// Room for 1..3 but not the system prompt: the prompt is cut to the
	// rest of the budget, at the last '.' past 70%, then '...'.
	const rest = 200;
	const budget = t[1] + t[2] + t[3] + t[4] + rest;
	r = checkAgainstRef(msgs, budget, 1);
	assert.deepEqual(r.selectedIndices, [0, 1, 2, 3, 4]);
	const cut = r.messages[0];
	assert.notEqual(cut, msgs[0]);
	assert.equal(cut.role, 'system');
	assert.ok(cut.content.endsWith('....'), cut.content.slice(-10));
	assert.ok(cut.content.length <= rest * 4 + 3);
	assert.ok(cut.content.length > rest * 4 * 0.7);
	assert.equal(msgs[0].content, long, 'the caller\'s message is untouched');

	// 50 tokens or fewer left: no cut, and the scan stops there.
	r = checkAgainstRef(msgs, t[1] + t[2] + t[3] + t[4] + 50, 1);
	assert.deepEqual(r.selectedIndices, [1, 2, 3, 4]);
	r = checkAgainstRef(msgs, t[3] + t[4] + 50, 1);
	assert.deepEqual(r.selectedIndices, [3, 4]);
	assert.equal(r.removedCount, 3);
	assert.equal(r.compressionRatio, 1 - 2 / 5);

	// A message without content is never cut.
	const noText = [{ role: 'tool', result: 'x'.repeat(5000) }, { role: 'user', content: 'q' }];
	r = checkAgainstRef(noText, 200, 1);
	assert.deepEqual(r.selectedIndices, [1]);

	// Empty input.
	assert.deepEqual(ku.compressContext([], 100, 2),
			 { messages: [], totalTokens: 0, removedCount: 0,
			   compressionRatio: 0, selectedIndices: [] });
	assert.throws(() => ku.compressContext('x', 1, 1), TypeError);
	assert.throws(() => ku.compressContext([5], 1, 1), TypeError);
	assert.throws(() => ku.compressContext([], -1, 1), TypeError);
});

test('compressContext counts special-token text as special tokens', () => {
	const msgs = [{ role: 'user', content: '<|endoftext|>'.repeat(10) },
		      { role: 'user', content: 'end' }];
	const r = ku.compressContext(msgs, 1000, 1, 'gpt-4');
	assert.equal(r.totalTokens, 10 + ref('end', 'cl100k_base'));
});

test('compressPayloadZstd / decompressPayloadZstd', () => {
	const value = JSON.parse(read('typescript/package.json'));
	const json = Buffer.from(JSON.stringify(value));
	const p = ku.compressPayloadZstd(value, 100);
	assert.ok(p);
	assert.equal(p.encoding, 'zstd');
	assert.ok(p.data instanceof Uint8Array);
	assert.equal(p.originalBytes, json.length);
	assert.equal(p.compressedBytes, p.data.length);
	assert.ok(p.compressedBytes < p.originalBytes);
	assert.equal(p.compressionRatio, p.compressedBytes / p.originalBytes);
	// A real zstd frame: magic 28 b5 2f fd, and zlib's zstd (if any) agrees.
	assert.deepEqual([...p.data.subarray(0, 4)], [0x28, 0xb5, 0x2f, 0xfd]);
	if (typeof zlib.zstdDecompressSync === 'function')
		assert.deepEqual(zlib.zstdDecompressSync(p.data), json);
	const back = ku.decompressPayloadZstd(p.data);
	assert.ok(back instanceof Uint8Array);
	assert.deepEqual(JSON.parse(Buffer.from(back).toString()), value);

	// Below minBytes: null. minBytes 0 means no floor.
	assert.equal(ku.compressPayloadZstd(value, json.length + 1), null);
	assert.ok(ku.compressPayloadZstd(value, json.length));
	// Would not shrink: null.
	assert.equal(ku.compressPayloadZstd({ a: 1 }, 0), null);
	// Levels are clamped to [1, 22]; higher levels compress no worse here.
	const big = { text: TEXTS[3] };
	const l1 = ku.compressPayloadZstd(big, 0, -5);
	const l19 = ku.compressPayloadZstd(big, 0, 19);
	assert.ok(ku.compressPayloadZstd(big, 0, 99));
	assert.ok(l19.compressedBytes <= l1.compressedBytes);
	assert.equal(Buffer.from(ku.decompressPayloadZstd(l19.data)).toString(),
		     JSON.stringify(big));
	// Not JSON-serialisable: null.
	assert.equal(ku.compressPayloadZstd(undefined, 0), null);
	// Not a frame, or a damaged one: null.
	assert.equal(ku.decompressPayloadZstd(new Uint8Array([1, 2, 3, 4, 5])), null);
	const bad = Uint8Array.from(l19.data);
	bad[bad.length >> 1] ^= 0xff;
	bad[bad.length - 1] ^= 0xff;
	assert.equal(ku.decompressPayloadZstd(bad), null);
	assert.throws(() => ku.decompressPayloadZstd('x'), TypeError);
});

test('getNativeTokenizer: keep-up\'s NativeTokenizer object', () => {
	const t = ku.getNativeTokenizer();
	assert.ok(t);
	for (const m of ['countTokens', 'countTokensBatch', 'estimateJsonTokens',
			 'compressContext', 'compressPayloadZstd',
			 'decompressPayloadZstd'])
		assert.equal(typeof t[m], 'function', m);
	assert.equal(t.countTokens('hello world', 'gpt-4o'), ref('hello world', 'o200k_base'));
});
