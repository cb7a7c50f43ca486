#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The diff benchmark of issue 5 in one command: builds diff_bench, makes the
# real pairs (tests/diff/make_pairs.sh), times our diff against libgit2 and
# `git diff --no-index` per algorithm (bench/diff_bench.c) and the JS peers
# (bench/diff_peers.mjs: jsdiff, fast-myers-diff) and our engine's diff op
# end to end from Node (bench/diff_node.mjs) on the same pairs, and writes
# bench/results/diff-<UTC date>.{json,txt,peers.json,node.json}.
#
# Usage: bench/diff_run.sh [--quick] [--filter SUBSTR] [--no-build]
#   --quick   1 run per measurement, no minimal on pairs over 2 MB
# Environment: ACCEL_BENCH_BUILD (build dir, default build-bench).
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
build=${ACCEL_BENCH_BUILD:-$root/build-bench}
quick=0
filter=
do_build=1
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	--filter) filter=$2; shift ;;
	--no-build) do_build=0 ;;
	-h|--help) sed -n '3,13p' "$0"; exit 0 ;;
	*) echo "diff_run.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
if [ $do_build = 1 ]; then
	cmake -S "$root" -B "$build" -G Ninja >/dev/null
	nice ninja -C "$build" -j2 diff_bench
	# The engine and the addon for the end-to-end part (optional).
	nice ninja -C "$build" -j2 agent-acceld agent_accel >/dev/null ||
		echo "diff_run.sh: engine/addon not built: no Node end-to-end run" >&2
fi
results=$root/bench/results
mkdir -p "$results"
stamp=$(date -u +%Y-%m-%dT%H%MZ)
pairs=$(mktemp -d /tmp/accel-diff-pairs.XXXXXX)
trap 'rm -rf "$pairs"' EXIT
sh "$root/tests/diff/make_pairs.sh" "$root" "$pairs" 40 >&2

set -- --pairs "$pairs/pairs.txt" --out "$results/diff-$stamp.json"
[ -n "$filter" ] && set -- "$@" --filter "$filter"
if [ $quick = 1 ]; then
	set -- "$@" --min-runs 1 --min-ms 0 --minimal-max 2000000
else
	set -- "$@" --min-runs 5 --min-ms 500
fi
{
	echo "# diff_bench $(date -u +%FT%TZ) on $(uname -n), $(nproc) cores"
	echo "# $(git --version), libgit2 $(pkg-config --modversion libgit2)"
	"$build/bench/diff_bench" "$@"
} | tee "$results/diff-$stamp.txt"
if command -v node >/dev/null && [ -d "$root/node_modules/diff" ]; then
	node "$root/bench/diff_peers.mjs" "$pairs/pairs.txt" \
		${filter:+--filter "$filter"} $( [ $quick = 1 ] && echo --quick ) \
		--out "$results/diff-$stamp.peers.json" |
		tee -a "$results/diff-$stamp.txt"
fi
if command -v node >/dev/null && [ -x "$build/engine/agent-acceld" ] &&
	[ -f "$build/napi-bridge/agent_accel.node" ]; then
	ACCEL_ENGINE="$build/engine/agent-acceld" \
	ACCEL_ADDON="$build/napi-bridge/agent_accel.node" \
		node --expose-gc "$root/bench/diff_node.mjs" "$pairs/pairs.txt" \
		${filter:+--filter "$filter"} $( [ $quick = 1 ] && echo --quick ) \
		--out "$results/diff-$stamp.node.json" |
		tee -a "$results/diff-$stamp.txt"
fi
