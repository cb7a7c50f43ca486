#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The round-trip harness of issue 2 (item 11) in one command: builds the
# engine, the Node addon and the benches, then measures in one run, on this
# machine, back to back: the C client (rt_bench), the Node bridge and the
# stock Node alternatives (rt_node.mjs), and writes
#
#	bench/results/rt-<UTC date>.json   every series, machine info
#	bench/results/rt-<UTC date>.md     p50/p99/p999 tables, target verdicts
#	bench/results/rt-<UTC date>.svg    latency plot
#
# Usage: bench/run.sh [--quick | --scale X] [--spin-us N] [--no-build]
#   --quick      a tenth of the iterations (a smoke run, p999 not stable)
#   --scale X    multiply every iteration count by X
#   --spin-us N  engine poller spin window for both the C and Node runs
#   --no-build   use what is already built in $ACCEL_BENCH_BUILD
# Environment: ACCEL_BENCH_BUILD (build dir, default build-bench),
# NICE (niceness of the measured processes, default 0).
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
build=${ACCEL_BENCH_BUILD:-$root/build-bench}
scale=1
spin=0
do_build=1
cmdline="bench/run.sh${*:+ $*}"

while [ $# -gt 0 ]; do
	case $1 in
	--quick) scale=0.1 ;;
	--scale) scale=$2; shift ;;
	--spin-us) spin=$2; shift ;;
	--no-build) do_build=0 ;;
	-h|--help) sed -n '3,22p' "$0"; exit 0 ;;
	*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done

if [ $do_build = 1 ]; then
	# The engine links every op module; build only the four targets the
	# harness runs, so that other benches and tests cannot break it.
	cmake -S "$root" -B "$build" -G Ninja \
		-DACCEL_MODULES="common;shm;ring;sandbox;diff;tokenizer;context;symbols;engine;client;napi-bridge;bench" \
		>/dev/null
	nice ninja -C "$build" -j2 agent-acceld agent_accel rt_bench echo_server
fi
for f in "$build/engine/agent-acceld" "$build/bench/rt_bench" \
	"$build/bench/echo_server"; do
	[ -x "$f" ] || { echo "run.sh: $f is not built" >&2; exit 1; }
done
export ACCEL_ENGINE="$build/engine/agent-acceld"
export ACCEL_ADDON="$build/napi-bridge/agent_accel.node"
[ -f "$ACCEL_ADDON" ] || { echo "run.sh: $ACCEL_ADDON is not built" >&2; exit 1; }

results="$root/bench/results"
mkdir -p "$results"
stamp=$(date -u +%Y-%m-%dT%H%MZ)
tmp=$(mktemp -d /tmp/accel-rt.XXXXXX)
echo_pid=
cleanup() {
	[ -n "$echo_pid" ] && kill "$echo_pid" 2>/dev/null && wait "$echo_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
"$build/bench/echo_server" --socket "$tmp/echo.sock" >"$tmp/echo.out" &
echo_pid=$!
i=0
until grep -q ready "$tmp/echo.out" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 100 ] || { echo "run.sh: echo_server did not start" >&2; exit 1; }
	sleep 0.05
done

spin_arg=
[ "$spin" = 0 ] || spin_arg="--spin-us $spin"
errors=
cd "$root"
echo "== C client ($build/bench/rt_bench)" >&2
# shellcheck disable=SC2086
nice -n "${NICE:-0}" "$build/bench/rt_bench" --json "$tmp/c.json" \
	--echo-socket "$tmp/echo.sock" --scale "$scale" $spin_arg ||
	errors="rt_bench failed"
echo "== Node (bench/rt_node.mjs)" >&2
# shellcheck disable=SC2086
nice -n "${NICE:-0}" node --expose-gc bench/rt_node.mjs --json "$tmp/node.json" \
	--echo-socket "$tmp/echo.sock" --scale "$scale" $spin_arg ||
	errors="${errors:+$errors; }rt_node.mjs reported errors"

set -- --out "$results/rt-$stamp" --command "$cmdline" \
	--load-before "$load_before"
[ -s "$tmp/c.json" ] && set -- "$@" --c "$tmp/c.json"
[ -s "$tmp/node.json" ] && set -- "$@" --node "$tmp/node.json"
[ -n "$errors" ] && set -- "$@" --errors "$errors"
node bench/report.mjs "$@"
echo "run.sh: bench/results/rt-$stamp.md" >&2
[ -z "$errors" ]
