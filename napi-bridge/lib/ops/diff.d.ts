// Typings of lib/ops/diff.js: eng.diff / diffWords / applyPatch / merge3.
import '../index';
import type { AsyncOptions } from '../index';

/** Text or bytes; the Sync forms take the same. */
export type DiffInput = string | ArrayBufferView | ArrayBuffer;

export type DiffAlgorithm = 'myers' | 'minimal' | 'patience' | 'histogram';
export type IgnoreWhitespace = 'all' | 'amount' | 'eol';

export interface DiffOptions {
	/** Default 'myers' (git's bounded Myers; 'minimal' is diff --minimal). */
	algorithm?: DiffAlgorithm;
	/** Context lines, default 3. */
	context?: number;
	/** Extra lines that still join two hunks (git --inter-hunk-context). */
	interhunk?: number;
	/** git -w ('all'), -b ('amount'), --ignore-space-at-eol ('eol'). */
	ignoreWhitespace?: IgnoreWhitespace;
	ignoreCrAtEol?: boolean;
	ignoreBlankLines?: boolean;
	/** git's slider placement (git diff's default; off here by default). */
	indentHeuristic?: boolean;
	/** Diff even when an input looks binary (NUL in the first 8000 bytes). */
	text?: boolean;
	/** git's function line after "@@ ... @@". */
	funcname?: boolean;
	/** 'unified' (default): text and counts; 'hunks': lazily decoded hunks. */
	format?: 'unified' | 'hunks';
	/** "--- a/<aPath>" / "+++ b/<bPath>" headers; one given names both. */
	aPath?: string;
	bPath?: string;
}

export interface UnifiedDiff {
	/** git-format unified diff ('' when equal). */
	text: string;
	added: number;
	removed: number;
	/** Number of hunks. */
	hunks: number;
	/** An input was binary and was not diffed. */
	binary: boolean;
}

export interface DiffLine {
	type: 'context' | 'add' | 'remove';
	/** The line without its '\n'. */
	content: string;
	/** 1-based; absent for added lines. */
	oldLineNo?: number;
	/** 1-based; absent for removed lines. */
	newLineNo?: number;
	/** The line has no '\n' (last line of its file). */
	noNewline?: true;
}

export interface DiffEdit {
	/** 1-based lines; for an empty range the line before which it sits. */
	oldStart: number;
	oldLines: number;
	newStart: number;
	newLines: number;
	/** Byte range of the removed / added lines in the UTF-8 inputs. */
	oldByteOffset: number;
	oldByteLength: number;
	newByteOffset: number;
	newByteLength: number;
}

export declare class DiffHunk {
	private constructor();
	/** 1-based (jsdiff's structuredPatch convention). */
	readonly oldStart: number;
	readonly oldLines: number;
	readonly newStart: number;
	readonly newLines: number;
	readonly firstEdit: number;
	readonly editCount: number;
	/** Decoded from the inputs on first read. */
	readonly lines: DiffLine[];
}

/** Hunks decoded lazily from the op's zero-copy hunk buffer. */
export declare class DiffHunks implements Iterable<DiffHunk> {
	private constructor();
	readonly binary: boolean;
	readonly context: number;
	/** Number of hunks. */
	readonly length: number;
	readonly editCount: number;
	readonly added: number;
	readonly removed: number;
	readonly oldLineCount: number;
	readonly newLineCount: number;
	/** The raw hunk buffer (a view of the engine's result block). */
	readonly buffer: Buffer;
	hunk(i: number): DiffHunk;
	edit(i: number): DiffEdit;
	edits(): IterableIterator<DiffEdit>;
	toArray(): DiffHunk[];
	[Symbol.iterator](): IterableIterator<DiffHunk>;
}

export interface DiffWordsOptions {
	/** 'words' (default): words, whitespace runs, punctuation; 'chars': code points. */
	mode?: 'words' | 'chars';
}

export interface WordEdit {
	/** [aStart, aEnd) of a replaced by [bStart, bEnd) of b: UTF-16 units
	 * when both inputs are strings, bytes otherwise. */
	aStart: number;
	aEnd: number;
	bStart: number;
	bEnd: number;
}

export interface WordChange {
	value: string;
	added: boolean;
	removed: boolean;
}

export declare class WordDiff {
	private constructor();
	readonly edits: WordEdit[];
	readonly aChanged: number;
	readonly bChanged: number;
	/** jsdiff-style parts, built on first read. */
	readonly changes: WordChange[];
}

export interface ApplyPatchOptions {
	/** Context lines that may be ignored at each hunk end (default 2). */
	fuzz?: number;
	/** File section of a multi-file patch (0-based, default 0). */
	file?: number;
	/** patch -R. */
	reverse?: boolean;
	/** patch -l. */
	ignoreWhitespace?: boolean;
	/** Only at the stated line: no offset search. */
	exactLine?: boolean;
}

export interface PatchHunkResult {
	status: 'applied' | 'offset' | 'fuzz' | 'rejected' | 'already';
	/** Lines between the stated and the actual position. */
	offset: number;
	/** Context lines ignored. */
	fuzz: number;
	/** 1-based line of the output where it went; 0 when rejected. */
	line: number;
}

export interface ApplyPatchResult<T> {
	/** The patched text (rejected hunks left out); a string for string input. */
	text: T;
	hunks: PatchHunkResult[];
	rejected: number;
	/** File sections in the patch. */
	files: number;
}

export interface Merge3Options {
	style?: 'merge' | 'diff3';
	favor?: 'none' | 'ours' | 'theirs' | 'union';
	markerSize?: number;
	algorithm?: DiffAlgorithm;
	ignoreWhitespace?: IgnoreWhitespace;
	/** Written after the markers. */
	labels?: { ours?: string; base?: string; theirs?: string };
}

export interface Merge3Result<T> {
	text: T;
	conflicts: number;
}

declare module '../index' {
	interface Engine {
		diff(a: DiffInput, b: DiffInput,
			opts?: DiffOptions & { format?: 'unified' } & AsyncOptions): Promise<UnifiedDiff>;
		diff(a: DiffInput, b: DiffInput,
			opts: DiffOptions & { format: 'hunks' } & AsyncOptions): Promise<DiffHunks>;
		diffSync(a: DiffInput, b: DiffInput,
			opts?: DiffOptions & { format?: 'unified' }): UnifiedDiff;
		diffSync(a: DiffInput, b: DiffInput,
			opts: DiffOptions & { format: 'hunks' }): DiffHunks;

		diffWords(a: DiffInput, b: DiffInput,
			opts?: DiffWordsOptions & AsyncOptions): Promise<WordDiff>;
		diffWordsSync(a: DiffInput, b: DiffInput, opts?: DiffWordsOptions): WordDiff;

		/** Throws EACCEL_DIFF_PATCH_MALFORMED (err.line: 1-based patch line)
		 * or EACCEL_DIFF_PATCH_EMPTY; rejected hunks are not an error. */
		applyPatch(text: string, patch: DiffInput,
			opts?: ApplyPatchOptions & AsyncOptions): Promise<ApplyPatchResult<string>>;
		applyPatch(text: ArrayBufferView | ArrayBuffer, patch: DiffInput,
			opts?: ApplyPatchOptions & AsyncOptions): Promise<ApplyPatchResult<Buffer>>;
		applyPatchSync(text: string, patch: DiffInput,
			opts?: ApplyPatchOptions): ApplyPatchResult<string>;
		applyPatchSync(text: ArrayBufferView | ArrayBuffer, patch: DiffInput,
			opts?: ApplyPatchOptions): ApplyPatchResult<Buffer>;

		merge3(base: string, ours: DiffInput, theirs: DiffInput,
			opts?: Merge3Options & AsyncOptions): Promise<Merge3Result<string>>;
		merge3(base: ArrayBufferView | ArrayBuffer, ours: DiffInput, theirs: DiffInput,
			opts?: Merge3Options & AsyncOptions): Promise<Merge3Result<Buffer>>;
		merge3Sync(base: string, ours: DiffInput, theirs: DiffInput,
			opts?: Merge3Options): Merge3Result<string>;
		merge3Sync(base: ArrayBufferView | ArrayBuffer, ours: DiffInput, theirs: DiffInput,
			opts?: Merge3Options): Merge3Result<Buffer>;
	}
}

