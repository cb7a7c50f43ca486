'use strict';
/*
 * keep-up's bash executors (IBashExecutor of @ku0/agent-runtime-core, the
 * classes of @ku0/agent-runtime-tools) on agent-accel:
 *
 *   new ProcessBashExecutor(shell = '/bin/bash', config?)
 *       keep-up runs `shell -c command` unsandboxed; here it runs under a
 *       workspace policy: writable roots the command's cwd and os.tmpdir(),
 *       network as config.networkAccess (default 'full', as keep-up's
 *       process executor has it). Defaults as keep-up: timeoutMs 30000,
 *       maxOutputBytes 1 MiB per stream.
 *   new RustBashExecutor(config, shell = '/bin/bash')
 *       keep-up's executor over sandbox-rs: `shell -lc command` in
 *       createSandbox(config); no default timeout.
 *
 * execute(command, {cwd, env, timeoutMs, maxOutputBytes, signal}) resolves
 * to {exitCode, stdout, stderr, timedOut, truncated, durationMs} and never
 * rejects: exitCode is -1 when the command died by a signal, was aborted,
 * or could not start (the message is then in stderr). An abort kills the
 * whole process tree (pid namespace; docs/sandbox.md).
 */

const os = require('node:os');
const { createSandbox } = require('./sandbox');

const DEFAULT_TIMEOUT_MS = 30000;
const DEFAULT_MAX_OUTPUT = 1024 * 1024;

function failed(t0, message) {
	return {
		exitCode: -1,
		stdout: '',
		stderr: message,
		timedOut: false,
		truncated: false,
		durationMs: Date.now() - t0,
	};
}

/* An aborted run: its tree is gone; r is what it wrote until then. */
function aborted(t0, r) {
	const res = failed(t0, 'Execution aborted.');
	if (r) {
		res.stdout = r.stdout;
		res.stderr = r.stderr ? `${r.stderr}\nExecution aborted.` :
			res.stderr;
		res.truncated = r.truncated;
	}
	return res;
}

function plain(r) {
	return {
		exitCode: r.exitCode,
		stdout: r.stdout,
		stderr: r.stderr,
		timedOut: r.timedOut,
		truncated: r.truncated,
		durationMs: r.durationMs,
		network: r.network,
		notes: r.notes,
	};
}

/* One run: the result, or the failure as keep-up's executors report it. */
async function run(sb, shell, flag, command, o, t0) {
	if (o.signal && o.signal.aborted)
		return failed(t0, 'Execution aborted before start.');
	try {
		return plain(await sb.execute(shell, [flag, command], {
			cwd: o.cwd,
			env: o.env,
			timeoutMs: o.timeoutMs,
			maxOutputBytes: o.maxOutputBytes,
			signal: o.signal,
			onOutput: o.onOutput,
		}));
	} catch (e) {
		/* The tree is gone by now; keep what it wrote until then. */
		if (e && e.name === 'AbortError')
			return aborted(t0, e.result);
		return failed(t0, e && e.message ? e.message : String(e));
	}
}

function checkCommand(command) {
	if (typeof command !== 'string') {
		const e = new TypeError('command must be a string');
		e.code = 'ERR_INVALID_ARG_TYPE';
		throw e;
	}
}

class ProcessBashExecutor {
	#shell;
	#config;
	#engine;

	/*
	 * config: networkAccess ('full'), allowedRoots (default: the command's
	 * cwd and os.tmpdir()), engine (an Engine of one's own).
	 */
	constructor(shell = '/bin/bash', config = {}) {
		this.#shell = shell;
		this.#config = config ?? {};
		this.#engine = this.#config.engine;
	}

	async execute(command, options = {}) {
		checkCommand(command);
		const t0 = Date.now();
		const o = options ?? {};
		let sb;
		try {
			const cwd = o.cwd ?? process.cwd();
			const c = this.#config;
			sb = createSandbox({
				networkAccess: c.networkAccess ?? 'full',
				allowedHosts: c.allowedHosts,
				fsIsolation: 'none',
				allowedRoots: c.allowedRoots ?? [cwd, os.tmpdir()],
				workingDirectory: cwd,
			}, { engine: this.#engine });
		} catch (e) {
			return failed(t0, e.message);
		}
		return run(sb, this.#shell, '-c', command, {
			...o,
			timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
			maxOutputBytes: o.maxOutputBytes ?? DEFAULT_MAX_OUTPUT,
		}, t0);
	}
}

class RustBashExecutor {
	#sandbox;
	#shell;

	/* opts.engine: an Engine of one's own. Throws on a bad config. */
	constructor(config, shell = '/bin/bash', opts) {
		this.#shell = shell;
		this.#sandbox = createSandbox(config, opts);
	}

	execute(command, options = {}) {
		checkCommand(command);
		return run(this.#sandbox, this.#shell, '-lc', command,
			options ?? {}, Date.now());
	}
}

module.exports = { ProcessBashExecutor, RustBashExecutor };
