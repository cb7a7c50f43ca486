// Typings of lib/ops/exec.js: eng.exec (engine op 16; docs/ops.md and
// docs/sandbox.md). There is no execSync, by design.
import '../index';

/** Layer names, as accel_sandbox_layer_name() spells them. */
export type SandboxLayer =
	| 'userns' | 'pidns' | 'mntns' | 'ipcns' | 'utsns' | 'netns'
	| 'landlock-fs' | 'landlock-net' | 'landlock-scope'
	| 'seccomp' | 'seccomp-notify' | 'no-new-privs' | 'noroot'
	| 'cgroup' | 'rlimits' | 'pdeathsig';

export interface ExecLimits {
	/** cgroup memory limit, else RLIMIT_AS. */
	memoryBytes?: number | bigint;
	/** cgroup pids.max, else RLIMIT_NPROC. */
	pids?: number | bigint;
	/** RLIMIT_CPU (rounded up to seconds). */
	cpuMs?: number | bigint;
	/** CPU bandwidth in percent of one CPU (needs a cgroup). */
	cpuPercent?: number;
	/** RLIMIT_FSIZE. */
	fileSizeBytes?: number | bigint;
	/** RLIMIT_NOFILE. */
	nofile?: number | bigint;
}

export interface ExecPolicy {
	/** Readable roots; default: the whole filesystem, read-only. */
	read?: string[];
	/** Writable roots (also readable). */
	write?: string[];
	/** Hidden even inside the roots; 'DIR/**\/NAME' globs at compile time. */
	deny?: string[];
	/** Read-only inside writable roots (.git/hooks). */
	readonly?: string[];
	/** Default 'none' (AF_UNIX only). */
	network?: 'none' | 'loopback' | 'full';
	/** Fail with EACCEL_SANDBOX_LAYER_MISSING instead of degrading. */
	requireLayers?: SandboxLayer[];
	/** Layers not to use ('namespaces' = all six namespaces). */
	disableLayers?: (SandboxLayer | 'namespaces')[];
	/** Same as ExecOptions.envAllow. */
	envAllow?: string[];
	/** A fresh tmpfs on /tmp. */
	privateTmp?: boolean;
	/** List writes outside the roots as violations (a round trip each). */
	traceWrites?: boolean;
	/** An empty network namespace also for network 'none'. */
	netnsForNone?: boolean;
	/** false: denied syscalls fail silently (no violation report). */
	reportViolations?: boolean;
	/**
	 * false: compile the policy afresh (paths are resolved and globs
	 * expanded at compile time) and replace the session's cached copy.
	 */
	cache?: boolean;
	limits?: ExecLimits;
}

export type ExecStream = 'stdout' | 'stderr';

export interface ExecOptions {
	/** argv[0] is searched in the sandbox's PATH when it has no '/'. */
	argv: string[];
	/** Absolute; default the first writable root, else '/'. */
	cwd?: string;
	/** Variables set after filtering (override the base environment). */
	env?: Record<string, string | undefined>;
	/** Names passed from baseEnv ('LC_*' prefixes); default PATH HOME ... */
	envAllow?: string[];
	/** Environment filtered by envAllow; default process.env. */
	baseEnv?: Record<string, string | undefined> | null;
	stdin?: string | ArrayBufferView | ArrayBuffer;
	policy?: ExecPolicy;
	/** 0 / absent: no timeout. Kills the whole tree. */
	timeoutMs?: number;
	/** SIGTERM → SIGKILL delay; default 2000. */
	killGraceMs?: number;
	/** Kill the command after this many output bytes in total. */
	maxOutputBytes?: number | bigint;
	/** Bytes kept per stream from the start and from the end (64 KiB). */
	headBytes?: number;
	tailBytes?: number;
	/** stdout and stderr through one pipe, in order (all in stdout). */
	merge?: boolean;
	/** Output chunks while the command runs (lossy under back-pressure). */
	onOutput?: (stream: ExecStream, chunk: Buffer) => void;
	/** Aborting kills the whole tree; the Promise rejects with AbortError. */
	signal?: AbortSignal;
	/** 'buffer': stdout/stderr as Buffers. Default 'utf8'. */
	encoding?: 'utf8' | 'buffer';
}

export interface ExecViolation {
	kind: 'syscall' | 'socket' | 'namespace' | 'ioctl' | 'write' | 'unknown';
	/** Syscall number. */
	syscall: number;
	pid: number;
	args: [bigint, bigint, bigint];
	/** "socket(AF_INET, SOCK_STREAM)", "ptrace", "openat /etc/passwd". */
	what: string;
}

export interface ExecResult<T = string> {
	/** -1 when killed by a signal or never started. */
	exitCode: number;
	/** 'SIGKILL', ... or null. */
	signal: string | null;
	timedOut: boolean;
	cancelled: boolean;
	/** maxOutputBytes was reached (the command was killed). */
	outputLimit: boolean;
	oom: boolean;
	pidsLimit: boolean;
	/** Head then tail of the stream; the elided middle is counted. */
	stdout: T;
	stderr: T;
	stdoutElided: number;
	stderrElided: number;
	/** Bytes the command wrote to each stream. */
	stdoutBytes: number;
	stderrBytes: number;
	/** Bytes of stdout/stderr that are the head (the rest is the tail). */
	stdoutHeadLength: number;
	stderrHeadLength: number;
	wallMs: number;
	/** user + system time of the tree. */
	cpuMs: number;
	userMs: number;
	sysMs: number;
	peakRssBytes: number;
	/** Every layer, true when it was in force for this exec. */
	layers: Record<SandboxLayer, boolean>;
	/** Layers the policy wanted that this kernel or process lacks. */
	missingLayers: SandboxLayer[];
	/** 0 when Landlock was not in force. */
	landlockAbi: number;
	violations: ExecViolation[];
	violationsDropped: number;
	/** The compiled policy came from the session's cache. */
	policyCached: boolean;
}

declare module '../index' {
	interface Engine {
		exec(opts: ExecOptions & { encoding: 'buffer' }):
			Promise<ExecResult<Buffer>>;
		exec(opts: ExecOptions): Promise<ExecResult<string>>;
	}
}
