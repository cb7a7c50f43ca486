'use strict';
// The context ops from Node (lib/ops/context.js): zstd with and without
// dictionaries, the block store, compaction plans, keep-up's selection and
// the event journal, on real text from node_modules and /usr/share/doc.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { accel, REPO } = require('../testlib/helpers.js');
const { Engine, AccelError, AbortError } = accel;

// Plans count tokens with the rank files of gpt-tokenizer (docs/context.md).
const RANKS = path.join(REPO, 'node_modules/gpt-tokenizer/data');
process.env.ACCEL_RANK_DIR = process.env.ACCEL_RANK_DIR || RANKS;
process.env.ACCEL_TOKENIZER_DATA = process.env.ACCEL_TOKENIZER_DATA || RANKS;

const TS = path.join(REPO, 'node_modules/typescript/lib');
const HAVE_TS = fs.existsSync(path.join(TS, 'lib.dom.d.ts'));
const skipTs = HAVE_TS ? false : 'node_modules/typescript is missing';

/* The copyright files of the installed Debian packages (real prose). */
function copyrights(max) {
	const out = [];
	for (const d of fs.readdirSync('/usr/share/doc').sort()) {
		const f = path.join('/usr/share/doc', d, 'copyright');
		try {
			out.push(fs.readFileSync(f, 'utf8'));
		} catch {
			continue;
		}
		if (out.length >= max)
			break;
	}
	return out;
}

/* ~1 KB chat-like JSON messages cut from real text. */
function chatMessages(n) {
	const text = copyrights(400).join('\n');
	const roles = ['user', 'assistant', 'tool'];
	const out = [];
	for (let i = 0, off = 0; out.length < n; i++) {
		const len = 700 + (i * 37) % 300;
		if (off + len > text.length)
			off = 0;
		out.push(JSON.stringify({ id: `msg_${i}`, role: roles[i % 3],
			ts: 1700000000 + i * 7, content: text.slice(off, off + len) }));
		off += len;
	}
	return out;
}

function tmpdir(tag) {
	return fs.mkdtempSync(path.join(os.tmpdir(), `accel-ctx-${tag}-`));
}

let eng;
test.before(async () => {
	eng = await Engine.start({ resSize: 256 << 20, reqSize: 128 << 20 });
});
test.after(async () => {
	await eng.close();
});

/* sync throws code / async rejects with it. */
async function bothFail(fnSync, fnAsync, code) {
	assert.throws(fnSync, (e) => e.code === code, `sync: ${code}`);
	await assert.rejects(fnAsync(), (e) => e.code === code, `async: ${code}`);
}

test('compress/decompress round trips real files, levels and checksums',
     { skip: skipTs }, async () => {
	const files = [path.join(TS, 'lib.dom.d.ts'),
		path.join(REPO, 'node_modules/lodash/lodash.js'),
		path.join(TS, 'zh-cn/diagnosticMessages.generated.json')];
	for (const f of files) {
		const data = fs.readFileSync(f);
		for (const level of [-3, 1, 3, 9]) {
			for (const checksum of [true, false]) {
				const fr = await eng.compress(data, { level, checksum });
				assert.ok(eng.isMapped(fr), 'frame is a view');
				assert.ok(fr.length < data.length, `${f} shrinks`);
				const frs = eng.compressSync(data, { level, checksum });
				assert.ok(fr.equals(frs), 'sync frame == async frame');
				const back = await eng.decompress(fr);
				assert.ok(back.equals(data));
				assert.ok(eng.decompressSync(frs).equals(data));
			}
		}
	}
	// Strings go as UTF-8; empty input is a valid frame of nothing.
	const s = fs.readFileSync(files[2], 'utf8');
	assert.equal((await eng.decompress(await eng.compress(s))).toString(), s);
	assert.equal(eng.decompressSync(eng.compressSync('')).length, 0);
	// A checksum costs 4 bytes in the frame.
	const a = eng.compressSync(s, { checksum: true });
	const b = eng.compressSync(s, { checksum: false });
	assert.equal(a.length, b.length + 4);
});

test('corrupt, truncated and foreign frames give clear codes', async () => {
	const data = Buffer.from(copyrights(50).join('\n'));
	const fr = Buffer.from(eng.compressSync(data));
	const flipped = Buffer.from(fr);
	flipped[fr.length >> 1] ^= 0x55;
	assert.throws(() => eng.decompressSync(flipped), (e) => e instanceof AccelError &&
		(e.code === 'EACCEL_ZSTD_CORRUPT' || e.code === 'EACCEL_ZSTD_CHECKSUM'));
	await assert.rejects(eng.decompress(flipped), (e) =>
		e.code === 'EACCEL_ZSTD_CORRUPT' || e.code === 'EACCEL_ZSTD_CHECKSUM');
	// A flipped content checksum (the frame's last 4 bytes).
	const badsum = Buffer.from(fr);
	badsum[badsum.length - 1] ^= 1;
	await bothFail(() => eng.decompressSync(badsum), () => eng.decompress(badsum),
		       'EACCEL_ZSTD_CHECKSUM');
	const cut = fr.subarray(0, fr.length - 9);
	await bothFail(() => eng.decompressSync(cut), () => eng.decompress(cut),
		       'EACCEL_ZSTD_TRUNCATED');
	await bothFail(() => eng.decompressSync(data), () => eng.decompress(data),
		       'EACCEL_ZSTD_NOT_FRAME');
	await bothFail(() => eng.decompressSync(fr, { maxOutput: 1000 }),
		       () => eng.decompress(fr, { maxOutput: 1000 }),
		       'EACCEL_ZSTD_TOO_LARGE');
	assert.ok(eng.decompressSync(fr, { maxOutput: data.length }).equals(data));
	assert.equal(await eng.ping(), 0, 'the engine lives on');
});

test('a trained dictionary round trips and beats plain zstd on small messages',
     async () => {
	const msgs = chatMessages(1600);
	const train = msgs.slice(0, 1200);
	const held = msgs.slice(1200);
	const dict = await eng.trainDictionary(train, { size: 64 * 1024 });
	assert.ok(dict.size > 1024 && dict.size <= 64 * 1024);
	assert.ok(dict.handle > 0);
	let plain = 0;
	let withDict = 0;
	for (const m of held) {
		const a = eng.compressSync(m);
		const b = eng.compressSync(m, { dict });
		plain += a.length;
		withDict += b.length;
		assert.equal(eng.decompressSync(b, { dict }).toString(), m);
	}
	assert.ok(withDict < plain, `dictionary ${withDict} < plain ${plain}`);
	// Frames made with a dictionary name it: without it they fail.
	const fr = await eng.compress(held[0], { dict });
	await bothFail(() => eng.decompressSync(fr), () => eng.decompress(fr),
		       'EACCEL_ZSTD_DICT_MISMATCH');
	// The same bytes loaded again make the same frames.
	const again = eng.loadDictionarySync(dict.bytes);
	assert.ok(eng.compressSync(held[1], { dict: again })
		.equals(eng.compressSync(held[1], { dict })));
	assert.equal((await eng.decompress(fr, { dict: again })).toString(), held[0]);
	await dict.free();
	again.freeSync();
	assert.equal(dict.handle, 0);
	assert.throws(() => eng.compressSync('x', { dict }), TypeError);
	await assert.rejects(eng.compress('x', { dict }), TypeError);
	await dict.free(); // a second free is a no-op
	// Without a size the dictionary follows the samples: an eighth of their
	// bytes (here more than zstd's usual 110 KiB), and it helps as well.
	const bytes = train.reduce((a, m) => a + Buffer.byteLength(m), 0);
	const dflt = Math.min(512 * 1024, Math.max(4096, Math.floor(bytes / 8)));
	for (const d of [eng.trainDictionarySync(train), await eng.trainDictionary(train)]) {
		assert.ok(d.size > 110 * 1024 && d.size <= dflt, `${d.size} <= ${dflt}`);
		let withD = 0;
		for (const m of held)
			withD += eng.compressSync(m, { dict: d }).length;
		assert.ok(withD < plain, `default dictionary ${withD} < plain ${plain}`);
		d.freeSync();
	}
	// Too few samples: a clear training error.
	await bothFail(() => eng.trainDictionarySync(['a', 'b']),
		       () => eng.trainDictionary(['a', 'b']), 'EACCEL_ZSTD_TRAIN');
	// Garbage is not a dictionary... unless zstd takes it raw; either way no crash.
	const other = await Engine.start();
	try {
		const d2 = other.trainDictionarySync(train.slice(0, 600), { size: 16384 });
		assert.throws(() => eng.compressSync('x', { dict: d2 }),
			      /another Engine/);
		d2.freeSync();
	} finally {
		await other.close();
	}
});

test('store: dedup by content, get == put, has/size/delete, stats', async () => {
	const blocks = copyrights(60).map((t) => Buffer.from(t));
	const keys = [];
	for (const b of blocks)
		keys.push(await eng.store.put(b));
	for (const k of keys)
		assert.match(k, /^[0-9a-f]{32}$/);
	const distinct = new Set(blocks.map((b) => b.toString('latin1')));
	assert.equal(new Set(keys).size, distinct.size, 'one key per content');
	const st0 = eng.store.statsSync();
	// Put everything again: nothing new is stored.
	for (let i = 0; i < blocks.length; i++)
		assert.equal(eng.store.putSync(blocks[i]), keys[i]);
	const st1 = await eng.store.stats();
	assert.equal(st1.blocks, st0.blocks);
	assert.equal(st1.storedBytes, st0.storedBytes);
	assert.equal(st1.dedupHits - st0.dedupHits, blocks.length);
	assert.ok(st1.storedBytes < st1.rawBytes);
	for (let i = 0; i < blocks.length; i++) {
		const g = await eng.store.get(keys[i]);
		assert.ok(g.equals(blocks[i]), 'async get == put');
		assert.ok(eng.store.getSync(Buffer.from(keys[i], 'hex')).equals(blocks[i]),
			  'sync get with a Buffer key');
		assert.equal(eng.store.sizeSync(keys[i]), blocks[i].length);
		assert.equal(await eng.store.has(keys[i]), true);
	}
	// A string and its UTF-8 bytes are the same block.
	assert.equal(eng.store.putSync(blocks[0].toString()), keys[0]);
	// Delete drops one reference at a time.
	const k = eng.store.putSync('a block of its own for the delete test');
	assert.equal(eng.store.putSync('a block of its own for the delete test'), k);
	assert.equal(await eng.store.delete(k), 1);
	assert.equal(eng.store.deleteSync(k), 0);
	assert.equal(eng.store.hasSync(k), false);
	assert.equal(eng.store.getSync(k), null);
	assert.equal(await eng.store.get(k), null);
	assert.equal(eng.store.deleteSync(k), null);
	assert.equal(eng.store.sizeSync(k), null);
	// Keys differ for different content, upper-case hex is accepted.
	assert.ok(eng.store.hasSync(keys[0].toUpperCase()));
	for (const bad of ['', 'xyz', '0'.repeat(31), 'g'.repeat(32), 5, null,
		Buffer.alloc(15)]) {
		assert.throws(() => eng.store.getSync(bad), TypeError);
		await assert.rejects(eng.store.has(bad), TypeError);
	}
	assert.equal(eng.store, eng.store, 'one facade per engine');
});

test('store keys are XXH128 in canonical form (checked against libxxhash)', async (t) => {
	// An independent oracle: a few lines of C over the system's libxxhash.
	const dir = tmpdir('xxh');
	try {
		const src = path.join(dir, 'x128.c');
		const bin = path.join(dir, 'x128');
		fs.writeFileSync(src, `#include <stdio.h>
#include <stdlib.h>
#include <xxhash.h>
int main(int argc, char **argv) {
	for (int a = 1; a < argc; a++) {
		FILE *f = fopen(argv[a], "rb");
		fseek(f, 0, SEEK_END);
		long n = ftell(f);
		rewind(f);
		char *b = malloc(n + 1);
		if (fread(b, 1, n, f) != (size_t)n) return 1;
		fclose(f);
		XXH128_canonical_t c;
		XXH128_canonicalFromHash(&c, XXH3_128bits(b, n));
		for (int i = 0; i < 16; i++) printf("%02x", c.digest[i]);
		printf("\\n");
		free(b);
	}
	return 0;
}
`);
		try {
			require('node:child_process').execFileSync('cc', ['-O1', '-o', bin, src,
				'-lxxhash'], { stdio: 'ignore' });
		} catch {
			t.skip('no C compiler or libxxhash-dev');
			return;
		}
		const files = ['/usr/include/stdio.h', '/usr/include/linux/io_uring.h',
			path.join(REPO, 'node_modules/lodash/lodash.js')].filter((f) => fs.existsSync(f));
		const want = require('node:child_process').execFileSync(bin, files)
			.toString().trim().split('\n');
		for (let i = 0; i < files.length; i++)
			assert.equal(await eng.store.put(fs.readFileSync(files[i])), want[i], files[i]);
	} finally {
		fs.rmSync(dir, { recursive: true, force: true });
	}
});

/* Counts like the plan does (special-token text as ordinary text). */
function count(text, encoding = 'o200k_base') {
	return eng.countTokensSync(text, encoding, { disallowedSpecial: [] });
}

function conversation() {
	const cr = copyrights(40);
	const tsSrc = fs.readFileSync(path.join(TS, 'typescript.js'), 'utf8');
	const msgs = [{ role: 'system', text: cr[0].slice(0, 600), pinned: true }];
	for (let i = 0; i < 12; i++) {
		msgs.push({ role: 'user', text: cr[1 + i].slice(0, 1500) });
		msgs.push({ role: 'assistant', text: cr[20 + i].slice(0, 900) });
		msgs.push({ role: 'tool', text: tsSrc.slice(i * 40000, i * 40000 + 6000 + i * 500) });
	}
	msgs.push({ role: 'user', text: 'Now summarise the licences above.' });
	return msgs;
}

function checkPlan(msgs, plan, budget, opts = {}) {
	assert.equal(plan.entries.length, msgs.length);
	assert.ok(plan.totalAfter <= budget, `${plan.totalAfter} <= ${budget}`);
	let sum = 0;
	const applied = eng.applyPlan(msgs, plan);
	assert.equal(applied.length, plan.keep.length);
	let ai = 0;
	plan.entries.forEach((e, i) => {
		assert.equal(e.index, i);
		const m = msgs[i];
		if (m.text !== undefined && typeof m.text === 'string')
			assert.equal(e.tokensBefore, count(m.text, opts.encoding));
		if (m.pinned)
			assert.equal(e.action, 'keep', 'pinned is kept whole');
		if (e.action === 'keep') {
			assert.equal(e.tokensAfter, e.tokensBefore);
			assert.equal(applied[ai++], m, 'kept messages are the caller\'s objects');
		} else if (e.action === 'truncate') {
			const t = applied[ai++];
			assert.notEqual(t, m);
			const text = t.text;
			assert.equal(count(text, opts.encoding), e.tokensAfter,
				     'the cut text has tokensAfter tokens');
			if (typeof m.text === 'string') {
				assert.equal(Buffer.byteLength(m.text.slice(0, e.head)), e.headBytes);
				assert.equal(Buffer.byteLength(m.text.slice(0, e.tailStart)),
					     e.tailOffBytes);
				assert.ok(text.startsWith(m.text.slice(0, e.head) + plan.marker));
			}
		} else {
			assert.equal(e.tokensAfter, 0);
		}
		sum += e.tokensAfter;
	});
	assert.equal(sum + plan.kept * (opts.msgOverhead || 0), plan.totalAfter);
}

test('compaction: fits the budget, deterministic, pinned kept, exact counts',
     { skip: skipTs }, async () => {
	const msgs = conversation();
	const all = msgs.reduce((a, m) => a + count(m.text), 0);
	for (const budget of [Math.floor(all / 2), 8000, 4000]) {
		const opts = { budget, preserveLast: 2, msgOverhead: 4 };
		const plan = await eng.compact(msgs, opts);
		assert.equal(plan.totalBefore, all + 4 * msgs.length);
		checkPlan(msgs, plan, budget, opts);
		// Deterministic, and sync == async.
		assert.deepEqual(eng.compactSync(msgs, opts), plan);
		assert.deepEqual(await eng.compact(msgs, opts), plan);
		// The last two are preserved.
		assert.equal(plan.entries.at(-1).action, 'keep');
		assert.equal(plan.entries.at(-2).action, 'keep');
		// Tool output goes first at equal priority: once other text
		// is evicted, every evictable tool output is dropped.
		const evictable = plan.entries.slice(0, -2).filter((e) => !msgs[e.index].pinned);
		if (evictable.some((e) => msgs[e.index].role !== 'tool' &&
					    (e.action === 'drop' || e.action === 'truncate')))
			for (const e of evictable)
				if (msgs[e.index].role === 'tool')
					assert.equal(e.action, 'drop');
		assert.ok(evictable.some((e) => e.action !== 'keep'));
	}
	// Everything fits: all kept.
	const big = eng.compactSync(msgs, { budget: all * 2, dedupMinBytes: false });
	assert.ok(big.entries.every((e) => e.action === 'keep'));
	assert.equal(big.totalAfter, all);
	// Duplicates collapse even when everything fits.
	const dd = eng.compactSync(msgs, { budget: all * 2 });
	assert.ok(dd.entries.every((e) => e.action === 'keep' || e.action === 'dedup'));
	assert.equal(dd.totalAfter, all - dd.entries.filter((e) => e.action === 'dedup')
		.reduce((a, e) => a + e.tokensBefore, 0));
	// Pinned alone over budget.
	await bothFail(() => eng.compactSync(msgs, { budget: 10 }),
		       () => eng.compact(msgs, { budget: 10 }),
		       'EACCEL_COMPACT_PINNED');
	// Priorities: a high-priority tool output survives, low-priority user text goes.
	const pr = msgs.map((m, i) => ({ ...m, priority: m.role === 'tool' ? 5 : (i % 2 ? -1 : 0) }));
	const pp = eng.compactSync(pr, { budget: 20000 });
	checkPlan(pr, pp, 20000);
});

test('compaction: duplicates collapse onto the last copy; o200k and cl100k',
     { skip: skipTs }, () => {
	const base = conversation().slice(0, 9);
	const dup = { role: 'tool', text: base[3].text };
	const msgs = [...base, dup, { role: 'user', text: 'and again?' }];
	for (const encoding of ['o200k_base', 'cl100k_base']) {
		const plan = eng.compactSync(msgs, { budget: 1e9, encoding });
		assert.equal(plan.entries[3].action, 'dedup');
		assert.equal(plan.entries[3].dupOf, 9);
		assert.equal(plan.entries[9].action, 'keep');
		checkPlan(msgs, plan, 1e9, { encoding });
		const off = eng.compactSync(msgs, { budget: 1e9, encoding, dedupMinBytes: false });
		assert.ok(off.entries.every((e) => e.action === 'keep'));
	}
});

test('compaction: CJK text is cut on characters, offsets in UTF-16 units',
     { skip: skipTs }, () => {
	const zh = JSON.parse(fs.readFileSync(path.join(TS, 'zh-cn/diagnosticMessages.generated.json'), 'utf8'));
	// Astral-plane characters too (4 UTF-8 bytes, 2 UTF-16 units).
	const text = Object.values(zh).slice(0, 400).join('\n🙂 ');
	const msgs = [{ role: 'system', text: 'You translate.', pinned: true },
		{ role: 'tool', text }, { role: 'user', text: '继续' }];
	const plan = eng.compactSync(msgs, { budget: 1500, preserveLast: 1,
					     marker: '\n…省略…\n' });
	const e = plan.entries[1];
	assert.equal(e.action, 'truncate');
	assert.ok(e.head < e.headBytes, 'UTF-16 head differs from bytes');
	assert.equal(plan.marker, '\n…省略…\n');
	checkPlan(msgs, plan, 1500);
	const cut = eng.applyPlan(msgs, plan)[1].text;
	assert.ok(!cut.includes('\ufffd'), 'no broken characters');
});

test('compaction: messages by store key count like their text',
     { skip: skipTs }, async () => {
	const msgs = conversation().slice(0, 10);
	const keyed = [];
	for (const m of msgs)
		keyed.push(m.role === 'tool' ? { role: 'tool', key: await eng.store.put(m.text) } : m);
	const a = eng.compactSync(msgs, { budget: 4000, preserveLast: 1 });
	const b = await eng.compact(keyed, { budget: 4000, preserveLast: 1 });
	assert.deepEqual(b.entries.map((e) => [e.action, e.tokensBefore, e.tokensAfter]),
			 a.entries.map((e) => [e.action, e.tokensBefore, e.tokensAfter]));
	// applyPlan reads a cut keyed message back from the store.
	const applied = eng.applyPlan(keyed, b);
	const ref = eng.applyPlan(msgs, a);
	const textOf = (m) => m.text ?? eng.store.getSync(m.key).toString();
	assert.deepEqual(applied.map(textOf), ref.map((m) => m.text));
	assert.ok(applied.some((m, i) => m === keyed[b.keep[i]] && m.key !== undefined),
		  'kept keyed messages are the caller\'s objects');
	// A key the store does not hold.
	assert.throws(() => eng.compactSync([{ key: 'ab'.repeat(16) }], { budget: 10 }),
		      (e) => e.code === 'EACCEL_COMPACT_NO_TEXT');
});

/* keep-up's compressContext selection, written out in JS as the oracle. */
function selectRef(msgs, maxTokens, preserve) {
	const tok = msgs.map((m) => {
		let t = m.content ? eng.countTokensSync(m.content, 'cl100k_base', { allowedSpecial: 'all' }) : 0;
		if (m.role === 'assistant' && m.toolCalls)
			t += 50 * m.toolCalls.length;
		for (const r of m.toolResults || [])
			t += eng.countTokensSync(JSON.stringify(r), 'cl100k_base', { allowedSpecial: 'all' });
		if (m.role === 'tool' && m.result !== undefined)
			t += eng.countTokensSync(JSON.stringify(m.result), 'cl100k_base', { allowedSpecial: 'all' });
		return t;
	});
	const n = msgs.length;
	const keepFrom = Math.max(0, n - preserve);
	const sel = [];
	let used = 0;
	for (let i = keepFrom; i < n; i++) {
		sel.push(i);
		used += tok[i];
	}
	let trunc = -1;
	for (let i = keepFrom - 1; i >= 0; i--) {
		const left = maxTokens - used;
		if (tok[i] <= left) {
			sel.push(i);
			used += tok[i];
			continue;
		}
		if (left > 50) {
			sel.push(i);
			trunc = i;
		}
		break;
	}
	sel.sort((a, b) => a - b);
	return { sel, trunc, tok };
}

test('selectRecent matches keep-up\'s compressContext selection', { skip: skipTs },
     async () => {
	const conv = conversation();
	const msgs = conv.map((m, i) => {
		if (m.role === 'tool')
			return { role: 'tool', result: { stdout: m.text.slice(0, 3000), code: i } };
		if (m.role === 'assistant' && i % 4 === 2)
			return { role: 'assistant', content: m.text,
				 toolCalls: [{ id: `c${i}`, name: 'run', arguments: '{}' }],
				 toolResults: [{ callId: `c${i}`, result: m.text.slice(0, 200) }] };
		return { role: m.role, content: m.text };
	});
	for (const [max, keep] of [[20000, 3], [6000, 2], [1000, 1], [100, 4]]) {
		const ref = selectRef(msgs, max, keep);
		const got = eng.selectRecentSync(msgs, max, keep, { allowSpecial: true, encoding: 'cl100k_base' });
		assert.deepEqual(got.selectedIndices, ref.sel, `max ${max}`);
		assert.equal(got.truncatedIndex, ref.trunc);
		assert.deepEqual(got.tokens, ref.tok);
		assert.deepEqual(await eng.selectRecent(msgs, max, keep, { allowSpecial: true, encoding: 'cl100k_base' }), got);
	}
});

test('eventlog: append, replay, prune and checkpoints across a reopen', async () => {
	const root = tmpdir('j');
	try {
		const lines = fs.readFileSync('/usr/share/doc/' +
			fs.readdirSync('/usr/share/doc').find((d) =>
				fs.existsSync(`/usr/share/doc/${d}/copyright`)) + '/copyright', 'utf8')
			.split('\n').filter(Boolean);
		const events = [];
		for (let i = 0; i < 60; i++)
			events.push(`${i}:${lines[i % lines.length]}`);
		let j = await eng.eventlog.open(root, { level: 3 });
		const seqs = [];
		for (let i = 0; i < 30; i++)
			seqs.push(await j.append(events[i]));
		for (let i = 30; i < 40; i++)
			seqs.push(j.appendSync(Buffer.from(events[i])));
		// Concurrent appends share fsyncs and still get distinct seqs.
		seqs.push(...await Promise.all(events.slice(40, 60).map((e) => j.append(e))));
		assert.deepEqual(seqs.slice(0, 40), Array.from({ length: 40 }, (_, i) => BigInt(i + 1)));
		assert.deepEqual([...seqs].sort((a, b) => (a < b ? -1 : 1)),
				 Array.from({ length: 60 }, (_, i) => BigInt(i + 1)));
		const order = seqs.map((s, i) => [s, events[i]]).sort((a, b) => (a[0] < b[0] ? -1 : 1));
		const all = (await j.replay(1n)).map(String);
		assert.deepEqual(all, order.map((x) => x[1]));
		assert.deepEqual(j.replaySync(11, 5).map(String), order.slice(10, 15).map((x) => x[1]));
		const ents = await j.replayEntries(58n);
		assert.deepEqual(ents.map((e) => e.seq), [58n, 59n, 60n]);
		// Big events are stored compressed and come back whole.
		const big = fs.readFileSync(path.join(REPO, 'node_modules/lodash/lodash.js'));
		assert.equal(j.appendSync(big), 61n);
		await j.saveCheckpoint('session/1', 'state one');
		j.saveCheckpointSync(Buffer.from([0, 1, 2]), big);
		// A second journal on the root is refused while this one is open.
		await assert.rejects(eng.eventlog.open(root), (e) => e.code === 'EACCEL_JOURNAL_LOCKED');
		await j.close();
		assert.equal(j.closed, true);
		assert.throws(() => j.appendSync('x'), TypeError);

		j = eng.eventlog.openSync(root);
		assert.equal(await j.append('after reopen'), 62n);
		const again = j.replaySync(1);
		assert.equal(again.length, 62);
		assert.deepEqual(again.slice(0, 60).map(String), order.map((x) => x[1]));
		assert.ok(again[60].equals(big));
		assert.equal(String(await j.loadCheckpoint('session/1')), 'state one');
		assert.ok(j.loadCheckpointSync(Buffer.from([0, 1, 2])).equals(big));
		assert.equal(await j.loadCheckpoint('none'), null);
		await j.saveCheckpoint('session/1', 'state two');
		assert.equal(String(j.loadCheckpointSync('session/1')), 'state two');
		assert.equal(await j.deleteCheckpoint('session/1'), true);
		assert.equal(j.deleteCheckpointSync('session/1'), false);
		// Prune.
		assert.equal(await j.prune(21n), 20n);
		assert.equal(j.pruneSync(21), 0n);
		const left = j.replaySync(1n);
		assert.equal(left.length, 42);
		assert.equal(String(left[0]), order[20][1]);
		await j.close();
		j = await eng.eventlog.open(root);
		assert.equal((await j.replayEntries(0n, 1))[0].seq, 21n, 'prune persists');
		await j.close();
	} finally {
		fs.rmSync(root, { recursive: true, force: true });
	}
});

test('bad arguments are TypeErrors, never crashes', async () => {
	const bad = [
		[() => eng.compressSync(undefined), () => eng.compress(undefined)],
		[() => eng.compressSync(42), () => eng.compress(42)],
		[() => eng.compressSync('x', 'fast'), () => eng.compress('x', 'fast')],
		[() => eng.compressSync('x', { level: 'max' }), () => eng.compress('x', { level: 'max' })],
		[() => eng.compressSync('x', { dict: {} }), () => eng.compress('x', { dict: {} })],
		[() => eng.decompressSync({}), () => eng.decompress({})],
		[() => eng.trainDictionarySync([]), () => eng.trainDictionary([])],
		[() => eng.trainDictionarySync([1, 2]), () => eng.trainDictionary([1, 2])],
		[() => eng.compactSync(null, { budget: 1 }), () => eng.compact(null, { budget: 1 })],
		[() => eng.compactSync([{}], { budget: 1 }), () => eng.compact([{}], { budget: 1 })],
		[() => eng.compactSync([{ text: 'x' }], {}), () => eng.compact([{ text: 'x' }], {})],
		[() => eng.compactSync([{ text: 'x', role: 'robot' }], { budget: 1 }),
			() => eng.compact([{ text: 'x', role: 'robot' }], { budget: 1 })],
		[() => eng.compactSync([{ text: 'x' }], { budget: 1, encoding: 'p50k' }),
			() => eng.compact([{ text: 'x' }], { budget: 1, encoding: 'p50k' })],
		[() => eng.selectRecentSync([{ role: 'user', content: 5 }], 10),
			() => eng.selectRecent([{ role: 'user', content: 5 }], 10)],
		[() => eng.eventlog.openSync(''), () => eng.eventlog.open('')],
		[() => eng.eventlog.openSync(7), () => eng.eventlog.open(7)],
		[() => eng.store.putSync(), () => eng.store.put()],
	];
	for (const [s, a] of bad) {
		assert.throws(s, (e) => e instanceof TypeError || e instanceof RangeError, s.toString());
		const p = a();
		assert.ok(p instanceof Promise);
		await assert.rejects(p, (e) => e instanceof TypeError || e instanceof RangeError);
	}
	assert.throws(() => eng.compressSync('x', { level: 99 }), RangeError);
	await assert.rejects(eng.compress('x', { signal: 'no' }), TypeError);
	await assert.rejects(eng.symbols === undefined ? Promise.reject(new TypeError()) :
		eng.store.get('ab'.repeat(16), { signal: {} }), TypeError);
	const root = tmpdir('bad');
	const j = eng.eventlog.openSync(root);
	try {
		assert.throws(() => j.replaySync('x'), TypeError);
		assert.throws(() => j.replaySync(-1), TypeError);
		assert.throws(() => j.appendSync(5), TypeError);
		await assert.rejects(j.prune({}), TypeError);
		await assert.rejects(j.saveCheckpoint(5, 'x'), TypeError);
		// An empty checkpoint id reaches the engine: a clear code.
		await assert.rejects(j.saveCheckpoint('', 'x'), (e) => e.code === 'EACCEL_CHECKPOINT_ID');
	} finally {
		j.closeSync();
		fs.rmSync(root, { recursive: true, force: true });
	}
	assert.equal(eng.pingSync(), 0);
});

test('AbortSignal rejects with AbortError; the engine goes on', async () => {
	const pre = AbortSignal.abort('stop');
	await assert.rejects(eng.compress('x', { signal: pre }), (e) => e instanceof AbortError &&
			     e.code === 'ABORT_ERR' && e.cause === 'stop');
	await assert.rejects(eng.store.put('x', { signal: pre }), AbortError);
	await assert.rejects(eng.compact([{ text: 'x' }], { budget: 5, signal: pre }), AbortError);
	await assert.rejects(eng.eventlog.open('/tmp', { signal: pre }), AbortError);
	// A long one aborted in flight: ~40 MB at level 19.
	const chunk = fs.readFileSync(HAVE_TS ? path.join(TS, 'lib.dom.d.ts') : '/usr/include/stdio.h');
	const big = Buffer.concat(Array.from({ length: Math.ceil((40 << 20) / chunk.length) }, () => chunk));
	const ac = new AbortController();
	const p = eng.compress(big, { level: 19, signal: ac.signal });
	setImmediate(() => ac.abort());
	await assert.rejects(p, AbortError);
	assert.equal(eng.decompressSync(eng.compressSync('still here')).toString(), 'still here');
});
