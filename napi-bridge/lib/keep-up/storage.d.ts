// Typings of lib/keep-up/storage.js: keep-up's @ku0/storage-engine-rs on agent-accel.
import type { Engine } from '../index';

export interface NativeStorageEngine {
	saveCheckpoint(id: string, data: Uint8Array): void;
	loadCheckpoint(id: string): Uint8Array | null;
	deleteCheckpoint(id: string): boolean;
	appendEvent(data: Uint8Array): bigint;
	replayEvents(from: bigint, limit?: number): Uint8Array[];
	pruneEvents(before: bigint): bigint;
}

export interface StorageEngineOptions {
	/** zstd level for events of 256 bytes and more (0: off, the default). */
	compressionLevel?: number;
	engine?: Engine;
}

export declare class StorageEngine implements NativeStorageEngine {
	/** Throws EACCEL_JOURNAL_LOCKED when another engine has rootDir open. */
	constructor(rootDir: string, opts?: StorageEngineOptions);
	readonly rootDir: string;
	readonly closed: boolean;
	saveCheckpoint(id: string, data: Uint8Array): void;
	loadCheckpoint(id: string): Buffer | null;
	deleteCheckpoint(id: string): boolean;
	/** Sequence numbers from 1; returns once the event is on disk. */
	appendEvent(data: Uint8Array): bigint;
	replayEvents(from: bigint | number, limit?: number): Buffer[];
	pruneEvents(before: bigint | number): bigint;
	/** Releases the root directory. */
	close(): void;
}

export declare function isNativeStorageEngineAvailable(): boolean;
