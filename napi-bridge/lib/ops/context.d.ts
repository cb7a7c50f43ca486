// Typings of lib/ops/context.js: zstd, dictionaries, the block store, the
// compaction plan, keep-up's selection and the event journal.
import '../index';
import type { AsyncOptions, Engine } from '../index';

/** Bytes or text (strings are sent as UTF-8). */
export type ContextData = string | ArrayBufferView | ArrayBuffer | SharedArrayBuffer;

export type ContextEncoding = 'cl100k_base' | 'o200k_base';

/**
 * A store key: XXH3-128 of the block in XXH128's canonical form (high 64
 * bits first, big-endian), as 32 hex digits or those 16 bytes.
 */
export type StoreKey = string | ArrayBufferView;

export interface CompressOptions extends AsyncOptions {
	/** zstd level, -7..22 (default 3). */
	level?: number;
	/** XXH64 content checksum in the frame (default true). */
	checksum?: boolean;
	dict?: Dictionary;
}

export interface DecompressOptions extends AsyncOptions {
	dict?: Dictionary;
	/** Output limit in bytes (default 1 GiB); past it EACCEL_ZSTD_TOO_LARGE. */
	maxOutput?: number;
}

export interface TrainOptions extends AsyncOptions {
	/** Dictionary capacity in bytes (default: an eighth of the sample bytes, 4 KiB to 512 KiB). */
	size?: number;
	/** Level the dictionary is digested for (default 3). */
	level?: number;
}

/** A zstd dictionary loaded once in the engine (per Engine, at most 64). */
export declare class Dictionary {
	private constructor();
	/** The dictionary bytes (keep them to loadDictionary() later). */
	readonly bytes: Buffer;
	readonly size: number;
	/** The engine's handle; 0 once freed. */
	readonly handle: number;
	free(opts?: AsyncOptions): Promise<void>;
	freeSync(): void;
}

export interface StoreStats {
	blocks: number;
	rawBytes: number;
	storedBytes: number;
	refs: number;
	puts: number;
	dedupHits: number;
	gets: number;
	deletes: number;
	fileBytes: number;
	loadedRecords: number;
	tornBytes: number;
}

/** eng.store: the session's content-addressed, zstd-compressed block store. */
export interface ContextStore {
	/** Stores a block (a duplicate only gains a reference); resolves to its key. */
	put(data: ContextData, opts?: AsyncOptions): Promise<string>;
	putSync(data: ContextData): string;
	/** The block (a view of the engine's result), or null when not held. */
	get(key: StoreKey, opts?: AsyncOptions): Promise<Buffer | null>;
	getSync(key: StoreKey): Buffer | null;
	has(key: StoreKey, opts?: AsyncOptions): Promise<boolean>;
	hasSync(key: StoreKey): boolean;
	/** Uncompressed size, or null when not held. */
	size(key: StoreKey, opts?: AsyncOptions): Promise<number | null>;
	sizeSync(key: StoreKey): number | null;
	/** Drops one reference: the references left (0: gone), or null if not held. */
	delete(key: StoreKey, opts?: AsyncOptions): Promise<number | null>;
	deleteSync(key: StoreKey): number | null;
	stats(opts?: AsyncOptions): Promise<StoreStats>;
	statsSync(): StoreStats;
}

export type ContextRole = 'system' | 'user' | 'assistant' | 'tool' | number;
export type ContextKind = 'text' | 'tool_call' | 'tool_output' | number;

/** A message of a compaction plan: text (or content), or a store key. */
export interface CompactMessage {
	role?: ContextRole;
	text?: string | ArrayBufferView;
	content?: string | ArrayBufferView;
	key?: StoreKey;
	/** Default 'tool_output' for role 'tool', else 'text'. */
	kind?: ContextKind;
	/** Higher survives longer (int32, default 0). */
	priority?: number;
	/** Never dropped or cut. */
	pinned?: boolean;
	/** Dropped rather than cut. */
	noTruncate?: boolean;
}

export interface CompactOptions extends AsyncOptions {
	/** Token budget of the whole plan (required). */
	budget: number;
	/** Default 'o200k_base'. */
	encoding?: ContextEncoding;
	/** The last N messages are never dropped or cut. */
	preserveLast?: number;
	/** Tokens added per kept message (chat framing). */
	msgOverhead?: number;
	/** Cut a message only if at least this many of its tokens remain (0: 32). */
	minKeepTokens?: number;
	/** Collapse identical messages at least this long (0: 64); false: never. */
	dedupMinBytes?: number | false;
	/** Put between head and tail of a cut message (default "\n[...]\n"). */
	marker?: string;
	/** Special-token text counts as special tokens. */
	allowSpecial?: boolean;
}

export interface PlanEntry {
	/** Index into the caller's messages. */
	index: number;
	action: 'keep' | 'drop' | 'truncate' | 'dedup';
	tokensBefore: number;
	/** Tokens of the message as the plan leaves it (0 unless kept). */
	tokensAfter: number;
	/** dedup: the index of the copy that survives. */
	dupOf?: number;
	/** truncate: bytes of UTF-8 kept at the head. */
	headBytes?: number;
	/** truncate: UTF-8 byte offset where the kept tail starts. */
	tailOffBytes?: number;
	/** truncate, string text: head length in UTF-16 units (text.slice(0, head)). */
	head?: number;
	/** truncate, string text: UTF-16 index of the tail (text.slice(tailStart)). */
	tailStart?: number;
}

export interface CompactionPlan {
	/** Tokens of all messages, with overhead. */
	totalBefore: number;
	/** Tokens of the plan, with overhead; <= budget. */
	totalAfter: number;
	/** KEEP + TRUNCATE entries. */
	kept: number;
	/** Indices of kept (and cut) messages, ascending. */
	keep: number[];
	marker: string;
	/** One entry per input message, in input order. */
	entries: PlanEntry[];
}

/** keep-up's message shape for selectRecent(). */
export interface RecentMessage {
	role: 'user' | 'assistant' | 'system' | 'tool';
	content?: string | null;
	toolCalls?: readonly unknown[];
	toolResults?: readonly unknown[];
	result?: unknown;
	[key: string]: unknown;
}

export interface RecentSelection {
	/** Selected input indices, ascending (the cut one included). */
	selectedIndices: number[];
	/** Index to cut to truncateTokens, or -1. */
	truncatedIndex: number;
	truncateTokens: number;
	selectedTokens: number;
	totalTokens: number;
	/** Per message token count. */
	tokens: number[];
}

export interface SelectOptions extends AsyncOptions {
	encoding?: ContextEncoding;
	allowSpecial?: boolean;
}

export interface ReplayEntry {
	seq: bigint;
	data: Buffer;
}

/** An open event journal (keep-up's StorageEngine). */
export declare class Journal {
	private constructor();
	readonly engine: Engine;
	readonly root: string;
	readonly handle: number;
	readonly closed: boolean;
	/** Resolves once the event is durable; sequence numbers start at 1. */
	append(data: ContextData, opts?: AsyncOptions): Promise<bigint>;
	appendSync(data: ContextData): bigint;
	/** Events with seq >= from, in order (views of the engine's result). */
	replay(from: bigint | number, limit?: number, opts?: AsyncOptions): Promise<Buffer[]>;
	replaySync(from: bigint | number, limit?: number): Buffer[];
	replayEntries(from: bigint | number, limit?: number, opts?: AsyncOptions): Promise<ReplayEntry[]>;
	replayEntriesSync(from: bigint | number, limit?: number): ReplayEntry[];
	/** Removes events below `before`; resolves to how many were removed. */
	prune(before: bigint | number, opts?: AsyncOptions): Promise<bigint>;
	pruneSync(before: bigint | number): bigint;
	saveCheckpoint(id: string | ArrayBufferView, data: ContextData, opts?: AsyncOptions): Promise<void>;
	saveCheckpointSync(id: string | ArrayBufferView, data: ContextData): void;
	loadCheckpoint(id: string | ArrayBufferView, opts?: AsyncOptions): Promise<Buffer | null>;
	loadCheckpointSync(id: string | ArrayBufferView): Buffer | null;
	deleteCheckpoint(id: string | ArrayBufferView, opts?: AsyncOptions): Promise<boolean>;
	deleteCheckpointSync(id: string | ArrayBufferView): boolean;
	close(opts?: AsyncOptions): Promise<void>;
	closeSync(): void;
}

export interface EventLogOpenOptions extends AsyncOptions {
	/** zstd level for events of 256 bytes or more (default 0: none). */
	level?: number;
}

/** eng.eventlog */
export interface EventLog {
	open(root: string, opts?: EventLogOpenOptions): Promise<Journal>;
	openSync(root: string, opts?: Omit<EventLogOpenOptions, 'signal'>): Journal;
}

declare module '../index' {
	interface Engine {
		compress(data: ContextData, opts?: CompressOptions): Promise<Buffer>;
		compressSync(data: ContextData, opts?: Omit<CompressOptions, 'signal'>): Buffer;
		decompress(frame: ContextData, opts?: DecompressOptions): Promise<Buffer>;
		decompressSync(frame: ContextData, opts?: Omit<DecompressOptions, 'signal'>): Buffer;
		trainDictionary(samples: readonly ContextData[], opts?: TrainOptions): Promise<Dictionary>;
		trainDictionarySync(samples: readonly ContextData[], opts?: Omit<TrainOptions, 'signal'>): Dictionary;
		loadDictionary(bytes: ArrayBufferView | ArrayBuffer, opts?: { level?: number; signal?: AbortSignal }): Promise<Dictionary>;
		loadDictionarySync(bytes: ArrayBufferView | ArrayBuffer, opts?: { level?: number }): Dictionary;
		compact(messages: readonly CompactMessage[], opts: CompactOptions): Promise<CompactionPlan>;
		compactSync(messages: readonly CompactMessage[], opts: Omit<CompactOptions, 'signal'>): CompactionPlan;
		/** The kept messages in order: the caller's objects, the cut one a shallow copy. */
		applyPlan<M extends CompactMessage>(messages: readonly M[], plan: CompactionPlan): M[];
		selectRecent(messages: readonly RecentMessage[], maxTokens: number, preserveLastN?: number, opts?: SelectOptions): Promise<RecentSelection>;
		selectRecentSync(messages: readonly RecentMessage[], maxTokens: number, preserveLastN?: number, opts?: Omit<SelectOptions, 'signal'>): RecentSelection;
		readonly store: ContextStore;
		readonly eventlog: EventLog;
	}
}
