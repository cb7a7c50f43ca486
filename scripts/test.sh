#!/usr/bin/env bash
# Builds and runs every test of agent-accel, installing what is missing:
#   1. the C suites (Criterion, one binary per module), the spin model, the
#      fuzz-corpus replays and the stress tests, through ctest;
#   2. the Node bridge's tests (node --test);
#   3. the same C suites under AddressSanitizer + UndefinedBehaviorSanitizer;
#   4. the ring and engine suites under ThreadSanitizer.
# ACCEL_TEST_QUICK=1 skips 3 and 4. Longer soaks: ctest -L long (not run here).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
jobs=$(nproc)

# Warnings are errors in CI (the sanitizer builds below keep them as
# warnings: gcc's TSan warns about fences it does not model).
werror=OFF
[ "${CI:-}" = true ] && werror=ON
ACCEL_CMAKE_ARGS="-DACCEL_WERROR=$werror" ./scripts/bootstrap.sh

step() { printf '\n==== %s\n' "$*"; }
failed=()

step "C tests (build/)"
(cd build && ctest --output-on-failure -j "$jobs" -LE long) || failed+=("ctest")

step "Node bridge tests"
node --test --test-concurrency=1 "$top"/napi-bridge/test/ || failed+=("node --test")

step "the demo (every op through Node)"
node scripts/demo.mjs || failed+=("demo")

if [ "${ACCEL_TEST_QUICK:-0}" != 1 ]; then
	step "C tests under ASan + UBSan (build-asan/)"
	ACCEL_BUILD_DIR=build-asan ACCEL_CMAKE_ARGS="-DACCEL_ASAN=ON -DACCEL_NAPI=OFF" \
		./scripts/bootstrap.sh
	(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --output-on-failure -j "$jobs" -LE 'long|nosan') ||
		failed+=("ctest (asan)")

	step "ring and engine tests under TSan (build-tsan/)"
	ACCEL_BUILD_DIR=build-tsan ACCEL_CMAKE_ARGS="-DACCEL_TSAN=ON -DACCEL_NAPI=OFF" \
		./scripts/bootstrap.sh
	(cd build-tsan && TSAN_OPTIONS=halt_on_error=1 ACCEL_STRESS_N=2000000 \
		ctest --output-on-failure -L tsan) ||
		failed+=("ctest (tsan)")
fi

if [ ${#failed[@]} -gt 0 ]; then
	printf '\nFAILED: %s\n' "${failed[*]}"
	exit 1
fi
printf '\nall test suites passed\n'
