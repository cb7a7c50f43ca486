#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Every target of issue 4 in one run, on real corpora (universal-ctags over
# the npm packages in node_modules and /usr/lib/node_modules, 230K symbols;
# plus the system headers of /usr/include, GCC's, clang's and CUDA's
# include directories, 1.03M symbols):
#   1. symbols_bench at ~1M symbols: ctags under the sandbox, build, query
#      p50/p99 per category (wall and CPU), top-1/top-5, single-file update;
#   2. symbols_bench at 230K symbols: the same, and the top-1 file fzf is
#      compared with;
#   3. symbols_node.mjs at 230K symbols: ours through Node against
#      fuzzysort, fzf (npm) and a Map scan on the same corpus and queries:
#      p50/p99, memory (our bytes against each peer's V8 heap), top-1 per
#      category and agreement with fzf, single-file update from Node.
# Each step records the load average before and after it.
#
# Usage: bench/symbols_run.sh BUILD_DIR OUT_DIR
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:?usage: symbols_run.sh BUILD_DIR OUT_DIR}
out=${2:?usage: symbols_run.sh BUILD_DIR OUT_DIR}
# Absolute: Node resolves a relative ACCEL_ADDON against the bridge's lib/.
build=$(cd "$build" && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$root"
npm_roots="node_modules /usr/lib/node_modules"
# Each directory once (/usr/local/cuda is a link to /usr/local/cuda-N).
sys_roots=
for d in /usr/include /usr/lib/gcc/x86_64-linux-gnu/*/include \
	/usr/lib/llvm-*/lib/clang /usr/local/cuda*/include; do
	[ -d "$d" ] || continue
	r=$(realpath "$d")
	case " $sys_roots " in *" $r "*) ;; *) sys_roots="$sys_roots $r" ;; esac
done

step() {
	name=$1
	shift
	echo "== $name: $(cat /proc/loadavg)" >>"$out/load.txt"
	"$@"
	echo "== $name done: $(cat /proc/loadavg)" >>"$out/load.txt"
}

# shellcheck disable=SC2086
step 1m "$build/bench/symbols_bench" --queries bench/symbols_queries.tsv \
	--top1 "$out/top1-1m.tsv" --per-query "$out/per-query-1m.tsv" \
	$npm_roots $sys_roots >"$out/bench-1m.json" 2>"$out/bench-1m.log"
# shellcheck disable=SC2086
step 230k "$build/bench/symbols_bench" --queries bench/symbols_queries.tsv \
	--top1 "$out/top1-230k.tsv" --per-query "$out/per-query-230k.tsv" \
	$npm_roots >"$out/bench-230k.json" 2>"$out/bench-230k.log"
ACCEL_ENGINE=${ACCEL_ENGINE:-$build/engine/agent-acceld}
ACCEL_ADDON=${ACCEL_ADDON:-$build/napi-bridge/agent_accel.node}
export ACCEL_ENGINE ACCEL_ADDON
step node node --expose-gc bench/symbols_node.mjs \
	--out "$out/node-230k.json" >"$out/node-230k.txt" 2>&1
echo "results in $out"
