// SPDX-License-Identifier: MIT
// Turns one run of the exec benchmark (bench/exec_bench.c from the C client,
// bench/exec_node.mjs from Node) into one JSON document and a markdown
// report: spawn -> exit p50/p99 per configuration and command, ratios to
// the unsandboxed floor measured in the same run, CPU per exec, throughput
// with 2 and 16 in flight, and the issue 3 targets with verdicts.
//
//   node bench/exec_report.mjs --c c.json [--node node.json] --out PREFIX
//        [--command "bench/exec_run.sh"]
//
// writes PREFIX.json and PREFIX.md.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function parseArgs(argv) {
	const o = {};
	for (let i = 2; i < argv.length; i += 2) {
		if (argv[i + 1] === undefined) throw new Error(`${argv[i]} needs a value`);
		o[argv[i].replace(/^--/, '')] = argv[i + 1];
	}
	if (!o.out || !o.c) throw new Error('usage: --c C.json [--node N.json] --out PREFIX');
	return o;
}

function git(args) {
	try {
		return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
	} catch {
		return null;
	}
}

const us = (ns) => (ns === undefined ? '–' : Math.round(ns / 1e3).toLocaleString('en-US'));
const x = (a, b) => (a && b ? `${(a / b).toFixed(2)}×` : '–');

function table(head, rows) {
	const line = (r) => `| ${r.join(' | ')} |`;
	return [line(head), line(head.map((_, i) => (i ? '---:' : '---'))), ...rows.map(line)].join('\n');
}

function verdict(ok) {
	return ok === null ? 'not measured' : ok ? '**met**' : '**missed**';
}

function latencyC(c, cmd) {
	const rows = c.series.filter((s) => s.group === 'exec-latency' && s.cmd === cmd);
	const floor = rows.find((s) => s.cfg === 'posix_spawn');
	return table(['configuration', 'p50 µs', 'p99 µs', 'p50 ÷ posix_spawn', 'CPU µs/exec', 'CPU ÷ posix_spawn', 'samples'],
		rows.map((s) => [s.label, us(s.p50_ns), us(s.p99_ns), x(s.p50_ns, floor.p50_ns),
			us(s.cpu_ns_per_op), x(s.cpu_ns_per_op, floor.cpu_ns_per_op), s.n]));
}

function latencyNode(node, cmd) {
	const rows = node.series.filter((s) => s.group === 'exec-latency' && s.id.endsWith(`/${cmd}`));
	const floor = rows.find((s) => s.id === `spawn/${cmd}`);
	return table(['configuration', 'p50 µs', 'p99 µs', 'p50 ÷ child_process.spawn', 'samples'],
		rows.map((s) => [s.label, us(s.p50_ns), us(s.p99_ns), x(s.p50_ns, floor.p50_ns), s.n]));
}

function throughputRows(doc, side) {
	return doc.series.filter((s) => s.group === 'exec-throughput').map((s) => [
		side, s.label.replace(/, \d+ in flight$/, ''), s.batch,
		Math.round(s.ops_per_s).toLocaleString('en-US'),
		s.failed ? `${s.failed} failed` : '',
	]);
}

function targets(c) {
	const by = (cfg, cmd) => c.series.find((s) => s.group === 'exec-latency' && s.cfg === cfg && s.cmd === cmd);
	const rows = [];
	for (const cmd of ['true', 'echo']) {
		const full = by('exec-full', cmd), floor = by('posix_spawn', cmd);
		const bw = [by('bwrap', cmd), by('bwrap-net', cmd)].filter(Boolean);
		const r = full && floor ? full.p50_ns / floor.p50_ns : null;
		rows.push([`${cmd}: full policy p50 ≤ 1.3× posix_spawn (C client, through the engine)`,
			r ? `${r.toFixed(2)}× (${us(full.p50_ns)} vs ${us(floor.p50_ns)} µs)` : '–', verdict(r === null ? null : r <= 1.3)]);
		const cheapest = bw.reduce((a, b) => (!a || b.p50_ns < a.p50_ns ? b : a), null);
		const q = full && cheapest ? cheapest.p50_ns / full.p50_ns : null;
		rows.push([`${cmd}: full policy ≥ 3× faster than bubblewrap (p50, against the cheaper bwrap variant)`,
			q ? `${q.toFixed(2)}× (${cheapest.label} ${us(cheapest.p50_ns)} µs)` : '–', verdict(q === null ? null : q >= 3)]);
	}
	return table(['target', 'measured', 'verdict'], rows);
}

function markdown(doc) {
	const { c, node, machine: m } = doc;
	const out = [];
	out.push(`# Sandboxed exec, spawn → exit, ${c.when.slice(0, 16).replace('T', ' ')} UTC`);
	out.push('');
	out.push(`Command: \`${doc.command || 'bench/exec_run.sh'}\` (one run: the C client first, then Node, back to back).`);
	out.push('');
	out.push(table(['machine', ''], [
		['CPU', `${m.cpu_model} × ${c.nproc}`], ['kernel', c.kernel], ['node', node ? node.node : '–'],
		['load average (1 min) before / after the C part', `${c.load1_before} / ${c.load1_after}`],
		['git', m.git], ['engine worker threads', `C ${c.engine_workers}, Node ${node ? node.engine_workers : '–'}`],
		['Landlock ABI', c.landlock_abi],
		['full policy layers', c.layers_full.join(', ')], ['no-namespace policy layers', c.layers_nons.join(', ')],
	]));
	out.push('');
	out.push('Every case runs the command with stdout on a pipe read to EOF and checks its exit code and output. Latency: one call at a time, the cases interleaved in rounds; p50/p99 are exact nearest-rank percentiles. "CPU" is user + system time of the bench process, its reaped children and every live descendant (the engine, the sandbox\'s launchers) with the children they reaped, per exec: it is what the work costs wherever it is charged, and moves less than wall time on a loaded machine (descendants are read from /proc in 10 ms ticks, so it needs a few hundred execs per case).');
	out.push('');
	out.push('## Targets (issue 3)');
	out.push('');
	out.push(targets(c));
	out.push('');
	for (const [cmd, name] of [['true', '/bin/true'], ['echo', "sh -c 'echo hi'"]]) {
		out.push(`## ${name}, C client`);
		out.push('');
		out.push(latencyC(c, cmd));
		out.push('');
		if (node) {
			out.push(`## ${name}, Node`);
			out.push('');
			out.push(latencyNode(node, cmd));
			out.push('');
		}
	}
	out.push('## Throughput (/bin/true)');
	out.push('');
	out.push(`C: ${c.total} execs per row; the process cases use that many threads, the engine cases one client with that many requests queued (engine with ${c.engine_workers} workers). Node: ${node ? node.total : '–'} execs per row, that many promises in flight (engine with ${node ? node.engine_workers : '–'} workers).`);
	out.push('');
	out.push(table(['side', 'case', 'in flight', 'execs/s', 'failures'],
		[...throughputRows(c, 'C'), ...(node ? throughputRows(node, 'Node') : [])]));
	out.push('');
	return out.join('\n') + '\n';
}

function main() {
	const o = parseArgs(process.argv);
	const c = JSON.parse(readFileSync(o.c, 'utf8'));
	const node = o.node ? JSON.parse(readFileSync(o.node, 'utf8')) : null;
	let model = null;
	try {
		const mm = readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m);
		model = mm ? mm[1].trim() : null;
	} catch { /* not Linux */ }
	const dirty = (git(['status', '--porcelain', '--untracked-files=no']) || '') !== '';
	const doc = {
		bench: 'exec',
		command: o.command || null,
		machine: {
			cpu_model: model, mem_gib: +(os.totalmem() / 2 ** 30).toFixed(1),
			git: `${git(['rev-parse', '--short', 'HEAD'])}${dirty ? ' (with uncommitted changes in the tree)' : ''}`,
		},
		c, node,
	};
	writeFileSync(`${o.out}.json`, JSON.stringify(doc, null, 1) + '\n');
	writeFileSync(`${o.out}.md`, markdown(doc));
	process.stderr.write(`report: ${o.out}.json .md\n`);
}

main();
