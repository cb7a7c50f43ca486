// Typings of lib/keep-up/sandbox.js: keep-up's @ku0/sandbox-rs on agent-accel.
import type { Engine } from '../index';

export type ActionIntent = 'read' | 'write' | 'create' | 'delete' | 'rename' | 'move';

export interface SandboxConfig {
	/** 'allowlist' runs commands without network (no per-host filter). */
	networkAccess: 'none' | 'allowlist' | 'full';
	allowedHosts?: string[];
	/** Non-empty: these roots, and fsIsolation is ignored (as keep-up). */
	allowedRoots?: string[];
	fsIsolation: 'none' | 'workspace' | 'temp' | 'full';
	workingDirectory?: string;
	/** Other keys of keep-up's runtime SandboxConfig (type, ...) are ignored. */
	[key: string]: unknown;
}

export interface Decision {
	decision: 'allow' | 'deny';
	reason?: string;
}

export interface EnvVar {
	key: string;
	value: string;
}

export interface ExecOptions {
	cwd?: string;
	timeoutMs?: number;
	stdin?: string | Uint8Array;
	/** Bytes kept per stream (default 1 MiB; at most 16 MiB are kept). */
	maxOutputBytes?: number;
	env?: EnvVar[] | Record<string, string>;
	/** Aborting kills the whole tree; execute() rejects with an AbortError. */
	signal?: AbortSignal;
	/** Output chunks while the command runs. */
	onOutput?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
	/** SIGTERM -> SIGKILL delay on timeout or abort (default 2000). */
	killGraceMs?: number;
}

export interface ExecResult {
	/** -1 when the command died by a signal. */
	exitCode: number;
	stdout: string;
	stderr: string;
	durationMs: number;
	timedOut: boolean;
	/** A stream had more than maxOutputBytes bytes. */
	truncated: boolean;
	/** 'SIGKILL', ... or null. */
	signal: string | null;
	/** The network the command really had. */
	network: 'none' | 'full';
	/** What the sandbox did differently from the config (allowlist). */
	notes: string[];
	violations: import('../ops/exec').ExecViolation[];
}

export interface EffectivePolicy {
	networkAccess: SandboxConfig['networkAccess'];
	network: 'none' | 'full';
	allowedHosts: string[];
	fsIsolation: SandboxConfig['fsIsolation'];
	workingDirectory: string | null;
	/** Real paths; null: unrestricted. */
	roots: string[] | null;
	privateTmp: boolean;
	notes: string[];
}

export interface SandboxPolicy {
	evaluateFileAction(path: string, intent: ActionIntent): Decision;
	execute(cmd: string, args: string[], options?: ExecOptions): Promise<ExecResult>;
	read(path: string): Buffer;
	write(path: string, data: Uint8Array | string): void;
	list(path: string): string[];
	/** The real path when a root holds it; else throws ERR_ACCESS_DENIED. */
	resolve(path: string): string;
	readonly policy: EffectivePolicy;
	readonly network: 'none' | 'full';
}

export declare class Sandbox implements SandboxPolicy {
	constructor(config: SandboxConfig, opts?: { engine?: Engine });
	evaluateFileAction(path: string, intent: ActionIntent): Decision;
	execute(cmd: string, args: string[], options?: ExecOptions): Promise<ExecResult>;
	read(path: string): Buffer;
	write(path: string, data: Uint8Array | string): void;
	list(path: string): string[];
	resolve(path: string): string;
	readonly policy: EffectivePolicy;
	readonly network: 'none' | 'full';
}

/** Throws when the engine is unavailable (keep-up throws without its addon). */
export declare function createSandbox(config: SandboxConfig,
	opts?: { engine?: Engine }): SandboxPolicy;
/** The real path of p (symlinks resolved, missing tail kept as written). */
export declare function realPath(p: string): string;
/** The shared engine, or a clear error when it is unavailable. */
export declare function acquireEngine(): Engine;
