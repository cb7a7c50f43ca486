'use strict';
// eng.exec (lib/ops/exec.js) through the engine's exec op: results, exit
// codes and signals, stdin/env, streaming, AbortSignal and timeout tree
// kills (checked by scanning /proc for a marker argv), network 'none'
// against a loopback server this test runs, the filesystem policy, errors,
// the policy cache, the typings, and an engine running as uid 65534.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { accel, REPO, procsWith, loopbackServer } =
	require('../testlib/helpers.js');

let eng;

test.before(async () => {
	eng = await accel.Engine.start();
});
test.after(async () => {
	await eng.close();
});

function tick(ms = 10) {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

/* Processes whose command line contains marker. */
function countMarker(marker) {
	return procsWith(marker).length;
}

/* Polls (bounded by rounds, not time) until pred(count) holds. */
async function awaitMarker(marker, pred) {
	let n = countMarker(marker);
	for (let i = 0; i < 2000 && !pred(n); i++) {
		await tick();
		n = countMarker(marker);
	}
	return n;
}

let seq = 0;
/* A script that starts a double-forked, setsid daemon and ignores TERM. */
function markerScript() {
	const marker = `8${process.pid}.${++seq}`;
	const script = `(setsid sh -c 'sleep ${marker} & sleep ${marker}' &); ` +
		`trap '' TERM; echo started; sleep ${marker}`;
	return { marker, script };
}

test('echo hi: the result shape', async () => {
	const r = await eng.exec({ argv: ['echo', 'hi'] });
	assert.equal(r.exitCode, 0);
	assert.equal(r.signal, null);
	assert.equal(r.stdout, 'hi\n');
	assert.equal(r.stderr, '');
	assert.equal(r.timedOut, false);
	assert.equal(r.cancelled, false);
	assert.equal(r.stdoutElided, 0);
	assert.equal(r.stdoutBytes, 3);
	assert.equal(typeof r.wallMs, 'number');
	assert.ok(r.wallMs > 0);
	assert.ok(r.cpuMs >= 0);
	assert.ok(r.peakRssBytes > 0);
	assert.equal(typeof r.layers.seccomp, 'boolean');
	assert.equal(r.layers.seccomp, true);
	assert.equal(Object.keys(r.layers).length, 16);
	assert.ok(Array.isArray(r.missingLayers));
	assert.ok(Array.isArray(r.violations));
	assert.equal(typeof r.landlockAbi, 'number');
	assert.equal(eng.execSync, undefined, 'exec has no sync form');
});

test('exit codes, signals, stderr, merge and Buffers', async () => {
	let r = await eng.exec({ argv: ['sh', '-c', 'echo out; echo err >&2; exit 7'] });
	assert.equal(r.exitCode, 7);
	assert.equal(r.stdout, 'out\n');
	assert.equal(r.stderr, 'err\n');
	/* pid 1 of a pid namespace ignores its own signals: no pidns here. */
	r = await eng.exec({ argv: ['sh', '-c', 'kill -TERM $$'],
		policy: { disableLayers: ['pidns'] } });
	assert.equal(r.exitCode, -1);
	assert.equal(r.signal, 'SIGTERM');
	assert.equal(r.layers.pidns, false);
	r = await eng.exec({ argv: ['sh', '-c', 'echo a; echo b >&2; echo c'],
		merge: true, encoding: 'buffer' });
	assert.ok(Buffer.isBuffer(r.stdout));
	assert.equal(r.stdout.toString(), 'a\nb\nc\n');
	assert.equal(r.stderr.length, 0);
});

test('stdin round trip of a real file and head/tail caps', async () => {
	const file = path.join(REPO, 'node_modules/typescript/lib/lib.dom.d.ts');
	const data = fs.readFileSync(file);
	let r = await eng.exec({ argv: ['cat'], stdin: data, encoding: 'buffer',
		headBytes: data.length, tailBytes: 0 });
	assert.equal(r.exitCode, 0);
	assert.ok(r.stdout.equals(data));
	r = await eng.exec({ argv: ['cat'], stdin: data, encoding: 'buffer',
		headBytes: 4096, tailBytes: 8192 });
	assert.equal(r.stdoutBytes, data.length);
	assert.equal(r.stdoutHeadLength, 4096);
	assert.equal(r.stdoutElided, data.length - 4096 - 8192);
	assert.ok(r.stdout.subarray(0, 4096).equals(data.subarray(0, 4096)));
	assert.ok(r.stdout.subarray(4096).equals(data.subarray(data.length - 8192)));
});

test('env: allowlist filters the base environment, env sets', async () => {
	const argv = ['sh', '-c', 'echo "$FOO|${SECRET_TOKEN:-none}|${LC_X:-}"'];
	const baseEnv = { PATH: '/usr/bin:/bin', SECRET_TOKEN: 's3cr3t', LC_X: 'y' };
	let r = await eng.exec({ argv, baseEnv, env: { FOO: 'bar' } });
	assert.equal(r.stdout, 'bar|none|y\n');
	r = await eng.exec({ argv, baseEnv, envAllow: ['PATH', 'SECRET_*'] });
	assert.equal(r.stdout, '|s3cr3t|\n');
});

test('onOutput streams chunks of a command that prints in steps', async () => {
	const chunks = [];
	const r = await eng.exec({
		argv: ['sh', '-c',
			'for i in 1 2 3 4 5; do echo chunk$i; echo e$i >&2; sleep 0.05; done'],
		onOutput: (stream, chunk) => chunks.push([stream, chunk]),
	});
	assert.equal(r.exitCode, 0);
	const out = chunks.filter(([s]) => s === 'stdout').map(([, c]) => c);
	const err = chunks.filter(([s]) => s === 'stderr').map(([, c]) => c);
	assert.ok(out.length >= 2, `stdout came in ${out.length} chunk(s)`);
	assert.ok(chunks.every(([, c]) => Buffer.isBuffer(c)));
	assert.equal(Buffer.concat(out).toString(), r.stdout);
	assert.equal(Buffer.concat(err).toString(), r.stderr);
	assert.equal(r.stdout, 'chunk1\nchunk2\nchunk3\nchunk4\nchunk5\n');
});

test('AbortSignal rejects and kills the whole tree', async () => {
	const { marker, script } = markerScript();
	const ac = new AbortController();
	const p = eng.exec({ argv: ['sh', '-c', script], killGraceMs: 100,
		signal: ac.signal });
	/* The top sleep and the daemon's two are running. */
	assert.ok(await awaitMarker(marker, (n) => n >= 3) >= 3,
		'command did not start');
	ac.abort(new Error('stop'));
	/* It rejects once the tree is gone, with what ran until then. */
	await assert.rejects(p, (e) => e.name === 'AbortError' &&
		e.code === 'ABORT_ERR' && e.cause.message === 'stop' &&
		e.result.cancelled === true && e.result.stdout === 'started\n');
	assert.equal(countMarker(marker), 0,
		'sandboxed processes left after abort');
	/* The engine is fine afterwards. */
	assert.equal((await eng.exec({ argv: ['true'] })).exitCode, 0);
});

test('timeout kills a double-forked setsid daemon and returns', async () => {
	const { marker, script } = markerScript();
	const r = await eng.exec({ argv: ['sh', '-c', script], timeoutMs: 300,
		killGraceMs: 100 });
	assert.equal(r.timedOut, true);
	assert.equal(r.exitCode, -1);
	assert.equal(r.stdout, 'started\n');
	assert.equal(await awaitMarker(marker, (n) => n === 0), 0,
		'sandboxed processes left after timeout');
});

test("network 'none' blocks a connect to a loopback server", async (t) => {
	const { port, conns } = await loopbackServer(t);
	const argv = ['bash', '-c',
		`exec 3<>/dev/tcp/127.0.0.1/${port} && echo connected`];
	const r = await eng.exec({ argv, policy: { network: 'none' } });
	assert.notEqual(r.exitCode, 0);
	assert.equal(r.stdout, '');
	assert.equal(conns(), 0);
	assert.ok(r.violations.some((v) => v.kind === 'socket'),
		JSON.stringify(r.violations, (k, v) =>
			typeof v === 'bigint' ? String(v) : v));
	/* The same command with the host network reaches the server. */
	const ok = await eng.exec({ argv, policy: { network: 'full' } });
	assert.equal(ok.stdout, 'connected\n');
	for (let i = 0; i < 500 && conns() === 0; i++)
		await tick();
	assert.equal(conns(), 1);
});

test('a write outside the writable roots fails and changes nothing',
	async (t) => {
		const inside = fs.mkdtempSync(path.join(os.tmpdir(), 'exec-in-'));
		const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'exec-out-'));
		t.after(() => {
			fs.rmSync(inside, { recursive: true, force: true });
			fs.rmSync(outside, { recursive: true, force: true });
		});
		fs.writeFileSync(path.join(outside, 'keep'), 'original');
		const r = await eng.exec({
			argv: ['sh', '-c', 'echo new > ../' + path.basename(outside) +
				'/keep; echo x > ' + outside + '/added; echo ok > mine'],
			cwd: inside,
			policy: { write: [inside] },
		});
		assert.notEqual(r.stderr, '');
		assert.equal(fs.readFileSync(path.join(inside, 'mine'), 'utf8'), 'ok\n');
		assert.equal(fs.readFileSync(path.join(outside, 'keep'), 'utf8'),
			'original');
		assert.deepEqual(fs.readdirSync(outside), ['keep']);
	});

test('spawn failures and bad options have clear codes', async () => {
	await assert.rejects(eng.exec({ argv: ['/nonexistent/cmd'] }),
		{ code: 'EACCEL_SANDBOX_NOT_FOUND' });
	await assert.rejects(eng.exec({ argv: ['/etc/passwd'] }),
		{ code: 'EACCEL_SANDBOX_NOT_EXEC' });
	await assert.rejects(eng.exec({ argv: ['true'], cwd: '/nonexistent' }),
		{ code: 'EACCEL_SANDBOX_CWD' });
	await assert.rejects(eng.exec({ argv: ['true'], policy: { write: ['rel'] } }),
		{ code: 'EACCEL_SANDBOX_PATH' });
	await assert.rejects(eng.exec({ argv: ['true'],
		policy: { requireLayers: ['pidns'], disableLayers: ['pidns'] } }),
	{ code: 'EACCEL_SANDBOX_LAYER_MISSING' });
	await assert.rejects(eng.exec({ argv: ['a\0b'] }),
		{ code: 'EACCEL_SANDBOX_ARGV' });
	await assert.rejects(eng.exec({ argv: ['true'], env: { A: 'x\0y' } }),
		{ code: 'EACCEL_SANDBOX_ENV' });
	for (const bad of [undefined, null, 5, {}, { argv: [] }, { argv: 'ls' },
		{ argv: [1] }, { argv: ['true'], policy: { network: 'lan' } },
		{ argv: ['true'], policy: { requireLayers: ['nope'] } },
		{ argv: ['true'], timeoutMs: -1 }, { argv: ['true'], cwd: 5 },
		{ argv: ['true'], stdin: 5 }, { argv: ['true'], env: { A: 1 } },
		{ argv: ['true'], onOutput: 'x' }, { argv: ['true'], encoding: 'hex' }])
		await assert.rejects(eng.exec(bad), TypeError);
});

test('the compiled policy is cached per session', async () => {
	const policy = { write: [os.tmpdir()], deny: ['/root'], network: 'none' };
	const a = await eng.exec({ argv: ['true'], policy });
	const b = await eng.exec({ argv: ['true'], policy });
	assert.equal(b.policyCached, true);
	assert.equal(a.exitCode, 0);
	const c = await eng.exec({ argv: ['true'], policy: { ...policy, cache: false } });
	assert.equal(c.policyCached, false);
	const d = await eng.exec({ argv: ['true'], policy: { ...policy, network: 'full' } });
	assert.equal(d.policyCached, false);
});

test('16 concurrent execs all complete', async () => {
	const rs = await Promise.all(Array.from({ length: 16 }, (_, i) =>
		eng.exec({ argv: ['sh', '-c', `echo ${i}`] })));
	rs.forEach((r, i) => assert.equal(r.stdout, `${i}\n`));
});

test('the typings compile under strict tsc', (t) => {
	const TSC = path.join(REPO, 'node_modules/typescript/bin/tsc');
	if (!fs.existsSync(TSC)) {
		t.skip(`typescript not installed at ${TSC}`);
		return;
	}
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exec-ts-'));
	t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
	const lib = path.join(REPO, 'napi-bridge/lib/index');
	fs.writeFileSync(path.join(dir, 'use.ts'), `
import { Engine } from ${JSON.stringify(lib)};
import type { ExecResult } from ${JSON.stringify(lib.replace(/index$/, 'ops/exec'))};
async function use(eng: Engine): Promise<number> {
	const r: ExecResult = await eng.exec({ argv: ['ls'], cwd: '/tmp',
		policy: { write: ['/tmp'], network: 'loopback', requireLayers: ['pidns'],
			limits: { memoryBytes: 1 << 28, pids: 64 } },
		timeoutMs: 1000, onOutput: (s, c) => { void s; void c.length; } });
	const s: string = r.stdout;
	const b: Buffer = (await eng.exec({ argv: ['ls'], encoding: 'buffer' })).stdout;
	// @ts-expect-error no sync form
	eng.execSync({ argv: ['ls'] });
	// @ts-expect-error unknown network mode
	await eng.exec({ argv: ['ls'], policy: { network: 'lan' } });
	return r.exitCode + s.length + b.length + (r.signal ? 1 : 0);
}
void use;
`);
	try {
		execFileSync(process.execPath, [TSC, '--strict', '--noEmit',
			'--target', 'es2022', '--module', 'commonjs',
			'--moduleResolution', 'node', '--types', 'node', '--typeRoots',
			path.join(REPO, 'node_modules/@types'), path.join(dir, 'use.ts')],
		{ encoding: 'utf8' });
	} catch (e) {
		assert.fail(`tsc failed:\n${e.stdout}${e.stderr}`);
	}
});

/*
 * An engine started by a Node process running as uid 65534 (when this test
 * runs as root): eng.exec still sandboxes, each namespace in r.layers is
 * true exactly when the command saw a namespace of its own, seccomp and
 * no_new_privs as /proc/self/status shows them, and the escapes stay
 * blocked. The child Node process reports back as JSON on stdout.
 */
test('an unprivileged engine sandboxes and reports its layers honestly',
	async (t) => {
		if (process.getuid() !== 0)
			return t.skip('needs root to start an engine as uid 65534');
		const mk = (p) => {
			const d = fs.mkdtempSync(path.join(os.tmpdir(), p));
			fs.chownSync(d, 65534, 65534);
			return d;
		};
		const inside = mk('exec-np-in-'), outside = mk('exec-np-out-');
		t.after(() => {
			fs.rmSync(inside, { recursive: true, force: true });
			fs.rmSync(outside, { recursive: true, force: true });
		});
		const secret = path.join(outside, 'secret');
		fs.writeFileSync(secret, 's3cr3t-np-node\n', { mode: 0o644 });
		fs.chownSync(secret, 65534, 65534);
		const { port, conns } = await loopbackServer(t);
		const script = [
			'for n in user pid mnt ipc uts net; do ' +
				'echo "ns $n $(readlink /proc/self/ns/$n)"; done',
			"grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status",
			`echo in > ${inside}/ok && echo wrote-in`,
			`echo out > ${outside}/bad && echo wrote-out`,
			`cat ${secret} && echo read-secret`,
			`echo x > /dev/tcp/127.0.0.1/${port} && echo connected`,
			'echo done',
		].join('; ');
		const child = `
			const fs = require('node:fs');
			const accel = require(${JSON.stringify(path.join(REPO, 'napi-bridge', 'lib', 'index.js'))});
			(async () => {
				const eng = await accel.Engine.start();
				const r = await eng.exec({
					argv: ['/bin/bash', '-c', ${JSON.stringify(script)}],
					cwd: ${JSON.stringify(inside)},
					policy: { write: [${JSON.stringify(inside)}],
						deny: [${JSON.stringify(secret)}], network: 'none' },
				});
				const ns = {};
				for (const n of ['user', 'pid', 'mnt', 'ipc', 'uts', 'net'])
					ns[n] = fs.readlinkSync('/proc/self/ns/' + n);
				await eng.close();
				process.stdout.write(JSON.stringify({ uid: process.getuid(),
					exitCode: r.exitCode, stderr: r.stderr,
					stdout: r.stdout, layers: r.layers,
					missing: r.missingLayers, ns }));
			})().catch((e) => { console.error(e); process.exit(1); });`;
		const { spawn } = require('node:child_process');
		const out = await new Promise((resolve, reject) => {
			const c = spawn(process.execPath, ['-e', child], {
				uid: 65534, gid: 65534, cwd: inside,
				stdio: ['ignore', 'pipe', 'inherit'],
			});
			let buf = '';
			c.stdout.on('data', (d) => { buf += d; });
			c.on('error', reject);
			c.on('close', (code) => (code === 0 ? resolve(buf) :
				reject(new Error(`child exited ${code}: ${buf}`))));
		});
		const r = JSON.parse(out);
		assert.equal(r.uid, 65534);
		const o = r.stdout;
		assert.match(o, /wrote-in\n/, JSON.stringify(r));
		assert.match(o, /done\n/);
		assert.equal(fs.readFileSync(path.join(inside, 'ok'), 'utf8'), 'in\n');
		assert.doesNotMatch(o, /wrote-out|read-secret|s3cr3t|connected/);
		assert.equal(fs.existsSync(path.join(outside, 'bad')), false);
		assert.equal(conns(), 0);
		const layerOf = { user: 'userns', pid: 'pidns', mnt: 'mntns',
			ipc: 'ipcns', uts: 'utsns', net: 'netns' };
		for (const [n, layer] of Object.entries(layerOf)) {
			const m = o.match(new RegExp(`^ns ${n} (.*)$`, 'm'));
			assert.ok(m, o);
			assert.equal(r.layers[layer], m[1] !== r.ns[n],
				`${layer}: reported ${r.layers[layer]}, command ${m[1]}, engine ${r.ns[n]}`);
		}
		assert.equal(r.layers.seccomp, /^Seccomp:\s*2$/m.test(o));
		assert.equal(r.layers['no-new-privs'], /^NoNewPrivs:\s*1$/m.test(o));
		for (const l of r.missing)
			assert.equal(r.layers[l], false, `${l} both in force and missing`);
	});
