// SPDX-License-Identifier: MIT
// Latency recorder for the JS benches: the twin of bench/hist.h. It keeps
// every sample (nanoseconds, as doubles: exact below 2^53) in a typed array
// reserved up front, so recording never allocates in a timed loop, and sorts
// once at the end, so percentiles are exact (nearest rank). toJSON() writes
// the same fields as accel_hist_json(), which bench/report.mjs reads.

import { readFileSync } from 'node:fs';

export const now = process.hrtime.bigint;

// The machine is shared: every series carries the 1-minute load average and
// the runnable task count when it was recorded (as the C side does).
function loadNow() {
	try {
		const f = readFileSync('/proc/loadavg', 'utf8').split(/\s+/);
		return { load1: Number(f[0]), runnable: Number(f[3].split('/')[0]) };
	} catch {
		return { load1: -1, runnable: -1 };
	}
}

// The quantiles of the plotted percentile curve; the same list as
// accel_hist_curve_q in bench/hist.h.
export const QS = [
	0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.97, 0.99, 0.995,
	0.997, 0.999, 0.9995, 0.9999, 0.99995, 0.99999, 1,
];

export class Hist {
	constructor(cap) {
		this.v = new Float64Array(Math.max(1, cap));
		this.n = 0;
		this.sum = 0;
		this.wallNs = 0;
		this.ops = 0;
	}

	add(ns) {
		if (this.n < this.v.length) {
			this.v[this.n++] = ns;
			this.sum += ns;
		}
	}

	// Sorts the samples; ops = operations done in wallNs (0: one per sample).
	finish(wallNs, ops = 0) {
		this.s = this.v.subarray(0, this.n).sort();
		this.wallNs = wallNs;
		this.ops = ops || this.n;
		return this;
	}

	pct(q) {
		const n = this.n;
		if (!n) return 0;
		if (q <= 0) return this.s[0];
		const i = Math.min(n, Math.max(1, Math.ceil(q * n)));
		return this.s[i - 1];
	}

	// meta: { id, label, group, side, size, batch, ...extra members }
	toJSON(meta) {
		const { id, label, group, side = 'node', size = 0, batch = 1, ...extra } = meta;
		const curve = [];
		for (const q of QS) {
			// A quantile finer than 1/n says nothing: leave it out.
			if (q > 0 && q < 1 && (1 - q) * this.n < 1) continue;
			curve.push([q, this.pct(q)]);
		}
		return {
			id, label, group, side, size, batch, n: this.n,
			min_ns: this.pct(0),
			mean_ns: this.n ? this.sum / this.n : 0,
			p50_ns: this.pct(0.5),
			p90_ns: this.pct(0.9),
			p99_ns: this.pct(0.99),
			p999_ns: this.pct(0.999),
			max_ns: this.pct(1),
			wall_ns: this.wallNs,
			ops: this.ops,
			ops_per_s: this.wallNs ? (this.ops * 1e9) / this.wallNs : 0,
			curve,
			...loadNow(),
			...extra,
		};
	}
}

// The usual scaffolding of one series: warm-up iterations, then n timed
// ones. fn(i) is awaited only when it returns a promise, so sync paths stay
// sync. Returns the finished recorder.
export async function measure(n, warm, fn) {
	const h = new Hist(n);
	for (let i = 0; i < warm; i++) {
		const r = fn(i);
		if (r && typeof r.then === 'function') await r;
	}
	const start = now();
	for (let i = 0; i < n; i++) {
		const t0 = now();
		const r = fn(i);
		if (r && typeof r.then === 'function') await r;
		h.add(Number(now() - t0));
	}
	return h.finish(Number(now() - start));
}

// Same for a purely synchronous fn: no await on the path at all.
export function measureSync(n, warm, fn) {
	const h = new Hist(n);
	for (let i = 0; i < warm; i++) fn(i);
	const start = now();
	for (let i = 0; i < n; i++) {
		const t0 = now();
		fn(i);
		h.add(Number(now() - t0));
	}
	return h.finish(Number(now() - start));
}

// Keeps `depth` calls of fn in flight until `total` completed; the latency
// of one call is from its start to its completion, queueing included.
export async function measureInflight(total, warm, depth, fn) {
	const h = new Hist(total);
	let started = 0, done = 0, start = 0n;
	const all = total + warm;
	await new Promise((resolve, reject) => {
		const launch = () => {
			const i = started++;
			const t0 = now();
			fn(i).then(() => {
				const t1 = now();
				if (done === warm) start = t1;
				if (done >= warm) h.add(Number(t1 - t0));
				done++;
				if (done === all) resolve();
				else if (started < all) launch();
			}, reject);
		};
		for (let k = 0; k < depth && started < all; k++) launch();
	});
	return h.finish(Number(now() - start));
}

export function timerOverheadNs() {
	const h = new Hist(10000);
	for (let i = 0; i < 10000; i++) {
		const t0 = now();
		h.add(Number(now() - t0));
	}
	return h.finish(0).pct(0.5);
}

// Short size names used in series ids: 64, 4K, 64K, 1M, 16M.
export function sizeName(n) {
	if (n >= 1 << 20) return `${n >> 20}M`;
	if (n >= 1024) return `${n >> 10}K`;
	return `${n}`;
}

export const ECHO_SIZES = [64, 4096, 65536, 1 << 20, 16 << 20];
