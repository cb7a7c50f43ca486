// Typings of lib/ops/symbols.js: eng.symbols (symbol index) and eng.imports
// (import graph).
import '../index';
import type { AsyncOptions } from '../index';

/** LSP SymbolKind names (output); input also takes any case, ctags kind names and numbers. */
export type SymbolKindName =
	| 'File' | 'Module' | 'Namespace' | 'Package' | 'Class' | 'Method'
	| 'Property' | 'Field' | 'Constructor' | 'Enum' | 'Interface'
	| 'Function' | 'Variable' | 'Constant' | 'String' | 'Number'
	| 'Boolean' | 'Array' | 'Object' | 'Key' | 'Null' | 'EnumMember'
	| 'Struct' | 'Event' | 'Operator' | 'TypeParameter';

/** A symbol as keep-up describes it: 1-based positions (0 = unknown). */
export interface IndexedSymbol {
	name: string;
	kind: SymbolKindName;
	file: string;
	line: number;
	column: number;
	endLine: number;
	endColumn: number;
	/** Dotted path of the enclosing scopes ("ts.server.Project"). */
	container?: string;
	detail?: string;
}

/** What upsertFile() takes: kind as any-case LSP or ctags name or LSP number (other names: unknown, stored as Variable); `file` is ignored. */
export interface SymbolInput {
	name: string;
	kind?: string | number;
	file?: string;
	line?: number;
	column?: number;
	endLine?: number;
	endColumn?: number;
	container?: string | null;
	detail?: string | null;
}

export interface SymbolHit {
	symbol: IndexedSymbol;
	/** Higher is better; comparable within one query. */
	score: number;
	/** Matched characters of the name, UTF-16 indices, increasing. */
	positions: number[];
	/** Found with a typo allowance (a swapped or extra letter). */
	typo?: true;
}

export interface FileHit {
	file: string;
	score: number;
	positions: number[];
	typo?: true;
}

export interface SymbolQueryOptions extends AsyncOptions {
	/** 1..1000, default 20. */
	limit?: number;
	/** Kind names (any case) or numbers; default all. */
	kinds?: readonly (string | number)[];
	/** Only files under this prefix. */
	pathPrefix?: string;
	mode?: 'fuzzy' | 'prefix' | 'exact';
	/** fzf's smart case (default): case-sensitive only if the query has a capital. */
	case?: 'smart' | 'ignore' | 'respect';
	/** Retry with a swapped / extra letter when nothing matches well (default true). */
	typo?: boolean;
}

export interface SymbolStats {
	symbols: number;
	files: number;
	names: number;
	/** Heap bytes the index holds. */
	bytes: number;
	stringGarbage: number;
	importFiles: number;
	importEdges: number;
}

export interface WorkspaceResult {
	filesSeen: number;
	filesIndexed: number;
	filesUnchanged: number;
	filesRemoved: number;
	symbols: number;
	errors: number;
	/**
	 * universal-ctags runs under the sandbox: the layers in force (bits
	 * ACCEL_SANDBOX_L_* of sandbox/sandbox.h: 1 << 6 Landlock fs,
	 * 1 << 9 seccomp, ...), those this kernel could not give, and the
	 * syscalls it was denied. 0 when no file needed ctags.
	 */
	sandboxLayers: number;
	sandboxLayersMissing: number;
	sandboxViolations: number;
}

export interface IndexWorkspaceOptions extends AsyncOptions {
	/** Files done / total, after each batch (lossy). */
	onProgress?: (done: number, total: number) => void;
}

export interface SymbolIndexApi {
	upsertFile(path: string, symbols: readonly SymbolInput[], opts?: { contentHash?: bigint; signal?: AbortSignal }): Promise<number>;
	upsertFileSync(path: string, symbols: readonly SymbolInput[], opts?: { contentHash?: bigint }): number;
	/** true when the file was known; an unknown file is a no-op (false). */
	removeFile(path: string, opts?: { imports?: boolean; signal?: AbortSignal }): Promise<boolean>;
	removeFileSync(path: string, opts?: { imports?: boolean }): boolean;
	/** A blank query gives []. */
	query(q: string, opts?: SymbolQueryOptions): Promise<SymbolHit[]>;
	querySync(q: string, opts?: Omit<SymbolQueryOptions, 'signal'>): SymbolHit[];
	queryFiles(q: string, opts?: SymbolQueryOptions): Promise<FileHit[]>;
	queryFilesSync(q: string, opts?: Omit<SymbolQueryOptions, 'signal'>): FileHit[];
	stats(opts?: AsyncOptions): Promise<SymbolStats>;
	statsSync(): SymbolStats;
	save(path: string, opts?: AsyncOptions): Promise<void>;
	saveSync(path: string): void;
	/** Into an empty index; resolves to the files loaded. */
	load(path: string, opts?: AsyncOptions): Promise<number>;
	loadSync(path: string): number;
	indexWorkspace(root: string, opts?: IndexWorkspaceOptions): Promise<WorkspaceResult>;
	indexWorkspaceSync(root: string): WorkspaceResult;
}

export interface ImportEdge {
	file: string;
	/** Distance from the start file (1 = direct). */
	depth: number;
}

export interface ImportWalkOptions extends AsyncOptions {
	/** Walk everything reachable (default false: direct edges only). */
	transitive?: boolean;
	/** Depth limit (0: unlimited); overrides transitive. */
	depth?: number;
}

export interface ImportGraphApi {
	/** Replaces file's imports; resolves to the distinct imports recorded. */
	set(file: string, imports: readonly string[], opts?: AsyncOptions): Promise<number>;
	setSync(file: string, imports: readonly string[]): number;
	remove(file: string, opts?: AsyncOptions): Promise<void>;
	removeSync(file: string): void;
	dependencies(file: string, opts?: ImportWalkOptions): Promise<ImportEdge[]>;
	dependenciesSync(file: string, opts?: Omit<ImportWalkOptions, 'signal'>): ImportEdge[];
	dependents(file: string, opts?: ImportWalkOptions): Promise<ImportEdge[]>;
	dependentsSync(file: string, opts?: Omit<ImportWalkOptions, 'signal'>): ImportEdge[];
	/** The other files on an import cycle with file. */
	cycles(file: string, opts?: AsyncOptions): Promise<ImportEdge[]>;
	cyclesSync(file: string): ImportEdge[];
}

declare module '../index' {
	interface Engine {
		readonly symbols: SymbolIndexApi;
		readonly imports: ImportGraphApi;
	}
}
