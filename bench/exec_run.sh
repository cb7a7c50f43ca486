#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The exec benchmark of issue 3 (item 9) in one command: spawn -> exit of
# /bin/true and sh -c 'echo hi' through the engine's exec op from the C
# client (bench/exec_bench.c) and from Node (bench/exec_node.mjs), against
# posix_spawn / child_process.spawn and bubblewrap, in one run, and writes
#
#	bench/results/exec-<UTC date>.json   both sides' series, machine info
#	bench/results/exec-<UTC date>.md     tables, target verdicts
#
# Usage: bench/exec_run.sh [--quick] [--no-build]
#   --quick     a quarter of the iterations (a smoke run)
#   --no-build  use what is already built in $ACCEL_BENCH_BUILD
# Environment: ACCEL_BENCH_BUILD (build dir, default build-bench).
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
build=${ACCEL_BENCH_BUILD:-$root/build-bench}
n=100
total=400
do_build=1
cmdline="bench/exec_run.sh${*:+ $*}"
while [ $# -gt 0 ]; do
	case $1 in
	--quick) n=25; total=100 ;;
	--no-build) do_build=0 ;;
	-h|--help) sed -n '3,15p' "$0"; exit 0 ;;
	*) echo "exec_run.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
if [ $do_build = 1 ]; then
	cmake -S "$root" -B "$build" -G Ninja >/dev/null
	nice ninja -C "$build" -j2 agent-acceld agent_accel exec_bench
fi
export ACCEL_ENGINE="$build/engine/agent-acceld"
export ACCEL_ADDON="$build/napi-bridge/agent_accel.node"
for f in "$ACCEL_ENGINE" "$build/bench/exec_bench"; do
	[ -x "$f" ] || { echo "exec_run.sh: $f is not built" >&2; exit 1; }
done
results=$root/bench/results
mkdir -p "$results"
stamp=$(date -u +%Y-%m-%dT%H%MZ)
tmp=$(mktemp -d /tmp/accel-exec-run.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

"$build/bench/exec_bench" --n "$n" --rounds 4 --total "$total" \
	--out "$tmp/c.json"
node_arg=
if [ -f "$ACCEL_ADDON" ]; then
	node "$root/bench/exec_node.mjs" --n $((n / 2)) --rounds 4 \
		--total "$total" --workers 16 --out "$tmp/node.json"
	node_arg="--node $tmp/node.json"
else
	echo "exec_run.sh: $ACCEL_ADDON missing: no Node part" >&2
fi
node "$root/bench/exec_report.mjs" --c "$tmp/c.json" $node_arg \
	--out "$results/exec-$stamp" --command "$cmdline"
echo "report: $results/exec-$stamp.md"
