// Strict tsc usage of the diff and tokens typings (lib/ops/diff.d.ts,
// tokens.d.ts); each @ts-expect-error must stay an error.
import { Engine } from '../lib/index';
import type { DiffHunks, UnifiedDiff, WordDiff } from '../lib/ops/diff';

async function use(eng: Engine): Promise<number> {
	const u: UnifiedDiff = await eng.diff('a\n', 'b\n', { algorithm: 'patience', aPath: 'x' });
	const s: string = u.text;
	const h: DiffHunks = eng.diffSync(Buffer.from('a\n'), 'b\n', { format: 'hunks', context: 1 });
	for (const hunk of h)
		for (const l of hunk.lines)
			if (l.type === 'add' && l.newLineNo !== undefined)
				void l.content;
	const w: WordDiff = eng.diffWordsSync('a b', 'a c', { mode: 'chars' });
	void w.changes[0].value;
	const ap = eng.applyPatchSync('a\n', u.text, { fuzz: 0 });
	const t: string = ap.text;
	const apb = await eng.applyPatch(Buffer.from('a\n'), u.text);
	const tb: Buffer = apb.text;
	const m = eng.merge3Sync('a\n', 'b\n', 'c\n', { style: 'diff3', labels: { ours: 'o' } });
	const c: number = m.conflicts;
	const n: number = eng.countTokensSync('hello', 'cl100k_base', { allowedSpecial: ['<|endoftext|>'] });
	const ids: Uint32Array = await eng.encode('hello', 'o200k_base', { disallowedSpecial: [] });
	const back: string = eng.decodeSync(ids, 'o200k_base');
	const lim: number | false = eng.isWithinLimitSync('hello', 10);
	const ac = new AbortController();
	await eng.countTokens('x', undefined, { signal: ac.signal });
	// @ts-expect-error unknown algorithm
	eng.diffSync('a', 'b', { algorithm: 'fast' });
	// @ts-expect-error unknown encoding
	eng.countTokensSync('a', 'p50k_base');
	// @ts-expect-error sync forms take no signal
	eng.encodeSync('a', 'o200k_base', { signal: ac.signal });
	// @ts-expect-error ids must be numbers
	eng.decodeSync(['a']);
	return s.length + t.length + tb.length + c + n + back.length + (lim || 0);
}
void use;
