// Compiled by `tsc --noEmit -p test/tsconfig.json` (test/types.test.js):
// the typings must accept every documented use and reject misuse.
import { Engine, AccelError, AbortError, codes, ops, errorName } from '../lib/index.js';
import type { EngineStats, CallOptions, StartOptions } from '../lib/index.js';

async function main(): Promise<void> {
	const opts: StartOptions = { spinUs: 50, sqEntries: 1024, workers: 2 };
	const eng: Engine = await Engine.start(opts);
	const other: Engine = await Engine.connect('/run/user/1000/agent-accel.sock', { spinUs: 0 });

	const r: number = await eng.ping();
	const rs: number = eng.pingSync();
	const n: number = await eng.pingMany(1_000_000);
	const b: Buffer = await eng.echo('héllo');
	const b2: Buffer = eng.echoSync(new Uint8Array([1, 2, 3]));
	const st: EngineStats = await eng.stats();
	const used: number = eng.statsSync().session.res_used;
	const pid: number = st.engine.pid;

	const ac = new AbortController();
	await eng.echo(Buffer.from('x'), { signal: ac.signal });
	const s: string = await eng.call('echo', 'abc', { result: 'string' });
	const j: unknown = await eng.call('stats', undefined, { result: 'json' });
	const v: Buffer = await eng.call('echo', new ArrayBuffer(4));
	const raw = await eng.call(ops.echo, 'x', { result: 'raw', args: [1, 2n] });
	const rawRes: number = raw.res;
	const rawData: Buffer | null = raw.data;
	const none: number = eng.callSync('ping', null, { result: 'none' });
	const copy: Buffer = eng.callSync('echo', 'x', { result: 'copy' });
	const co: CallOptions<'buffer'> = { onProgress: (res, chunk) => { void res; void chunk?.length; } };
	await eng.call('echo', 'x', co);
	const mapped: boolean = eng.isMapped(b);
	const state: 'open' | 'closed' | 'dead' = eng.state;

	try {
		await eng.ping();
	} catch (e) {
		if (e instanceof AccelError) {
			const code: string = e.code;
			const errno: number = e.errno;
			void code, errno;
		} else if (e instanceof AbortError) {
			const c: 'ABORT_ERR' = e.code;
			void c;
		}
	}
	const died: number = codes.EACCEL_ENGINE_DIED;
	const name: string | undefined = errorName(-1008);

	// @ts-expect-error echo needs an input
	await eng.echo();
	// @ts-expect-error not an input
	await eng.echo(42);
	// @ts-expect-error unknown result mode
	await eng.call('echo', 'x', { result: 'xml' });
	// @ts-expect-error sync calls take no signal
	eng.callSync('ping', undefined, { signal: ac.signal });
	// @ts-expect-error the constructor is private
	new Engine();

	void [r, rs, n, b2, used, pid, s, j, v, rawRes, rawData, none, copy, mapped, state, died, name];
	await other.close();
	await eng.close();
}
void main;
