// SPDX-License-Identifier: MIT
// Turns the round-trip harness's results into one JSON document, a markdown
// report (p50/p99/p999 tables, the issue 2 targets with verdicts) and an SVG
// latency plot drawn by hand (no plotting package).
//
//   node bench/report.mjs --c c.json --node node.json --out bench/results/rt-DATE \
//        [--command "bench/run.sh"] [--load-before "0.5 0.4 0.3"]
//   node bench/report.mjs --from bench/results/rt-DATE.json --out DIR/rt-DATE
//
// writes OUT.json, OUT.md and OUT.svg.

import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function parseArgs(argv) {
	const o = {};
	for (let i = 2; i < argv.length; i += 2) {
		const k = argv[i].replace(/^--/, ''), v = argv[i + 1];
		if (v === undefined) throw new Error(`${argv[i]} needs a value`);
		o[k] = v;
	}
	if (!o.out) throw new Error('--out PREFIX is required');
	return o;
}

function sh(cmd, args) {
	try {
		return execFileSync(cmd, args, { encoding: 'utf8', cwd: root, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
	} catch {
		return null;
	}
}

export function machineInfo(loadBefore) {
	let model = null;
	try {
		const m = readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m);
		model = m ? m[1].trim() : null;
	} catch { /* not Linux */ }
	return {
		date: new Date().toISOString(),
		nproc: Number(sh('nproc', [])) || os.availableParallelism(),
		cpu_model: model,
		kernel: `${os.type()} ${os.release()} ${os.version()}`,
		arch: os.arch(),
		mem_gib: +(os.totalmem() / 2 ** 30).toFixed(1),
		node: process.version,
		loadavg_before: loadBefore ? loadBefore.split(/\s+/).slice(0, 3).map(Number) : null,
		loadavg_after: os.loadavg().map((x) => +x.toFixed(2)),
		git_commit: sh('git', ['rev-parse', '--short', 'HEAD']),
		git_dirty: (sh('git', ['status', '--porcelain', '--untracked-files=no']) || '') !== '',
	};
}

// ---------------------------------------------------------------- formatting

function us(ns) {
	if (ns === undefined || ns === null || Number.isNaN(ns)) return '–';
	const u = ns / 1e3;
	if (u < 10) return u.toFixed(2);
	if (u < 1000) return u.toFixed(1);
	return Math.round(u).toLocaleString('en-US');
}

function rate(x) {
	if (!x) return '–';
	if (x >= 1e6) return `${(x / 1e6).toFixed(2)} M`;
	if (x >= 1e3) return `${(x / 1e3).toFixed(1)} k`;
	return x.toFixed(0);
}

function sizeLabel(n) {
	if (n >= 1 << 20) return `${n / 2 ** 20} MiB`;
	if (n >= 1024) return `${n / 1024} KiB`;
	return `${n} B`;
}

function table(head, rows) {
	const line = (r) => `| ${r.join(' | ')} |`;
	return [line(head), line(head.map((h, i) => (i === 0 ? '---' : '---:'))), ...rows.map(line)].join('\n');
}

// ---------------------------------------------------------------- report

function verdict(ok) {
	return ok === null ? 'not measured' : ok ? '**met**' : '**missed**';
}

function targets(by) {
	const rows = [];
	const ps = by('node.pingSync'), pa = by('node.ping');
	rows.push(['`pingSync` p50 ≤ 1 µs', ps ? `${us(ps.p50_ns)} µs` : '–',
		ps ? verdict(ps.p50_ns <= 1000) + (ps.p50_ns > 1000 ? ` (${(ps.p50_ns / 1000).toFixed(1)}× the target)` : '') : verdict(null)]);
	rows.push(['`pingSync` p99 ≤ 5 µs', ps ? `${us(ps.p99_ns)} µs` : '–',
		ps ? verdict(ps.p99_ns <= 5000) + (ps.p99_ns > 5000 ? ` (${(ps.p99_ns / 5000).toFixed(1)}× the target)` : '') : verdict(null)]);
	rows.push(['async `ping` p50 ≤ 5 µs', pa ? `${us(pa.p50_ns)} µs` : '–',
		pa ? verdict(pa.p50_ns <= 5000) + (pa.p50_ns > 5000 ? ` (${(pa.p50_ns / 5000).toFixed(1)}× the target)` : '') : verdict(null)]);
	for (const [id, name] of [['peer.postmessage', 'postMessage'], ['peer.unix', 'the Unix socket'], ['peer.piscina', 'piscina']]) {
		const p = by(id);
		const r = p && pa ? p.p50_ns / pa.p50_ns : null;
		rows.push([`async \`ping\` ≥ 5× faster than ${name} (p50)`, r ? `${r.toFixed(1)}× (${us(p.p50_ns)} vs ${us(pa.p50_ns)} µs)` : '–', verdict(r === null ? null : r >= 5)]);
	}
	const batched = ['node.pingMany.1', 'node.pingMany.16', 'node.pingMany.256', 'node.pingMany.4096', 'node.pingMany.65536', 'node.ping.inflight256']
		.map(by).filter(Boolean);
	const best = batched.reduce((a, b) => (!a || b.ops_per_s > a.ops_per_s ? b : a), null);
	rows.push(['≥ 5 M ops/s batched async no-ops, one Node thread', best ? `${rate(best.ops_per_s)}ops/s (${best.label})` : '–',
		best ? verdict(best.ops_per_s >= 5e6) + (best.ops_per_s < 5e6 ? ` (${(5e6 / best.ops_per_s).toFixed(1)}× short)` : '') : verdict(null)]);
	const z = zeroCopy(by);
	rows.push(['`echo` of any size returned with no copy', z.text, verdict(z.ok)]);
	return table(['target', 'measured', 'verdict'], rows);
}

// The way back is zero-copy when what remains of an echo after the two
// copies it must make (client into the arena, engine input to result) does
// not grow with the size, while a copy of the result would. Minimums, not
// medians: on a shared machine the minimum is the cost without interference,
// and the question is what the work costs, not how often it was preempted.
function zeroCopy(by) {
	const small = 64, big = 16 << 20;
	const tot = (s) => by(`node.echoSync.total.${sizeLabelId(s)}`) || by(`node.echo.total.${sizeLabelId(s)}`);
	const cin = (s) => by(`node.echo.copy_in.${sizeLabelId(s)}`);
	const cout = (s) => by(`node.echo.copy_out.${sizeLabelId(s)}`);
	const cview = (s) => by(`c.echo.view.${sizeLabelId(s)}`);
	const parts = [];
	let ok = null;
	if (tot(small) && tot(big) && cin(small) && cin(big) && cout(big)) {
		const rest = (s) => tot(s).min_ns - 2 * cin(s).min_ns;
		const grow = rest(big) - rest(small);
		ok = grow < 0.5 * cout(big).min_ns;
		parts.push(`Node (minimums): echoSync minus two plain copies of the size is ${us(rest(small))} µs at 64 B and ${us(rest(big))} µs at 16 MiB` +
			`; one copy of a 16 MiB result into a new Buffer costs ${us(cout(big).min_ns)} µs`);
	}
	if (cview(small) && cview(big)) {
		parts.push(`C: taking the result view costs ${us(cview(small).p50_ns)} µs at 64 B and ${us(cview(big).p50_ns)} µs at 16 MiB (p50)`);
		if (ok === null) ok = cview(big).p50_ns < 10 * Math.max(cview(small).p50_ns, 50);
	}
	return { ok, text: parts.join('; ') || '–' };
}

function sizeLabelId(n) {
	if (n >= 1 << 20) return `${n >> 20}M`;
	if (n >= 1024) return `${n >> 10}K`;
	return `${n}`;
}

function latencyRows(list, ref) {
	return list.map((s) => [
		s.label + (s.side === 'c' ? ' (C)' : ''),
		us(s.p50_ns), us(s.p99_ns), us(s.p999_ns), us(s.mean_ns), rate(s.ops_per_s),
		ref && s !== ref ? `${(s.p50_ns / ref.p50_ns).toFixed(1)}×` : ref ? '1×' : '',
		s.n.toLocaleString('en-US'),
		s.load1 !== undefined && s.load1 >= 0 ? `${s.load1.toFixed(1)} / ${s.runnable}` : '?',
	]);
}

function echoTable(by, doc) {
	const sizes = [...new Set(doc.series.filter((s) => s.group === 'echo').map((s) => s.size))].sort((a, b) => a - b);
	const cols = [
		['node.echo.total', 'await echo()'],
		['node.echoSync.total', 'echoSync()'],
		['node.echo.copy_in', 'ref: 1 copy in'],
		['node.echo.copy_out', 'ref: 1 copy out'],
		['c.echo.total', 'C total'],
		['c.echo.copy_in', 'C copy in'],
		['c.echo.rt', 'C ring rt'],
		['c.echo.view', 'C view'],
		['peer.postmessage.echo', 'postMessage'],
		['peer.unix.echo', 'Unix socket'],
	].filter(([p]) => sizes.some((s) => by(`${p}.${sizeLabelId(s)}`)));
	const rows = sizes.map((s) => [sizeLabel(s), ...cols.map(([p]) => {
		const x = by(`${p}.${sizeLabelId(s)}`);
		return x ? `${us(x.p50_ns)} / ${us(x.p99_ns)}` : '–';
	})]);
	return table(['size', ...cols.map((c) => c[1])], rows);
}

function engineEcho(doc) {
	const rows = doc.series.filter((s) => s.id.startsWith('c.echo.rt.') && s.engine_mean_ns !== undefined)
		.map((s) => [sizeLabel(s.size), us(s.mean_ns), us(s.engine_mean_ns), us(s.mean_ns - s.engine_mean_ns)]);
	if (!rows.length) return '';
	return '\nThe C ring round trip split with the engine\'s own timing of the echo op (means over the same requests: the engine\'s from the `stats` op read before and after each size). The engine\'s part grows with the size (its one input-to-result copy); the rest is submission, wake-up, completion, reap and the view, and stays flat when the way back copies nothing.\n\n' +
		table(['size', 'C ring rt, mean (µs)', 'engine echo op, mean (µs)', 'the rest (µs)'], rows) + '\n';
}

export function markdown(doc, svgName) {
	const by = (id) => doc.series.find((s) => s.id === id);
	const m = doc.machine;
	const out = [];
	out.push(`# Round-trip latency, ${m.date.slice(0, 16).replace('T', ' ')} UTC`);
	out.push('');
	out.push(`Command: \`${doc.command || 'bench/run.sh'}\` (one run; C client, Node bridge and peers measured back to back on the same machine).`);
	out.push('');
	out.push(table(['machine', ''], [
		['CPU', `${m.cpu_model} × ${m.nproc} (nproc)`],
		['kernel', m.kernel], ['memory', `${m.mem_gib} GiB`], ['node', m.node],
		['load average before / after', `${m.loadavg_before ? m.loadavg_before.join(' ') : '?'} / ${m.loadavg_after.join(' ')}`],
		['git', `${m.git_commit}${m.git_dirty ? ' (with uncommitted changes)' : ''}`],
		['timer overhead (p50)', `C ${doc.c?.timer_overhead_ns ?? '?'} ns, Node ${doc.node?.timer_overhead_ns ?? '?'} ns (included in every sample)`],
	]));
	out.push('');
	out.push('Times are µs; p50/p99/p999 are exact nearest-rank percentiles over every sample after warm-up; ops/s is operations over the wall time of the whole measured loop.');
	out.push('');
	out.push('## Targets (issue 2)');
	out.push('');
	out.push(targets(by));
	out.push('');
	out.push(`![latency percentiles and echo by size](${svgName})`);
	out.push('');
	out.push('## Round trips: agent-accel and the alternatives');
	out.push('');
	const ref = by('node.ping');
	const rt = ['node.pingSync', 'node.pingSync.spin50', 'node.ping', 'node.ping.inflight256', 'c.ping.sync', 'c.ping.inflight256', 'c.floor.spin', 'c.floor.futex',
		'peer.atomics', 'peer.postmessage', 'peer.postmessage.inflight256', 'peer.unix', 'c.peer.unix', 'peer.piscina', 'peer.piscina.inflight256']
		.map(by).filter(Boolean);
	out.push(table(['path', 'p50', 'p99', 'p999', 'mean', 'ops/s', 'p50 ÷ p50 of await ping()', 'samples', 'load1 / runnable'], latencyRows(rt, ref)));
	out.push('');
	out.push('"load1 / runnable": the 1-minute load average and the runnable tasks in /proc/loadavg when the series ended. With more runnable tasks than cores, a waiting side that spins is descheduled now and then, and the tail shows it as ~100 µs steps.');
	out.push('');
	out.push('## Batched submission');
	out.push('');
	out.push('One sample is one whole batch: from the first SQE written to the last completion reaped (C: N SQEs published with one store; Node: `await pingMany(N)`).');
	out.push('');
	const batch = doc.series.filter((s) => s.group === 'batch').sort((a, b) => (a.side === b.side ? a.batch - b.batch : a.side < b.side ? -1 : 1));
	out.push(table(['batch', 'p50', 'p99', 'p999', 'per op (p50 / N)', 'ops/s', 'batches'], batch.map((s) => [
		`${s.side === 'c' ? 'C' : 'Node'} ${s.batch}`, us(s.p50_ns), us(s.p99_ns), us(s.p999_ns), s.p50_ns / s.batch < 1000 ? `${(s.p50_ns / s.batch).toFixed(1)} ns` : `${us(s.p50_ns / s.batch)} µs`, rate(s.ops_per_s), s.n.toLocaleString('en-US'),
	])));
	out.push('');
	out.push('## Echo by size');
	out.push('');
	out.push('p50 / p99 in µs. Node `echo` totals include encoding the input into the arena (one copy) and getting the result Buffer, which views the mapping. "ref" columns are plain copies of the same size measured in the same run: what the one unavoidable copy in costs, and what a copying way back would add. C splits the same round trip into its stages: copy into the arena, ring round trip (including the engine\'s input-to-result copy), and taking the result view (the way back).');
	out.push('');
	out.push(echoTable(by, doc));
	out.push(engineEcho(doc));
	const spin = doc.series.filter((s) => s.group === 'spin');
	if (spin.length) {
		out.push('## Spin windows (C client)');
		out.push('');
		out.push('Ping one at a time against a fresh engine per engine `--spin-us` value, with the client spinning 50 µs (the C client\'s default) or sleeping at once (1 ns), back to back and after 100 µs of client think time (the client stays awake; the engine poller sleeps on its futex once its window ran out and must be woken). "CPU" is the share of one core the engine used during the series: the price of spinning.');
		out.push('');
		const keys = [...new Set(spin.map((s) => `${s.spin_us}/${s.client_spin_us ?? 50}`))];
		const cell = (k, gap) => spin.find((s) => `${s.spin_us}/${s.client_spin_us ?? 50}` === k && s.gap_us === gap);
		const fmt = (s) => (s ? [us(s.p50_ns), us(s.p99_ns), us(s.p999_ns), `${Math.round(s.engine_cpu * 100)} %`] : ['–', '–', '–', '–']);
		out.push(table(['engine spin / client spin (µs)', 'p50', 'p99', 'p999', 'CPU', 'p50 (think)', 'p99 (think)', 'p999 (think)', 'CPU (think)'],
			keys.map((k) => [k, ...fmt(cell(k, 0)), ...fmt(cell(k, 100))])));
		out.push('');
	}
	if (doc.node?.engine_stats?.ops) {
		out.push('## Engine-side op times (Node session, `stats` op)');
		out.push('');
		const ops = doc.node.engine_stats.ops;
		out.push(table(['op', 'count', 'p50', 'p99', 'p999', 'mean'], Object.entries(ops).filter(([, v]) => v.count).map(([k, v]) => [
			k, v.count.toLocaleString('en-US'), us(v.p50_ns), us(v.p99_ns), us(v.p999_ns), us(v.mean_ns),
		])));
		out.push('');
	}
	const errs = [...(doc.node?.errors || []), ...(doc.errors || [])];
	if (errs.length) {
		out.push('## Errors during the run');
		out.push('');
		for (const e of errs) out.push(`- ${e.part}: \`${String(e.error).split('\n')[0]}\``);
		out.push('');
	}
	return out.join('\n') + '\n';
}

// ---------------------------------------------------------------- SVG

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#17becf', '#bcbd22', '#393b79', '#637939'];

function esc(s) {
	return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function nsLabel(ns) {
	if (ns >= 1e9) return `${ns / 1e9} s`;
	if (ns >= 1e6) return `${ns / 1e6} ms`;
	if (ns >= 1e3) return `${ns / 1e3} µs`;
	return `${ns} ns`;
}

// One log-log (or nines-log) panel: series of [x, y] points already in
// plot units (x linear in whatever, y = log10 ns).
function panel({ x0, y0, w, h, title, xTicks, xRange, series, xLabel }) {
	const ys = series.flatMap((s) => s.pts.map((p) => p[1]));
	let yMin = Math.floor(Math.min(...ys)), yMax = Math.ceil(Math.max(...ys));
	if (yMax === yMin) yMax++;
	const [xa, xb] = xRange;
	const X = (x) => x0 + ((x - xa) / (xb - xa)) * w;
	const Y = (y) => y0 + h - ((y - yMin) / (yMax - yMin)) * h;
	const g = [];
	g.push(`<text x="${x0 + w / 2}" y="${y0 - 12}" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`);
	g.push(`<rect x="${x0}" y="${y0}" width="${w}" height="${h}" fill="none" stroke="#333"/>`);
	for (let e = yMin; e <= yMax; e++) {
		g.push(`<line x1="${x0}" x2="${x0 + w}" y1="${Y(e)}" y2="${Y(e)}" stroke="#ddd"/>`);
		g.push(`<text x="${x0 - 6}" y="${Y(e) + 4}" text-anchor="end" font-size="11">${nsLabel(10 ** e)}</text>`);
		for (let k = 2; k < 10 && e < yMax; k++) {
			const yy = Y(e + Math.log10(k));
			g.push(`<line x1="${x0}" x2="${x0 + 4}" y1="${yy}" y2="${yy}" stroke="#999"/>`);
		}
	}
	for (const [x, label] of xTicks) {
		g.push(`<line x1="${X(x)}" x2="${X(x)}" y1="${y0}" y2="${y0 + h}" stroke="#eee"/>`);
		g.push(`<text x="${X(x)}" y="${y0 + h + 16}" text-anchor="middle" font-size="11">${esc(label)}</text>`);
	}
	g.push(`<text x="${x0 + w / 2}" y="${y0 + h + 34}" text-anchor="middle" font-size="12">${esc(xLabel)}</text>`);
	series.forEach((s, i) => {
		const c = s.color || COLORS[i % COLORS.length];
		const d = s.pts.map((p, k) => `${k ? 'L' : 'M'}${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`).join(' ');
		g.push(`<path d="${d}" fill="none" stroke="${c}" stroke-width="2"${s.dash ? ' stroke-dasharray="5,3"' : ''}/>`);
		for (const p of s.pts) g.push(`<circle cx="${X(p[0]).toFixed(1)}" cy="${Y(p[1]).toFixed(1)}" r="2.2" fill="${c}"/>`);
		const ly = y0 + 8 + i * 16;
		g.push(`<line x1="${x0 + w + 14}" x2="${x0 + w + 34}" y1="${ly}" y2="${ly}" stroke="${c}" stroke-width="2"${s.dash ? ' stroke-dasharray="5,3"' : ''}/>`);
		g.push(`<text x="${x0 + w + 40}" y="${ly + 4}" font-size="11">${esc(s.name)}</text>`);
	});
	return g.join('\n');
}

export function svg(doc) {
	const by = (id) => doc.series.find((s) => s.id === id);
	// Panel 1: percentile curves of one-at-a-time round trips, x in
	// "nines" (-log10(1 - q)) so that the tail gets room.
	const rtIds = [
		['node.pingSync', 'pingSync()'], ['node.pingSync.spin50', 'pingSync(), syncSpinUs 50'], ['node.ping', 'await ping()'], ['c.ping.sync', 'C client ping'],
		['c.floor.spin', 'C floor (busy poll)'], ['c.floor.futex', 'C floor (futex, no spin)'], ['peer.atomics', 'SAB + Atomics.wait'], ['peer.postmessage', 'postMessage'],
		['peer.unix', 'Unix socket (Node)'], ['c.peer.unix', 'Unix socket (C)'], ['peer.piscina', 'piscina'],
	];
	const maxNines = 5;
	const s1 = rtIds.map(([id, name]) => [by(id), name]).filter(([s]) => s).map(([s, name]) => ({
		name: `${name}: p50 ${us(s.p50_ns)} µs`,
		dash: s.side === 'peer' || s.id === 'c.peer.unix',
		pts: s.curve.filter(([q]) => q < 1 && -Math.log10(1 - q) <= maxNines).map(([q, ns]) => [-Math.log10(1 - q), Math.log10(Math.max(ns, 1))]),
	}));
	// Panel 2: echo p50 by size, log-log.
	const sizes = [64, 4096, 65536, 1 << 20, 16 << 20];
	const echoIds = [
		['node.echo.total', 'await echo()'], ['node.echoSync.total', 'echoSync()'], ['c.echo.total', 'C total'],
		['c.echo.view', 'C result view (way back)'], ['node.echo.copy_out', 'ref: one copy of the result'],
		['peer.postmessage.echo', 'postMessage'], ['peer.unix.echo', 'Unix socket'],
	];
	const s2 = echoIds.map(([p, name]) => ({
		name, dash: p.startsWith('peer') || p.includes('copy_out'),
		pts: sizes.map((sz) => [sz, by(`${p}.${sizeLabelId(sz)}`)]).filter(([, s]) => s)
			.map(([sz, s]) => [Math.log2(sz), Math.log10(Math.max(s.p50_ns, 1))]),
	})).filter((s) => s.pts.length);
	// What the ring adds to an echo besides the engine's own copy (means):
	// flat when nothing on the way back is proportional to the size.
	const rest = sizes.map((sz) => [sz, by(`c.echo.rt.${sizeLabelId(sz)}`)])
		.filter(([, s]) => s && s.engine_mean_ns !== undefined && s.mean_ns > s.engine_mean_ns)
		.map(([sz, s]) => [Math.log2(sz), Math.log10(s.mean_ns - s.engine_mean_ns)]);
	if (rest.length) s2.push({ name: 'C ring rt minus engine echo op (means)', pts: rest });

	const W = 1180, H = 900;
	const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">`,
		`<rect width="${W}" height="${H}" fill="white"/>`];
	const m = doc.machine;
	parts.push(`<text x="20" y="24" font-size="13">${esc(`agent-accel round trips, ${m.date.slice(0, 16).replace('T', ' ')} UTC, ${m.cpu_model} × ${m.nproc}, ${m.kernel.split(' ').slice(0, 2).join(' ')}, node ${m.node}`)}</text>`);
	if (s1.length) {
		parts.push(panel({
			x0: 90, y0: 70, w: 760, h: 340, title: 'Round-trip latency by percentile (one at a time)',
			xRange: [0, maxNines], xLabel: 'percentile',
			xTicks: [[0, 'p0'], [Math.log10(2), 'p50'], [1, 'p90'], [2, 'p99'], [3, 'p99.9'], [4, 'p99.99'], [5, 'p99.999']],
			series: s1,
		}));
	}
	if (s2.length) {
		parts.push(panel({
			x0: 90, y0: 510, w: 760, h: 320, title: 'echo p50 by payload size',
			xRange: [6, 24], xLabel: 'payload size',
			xTicks: sizes.map((s) => [Math.log2(s), sizeLabel(s)]),
			series: s2,
		}));
	}
	parts.push('</svg>');
	return parts.join('\n') + '\n';
}

function main() {
	const o = parseArgs(process.argv);
	let doc;
	if (o.from) {
		doc = JSON.parse(readFileSync(o.from, 'utf8'));
	} else {
		const c = o.c ? JSON.parse(readFileSync(o.c, 'utf8')) : null;
		const node = o.node ? JSON.parse(readFileSync(o.node, 'utf8')) : null;
		doc = {
			harness: 'agent-accel round-trip harness (issue 2, item 11)',
			command: o.command || null,
			machine: machineInfo(o['load-before']),
			c: c ? { ...c, series: undefined } : null,
			node: node ? { ...node, series: undefined } : null,
			series: [...(c?.series || []), ...(node?.series || [])],
			errors: o.errors ? [{ part: 'run.sh', error: o.errors }] : [],
		};
	}
	const svgName = `${basename(o.out)}.svg`;
	writeFileSync(`${o.out}.json`, JSON.stringify(doc, null, 1) + '\n');
	writeFileSync(`${o.out}.md`, markdown(doc, svgName));
	writeFileSync(`${o.out}.svg`, svg(doc));
	process.stderr.write(`report: ${o.out}.json .md .svg\n`);
}

main();
