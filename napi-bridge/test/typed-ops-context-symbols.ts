// Strict tsc usage of the context and symbols typings (lib/ops/context.d.ts,
// symbols.d.ts); each @ts-expect-error must stay an error.
import { Engine } from '../lib/index';
import type { CompactionPlan, Dictionary, Journal } from '../lib/ops/context';
import type { SymbolHit, SymbolStats } from '../lib/ops/symbols';

async function use(eng: Engine): Promise<number> {
	const ac = new AbortController();
	const f: Buffer = await eng.compress('text', { level: 5, checksum: false, signal: ac.signal });
	const d: Dictionary = eng.trainDictionarySync(['a', Buffer.from('b')], { size: 4096 });
	const g: Buffer = eng.decompressSync(f, { dict: d, maxOutput: 1 << 20 });
	await d.free();
	const key: string = await eng.store.put(g);
	const back: Buffer | null = eng.store.getSync(key);
	const left: number | null = await eng.store.delete(Buffer.from(key, 'hex'));
	const n: number = eng.store.statsSync().dedupHits;
	const plan: CompactionPlan = await eng.compact(
		[{ role: 'system', text: 'x', pinned: true }, { role: 'tool', content: 'y', key }],
		{ budget: 100, encoding: 'cl100k_base', preserveLast: 1, dedupMinBytes: false });
	for (const e of plan.entries)
		if (e.action === 'truncate' && e.head !== undefined)
			void e.tailStart;
	const kept = eng.applyPlan([{ text: 'a', role: 'user' as const, id: 1 }], plan);
	void kept[0].id;
	const sel = eng.selectRecentSync([{ role: 'user', content: 'hi' }], 100, 2);
	void sel.selectedIndices;
	const j: Journal = await eng.eventlog.open('/tmp/x', { level: 3 });
	const seq: bigint = await j.append('ev');
	const evs: Buffer[] = j.replaySync(1n, 10);
	const pruned: bigint = j.pruneSync(seq);
	const ck: Buffer | null = await j.loadCheckpoint('id');
	await j.close();

	await eng.symbols.upsertFile('a.ts', [{ name: 'foo', kind: 'function', line: 1, column: 1 }]);
	const hits: SymbolHit[] = eng.symbols.querySync('gTC', { limit: 5, kinds: ['Method', 12], mode: 'fuzzy' });
	const pos: number[] = hits[0].positions;
	const st: SymbolStats = await eng.symbols.stats();
	const ws = await eng.symbols.indexWorkspace('/tmp', { onProgress: (done, total) => void (done + total) });
	const deps = eng.imports.dependentsSync('a.ts', { transitive: true });
	void [back, left, n, evs, pruned, ck, pos, deps, ws.symbols];

	// @ts-expect-error level must be a number
	eng.compressSync('x', { level: '3' });
	// @ts-expect-error compact needs a budget
	eng.compactSync([], {});
	// @ts-expect-error mode is a closed set
	eng.symbols.querySync('x', { mode: 'regex' });
	// @ts-expect-error sync forms take no signal
	eng.symbols.querySync('x', { signal: ac.signal });
	// @ts-expect-error replay returns Buffers
	const wrong: string[] = j.replaySync(1n);
	void wrong;
	return st.symbols + hits.length;
}
void use;
