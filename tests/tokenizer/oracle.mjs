// Oracle data for the tokenizer parity tests.
//
//   node oracle.mjs corpus OUT.bin BYTES   real mixed corpus of about BYTES
//   node oracle.mjs cases CASES.json OUT.bin   the mismatch-class cases
//   node oracle.mjs classes OUT.bin   Node's Unicode classes, per code point
//   node oracle.mjs random N OUT.bin  N random strings over tricky characters
//
// Every document is encoded by js-tiktoken (the oracle of the JavaScript
// dialect) and by the tiktoken npm package (tiktoken's Rust core compiled to
// WASM, the oracle of the default dialect), for cl100k_base and o200k_base,
// with special tokens as ordinary text and with all special tokens allowed.
// Invalid UTF-8 reaches both oracles the only way it can reach a JS
// tokenizer: decoded by TextDecoder (each maximal invalid subsequence becomes
// U+FFFD); the C side uses ACCEL_TOKENIZER_REPLACE_INVALID for the same.
//
// Output format (little-endian): "TOKORCL1", u32 docs, then per document
//   u32 name_len, name, u32 text_len, text (the raw bytes), then 8 id lists
//   in the order enc (cl100k, o200k) x oracle (js, tiktoken) x mode
//   (specials as text, all specials allowed); a list is u32 n + n u32 ids,
//   n = 0xffffffff when the oracle threw.
//
// The corpus is deterministic: sorted file lists, a fixed PRNG seed.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { Tiktoken } from 'js-tiktoken/lite';
import cl100kJs from 'js-tiktoken/ranks/cl100k_base';
import o200kJs from 'js-tiktoken/ranks/o200k_base';
import { get_encoding } from 'tiktoken';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const nm = path.join(root, 'node_modules');
const ENCODINGS = ['cl100k_base', 'o200k_base'];

// xorshift32: the corpus must not change between runs.
let seed = 0x9e3779b9;
function rand(n) {
	seed ^= seed << 13; seed >>>= 0;
	seed ^= seed >>> 17;
	seed ^= seed << 5; seed >>>= 0;
	return seed % n;
}

function walk(dir, re, out = [], depth = 0) {
	let ents;
	try {
		ents = fs.readdirSync(dir, { withFileTypes: true });
	} catch {
		return out;
	}
	ents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
	for (const e of ents) {
		const p = path.join(dir, e.name);
		if (e.isDirectory() && depth < 8) walk(p, re, out, depth + 1);
		else if (e.isFile() && re.test(p)) out.push(p);
	}
	return out;
}

function read(p) {
	try {
		const b = fs.readFileSync(p);
		return p.endsWith('.gz') ? zlib.gunzipSync(b) : b;
	} catch {
		return null;
	}
}

// Cuts a file into documents of at most `max` bytes (on any byte: a cut
// inside a UTF-8 sequence is one more source of invalid UTF-8).
function* chunks(name, buf, max) {
	for (let off = 0, k = 0; off < buf.length; off += max, k++)
		yield { name: `${name}#${k}`, text: buf.subarray(off, off + max) };
}

// Sources by kind. Each kind yields documents until its share is filled.
function sources() {
	const tsLib = path.join(nm, 'typescript/lib');
	const kinds = {
		code: [
			...walk(path.join(nm, 'typescript/lib'), /\.(js|d\.ts)$/),
			...walk(path.join(nm, 'react-dom'), /\.js$/),
			...walk(path.join(nm, 'lodash'), /\.js$/),
			...walk(path.join(nm, 'diff'), /\.js$/),
			...walk('/usr/include/linux', /\.h$/),
		],
		prose: [
			...walk('/usr/share/common-licenses', /./),
			...walk('/usr/share/doc/nodejs/api', /\.md$/),
			...walk('/usr/share/doc', /copyright$/),
			...walk('/usr/share/man/man1', /\.1\.gz$/),
		],
		json: [
			path.join(root, 'package-lock.json'),
			...walk(nm, /package\.json$/),
			path.join(tsLib, 'typescript.d.ts'),
		],
		cjk: [
			...walk(tsLib, /diagnosticMessages\.generated\.json$/),
		],
		emoji: [
			path.join(nm, 'gpt-tokenizer/data/TestPlans.txt'),
			'/usr/lib/python3/dist-packages/pip/_vendor/rich/_emoji_codes.py',
			'/usr/share/doc/nodejs/api/webcrypto.md',
		],
		// gettext catalogues: real translations (CJK among them) between
		// binary headers, i.e. invalid UTF-8.
		binary: [
			...walk('/usr/share/locale/zh_CN/LC_MESSAGES', /\.mo$/),
			...walk('/usr/share/locale/ja/LC_MESSAGES', /\.mo$/),
			...walk('/usr/share/locale/ko/LC_MESSAGES', /\.mo$/),
			...walk('/usr/share/locale/ru/LC_MESSAGES', /\.mo$/),
		],
	};
	return kinds;
}

// Long white space: real lines of code with their indentation blown up and
// runs of spaces, tabs and newlines (up to a few thousand characters) put
// between them. js-tiktoken is quadratic in a piece's length, so runs stay
// far below the pathological sizes the bench uses.
function whitespaceDoc(code, k) {
	const lines = code.toString('utf8').split('\n').slice(0, 400);
	const runs = [' ', '\t', '\n', '\r\n', ' \n', '\u3000', '\u00a0', '\u2028', '\ufeff', '\u0085'];
	let out = '';
	for (const l of lines) {
		const r = runs[rand(runs.length)];
		out += r.repeat(1 + rand(r.length > 1 ? 40 : 120)) + (rand(50) ? "" : " ".repeat(rand(2000))) + l;
	}
	return { name: `whitespace#${k}`, text: Buffer.from(out, 'utf8') };
}

function buildCorpus(total) {
	const kinds = sources();
	const share = { code: 0.3, prose: 0.2, json: 0.12, cjk: 0.15, emoji: 0.05, binary: 0.08, whitespace: 0.1 };
	const docs = [];
	for (const [kind, frac] of Object.entries(share)) {
		let want = Math.floor(total * frac), k = 0;
		if (kind === 'whitespace') {
			const code = kinds.code.filter((p) => p.endsWith('.js'));
			while (want > 0 && code.length) {
				const d = whitespaceDoc(read(code[rand(code.length)]) ?? Buffer.alloc(0), k++);
				docs.push(d);
				want -= d.text.length;
			}
			continue;
		}
		const files = kinds[kind].filter((p) => fs.existsSync(p));
		// Spread the picks over the whole list, not only its first files.
		const order = files.map((p, i) => [rand(1 << 30), p]).sort((a, b) => a[0] - b[0]).map((x) => x[1]);
		for (const p of order) {
			if (want <= 0) break;
			const buf = read(p);
			if (!buf || !buf.length) continue;
			for (const d of chunks(path.relative('/', p), buf, 32768)) {
				docs.push(d);
				want -= d.text.length;
				if (want <= 0) break;
			}
		}
	}
	// Kinds that ran out of files leave the corpus short: top it up with
	// more code so that the requested size is a lower bound.
	let have = docs.reduce((sum, d) => sum + d.text.length, 0);
	const used = new Set(docs.map((d) => d.name.replace(/#\d+$/, '')));
	for (const p of kinds.code) {
		if (have >= total) break;
		const rel = path.relative('/', p);
		if (used.has(rel)) continue;
		const buf = read(p);
		if (!buf || !buf.length) continue;
		for (const d of chunks(rel, buf, 32768)) {
			docs.push(d);
			have += d.text.length;
			if (have >= total) break;
		}
	}
	return docs;
}

function oracles() {
	const js = { cl100k_base: new Tiktoken(cl100kJs), o200k_base: new Tiktoken(o200kJs) };
	const rs = { cl100k_base: get_encoding('cl100k_base'), o200k_base: get_encoding('o200k_base') };
	return { js, rs };
}

function encodeAll(docs) {
	const { js, rs } = oracles();
	// ignoreBOM keeps a leading U+FEFF in the string, as a JS string holding
	// it would; TextDecoder's default would strip it before tokenizing.
	const dec = new TextDecoder('utf-8', { ignoreBOM: true });
	const parts = [Buffer.from('TOKORCL1'), u32(docs.length)];
	for (const d of docs) {
		const text = dec.decode(d.text);
		const name = Buffer.from(d.name);
		parts.push(u32(name.length), name, u32(d.text.length), Buffer.from(d.text));
		const hasSpecial = text.includes('<|');
		for (const enc of ENCODINGS) {
			for (const which of ['js', 'rs']) {
				const t = which === 'js' ? js[enc] : rs[enc];
				const asText = run(() => t.encode(text, [], []));
				parts.push(list(asText));
				parts.push(list(hasSpecial ? run(() => t.encode(text, 'all', [])) : asText));
			}
		}
	}
	return Buffer.concat(parts);
}

function run(f) {
	try {
		return Array.from(f());
	} catch {
		return null;
	}
}

function u32(v) {
	const b = Buffer.alloc(4);
	b.writeUInt32LE(v >>> 0);
	return b;
}

function list(ids) {
	if (!ids) return u32(0xffffffff);
	const b = Buffer.alloc(4 + 4 * ids.length);
	b.writeUInt32LE(ids.length);
	ids.forEach((v, i) => b.writeUInt32LE(v, 4 + 4 * i));
	return b;
}

// cases.json: [{ "name": ..., "text": JS string } | { "name", "hex": bytes }]
function loadCases(file) {
	return JSON.parse(fs.readFileSync(file, 'utf8')).map((c) => ({
		name: c.name,
		text: c.hex !== undefined ? Buffer.from(c.hex.replace(/ /g, ""), "hex") :
			Buffer.from(c.repeat ? c.text.repeat(c.repeat) : c.text, 'utf8'),
	}));
}

function writeAtomic(file, buf) {
	fs.mkdirSync(path.dirname(file), { recursive: true });
	fs.writeFileSync(file + '.tmp', buf);
	fs.renameSync(file + '.tmp', file);
}

// Random short strings over an alphabet chosen to exercise every branch of
// the split patterns: letters of each category (Lu Ll Lt Lm Lo), marks,
// numbers (Nd Nl No), each kind of white space (both dialects' \s, CR/LF),
// apostrophes with contraction letters, punctuation, '/', special-token
// fragments, emoji, and a lone invalid byte. Deterministic (fixed seed).
function randomDocs(count) {
	const alphabet = [
		'a', 'e', 's', 't', 'd', 'm', 'l', 'v', 'r', 'A', 'S', 'T', 'L', 'R', 'V', 'E', 'D', 'M',
		'\u00e9', '\u00c9', '\u017f', '\u01c5', '\u02b0', '\u4e00', '\u0915', '\u0e01',
		'\u0301', '\u0903', '\u20dd', '\u0e31',
		'0', '7', '\u0661', '\u2167', '\u00bd', '\u2460',
		' ', ' ', '  ', '\t', '\n', '\r', '\r\n', '\u000b', '\u00a0', '\u3000', '\u2028', '\ufeff', '\u0085', '\u200b',
		"'", "'", "'s", "'LL", "'re", "'Ve", '!', '.', ',', '-', '/', '//', '(', '"', '<', '|', '>',
		'<|endoftext|>', '<|endofprompt|>', '<|fim_prefix|>', '<|', '|>',
		'\ud83d\ude00', '\u2764\ufe0f', '\ud83c\uddef\ud83c\uddf5', '\u200d',
	];
	const docs = [];
	for (let k = 0; k < count; k++) {
		let t = '';
		const n = 1 + rand(24);
		for (let j = 0; j < n; j++) t += alphabet[rand(alphabet.length)];
		let b = Buffer.from(t, 'utf8');
		if (rand(10) === 0) {
			const at = rand(b.length + 1);
			b = Buffer.concat([b.subarray(0, at), Buffer.from([0x80 + rand(0x80)]), b.subarray(at)]);
		}
		docs.push({ name: `random#${k}`, text: b });
	}
	return docs;
}

// One byte per code point with the class bits of tokenizer/tok_int.h as
// this Node's own regex engine (ICU) sees them: TOK_L 1, TOK_N 2, TOK_U 4,
// TOK_W 8, TOK_SJ 16. Surrogates are left 0 (they never reach the C side).
function classes() {
	const out = Buffer.alloc(0x110000);
	const L = /\p{L}/u, N = /\p{N}/u, U = /[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]/u;
	const W = /[\p{Ll}\p{Lm}\p{Lo}\p{M}]/u, S = /\s/u;
	for (let cp = 0; cp < 0x110000; cp++) {
		if (cp >= 0xd800 && cp <= 0xdfff) continue;
		const c = String.fromCodePoint(cp);
		out[cp] = (L.test(c) ? 1 : 0) | (N.test(c) ? 2 : 0) | (U.test(c) ? 4 : 0) |
			(W.test(c) ? 8 : 0) | (S.test(c) ? 16 : 0);
	}
	return out;
}

const [cmd, a, b] = process.argv.slice(2);
if (cmd === 'corpus') {
	const docs = buildCorpus(Number(b));
	const bytes = docs.reduce((s, d) => s + d.text.length, 0);
	writeAtomic(a, encodeAll(docs));
	console.log(`oracle: ${docs.length} documents, ${bytes} bytes -> ${a}`);
} else if (cmd === 'cases') {
	writeAtomic(b, encodeAll(loadCases(a)));
	console.log(`oracle: cases -> ${b}`);
} else if (cmd === 'random') {
	writeAtomic(b, encodeAll(randomDocs(Number(a))));
	console.log(`oracle: ${a} random strings -> ${b}`);
} else if (cmd === 'classes') {
	writeAtomic(a, classes());
	console.log(`oracle: classes -> ${a}`);
} else {
	console.error('usage: oracle.mjs corpus OUT BYTES | cases CASES.json OUT');
	process.exit(2);
}
