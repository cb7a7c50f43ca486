// Typings of agent-accel/keep-up: drop-ins for the keep-up runtime's native
// addons (symbol-index-rs, tokenizer-rs, diff-rs, sandbox, storage engine),
// over one shared engine. docs/keep-up.md.

import type { Engine, StartOptions } from '../index';

export * from './exec';
export * from './sandbox';
export * from './storage';

// ---- the shared engine ----

/** The process-wide engine, started on first use; null when it cannot start. */
export declare function getEngine(): Engine | null;
/** run(engine), or fallback() without one; retried once after a fresh death. */
export declare function withEngine<T>(run: (engine: Engine) => T,
				      fallback: () => T): T;
/** Why getEngine() returned null. */
export declare function engineError(): Error | null;
/** Engine.startSync options for the next start. */
export declare function configureEngine(opts: StartOptions): void;
/** Closes the shared engine and forgets failures; the next use starts anew. */
export declare function resetEngine(): Promise<void>;

// ---- symbol-index-rs ----

export interface SymbolIndexSymbol {
	name: string;
	/** An LSP SymbolKind name, any case ('class', 'Function'). */
	kind: string;
	file: string;
	/** 1-based. */
	line: number;
	column: number;
	endLine: number;
	endColumn: number;
	/** Dotted path of the enclosing symbols. */
	container?: string;
	detail?: string;
}

export interface SymbolIndexQueryOptions {
	/** Default 20, at most 1000. */
	limit?: number;
	/** Kind names, case-insensitive. */
	kinds?: string[];
}

export interface SymbolIndexResult {
	symbol: SymbolIndexSymbol;
	score: number;
}

export interface SymbolIndexStats {
	symbolCount: number;
	fileCount: number;
}

export interface NativeSymbolIndex {
	updateFile(path: string, symbols: SymbolIndexSymbol[]): void;
	removeFile(path: string): void;
	query(query: string, options?: SymbolIndexQueryOptions): SymbolIndexResult[];
	stats(): SymbolIndexStats;
}

export declare class SymbolIndex implements NativeSymbolIndex {
	updateFile(path: string, symbols: SymbolIndexSymbol[]): void;
	removeFile(path: string): void;
	query(query: string, options?: SymbolIndexQueryOptions): SymbolIndexResult[];
	stats(): SymbolIndexStats;
}

/** keep-up's ImportGraph (paths normalised with path.resolve). */
export declare class ImportGraph {
	updateFileImports(filePath: string, imports: string[]): void;
	removeFile(filePath: string): void;
	/** Breadth-first; transitive defaults to true. */
	getDependents(filePath: string, transitive?: boolean): string[];
	getImports(filePath: string): string[];
}

/** A new, empty index; null without an engine (use the JS index). */
export declare function createSymbolIndex(): NativeSymbolIndex | null;
export declare function createImportGraph(): ImportGraph | null;

// ---- tokenizer-rs ----

export interface NativeToolCall {
	id: string;
	name: string;
	arguments: Record<string, unknown>;
}

export interface NativeToolResult {
	callId: string;
	result: unknown;
	size?: number;
}

export interface NativeMessage {
	role: 'user' | 'assistant' | 'system' | 'tool';
	content?: string;
	toolCalls?: NativeToolCall[];
	toolResults?: NativeToolResult[];
	toolName?: string;
	result?: unknown;
}

export interface CompressedContext<M extends NativeMessage = NativeMessage> {
	/** The caller's own objects, except a cut message (a shallow copy). */
	messages: M[];
	totalTokens: number;
	removedCount: number;
	compressionRatio: number;
	/** Input indices of messages, ascending. */
	selectedIndices: number[];
}

export interface CompressedPayload {
	data: Uint8Array;
	originalBytes: number;
	compressedBytes: number;
	compressionRatio: number;
	encoding: 'zstd';
}

export interface NativeTokenizer {
	countTokens(text: string, model: string): number;
	countTokensBatch(texts: string[], model: string): number[];
	estimateJsonTokens(value: unknown, model: string): number;
	compressContext<M extends NativeMessage>(messages: M[], maxTokens: number,
		preserveLastN: number, model?: string): CompressedContext<M>;
	compressPayloadZstd(value: unknown, minBytes: number,
			    level?: number): CompressedPayload | null;
	decompressPayloadZstd?: (data: Uint8Array) => Uint8Array | null;
}

export declare function countTokens(text: string, model: string): number;
export declare function countTokensBatch(texts: string[], model: string): number[];
export declare function estimateJsonTokens(value: unknown, model: string): number;
export declare function compressContext<M extends NativeMessage>(messages: M[],
	maxTokens: number, preserveLastN: number, model?: string): CompressedContext<M>;
export declare function compressPayloadZstd(value: unknown, minBytes: number,
					    level?: number): CompressedPayload | null;
export declare function decompressPayloadZstd(data: Uint8Array): Uint8Array | null;
/** tiktoken's encoding_for_model over cl100k_base / o200k_base. */
export declare function encodingForModel(model: string): 'cl100k_base' | 'o200k_base';
/** keep-up's getNativeTokenizer(): null without an engine. */
export declare function getNativeTokenizer(): NativeTokenizer | null;

// ---- diff-rs ----

export type DiffLineType = 'context' | 'add' | 'remove';

export interface DiffLine {
	type: DiffLineType;
	content: string;
	oldLineNo?: number;
	newLineNo?: number;
}

export interface DiffHunk {
	oldStart: number;
	oldLines: number;
	newStart: number;
	newLines: number;
	header?: string;
	lines: DiffLine[];
}

export interface CreatePatchOptions {
	context?: number;
}

export interface NativeDiffBinding {
	diffLines(oldText: string, newText: string): DiffHunk[];
	diffUnified(oldText: string, newText: string, context: number): string;
	createTwoFilesPatch(oldFileName: string, newFileName: string,
			    oldText: string, newText: string, oldHeader?: string,
			    newHeader?: string, context?: number): string;
	applyPatch(original: string, patch: string): string;
	reversePatch(patch: string): string;
}

export declare function diffLines(oldText: string, newText: string): DiffHunk[];
export declare function diffUnified(oldText: string, newText: string,
				    context?: number): string;
export declare function createTwoFilesPatch(oldFileName: string,
	newFileName: string, oldStr: string, newStr: string, oldHeader?: string,
	newHeader?: string, options?: CreatePatchOptions | number): string | undefined;
/** Throws (code EACCEL_DIFF_PATCH_*) on a malformed or non-applying patch. */
export declare function applyPatch(original: string, patch: string): string;
export declare function reversePatch(patch: string): string;
/** diff-rs's loadNativeBinding(): null without an engine. */
export declare function loadNativeBinding(): NativeDiffBinding | null;
