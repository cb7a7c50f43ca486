'use strict';
// eng.countTokens / encode / decode / isWithinLimit (lib/ops/tokens.js):
// token ids equal js-tiktoken's (the oracle, with dialect 'js-tiktoken') and
// tiktoken's WASM build (the default dialect) on a few MB of real text.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { accel, REPO } = require('../testlib/helpers.js');

const NM = path.join(REPO, 'node_modules');
process.env.ACCEL_TOKENIZER_DATA ??= path.join(NM, 'gpt-tokenizer/data');
const { getEncoding } = require(path.join(NM, 'js-tiktoken'));
const tiktoken = require(path.join(NM, 'tiktoken'));

const ENCODINGS = ['cl100k_base', 'o200k_base'];
const SPECIAL = {
	cl100k_base: ['<|endoftext|>', '<|fim_prefix|>', '<|fim_middle|>',
		'<|fim_suffix|>', '<|endofprompt|>'],
	o200k_base: ['<|endoftext|>', '<|endofprompt|>'],
};

/*
 * A real mixed corpus cut into documents of at most 64 KiB: code, prose,
 * JSON, CJK (TypeScript's localized messages), licences.
 */
function corpus(maxBytes) {
	const files = [
		'typescript/lib/lib.dom.d.ts',
		'lodash/lodash.js',
		'typescript/lib/ja/diagnosticMessages.generated.json',
		'typescript/lib/zh-cn/diagnosticMessages.generated.json',
		'typescript/lib/ko/diagnosticMessages.generated.json',
		'typescript/lib/ru/diagnosticMessages.generated.json',
		'react-dom/cjs/react-dom.development.js',
		'diff/README.md',
		'typescript/lib/lib.es5.d.ts',
		'js-tiktoken/README.md',
	].map((f) => path.join(NM, f));
	for (const f of fs.readdirSync('/usr/share/common-licenses'))
		files.push(path.join('/usr/share/common-licenses', f));
	const docs = [];
	let total = 0;
	for (const f of files) {
		if (!fs.existsSync(f))
			continue;
		const text = fs.readFileSync(f, 'utf8');
		/* at most 600 KB per file so that every kind is in */
		for (let i = 0; i < Math.min(text.length, 600000) && total < maxBytes;
			i += 65536) {
			const d = text.slice(i, i + 65536);
			docs.push(d);
			total += Buffer.byteLength(d);
		}
	}
	return { docs, total };
}

/* 2 MB by default (the oracles run at 0.1-1 MB/s); ACCEL_TOKENS_CORPUS_MB for more. */
const CORPUS = corpus(Number(process.env.ACCEL_TOKENS_CORPUS_MB || 2) * (1 << 20));
const oracle = Object.fromEntries(ENCODINGS.map((e) => [e, getEncoding(e)]));
const wasm = Object.fromEntries(ENCODINGS.map((e) =>
	[e, tiktoken.get_encoding(e)]));
let eng;

test.before(async () => {
	eng = await accel.Engine.start();
});
test.after(async () => {
	for (const e of ENCODINGS)
		wasm[e].free();
	await eng.close();
});

test('the corpus is a few MB of mixed real text', (t) => {
	assert.ok(CORPUS.total > 2e6, `${CORPUS.total} bytes`);
	assert.ok(CORPUS.docs.some((d) => /[\u3040-\u30ff]/.test(d)), 'CJK');
	t.diagnostic(`${CORPUS.docs.length} documents, ${CORPUS.total} bytes`);
});

for (const enc of ENCODINGS) {
	test(`${enc}: ids equal js-tiktoken's (js dialect) and tiktoken's (default)`,
		() => {
			let tokens = 0;
			for (const d of CORPUS.docs) {
				const want = oracle[enc].encode(d, [], []);
				const got = eng.encodeSync(d, enc,
					{ dialect: 'js-tiktoken', disallowedSpecial: [] });
				assert.deepEqual(Array.from(got), want);
				assert.equal(eng.countTokensSync(d, enc,
					{ dialect: 'js-tiktoken', disallowedSpecial: [] }),
				want.length);
				const ww = wasm[enc].encode(d, [], []);
				const gd = eng.encodeSync(d, enc, { disallowedSpecial: [] });
				assert.deepEqual(gd, ww);
				assert.equal(eng.decodeSync(gd, enc), d);
				tokens += want.length;
			}
			assert.ok(tokens > 100000);
		});
}

test('count == encode().length and sync == async on every document', async () => {
	for (const enc of ENCODINGS)
		for (const d of CORPUS.docs.slice(0, 12)) {
			const n = eng.countTokensSync(d, enc);
			assert.equal(await eng.countTokens(d, enc), n);
			const ids = await eng.encode(d, enc);
			assert.equal(ids.length, n);
			assert.deepEqual(eng.encodeSync(d, enc), ids);
			assert.equal(await eng.decode(ids, enc), d);
			assert.equal(await eng.decode(Array.from(ids), enc), d);
			assert.equal(eng.countTokensSync(Buffer.from(d), enc), n);
		}
	/* the default encoding is o200k_base */
	const d = CORPUS.docs[0];
	assert.equal(eng.countTokensSync(d), eng.countTokensSync(d, 'o200k_base'));
});

test('encode returns a zero-copy Uint32Array view of the result', () => {
	const ids = eng.encodeSync(CORPUS.docs[0], 'cl100k_base');
	assert.ok(ids instanceof Uint32Array);
	assert.ok(eng.isMapped(ids), 'ids view the shared mapping');
	assert.equal(eng.encodeSync('', 'cl100k_base').length, 0);
	assert.equal(eng.countTokensSync(''), 0);
	assert.equal(eng.decodeSync([]), '');
});

test('special-token text like tiktoken: allowed, as text, disallowed', async () => {
	const base = CORPUS.docs[1].slice(0, 3000);
	for (const enc of ENCODINGS) {
		const sp = SPECIAL[enc];
		const text = `${sp[0]}${base.slice(0, 100)} mid${sp.at(-1)}word ` +
			`${base.slice(100)}${sp[0]}${sp[0]} <|endoftext| partial`;
		const o = oracle[enc];
		assert.deepEqual(Array.from(eng.encodeSync(text, enc,
			{ allowedSpecial: 'all', dialect: 'js-tiktoken' })),
		o.encode(text, 'all'));
		assert.deepEqual(Array.from(eng.encodeSync(text, enc,
			{ disallowedSpecial: [], dialect: 'js-tiktoken' })),
		o.encode(text, [], []));
		assert.deepEqual(Array.from(eng.encodeSync(text, enc,
			{ allowedSpecial: [sp[0]], disallowedSpecial: [] })),
		Array.from(wasm[enc].encode(text, [sp[0]], [])));
		assert.equal(eng.countTokensSync(text, enc, { allowedSpecial: 'all' }),
			o.encode(text, 'all').length);
		/* tiktoken's default: every special disallowed -> error */
		assert.throws(() => o.encode(text));
		assert.throws(() => eng.encodeSync(text, enc), (e) => {
			assert.ok(e instanceof accel.AccelError);
			assert.equal(e.code, 'EACCEL_TOKENS_SPECIAL');
			assert.equal(e.errno, accel.codes.EACCEL_TOKENS_SPECIAL);
			return true;
		});
		await assert.rejects(eng.countTokens(text, enc),
			{ code: 'EACCEL_TOKENS_SPECIAL' });
		/* allowing one does not allow the other */
		if (sp.length > 1)
			assert.throws(() => eng.countTokensSync(text, enc,
				{ allowedSpecial: [sp[0]] }), { code: 'EACCEL_TOKENS_SPECIAL' });
		/* disallowed wins over allowed, as in js-tiktoken */
		assert.throws(() => eng.encodeSync(sp[0], enc, {
			allowedSpecial: 'all', disallowedSpecial: [sp[0]] }),
		{ code: 'EACCEL_TOKENS_SPECIAL' });
		const ids = eng.encodeSync(text, enc, { allowedSpecial: 'all' });
		assert.equal(eng.decodeSync(ids, enc), text);
	}
});

test('a BOM is text, and the dialects follow their oracle', () => {
	const bodies = [CORPUS.docs[0].slice(0, 2000), 'Hello', ' x', '\n\nfoo',
		'\uFEFF', '  \uFEFF  word', 'a\u0085\u0085 b'];
	let differ = 0;
	for (const enc of ENCODINGS)
		for (const b of bodies) {
			const text = '\uFEFF' + b;
			const js = oracle[enc].encode(text, [], []);
			const rs = Array.from(wasm[enc].encode(text, [], []));
			assert.deepEqual(Array.from(eng.encodeSync(text, enc,
				{ dialect: 'js-tiktoken', disallowedSpecial: [] })), js);
			assert.deepEqual(Array.from(eng.encodeSync(text, enc,
				{ disallowedSpecial: [] })), rs);
			assert.equal(eng.decodeSync(js, enc), text, 'BOM kept');
			if (js.length !== rs.length ||
			    js.some((v, i) => v !== rs[i]))
				differ++;
		}
	/* the two oracles disagree on some of these; we match each */
	assert.ok(differ > 0);
	/* a BOM at the start costs tokens: a count that strips it is wrong */
	const file = '\uFEFF' + CORPUS.docs[2].slice(0, 500);
	assert.ok(eng.countTokensSync(file) > eng.countTokensSync(file.slice(1)));
});

test('bytes: invalid UTF-8 with replaceInvalid equals the oracle on the decoded string', () => {
	const good = Buffer.from(CORPUS.docs[3].slice(0, 4000));
	/* cut inside characters and splice in invalid bytes */
	const bad = Buffer.concat([good.subarray(0, 1001), Buffer.from([0xff, 0xc0,
		0x80, 0xed, 0xa0, 0x80]), good.subarray(1001, 2999),
	Buffer.from([0xe3, 0x81])]);
	const str = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bad);
	for (const enc of ENCODINGS) {
		assert.deepEqual(Array.from(eng.encodeSync(bad, enc,
			{ replaceInvalid: true, dialect: 'js-tiktoken' })),
		oracle[enc].encode(str, [], 'all'));
		/* without it the bytes are kept: decode gives them back */
		const ids = eng.encodeSync(bad, enc);
		const back = Buffer.from(eng.decodeSync(ids, enc));
		assert.equal(back.toString(), bad.toString());
	}
	/* lone surrogates in a JS string become U+FFFD, as in TextEncoder */
	const lone = 'a\uD800b\uDC00c';
	assert.deepEqual(Array.from(eng.encodeSync(lone, 'cl100k_base')),
		oracle.cl100k_base.encode(new TextDecoder().decode(
			new TextEncoder().encode(lone))));
});

test('isWithinLimit: false past the limit, else the exact count', async () => {
	for (const enc of ENCODINGS) {
		const d = CORPUS.docs[4];
		const n = eng.countTokensSync(d, enc);
		assert.equal(eng.isWithinLimitSync(d, n, enc), n);
		assert.equal(eng.isWithinLimitSync(d, n + 1000, enc), n);
		assert.equal(eng.isWithinLimitSync(d, n - 1, enc), false);
		assert.equal(eng.isWithinLimitSync(d, 0, enc), false);
		assert.equal(await eng.isWithinLimit(d, n, enc), n);
		assert.equal(await eng.isWithinLimit(d, 10, enc), false);
		assert.equal(eng.isWithinLimitSync('', 0, enc), 0);
		assert.equal(eng.isWithinLimitSync(d, Number.MAX_SAFE_INTEGER, enc), n);
	}
});

test('pathological inputs: repeats, whitespace runs, long CJK', () => {
	/* the oracle is quadratic on one long piece: a few KB each */
	const cases = {
		dashes: '-'.repeat(1500),
		spaces: ' '.repeat(1500) + 'x',
		mixedWs: ' \t\n'.repeat(500) + 'end',
		cjk: '的一是在不了有和人这中大为上个国我以要他'.repeat(25),
		digits: '1234567890'.repeat(150),
		emoji: '👍🏽🎉'.repeat(150),
	};
	for (const enc of ENCODINGS)
		for (const [name, text] of Object.entries(cases)) {
			const want = oracle[enc].encode(text);
			assert.deepEqual(Array.from(eng.encodeSync(text, enc,
				{ dialect: 'js-tiktoken' })), want, `${enc} ${name}`);
			assert.equal(eng.countTokensSync(text, enc), want.length);
		}
	/* 1 MB runs: count == encode, decode round trip */
	for (const big of ['-'.repeat(1 << 20), ' '.repeat(1 << 20) + 'x',
		'中'.repeat(1 << 18)])
		for (const enc of ENCODINGS) {
			const ids = eng.encodeSync(big, enc);
			assert.equal(eng.countTokensSync(big, enc), ids.length);
			assert.equal(eng.decodeSync(ids, enc), big);
		}
});

test('errors have stable codes', () => {
	assert.throws(() => eng.decodeSync([1, 2, 4000000], 'cl100k_base'),
		{ code: 'EACCEL_TOKENS_BAD_ID', errno: 1303 });
	assert.throws(() => eng.decodeSync([199999 + 100], 'o200k_base'),
		{ code: 'EACCEL_TOKENS_BAD_ID' });
	assert.equal(accel.codes.EACCEL_TOKENS_SPECIAL, 1302);
});

test('missing rank files: ENOENT from an engine without data', async () => {
	const saved = process.env.ACCEL_TOKENIZER_DATA;
	process.env.ACCEL_TOKENIZER_DATA = path.join(REPO, 'no-such-dir');
	let e2;
	try {
		e2 = await accel.Engine.start();
	} finally {
		process.env.ACCEL_TOKENIZER_DATA = saved;
	}
	try {
		assert.throws(() => e2.countTokensSync('hello', 'cl100k_base'),
			{ code: 'ENOENT' });
	} finally {
		await e2.close();
	}
});

test('bad arguments are TypeErrors: sync throws, async rejects', async () => {
	const bad = [
		[() => eng.countTokensSync(42), 'ERR_INVALID_ARG_TYPE'],
		[() => eng.countTokensSync('a', 'gpt2'), 'ERR_INVALID_ARG_VALUE'],
		[() => eng.countTokensSync('a', 7), 'ERR_INVALID_ARG_TYPE'],
		[() => eng.encodeSync('a', 'cl100k_base', { allowedSpecial: 'some' }), 'ERR_INVALID_ARG_TYPE'],
		[() => eng.encodeSync('a', 'o200k_base', { allowedSpecial: ['<|fim_prefix|>'] }), 'ERR_INVALID_ARG_VALUE'],
		[() => eng.encodeSync('a', 'o200k_base', { dialect: 'rust' }), 'ERR_INVALID_ARG_VALUE'],
		[() => eng.encodeSync('a', 'o200k_base', null), 'ERR_INVALID_ARG_TYPE'],
		[() => eng.encodeSync({}), 'ERR_INVALID_ARG_TYPE'],
		[() => eng.decodeSync('abc'), 'ERR_INVALID_ARG_TYPE'],
		[() => eng.decodeSync([1, -1]), 'ERR_OUT_OF_RANGE'],
		[() => eng.decodeSync([1.5]), 'ERR_OUT_OF_RANGE'],
		[() => eng.decodeSync([2 ** 32]), 'ERR_OUT_OF_RANGE'],
		[() => eng.isWithinLimitSync('a', -1), 'ERR_OUT_OF_RANGE'],
		[() => eng.isWithinLimitSync('a', '5'), 'ERR_INVALID_ARG_TYPE'],
		[() => eng.isWithinLimitSync('a'), 'ERR_INVALID_ARG_TYPE'],
	];
	for (const [fn, code] of bad)
		assert.throws(fn, (e) => e instanceof TypeError && e.code === code,
			fn.toString());
	await assert.rejects(eng.countTokens(null), TypeError);
	await assert.rejects(eng.encode('a', 'x'), TypeError);
	await assert.rejects(eng.decode([{}]), TypeError);
	await assert.rejects(eng.isWithinLimit('a', NaN), TypeError);
	await assert.rejects(eng.countTokens('a', undefined, { signal: {} }),
		TypeError);
	assert.equal(eng.pingSync(), 0);
});

test('AbortSignal: aborted before, and during a large encode', async () => {
	const ac = new AbortController();
	ac.abort();
	await assert.rejects(eng.countTokens('a', undefined, { signal: ac.signal }),
		{ name: 'AbortError', code: 'ABORT_ERR' });
	await assert.rejects(eng.decode([1], undefined, { signal: ac.signal }),
		{ name: 'AbortError' });
	const big = CORPUS.docs.join('');
	const ac2 = new AbortController();
	const p = eng.encode(big, 'o200k_base', { signal: ac2.signal });
	ac2.abort();
	await assert.rejects(p, { name: 'AbortError' });
	assert.equal(await eng.countTokens('hello world', 'cl100k_base'), 2);
});
