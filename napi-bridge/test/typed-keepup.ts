// Typed use of agent-accel/keep-up (checked by types.test.js through
// tsconfig.json): each drop-in as keep-up's TypeScript would call it, and
// misuse that must stay a type error.
import {
	Engine,
} from '../lib/index';
import {
	getEngine, withEngine, engineError, configureEngine, resetEngine,
	createSymbolIndex, createImportGraph, ImportGraph,
	countTokens, countTokensBatch, estimateJsonTokens, compressContext,
	compressPayloadZstd, decompressPayloadZstd, encodingForModel,
	getNativeTokenizer, loadNativeBinding, diffLines, diffUnified,
	createTwoFilesPatch, applyPatch, reversePatch,
} from '../lib/keep-up/index';
import type {
	NativeSymbolIndex, SymbolIndexResult, SymbolIndexStats, NativeMessage,
	CompressedContext, CompressedPayload, NativeTokenizer, DiffHunk,
	NativeDiffBinding,
} from '../lib/keep-up/index';

const e0: Engine = Engine.startSync({ syncSpinUs: 20 });
const e: Engine | null = getEngine();
const n0: number = withEngine((eng) => eng.pingSync(), () => -1);
const why: Error | null = engineError();
configureEngine({ workers: 2 });
const closing: Promise<void> = resetEngine();

const idx: NativeSymbolIndex | null = createSymbolIndex();
if (idx) {
	idx.updateFile('src/a.ts', [{ name: 'A', kind: 'class', file: 'src/a.ts',
		line: 1, column: 1, endLine: 2, endColumn: 1, container: 'x.y' }]);
	const hits: SymbolIndexResult[] = idx.query('a', { limit: 5, kinds: ['class'] });
	const line: number = hits[0].symbol.line;
	const st: SymbolIndexStats = idx.stats();
	const c: number = st.symbolCount + st.fileCount;
	idx.removeFile('src/a.ts');
	// @ts-expect-error: a symbol needs its positions
	idx.updateFile('src/b.ts', [{ name: 'B', kind: 'class', file: 'b' }]);
	// @ts-expect-error: limit is a number
	idx.query('a', { limit: '5' });
}
const g: ImportGraph | null = createImportGraph();
if (g) {
	g.updateFileImports('/a.ts', ['/b.ts']);
	const deps: string[] = g.getDependents('/b.ts');
	const direct: string[] = g.getDependents('/b.ts', false);
	const imps: string[] = g.getImports('/a.ts');
	g.removeFile('/a.ts');
}

const t: number = countTokens('hello', 'gpt-4o');
const ts: number[] = countTokensBatch(['a', 'b'], 'gpt-4');
const j: number = estimateJsonTokens({ a: 1 }, 'gpt-4');
const enc: 'cl100k_base' | 'o200k_base' = encodingForModel('gpt-4o');
interface MyMessage extends NativeMessage { id: string }
const msgs: MyMessage[] = [{ id: 'm1', role: 'user', content: 'hi' },
	{ id: 'm2', role: 'assistant', toolCalls: [{ id: 'c', name: 'n', arguments: {} }] }];
const cc: CompressedContext<MyMessage> = compressContext(msgs, 1000, 2, 'gpt-4o');
const firstId: string = cc.messages[0].id;
const sel: number[] = cc.selectedIndices;
const p: CompressedPayload | null = compressPayloadZstd({ a: 1 }, 64, 3);
const raw: Uint8Array | null = p ? decompressPayloadZstd(p.data) : null;
const tok: NativeTokenizer | null = getNativeTokenizer();
// @ts-expect-error: a role keep-up does not have
compressContext([{ role: 'robot', content: 'x' }], 10, 1);
// @ts-expect-error: the model is required
countTokens('hello');

const hunks: DiffHunk[] = diffLines('a\n', 'b\n');
const kind: 'context' | 'add' | 'remove' = hunks[0].lines[0].type;
const u: string = diffUnified('a\n', 'b\n', 3);
const patch: string | undefined = createTwoFilesPatch('a', 'b', 'x\n', 'y\n',
	undefined, undefined, { context: 2 });
const patch2: string | undefined = createTwoFilesPatch('a', 'b', 'x\n', 'y\n',
	'h1', 'h2', 2);
const applied: string = applyPatch('x\n', patch ?? '');
const reversed: string = reversePatch(patch ?? '');
const bin: NativeDiffBinding | null = loadNativeBinding();
// @ts-expect-error: diffUnified takes the context as a number
diffUnified('a', 'b', { context: 3 });

export { e0, e, n0, why, closing, t, ts, j, enc, firstId, sel, raw, tok, kind, u,
	 patch2, applied, reversed, bin };
