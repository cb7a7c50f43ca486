// Typings of lib/keep-up/exec.js: keep-up's bash executors on agent-accel.
import type { Engine } from '../index';
import type { SandboxConfig } from './sandbox';

export interface BashExecuteOptions {
	cwd?: string;
	env?: Record<string, string>;
	timeoutMs?: number;
	/** Per stream. */
	maxOutputBytes?: number;
	/** Aborting kills the whole process tree. */
	signal?: AbortSignal;
	onOutput?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
}

export interface BashExecuteResult {
	/** -1: died by a signal, aborted, or could not start (message in stderr). */
	exitCode: number;
	stdout: string;
	stderr: string;
	timedOut: boolean;
	truncated: boolean;
	durationMs: number;
	/** The network the command had (absent when it did not start). */
	network?: 'none' | 'full';
	notes?: string[];
}

export interface IBashExecutor {
	execute(command: string, options: BashExecuteOptions): Promise<BashExecuteResult>;
}

export interface ProcessExecutorConfig {
	/** Default 'full'. */
	networkAccess?: SandboxConfig['networkAccess'];
	allowedHosts?: string[];
	/** Writable roots; default the command's cwd and os.tmpdir(). */
	allowedRoots?: string[];
	engine?: Engine;
}

/** `shell -c command` under a workspace policy; timeout 30 s, 1 MiB per stream. */
export declare class ProcessBashExecutor implements IBashExecutor {
	constructor(shell?: string, config?: ProcessExecutorConfig);
	execute(command: string, options?: BashExecuteOptions): Promise<BashExecuteResult>;
}

/** `shell -lc command` in createSandbox(config). */
export declare class RustBashExecutor implements IBashExecutor {
	constructor(config: SandboxConfig, shell?: string, opts?: { engine?: Engine });
	execute(command: string, options?: BashExecuteOptions): Promise<BashExecuteResult>;
}
