/// <reference types="node" />
/**
 * agent-accel for Node: a shared-memory engine for agent runtimes.
 * See docs/node.md.
 */

/** Bytes or text an op accepts as input (strings are sent as UTF-8). */
export type Input =
	| string
	| ArrayBufferView
	| ArrayBuffer
	| SharedArrayBuffer;

/** A 64-bit op argument (sqe.arg[]); negative Numbers go two's complement. */
export type OpArg = number | bigint;

export interface StartOptions {
	/** agent-acceld binary; default $ACCEL_ENGINE, then <repo>/build/engine/agent-acceld. */
	enginePath?: string;
	/** Engine worker threads (default: one per core). */
	workers?: number;
	/** Engine poller spin before it sleeps, microseconds. */
	engineSpinUs?: number;
	/** Submission ring entries (power of two; engine default 4096). */
	sqEntries?: number;
	/** Request arena bytes (inputs); engine default 64 MiB. */
	reqSize?: number;
	/** Result arena bytes (results); engine default 64 MiB. */
	resSize?: number;
	/**
	 * How long the event loop keeps reaping without blocking after a
	 * submission before it sleeps on the eventfd, microseconds (default
	 * 50; 0: always sleep on the eventfd).
	 */
	spinUs?: number;
	/** Sync calls: spin before sleeping on the futex, microseconds (default 50). */
	syncSpinUs?: number;
	/** Handshake timeout, milliseconds (default 10000). */
	handshakeTimeoutMs?: number;
	/**
	 * Share of the result arena that live zero-copy Buffers may hold, in
	 * percent (default 50). Past it, results are copied out and their
	 * blocks released at once, so that Buffers the GC has not collected
	 * yet cannot starve the engine of result space.
	 */
	viewLimitPct?: number;
}

export type ConnectOptions = Omit<
	StartOptions,
	'enginePath' | 'workers' | 'engineSpinUs'
>;

/** How a completion becomes the value of call()/callSync(). */
export interface ResultModes {
	/** cqe.res, the op's success value. */
	none: number;
	/** A Buffer that views the engine's result in the mapping (no copy). */
	buffer: Buffer;
	/** A Buffer copied out of the mapping (the block is released at once). */
	copy: Buffer;
	/** The result decoded as UTF-8. */
	string: string;
	/** JSON.parse of the result. */
	json: unknown;
	/** res and the zero-copy result, if any. */
	raw: { res: number; data: Buffer | null };
}
export type ResultMode = keyof ResultModes;

export interface CallOptions<M extends ResultMode = ResultMode> {
	/** Up to three 64-bit op arguments. */
	args?: readonly OpArg[];
	/** Default 'buffer'. */
	result?: M;
	/** Rejects the call at once with an AbortError and cancels it in the engine. */
	signal?: AbortSignal;
	/** Progress completions (CQE flag MORE): the op's progress value and data. */
	onProgress?: (res: number, value: ResultModes[M] | undefined) => void;
	/**
	 * On abort, cancel the op and reject only once the engine says it has
	 * stopped (an exec: once its process tree is gone), with the op's value
	 * as `err.result` or its error as `err.opError`. Default false.
	 */
	waitOnAbort?: boolean;
}

export type SyncCallOptions<M extends ResultMode = ResultMode> = Omit<
	CallOptions<M>,
	'signal' | 'onProgress' | 'waitOnAbort'
>;

export interface AsyncOptions {
	signal?: AbortSignal;
}

export interface EngineInfo {
	enginePid: number;
	sqEntries: number;
	cqCount: number;
	cqEntries: number;
	reqSize: number;
	resSize: number;
	mapSize: number;
	inflight: number;
	spinUs: number;
	/** The spin window the next submission opens (adaptive, <= spinUs). */
	spinEffUs: number;
	/** Spin windows in which a completion arrived / that ended in vain. */
	spinHits: number;
	spinMisses: number;
	/** The spin the next sync wait starts with (adapts up to syncSpinUs). */
	syncSpinEffUs: number;
	/** Result bytes held by live zero-copy Buffers. */
	viewBytes: number;
	viewLimit: number;
	/** Results copied because viewBytes was at viewLimit. */
	viewsCopied: number;
}

export interface OpStats {
	count: number;
	errors: number;
	bytes_in: number;
	bytes_out: number;
	[key: string]: unknown;
}

/** The stats op's document (engine/ops/stats.c, docs/ops.md). */
export interface EngineStats {
	engine: {
		pid: number;
		uptime_ms: number;
		workers: number;
		sessions: number;
		sessions_total: number;
		protocol: string;
		spin_ns: number;
		io_uring: string;
		[key: string]: unknown;
	};
	session: {
		id: number;
		sq_entries: number;
		cq_count: number;
		req_size: number;
		res_size: number;
		/** Result-arena bytes held (by this client's live Buffers, among others). */
		res_used: number;
		res_blocks: number;
		in_flight: number;
		bad_releases: number;
		[key: string]: unknown;
	};
	ops: Record<string, OpStats>;
	[key: string]: unknown;
}

export type EngineState = 'open' | 'closed' | 'dead';

export declare class Engine {
	private constructor();
	/** Spawns a private engine (it exits with this Engine or this process). */
	static start(opts?: StartOptions): Promise<Engine>;
	/**
	 * start() with the handshake on the calling thread: blocks it until the
	 * engine answers (at most handshakeTimeoutMs). Same options and errors
	 * (thrown). For synchronous APIs that start their engine on first use.
	 */
	static startSync(opts?: StartOptions): Engine;
	/** Connects to a daemon: agent-acceld --socket PATH. */
	static connect(socketPath: string, opts?: ConnectOptions): Promise<Engine>;
	/** The op table: name -> wire id. */
	static readonly ops: Readonly<Record<string, number>>;

	readonly info: EngineInfo;
	readonly pid: number;
	readonly state: EngineState;

	ping(opts?: AsyncOptions): Promise<number>;
	pingSync(): number;
	/** n no-op pings in ring-sized batches; resolves with n. */
	pingMany(n: number): Promise<number>;
	/** Resolves to a Buffer viewing the engine's copy of data (no copy back). */
	echo(data: Input, opts?: AsyncOptions): Promise<Buffer>;
	echoSync(data: Input): Buffer;
	stats(opts?: AsyncOptions): Promise<EngineStats>;
	statsSync(): EngineStats;

	/** The generic call every op method is built on. */
	call<M extends ResultMode = 'buffer'>(
		op: string | number,
		input?: Input | null,
		opts?: CallOptions<M>
	): Promise<ResultModes[M]>;
	callSync<M extends ResultMode = 'buffer'>(
		op: string | number,
		input?: Input | null,
		opts?: SyncCallOptions<M>
	): ResultModes[M];

	/** Pending calls reject with EACCEL_CLOSED; result Buffers stay valid. */
	close(): Promise<void>;
	/** Debug: true when buf's bytes lie in this session's mapping. */
	isMapped(buf: ArrayBufferView): boolean;
}

/** Every failure of an op or of the session. */
export declare class AccelError extends Error {
	/** 'EACCEL_<NAME>' or an errno name such as 'ENOENT'. Stable. */
	readonly code: string;
	/** The positive error number. Stable. */
	readonly errno: number;
	/** The op's explanation, when it sent one. */
	readonly detail?: string;
}

/** The rejection of a call whose AbortSignal fired. */
export declare class AbortError extends Error {
	readonly name: 'AbortError';
	readonly code: 'ABORT_ERR';
	/** With waitOnAbort: the value the stopped op returned. */
	result?: unknown;
	/** With waitOnAbort: the error the stopped op returned. */
	opError?: AccelError | Error;
}

/** Code name -> number, for every errno name and every EACCEL_* code. */
export declare const codes: Readonly<Record<string, number>>;
/** Op name -> wire id (engine/ops/ops.def). */
export declare const ops: Readonly<Record<string, number>>;
/** The code name of an error number (either sign), or undefined. */
export declare function errorName(code: number): string | undefined;
export declare const addonPath: string;
export declare const enginePath: string;

// The op modules' methods (diff, tokens, context, symbols, ...).
import './ops';
